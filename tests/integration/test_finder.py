"""Find Messages (beyond the seed): message-finder search by Message-ID or by filters.

The simulator links its newest malicious URL clicks to tracked emails, so a click log's
`messageId` finds the delivered copy and the held copies, whose Mimecast ids Release Message
and Get Message Details accept.
"""

from __future__ import annotations

from typing import Any

import pytest
from integration_support import NO_RESULTS, assert_error_row, ok, rows_of, run

from mimecast_soar.actions import BatchWindow
from mimecast_soar.actions.values import format_mimecast_time
from mimecast_soar.runtime.connection import Connection
from support.simadmin import SimAdmin

pytestmark = pytest.mark.anyio

SEARCH = "/api/message-finder/search"


def linked_click(sim: SimAdmin) -> tuple[dict[str, Any], list[Any]]:
    """The newest URL click log whose email the simulator tracks, and that email's copies."""
    feed = sim.sim.feeds["url"]
    messages = sim.sim.world.messages.values()
    for index in range(feed.count - 1, -1, -1):
        record = feed.record(index)
        copies = [m for m in messages if m.internet_id == record["messageId"]]
        if copies:
            return record, copies
    raise AssertionError("the simulator links no click to an email")


def by_id(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda row: str(row.get("id")))


async def test_find_by_message_id_of_a_click_gives_one_row_per_tracked_copy_with_mimecast_ids(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    click, copies = linked_click(sim)
    assert {m.status for m in copies} == {"held", "archived"}

    output = await run(
        "find_messages",
        [{"lhub_id": 5, **click}],
        connection=connection,
        window=window,
        settings={"message_id": "{{ messageId }}"},
    )

    assert sim.bodies(SEARCH) == [
        {
            "data": [
                {
                    "start": format_mimecast_time(window.start),
                    "end": format_mimecast_time(window.end),
                    "messageId": click["messageId"],
                }
            ]
        }
    ]
    rows = rows_of(output, 5)
    assert len(output) == len(copies)
    assert by_id(rows) == by_id([ok(**m.tracked_record()) for m in copies])
    assert all(list(row)[:2] == ["has_error", "error"] for row in rows)
    held = {row["id"] for row in rows if row["status"] == "held"}
    assert held
    assert held <= set(sim.sim.held_ids())


async def test_found_ids_feed_release_and_get_message_details(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    click, _ = linked_click(sim)
    found = await run(
        "find_messages",
        [click],
        connection=connection,
        window=window,
        settings={"message_id": "{{ messageId }}"},
    )
    held = [row for _, row in found if row["status"] == "held"]
    delivered = [row for _, row in found if row["status"] == "archived"]

    released = await run(
        "release_message",
        held,
        connection=connection,
        window=window,
        settings={"message_id_column": "id"},
    )
    details = await run(
        "get_message_details",
        delivered,
        connection=connection,
        window=window,
        settings={"message_id_column": "id"},
    )

    assert [row for _, row in released] == [ok(result="Success")] * len(held)
    assert not {row["id"] for row in held} & set(sim.sim.held_ids())
    [(_, info)] = details
    assert info["has_error"] is False
    assert info["result"]["id"] == delivered[0]["id"]


async def test_find_by_filters_sends_the_advanced_options_route_and_reason(
    sim: SimAdmin, connection: Connection, week: BatchWindow
) -> None:
    click, copies = linked_click(sim)
    sender = click["fromUserEmailAddress"]
    settings = {
        "sender": "{{ who }}",
        "subject": "{{ subj }}",
        "route": "inbound",
        "search_reason": "phishing triage",
    }

    output = await run(
        "find_messages",
        [{"who": sender, "subj": click["subject"][:10]}],
        connection=connection,
        window=week,
        settings=settings,
    )

    [item] = sim.bodies(SEARCH)[0]["data"]
    assert item == {
        "start": format_mimecast_time(week.start),
        "end": format_mimecast_time(week.end),
        "advancedTrackAndTraceOptions": {"from": sender, "subject": click["subject"][:10]},
        "route": ["inbound"],
        "searchReason": "phishing triage",
    }
    expected = [
        m
        for m in sim.sim.world.messages.values()
        if sender in (m.sender[1], m.header_sender[1])
        and click["subject"][:10].lower() in m.subject.lower()
        and m.route == "inbound"
    ]
    assert {m.id for m in copies} <= {m.id for m in expected}
    assert by_id([row for _, row in output]) == by_id([ok(**m.tracked_record()) for m in expected])


async def test_find_with_nothing_matching_gives_the_no_results_row(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    output = await run(
        "find_messages",
        [{"lhub_id": 1}],
        connection=connection,
        window=window,
        settings={"message_id": "<nothing.like.this@mail.example.org>"},
    )
    assert output == [(1, NO_RESULTS)]


async def test_find_bad_rows_are_error_rows_before_any_call(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    settings = {
        "message_id": "{{ mid }}",
        "sender": "{{ who }}",
        "sender_ip": "{{ ip }}",
        "start_time": "{{ start }}",
        "end_time": "{{ end }}",
    }
    rows = [
        {"lhub_id": 1, "mid": "<a@b.example>", "who": "x@example.net"},
        {"lhub_id": 2},
        {"lhub_id": 3, "who": "not an address"},
        {"lhub_id": 4, "ip": "999.1.1.1"},
        {"lhub_id": 5, "mid": "no at sign"},
        {"lhub_id": 6, "mid": "<a@b.example>", "start": "2025-02-01", "end": "2025-01-01"},
    ]

    output = await run(
        "find_messages", rows, connection=connection, window=window, settings=settings
    )

    assert [lhub_id for lhub_id, _ in output] == [1, 2, 3, 4, 5, 6]
    assert_error_row(output[0][1], "either Message-ID or Sender", "not both")
    assert_error_row(output[1][1], "Give a Message-ID, or at least one of")
    assert_error_row(
        output[2][1], "Sender 'not an address' is neither an email address nor a domain"
    )
    assert_error_row(output[3][1], "Sender IP '999.1.1.1' is not an IP address")
    assert_error_row(output[4][1], "is not an Internet Message-ID")
    assert_error_row(output[5][1], "Start Time")
    assert sim.requests(SEARCH) == []


async def test_find_route_must_be_one_of_the_options(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    [(_, row)] = await run(
        "find_messages",
        [{}],
        connection=connection,
        window=window,
        settings={"subject": "invoice", "route": "sideways"},
    )
    assert_error_row(row, "Route must be one of all, inbound, outbound, internal")
    assert sim.requests(SEARCH) == []
