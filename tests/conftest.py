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
