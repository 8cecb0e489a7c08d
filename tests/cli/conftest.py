"""Fixtures for end-to-end CLI tests: the real console script against the session simulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.support.secret_scan import SCAN
from tests.support.simadmin import SimAdmin

# The password reference value of `conn_file`.
REFERENCE_SECRET = "ref-secret-7f3a9c"
SCAN.secret(REFERENCE_SECRET, "conn_file password reference value")


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    def jsonl(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


def run_cli(
    args: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 60
) -> CliResult:
    """Run `mimecast-soar ARGS` in a fresh process, as a user would."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("MIMECAST_SECRET_KEY", None) if env is None else None
    done = subprocess.run(
        [sys.executable, "-m", "mimecast_soar.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )
    SCAN.text(done.stdout, f"stdout of mimecast-soar {' '.join(args[:2])}")
    SCAN.text(done.stderr, f"stderr of mimecast-soar {' '.join(args[:2])}")
    return CliResult(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def sim(sim_server: Any) -> SimAdmin:
    admin = SimAdmin(sim_server)
    admin.reset()
    return admin


@pytest.fixture
def conn_file(sim: SimAdmin, tmp_path: Path) -> Path:
    """A connection file (TOML) for the simulator, with a secret reference value."""
    conn = sim.server.connection()
    lines = [f'{key} = "{value}"' for key, value in conn.items()]
    lines += [
        "[reference_values]",
        'team = "soc"',
        'vault_token = { value = "ref-secret-7f3a9c", secret = true }',
    ]
    path = tmp_path / "conn.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path
