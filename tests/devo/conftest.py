"""Fixtures of the platform tests: one bundle folder and one simulator per session.

The SDK tests skip, with the reason, only when `.venv-lhub` is missing (`make test` creates it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from devo_support import LHUB_PYTHON, Platform

from mimecast_soar.devo.bundle import write_bundle
from mimecast_soar.sim import SimConfig, SimServer


@pytest.fixture(scope="session")
def lhub_python() -> Path:
    """`.venv-lhub/bin/python`, the SDK's test environment (made by `make test`)."""
    if not LHUB_PYTHON.exists():
        pytest.skip("the SDK environment .venv-lhub is absent: run `make test` to create it")
    return LHUB_PYTHON


@pytest.fixture(scope="session")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One bundle folder for the session, written without wheels."""
    folder = tmp_path_factory.mktemp("bundle")
    write_bundle(folder, wheels=False)
    return folder


@pytest.fixture(scope="session")
def devo_sim() -> Iterator[SimServer]:
    """The simulator the platform tests call (their own: they change its state)."""
    with SimServer(SimConfig(seed=5)) as server:
        yield server


@pytest.fixture
def platform(
    lhub_python: Path, bundle_dir: Path, devo_sim: SimServer, tmp_path: Path
) -> Iterator[Platform]:
    """A `Platform` on a freshly reset simulator."""
    runner = Platform(bundle_dir, devo_sim, tmp_path)
    runner.reset()
    return runner


@pytest.fixture
def native_platform(bundle_dir: Path, devo_sim: SimServer, tmp_path: Path) -> Platform:
    """A `Platform` for native runs only (no SDK needed)."""
    runner = Platform(bundle_dir, devo_sim, tmp_path)
    runner.reset()
    return runner
