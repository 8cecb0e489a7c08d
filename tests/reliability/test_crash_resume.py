"""Crash safety of `run --output FILE --resume`: a real CLI process killed or interrupted mid-run.

A slow fault on the simulator makes the run take seconds; the test waits until the output has
some lines, sends SIGKILL or SIGINT, then resumes and checks: every input row's rows appear
exactly once (a records action killed in the middle of a row's records included), no line is
broken, no release reached the simulator twice, and SIGINT stops within a second with one line.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from tests.reliability.harness import READ_PATH, RELEASE_PATH, Admin
from tests.support.secret_scan import SCAN

from mimecast_soar.sim import SimServer, write_connection_file

LOG_ROWS = 4


def _start(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mimecast_soar.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _wait_for_lines(path: Path, count: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while _lines(path) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run wrote too little in time"
        time.sleep(0.01)


def _finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=60)
    SCAN.text(out + err, "crash/resume CLI output")
    return process.returncode, out, err


def _rows(path: Path) -> list[dict[str, Any]]:
    data = path.read_bytes()
    assert data.endswith(b"\n"), "the output ends with a broken line"
    return [json.loads(line) for line in data.splitlines()]


def _run_args(action: str, conn: Path, table: Path, out: Path, *extra: str) -> list[str]:
    return [
        "run",
        action,
        "--connection",
        str(conn),
        "--input",
        str(table),
        "--output",
        str(out),
        "--batch-start",
        "2000-01-01T00:00:00Z",
        "--batch-end",
        "2100-01-01T00:00:00Z",
        *extra,
    ]


def _connection_file(server: SimServer, tmp_path: Path) -> Path:
    path = tmp_path / "conn.toml"
    write_connection_file(path, server.connection())
    return path


def _release_table(server: SimServer, tmp_path: Path, count: int) -> tuple[Path, list[str]]:
    held = server.app.state.sim.held_ids()[:count]
    table = tmp_path / "held.jsonl"
    table.write_text(
        "".join(json.dumps({"lhub_id": i, "mid": m}) + "\n" for i, m in enumerate(held, 1))
    )
    return table, held


def _check_release_once(admin: Admin, rows: list[dict[str, Any]], held: list[str]) -> None:
    assert [row["original_lhub_id"] for row in rows] == list(range(1, len(held) + 1))
    executed = Counter(
        entry["body"]["data"][0]["id"]
        for entry in admin.requests(RELEASE_PATH)
        if entry["executed"]
    )
    assert max(executed.values()) == 1, "a release reached the simulator twice"
    assert admin.state()["released"] == len(executed)
    for row, message_id in zip(rows, held, strict=True):
        if not row["has_error"]:
            assert executed[message_id] == 1
        else:
            assert "outcome is unknown" in row["error"]
            assert "not send it again" in row["error"] or "not be sent again" in row["error"]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_killed_release_run_resumes_without_sending_any_release_twice(
    sig: signal.Signals, release_server: SimServer, tmp_path: Path
) -> None:
    admin = Admin(release_server.base_url)
    admin.reset()
    admin.faults([{"kind": "slow", "delay_ms": 40, "path": RELEASE_PATH}])
    conn = _connection_file(release_server, tmp_path)
    table, held = _release_table(release_server, tmp_path, 80)
    out = tmp_path / "released.jsonl"
    args = _run_args(
        "release_message", conn, table, out, "--set", "message_id_column=mid", "--concurrency", "4"
    )
    process = _start(args)
    _wait_for_lines(out, 12, process)
    sent = time.monotonic()
    process.send_signal(sig)
    code, _, err = _finish(process)
    stopped_seconds = time.monotonic() - sent
    if sig == signal.SIGINT:
        assert code == 130
        assert stopped_seconds < 1.5
        assert err.strip().splitlines()[-1].startswith("interrupted: ")
        assert "Traceback" not in err
    else:
        assert code == -signal.SIGKILL
    assert _lines(out) < len(held)
    admin.faults([])
    code, _, err = _finish(_start([*args, "--resume"]))
    # Rows the killed run had in flight get error rows (outcome unknown): exit 3, else 0.
    assert code == (3 if "in flight before" in err else 0), err
    assert "already done" in err
    _check_release_once(admin, _rows(out), held)
    assert not (tmp_path / "released.jsonl.resume").exists()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_records_run_killed_mid_row_resumes_with_each_row_once(
    sig: signal.Signals, read_server: SimServer, tmp_path: Path
) -> None:
    admin = Admin(read_server.base_url)
    admin.reset()
    # 10 pages of 100 records per input row; each page answers after 50 ms.
    admin.faults([{"kind": "slow", "delay_ms": 50, "path": READ_PATH}])
    conn = _connection_file(read_server, tmp_path)
    table = tmp_path / "rows.jsonl"
    table.write_text("".join(json.dumps({"n": i}) + "\n" for i in range(LOG_ROWS)))
    out = tmp_path / "logs.jsonl"
    args = _run_args("get_ttp_url_logs", conn, table, out, "--concurrency", "2")
    process = _start(args)
    # Past the first row's 1000 records: the kill lands inside a later row's records.
    _wait_for_lines(out, 1_150, process)
    process.send_signal(sig)
    code, _, _ = _finish(process)
    assert code == (130 if sig == signal.SIGINT else -signal.SIGKILL)
    assert _lines(out) < LOG_ROWS * 1_000
    admin.faults([])
    code, _, err = _finish(_start([*args, "--resume"]))
    assert code == 0, err
    rows = _rows(out)
    per_row = Counter(row["original_lhub_id"] for row in rows)
    assert per_row == dict.fromkeys(range(1, LOG_ROWS + 1), 1000)
    ids = [row["original_lhub_id"] for row in rows]
    assert ids == sorted(ids), "a row's records are not contiguous"
    for lhub_id in per_row:
        group = {json.dumps(r, sort_keys=True) for r in rows if r["original_lhub_id"] == lhub_id}
        assert len(group) == 1_000, "a record appears twice within its row"


def test_resume_point_drops_a_broken_line_and_a_half_written_records_row(tmp_path: Path) -> None:
    from mimecast_soar.runtime.journal import header, tail_hash
    from mimecast_soar.runtime.resume import journal_path, resume_point

    out = tmp_path / "out.jsonl"
    lines = [{"original_lhub_id": 1, "x": i} for i in range(3)] + [
        {"original_lhub_id": 2, "x": i} for i in range(2)
    ]
    body = "".join(json.dumps(line) + "\n" for line in lines)
    out.write_text(body + '{"original_lhub_id": 2, "x"')
    first_group = len("".join(json.dumps(line) + "\n" for line in lines[:3]))
    head = header(action="a", fmt="jsonl", input_print=None, to_file=True)

    def done(rows: int, size: int) -> str:
        with out.open("rb") as handle:
            return f"done {rows} {size} {tail_hash(handle, size)}\n"

    def point(one_row_per_input: bool) -> tuple[int, int, int]:
        found = resume_point(out, one_row_per_input=one_row_per_input, header_line=head)
        return found.done_rows, found.offset, found.in_flight_rows

    # No journal: a records action pulls its last group again; one-row actions keep each line.
    assert point(False) == (1, first_group, 0)
    assert point(True) == (5, len(body), 0)
    # A journal one row behind the output: a records action trusts the journal.
    journal_path(out).write_bytes(head + f"started 1\n{done(1, first_group)}started 2\n".encode())
    assert point(False) == (1, first_group, 1)
    # Rows journaled as started but never written are in flight: outcome unknown.
    journal_path(out).write_bytes(
        head + f"started 1\nstarted 2\nstarted 3\n{done(1, first_group)}".encode()
    )
    out.write_text(body[:first_group])
    assert point(True) == (1, first_group, 2)
