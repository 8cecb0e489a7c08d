"""Permit or Block Sender (beyond the seed): managed senders, over loopback HTTP."""

from __future__ import annotations

import pytest
from integration_support import assert_error_row, ok, run

from mimecast_soar.actions import BatchWindow
from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime.connection import Connection
from support.simadmin import SimAdmin

pytestmark = pytest.mark.anyio

MANAGED = "/api/managedsender/permit-or-block-sender"
SETTINGS = {"sender": "{{ sender }}", "to": "{{ rcpt }}"}
ROW = {"sender": "Zoe.Ito@invoice-portal.example.org", "rcpt": "quentin.hughes@example.com"}


async def test_block_then_permit_sends_the_entry_and_updates_the_managed_sender(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    [(_, blocked)] = await run(
        "manage_sender",
        [ROW],
        connection=connection,
        window=window,
        settings={**SETTINGS, "action": "block"},
    )
    [(_, permitted)] = await run(
        "manage_sender",
        [ROW],
        connection=connection,
        window=window,
        settings={**SETTINGS, "action": "PERMIT"},
    )

    assert sim.bodies(MANAGED) == [
        {"data": [{"sender": ROW["sender"], "to": ROW["rcpt"], "action": "block"}]},
        {"data": [{"sender": ROW["sender"], "to": ROW["rcpt"], "action": "permit"}]},
    ]
    key = (ROW["sender"].lower(), ROW["rcpt"])
    entry = sim.sim.world.managed_senders[key]
    assert blocked == ok(result={**entry, "type": "block"})
    assert permitted == ok(result=entry)
    assert entry["type"] == "permit"
    assert sim.state()["managed_senders"] == 1


async def test_manage_sender_bad_addresses_are_error_rows_before_any_call(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    rows = [
        {"lhub_id": 1, "sender": "example.org", "rcpt": "a@example.com"},
        {"lhub_id": 2, "sender": "b@example.org", "rcpt": "not-an-address"},
        {"lhub_id": 3, "sender": "", "rcpt": "a@example.com"},
    ]
    output = await run(
        "manage_sender",
        rows,
        connection=connection,
        window=window,
        settings={**SETTINGS, "action": "block"},
    )
    assert_error_row(output[0][1], "Sender 'example.org' is not a valid email address")
    assert_error_row(output[1][1], "Recipient 'not-an-address' is not a valid email address")
    assert_error_row(output[2][1], "Sender is required but rendered empty")
    assert sim.requests(MANAGED) == []


async def test_manage_sender_action_is_required_and_must_be_permit_or_block(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    with pytest.raises(ConfigurationError, match="'Action' \\(action\\) is required"):
        await run("manage_sender", [ROW], connection=connection, window=window, settings=SETTINGS)
    [(_, row)] = await run(
        "manage_sender",
        [ROW],
        connection=connection,
        window=window,
        settings={**SETTINGS, "action": "allow"},
    )
    assert_error_row(row, "Action must be one of permit, block")
    assert sim.requests(MANAGED) == []


async def test_manage_sender_mimecast_failure_is_an_error_row_with_its_code(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    sim.faults(
        [
            {
                "kind": "fail",
                "path": MANAGED,
                "code": "err_validation_invalid_email_address",
                "message": "Email address is not valid",
            }
        ]
    )
    [(_, row)] = await run(
        "manage_sender",
        [ROW],
        connection=connection,
        window=window,
        settings={**SETTINGS, "action": "block"},
    )
    assert_error_row(row, "err_validation_invalid_email_address", "Email address is not valid")
    assert sim.sim.world.managed_senders == {}
