"""Opening the output file, and continuing a run that was interrupted (`run --resume`).

A run keeps a journal: beside an output file, ``FILE.resume``, or where `--journal` says (the only
way to resume a run written to standard output). Its format and the checks that decide whether
it can be trusted are in `runtime.journal`: a header ties it to the action, format, input and
kind of output; after each input row's output rows are all written and flushed, one line
``done <input rows done> <bytes of FILE> <hash of the bytes before>``. The runner writes input
rows as a prefix of the input, each with all its rows (see `runtime.runner`), so the last journal
line says exactly where a killed run stood. The journal is removed when a run ends without being
interrupted. A journal that does not match the run or its output is refused (`JournalError`).

`--resume` reads the last complete journal line, truncates the output to its byte count (a last
line cut short by a kill and the rows of an input row that had not finished are dropped), and
skips that many input rows. When the journal is behind the output (a kill between writing a row
and journaling it), an action that writes exactly one row per input row (every action except the
"one row per record" ones) counts each complete line after the journaled point as one more input
row done, so a state-changing row that was written is never sent again; a records action drops
that unjournaled group and pulls it again (it is a read). Without a journal (the run before had
finished: a run journals from its start and removes the journal only when it went through every
row) the output itself is the record: one line per input row, or, for records actions, one
input row per group of equal ``original_lhub_id``, so a finished run resumes to nothing (when
the output ends with a line cut short, the run did not finish: its last group is pulled again).

A record pull also journals, after each page whose rows are all written, a ``page`` line: the
input row in progress, the records taken, the rows written, the output's size and the token of
the next page (`runtime.paging`). `--resume` then truncates the output to that size and the row
goes on with that page (`ResumePoint.pull`): no page whose rows were written is asked for again,
only the one that was on its way (or being written) when the run stopped.

A state-changing action also journals ``started <n>`` before row n starts. Rows a killed run had
started but not written may have reached Mimecast: a resumed run writes an error row for each
(`UNKNOWN_AFTER_KILL`) instead of sending them again. Written to standard output, the journal
records a row as done once it was handed to the pipe (what the reader then kept cannot be known):
a reader that closes early (`| head`) stops the run, rows started and not handed over count as
in flight, and `--resume --journal J` goes on after the last row handed over.

A run stopped by a fatal error answers the rows it did not start with a row whose error begins
with `NOT_PROCESSED`. They are not journaled as done, the journal is kept, and the output is read
only up to the first of them: `--resume` runs them (once the cause is fixed).

Input rows are skipped by position, not by id, so duplicate ``lhub_id`` values resume correctly;
the caller checks that the input still has that many rows. Only line formats (jsonl, devo) can
be resumed. Output and journal are created 0600 and never written through a symbolic link
(`runtime.files`).
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import orjson

from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime.files import make_parent, open_private, refuse_symlink
from mimecast_soar.runtime.journal import (
    JournalError,
    JournalState,
    open_journal,
    page_entry,
    read_journal,
    tail_hash,
)
from mimecast_soar.runtime.paging import PullStart

JOURNAL_SUFFIX = ".resume"
_Row = TypeVar("_Row")


#: How the error of a row a stopped run did not process begins (`runtime.runner`).
NOT_PROCESSED = "not processed:"

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
    `started_rows` had started (state-changing actions journal this before any request). `pull`
    is where the next row's record pull goes on, when its first pages were written.
    """

    done_rows: int = 0
    offset: int = 0
    started_rows: int = 0
    pull: PullStart | None = None

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
            if not isinstance(record, dict) or _not_processed(record):
                break
            offset += len(line)
            lines.append((offset, record.get("original_lhub_id")))
    return lines


def _not_processed(record: dict[str, Any]) -> bool:
    """True for the row of an input row a stopped run did not process (in jsonl or devo form)."""
    error = record.get("error")
    if error is None and "stdout" in record and isinstance(record.get("result"), str):  # devo
        try:
            inner = orjson.loads(record["result"])
        except orjson.JSONDecodeError:
            return False
        error = inner.get("error") if isinstance(inner, dict) else None
    return isinstance(error, str) and error.startswith(NOT_PROCESSED)


def resume_point(
    output: Path,
    *,
    one_row_per_input: bool,
    header_line: bytes,
    journal: Path | None = None,
) -> ResumePoint:
    """Where to continue writing `output` (see the module docstring for the rules).

    Raises `JournalError` when the journal (`journal`, by default beside the output) does not
    match `header_line` or the output.
    """
    state = read_journal(journal or journal_path(output), header_line, output)
    if not output.exists():
        if state is not None and (state.done_rows or state.page is not None):
            raise JournalError(
                f"the resume journal says {state.done_rows} rows were written to {output}, "
                "which does not exist: remove the journal to start over"
            )
        return ResumePoint(0, 0, state.started_rows if state else 0)
    journaled = None if state is None else _point(state)
    start = journaled or ResumePoint()
    lines = _complete_lines(output, start.offset)
    if one_row_per_input:
        if lines:
            done = start.done_rows + len(lines)
            return ResumePoint(done, lines[-1][0], max(start.started_rows, done))
        return start
    if journaled is not None:
        return journaled
    # No journal: groups of equal ids. An output that ends with its last complete line is one
    # a finished run wrote (it removed its journal): every group is a complete input row, and
    # nothing is pulled again. Anything after (a line cut short) says the run did not finish:
    # its last group may be incomplete, so it is pulled again.
    done, offset, previous = 0, 0, object()
    boundaries: list[int] = []
    for end, lhub_id in lines:
        if lhub_id != previous:
            boundaries.append(offset)
            previous = lhub_id
            done += 1
        offset = end
    if offset == output.stat().st_size:
        return ResumePoint(done, offset)
    if done <= 1:
        return ResumePoint()
    return ResumePoint(done - 1, boundaries[-1])


def _point(state: JournalState) -> ResumePoint:
    page = state.page
    pull = None if page is None else PullStart(page.token, page.records, page.rows)
    return ResumePoint(state.done_rows, state.offset, state.started_rows, pull)


def stdout_resume_point(journal: Path, header_line: bytes) -> ResumePoint:
    """Where a run to standard output stands: the journal alone is the record."""
    state = read_journal(journal, header_line, None)
    if state is None:
        raise JournalError(f"there is no resume journal at {journal}: nothing to resume")
    return _point(state)


def skip_done_rows(rows: Iterator[_Row], done_rows: int) -> None:
    """Consume the `done_rows` input rows a resumed run skips; refuse an input that is shorter
    (the journal, or the output it was read from, describes another input)."""
    skipped = sum(1 for _ in itertools.islice(rows, done_rows))
    if skipped < done_rows:
        raise JournalError(
            f"the resume journal says {done_rows} input rows are done but the input has only "
            f"{skipped}: it describes another input; remove it (and the output) to start over"
        )


def take_in_flight(rows: Iterator[_Row], count: int) -> list[_Row]:
    """The `count` rows after the done ones that the previous run had started."""
    taken = list(itertools.islice(rows, count))
    if len(taken) < count:
        raise JournalError(
            f"the resume journal says {count} more rows had started but the input has only "
            f"{len(taken)} left: it describes another input; remove it to start over"
        )
    return taken


class Journal:
    """Appends ``done <rows> <bytes> <tail>`` after each complete input row (`runtime.journal`).

    Wraps the run's progress reporter, since the runner reports each input row once all its
    rows are written. Rows are journaled only while `delivered()` holds: once the output is
    gone (a closed pipe), nothing more counts as done.
    """

    def __init__(
        self,
        inner: Any,
        stream: IO[str],
        path: Path,
        point: ResumePoint,
        *,
        header_line: bytes,
        fresh: bool,
        to_file: bool,
        delivered: Callable[[], bool] = lambda: True,
    ) -> None:
        self._inner = inner
        self._stream = stream
        self._path = path
        self._done = point.done_rows
        self._started = max(point.started_rows, point.done_rows)
        self._to_file = to_file
        self._delivered = delivered
        self._handle: IO[bytes] | None = open_journal(path, header_line, fresh=fresh)
        self._skipped = False

    def start(self, total: int | None) -> None:
        """Forward to the wrapped reporter."""
        self._inner.start(total)

    def advance(self, rows: int = 1, errors: int = 0) -> None:
        """Journal the output's size after `rows` more complete input rows."""
        self._inner.advance(rows, errors)
        if self._handle is None:
            return
        self._stream.flush()
        if not self._delivered():
            return
        self._done += rows
        if self._to_file:
            fd = self._stream.fileno()
            size = os.fstat(fd).st_size
            entry = f"done {self._done} {size} {tail_hash(fd, size)}\n"
        else:
            entry = f"done {self._done} - -\n"
        self._handle.write(entry.encode())
        self._handle.flush()

    def records(self, count: int) -> None:
        """Forward to the wrapped reporter (records are journaled page by page)."""
        forward = getattr(self._inner, "records", None)
        if forward is not None:
            forward(count)

    def page(self, records: int, rows: int, token: str) -> None:
        """Journal that the row in progress wrote every row of its pull's pages so far: `rows`
        rows of `records` records; its pull goes on with the page of `token`."""
        if self._handle is None:
            return
        self._stream.flush()
        if not self._delivered():
            return
        if self._to_file:
            fd = self._stream.fileno()
            size: int | None = os.fstat(fd).st_size
            tail = tail_hash(fd, size or 0)
        else:
            size, tail = None, "-"
        self._handle.write(page_entry(self._done, records, rows, size, tail, token).encode())
        self._handle.flush()

    def not_processed(self, rows: int = 1) -> None:
        """Count `rows` answered "not processed" (a stopped run) without journaling them."""
        self._inner.advance(rows, rows)
        self._skipped = True

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
        """Close the journal; delete it when the run went through every input row (rows answered
        "not processed" do not count: the journal stays for `--resume`)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if complete and not self._skipped:
            self._path.unlink(missing_ok=True)


def open_output(
    target: str,
    *,
    resume: bool,
    fmt: str,
    one_row_per_input: bool = True,
    header_line: bytes = b"",
    journal: Path | None = None,
) -> tuple[IO[str], ResumePoint]:
    """The stream to write to and, on resume, where the run stands (output truncated to it).

    The output file is created 0600 and opened for reading too (the journal hashes what was
    written); a symbolic link is refused. `journal` overrides where the journal is kept.
    """
    if resume and fmt == "csv":
        raise ConfigurationError("--resume works with the jsonl and devo formats, not csv")
    if target == "-":
        if not resume:
            return sys.stdout, ResumePoint()
        if journal is None:
            raise ConfigurationError("--resume to standard output needs --journal FILE")
        return sys.stdout, stdout_resume_point(journal, header_line)
    path = Path(target)
    what = "the output"
    refuse_symlink(path, what)
    point = ResumePoint()
    if resume:
        point = resume_point(
            path, one_row_per_input=one_row_per_input, header_line=header_line, journal=journal
        )
    make_parent(path, what)
    fd = open_private(path, what, truncate=not resume, readable=True)
    if resume:
        os.ftruncate(fd, point.offset)
        os.lseek(fd, point.offset, os.SEEK_SET)
    else:
        (journal or journal_path(path)).unlink(missing_ok=True)
    return os.fdopen(fd, "w", encoding="utf-8", newline="\n"), point
