"""Directory groups: create and update, seen by find-groups and get-group-members."""

from __future__ import annotations

import httpx
from respond_helpers import first_error
from sim_helpers import Api

CREATE = "/api/directory/create-group"
UPDATE = "/api/directory/update-group"
FIND = "/api/directory/find-groups"
MEMBERS = "/api/directory/get-group-members"
ADD = "/api/directory/add-group-member"


def _find(api: Api, query: str) -> list[dict[str, object]]:
    return list(api.ok(FIND, {"data": [{"query": query}]})["data"][0]["folders"])


def test_created_group_is_found_and_takes_members(api: Api, client: httpx.Client) -> None:
    created = api.ok(CREATE, {"data": [{"description": "Incident 42 recipients"}]})["data"][0]
    assert created["description"] == "Incident 42 recipients"
    assert created["source"] == "cloud"
    assert created["userCount"] == 0
    assert created["folderCount"] == 0
    root = _find(api, "VIP")[0]["parentId"]
    assert created["parentId"] == root
    assert _find(api, "Incident 42") == [created]
    api.ok(ADD, {"data": [{"id": created["id"], "emailAddress": "a.b@example.com"}]})
    members = api.ok(MEMBERS, {"data": [{"id": created["id"]}]})["data"][0]["groupMembers"]
    assert [m["emailAddress"] for m in members] == ["a.b@example.com"]
    state = client.get("/_sim/state").json()
    assert state["group_members"]["Incident 42 recipients"] == 1


def test_create_under_a_parent_and_several_per_call(api: Api) -> None:
    parent = _find(api, "Finance Team")[0]
    items = [{"description": "Payables", "parentId": parent["id"]}, {"description": "Receivables"}]
    created = api.ok(CREATE, {"data": items})["data"]
    assert [g["parentId"] == parent["id"] for g in created] == [True, False]


def test_update_renames_and_moves(api: Api) -> None:
    group = api.ok(CREATE, {"data": [{"description": "Old name"}]})["data"][0]
    parent = _find(api, "Executives")[0]
    item = {"id": group["id"], "description": "New name", "parentId": parent["id"]}
    updated = api.ok(UPDATE, {"data": [item]})["data"][0]
    assert updated == {**group, "description": "New name", "parentId": parent["id"]}
    assert _find(api, "Old name") == []
    assert _find(api, "New name") == [updated]
    renamed_only = api.ok(UPDATE, {"data": [{"id": group["id"], "description": "Newer"}]})
    assert renamed_only["data"][0]["parentId"] == parent["id"]


def test_group_failures(api: Api) -> None:
    assert first_error(api.post(CREATE, {"data": [{}]}).json())["field"] == "description"
    bad_parent = api.post(CREATE, {"data": [{"description": "x", "parentId": "eNoNope"}]}).json()
    assert first_error(bad_parent)["code"] == "err_folder_not_found"
    eleven = api.post(CREATE, {"data": [{"description": f"g{n}"} for n in range(11)]}).json()
    assert eleven["data"] == []
    assert eleven["fail"]
    unknown = api.post(UPDATE, {"data": [{"id": "eNoNope", "description": "x"}]}).json()
    assert first_error(unknown)["code"] == "err_folder_not_found"
    outer = api.ok(CREATE, {"data": [{"description": "Outer"}]})["data"][0]
    inner = api.ok(CREATE, {"data": [{"description": "Inner", "parentId": outer["id"]}]})["data"][0]
    cycle = api.post(UPDATE, {"data": [{"id": outer["id"], "parentId": inner["id"]}]}).json()
    assert first_error(cycle)["field"] == "parentId"
    blank = api.post(UPDATE, {"data": [{"id": outer["id"], "description": " "}]}).json()
    assert first_error(blank)["code"] == "err_validation_blank"
    assert _find(api, "g1") == []


def test_reset_forgets_created_groups(api: Api, client: httpx.Client) -> None:
    api.ok(CREATE, {"data": [{"description": "Temporary"}]})
    client.post("/_sim/reset")
    assert _find(api, "Temporary") == []
