"""The lean HTTP/1.1 transport: response parsing, keep-alive pooling, limits, timeouts, failures.

Parsing is checked in process by feeding a connection's protocol arbitrary splits of a response
(the way TCP may deliver it); pooling, timeouts and failures against small servers on real
loopback sockets that count their connections.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from api_fakes import read_request
from hypothesis import given, settings
from hypothesis import strategies as st

from mimecast_soar.api.http11 import Http11Transport, _Connection

BODY = b'{"meta":{"status":200},"data":[{"id":"abc"}],"fail":[]}'


class FakeTransport(asyncio.Transport):
    """Collects what the connection writes; records aborts."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.aborted = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def abort(self) -> None:
        self.aborted = True

    def close(self) -> None:
        self.aborted = True


async def feed(pieces: list[bytes], *, close_after: bool = False, head_only: bool = False) -> Any:
    """Run one exchange on a protocol fed `pieces`; returns the exchange tuple."""
    loop = asyncio.get_running_loop()
    connection = _Connection(loop)
    connection.connection_made(FakeTransport())

    async def deliver() -> None:
        await asyncio.sleep(0)
        for piece in pieces:
            connection.data_received(piece)
        if close_after:
            connection.connection_lost(None)

    task = asyncio.create_task(deliver())
    try:
        return await connection.exchange(
            b"POST / HTTP/1.1\r\n\r\n", head_only=head_only, timeouts={"read": 5}
        )
    finally:
        await task


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(max(cut, 0), len(data)) for cut in cuts})
    pieces, last = [], 0
    for point in points:
        pieces.append(data[last:point])
        last = point
    pieces.append(data[last:])
    return [piece for piece in pieces if piece]


def chunked(body: bytes, size: int) -> bytes:
    out = b""
    for start in range(0, len(body), size):
        part = body[start : start + size]
        out += f"{len(part):X};ext=1\r\n".encode() + part + b"\r\n"
    return out + b"0\r\nX-Trailer: yes\r\n\r\n"


RESPONSES = {
    "length": (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(BODY)}\r\n\r\n".encode()
        + BODY,
        True,
    ),
    "chunked": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(BODY, 7),
        True,
    ),
    "interim then length": (
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
        + f"Content-Length: {len(BODY)}\r\n\r\n".encode()
        + BODY,
        True,
    ),
    "close delimited": (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + BODY, False),
}


@pytest.mark.anyio
@pytest.mark.parametrize("kind", sorted(RESPONSES))
@given(cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12))
@settings(max_examples=60, deadline=None)
async def test_any_split_of_a_response_parses_the_same(kind: str, cuts: list[int]) -> None:
    raw, keep_alive = RESPONSES[kind]
    status, reason, headers, body, reusable, version, _ = await feed(
        split(raw, cuts), close_after=not keep_alive
    )
    assert (status, reason, version) == (200, b"OK", b"HTTP/1.1")
    assert body == BODY
    assert reusable is keep_alive
    assert all(isinstance(name, bytes) and isinstance(value, bytes) for name, value in headers)


@pytest.mark.anyio
async def test_no_body_for_head_204_and_304() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"
    assert (await feed([head], head_only=True))[3] == b""
    for status in (b"204 No Content", b"304 Not Modified"):
        result = await feed([b"HTTP/1.1 " + status + b"\r\nContent-Length: 5\r\n\r\n"])
        assert result[3] == b""
        assert result[4] is True


@pytest.mark.anyio
async def test_connection_close_and_http10_are_not_reused() -> None:
    close = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}"
    assert (await feed([close]))[4] is False
    old = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}"
    assert (await feed([old]))[4] is False
    old_keep = b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\n{}"
    assert (await feed([old_keep]))[4] is True


@pytest.mark.anyio
async def test_bytes_beyond_the_response_stop_reuse() -> None:
    extra = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\n"
    assert (await feed([extra]))[4] is False


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("raw", "match"),
    [
        (b"HTTX/1.1 200 OK\r\n\r\n", "status line"),
        (b"HTTP/1.1 2000 OK\r\n\r\n", "status code"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", "Conflicting"),
        (b"HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n", "header line"),
        (b"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n", "header line"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n", "chunk size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY", "CRLF"),
        (b"HTTP/1.1 200 OK\r\nX: " + b"a" * (70 * 1024), "too large"),
    ],
)
async def test_malformed_responses_are_protocol_errors(raw: bytes, match: str) -> None:
    with pytest.raises(httpx.RemoteProtocolError, match=match):
        await feed([raw])


@pytest.mark.anyio
async def test_close_mid_body_and_before_any_byte_are_protocol_errors() -> None:
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        await feed([], close_after=True)
    partial = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"
    with pytest.raises(httpx.RemoteProtocolError, match="3 body bytes"):
        await feed([partial], close_after=True)


# Real sockets


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class CountingServer:
    """A loopback server that counts connections and requests and runs a handler per request."""

    def __init__(self, handler: Handler | None = None) -> None:
        self.handler = handler or respond_ok
        self.connections = 0
        self.requests = 0
        self.open = 0
        self.most_open = 0
        self.port = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            while True:
                try:
                    await read_request(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                self.requests += 1
                await self.handler(reader, writer)
                if writer.is_closing():
                    return
        finally:
            self.open -= 1
            writer.close()


async def respond_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\n" + f"Content-Length: {len(BODY)}\r\n\r\n".encode() + BODY)
    await writer.drain()


@asynccontextmanager
async def running(server: CountingServer) -> AsyncIterator[str]:
    listener = await asyncio.start_server(server.serve, "127.0.0.1", 0)
    server.port = listener.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{server.port}/api/x"
    finally:
        listener.close()


def post(url: str, **timeouts: float) -> httpx.Request:
    extensions = {"timeout": {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0, **timeouts}}
    return httpx.Request("POST", url, content=b"{}", extensions=extensions)


async def call(transport: Http11Transport, request: httpx.Request) -> httpx.Response:
    response = await transport.handle_async_request(request)
    await response.aread()
    return response


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_sequential_requests_reuse_one_connection() -> None:
    server = CountingServer()
    transport = Http11Transport()
    async with running(server) as url:
        for _ in range(5):
            response = await call(transport, post(url))
            assert response.status_code == 200
            assert response.content == BODY
        assert transport.open_connections == 1
        await transport.aclose()
    assert (server.connections, server.requests) == (1, 5)


@pytest.mark.anyio
async def test_connection_close_and_expiry_open_new_connections() -> None:
    async def close_each(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}")
        await writer.drain()
        writer.close()

    closing = CountingServer(close_each)
    transport = Http11Transport()
    async with running(closing) as url:
        for _ in range(3):
            assert (await call(transport, post(url))).content == b"{}"
    assert closing.connections == 3
    assert transport.open_connections == 0

    server = CountingServer()
    short = Http11Transport(keepalive_expiry_seconds=0.05)
    async with running(server) as url:
        await call(short, post(url))
        await asyncio.sleep(0.15)
        await call(short, post(url))
        await short.aclose()
    assert server.connections == 2


@pytest.mark.anyio
async def test_concurrency_never_exceeds_max_connections() -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.02)
        await respond_ok(reader, writer)

    server = CountingServer(slow)
    transport = Http11Transport(max_connections=3)
    async with running(server) as url:
        responses = await asyncio.gather(*(call(transport, post(url)) for _ in range(20)))
        await transport.aclose()
    assert [r.status_code for r in responses] == [200] * 20
    assert server.requests == 20
    assert server.most_open == 3


@pytest.mark.anyio
async def test_waiting_for_a_connection_times_out_with_a_pool_timeout() -> None:
    release = asyncio.Event()

    async def held(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        await respond_ok(reader, writer)

    server = CountingServer(held)
    transport = Http11Transport(max_connections=1)
    async with running(server) as url:
        first = asyncio.create_task(call(transport, post(url)))
        await asyncio.sleep(0.05)
        with pytest.raises(httpx.PoolTimeout):
            await call(transport, post(url, pool=0.05))
        release.set()
        assert (await first).status_code == 200
        assert (await call(transport, post(url))).status_code == 200  # the pool still works
        await transport.aclose()
    assert server.requests == 2  # the timed-out request was never sent


@pytest.mark.anyio
async def test_silence_is_a_read_timeout_and_the_connection_is_dropped() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(1)

    server = CountingServer(silent)
    transport = Http11Transport()
    async with running(server) as url:
        with pytest.raises(httpx.ReadTimeout, match=r"no response bytes for 0\.1 s"):
            await call(transport, post(url, read=0.1))
        assert transport.open_connections == 0


@pytest.mark.anyio
async def test_hang_up_and_refusal_raise_httpx_errors() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = CountingServer(hang_up)
    transport = Http11Transport()
    async with running(server) as url:
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            await call(transport, post(url))
    with pytest.raises(httpx.ConnectError):
        await call(transport, post(f"http://127.0.0.1:{server.port}/api/x"))
    assert transport.open_connections == 0


@pytest.mark.anyio
async def test_cancelled_request_frees_its_connection() -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.5)
        await respond_ok(reader, writer)

    server = CountingServer(slow)
    transport = Http11Transport(max_connections=1)
    async with running(server) as url:
        task = asyncio.create_task(call(transport, post(url)))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert transport.open_connections == 0
        assert (await call(transport, post(url))).status_code == 200
        await transport.aclose()
    assert server.connections == 2


@pytest.mark.anyio
async def test_header_with_a_line_break_is_refused_before_sending() -> None:
    server = CountingServer()
    transport = Http11Transport()
    async with running(server) as url:
        request = post(url)
        request.headers["X-Evil"] = "a\r\nInjected: yes"  # httpx itself lets this through
        with pytest.raises(httpx.LocalProtocolError, match="line break"):
            await call(transport, request)
    assert server.requests == 0


@pytest.mark.anyio
async def test_gzip_bodies_are_decoded_by_httpx() -> None:
    packed = gzip.compress(BODY)

    async def zipped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
            + f"Content-Length: {len(packed)}\r\n\r\n".encode()
            + packed
        )
        await writer.drain()

    transport = Http11Transport()
    async with running(CountingServer(zipped)) as url:
        response = await call(transport, post(url))
        await transport.aclose()
    assert response.content == BODY


@pytest.mark.anyio
async def test_plain_body_is_handed_over_already_read() -> None:
    transport = Http11Transport()
    async with running(CountingServer()) as url:
        response = await transport.handle_async_request(post(url))
        await transport.aclose()
    assert response.content == BODY  # no aread needed
    assert await response.aread() == BODY
    assert response.headers["Content-Length"] == str(len(BODY))


@pytest.mark.anyio
async def test_unsupported_scheme_is_refused() -> None:
    with pytest.raises(httpx.UnsupportedProtocol):
        await call(Http11Transport(), post("ftp://127.0.0.1/x"))
