"""Secrets never reach rows, notices or exception text, over API 2.0 and API 1.0, under faults.

A password reference value is rendered into the request and echoed back by the simulator's
`fail[]` key and error bodies; OAuth tokens are issued and refreshed. Everything the runs
produce goes to the session's secret scan (`tests.support.secret_scan`) as well.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from tests.reliability.harness import Admin, ListSink
from tests.support.secret_scan import SCAN, SecretScan

from mimecast_soar.actions import BatchWindow, get_action
from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime import Connection, InputRow
from mimecast_soar.runtime.session import run_to_sink
from mimecast_soar.runtime.writers import dumps
from mimecast_soar.sim import SimServer

VAULT = "vault-echo-91ad3e"
POLICY_PATH = "/api/policy/blockedsenders/get-policy"


@pytest.mark.parametrize("api_version", [1, 2])
def test_no_secret_in_rows_or_notices_when_mimecast_echoes_them(
    sim_server: SimServer, api_version: int
) -> None:
    admin = Admin(sim_server.base_url)
    admin.reset()
    admin.faults(
        [
            {
                "kind": "fail",
                "code": "err_echo",
                "message": "echo",
                "count": 2,
                "path": POLICY_PATH,
            },
            {"kind": "status", "code": 500, "count": 1, "after": 2, "path": POLICY_PATH},
            {"kind": "unauthorized", "count": 1, "after": 5, "path": POLICY_PATH},
        ]
    )
    SCAN.secret(VAULT, "echoed password reference value")
    data: dict[str, Any] = {
        **sim_server.connection(api_version),
        "reference_values": {"vault": {"value": VAULT, "secret": True}},
    }
    connection = Connection.from_mapping(data)
    sink = ListSink()
    notices: list[str] = []
    summary = anyio.run(
        lambda: run_to_sink(
            get_action("get_policy"),
            [InputRow(i, {"n": i}) for i in range(1, 9)],
            sink,
            connection=connection,
            settings={"policy_id": "{{ vault }}-{{ n }}"},
            window=BatchWindow.last_hours(1),
            concurrency=1,
            on_notice=notices.append,
        )
    )
    tokens = list(sim_server.app.state.sim.tokens._expiry)
    for token in tokens:
        SCAN.secret(token, "OAuth bearer token")
    text = "\n".join([dumps(row).decode() for _, row in sink.rows] + notices + [repr(summary)])
    SCAN.text(text, f"API {api_version} echo run")
    assert len(sink.rows) == 8
    assert "**********" in text  # the echoed value was masked, not dropped
    secrets = [VAULT, *tokens, *(str(v) for k, v in data.items() if "key" in k or "secret" in k)]
    for secret in secrets:
        assert secret not in text
    if api_version == 2:
        assert tokens, "no OAuth token was issued"


def test_connection_errors_do_not_show_secret_values() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Connection.from_mapping(
            {
                "application_id": "app",
                "application_key": "k3y-value-7788",
                "access_key": "acc-value-6655",
                "secret_key": "not base64 secret-4433",
                "client_secret": "mix-secret-2211",
            }
        )
    shown = str(caught.value) + repr(caught.value)
    for value in ("k3y-value-7788", "acc-value-6655", "secret-4433", "mix-secret-2211"):
        assert value not in shown


def test_the_session_secret_scan_finds_a_planted_secret(tmp_path: Path) -> None:
    scan = SecretScan()
    scan.secret("planted-secret-3141", "planted")
    scan.text("nothing here", "clean text")
    leaky = tmp_path / "out.jsonl"
    leaky.write_text('{"error": "x' + "y" * (1 << 20) + 'planted-secret-3141"}\n')
    scan.path(leaky, "leaky file")
    assert scan.leaks() == ["leaky file (out.jsonl): planted"]
    leaky.write_text("clean\n")  # the artefact scan at teardown must not fail this session


def test_the_session_secret_scan_finds_a_secret_in_its_encoded_forms() -> None:
    import base64
    import json
    from urllib.parse import quote_plus

    secret = 'enc+oded/sec=ret "9"'
    scan = SecretScan()
    scan.secret(secret, "encoded")
    basic = base64.b64encode(f"user-x:{secret}".encode()).decode()
    scan.text(f"client_secret={quote_plus(secret)}&grant_type=x", "form")
    scan.text(json.dumps({"client_secret": secret}), "json")
    scan.text(f"Authorization: Basic {basic}", "basic header")
    scan.text("client_secret=**********", "masked")
    assert scan.leaks() == [
        "form: encoded (form-encoded)",
        "json: encoded (json-escaped)",
        "basic header: encoded (base64 at offset 1)",
    ]
