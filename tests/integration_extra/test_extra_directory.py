"""Remove group member (beyond the seed): the undo of Add group member, over loopback HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from extra_support import assert_error_row, run

from mimecast_soar.actions import BatchWindow
from mimecast_soar.runtime.connection import Connection
from support.simadmin import SimAdmin

pytestmark = pytest.mark.anyio

REMOVE = "/api/directory/remove-group-member"
SETTINGS = {"group_id": "{{ gid }}", "email_address": "{{ who }}"}


def blocked_senders(sim: SimAdmin) -> Any:
    return sim.sim.world.group(sim.sim.group_id("Blocked Senders"))


async def test_remove_member_sends_address_or_domain_and_the_member_leaves_the_group(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    group = blocked_senders(sim)
    address = next(key for key, m in group.members.items() if m["emailAddress"])
    domain = next(key for key, m in group.members.items() if not m["emailAddress"])
    before = len(group.members)
    rows = [
        {"lhub_id": 1, "gid": group.id, "who": address},
        {"lhub_id": 2, "gid": group.id, "who": domain},
    ]

    output = await run(
        "remove_group_member",
        rows,
        connection=connection,
        window=window,
        settings=SETTINGS,
        concurrency=1,
    )

    assert sim.bodies(REMOVE) == [
        {"data": [{"id": group.id, "emailAddress": address}]},
        {"data": [{"id": group.id, "domain": domain}]},
    ]
    assert [lhub_id for lhub_id, _ in output] == [1, 2]
    sent = (("emailAddress", address), ("domain", domain))
    for (_, row), (key, value) in zip(output, sent, strict=True):
        assert list(row)[:2] == ["has_error", "error"]
        assert row["has_error"] is False
        assert row["error"] is None
        assert row["meta"] == {"status": 200}
        assert row["fail"] == []
        [entry] = row["data"]
        assert entry[key] == value
        assert entry["folderId"] == group.id
        assert entry["internal"] is False
    assert address not in group.members
    assert domain not in group.members
    assert len(group.members) == before - 2
    assert sim.state()["group_members"]["Blocked Senders"] == before - 2


async def test_add_then_remove_restores_the_group(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    group = blocked_senders(sim)
    before = dict(group.members)
    rows = [{"gid": group.id, "who": "mistake@partner.example.net"}]

    added = await run(
        "add_group_member", rows, connection=connection, window=window, settings=SETTINGS
    )
    assert added[0][1]["has_error"] is False
    assert "mistake@partner.example.net" in group.members
    removed = await run(
        "remove_group_member", rows, connection=connection, window=window, settings=SETTINGS
    )

    assert removed[0][1]["has_error"] is False
    assert removed[0][1]["data"][0]["emailAddress"] == "mistake@partner.example.net"
    assert group.members == before


async def test_remove_a_non_member_is_a_raw_row_with_has_error_and_mimecasts_code(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    group = blocked_senders(sim)
    rows = [{"gid": group.id, "who": "nobody@example.org"}]

    [(_, row)] = await run(
        "remove_group_member", rows, connection=connection, window=window, settings=SETTINGS
    )

    assert_error_row(row, "err_folder_email_address_not_found", "Error email address not found")
    assert row["data"] == []
    assert row["fail"][0]["key"] == {"id": group.id, "emailAddress": "nobody@example.org"}


async def test_remove_member_bad_rows_are_error_rows_before_any_call(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    group = blocked_senders(sim)
    rows = [
        {"lhub_id": "a", "gid": group.id, "who": "not an address"},
        {"lhub_id": "b", "gid": group.id, "who": "x@@example.com"},
        {"lhub_id": "c", "gid": "", "who": "someone@example.com"},
        {"lhub_id": "d", "gid": group.id, "who": ""},
    ]

    output = await run(
        "remove_group_member", rows, connection=connection, window=window, settings=SETTINGS
    )

    assert [lhub_id for lhub_id, _ in output] == ["a", "b", "c", "d"]
    assert_error_row(output[0][1], "neither an email address nor a domain")
    assert_error_row(output[1][1], "is not a valid email address")
    assert_error_row(output[2][1], "ID is required but rendered empty")
    assert_error_row(output[3][1], "Email Address is required but rendered empty")
    assert sim.requests(REMOVE) == []
