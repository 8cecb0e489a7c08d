"""`mimecast-soar actions`: the manifest generated from the specs."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from tests.cli.conftest import run_cli, write_jsonl
from tests.support.simadmin import SimAdmin

from mimecast_soar.actions import ACTIONS, ActionSpec


def test_actions_json_lists_the_twelve_actions_with_seed_labels() -> None:
    result = run_cli(["actions", "--json"])
    assert result.returncode == 0, result.stderr
    manifest = json.loads(result.stdout)
    names = [action["name"] for action in manifest["actions"]]
    assert names == [spec.name for spec in ACTIONS]
    seed = [action["name"] for action in manifest["actions"] if action["on_devo_page"]]
    assert seed == [spec.name for spec in ACTIONS if not spec.extra]
    assert len(seed) == 12
    hold = manifest["actions"][0]
    labels = [item["label"] for item in hold["inputs"]]
    assert labels[:3] == ["Start Time", "End Time", "Sender Name Column Name"]
    limit = next(item for item in hold["inputs"] if item["id"] == "limit")
    assert limit == {
        "id": "limit",
        "label": "Limit",
        "kind": "param",
        "required": False,
        "needs_value": False,
        "default": "100",
        "empty_means": None,
        "options": [],
        "type": "int",
        "description": "Number of results to return (Default is 100 messages).",
    }
    connection_labels = [field["label"] for field in manifest["connection"]]
    for label in (
        "Label",
        "Reference Values",
        "Verify SSL",
        "Remote Agent",
        "Region",
        "Application ID",
        "Application Key",
        "Access Key",
        "Secret Key",
    ):
        assert label in connection_labels


def test_actions_lists_one_line_per_action_with_its_summary() -> None:
    result = run_cli(["actions"])
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("  ")}
    assert list(lines) == [spec.id for spec in ACTIONS]
    assert (
        "Get TTP Impersonation Protection Logs: This action will bring TTP"
        in lines["get_ttp_impersonation_logs"]
    )
    assert "Release Message (changes state): Releases a hold message." in lines["release_message"]
    assert "Message IDs Column Name" not in result.stdout  # inputs are for `actions ACTION`


def test_actions_action_shows_every_input_with_kind_required_default_and_description() -> None:
    result = run_cli(["actions", "Reject Message"])  # the Devo name works as well as the id
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("Reject Message (reject_message)\n")
    assert "POST /api/gateway/hold-reject (changes state)" in text
    # The kinds and the required marks are explained before the inputs.
    head = text[: text.index("Inputs")]
    for words in (
        "a Column Name input takes the name of a column",
        "a Jinja input takes a template",
        "a parameter takes one value for the whole run",
        '"no (form asks)" means',
    ):
        assert words in " ".join(head.split()), words
    block = " ".join(text[text.index("  Message IDs Column Name (message_ids_column)") :].split())
    assert block.startswith(
        "Message IDs Column Name (message_ids_column) kind: Column Name; required: yes; "
        "empty: not allowed Column name from the parent table that contains comma-separated ids"
    )
    notify = " ".join(text[text.index("  Notify Sender (notify)") :].split())
    assert notify.startswith(
        "Notify Sender (notify) kind: parameter; required: no; default: true; "
        "allowed: true, false Send the rejection message back to the sender"
    )


def test_actions_action_explains_empty_values_and_the_form_only_mark() -> None:
    text = " ".join(run_cli(["actions", "get_ttp_url_logs"]).stdout.split())
    assert (
        "Start Time (start_time) kind: Jinja; required: no (form asks); "
        "empty means: the batch start time" in text
    )
    assert "Route (route) kind: parameter; required: no; default: all; allowed: inbound," in text


def test_actions_action_ends_with_a_run_command_setting_the_required_inputs_first() -> None:
    text = run_cli(["actions", "manage_sender"]).stdout
    example = text[text.index("\nExample:\n") + 1 :].splitlines()
    assert example[1].split() == [
        "mimecast-soar",
        "run",
        "manage_sender",
        "--connection",
        "conn.toml",
        "--input",
        "rows.jsonl",
        "\\",
    ]
    assert [line.strip() for line in example[2:5]] == [
        "--set 'sender={{sender}}' \\",
        "--set 'to={{to}}' \\",
        "--set action=permit",
    ]


@pytest.mark.parametrize("spec", ACTIONS, ids=lambda spec: spec.id)
def test_every_example_command_sets_inputs_the_run_command_accepts(spec: ActionSpec) -> None:
    from mimecast_soar.cli import _parse_settings, _parser
    from mimecast_soar.clidisplay import example_command
    from mimecast_soar.manifest import action_manifest
    from mimecast_soar.runtime.resolve import check_settings

    words = shlex.split(example_command(action_manifest(spec)).replace("\\\n", " "))
    assert words[:3] == ["mimecast-soar", "run", spec.id]
    args = _parser().parse_args(words[1:])
    settings = _parse_settings(args.set, spec)
    check_settings(spec, settings)  # every input that needs a value is set
    needed = [item.id for item in spec.inputs if item.needs_value]
    assert list(settings)[: len(needed)] == needed


def test_the_example_command_runs_as_printed(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    text = run_cli(["actions", "find_groups"]).stdout
    command = text[text.index("\nExample:\n") + len("\nExample:\n") :].split("\n\n")[0]
    words = shlex.split(command.replace("\\\n", " ").split("\nrows.jsonl")[0])
    write_jsonl(tmp_path / "rows.jsonl", [{"lhub_id": 7, "query": ""}])
    done = subprocess.run(
        [sys.executable, "-m", "mimecast_soar.cli", *words[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "MIMECAST_LABEL": ""},
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert rows
    assert all(row["original_lhub_id"] == 7 and not row["has_error"] for row in rows)


def test_actions_action_json_is_that_actions_manifest() -> None:
    result = run_cli(["actions", "release-message", "--json"])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["id"] == "release_message"
    refused = run_cli(["actions", "release_message", "--markdown"])
    assert refused.returncode == 2
    assert "leave out ACTION" in refused.stderr


def test_docs_actions_md_is_generated_from_the_specs() -> None:
    from pathlib import Path

    from mimecast_soar.manifest import markdown

    committed = Path(__file__).resolve().parents[2] / "docs" / "actions.md"
    assert committed.read_text(encoding="utf-8") == markdown(), (
        "docs/actions.md is stale: run `mimecast-soar actions --markdown > docs/actions.md`"
    )
