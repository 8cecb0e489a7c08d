"""`mimecast-soar run` end to end: tables in, correlated rows out, over real HTTP."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.cli.conftest import run_cli, write_jsonl
from tests.support.simadmin import SimAdmin


def test_release_single_result_rows_in_jsonl(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    held = sim.sim.held_ids()[:3]
    table = write_jsonl(
        tmp_path / "in.jsonl",
        [{"lhub_id": 10 + i, "mid": message_id} for i, message_id in enumerate(held)],
    )
    out = tmp_path / "out.jsonl"
    result = run_cli(
        [
            "run",
            "release_message",
            "--connection",
            str(conn_file),
            "--input",
            str(table),
            "--output",
            str(out),
            "--set",
            "message_id_column=mid",
            "--concurrency",
            "3",
        ]
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows == [
        {"original_lhub_id": 10 + i, "has_error": False, "error": None, "result": "Success"}
        for i in range(3)
    ]
    sent = sorted(json.dumps(body["data"]) for body in sim.bodies("/api/gateway/hold-release"))
    assert sent == sorted(json.dumps([{"id": message_id}]) for message_id in held)
    assert sim.state()["released"] == 3
    assert "3 input rows, 3 output rows, 0 error rows" in result.stderr


def test_ttp_url_logs_records_rows_as_csv(sim: SimAdmin, conn_file: Path, tmp_path: Path) -> None:
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": 1}])
    out = tmp_path / "out.csv"
    result = run_cli(
        [
            "run",
            "get_ttp_url_logs",
            "--connection",
            str(conn_file),
            "--input",
            str(table),
            "--output",
            str(out),
            "--format",
            "csv",
            "--set",
            "scan_result=malicious",
            "--batch-start",
            "2000-01-01T00:00:00Z",
        ]
    )
    assert result.returncode == 0, result.stderr
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) > 5
    assert {row["original_lhub_id"] for row in rows} == {"1"}
    assert {row["scanResult"] for row in rows} == {"malicious"}
    assert json.loads(rows[0]["emailPartsDescription"])  # nested values are JSON text
    sent = sim.bodies("/api/ttp/url/get-logs")[0]["data"][0]
    assert sent["from"] == "2000-01-01T00:00:00+0000"
    assert sent["scanResult"] == "malicious"


def test_add_member_raw_rows_as_devo_result_lines(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    group = sim.sim.group_id("Phishing Reporters")
    table = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"lhub_id": 1, "g": group, "who": "new.reporter@example.com"},
            {"lhub_id": 2, "g": group, "who": "new.reporter@example.com"},
        ],
    )
    result = run_cli(
        [
            "run",
            "add_group_member",
            "--connection",
            str(conn_file),
            "--input",
            str(table),
            "--format",
            "devo",
            "--set",
            "group_id={{ g }}",
            "--set",
            "email_address={{ who }}",
            "--concurrency",
            "1",
        ]
    )
    assert result.returncode == 3, result.stderr
    lines = result.jsonl()
    assert [line["original_lhub_id"] for line in lines] == [1, 2]
    assert all(set(line) == {"result", "stdout", "stderr", "original_lhub_id"} for line in lines)
    first, second = (json.loads(line["result"]) for line in lines)
    assert first["has_error"] is False
    assert first["data"][0]["emailAddress"] == "new.reporter@example.com"
    assert second["has_error"] is True
    assert "err_folder_group_member_already_exists" in second["error"]
    assert second["fail"][0]["errors"][0]["code"] == "err_folder_group_member_already_exists"


def test_malformed_table_gives_one_error_row_per_bad_row(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    held = sim.sim.held_ids()
    long_text = "ü" * 200_000
    lines = [
        json.dumps(
            {"lhub_id": 1, "ids": held[0], "msg": "bye", "why": "INAPPROPRIATE COMMUNICATION"}
        ),
        json.dumps({"lhub_id": 2, "msg": "no ids column", "why": "INAPPROPRIATE COMMUNICATION"}),
        json.dumps(
            {"lhub_id": 3, "ids": None, "msg": "null id", "why": "INAPPROPRIATE COMMUNICATION"}
        ),
        json.dumps({"lhub_id": 4, "ids": held[1], "msg": "x", "why": "BECAUSE I SAID SO"}),
        "{this is not json",
        json.dumps({"lhub_id": 6, "ids": held[2], "msg": long_text, "why": "spam"}),
        json.dumps(
            {
                "lhub_id": 7,
                "ids": f" {held[3]} , {held[3]} ",
                "msg": "☃ snow",
                "why": "message goes against email policies",
            }
        ),
    ]
    table = tmp_path / "in.jsonl"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli(
        [
            "run",
            "reject_message",
            "--connection",
            str(conn_file),
            "--input",
            str(table),
            "--set",
            "message_ids_column=ids",
            "--set",
            "message_column=msg",
            "--set",
            "reason_type_column=why",
            "--concurrency",
            "4",
        ]
    )
    assert result.returncode == 3, result.stderr
    rows = result.jsonl()
    assert [row["original_lhub_id"] for row in rows] == [1, 2, 3, 4, 5, 6, 7]
    by_id = {row["original_lhub_id"]: row for row in rows}
    assert by_id[1]["result"] == "Success"
    assert "column 'ids' is not in this row" in by_id[2]["error"]
    assert "empty" in by_id[3]["error"]
    assert "MESSAGE CONTAINS UNDESIRABLE CONTENT" in by_id[4]["error"]
    assert "line 5" in by_id[5]["error"]
    assert by_id[6]["has_error"] is True
    assert len(by_id[6]["error"]) < 1000
    assert by_id[7]["result"] == "Success"
    sent = sim.bodies("/api/gateway/hold-reject")
    assert len(sent) == 2  # rows 1 and 7 only: bad rows never reach Mimecast
    assert {json.dumps(body["data"][0]["ids"]) for body in sent} == {
        json.dumps([held[0]]),
        json.dumps([held[3]]),
    }
    for row in rows:
        assert "Traceback" not in json.dumps(row)


def test_broken_template_and_sandbox_escape_are_error_rows(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    table = write_jsonl(
        tmp_path / "in.jsonl",
        [{"lhub_id": 1, "q": "{{ ''.__class__.__mro__ }}"}, {"lhub_id": 2, "q": "VIP"}],
    )
    escape = run_cli(
        [
            "run",
            "find_groups",
            "--connection",
            str(conn_file),
            "--input",
            str(table),
            "--set",
            "query={{ ''.__class__.__mro__[1].__subclasses__() }}",
        ]
    )
    assert escape.returncode == 3, escape.stderr
    rows = escape.jsonl()
    assert [row["original_lhub_id"] for row in rows] == [1, 2]
    assert all(row["has_error"] for row in rows)
    assert "sandbox" in rows[0]["error"].lower() or "forbid" in rows[0]["error"].lower()
    assert "subclasses" not in json.dumps(rows).split("error")[0]
    assert sim.bodies("/api/directory/find-groups") == []
    # Row data containing template syntax is data: rendered once, never executed.
    data = run_cli(
        [
            "run",
            "find_groups",
            "--connection",
            str(conn_file),
            "--input",
            str(table),
            "--set",
            "query={{ q }}",
        ]
    )
    sent = [body["data"][0].get("query") for body in sim.bodies("/api/directory/find-groups")]
    assert "{{ ''.__class__.__mro__ }}" in sent
    assert data.returncode == 0
    broken = run_cli(
        [
            "run",
            "find_groups",
            "--connection",
            str(conn_file),
            "--input",
            str(table),
            "--set",
            "query={{ q ",
        ]
    )
    assert broken.returncode == 2
    assert broken.stderr.count("\n") == 1
    assert "Query" in broken.stderr


def test_bad_arguments_exit_2_with_one_line(conn_file: Path, tmp_path: Path) -> None:
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": 1}])
    cases = [
        ["run", "no_such_action", "--connection", str(conn_file), "--input", str(table)],
        ["run", "release_message", "--connection", str(conn_file), "--input", str(table)],
        [
            "run",
            "find_groups",
            "--connection",
            str(conn_file),
            "--input",
            str(table),
            "--set",
            "nonsense=1",
        ],
        [
            "run",
            "find_groups",
            "--connection",
            str(tmp_path / "missing.toml"),
            "--input",
            str(table),
        ],
        [
            "run",
            "find_groups",
            "--connection",
            str(conn_file),
            "--input",
            str(tmp_path / "missing.jsonl"),
        ],
        [
            "run",
            "find_groups",
            "--connection",
            str(conn_file),
            "--input",
            str(table),
            "--set",
            "noequals",
        ],
    ]
    for args in cases:
        result = run_cli(args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.startswith("error: "), result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        assert result.stdout == ""
    required = run_cli(cases[1])
    assert "message_id_column" in required.stderr


def test_unreadable_connection_file_exits_2_without_secrets(tmp_path: Path) -> None:
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": 1}])
    conn = tmp_path / "conn.toml"
    conn.write_text('secret_key = "top-secret-value-99"\nsecrte = "typo"\n', encoding="utf-8")
    result = run_cli(["run", "find_groups", "--connection", str(conn), "--input", str(table)])
    assert result.returncode == 2
    assert "secrte" in result.stderr
    assert "top-secret-value-99" not in result.stderr + result.stdout


def test_wrong_secret_stops_the_run_with_a_row_per_input_row(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": i} for i in range(1, 6)])
    wrong = "d3Jvbmctc2VjcmV0LWtleS1ieXRlcy0wMTIzNDU2Nzg5MDEyMw=="
    result = run_cli(
        ["run", "get_policy", "--connection", str(conn_file), "--input", str(table)],
        env={"MIMECAST_SECRET_KEY": wrong},
    )
    assert result.returncode == 1
    rows = result.jsonl()
    assert [row["original_lhub_id"] for row in rows] == [1, 2, 3, 4, 5]
    assert all(row["has_error"] for row in rows)
    assert "401" in rows[0]["error"]
    assert wrong not in result.stdout + result.stderr
    assert "the run stopped" in result.stderr
