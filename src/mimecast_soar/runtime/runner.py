"""Running an action over the rows of a table: concurrently, in input order, nothing lost.

Rows start in input order, at most `concurrency` at a time, through one shared client. Each row
streams its output rows into its own bounded channel; the writer drains the channels in input
order, so the head row's output streams straight to the file (a million-record log pull stays at
flat memory) while the rows behind it wait with a bounded buffer.

Every input row yields at least one output row correlated to it: a malformed input line, a bad
value, an API failure each become an error row. A fatal error (bad credentials, expired binding,
TLS failure) stops the run; the row that met it and every row not yet processed get an error row
naming the cause, so the output still has one row or more per input row.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream

from mimecast_soar.actions.spec import (
    ActionContext,
    ActionSpec,
    OutputShape,
    Row,
    describe_error,
    error_row,
    run_row,
)
from mimecast_soar.errors import MimecastSoarError
from mimecast_soar.runtime.resolve import RowResolver
from mimecast_soar.runtime.tables import InputRow
from mimecast_soar.secret import Redactor

#: Output rows a row that is not yet at the head may hold before it waits for the writer.
ROW_BUFFER = 256


class RowSink(Protocol):
    """Where output rows go: a table writer."""

    def write(self, lhub_id: int | str | None, row: dict[str, Any]) -> None: ...


class ProgressSink(Protocol):
    """What the runner reports progress to (see `runtime.progress`)."""

    def advance(self, rows: int = 1, errors: int = 0) -> None: ...


@dataclass
class RunSummary:
    """Counts of one run."""

    input_rows: int = 0
    output_rows: int = 0
    error_rows: int = 0
    fatal: str | None = None
    skipped: int = 0
    notices: list[str] = field(default_factory=list)


def redact_row(row: Row, redactor: Redactor, *, deep: bool) -> Row:
    """Scrub every secret from a row's error (and, when `deep`, from every text in it)."""
    if not len(redactor):
        return row
    if not deep:
        error = row.get("error")
        if isinstance(error, str):
            row["error"] = redactor(error)
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
    receive: ObjectReceiveStream[Row]


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
        skip: Callable[[int | str | None], bool] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.spec = spec
        self.context = context
        self.resolver = resolver
        self.sink = sink
        self.concurrency = concurrency
        self.redactor = redactor or Redactor()
        self.progress = progress
        self.skip = skip
        self.summary = RunSummary()
        self._fatal: MimecastSoarError | None = None
        self._deep_redact = spec.output is not OutputShape.RECORDS

    async def run(self, rows: Iterable[InputRow]) -> RunSummary:
        """Process every row; returns the counts. Never raises for a row's failure."""
        order_send, order_receive = anyio.create_memory_object_stream[_Slot](self.concurrency * 2)
        limiter = anyio.Semaphore(self.concurrency)
        async with anyio.create_task_group() as group:
            group.start_soon(self._write_in_order, order_receive)
            async with order_send:
                for input_row in rows:
                    self.summary.input_rows += 1
                    if self.skip is not None and self.skip(input_row.lhub_id):
                        self.summary.skipped += 1
                        continue
                    send, receive = anyio.create_memory_object_stream[Row](ROW_BUFFER)
                    await order_send.send(_Slot(input_row.lhub_id, receive))
                    await limiter.acquire()
                    group.start_soon(self._process, input_row, send, limiter)
        return self.summary

    async def _process(
        self, input_row: InputRow, send: ObjectSendStream[Row], limiter: anyio.Semaphore
    ) -> None:
        async with send:
            try:
                async for row in self._rows_for(input_row):
                    await send.send(row)
            finally:
                limiter.release()

    async def _rows_for(self, input_row: InputRow) -> AsyncIterator[Row]:
        if self._fatal is not None:
            yield error_row(f"not processed: the run stopped because {self._fatal.message}")
            return
        if input_row.values is None:
            yield error_row(input_row.error or "the input row could not be read")
            return
        try:
            values = self.resolver.resolve(input_row.values)
        except MimecastSoarError as error:
            yield error_row(describe_error(error))
            return
        except Exception as error:  # a row must never vanish
            yield error_row(describe_error(error))
            return
        try:
            async for row in run_row(self.spec, self.context, values):
                yield row
        except MimecastSoarError as error:
            if self._fatal is None:
                self._fatal = error
                self.summary.fatal = self.redactor(error.message)
            yield error_row(error.message)

    async def _write_in_order(self, order: ObjectReceiveStream[_Slot]) -> None:
        async with order:
            async for slot in order:
                errors = 0
                async with slot.receive:
                    async for row in slot.receive:
                        row = redact_row(row, self.redactor, deep=self._deep_redact)
                        self.sink.write(slot.lhub_id, row)
                        self.summary.output_rows += 1
                        if row.get("has_error"):
                            errors += 1
                self.summary.error_rows += errors
                if self.progress is not None:
                    self.progress.advance(1, errors)
