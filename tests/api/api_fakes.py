"""Small in-process fakes for the API client tests: credentials, envelopes, a fake clock, and a
request-recording `httpx.MockTransport` wrapper. No network, no simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import orjson

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


def reply(
    body: Any = None, status_code: int = 200, headers: dict[str, str] | None = None
) -> httpx.Response:
    """A JSON response (an empty envelope by default)."""
    content = orjson.dumps(body if body is not None else envelope())
    return httpx.Response(status_code, content=content, headers=headers)


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


Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


@dataclass
class Server:
    """Wraps a handler in a `MockTransport` and records every request it sees."""

    handler: Handler
    clock: FakeClock | None = None
    requests: list[httpx.Request] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    def transport(self) -> httpx.MockTransport:
        async def handle(request: httpx.Request) -> httpx.Response:
            # A snapshot: auth flows may re-send the same Request object with new headers.
            snapshot = httpx.Request(
                request.method, request.url, headers=request.headers.copy(), content=request.content
            )
            self.requests.append(snapshot)
            if self.clock is not None:
                self.times.append(self.clock())
            result = self.handler(request)
            if not isinstance(result, httpx.Response):
                result = await result
            return result

        return httpx.MockTransport(handle)

    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if not r.url.path.endswith("/oauth/token")]

    def token_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.endswith("/oauth/token")]

    def bodies(self) -> list[Any]:
        return [orjson.loads(r.content) for r in self.api_requests()]


def sequence(*responses: httpx.Response | Exception) -> Handler:
    """A handler answering with the given responses in order (the last one repeats)."""
    remaining = list(responses)

    def handle(request: httpx.Request) -> httpx.Response:
        item = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        if isinstance(item, Exception):
            if isinstance(item, httpx.RequestError):
                item = type(item)(str(item), request=request)
            raise item
        return item

    return handle


def make_client(
    server: Server,
    clock: FakeClock,
    *,
    credentials: Credentials = API1,
    notices: list[str] | None = None,
    retry: RetryPolicy = FAST_RETRY,
    base_url: str | None = None,
    region: str | None = "eu",
) -> MimecastClient:
    """A client over `server` with the fake clock and sleep."""
    server.clock = clock
    settings = ClientSettings(
        credentials=credentials, region=region, base_url=base_url, retry=retry
    )
    return MimecastClient(
        settings,
        transport=server.transport(),
        clock=clock,
        sleep=clock.sleep,
        on_notice=notices.append if notices is not None else None,
    )


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """Read one HTTP/1.1 request (head, then a ``Content-Length`` body); returns the body."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return await reader.readexactly(length)
