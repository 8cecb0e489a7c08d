"""The registry against the product spec: the Devo page's twelve actions, their inputs and texts.

The contract is docs/integration-spec.md: §4 holds one table per action (label, id, kind, required,
default, origin) and §6 the texts the platform's form shows. The tests parse those tables, so the
document and the specs cannot drift apart.
"""

from __future__ import annotations

import ast
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
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
    get_action,
)
from mimecast_soar.actions import Row as OutputRow
from mimecast_soar.api.endpoints import Endpoint
from mimecast_soar.devo.codegen import render_module
from mimecast_soar.manifest import manifest, markdown

SPEC = Path(__file__).resolve().parents[2] / "docs" / "integration-spec.md"
KINDS = {"Column": InputKind.COLUMN, "Jinja": InputKind.JINJA, "Param": InputKind.PARAM}
ACTION_HEADING = re.compile(r"^### 4\.\d+ (?P<name>.+?) — `(?P<id>\w+)`$")


@dataclass(frozen=True)
class Row:
    """One input as a §4 table states it."""

    label: str
    id: str
    kind: InputKind
    required: bool
    default: str
    origin: str


def section(text: str, number: int) -> str:
    """The body of `## <number>. ...`, up to the next second-level heading."""
    match = re.search(rf"^## {number}\. .*?$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"docs/integration-spec.md has no section {number}"
    return match.group(1)


def parse_contract(text: str) -> dict[str, tuple[str, list[Row]]]:
    """Action id -> (name, inputs) from the headings and first table of each §4.N."""
    contract: dict[str, tuple[str, list[Row]]] = {}
    current: list[Row] | None = None
    for line in section(text, 4).splitlines():
        heading = ACTION_HEADING.match(line)
        if heading:
            current = []
            contract[heading["id"]] = (heading["name"], current)
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if current is None or len(cells) != 6 or cells[0] in ("Label", "---"):
            continue
        label, input_id, kind, required, default, origin = cells
        current.append(
            Row(label, input_id.strip("`"), KINDS[kind], required == "yes", default, origin)
        )
    return contract


TEXT = SPEC.read_text(encoding="utf-8")
CONTRACT = parse_contract(TEXT)
# The form's texts (§6), whitespace folded, as one text: the page repeats texts across actions.
FORM_TEXTS = " ".join(section(TEXT, 6).split())


def test_the_spec_states_twelve_actions_each_with_inputs() -> None:
    assert len(CONTRACT) == 12
    assert all(rows for _, rows in CONTRACT.values())


def test_registry_holds_the_twelve_seed_actions_in_order_then_the_extras() -> None:
    seed = [spec for spec in ACTIONS if not spec.extra]
    assert [spec.id for spec in seed] == list(CONTRACT)
    assert [spec.name for spec in seed] == [name for name, _ in CONTRACT.values()]
    assert list(ACTIONS[: len(seed)]) == seed, "the extras come after the seed's twelve"


@pytest.mark.parametrize("action_id", list(CONTRACT))
def test_inputs_match_the_contract(action_id: str) -> None:
    spec = REGISTRY[action_id]
    expected = [(row.id, row.label, row.kind) for row in CONTRACT[action_id][1]]
    assert [(i.id, i.label, i.kind) for i in spec.inputs] == expected


@pytest.mark.parametrize("action_id", list(CONTRACT))
def test_required_flags_and_defaults_match_the_contract(action_id: str) -> None:
    for row in CONTRACT[action_id][1]:
        item = REGISTRY[action_id].input(row.id)
        assert item.required is row.required, row.id
        if row.default.startswith("`"):
            assert (item.default, item.empty_means) == (row.default.strip("`"), None), row.id
        elif row.default.startswith("empty means "):
            assert (item.default, item.empty_means) == (None, row.default[12:]), row.id
        else:
            assert row.default == "—", f"{row.id}: unreadable default {row.default!r}"
            assert (item.default, item.empty_means) == (None, None), row.id


@pytest.mark.parametrize("action_id", list(CONTRACT))
def test_inputs_of_our_own_are_marked_extra_in_their_spec(action_id: str) -> None:
    if action_id == "get_policy":  # the page has no section for it: all its text is ours
        return
    for row in CONTRACT[action_id][1]:
        assert REGISTRY[action_id].input(row.id).extra is (row.origin == "ours"), row.id


@pytest.mark.parametrize("action_id", list(CONTRACT))
def test_names_labels_and_descriptions_come_from_the_page(action_id: str) -> None:
    spec = REGISTRY[action_id]
    assert f"#### {spec.name}" in section(TEXT, 6)
    if action_id == "get_policy":  # the page has no section for Get Policy, only its name
        return
    # Where we correct the page (§7), the page's text is the one kept beside ours.
    assert (spec.page_description or spec.description) in FORM_TEXTS
    for row in CONTRACT[action_id][1]:
        if row.origin == "ours":
            continue
        item = spec.input(row.id)
        assert f"{item.label}:" in FORM_TEXTS or f"{item.label}," in FORM_TEXTS
        # The first words of the page's help text (its "Jinja-template" wording varies).
        page_text = item.page_description or item.description
        words = page_text.replace("Jinja-template", "").split()[:6]
        assert " ".join(words[1:5]) in FORM_TEXTS, row.id


CORRECTION_ROW = re.compile(
    r'^\| (?P<actions>[^|]+) \| (?P<label>[^|]+) \| "(?P<page>[^"]+)" \| "(?P<ours>[^"]+)" \|$'
)


def _corrections_in_the_doc() -> set[tuple[str, str, str, str]]:
    """(action name, label or "(summary)", page text, our text) for each row of §7."""
    rows: set[tuple[str, str, str, str]] = set()
    for line in section(TEXT, 7).splitlines():
        match = CORRECTION_ROW.match(line.strip())
        if match:
            for name in match["actions"].split(", "):
                rows.add((name, match["label"], match["page"], match["ours"]))
    return rows


def _corrections_in_the_specs() -> set[tuple[str, str, str, str]]:
    rows: set[tuple[str, str, str, str]] = set()
    for spec in ACTIONS:
        if spec.page_description is not None:
            rows.add((spec.name, "(summary)", spec.page_description, spec.description))
        for item in spec.inputs:
            if item.page_description is not None:
                rows.add((spec.name, item.label, item.page_description, item.description))
    return rows


def test_every_text_we_correct_is_listed_with_the_page_text_it_replaces() -> None:
    corrected = _corrections_in_the_specs()
    assert corrected, "the specs correct the page's wrong texts (Oldest First, ...)"
    assert corrected == _corrections_in_the_doc()
    for name, _label, page, ours in corrected:
        assert page != ours, name
        assert " ".join(page.split()) in FORM_TEXTS, f"{name}: not the page's text: {page!r}"
        assert " ".join(ours.split()) not in FORM_TEXTS, f"{name}: {ours!r} is the page's text"


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


async def _echo(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[OutputRow]:
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
