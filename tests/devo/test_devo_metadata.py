"""The bundle as the platform reads it: `python -m lhub_integ.generate_metadata` in the folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from devo_support import run_sdk, sdk_result

from mimecast_soar.actions import ACTIONS

pytestmark = pytest.mark.lhub

# docs/integration-spec.md §4: every action's seed name and every input's id, kind and seed label.
EXPECTED: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "get_hold_message_list": (
        "Get Hold Message List",
        [
            ("start_time", "jinja", "Start Time"),
            ("end_time", "jinja", "End Time"),
            ("sender_column", "column", "Sender Name Column Name"),
            ("recipient_column", "column", "Recipient Name Column Name"),
            ("subject_column", "column", "Subject Name Column Name"),
            ("sender_ip_column", "column", "Sender IP Name Column Name"),
            ("held_reason_column", "column", "Held Reason Name Column Name"),
            ("is_admin", "param", "Is Admin"),
            ("limit", "param", "Limit"),
            ("route", "param", "Route"),  # beyond the seed
            ("held_group", "param", "Held Group"),  # beyond the seed
        ],
    ),
    "reject_message": (
        "Reject Message",
        [
            ("message_ids_column", "column", "Message IDs Column Name"),
            ("message_column", "column", "Message Column Name"),
            ("reason_type_column", "column", "Reason Type Column Name"),
            ("notify", "param", "Notify Sender"),
        ],
    ),
    "release_message": (
        "Release Message",
        [("message_id_column", "column", "Message ID Column Name")],
    ),
    "get_message_details": (
        "Get Message Details",
        [("message_id_column", "column", "Message ID Column Name")],
    ),
    "get_ttp_url_logs": (
        "Get TTP URL Logs",
        [
            ("oldest_first", "param", "Oldest First"),
            ("route", "param", "Route"),
            ("scan_result", "param", "Scan Result"),
            ("start_time", "jinja", "Start Time"),
            ("end_time", "jinja", "End Time"),
            ("page_size", "jinja", "Page Size"),
        ],
    ),
    "get_ttp_impersonation_logs": (
        "Get TTP Impersonation Protection Logs",
        [
            ("oldest_first", "param", "Oldest First"),
            ("search_field", "param", "Search Field"),
            ("query", "jinja", "Query"),
            ("start_time", "jinja", "Start Time"),
            ("end_time", "jinja", "End Time"),
            ("page_size", "jinja", "Page Size"),
            ("tagged_malicious", "param", "Tagged Malicious"),  # beyond the seed
            ("identifiers", "param", "Identifiers"),  # beyond the seed
            ("actions", "param", "Actions"),  # beyond the seed
        ],
    ),
    "get_ttp_attachment_logs": (
        "Get TTP Attachment Protection Logs",
        [
            ("oldest_first", "param", "Oldest First"),
            ("result", "param", "Route"),
            ("route", "param", "Route direction"),
            ("start_time", "jinja", "Start Time"),
            ("end_time", "jinja", "End Time"),
            ("page_size", "jinja", "Page Size"),
        ],
    ),
    "find_groups": (
        "Find groups",
        [
            ("query", "jinja", "Query"),
            ("source", "param", "Source"),
            ("page_size", "jinja", "Page Size"),
        ],
    ),
    "get_group_members": (
        "Get group members",
        [("group_id", "jinja", "ID"), ("query", "jinja", "Query")],
    ),
    "add_group_member": (
        "Add group member",
        [("group_id", "jinja", "ID"), ("email_address", "jinja", "Email Address")],
    ),
    "create_policy": (
        "Create Policy",
        [("policy", "jinja", "Policy"), ("option", "jinja", "Option")],
    ),
    "get_policy": ("Get Policy", [("policy_id", "jinja", "Policy ID")]),
}
# The actions beyond the seed (issue 7), declared the same way.
EXPECTED_EXTRA: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "remove_group_member": (
        "Remove group member",
        [("group_id", "jinja", "ID"), ("email_address", "jinja", "Email Address")],
    ),
    "delete_policy": ("Delete Policy", [("policy_id", "jinja", "Policy ID")]),
    "find_messages": (
        "Find Messages",
        [
            ("message_id", "jinja", "Message-ID"),
            ("sender", "jinja", "Sender"),
            ("recipient", "jinja", "Recipient"),
            ("subject", "jinja", "Subject"),
            ("sender_ip", "jinja", "Sender IP"),
            ("route", "param", "Route"),
            ("start_time", "jinja", "Start Time"),
            ("end_time", "jinja", "End Time"),
            ("search_reason", "param", "Search Reason"),
        ],
    ),
    "get_hold_summary": ("Get Hold Summary", []),
    "manage_sender": (
        "Permit or Block Sender",
        [
            ("sender", "jinja", "Sender"),
            ("to", "jinja", "Recipient"),
            ("action", "param", "Action"),
        ],
    ),
    "decode_url": ("Decode URL", [("url", "jinja", "URL")]),
}
ALL_EXPECTED = {**EXPECTED, **EXPECTED_EXTRA}

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
    found = {a["entrypoint"]: a["name"] for a in descriptor["actions"]}
    assert found == {f"mimecast.{aid}": name for aid, (name, _) in ALL_EXPECTED.items()}
    assert len(descriptor["actions"]) == len(ACTIONS)
    assert {spec.id for spec in ACTIONS if not spec.extra} == set(EXPECTED)  # the seed's twelve
    assert all(action["errors"] == [] for action in descriptor["actions"])


@pytest.mark.parametrize("action_id", list(ALL_EXPECTED))
def test_every_input_has_its_kind_id_and_seed_label(
    descriptor: dict[str, Any], action_id: str
) -> None:
    action = next(a for a in descriptor["actions"] if a["entrypoint"] == f"mimecast.{action_id}")
    assert sorted(_inputs(action)) == sorted(ALL_EXPECTED[action_id][1])


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
