"""The error mapping against real exceptions: a tiny local (HTTPS) server on an ephemeral port.

A real certificate failure is a `TLSError`, a CA bundle path makes it pass, a refused port is a
`ConnectError`, a server that hangs up is a `ConnectionDroppedError`, and an answer the parser
refuses (lax framing, a stray 101) is a `ResponseFormatError`, never a success.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import orjson
import pytest
import trustme
from api_fakes import API1, FakeClock, envelope, read_request

from mimecast_soar.api import ClientSettings, MimecastClient, RetryPolicy
from mimecast_soar.errors import (
    ConnectError,
    ConnectionDroppedError,
    MimecastError,
    ResponseFormatError,
    TLSError,
)

PATH = "/api/account/get-account"
NO_RETRY = RetryPolicy(max_attempts=1)

Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def answer_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    body = orjson.dumps(envelope([{"accountName": "Test"}]))
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    writer.close()


async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.close()


@asynccontextmanager
async def serve(behaviour: Behaviour, tls: ssl.SSLContext | None) -> AsyncIterator[int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await behaviour(reader, writer)
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    return context


def client_for(url: str, clock: FakeClock, verify_ssl: bool | str = True) -> MimecastClient:
    settings = ClientSettings(API1, base_url=url, verify_ssl=verify_ssl, retry=NO_RETRY)
    return MimecastClient(settings, clock=clock, sleep=clock.sleep)


@pytest.mark.anyio
async def test_unknown_certificate_authority_is_a_tls_error(
    server_tls: ssl.SSLContext, clock: FakeClock
) -> None:
    async with (
        serve(answer_ok, server_tls) as port,
        client_for(f"https://localhost:{port}", clock) as client,
    ):
        with pytest.raises(TLSError) as caught:
            await client.call(PATH, [], mutating=False)
    assert "TLS verification failed for host localhost" in str(caught.value)
    assert "verify_ssl" in str(caught.value)


@pytest.mark.anyio
async def test_ca_bundle_path_verifies_the_server(
    server_tls: ssl.SSLContext, ca: trustme.CA, clock: FakeClock, tmp_path: Path
) -> None:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    async with (
        serve(answer_ok, server_tls) as port,
        client_for(f"https://localhost:{port}", clock, str(bundle)) as client,
    ):
        response = await client.call(PATH, [], mutating=False)
    assert response.data == [{"accountName": "Test"}]


@pytest.mark.anyio
async def test_verify_off_accepts_any_certificate(
    server_tls: ssl.SSLContext, clock: FakeClock
) -> None:
    async with (
        serve(answer_ok, server_tls) as port,
        client_for(f"https://localhost:{port}", clock, False) as client,
    ):
        response = await client.call(PATH, [], mutating=False)
    assert response.status == 200


@pytest.mark.anyio
async def test_refused_port_is_a_connect_error(clock: FakeClock) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with client_for(f"http://127.0.0.1:{port}", clock) as client:
        with pytest.raises(ConnectError) as caught:
            await client.call(PATH, [], mutating=True)
    assert PATH in str(caught.value)


@pytest.mark.anyio
async def test_server_hanging_up_is_a_dropped_connection(clock: FakeClock) -> None:
    async with (
        serve(hang_up, None) as port,
        client_for(f"http://127.0.0.1:{port}", clock) as client,
    ):
        with pytest.raises(ConnectionDroppedError):
            await client.call(PATH, [], mutating=True)


def raw_answer(data: bytes) -> Behaviour:
    async def behaviour(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(data)
        await writer.drain()

    return behaviour


BODY = orjson.dumps(envelope([{"accountName": "Test"}]))


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("head", "body"),
    [
        (b"HTTP/1.1 200 OK\r\nX-Evil: a\x00b\r\nContent-Length: %d\r\n\r\n", BODY),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n",
            BODY,
        ),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", b"1 0\r\n{\r\n0\r\n\r\n"),
        (b"HTTP/1.1 200 OK\r\nX-Evil: a\rSet-Cookie: x=1\r\nContent-Length: %d\r\n\r\n", BODY),
    ],
    ids=["nul-in-header", "cl-and-te", "space-in-chunk-size", "bare-cr-in-header"],
)
async def test_lax_framing_is_refused(clock: FakeClock, head: bytes, body: bytes) -> None:
    data = (head % len(body) if b"%d" in head else head) + body
    async with (
        serve(raw_answer(data), None) as port,
        client_for(f"http://127.0.0.1:{port}", clock) as client,
    ):
        with pytest.raises(MimecastError) as caught:
            await client.call(PATH, [], mutating=True)
    assert isinstance(caught.value, ResponseFormatError | ConnectionDroppedError)
    assert caught.value.outcome_unknown


@pytest.mark.anyio
async def test_a_101_then_a_200_is_not_taken_as_the_answer(clock: FakeClock) -> None:
    data = (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n"
        + f"HTTP/1.1 200 OK\r\nContent-Length: {len(BODY)}\r\n\r\n".encode()
        + BODY
    )
    async with (
        serve(raw_answer(data), None) as port,
        client_for(f"http://127.0.0.1:{port}", clock) as client,
    ):
        with pytest.raises(ResponseFormatError, match="HTTP 101"):
            await client.call(PATH, [], mutating=True)


@pytest.mark.anyio
async def test_a_gzip_bomb_stops_at_the_cap(clock: FakeClock) -> None:
    bomb = gzip.compress(b"[" + b" " * (64 * 1024 * 1024) + b"]", compresslevel=9)
    data = (
        f"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {len(bomb)}\r\n\r\n"
    ).encode() + bomb
    async with serve(raw_answer(data), None) as port:
        settings = ClientSettings(
            API1,
            base_url=f"http://127.0.0.1:{port}",
            retry=NO_RETRY,
            max_body_bytes=1024 * 1024,
        )
        async with MimecastClient(settings, clock=clock, sleep=clock.sleep) as client:
            with pytest.raises(ResponseFormatError, match="max_body_bytes"):
                await client.call(PATH, [], mutating=False)
