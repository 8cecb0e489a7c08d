"""Running a command as a measured child process: wall time, CPU seconds and peak RSS.

`os.wait4` gives the resource usage of exactly the child waited for (not of every child, as
``RUSAGE_CHILDREN`` would), so the CPU seconds and the peak resident set size belong to the one
process under test. The console scripts are Python scripts run directly, so the child is the
Python process itself.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    """What one child process cost."""

    started: float  # epoch seconds, just before the process was spawned
    wall_seconds: float
    cpu_seconds: float  # user + system
    peak_rss_mb: float
    returncode: int
    stderr: str


def run_measured(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stdout_path: Path | None = None,
) -> Measured:
    """Run `command` to completion and measure it; stderr is kept (a temporary file)."""
    err_path = Path(cwd or ".") / f".bench-stderr-{os.getpid()}"
    with err_path.open("w+b") as err, open(stdout_path or os.devnull, "wb") as out:
        started = time.time()
        begin = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdout=out,
            stderr=err,
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - begin
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    err_path.unlink(missing_ok=True)
    return Measured(
        started=started,
        wall_seconds=wall,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
        returncode=process.returncode,
        stderr=stderr,
    )


def median(values: Sequence[float]) -> float:
    """The median (NaN for no values)."""
    return statistics.median(values) if values else float("nan")


def base_env() -> dict[str, str]:
    """What a client child needs from this environment (nothing connection-related).

    `BENCH_CLIENT_PYTHONPATH` (e.g. an exported older ``src``) becomes the clients' PYTHONPATH,
    so an earlier version of the package can be measured against the same simulator.
    """
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    if os.environ.get("BENCH_CLIENT_PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["BENCH_CLIENT_PYTHONPATH"]
    return env
