"""Small fakes for the API client tests: credentials, envelopes, a fake clock, and `Server`, a
request-recording HTTP/1.1 server on a loopback socket (raw asyncio streams, so a test can also
make it misbehave: hang up, reset, stall, refuse connections). No simulator."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import anyio
import orjson
from multidict import CIMultiDict
from yarl import URL

from mimecast_soar.api import (
    Api1Credentials,
    Api2Credentials,
    ClientSettings,
    Credentials,
    MimecastClient,
    RetryPolicy,
)
from mimecast_soar.secret import Secret

APP_KEY = "00000000-1111-2222-3333-444444444444"
ACCESS_KEY = "mc-access-key-7f3a9c"
SECRET_KEY = "c2ltdWxhdG9yLXNlY3JldC1rZXktYnl0ZXMtMDEyMzQ1Njc4OQ=="
CLIENT_SECRET = "client-secret-9d8e7f"

API1 = Api1Credentials(
    application_id="app-id-0001",
    application_key=Secret(APP_KEY),
    access_key=Secret(ACCESS_KEY),
    secret_key=Secret(SECRET_KEY),
)
API2 = Api2Credentials(client_id="client-id-0001", client_secret=Secret(CLIENT_SECRET))

#: Every secret value used in these tests; none may ever appear in an error or a repr.
ALL_SECRETS = (APP_KEY, ACCESS_KEY, SECRET_KEY, CLIENT_SECRET)

FAST_RETRY = RetryPolicy(
    max_attempts=5,
    max_total_seconds=120.0,
    wait_initial_seconds=0.5,
    wait_max_seconds=30.0,
    wait_jitter_seconds=0.0,
)


def envelope(
    data: list[Any] | None = None,
    *,
    fail: list[Any] | None = None,
    status: int = 200,
    next_token: str | None = None,
    page_size: int | None = None,
) -> dict[str, Any]:
    """A Mimecast response body."""
    meta: dict[str, Any] = {"status": status}
    if next_token is not None or page_size is not None:
        pagination: dict[str, Any] = {"pageSize": page_size if page_size is not None else 0}
        if next_token is not None:
            pagination["next"] = next_token
        meta["pagination"] = pagination
    return {"meta": meta, "data": data or [], "fail": fail or []}


@dataclass(frozen=True)
class Reply:
    """An answer for `Server` to send: status, body and extra headers (``raw`` replaces the
    whole answer with those bytes)."""

    status_code: int = 200
    content: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None

    def encode(self) -> bytes:
        if self.raw is not None:
            return self.raw
        lines = [f"HTTP/1.1 {self.status_code} Answer"]
        headers = {"Content-Type": "application/json", **self.headers}
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if not any(name.lower() == "content-length" for name in headers):
            lines.append(f"Content-Length: {len(self.content)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.content


def reply(body: Any = None, status_code: int = 200, headers: dict[str, str] | None = None) -> Reply:
    """A JSON answer (an empty envelope by default)."""
    content = orjson.dumps(body if body is not None else envelope())
    return Reply(status_code, content, dict(headers or {}))


def text_reply(status_code: int, body: str | bytes) -> Reply:
    """An answer with a text body (HTML pages, truncated JSON)."""
    content = body.encode() if isinstance(body, str) else body
    return Reply(status_code, content, {"Content-Type": "text/html"})


class Misbehave:
    """What `Server` does instead of answering (see the constants below)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: Close the connection after reading the request, without a byte of answer.
HANG_UP = Misbehave("HANG_UP")
#: Reset the connection (TCP RST) after reading the request.
RESET = Misbehave("RESET")
#: Never answer (the client's read timeout ends the wait).
STALL = Misbehave("STALL")


@dataclass
class Request:
    """A request as the server read it."""

    method: str
    url: URL
    headers: CIMultiDict[str]
    content: bytes
    target: str = ""  # the request target as sent (absolute through an HTTP proxy)


class FakeClock:
    """A monotonic clock that only moves when someone sleeps.

    Sleeping advances the clock to the sleeper's wake-up time (never backwards), so concurrent
    sleepers that wait for the same moment end together, as with a real clock.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        wake_at = self.now + seconds
        await anyio.lowlevel.checkpoint()
        self.now = max(self.now, wake_at)

    def advance(self, seconds: float) -> None:
        self.now += seconds


Outcome = Reply | Misbehave
Handler = Callable[[Request], Outcome | Awaitable[Outcome]]


@dataclass
class Server:
    """Answers with `handler` on a loopback port, keep-alive, recording every request.

    `refuse_connects` keeps the port bound but not listening (a connection is refused) until the
    client has slept that many times: a client's backoff sleep after a refused connection is
    what lets the next attempt in.
    """

    handler: Handler
    clock: FakeClock | None = None
    refuse_connects: int = 0
    requests: list[Request] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    connections: int = 0
    _sock: socket.socket | None = None
    _port: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def base_url(self) -> str:
        assert self._port, "the server is not started"
        return f"http://127.0.0.1:{self._port}"

    async def start(self) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self._sock = sock
        self._port = sock.getsockname()[1]
        if self.refuse_connects <= 0:
            await self._listen()

    async def _listen(self) -> None:
        assert self._sock is not None
        self._server = await asyncio.start_server(self._serve, sock=self._sock)

    async def client_slept(self) -> None:
        if self._server is None and self.refuse_connects > 0:
            self.refuse_connects -= 1
            if self.refuse_connects == 0:
                await self._listen()

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        elif self._sock is not None:
            self._sock.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            while True:
                try:
                    request = await read_whole_request(reader, self.base_url)
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                self.requests.append(request)
                if self.clock is not None:
                    self.times.append(self.clock())
                outcome = self.handler(request)
                if not isinstance(outcome, Reply | Misbehave):
                    outcome = await outcome
                if outcome is HANG_UP:
                    return
                if outcome is RESET:
                    linger = struct.pack("ii", 1, 0)
                    writer.get_extra_info("socket").setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, linger
                    )
                    writer.transport.abort()
                    return
                if outcome is STALL:
                    await reader.read()  # until the client gives up and closes
                    return
                assert isinstance(outcome, Reply)
                writer.write(outcome.encode())
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    def api_requests(self) -> list[Request]:
        return [r for r in self.requests if not r.url.path.endswith("/oauth/token")]

    def token_requests(self) -> list[Request]:
        return [r for r in self.requests if r.url.path.endswith("/oauth/token")]

    def bodies(self) -> list[Any]:
        return [orjson.loads(r.content) for r in self.api_requests()]


def sequence(*outcomes: Outcome) -> Handler:
    """A handler answering with the given outcomes in order (the last one repeats)."""
    remaining = list(outcomes)

    def handle(request: Request) -> Outcome:
        return remaining.pop(0) if len(remaining) > 1 else remaining[0]

    return handle


class ServedClient:
    """``async with``: starts `server`, yields a client pointed at it, closes both after."""

    def __init__(self, server: Server, make: Callable[[], MimecastClient]) -> None:
        self.server = server
        self._make = make
        self._client: MimecastClient | None = None

    async def __aenter__(self) -> MimecastClient:
        await self.server.start()
        self._client = self._make()
        return self._client

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if self._client is not None:
                await self._client.aclose()
        finally:
            await self.server.stop()


def make_client(
    server: Server,
    clock: FakeClock,
    *,
    credentials: Credentials = API1,
    notices: list[str] | None = None,
    retry: RetryPolicy = FAST_RETRY,
    base_path: str = "",
    timeout_seconds: float = 10.0,
    max_body_bytes: int | None = None,
) -> ServedClient:
    """A client of `server` (at ``{server}{base_path}``) with the fake clock and sleep."""
    server.clock = clock

    async def sleep(seconds: float) -> None:
        await clock.sleep(seconds)
        await server.client_slept()

    def make() -> MimecastClient:
        extra: dict[str, Any] = {}
        if max_body_bytes is not None:
            extra["max_body_bytes"] = max_body_bytes
        settings = ClientSettings(
            credentials=credentials,
            base_url=server.base_url + base_path,
            retry=retry,
            timeout_seconds=timeout_seconds,
            **extra,
        )
        return MimecastClient(
            settings,
            clock=clock,
            sleep=sleep,
            on_notice=notices.append if notices is not None else None,
        )

    return ServedClient(server, make)


async def read_whole_request(reader: asyncio.StreamReader, base_url: str) -> Request:
    """Read one HTTP/1.1 request (head, then a ``Content-Length`` body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers: CIMultiDict[str] = CIMultiDict()
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.add(name.strip(), value.strip())
    content = await reader.readexactly(int(headers.get("Content-Length", "0")))
    url = URL(target) if target.startswith("http") else URL(base_url + target)
    return Request(method, url, headers, content, target)


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """Read one HTTP/1.1 request (head, then a ``Content-Length`` body); returns the body."""
    return (await read_whole_request(reader, "http://127.0.0.1")).content
