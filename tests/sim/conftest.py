"""Fixtures for the simulator tests: one loopback server per session, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sim_helpers import Api

from mimecast_soar.sim import SimConfig, SimServer


@pytest.fixture(scope="session")
def sim_server() -> Iterator[SimServer]:
    with SimServer(SimConfig(seed=11)) as server:
        yield server


@pytest.fixture
def server(sim_server: SimServer) -> SimServer:
    sim_server.app.state.sim.reset()
    return sim_server


@pytest.fixture
def client(server: SimServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        yield http


@pytest.fixture
def api(client: httpx.Client, server: SimServer) -> Api:
    return Api(client, server.connection())
