"""Create group and Update group (issue 14, §12.5): over loopback HTTP against the simulator."""

from __future__ import annotations

import pytest
from integration_support import assert_error_row, ok, run

from mimecast_soar.actions import BatchWindow
from mimecast_soar.runtime.connection import Connection
from support.simadmin import SimAdmin

pytestmark = pytest.mark.anyio

CREATE = "/api/directory/create-group"
UPDATE = "/api/directory/update-group"


async def test_create_group_then_find_it_and_add_a_member(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    parent = sim.sim.group_id("Executives")
    [(_, top), (_, inner)] = await run(
        "create_group",
        [{"n": "Phish responders"}, {"n": "Inner circle", "p": parent}],
        connection=connection,
        window=window,
        settings={"name": "{{ n }}", "parent_id": "{{ p }}"},
        concurrency=1,
    )
    assert sim.bodies(CREATE) == [
        {"data": [{"description": "Phish responders"}]},
        {"data": [{"description": "Inner circle", "parentId": parent}]},
    ]
    assert top["has_error"] is False
    assert inner["has_error"] is False
    assert top["result"]["description"] == "Phish responders"
    assert inner["result"]["parentId"] == parent
    found = await run(
        "find_groups",
        [{}],
        connection=connection,
        window=window,
        settings={"query": "Phish responders"},
    )
    assert [row["id"] for _, row in found] == [top["result"]["id"]]
    [(_, added)] = await run(
        "add_group_member",
        [{}],
        connection=connection,
        window=window,
        settings={"group_id": top["result"]["id"], "email_address": "soc@example.com"},
    )
    assert added["has_error"] is False, added


async def test_update_group_renames_and_moves(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    group = sim.sim.group_id("VIP")
    parent = sim.sim.group_id("Executives")
    [(_, renamed)] = await run(
        "update_group",
        [{}],
        connection=connection,
        window=window,
        settings={"group_id": group, "name": "Very important", "parent_id": parent},
    )
    assert sim.bodies(UPDATE) == [
        {"data": [{"id": group, "description": "Very important", "parentId": parent}]}
    ]
    assert renamed == ok(result=sim.sim.world.group(group).folder())
    assert renamed["result"]["description"] == "Very important"


async def test_group_failures_and_bad_input_are_error_rows(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    group = sim.sim.group_id("VIP")
    rows = [
        {"lhub_id": 1, "g": "eNoUnknownGroup", "n": "x", "p": ""},  # Mimecast: not found
        {"lhub_id": 2, "g": group, "n": "", "p": ""},  # nothing to change: no call
        {"lhub_id": 3, "g": group, "n": "", "p": group},  # under itself: refused
        {"lhub_id": 4, "g": "", "n": "x", "p": ""},  # no group id: no call
    ]
    output = await run(
        "update_group",
        rows,
        connection=connection,
        window=window,
        settings={"group_id": "{{ g }}", "name": "{{ n }}", "parent_id": "{{ p }}"},
    )
    by_id = dict(output)
    assert_error_row(by_id[1], "err_folder_not_found")
    assert_error_row(by_id[2], "New Name or a New Parent Group ID")
    assert_error_row(by_id[3], "cannot be moved under itself")
    assert_error_row(by_id[4], "Group ID is required")
    assert len(sim.bodies(UPDATE)) == 2
    [(_, bad_parent)] = await run(
        "create_group",
        [{}],
        connection=connection,
        window=window,
        settings={"name": "Orphan", "parent_id": "eNoNoSuchParent"},
    )
    assert_error_row(bad_parent, "err_folder_not_found")


async def test_create_group_is_never_resent_after_a_dropped_connection(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    sim.faults([{"kind": "drop_after", "path": CREATE, "count": 1}])
    [(_, row)] = await run(
        "create_group",
        [{}],
        connection=connection,
        window=window,
        settings={"name": "Created once"},
    )
    assert_error_row(row, "outcome is unknown")
    assert len(sim.bodies(CREATE)) == 1
    names = [g.description for g in sim.sim.world.groups]
    assert names.count("Created once") == 1  # Mimecast acted; the client did not repeat it
