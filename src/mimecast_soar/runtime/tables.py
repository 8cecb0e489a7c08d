"""Reading input tables as a stream of rows: JSONL, CSV and the platform's part-file folder.

Nothing is loaded whole: a file is read one line (JSONL) or one record (CSV) at a time, so memory
stays flat however many rows there are. A row that cannot be read does not stop the stream: it
becomes an `InputRow` whose `values` is None and whose `error` says what is wrong, at its place
in the input, so the runner can emit an error row correlated to it.

Row ids (`lhub_id`): taken from the row's `lhub_id` key when it has one, as given (a null or a
repeated id is kept: correlation uses the value the caller gave). A row without one gets its
position. Positions count from 1 and blank lines count, so a blank line never shifts the ids
after it: in JSONL the position is the line number; in CSV it is the record's number after the
header (a record whose quoted cell spans lines is one record). `runtime.correlation` picks
another id column (`run --id-column`) from the same position.

CSV decisions: values are text, as CSV has no types, except that an `lhub_id` cell holding a plain
decimal integer becomes an int and an empty one counts as absent. A record with fewer fields than
the header is padded with empty texts (spreadsheets drop trailing empty cells); a record with more
fields is an error row, because the extra values have no column and guessing would misalign data.
Bytes that are not UTF-8 are replaced (U+FFFD) rather than stopping the read.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from mimecast_soar.errors import ConfigurationError

#: The id of an input row: what the table gave (int or text; None when given as null).
LhubId = int | str | None

_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
#: The formats an input table may be read as.
INPUT_FORMATS = ("jsonl", "csv")
_CSV_INT = re.compile(r"-?(?:0|[1-9]\d{0,17})")
# Recovers the id from a line that is not valid JSON, so its error row still correlates.
_BROKEN_ID = re.compile(rb'"lhub_id"\s*:\s*(-?\d{1,18}(?![\d.eE])|"[^"\\]{0,200}")')
_FIELD_LIMIT = 2**31 - 1


@dataclass(frozen=True)
class InputRow:
    """One row of the input table: its id, its columns, or why it could not be read."""

    lhub_id: LhubId
    values: dict[str, Any] | None
    error: str | None = None
    #: Where the row is in the table, from 1, blank lines counted (see the module docstring).
    position: int = field(default=0, compare=False)
    #: Input columns copied into each of its output rows (`run --carry`), by output name.
    carried: dict[str, Any] | None = field(default=None, compare=False)


def table_source(path: str | Path, fmt: str | None = None) -> tuple[Path, str]:
    """The file to read for `path` and its format: `fmt` (`jsonl` or `csv`) when given, else
    the file's extension.

    A directory is the platform's part-file folder: its first file, sorted by name, whose name
    starts with `part`, read as JSONL unless `fmt` says otherwise. Raises `ConfigurationError`
    for a missing path, a folder without a part file, an unknown `fmt`, or an unknown extension
    when no `fmt` is given.
    """
    if fmt is not None and fmt not in INPUT_FORMATS:
        raise ConfigurationError(f"unknown input format {fmt!r}: use jsonl or csv")
    source = Path(path)
    if source.is_dir():
        parts = sorted(
            p.name for p in source.iterdir() if p.name.startswith("part") and p.is_file()
        )
        if not parts:
            raise ConfigurationError(f"the input folder {source} holds no file named part*")
        return source / parts[0], fmt or "jsonl"
    if not source.is_file():
        raise ConfigurationError(f"the input table {source} does not exist")
    fmt = fmt or _FORMATS.get(source.suffix.lower())
    if fmt is None:
        raise ConfigurationError(
            f"the input table {source.name} has an unknown extension: use .jsonl, .ndjson, "
            ".csv or a part-file folder, or say which with --input-format jsonl|csv"
        )
    return source, fmt


def read_table(path: str | Path, fmt: str | None = None) -> Iterator[InputRow]:
    """Stream the rows of a `.jsonl`/`.ndjson`/`.csv` file or a part-file folder, read as `fmt`
    (`jsonl` or `csv`) when given, else by the file's extension.

    The path is checked at once (a `ConfigurationError` is raised by this call, not at the first
    row); the file is opened lazily and closed when the iterator is exhausted or closed.
    """
    source, fmt = table_source(path, fmt)
    if fmt == "csv":
        return _read_csv_file(source)
    return _read_jsonl_file(source)


def read_table_stream(stream: IO[str], fmt: str) -> Iterator[InputRow]:
    """Stream the rows of an already open text stream (standard input) in `fmt` (`jsonl`/`csv`)."""
    if fmt == "csv":
        return _csv_rows(stream)
    if fmt in ("jsonl", "ndjson"):
        return _jsonl_rows(stream)
    raise ConfigurationError(f"unknown input format {fmt!r}: use jsonl or csv")


def _read_jsonl_file(source: Path) -> Iterator[InputRow]:
    with source.open("rb") as handle:
        yield from _jsonl_rows(handle)


def _read_csv_file(source: Path) -> Iterator[InputRow]:
    with source.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        yield from _csv_rows(handle)


def _jsonl_rows(lines: Iterable[bytes | str]) -> Iterator[InputRow]:
    for ordinal, raw in enumerate(lines, start=1):
        line = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
        if ordinal == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        line = line.strip()
        if not line:
            continue  # not a row, but it keeps its number: the ids after it do not shift
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield InputRow(
                _recover_id(line, ordinal),
                None,
                f"line {ordinal} is not valid JSON: {exc}",
                position=ordinal,
            )
            continue
        if not isinstance(value, dict):
            kind = type(value).__name__ if value is not None else "null"
            yield InputRow(
                ordinal,
                None,
                f"line {ordinal} is not a JSON object: it holds a {kind}",
                position=ordinal,
            )
            continue
        yield InputRow(_json_id(value, ordinal), value, position=ordinal)


def _json_id(row: dict[str, Any], ordinal: int) -> LhubId:
    if "lhub_id" not in row:
        return ordinal
    given: object = row["lhub_id"]
    if given is None or isinstance(given, str):
        return given
    if isinstance(given, int) and not isinstance(given, bool):
        return given
    if isinstance(given, float) and given.is_integer():
        return int(given)
    # A bool, a fraction, a list...: keep it, as its JSON text, so correlation stays exact.
    return orjson.dumps(given).decode()


def _recover_id(line: bytes, ordinal: int) -> LhubId:
    match = _BROKEN_ID.search(line)
    if match is None:
        return ordinal
    token = match.group(1)
    if token.startswith(b'"'):
        return token[1:-1].decode("utf-8", "replace")
    return int(token)


def _csv_rows(stream: Iterable[str]) -> Iterator[InputRow]:
    if csv.field_size_limit() < _FIELD_LIMIT:
        # The default (128 KiB) would reject a 1 MB cell; the limit is process-wide in `csv`.
        csv.field_size_limit(_FIELD_LIMIT)
    reader = csv.reader(_strip_bom(stream))
    header: list[str] | None = None
    ordinal = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if header is None:
                raise ConfigurationError(f"the CSV header could not be read: {exc}") from None
            ordinal += 1
            error = f"line {reader.line_num} is not valid CSV: {exc}"
            yield InputRow(ordinal, None, error, position=ordinal)
            continue
        blank = not record or (len(record) == 1 and not record[0].strip())
        if header is None:
            if not blank:
                header = _check_header(record)
            continue
        ordinal += 1  # a blank record keeps its number too: the ids after it do not shift
        if not blank:
            yield _csv_row(header, record, ordinal, reader.line_num)


def _strip_bom(stream: Iterable[str]) -> Iterator[str]:
    first = True
    for line in stream:
        if first:
            line = line.removeprefix("\ufeff")
            first = False
        yield line


def _check_header(record: list[str]) -> list[str]:
    seen: set[str] = set()
    for name in record:
        if name in seen:
            raise ConfigurationError(f"the CSV header names the column {name!r} twice")
        seen.add(name)
    return record


def _csv_row(header: list[str], record: list[str], ordinal: int, line_number: int) -> InputRow:
    if len(record) > len(header):
        error = (
            f"line {line_number} has {len(record)} fields but the header has {len(header)} columns"
        )
        return InputRow(ordinal, None, error, position=ordinal)
    values: dict[str, Any] = dict(zip(header, record, strict=False))
    for name in header[len(record) :]:
        values[name] = ""
    return InputRow(_csv_id(values.get("lhub_id"), ordinal), values, position=ordinal)


def _csv_id(cell: str | None, ordinal: int) -> LhubId:
    if cell is None or not cell.strip():
        return ordinal
    text = cell.strip()
    return int(text) if _CSV_INT.fullmatch(text) else cell
