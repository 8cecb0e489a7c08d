"""Secrets never reach output rows, errors, progress or log lines: scan everything a run made."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import run_cli, write_jsonl
from tests.support.hostile_server import hostile_server
from tests.support.secret_scan import SCAN, encoded_forms
from tests.support.simadmin import SimAdmin


def test_no_secret_in_anything_a_run_produced(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    connection = sim.server.connection()
    secrets = [connection[key] for key in ("application_key", "access_key", "secret_key")]
    secrets.append("ref-secret-7f3a9c")
    group = sim.sim.group_id("VIP")
    table = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"lhub_id": 1, "g": group, "who": "ok.person@example.com"},
            {"lhub_id": 2, "g": group, "who": "not an address"},
            {"lhub_id": 3, "g": "no-such-group", "who": "x@example.com"},
        ],
    )
    produced = []
    for fmt in ("jsonl", "csv", "devo"):
        out = tmp_path / f"out.{fmt}"
        result = run_cli(
            [
                "run",
                "add_group_member",
                "--connection",
                str(conn_file),
                "--input",
                str(table),
                "--output",
                str(out),
                "--format",
                fmt,
                "--set",
                "group_id={{ g }}",
                # The password reference value is rendered into a request, then echoed back by
                # Mimecast's fail[] key: it must still be masked in the row.
                "--set",
                "email_address={{ who }}{{ '' if who else vault_token }}",
            ]
        )
        produced += [result.stdout, result.stderr, out.read_text(encoding="utf-8")]
    leaky = run_cli(
        [
            "run",
            "get_policy",
            "--connection",
            str(conn_file),
            "--input",
            str(table),
            "--set",
            "policy_id={{ vault_token }}",
        ]
    )
    produced += [leaky.stdout, leaky.stderr]
    assert leaky.returncode == 3  # finished, with error rows
    assert "**********" in leaky.stdout  # the echoed id was masked, not dropped
    check = run_cli(["check-connection", "--connection", str(conn_file)])
    produced += [check.stdout, check.stderr]
    text = "\n".join(produced)
    assert text.strip()
    for secret in secrets:
        assert secret not in text, "a secret leaked"
    rows = [json.loads(line) for line in leaky.stdout.splitlines()]
    assert len(rows) == 3


# Every character that encodes differently in a URL, in JSON and in base64.
ECHOED_SECRET = 's3cr+t/v=lüe&"q"\\9f1 é'
ECHO_CLIENT_ID = "client-id-echo-7"
SCAN.secret(ECHOED_SECRET, "client secret echoed by the token endpoint")


def _api2_connection(tmp_path: Path, base_url: str) -> Path:
    path = tmp_path / "conn-api2.json"
    connection = {
        "base_url": base_url,
        "client_id": ECHO_CLIENT_ID,
        "client_secret": ECHOED_SECRET,
        "timeout_seconds": 10,
    }
    path.write_text(json.dumps(connection), encoding="utf-8")
    return path


def test_a_token_endpoint_echoing_its_form_leaks_the_secret_in_no_form(tmp_path: Path) -> None:
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": 1, "p": "x"}, {"lhub_id": 2, "p": "y"}])
    with hostile_server() as root:
        conn = _api2_connection(tmp_path, f"{root}/echo")
        check = run_cli(["check-connection", "--connection", str(conn)])
        out = tmp_path / "out.jsonl"
        run = run_cli(
            [
                "run",
                "get_policy",
                "--connection",
                str(conn),
                "--input",
                str(table),
                "--output",
                str(out),
                "--set",
                "policy_id={{ p }}",
            ]
        )
    assert check.returncode == 1
    assert run.returncode == 1  # bad client credentials stop the run
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row["original_lhub_id"] for row in rows] == [1, 2]
    errors = [row["error"] for row in rows]
    # What the server said is kept, the secret masked in each of its forms: URL-encoded, JSON
    # (twice) and inside the base64 of "client_id:client_secret".
    for text in (check.stderr, errors[0]):
        assert f"client_id={ECHO_CLIENT_ID}&client_secret=**********&grant_type" in text
        assert text.count("**********") == 4
    produced = "\n".join([check.stdout, check.stderr, run.stdout, run.stderr, *errors])
    for form, how in {ECHOED_SECRET: "plain", **encoded_forms(ECHOED_SECRET)}.items():
        assert form not in produced, f"the client secret leaked {how}"
