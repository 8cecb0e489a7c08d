"""Load: many rows with transient faults and throttling, exact counts, flat memory.

`make reliability` runs 10,000 rows with the production retry policy (`campaign`). This test runs
200 rows with short retry waits and a tight quota (2,000 rows take about 15 s on the 2-core CI
machine, where the simulator and the client share one process at about 200 rows a second).
"""

from __future__ import annotations

from pathlib import Path

from tests.reliability.load import load_problems, run_load

from mimecast_soar.api import RetryPolicy
from mimecast_soar.sim import SimServer


def _check(rows: int, server: SimServer, out: Path, retry: RetryPolicy | None = None) -> None:
    # 8 calls per 100 ms: the 8 rows that start together always use the quota up, whatever the
    # machine's speed.
    result = run_load(server, rows, out, quota_limit=8, quota_window_ms=100, retry=retry)
    assert load_problems(result) == []


def test_two_hundred_rows_with_faults_and_throttling_lose_nothing(
    sim_server: SimServer, tmp_path: Path
) -> None:
    fast = RetryPolicy(wait_initial_seconds=0.02, wait_max_seconds=0.2, wait_jitter_seconds=0.02)
    _check(200, sim_server, tmp_path / "load.jsonl", retry=fast)
