"""Fixtures for the tests of the actions beyond the seed: their own simulator, with campaigns.

The simulator here links the newest malicious URL clicks and held impersonation logs to tracked
emails (`SimConfig.campaigns`), as `mimecast-soar sim` does, so a Message-ID taken from a TTP log
finds its emails. It is reset before every test; the batch windows are anchored on its data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mimecast_soar.runtime.connection import Connection
from mimecast_soar.sim import SimConfig, SimServer
from support.simadmin import SimAdmin


@pytest.fixture(scope="session")
def extra_server() -> Iterator[SimServer]:
    """A simulator with campaigns on an ephemeral loopback port, for this folder's session."""
    with SimServer(SimConfig(seed=23, campaigns=True)) as server:
        yield server


@pytest.fixture
def sim(extra_server: SimServer) -> SimAdmin:
    """The simulator, reset to its seeded state (log, faults and tokens cleared)."""
    admin = SimAdmin(extra_server)
    admin.reset()
    return admin


@pytest.fixture
def connection(extra_server: SimServer) -> Connection:
    """An API 1.0 (HMAC) connection to the simulator."""
    return Connection.from_mapping(extra_server.connection())


@pytest.fixture
def oauth_connection(extra_server: SimServer) -> Connection:
    """An API 2.0 (client credentials) connection to the simulator."""
    return Connection.from_mapping(extra_server.connection(api_version=2))


@pytest.fixture
def world(sim: SimAdmin) -> Any:
    """The simulator's business data (read only: ids and expectations)."""
    return sim.sim.world
