"""Get audit events and List audit categories (issue 14, §12.6), over loopback HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from integration_support import assert_error_row, run

from mimecast_soar.actions import BatchWindow
from mimecast_soar.actions.values import format_mimecast_time
from mimecast_soar.runtime.connection import Connection
from support.simadmin import SimAdmin

pytestmark = pytest.mark.anyio

EVENTS = "/api/audit/get-audit-events"


def _fifty_days(sim: SimAdmin) -> BatchWindow:
    now = sim.sim.clock.now()
    return BatchWindow(now - timedelta(days=50), now)


async def test_audit_events_page_through_every_event_of_the_window(
    sim: SimAdmin, connection: Connection
) -> None:
    window = _fifty_days(sim)
    output = await run("get_audit_events", [{}], connection=connection, window=window)
    rows = [row for _, row in output]
    assert len(rows) == sim.state()["audit_events"] == 150  # seeded over 45 days
    assert len(sim.bodies(EVENTS)) == 1  # one page of 500
    assert {row["category"] for row in rows} >= {"authentication_logs"}
    assert all(row["has_error"] is False and row["id"] for row in rows)
    sent = sim.bodies(EVENTS)[0]["data"][0]
    assert sent == {
        "startDateTime": format_mimecast_time(window.start),
        "endDateTime": format_mimecast_time(window.end),
    }


async def test_audit_events_cap_filters_and_paging(sim: SimAdmin, connection: Connection) -> None:
    window = _fifty_days(sim)
    capped = await run(
        "get_audit_events",
        [{}],
        connection=connection,
        window=window,
        settings={"page_size": "120"},
    )
    assert len(capped) == 120
    before = len(sim.bodies(EVENTS))
    sim.sim.config.max_page_size[EVENTS] = 40  # the server pages by 40
    try:
        logons = await run(
            "get_audit_events",
            [{}],
            connection=connection,
            window=window,
            settings={"categories": "authentication_logs, AUTHENTICATION_LOGS"},
        )
    finally:
        sim.sim.config.max_page_size[EVENTS] = 500
    assert logons
    assert {row["category"] for _, row in logons} == {"authentication_logs"}
    bodies = sim.bodies(EVENTS)[before:]
    assert len(bodies) == len(logons) // 40 + 1  # followed `next` page by page
    assert {tuple(b["data"][0]["categories"]) for b in bodies} == {("authentication_logs",)}
    admin = sim.sim.config.login_email
    mine = await run(
        "get_audit_events", [{}], connection=connection, window=window, settings={"query": admin}
    )
    assert mine
    assert all(admin in row["eventInfo"] or row["user"] == admin for _, row in mine)


async def test_audit_write_calls_show_up(sim: SimAdmin, connection: Connection) -> None:
    window = _fifty_days(sim)
    await run("create_group", [{}], connection=connection, window=window, settings={"name": "G1"})
    now = sim.sim.clock.now()
    output = await run(
        "get_audit_events",
        [{}],
        connection=connection,
        window=BatchWindow(now - timedelta(minutes=5), now + timedelta(minutes=5)),
    )
    assert [row["auditType"] for _, row in output] == ["Group Created"]


async def test_audit_failures_are_error_rows(sim: SimAdmin, connection: Connection) -> None:
    now = sim.sim.clock.now()
    too_old = format_mimecast_time(now - timedelta(days=61))
    rows = [
        {"lhub_id": 1, "start": too_old, "cats": ""},  # Mimecast: only the last 60 days
        {"lhub_id": 2, "start": "", "cats": "no_such_category"},  # Mimecast: unknown code
        {"lhub_id": 3, "start": "", "cats": "bad code!"},  # not a code: no call
        {"lhub_id": 4, "start": "yesterday-ish", "cats": ""},  # not a time: no call
    ]
    output = await run(
        "get_audit_events",
        rows,
        connection=connection,
        window=_fifty_days(sim),
        settings={"start_time": "{{ start }}", "categories": "{{ cats }}"},
    )
    by_id = dict(output)
    assert len(output) == 4
    assert_error_row(by_id[1], "60 days")
    assert_error_row(by_id[2], "no_such_category")
    assert_error_row(by_id[3], "is not a category code")
    assert_error_row(by_id[4], "Start Time")
    assert len(sim.bodies(EVENTS)) == 2


async def test_list_audit_categories_gives_one_row_per_category(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    output = await run("list_audit_categories", [{}, {}], connection=connection, window=window)
    first = [row for rid, row in output if rid == 1]
    assert {"authentication_logs", "integrations_and_apis"} <= {row["code"] for row in first}
    assert all(set(row) == {"has_error", "error", "code", "id", "name"} for row in first)
    assert len(output) == 2 * len(first)


async def test_list_audit_categories_refused_is_an_error_row(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    sim.faults([{"kind": "status", "code": 403, "path": "/api/audit/get-categories"}])
    [(_, denied)] = await run("list_audit_categories", [{}], connection=connection, window=window)
    assert_error_row(denied, "403")
