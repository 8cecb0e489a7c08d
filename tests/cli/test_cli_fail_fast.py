"""A dead service stops the run within seconds, one line naming host and cause, resumable."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

from tests.cli.conftest import run_cli, write_jsonl
from tests.support.simadmin import SimAdmin

from mimecast_soar.runtime.failfast import FAIL_FAST_ROWS

ROWS = 40


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _connection(path: Path, sim: SimAdmin, base_url: str) -> Path:
    conn = {**sim.server.connection(), "base_url": base_url}
    path.write_text("".join(f'{key} = "{value}"\n' for key, value in conn.items()))
    return path


def test_a_dead_host_stops_the_run_after_three_rows_and_resume_runs_the_rest(
    sim: SimAdmin, tmp_path: Path
) -> None:
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": i} for i in range(1, ROWS + 1)])
    out = tmp_path / "out.jsonl"
    dead = _connection(tmp_path / "dead.toml", sim, f"http://127.0.0.1:{_closed_port()}")
    args = ["run", "get_policy", "--input", str(table), "--output", str(out)]
    began = time.monotonic()
    result = run_cli([*args, "--connection", str(dead)])
    took = time.monotonic() - began
    assert result.returncode == 1, result.stderr
    assert took < 30, f"a dead host took {took:.1f} s to stop the run"
    stop_lines = [line for line in result.stderr.splitlines() if "cannot reach" in line]
    assert stop_lines == [
        "error: the run stopped: cannot reach 127.0.0.1: connection refused; stopped after 3 "
        f"rows failed to connect and none succeeded ({ROWS - FAIL_FAST_ROWS} rows not processed: "
        "--resume runs them)"
    ]
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["original_lhub_id"] for row in rows] == list(range(1, ROWS + 1))
    assert all(row["has_error"] for row in rows)
    failed = rows[:FAIL_FAST_ROWS]
    assert all(row["error"].startswith("Could not connect to 127.0.0.1") for row in failed)
    assert all(row["error"].startswith("not processed:") for row in rows[FAIL_FAST_ROWS:])
    # Retries folded per cause: the first in full, then counts; never a line per attempt.
    retry_lines = [line for line in result.stderr.splitlines() if "could not connect" in line]
    assert 1 <= len(retry_lines) <= 3, result.stderr
    assert any("could not connect: retried 10 times so far" in line for line in retry_lines)
    # Each of the 3 rows gave up after its 5 attempts: at most 3 rows' worth were made.
    assert all("Gave up after 5 attempts" in row["error"] for row in failed)

    # The service is back: --resume runs the rows that were not processed, and only those.
    live = _connection(tmp_path / "live.toml", sim, sim.base_url)
    resumed = run_cli([*args, "--connection", str(live), "--resume"])
    assert resumed.returncode == 0, resumed.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["original_lhub_id"] for row in rows] == list(range(1, ROWS + 1))
    assert [row["has_error"] for row in rows] == [True] * 3 + [False] * (ROWS - 3)
    assert len(sim.requests("/api/policy/blockedsenders/get-policy")) == ROWS - 3
    assert not Path(f"{out}.resume").exists()


def test_a_service_that_answers_once_is_never_cut_short(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    """Row errors after a first answer (here: bad input for every row but the first) go on."""
    table = write_jsonl(
        tmp_path / "in.jsonl",
        [{"lhub_id": 1, "mid": sim.sim.held_ids()[0]}] + [{"lhub_id": i} for i in range(2, 9)],
    )
    result = run_cli(
        [
            "run",
            "release_message",
            "--connection",
            str(conn_file),
            "--input",
            str(table),
            "--set",
            "message_id_column=mid",
        ]
    )
    assert result.returncode == 3, result.stderr  # finished, with error rows
    rows = result.jsonl()
    assert [row["has_error"] for row in rows] == [False] + [True] * 7
    assert not any("not processed" in row["error"] for row in rows[1:])
