"""Find groups, Get group members, Add group member and its undo, Remove group member, over
loopback HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from integration_support import NO_RESULTS, assert_error_row, assert_flags_first, record, run

from mimecast_soar.actions import BatchWindow
from mimecast_soar.runtime.connection import Connection
from support.simadmin import SimAdmin

pytestmark = pytest.mark.anyio

FIND = "/api/directory/find-groups"
MEMBERS = "/api/directory/get-group-members"
ADD = "/api/directory/add-group-member"


def folders(sim: SimAdmin, source: str, query: str = "") -> list[dict[str, Any]]:
    """The oracle: the groups of `source` whose name contains `query`, as find-groups lists them."""
    return [
        g.folder()
        for g in sim.sim.world.groups
        if g.source == source and query.lower() in g.description.lower()
    ]


def members(sim: SimAdmin, name: str) -> list[dict[str, Any]]:
    """The oracle: the members of the group named `name`, in Mimecast's order."""
    group = sim.sim.world.group(sim.sim.group_id(name))
    return list(group.members.values())


# --- Find groups -----------------------------------------------------------------------------


async def test_find_groups_sends_source_without_query_and_gives_one_row_per_group(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    result = await run("find_groups", [{"lhub_id": 4}], connection=connection, window=window)

    assert sim.bodies(FIND) == [
        {"meta": {"pagination": {"pageSize": 100}}, "data": [{"source": "cloud"}]}
    ]
    expected = folders(sim, "cloud")
    assert [f["description"] for f in expected][:3] == [
        "Blocked Senders",
        "Permitted Senders",
        "VIP",
    ]
    assert result.output == [(4, record(f)) for f in expected]
    assert_flags_first(result.rows[0])
    assert result.notices == []


async def test_find_groups_sends_query_and_source_and_rows_are_correlated_per_input_row(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    rows = [
        {"lhub_id": "senders", "q": "Senders"},
        {"lhub_id": "none", "q": "no such group"},
        {"lhub_id": "all", "q": ""},
    ]
    result = await run(
        "find_groups",
        rows,
        connection=connection,
        window=window,
        settings={"query": "{{ q }}", "source": "LDAP"},
        concurrency=3,
    )

    sent = sorted((b["data"][0].get("query", ""), b["data"][0]["source"]) for b in sim.bodies(FIND))
    assert sent == [("", "ldap"), ("Senders", "ldap"), ("no such group", "ldap")]
    ldap = folders(sim, "ldap")
    assert [f["description"] for f in ldap] == ["All Staff", "Sales EMEA"]
    assert result.output == [
        ("senders", NO_RESULTS),
        ("none", NO_RESULTS),
        *[("all", record(f)) for f in ldap],
    ]


async def test_find_groups_query_matches_part_of_the_group_name(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    result = await run(
        "find_groups",
        [{"lhub_id": 1}],
        connection=connection,
        window=window,
        settings={"query": "senders"},
    )

    assert sim.bodies(FIND)[0]["data"] == [{"source": "cloud", "query": "senders"}]
    assert [r["description"] for r in result.rows] == ["Blocked Senders", "Permitted Senders"]
    assert result.rows == [record(f) for f in folders(sim, "cloud", "senders")]
    assert result.rows[0]["userCount"] == 15
    assert result.rows[1]["userCount"] == 10


async def test_find_groups_page_size_caps_the_groups_and_emits_a_notice(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    result = await run(
        "find_groups",
        [{"lhub_id": 1}],
        connection=connection,
        window=window,
        settings={"page_size": "3"},
    )

    assert result.rows == [record(f) for f in folders(sim, "cloud")[:3]]
    assert sim.bodies(FIND)[0]["meta"] == {"pagination": {"pageSize": 3}}
    [notice] = result.notices
    assert "Find groups" in notice
    assert "3" in notice


async def test_find_groups_bad_page_size_or_source_is_an_error_row_before_any_call(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    bad_size = await run(
        "find_groups",
        [{"lhub_id": 1, "n": "ten"}, {"lhub_id": 2, "n": "-1"}],
        connection=connection,
        window=window,
        settings={"page_size": "{{ n }}"},
    )
    assert_error_row(bad_size.rows[0], "Page Size", "whole number", "ten")
    assert_error_row(bad_size.rows[1], "Page Size", "at least 1")

    bad_source = await run(
        "find_groups",
        [{"lhub_id": 1}],
        connection=connection,
        window=window,
        settings={"source": "azure"},
    )
    assert_error_row(bad_source.only, "Source", "cloud, ldap", "azure")
    assert sim.requests() == []


# --- Get group members -----------------------------------------------------------------------


async def test_group_members_follow_next_across_three_pages_of_the_vip_group(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    vip = sim.sim.group_id("VIP")
    result = await run(
        "get_group_members",
        [{"lhub_id": 1, "gid": vip}],
        connection=connection,
        window=window,
        settings={"group_id": "{{ gid }}"},
    )

    bodies = sim.bodies(MEMBERS)
    assert len(bodies) == 3
    assert bodies[0] == {"meta": {"pagination": {"pageSize": 100}}, "data": [{"id": vip}]}
    for body in bodies[1:]:
        assert body["data"] == [{"id": vip}]
        assert body["meta"]["pagination"]["pageSize"] == 100
        assert body["meta"]["pagination"]["pageToken"]
    tokens = [b["meta"]["pagination"]["pageToken"] for b in bodies[1:]]
    assert len(set(tokens)) == 2
    assert len(result.rows) == 250
    assert result.rows == [record(m) for m in members(sim, "VIP")]
    assert set(result.ids) == {1}
    assert result.notices == []


async def test_group_members_query_keeps_members_matching_address_domain_or_name(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    blocked = sim.sim.group_id("Blocked Senders")
    rows = [
        {"lhub_id": "domain", "gid": blocked, "q": "EXAMPLE.NET"},
        {"lhub_id": "nobody", "gid": blocked, "q": "zzz-nobody"},
        {"lhub_id": "all", "gid": blocked, "q": ""},
    ]
    result = await run(
        "get_group_members",
        rows,
        connection=connection,
        window=window,
        settings={"group_id": "{{ gid }}", "query": "{{ q }}"},
        concurrency=3,
    )

    everyone = members(sim, "Blocked Senders")
    assert len(everyone) == 15
    matching = [
        m
        for m in everyone
        if any("example.net" in str(m[k] or "").lower() for k in ("emailAddress", "domain", "name"))
    ]
    assert 0 < len(matching) < 15
    assert result.rows_for("domain") == [record(m) for m in matching]
    assert result.rows_for("nobody") == [NO_RESULTS]
    assert result.rows_for("all") == [record(m) for m in everyone]
    assert result.ids == ["domain"] * len(matching) + ["nobody"] + ["all"] * 15
    assert all(b["data"] == [{"id": blocked}] for b in sim.bodies(MEMBERS)), "query stays local"


async def test_group_members_unknown_group_is_an_error_row_with_mimecast_code(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    rows = [{"lhub_id": 1, "gid": "eNoNoSuchGroup"}, {"lhub_id": 2, "gid": ""}]
    result = await run(
        "get_group_members",
        rows,
        connection=connection,
        window=window,
        settings={"group_id": "{{ gid }}"},
    )

    assert result.ids == [1, 2]
    assert_error_row(result.rows[0], "err_folder_not_found", "eNoNoSuchGroup")
    assert_error_row(result.rows[1], "ID is required", "rendered empty")
    assert sim.bodies(MEMBERS) == [
        {"meta": {"pagination": {"pageSize": 100}}, "data": [{"id": "eNoNoSuchGroup"}]}
    ]


# --- Add group member ------------------------------------------------------------------------


async def test_add_member_sends_email_address_or_domain_and_returns_the_raw_response(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    group = sim.sim.group_id("Permitted Senders")
    rows = [
        {"lhub_id": "addr", "who": " new.person@Example.org "},
        {"lhub_id": "dom", "who": "Partner.Example.COM."},
    ]
    result = await run(
        "add_group_member",
        rows,
        connection=connection,
        window=window,
        settings={"group_id": group, "email_address": "{{ who }}"},
        concurrency=1,
    )

    assert sim.bodies(ADD) == [
        {"data": [{"id": group, "emailAddress": "new.person@Example.org"}]},
        {"data": [{"id": group, "domain": "partner.example.com"}]},
    ]
    assert result.ids == ["addr", "dom"]
    addr, dom = result.rows
    for row in (addr, dom):
        assert list(row) == ["has_error", "error", "meta", "data", "fail"]
        assert (row["has_error"], row["error"], row["fail"]) == (False, None, [])
        assert row["meta"] == {"status": 200}
    [added] = addr["data"]
    assert (added["folderId"], added["emailAddress"]) == (group, "new.person@example.org")
    assert dom["data"][0]["domain"] == "partner.example.com"
    assert sim.state()["group_members"]["Permitted Senders"] == 12


async def test_added_member_appears_in_get_group_members(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    group = sim.sim.group_id("Executives")
    added = await run(
        "add_group_member",
        [{"lhub_id": 1}],
        connection=connection,
        window=window,
        settings={"group_id": group, "email_address": "ciso@example.com"},
    )
    assert added.only["has_error"] is False

    listing = await run(
        "get_group_members",
        [{"lhub_id": 1}],
        connection=connection,
        window=window,
        settings={"group_id": group, "query": "ciso@"},
    )
    assert listing.rows == [
        record(
            {
                "emailAddress": "ciso@example.com",
                "domain": "example.com",
                "internal": True,
                "type": "created_manually",
                "name": None,
            }
        )
    ]


async def test_add_member_duplicate_gives_a_raw_row_with_has_error_and_fail(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    group = sim.sim.group_id("Blocked Senders")
    existing = next(m["emailAddress"] for m in members(sim, "Blocked Senders") if m["emailAddress"])
    result = await run(
        "add_group_member",
        [{"lhub_id": 9}],
        connection=connection,
        window=window,
        settings={"group_id": group, "email_address": existing},
    )

    row = result.only
    assert list(row) == ["has_error", "error", "meta", "data", "fail"]
    assert_error_row(row, "err_folder_group_member_already_exists")
    assert row["data"] == []
    assert row["fail"] == [
        {
            "key": {"id": group, "emailAddress": existing},
            "errors": [
                {
                    "code": "err_folder_group_member_already_exists",
                    "message": "Group member already exists",
                    "retryable": False,
                }
            ],
        }
    ]
    assert sim.state()["group_members"]["Blocked Senders"] == 15


async def test_add_member_invalid_address_or_not_a_domain_is_an_error_row_before_any_call(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    group = sim.sim.group_id("VIP")
    rows = [
        {"lhub_id": 1, "who": "bob@@example.com"},
        {"lhub_id": 2, "who": "bob@localhost"},
        {"lhub_id": 3, "who": "not a domain"},
        {"lhub_id": 4, "who": "intranet"},
        {"lhub_id": 5, "who": "10.0.0.1"},
        {"lhub_id": 6, "who": ""},
    ]
    result = await run(
        "add_group_member",
        rows,
        connection=connection,
        window=window,
        settings={"group_id": group, "email_address": "{{ who }}"},
    )

    assert result.ids == [1, 2, 3, 4, 5, 6]
    assert_error_row(result.rows[0], "'bob@@example.com'", "not a valid email address")
    assert_error_row(result.rows[1], "'bob@localhost'", "not a valid email address")
    assert_error_row(result.rows[2], "'not a domain'", "neither an email address nor a domain")
    assert_error_row(result.rows[3], "'intranet'", "neither an email address nor a domain")
    assert_error_row(result.rows[4], "'10.0.0.1'", "neither an email address nor a domain")
    assert_error_row(result.rows[5], "Email Address", "rendered empty")
    assert sim.requests() == []
    assert sim.state()["group_members"]["VIP"] == 250


async def test_group_members_failure_on_a_later_page_keeps_earlier_rows_then_an_error_row(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    sim.faults(
        [
            {
                "kind": "fail",
                "path": MEMBERS,
                "after": 1,
                "count": 1,
                "code": "err_simulated_outage",
                "message": "Directory unavailable",
            }
        ]
    )
    vip, execs = sim.sim.group_id("VIP"), sim.sim.group_id("Executives")
    result = await run(
        "get_group_members",
        [{"lhub_id": "vip", "gid": vip}, {"lhub_id": "execs", "gid": execs}],
        connection=connection,
        window=window,
        settings={"group_id": "{{ gid }}"},
        concurrency=1,
    )

    vip_rows = result.rows_for("vip")
    assert vip_rows[:100] == [record(m) for m in members(sim, "VIP")[:100]]
    assert len(vip_rows) == 101
    assert_error_row(vip_rows[100], "err_simulated_outage", "Directory unavailable")
    assert result.rows_for("execs") == [record(m) for m in members(sim, "Executives")]
    assert result.ids == ["vip"] * 101 + ["execs"] * 9


async def test_add_member_address_with_trailing_dot_is_an_error_row_before_any_call(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    result = await run(
        "add_group_member",
        [{"lhub_id": 1}],
        connection=connection,
        window=window,
        settings={"group_id": sim.sim.group_id("VIP"), "email_address": "bob@example.com."},
    )

    assert_error_row(result.only, "'bob@example.com.'", "not a valid email address")
    assert sim.requests() == []


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
