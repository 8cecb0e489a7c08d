"""Section 1: Release Message over N held messages, per-row, at the simulator's latency.

Variants: the platform SDK's shim (sequential, one row per call: the baseline), our native
``mimecast-soar devo exec`` and ``mimecast-soar run`` at several concurrencies. The active span
runs from the first hold-release request to the last one's answer (the last arrival plus the
simulated latency), read from the simulator's request log; start-up is reported apart, as the
time from spawning the process to its first request.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from measure import Measured, base_env, run_measured
from simproc import CLI, ROOT, SimProcess

RELEASE_PATH = "/api/gateway/hold-release"
HOLD_LIST_PATH = "/api/gateway/get-hold-message-list"
LHUB_PYTHON = ROOT / ".venv-lhub" / "bin" / "python"
REQUESTS_CLIENT = ROOT / "benchmarks" / "requests_client.py"


@dataclass(frozen=True)
class ReleaseRun:
    """One measured run of one variant."""

    variant: str
    concurrency: int
    rows: int
    span_seconds: float
    startup_seconds: float
    measured: Measured
    ok_rows: int
    error_rows: int
    statuses: dict[int, int]


def held_ids(sim: SimProcess, count: int) -> list[str]:
    """The ids of `count` held messages, listed through our client (4 pages of 500)."""
    import anyio

    from mimecast_soar.api import MimecastClient
    from mimecast_soar.runtime import load_connection

    settings = load_connection(sim.connection_file).client_settings()

    async def collect() -> list[str]:
        async with MimecastClient(settings) as client:
            pull = client.paginate(
                HOLD_LIST_PATH, [{"admin": True}], records_key=None, page_size=500
            )
            return [str(record["id"]) async for record in pull]

    ids = anyio.run(collect)
    if len(ids) < count:
        raise RuntimeError(f"the simulator holds {len(ids)} messages, {count} needed")
    return ids[:count]


def write_rows(folder: Path, ids: list[str]) -> Path:
    """The input table as the platform's part-file folder (also read by `run`)."""
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / "part-00000.json"
    with part.open("w", encoding="utf-8") as handle:
        for number, message_id in enumerate(ids, start=1):
            handle.write(json.dumps({"lhub_id": number, "message_id": message_id}) + "\n")
    return folder


def build_bundle(target: Path) -> Path:
    """The integration folder the SDK's shim runs (module only; the package is installed)."""
    result = run_measured([CLI, "devo", "bundle", str(target), "--no-wheels"], env=base_env())
    if result.returncode != 0:
        raise RuntimeError(f"devo bundle failed: {result.stderr}")
    return target


def _count_rows(output: Path, *, devo: bool) -> tuple[int, int]:
    ok = errors = 0
    with output.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            if devo:
                row = json.loads(row["result"])
            if row.get("has_error"):
                errors += 1
            else:
                ok += 1
    return ok, errors


def run_variant(
    sim: SimProcess,
    variant: str,
    concurrency: int,
    inputs: Path,
    rows: int,
    work: Path,
    bundle: Path | None = None,
    faults: list[dict[str, Any]] | None = None,
) -> ReleaseRun:
    """Reset the simulator (then set `faults`), run one variant over the inputs, measure it."""
    sim.reset()
    if faults:
        sim.set_faults(faults)
    output = work / f"out-{variant}-{concurrency}.jsonl"
    output.unlink(missing_ok=True)
    env = base_env()
    devo = variant in ("shim", "devo exec")
    if devo:
        env.update(sim.env())
        env.update(
            {
                "___message_id_column": "message_id",
                "__lh_integration_input_data_json_folder_path": str(inputs),
                "__lh_integration_output_data_json_file_path": str(output),
                "__lh_multithread_count": str(concurrency),
            }
        )
    if variant == "shim":
        if bundle is None:
            raise ValueError("the shim needs the bundle folder")
        command = [str(LHUB_PYTHON), "-m", "lhub_integ.shim_exec", "-e", "mimecast.release_message"]
        measured = run_measured(command, env=env, cwd=bundle)
    elif variant == "requests":
        command = [sys.executable, str(REQUESTS_CLIENT), str(sim.connection_file)]
        command += [str(inputs / "part-00000.json"), str(output)]
        measured = run_measured(command, env=env, cwd=work)
    elif variant == "devo exec":
        measured = run_measured([CLI, "devo", "exec", "release_message"], env=env, cwd=work)
    else:
        command = [
            CLI,
            "run",
            "release_message",
            "--connection",
            str(sim.connection_file),
            "--input",
            str(inputs),
            "--output",
            str(output),
            "--set",
            "message_id_column=message_id",
            "--concurrency",
            str(concurrency),
        ]
        measured = run_measured(command, env=env, cwd=work)
    if measured.returncode != 0:
        raise RuntimeError(f"{variant} failed ({measured.returncode}): {measured.stderr[-2000:]}")
    log = sim.requests(RELEASE_PATH)
    if not log:
        raise RuntimeError(f"{variant} made no request")
    latency_seconds = sim.latency_ms / 1000
    span = log[-1].time - log[0].time + latency_seconds
    statuses: dict[int, int] = {}
    for entry in log:
        statuses[entry.status or 0] = statuses.get(entry.status or 0, 0) + 1
    ok, errors = _count_rows(output, devo=devo)
    return ReleaseRun(
        variant=variant,
        concurrency=concurrency,
        rows=rows,
        span_seconds=span,
        startup_seconds=log[0].time - measured.started,
        measured=measured,
        ok_rows=ok,
        error_rows=errors,
        statuses=statuses,
    )


def version_seconds(repeats: int) -> list[float]:
    """Wall times of ``mimecast-soar --version``."""
    times = []
    for _ in range(repeats):
        result = run_measured([CLI, "--version"], env=base_env())
        times.append(result.wall_seconds)
    return times
