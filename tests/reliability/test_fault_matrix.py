"""The quick subset of the fault matrix (the whole matrix: `make reliability`).

Each scenario drives a paged read or a release table through one simulator fault and checks
every promise of `harness` (no row lost, none sent twice, clear errors, no secret in rows).
The quick subset uses short retry waits, 3 read rows and a 150-row release table; the campaign
uses the production retry policy, 4 read rows and 500 release rows.
"""

from __future__ import annotations

import dataclasses

import anyio
import pytest
from tests.reliability.harness import (
    RELEASE_PATH,
    Outcome,
    Scenario,
    connection_for,
    run_scenario,
)
from tests.reliability.matrix import SCENARIOS

from mimecast_soar.api import MimecastClient, RetryPolicy
from mimecast_soar.sim import SimServer

FAST_RETRIES = RetryPolicy(
    wait_initial_seconds=0.02, wait_max_seconds=0.2, wait_jitter_seconds=0.02
)
QUICK = [s for s in SCENARIOS if s.quick]
FULL = [s for s in SCENARIOS if not s.quick]


def _run(scenario: Scenario, read_server: SimServer, release_server: SimServer) -> Outcome:
    server = read_server if scenario.action == "read" else release_server
    if not scenario.rows:
        scenario = dataclasses.replace(scenario, rows=150 if scenario.action == "release" else 3)
    return run_scenario(server, scenario, retry=FAST_RETRIES)


@pytest.mark.parametrize("scenario", QUICK, ids=[s.name for s in QUICK])
def test_fault_loses_no_row_and_sends_no_release_twice(
    scenario: Scenario, read_server: SimServer, release_server: SimServer
) -> None:
    outcome = _run(scenario, read_server, release_server)
    assert outcome.problems == []
    assert outcome.duplicate_executions == 0
    if scenario.action == "release":
        assert outcome.rows_out == outcome.rows_in


@pytest.mark.slow
@pytest.mark.parametrize("scenario", FULL, ids=[s.name for s in FULL])
def test_fault_of_the_full_matrix_keeps_every_promise(
    scenario: Scenario, read_server: SimServer, release_server: SimServer
) -> None:
    outcome = _run(scenario, read_server, release_server)
    assert outcome.problems == []


def test_a_dropped_release_is_not_retried_and_says_how_to_check(
    release_server: SimServer,
) -> None:
    scenario = Scenario(
        "drop after acting",
        "release",
        ({"kind": "drop_after", "count": 1, "after": 3, "path": "/api/gateway/hold-release"},),
        rows=10,
        expect="mixed",
        unknown_outcome=True,
    )
    rows: list[tuple[object, dict[str, object]]] = []
    outcome = run_scenario(release_server, scenario, retry=FAST_RETRIES, on_rows=rows.extend)
    assert outcome.problems == []
    assert outcome.requests == 10  # one call per row: the dropped one was not sent again
    (error,) = [row["error"] for _, row in rows if row["has_error"]]
    assert isinstance(error, str)
    assert "The outcome is unknown" in error
    assert "Get Hold Message List shows whether message" in error


def test_the_judge_catches_a_release_sent_twice(release_server: SimServer) -> None:
    """The check itself can fail: a release sent again by hand is reported as a duplicate."""

    def release_first_again(_rows: list[tuple[object, dict[str, object]]]) -> None:
        first = release_server.app.state.sim.request_log(RELEASE_PATH)[0]["body"]["data"]
        settings = connection_for(release_server).client_settings()

        async def again() -> None:
            async with MimecastClient(settings) as client:
                await client.call(RELEASE_PATH, first, mutating=True)

        anyio.run(again)

    outcome = run_scenario(
        release_server,
        Scenario("none", "release", rows=3),
        retry=FAST_RETRIES,
        on_rows=release_first_again,
    )
    assert outcome.duplicate_executions == 1
    assert any("twice" in problem for problem in outcome.problems)
