"""API 2.0 (OAuth 2 client credentials): reads with paging, a mutation and a raw-response action
run with bearer auth, and one token serves every row of a run."""

from __future__ import annotations

from typing import Any

import pytest
from integration_support import ok, record, run

from mimecast_soar.actions import BatchWindow
from mimecast_soar.runtime.connection import Connection
from support.simadmin import SimAdmin

pytestmark = pytest.mark.anyio

TOKEN = "/oauth/token"


@pytest.fixture
def oauth_connection(sim_server: Any) -> Connection:
    connection = Connection.from_mapping(sim_server.connection(api_version=2))
    assert connection.api_version == "2.0"
    return connection


def assert_one_token_and_bearer_auth(sim: SimAdmin, api_path: str, calls: int) -> None:
    """One token request, then `calls` calls of `api_path`, every one with a bearer token."""
    log = sim.requests()
    token_requests = [entry for entry in log if entry["path"] == TOKEN]
    assert len(token_requests) == 1
    assert token_requests[0]["body"]["grant_type"] == "client_credentials"
    assert token_requests[0]["status"] == 200
    api_calls = [entry for entry in log if entry["path"] != TOKEN]
    assert [entry["path"] for entry in api_calls] == [api_path] * calls
    assert {entry["auth"] for entry in api_calls} == {"api2"}
    assert {entry["status"] for entry in api_calls} == {200}
    state = sim.state()
    assert state["tokens_issued"] == 1
    assert state["tokens_active"] == 1


async def test_api2_group_members_page_with_one_reused_bearer_token(
    sim: SimAdmin, oauth_connection: Connection, window: BatchWindow
) -> None:
    vip, execs = sim.sim.group_id("VIP"), sim.sim.group_id("Executives")
    result = await run(
        "get_group_members",
        [{"lhub_id": "vip", "gid": vip}, {"lhub_id": "execs", "gid": execs}],
        connection=oauth_connection,
        window=window,
        settings={"group_id": "{{ gid }}"},
        concurrency=2,
    )

    world = sim.sim.world
    vip_members = [record(m) for m in world.group(vip).members.values()]
    exec_members = [record(m) for m in world.group(execs).members.values()]
    assert result.rows_for("vip") == vip_members
    assert result.rows_for("execs") == exec_members
    assert result.ids == ["vip"] * 250 + ["execs"] * len(exec_members)
    assert_one_token_and_bearer_auth(sim, "/api/directory/get-group-members", calls=4)


async def test_api2_release_rows_share_one_bearer_token(
    sim: SimAdmin, oauth_connection: Connection, window: BatchWindow
) -> None:
    ids = sim.sim.held_ids()[:3]
    result = await run(
        "release_message",
        [{"lhub_id": n, "mid": mid} for n, mid in enumerate(ids)],
        connection=oauth_connection,
        window=window,
        settings={"message_id_column": "mid"},
        concurrency=3,
    )

    assert result.output == [(n, ok(result="Success")) for n in range(3)]
    assert sorted(b["data"][0]["id"] for b in sim.bodies("/api/gateway/hold-release")) == sorted(
        ids
    )
    assert sim.state()["released"] == 3
    assert_one_token_and_bearer_auth(sim, "/api/gateway/hold-release", calls=3)


async def test_api2_get_policy_gives_the_raw_response_with_bearer_auth(
    sim: SimAdmin, oauth_connection: Connection, window: BatchWindow
) -> None:
    policies = list(sim.sim.world.policies.values())
    rows = [{"lhub_id": 1, "pid": ""}, {"lhub_id": 2, "pid": policies[1]["id"]}]
    result = await run(
        "get_policy",
        rows,
        connection=oauth_connection,
        window=window,
        settings={"policy_id": "{{ pid }}"},
    )

    assert sorted(map(str, sim.bodies("/api/policy/blockedsenders/get-policy"))) == sorted(
        map(str, [{"data": []}, {"data": [{"id": policies[1]["id"]}]}])
    )
    raw = {"has_error": False, "error": None, "meta": {"status": 200}, "fail": []}
    assert result.output == [
        (1, {**raw, "data": policies}),
        (2, {**raw, "data": [policies[1]]}),
    ]
    assert_one_token_and_bearer_auth(sim, "/api/policy/blockedsenders/get-policy", calls=2)
