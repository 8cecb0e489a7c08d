"""Helpers of the platform tests: the two ways to run an action as Devo SOAR does.

`platform.shim(...)` runs the SDK's own `python -m lhub_integ.shim_exec` with `.venv-lhub`'s
Python in the bundle folder (file IO: a part file in, result lines out); `platform.native(...)`
runs `mimecast-soar devo exec` in process with the same variables. Both return the parsed result
lines.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from mimecast_soar.devo.native import exec_action
from mimecast_soar.sim import SimServer

ROOT = Path(__file__).resolve().parents[2]
LHUB_PYTHON = ROOT / ".venv-lhub" / "bin" / "python"
SHIM_TIMEOUT_SECONDS = 60


@dataclass
class Run:
    """The outcome of one platform run: result lines, process status and stderr."""

    lines: list[dict[str, Any]]
    returncode: int
    stderr: str = ""
    stdout: str = ""

    @property
    def rows(self) -> list[tuple[Any, dict[str, Any]]]:
        """`(original_lhub_id, row)` pairs, the row decoded from its JSON text."""
        return [(line["original_lhub_id"], json.loads(line["result"])) for line in self.lines]


@dataclass
class Platform:
    """Runs an action the way Devo SOAR does, under the SDK's shim or natively."""

    bundle: Path
    sim: SimServer
    work: Path
    counter: list[int] = field(default_factory=lambda: [0])

    def connection_env(self, **overrides: str) -> dict[str, str]:
        """The connection fields as the platform passes them (env vars by id)."""
        env = dict(self.sim.connection())
        env.update(overrides)
        return env

    def _folders(self, rows: Sequence[Mapping[str, Any]]) -> tuple[Path, Path]:
        self.counter[0] += 1
        run = self.work / f"run{self.counter[0]}"
        folder = run / "input"
        folder.mkdir(parents=True)
        with (folder / "part-00000.json").open("w", encoding="utf-8") as part:
            for row in rows:
                part.write(json.dumps(row) + "\n")
        return folder, run / "output.json"

    def env(
        self, rows: Sequence[Mapping[str, Any]], variables: Mapping[str, str]
    ) -> tuple[dict[str, str], Path]:
        """The full environment of one run: connection, file IO paths and `variables`."""
        folder, output = self._folders(rows)
        env = self.connection_env()
        env.update(
            {
                "__lh_integration_input_data_json_folder_path": str(folder),
                "__lh_integration_output_data_json_file_path": str(output),
            }
        )
        env.update(variables)
        return env, output

    def shim(
        self, action: str, rows: Sequence[Mapping[str, Any]], variables: Mapping[str, str]
    ) -> Run:
        """`python -m lhub_integ.shim_exec -e mimecast.<action>` in the bundle folder."""
        env, output = self.env(rows, variables)
        return run_sdk(
            ["lhub_integ.shim_exec", "-e", f"mimecast.{action}"], self.bundle, env, output
        )

    def native(
        self, action: str, rows: Sequence[Mapping[str, Any]], variables: Mapping[str, str]
    ) -> Run:
        """`mimecast-soar devo exec <action>` (in process) with the same variables."""
        env, output = self.env(rows, variables)
        stderr = io.StringIO()
        status = exec_action(action, env, stderr)
        return Run(read_lines(output), status, stderr.getvalue())

    def reset(self) -> None:
        """Restore the simulator's seeded state."""
        httpx.post(f"{self.sim.base_url}/_sim/reset").raise_for_status()

    def requests(self, path: str) -> list[dict[str, Any]]:
        """The simulator's request log for one path."""
        response = httpx.get(f"{self.sim.base_url}/_sim/requests", params={"path": path})
        response.raise_for_status()
        entries: list[dict[str, Any]] = response.json()
        return entries


def base_env() -> dict[str, str]:
    """What a subprocess needs from our environment (nothing connection-related)."""
    return {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}


def read_lines(output: Path) -> list[dict[str, Any]]:
    """The result lines of a file IO output file."""
    if not output.exists():
        return []
    text = output.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def run_sdk(module_args: list[str], cwd: Path, env: Mapping[str, str], output: Path | None) -> Run:
    """Run an SDK module with `.venv-lhub`'s Python in `cwd`."""
    completed = subprocess.run(
        [str(LHUB_PYTHON), "-m", *module_args],
        cwd=cwd,
        env={**base_env(), **env},
        capture_output=True,
        text=True,
        timeout=SHIM_TIMEOUT_SECONDS,
        check=False,
    )
    lines = read_lines(output) if output is not None else []
    return Run(lines, completed.returncode, completed.stderr, completed.stdout)


def sdk_result(stdout: str) -> Any:
    """The JSON after `[result]` in an SDK command's standard output."""
    for line in stdout.splitlines():
        if line.startswith("[result]"):
            return json.loads(line[len("[result]") :])
    raise AssertionError(f"no [result] line in: {stdout!r}")


def window_env(platform: Platform) -> dict[str, str]:
    """A batch window covering the simulator's data: 8 days before its anchor to 1 hour after."""
    anchor = platform.sim.app.state.sim.anchor
    start, end = anchor - timedelta(days=8), anchor + timedelta(hours=1)
    return {
        "__execution_start_time_ms": str(int(start.timestamp() * 1000)),
        "__execution_end_time_ms": str(int(end.timestamp() * 1000)),
    }
