"""One warning line on stderr when a connection turns TLS verification off: per run, not per row."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import run_cli, write_jsonl
from tests.support.simadmin import SimAdmin

WARNING = "warning: TLS certificate verification is off for this connection (verify_ssl = false)"


def _with_verify_ssl(conn_file: Path, value: str) -> Path:
    path = conn_file.with_name(f"conn-verify-{value}.toml")
    text = conn_file.read_text(encoding="utf-8")
    head, sep, tail = text.partition("[reference_values]")
    path.write_text(f"{head}verify_ssl = {value}\n{sep}{tail}", encoding="utf-8")
    return path


def test_run_and_check_connection_warn_once_when_verify_ssl_is_off(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": n, "p": f"p{n}"} for n in range(5)])
    run_args = ["run", "get_policy", "--input", str(table), "--set", "policy_id={{ p }}"]
    off = _with_verify_ssl(conn_file, "false")
    run = run_cli([*run_args, "--connection", str(off)])
    check = run_cli(["check-connection", "--connection", str(off)])
    assert run.returncode == 3, run.stderr  # finished, with error rows
    assert check.returncode == 0, check.stderr
    assert len(run.jsonl()) == 5
    for result in (run, check):
        assert result.stderr.count(WARNING) == 1
        assert result.stderr.splitlines()[0] == WARNING
    on = _with_verify_ssl(conn_file, "true")
    for result, status in (
        (run_cli([*run_args, "--connection", str(on)]), 3),  # its rows are error rows
        (run_cli(["check-connection", "--connection", str(on)]), 0),
    ):
        assert result.returncode == status
        assert "verify_ssl" not in result.stderr
