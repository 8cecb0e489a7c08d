"""Body-token pagination (docs/mimecast-api.md §1 and §8 quirks 1-5)."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
import orjson
import pytest
from api_fakes import FakeClock, Reply, Request, Server, envelope, make_client, reply

from mimecast_soar.errors import RequestFailedError, ResponseFormatError

HOLD_LIST = "/api/gateway/get-hold-message-list"
CLICK_LOGS = "/api/ttp/url/get-logs"


class PagedServer:
    """Serves `total` records in pages of `server_page_size`, tokens `t1`, `t2`, ..."""

    def __init__(
        self,
        total: int,
        server_page_size: int,
        *,
        records_key: str | None = None,
        last_page_next: str | None = None,
    ) -> None:
        self.records = [{"n": n} for n in range(total)]
        self.server_page_size = server_page_size
        self.records_key = records_key
        self.last_page_next = last_page_next

    def __call__(self, request: Request) -> Reply:
        meta = orjson.loads(request.content).get("meta", {})
        token = meta.get("pagination", {}).get("pageToken")
        page = int(token[1:]) if token else 0
        start = page * self.server_page_size
        chunk = self.records[start : start + self.server_page_size]
        more = start + self.server_page_size < len(self.records)
        next_token = f"t{page + 1}" if more else self.last_page_next
        data: list[Any] = chunk if self.records_key is None else [{self.records_key: chunk}]
        return reply(envelope(data, next_token=next_token, page_size=len(chunk)))


async def collect(
    server: Server,
    clock: FakeClock,
    *,
    path: str = HOLD_LIST,
    data: list[Any] | None = None,
    records_key: str | None = None,
    page_size: int = 3,
    max_records: int | None = None,
) -> tuple[list[dict[str, Any]], Any]:
    async with make_client(server, clock) as client:
        pagination = client.paginate(
            path,
            data if data is not None else [{"admin": True}],
            records_key=records_key,
            page_size=page_size,
            max_records=max_records,
        )
        records = [record async for record in pagination]
    return records, pagination


@pytest.mark.anyio
async def test_paginate_follows_next_across_many_pages(clock: FakeClock) -> None:
    server = Server(PagedServer(total=20, server_page_size=3))
    records, pagination = await collect(server, clock)
    assert records == [{"n": n} for n in range(20)]
    assert pagination.pages == 7
    assert pagination.records == 20
    assert pagination.truncated is False
    bodies = server.bodies()
    assert bodies[0]["meta"] == {"pagination": {"pageSize": 3}}
    for number, body in enumerate(bodies[1:], start=1):
        assert body["meta"]["pagination"] == {"pageSize": 3, "pageToken": f"t{number}"}
    assert all(body["data"] == [{"admin": True}] for body in bodies)


@pytest.mark.anyio
async def test_paginate_follows_next_when_server_pages_are_smaller(clock: FakeClock) -> None:
    server = Server(PagedServer(total=7, server_page_size=2))
    records, pagination = await collect(server, clock, page_size=500)
    assert len(records) == 7
    assert pagination.pages == 4
    assert all(body["meta"]["pagination"]["pageSize"] == 500 for body in server.bodies())


@pytest.mark.anyio
async def test_paginate_stops_on_empty_page_with_next(clock: FakeClock) -> None:
    server = Server(PagedServer(total=6, server_page_size=3, last_page_next="t2"))
    records, pagination = await collect(server, clock)
    assert len(records) == 6
    assert pagination.pages == 3  # the third page is empty but carries `next`
    assert len(server.requests) == 3
    assert pagination.truncated is False


@pytest.mark.anyio
async def test_paginate_stops_on_repeated_token(clock: FakeClock) -> None:
    def handle(request: Request) -> Reply:
        return reply(envelope([{"same": True}], next_token="loop"))

    server = Server(handle)
    records, pagination = await collect(server, clock)
    assert len(server.requests) == 2
    assert pagination.pages == 2
    assert records == [{"same": True}, {"same": True}]


@pytest.mark.anyio
async def test_paginate_records_under_records_key(clock: FakeClock) -> None:
    server = Server(PagedServer(total=5, server_page_size=2, records_key="clickLogs"))
    records, _ = await collect(server, clock, path=CLICK_LOGS, records_key="clickLogs")
    assert records == [{"n": n} for n in range(5)]


@pytest.mark.anyio
async def test_paginate_missing_records_key_or_empty_data_means_no_records(
    clock: FakeClock,
) -> None:
    for body in (envelope([{"source": "cloud"}]), envelope([])):
        server = Server(lambda request, body=body: reply(body))  # type: ignore[misc]
        records, pagination = await collect(server, clock, records_key="folders")
        assert records == []
        assert pagination.pages == 1


@pytest.mark.anyio
@pytest.mark.parametrize(
    "data",
    [[{"folders": {"not": "a list"}}], ["text"], [{"folders": ["text"]}]],
)
async def test_paginate_misshapen_records_are_a_format_error(
    clock: FakeClock, data: list[Any]
) -> None:
    server = Server(lambda request: reply(envelope(data)))
    with pytest.raises(ResponseFormatError):
        await collect(server, clock, records_key="folders")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("max_records", "expected_requests", "truncated"),
    [
        (4, 2, True),  # cap in the middle of page 2: records left over
        (6, 3, True),  # cap at a page boundary with `next`: one small page looks beyond
        (20, 7, False),  # exactly all: last page has no `next`
        (50, 7, False),
    ],
)
async def test_max_records_cap_sets_truncated(
    clock: FakeClock, max_records: int, expected_requests: int, truncated: bool
) -> None:
    server = Server(PagedServer(total=20, server_page_size=3))
    records, pagination = await collect(server, clock, max_records=max_records)
    assert len(records) == min(max_records, 20)
    assert pagination.records == len(records)
    assert len(server.requests) == expected_requests
    assert pagination.truncated is truncated


@pytest.mark.anyio
async def test_max_records_zero_makes_no_call(clock: FakeClock) -> None:
    server = Server(PagedServer(total=5, server_page_size=3))
    records, pagination = await collect(server, clock, max_records=0)
    assert records == []
    assert server.requests == []
    assert pagination.pages == 0


@pytest.mark.anyio
async def test_fail_on_a_later_page_raises_request_failed(clock: FakeClock) -> None:
    pages = PagedServer(total=9, server_page_size=3)

    def handle(request: Request) -> Reply:
        if b"t2" in request.content:
            failure = {"errors": [{"code": "err_page_token", "message": "token expired"}]}
            return reply(envelope(fail=[failure]))
        return pages(request)

    seen: list[dict[str, Any]] = []

    async def pull() -> None:
        async with make_client(Server(handle), clock) as client:
            async for record in client.paginate(HOLD_LIST, [{}], records_key=None, page_size=3):
                seen.append(record)

    with pytest.raises(RequestFailedError, match="err_page_token: token expired"):
        await pull()
    assert len(seen) == 6  # pages 1 and 2, then the failing third page


@pytest.mark.anyio
async def test_non_200_meta_status_on_a_page_raises(clock: FakeClock) -> None:
    server = Server(lambda request: reply(envelope(status=403)))
    with pytest.raises(RequestFailedError, match="status 403"):
        await collect(server, clock, records_key="folders")


@pytest.mark.anyio
async def test_pages_are_reads_and_retry_server_errors(clock: FakeClock) -> None:
    pages = PagedServer(total=6, server_page_size=3)
    failed: list[bool] = []

    def handle(request: Request) -> Reply:
        if b"t1" in request.content and not failed:
            failed.append(True)
            return reply({"detail": "busy"}, 503)
        return pages(request)

    server = Server(handle)
    records, pagination = await collect(server, clock)
    assert len(records) == 6
    assert len(server.requests) == 3
    assert pagination.pages == 2


@pytest.mark.anyio
async def test_only_one_page_is_held_in_memory(clock: FakeClock) -> None:
    server = Server(PagedServer(total=9, server_page_size=3))
    async with make_client(server, clock) as client:
        pagination = client.paginate(HOLD_LIST, [{}], records_key=None, page_size=3)
        async for record in pagination:
            assert len(pagination._buffer) <= 3
            assert record in pagination._buffer


@pytest.mark.anyio
async def test_page_size_must_be_positive(clock: FakeClock) -> None:
    async with make_client(Server(lambda request: reply()), clock) as client:
        with pytest.raises(ValueError, match="page_size"):
            client.paginate(HOLD_LIST, [], records_key=None, page_size=0)


@pytest.mark.anyio
async def test_a_pull_started_from_a_token_asks_for_that_page_and_keeps_the_cap(
    clock: FakeClock,
) -> None:
    server = Server(PagedServer(total=20, server_page_size=3))
    async with make_client(server, clock) as client:
        pull = client.paginate(HOLD_LIST, [{}], records_key=None, page_size=3, max_records=10)
        pull.start_from("t2", 6)  # a resumed run: pages 1 and 2 were written
        records = [record async for record in pull]
    assert records == [{"n": n} for n in range(6, 10)]
    assert pull.records == 10
    assert pull.truncated is True
    bodies = server.bodies()
    assert bodies[0]["meta"]["pagination"] == {"pageSize": 3, "pageToken": "t2"}


@pytest.mark.anyio
async def test_a_pull_cannot_be_told_where_to_start_once_it_started(clock: FakeClock) -> None:
    server = Server(PagedServer(total=6, server_page_size=3))
    async with make_client(server, clock) as client:
        pull = client.paginate(HOLD_LIST, [{}], records_key=None, page_size=3)
        await pull.__anext__()
        with pytest.raises(RuntimeError, match="before it starts"):
            pull.start_from("t1", 3)


@pytest.mark.anyio
async def test_on_page_reports_each_point_a_pull_can_go_on_from(clock: FakeClock) -> None:
    server = Server(PagedServer(total=8, server_page_size=3))
    points: list[tuple[int, str]] = []
    async with make_client(server, clock) as client:
        pull = client.paginate(HOLD_LIST, [{}], records_key=None, page_size=3)
        pull.on_page = lambda records, token: points.append((records, token))
        seen = 0
        async for _record in pull:
            seen += 1
            # Told only once every record of the pages before was handed out.
            assert all(records <= seen - 1 for records, _ in points)
    assert points == [(3, "t1"), (6, "t2")]


class AskedFor:
    """Serves `pages`, and tells when the page of `token` is asked for."""

    def __init__(self, pages: PagedServer, token: str) -> None:
        self.pages = pages
        self.token = token.encode()
        self.asked = asyncio.Event()
        self.release = asyncio.Event()
        self.hold = False

    async def __call__(self, request: Request) -> Reply:
        if b'"pageToken":"' + self.token + b'"' in request.content:
            self.asked.set()
            if self.hold:
                await self.release.wait()
        return self.pages(request)


@pytest.mark.anyio
async def test_prefetch_asks_for_the_next_page_while_the_current_one_is_handed_out(
    clock: FakeClock,
) -> None:
    handler = AskedFor(PagedServer(total=9, server_page_size=3), "t1")
    server = Server(handler)
    async with make_client(server, clock) as client:
        pull = client.paginate(HOLD_LIST, [{}], records_key=None, page_size=3)
        pull.prefetch = True
        first = await pull.__anext__()
        assert first == {"n": 0}
        with anyio.fail_after(10):  # page 2 is asked for before record 2 of page 1 is wanted
            await handler.asked.wait()
        assert len(server.requests) == 2  # one page ahead, no more
        rest = [record async for record in pull]
    assert [first, *rest] == [{"n": n} for n in range(9)]


@pytest.mark.anyio
@pytest.mark.parametrize("last_page_next", [None, "t9"])
async def test_prefetch_asks_for_no_page_a_pull_without_it_would_not(
    clock: FakeClock, last_page_next: str | None
) -> None:
    counts = []
    for prefetch in (False, True):
        server = Server(PagedServer(total=9, server_page_size=3, last_page_next=last_page_next))
        async with make_client(server, clock) as client:
            pull = client.paginate(HOLD_LIST, [{}], records_key=None, page_size=3)
            pull.prefetch = prefetch
            assert len([record async for record in pull]) == 9
        counts.append(len(server.requests))
    assert counts[0] == counts[1]


@pytest.mark.anyio
async def test_prefetch_stops_at_the_cap(clock: FakeClock) -> None:
    server = Server(PagedServer(total=30, server_page_size=3))
    async with make_client(server, clock) as client:
        pull = client.paginate(HOLD_LIST, [{}], records_key=None, page_size=3, max_records=6)
        pull.prefetch = True
        assert len([record async for record in pull]) == 6
    tokens = [body["meta"]["pagination"] for body in server.bodies()]
    # Pages 1 and 2, then the one-record look past the cap; never page 3 in full.
    assert tokens == [
        {"pageSize": 3},
        {"pageSize": 3, "pageToken": "t1"},
        {"pageSize": 1, "pageToken": "t2"},
    ]
    assert pull.truncated is True


@pytest.mark.anyio
async def test_an_error_on_the_page_read_ahead_comes_after_every_record_before_it(
    clock: FakeClock,
) -> None:
    pages = PagedServer(total=9, server_page_size=3)

    def handle(request: Request) -> Reply:
        if b"t2" in request.content:
            failure = {"errors": [{"code": "err_page_token", "message": "token expired"}]}
            return reply(envelope(fail=[failure]))
        return pages(request)

    seen: list[dict[str, Any]] = []

    async def pull() -> None:
        async with make_client(Server(handle), clock) as client:
            pages = client.paginate(HOLD_LIST, [{}], records_key=None, page_size=3)
            pages.prefetch = True
            async for record in pages:
                seen.append(record)
                await anyio.sleep(0.01)  # the failing page has long answered meanwhile

    with pytest.raises(RequestFailedError, match="err_page_token"):
        await pull()
    assert seen == [{"n": n} for n in range(6)]


@pytest.mark.anyio
async def test_aclose_cancels_the_page_being_read_ahead(clock: FakeClock) -> None:
    handler = AskedFor(PagedServer(total=9, server_page_size=3), "t1")
    handler.hold = True  # page 2 never answers on its own
    server = Server(handler)
    async with make_client(server, clock) as client:
        pull = client.paginate(HOLD_LIST, [{}], records_key=None, page_size=3)
        pull.prefetch = True
        await pull.__anext__()
        with anyio.fail_after(10):
            await handler.asked.wait()
            await pull.aclose()
        assert pull._ahead is None
        with pytest.raises(StopAsyncIteration):
            await pull.__anext__()
        handler.release.set()
