"""The registry against the product spec: the Devo page's twelve actions, their inputs and texts.

The contract is docs/integration-spec.md: §4 holds one table per action (label, id, kind, required,
default, origin) and §6 the texts the platform's form shows. The tests parse those tables, so the
document and the specs cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from mimecast_soar.actions import ACTIONS, REGISTRY, InputKind, get_action

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
def test_inputs_of_our_own_say_they_are_beyond_the_seed(action_id: str) -> None:
    if action_id == "get_policy":  # the page has no section for it: all its text is ours
        return
    for row in CONTRACT[action_id][1]:
        if row.origin == "ours":
            assert REGISTRY[action_id].input(row.id).description.endswith("Beyond the seed.")


@pytest.mark.parametrize("action_id", list(CONTRACT))
def test_names_labels_and_descriptions_come_from_the_page(action_id: str) -> None:
    spec = REGISTRY[action_id]
    assert f"#### {spec.name}" in section(TEXT, 6)
    if action_id == "get_policy":  # the page has no section for Get Policy, only its name
        return
    assert spec.description in FORM_TEXTS
    for row in CONTRACT[action_id][1]:
        if row.origin == "ours":
            continue
        item = spec.input(row.id)
        assert f"{item.label}:" in FORM_TEXTS or f"{item.label}," in FORM_TEXTS
        # The first words of the page's help text (its "Jinja-template" wording varies).
        words = item.description.replace("Jinja-template", "").split()[:6]
        assert " ".join(words[1:5]) in FORM_TEXTS, row.id


def test_state_changing_actions_are_declared_mutating() -> None:
    mutating = {spec.id for spec in ACTIONS if spec.mutating}
    assert mutating == {
        "reject_message",
        "release_message",
        "add_group_member",
        "create_policy",
        "remove_group_member",
        "delete_policy",
        "manage_sender",
    }


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
