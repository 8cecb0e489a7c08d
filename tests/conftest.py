"""Shared fixtures: the anyio backend, and one simulator per test session over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

# Scans every artefact of the CLI and reliability tests for the secrets they know.
pytest_plugins = ["tests.support.secret_scan"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sim_server() -> Iterator[Any]:
    """One simulator on an ephemeral loopback port for the whole session (reset per test)."""
    from tests.support.secret_scan import SCAN

    from mimecast_soar.sim import SimConfig, SimServer

    with SimServer(SimConfig(seed=11)) as server:
        config = server.config
        for name in ("application_key", "access_key", "secret_key", "client_secret"):
            SCAN.secret(getattr(config, name), f"session simulator {name}")
        yield server


@pytest.fixture
def window(sim: Any) -> Any:
    """The 24 hours before the simulator's anchor (its data's "now"): a deterministic window.

    `sim` is the folder's own fixture (a `SimAdmin` of the simulator that folder uses).
    """
    from datetime import timedelta

    from mimecast_soar.actions import BatchWindow

    anchor = sim.sim.anchor
    return BatchWindow(anchor - timedelta(hours=24), anchor)


@pytest.fixture
def week(sim: Any) -> Any:
    """Eight days before the simulator's anchor: every seeded message and log falls inside."""
    from datetime import timedelta

    from mimecast_soar.actions import BatchWindow

    anchor = sim.sim.anchor
    return BatchWindow(anchor - timedelta(days=8), anchor)
