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

Records are the items of ``data`` (held messages, policies) or, with `records_key`, the list
``data[0][records_key]`` (``clickLogs``, ``folders``, ``groupMembers``...).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from mimecast_soar.api.envelope import MimecastResponse
from mimecast_soar.errors import MimecastError, ResponseFormatError

if TYPE_CHECKING:
    from mimecast_soar.api.client import MimecastClient

__all__ = ["Pagination", "page_records"]


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
    records yielded, and `truncated` is True when `max_records` stopped the pull while more
    records existed (left on the current page, or a ``next`` token on the last page read).
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
        self.truncated = False
        self.pages = 0
        self.records = 0
        self._buffer: list[dict[str, Any]] = []
        self._position = 0
        self._next_token: str | None = None
        self._seen_tokens: set[str] = set()
        self._exhausted = max_records == 0
        self._started = False

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
            await self._fetch_page()

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

    async def _fetch_page(self) -> None:
        pagination: dict[str, Any] = {"pageSize": self.page_size}
        if self._next_token is not None:
            pagination["pageToken"] = self._next_token
        self._started = True
        # Drop the previous page before asking for the next one: memory stays one page.
        self._buffer, self._position = [], 0
        response = await self._client.call(
            self.path, self._data, mutating=False, meta={"pagination": pagination}
        )
        response.raise_for_failures(self.path)
        self.pages += 1
        records = page_records(response, path=self.path, records_key=self._records_key)
        token = response.next_token
        if not records or token is None or token in self._seen_tokens:
            # An empty page ends the pull even with a `next` (last-page quirk); a token seen
            # before would loop forever.
            token = None
        else:
            self._seen_tokens.add(token)
        self._next_token = token
        self._buffer = records
