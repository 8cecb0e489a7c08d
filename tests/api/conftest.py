"""Fixtures for the API client tests: anyio on asyncio, a fake clock, notices."""

from __future__ import annotations

import pytest
from api_fakes import FakeClock


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def notices() -> list[str]:
    return []
