"""Managed URLs: create (block / permit), list with filters and paging, delete."""

from __future__ import annotations

from typing import Any

import httpx
from respond_helpers import first_error, twin
from sim_helpers import Api, body_with_page

from mimecast_soar.sim import SimServer

CREATE = "/api/ttp/url/create-managed-url"
LIST = "/api/ttp/url/get-all-managed-urls"
DELETE = "/api/ttp/url/delete-managed-url"
SEEDED = 12


def _all(api: Api, item: dict[str, Any] | None = None, size: int = 100) -> list[dict[str, Any]]:
    entries, token = [], None
    while True:
        body = api.ok(LIST, body_with_page(item, size, token))
        entries.extend(body["data"])
        token = body["meta"]["pagination"].get("next")
        if not token:
            return entries


def test_block_is_created_listed_and_deleted(api: Api, client: httpx.Client) -> None:
    item = {"url": "https://evil.example.net:8443/login?x=1", "action": "block", "comment": "c"}
    entry = api.ok(CREATE, {"data": [item]})["data"][0]
    assert entry["id"]
    assert {k: entry[k] for k in ("scheme", "domain", "port", "path", "queryString")} == {
        "scheme": "https",
        "domain": "evil.example.net",
        "port": 8443,
        "path": "/login",
        "queryString": "x=1",
    }
    assert entry["matchType"] == "explicit"
    assert entry["action"] == "block"
    assert entry["comment"] == "c"
    assert (
        entry["disableRewrite"]
        is entry["disableUserAwareness"]
        is entry["disableLogClick"]
        is False
    )
    assert client.get("/_sim/state").json()["managed_urls"] == SEEDED + 1
    exact = {"domainOrUrl": "https://evil.example.net:8443/login?x=1", "exactMatch": True}
    assert [e["id"] for e in _all(api, exact)] == [entry["id"]]
    deleted = api.post(DELETE, {"data": [{"id": entry["id"]}]}).json()
    assert deleted == {"meta": {"status": 200}, "data": [], "fail": []}
    assert _all(api, exact) == []
    assert client.get("/_sim/state").json()["managed_urls"] == SEEDED


def test_permit_with_flags_and_domain_match(api: Api) -> None:
    item = {
        "url": "partner.example.org",
        "action": "permit",
        "matchType": "domain",
        "disableRewrite": "true",
        "disableUserAwareness": True,
        "disableLogClick": False,
    }
    entry = api.ok(CREATE, {"data": [item]})["data"][0]
    assert entry["matchType"] == "domain"
    assert entry["domain"] == "partner.example.org"
    assert entry["port"] == -1
    assert entry["scheme"] == ""
    assert entry["disableRewrite"] is True
    assert entry["disableUserAwareness"] is True


def test_existing_entry_is_refused_never_duplicated(api: Api) -> None:
    item = {"url": "https://dup.example.net/a", "action": "block"}
    api.ok(CREATE, {"data": [item]})
    for again in (
        item,
        {**item, "action": "permit"},
        {**item, "url": "https://DUP.example.net/a/"},
    ):
        body = api.post(CREATE, {"data": [again]}).json()
        assert body["data"] == []
        assert first_error(body)["code"] == "err_managed_url_exists_code"
        assert body["fail"][0]["key"] == {**again, "overrideUrl": False}
    assert len(_all(api, {"domainOrUrl": "dup.example.net"})) == 1


def test_bad_input_is_refused(api: Api) -> None:
    cases = [
        ({"url": "https://x.example.net/a#frag", "action": "block"}, "url"),
        ({"url": "not a url", "action": "block"}, "url"),
        ({"action": "block"}, "url"),
        ({"url": "https://x.example.net/", "action": "allow"}, "action"),
        ({"url": "https://x.example.net/", "action": "block", "matchType": "regex"}, "matchType"),
        (
            {"url": "https://x.example.net/", "action": "block", "disableRewrite": True},
            "disableRewrite",
        ),
        (
            {"url": "https://x.example.net/", "action": "permit", "disableLogClick": "maybe"},
            "disableLogClick",
        ),
    ]
    for item, field in cases:
        body = api.post(CREATE, {"data": [item]}).json()
        assert body["data"] == [], item
        assert first_error(body)["field"] == field, item
    assert len(_all(api)) == SEEDED


def test_list_filters_partial_and_exact_and_pages(api: Api) -> None:
    everything = _all(api)
    assert len(everything) == SEEDED
    paged = _all(api, None, size=5)
    assert [e["id"] for e in paged] == [e["id"] for e in everything]
    first = api.ok(LIST, body_with_page(None, 5))
    assert first["meta"]["pagination"]["pageSize"] == 5
    blocked_domain = next(e for e in everything if e["matchType"] == "domain")
    partial = _all(api, {"domainOrUrl": blocked_domain["domain"]})
    assert blocked_domain in partial
    exact = _all(api, {"domainOrUrl": blocked_domain["domain"], "exactMatch": True})
    assert exact == [blocked_domain]
    assert _all(api, {"domainOrUrl": "nothing-like-this"}) == []


def test_delete_unknown_id_has_no_key(api: Api) -> None:
    body = api.post(DELETE, {"data": [{"id": "eNoMissing"}]}).json()
    assert body["fail"] == [
        {
            "errors": [
                {
                    "code": "err_managed_url_not_found",
                    "message": "Managed URL not found",
                    "retryable": False,
                }
            ]
        }
    ]
    missing = api.post(DELETE, {"data": [{}]}).json()
    assert first_error(missing)["code"] == "err_validation_null"


def test_account_limit(server: SimServer) -> None:
    with twin(server, managed_url_limit=SEEDED + 1) as other:
        other.ok(CREATE, {"data": [{"url": "https://one.example.net/", "action": "block"}]})
        body = other.post(
            CREATE, {"data": [{"url": "https://two.example.net/", "action": "block"}]}
        )
        assert first_error(body.json())["code"] == "err_managed_url_limit_reached"


def test_same_seed_same_entries(api: Api, server: SimServer) -> None:
    with twin(server) as other:
        assert _all(other) == _all(api)
