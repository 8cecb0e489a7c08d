"""The simulator in its own process, as `make bench` measures against it.

`SimProcess` runs ``mimecast-soar sim`` (uvicorn on loopback, an ephemeral port) as a subprocess
and talks to its admin endpoints: reset, fault rules and the request log, whose times (the
simulator's clock, taken when each request arrived) are what the benchmarks measure spans with.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
CLI = str(VENV_BIN / "mimecast-soar")
START_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Logged:
    """One entry of the simulator's request log."""

    time: float  # epoch seconds, when the request arrived
    path: str
    status: int | None
    fault: str | None


class SimProcess:
    """``mimecast-soar sim`` in a subprocess; a context manager that stops it on exit."""

    def __init__(self, workdir: Path, *, latency_ms: float = 0, extra: list[str] | None = None):
        self.workdir = workdir
        self.latency_ms = latency_ms
        self.extra = extra or []
        self.connection_file = workdir / f"sim-{os.getpid()}-{id(self)}.toml"
        self._process: subprocess.Popen[bytes] | None = None
        self._http = httpx.Client(timeout=60, trust_env=False)
        self.connection: dict[str, Any] = {}

    @property
    def base_url(self) -> str:
        """The simulator's ``http://127.0.0.1:PORT``."""
        return str(self.connection["base_url"])

    def start(self) -> SimProcess:
        """Start the simulator and wait until it answers."""
        self.connection_file.unlink(missing_ok=True)
        command = [CLI, "sim", "--port", "0", "--write-connection", str(self.connection_file)]
        command += ["--latency-ms", str(self.latency_ms), *self.extra]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.workdir
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"the simulator exited: {' '.join(command)}")
            if time.monotonic() > deadline:
                raise RuntimeError("the simulator did not start in time")
            if self.connection_file.exists():
                text = self.connection_file.read_text(encoding="utf-8")
                if text.endswith("\n"):
                    self.connection = tomllib.loads(text)
                    try:
                        self._http.get(f"{self.base_url}/_sim/state").raise_for_status()
                        return self
                    except httpx.HTTPError:
                        pass
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the simulator (SIGTERM, then SIGKILL if it lingers)."""
        self._http.close()
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self.connection_file.unlink(missing_ok=True)

    def __enter__(self) -> SimProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def cpu_seconds(self) -> float:
        """CPU seconds (user + system) the simulator process has used so far (Linux)."""
        if self._process is None:
            return 0.0
        fields = Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        return ticks / os.sysconf("SC_CLK_TCK")

    def reset(self) -> None:
        """Restore the seeded state; clears the request log, faults and the quota window."""
        self._http.post(f"{self.base_url}/_sim/reset").raise_for_status()

    def set_faults(self, rules: list[dict[str, Any]]) -> None:
        """Replace the fault rules (JSON form, see `mimecast_soar.sim.faults`)."""
        self._http.post(f"{self.base_url}/_sim/faults", json=rules).raise_for_status()

    def state(self) -> dict[str, Any]:
        """``GET /_sim/state`` (counts, the data anchor...)."""
        response = self._http.get(f"{self.base_url}/_sim/state")
        response.raise_for_status()
        state: dict[str, Any] = response.json()
        return state

    def requests(self, path: str | None = None) -> list[Logged]:
        """The request log, oldest first, optionally for one path."""
        params = {"path": path} if path else None
        response = self._http.get(f"{self.base_url}/_sim/requests", params=params)
        response.raise_for_status()
        return [
            Logged(
                datetime.fromisoformat(entry["time"]).timestamp(),
                entry["path"],
                entry["status"],
                entry.get("fault"),
            )
            for entry in response.json()
        ]

    def env(self) -> dict[str, str]:
        """The connection as the platform passes it: one variable per field id."""
        return {key: str(value) for key, value in self.connection.items()}
