"""The account check against the simulator over loopback HTTP: the account, or a typed error."""

from __future__ import annotations

from typing import Any

import pytest
from tests.support.simadmin import SimAdmin

from mimecast_soar.api import MimecastClient
from mimecast_soar.api.account import Account, check_account
from mimecast_soar.api.endpoints import ACCOUNT
from mimecast_soar.errors import RequestFailedError
from mimecast_soar.runtime.connection import Connection

pytestmark = pytest.mark.anyio


@pytest.fixture
def sim(sim_server: Any) -> SimAdmin:
    admin = SimAdmin(sim_server)
    admin.reset()
    return admin


async def test_check_account_sends_empty_data_to_the_account_endpoint_and_names_the_account(
    sim: SimAdmin,
) -> None:
    connection = Connection.from_mapping(sim.server.connection())
    async with MimecastClient(connection.client_settings()) as client:
        account = await check_account(client)
    assert account == Account(
        name="Example Corp (Mimecast simulator)", code=sim.server.config.account_code
    )
    assert account.describe() == f"Example Corp (Mimecast simulator) ({account.code})"
    assert [body["data"] for body in sim.bodies(ACCOUNT.path)] == [[]]


async def test_check_account_raises_mimecasts_failure_naming_the_path(sim: SimAdmin) -> None:
    sim.faults([{"kind": "fail", "path": ACCOUNT.path, "code": "err_xdk_nope", "message": "No"}])
    connection = Connection.from_mapping(sim.server.connection())
    async with MimecastClient(connection.client_settings()) as client:
        with pytest.raises(RequestFailedError, match="err_xdk_nope") as caught:
            await check_account(client)
    assert ACCOUNT.path in caught.value.message


def test_an_account_without_a_code_is_described_by_its_name() -> None:
    assert Account(name="Acme", code="").describe() == "Acme"
