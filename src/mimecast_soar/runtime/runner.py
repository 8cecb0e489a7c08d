"""Running an action over the rows of a table: concurrently, in input order, nothing lost.

Rows start in input order, at most `concurrency` at a time, through one shared client. Each row
streams its output rows into its own bounded channel; the writer drains the channels in input
order, so the head row's output streams straight to the file (a million-record log pull stays at
flat memory) while the rows behind it wait with a bounded buffer.

Every input row yields at least one output row correlated to it: a malformed input line, a bad
value, an API failure each become an error row. A fatal error (bad credentials, expired binding,
TLS failure) stops the run; the row that met it and every row not yet processed get an error row
naming the cause, so the output still has one row or more per input row. So does a service that
cannot be reached at all: once `FAIL_FAST_ROWS` rows failed to connect with no call answered in
the run, the run stops (see `runtime.failfast`; until the first answer only that many rows try).
Rows not started because of a stop are "not processed": they are reported to the progress sink's
`not_processed` (the resume journal does not count them as done, so `--resume` runs them).

Stopping early (Ctrl-C): when the `stop` event is set, no further row starts; rows in flight go
on. When the caller then cancels `run` (a grace period ran out), the rows already finished are
still written in order, and for a state-changing action every row that had started gets an error
row saying its outcome is unknown, so it is never sent again by a resumed run. A read that had
not finished is left out (a resumed run pulls it again). The rows written are therefore always
a prefix of the input, each with all its output rows: `progress.advance` is called once per
complete input row, which is what `runtime.resume` journals.

Record pulls (`OutputShape.RECORDS`) read one page ahead and are marked page by page
(`runtime.paging`): when the writer reaches a page mark, every row of the pages before it is
written, and `progress.page` (the journal) records the point, so a resumed run goes on with the
next page (`first_pull`, for the first input row it is given) instead of the first. Rows of
records are counted for `progress.records` (records/s on a display).
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, TypeVar

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from mimecast_soar.actions.spec import (
    ActionContext,
    ActionSpec,
    OutputShape,
    Row,
    describe_error,
    error_row,
    no_results_row,
    run_row,
)
from mimecast_soar.errors import MimecastSoarError
from mimecast_soar.runtime.failfast import FAIL_FAST_ROWS, ReachWatch, RowReach, WatchedContext
from mimecast_soar.runtime.paging import PagedContext, PageMark, PullStart
from mimecast_soar.runtime.resolve import RowResolver
from mimecast_soar.runtime.resume import NOT_PROCESSED
from mimecast_soar.runtime.tables import InputRow
from mimecast_soar.runtime.templates import RenderInterrupted
from mimecast_soar.safetext import printable
from mimecast_soar.secret import Redactor

_T = TypeVar("_T")
_NO_RESULTS = no_results_row()

#: Output rows a row that is not yet at the head may hold before it waits for the writer. At
#: least one full page of the largest list endpoints (500 records): the head row then asks for
#: its next page while the writer is still writing the current one.
ROW_BUFFER = 512

#: Rows that may finish ahead of the head row (the oldest unfinished one) while it waits, e.g.
#: on a retry's backoff. With only 2 x concurrency, one retried row stalled the whole run.
ORDER_WINDOW = 256

#: The error row of a row whose template was interrupted, when the runner has no `stop` event.
INTERRUPTED_TEMPLATE = "the run was interrupted while this row's template was rendering"

#: The error row of a state-changing row that was in flight when the run was interrupted.
INTERRUPTED_CHANGE = (
    "the run was interrupted while this row was being processed: its request may have reached "
    "Mimecast, so the outcome is unknown and it will not be sent again by --resume; check "
    "whether it took effect before running it again."
)


class RowSink(Protocol):
    """Where output rows go: a table writer."""

    def write(self, lhub_id: int | str | None, row: dict[str, Any]) -> None: ...


class ProgressSink(Protocol):
    """What the runner reports progress to (see `runtime.progress`)."""

    def advance(self, rows: int = 1, errors: int = 0) -> None: ...

    # A sink may also have `not_processed(rows)`: then rows answered "not processed" after a
    # stop go there instead of `advance` (the resume journal does not count them as done);
    # `records(count)`: rows of records written (record pulls); `page(records, rows, token)`:
    # the input row in progress has written every row of its pull's pages so far.


@dataclass
class RunSummary:
    """Counts of one run."""

    input_rows: int = 0
    output_rows: int = 0
    error_rows: int = 0
    fatal: str | None = None
    notices: list[str] = field(default_factory=list)
    #: True when the `stop` event ended the run before every input row had started.
    stopped: bool = False
    #: State-changing rows marked as interrupted with an unknown outcome.
    interrupted_rows: int = 0
    #: Input rows whose output rows were all written.
    completed_rows: int = 0
    #: Input rows answered "not processed" because the run had stopped (a fatal error).
    not_processed_rows: int = 0


def redact_row(row: Row, redactor: Redactor, *, deep: bool) -> Row:
    """Scrub every secret from a row's error (and, when `deep`, from every text in it).

    The error is also made printable: it may quote a server's text, and rows are read in
    terminals and spreadsheets.
    """
    error = row.get("error")
    if isinstance(error, str):
        row["error"] = printable(redactor(error))
    if not deep or not len(redactor):
        return row
    scrubbed: Row = _scrub(row, redactor)
    return scrubbed


def _scrub(value: Any, redactor: Redactor) -> Any:
    if isinstance(value, str):
        return redactor(value)
    if isinstance(value, dict):
        return {key: _scrub(item, redactor) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, redactor) for item in value]
    return value


@dataclass
class _Slot:
    """One input row in flight: its id and the receiving end of its output channel."""

    lhub_id: int | str | None
    receive: MemoryObjectReceiveStream[_Item]
    started: bool = False
    #: The row was decided "not processed" when it started (the run had stopped by then).
    skipped: bool = False
    #: `on_row_start` was called for the row: it may have been journaled as started.
    announced: bool = False
    #: One of the rows let through while the service had not answered yet (`ReachWatch`).
    probe: bool = False
    finished: bool = False  # every output row of the input row was produced
    written: int = 0
    errors: int = 0
    carried: dict[str, Any] | None = None  # input columns copied into each output row
    #: Where the pull of a resumed row goes on (the first row of a resumed run), if anywhere.
    pull: PullStart | None = None


#: What a row's output stream carries: its rows, and page marks between the pages of a pull.
_Item = Row | PageMark


_Work = tuple[InputRow, _Slot, MemoryObjectSendStream[_Item]]


async def _put(stream: MemoryObjectSendStream[_T], item: _T) -> None:
    """Send without an event-loop turn when the stream has room (a turn per row adds up)."""
    try:
        stream.send_nowait(item)
    except anyio.WouldBlock:
        await stream.send(item)


def _offer(stream: MemoryObjectSendStream[_Item], item: _Item) -> bool:
    """Send if the stream has room, now; False otherwise."""
    try:
        stream.send_nowait(item)
    except anyio.WouldBlock:
        return False
    return True


async def _acquire(limiter: anyio.Semaphore) -> None:
    """Acquire without an event-loop turn when the semaphore is free."""
    try:
        limiter.acquire_nowait()
    except anyio.WouldBlock:
        await limiter.acquire()


class TableRunner:
    """Runs one action over input rows and writes correlated output rows in input order."""

    def __init__(
        self,
        spec: ActionSpec,
        context: ActionContext,
        resolver: RowResolver,
        sink: RowSink,
        *,
        concurrency: int = 8,
        redactor: Redactor | None = None,
        progress: ProgressSink | None = None,
        stop: anyio.Event | None = None,
        stop_grace_seconds: float = 0.5,
        on_row_start: Callable[[], None] | None = None,
        fail_fast_rows: int | None = FAIL_FAST_ROWS,
        first_pull: PullStart | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.spec = spec
        self.context = context
        self.resolver = resolver
        self.sink = sink
        # Writers can flush; the runner does so whenever it is about to wait for a row.
        self._flush: Callable[[], None] | None = getattr(sink, "flush", None)
        self.concurrency = concurrency
        self.redactor = redactor or Redactor()
        self.progress = progress
        self.stop = stop
        self.stop_grace_seconds = stop_grace_seconds
        self.on_row_start = on_row_start
        self.summary = RunSummary()
        self._fatal: MimecastSoarError | str | None = None
        # None turns fail-fast off (a fake action that never calls would never be answered).
        self.fail_fast_rows = fail_fast_rows
        self._watch = ReachWatch(fail_fast_rows)
        self._deep_redact = spec.output is not OutputShape.RECORDS
        self._records = spec.output is OutputShape.RECORDS
        self._first_pull = first_pull if self._records else None
        self._report_records: Callable[[int], None] | None = getattr(progress, "records", None)
        self._report_page: Callable[[int, int, str], None] | None = getattr(progress, "page", None)
        self._unreported_records = 0
        # Rows started and not yet completely written, in input order.
        self._pending: deque[_Slot] = deque()

    async def run(self, rows: Iterable[InputRow]) -> RunSummary:
        """Process every row; returns the counts. Never raises for a row's failure.

        When cancelled, what finished is still written before the cancellation propagates
        (see the module docstring).
        """
        order_send, order_receive = anyio.create_memory_object_stream[_Slot](
            max(self.concurrency * 2, ORDER_WINDOW)
        )
        # A fixed set of workers takes the started rows: a task per row costs more CPU than the
        # row's own request. The limiter keeps at most `concurrency` rows started and not
        # finished, so the work channel (that big) always has room for the next one.
        work_send, work_receive = anyio.create_memory_object_stream[_Work](self.concurrency)
        limiter = anyio.Semaphore(self.concurrency)
        watcher = anyio.CancelScope()
        self._watch = ReachWatch(self.fail_fast_rows)
        try:
            async with anyio.create_task_group() as group:
                if self.stop is not None:
                    group.start_soon(self._cancel_after_stop, self.stop, watcher, group)
                group.start_soon(self._write_in_order, order_receive, watcher)
                async with work_receive:
                    for _ in range(self.concurrency):
                        group.start_soon(self._work, work_receive.clone(), limiter)
                async with order_send, work_send:
                    for input_row in rows:
                        if self.stop is not None and self.stop.is_set():
                            self.summary.stopped = True
                            break
                        self.summary.input_rows += 1
                        send, receive = anyio.create_memory_object_stream[_Item](ROW_BUFFER)
                        slot = _Slot(input_row.lhub_id, receive, carried=input_row.carried)
                        if self.summary.input_rows == 1:
                            slot.pull = self._first_pull
                        self._pending.append(slot)
                        try:
                            await _put(order_send, slot)
                            await _acquire(limiter)
                            if self._fatal is None:
                                slot.probe = await self._watch.admit()
                        except BaseException:  # cancelled before the row started
                            send.close()
                            raise
                        slot.started = True
                        if self._fatal is not None:
                            slot.skipped = True
                        elif self.on_row_start is not None:
                            slot.announced = True
                            self.on_row_start()  # before any request of the row can leave
                        work_send.send_nowait((input_row, slot, send))
        finally:
            self._salvage()
        return self.summary

    async def _work(self, work: MemoryObjectReceiveStream[_Work], limiter: anyio.Semaphore) -> None:
        async with work:
            async for input_row, slot, send in work:
                await self._process(input_row, slot, send, limiter)

    async def _process(
        self,
        input_row: InputRow,
        slot: _Slot,
        send: MemoryObjectSendStream[_Item],
        limiter: anyio.Semaphore,
    ) -> None:
        async with send:
            reach = RowReach()
            paged = None
            if self._records:
                paged = PagedContext(self.context, slot.pull, partial(_offer, send))
            # A resumed row that had written rows ends without the row of an empty pull.
            resumed = slot.pull is not None and slot.pull.rows > 0
            try:
                async for row in self._rows_for(input_row, slot, reach, paged):
                    if paged is not None:
                        while paged.marks:  # the rows of the pages before it were all sent
                            await _put(send, paged.marks.popleft())
                        if resumed and row == _NO_RESULTS:
                            continue
                    # Without a checkpoint while the channel has room: a page of records goes
                    # into the buffer in one go instead of one event-loop turn per record.
                    try:
                        send.send_nowait(row)
                    except anyio.WouldBlock:
                        await send.send(row)
                slot.finished = True
            finally:
                if paged is not None:
                    with anyio.CancelScope(shield=True):
                        await paged.aclose()  # no page read ahead outlives its row
                if slot.probe:
                    self._watch.row_done(True, reach.failure)
                    self._give_up_when_unreachable()
                limiter.release()

    def _give_up_when_unreachable(self) -> None:
        """Stop the run once the watch says the service cannot be reached."""
        if self._watch.gave_up and self._fatal is None:
            self._fatal = self.summary.fatal = self.redactor(self._watch.verdict())

    async def _rows_for(
        self, input_row: InputRow, slot: _Slot, reach: RowReach, paged: PagedContext | None
    ) -> AsyncIterator[Row]:
        # A row announced as started (journaled) before the stop goes on: a resumed run would
        # otherwise count it as in flight with an unknown outcome.
        if slot.skipped or (self._fatal is not None and not slot.announced):
            slot.skipped = True
            yield error_row(
                f"{NOT_PROCESSED} the run stopped after an earlier row failed: {self.summary.fatal}"
            )
            return
        if input_row.values is None:
            yield error_row(input_row.error or "the input row could not be read")
            return
        try:
            values = self.resolver.resolve(input_row.values)
        except RenderInterrupted:
            if self.stop is not None:
                # Ctrl-C: the stop that comes with it cancels the run, leaving this row out as
                # unfinished (a state change is marked as of unknown outcome, see `_salvage`).
                await anyio.sleep_forever()
            yield error_row(INTERRUPTED_TEMPLATE)
            return
        except Exception as error:  # ours or not, a row must never vanish
            yield error_row(describe_error(error))
            return
        conceal = self.resolver.concealed
        context: ActionContext = self.context if paged is None else paged
        if slot.probe:
            context = WatchedContext(context, self._watch, reach)
        try:
            async for row in run_row(self.spec, context, values):
                if conceal and isinstance(row.get("error"), str):
                    row["error"] = self.resolver.conceal(values, row["error"])
                yield row
        except MimecastSoarError as error:
            message = self.resolver.conceal(values, error.message) if conceal else error.message
            if self._fatal is None:
                self._fatal = error
                self.summary.fatal = self.redactor(message)
            yield error_row(message)

    def _write(self, slot: _Slot, row: Row) -> None:
        if slot.carried:
            row = {**slot.carried, **row}  # `runtime.correlation`: `input.` names, output wins
        row = redact_row(row, self.redactor, deep=self._deep_redact)
        self.sink.write(slot.lhub_id, row)
        slot.written += 1
        self.summary.output_rows += 1
        if row.get("has_error"):
            slot.errors += 1
        elif self._records and "noResults" not in row:
            self._unreported_records += 1

    def _page_done(self, slot: _Slot, mark: PageMark) -> None:
        """Every row of the pull's pages before `mark` is written: report the point."""
        self._flush_records()
        if self._report_page is not None:
            before = slot.pull.rows if slot.pull is not None else 0
            self._report_page(mark.records, before + slot.written, mark.token)

    def _flush_records(self) -> None:
        if self._unreported_records and self._report_records is not None:
            self._report_records(self._unreported_records)
        self._unreported_records = 0

    def _complete(self, slot: _Slot) -> None:
        slot.receive.close()
        self._flush_records()
        self._pending.popleft()
        self.summary.completed_rows += 1
        self.summary.error_rows += slot.errors
        if slot.skipped:
            self.summary.not_processed_rows += 1
        if self.progress is None:
            return
        skip = getattr(self.progress, "not_processed", None) if slot.skipped else None
        if skip is not None:
            skip(1)
        else:
            self.progress.advance(1, slot.errors)

    async def _cancel_after_stop(
        self, stop: anyio.Event, watcher: anyio.CancelScope, group: TaskGroup
    ) -> None:
        """Once `stop` is set, give rows in flight the grace period, then cancel the run."""
        with watcher:
            await stop.wait()
            await anyio.sleep(self.stop_grace_seconds)
            self.summary.stopped = True
            group.cancel_scope.cancel()

    async def _write_in_order(
        self, order: MemoryObjectReceiveStream[_Slot], watcher: anyio.CancelScope
    ) -> None:
        async with order:
            while True:
                try:
                    slot = await self._next(order)
                except anyio.EndOfStream:
                    break
                # Not `async with`: a cancelled writer leaves the stream open for `_salvage`.
                while True:
                    try:
                        item = await self._next(slot.receive)
                    except anyio.EndOfStream:
                        break
                    if isinstance(item, PageMark):
                        self._page_done(slot, item)
                    else:
                        self._write(slot, item)
                self._complete(slot)
        watcher.cancel()  # every row is written: nothing left to stop

    async def _next(self, stream: MemoryObjectReceiveStream[_T]) -> _T:
        """The next item, without an event-loop turn when one is ready; before waiting for one,
        flush the sink, so rows never linger in a buffer while the run waits."""
        try:
            return stream.receive_nowait()
        except anyio.WouldBlock:
            if self._flush is not None:
                self._flush()
            self._flush_records()
            return await stream.receive()

    def _salvage(self) -> None:
        """After a cancellation: write what finished, in order, and mark unfinished changes.

        Synchronous (the sink is), so it runs to the end inside a cancelled scope.
        """
        while self._pending:
            slot = self._pending[0]
            if not slot.started:
                break  # neither this row nor any later one was sent
            items: list[_Item] = []
            while True:
                try:
                    items.append(slot.receive.receive_nowait())
                except (anyio.WouldBlock, anyio.EndOfStream, anyio.ClosedResourceError):
                    break
            if not slot.finished and not self.spec.mutating:
                # An unfinished read is pulled again by a resumed run, from its last page mark:
                # write the pages it had sent in full.
                marked = [i for i, item in enumerate(items) if isinstance(item, PageMark)]
                for item in items[: marked[-1] + 1] if marked else ():
                    if isinstance(item, PageMark):
                        self._page_done(slot, item)
                    else:
                        self._write(slot, item)
                break
            rows = [item for item in items if not isinstance(item, PageMark)]
            for row in rows:
                self._write(slot, row)
            if not slot.finished and slot.written == 0:
                self._write(slot, error_row(INTERRUPTED_CHANGE))
                self.summary.interrupted_rows += 1
            self._complete(slot)
        for slot in self._pending:
            slot.receive.close()
        self._pending.clear()
