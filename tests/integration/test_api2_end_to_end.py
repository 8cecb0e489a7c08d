"""API 2.0 end to end: every action, the seed's twelve and those beyond it, with client
credentials against the simulator's `/oauth/token`.

In process, each action gives the same rows under API 2.0 as under API 1.0. Through the CLI (a
real `mimecast-soar run` process per action), one bearer token serves the run's first calls; the
simulator then expires it mid-run (`POST /_sim/tokens/expire {"after_calls": 2}`), the next call
gets a 401, the client fetches a second token and repeats the call, and no row fails. The same
table runs under the platform SDK's shim in tests/devo/test_devo_shim_extra.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from tests.cli.conftest import run_cli

from mimecast_soar.actions import REGISTRY, BatchWindow
from mimecast_soar.runtime.connection import Connection
from mimecast_soar.runtime.session import run_action
from mimecast_soar.sim import SimConfig, SimServer
from support.api2_scenarios import (
    Outcome,
    RunResult,
    Scenario,
    check_outcome,
    check_rows,
    prepare,
    run_in_lanes,
)

ACTION_IDS = list(REGISTRY)
LANES = 3


async def run_scenario(
    action_id: str, scenario: Scenario, connection: Connection, window: BatchWindow
) -> list[tuple[Any, dict[str, Any]]]:
    """The scenario's rows through `action_id` in process, one row at a time."""
    return await run_action(
        action_id,
        scenario.rows,
        connection=connection,
        settings=scenario.settings,
        window=window,
        concurrency=1,
        files_dir=scenario.files_dir,
    )


@pytest.mark.parametrize("action_id", ACTION_IDS)
def test_every_action_gives_the_same_rows_under_api_2_0_as_under_api_1_0(
    sim_server: SimServer, week: BatchWindow, action_id: str
) -> None:
    outputs = []
    for api_version in (1, 2):
        scenario, logged = prepare(sim_server, action_id)
        connection = Connection.from_mapping(sim_server.connection(api_version=api_version))
        output = anyio.run(run_scenario, action_id, scenario, connection, week)
        check_rows(scenario, [{"original_lhub_id": i, **row} for i, row in output])
        log = sim_server.app.state.sim.request_log()[logged:]
        assert {e["auth"] for e in log if e["path"] != "/oauth/token"} == {f"api{api_version}"}
        outputs.append(_without_times(output))
    assert outputs[0] == outputs[1]


CLOCK_FIELDS = ("createTime", "lastUpdated", "create", "modified", "start", "end")


def _without_times(value: Any) -> Any:
    """`value` without the server clock's fields (a policy's createTime and lastUpdated, an
    incident's create and modified, and the default search window of a new incident)."""
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if k not in CLOCK_FIELDS}
    if isinstance(value, list | tuple):
        return [_without_times(item) for item in value]
    return value


def _run_cli(work: Path, server: SimServer, action_id: str, scenario: Scenario) -> RunResult:
    folder = work / action_id
    folder.mkdir()
    conn = server.connection(api_version=2)
    assert set(conn) == {"base_url", "client_id", "client_secret"}
    conn_file = folder / "api2.toml"
    conn_file.write_text("".join(f'{k} = "{v}"\n' for k, v in conn.items()), encoding="utf-8")
    rows_file = folder / "rows.jsonl"
    rows_file.write_text("".join(json.dumps(row) + "\n" for row in scenario.rows), "utf-8")
    result = run_cli(
        [
            "run",
            action_id,
            "--connection",
            str(conn_file),
            "--input",
            str(rows_file),
            "--concurrency",
            "1",
            *scenario.cli_sets(),
        ]
    )
    return RunResult(result.jsonl(), result.returncode, result.stderr)


@pytest.fixture(scope="module")
def cli_outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    """Every action once through `mimecast-soar run` with API 2.0, three at a time."""
    work = tmp_path_factory.mktemp("api2-cli")
    servers = [SimServer(SimConfig(seed=31 + lane)).start() for lane in range(LANES)]
    try:
        yield run_in_lanes(
            servers, ACTION_IDS, lambda server, aid, scenario: _run_cli(work, server, aid, scenario)
        )
    finally:
        for server in servers:
            server.stop()


@pytest.mark.parametrize("action_id", ACTION_IDS)
def test_every_action_runs_through_the_cli_with_api_2_0_and_a_token_refreshed_mid_run(
    cli_outcomes: dict[str, Outcome], action_id: str
) -> None:
    check_outcome(cli_outcomes[action_id])
