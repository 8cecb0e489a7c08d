"""`run_job`: one run from table to output, against the simulator over real HTTP, and the exit
status its outcome gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.support.simadmin import SimAdmin

from mimecast_soar.actions import BatchWindow, get_action
from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime.connection import Connection
from mimecast_soar.runtime.correlation import Correlation
from mimecast_soar.runtime.job import (
    EXIT_CLOSED_OUTPUT,
    EXIT_FATAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_ROW_ERRORS,
    Job,
    Outcome,
    run_job,
)
from mimecast_soar.runtime.journal import JournalError, input_fingerprint, open_journal
from mimecast_soar.runtime.journal import header as journal_header
from mimecast_soar.runtime.resume import UNKNOWN_AFTER_KILL, journal_path
from mimecast_soar.runtime.runner import RunSummary
from mimecast_soar.runtime.tables import read_table

WINDOW = BatchWindow.last_hours(24, datetime.now(UTC))
#: A run stopped after one of three rows.
CUT_SHORT = RunSummary(3, 1, stopped=True, completed_rows=1)


@pytest.fixture
def sim(sim_server: Any) -> SimAdmin:
    admin = SimAdmin(sim_server)
    admin.reset()
    return admin


def _table(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _job(sim: SimAdmin, action: str, out: Path, **options: Any) -> Job:
    connection = Connection.from_mapping(options.pop("connection", sim.server.connection()))
    settings = options.pop("settings", {})
    return Job(get_action(action), connection, settings, WINDOW, output=str(out), **options)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_clean_run_carries_the_users_ids_and_columns_and_exits_0(
    sim: SimAdmin, tmp_path: Path
) -> None:
    table = _table(tmp_path / "in.jsonl", [{"alert": "A-1", "who": "bob"}, {"alert": "A-2"}])
    out = tmp_path / "out.jsonl"
    said: list[str] = []
    correlation = Correlation("alert", ("who",))
    job = _job(sim, "find_groups", out, correlation=correlation)
    outcome = run_job(job, read_table(table), say=said.append)
    rows = _lines(out)
    assert {row["original_lhub_id"] for row in rows} == {"A-1", "A-2"}
    assert all(list(row)[:2] == ["original_lhub_id", "input.who"] for row in rows)
    assert {row["input.who"] for row in rows if row["original_lhub_id"] == "A-1"} == {"bob"}
    assert {row["input.who"] for row in rows if row["original_lhub_id"] == "A-2"} == {None}
    assert not any(row["has_error"] for row in rows)
    assert outcome.exit_status() == EXIT_OK
    assert outcome.platform_exit_status() == EXIT_OK
    assert outcome.report("Find groups")[0].startswith("Find groups: 2 input rows, ")
    assert not journal_path(out).exists()  # a finished run leaves no journal


def test_a_finished_run_with_error_rows_exits_3_and_sends_nothing_for_them(
    sim: SimAdmin, tmp_path: Path
) -> None:
    table = _table(tmp_path / "in.jsonl", [{"lhub_id": 1}, {"lhub_id": 2, "mid": ""}])
    out = tmp_path / "out.jsonl"
    job = _job(sim, "release_message", out, settings={"message_id_column": "mid"})
    outcome = run_job(job, read_table(table), say=lambda _: None)
    assert [row["has_error"] for row in _lines(out)] == [True, True]
    assert outcome.error_rows == 2
    assert outcome.exit_status() == EXIT_ROW_ERRORS
    assert outcome.platform_exit_status() == EXIT_OK  # the platform reads the rows
    assert sim.requests("/api/gateway/hold-release") == []


def test_a_fatal_stop_exits_1_but_the_platform_gets_0_as_every_row_has_its_row(
    sim: SimAdmin, tmp_path: Path
) -> None:
    table = _table(tmp_path / "in.jsonl", [{"lhub_id": i} for i in range(1, 5)])
    out = tmp_path / "out.devo"
    wrong = {**sim.server.connection(), "secret_key": "bm90IHRoZSBrZXkgYXQgYWxs"}
    job = _job(sim, "get_policy", out, connection=wrong, fmt="devo", keep_journal=False)
    outcome = run_job(job, read_table(table), say=lambda _: None)
    assert [line["original_lhub_id"] for line in _lines(out)] == [1, 2, 3, 4]
    assert outcome.summary.fatal
    assert outcome.exit_status() == EXIT_FATAL
    assert outcome.platform_exit_status() == EXIT_OK
    assert outcome.report("Get Policy")[-1].startswith("error: the run stopped: ")


def _killed_run_journal(job: Job, table: Path, started: int) -> None:
    """The journal a run killed after starting `started` rows (none written) leaves behind."""
    path = journal_path(Path(job.output))
    head = journal_header(
        action=job.spec.id,
        fmt=job.fmt,
        input_print=input_fingerprint(table),
        to_file=True,
        correlation=job.correlation.describe(),
    )
    handle = open_journal(path, head, fresh=True)
    handle.write(f"started {started}\n".encode())
    handle.close()


def test_rows_in_flight_before_are_error_rows_with_their_ids_and_carried_columns(
    sim: SimAdmin, tmp_path: Path
) -> None:
    held = sim.sim.held_ids()[:3]
    table = _table(
        tmp_path / "in.jsonl", [{"ticket": f"T-{i}", "mid": mid} for i, mid in enumerate(held)]
    )
    out = tmp_path / "out.jsonl"
    options: dict[str, Any] = {
        "settings": {"message_id_column": "mid"},
        "correlation": Correlation("ticket", ("mid",)),
        "input_source": table,
    }
    _killed_run_journal(_job(sim, "release_message", out, **options), table, started=2)
    said: list[str] = []
    job = _job(sim, "release_message", out, resume=True, **options)
    outcome = run_job(job, read_table(table), say=said.append)
    rows = _lines(out)
    assert [row["original_lhub_id"] for row in rows] == ["T-0", "T-1", "T-2"]
    assert [row["input.mid"] for row in rows] == held
    assert [row["error"] for row in rows[:2]] == [UNKNOWN_AFTER_KILL] * 2
    assert rows[2]["has_error"] is False
    assert outcome.in_flight_before == 2
    assert outcome.exit_status() == EXIT_ROW_ERRORS
    assert "2 row(s) were in flight" in said[0]
    sent = [body["data"][0]["id"] for body in sim.bodies("/api/gateway/hold-release")]
    assert sent == [held[2]]  # never the two whose outcome is unknown


def test_a_resume_with_other_correlation_options_is_refused(sim: SimAdmin, tmp_path: Path) -> None:
    table = _table(tmp_path / "in.jsonl", [{"ticket": "T-1", "mid": "x"}])
    out = tmp_path / "out.jsonl"
    options: dict[str, Any] = {"settings": {"message_id_column": "mid"}, "input_source": table}
    first = _job(sim, "release_message", out, correlation=Correlation("ticket"), **options)
    _killed_run_journal(first, table, started=1)
    other = _job(sim, "release_message", out, resume=True, **options)
    with pytest.raises(JournalError, match="other --id-column or --carry options"):
        run_job(other, read_table(table), say=lambda _: None)
    assert sim.requests("/api/gateway/hold-release") == []


def test_resume_without_any_journal_to_keep_is_refused(sim: SimAdmin) -> None:
    job = _job(sim, "find_groups", Path("-"), resume=True)
    with pytest.raises(ConfigurationError, match="--resume needs --output FILE"):
        run_job(job, iter(()), say=lambda _: None)


@pytest.mark.parametrize(
    ("outcome", "cli", "platform"),
    [
        (Outcome(RunSummary(input_rows=2, completed_rows=2)), EXIT_OK, EXIT_OK),
        (Outcome(RunSummary(1, 1, 1, completed_rows=1)), EXIT_ROW_ERRORS, EXIT_OK),
        (
            Outcome(RunSummary(1, 1, 0, completed_rows=1), in_flight_before=1),
            EXIT_ROW_ERRORS,
            EXIT_OK,
        ),
        (Outcome(RunSummary(2, 2, 2, fatal="401", completed_rows=2)), EXIT_FATAL, EXIT_OK),
        (Outcome(CUT_SHORT, interrupted=True), EXIT_INTERRUPTED, EXIT_FATAL),
        (Outcome(CUT_SHORT, closed_output=True), EXIT_CLOSED_OUTPUT, EXIT_FATAL),
        (Outcome(RunSummary(2, 1, completed_rows=1)), EXIT_OK, EXIT_FATAL),
    ],
    ids=["clean", "error-rows", "in-flight", "fatal", "interrupted", "closed", "row-missing"],
)
def test_exit_status_of_each_outcome(outcome: Outcome, cli: int, platform: int) -> None:
    assert outcome.exit_status() == cli
    assert outcome.platform_exit_status() == platform


def test_the_interrupted_report_says_whether_it_can_resume() -> None:
    summary = RunSummary(5, 2, stopped=True, completed_rows=2, interrupted_rows=1)
    resumable = Outcome(summary, done_before=3, interrupted=True, resumable=True)
    assert resumable.report("X") == [
        "interrupted: 5 input rows done (2 output rows written now, 1 marked as unknown "
        "outcome); continue with --resume"
    ]
    assert Outcome(summary, interrupted=True).report("X")[0].endswith("no output file to resume")
    assert Outcome(summary, closed_output=True).report("X") == []
