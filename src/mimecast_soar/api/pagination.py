"""Body-token pagination over list endpoints, one page in memory at a time.

Mimecast pages through ``meta.pagination`` in the JSON body: the request asks with
``{"pageSize": n, "pageToken": t}`` and the response offers ``next`` when more pages exist
(https://integrations.mimecast.com/documentation/api-overview/api-concepts;
docs/mimecast-api.md §1).
Rules kept here (docs/mimecast-api.md §8, quirks 1-5):

- the same ``data`` is sent again on every page (the token also encodes the filters, but
  repeating them works everywhere);
- ``next`` is followed whatever page size the server actually returned (its ``pageSize`` is
  not relied on);
- the pull stops on a missing ``next``, on an empty page (the last page may still carry a
  ``next``), on a token already seen (loop guard), or when `max_records` is reached;
- ``fail[]`` or a non-200 ``meta.status`` on any page raises `RequestFailedError`.

A pull can start part-way (`start_token`, `start_records`: the token of the next page and the
records already taken, as a resumed run read them from its journal), so `max_records` still caps
the whole pull. `on_page` is told, each time every record of the pages read so far has been
handed out and another page is about to be read, how many records were handed out and the token
of that next page: a point a resumed run can start from.

With `prefetch`, the next page is asked for as soon as a page arrives, while its records are
handed out (and written): one page ahead at most, never past the `max_records` cap, so a pull
read to its end makes exactly the requests it would make without. An error on the page read
ahead is raised only once every record of the page before it has been handed out. `aclose`
cancels a page still being read ahead (a consumer that stops early should call it).

Records are the items of ``data`` (held messages, policies) or, with `records_key`, the list
``data[0][records_key]`` (``clickLogs``, ``folders``, ``groupMembers``...).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from mimecast_soar.api.envelope import MimecastResponse
from mimecast_soar.errors import MimecastError, ResponseFormatError

if TYPE_CHECKING:
    from mimecast_soar.api.client import MimecastClient

__all__ = ["Pagination", "page_records"]

#: Event-loop turns given to a page read ahead before the current page is handed out. The
#: client's call passes a couple of awaits that are ready at once (no I/O) before the request is
#: written: measured, one turn left the request waiting for the whole page (about 3 ms a page
#: later on the wire), two were enough; three leave a margin at a few microseconds a page.
_SEND_TURNS = 3

#: Records of one page and the token of the next (None: no next page).
_Page = tuple[list[dict[str, Any]], str | None]


def page_records(
    response: MimecastResponse, *, path: str, records_key: str | None
) -> list[dict[str, Any]]:
    """The records of one page (see the module docstring); `ResponseFormatError` if misshapen."""
    if records_key is None:
        records: Any = response.data
    elif not response.data:
        records = []
    else:
        first = response.data[0]
        if not isinstance(first, dict):
            raise ResponseFormatError(
                f"Mimecast's response on {path} has a data[0] that is not an object.",
                path=path,
                http_status=response.http_status,
            )
        records = first.get(records_key) or []
        if not isinstance(records, list):
            raise ResponseFormatError(
                f"Mimecast's response on {path} has a data[0].{records_key} that is not an array.",
                path=path,
                http_status=response.http_status,
            )
    if not all(isinstance(record, dict) for record in records):
        where = f"data[0].{records_key}" if records_key else "data"
        raise ResponseFormatError(
            f"Mimecast's response on {path} has {where} items that are not objects.",
            path=path,
            http_status=response.http_status,
        )
    return list(records)


class Pagination:
    """An async iterator over the records of a list endpoint; single use.

    After (or during) iteration: `pages` is the number of pages read, `records` the number of
    records handed out (`start_records` included), and `truncated` is True when `max_records`
    stopped the pull while more records existed (left on the current page, or a ``next`` token
    on the last page read).
    """

    def __init__(
        self,
        client: MimecastClient,
        path: str,
        data: list[Any],
        *,
        records_key: str | None,
        page_size: int,
        max_records: int | None = None,
        start_token: str | None = None,
        start_records: int = 0,
        prefetch: bool = False,
        on_page: Callable[[int, str], None] | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        if max_records is not None and max_records < 0:
            raise ValueError("max_records must not be negative")
        self._client = client
        self.path = path
        self._data = data
        self._records_key = records_key
        self.page_size = page_size
        self.max_records = max_records
        self.prefetch = prefetch
        self.on_page = on_page
        self.truncated = False
        self.pages = 0
        self.records = 0
        self._buffer: list[dict[str, Any]] = []
        self._position = 0
        self._next_token: str | None = None
        self._seen_tokens: set[str] = set()
        self._exhausted = max_records == 0
        self._started = False
        self._ahead: asyncio.Task[_Page] | None = None
        if start_token is not None or start_records:
            self.start_from(start_token, start_records)

    def start_from(self, token: str | None, records: int) -> None:
        """Begin with the page of `token` (None: the first page), `records` already taken.

        Only before the first record is asked for: a resumed pull goes on where it stood.
        """
        if self._started or self.records:
            raise RuntimeError("a pull can only be told where to start before it starts")
        if records < 0:
            raise ValueError("records must not be negative")
        self.records = records
        if token is not None:
            self._next_token = token
            self._seen_tokens.add(token)
            self._started = True  # the first page was read by the run before

    def __repr__(self) -> str:
        return (
            f"Pagination(path={self.path!r}, pages={self.pages}, records={self.records}, "
            f"truncated={self.truncated})"
        )

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self

    async def __anext__(self) -> dict[str, Any]:
        while True:
            if self._exhausted:
                raise StopAsyncIteration
            if self.max_records is not None and self.records >= self.max_records:
                self._exhausted = True
                self.truncated = self._position < len(self._buffer) or await self._more_exist()
                raise StopAsyncIteration
            if self._position < len(self._buffer):
                record = self._buffer[self._position]
                self._position += 1
                self.records += 1
                return record
            if self._started and self._next_token is None:
                self._exhausted = True
                raise StopAsyncIteration
            if self._started and self.on_page is not None:
                assert self._next_token is not None
                self.on_page(self.records, self._next_token)
            await self._fetch_page()

    async def aclose(self) -> None:
        """Stop reading ahead: cancel the page being prefetched, if any (idempotent)."""
        self._exhausted = True
        ahead, self._ahead = self._ahead, None
        if ahead is not None and not ahead.done():
            ahead.cancel()
            await asyncio.wait([ahead])  # its outcome no longer matters: only that it is over

    async def _more_exist(self) -> bool:
        """Whether a page follows the cap: Mimecast's last page carries `next` too, so look."""
        if self._next_token is None:
            return False
        meta = {"pagination": {"pageSize": 1, "pageToken": self._next_token}}
        try:
            response = await self._client.call(self.path, self._data, mutating=False, meta=meta)
            response.raise_for_failures(self.path)
            return bool(page_records(response, path=self.path, records_key=self._records_key))
        except MimecastError:
            return True  # cannot tell: say the cap may have cut the pull short

    async def _read(self, token: str | None) -> _Page:
        """One page: its records and the token of the next one."""
        pagination: dict[str, Any] = {"pageSize": self.page_size}
        if token is not None:
            pagination["pageToken"] = token
        response = await self._client.call(
            self.path, self._data, mutating=False, meta={"pagination": pagination}
        )
        response.raise_for_failures(self.path)
        records = page_records(response, path=self.path, records_key=self._records_key)
        return records, response.next_token

    async def _fetch_page(self) -> None:
        self._started = True
        # Drop the previous page before the next one: memory stays this page and one ahead.
        self._buffer, self._position = [], 0
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            records, token = await ahead
        else:
            records, token = await self._read(self._next_token)
        self.pages += 1
        if not records or token is None or token in self._seen_tokens:
            # An empty page ends the pull even with a `next` (last-page quirk); a token seen
            # before would loop forever.
            token = None
        else:
            self._seen_tokens.add(token)
        self._next_token = token
        self._buffer = records
        wanted = None if self.max_records is None else self.max_records - self.records
        if self.prefetch and token is not None and (wanted is None or len(records) < wanted):
            self._ahead = asyncio.ensure_future(self._read(token))
            self._ahead.add_done_callback(_retrieve)
            # Let the request leave now, before this page's records are handed out (a page is
            # handed out without an event-loop turn): otherwise it waits for the whole page.
            for _ in range(_SEND_TURNS):
                await asyncio.sleep(0)


def _retrieve(task: asyncio.Task[_Page]) -> None:
    """Mark the outcome of a page read ahead as seen: a pull abandoned early (a consumer that
    stopped without `aclose`) must not log "exception never retrieved" for a page it never
    wanted. The consumer that does want it awaits the task and gets the error then."""
    if not task.cancelled():
        task.exception()
