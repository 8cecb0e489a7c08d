"""Anti-spoofing SPF bypass policies (issue 14, §12.4): create, list, update, delete over HTTP."""

from __future__ import annotations

import json

import pytest
from integration_support import assert_error_row, run

from mimecast_soar.actions import BatchWindow
from mimecast_soar.actions.antispoofing import one_policy
from mimecast_soar.runtime.connection import Connection
from support.simadmin import SimAdmin

pytestmark = pytest.mark.anyio

BASE = "/api/policy/antispoofing-bypass"
POLICY = {"description": "Bypass {{ d }}", "conditions": {"spfDomains": ["{{ d }}"]}}


async def _create(connection: Connection, window: BatchWindow, domain: str) -> dict:  # type: ignore[type-arg]
    [(_, row)] = await run(
        "create_antispoofing_bypass_policy",
        [{"d": domain}],
        connection=connection,
        window=window,
        settings={"policy": json.dumps(POLICY)},
    )
    assert row["has_error"] is False, row
    return row["result"]  # type: ignore[no-any-return]


async def test_create_list_update_delete_a_bypass_policy(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    created = await _create(connection, window, "mailer.example.net")
    assert sim.bodies(f"{BASE}/create-policy") == [
        {
            "data": [
                {
                    "option": "enable_bypass",
                    "policy": {
                        "description": "Bypass mailer.example.net",
                        "conditions": {"spfDomains": ["mailer.example.net"]},
                    },
                }
            ]
        }
    ]
    assert created["policy"]["from"] == {"type": "everyone"}
    assert created == sim.sim.world.bypass_policies[created["id"]]
    [(_, listed)] = await run(
        "list_antispoofing_bypass_policies",
        [{}],
        connection=connection,
        window=window,
        settings={"policy_id": created["id"]},
    )
    assert listed == {"has_error": False, "error": None, **created}
    changed = {**POLICY, "description": "Keep checking {{ d }}"}
    [(_, updated)] = await run(
        "update_antispoofing_bypass_policy",
        [{"d": "mailer.example.net"}],
        connection=connection,
        window=window,
        settings={
            "policy_id": created["id"],
            "policy": json.dumps(changed),
            "option": "disable_bypass",
        },
    )
    assert updated["result"]["option"] == "disable_bypass"
    assert updated["result"]["policy"]["description"] == "Keep checking mailer.example.net"
    [(_, deleted)] = await run(
        "delete_antispoofing_bypass_policy",
        [{}],
        connection=connection,
        window=window,
        settings={"policy_id": created["id"]},
    )
    assert deleted == {"has_error": False, "error": None, "result": {"id": created["id"]}}
    assert created["id"] not in sim.sim.world.bypass_policies


async def test_list_bypass_policies_follows_next(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    for n in range(5):
        await _create(connection, window, f"m{n}.example.net")
    sim.sim.config.max_page_size[f"{BASE}/get-policy"] = 2
    try:
        output = await run(
            "list_antispoofing_bypass_policies", [{}], connection=connection, window=window
        )
    finally:
        del sim.sim.config.max_page_size[f"{BASE}/get-policy"]
    ids = [row["id"] for _, row in output]
    assert sorted(ids) == sorted(sim.sim.world.bypass_policies)
    assert len(ids) == len(sim.sim.world.bypass_policies) == 7  # two seeded, five made
    assert len(sim.bodies(f"{BASE}/get-policy")) == 4


def test_a_policy_listed_as_a_one_element_array_is_read_as_its_object() -> None:
    # The doc's example shows `policy` as an array, XSOAR reads an object (§12.4, L).
    record = {"id": "eNo1", "option": "enable_bypass", "policy": [{"description": "x"}]}
    assert one_policy(record)["policy"] == {"description": "x"}
    assert one_policy({**record, "policy": {"description": "y"}})["policy"] == {"description": "y"}


async def test_bypass_bad_input_and_failures_are_error_rows(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    rows = [
        {"lhub_id": 1, "p": "{not json"},
        {"lhub_id": 2, "p": "[1, 2]"},
        {"lhub_id": 3, "p": json.dumps({"conditions": {}})},
        {"lhub_id": 4, "p": json.dumps({"description": "x", "from": {"type": "martians"}})},
        {"lhub_id": 5, "p": json.dumps({"description": "x", "conditions": {"sourceIPs": ["z"]}})},
    ]
    output = dict(
        await run(
            "create_antispoofing_bypass_policy",
            rows,
            connection=connection,
            window=window,
            settings={"policy": "{{ p }}"},
        )
    )
    assert_error_row(output[1], "Policy is not valid JSON")
    assert_error_row(output[2], "must be a JSON object")
    assert_error_row(output[3], "non-empty description")
    assert_error_row(output[4], "martians")
    assert_error_row(output[5], "sourceIPs")  # Mimecast refuses it
    assert len(sim.bodies(f"{BASE}/create-policy")) == 1
    for action, settings in (
        ("delete_antispoofing_bypass_policy", {"policy_id": "eNoGone"}),
        (
            "update_antispoofing_bypass_policy",
            {"policy_id": "eNoGone", "policy": json.dumps({"description": "x"})},
        ),
        ("list_antispoofing_bypass_policies", {"policy_id": "eNoGone"}),
    ):
        [(_, row)] = await run(
            action, [{}], connection=connection, window=window, settings=settings
        )
        assert_error_row(row, "err_policy_not_found")


async def test_bypass_writes_are_never_resent_after_a_dropped_connection(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    sim.faults([{"kind": "drop_after", "path": f"{BASE}/create-policy", "count": 1}])
    [(_, row)] = await run(
        "create_antispoofing_bypass_policy",
        [{"d": "once.example.net"}],
        connection=connection,
        window=window,
        settings={"policy": json.dumps(POLICY)},
    )
    assert_error_row(row, "outcome is unknown")
    assert len(sim.bodies(f"{BASE}/create-policy")) == 1
    made = [p for p in sim.sim.world.bypass_policies.values() if "once" in str(p)]
    assert len(made) == 1
    sim.faults([{"kind": "drop_after", "path": f"{BASE}/delete-policy", "count": 1}])
    [(_, gone)] = await run(
        "delete_antispoofing_bypass_policy",
        [{}],
        connection=connection,
        window=window,
        settings={"policy_id": made[0]["id"]},
    )
    assert_error_row(gone, "outcome is unknown")
    assert len(sim.bodies(f"{BASE}/delete-policy")) == 1
