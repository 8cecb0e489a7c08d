"""`run --id-column` and `run --carry` end to end: the caller's ids and columns in every format."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from tests.cli.conftest import run_cli
from tests.support.simadmin import SimAdmin

FIND_GROUPS = "/api/directory/find-groups"


def _table(path: Path) -> Path:
    """Three alerts; line 2 is blank and line 4 has no alert id."""
    lines = [
        json.dumps({"alert_id": "SOC-17", "analyst": "kim", "q": "Phishing"}),
        "",
        json.dumps({"alert_id": "SOC-18", "analyst": "lee", "q": "VIP", "has_error": "mine"}),
        json.dumps({"analyst": "max", "q": "Finance"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _rows(fmt: str, text: str) -> list[dict[str, Any]]:
    """Output rows as dicts, whatever the format (CSV cells are text)."""
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    lines = [json.loads(line) for line in text.splitlines()]
    if fmt == "devo":
        return [
            {"original_lhub_id": line["original_lhub_id"], **json.loads(line["result"])}
            for line in lines
        ]
    return lines


def _run(conn_file: Path, table: Path, out: Path, fmt: str, *extra: str) -> Any:
    return run_cli(
        [
            "run",
            "find_groups",
            "--connection",
            str(conn_file),
            "--input",
            str(table),
            "--output",
            str(out),
            "--format",
            fmt,
            "--set",
            "query={{ q }}",
            *extra,
        ]
    )


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "devo"])
def test_the_users_id_and_carried_columns_are_in_every_output_row(
    sim: SimAdmin, conn_file: Path, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"out.{fmt}"
    table = _table(tmp_path / "alerts.jsonl")
    extra = ["--id-column", "alert_id", "--carry", "alert_id,analyst", "--carry", "has_error"]
    result = _run(conn_file, table, out, fmt, *extra)
    assert result.returncode == 3, result.stderr  # the row without an alert id is an error row
    rows = _rows(fmt, out.read_text(encoding="utf-8"))
    ids = [row["original_lhub_id"] for row in rows]
    assert ids[0] == "SOC-17"
    assert set(ids) == {"SOC-17", "SOC-18", 4 if fmt != "csv" else "4"}
    assert ids == sorted(ids, key=ids.index), "an input row's rows are not together"
    analyst = {"SOC-17": "kim", "SOC-18": "lee"}
    for row in rows:
        if row["original_lhub_id"] in analyst:
            assert row["input.alert_id"] == row["original_lhub_id"]
            assert row["input.analyst"] == analyst[row["original_lhub_id"]]
            assert row["has_error"] in (False, "false")  # the action's own column is untouched
    carried_error = [row["input.has_error"] for row in rows if row["original_lhub_id"] == "SOC-18"]
    assert carried_error
    assert set(carried_error) == {"mine"}
    (missing,) = [row for row in rows if str(row["original_lhub_id"]) == "4"]
    assert missing["has_error"] in (True, "true")
    assert "'alert_id' has no value" in missing["error"]
    assert "row 4 of the table" in missing["error"]
    assert missing["input.analyst"] == "max"
    assert missing["input.alert_id"] in (None, "")
    queries = [body["data"][0]["query"] for body in sim.bodies(FIND_GROUPS)]
    assert sorted(queries) == ["Phishing", "VIP"]  # the row without an id was never sent
    if fmt == "csv":
        header = out.read_text(encoding="utf-8").splitlines()[0].split(",")
        carried = ["input.alert_id", "input.analyst", "input.has_error"]
        assert header[:4] == ["original_lhub_id", *carried]


def test_without_an_id_column_positions_count_blank_lines(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    result = _run(conn_file, _table(tmp_path / "alerts.jsonl"), out, "jsonl")
    assert result.returncode == 0, result.stderr
    rows = _rows("jsonl", out.read_text(encoding="utf-8"))
    assert sorted({row["original_lhub_id"] for row in rows}) == [1, 3, 4]  # line numbers
    assert not any(key.startswith("input.") for row in rows for key in row)
    csv_table = tmp_path / "alerts.csv"
    csv_table.write_text("q,analyst\nPhishing,kim\n\nVIP,lee\n", encoding="utf-8")
    result = _run(conn_file, csv_table, out, "jsonl", "--carry", "analyst")
    assert result.returncode == 0, result.stderr
    rows = _rows("jsonl", out.read_text(encoding="utf-8"))
    pairs = {(row["original_lhub_id"], row["input.analyst"]) for row in rows}
    assert pairs == {(1, "kim"), (3, "lee")}  # the blank record keeps its number


def test_lhub_id_is_the_default_id_when_rows_have_it(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    table = tmp_path / "in.jsonl"
    table.write_text('{"lhub_id": 70, "q": "VIP"}\n\n{"lhub_id": 71, "q": "VIP"}\n')
    out = tmp_path / "out.jsonl"
    result = _run(conn_file, table, out, "jsonl")
    assert result.returncode == 0, result.stderr
    ids = {row["original_lhub_id"] for row in _rows("jsonl", out.read_text(encoding="utf-8"))}
    assert ids == {70, 71}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--carry", "a,,b"], "--carry takes COLUMN"),
        (["--carry", "a", "--carry", "a"], "names the column 'a' twice"),
        (["--id-column", " "], "--id-column takes a column name"),
    ],
)
def test_bad_correlation_options_exit_2_with_one_line(
    sim: SimAdmin, conn_file: Path, tmp_path: Path, extra: list[str], message: str
) -> None:
    out = tmp_path / "out.jsonl"
    result = _run(conn_file, _table(tmp_path / "alerts.jsonl"), out, "jsonl", *extra)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert message in result.stderr
    assert sim.bodies(FIND_GROUPS) == []
