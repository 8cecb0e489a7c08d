"""The actions beyond the seed: declared as such, and each with simulator scenarios here.

`SCENARIOS` names, per action id, the tests in this folder that run it over loopback HTTP; the
checks fail when an action beyond the seed is registered without scenarios, or a listed test is
renamed, removed, or stops running its action.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

from mimecast_soar.actions import ACTIONS, REGISTRY, InputKind

HERE = Path(__file__).resolve().parent

SCENARIOS: dict[str, list[str]] = {
    "remove_group_member": [
        "test_extra_directory.py::test_remove_member_sends_address_or_domain_and_the_member_leaves_the_group",
        "test_extra_directory.py::test_add_then_remove_restores_the_group",
        "test_extra_directory.py::test_remove_a_non_member_is_a_raw_row_with_has_error_and_mimecasts_code",
        "test_extra_directory.py::test_remove_member_bad_rows_are_error_rows_before_any_call",
    ],
    "delete_policy": [
        "test_extra_policy.py::test_create_then_delete_sends_the_id_and_the_policy_is_gone",
        "test_extra_policy.py::test_delete_unknown_policy_is_meta_status_404_with_empty_fail_and_has_error",
        "test_extra_policy.py::test_delete_policy_empty_id_is_an_error_row_and_a_missing_input_stops_the_run",
    ],
    "find_messages": [
        "test_extra_finder.py::test_find_by_message_id_of_a_click_gives_one_row_per_tracked_copy_with_mimecast_ids",
        "test_extra_finder.py::test_found_ids_feed_release_and_get_message_details",
        "test_extra_finder.py::test_find_by_filters_sends_the_advanced_options_route_and_reason",
        "test_extra_finder.py::test_find_with_nothing_matching_gives_the_no_results_row",
        "test_extra_finder.py::test_find_bad_rows_are_error_rows_before_any_call",
        "test_extra_finder.py::test_find_route_must_be_one_of_the_options",
    ],
    "get_hold_summary": [
        "test_extra_hold.py::test_hold_summary_sends_empty_data_and_gives_one_row_per_policy_per_input_row",
        "test_extra_hold.py::test_hold_summary_counts_follow_a_release",
        "test_extra_hold.py::test_hold_summary_failure_is_an_error_row_with_mimecasts_code",
    ],
    "manage_sender": [
        "test_extra_senders.py::test_block_then_permit_sends_the_entry_and_updates_the_managed_sender",
        "test_extra_senders.py::test_manage_sender_bad_addresses_are_error_rows_before_any_call",
        "test_extra_senders.py::test_manage_sender_action_is_required_and_must_be_permit_or_block",
        "test_extra_senders.py::test_manage_sender_mimecast_failure_is_an_error_row_with_its_code",
    ],
    "decode_url": [
        "test_extra_ttp.py::test_decode_url_gives_the_original_url_and_an_error_row_when_mimecast_cannot",
        "test_extra_ttp.py::test_decode_url_bad_input_is_an_error_row_before_any_call",
    ],
}
# The contract of each action beyond the seed: name, whether it changes state, and its inputs.
CONTRACT: dict[str, tuple[str, bool, list[tuple[str, str, InputKind]]]] = {
    "remove_group_member": (
        "Remove group member",
        True,
        [("group_id", "ID", InputKind.JINJA), ("email_address", "Email Address", InputKind.JINJA)],
    ),
    "delete_policy": ("Delete Policy", True, [("policy_id", "Policy ID", InputKind.JINJA)]),
    "find_messages": (
        "Find Messages",
        False,
        [
            ("message_id", "Message-ID", InputKind.JINJA),
            ("sender", "Sender", InputKind.JINJA),
            ("recipient", "Recipient", InputKind.JINJA),
            ("subject", "Subject", InputKind.JINJA),
            ("sender_ip", "Sender IP", InputKind.JINJA),
            ("route", "Route", InputKind.PARAM),
            ("start_time", "Start Time", InputKind.JINJA),
            ("end_time", "End Time", InputKind.JINJA),
            ("search_reason", "Search Reason", InputKind.PARAM),
        ],
    ),
    "get_hold_summary": ("Get Hold Summary", False, []),
    "manage_sender": (
        "Permit or Block Sender",
        True,
        [
            ("sender", "Sender", InputKind.JINJA),
            ("to", "Recipient", InputKind.JINJA),
            ("action", "Action", InputKind.PARAM),
        ],
    ),
    "decode_url": ("Decode URL", False, [("url", "URL", InputKind.JINJA)]),
}


@cache
def scenario_functions(file_name: str) -> dict[str, str]:
    """The async test functions of one file in this folder: name -> source text."""
    source = (HERE / file_name).read_text(encoding="utf-8")
    tree = ast.parse(source)
    return {
        node.name: ast.get_source_segment(source, node) or ""
        for node in tree.body
        if isinstance(node, ast.AsyncFunctionDef) and node.name.startswith("test_")
    }


def test_the_actions_beyond_the_seed_are_the_contracted_six_after_the_twelve() -> None:
    extras = [spec.id for spec in ACTIONS if spec.extra]
    assert extras == list(CONTRACT)
    assert set(SCENARIOS) == set(CONTRACT)
    assert [spec.extra for spec in ACTIONS] == [False] * 12 + [True] * 6


@pytest.mark.parametrize("action_id", list(CONTRACT))
def test_action_beyond_the_seed_matches_its_contract(action_id: str) -> None:
    spec = REGISTRY[action_id]
    name, mutating, inputs = CONTRACT[action_id]
    assert (spec.name, spec.mutating) == (name, mutating)
    assert [(i.id, i.label, i.kind) for i in spec.inputs] == inputs
    for item in spec.inputs:
        assert item.description.endswith("Beyond the seed."), item.id
        if item.default is not None and item.options:
            assert item.default in item.options


@pytest.mark.parametrize("action_id", list(SCENARIOS))
def test_every_listed_scenario_exists_and_runs_its_action(action_id: str) -> None:
    for scenario in SCENARIOS[action_id]:
        file_name, _, name = scenario.partition("::")
        functions = scenario_functions(file_name)
        assert name in functions, f"{scenario} does not exist"
        assert f'"{action_id}"' in functions[name], f"{scenario} does not run {action_id}"
