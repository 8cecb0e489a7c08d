"""The registry against the seed and its own rules: names, order, labels, kinds, registration.

No list of action ids is kept here: the checks read the registry and the seed's text, and the
public form of every action (ids, labels, kinds, endpoints) is pinned by docs/actions.md, which
tests/cli keeps equal to the generated text.
"""

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

BEYOND = "Beyond the seed."


def _beyond_seed(item: InputSpec) -> bool:
    return item.description.endswith(BEYOND)


def test_registry_holds_the_seed_actions_in_the_seeds_order_then_the_extras() -> None:
    seed_text = " ".join(SEED.read_text(encoding="utf-8").split())
    seed = [spec for spec in ACTIONS if not spec.extra]
    positions = [seed_text.find(spec.name) for spec in seed]
    assert -1 not in positions, [spec.name for spec in seed]
    assert positions == sorted(positions), "the seed's actions keep the seed's order"
    assert list(ACTIONS[: len(seed)]) == seed, "the extras come after the seed's actions"
    assert list(REGISTRY) == [spec.id for spec in ACTIONS]


@pytest.mark.parametrize("action_id", list(REGISTRY))
def test_an_inputs_kind_follows_its_seed_label_and_description(action_id: str) -> None:
    # The seed marks a Column input by its label and a Jinja input by its description.
    for item in REGISTRY[action_id].inputs:
        assert item.label.endswith("Column Name") is (item.kind is InputKind.COLUMN), item.id
        assert ("jinja" in item.description.lower()) is (item.kind is InputKind.JINJA), item.id


@pytest.mark.parametrize("action_id", [spec.id for spec in ACTIONS if not spec.extra])
def test_names_labels_and_descriptions_come_from_the_seed(action_id: str) -> None:
    seed = " ".join(SEED.read_text(encoding="utf-8").split())
    spec = REGISTRY[action_id]
    assert spec.name in seed
    if action_id != "get_policy":  # the seed names Get Policy but has no section for it
        assert spec.description in seed
    for item in spec.inputs:
        if _beyond_seed(item) or action_id == "get_policy":
            continue
        assert item.label in seed
        # The seed's description text, modulo the markdown links some of its tables carry.
        words = item.description.replace("Jinja-template", "").split()[:6]
        assert " ".join(words[1:5]) in seed.replace("[Jinja-template](doc:jinja-template)", "")


@pytest.mark.parametrize("action_id", [spec.id for spec in ACTIONS if spec.extra])
def test_every_input_of_an_action_beyond_the_seed_says_so(action_id: str) -> None:
    assert all(_beyond_seed(item) for item in REGISTRY[action_id].inputs)


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
