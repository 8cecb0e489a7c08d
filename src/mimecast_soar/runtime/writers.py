"""Writing output tables as a stream: JSONL, the platform's result lines, and CSV.

Every writer puts each output line on the stream in one `write` call that includes its newline,
so an interrupted run never leaves half a line: Python's buffered file layers hand the operating
system whole `write` calls (or the concatenation of several), never part of one. JSONL and result
lines are flushed row by row by default; a run that streams many rows (a log pull) passes
`flush_interval_seconds` so the stream is flushed at most that often while rows keep coming (the
runner also flushes whenever it waits for the next row, so output never lingers while idle).
The correlation id comes first in every row and wins over a row key of the same name.

CSV needs its header before the first row, and rows of one run may have different keys. The CSV
writer therefore spools rows to an anonymous temporary file (one JSON line each) while it collects
the ordered union of keys, and writes the whole CSV when it is closed. Memory stays flat in the
number of rows; the CSV appears on the stream only at `close()`. The spool is created by
`tempfile` (mode 0600, unlinked at once), so rows never sit in a file others can read.

Cells of CSV text that a spreadsheet would run as a formula (text starting with `=`, `+`, `-`,
`@`, a tab or a carriage return, OWASP's list) get a `'` prefix, header cells included, since
column names come from server data. Numbers, booleans and nulls are data we format ourselves,
never formulas: a JSON number -5 is written as `-5`, while the text "-5" from the server becomes
`'-5`. `neutralise=False` (the CLI's `--csv-raw`) writes every cell as it is.

Values that JSON cannot hold are written as text: datetimes in ISO 8601, `Secret`s as their mask,
integers beyond 64 bits as their digits; NaN and infinities become null.
"""

from __future__ import annotations

import csv
import io
import math
import tempfile
from collections.abc import Mapping
from datetime import date, datetime, time
from time import monotonic
from typing import IO, Any, Protocol

import orjson

from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime.tables import LhubId

ID_COLUMN = "original_lhub_id"
#: The flush interval of a run's output: the runner flushes whenever it waits for a row, so this
#: only bounds how long rows stay buffered while a pull streams without pause.
RUN_FLUSH_INTERVAL_SECONDS = 0.2
FORMATS = ("jsonl", "csv", "devo")
_MAX_DEPTH = 200


class RowWriter(Protocol):
    """Where output rows go, one at a time, in the order they are written."""

    def write(self, lhub_id: LhubId, row: Mapping[str, Any]) -> None:
        """Write one output row correlated to the input row `lhub_id`."""

    def flush(self) -> None:
        """Push what was written to the underlying stream."""

    def close(self) -> None:
        """Finish the table (the CSV is written now); the stream itself stays open."""


def open_writer(
    fmt: str,
    stream: IO[str],
    *,
    flush_interval_seconds: float = 0.0,
    csv_raw: bool = False,
) -> RowWriter:
    """A writer of `fmt` (`jsonl`, `devo` or `csv`) over an open text stream it does not own.

    Line formats flush after every row, or, with `flush_interval_seconds`, at most that often
    (and on `flush()` and `close()`). `csv_raw` turns off the CSV formula neutralising.
    """
    if fmt == "jsonl":
        return JsonlWriter(stream, flush_interval_seconds=flush_interval_seconds)
    if fmt == "devo":
        return DevoResultWriter(stream, flush_interval_seconds=flush_interval_seconds)
    if fmt == "csv":
        return CsvWriter(stream, neutralise=not csv_raw)
    raise ConfigurationError(f"unknown output format {fmt!r}: use {', '.join(FORMATS)}")


def dumps(value: Any) -> bytes:
    """`value` as compact JSON bytes; anything JSON cannot hold is written as text."""
    try:
        return orjson.dumps(value, default=_default, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        # Integers beyond 64 bits, nesting deeper than orjson allows, circular references.
        return orjson.dumps(_plain(value, 0), option=orjson.OPT_NON_STR_KEYS)


def _default(value: Any) -> Any:
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def _plain(value: Any, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        return "(nested too deeply)"
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**64 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v, depth + 1) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return _default(value)


def _correlated(lhub_id: LhubId, row: Mapping[str, Any]) -> dict[str, Any]:
    # Unpacking is several times faster than filtering key by key; a row key of the same name
    # keeps the first position and is then overwritten, so the id stays first and wins.
    out: dict[str, Any] = {ID_COLUMN: lhub_id, **row}
    if ID_COLUMN in row:
        out[ID_COLUMN] = lhub_id
    return out


class _LineWriter:
    """Shared machinery: one `write` call per line, flushed per row or per interval, refuses use
    after close."""

    def __init__(self, stream: IO[str], *, flush_interval_seconds: float = 0.0) -> None:
        self._stream = stream
        self._closed = False
        self._flush_interval_seconds = flush_interval_seconds
        self._flushed_at = monotonic()

    def _line(self, payload: bytes) -> None:
        if self._closed:
            raise ValueError("write to a closed row writer")
        self._stream.write(payload.decode("utf-8") + "\n")
        if self._flush_interval_seconds <= 0:
            self._stream.flush()
            return
        now = monotonic()
        if now - self._flushed_at >= self._flush_interval_seconds:
            self._stream.flush()
            self._flushed_at = now

    def flush(self) -> None:
        """Flush the underlying stream."""
        self._stream.flush()
        self._flushed_at = monotonic()

    def close(self) -> None:
        """Flush; later writes raise. The stream is left open for its owner."""
        if not self._closed:
            self._closed = True
            self._stream.flush()


class JsonlWriter(_LineWriter):
    """One JSON object per line: `{"original_lhub_id": id, **row}`."""

    def write(self, lhub_id: LhubId, row: Mapping[str, Any]) -> None:
        """Write one row as one line."""
        self._line(dumps(_correlated(lhub_id, row)))


class DevoResultWriter(_LineWriter):
    """The platform's result lines: the row is JSON text inside the `result` field.

    `{"result": "<row as JSON text>", "stdout": "", "stderr": "", "original_lhub_id": id}`
    """

    def write(self, lhub_id: LhubId, row: Mapping[str, Any]) -> None:
        """Write one row as one result line."""
        inner = dumps(row).decode("utf-8")
        line = {"result": inner, "stdout": "", "stderr": "", ID_COLUMN: lhub_id}
        self._line(dumps(line))


class CsvWriter:
    """CSV with the union of all rows' keys as columns, `original_lhub_id` first.

    Rows are spooled to a temporary file until `close()`, which writes the header and then every
    row. Nested values (objects, lists) are written as JSON text, None as an empty cell, booleans
    as `true`/`false`. With `neutralise` (the default) text cells a spreadsheet would take for a
    formula get a `'` prefix (see the module docstring).
    """

    def __init__(self, stream: IO[str], *, neutralise: bool = True) -> None:
        self._stream = stream
        self._neutralise = neutralise
        self._spool: IO[bytes] | None = tempfile.TemporaryFile(mode="w+b")  # noqa: SIM115
        self._columns: dict[str, None] = {}

    def write(self, lhub_id: LhubId, row: Mapping[str, Any]) -> None:
        """Spool one row and remember its keys."""
        if self._spool is None:
            raise ValueError("write to a closed row writer")
        for key in row:
            if key != ID_COLUMN and key not in self._columns:
                self._columns[str(key)] = None
        self._spool.write(dumps(_correlated(lhub_id, row)) + b"\n")

    def flush(self) -> None:
        """Flush the spool (nothing reaches the stream before `close()`)."""
        if self._spool is not None:
            self._spool.flush()

    def close(self) -> None:
        """Write the CSV (header, then every spooled row) and delete the spool."""
        spool, self._spool = self._spool, None
        if spool is None:
            return
        try:
            columns = [ID_COLUMN, *self._columns]
            cell = _safe_cell if self._neutralise else _cell
            self._stream.write(_csv_line([cell(name) for name in columns]))
            spool.seek(0)
            for line in spool:
                row = orjson.loads(line)
                self._stream.write(_csv_line([cell(row.get(name)) for name in columns]))
            self._stream.flush()
        finally:
            spool.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return dumps(value).decode("utf-8")
    return str(value)


#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value: Any) -> str:
    """`_cell`, with text a spreadsheet would evaluate prefixed by `'`; numbers stay numbers."""
    text = _cell(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _csv_line(cells: list[str]) -> str:
    # The csv module quotes a cell holding a character of the line terminator: with "\r\n" a
    # lone CR inside a cell is quoted too (with "\n" it would end the row for most readers).
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()[:-2] + "\n"
