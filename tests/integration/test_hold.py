"""Get Hold Message List, Reject Message and Release Message over loopback HTTP.

Expected records come from the simulator's in-process world (the oracle); requests are read back
from its request log, so each test checks both what Mimecast received and what the user gets.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from integration_support import assert_error_row, mimecast_time, ok, run

from mimecast_soar.actions import BatchWindow
from mimecast_soar.actions.hold import REASON_TYPES
from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime.connection import Connection
from mimecast_soar.sim import SimConfig, SimServer
from support.simadmin import SimAdmin

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def sim_server() -> Iterator[SimServer]:
    """A simulator without campaigns for this module: the held-message filters below assume the
    held mail of its plain data (campaigns add held impersonation mail that changes the counts)."""
    with SimServer(SimConfig(seed=11)) as server:
        yield server


HOLD_LIST = "/api/gateway/get-hold-message-list"
REJECT = "/api/gateway/hold-reject"
RELEASE = "/api/gateway/hold-release"
UNDESIRABLE = "MESSAGE CONTAINS UNDESIRABLE CONTENT"


def held_records(sim: SimAdmin, window: BatchWindow, **needles: str | None) -> list[dict[str, Any]]:
    """The oracle: held records in `window`, newest first, matching every substring needle."""
    out = []
    for message in sim.sim.world.held():
        if not window.start <= message.received <= window.end:
            continue
        fields = {
            "ip": [message.sender_ip],
            "subject": [message.subject],
            "recipient": list(message.recipient),
            "sender": [*message.sender, *message.header_sender],
            "reason": [message.hold_reason[0], message.reason_code],
            "user": [message.recipient[1]],
        }
        if all(
            any(needle.lower() in text.lower() for text in fields[name])
            for name, needle in needles.items()
            if needle is not None
        ):
            out.append(message.held_record())
    return out


# --- Get Hold Message List -------------------------------------------------------------------


async def test_hold_list_sends_admin_batch_window_and_limit_page_size_and_returns_held_records(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    result = await run(
        "get_hold_message_list", [{"lhub_id": 7}], connection=connection, window=window
    )

    assert sim.bodies(HOLD_LIST) == [
        {
            "meta": {"pagination": {"pageSize": 100}},
            "data": [
                {
                    "admin": True,
                    "start": mimecast_time(window.start),
                    "end": mimecast_time(window.end),
                }
            ],
        }
    ]
    expected = held_records(sim, window)
    assert expected, "the seeded hold queue has messages in the last 24 hours"
    assert result.output == [(7, ok(result=expected))]


async def test_hold_list_sends_explicit_times_of_every_accepted_form_in_mimecast_form(
    sim: SimAdmin, connection: Connection, week: BatchWindow
) -> None:
    anchor = sim.sim.anchor
    rows = [
        # the Mimecast form and ISO 8601 with an offset
        {"lhub_id": 1, "s": "2011-12-03T10:15:30+0000", "e": "2011-12-04T12:15:30+02:00"},
        # ISO 8601 with Z and epoch milliseconds
        {
            "lhub_id": 2,
            "s": (anchor - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "e": str(int(anchor.timestamp() * 1000)),
        },
        # a date alone and epoch seconds
        {"lhub_id": 3, "s": "2024-02-29", "e": "1709251200"},
    ]
    result = await run(
        "get_hold_message_list",
        rows,
        connection=connection,
        window=week,
        settings={"start_time": "{{ s }}", "end_time": "{{ e }}"},
        concurrency=1,
    )

    sent = [(body["data"][0]["start"], body["data"][0]["end"]) for body in sim.bodies(HOLD_LIST)]
    assert sent == [
        ("2011-12-03T10:15:30+0000", "2011-12-04T10:15:30+0000"),
        (mimecast_time(anchor - timedelta(days=3)), mimecast_time(anchor)),
        ("2024-02-29T00:00:00+0000", "2024-03-01T00:00:00+0000"),
    ]
    assert result.ids == [1, 2, 3]
    assert result.rows[0] == ok(result=[])
    window = BatchWindow(anchor - timedelta(days=3), anchor)
    assert result.rows[1] == ok(result=held_records(sim, window))


async def test_hold_list_on_api2_sends_sender_ip_first_and_applies_the_rest_on_client(
    sim: SimAdmin, oauth_connection: Connection, week: BatchWindow
) -> None:
    row = {"lhub_id": 1, "ip": "203.0.113.", "subj": "Merger", "rcpt": "EXAMPLE.COM"}
    result = await run(
        "get_hold_message_list",
        [row],
        connection=oauth_connection,
        window=week,
        settings={
            "subject_column": "subj",
            "recipient_column": "rcpt",
            "sender_ip_column": "ip",
            "limit": "1000",
        },
    )

    [entry] = sim.requests(HOLD_LIST)
    assert entry["auth"] == "api2"
    assert entry["body"]["data"][0]["searchBy"] == {"fieldName": "senderIP", "value": "203.0.113."}
    records = result.only["result"]
    server_side = held_records(sim, week, ip="203.0.113.")
    assert records == held_records(sim, week, ip="203.0.113.", subject="merger", recipient="com")
    assert 0 < len(records) < len(server_side), "the client filters removed records"
    for record in records:
        assert "merger" in record["subject"].lower()
        assert "example.com" in record["to"]["emailAddress"].lower()


async def test_hold_list_on_api1_refuses_a_sender_ip_filter_before_any_call_and_runs_other_rows(
    sim: SimAdmin, connection: Connection, week: BatchWindow
) -> None:
    rows = [
        {"lhub_id": "with-ip", "ip": "203.0.113.", "subj": "Merger"},
        {"lhub_id": "no-ip", "ip": "", "subj": "Merger"},
    ]
    result = await run(
        "get_hold_message_list",
        rows,
        connection=connection,
        window=week,
        settings={"sender_ip_column": "ip", "subject_column": "subj", "limit": "1000"},
        concurrency=1,
    )

    assert result.ids == ["with-ip", "no-ip"]
    refused, listed = result.rows
    assert_error_row(
        refused,
        "Sender IP Name Column Name",
        "sender IP filtering needs API 2.0 credentials",
        "API 1.0 hold list cannot search by sender IP",
        "held messages carry no IP",
    )
    assert set(refused) == {"has_error", "error"}
    assert listed == ok(result=held_records(sim, week, subject="merger"))
    [body] = sim.bodies(HOLD_LIST)  # only the row without a sender IP reached Mimecast
    assert body["data"][0]["searchBy"] == {"fieldName": "subject", "value": "Merger"}


@pytest.mark.parametrize(
    ("api_version", "field_name"), [(1, "reason_code"), (2, "reasonCode")], ids=["api1", "api2"]
)
async def test_hold_list_sends_the_held_reason_field_name_of_the_connections_api_version(
    sim: SimAdmin, sim_server: Any, week: BatchWindow, api_version: int, field_name: str
) -> None:
    connection = Connection.from_mapping(sim_server.connection(api_version=api_version))
    result = await run(
        "get_hold_message_list",
        [{"lhub_id": 1, "why": "spam signature"}],
        connection=connection,
        window=week,
        settings={"held_reason_column": "why", "limit": "1000"},
    )

    [entry] = sim.requests(HOLD_LIST)
    assert entry["auth"] == f"api{api_version}"
    assert entry["body"]["data"][0]["searchBy"] == {
        "fieldName": field_name,
        "value": "spam signature",
    }
    expected = held_records(sim, week, reason="spam signature")
    assert expected
    assert result.only == ok(result=expected)


async def test_hold_list_sends_sender_server_side_when_no_sender_ip_and_checks_held_reason(
    sim: SimAdmin, connection: Connection, week: BatchWindow
) -> None:
    row = {"lhub_id": 1, "from": "examp1e-payments", "why": "spam signature"}
    result = await run(
        "get_hold_message_list",
        [row],
        connection=connection,
        window=week,
        settings={"sender_column": "from", "held_reason_column": "why"},
    )

    [body] = sim.bodies(HOLD_LIST)
    assert body["data"][0]["searchBy"] == {"fieldName": "sender", "value": "examp1e-payments"}
    expected = held_records(sim, week, sender="examp1e-payments", reason="spam signature")
    assert expected
    assert result.only == ok(result=expected)
    for record in result.only["result"]:
        senders = (record["from"]["emailAddress"], record["fromHeader"]["emailAddress"])
        assert any("examp1e-payments" in sender for sender in senders)
        assert "spam signature" in record["reason"].lower()


async def test_hold_list_limit_caps_the_records_and_the_page_size(
    sim: SimAdmin, connection: Connection, week: BatchWindow
) -> None:
    result = await run(
        "get_hold_message_list",
        [{"lhub_id": 1}],
        connection=connection,
        window=week,
        settings={"limit": "5"},
    )

    assert [b["meta"]["pagination"]["pageSize"] for b in sim.bodies(HOLD_LIST)] == [5]
    assert result.only == ok(result=held_records(sim, week)[:5])


async def test_hold_list_limit_keeps_paging_until_enough_records_pass_the_client_filters(
    sim: SimAdmin, connection: Connection, week: BatchWindow
) -> None:
    row = {"lhub_id": 1, "rcpt": "example.com", "subj": "confidential"}
    result = await run(
        "get_hold_message_list",
        [row],
        connection=connection,
        window=week,
        settings={"recipient_column": "rcpt", "subject_column": "subj", "limit": "4"},
    )

    expected = held_records(sim, week, recipient="example.com", subject="confidential")
    assert len(expected) > 4
    assert result.only == ok(result=expected[:4])
    bodies = sim.bodies(HOLD_LIST)
    assert len(bodies) > 1, "four matches need more than one page of four"
    assert all(b["meta"]["pagination"]["pageSize"] == 4 for b in bodies)
    assert "pageToken" in bodies[1]["meta"]["pagination"]


async def test_hold_list_is_admin_false_sends_admin_false_and_lists_only_own_messages(
    sim: SimAdmin, connection: Connection, week: BatchWindow
) -> None:
    result = await run(
        "get_hold_message_list",
        [{"lhub_id": 1}],
        connection=connection,
        window=week,
        settings={"is_admin": "false"},
    )

    [body] = sim.bodies(HOLD_LIST)
    assert body["data"][0]["admin"] is False
    user = sim.sim.config.login_email
    assert result.only == ok(result=held_records(sim, week, user=user))
    assert {r["to"]["emailAddress"] for r in result.only["result"]} == {user}


async def test_hold_list_with_nothing_in_the_window_keeps_its_shape_with_an_empty_result(
    sim: SimAdmin, connection: Connection
) -> None:
    past = BatchWindow(datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 1, 2, tzinfo=UTC))
    result = await run(
        "get_hold_message_list", [{"lhub_id": 1}], connection=connection, window=past
    )

    assert result.output == [(1, ok(result=[]))]
    assert len(sim.bodies(HOLD_LIST)) == 1


async def test_hold_list_bad_rows_become_error_rows_before_any_call(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    rows = [
        {"lhub_id": "good", "s": "", "subj": "x"},
        {"lhub_id": "bad-time", "s": "next tuesday", "subj": "x"},
        {"lhub_id": "after-end", "s": mimecast_time(window.end + timedelta(hours=1)), "subj": "x"},
        {"lhub_id": "no-column", "s": ""},
    ]
    result = await run(
        "get_hold_message_list",
        rows,
        connection=connection,
        window=window,
        settings={"start_time": "{{ s }}", "subject_column": "subj"},
    )

    assert result.ids == ["good", "bad-time", "after-end", "no-column"]
    assert result.rows[0]["has_error"] is False
    assert_error_row(result.rows[1], "Start Time", "not a date and time", "next tuesday")
    assert_error_row(result.rows[2], "Start Time", "is after", "End Time")
    assert_error_row(result.rows[3], "Subject Name Column Name", "'subj'", "not in this row")
    assert len(sim.bodies(HOLD_LIST)) == 1, "only the good row reached Mimecast"


@pytest.mark.parametrize(
    ("settings", "needles"),
    [
        ({"limit": "ten"}, ("Limit", "whole number", "ten")),
        ({"limit": "0"}, ("Limit", "at least 1")),
        ({"is_admin": "maybe"}, ("Is Admin", "true or false", "maybe")),
    ],
)
async def test_hold_list_bad_parameters_are_error_rows_and_nothing_is_sent(
    sim: SimAdmin,
    connection: Connection,
    window: BatchWindow,
    settings: dict[str, str],
    needles: tuple[str, ...],
) -> None:
    result = await run(
        "get_hold_message_list",
        [{"lhub_id": 1}, {"lhub_id": 2}],
        connection=connection,
        window=window,
        settings=settings,
    )

    assert result.ids == [1, 2]
    for row in result.rows:
        assert_error_row(row, *needles)
    assert sim.bodies(HOLD_LIST) == []


# --- Reject Message --------------------------------------------------------------------------


async def test_reject_sends_upper_case_reason_trimmed_unique_ids_and_notify(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    first, second = sim.sim.held_ids()[:2]
    row = {
        "lhub_id": 1,
        "ids": f" {first} ,{second}, {first},",
        "text": "Blocked by the SOC",
        "why": "  message contains   undesirable content ",
    }
    result = await run(
        "reject_message",
        [row],
        connection=connection,
        window=window,
        settings={
            "message_ids_column": "ids",
            "message_column": "text",
            "reason_type_column": "why",
        },
    )

    assert sim.bodies(REJECT) == [
        {
            "data": [
                {
                    "ids": [first, second],
                    "message": "Blocked by the SOC",
                    "reasonType": UNDESIRABLE,
                    "notify": True,
                }
            ]
        }
    ]
    assert result.output == [(1, ok(result="Success"))]
    state = sim.state()
    assert (state["held"], state["rejected"]) == (58, 2)
    assert first not in sim.sim.held_ids()
    assert second not in sim.sim.held_ids()


async def test_reject_notify_false_is_sent_as_false(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    row = {"ids": sim.sim.held_ids()[0], "text": "no", "why": REASON_TYPES[4]}
    result = await run(
        "reject_message",
        [row],
        connection=connection,
        window=window,
        settings={
            "message_ids_column": "ids",
            "message_column": "text",
            "reason_type_column": "why",
            "notify": "false",
        },
    )

    assert result.only == ok(result="Success")
    [body] = sim.bodies(REJECT)
    assert body["data"][0]["notify"] is False
    assert body["data"][0]["reasonType"] == "MESSAGE GOES AGAINST EMAIL POLICIES"


async def test_reject_partial_failure_names_the_failed_id_with_mimecast_code_and_lists_outcomes(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    held = sim.sim.held_ids()[0]
    row = {"lhub_id": 1, "ids": f"{held},no-such-id", "text": "x", "why": UNDESIRABLE}
    result = await run(
        "reject_message",
        [row],
        connection=connection,
        window=window,
        settings={
            "message_ids_column": "ids",
            "message_column": "text",
            "reason_type_column": "why",
        },
    )

    row_out = result.only
    assert_error_row(row_out, "1 of 2", "no-such-id", "err_message_not_found")
    assert held not in row_out["error"]
    assert row_out["result"] == [
        {"id": held, "rejected": True, "error": None},
        {
            "id": "no-such-id",
            "rejected": False,
            "error": "err_message_not_found: Message no-such-id not found",
        },
    ]
    assert sim.state()["rejected"] == 1


async def test_reject_bad_rows_are_error_rows_and_only_good_rows_reach_mimecast(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    ids = sim.sim.held_ids()
    rows = [
        {"lhub_id": "a", "ids": ids[0], "text": "x", "why": "Inappropriate Communication"},
        {"lhub_id": "b", "ids": ids[1], "text": "x", "why": "SPAM"},
        {"lhub_id": "c", "ids": " , ,", "text": "x", "why": UNDESIRABLE},
        {"lhub_id": "d", "ids": None, "text": "x", "why": UNDESIRABLE},
        {"lhub_id": "e", "ids": ids[2], "text": "", "why": UNDESIRABLE},
        {"lhub_id": "f", "ids": ids[3], "why": UNDESIRABLE},
        {"lhub_id": "g", "ids": ids[4], "text": "x", "why": REASON_TYPES[1].lower()},
    ]
    result = await run(
        "reject_message",
        rows,
        connection=connection,
        window=window,
        settings={
            "message_ids_column": "ids",
            "message_column": "text",
            "reason_type_column": "why",
        },
    )

    assert result.ids == ["a", "b", "c", "d", "e", "f", "g"]
    out = dict(result.output)
    assert out["a"] == ok(result="Success")
    assert_error_row(out["b"], "Reason Type Column Name", "'SPAM'", "not a reason type")
    for allowed in REASON_TYPES:
        assert allowed in out["b"]["error"]
    assert_error_row(out["c"], "Message IDs Column Name", "no message id")
    assert_error_row(out["d"], "Message IDs Column Name", "empty")
    assert_error_row(out["e"], "Message Column Name", "empty")
    assert_error_row(out["f"], "Message Column Name", "not in this row")
    assert out["g"] == ok(result="Success")
    sent = sorted(body["data"][0]["ids"][0] for body in sim.bodies(REJECT))
    assert sent == sorted([ids[0], ids[4]])
    assert sim.state()["rejected"] == 2


# --- Release Message -------------------------------------------------------------------------


async def test_release_sends_the_id_and_the_message_leaves_the_hold_queue(
    sim: SimAdmin, connection: Connection, week: BatchWindow
) -> None:
    message_id = sim.sim.held_ids()[0]
    result = await run(
        "release_message",
        [{"lhub_id": 3, "mid": f"  {message_id} "}],
        connection=connection,
        window=week,
        settings={"message_id_column": "mid"},
    )

    assert sim.bodies(RELEASE) == [{"data": [{"id": message_id}]}]
    assert result.output == [(3, ok(result="Success"))]
    state = sim.state()
    assert (state["held"], state["released"]) == (59, 1)
    listing = await run(
        "get_hold_message_list",
        [{}],
        connection=connection,
        window=week,
        settings={"limit": "1000"},
    )
    listed = [record["id"] for record in listing.only["result"]]
    assert len(listed) == 59
    assert message_id not in listed


async def test_release_twice_reports_mimecast_failure_on_second_row(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    message_id = sim.sim.held_ids()[0]
    result = await run(
        "release_message",
        [{"lhub_id": 1, "mid": message_id}, {"lhub_id": 2, "mid": message_id}],
        connection=connection,
        window=window,
        settings={"message_id_column": "mid"},
        concurrency=1,
    )

    assert result.ids == [1, 2]
    assert result.rows[0] == ok(result="Success")
    assert_error_row(result.rows[1], message_id, "err_message_not_held", "already released")
    assert set(result.rows[1]) == {"has_error", "error"}
    assert len(sim.bodies(RELEASE)) == 2


async def test_release_rows_are_correlated_in_input_order_and_bad_rows_never_reach_mimecast(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    ids = sim.sim.held_ids()[:4]
    rows: list[dict[str, Any]] = [{"lhub_id": f"r{n}", "mid": mid} for n, mid in enumerate(ids)]
    rows.insert(1, {"lhub_id": "unknown", "mid": "eNoDoesNotExist"})
    rows.insert(3, {"lhub_id": "null", "mid": None})
    rows.append({"lhub_id": "missing"})
    result = await run(
        "release_message",
        rows,
        connection=connection,
        window=window,
        settings={"message_id_column": "mid"},
        concurrency=4,
    )

    assert result.ids == ["r0", "unknown", "r1", "null", "r2", "r3", "missing"]
    out = dict(result.output)
    for key in ("r0", "r1", "r2", "r3"):
        assert out[key] == ok(result="Success")
    assert_error_row(out["unknown"], "eNoDoesNotExist", "err_message_not_found")
    assert_error_row(out["null"], "Message ID Column Name", "empty")
    assert_error_row(out["missing"], "Message ID Column Name", "'mid'", "not in this row")
    sent = sorted(body["data"][0]["id"] for body in sim.bodies(RELEASE))
    assert sent == sorted([*ids, "eNoDoesNotExist"])
    assert sim.state()["released"] == 4


async def test_release_without_its_column_setting_stops_the_run_before_any_call(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    with pytest.raises(ConfigurationError, match="message_id_column"):
        await run("release_message", [{"mid": "x"}], connection=connection, window=window)
    assert sim.requests() == []
