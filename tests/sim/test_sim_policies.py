"""Blocked-sender policies and managed senders."""

from __future__ import annotations

from sim_helpers import Api, body_with_page

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


def _create_many(api: Api, count: int) -> None:
    items = [
        {
            "option": "block_sender",
            "policy": {
                "description": f"Block sender {n}",
                "fromType": "individual_email_address",
                "fromValue": f"sender{n}@example.net",
                "toType": "everyone",
            },
        }
        for n in range(count)
    ]
    assert len(api.ok(CREATE, {"data": items})["data"]) == count


def test_a_policy_list_that_fits_one_page_answers_as_documented_without_pagination(
    api: Api,
) -> None:
    _create_many(api, 20)  # 22 policies: within the default page of 25

    body = api.ok(GET, {"data": []})

    assert body["meta"] == {"status": 200}
    assert len(body["data"]) == 22


def test_many_policies_page_by_default_and_the_last_page_leads_to_an_empty_one(api: Api) -> None:
    _create_many(api, 28)  # 30 policies: more than the default page of 25

    first = api.ok(GET, {"data": []})
    assert len(first["data"]) == 25
    assert first["meta"]["pagination"]["totalCount"] == 30
    token = first["meta"]["pagination"]["next"]
    second = api.ok(GET, body_with_page(None, 25, token))
    assert len(second["data"]) == 5
    # The last-page quirk: the last page with records still offers `next`, to an empty page.
    last = api.ok(GET, body_with_page(None, 25, second["meta"]["pagination"]["next"]))
    assert last["data"] == []
    assert "next" not in last["meta"]["pagination"]
    ids = [policy["id"] for policy in first["data"] + second["data"]]
    assert len(set(ids)) == 30


def test_a_policy_page_size_is_honoured_up_to_the_page_limit(api: Api) -> None:
    _create_many(api, 120)  # 122 policies

    asked_ten = api.ok(GET, body_with_page(None, 10))
    asked_more_than_the_limit = api.ok(GET, body_with_page(None, 500))

    assert len(asked_ten["data"]) == 10
    assert len(asked_more_than_the_limit["data"]) == 100
    assert "next" in asked_more_than_the_limit["meta"]["pagination"]
