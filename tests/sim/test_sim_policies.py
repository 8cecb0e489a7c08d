"""Blocked-sender policies and managed senders."""

from __future__ import annotations

from sim_helpers import Api

CREATE = "/api/policy/blockedsenders/create-policy"
GET = "/api/policy/blockedsenders/get-policy"
DELETE = "/api/policy/blockedsenders/delete-policy"


def test_seeded_policies_are_listed(api: Api) -> None:
    policies = api.ok(GET, {"data": []})["data"]
    assert len(policies) == 2
    assert {p["option"] for p in policies} == {"block_sender"}


def test_create_flat_policy_echoes_both_forms_and_defaults(api: Api) -> None:
    policy = {
        "description": "Block fraud",
        "fromPart": "header_from",
        "fromType": "individual_email_address",
        "fromValue": "bad@example.net",
        "toType": "everyone",
    }
    created = api.ok(CREATE, {"data": [{"option": "block_sender", "policy": policy}]})["data"][0]
    echoed = created["policy"]
    assert created["option"] == "block_sender"
    assert created["id"].startswith("eNo")
    assert echoed["from"] == {"type": "individual_email_address", "emailAddress": "bad@example.net"}
    assert echoed["fromType"] == "individual_email_address"
    assert echoed["fromValue"] == "bad@example.net"
    assert echoed["to"] == {"type": "everyone"}
    assert echoed["toType"] == "everyone"
    assert echoed["fromDate"] == "1900-01-01T00:00:00+0000"
    assert echoed["toDate"] == "2100-01-01T23:59:59+0000"
    assert echoed["fromEternal"] is True
    assert echoed["enabled"] is True
    assert echoed["enforced"] is False
    assert echoed["conditions"] == {}
    assert echoed["createTime"].endswith("+0000")
    listed = api.ok(GET, {"data": [{"id": created["id"]}]})["data"]
    assert listed == [created]
    assert len(api.ok(GET, {"data": []})["data"]) == 3


def test_create_nested_policy(api: Api) -> None:
    policy = {
        "description": "Nested",
        "from": {"type": "email_domain", "emailDomain": "example.net"},
        "to": {"type": "internal_addresses"},
        "conditions": {"sourceIPs": ["192.0.2.0/24"]},
    }
    created = api.ok(CREATE, {"data": [{"option": "no_action", "policy": policy}]})["data"][0]
    assert created["policy"]["fromType"] == "email_domain"
    assert created["policy"]["fromValue"] == "example.net"
    assert created["policy"]["conditions"] == {"sourceIPs": ["192.0.2.0/24"]}


def test_create_policy_validation(api: Api) -> None:
    no_description = {
        "option": "block_sender",
        "policy": {"fromType": "everyone", "toType": "everyone"},
    }
    body = api.post(CREATE, {"data": [no_description]}).json()
    assert body["data"] == []
    assert body["fail"][0]["errors"][0]["field"] == "description"
    bad_type = {
        "option": "block_sender",
        "policy": {"description": "x", "fromType": "aliens", "toType": "everyone"},
    }
    assert (
        api.post(CREATE, {"data": [bad_type]}).json()["fail"][0]["errors"][0]["field"] == "fromType"
    )


def test_get_unknown_and_delete(api: Api) -> None:
    unknown = api.post(GET, {"data": [{"id": "eNoNope"}]}).json()
    assert unknown["data"] == []
    assert unknown["fail"][0]["errors"][0]["code"] == "err_policy_not_found"
    policy_id = api.ok(GET, {"data": []})["data"][0]["id"]
    deleted = api.ok(DELETE, {"data": [{"id": policy_id}]})
    assert deleted["meta"]["status"] == 200
    assert policy_id not in {p["id"] for p in api.ok(GET, {"data": []})["data"]}
    gone = api.ok(DELETE, {"data": [{"id": policy_id}]})
    assert gone["meta"]["status"] == 404  # the captured quirk: 404 in meta, empty fail[]


def test_permit_or_block_sender(api: Api) -> None:
    path = "/api/managedsender/permit-or-block-sender"
    item = {"sender": "spam@example.net", "to": "alice.adams@example.com", "action": "block"}
    entry = api.ok(path, {"data": [item]})["data"][0]
    assert entry["sender"] == "spam@example.net"
    assert entry["type"] == "block"
    assert entry["id"]
    bad = api.post(path, {"data": [{**item, "sender": "nope"}]}).json()
    assert bad["fail"][0]["errors"][0] == {
        "code": "err_validation_invalid_email_address",
        "message": "Email address is not valid",
        "retryable": False,
        "field": "sender",
    }
    assert api.client.get("/_sim/state").json()["managed_senders"] == 1
