"""Exit statuses that say what happened: 0, 3, 1, 2 and 130 from `run`; `devo exec` 0 whenever
every input row got its rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.cli.conftest import run_cli, write_jsonl
from tests.support.simadmin import SimAdmin

FIND_GROUPS = "/api/directory/find-groups"
RELEASE = "/api/gateway/hold-release"


def _find_groups(conn_file: Path, table: Path, *extra: str) -> list[str]:
    args = ["run", "find_groups", "--connection", str(conn_file), "--input", str(table)]
    return [*args, "--set", "query={{ q }}", *extra]


def test_every_row_answered_without_error_exits_0(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    table = write_jsonl(tmp_path / "in.jsonl", [{"q": "VIP"}, {"q": "Phishing"}])
    result = run_cli(_find_groups(conn_file, table))
    assert result.returncode == 0, result.stderr
    assert result.jsonl()
    assert not any(row["has_error"] for row in result.jsonl())


def test_a_finished_run_with_error_rows_exits_3(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    held = sim.sim.held_ids()[:1]
    table = write_jsonl(tmp_path / "in.jsonl", [{"mid": held[0]}, {"other": 1}])
    args = ["run", "release_message", "--connection", str(conn_file), "--input", str(table)]
    result = run_cli([*args, "--set", "message_id_column=mid"])
    assert result.returncode == 3, result.stderr
    assert [row["has_error"] for row in result.jsonl()] == [False, True]
    assert "2 input rows, 2 output rows, 1 error rows" in result.stderr
    # Every row failing is a finished run too, not a success.
    failing = write_jsonl(tmp_path / "bad.jsonl", [{"other": 1}, {"mid": ""}])
    again = run_cli([*args[:-1], str(failing), "--set", "message_id_column=mid"])
    assert again.returncode == 3, again.stderr
    assert len(sim.bodies(RELEASE)) == 1


def test_a_run_stopped_by_a_fatal_error_exits_1(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    table = write_jsonl(tmp_path / "in.jsonl", [{"q": "VIP"}, {"q": "x"}, {"q": "y"}])
    wrong = "d3Jvbmctc2VjcmV0LWtleS1ieXRlcy0wMTIzNDU2Nzg5MDEyMw=="
    result = run_cli(_find_groups(conn_file, table), env={"MIMECAST_SECRET_KEY": wrong})
    assert result.returncode == 1, result.stderr
    assert [row["original_lhub_id"] for row in result.jsonl()] == [1, 2, 3]
    assert "error: the run stopped" in result.stderr


def test_a_usage_mistake_exits_2_before_any_call(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    table = write_jsonl(tmp_path / "in.jsonl", [{"q": "VIP"}])
    for extra in (["--concurrency", "0"], ["--carry", ","], ["--resume"]):
        result = run_cli(_find_groups(conn_file, table, *extra))
        assert result.returncode == 2, (extra, result.stderr)
        assert result.stderr.startswith("error: ")
    assert sim.bodies(FIND_GROUPS) == []


def test_ctrl_c_exits_130_and_says_how_to_continue(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    sim.faults([{"kind": "slow", "delay_ms": 1500, "path": FIND_GROUPS}])
    table = write_jsonl(tmp_path / "in.jsonl", [{"q": f"g{n}"} for n in range(6)])
    out = tmp_path / "out.jsonl"
    args = _find_groups(conn_file, table, "--output", str(out), "--concurrency", "1")
    process = subprocess.Popen(
        [sys.executable, "-m", "mimecast_soar.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        deadline = time.monotonic() + 60
        while not sim.requests(FIND_GROUPS):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no row was ever sent"
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, stderr
    assert "interrupted: " in stderr
    assert "continue with --resume" in stderr
    assert "Traceback" not in stderr


def test_run_help_documents_every_exit_status() -> None:
    result = run_cli(["run", "--help"])
    assert result.returncode == 0
    lines = [line.split() for line in result.stdout.splitlines()]
    documented = {words[0] for words in lines if words and words[0].isdigit()}
    assert {"0", "1", "2", "3", "130", "141"} <= documented
    assert "--id-column" in result.stdout
    assert "--carry" in result.stdout


def test_devo_exec_exits_0_when_every_row_got_its_row_errors_included(
    sim: SimAdmin, tmp_path: Path
) -> None:
    folder = tmp_path / "input"
    folder.mkdir()
    write_jsonl(folder / "part-00000.json", [{"lhub_id": 5, "mid": ""}, {"lhub_id": 6}])
    output = tmp_path / "output.json"
    env = {
        **sim.server.connection(),
        "__lh_integration_input_data_json_folder_path": str(folder),
        "__lh_integration_output_data_json_file_path": str(output),
        "___message_id_column": "mid",
    }
    result = run_cli(["devo", "exec", "release_message"], env=env)
    assert result.returncode == 0, result.stderr
    lines = [line for line in output.read_text(encoding="utf-8").splitlines() if line]
    assert [line.count('\\"has_error\\":true') for line in lines] == [1, 1]
    assert '"original_lhub_id":5' in lines[0]
    assert '"original_lhub_id":6' in lines[1]
    assert sim.bodies(RELEASE) == []
    # It could not write a row for any input row: non-zero.
    unset = {key: value for key, value in env.items() if not key.endswith("file_path")}
    unset["__lh_integration_output_data_json_file_path"] = ""
    refused = run_cli(["devo", "exec", "release_message"], env=unset)
    assert refused.returncode != 0
    assert "is not set" in refused.stderr
