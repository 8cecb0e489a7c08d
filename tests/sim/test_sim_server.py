"""Admin endpoints, the server wrapper, TLS, the connection file, `serve` and in-process use."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import tomllib
from pathlib import Path

import anyio
import httpx
import pytest
import trustme
from sim_helpers import Api, signed_headers

import mimecast_soar
import mimecast_soar.sim as sim_package
from mimecast_soar.sim import (
    SimConfig,
    SimServer,
    SimulatedDropError,
    create_app,
    parse_fault,
    write_connection_file,
)

ACCOUNT = "/api/account/get-account"


def test_public_names() -> None:
    assert set(sim_package.__all__) >= {
        "SimConfig",
        "SimServer",
        "create_app",
        "write_connection_file",
        "parse_fault",
        "FaultRule",
        "serve",
    }
    for name in sim_package.__all__:
        assert getattr(sim_package, name).__doc__


def test_request_log_and_reset(api: Api, server: SimServer) -> None:
    message_id = server.app.state.sim.held_ids()[0]
    api.ok("/api/gateway/hold-release", {"data": [{"id": message_id}]})
    api.post(ACCOUNT, {"data": []})
    log = api.client.get("/_sim/requests").json()
    assert [entry["path"] for entry in log] == ["/api/gateway/hold-release", ACCOUNT]
    entry = log[0]
    assert entry["method"] == "POST"
    assert entry["status"] == 200
    assert entry["auth"] == "api1"
    assert entry["executed"] is True
    assert entry["body"] == {"data": [{"id": message_id}]}
    assert "time" in entry
    only = api.client.get("/_sim/requests", params={"path": ACCOUNT}).json()
    assert len(only) == 1
    state = api.client.get("/_sim/state").json()
    assert state["released"] == 1
    assert state["held"] == 59
    assert state["group_members"]["VIP"] == 250
    assert state["policies"] == 2
    api.client.post("/_sim/faults", json=[{"kind": "slow", "delay_ms": 1}])
    assert api.client.post("/_sim/reset").status_code == 200
    assert api.client.get("/_sim/requests").json() == []
    state = api.client.get("/_sim/state").json()
    assert state["held"] == 60
    assert state["released"] == 0
    assert state["faults"] == []


def test_same_seed_same_world() -> None:
    first, second = create_app(SimConfig(seed=3)), create_app(SimConfig(seed=3))
    assert first.state.sim.held_ids() == second.state.sim.held_ids()
    assert create_app(SimConfig(seed=4)).state.sim.held_ids() != first.state.sim.held_ids()


def test_connection_dicts(server: SimServer) -> None:
    one = server.connection()
    assert set(one) == {"base_url", "application_id", "application_key", "access_key", "secret_key"}
    assert set(server.connection(api_version=2)) == {"base_url", "client_id", "client_secret"}
    assert all(isinstance(value, str) for value in one.values())


def test_write_connection_file_is_flat_toml(tmp_path: Path, server: SimServer) -> None:
    path = tmp_path / "conn.toml"
    write_connection_file(path, {**server.connection(), "verify_ssl": False, "label": 'a "q"'})
    loaded = tomllib.loads(path.read_text())
    assert loaded == {**server.connection(), "verify_ssl": False, "label": 'a "q"'}


def test_https_with_trustme(tmp_path: Path) -> None:
    authority = trustme.CA()
    cert = authority.issue_cert("127.0.0.1")
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    with SimServer(ssl_certfile=str(certfile), ssl_keyfile=str(keyfile)) as server:
        assert server.base_url.startswith("https://127.0.0.1:")
        context = ssl.create_default_context()
        authority.configure_trust(context)
        with httpx.Client(base_url=server.base_url, verify=context) as client:
            assert Api(client, server.connection()).post(ACCOUNT).status_code == 200


def test_in_process_drop_raises_a_protocol_error() -> None:
    app = create_app(SimConfig(faults=[parse_fault("drop_before")]))
    config = app.state.sim.config
    keys = ("application_id", "application_key", "access_key", "secret_key")
    headers = signed_headers({key: getattr(config, key) for key in keys}, ACCOUNT)

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
            with pytest.raises(SimulatedDropError):
                await client.post(ACCOUNT, json={"data": []}, headers=headers)

    anyio.run(main)


def test_unknown_path_and_wrong_method(client: httpx.Client) -> None:
    unknown = client.post("/api/nothing/here", json={"data": []})
    assert unknown.status_code == 404
    assert unknown.json()["fail"][0]["errors"][0]["code"] == "err_not_found"
    assert client.get(ACCOUNT).status_code == 405


def test_serve_prints_the_url_and_writes_the_connection(tmp_path: Path) -> None:
    conn_file = tmp_path / "sim.toml"
    src = str(Path(mimecast_soar.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    code = (
        "from mimecast_soar.sim import SimConfig, serve; "
        f"serve(SimConfig(seed=2), '127.0.0.1', 0, {str(conn_file)!r})"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "http://127.0.0.1:" in line
        assert str(conn_file) in line
        connection = tomllib.loads(conn_file.read_text())
        with httpx.Client(base_url=connection["base_url"]) as client:
            assert Api(client, connection).post(ACCOUNT).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        if process.stdout is not None:
            process.stdout.close()
