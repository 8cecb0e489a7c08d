"""Shared fixtures: the anyio backend, and one simulator per test session over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sim_server() -> Iterator[Any]:
    """One simulator on an ephemeral loopback port for the whole session (reset per test)."""
    from mimecast_soar.sim import SimConfig, SimServer

    with SimServer(SimConfig(seed=11)) as server:
        yield server
