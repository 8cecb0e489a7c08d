"""Page points of a record pull: where a resumed run goes on, and what the runner journals.

A records action (`OutputShape.RECORDS`) turns each record of its pull into rows as the record
arrives: once every record of the pages read so far has been handed out, every row of those
records has been yielded too. `PagedContext` wraps a row's context so that the first pull the
row makes

- reads one page ahead (`Pagination.prefetch`): the next page is on its way while the rows of
  the current one are written;
- reports each such point as a `PageMark` (records handed out, token of the next page), which
  the runner puts in the row's output stream between the last row of one page and the first of
  the next: when the writer reaches it, the output holds exactly the rows of those pages, and
  the resume journal records the point (`runtime.resume`);
- starts, for the row a killed run was pulling, from the journal's point (`PullStart`): the
  token of the next page and the records already taken, so `max_records` caps the whole pull.

Only the first pull of a row is marked and resumed: a later pull of the same row would otherwise
be confused with it. An action that collects records before yielding rows must not be a records
action (it would be journaled past rows it had not yet yielded).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mimecast_soar.actions.spec import ActionContext
    from mimecast_soar.actions.values import BatchWindow
    from mimecast_soar.api import MimecastResponse, Pagination
    from mimecast_soar.api.endpoints import Endpoint


@dataclass(frozen=True)
class PullStart:
    """Where the pull of a resumed row goes on: the token of its next page, the records it had
    taken and the output rows it had written (so a row that wrote rows ends without the
    `noResults` row of an empty pull)."""

    token: str
    records: int
    rows: int


@dataclass(frozen=True)
class PageMark:
    """In a row's output stream: the rows before it are those of `records` records, every one
    of fully read pages; the pull goes on with the page of `token`."""

    records: int
    token: str


class PagedContext:
    """A row's `ActionContext` whose first pull reads ahead, is marked page by page and, for a
    resumed row, starts where the journal says (see the module docstring)."""

    def __init__(
        self,
        inner: ActionContext,
        start: PullStart | None = None,
        offer: Callable[[PageMark], bool] = lambda _mark: False,
    ) -> None:
        self._inner = inner
        self._start = start
        self._offer = offer
        #: Marks `offer` could not take (a full output stream): the runner sends them before
        #: the row's next output row.
        self.marks: deque[PageMark] = deque()
        self._pulls: list[Pagination] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)  # anything else a context offers, as it is

    @property
    def window(self) -> BatchWindow:
        """The run's batch window."""
        return self._inner.window

    @property
    def api_version(self) -> str:
        """The connection's API version."""
        return self._inner.api_version

    async def call(self, endpoint: Endpoint, data: list[Any]) -> MimecastResponse:
        """The wrapped context's call."""
        return await self._inner.call(endpoint, data)

    def paginate(
        self,
        endpoint: Endpoint,
        data: list[Any],
        *,
        page_size: int | None = None,
        max_records: int | None = None,
    ) -> Pagination:
        """The wrapped context's pull, reading ahead; the row's first one marked and resumed."""
        pull = self._inner.paginate(endpoint, data, page_size=page_size, max_records=max_records)
        pull.prefetch = True
        if not self._pulls:
            if self._start is not None:
                pull.start_from(self._start.token, self._start.records)
            pull.on_page = self._mark
        self._pulls.append(pull)
        return pull

    def notice(self, text: str) -> None:
        """The wrapped context's notice."""
        self._inner.notice(text)

    def _mark(self, records: int, token: str) -> None:
        # Offered at once: the next page may be long on its way, and the rows before the mark
        # are already in the output stream (the pull is asked for a record only after the row
        # of the one before was sent), so the writer can journal the point meanwhile.
        mark = PageMark(records, token)
        if self.marks or not self._offer(mark):
            self.marks.append(mark)

    async def aclose(self) -> None:
        """Stop every pull of the row from reading ahead (the row is over, or cancelled)."""
        for pull in self._pulls:
            await pull.aclose()
