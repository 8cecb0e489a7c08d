"""API 2.0 OAuth client credentials (docs/mimecast-api.md §3): caching, refresh, 401, racing."""

from __future__ import annotations

from urllib.parse import parse_qs

import anyio
import pytest
from api_fakes import (
    API2,
    CLIENT_SECRET,
    FakeClock,
    Reply,
    Request,
    Server,
    envelope,
    make_client,
    reply,
    text_reply,
)

from mimecast_soar.api.auth_oauth import refresh_margin_seconds
from mimecast_soar.errors import AuthenticationError, ServerError

PATH = "/api/account/get-account"


class TokenServer:
    """Issues tok-1, tok-2, ... and accepts only the newest token (or any listed as valid)."""

    def __init__(self, *, expires_in: object = 1799, reject_all: bool = False) -> None:
        self.issued: list[str] = []
        self.expires_in = expires_in
        self.reject_all = reject_all
        self.revoked: set[str] = set()
        self.token_delay_seconds = 0.0

    async def __call__(self, request: Request) -> Reply:
        if request.url.path.endswith("/oauth/token"):
            if self.token_delay_seconds:
                await anyio.sleep(self.token_delay_seconds)
            token = f"tok-{len(self.issued) + 1}-abcdef"
            self.issued.append(token)
            body: dict[str, object] = {"access_token": token, "token_type": "Bearer"}
            if self.expires_in is not None:
                body["expires_in"] = self.expires_in
            return reply(body)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ")
        if self.reject_all or token in self.revoked or token not in self.issued:
            return reply(envelope(status=401), 401)
        return reply(envelope([{"token": token}]))


@pytest.mark.anyio
async def test_token_request_is_form_encoded_client_credentials(clock: FakeClock) -> None:
    server = Server(TokenServer())
    async with make_client(server, clock, credentials=API2) as client:
        await client.call(PATH, [], mutating=False)
    (token_request,) = server.token_requests()
    assert str(token_request.url) == f"{server.base_url}/oauth/token"
    assert token_request.method == "POST"
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = parse_qs(token_request.content.decode())
    assert form == {
        "client_id": ["client-id-0001"],
        "client_secret": [CLIENT_SECRET],
        "grant_type": ["client_credentials"],
    }
    (api_request,) = server.api_requests()
    assert api_request.headers["Authorization"] == "Bearer tok-1-abcdef"
    assert "x-mc-app-id" not in api_request.headers


@pytest.mark.anyio
async def test_token_is_reused_across_calls(clock: FakeClock) -> None:
    server = Server(TokenServer())
    async with make_client(server, clock, credentials=API2) as client:
        for _ in range(5):
            await client.call(PATH, [], mutating=False)
    assert len(server.token_requests()) == 1
    assert len(server.api_requests()) == 5


@pytest.mark.anyio
async def test_token_is_refreshed_before_expiry(clock: FakeClock) -> None:
    server = Server(TokenServer(expires_in=1799))
    margin = refresh_margin_seconds(1799)
    assert margin == 60.0
    async with make_client(server, clock, credentials=API2) as client:
        await client.call(PATH, [], mutating=False)
        clock.advance(1799 - margin - 1)
        await client.call(PATH, [], mutating=False)
        assert len(server.token_requests()) == 1
        clock.advance(2)
        response = await client.call(PATH, [], mutating=False)
    assert len(server.token_requests()) == 2
    assert response.data == [{"token": "tok-2-abcdef"}]


def test_refresh_margin_is_ten_percent_of_short_lifetimes() -> None:
    assert refresh_margin_seconds(100) == pytest.approx(10.0)
    assert refresh_margin_seconds(3600) == 60.0


@pytest.mark.anyio
@pytest.mark.parametrize("expires_in", [None, "soon", 0, -5])
async def test_missing_or_bad_expires_in_uses_default_lifetime(
    clock: FakeClock, expires_in: object
) -> None:
    server = Server(TokenServer(expires_in=expires_in))
    async with make_client(server, clock, credentials=API2) as client:
        await client.call(PATH, [], mutating=False)
        clock.advance(600)
        await client.call(PATH, [], mutating=False)
    assert len(server.token_requests()) == 1


@pytest.mark.anyio
async def test_401_refetches_the_token_once_and_repeats_the_request(clock: FakeClock) -> None:
    tokens = TokenServer()
    server = Server(tokens)
    async with make_client(server, clock, credentials=API2) as client:
        await client.call(PATH, [], mutating=True)
        tokens.revoked.add("tok-1-abcdef")
        response = await client.call(PATH, [{"n": 2}], mutating=True)
    assert response.data == [{"token": "tok-2-abcdef"}]
    assert len(server.token_requests()) == 2
    api = server.api_requests()
    assert [r.headers["Authorization"] for r in api] == [
        "Bearer tok-1-abcdef",
        "Bearer tok-1-abcdef",
        "Bearer tok-2-abcdef",
    ]
    assert api[1].content == api[2].content


@pytest.mark.anyio
async def test_second_401_raises_authentication_error(clock: FakeClock) -> None:
    server = Server(TokenServer(reject_all=True))
    async with make_client(server, clock, credentials=API2) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.call(PATH, [], mutating=False)
    assert len(server.token_requests()) == 2
    assert len(server.api_requests()) == 2
    assert "client id and client secret" in str(caught.value)
    assert PATH in str(caught.value)


@pytest.mark.anyio
async def test_one_token_fetch_under_twenty_concurrent_calls(clock: FakeClock) -> None:
    tokens = TokenServer()
    tokens.token_delay_seconds = 0.01
    server = Server(tokens)
    results: list[object] = []
    async with make_client(server, clock, credentials=API2) as client:

        async def one(n: int) -> None:
            response = await client.call(PATH, [{"n": n}], mutating=False)
            results.append(response.data)

        async with anyio.create_task_group() as group:
            for n in range(20):
                group.start_soon(one, n)
    assert len(server.token_requests()) == 1
    assert len(results) == 20


@pytest.mark.anyio
async def test_concurrent_401s_share_one_refetch(clock: FakeClock) -> None:
    tokens = TokenServer()
    server = Server(tokens)
    async with make_client(server, clock, credentials=API2) as client:
        await client.call(PATH, [], mutating=False)
        tokens.revoked.add("tok-1-abcdef")
        tokens.token_delay_seconds = 0.01
        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(lambda: client.call(PATH, [], mutating=False))
    assert len(server.token_requests()) == 2


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status_code", "body"),
    [
        (401, {"error": "invalid_client", "error_description": "Client authentication failed"}),
        (400, {"error": "invalid_request"}),
        (200, {"token_type": "Bearer"}),
        (200, "<html>login</html>"),
    ],
)
async def test_token_failure_raises_authentication_error_naming_client_id(
    clock: FakeClock, status_code: int, body: object
) -> None:
    def handle(request: Request) -> Reply:
        if isinstance(body, str):
            return text_reply(status_code, body + CLIENT_SECRET)
        return reply(body, status_code)

    server = Server(handle)
    async with make_client(server, clock, credentials=API2) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.call(PATH, [], mutating=False)
    seen = str(caught.value) + repr(caught.value)
    assert "client-id-0001" in seen
    assert CLIENT_SECRET not in seen
    assert not server.api_requests()
    assert len(server.token_requests()) == 1


@pytest.mark.anyio
async def test_token_endpoint_5xx_is_retried_even_for_mutating_calls(clock: FakeClock) -> None:
    tokens = TokenServer()
    failures = [reply({"detail": "maintenance"}, 503)]

    async def handle(request: Request) -> Reply:
        if request.url.path == "/oauth/token" and failures:
            return failures.pop()
        return await tokens(request)

    server = Server(handle)
    async with make_client(server, clock, credentials=API2) as client:
        response = await client.call(PATH, [], mutating=True)
    assert response.data == [{"token": "tok-1-abcdef"}]
    assert len(server.token_requests()) == 2
    assert len(server.api_requests()) == 1


@pytest.mark.anyio
async def test_token_endpoint_5xx_exhausted_is_a_server_error_on_token_path(
    clock: FakeClock,
) -> None:
    server = Server(lambda request: reply({"detail": "down"}, 502))
    async with make_client(server, clock, credentials=API2) as client:
        with pytest.raises(ServerError) as caught:
            await client.call(PATH, [], mutating=True)
    assert caught.value.path == "/oauth/token"
    assert len(server.token_requests()) == 5


@pytest.mark.anyio
async def test_tokens_are_registered_with_the_redactor(clock: FakeClock) -> None:
    server = Server(TokenServer())
    async with make_client(server, clock, credentials=API2) as client:
        await client.call(PATH, [], mutating=False)
        assert "tok-1-abcdef" not in client.redactor("header was Bearer tok-1-abcdef")
        assert CLIENT_SECRET not in client.redactor(f"secret {CLIENT_SECRET}")


@pytest.mark.anyio
async def test_token_url_follows_base_url_override(clock: FakeClock) -> None:
    server = Server(TokenServer())
    async with make_client(server, clock, credentials=API2, base_path="/sim") as client:
        await client.call(PATH, [], mutating=False)
    assert [str(r.url) for r in server.requests] == [
        f"{server.base_url}/sim/oauth/token",
        f"{server.base_url}/sim{PATH}",
    ]


@pytest.mark.anyio
async def test_echoed_token_form_never_reaches_the_error(clock: FakeClock) -> None:
    """A token endpoint that echoes its form puts the secret URL-encoded in its text."""

    def handle(request: Request) -> Reply:
        echoed = request.content.decode()
        return reply({"error": "invalid_client", "error_description": echoed}, 401)

    server = Server(handle)
    async with make_client(server, clock, credentials=API2) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.call(PATH, [], mutating=False)
    text_seen = str(caught.value) + repr(caught.value) + str(caught.value.detail)
    assert "client-id-0001" in text_seen
    assert CLIENT_SECRET not in text_seen
