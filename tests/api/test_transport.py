"""The sender over real loopback sockets: headers, keep-alive, the connection limit, timeouts,
cancellation, content codings and the body bound, TLS contexts and proxy settings."""

from __future__ import annotations

import asyncio
import base64
import gzip
import ssl
import zlib
from pathlib import Path

import anyio
import orjson
import pytest
import trustme
from api_fakes import (
    API1,
    STALL,
    FakeClock,
    Reply,
    Request,
    Server,
    envelope,
    make_client,
    reply,
    sequence,
)

from mimecast_soar.api import ClientSettings, MimecastClient, RetryPolicy
from mimecast_soar.api.answer import DEFAULT_MAX_BODY_BYTES
from mimecast_soar.api.transport import build_sender, ssl_context, user_agent
from mimecast_soar.errors import ConfigurationError, ResponseFormatError, TransportError

PATH = "/api/account/get-account"
ONE_ATTEMPT = RetryPolicy(max_attempts=1)


@pytest.mark.anyio
async def test_requests_carry_json_headers_and_user_agent(clock: FakeClock) -> None:
    server = Server(lambda request: reply())
    async with make_client(server, clock) as client:
        await client.call(PATH, [], mutating=False)
    (request,) = server.requests
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Accept-Encoding"] == "gzip, deflate"
    assert request.headers["User-Agent"] == user_agent()
    assert user_agent().startswith("mimecast-soar/")
    assert "Cookie" not in request.headers
    assert str(request.url) == f"{server.base_url}{PATH}"


@pytest.mark.anyio
async def test_sequential_calls_reuse_one_connection(clock: FakeClock) -> None:
    server = Server(lambda request: reply())
    async with make_client(server, clock) as client:
        for _ in range(5):
            await client.call(PATH, [], mutating=False)
    assert len(server.requests) == 5
    assert server.connections == 1


@pytest.mark.anyio
async def test_cookies_are_never_kept(clock: FakeClock) -> None:
    server = Server(lambda request: reply(headers={"Set-Cookie": "session=abc; Path=/"}))
    async with make_client(server, clock) as client:
        await client.call(PATH, [], mutating=False)
        await client.call(PATH, [], mutating=False)
    assert all("Cookie" not in r.headers for r in server.requests)


@pytest.mark.anyio
async def test_concurrency_never_exceeds_max_connections() -> None:
    in_flight = 0
    most = 0

    async def slow(request: Request) -> Reply:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        return reply()

    server = Server(slow)
    await server.start()
    try:
        settings = ClientSettings(
            API1, base_url=server.base_url, retry=ONE_ATTEMPT, max_connections=3
        )
        async with MimecastClient(settings) as client, anyio.create_task_group() as group:
            for _ in range(12):
                group.start_soon(lambda: client.call(PATH, [], mutating=False))
    finally:
        await server.stop()
    assert len(server.requests) == 12
    assert most == 3
    assert server.connections == 3


@pytest.mark.anyio
async def test_silence_is_a_timeout(clock: FakeClock) -> None:
    server = Server(lambda request: STALL)
    async with make_client(server, clock, retry=ONE_ATTEMPT, timeout_seconds=0.2) as client:
        with pytest.raises(TransportError, match="in time"):
            await client.call(PATH, [], mutating=False)


@pytest.mark.anyio
async def test_a_cancelled_call_frees_its_connection() -> None:
    server = Server(sequence(STALL, reply()))
    await server.start()
    try:
        settings = ClientSettings(
            API1, base_url=server.base_url, retry=ONE_ATTEMPT, max_connections=1
        )
        async with MimecastClient(settings) as client:
            with anyio.move_on_after(0.2):
                await client.call(PATH, [], mutating=False)
            with anyio.fail_after(5):
                response = await client.call(PATH, [], mutating=False)
    finally:
        await server.stop()
    assert response.http_status == 200
    assert len(server.requests) == 2


@pytest.mark.anyio
async def test_a_header_that_would_split_the_request_is_refused_before_sending(
    clock: FakeClock,
) -> None:
    server = Server(lambda request: reply())
    credentials = type(API1)(
        application_id="app\r\nX-Injected: 1",
        application_key=API1.application_key,
        access_key=API1.access_key,
        secret_key=API1.secret_key,
    )
    async with make_client(server, clock, credentials=credentials, retry=ONE_ATTEMPT) as client:
        with pytest.raises(TransportError, match="could not be sent"):
            await client.call(PATH, [], mutating=True)
    assert server.requests == []


def _answer(content: bytes, coding: str | None) -> Reply:
    headers = {"Content-Encoding": coding} if coding else {}
    return Reply(200, content, headers)


BODY = orjson.dumps(envelope([{"n": n} for n in range(200)]))


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("content", "coding"),
    [
        (gzip.compress(BODY), "gzip"),
        (zlib.compress(BODY), "deflate"),
        (zlib.compress(BODY)[2:-4], "deflate"),  # raw deflate, as some servers send it
        (BODY, "identity"),
        (BODY, None),
        (gzip.compress(BODY[:100]) + gzip.compress(BODY[100:]), "gzip"),  # two members
    ],
)
async def test_bodies_are_decoded(clock: FakeClock, content: bytes, coding: str | None) -> None:
    server = Server(lambda request: _answer(content, coding))
    async with make_client(server, clock) as client:
        response = await client.call(PATH, [], mutating=False)
    assert response.raw == orjson.loads(BODY)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("content", "coding", "reason"),
    [
        (gzip.compress(gzip.compress(BODY)), "gzip, gzip", "more than one content coding"),
        (BODY, "br", "unsupported content coding 'br'"),
        (b"not gzip at all", "gzip", "bad gzip data"),
        (gzip.compress(BODY)[:-20], "gzip", "the gzip data ends early"),
    ],
)
async def test_bad_codings_are_format_errors(
    clock: FakeClock, content: bytes, coding: str, reason: str
) -> None:
    server = Server(lambda request: _answer(content, coding))
    async with make_client(server, clock, retry=ONE_ATTEMPT) as client:
        with pytest.raises(ResponseFormatError) as caught:
            await client.call(PATH, [], mutating=False)
    assert f"could not be read: {reason}" in str(caught.value)


@pytest.mark.anyio
@pytest.mark.parametrize("coding", [None, "gzip", "deflate"])
async def test_a_body_over_the_cap_is_refused(clock: FakeClock, coding: str | None) -> None:
    big = orjson.dumps(envelope([{"pad": "x" * 5000}]))
    content = {None: big, "gzip": gzip.compress(big), "deflate": zlib.compress(big)}[coding]
    server = Server(lambda request: _answer(content, coding))
    async with make_client(server, clock, retry=ONE_ATTEMPT, max_body_bytes=4096) as client:
        with pytest.raises(ResponseFormatError) as caught:
            await client.call(PATH, [], mutating=False)
    assert "larger than max_body_bytes (4096 bytes" in str(caught.value)


@pytest.mark.anyio
async def test_a_declared_length_over_the_cap_is_refused_before_reading(
    clock: FakeClock,
) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\n\r\n"
    server = Server(lambda request: Reply(raw=head + b"{"))
    async with make_client(server, clock, retry=ONE_ATTEMPT, max_body_bytes=1000) as client:
        with anyio.fail_after(5), pytest.raises(ResponseFormatError, match="max_body_bytes"):
            await client.call(PATH, [], mutating=False)


def test_default_body_cap_is_64_mib() -> None:
    assert DEFAULT_MAX_BODY_BYTES == 64 * 1024 * 1024
    assert ClientSettings(API1).max_body_bytes == DEFAULT_MAX_BODY_BYTES


@pytest.mark.anyio
async def test_an_http_proxy_carries_the_call_with_its_credentials(clock: FakeClock) -> None:
    proxy = Server(lambda request: reply(envelope([{"via": "proxy"}])))
    await proxy.start()
    try:
        settings = ClientSettings(
            API1,
            base_url="http://mimecast.invalid",
            proxy=f"http://agent:p%40ss-77@127.0.0.1:{proxy.base_url.rsplit(':', 1)[1]}",
            retry=ONE_ATTEMPT,
        )
        async with MimecastClient(settings, clock=clock, sleep=clock.sleep) as client:
            response = await client.call(PATH, [], mutating=False)
    finally:
        await proxy.stop()
    assert response.data == [{"via": "proxy"}]
    (request,) = proxy.requests
    assert request.target == f"http://mimecast.invalid{PATH}"
    expected = base64.b64encode(b"agent:p@ss-77").decode()
    assert request.headers["Proxy-Authorization"] == f"Basic {expected}"


@pytest.mark.parametrize(
    "proxy",
    [
        "http://proxy.example:3128",
        "https://proxy.example:3129",
        "socks5://agent.example:1080",
        "socks5h://user:pw@agent.example:1080",
    ],
)
def test_supported_proxies_are_accepted_and_never_shown_with_credentials(proxy: str) -> None:
    sender = build_sender(proxy=proxy, max_body_bytes=1024)
    assert "pw" not in repr(sender)
    assert "agent.example" in repr(sender) or "proxy.example" in repr(sender)


@pytest.mark.parametrize("proxy", ["ftp://proxy:21", "socks4://p:1080", "proxy:3128", "http://"])
def test_unsupported_proxy_is_a_configuration_error(proxy: str) -> None:
    with pytest.raises(ConfigurationError, match="proxy"):
        build_sender(proxy=proxy, max_body_bytes=1024)


def test_bad_ca_bundle_path_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="verify_ssl"):
        ssl_context(str(tmp_path / "missing.pem"))


def test_ssl_contexts_verify_unless_told_not_to(tmp_path: Path) -> None:
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    for verify in (True, str(bundle), str(tmp_path)):
        context = ssl_context(verify)
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname
    off = ssl_context(False)
    assert off.verify_mode == ssl.CERT_NONE
    assert not off.check_hostname


def test_default_context_ignores_ssl_cert_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    subjects = [c.get("subject") for c in ssl_context(True).get_ca_certs()]
    assert all("Testing CA" not in str(subject) for subject in subjects)
    assert subjects  # certifi's bundle is loaded


@pytest.mark.anyio
async def test_client_accepts_ca_bundle_and_verify_off(tmp_path: Path) -> None:
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    for verify in (str(bundle), False, True):
        async with MimecastClient(ClientSettings(API1, region="eu", verify_ssl=verify)) as client:
            assert client.base_url == "https://eu-api.mimecast.com"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"timeout_seconds": 0}, "timeout_seconds"),
        ({"max_connections": 0}, "max_connections"),
        ({"max_body_bytes": 0}, "max_body_bytes"),
    ],
)
def test_bad_limits_are_configuration_errors(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        build_sender(**{"max_body_bytes": 1024, **kwargs})  # type: ignore[arg-type]


def test_client_construction_fails_early_on_bad_settings() -> None:
    with pytest.raises(ConfigurationError, match="region"):
        MimecastClient(ClientSettings(API1, region="mars"))
    with pytest.raises(ConfigurationError, match="proxy"):
        MimecastClient(ClientSettings(API1, region="eu", proxy="gopher://x"))
