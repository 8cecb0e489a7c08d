"""The HTTP stack under the simulator: httptools on uvloop when they are installed, h11 on the
asyncio loop when not, and the faults that act on the connection itself (drops, slow, malformed
and truncated bodies) behave the same on both, over plain HTTP and TLS."""

from __future__ import annotations

import json
import ssl
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import trustme
from sim_helpers import Api, signed_headers

import mimecast_soar.sim.server as server_module
from mimecast_soar.sim import SimConfig, SimServer, create_app
from mimecast_soar.sim.server import uvicorn_protocols

RELEASE = "/api/gateway/hold-release"
ACCOUNT = "/api/account/get-account"
DISCOVER = "/api/login/discover-authentication"
PROTOCOL_CLASS = {"httptools": "HttpToolsProtocol", "h11": "H11Protocol"}


def test_httptools_and_uvloop_are_the_default() -> None:
    # Both are project dependencies (uvloop not on Windows).
    loop = "asyncio" if sys.platform == "win32" else "uvloop"
    assert uvicorn_protocols() == ("httptools", loop)


def test_each_half_falls_back_on_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_module, "_importable", lambda module: False)
    assert uvicorn_protocols() == ("h11", "asyncio")
    monkeypatch.setattr(server_module, "_importable", lambda module: module == "httptools")
    assert uvicorn_protocols() == ("httptools", "asyncio")
    monkeypatch.setattr(server_module, "_importable", lambda module: module == "uvloop")
    assert uvicorn_protocols() == ("h11", "uvloop")


@pytest.fixture(params=["httptools", "h11"])
def stack(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The HTTP protocol the next `SimServer` runs; "h11" as if httptools and uvloop were absent."""
    if request.param == "h11":
        monkeypatch.setattr(server_module, "_importable", lambda module: False)
    elif uvicorn_protocols()[0] != "httptools":
        pytest.skip("httptools is not installed")
    return str(request.param)


@pytest.fixture(params=[False, True], ids=["http", "https"])
def served(
    request: pytest.FixtureRequest, stack: str, tmp_path: Path
) -> Iterator[tuple[SimServer, httpx.Client]]:
    verify: ssl.SSLContext | bool = True
    files: dict[str, str] = {}
    if request.param:
        authority = trustme.CA()
        cert = authority.issue_cert("127.0.0.1")
        certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
        cert.private_key_and_cert_chain_pem.write_to_path(str(certfile))
        cert.private_key_pem.write_to_path(str(keyfile))
        files = {"ssl_certfile": str(certfile), "ssl_keyfile": str(keyfile)}
        verify = ssl.create_default_context()
        authority.configure_trust(verify)
    with (
        SimServer(SimConfig(seed=23), **files) as server,
        httpx.Client(base_url=server.base_url, verify=verify, timeout=10) as client,
    ):
        yield server, client


def _fault(client: httpx.Client, **rule: object) -> None:
    assert client.post("/_sim/faults", json=[rule]).status_code == 200


def test_connection_faults_on_each_stack(
    stack: str, served: tuple[SimServer, httpx.Client]
) -> None:
    server, client = served
    running = server._server
    assert running is not None
    assert running.config.http_protocol_class.__name__ == PROTOCOL_CLASS[stack]
    loop_module = type(running.servers[0].get_loop()).__module__
    assert loop_module.startswith("uvloop" if stack == "httptools" else "asyncio")
    api = Api(client, server.connection())
    sim = server.app.state.sim
    first, second, third = sim.held_ids()[:3]

    _fault(client, kind="drop_before", count=1, path=RELEASE)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        api.post(RELEASE, {"data": [{"id": first}]})
    assert first in sim.held_ids()

    _fault(client, kind="drop_after", count=1, path=RELEASE)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        api.post(RELEASE, {"data": [{"id": second}]})
    assert second not in sim.held_ids()

    _fault(client, kind="truncated", count=1, path=RELEASE)
    truncated = api.post(RELEASE, {"data": [{"id": third}]})
    assert truncated.status_code == 200
    assert third not in sim.held_ids()
    with pytest.raises(json.JSONDecodeError):
        json.loads(truncated.text)

    _fault(client, kind="malformed", count=1)
    malformed = api.post(ACCOUNT)
    assert (malformed.status_code, malformed.headers["content-type"]) == (
        200,
        "text/html; charset=utf-8",
    )
    assert malformed.text.startswith("<html>")
    assert int(malformed.headers["X-RateLimit-Limit"]) == 10000

    _fault(client, kind="slow", delay_ms=200, count=1)
    started = time.monotonic()
    slow = api.post(ACCOUNT)
    assert slow.status_code == 200
    assert time.monotonic() - started >= 0.2
    assert slow.json()["fail"] == []

    log = [(e["fault"], e["executed"], e["status"]) for e in sim.request_log()]
    assert log == [
        ("drop_before", False, None),
        ("drop_after", True, None),
        ("truncated", True, 200),
        ("malformed", False, 200),
        (None, True, 200),  # slow only delays: no fault recorded
    ]


def _asgi(
    app: Any, path: str, headers: dict[str, str], chunks: list[bytes], *, disconnect: bool = False
) -> list[dict[str, Any]]:
    """One raw ASGI request: the body in `chunks`, optionally a disconnect after them."""
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1 or disconnect}
        for i, chunk in enumerate(chunks)
    ]
    if disconnect:
        messages.append({"type": "http.disconnect"})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "server": ("127.0.0.1", 8089),
        "client": ("127.0.0.1", 50000),
    }
    anyio.run(app, scope, receive, send)
    return sent


def test_raw_asgi_body_chunks_disconnects_and_host() -> None:
    app = create_app(SimConfig(seed=3))
    sim = app.state.sim
    keys = ("application_id", "application_key", "access_key", "secret_key")
    connection = {key: getattr(sim.config, key) for key in keys}

    def headers(host: str) -> dict[str, str]:
        return {"host": host, **signed_headers(connection, DISCOVER)}

    def region_api(answer: dict[str, Any]) -> str:
        api: str = json.loads(answer["body"])["data"][0]["region"]["api"]
        return api

    request = {"data": [{"emailAddress": "someone@example.com"}]}
    body = json.dumps(request).encode()
    start, answer = _asgi(app, DISCOVER, headers("sim.test:1234"), [body[:5], body[5:]])
    assert start["status"] == 200
    assert dict(start["headers"])[b"content-type"] == b"application/json"
    assert int(dict(start["headers"])[b"content-length"]) == len(answer["body"])
    assert region_api(answer) == "http://sim.test:1234"
    assert sim.request_log()[0]["body"] == request
    # the base URL follows each request's Host header (it is cached per Host)
    assert region_api(_asgi(app, DISCOVER, headers("other.test"), [body])[1]) == "http://other.test"
    assert region_api(_asgi(app, DISCOVER, headers("sim.test:1234"), [body])[1]).endswith(":1234")
    # a client gone before its body ended: no answer, nothing logged or executed
    assert _asgi(app, DISCOVER, headers("sim.test"), [body[:5]], disconnect=True) == []
    assert len(sim.request_log()) == 3
    assert sim.executed[DISCOVER] == 3
