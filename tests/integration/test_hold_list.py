"""Beyond the seed around the hold queue: Get Hold Summary, and the hold list's route and held
group filters (`filterBy`), over loopback HTTP."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from integration_support import assert_error_row, ok, run

from mimecast_soar.actions import BatchWindow
from mimecast_soar.runtime.connection import Connection
from support.simadmin import SimAdmin

pytestmark = pytest.mark.anyio

SUMMARY = "/api/gateway/get-hold-summary-list"
HOLD_LIST = "/api/gateway/get-hold-message-list"


def summary_of(sim: SimAdmin) -> list[dict[str, Any]]:
    counts = Counter(m.hold_reason[1] for m in sim.sim.world.held())
    return [ok(policyInfo=policy, numberOfItems=n) for policy, n in sorted(counts.items())]


async def test_hold_summary_sends_empty_data_and_gives_one_row_per_policy_per_input_row(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    expected = summary_of(sim)
    assert len(expected) > 2

    output = await run(
        "get_hold_summary",
        [{"lhub_id": "x"}, {"lhub_id": "y"}],
        connection=connection,
        window=window,
    )

    assert sim.bodies(SUMMARY) == [{"data": []}, {"data": []}]
    assert output == [("x", row) for row in expected] + [("y", row) for row in expected]
    assert sum(row["numberOfItems"] for row in expected) == sim.state()["held"]


async def test_hold_summary_counts_follow_a_release(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    message = sim.sim.world.held()[0]
    policy = message.hold_reason[1]
    before = {
        row["policyInfo"]: row["numberOfItems"]
        for _, row in await run("get_hold_summary", [{}], connection=connection, window=window)
    }
    await run(
        "release_message",
        [{"id": message.id}],
        connection=connection,
        window=window,
        settings={"message_id_column": "id"},
    )

    after = {
        row["policyInfo"]: row["numberOfItems"]
        for _, row in await run("get_hold_summary", [{}], connection=connection, window=window)
    }

    assert after[policy] == before[policy] - 1 or (before[policy] == 1 and policy not in after)


async def test_hold_summary_failure_is_an_error_row_with_mimecasts_code(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    sim.faults([{"kind": "fail", "path": SUMMARY, "code": "err_xdk_forbidden", "message": "Nope"}])
    [(_, row)] = await run("get_hold_summary", [{}], connection=connection, window=window)
    assert_error_row(row, "err_xdk_forbidden", "Nope")


async def test_hold_list_route_and_held_group_are_sent_as_filter_by_and_honoured(
    sim: SimAdmin, connection: Connection, week: BatchWindow
) -> None:
    settings = {"route": "inbound", "held_group": "Administrator", "limit": "500"}

    [(_, row)] = await run(
        "get_hold_message_list", [{}], connection=connection, window=week, settings=settings
    )

    [item] = sim.bodies(HOLD_LIST)[0]["data"]
    assert item["filterBy"] == [
        {"fieldName": "route", "value": "inbound"},
        {"fieldName": "heldGroup", "value": "administrator"},
    ]
    expected = [
        m.held_record()
        for m in sim.sim.world.held()
        if m.route == "inbound" and m.hold_reason[2] == "administrator"
    ]
    assert expected
    assert row == ok(result=expected)


async def test_hold_list_without_the_extra_filters_sends_no_filter_by(
    sim: SimAdmin, connection: Connection, week: BatchWindow
) -> None:
    await run("get_hold_message_list", [{}], connection=connection, window=week)
    [item] = sim.bodies(HOLD_LIST)[0]["data"]
    assert "filterBy" not in item


async def test_hold_list_unknown_held_group_or_route_is_an_error_row_before_any_call(
    sim: SimAdmin, connection: Connection, week: BatchWindow
) -> None:
    [(_, group)] = await run(
        "get_hold_message_list",
        [{}],
        connection=connection,
        window=week,
        settings={"held_group": "everyone"},
    )
    [(_, route)] = await run(
        "get_hold_message_list",
        [{}],
        connection=connection,
        window=week,
        settings={"route": "sideways"},
    )
    assert_error_row(group, "Held Group must be one of administrator, moderator, user, cluster")
    assert_error_row(route, "Route must be one of all, inbound, outbound, internal, external")
    assert sim.requests(HOLD_LIST) == []
