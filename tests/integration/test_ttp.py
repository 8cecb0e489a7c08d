"""The three TTP log actions and Decode URL over loopback HTTP: window, filters (the
impersonation logs' tagged-malicious, identifiers and actions too), paging, Page Size cap, rows.

Expected records come from the simulator's feeds (record i is a pure function of the seed), in
the order Mimecast serves them: newest first unless Oldest First.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from integration_support import (
    NO_RESULTS,
    assert_error_row,
    assert_flags_first,
    mimecast_time,
    ok,
    run,
)
from integration_support import record as record_row

from mimecast_soar.actions import BatchWindow
from mimecast_soar.runtime.connection import Connection
from mimecast_soar.sim import SimConfig, SimServer, protect_url
from mimecast_soar.sim.config import default_page_limits
from support.simadmin import SimAdmin

pytestmark = pytest.mark.anyio

URL = "/api/ttp/url/get-logs"
IMPERSONATION = "/api/ttp/impersonation/get-logs"
ATTACHMENT = "/api/ttp/attachment/get-logs"


def feed_records(
    sim: SimAdmin,
    feed_name: str,
    window: BatchWindow,
    *,
    oldest_first: bool = False,
    keep: Callable[[dict[str, Any]], bool] = lambda _record: True,
) -> list[dict[str, Any]]:
    """The oracle: the feed's records inside `window`, in Mimecast's order, filtered by `keep`."""
    feed = sim.sim.feeds[feed_name]
    lo, hi = feed.window(int(window.start.timestamp()), int(window.end.timestamp()))
    order = range(lo, hi) if oldest_first else range(hi - 1, lo - 1, -1)
    return [r for r in (feed.record(i) for i in order) if keep(r)]


def item(body: dict[str, Any]) -> dict[str, Any]:
    """The request's `data[0]`."""
    data: dict[str, Any] = body["data"][0]
    return data


@pytest.fixture(scope="module")
def small_pages() -> Iterator[SimServer]:
    """A second simulator whose URL-log pages hold at most 40 records, whatever is asked."""
    limits = {**default_page_limits(), URL: 40}
    with SimServer(SimConfig(seed=11, max_page_size=limits)) as server:
        yield server


# --- Get TTP URL Logs ------------------------------------------------------------------------


async def test_url_logs_send_the_batch_window_and_defaults_and_give_one_row_per_click_log(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    result = await run("get_ttp_url_logs", [{"lhub_id": 5}], connection=connection, window=window)

    bodies = sim.bodies(URL)
    expected_item = {
        "oldestFirst": False,
        "from": mimecast_time(window.start),
        "to": mimecast_time(window.end),
        "route": "all",
        "scanResult": "all",
    }
    assert bodies[0] == {"meta": {"pagination": {"pageSize": 500}}, "data": [expected_item]}
    # the last page still carries `next` (a Mimecast quirk): the client asks once more, same data
    assert len(bodies) == 2
    assert item(bodies[1]) == expected_item
    assert "pageToken" in bodies[1]["meta"]["pagination"]
    expected = feed_records(sim, "url", window)
    assert len(expected) == 120, "40% of the 300 seeded URL logs fall in the last 24 hours"
    assert result.output == [(5, record_row(r)) for r in expected]
    assert_flags_first(result.rows[0])
    assert result.notices == []


async def test_url_logs_send_route_scan_result_and_oldest_first_and_rows_honour_them(
    sim: SimAdmin, connection: Connection, week: BatchWindow
) -> None:
    result = await run(
        "get_ttp_url_logs",
        [{"lhub_id": 1}],
        connection=connection,
        window=week,
        settings={"route": "INBOUND", "scan_result": "Malicious", "oldest_first": "yes"},
    )

    assert item(sim.bodies(URL)[0]) == {
        "oldestFirst": True,
        "from": mimecast_time(week.start),
        "to": mimecast_time(week.end),
        "route": "inbound",
        "scanResult": "malicious",
    }
    expected = feed_records(
        sim,
        "url",
        week,
        oldest_first=True,
        keep=lambda r: r["route"] == "inbound" and r["scanResult"] == "malicious",
    )
    assert expected
    assert result.rows == [record_row(r) for r in expected]
    dates = [row["date"] for row in result.rows]
    assert dates == sorted(dates)


async def test_url_logs_explicit_start_and_end_are_sent_in_mimecast_form(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    anchor = sim.sim.anchor
    start, end = anchor - timedelta(hours=6), anchor - timedelta(hours=2)
    row = {"lhub_id": 1, "s": start.isoformat(), "e": str(int(end.timestamp()))}
    result = await run(
        "get_ttp_url_logs",
        [row],
        connection=connection,
        window=window,
        settings={"start_time": "{{ s }}", "end_time": "{{ e }}"},
    )

    first = item(sim.bodies(URL)[0])
    assert (first["from"], first["to"]) == (mimecast_time(start), mimecast_time(end))
    assert result.rows == [record_row(r) for r in feed_records(sim, "url", BatchWindow(start, end))]


async def test_url_logs_page_size_caps_the_total_and_says_so_in_a_notice(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    result = await run(
        "get_ttp_url_logs",
        [{"lhub_id": 1}],
        connection=connection,
        window=window,
        settings={"page_size": "7"},
    )

    assert result.rows == [record_row(r) for r in feed_records(sim, "url", window)[:7]]
    # The cap fell on a page end with `next` set: one page of 1 checks that more records exist.
    assert [b["meta"]["pagination"]["pageSize"] for b in sim.bodies(URL)] == [7, 1]
    [notice] = result.notices
    assert "Get TTP URL Logs" in notice
    assert "7" in notice
    assert "more records exist" in notice


async def test_url_logs_page_size_equal_to_the_records_available_emits_no_notice(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    available = len(feed_records(sim, "url", window))
    result = await run(
        "get_ttp_url_logs",
        [{"lhub_id": 1}],
        connection=connection,
        window=window,
        settings={"page_size": str(available)},
    )

    assert len(result.rows) == available
    assert result.notices == []


async def test_url_logs_follow_next_across_the_smaller_pages_the_server_returns(
    small_pages: SimServer,
) -> None:
    admin = SimAdmin(small_pages)
    admin.reset()
    anchor = admin.sim.anchor
    window = BatchWindow(anchor - timedelta(hours=24), anchor)
    connection = Connection.from_mapping(small_pages.connection())

    full = await run("get_ttp_url_logs", [{"lhub_id": 1}], connection=connection, window=window)
    assert full.rows == [record_row(r) for r in feed_records(admin, "url", window)]
    assert len(full.rows) == 120
    # three pages of 40, then the empty page behind the last page's `next`
    assert len(admin.bodies(URL)) == 4
    assert {b["meta"]["pagination"]["pageSize"] for b in admin.bodies(URL)} == {500}

    admin.reset()
    capped = await run(
        "get_ttp_url_logs",
        [{"lhub_id": 1}],
        connection=connection,
        window=window,
        settings={"page_size": "100"},
    )
    assert capped.rows == full.rows[:100]
    assert len(admin.bodies(URL)) == 3
    assert len(capped.notices) == 1


async def test_url_logs_rows_stay_grouped_in_input_order_with_no_results_and_error_rows(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    anchor = sim.sim.anchor
    recent = BatchWindow(anchor - timedelta(hours=3), anchor)
    older = BatchWindow(anchor - timedelta(days=3), anchor - timedelta(days=2))
    rows = [
        {"lhub_id": "recent", "s": mimecast_time(recent.start), "e": "", "n": ""},
        {"lhub_id": "past", "s": "2020-01-01", "e": "2020-01-02", "n": ""},
        {"lhub_id": "bad-size", "s": "", "e": "", "n": "lots"},
        {"lhub_id": "float-size", "s": "", "e": "", "n": "2.5"},
        {"lhub_id": "older", "s": mimecast_time(older.start), "e": mimecast_time(older.end)},
        {"lhub_id": "reversed", "s": mimecast_time(anchor), "e": mimecast_time(recent.start)},
    ]
    result = await run(
        "get_ttp_url_logs",
        rows,
        connection=connection,
        window=window,
        settings={"start_time": "{{ s }}", "end_time": "{{ e }}", "page_size": "{{ n }}"},
        concurrency=6,
    )

    recent_rows = [record_row(r) for r in feed_records(sim, "url", recent)]
    older_rows = [record_row(r) for r in feed_records(sim, "url", older)]
    assert recent_rows
    assert older_rows
    expected_ids = (
        ["recent"] * len(recent_rows)
        + ["past", "bad-size", "float-size"]
        + ["older"] * len(older_rows)
        + ["reversed"]
    )
    assert result.ids == expected_ids
    assert result.rows_for("recent") == recent_rows
    assert result.rows_for("past") == [NO_RESULTS]
    assert_error_row(result.rows_for("bad-size")[0], "Page Size", "whole number", "lots")
    assert_error_row(result.rows_for("float-size")[0], "Page Size", "whole number", "2.5")
    assert result.rows_for("older") == older_rows
    assert_error_row(result.rows_for("reversed")[0], "Start Time", "is after", "End Time")
    sent = sorted((item(b)["from"], item(b)["to"]) for b in sim.bodies(URL))
    assert {pair[0] for pair in sent} == {
        mimecast_time(recent.start),
        "2020-01-01T00:00:00+0000",
        mimecast_time(older.start),
    }


# --- Get TTP Impersonation Protection Logs ---------------------------------------------------


async def test_impersonation_logs_send_definition_as_the_policy_search_field(
    sim: SimAdmin, connection: Connection, week: BatchWindow
) -> None:
    result = await run(
        "get_ttp_impersonation_logs",
        [{"lhub_id": 1, "q": "Tag email"}],
        connection=connection,
        window=week,
        settings={"search_field": "definition", "query": "{{ q }}"},
    )

    assert sim.bodies(IMPERSONATION)[0] == {
        "meta": {"pagination": {"pageSize": 500}},
        "data": [
            {
                "oldestFirst": False,
                "from": mimecast_time(week.start),
                "to": mimecast_time(week.end),
                "searchField": "policy",
                "query": "Tag email",
            }
        ],
    }
    expected = feed_records(
        sim, "impersonation", week, keep=lambda r: "tag email" in r["definition"].lower()
    )
    assert 0 < len(expected) < len(feed_records(sim, "impersonation", week))
    assert result.rows == [record_row(r) for r in expected]


async def test_impersonation_logs_query_without_search_field_searches_all_fields(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    result = await run(
        "get_ttp_impersonation_logs",
        [{"lhub_id": 1}],
        connection=connection,
        window=window,
        settings={"query": "example.com", "oldest_first": "true"},
    )

    sent = item(sim.bodies(IMPERSONATION)[0])
    assert (sent["searchField"], sent["query"], sent["oldestFirst"]) == ("all", "example.com", True)
    fields = ("senderAddress", "recipientAddress", "subject", "definition")
    expected = feed_records(
        sim,
        "impersonation",
        window,
        oldest_first=True,
        keep=lambda r: any("example.com" in r[f].lower() for f in fields),
    )
    assert expected
    assert result.rows == [record_row(r) for r in expected]


async def test_impersonation_logs_without_search_send_no_search_keys(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    result = await run(
        "get_ttp_impersonation_logs", [{"lhub_id": 1}], connection=connection, window=window
    )

    sent = item(sim.bodies(IMPERSONATION)[0])
    assert sent == {
        "oldestFirst": False,
        "from": mimecast_time(window.start),
        "to": mimecast_time(window.end),
    }
    assert result.rows == [record_row(r) for r in feed_records(sim, "impersonation", window)]


async def test_impersonation_logs_search_field_without_query_is_an_error_row_before_any_call(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    result = await run(
        "get_ttp_impersonation_logs",
        [{"lhub_id": 1, "q": ""}, {"lhub_id": 2, "q": "   "}],
        connection=connection,
        window=window,
        settings={"search_field": "subject", "query": "{{ q }}"},
    )

    assert result.ids == [1, 2]
    for row in result.rows:
        assert_error_row(row, "Query is required", "subject")
    assert sim.requests() == []


async def test_impersonation_logs_unknown_search_field_is_an_error_row_naming_the_choices(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    result = await run(
        "get_ttp_impersonation_logs",
        [{"lhub_id": 1}],
        connection=connection,
        window=window,
        settings={"search_field": "policy", "query": "x"},
    )

    assert_error_row(result.only, "Search Field", "senderAddress", "definition", "'policy'")
    assert sim.requests() == []


# --- Get TTP Attachment Protection Logs ------------------------------------------------------


async def test_attachment_logs_send_result_and_route_and_rows_honour_both(
    sim: SimAdmin, connection: Connection, week: BatchWindow
) -> None:
    result = await run(
        "get_ttp_attachment_logs",
        [{"lhub_id": 1}],
        connection=connection,
        window=week,
        settings={"result": "malicious", "route": "inbound"},
    )

    assert item(sim.bodies(ATTACHMENT)[0]) == {
        "oldestFirst": False,
        "from": mimecast_time(week.start),
        "to": mimecast_time(week.end),
        "result": "malicious",
        "route": "inbound",
    }
    expected = feed_records(
        sim,
        "attachment",
        week,
        keep=lambda r: r["result"] == "malicious" and r["route"] == "inbound",
    )
    assert expected
    assert result.rows == [record_row(r) for r in expected]


async def test_attachment_logs_default_to_all_results_and_routes_in_the_batch_window(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    result = await run(
        "get_ttp_attachment_logs",
        [{"lhub_id": 1}, {"lhub_id": 2}],
        connection=connection,
        window=window,
        settings={"page_size": "30"},
    )

    for body in sim.bodies(ATTACHMENT):
        sent = item(body)
        assert (sent["result"], sent["route"]) == ("all", "all")
        assert (sent["from"], sent["to"]) == (
            mimecast_time(window.start),
            mimecast_time(window.end),
        )
    expected = [record_row(r) for r in feed_records(sim, "attachment", window)[:30]]
    assert result.ids == [1] * 30 + [2] * 30
    assert result.rows_for(1) == expected
    assert result.rows_for(2) == expected
    assert len(result.notices) == 2
    assert all("Get TTP Attachment Protection Logs" in n for n in result.notices)


async def test_attachment_logs_unknown_result_is_an_error_row_and_empty_window_gives_no_results(
    sim: SimAdmin, connection: Connection
) -> None:
    past = BatchWindow(datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 1, 2, tzinfo=UTC))
    bad = await run(
        "get_ttp_attachment_logs",
        [{"lhub_id": 1}],
        connection=connection,
        window=past,
        settings={"result": "clean"},
    )
    assert_error_row(bad.only, "Route", "safe, malicious, timeout, error, unsafe, all", "'clean'")
    assert sim.requests() == []

    empty = await run(
        "get_ttp_attachment_logs", [{"lhub_id": 1}], connection=connection, window=past
    )
    assert empty.output == [(1, NO_RESULTS)]


DECODE = "/api/ttp/url/decode-url"
ORIGINAL = "https://www.examp1e-payments.net/login/8f2a?user=alice"


async def test_decode_url_gives_the_original_url_and_an_error_row_when_mimecast_cannot(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    rows = [
        {"lhub_id": 1, "u": protect_url(ORIGINAL)},
        {"lhub_id": 2, "u": "https://www.example.com/not/rewritten"},
    ]

    output = await run(
        "decode_url",
        rows,
        connection=connection,
        window=window,
        settings={"url": "{{ u }}"},
        concurrency=1,
    )

    assert sim.bodies(DECODE) == [{"data": [{"url": row["u"]}]} for row in rows]
    assert output[0] == (1, ok(result=ORIGINAL))
    assert output[1][0] == 2
    assert_error_row(output[1][1], "Mimecast could not decode URL 'https://www.example.com/not")


async def test_decode_url_bad_input_is_an_error_row_before_any_call(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    rows = [{"u": "protect-us.mimecast.com/s/abc"}, {"u": ""}]
    output = await run(
        "decode_url", rows, connection=connection, window=window, settings={"url": "{{ u }}"}
    )
    assert_error_row(output[0][1], "is not an http or https URL")
    assert_error_row(output[1][1], "URL is required but rendered empty")
    assert sim.requests(DECODE) == []


async def test_impersonation_filters_are_sent_and_every_row_honours_them(
    sim: SimAdmin, connection: Connection, week: BatchWindow
) -> None:
    settings = {
        "tagged_malicious": "true",
        "identifiers": "Newly_Observed_Domain, similar_internal_domain,newly_observed_domain",
        "actions": "hold",
    }

    output = await run(
        "get_ttp_impersonation_logs", [{}], connection=connection, window=week, settings=settings
    )

    [item] = sim.bodies(IMPERSONATION)[0]["data"]
    assert item["taggedMalicious"] is True
    assert item["identifiers"] == ["newly_observed_domain", "similar_internal_domain"]
    assert item["actions"] == ["hold"]
    rows = [row for _, row in output]
    assert rows
    assert all(row["has_error"] is False for row in rows)
    for row in rows:
        assert row["taggedMalicious"] is True
        assert row["action"] == "hold"
        assert {"newly_observed_domain", "similar_internal_domain"} & set(row["identifiers"])


async def test_impersonation_tagged_malicious_false_and_no_filters_by_default(
    sim: SimAdmin, connection: Connection, week: BatchWindow
) -> None:
    clean = await run(
        "get_ttp_impersonation_logs",
        [{}],
        connection=connection,
        window=week,
        settings={"tagged_malicious": "no"},
    )
    await run("get_ttp_impersonation_logs", [{}], connection=connection, window=week)

    first_pages = [
        body for body in sim.bodies(IMPERSONATION) if "pageToken" not in body["meta"]["pagination"]
    ]
    first, second = (body["data"][0] for body in first_pages)
    assert first["taggedMalicious"] is False
    assert {row["taggedMalicious"] for _, row in clean} == {False}
    assert not {"taggedMalicious", "identifiers", "actions"} & set(second)


async def test_impersonation_unknown_identifier_or_bad_flag_is_an_error_row_before_any_call(
    sim: SimAdmin, connection: Connection, week: BatchWindow
) -> None:
    [(_, identifier)] = await run(
        "get_ttp_impersonation_logs",
        [{}],
        connection=connection,
        window=week,
        settings={"identifiers": "internal_user_name, lookalike"},
    )
    [(_, flag)] = await run(
        "get_ttp_impersonation_logs",
        [{}],
        connection=connection,
        window=week,
        settings={"tagged_malicious": "maybe"},
    )
    [(_, action)] = await run(
        "get_ttp_impersonation_logs",
        [{}],
        connection=connection,
        window=week,
        settings={"actions": "hold, bounce it"},
    )
    assert_error_row(
        identifier, "Identifiers: 'lookalike' is not a valid value; allowed: newly_observed_domain"
    )
    assert_error_row(flag, "Tagged Malicious")
    assert_error_row(action, "Actions: 'bounce it' is not a valid value")
    assert sim.requests(IMPERSONATION) == []
