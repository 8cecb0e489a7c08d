"""The resume journal: its format, and the checks that decide whether it can be trusted.

A journal starts with one header line tying it to the run it describes::

    mimecast-soar-journal 2 {"action": ..., "format": ..., "input": ..., "output": ...}

`input` is the input file's size and the SHA-256 of its first MiB (null for standard input, which
cannot be read twice); `output` is "file" or "stdout". Then, in the order they happened:

- ``started <n>``: input row n starts (state-changing actions, before any of its requests);
- ``done <rows> <bytes> <tail>``: `rows` input rows are completely written, the output then held
  `bytes` bytes and `tail` is a hash of its last KiB (up to `bytes`). Written to standard output,
  `bytes` and `tail` are ``-``: what a pipe's reader kept cannot be read back.
- ``page <row> <records> <rows> <bytes> <tail> <token>``: input row `row` (0-based: the one after
  the `row` rows done) is a record pull, and every output row of its first `records` records is
  written: `rows` rows, the output then holding `bytes` bytes (``-`` and ``-`` on standard
  output); the pull goes on with the page of `token` (percent-encoded: any token fits on the
  line). A `done` line for the row supersedes its page lines.

`read_journal` trusts nothing it is given: the header must match the run being resumed, numbers
must be plain non-negative decimals that never go backwards, the last byte count must fit in the
output and the output's bytes before it must hash to `tail`. Anything else (a journal from another
input, an edited line, garbage, an output truncated or edited since) raises `JournalError`, one
line, instead of skipping rows that were never done. Only a last line without its newline is
ignored: a kill can cut the journal's last write short.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, unquote

from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime.files import describe_os_error, open_private_bytes

MAGIC = b"mimecast-soar-journal"
VERSION = 2
#: How much of the input the header's hash covers.
INPUT_HASH_BYTES = 1 << 20
#: How much of the output, before each journaled byte count, the `tail` hash covers.
TAIL_BYTES = 1024
_NUMBER = re.compile(rb"0|[1-9][0-9]{0,18}")
_TAIL = re.compile(rb"[0-9a-f]{16}")
#: A percent-encoded page token (`quote(token, safe="")`).
_TOKEN = re.compile(rb"[A-Za-z0-9_.~%-]{1,8192}")


class JournalError(ConfigurationError):
    """A resume journal that does not describe this run and output: refused, never trusted."""


@dataclass(frozen=True)
class PageState:
    """The last page point of the row in progress: records taken, rows written, next token."""

    records: int
    rows: int
    token: str


@dataclass(frozen=True)
class JournalState:
    """What a trusted journal says: rows done, the output's size then, rows started, and the
    page point of the row in progress (a record pull), if it has one (`offset` is then the
    output's size at that point)."""

    done_rows: int
    offset: int
    started_rows: int
    page: PageState | None = None


def page_entry(row: int, records: int, rows: int, size: int | None, tail: str, token: str) -> str:
    """The ``page`` line (`size` None: standard output, where `tail` is not used)."""
    where = "- -" if size is None else f"{size} {tail}"
    return f"page {row} {records} {rows} {where} {quote(token, safe='')}\n"


def input_fingerprint(source: Path | None) -> dict[str, Any] | None:
    """Size and SHA-256 of the first MiB of the input file (None for standard input)."""
    if source is None:
        return None
    try:
        with source.open("rb") as handle:
            head = handle.read(INPUT_HASH_BYTES)
            size = os.fstat(handle.fileno()).st_size
    except OSError as error:
        raise ConfigurationError(
            f"cannot read the input table {source}: {describe_os_error(error)}"
        ) from None
    return {"size": size, "sha256": hashlib.sha256(head).hexdigest()}


def header(
    *,
    action: str,
    fmt: str,
    input_print: dict[str, Any] | None,
    to_file: bool,
    correlation: dict[str, Any] | None = None,
) -> bytes:
    """The header line of a journal for this run (`correlation`: `--id-column`/`--carry`, when
    given, so a resumed run cannot change the ids or columns half-way through the output)."""
    fields = {
        "action": action,
        "format": fmt,
        "input": input_print,
        "output": "file" if to_file else "stdout",
    }
    if correlation is not None:
        fields["correlation"] = correlation
    return MAGIC + f" {VERSION} ".encode() + json.dumps(fields, sort_keys=True).encode() + b"\n"


def tail_hash(handle: IO[bytes] | int, end: int) -> str:
    """The hash of the `TAIL_BYTES` bytes of a file before byte `end` (16 hex digits)."""
    fd = handle if isinstance(handle, int) else handle.fileno()
    start = max(0, end - TAIL_BYTES)
    data = os.pread(fd, end - start, start)
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def _number(raw: bytes) -> int:
    if not _NUMBER.fullmatch(raw):
        raise ValueError(raw)
    return int(raw)


def read_journal(path: Path, expected_header: bytes, output: Path | None) -> JournalState | None:
    """The trusted state of the journal at `path`, None when there is none (see module doc).

    `output` is the output file the journal describes (None for standard output).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise JournalError(
            f"cannot read the resume journal {path}: {describe_os_error(error)}"
        ) from None
    if not data:
        return None  # created, then killed before its header: nothing was done
    lines = data.split(b"\n")[:-1]  # the piece after the last newline was cut short
    refuse = _refuser(path)
    if not lines or not lines[0].startswith(MAGIC + b" "):
        raise refuse("it is not a journal of this version of mimecast-soar")
    if lines[0] + b"\n" != expected_header:
        raise refuse(_header_difference(lines[0], expected_header))
    done, offset, started, tail = 0, 0, 0, b"-"
    page: PageState | None = None
    for number, line in enumerate(lines[1:], start=2):
        parts = line.split(b" ")
        try:
            if parts[0] == b"started" and len(parts) == 2:
                row = _number(parts[1])
                if row < started:
                    raise ValueError(row)
                started = row
            elif parts[0] == b"done" and len(parts) == 4:
                rows = _number(parts[1])
                if output is None:
                    if parts[2:] != [b"-", b"-"]:
                        raise ValueError(parts)
                    size = offset
                else:
                    size = _number(parts[2])
                    if not _TAIL.fullmatch(parts[3]):
                        raise ValueError(parts[3])
                if rows < done or size < offset:
                    raise ValueError(rows)
                done, offset, tail, page = rows, size, parts[3], None
            elif parts[0] == b"page" and len(parts) == 7:
                page, offset = _page(parts, done, offset, page, output is None)
                tail = parts[5]
            else:
                raise ValueError(line)
        except ValueError:
            raise refuse(f"line {number} is not a journal entry (edited?)") from None
    if output is not None:
        _check_output(output, offset, tail, refuse)
    return JournalState(done, offset, max(started, done), page)


def _page(
    parts: list[bytes], done: int, offset: int, before: PageState | None, to_stdout: bool
) -> tuple[PageState, int]:
    """A ``page`` line checked against the lines before it: the new page point and offset."""
    row, records, rows = (_number(part) for part in parts[1:4])
    if to_stdout:
        if parts[4:6] != [b"-", b"-"]:
            raise ValueError(parts)
        size = offset
    else:
        size = _number(parts[4])
        if not _TAIL.fullmatch(parts[5]):
            raise ValueError(parts[5])
    if not _TOKEN.fullmatch(parts[6]) or row != done or size < offset:
        raise ValueError(parts)
    if before is not None and (records < before.records or rows < before.rows):
        raise ValueError(parts)
    token = unquote(parts[6].decode("ascii"), errors="strict")
    return PageState(records, rows, token), size


def _check_output(output: Path, offset: int, tail: bytes, refuse: Any) -> None:
    try:
        with output.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if offset > size:
                raise refuse(
                    f"it records {offset} bytes of output but {output} has only {size} "
                    "(truncated since?)"
                )
            if offset and tail_hash(handle, offset).encode() != tail:
                raise refuse(f"{output} was changed since the journal recorded it")
    except FileNotFoundError:
        if offset:
            raise refuse(f"the output {output} it describes is gone") from None
    except OSError as error:
        raise JournalError(f"cannot read {output}: {describe_os_error(error)}") from None


def _refuser(path: Path) -> Any:
    def refuse(reason: str) -> JournalError:
        return JournalError(
            f"the resume journal {path} cannot be trusted: {reason}; remove it (and the output) "
            "to start over"
        )

    return refuse


def _header_difference(found: bytes, expected: bytes) -> str:
    try:
        got = json.loads(found.split(b" ", 2)[2])
        want = json.loads(expected.split(b" ", 2)[2])
    except (IndexError, ValueError):
        return "its header is not one this version writes"
    if not isinstance(got, dict):
        return "its header is not one this version writes"
    for key, meaning in (
        ("action", "another action"),
        ("format", "another output format"),
        ("input", "another input (its size or first MiB differ)"),
        ("output", "another kind of output (a file, or standard output)"),
        ("correlation", "other --id-column or --carry options"),
    ):
        if got.get(key) != want.get(key):
            return f"it was written for {meaning}"
    return "its header is not one this version writes"


def open_journal(path: Path, header_line: bytes, *, fresh: bool) -> IO[bytes]:
    """The journal opened for appending (0600, never through a link), its header written once."""
    handle = open_private_bytes(path, "the resume journal", append=not fresh)
    if fresh or handle.tell() == 0 or os.fstat(handle.fileno()).st_size == 0:
        handle.write(header_line)
        handle.flush()
    return handle
