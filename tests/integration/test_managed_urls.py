"""Managed URLs (issue 14): block, permit, list and delete URL Protect entries, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from integration_support import assert_error_row, run

from mimecast_soar.actions import BatchWindow
from mimecast_soar.runtime.connection import Connection
from mimecast_soar.sim import SimConfig, SimServer
from support.simadmin import SimAdmin

pytestmark = pytest.mark.anyio

CREATE = "/api/ttp/url/create-managed-url"
LIST = "/api/ttp/url/get-all-managed-urls"
DELETE = "/api/ttp/url/delete-managed-url"
URL = "https://login.examp1e-payments.net/reset?user=alice"
SETTINGS = {"url": "{{ u }}", "comment": "{{ c }}"}


def _entries(sim: SimAdmin) -> list[dict[str, object]]:
    return list(sim.sim.world.managed_urls.values())


async def test_block_url_sends_the_entry_and_gives_it_back(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    [(_, row)] = await run(
        "block_url",
        [{"u": URL, "c": "Phishing click"}],
        connection=connection,
        window=window,
        settings=SETTINGS,
    )
    assert sim.bodies(CREATE) == [
        {
            "data": [
                {
                    "url": URL,
                    "action": "block",
                    "matchType": "explicit",
                    "comment": "Phishing click",
                }
            ]
        }
    ]
    assert row["has_error"] is False, row
    assert (row["action"], row["domain"], row["path"], row["queryString"]) == (
        "block",
        "login.examp1e-payments.net",
        "/reset",
        "user=alice",
    )
    assert sim.sim.world.managed_urls[row["id"]] == {
        k: v for k, v in row.items() if k not in ("has_error", "error")
    }


async def test_permit_url_sends_its_flags_as_booleans(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    [(_, row)] = await run(
        "permit_url",
        [{"u": "partner.example.org", "c": ""}],
        connection=connection,
        window=window,
        settings={**SETTINGS, "match_type": "domain", "disable_rewrite": "true"},
    )
    [sent] = [body["data"][0] for body in sim.bodies(CREATE)]
    assert sent == {
        "url": "partner.example.org",
        "action": "permit",
        "matchType": "domain",
        "disableRewrite": True,
        "disableUserAwareness": False,
        "disableLogClick": False,
    }
    assert (row["action"], row["matchType"], row["disableRewrite"]) == ("permit", "domain", True)


async def test_an_existing_entry_is_a_clear_error_row_and_is_not_made_twice(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    before = len(_entries(sim))
    row = {"u": URL, "c": ""}
    [(_, first)] = await run(
        "block_url", [row], connection=connection, window=window, settings=SETTINGS
    )
    [(_, again)] = await run(
        "block_url", [row], connection=connection, window=window, settings=SETTINGS
    )
    [(_, permit)] = await run(
        "permit_url", [row], connection=connection, window=window, settings=SETTINGS
    )
    assert first["has_error"] is False
    assert_error_row(again, "is already a managed URL", "delete it first")
    assert_error_row(permit, "is already a managed URL")
    assert len(_entries(sim)) == before + 1


async def test_bad_urls_are_error_rows_and_nothing_is_sent(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    output = await run(
        "block_url",
        [{"u": f"{URL}#top"}, {"u": "ftp://files.example.net/x"}, {"u": "no dots"}, {"u": ""}],
        connection=connection,
        window=window,
        settings={"url": "{{ u }}"},
    )
    assert_error_row(output[0][1], "has a fragment")
    assert_error_row(output[1][1], "is not an http or https URL or a domain")
    assert_error_row(output[2][1], "is not an http or https URL or a domain")
    assert_error_row(output[3][1], "URL is required")
    assert sim.requests(CREATE) == []


async def test_block_is_not_sent_again_when_the_connection_drops_after_mimecast_acted(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    before = len(_entries(sim))
    sim.faults([{"kind": "drop_after", "path": CREATE, "count": 1}])
    [(_, row)] = await run(
        "block_url", [{"u": URL, "c": ""}], connection=connection, window=window, settings=SETTINGS
    )
    assert_error_row(row)
    assert len(sim.requests(CREATE)) == 1
    assert len(_entries(sim)) == before + 1


async def test_the_account_limit_is_an_error_row_with_mimecast_code(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    sim.faults(
        [{"kind": "fail", "path": CREATE, "code": "err_managed_url_limit_reached", "count": 1}]
    )
    [(_, row)] = await run(
        "permit_url", [{"u": URL, "c": ""}], connection=connection, window=window, settings=SETTINGS
    )
    assert_error_row(row, "err_managed_url_limit_reached")


async def test_list_gives_every_entry_and_filters(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    everything = await run(
        "list_managed_urls", [{"lhub_id": 3}], connection=connection, window=window
    )
    assert sorted(row["id"] for _, row in everything) == sorted(sim.sim.world.managed_urls)
    assert {lhub_id for lhub_id, _ in everything} == {3}
    domain = next(e for e in _entries(sim) if e["matchType"] == "domain")["domain"]
    filtered = await run(
        "list_managed_urls",
        [{"d": domain}],
        connection=connection,
        window=window,
        settings={"url_filter": "{{ d }}", "exact_match": "true"},
    )
    assert filtered
    assert all(row["domain"] == domain for _, row in filtered)
    [(_, none)] = await run(
        "list_managed_urls",
        [{"d": "nothing-like-this.example"}],
        connection=connection,
        window=window,
        settings={"url_filter": "{{ d }}"},
    )
    assert none["noResults"] == "no results returned"
    sent = [body["data"] for body in sim.bodies(LIST)]
    assert sent[0] == []
    assert [{"domainOrUrl": domain, "exactMatch": True}] in sent


@pytest.fixture(scope="module")
def small_pages() -> Iterator[SimServer]:
    with SimServer(SimConfig(seed=5, max_page_size={LIST: 5})) as server:
        yield server


async def test_list_follows_next_page_after_page(small_pages: SimServer) -> None:
    admin = SimAdmin(small_pages)
    admin.reset()
    rows = await run(
        "list_managed_urls",
        [{}],
        connection=Connection.from_mapping(small_pages.connection()),
        window=BatchWindow.last_hours(1),
    )
    assert len(rows) == len(admin.sim.world.managed_urls) == 12
    assert len({row["id"] for _, row in rows}) == 12
    assert len(admin.requests(LIST)) == 3


async def test_delete_by_id_and_by_exact_url_undo_block_url(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    made = await run(
        "block_url",
        [{"u": URL, "c": ""}, {"u": "https://evil.example.net/a", "c": ""}],
        connection=connection,
        window=window,
        settings=SETTINGS,
    )
    ids = [row["id"] for _, row in made]
    output = await run(
        "delete_managed_url",
        [{"v": ids[0]}, {"v": "HTTPS://Evil.Example.net/a/"}],
        connection=connection,
        window=window,
        settings={"url_or_id": "{{ v }}"},
        concurrency=1,
    )
    assert [row["id"] for _, row in output] == ids
    assert all(row["deleted"] is True for _, row in output)
    assert not set(ids) & set(sim.sim.world.managed_urls)
    assert sim.bodies(DELETE) == [{"data": [{"id": i}]} for i in ids]
    assert [body["data"] for body in sim.bodies(LIST)] == [
        [{"domainOrUrl": "HTTPS://Evil.Example.net/a/", "exactMatch": True}]
    ]


async def test_delete_refuses_a_url_with_no_entry_or_several_and_reports_unknown_ids(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    for url, match_type in (
        ("https://evil.example.net/", "explicit"),
        ("evil.example.net", "domain"),
    ):
        await run(
            "block_url",
            [{"u": url}],
            connection=connection,
            window=window,
            settings={"url": "{{ u }}", "match_type": match_type},
        )
    before = dict(sim.sim.world.managed_urls)
    output = await run(
        "delete_managed_url",
        [{"v": "evil.example.net"}, {"v": "https://other.example.net/x"}, {"v": "eNoGone"}],
        connection=connection,
        window=window,
        settings={"url_or_id": "{{ v }}"},
    )
    assert_error_row(output[0][1], "2 managed URLs match", "give the id")
    assert_error_row(output[1][1], "No managed URL is exactly", "nothing was deleted")
    assert_error_row(output[2][1], "err_managed_url_not_found")
    assert sim.sim.world.managed_urls == before
    assert sim.bodies(DELETE) == [{"data": [{"id": "eNoGone"}]}]


async def test_block_list_and_delete_over_api2(
    sim: SimAdmin, oauth_connection: Connection, window: BatchWindow
) -> None:
    [(_, made)] = await run(
        "block_url",
        [{"u": URL, "c": ""}],
        connection=oauth_connection,
        window=window,
        settings=SETTINGS,
    )
    listed = await run(
        "list_managed_urls",
        [{"u": URL}],
        connection=oauth_connection,
        window=window,
        settings={"url_filter": "{{ u }}"},
    )
    [(_, gone)] = await run(
        "delete_managed_url",
        [{"u": URL}],
        connection=oauth_connection,
        window=window,
        settings={"url_or_id": "{{ u }}"},
    )
    assert [row["id"] for _, row in listed] == [made["id"]] == [gone["id"]]
    assert made["id"] not in sim.sim.world.managed_urls
