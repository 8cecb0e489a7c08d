"""Fixtures of the reliability campaign: dedicated simulators, the full/quick switch.

`make test` runs the quick subset; `make reliability` sets ``MIMECAST_RELIABILITY=full``, which
also runs the tests marked `slow` here and gives the property tests more examples.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings
from tests.reliability.harness import read_config, release_config, secrets_of
from tests.support.secret_scan import SCAN

from mimecast_soar.sim import SimServer

FULL = os.environ.get("MIMECAST_RELIABILITY") == "full"

settings.register_profile(
    "reliability-quick",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "reliability-full",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = "reliability-full" if FULL else "reliability-quick"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Outside `make reliability`, skip the campaign's slow tests."""
    if FULL:
        return
    skip = pytest.mark.skip(reason="part of `make reliability` (MIMECAST_RELIABILITY=full)")
    for item in items:
        if "tests/reliability/" in str(item.path).replace("\\", "/") and item.get_closest_marker(
            "slow"
        ):
            item.add_marker(skip)


def _started(server: SimServer) -> SimServer:
    server.start()
    for index, value in enumerate(secrets_of(server)):
        SCAN.secret(value, f"reliability simulator secret {index}")
    return server


@pytest.fixture(scope="session")
def read_server() -> Iterator[SimServer]:
    """A simulator whose URL log feed takes 10 pages of 100 per input row."""
    server = _started(SimServer(read_config(log_count=1_000, page_size=100)))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def release_server() -> Iterator[SimServer]:
    """A simulator holding 520 messages."""
    server = _started(SimServer(release_config()))
    yield server
    server.stop()
