"""Load: thousands of rows with transient faults and throttling, exact counts, flat memory.

`make reliability` runs 10,000 rows with the production retry policy (`campaign`); this test
runs 400 with short retry waits (2,000 take about 15 s on the 2-core CI machine: the simulator
and the client share one process, about 200 rows a second).
"""

from __future__ import annotations

from pathlib import Path

from tests.reliability.load import load_problems, run_load

from mimecast_soar.api import RetryPolicy
from mimecast_soar.sim import SimServer


def _check(rows: int, server: SimServer, out: Path, retry: RetryPolicy | None = None) -> None:
    assert load_problems(run_load(server, rows, out, retry=retry)) == []


def test_four_hundred_rows_with_faults_and_throttling_lose_nothing(
    sim_server: SimServer, tmp_path: Path
) -> None:
    fast = RetryPolicy(wait_initial_seconds=0.02, wait_max_seconds=0.2, wait_jitter_seconds=0.02)
    _check(400, sim_server, tmp_path / "load.jsonl", retry=fast)
