"""`run ... | head -n 2`: a reader that closes standard output early, through a real pipe.

The run stops quietly (status 141, no traceback), the journal (`--journal`) holds what was
handed to the pipe, and `--resume` goes on from there: every input row's rows once, and no
release sent twice (the simulator's request log is the witness).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from tests.cli.conftest import run_cli, write_jsonl
from tests.cli.pipes import read_then_close
from tests.support.simadmin import SimAdmin

from mimecast_soar.runtime.journal import header, input_fingerprint, read_journal

READ_PATH = "/api/ttp/url/get-logs"
RELEASE_PATH = "/api/gateway/hold-release"
WINDOW = ["--batch-start", "2000-01-01T00:00:00Z", "--batch-end", "2100-01-01T00:00:00Z"]


def _logs_args(conn: Path, table: Path, fmt: str, *extra: str) -> list[str]:
    return [
        "run",
        "get_ttp_url_logs",
        "--connection",
        str(conn),
        "--input",
        str(table),
        "--format",
        fmt,
        *WINDOW,
        *extra,
    ]


@pytest.mark.parametrize("fmt", ["jsonl", "devo", "csv"])
def test_a_closed_stdout_ends_the_run_quietly_in_every_format(
    fmt: str, sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    # Three rows of 300 records each: far more than a pipe buffer holds.
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": n} for n in range(1, 4)])
    cut = read_then_close(_logs_args(conn_file, table, fmt, "--concurrency", "1"), 2)
    assert len(cut.lines) == 2
    assert all(line.endswith(b"\n") for line in cut.lines)
    assert cut.returncode == 141
    assert "Traceback" not in cut.stderr
    assert "Exception ignored" not in cut.stderr
    assert cut.stderr.strip() == ""


@pytest.mark.parametrize("fmt", ["jsonl", "devo"])
def test_a_records_run_cut_by_its_reader_resumes_from_its_journal(
    fmt: str, sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": n} for n in range(1, 5)])
    journal = tmp_path / "run.resume"
    args = _logs_args(conn_file, table, fmt, "--concurrency", "1", "--journal", str(journal))
    cut = read_then_close(args, 2)
    assert cut.returncode == 141, cut.stderr
    expected = header(
        action="get_ttp_url_logs", fmt=fmt, input_print=input_fingerprint(table), to_file=False
    )
    state = read_journal(journal, expected, None)
    assert state is not None
    assert state.done_rows < 4, "the run went on after its reader left"
    resumed = run_cli([*args, "--resume"])
    assert resumed.returncode == 0, resumed.stderr
    assert "Traceback" not in resumed.stderr
    ids = [json.loads(line)["original_lhub_id"] for line in resumed.stdout.splitlines()]
    per_row = Counter(ids)
    assert sorted(per_row) == list(range(state.done_rows + 1, 5))
    assert set(per_row.values()) == {300}
    assert ids == sorted(ids)
    assert not journal.exists()


def test_a_release_run_cut_by_its_reader_never_sends_a_release_twice(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    sim.faults([{"kind": "slow", "delay_ms": 30, "path": RELEASE_PATH}])
    held = sim.sim.held_ids()[:24]
    table = write_jsonl(
        tmp_path / "held.jsonl", [{"lhub_id": n, "mid": m} for n, m in enumerate(held, 1)]
    )
    journal = tmp_path / "release.resume"
    args = [
        "run",
        "release_message",
        "--connection",
        str(conn_file),
        "--input",
        str(table),
        "--set",
        "message_id_column=mid",
        "--concurrency",
        "4",
        "--journal",
        str(journal),
    ]
    cut = read_then_close(args, 2)
    assert cut.returncode == 141, cut.stderr
    assert "Traceback" not in cut.stderr
    first = [json.loads(line) for line in cut.lines]
    assert [row["original_lhub_id"] for row in first] == [1, 2]
    assert len(sim.requests(RELEASE_PATH)) < len(held), "the run went on after its reader left"
    sim.faults([])
    resumed = run_cli([*args, "--resume"])
    rows = resumed.jsonl()
    # Rows the cut run had in flight are error rows (outcome unknown): exit 3 then, else 0.
    assert resumed.returncode == (3 if any(row["has_error"] for row in rows) else 0), resumed.stderr
    assert rows, "nothing was left to resume"
    done_before = rows[0]["original_lhub_id"] - 1
    assert [row["original_lhub_id"] for row in rows] == list(range(done_before + 1, 25))
    executed = Counter(
        entry["body"]["data"][0]["id"] for entry in sim.requests(RELEASE_PATH) if entry["executed"]
    )
    assert max(executed.values()) == 1, "a release reached the simulator twice"
    assert all(executed[message_id] == 1 for message_id in held[:done_before])
    for row in rows:
        message_id = held[row["original_lhub_id"] - 1]
        if row["has_error"]:
            assert "outcome is unknown" in row["error"]
            assert executed[message_id] <= 1
        else:
            assert executed[message_id] == 1
    assert not journal.exists()
