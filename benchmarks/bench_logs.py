"""Section 2: Get TTP URL Logs over a large pull, against the raw rate of the same pages.

``mimecast-soar run get_ttp_url_logs`` with Page Size set to the number of records pulls them
all (pages of 500) into a JSONL file; `raw_fetch.py` fetches the same pages and discards them.
Rates are records over the span from the first page request (the simulator's log) to the end
of the process; peak RSS is the child's own (`os.wait4`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from measure import Measured, base_env, run_measured
from simproc import CLI, ROOT, SimProcess

LOGS_PATH = "/api/ttp/url/get-logs"
RAW_FETCH = ROOT / "benchmarks" / "raw_fetch.py"


@dataclass(frozen=True)
class PullRun:
    """One measured pull."""

    kind: str  # "ours" or "raw"
    records: int
    span_seconds: float
    measured: Measured

    @property
    def records_per_second(self) -> float:
        """Records over the active span."""
        return self.records / self.span_seconds


def mimecast_time(moment: datetime) -> str:
    """The form the actions send (``2011-12-03T10:15:30+0000``)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def window(sim: SimProcess) -> tuple[str, str]:
    """A window holding every generated record: 8 days before the anchor to 1 hour after."""
    anchor = datetime.fromisoformat(sim.state()["anchor"])
    return mimecast_time(anchor - timedelta(days=8)), mimecast_time(anchor + timedelta(hours=1))


def pull(
    sim: SimProcess, kind: str, records: int, work: Path, *, client_src: Path | None = None
) -> PullRun:
    """Reset the simulator and pull `records` records with our CLI or the raw fetcher.

    `client_src` runs our CLI from another source tree (an exported earlier commit's ``src``):
    the "before" of a before/after measurement.
    """
    sim.reset()
    env = base_env()
    if client_src is not None:
        env["PYTHONPATH"] = str(client_src)
    start, end = window(sim)
    output = work / f"pull-{kind}.jsonl"
    if kind == "raw":
        command = [sys.executable, str(RAW_FETCH), str(sim.connection_file), start, end]
        measured = run_measured([*command, str(records)], env=env, stdout_path=output)
        produced = _raw_records(output)
    else:
        table = work / "pull-input.jsonl"
        table.write_text('{"lhub_id": 1}\n', encoding="utf-8")
        command = [
            CLI,
            "run",
            "get_ttp_url_logs",
            "--connection",
            str(sim.connection_file),
            "--input",
            str(table),
            "--output",
            str(output),
            "--set",
            f"page_size={records}",
            "--batch-start",
            start,
            "--batch-end",
            end,
        ]
        measured = run_measured(command, env=env, cwd=work)
        produced = _count_lines(output)
    output.unlink(missing_ok=True)
    if measured.returncode != 0:
        raise RuntimeError(f"{kind} pull failed: {measured.stderr[-2000:]}")
    if produced != records:
        raise RuntimeError(f"{kind} pull produced {produced} records, {records} expected")
    log = sim.requests(LOGS_PATH)
    span = measured.started + measured.wall_seconds - log[0].time
    return PullRun(kind, records, span, measured)


def _raw_records(output: Path) -> int:
    import json

    return int(json.loads(output.read_text(encoding="utf-8"))["records"])


def _count_lines(output: Path) -> int:
    count = 0
    with output.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
    return count
