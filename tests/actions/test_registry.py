"""The registry against the contract: the seed's action names, input ids, labels and kinds."""

from __future__ import annotations

import ast
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mimecast_soar import __version__
from mimecast_soar.actions import (
    ACTIONS,
    REGISTRY,
    ActionContext,
    ActionSpec,
    InputKind,
    InputSpec,
    OutputShape,
    Row,
    get_action,
)
from mimecast_soar.api.endpoints import Endpoint
from mimecast_soar.devo.codegen import render_module
from mimecast_soar.manifest import manifest, markdown

SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "devo-soar-mimecast-doc.txt"

# devo-soar-mimecast.md §4: action id -> seed name, and (input id, seed label, kind) per input.
CONTRACT: dict[str, tuple[str, list[tuple[str, str, InputKind]]]] = {
    "get_hold_message_list": (
        "Get Hold Message List",
        [
            ("start_time", "Start Time", InputKind.JINJA),
            ("end_time", "End Time", InputKind.JINJA),
            ("sender_column", "Sender Name Column Name", InputKind.COLUMN),
            ("recipient_column", "Recipient Name Column Name", InputKind.COLUMN),
            ("subject_column", "Subject Name Column Name", InputKind.COLUMN),
            ("sender_ip_column", "Sender IP Name Column Name", InputKind.COLUMN),
            ("held_reason_column", "Held Reason Name Column Name", InputKind.COLUMN),
            ("is_admin", "Is Admin", InputKind.PARAM),
            ("limit", "Limit", InputKind.PARAM),
        ],
    ),
    "reject_message": (
        "Reject Message",
        [
            ("message_ids_column", "Message IDs Column Name", InputKind.COLUMN),
            ("message_column", "Message Column Name", InputKind.COLUMN),
            ("reason_type_column", "Reason Type Column Name", InputKind.COLUMN),
            ("notify", "Notify Sender", InputKind.PARAM),
        ],
    ),
    "release_message": (
        "Release Message",
        [("message_id_column", "Message ID Column Name", InputKind.COLUMN)],
    ),
    "get_message_details": (
        "Get Message Details",
        [("message_id_column", "Message ID Column Name", InputKind.COLUMN)],
    ),
    "get_ttp_url_logs": (
        "Get TTP URL Logs",
        [
            ("oldest_first", "Oldest First", InputKind.PARAM),
            ("route", "Route", InputKind.PARAM),
            ("scan_result", "Scan Result", InputKind.PARAM),
            ("start_time", "Start Time", InputKind.JINJA),
            ("end_time", "End Time", InputKind.JINJA),
            ("page_size", "Page Size", InputKind.JINJA),
        ],
    ),
    "get_ttp_impersonation_logs": (
        "Get TTP Impersonation Protection Logs",
        [
            ("oldest_first", "Oldest First", InputKind.PARAM),
            ("search_field", "Search Field", InputKind.PARAM),
            ("query", "Query", InputKind.JINJA),
            ("start_time", "Start Time", InputKind.JINJA),
            ("end_time", "End Time", InputKind.JINJA),
            ("page_size", "Page Size", InputKind.JINJA),
        ],
    ),
    "get_ttp_attachment_logs": (
        "Get TTP Attachment Protection Logs",
        [
            ("oldest_first", "Oldest First", InputKind.PARAM),
            ("result", "Route", InputKind.PARAM),
            ("route", "Route direction", InputKind.PARAM),
            ("start_time", "Start Time", InputKind.JINJA),
            ("end_time", "End Time", InputKind.JINJA),
            ("page_size", "Page Size", InputKind.JINJA),
        ],
    ),
    "find_groups": (
        "Find groups",
        [
            ("query", "Query", InputKind.JINJA),
            ("source", "Source", InputKind.PARAM),
            ("page_size", "Page Size", InputKind.JINJA),
        ],
    ),
    "get_group_members": (
        "Get group members",
        [("query", "Query", InputKind.JINJA), ("group_id", "ID", InputKind.JINJA)],
    ),
    "add_group_member": (
        "Add group member",
        [("group_id", "ID", InputKind.JINJA), ("email_address", "Email Address", InputKind.JINJA)],
    ),
    "create_policy": (
        "Create Policy",
        [("policy", "Policy", InputKind.JINJA), ("option", "Option", InputKind.JINJA)],
    ),
    "get_policy": ("Get Policy", [("policy_id", "Policy ID", InputKind.JINJA)]),
}
BEYOND_SEED_LABELS = {"Notify Sender", "Route direction", "Policy ID"}
# Filters beyond the seed, appended after the seed's inputs (issue 7).
EXTRA_INPUTS: dict[str, list[tuple[str, str, InputKind]]] = {
    "get_hold_message_list": [
        ("route", "Route", InputKind.PARAM),
        ("held_group", "Held Group", InputKind.PARAM),
    ],
    "get_ttp_impersonation_logs": [
        ("tagged_malicious", "Tagged Malicious", InputKind.PARAM),
        ("identifiers", "Identifiers", InputKind.PARAM),
        ("actions", "Actions", InputKind.PARAM),
    ],
}


def test_registry_holds_the_twelve_seed_actions_in_order_then_the_extras() -> None:
    seed = [spec for spec in ACTIONS if not spec.extra]
    assert [spec.id for spec in seed] == list(CONTRACT)
    assert [spec.name for spec in seed] == [name for name, _ in CONTRACT.values()]
    assert list(ACTIONS[: len(seed)]) == seed, "the extras come after the seed's twelve"


@pytest.mark.parametrize("action_id", list(CONTRACT))
def test_inputs_match_the_contract(action_id: str) -> None:
    spec = REGISTRY[action_id]
    expected = CONTRACT[action_id][1] + EXTRA_INPUTS.get(action_id, [])
    assert [(i.id, i.label, i.kind) for i in spec.inputs] == expected


@pytest.mark.parametrize("action_id", list(EXTRA_INPUTS))
def test_extra_inputs_of_seed_actions_say_they_are_beyond_the_seed(action_id: str) -> None:
    extras = {input_id for input_id, _, _ in EXTRA_INPUTS[action_id]}
    for item in REGISTRY[action_id].inputs:
        if item.id in extras:
            assert item.description.endswith("Beyond the seed."), item.id


@pytest.mark.parametrize("action_id", list(CONTRACT))
def test_names_labels_and_descriptions_come_from_the_seed(action_id: str) -> None:
    seed = " ".join(SEED.read_text(encoding="utf-8").split())
    spec = REGISTRY[action_id]
    assert spec.name in seed
    if action_id != "get_policy":  # the seed has no section for Get Policy, only its name
        assert spec.description in seed
    extras = {input_id for input_id, _, _ in EXTRA_INPUTS.get(action_id, [])}
    for item in spec.inputs:
        if item.label in BEYOND_SEED_LABELS or item.id in extras:
            continue
        assert item.label in seed
        # The seed's description text, modulo the markdown links some of its tables carry.
        words = item.description.replace("Jinja-template", "").split()[:6]
        assert " ".join(words[1:5]) in seed.replace("[Jinja-template](doc:jinja-template)", "")


def test_every_select_default_is_one_of_its_options() -> None:
    for spec in ACTIONS:
        for item in spec.inputs:
            if item.options and item.default is not None:
                assert item.default in item.options, (spec.id, item.id)


def test_get_action_accepts_ids_and_seed_names() -> None:
    assert get_action("Release Message").id == "release_message"
    assert get_action("release-message").id == "release_message"
    with pytest.raises(KeyError, match="known: get_hold_message_list"):
        get_action("explode")


async def _echo(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    yield {"has_error": False, "error": None, "result": values.get("note")}


# A test action that no module of the package knows: one spec and its endpoints, nothing else.
QUARANTINE = Endpoint("/api/test/quarantine-everything", mutating=True)
LOOKUP = Endpoint("/api/test/get-things", mutating=False)
TEST_ACTION = ActionSpec(
    id="quarantine_everything",
    name="Quarantine Everything",
    description="A test action: look things up, then quarantine them.",
    endpoints=(LOOKUP, QUARANTINE),
    output=OutputShape.SINGLE,
    inputs=(
        InputSpec("note", "Note", "Jinja-templated note. Beyond the seed.", InputKind.JINJA),
        InputSpec(
            "force",
            "Force",
            "Whether to force it.",
            InputKind.PARAM,
            default="false",
            options=("true", "false"),
            value_type="bool",
        ),
    ),
    execute=_echo,
    extra=True,
)


def test_one_registered_spec_appears_in_the_manifest_the_bundle_and_the_docs() -> None:
    registry = REGISTRY.with_actions(TEST_ACTION)
    assert list(registry)[-1] == TEST_ACTION.id
    assert registry.find("Quarantine Everything") is TEST_ACTION

    listed = manifest(registry)["actions"][-1]
    assert (listed["id"], listed["name"], listed["mutating"]) == (
        "quarantine_everything",
        "Quarantine Everything",
        True,
    )
    assert listed["endpoints"] == [
        {"path": LOOKUP.path, "mutating": False},
        {"path": QUARANTINE.path, "mutating": True},
    ]
    assert [item["id"] for item in listed["inputs"]] == ["note", "force"]

    module = ast.parse(render_module(__version__, registry.actions))
    function = next(
        node
        for node in module.body
        if isinstance(node, ast.FunctionDef) and node.name == TEST_ACTION.id
    )
    assert [arg.arg for arg in function.args.args] == ["note"]  # Force is a parameter
    decorator = function.decorator_list[0]
    assert isinstance(decorator, ast.Call)
    assert ast.literal_eval(decorator.args[0]) == "Quarantine Everything"
    assert "action='quarantine_everything'" in ast.unparse(module)  # Force's ActionParam

    docs = markdown(registry)
    section = docs[docs.index("## Quarantine Everything — `quarantine_everything`") :]
    assert f"`POST {LOOKUP.path}`, `POST {QUARANTINE.path}` (changes state" in section
    assert "| Force | `force` | param |" in section


def test_building_a_registry_leaves_the_shared_one_alone_and_refuses_a_taken_id() -> None:
    REGISTRY.with_actions(TEST_ACTION)
    assert TEST_ACTION.id not in REGISTRY
    assert TEST_ACTION.id not in [action["id"] for action in manifest()["actions"]]
    assert "quarantine" not in markdown().lower()
    with pytest.raises(ValueError, match="two actions have the id 'release_message'"):
        REGISTRY.with_actions(replace(TEST_ACTION, id="release_message"))
