"""Settings the same for every row are checked once, before any request: exit 2, one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cli.conftest import run_cli, write_jsonl
from tests.support.simadmin import SimAdmin

CASES = [
    # (action, --set, the input id, what the line must say is allowed)
    ("get_hold_message_list", "limit=-1", "limit", "at least 1 and at most 1000000"),
    ("get_hold_message_list", "limit=many", "limit", "a whole number from 1 to 1000000"),
    ("get_hold_message_list", "route=sideways", "route", "all, inbound, outbound"),
    ("get_hold_message_list", "is_admin=maybe", "is_admin", "true or false"),
    ("get_ttp_url_logs", "page_size=-1", "page_size", "at least 1 and at most 100000000"),
    ("get_ttp_url_logs", "start_time=yesterday", "start_time", "2011-12-03T10:15:30+0000"),
    ("get_ttp_url_logs", "page_size={{ team }}", "page_size", "a whole number"),
    # A secret reference value is never quoted, not even when it is the wrong value.
    ("get_ttp_url_logs", "page_size={{ vault_token }}", "page_size", "(not shown)"),
    ("release_message", "message_id_column=msg", "message_id_column", "its columns are: "),
]


@pytest.mark.parametrize(("action", "setting", "input_id", "allowed"), CASES)
def test_a_wrong_setting_stops_before_any_request(
    sim: SimAdmin,
    conn_file: Path,
    tmp_path: Path,
    action: str,
    setting: str,
    input_id: str,
    allowed: str,
) -> None:
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": i, "mid": "x"} for i in range(1, 6)])
    out = tmp_path / "out.jsonl"
    result = run_cli(
        [
            "run",
            action,
            "--connection",
            str(conn_file),
            "--input",
            str(table),
            "--output",
            str(out),
            "--set",
            setting,
        ]
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: input {input_id}")
    assert allowed in lines[0]
    assert sim.requests() == []
    assert not out.exists()


def test_a_column_missing_from_the_csv_header_stops_before_any_request(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    table = tmp_path / "in.csv"
    table.write_text("lhub_id,message\n1,a\n2,b\n", encoding="utf-8")
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
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: input message_id_column (Message ID Column Name) names the column 'mid', which "
        "is not in the CSV header; its columns are: lhub_id, message"
    ]
    assert sim.requests() == []


def test_a_column_in_the_header_but_empty_in_one_row_is_that_rows_error(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    held = sim.sim.held_ids()[:2]
    table = tmp_path / "in.csv"
    table.write_text(f"lhub_id,mid\n1,{held[0]}\n2,\n3,{held[1]}\n", encoding="utf-8")
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
    assert result.returncode == 3, result.stderr  # finished, with an error row
    rows = result.jsonl()
    assert [row["has_error"] for row in rows] == [False, True, False]
    assert "empty in this row" in rows[1]["error"]
    assert len(sim.requests("/api/gateway/hold-release")) == 2


def test_a_template_that_reads_the_row_is_checked_per_row(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    table = write_jsonl(
        tmp_path / "in.jsonl", [{"lhub_id": 1, "n": "2"}, {"lhub_id": 2, "n": "-1"}]
    )
    result = run_cli(
        [
            "run",
            "get_ttp_url_logs",
            "--connection",
            str(conn_file),
            "--input",
            str(table),
            "--set",
            "page_size={{ n }}",
        ]
    )
    assert result.returncode == 3, result.stderr  # finished, with an error row
    rows = result.jsonl()
    assert [row["original_lhub_id"] for row in rows if not row["has_error"]] == [1, 1]
    assert rows[-1]["original_lhub_id"] == 2
    assert "Page Size must be at least 1" in rows[-1]["error"]
