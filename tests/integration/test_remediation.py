"""Threat remediation (issue 14): create, get and find incidents, over loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from integration_support import assert_error_row, run

from mimecast_soar.actions import BatchWindow
from mimecast_soar.runtime.connection import Connection
from mimecast_soar.sim import SimConfig, SimServer
from mimecast_soar.sim.content import attachment_sha256
from support.simadmin import SimAdmin

pytestmark = pytest.mark.anyio

CREATE = "/api/ttp/remediation/create"
GET = "/api/ttp/remediation/get-incident"
FIND = "/api/ttp/remediation/find-incidents"
STEP = 30  # SimConfig.remediation_seconds_per_mailbox
REMEDIATE = {"value": "{{ v }}", "reason": "{{ why }}"}


def _delivered(sim: SimAdmin, *, with_files: bool) -> Any:
    return next(
        m
        for m in sim.sim.world.messages.values()
        if m.status == "archived" and bool(m.attachments) == with_files and m.size < 1_000_000
    )


def _file_hash(sim: SimAdmin, message: Any) -> str:
    name, _, size = message.attachments[0]
    return attachment_sha256(sim.sim.config.seed, message.id, name, size)


def _advance(sim: SimAdmin, seconds: float) -> None:
    response = httpx.post(f"{sim.base_url}/_sim/clock", json={"advance_seconds": seconds})
    response.raise_for_status()


def _later(sim: SimAdmin) -> BatchWindow:
    """A window that holds the incidents a test creates (they are made at the sim's clock)."""
    now = sim.sim.clock.now()
    return BatchWindow(now - timedelta(days=60), now + timedelta(days=1))


async def test_create_by_hash_sends_the_hash_without_times_and_gives_the_incident(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    file_hash = _file_hash(sim, _delivered(sim, with_files=True))

    [(_, row)] = await run(
        "create_remediation_incident",
        [{"v": file_hash.upper(), "why": "Malware in an invoice"}],
        connection=connection,
        window=window,
        settings=REMEDIATE,
    )

    sent = {"reason": "Malware in an invoice", "searchBy": "hash", "hashOrMessageId": file_hash}
    assert sim.bodies(CREATE) == [{"data": [sent]}]  # no start/end: Mimecast's month
    assert row["has_error"] is False, row
    assert row["identified"] >= 1
    assert (row["successful"], row["failed"]) == (0, 0)
    assert row["code"].startswith("TR-")
    assert row["id"] in sim.sim.world.incidents


async def test_create_by_message_id_adds_brackets_and_polling_sees_it_finish(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    message = _delivered(sim, with_files=False)
    bare = message.internet_id.strip("<>")

    [(_, made)] = await run(
        "create_remediation_incident",
        [{"v": bare, "why": "Phishing"}],
        connection=connection,
        window=window,
        settings={**REMEDIATE, "search_by": "message_id"},
    )
    [sent] = [body["data"][0] for body in sim.bodies(CREATE)]
    assert sent["searchBy"] == "messageId"
    assert sent["hashOrMessageId"] == message.internet_id
    assert made["identified"] >= 1

    polls = []
    for _ in range(made["identified"] + 1):
        [(_, polled)] = await run(
            "get_remediation_incident",
            [{"i": made["id"]}],
            connection=connection,
            window=window,
            settings={"incident_id": "{{ i }}"},
        )
        polls.append(polled["successful"] + polled["failed"])
        if polled["identified"] == polled["successful"] + polled["failed"]:
            break
        _advance(sim, STEP)
    assert polls == list(range(made["identified"] + 1))
    assert sim.bodies(GET)[0] == {"data": [{"id": made["id"]}]}


async def test_create_by_url_sends_the_url_and_the_given_times(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    feed = sim.sim.feeds["url"]
    clicks = (feed.record(index) for index in range(feed.count - 1, -1, -1))
    click = next(c for c in clicks if c["scanResult"] == "malicious")
    [(_, row)] = await run(
        "create_remediation_incident",
        [{"v": click["url"], "why": "Bad link"}],
        connection=connection,
        window=window,
        settings={
            **REMEDIATE,
            "search_by": "url",
            "start_time": "2026-01-01",
            "end_time": "{{ end }}",
        },
    )
    [sent] = [body["data"][0] for body in sim.bodies(CREATE)]
    assert sent["searchBy"] == "url"
    assert sent["url"] == click["url"]
    assert "hashOrMessageId" not in sent
    assert sent["start"] == "2026-01-01T00:00:00+0000"
    assert "end" not in sent  # rendered empty: left out
    assert row["has_error"] is False, row
    assert row["searchCriteria"]["url"] == click["url"]


async def test_create_bad_values_are_error_rows_and_nothing_is_sent(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    cases = [
        ("hash", {"v": "abc123", "why": "x"}, "is not a file hash"),
        ("hash", {"v": "g" * 64, "why": "x"}, "is not a file hash"),
        ("message_id", {"v": "no-at-sign", "why": "x"}, "is not an Internet Message-ID"),
        ("url", {"v": "https://bad.example.net/a#b", "why": "x"}, "has a fragment"),
        ("url", {"v": "not a url", "why": "x"}, "is not an http or https URL"),
        ("hash", {"v": "a" * 32, "why": ""}, "Reason is required"),
    ]
    for search_by, values, needle in cases:
        [(_, row)] = await run(
            "create_remediation_incident",
            [values],
            connection=connection,
            window=window,
            settings={**REMEDIATE, "search_by": search_by},
        )
        assert_error_row(row, needle)
    [(_, row)] = await run(
        "create_remediation_incident",
        [{"v": "a" * 40, "why": "x"}],
        connection=connection,
        window=window,
        settings={**REMEDIATE, "start_time": "2026-02-01", "end_time": "2026-01-01"},
    )
    assert_error_row(row, "Start Time is after End Time")
    assert sim.requests(CREATE) == []


async def test_create_is_not_sent_again_when_the_connection_drops_after_mimecast_acted(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    before = len(sim.sim.world.incidents)
    sim.faults([{"kind": "drop_after", "path": CREATE, "count": 1}])

    [(_, row)] = await run(
        "create_remediation_incident",
        [{"v": "b" * 64, "why": "Dropped"}],
        connection=connection,
        window=window,
        settings=REMEDIATE,
    )

    assert_error_row(row)
    assert "not sent again" in row["error"] or "check" in row["error"].lower(), row
    assert len(sim.requests(CREATE)) == 1
    assert len(sim.sim.world.incidents) == before + 1  # Mimecast acted once, and only once


async def test_create_failure_from_mimecast_is_an_error_row_with_its_code(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    sim.faults([{"kind": "fail", "path": CREATE, "code": "err_xdk_permission", "message": "No"}])
    [(_, row)] = await run(
        "create_remediation_incident",
        [{"v": "c" * 64, "why": "x"}],
        connection=connection,
        window=window,
        settings=REMEDIATE,
    )
    assert_error_row(row, "err_xdk_permission")


async def test_get_unknown_incident_is_an_error_row_and_empty_id_is_not_sent(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    output = await run(
        "get_remediation_incident",
        [{"i": "eNoNoSuchIncident"}, {"i": ""}],
        connection=connection,
        window=window,
        settings={"incident_id": "{{ i }}"},
    )
    assert_error_row(output[0][1], "err_remediation_incident_not_found", "eNoNoSuchIncident")
    assert_error_row(output[1][1], "Incident ID is required")
    assert sim.bodies(GET) == [{"data": [{"id": "eNoNoSuchIncident"}]}]


async def test_find_filters_by_type_and_code_and_sends_both_filter_shapes(
    sim: SimAdmin, connection: Connection
) -> None:
    window = _later(sim)
    everything = await run("find_remediation_incidents", [{}], connection=connection, window=window)
    types = {row["type"] for _, row in everything}
    assert types == {"manual", "automatic", "notify_only", "restored"}
    restored = await run(
        "find_remediation_incidents",
        [{}],
        connection=connection,
        window=window,
        settings={"incident_type": "restored"},
    )
    assert [row["type"] for _, row in restored] == ["restored"]
    code = everything[1][1]["code"]
    by_code = await run(
        "find_remediation_incidents",
        [{"q": code}],
        connection=connection,
        window=window,
        settings={"search_field": "code", "query": "{{ q }}"},
    )
    assert [row["code"] for _, row in by_code] == [code]
    sent = [body["data"][0] for body in sim.bodies(FIND)]
    assert sent[1]["filterBy"] == [{"type": "restored", "fieldName": "type", "value": "restored"}]
    assert sent[2]["searchBy"] == {"fieldName": "code", "value": code}
    assert all("start" in item and "end" in item for item in sent)


async def test_find_bad_input_and_nothing_found(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    output = await run(
        "find_remediation_incidents",
        [{"q": ""}, {"q": "x", "s": "yesterday-ish"}],
        connection=connection,
        window=window,
        settings={"search_field": "reason", "query": "{{ q }}", "start_time": "{{ s }}"},
    )
    assert_error_row(output[0][1], "Query is required when Search Field is reason")
    assert_error_row(output[1][1], "Start Time")
    assert sim.requests(FIND) == []
    [(_, empty)] = await run(
        "find_remediation_incidents",
        [{}],
        connection=connection,
        window=BatchWindow(window.start - timedelta(days=900), window.start - timedelta(days=800)),
    )
    assert empty["noResults"] == "no results returned"


@pytest.fixture(scope="module", params=["wrapped", "flat"])
def paged_server(request: pytest.FixtureRequest) -> Iterator[SimServer]:
    """Find-incidents pages of 2, answering `data[0].incidents[]` or a flat `data[]`."""
    config = SimConfig(
        seed=23,
        find_incidents_shape=request.param,
        max_page_size={"/api/ttp/remediation/find-incidents": 2},
    )
    with SimServer(config) as server:
        yield server


async def test_find_follows_next_over_pages_in_either_answer_shape(
    paged_server: SimServer,
) -> None:
    admin = SimAdmin(paged_server)
    admin.reset()
    rows = await run(
        "find_remediation_incidents",
        [{"lhub_id": 7}],
        connection=Connection.from_mapping(paged_server.connection()),
        window=_later(admin),
    )
    ids = [row["id"] for _, row in rows]
    assert len(ids) == len(set(ids)) == len(admin.sim.world.incidents) == 5
    assert {lhub_id for lhub_id, _ in rows} == {7}
    assert len(admin.requests(FIND)) == 3


async def test_create_get_and_find_work_over_api2(
    sim: SimAdmin, oauth_connection: Connection, window: BatchWindow
) -> None:
    [(_, made)] = await run(
        "create_remediation_incident",
        [{"v": _file_hash(sim, _delivered(sim, with_files=True)), "why": "API 2.0"}],
        connection=oauth_connection,
        window=window,
        settings=REMEDIATE,
    )
    [(_, got)] = await run(
        "get_remediation_incident",
        [{"i": made["id"]}],
        connection=oauth_connection,
        window=window,
        settings={"incident_id": "{{ i }}"},
    )
    found = await run(
        "find_remediation_incidents",
        [{"q": "API 2.0"}],
        connection=oauth_connection,
        window=_later(sim),
        settings={"search_field": "reason", "query": "{{ q }}"},
    )
    assert got["id"] == made["id"]
    assert [row["id"] for _, row in found] == [made["id"]]
    assert sim.state()["tokens_issued"] >= 1
