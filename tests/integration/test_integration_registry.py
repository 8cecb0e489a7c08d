"""Every registered action has simulator scenarios in this folder (a rule of the project).

`SCENARIOS` names, per action id, the tests that run it over loopback HTTP. The checks below fail
when an action is added to the registry without scenarios, or when a named test is renamed,
removed, or stops running the action it is listed under.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

from mimecast_soar.actions import ACTIONS

HERE = Path(__file__).resolve().parent

SCENARIOS: dict[str, list[str]] = {
    "get_hold_message_list": [
        "test_integration_hold.py::test_hold_list_sends_admin_batch_window_and_limit_page_size_and_returns_held_records",
        "test_integration_hold.py::test_hold_list_sends_explicit_times_of_every_accepted_form_in_mimecast_form",
        "test_integration_hold.py::test_hold_list_with_several_filters_sends_sender_ip_first_and_applies_the_rest_on_client",
        "test_integration_hold.py::test_hold_list_limit_caps_the_records_and_the_page_size",
        "test_integration_hold.py::test_hold_list_is_admin_false_sends_admin_false_and_lists_only_own_messages",
        "test_integration_hold.py::test_hold_list_bad_rows_become_error_rows_before_any_call",
    ],
    "reject_message": [
        "test_integration_hold.py::test_reject_sends_upper_case_reason_trimmed_unique_ids_and_notify",
        "test_integration_hold.py::test_reject_partial_failure_names_the_failed_id_with_mimecast_code_and_lists_outcomes",
        "test_integration_hold.py::test_reject_bad_rows_are_error_rows_and_only_good_rows_reach_mimecast",
    ],
    "release_message": [
        "test_integration_hold.py::test_release_sends_the_id_and_the_message_leaves_the_hold_queue",
        "test_integration_hold.py::test_release_twice_reports_mimecast_failure_on_second_row",
        "test_integration_hold.py::test_release_rows_are_correlated_in_input_order_and_bad_rows_never_reach_mimecast",
        "test_integration_api2.py::test_api2_release_rows_share_one_bearer_token",
    ],
    "get_message_details": [
        "test_integration_messages.py::test_message_details_sends_the_id_and_returns_the_message_info_object_per_row",
        "test_integration_messages.py::test_message_details_unknown_id_is_an_error_row_with_mimecast_code",
    ],
    "get_ttp_url_logs": [
        "test_integration_ttp.py::test_url_logs_send_the_batch_window_and_defaults_and_give_one_row_per_click_log",
        "test_integration_ttp.py::test_url_logs_page_size_caps_the_total_and_says_so_in_a_notice",
        "test_integration_ttp.py::test_url_logs_follow_next_across_the_smaller_pages_the_server_returns",
        "test_integration_ttp.py::test_url_logs_rows_stay_grouped_in_input_order_with_no_results_and_error_rows",
    ],
    "get_ttp_impersonation_logs": [
        "test_integration_ttp.py::test_impersonation_logs_send_definition_as_the_policy_search_field",
        "test_integration_ttp.py::test_impersonation_logs_query_without_search_field_searches_all_fields",
        "test_integration_ttp.py::test_impersonation_logs_search_field_without_query_is_an_error_row_before_any_call",
    ],
    "get_ttp_attachment_logs": [
        "test_integration_ttp.py::test_attachment_logs_send_result_and_route_and_rows_honour_both",
        "test_integration_ttp.py::test_attachment_logs_default_to_all_results_and_routes_in_the_batch_window",
    ],
    "find_groups": [
        "test_integration_directory.py::test_find_groups_sends_source_without_query_and_gives_one_row_per_group",
        "test_integration_directory.py::test_find_groups_sends_query_and_source_and_rows_are_correlated_per_input_row",
        "test_integration_directory.py::test_find_groups_page_size_caps_the_groups_and_emits_a_notice",
    ],
    "get_group_members": [
        "test_integration_directory.py::test_group_members_follow_next_across_three_pages_of_the_vip_group",
        "test_integration_directory.py::test_group_members_query_keeps_members_matching_address_domain_or_name",
        "test_integration_api2.py::test_api2_group_members_page_with_one_reused_bearer_token",
    ],
    "add_group_member": [
        "test_integration_directory.py::test_add_member_sends_email_address_or_domain_and_returns_the_raw_response",
        "test_integration_directory.py::test_add_member_duplicate_gives_a_raw_row_with_has_error_and_fail",
        "test_integration_directory.py::test_add_member_invalid_address_or_not_a_domain_is_an_error_row_before_any_call",
    ],
    "create_policy": [
        "test_integration_policy.py::test_create_policy_sends_option_and_policy_and_the_policy_appears_in_get_policy",
        "test_integration_policy.py::test_create_policy_invalid_input_is_an_error_row_before_any_call",
    ],
    "get_policy": [
        "test_integration_policy.py::test_get_policy_with_empty_id_sends_empty_data_and_lists_every_policy",
        "test_integration_policy.py::test_get_policy_by_id_and_unknown_id_are_correlated_raw_rows",
        "test_integration_api2.py::test_api2_get_policy_gives_the_raw_response_with_bearer_auth",
    ],
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


def test_every_seed_action_has_integration_scenarios() -> None:
    # The actions beyond the seed have theirs in tests/integration_extra/.
    seed = {spec.id for spec in ACTIONS if not spec.extra}
    assert set(SCENARIOS) == seed
    assert len(seed) == 12
    for action_id, scenarios in SCENARIOS.items():
        assert scenarios, action_id


@pytest.mark.parametrize("action_id", sorted(SCENARIOS))
def test_every_listed_scenario_exists_and_runs_its_action(action_id: str) -> None:
    for scenario in SCENARIOS[action_id]:
        file_name, _, name = scenario.partition("::")
        functions = scenario_functions(file_name)
        assert name in functions, f"{scenario} does not exist"
        assert f'"{action_id}"' in functions[name], f"{scenario} does not run {action_id}"
