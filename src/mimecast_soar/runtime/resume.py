"""Opening the output file, and continuing a run that was interrupted (`run --resume`).

A run into a file keeps a journal beside it, ``FILE.resume``: after each input row's output rows
are all written and flushed, one line ``<input rows done> <bytes of FILE>``. The runner writes
input rows as a prefix of the input, each with all its rows (see `runtime.runner`), so the last
journal line says exactly where a killed run stood. The journal is removed when a run ends
without being interrupted.

`--resume` reads the last complete journal line, truncates the output to its byte count (a last
line cut short by a kill and the rows of an input row that had not finished are dropped), and
skips that many input rows. When the journal is behind the output (a kill between writing a row
and journaling it), an action that writes exactly one row per input row (every action except the
"one row per record" ones) counts each complete line after the journaled point as one more input
row done, so a state-changing row that was written is never sent again; a records action drops
that unjournaled group and pulls it again (it is a read). Without a journal (the run before had
finished) the output itself is the record: one line per input row, or, for records actions, the
groups of equal ``original_lhub_id`` less the last one, which is pulled again.

A state-changing action also journals ``started <n>`` before row n starts. Rows a killed run had
started but not written may have reached Mimecast: a resumed run writes an error row for each
(`UNKNOWN_AFTER_KILL`) instead of sending them again.

Input rows are skipped by position, not by id, so duplicate ``lhub_id`` values resume correctly.
Only line formats (jsonl, devo) can be resumed.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from mimecast_soar.errors import ConfigurationError

JOURNAL_SUFFIX = ".resume"


#: The error row of a state-changing row a killed run had started but not written.
UNKNOWN_AFTER_KILL = (
    "the previous run stopped while this row's request may have been in flight: the outcome is "
    "unknown, so --resume did not send it again; check whether it took effect before running "
    "it again."
)


@dataclass(frozen=True)
class ResumePoint:
    """Where a resumed run starts.

    `done_rows` input rows are complete in the first `offset` bytes of the output; rows up to
    `started_rows` had started (state-changing actions journal this before any request).
    """

    done_rows: int = 0
    offset: int = 0
    started_rows: int = 0

    @property
    def in_flight_rows(self) -> int:
        """Rows started by the killed run but not written: their outcome is unknown."""
        return max(0, self.started_rows - self.done_rows)


def journal_path(output: Path) -> Path:
    """The journal kept beside an output file."""
    return output.with_name(output.name + JOURNAL_SUFFIX)


def _complete_lines(path: Path, start: int) -> list[tuple[int, Any]]:
    """`(end offset, original_lhub_id)` of each complete, valid line from byte `start` on."""
    lines: list[tuple[int, Any]] = []
    offset = start
    with path.open("rb") as handle:
        handle.seek(start)
        for line in handle:
            if not line.endswith(b"\n"):
                break
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                break
            if not isinstance(record, dict):
                break
            offset += len(line)
            lines.append((offset, record.get("original_lhub_id")))
    return lines


def _last_journal_entry(path: Path, size: int) -> ResumePoint | None:
    """The last complete, consistent journal entry, or None without a journal.

    Lines are ``<done> <bytes>`` (a complete input row) or ``started <n>`` (row n began).
    """
    if not path.exists():
        return None
    done, offset, started = 0, 0, 0
    with path.open("rb") as handle:
        for line in handle:
            parts = line.split()
            if not line.endswith(b"\n") or len(parts) != 2:
                break
            try:
                if parts[0] == b"started":
                    started = max(started, int(parts[1]))
                    continue
                row_done, row_offset = int(parts[0]), int(parts[1])
            except ValueError:
                break
            if row_offset > size:
                break
            done, offset = row_done, row_offset
    return ResumePoint(done, offset, max(started, done))


def resume_point(output: Path, *, one_row_per_input: bool) -> ResumePoint:
    """Where to continue writing `output` (see the module docstring for the rules)."""
    if not output.exists():
        return ResumePoint()
    size = output.stat().st_size
    journaled = _last_journal_entry(journal_path(output), size)
    start = journaled or ResumePoint()
    lines = _complete_lines(output, start.offset)
    if one_row_per_input:
        if lines:
            done = start.done_rows + len(lines)
            return ResumePoint(done, lines[-1][0], max(start.started_rows, done))
        return start
    if journaled is not None:
        return journaled
    # No journal: groups of equal ids; the last group may be incomplete, so it is pulled again.
    done, offset, previous = 0, 0, object()
    boundaries: list[int] = []
    for end, lhub_id in lines:
        if lhub_id != previous:
            boundaries.append(offset)
            previous = lhub_id
            done += 1
        offset = end
    if done <= 1:
        return ResumePoint()
    return ResumePoint(done - 1, boundaries[-1])


class Journal:
    """Appends ``<rows done> <output bytes>`` after each complete input row.

    Wraps the run's progress reporter, since the runner reports each input row once all its
    rows are written.
    """

    def __init__(self, inner: Any, stream: IO[str], path: Path, done_rows: int) -> None:
        self._inner = inner
        self._stream = stream
        self._path = path
        self._done = done_rows
        self._started = done_rows
        self._handle: IO[bytes] | None = path.open("ab")

    def start(self, total: int | None) -> None:
        """Forward to the wrapped reporter."""
        self._inner.start(total)

    def advance(self, rows: int = 1, errors: int = 0) -> None:
        """Journal the output's size after `rows` more complete input rows."""
        self._inner.advance(rows, errors)
        self._done += rows
        if self._handle is None:
            return
        self._stream.flush()
        size = os.fstat(self._stream.fileno()).st_size
        self._handle.write(f"{self._done} {size}\n".encode())
        self._handle.flush()

    def row_started(self) -> None:
        """Journal that one more input row starts (before any of its requests leaves)."""
        self._started += 1
        if self._handle is not None:
            self._handle.write(f"started {self._started}\n".encode())
            self._handle.flush()

    def close(self) -> None:
        """Forward to the wrapped reporter."""
        self._inner.close()

    def finish(self, *, complete: bool) -> None:
        """Close the journal; delete it when the run went through every input row."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if complete:
            self._path.unlink(missing_ok=True)


def open_output(
    target: str, *, resume: bool, fmt: str, one_row_per_input: bool = True
) -> tuple[IO[str], ResumePoint]:
    """The stream to write to and, on resume, where the run stands (output truncated to it)."""
    if target == "-":
        return sys.stdout, ResumePoint()
    path = Path(target)
    point = ResumePoint()
    if resume:
        if fmt == "csv":
            raise ConfigurationError("--resume works with the jsonl and devo formats, not csv")
        point = resume_point(path, one_row_per_input=one_row_per_input)
        if path.exists() and path.stat().st_size != point.offset:
            with path.open("r+b") as handle:
                handle.truncate(point.offset)
    try:
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        stream = path.open("a" if resume else "w", encoding="utf-8", newline="\n")
        if not resume:
            journal_path(path).unlink(missing_ok=True)
    except OSError as error:
        raise ConfigurationError(
            f"cannot write {target}: {os.strerror(error.errno or 0)}"
        ) from None
    return stream, point
