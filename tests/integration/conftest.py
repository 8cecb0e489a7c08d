"""Fixtures for the integration tests: their own simulator with campaigns, reset per test, API 1.0
and API 2.0 connections to it, and its business data.

The simulator here (seed 11, as the session's) links the newest malicious URL clicks and held
impersonation logs to tracked emails (`SimConfig.campaigns`), as `mimecast-soar sim` does, so a
Message-ID taken from a TTP log finds its emails. It overrides the session's `sim_server` for this
folder, so the tests here (and the `window` / `week` fixtures, anchored on its data) see the same
deterministic data; test_hold.py keeps a simulator without campaigns.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mimecast_soar.runtime.connection import Connection
from mimecast_soar.sim import SimConfig, SimServer
from support.simadmin import SimAdmin


@pytest.fixture(scope="session")
def sim_server() -> Iterator[SimServer]:
    """A simulator with campaigns on an ephemeral loopback port, for this folder's session."""
    with SimServer(SimConfig(seed=11, campaigns=True)) as server:
        yield server


@pytest.fixture
def sim(sim_server: SimServer) -> SimAdmin:
    """The simulator, reset to its seeded state (log, faults and tokens cleared)."""
    admin = SimAdmin(sim_server)
    admin.reset()
    return admin


@pytest.fixture
def connection(sim_server: SimServer) -> Connection:
    """An API 1.0 (HMAC) connection to the simulator."""
    return Connection.from_mapping(sim_server.connection())


@pytest.fixture
def oauth_connection(sim_server: SimServer) -> Connection:
    """An API 2.0 (client credentials) connection to the simulator."""
    return Connection.from_mapping(sim_server.connection(api_version=2))


@pytest.fixture
def world(sim: SimAdmin) -> Any:
    """The simulator's business data (read only: ids and expectations)."""
    return sim.sim.world
