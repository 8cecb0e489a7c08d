"""Anti-spoofing SPF bypass policies: create, get (by id, paged), update, delete."""

from __future__ import annotations

from typing import Any

import httpx
from respond_helpers import first_error, twin
from sim_helpers import Api, body_with_page

from mimecast_soar.sim import SimServer

BASE = "/api/policy/antispoofing-bypass"
CREATE, GET, UPDATE, DELETE = (
    f"{BASE}/{name}-policy" for name in ("create", "get", "update", "delete")
)
SEEDED = 2


def _policy(description: str = "Bypass mailer", **extra: Any) -> dict[str, Any]:
    return {
        "option": "enable_bypass",
        "policy": {
            "description": description,
            "conditions": {"spfDomains": ["mailer.example.net"]},
            **extra,
        },
    }


def _all(api: Api, size: int = 100) -> list[dict[str, Any]]:
    policies, token = [], None
    while True:
        body = api.ok(GET, body_with_page(None, size, token))
        policies.extend(body["data"])
        token = body["meta"]["pagination"].get("next")
        if not token:
            return policies


def test_create_like_xsoar_gets_defaults(api: Api, client: httpx.Client) -> None:
    created = api.ok(CREATE, {"data": [_policy()]})["data"][0]
    policy = created["policy"]
    assert created["option"] == "enable_bypass"
    assert created["id"]
    assert policy["from"] == {"type": "everyone"}
    assert policy["to"] == {"type": "everyone"}
    assert policy["fromEternal"] is True
    assert policy["toEternal"] is True
    assert policy["enabled"] is True
    assert policy["enforced"] is False
    assert policy["conditions"] == {"spfDomains": ["mailer.example.net"]}
    assert api.ok(GET, {"data": [{"id": created["id"]}]})["data"] == [created]
    assert client.get("/_sim/state").json()["antispoofing_bypass_policies"] == SEEDED + 1


def test_full_policy_echoes_both_forms(api: Api) -> None:
    item = _policy(
        fromPart="both",
        **{
            "from": {"type": "email_domain", "emailDomain": "mailer.example.net"},
            "to": {"type": "internal_addresses"},
            "fromDate": "2030-01-01T00:00:00+0000",
        },
    )
    item["policy"]["conditions"]["sourceIPs"] = ["192.0.2.0/24"]
    policy = api.ok(CREATE, {"data": [item]})["data"][0]["policy"]
    assert policy["fromType"] == "email_domain"
    assert policy["fromValue"] == "mailer.example.net"
    assert policy["fromEternal"] is False
    assert policy["fromDate"] == "2030-01-01T00:00:00+0000"
    assert policy["conditions"]["sourceIPs"] == ["192.0.2.0/24"]


def test_invalid_policies_are_refused(api: Api) -> None:
    cases = [
        ({"policy": {"description": "x"}}, "option"),
        ({"option": "block_sender", "policy": {"description": "x"}}, "option"),
        ({"option": "enable_bypass"}, "policy"),
        ({"option": "enable_bypass", "policy": "not an object"}, "policy"),
        ({"option": "enable_bypass", "policy": {}}, "description"),
        (_policy(**{"from": {"type": "free_mail_domains"}}), "fromType"),
        (_policy(**{"from": {"type": "email_domain"}}), "fromValue"),
        (_policy(**{"to": "everyone"}), "to"),
        (_policy(fromDate="someday"), "fromDate"),
        (_policy(enabled="yes"), "enabled"),
        (_policy(conditions={"spfDomains": "mailer.example.net"}), "spfDomains"),
        (_policy(conditions={"spfDomains": ["not a domain"]}), "spfDomains"),
        (_policy(conditions={"sourceIPs": ["300.1.1.1"]}), "sourceIPs"),
    ]
    for item, field in cases:
        body = api.post(CREATE, {"data": [item]}).json()
        assert body["data"] == [], item
        assert first_error(body)["field"] == field, item
    assert len(_all(api)) == SEEDED


def test_update_replaces_and_keeps_create_time(api: Api) -> None:
    created = api.ok(CREATE, {"data": [_policy()]})["data"][0]
    item = {"id": created["id"], **_policy("Renamed"), "option": "disable_bypass"}
    updated = api.ok(UPDATE, {"data": [item]})["data"][0]
    assert updated["id"] == created["id"]
    assert updated["option"] == "disable_bypass"
    assert updated["policy"]["description"] == "Renamed"
    assert updated["policy"]["createTime"] == created["policy"]["createTime"]
    assert api.ok(GET, {"data": [{"id": created["id"]}]})["data"] == [updated]


def test_update_failures(api: Api) -> None:
    unknown = api.post(UPDATE, {"data": [{"id": "eNoNope", **_policy()}]}).json()
    assert first_error(unknown)["code"] == "err_policy_not_found"
    two = api.post(UPDATE, {"data": [{"id": "a", **_policy()}, {"id": "b", **_policy()}]}).json()
    assert two["data"] == []
    assert first_error(two)["field"] == "data"
    created = api.ok(CREATE, {"data": [_policy()]})["data"][0]
    no_policy = api.post(
        UPDATE, {"data": [{"id": created["id"], "option": "enable_bypass"}]}
    ).json()
    assert first_error(no_policy)["field"] == "policy"


def test_list_pages_and_delete(api: Api) -> None:
    ids = [api.ok(CREATE, {"data": [_policy(f"p{n}")]})["data"][0]["id"] for n in range(5)]
    everything = _all(api)
    assert [p["id"] for p in _all(api, size=2)] == [p["id"] for p in everything]
    assert len(everything) == SEEDED + 5
    deleted = api.ok(DELETE, {"data": [{"id": ids[0]}, {"id": ids[1]}]})["data"]
    assert deleted == [{"id": ids[0]}, {"id": ids[1]}]
    again = api.post(DELETE, {"data": [{"id": ids[0]}, {"id": ids[2]}]}).json()
    assert again["data"] == [{"id": ids[2]}]
    assert first_error(again)["code"] == "err_policy_not_found"
    assert again["fail"][0]["key"] == {"id": ids[0]}
    missing = api.post(GET, {"data": [{"id": ids[0]}]}).json()
    assert first_error(missing)["code"] == "err_policy_not_found"
    assert api.post(DELETE, {"data": []}).json()["fail"]
    assert len(_all(api)) == SEEDED + 2


def test_same_seed_same_policies(api: Api, server: SimServer) -> None:
    with twin(server) as other:
        assert _all(other) == _all(api)
