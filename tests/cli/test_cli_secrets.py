"""Secrets never reach output rows, errors, progress or log lines: scan everything a run made."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import run_cli, write_jsonl
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
    assert leaky.returncode == 0
    assert "**********" in leaky.stdout  # the echoed id was masked, not dropped
    check = run_cli(["check-connection", "--connection", str(conn_file)])
    produced += [check.stdout, check.stderr]
    text = "\n".join(produced)
    assert text.strip()
    for secret in secrets:
        assert secret not in text, "a secret leaked"
    rows = [json.loads(line) for line in leaky.stdout.splitlines()]
    assert len(rows) == 3
