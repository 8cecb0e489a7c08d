"""Stopping a run early when the service cannot be reached at all.

A dead host (connection refused, no route, a name that does not resolve, a connect timeout, a
TLS failure) used to cost every row its full retries. The runner asks a `ReachWatch` before each
row starts: until some call has been answered, at most `FAIL_FAST_ROWS` rows try the service at
once, and once that many rows have failed to connect with no answer at all in the run, the watch
gives up and the runner stops the run as fatal (the rows not started are reported "not
processed"). So a dead service costs `FAIL_FAST_ROWS` rows' worth of attempts, run side by side.
After the first answer of any kind (an HTTP error is an answer: the host is there) the watch
steps aside for the rest of the run.

The watch sees a row's calls through `WatchedContext`, the row's view of the action context. It
decides on our error types only (`ConnectError`, `TLSError`), never on Mimecast's paths.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, cast

import anyio

from mimecast_soar.errors import ConnectError, MimecastError, TLSError

if TYPE_CHECKING:
    from mimecast_soar.actions.spec import ActionContext
    from mimecast_soar.actions.values import BatchWindow
    from mimecast_soar.api import MimecastResponse, Pagination
    from mimecast_soar.api.download import Downloaded
    from mimecast_soar.api.endpoints import Endpoint

#: Rows that must fail to connect, with nothing answered in the run, before the run stops.
FAIL_FAST_ROWS = 3


def is_connection_failure(error: BaseException) -> bool:
    """True when `error` says the service could not be reached (nothing was exchanged)."""
    return isinstance(error, ConnectError | TLSError)


def describe_unreachable(error: MimecastError, rows: int) -> str:
    """The one line of a run stopped because the service could not be reached."""
    # The client's connection errors say which host and why (`api.http_errors.connect_cause`).
    host = getattr(error, "host", None) or "the service"
    cause = getattr(error, "cause", None) or error.message.split(". Gave up after")[0].rstrip(".")
    return (
        f"cannot reach {host}: {cause}; stopped after {rows} rows failed to connect and none "
        "succeeded"
    )


class ReachWatch:
    """Whether the service has answered yet, and how many rows failed to reach it before."""

    def __init__(self, threshold: int | None = FAIL_FAST_ROWS) -> None:
        """`threshold` None turns the watch off: every row may start, nothing gives up."""
        if threshold is not None and threshold < 1:
            raise ValueError("threshold must be at least 1")
        self.threshold = threshold or 0
        self.reached = threshold is None
        self.failed_rows = 0
        self.last_failure: MimecastError | None = None
        self._probing = 0
        self._changed = anyio.Event()

    @property
    def gave_up(self) -> bool:
        """True once `threshold` rows failed to connect and nothing was ever answered."""
        return not self.reached and self.failed_rows >= self.threshold

    def verdict(self) -> str:
        """The line that stops the run (only meaningful once `gave_up`)."""
        failure = self.last_failure
        if failure is None:
            return "cannot reach the service"
        return describe_unreachable(failure, self.failed_rows)

    async def admit(self) -> bool:
        """Wait until a row may start; True when it starts as one of the probing rows.

        Returns at once after the first answer, and once the watch gave up (the caller then
        does not process the row).
        """
        while not self.reached and not self.gave_up:
            if self._probing + self.failed_rows < self.threshold:
                self._probing += 1
                return True
            await self._changed.wait()
        return False

    def answered(self) -> None:
        """A call got an answer of any kind: the service is there."""
        if not self.reached:
            self.reached = True
            self._wake()

    def row_done(self, probe: bool, failure: MimecastError | None) -> None:
        """A row admitted by `admit` ended; `failure` is its connection failure, if any."""
        if probe:
            self._probing -= 1
        if failure is not None and not self.reached:
            self.failed_rows += 1
            self.last_failure = failure
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()


class RowReach:
    """What one row's calls met: its connection failure, if it had one."""

    __slots__ = ("failure",)

    def __init__(self) -> None:
        self.failure: MimecastError | None = None


class WatchedContext:
    """One row's view of the action context: tells the watch what each call met."""

    def __init__(self, inner: ActionContext, watch: ReachWatch, row: RowReach) -> None:
        self._inner = inner
        self._watch = watch
        self._row = row

    @property
    def window(self) -> BatchWindow:
        """The batch window of the run."""
        return self._inner.window

    @property
    def api_version(self) -> str:
        """The connection's API version, as the run's context says."""
        return self._inner.api_version

    async def download(
        self, endpoint: Endpoint, data: list[Any], *, name: str, server_name: bool = True
    ) -> Downloaded:
        """The run context's download, watched."""
        try:
            downloaded = await self._inner.download(
                endpoint, data, name=name, server_name=server_name
            )
        except MimecastError as error:
            self.met(error)
            raise
        self._watch.answered()
        return downloaded

    def notice(self, text: str) -> None:
        """Forwarded to the run's context."""
        self._inner.notice(text)

    @property
    def reached(self) -> bool:
        """True once the service answered a call of the run."""
        return self._watch.reached

    def answered(self) -> None:
        """A call of this row got an answer."""
        self._watch.answered()

    def met(self, error: MimecastError) -> None:
        """A call of this row failed with `error`."""
        if is_connection_failure(error):
            self._row.failure = error
        else:
            self._watch.answered()

    async def call(self, endpoint: Endpoint, data: list[Any]) -> MimecastResponse:
        """The run context's call, watched."""
        try:
            response = await self._inner.call(endpoint, data)
        except MimecastError as error:
            self.met(error)
            raise
        self._watch.answered()
        return response

    def paginate(
        self,
        endpoint: Endpoint,
        data: list[Any],
        *,
        page_size: int | None = None,
        max_records: int | None = None,
    ) -> Pagination:
        """The run context's pull, watched until its first page answers."""
        pull = self._inner.paginate(endpoint, data, page_size=page_size, max_records=max_records)
        return cast("Pagination", _WatchedPull(pull, self))


class _WatchedPull:
    """A `Pagination` whose first answer (a record, or the end) is reported to the watch.

    A pull that starts after the service answered is iterated as it is, with no extra step.
    """

    def __init__(self, pull: Pagination, context: WatchedContext) -> None:
        self._pull = pull
        self._context = context
        self._iterator: AsyncIterator[dict[str, Any]] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pull, name)  # `truncated` and the rest, as the pull has them

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        if self._context.reached:
            return self._pull.__aiter__()
        self._iterator = self._pull.__aiter__()
        return self

    async def __anext__(self) -> dict[str, Any]:
        assert self._iterator is not None
        try:
            record = await self._iterator.__anext__()
        except StopAsyncIteration:
            self._context.answered()
            raise
        except MimecastError as error:
            self._context.met(error)
            raise
        self._context.answered()
        return record
