"""Every action under the SDK's own shim: `python -m lhub_integ.shim_exec -e mimecast.<id>`.

File IO against the simulator: each input row yields the rows the spec requires, correlated by
`original_lhub_id`, and a bad value is an error row for its input row (no traceback).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from devo_support import Platform, Run, window_env
from tests.support.scenarios import scenarios_in

from mimecast_soar.actions import REGISTRY
from mimecast_soar.actions.values import format_mimecast_time

pytestmark = pytest.mark.lhub

POLICY = {
    "description": "Block a lookalike domain",
    "from": {"type": "email_domain", "emailDomain": "examp1e-payments.net"},
    "to": {"type": "everyone"},
}


def by_id(run: Run) -> dict[Any, list[dict[str, Any]]]:
    """Output rows grouped by correlation id, checking no line lost its correlation."""
    assert run.returncode == 0, run.stderr
    grouped: dict[Any, list[dict[str, Any]]] = {}
    for lhub_id, row in run.rows:
        assert lhub_id is not None, row
        assert "Traceback" not in json.dumps(row)
        grouped.setdefault(lhub_id, []).append(row)
    return grouped


def only_ok(rows: list[dict[str, Any]]) -> dict[str, Any]:
    [row] = rows
    assert row["has_error"] is False, row
    assert row["error"] is None
    return row


def only_error(rows: list[dict[str, Any]], *words: str) -> dict[str, Any]:
    [row] = rows
    assert row["has_error"] is True, row
    for word in words:
        assert word.lower() in row["error"].lower(), row
    return row


def test_get_hold_message_list_and_an_empty_template_means_the_batch_window(
    platform: Platform,
) -> None:
    window = window_env(platform)
    rows = [{"lhub_id": 1, "start": ""}, {"lhub_id": 2, "start": "not a time"}]
    run = platform.shim(
        "get_hold_message_list",
        rows,
        {"___start_time": "{{ start }}", "___end_time": "{{ nothing }}", "limit": "7", **window},
    )
    grouped = by_id(run)
    assert list(grouped) == [1, 2]
    first = only_ok(grouped[1])
    assert isinstance(first["result"], list)
    assert 0 < len(first["result"]) <= 7
    only_error(grouped[2], "start time")
    [logged] = platform.requests("/api/gateway/get-hold-message-list")[:1]
    sent = logged["body"]["data"][0]
    anchor = platform.sim.app.state.sim.anchor
    assert sent["start"] == format_mimecast_time(anchor - timedelta(days=8))
    assert sent["end"] == format_mimecast_time(anchor + timedelta(hours=1))


def test_get_hold_message_list_filters_by_a_column_value(platform: Platform) -> None:
    held = platform.sim.app.state.sim.world.held()
    subject = held[0].subject
    run = platform.shim(
        "get_hold_message_list",
        [{"lhub_id": 7, "subj": subject}],
        {
            **window_env(platform),
            "___start_time": "{{ a }}",
            "___end_time": "{{ b }}",
            "___subject_column": "subj",
        },
    )
    result = only_ok(by_id(run)[7])["result"]
    assert result
    assert all(subject.lower() in record["subject"].lower() for record in result)


def test_reject_message_succeeds_and_rejects_an_unknown_reason(platform: Platform) -> None:
    ids = platform.sim.app.state.sim.held_ids()
    rows = [
        {
            "lhub_id": 1,
            "ids": f"{ids[0]}, {ids[1]}",
            "text": "Not accepted",
            "why": "inappropriate communication",
        },
        {"lhub_id": 2, "ids": ids[2], "text": "No", "why": "because"},
    ]
    settings = {
        "___message_ids_column": "ids",
        "___message_column": "text",
        "___reason_type_column": "why",
        "notify": "false",
    }
    grouped = by_id(platform.shim("reject_message", rows, settings))
    assert only_ok(grouped[1])["result"] == "Success"
    only_error(grouped[2], "MESSAGE CONTAINS UNDESIRABLE CONTENT")


def test_release_message_succeeds_then_reports_mimecasts_reason(platform: Platform) -> None:
    held = platform.sim.app.state.sim.held_ids()[0]
    rows = [{"lhub_id": "a", "id": held}, {"lhub_id": "b", "id": held}, {"lhub_id": "c", "id": ""}]
    grouped = by_id(platform.shim("release_message", rows, {"___message_id_column": "id"}))
    assert only_ok(grouped["a"])["result"] == "Success"
    only_error(grouped["b"])
    only_error(grouped["c"], "Message ID Column Name")


def test_get_message_details_returns_the_message_info(platform: Platform) -> None:
    message_id = platform.sim.app.state.sim.held_ids()[0]
    rows = [{"lhub_id": 1, "id": message_id}, {"lhub_id": 2, "id": "no-such-message"}]
    grouped = by_id(platform.shim("get_message_details", rows, {"___message_id_column": "id"}))
    assert isinstance(only_ok(grouped[1])["result"], dict)
    only_error(grouped[2])


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("get_ttp_url_logs", {"route": "all", "scan_result": "all"}),
        ("get_ttp_impersonation_logs", {"oldest_first": "true"}),
        ("get_ttp_attachment_logs", {"result": "all", "route": "inbound"}),
    ],
)
def test_ttp_logs_give_one_row_per_log_capped_by_page_size(
    platform: Platform, action: str, params: dict[str, str]
) -> None:
    rows = [{"lhub_id": 1, "n": "4"}, {"lhub_id": 2, "n": "many"}]
    settings = {"___start_time": "{{ s }}", "___end_time": "{{ e }}", "___page_size": "{{ n }}"}
    grouped = by_id(platform.shim(action, rows, {**settings, **params, **window_env(platform)}))
    assert len(grouped[1]) == 4
    assert all(row["has_error"] is False and row["error"] is None for row in grouped[1])
    assert all(len(row) > 2 for row in grouped[1])  # the record's fields are merged in
    only_error(grouped[2], "Page Size")


def test_find_groups_lists_groups_and_checks_page_size(platform: Platform) -> None:
    rows = [{"lhub_id": 1, "q": ""}, {"lhub_id": 2, "q": "", "n": "0"}]
    settings = {"___query": "{{ q }}", "___page_size": "{{ n }}", "source": "cloud"}
    grouped = by_id(platform.shim("find_groups", rows, settings))
    groups = grouped[1]
    assert len(groups) >= 2
    assert all(row["has_error"] is False and "id" in row for row in groups)
    only_error(grouped[2], "Page Size")


def test_get_group_members_and_add_group_member(platform: Platform) -> None:
    group = platform.sim.app.state.sim.world.groups[0]
    rows = [
        {"lhub_id": 1, "gid": group.id, "email": "new.member@example.com"},
        {"lhub_id": 2, "gid": group.id, "email": "not an address"},
    ]
    settings = {"___group_id": "{{ gid }}", "___email_address": "{{ email }}"}
    added = by_id(platform.shim("add_group_member", rows, settings))
    assert only_ok(added[1])["data"]
    only_error(added[2], "Email Address")
    members_rows = [{"lhub_id": 5, "gid": group.id}, {"lhub_id": 6, "gid": "no-such-group"}]
    settings = {"___group_id": "{{ gid }}", "___query": "new.member"}
    members = by_id(platform.shim("get_group_members", members_rows, settings))
    assert [row["emailAddress"] for row in members[5]] == ["new.member@example.com"]
    only_error(members[6])


def test_create_policy_then_get_policy(platform: Platform) -> None:
    rows = [
        {"lhub_id": 1, "policy": json.dumps(POLICY), "option": "block_sender"},
        {"lhub_id": 2, "policy": "{not json", "option": "block_sender"},
    ]
    settings = {"___policy": "{{ policy }}", "___option": "{{ option }}"}
    created = by_id(platform.shim("create_policy", rows, settings))
    made = only_ok(created[1])
    assert made["fail"] == []
    policy_id = made["data"][0]["id"]
    only_error(created[2], "Policy")
    rows = [{"lhub_id": 1, "pid": policy_id}, {"lhub_id": 2, "pid": ""}]
    fetched = by_id(platform.shim("get_policy", rows, {"___policy_id": "{{ pid }}"}))
    assert [p["id"] for p in only_ok(fetched[1])["data"]] == [policy_id]
    assert len(only_ok(fetched[2])["data"]) >= 3


def test_row_values_reach_mimecast_as_text_never_rendered_twice(platform: Platform) -> None:
    rows = [{"lhub_id": 1, "pid": "{{ 7 * 7 }}"}]
    grouped = by_id(platform.shim("get_policy", rows, {"___policy_id": "{{ pid }}"}))
    assert list(grouped) == [1]
    [sent] = platform.requests("/api/policy/blockedsenders/get-policy")
    assert sent["body"]["data"] == [{"id": "{{ 7 * 7 }}"}]


def test_every_seed_action_is_covered_here() -> None:
    # The actions beyond the seed are covered in test_devo_shim_extra.py.
    seed = [spec.id for spec in REGISTRY.values() if not spec.extra]
    covered = scenarios_in(Path(__file__).parent, seed, pattern=Path(__file__).name)
    assert [action_id for action_id in seed if action_id not in covered] == []
