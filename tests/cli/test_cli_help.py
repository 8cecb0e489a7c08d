"""Help and usage errors that teach: option help, "did you mean", `--set`, `--label`, formats."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cli.conftest import CliResult, run_cli, write_jsonl
from tests.support.simadmin import SimAdmin

from mimecast_soar.cli import _parser


def _parsers(
    parser: argparse.ArgumentParser, path: str
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _parsers(child, f"{path} {name}")


def test_every_option_and_argument_of_every_command_has_help_text() -> None:
    missing: list[str] = []
    commands: list[str] = []
    for path, parser in _parsers(_parser(), "mimecast-soar"):
        commands.append(path)
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            if not (action.help or "").strip() or action.help == argparse.SUPPRESS:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    for command in ("run", "check-connection", "sim", "devo bundle", "devo exec", "actions"):
        assert f"mimecast-soar {command}" in commands
    assert missing == [], f"options without help: {missing}"


def test_run_help_says_what_each_output_format_is() -> None:
    text = " ".join(run_cli(["run", "--help"]).stdout.split())
    for words in (
        "jsonl (one JSON object per line",
        "csv (a header of every column",
        "devo (the platform's result lines)",
        "--input-format {jsonl,csv}",
    ):
        assert words in text


@pytest.mark.parametrize(
    "command",
    [
        ["actions", "relase_message"],
        ["run", "relase_message", "--connection", "c.toml", "--input", "-"],
        ["devo", "exec", "relase_message"],
    ],
    ids=["actions", "run", "devo exec"],
)
def test_a_misspelled_action_gets_the_closest_name(command: list[str]) -> None:
    result = run_cli(command)
    assert result.returncode == 2
    assert "unknown action 'relase_message' (did you mean release_message?)" in result.stderr
    assert "known: get_hold_message_list, reject_message" in result.stderr


def _run_with_sets(conn_file: Path, tmp_path: Path, *sets: str) -> CliResult:
    rows = write_jsonl(tmp_path / "rows.jsonl", [{"lhub_id": 1, "q": ""}])
    args = ["run", "find_groups", "--connection", str(conn_file), "--input", str(rows)]
    for pair in sets:
        args += ["--set", pair]
    return run_cli(args)


def test_an_unknown_set_id_names_the_closest_and_lists_the_inputs(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    result = _run_with_sets(conn_file, tmp_path, "qurey={{q}}")
    assert result.returncode == 2
    assert (
        "--set qurey: Find groups has no input 'qurey' (did you mean query?); "
        "its inputs: query, source, page_size" in result.stderr
    )
    assert sim.requests() == []


def test_a_repeated_set_is_a_usage_error_naming_the_input(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    result = _run_with_sets(conn_file, tmp_path, "page_size=1", "query={{q}}", "page_size=2")
    assert result.returncode == 2
    assert "--set page_size is given twice" in result.stderr
    assert sim.requests() == []


def _flat_connection(conn_file: Path, tmp_path: Path, label: str | None) -> Path:
    lines = conn_file.read_text(encoding="utf-8").splitlines()
    if label is not None:
        lines.insert(0, f'label = "{label}"')
    path = tmp_path / "one.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("file_label", [None, "lab"], ids=["unlabelled", "labelled"])
def test_a_label_naming_no_connection_is_an_error_on_a_one_connection_file(
    sim: SimAdmin, conn_file: Path, tmp_path: Path, file_label: str | None
) -> None:
    path = _flat_connection(conn_file, tmp_path, file_label)
    checked = run_cli(["check-connection", "--connection", str(path), "--label", "prod"])
    assert checked.returncode == 2
    assert "one.toml has no connection labelled 'prod'" in checked.stderr
    rows = write_jsonl(tmp_path / "rows.jsonl", [{"q": ""}])
    ran = run_cli(
        ["run", "find_groups", "--connection", str(path), "--label", "prod", "--input", str(rows)]
    )
    assert ran.returncode == 2
    assert "no connection labelled 'prod'" in ran.stderr
    assert sim.requests() == []
    if file_label is not None:
        same = run_cli(["check-connection", "--connection", str(path), "--label", file_label])
        assert same.returncode == 0, same.stderr


def _run_stdin(args: list[str], stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mimecast_soar.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "MIMECAST_LABEL": ""},
    )


def test_csv_on_standard_input_is_read_as_csv_with_input_format(
    sim: SimAdmin, conn_file: Path
) -> None:
    csv_text = '\ufefflhub_id,q\r\n7,"no such group, at all"\r\n8,\r\n'
    args = ["run", "find_groups", "--connection", str(conn_file), "--input", "-"]
    args += ["--set", "query={{q}}", "--set", "page_size=1"]
    done = _run_stdin([*args, "--input-format", "csv"], csv_text)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [row["original_lhub_id"] for row in rows] == [7, 8]
    assert rows[0]["noResults"] == "no results returned"  # the quoted comma stayed in the query
    assert not any(row["has_error"] for row in rows)
    as_jsonl = _run_stdin(args, csv_text)  # standard input is JSONL unless told
    assert all(
        "not valid JSON" in json.loads(line)["error"] for line in as_jsonl.stdout.splitlines()
    )


def test_input_format_overrides_the_file_extension(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    table = tmp_path / "export.txt"
    table.write_text("lhub_id,q\n5,\n", encoding="utf-8")
    args = ["run", "find_groups", "--connection", str(conn_file), "--input", str(table)]
    args += ["--set", "query={{q}}", "--set", "page_size=1"]
    unknown = run_cli(args)
    assert unknown.returncode == 2
    assert "--input-format jsonl|csv" in unknown.stderr
    told = run_cli([*args, "--input-format", "csv"])
    assert told.returncode == 0, told.stderr
    assert [row["original_lhub_id"] for row in told.jsonl()] == [5]
