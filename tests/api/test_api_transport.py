"""Building the sender: headers, TLS, proxies, timeouts, pool."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest
import trustme
from api_fakes import API1, FakeClock, Server, make_client, reply

from mimecast_soar.api import ClientSettings, MimecastClient
from mimecast_soar.api.http11 import Http11Transport
from mimecast_soar.api.transport import build_sender, ssl_context, user_agent
from mimecast_soar.errors import ConfigurationError


@pytest.mark.anyio
async def test_requests_carry_json_headers_and_user_agent(clock: FakeClock) -> None:
    server = Server(lambda request: reply())
    async with make_client(server, clock) as client:
        await client.call("/api/account/get-account", [], mutating=False)
    (request,) = server.requests
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == user_agent()
    assert user_agent().startswith("mimecast-soar/")
    assert str(request.url) == "https://eu-api.mimecast.com/api/account/get-account"


@pytest.mark.anyio
async def test_timeouts_reach_every_request_and_the_lean_transport_is_used() -> None:
    sender = build_sender(timeout_seconds=12.5)
    try:
        assert sender.timeout == httpx.Timeout(12.5)
        assert isinstance(sender.transport, Http11Transport)
        request = sender.build_request("https://eu-api.mimecast.com/api/x", b"{}")
        assert request.extensions["timeout"] == httpx.Timeout(12.5).as_dict()
        assert request.headers["Host"] == "eu-api.mimecast.com"
        assert request.headers["Content-Length"] == "2"
    finally:
        await sender.aclose()


@pytest.mark.anyio
@pytest.mark.parametrize(
    "proxy",
    [
        "http://proxy.example:3128",
        "https://proxy.example:3129",
        "socks5://agent.example:1080",
        "socks5h://user:pw@agent.example:1080",
    ],
)
async def test_supported_proxies_use_httpx_own_transport(proxy: str) -> None:
    sender = build_sender(proxy=proxy)
    try:
        assert isinstance(sender.transport, httpx.AsyncHTTPTransport)
    finally:
        await sender.aclose()


@pytest.mark.parametrize("proxy", ["ftp://proxy:21", "socks4://p:1080", "proxy:3128", "http://"])
def test_unsupported_proxy_is_a_configuration_error(proxy: str) -> None:
    with pytest.raises(ConfigurationError, match="proxy"):
        build_sender(proxy=proxy)


def test_bad_ca_bundle_path_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="verify_ssl"):
        ssl_context(str(tmp_path / "missing.pem"))


def test_ca_bundle_path_loads_into_an_ssl_context(tmp_path: Path) -> None:
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    context = ssl_context(str(bundle))
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert ssl_context(False) is False
    assert ssl_context(True) is True


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
    [({"timeout_seconds": 0}, "timeout_seconds"), ({"max_connections": 0}, "max_connections")],
)
def test_bad_limits_are_configuration_errors(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        build_sender(**kwargs)  # type: ignore[arg-type]


def test_client_construction_fails_early_on_bad_settings() -> None:
    with pytest.raises(ConfigurationError, match="region"):
        MimecastClient(ClientSettings(API1, region="mars"))
    with pytest.raises(ConfigurationError, match="proxy"):
        MimecastClient(ClientSettings(API1, region="eu", proxy="gopher://x"))
