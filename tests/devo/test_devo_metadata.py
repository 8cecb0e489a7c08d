"""The bundle as the platform reads it: `python -m lhub_integ.generate_metadata` in the folder.

The SDK's reading of the generated module is compared with the specs it was generated from; the
seed's names and labels are checked against the specs in tests/actions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from devo_support import run_sdk, sdk_result

from mimecast_soar.actions import ACTIONS, REGISTRY, ActionSpec

pytestmark = pytest.mark.lhub


def _expected_inputs(spec: ActionSpec) -> list[tuple[str, str, str]]:
    """What the SDK should report for `spec`: every input's id, kind and label."""
    return [(item.id, item.kind.value, item.label) for item in spec.inputs]


CONNECTION = {
    "region": ("Region", "select"),
    "application_id": ("Application ID", "text"),
    "application_key": ("Application Key", "password"),
    "access_key": ("Access Key", "password"),
    "secret_key": ("Secret Key", "password"),
    "client_id": ("Client ID", "text"),
    "client_secret": ("Client Secret", "password"),
    "base_url": ("Base URL override", "text"),
}


@pytest.fixture(scope="module")
def descriptor(lhub_python: Path, bundle_dir: Path) -> dict[str, Any]:
    run = run_sdk(["lhub_integ.generate_metadata"], bundle_dir, {}, None)
    assert run.returncode == 0, run.stderr
    result: dict[str, Any] = sdk_result(run.stdout)
    return result


def _inputs(action: dict[str, Any]) -> list[tuple[str, str, str]]:
    found = []
    for arg in action["args"]:
        kind = {"jinja": "jinja", "column": "column"}[arg["data_type"]]
        found.append((arg["id"], kind, arg["label"]))
    found.extend((param["id"], "param", param["label"]) for param in action["params"])
    return found


def test_descriptor_is_ok_with_name_and_description(descriptor: dict[str, Any]) -> None:
    assert descriptor["ok"] is True, descriptor["errors"]
    assert descriptor["errors"] == []
    assert descriptor["integration_name"] == "Mimecast"
    assert "Mimecast" in descriptor["integration_description"]
    assert descriptor["supported_IOs"] == ["FileIO", "PipeIO"]


def test_every_action_has_the_seed_name_and_its_id_as_entrypoint(
    descriptor: dict[str, Any],
) -> None:
    found = [(a["entrypoint"], a["name"]) for a in descriptor["actions"]]
    assert sorted(found) == sorted((f"mimecast.{spec.id}", spec.name) for spec in ACTIONS)
    assert all(action["errors"] == [] for action in descriptor["actions"])


@pytest.mark.parametrize("action_id", list(REGISTRY))
def test_every_input_has_its_kind_id_and_seed_label(
    descriptor: dict[str, Any], action_id: str
) -> None:
    action = next(a for a in descriptor["actions"] if a["entrypoint"] == f"mimecast.{action_id}")
    assert sorted(_inputs(action)) == sorted(_expected_inputs(REGISTRY[action_id]))


def test_inputs_follow_the_specs_optional_flags_defaults_and_options(
    descriptor: dict[str, Any],
) -> None:
    by_entry = {a["entrypoint"]: a for a in descriptor["actions"]}
    for spec in ACTIONS:
        action = by_entry[f"mimecast.{spec.id}"]
        assert action["description"] == spec.description.split("\n")[0].strip()
        declared = {item["id"]: item for item in action["args"] + action["params"]}
        for item in spec.inputs:
            got = declared[item.id]
            assert got["optional"] is (not item.required or item.default is not None), item.id
            assert got["description"], item.id
            if item.kind.value == "jinja":
                assert got["input_type"] == "textarea"
            elif item.kind.value == "column":
                assert got["input_type"] == "columnSelect"
            else:
                assert got["default"] == item.default
                values = [option["value"] for option in got["options"] or []]
                assert values == list(item.options)
                assert got["input_type"] == ("select" if len(item.options) > 1 else "text")


def test_connection_fields_have_ids_labels_and_password_inputs(descriptor: dict[str, Any]) -> None:
    found = {p["id"]: (p["label"], p["input_type"]) for p in descriptor["connection_params"]}
    assert found == CONNECTION
