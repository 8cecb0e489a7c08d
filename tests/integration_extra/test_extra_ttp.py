"""Beyond the seed in TTP: Decode URL, and the impersonation logs' tagged-malicious,
identifiers and actions filters, over loopback HTTP."""

from __future__ import annotations

import pytest
from extra_support import assert_error_row, ok, run

from mimecast_soar.actions import BatchWindow
from mimecast_soar.runtime.connection import Connection
from mimecast_soar.sim import protect_url
from support.simadmin import SimAdmin

pytestmark = pytest.mark.anyio

DECODE = "/api/ttp/url/decode-url"
IMPERSONATION = "/api/ttp/impersonation/get-logs"
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
