"""Get Message Details over loopback HTTP: the message-info object of held and delivered mail."""

from __future__ import annotations

import pytest
from integration_support import assert_error_row, ok, run

from mimecast_soar.actions import BatchWindow
from mimecast_soar.runtime.connection import Connection
from mimecast_soar.sim.message_info import message_info
from support.simadmin import SimAdmin

pytestmark = pytest.mark.anyio

INFO = "/api/message-finder/get-message-info"


async def test_message_details_sends_the_id_and_returns_the_message_info_object_per_row(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    world = sim.sim.world
    held = sim.sim.held_ids()[0]
    delivered = next(m.id for m in world.messages.values() if m.status == "archived")
    rows = [{"lhub_id": 10, "mid": held}, {"lhub_id": 20, "mid": delivered}]
    result = await run(
        "get_message_details",
        rows,
        connection=connection,
        window=window,
        settings={"message_id_column": "mid"},
    )

    assert sorted(b["data"][0]["id"] for b in sim.bodies(INFO)) == sorted([held, delivered])
    assert all(set(b) == {"data"} for b in sim.bodies(INFO))
    seed = sim.sim.config.seed
    assert result.output == [
        (10, ok(result=message_info(world.messages[held], seed))),
        (20, ok(result=message_info(world.messages[delivered], seed))),
    ]
    assert result.rows[0]["result"]["status"] == "held"
    assert result.rows[1]["result"]["status"] == "archived"


async def test_message_details_unknown_id_is_an_error_row_with_mimecast_code(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    result = await run(
        "get_message_details",
        [{"lhub_id": 1, "mid": "eNoUnknown"}],
        connection=connection,
        window=window,
        settings={"message_id_column": "mid"},
    )

    assert result.ids == [1]
    assert_error_row(result.only, "eNoUnknown", "err_message_not_found", "not found")
    assert sim.bodies(INFO) == [{"data": [{"id": "eNoUnknown"}]}]


async def test_message_details_empty_or_missing_id_is_an_error_row_and_nothing_is_sent(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    rows = [{"lhub_id": 1, "mid": ""}, {"lhub_id": 2, "mid": None}, {"lhub_id": 3, "other": "x"}]
    result = await run(
        "get_message_details",
        rows,
        connection=connection,
        window=window,
        settings={"message_id_column": "mid"},
    )

    assert result.ids == [1, 2, 3]
    assert_error_row(result.rows[0], "Message ID Column Name", "empty")
    assert_error_row(result.rows[1], "Message ID Column Name", "empty")
    assert_error_row(result.rows[2], "Message ID Column Name", "not in this row")
    assert sim.requests() == []
