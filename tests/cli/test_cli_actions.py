"""`mimecast-soar actions`: the manifest generated from the specs."""

from __future__ import annotations

import json

from tests.cli.conftest import run_cli

from mimecast_soar.actions import ACTIONS


def test_actions_json_lists_the_twelve_actions_with_seed_labels() -> None:
    result = run_cli(["actions", "--json"])
    assert result.returncode == 0, result.stderr
    manifest = json.loads(result.stdout)
    names = [action["name"] for action in manifest["actions"]]
    assert names == [spec.name for spec in ACTIONS]
    seed = [action["name"] for action in manifest["actions"] if not action["beyond_seed"]]
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


def test_actions_table_is_readable_text() -> None:
    result = run_cli(["actions"])
    assert result.returncode == 0
    assert "Get TTP Impersonation Protection Logs" in result.stdout
    assert "Message IDs Column Name" in result.stdout


def test_docs_actions_md_is_generated_from_the_specs() -> None:
    from pathlib import Path

    from mimecast_soar.manifest import markdown

    committed = Path(__file__).resolve().parents[2] / "docs" / "actions.md"
    assert committed.read_text(encoding="utf-8") == markdown(), (
        "docs/actions.md is stale: run `mimecast-soar actions --markdown > docs/actions.md`"
    )
