"""`mimecast-soar sim --write-connection`, `check-connection` and `demo` as a user runs them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import subprocess
import sys
import time
import tomllib
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from tests.cli.conftest import run_cli


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def signed_headers(conn: dict[str, str], path: str, secret_key: str) -> dict[str, str]:
    """Headers signed by hand with the documented algorithm (docs/mimecast-api.md §2)."""
    date = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S UTC")
    request_id = str(uuid.uuid4())
    data = f"{date}:{request_id}:{path}:{conn['application_key']}".encode()
    mac = hmac.new(base64.b64decode(secret_key), data, hashlib.sha1).digest()
    return {
        "x-mc-app-id": conn["application_id"],
        "x-mc-date": date,
        "x-mc-req-id": request_id,
        "Authorization": f"MC {conn['access_key']}:{base64.b64encode(mac).decode()}",
        "Content-Type": "application/json",
    }


def test_sim_command_serves_hand_signed_requests(tmp_path: Path) -> None:
    port = free_port()
    conn_path = tmp_path / "conn.toml"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mimecast_soar.cli",
            "sim",
            "--port",
            str(port),
            "--write-connection",
            str(conn_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not conn_path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert conn_path.exists(), "the simulator did not write its connection file"
        conn = tomllib.loads(conn_path.read_text(encoding="utf-8"))
        assert conn["base_url"] == f"http://127.0.0.1:{port}"
        path = "/api/account/get-account"
        good = httpx.post(
            conn["base_url"] + path,
            headers=signed_headers(conn, path, conn["secret_key"]),
            content=b'{"data": []}',
        )
        assert good.status_code == 200
        assert good.json()["fail"] == []
        wrong_secret = base64.b64encode(b"not the secret key at all....").decode()
        bad = httpx.post(
            conn["base_url"] + path,
            headers=signed_headers(conn, path, wrong_secret),
            content=b'{"data": []}',
        )
        assert bad.status_code == 401
        assert bad.json()["fail"][0]["errors"][0]["code"] == "err_xdk_invalid_signature"
        ok = run_cli(["check-connection", "--connection", str(conn_path)])
        assert ok.returncode == 0, ok.stderr
        assert ok.stdout.startswith("connected: ")
        broken = conn_path.read_text(encoding="utf-8").replace(conn["secret_key"], wrong_secret)
        broken_path = tmp_path / "broken.toml"
        broken_path.write_text(broken, encoding="utf-8")
        failed = run_cli(["check-connection", "--connection", str(broken_path)])
        assert failed.returncode == 1
        assert "authentication failed" in failed.stderr
        assert wrong_secret not in failed.stderr
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_demo_runs_the_playbook_and_succeeds() -> None:
    result = run_cli(["demo"], timeout=120)
    assert result.returncode == 0, result.stderr + result.stdout
    for step in (
        "List held messages",
        "Release two",
        "Reject the phish",
        "Details of",
        "malicious URL clicks",
        "Remove the clicked email from every mailbox",
        "Block the clicked link for everyone",
        "identified = removed + failed: done",
        "Add the clicked sender",
        "Block the sender by policy",
    ):
        assert step in result.stdout
    assert "all steps succeeded" in result.stdout
