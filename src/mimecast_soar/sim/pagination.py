"""Page tokens and page slicing, as Mimecast pages its list endpoints.

Requests carry `meta.pagination` {`pageSize`, `pageToken`}; responses carry `meta.pagination`
{`pageSize` = records on this page, `totalCount` where cheap, `next`, `previous`}
([concepts] https://integrations.mimecast.com/documentation/api-overview/api-concepts,
[ttp-url] https://www.mimecast.com/tech-connect/documentation/endpoint-reference/logs-and-statistics/get-ttp-url-logs/).
A token is opaque base64 holding the endpoint, an offset, the resolved filters and a fingerprint
of the request item, sealed with a MAC. Because it holds the filters, a follow-up page may omit
`data` (Elastic's poller does); a follow-up with different filters gets `err_invalid_page_token`.
Log feeds reproduce the quirk of a last page that still carries `next`, leading to an empty page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import orjson

from mimecast_soar.sim.wire import ItemError, JsonDict

T = TypeVar("T")
Match = Callable[[int], bool]


def invalid_token(reason: str) -> ItemError:
    """The fail[] error for a page token the simulator did not issue for this request."""
    return ItemError("err_invalid_page_token", f"Invalid page token: {reason}")


def fingerprint(item: JsonDict) -> str:
    """A short, order-independent digest of a request item."""
    return hashlib.sha256(orjson.dumps(item, option=orjson.OPT_SORT_KEYS)).hexdigest()[:12]


@dataclass(frozen=True)
class PageRequest:
    """One page to serve: size (already capped), start offset and the resolved filters."""

    path: str
    size: int
    offset: int
    query: JsonDict
    item_hash: str


class Paginator:
    """Issues and checks page tokens (the MAC key comes from the seed)."""

    def __init__(self, key: bytes, *, default_size: int) -> None:
        self._key = key
        self._default_size = default_size

    def _encode(self, request: PageRequest, offset: int) -> str:
        payload = orjson.dumps(
            {"p": request.path, "o": offset, "q": request.query, "h": request.item_hash}
        )
        mac = hmac.new(self._key, payload, hashlib.sha256).digest()[:8]
        return base64.urlsafe_b64encode(mac + payload).decode().rstrip("=")

    def _decode(self, token: str) -> JsonDict:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError) as exc:
            raise invalid_token("not base64") from exc
        mac, payload = raw[:8], raw[8:]
        expected = hmac.new(self._key, payload, hashlib.sha256).digest()[:8]
        if len(raw) < 9 or not hmac.compare_digest(mac, expected):
            raise invalid_token("not issued by this server")
        decoded: JsonDict = orjson.loads(payload)
        return decoded

    def start(
        self,
        path: str,
        meta: JsonDict,
        item: JsonDict,
        max_size: int,
        resolve: Callable[[JsonDict], JsonDict],
    ) -> PageRequest:
        """Read `meta.pagination` and the item; `resolve` turns an item into filters."""
        pagination = meta.get("pagination")
        if not isinstance(pagination, dict):
            pagination = {}
        size = pagination.get("pageSize", self._default_size)
        if isinstance(size, str) and size.isdigit():
            size = int(size)
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ItemError(
                "err_validation_invalid_page_size", "pageSize must be a positive integer"
            )
        size = min(size, max_size)
        token = pagination.get("pageToken")
        item_hash = fingerprint(item)
        if token in (None, ""):
            return PageRequest(path, size, 0, resolve(item), item_hash)
        if not isinstance(token, str):
            raise invalid_token("not a string")
        decoded = self._decode(token)
        if decoded.get("p") != path:
            raise invalid_token("issued for another endpoint")
        if item and decoded.get("h") != item_hash:
            raise invalid_token("the request filters changed since the first page")
        return PageRequest(path, size, int(decoded["o"]), dict(decoded["q"]), str(decoded["h"]))

    def meta(
        self,
        request: PageRequest,
        count: int,
        *,
        next_offset: int | None,
        previous_offset: int | None,
        total: int | None = None,
    ) -> JsonDict:
        """The response `meta.pagination` for a page of `count` records."""
        out: JsonDict = {"pageSize": count}
        if total is not None:
            out["totalCount"] = total
        if next_offset is not None:
            out["next"] = self._encode(request, next_offset)
        if previous_offset is not None:
            out["previous"] = self._encode(request, previous_offset)
        return out

    def slice(self, request: PageRequest, items: Sequence[T]) -> tuple[list[T], JsonDict]:
        """One page of an in-memory list, with its pagination meta."""
        start = min(request.offset, len(items))
        page = list(items[start : start + request.size])
        end = start + len(page)
        return page, self.meta(
            request,
            len(page),
            next_offset=end if end < len(items) else None,
            previous_offset=max(0, start - request.size) if start > 0 else None,
            total=len(items),
        )


def scan_forward(
    n: int, start: int, size: int, match: Match | None
) -> tuple[list[int], int | None]:
    """Positions of up to `size` matches from `start` in [0, n) and where the next match is."""
    if match is None:
        positions = list(range(start, min(n, start + size)))
        after = start + len(positions)
        return positions, after if after < n else None
    found: list[int] = []
    position = start
    while position < n and len(found) < size:
        if match(position):
            found.append(position)
        position += 1
    while position < n and not match(position):
        position += 1
    return found, position if position < n else None


def scan_backward(start: int, size: int, match: Match | None) -> int | None:
    """Where the page before the one starting at `start` begins (None on the first page)."""
    if start <= 0:
        return None
    if match is None:
        return max(0, start - size)
    first: int | None = None
    found = 0
    position = start - 1
    while position >= 0 and found < size:
        if match(position):
            found += 1
            first = position
        position -= 1
    return first
