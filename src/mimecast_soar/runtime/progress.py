"""Progress of a run, reported through a small protocol so the runner knows nothing of terminals.

`make_progress(stream)` gives a live rich display when `stream` (standard error) is a terminal
and a silent reporter otherwise, so piped and platform runs print nothing extra. The display
shows rows done (of the total when the input could be counted), errors, rate and time left and,
once a record pull writes records, a second line with the records written and records/s (a
one-row pull of a million records otherwise shows `0/1 rows` for its whole length). Its console
and clock are injected, so tests render it into a string. rich is imported only when a display
is made: a run whose standard error is not a terminal never loads it (start-up time).

The rows themselves never mix with the display: when they go to the terminal the display would
be drawn on (standard output and standard error on the same terminal), there is no display.
A live line redrawn between rows would leave rows glued to the bar.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime.tables import table_source

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import TaskID

_CHUNK_BYTES = 1 << 20
_REFRESH_SECONDS = 0.1


class ProgressReporter(Protocol):
    """What the runner tells about its progress."""

    def start(self, total: int | None) -> None:
        """The run begins; `total` is the number of input rows, when known."""

    def advance(self, rows: int = 1, errors: int = 0) -> None:
        """`rows` more input rows are done, `errors` of them with an error row."""

    def records(self, count: int) -> None:
        """`count` more rows of records were written (record pulls)."""

    def close(self) -> None:
        """The run is over (also after a failure); leave the terminal clean."""


class NullProgress:
    """Reports nothing: for pipes, files and the platform."""

    def start(self, total: int | None) -> None:
        """Do nothing."""

    def advance(self, rows: int = 1, errors: int = 0) -> None:
        """Do nothing."""

    def records(self, count: int) -> None:
        """Do nothing."""

    def close(self) -> None:
        """Do nothing."""


@cache
def _column_types() -> tuple[Any, Any, Any]:
    """The rich columns that read the task's unit ("rows" or "records"): the count (of the
    total, for rows), the errors (rows only) and the rate. Classes made on first use, when rich
    is loaded."""
    from rich.progress import ProgressColumn, Task
    from rich.text import Text

    class CountColumn(ProgressColumn):
        """`done/total` for rows, a plain count for records."""

        def render(self, task: Task) -> Text:
            done = int(task.completed)
            if task.fields["unit"] == "records":
                return Text(f"{done:,}", style="green")
            total = "?" if task.total is None else f"{int(task.total)}"
            return Text(f"{done}/{total}", style="green")

    class ErrorsColumn(ProgressColumn):
        """Error rows (the rows line only)."""

        def render(self, task: Task) -> Text:
            if task.fields["unit"] == "records":
                return Text("")
            return Text(f"{task.fields['errors']} errors", style="red")

    class RateColumn(ProgressColumn):
        """Rows or records per second, from rich's speed estimate."""

        def render(self, task: Task) -> Text:
            unit = task.fields["unit"]
            speed = task.speed
            text = f"-- {unit}/s" if speed is None else f"{speed:,.1f} {unit}/s"
            return Text(text, style="cyan")

    return CountColumn, ErrorsColumn, RateColumn


class RichProgress:
    """A live progress line on a rich console, refreshed at most ten times a second."""

    def __init__(self, console: Console, clock: Callable[[], float] = time.monotonic) -> None:
        from rich.progress import (
            BarColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        count, errors, rate = _column_types()
        self._clock = clock
        self._progress = Progress(
            TextColumn("[bold]{task.fields[unit]:<7}"),
            BarColumn(),
            count(),
            errors(),
            rate(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[left]}"),
            TimeRemainingColumn(),
            console=console,
            get_time=clock,
            auto_refresh=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task: TaskID | None = None
        self._records_task: TaskID | None = None
        self._errors = 0
        self._last_refresh = float("-inf")

    def start(self, total: int | None) -> None:
        """Show the display with `total` rows expected (or an open count)."""
        self._progress.start()
        self._task = self._progress.add_task(
            "rows", total=total, errors=0, unit="rows", left="left"
        )
        self._refresh(force=True)

    def advance(self, rows: int = 1, errors: int = 0) -> None:
        """Count rows and errors; the display refreshes when 0.1 s have passed."""
        if self._task is None:
            return
        self._errors += errors
        self._progress.update(self._task, advance=rows, errors=self._errors)
        self._refresh(force=False)

    def records(self, count: int) -> None:
        """Count rows of records: a second line, with records/s, from the first on."""
        if self._task is None:
            return
        if self._records_task is None:
            self._records_task = self._progress.add_task(
                "records", total=None, errors=0, unit="records", left=""
            )
        self._progress.update(self._records_task, advance=count)
        self._refresh(force=False)

    def close(self) -> None:
        """Show the final counts and stop the display."""
        if self._task is not None:
            self._refresh(force=True)
            self._task = self._records_task = None
            self._progress.stop()

    def _refresh(self, *, force: bool) -> None:
        now = self._clock()
        if force or now - self._last_refresh >= _REFRESH_SECONDS:
            self._last_refresh = now
            self._progress.refresh()


def make_progress(stream: IO[str], *, rows_to: IO[str] | None = None) -> ProgressReporter:
    """A live display on `stream` when it is a terminal and rich is installed (the `terminal`
    extra), else a silent reporter. `rows_to` is where the rows go when that is a stream
    (standard output): on the same terminal as `stream`, there is no display."""
    if rows_to is not None and _same_terminal(stream, rows_to):
        return NullProgress()
    if _is_terminal(stream):
        try:
            from rich.console import Console
        except ImportError:
            return NullProgress()
        return RichProgress(Console(file=stream))
    return NullProgress()


def _is_terminal(stream: IO[str]) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return callable(isatty) and bool(isatty())
    except ValueError:  # closed
        return False


def _same_terminal(one: IO[str], other: IO[str]) -> bool:
    """True when both streams are terminals and the same one (a stream with no descriptor, a
    fake terminal in a test, counts as the same as any other terminal: no display)."""
    if not (_is_terminal(one) and _is_terminal(other)):
        return False
    try:
        return os.path.samestat(os.fstat(one.fileno()), os.fstat(other.fileno()))
    except (OSError, ValueError, AttributeError):
        return True


def count_rows(path: str | Path) -> int | None:
    """The number of rows of a JSONL file or part-file folder, counted fast; None otherwise.

    Counts lines in binary chunks (an upper bound when the file has blank lines). Returns None
    for standard input (`-`), CSV (a quoted field may span lines) and unreadable paths.
    """
    if str(path) == "-":
        return None
    try:
        source, fmt = table_source(path)
    except ConfigurationError:
        return None
    if fmt != "jsonl":
        return None
    lines = 0
    last = b"\n"
    try:
        with source.open("rb") as handle:
            while chunk := handle.read(_CHUNK_BYTES):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
    except OSError:
        return None
    return lines + (0 if last == b"\n" else 1)
