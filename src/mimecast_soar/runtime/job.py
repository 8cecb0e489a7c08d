"""One run of an action from an input table to an output: what `run` and `devo exec` share.

`run_job` opens the output (and its checked journal, `runtime.resume`), resumes where a killed
run stood, sets each row's id and carried columns (`runtime.correlation`), answers the rows a
killed run had left in flight, runs the action over the rest (`session.run_to_sink`) and closes
everything whatever happens. It returns an `Outcome`: the counts, and whether the run was
interrupted or lost its reader. The callers keep only what is theirs: the CLI its arguments and
live display, the platform adapter its environment and throttled client.

Exit status (`Outcome.exit_status`, the CLI's; documented in `run --help` and the README):

- 0: every input row was answered and no output row is an error row;
- 3 (`EXIT_ROW_ERRORS`): the run finished, and some output rows are error rows;
- 1: the run stopped on a fatal error (every row not processed got an error row saying so);
- 2: a usage, file or journal problem, before any call (raised, not returned here);
- 130: interrupted (Ctrl-C); 141: the reader closed standard output.

A resumed run counts the rows it wrote itself (and the rows a killed run had in flight); the
error rows of the part written before are not read again.

`Outcome.platform_exit_status` is `devo exec`'s: the platform reads errors from the rows, so it
is 0 whenever every input row got its rows (a fatal stop included) and 1 only when one did not.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

import anyio

from mimecast_soar.actions import BatchWindow
from mimecast_soar.actions.spec import ActionSpec, OutputShape, error_row
from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime.connection import Connection
from mimecast_soar.runtime.correlation import Correlation
from mimecast_soar.runtime.interrupt import run_until_interrupted
from mimecast_soar.runtime.journal import header as journal_header
from mimecast_soar.runtime.journal import input_fingerprint
from mimecast_soar.runtime.paging import PullStart
from mimecast_soar.runtime.progress import NullProgress, ProgressReporter
from mimecast_soar.runtime.resume import (
    UNKNOWN_AFTER_KILL,
    Journal,
    journal_path,
    open_output,
    skip_done_rows,
    take_in_flight,
)
from mimecast_soar.runtime.runner import RunSummary
from mimecast_soar.runtime.session import run_to_sink
from mimecast_soar.runtime.stdout_guard import EXIT_CLOSED_OUTPUT, GuardedOutput
from mimecast_soar.runtime.tables import InputRow
from mimecast_soar.runtime.writers import RUN_FLUSH_INTERVAL_SECONDS, RowWriter, open_writer

if TYPE_CHECKING:
    from mimecast_soar.api import MimecastClient

EXIT_OK = 0
EXIT_FATAL = 1
EXIT_USAGE = 2
#: The run finished and at least one output row is an error row.
EXIT_ROW_ERRORS = 3
EXIT_INTERRUPTED = 130
__all__ = ["EXIT_CLOSED_OUTPUT", "Job", "Outcome", "run_job"]

#: Builds the client a job runs on (the platform's throttled one); None: the job makes its own.
ClientFactory = Callable[[], AbstractAsyncContextManager["MimecastClient"]]


@dataclass(frozen=True)
class Job:
    """What to run, over which connection and settings, and where its rows go.

    `output` is a path or `-` (standard output); `journal` overrides where the resume journal
    is kept (beside an output file by default, none for standard output unless given);
    `keep_journal=False` keeps none at all. `input_source` is the input file (None: standard
    input), which the journal fingerprints. `catch_interrupt` lets Ctrl-C stop the run cleanly.
    """

    spec: ActionSpec
    connection: Connection
    settings: Mapping[str, str | None]
    window: BatchWindow
    output: str = "-"
    fmt: str = "jsonl"
    concurrency: int = 8
    correlation: Correlation = field(default_factory=Correlation)
    resume: bool = False
    journal: Path | None = None
    keep_journal: bool = True
    csv_raw: bool = False
    input_source: Path | None = None
    catch_interrupt: bool = False
    #: Where actions that download files write them (None: downloads are refused).
    files_dir: Path | None = None

    def journal_file(self) -> Path | None:
        """Where this run's journal is kept, if anywhere."""
        if not self.keep_journal:
            return None
        if self.journal is not None:
            return self.journal
        return journal_path(Path(self.output)) if self.output != "-" else None


@dataclass
class Outcome:
    """What a job did: the runner's counts and how the run ended."""

    summary: RunSummary
    #: Input rows a resumed run found done, and rows a killed run had left in flight.
    done_before: int = 0
    in_flight_before: int = 0
    interrupted: bool = False
    closed_output: bool = False
    resumable: bool = False

    @property
    def error_rows(self) -> int:
        """Error rows written by this run (rows left in flight before are error rows too)."""
        return self.summary.error_rows + self.in_flight_before

    @property
    def every_row_answered(self) -> bool:
        """True when every input row got all its output rows."""
        summary = self.summary
        return (
            not (self.interrupted or self.closed_output or summary.stopped)
            and summary.completed_rows == summary.input_rows
        )

    def exit_status(self) -> int:
        """The CLI's exit status (see the module docstring)."""
        if self.closed_output:
            return EXIT_CLOSED_OUTPUT
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.summary.fatal:
            return EXIT_FATAL
        return EXIT_ROW_ERRORS if self.error_rows else EXIT_OK

    def platform_exit_status(self) -> int:
        """`devo exec`'s exit status: 0 when every input row got its rows, else 1."""
        return EXIT_OK if self.every_row_answered else EXIT_FATAL

    def report(self, name: str) -> list[str]:
        """The lines for standard error that end the run (none after a closed output)."""
        summary = self.summary
        if self.closed_output:
            return []
        if self.interrupted:
            done = self.done_before + summary.completed_rows
            return [
                f"interrupted: {done} input rows done ({summary.output_rows} output rows written "
                f"now, {summary.interrupted_rows} marked as unknown outcome); "
                + ("continue with --resume" if self.resumable else "no output file to resume")
            ]
        lines = [
            f"{name}: {summary.input_rows} input rows, {summary.output_rows} output rows, "
            f"{summary.error_rows} error rows"
            + (f", {self.done_before} already done" if self.done_before else "")
            + (f", {self.in_flight_before} in flight before" if self.in_flight_before else "")
        ]
        if summary.fatal:
            lines.append(
                f"error: the run stopped: {summary.fatal}"
                + (
                    f" ({summary.not_processed_rows} rows not processed: --resume runs them)"
                    if summary.not_processed_rows and self.resumable
                    else ""
                )
            )
        return lines


def run_job(
    job: Job,
    rows: Iterable[InputRow],
    *,
    say: Callable[[str], None],
    progress: ProgressReporter | None = None,
    count_rows: Callable[[], int | None] | None = None,
    client: ClientFactory | None = None,
) -> Outcome:
    """Run `job` over `rows` (see the module docstring); `say` prints one line on stderr.

    `count_rows` gives the input's total for a live `progress` display (it reads the input once
    more, so it is called only when `progress` shows something). Raises `ConfigurationError`
    (and its `JournalError`) before any call for an output or journal that cannot be used.
    """
    spec = job.spec
    journal_file = job.journal_file()
    if job.resume and journal_file is None:
        raise ConfigurationError("--resume needs --output FILE (or --journal FILE for stdout)")
    to_file = job.output != "-"
    header_line = journal_header(
        action=spec.id,
        fmt=job.fmt,
        input_print=input_fingerprint(job.input_source),
        to_file=to_file,
        correlation=job.correlation.describe(),
    )
    raw_stream, point = open_output(
        job.output,
        resume=job.resume,
        fmt=job.fmt,
        one_row_per_input=spec.output is not OutputShape.RECORDS,
        header_line=header_line,
        journal=journal_file,
    )
    guard = GuardedOutput(raw_stream)
    stream = cast(IO[str], guard)
    remaining = iter(job.correlation.apply(rows))
    skip_done_rows(remaining, point.done_rows)
    in_flight = take_in_flight(remaining, point.in_flight_rows if spec.mutating else 0)
    # The row a killed run was pulling goes on with the page after the last one written (unless
    # it was in flight, and answered so).
    first_pull = None if in_flight else point.pull
    writer = open_writer(
        job.fmt, stream, flush_interval_seconds=RUN_FLUSH_INTERVAL_SECONDS, csv_raw=job.csv_raw
    )
    reporter: Any = progress or NullProgress()
    journal: Journal | None = None
    if journal_file is not None and job.fmt != "csv":
        journal = reporter = Journal(
            reporter,
            stream,
            journal_file,
            point,
            header_line=header_line,
            fresh=not job.resume,
            to_file=to_file,
            delivered=guard.delivered,
        )
    outcome = Outcome(
        RunSummary(),
        done_before=point.done_rows,
        in_flight_before=len(in_flight),
        resumable=journal is not None,
    )
    ran = False
    try:
        live = progress is not None and not isinstance(progress, NullProgress)
        total = count_rows() if live and count_rows is not None else None
        reporter.start(None if total is None else max(0, total - point.done_rows))
        _answer_in_flight(in_flight, writer, reporter, say)
        outcome.summary, outcome.interrupted = anyio.run(
            lambda: _run(job, remaining, writer, guard, reporter, journal, say, client, first_pull)
        )
        ran = True
    finally:
        reporter.close()
        writer.close()  # a CSV is written only now: its reader may be gone by then too
        if raw_stream is not sys.stdout:
            raw_stream.close()
        else:
            guard.flush()
        outcome.closed_output = guard.broken
        if journal is not None:
            journal.finish(complete=ran and not outcome.summary.stopped and not guard.broken)
    return outcome


def _answer_in_flight(
    in_flight: list[InputRow], writer: RowWriter, progress: Any, say: Callable[[str], None]
) -> None:
    """Started by the killed run, maybe sent: never send them again, say so in their rows."""
    for row in in_flight:
        writer.write(row.lhub_id, {**(row.carried or {}), **error_row(UNKNOWN_AFTER_KILL)})
        progress.advance(1, 1)
    if in_flight:
        say(
            f"{len(in_flight)} row(s) were in flight when the previous run stopped: "
            "their outcome is unknown and they were not sent again (see their error rows)"
        )


async def _run(
    job: Job,
    rows: Iterable[InputRow],
    writer: RowWriter,
    guard: GuardedOutput,
    progress: Any,
    journal: Journal | None,
    say: Callable[[str], None],
    client: ClientFactory | None,
    first_pull: PullStart | None,
) -> tuple[RunSummary, bool]:
    async def go(stop: anyio.Event | None, interrupt: Any) -> RunSummary:
        options: dict[str, Any] = {
            "connection": job.connection,
            "settings": job.settings,
            "window": job.window,
            "concurrency": job.concurrency,
            "progress": progress,
            "on_notice": say,
            "stop": stop,
            "interrupt": interrupt,
            "on_row_start": journal.row_started if journal and job.spec.mutating else None,
            "files_dir": job.files_dir,
            "first_pull": first_pull,
        }
        if client is None:
            return await run_to_sink(job.spec, rows, writer, **options)
        async with client() as active:
            return await run_to_sink(job.spec, rows, writer, client=active, **options)

    if job.catch_interrupt:
        return await run_until_interrupted(go, guard)
    return await go(None, None), False
