"""Delete Policy (beyond the seed): the undo of Create Policy, over loopback HTTP."""

from __future__ import annotations

import json

import pytest
from extra_support import assert_error_row, run

from mimecast_soar.actions import BatchWindow
from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime.connection import Connection
from support.simadmin import SimAdmin

pytestmark = pytest.mark.anyio

DELETE = "/api/policy/blockedsenders/delete-policy"
POLICY = {
    "description": "Block a lookalike domain",
    "fromType": "email_domain",
    "fromValue": "examp1e-payments.net",
    "toType": "everyone",
}


async def test_create_then_delete_sends_the_id_and_the_policy_is_gone(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    before = set(sim.sim.world.policies)
    [(_, made)] = await run(
        "create_policy",
        [{"policy": json.dumps(POLICY)}],
        connection=connection,
        window=window,
        settings={"policy": "{{ policy }}", "option": "block_sender"},
    )
    policy_id = made["data"][0]["id"]
    assert policy_id in sim.sim.world.policies

    output = await run(
        "delete_policy",
        [{"lhub_id": 9, "pid": policy_id}],
        connection=connection,
        window=window,
        settings={"policy_id": "{{ pid }}"},
    )

    assert sim.bodies(DELETE) == [{"data": [{"id": policy_id}]}]
    assert output == [
        (9, {"has_error": False, "error": None, "meta": {"status": 200}, "data": [], "fail": []})
    ]
    assert set(sim.sim.world.policies) == before
    assert sim.state()["policies"] == len(before)


async def test_delete_unknown_policy_is_meta_status_404_with_empty_fail_and_has_error(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    seeded = next(iter(sim.sim.world.policies))
    rows = [{"lhub_id": 1, "pid": "eNoNoSuchPolicy"}, {"lhub_id": 2, "pid": seeded}]

    output = await run(
        "delete_policy",
        rows,
        connection=connection,
        window=window,
        settings={"policy_id": "{{ pid }}"},
        concurrency=1,
    )

    (_, missing), (_, deleted) = output
    assert_error_row(missing, "status 404")
    assert missing["meta"] == {"status": 404}
    assert missing["fail"] == []
    assert missing["data"] == []
    assert deleted["has_error"] is False
    assert seeded not in sim.sim.world.policies


async def test_delete_policy_empty_id_is_an_error_row_and_a_missing_input_stops_the_run(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    [(_, row)] = await run(
        "delete_policy",
        [{"pid": "  "}],
        connection=connection,
        window=window,
        settings={"policy_id": "{{ pid }}"},
    )
    assert_error_row(row, "Policy ID is required but rendered empty")
    with pytest.raises(ConfigurationError, match="policy_id"):
        await run("delete_policy", [{}], connection=connection, window=window)
    assert sim.requests(DELETE) == []
