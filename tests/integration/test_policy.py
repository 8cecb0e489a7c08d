"""Create Policy, Get Policy and Delete Policy (blocked senders) over loopback HTTP: raw
response rows, and Delete Policy as the undo of Create Policy."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from integration_support import assert_error_row, run

from mimecast_soar.actions import BatchWindow
from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime.connection import Connection
from support.simadmin import SimAdmin

pytestmark = pytest.mark.anyio

CREATE = "/api/policy/blockedsenders/create-policy"
GET = "/api/policy/blockedsenders/get-policy"
RAW_KEYS = ["has_error", "error", "meta", "data", "fail"]

FLAT = {
    "description": "Block a phishing domain",
    "fromPart": "both",
    "fromType": "email_domain",
    "fromValue": "phish.example.net",
    "toType": "everyone",
}
NESTED = {
    "description": "Watch one sender",
    "from": {"type": "individual_email_address", "emailAddress": "mallory@example.org"},
    "to": {"type": "internal_addresses"},
    "comment": "from the SOAR playbook",
}


def seeded_policies(sim: SimAdmin) -> list[dict[str, Any]]:
    """The oracle: every policy the simulator holds, in its order."""
    return list(sim.sim.world.policies.values())


def ok_raw(data: list[Any]) -> dict[str, Any]:
    """A successful raw-response row."""
    return {"has_error": False, "error": None, "meta": {"status": 200}, "data": data, "fail": []}


# --- Create Policy ---------------------------------------------------------------------------


async def test_create_policy_sends_option_and_policy_and_the_policy_appears_in_get_policy(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    rows = [
        {"lhub_id": "flat", "p": json.dumps(FLAT), "o": " Block_Sender "},
        {"lhub_id": "nested", "p": json.dumps(NESTED), "o": "no_action"},
    ]
    result = await run(
        "create_policy",
        rows,
        connection=connection,
        window=window,
        settings={"policy": "{{ p }}", "option": "{{ o }}"},
        concurrency=1,
    )

    assert sim.bodies(CREATE) == [
        {"data": [{"option": "block_sender", "policy": FLAT}]},
        {"data": [{"option": "no_action", "policy": NESTED}]},
    ]
    assert result.ids == ["flat", "nested"]
    flat, nested = result.rows
    for row in (flat, nested):
        assert list(row) == RAW_KEYS
        assert (row["has_error"], row["error"], row["fail"]) == (False, None, [])
    [created_flat] = flat["data"]
    assert created_flat["option"] == "block_sender"
    assert created_flat["policy"]["fromType"] == "email_domain"
    assert created_flat["policy"]["from"] == {
        "type": "email_domain",
        "emailDomain": "phish.example.net",
    }
    [created_nested] = nested["data"]
    assert created_nested["policy"]["fromValue"] == "mallory@example.org"
    assert created_nested["policy"]["comment"] == "from the SOAR playbook"
    assert sim.state()["policies"] == 4

    fetched = await run(
        "get_policy",
        [{"lhub_id": 1, "pid": created_flat["id"]}, {"lhub_id": 2, "pid": created_nested["id"]}],
        connection=connection,
        window=window,
        settings={"policy_id": "{{ pid }}"},
    )
    assert fetched.output == [(1, ok_raw([created_flat])), (2, ok_raw([created_nested]))]


@pytest.mark.parametrize(
    ("policy", "option", "needles"),
    [
        ('{"description": "x", "fromType": "everyone",', "block_sender", ("not valid JSON",)),
        ("[1, 2]", "block_sender", ("must be a JSON object",)),
        (
            json.dumps({k: v for k, v in FLAT.items() if k != "description"}),
            "block_sender",
            ("non-empty description",),
        ),
        (json.dumps({**FLAT, "description": "  "}), "block_sender", ("non-empty description",)),
        (
            json.dumps({**FLAT, "fromType": "anyone"}),
            "block_sender",
            ("from type 'anyone' is not allowed", "everyone", "header_display_name"),
        ),
        (
            json.dumps({**NESTED, "to": {"type": "nobody"}}),
            "block_sender",
            ("to type 'nobody' is not allowed",),
        ),
        (
            json.dumps({"description": "x", "toType": "everyone"}),
            "block_sender",
            ("fromType (flat form) or from.type (nested form)",),
        ),
        (
            json.dumps({**FLAT, "fromPart": "subject"}),
            "block_sender",
            ("fromPart 'subject' is not allowed",),
        ),
        (json.dumps(FLAT), "quarantine", ("Option 'quarantine' is not allowed", "no_action")),
        (json.dumps(FLAT), "", ("Option is required",)),
        ("", "block_sender", ("Policy is required",)),
    ],
    ids=[
        "invalid-json",
        "not-an-object",
        "no-description",
        "blank-description",
        "unknown-fromType",
        "unknown-nested-to-type",
        "no-from-type",
        "unknown-fromPart",
        "unknown-option",
        "empty-option",
        "empty-policy",
    ],
)
async def test_create_policy_invalid_input_is_an_error_row_before_any_call(
    sim: SimAdmin,
    connection: Connection,
    window: BatchWindow,
    policy: str,
    option: str,
    needles: tuple[str, ...],
) -> None:
    result = await run(
        "create_policy",
        [{"lhub_id": 1, "p": policy, "o": option}],
        connection=connection,
        window=window,
        settings={"policy": "{{ p }}", "option": "{{ o }}"},
    )

    assert result.ids == [1]
    assert_error_row(result.only, *needles)
    assert set(result.only) == {"has_error", "error"}
    assert sim.requests() == []
    assert sim.state()["policies"] == 2


# --- Get Policy ------------------------------------------------------------------------------


async def test_get_policy_with_empty_id_sends_empty_data_and_lists_every_policy(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    rows = [{"lhub_id": 1, "pid": ""}, {"lhub_id": 2, "pid": "   "}, {"lhub_id": 3}]
    result = await run(
        "get_policy",
        rows,
        connection=connection,
        window=window,
        settings={"policy_id": "{{ pid }}"},
    )

    assert sim.bodies(GET) == [{"data": []}] * 3
    everything = seeded_policies(sim)
    assert len(everything) == 2
    assert result.output == [(n, ok_raw(everything)) for n in (1, 2, 3)]


async def test_get_policy_without_the_input_lists_every_policy(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    result = await run("get_policy", [{"lhub_id": 1}], connection=connection, window=window)

    assert sim.bodies(GET) == [{"data": []}]
    assert result.only == ok_raw(seeded_policies(sim))


async def test_get_policy_by_id_and_unknown_id_are_correlated_raw_rows(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    first = seeded_policies(sim)[0]
    rows = [{"lhub_id": "known", "pid": f" {first['id']} "}, {"lhub_id": "unknown", "pid": "eNoX"}]
    result = await run(
        "get_policy",
        rows,
        connection=connection,
        window=window,
        settings={"policy_id": "{{ pid }}"},
        concurrency=2,
    )

    assert sorted(b["data"][0]["id"] for b in sim.bodies(GET)) == sorted([first["id"], "eNoX"])
    assert result.ids == ["known", "unknown"]
    assert result.rows[0] == ok_raw([first])
    unknown = result.rows[1]
    assert list(unknown) == RAW_KEYS
    assert_error_row(unknown, "err_policy_not_found", "eNoX")
    assert unknown["data"] == []
    assert unknown["fail"][0]["key"] == {"id": "eNoX"}
    assert unknown["fail"][0]["errors"][0]["code"] == "err_policy_not_found"


async def test_get_policy_with_empty_id_follows_next_and_returns_every_page_in_one_raw_row(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    # 2 seeded + 110 created: more than the simulator's default page (25), which it then serves
    # to a request that asks no page size, and more than its largest get-policy page (100).
    rows = [
        {"lhub_id": n, "p": json.dumps({**FLAT, "fromValue": f"d{n}.example.net"})}
        for n in range(110)
    ]
    created = await run(
        "create_policy",
        rows,
        connection=connection,
        window=window,
        settings={"policy": "{{ p }}", "option": "block_sender"},
        concurrency=8,
    )
    assert not any(row["has_error"] for row in created.rows)
    everything = seeded_policies(sim)
    assert len(everything) == 112

    result = await run("get_policy", [{"lhub_id": "all"}], connection=connection, window=window)

    assert result.output == [("all", ok_raw(everything))]
    bodies = sim.bodies(GET)
    # The documented request first; its answer offers `next`, so the list is read again page
    # by page: 100, then 12 with a `next` (the last-page quirk), then an empty page ends it.
    assert bodies[0] == {"data": []}
    assert [b["meta"]["pagination"].get("pageToken") is None for b in bodies[1:]] == [
        True,
        False,
        False,
    ]
    assert {b["meta"]["pagination"]["pageSize"] for b in bodies[1:]} == {500}
    assert all(b["data"] == [] for b in bodies)


#: The page tokens the repeating server was sent, in order (None: no token).
TOKENS = web.AppKey("tokens", list[str | None])


async def _repeating_mimecast(request: web.Request) -> web.Response:
    """Two policies a page, the same `next` token on every page: a pager must stop."""
    body = await request.json()
    token = body.get("meta", {}).get("pagination", {}).get("pageToken")
    request.app[TOKENS].append(token)
    number = len(request.app[TOKENS])
    policies = [{"id": f"p{number}-{n}", "option": "block_sender", "policy": {}} for n in (1, 2)]
    meta = {"status": 200, "pagination": {"pageSize": 2, "next": "same-token"}}
    return web.json_response({"meta": meta, "data": policies, "fail": []})


@pytest.fixture
async def repeating_server(sim_server: Any) -> AsyncIterator[tuple[Connection, list[str | None]]]:
    """A loopback Mimecast whose get-policy repeats its `next` token; the tokens it was sent."""
    app = web.Application()
    app[TOKENS] = []
    app.router.add_post(GET, _repeating_mimecast)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    mapping = {**sim_server.connection(), "base_url": f"http://127.0.0.1:{server.port}"}
    try:
        yield Connection.from_mapping(mapping), app[TOKENS]
    finally:
        await server.close()


async def test_get_policy_stops_paging_on_a_repeated_token(
    repeating_server: tuple[Connection, list[str | None]], window: BatchWindow
) -> None:
    connection, tokens = repeating_server

    result = await run("get_policy", [{"lhub_id": 1}], connection=connection, window=window)

    # The first answer offers `next`; the paged read follows it once and stops when the same
    # token comes back instead of asking for it forever.
    assert tokens == [None, None, "same-token"]
    row = result.only
    assert row["has_error"] is False
    assert row["meta"] == {"status": 200}
    assert [policy["id"] for policy in row["data"]] == ["p2-1", "p2-2", "p3-1", "p3-2"]


async def test_create_policy_template_that_fails_to_render_is_an_error_row_naming_the_input(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    rows = [{"lhub_id": 1, "n": "0"}, {"lhub_id": 2, "n": "2"}]
    template = '{"description": "every {{ 10 // (n | int) }} days", "fromType": "everyone", '
    template += '"toType": "everyone"}'
    result = await run(
        "create_policy",
        rows,
        connection=connection,
        window=window,
        settings={"policy": template, "option": "no_action"},
    )

    assert result.ids == [1, 2]
    assert_error_row(result.rows[0], "Policy", "could not be rendered", "ZeroDivisionError")
    assert result.rows[1]["has_error"] is False
    [body] = sim.bodies(CREATE)
    assert body["data"][0]["policy"]["description"] == "every 5 days"


async def test_create_policy_flat_type_with_nested_value_object_is_sent(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    policy = {
        "description": "Flat type, nested value",
        "fromType": "email_domain",
        "from": {"emailDomain": "phish.example.net"},
        "toType": "everyone",
    }
    result = await run(
        "create_policy",
        [{"lhub_id": 1}],
        connection=connection,
        window=window,
        settings={"policy": json.dumps(policy), "option": "block_sender"},
    )

    assert result.only["has_error"] is False, result.only
    assert sim.bodies(CREATE) == [{"data": [{"option": "block_sender", "policy": policy}]}]
    assert sim.state()["policies"] == 3


DELETE = "/api/policy/blockedsenders/delete-policy"
POLICY = {
    "description": "Block a lookalike domain",
    "fromType": "email_domain",
    "fromValue": "examp1e-payments.net",
    "toType": "everyone",
}


async def test_create_then_delete_sends_the_id_and_the_policy_is_gone(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    before = set(sim.sim.world.policies)
    [(_, made)] = await run(
        "create_policy",
        [{"policy": json.dumps(POLICY)}],
        connection=connection,
        window=window,
        settings={"policy": "{{ policy }}", "option": "block_sender"},
    )
    policy_id = made["data"][0]["id"]
    assert policy_id in sim.sim.world.policies

    output = await run(
        "delete_policy",
        [{"lhub_id": 9, "pid": policy_id}],
        connection=connection,
        window=window,
        settings={"policy_id": "{{ pid }}"},
    )

    assert sim.bodies(DELETE) == [{"data": [{"id": policy_id}]}]
    assert output == [
        (9, {"has_error": False, "error": None, "meta": {"status": 200}, "data": [], "fail": []})
    ]
    assert set(sim.sim.world.policies) == before
    assert sim.state()["policies"] == len(before)


async def test_delete_unknown_policy_is_meta_status_404_with_empty_fail_and_has_error(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    seeded = next(iter(sim.sim.world.policies))
    rows = [{"lhub_id": 1, "pid": "eNoNoSuchPolicy"}, {"lhub_id": 2, "pid": seeded}]

    output = await run(
        "delete_policy",
        rows,
        connection=connection,
        window=window,
        settings={"policy_id": "{{ pid }}"},
        concurrency=1,
    )

    (_, missing), (_, deleted) = output
    assert_error_row(missing, "status 404")
    assert missing["meta"] == {"status": 404}
    assert missing["fail"] == []
    assert missing["data"] == []
    assert deleted["has_error"] is False
    assert seeded not in sim.sim.world.policies


async def test_delete_policy_empty_id_is_an_error_row_and_a_missing_input_stops_the_run(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    [(_, row)] = await run(
        "delete_policy",
        [{"pid": "  "}],
        connection=connection,
        window=window,
        settings={"policy_id": "{{ pid }}"},
    )
    assert_error_row(row, "Policy ID is required but rendered empty")
    with pytest.raises(ConfigurationError, match="policy_id"):
        await run("delete_policy", [{}], connection=connection, window=window)
    assert sim.requests(DELETE) == []
