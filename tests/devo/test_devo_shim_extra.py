"""Every action under the SDK's own shim (`python -m lhub_integ.shim_exec -e mimecast.<id>`)
with API 2.0 client credentials: the seed's twelve and the actions beyond the seed.

Each action runs once in its own shim process (file IO) against a simulator of its own lane,
three at a time, with three good rows and, for most, a bad fourth one. One bearer token serves
the first two calls, the simulator expires it, the next call gets a 401, the client fetches a
second token and repeats the call; no good row fails and the bad row is one error row (the same
table and checks as the CLI's end-to-end test: tests/support/api2_scenarios.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from devo_support import read_lines, run_sdk

from mimecast_soar.actions import REGISTRY
from mimecast_soar.sim import SimConfig, SimServer
from support.api2_scenarios import Outcome, RunResult, Scenario, check_outcome, run_in_lanes

pytestmark = pytest.mark.lhub

ACTION_IDS = list(REGISTRY)
LANES = 3


def _shim_api2(
    bundle: Path, work: Path, server: SimServer, action_id: str, scenario: Scenario
) -> RunResult:
    """One shim run of `action_id` with the API 2.0 connection fields only."""
    folder = work / action_id / "input"
    folder.mkdir(parents=True)
    (folder / "part-00000.json").write_text(
        "".join(json.dumps(row) + "\n" for row in scenario.rows), encoding="utf-8"
    )
    output = work / action_id / "output.json"
    connection = server.connection(api_version=2)
    assert set(connection) == {"base_url", "client_id", "client_secret"}
    anchor = server.app.state.sim.anchor
    env: Mapping[str, str] = {
        **connection,
        "__lh_integration_input_data_json_folder_path": str(folder),
        "__lh_integration_output_data_json_file_path": str(output),
        **window_env_for(anchor),
        **scenario.shim_variables(action_id),
    }
    run = run_sdk(["lhub_integ.shim_exec", "-e", f"mimecast.{action_id}"], bundle, env, output)
    rows = [
        {"original_lhub_id": line["original_lhub_id"], **json.loads(line["result"])}
        for line in read_lines(output)
    ]
    return RunResult(rows, run.returncode, run.stderr)


def window_env_for(anchor: datetime) -> dict[str, str]:
    """The batch window variables: 8 days before the simulator's anchor to 1 hour after."""
    start, end = anchor - timedelta(days=8), anchor + timedelta(hours=1)
    return {
        "__execution_start_time_ms": str(int(start.timestamp() * 1000)),
        "__execution_end_time_ms": str(int(end.timestamp() * 1000)),
    }


@pytest.fixture(scope="module")
def shim_outcomes(
    lhub_python: Path, bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Outcome]]:
    """Every action once under the shim with API 2.0, three at a time."""
    work = tmp_path_factory.mktemp("api2-shim")
    servers = [SimServer(SimConfig(seed=41 + lane)).start() for lane in range(LANES)]
    try:
        yield run_in_lanes(
            servers,
            ACTION_IDS,
            lambda server, aid, scenario: _shim_api2(bundle_dir, work, server, aid, scenario),
        )
    finally:
        for server in servers:
            server.stop()


@pytest.mark.parametrize("action_id", ACTION_IDS)
def test_every_action_runs_under_the_shim_with_api_2_0_and_a_token_refreshed_mid_run(
    shim_outcomes: dict[str, Outcome], action_id: str
) -> None:
    check_outcome(shim_outcomes[action_id], status_with_error_rows=0)
