"""Fixtures for the integration tests: the session simulator reset per test, a connection to it,
and a fixed batch window anchored on the simulator's data so every result is deterministic."""

from __future__ import annotations

from typing import Any

import pytest

from mimecast_soar.runtime.connection import Connection
from support.simadmin import SimAdmin


@pytest.fixture
def sim(sim_server: Any) -> SimAdmin:
    """The session simulator, reset to its seeded state (log, faults and tokens cleared)."""
    admin = SimAdmin(sim_server)
    admin.reset()
    return admin


@pytest.fixture
def connection(sim_server: Any) -> Connection:
    """An API 1.0 (HMAC) connection to the session simulator."""
    return Connection.from_mapping(sim_server.connection())
