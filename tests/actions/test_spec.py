"""The action context over the simulator: declared endpoints only, retried as they declare.

Each test calls through `ActionSpec.context` with a real client over loopback HTTP and reads the
simulator's request log, so what is checked is what reached the wire.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any

import pytest
from tests.support.simadmin import SimAdmin

from mimecast_soar.actions import (
    ActionContext,
    ActionSpec,
    BatchWindow,
    OutputShape,
    Row,
    UndeclaredEndpointError,
)
from mimecast_soar.api import MimecastClient, RetryPolicy
from mimecast_soar.api.endpoints import (
    ACCOUNT,
    DELETE_POLICY,
    FIND_GROUPS,
    GET_POLICY,
    HOLD_RELEASE,
    Endpoint,
)
from mimecast_soar.errors import MimecastError
from mimecast_soar.runtime.connection import Connection

pytestmark = pytest.mark.anyio

FAST_RETRY = RetryPolicy(
    max_attempts=3, wait_initial_seconds=0.01, wait_max_seconds=0.02, wait_jitter_seconds=0
)


async def _nothing(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    return
    yield {}


def _spec(*endpoints: Endpoint) -> ActionSpec:
    return ActionSpec(
        id="probe",
        name="Probe",
        description="A test action.",
        endpoints=endpoints,
        output=OutputShape.RAW,
        inputs=(),
        execute=_nothing,
    )


@pytest.fixture
def sim(sim_server: Any) -> SimAdmin:
    admin = SimAdmin(sim_server)
    admin.reset()
    return admin


@pytest.fixture
async def client(sim: SimAdmin) -> AsyncIterator[MimecastClient]:
    connection = Connection.from_mapping(sim.server.connection())
    settings = replace(connection.client_settings(), retry=FAST_RETRY)
    async with MimecastClient(settings) as active:
        yield active


def test_an_action_changes_state_when_any_of_its_endpoints_does() -> None:
    assert _spec(GET_POLICY).mutating is False
    assert _spec(GET_POLICY, DELETE_POLICY).mutating is True
    with pytest.raises(ValueError, match="declares no endpoint"):
        _spec()


async def test_the_context_calls_a_declared_endpoint_and_refuses_another_before_any_request(
    sim: SimAdmin, client: MimecastClient
) -> None:
    context = _spec(GET_POLICY).context(client, BatchWindow.last_hours(1))
    response = await context.call(GET_POLICY, [])
    assert response.ok
    with pytest.raises(UndeclaredEndpointError, match=HOLD_RELEASE.path):
        await context.call(HOLD_RELEASE, [{"id": "anything"}])
    with pytest.raises(UndeclaredEndpointError, match=FIND_GROUPS.path):
        context.paginate(FIND_GROUPS, [{"source": "cloud"}])
    assert [entry["path"] for entry in sim.requests() if entry["path"].startswith("/api/")] == [
        GET_POLICY.path
    ]


async def test_a_call_lost_after_mimecast_acted_is_retried_only_on_a_read_only_endpoint(
    sim: SimAdmin, client: MimecastClient
) -> None:
    context = _spec(GET_POLICY, DELETE_POLICY).context(client, BatchWindow.last_hours(1))
    sim.faults([{"kind": "drop_after", "path": GET_POLICY.path, "count": 1}])
    assert (await context.call(GET_POLICY, [])).ok
    assert len(sim.requests(GET_POLICY.path)) == 2

    sim.faults([{"kind": "drop_after", "path": DELETE_POLICY.path, "count": 1}])
    with pytest.raises(MimecastError) as caught:
        await context.call(DELETE_POLICY, [{"id": "policy-that-may-be-gone"}])
    assert caught.value.outcome_unknown
    assert len(sim.requests(DELETE_POLICY.path)) == 1


async def test_pages_are_the_endpoints_size_or_smaller_when_fewer_records_are_wanted(
    sim: SimAdmin, client: MimecastClient
) -> None:
    context = _spec(FIND_GROUPS, ACCOUNT).context(client, BatchWindow.last_hours(1))

    def page_sizes() -> list[int]:
        return [body["meta"]["pagination"]["pageSize"] for body in sim.bodies(FIND_GROUPS.path)]

    capped = [record async for record in context.paginate(FIND_GROUPS, [{}], max_records=3)]
    asked_capped = page_sizes()
    every = [record async for record in context.paginate(FIND_GROUPS, [{}])]
    assert len(capped) == 3
    assert len(every) > 3
    # The capped pull asks for 3 (then at most 1, to learn whether more exist).
    assert asked_capped[0] == 3
    assert max(asked_capped) == 3
    assert set(page_sizes()[len(asked_capped) :]) == {FIND_GROUPS.page_size}
    with pytest.raises(UndeclaredEndpointError, match="not a paged list endpoint"):
        context.paginate(ACCOUNT, [])


@pytest.mark.parametrize("version", [1, 2])
async def test_the_context_tells_the_api_version_of_the_clients_credentials(
    sim: SimAdmin, version: int
) -> None:
    connection = Connection.from_mapping(sim.server.connection(api_version=version))
    async with MimecastClient(connection.client_settings()) as client:
        context = _spec(GET_POLICY).context(client, BatchWindow.last_hours(1))
        assert context.api_version == f"{version}.0"
    assert sim.requests() == [], "knowing the version needs no call"
