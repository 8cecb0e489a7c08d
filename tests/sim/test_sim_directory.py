"""Directory groups: find, list members (paged), add, remove."""

from __future__ import annotations

from sim_helpers import Api, body_with_page

from mimecast_soar.sim import SimServer

MEMBERS = "/api/directory/get-group-members"
ADD = "/api/directory/add-group-member"
REMOVE = "/api/directory/remove-group-member"


def _members(api: Api, group_id: str) -> list[dict[str, object]]:
    members: list[dict[str, object]] = []
    token = None
    while True:
        item = {"id": group_id} if token is None else None
        body = api.ok(MEMBERS, body_with_page(item, 100, token))
        members.extend(body["data"][0]["groupMembers"])
        token = body["meta"]["pagination"].get("next")
        if token is None:
            return members


def test_find_groups_by_query_and_source(api: Api) -> None:
    data = api.ok("/api/directory/find-groups", {"data": [{"query": "senders"}]})["data"][0]
    assert data["source"] == "cloud"
    assert data["query"] == "senders"
    names = [f["description"] for f in data["folders"]]
    assert names == ["Blocked Senders", "Permitted Senders"]
    folder = data["folders"][0]
    assert set(folder) == {"id", "description", "source", "parentId", "userCount", "folderCount"}
    ldap = api.ok("/api/directory/find-groups", {"data": [{"source": "ldap"}]})["data"][0]
    assert {f["source"] for f in ldap["folders"]} == {"ldap"}


def test_group_members_page_beyond_100(api: Api, server: SimServer) -> None:
    vip = server.app.state.sim.group_id("VIP")
    members = _members(api, vip)
    assert len(members) == 250
    assert set(members[0]) == {"emailAddress", "domain", "internal", "type", "name"}
    missing = api.post(MEMBERS, {"data": [{}]}).json()
    assert missing["fail"][0]["errors"][0]["field"] == "id"


def test_add_member_then_duplicate_then_remove(api: Api, server: SimServer) -> None:
    group_id = server.app.state.sim.group_id("Blocked Senders")
    item = {"id": group_id, "emailAddress": "new.person@example.org"}
    added = api.ok(ADD, {"data": [item]})["data"][0]
    assert added["folderId"] == group_id
    assert added["emailAddress"] == "new.person@example.org"
    assert added["internal"] is False
    assert added["id"].startswith("eNo")
    assert "new.person@example.org" in {m["emailAddress"] for m in _members(api, group_id)}
    duplicate = api.post(ADD, {"data": [item]}).json()
    assert duplicate["data"] == []
    assert duplicate["fail"][0]["errors"][0]["code"] == "err_folder_group_member_already_exists"
    assert duplicate["fail"][0]["key"] == item
    api.ok(REMOVE, {"data": [item]})
    assert "new.person@example.org" not in {m["emailAddress"] for m in _members(api, group_id)}
    again = api.post(REMOVE, {"data": [item]}).json()
    assert again["fail"][0]["errors"][0]["code"] == "err_folder_email_address_not_found"


def test_add_domain_and_invalid_email(api: Api, server: SimServer) -> None:
    group_id = server.app.state.sim.group_id("Permitted Senders")
    added = api.ok(ADD, {"data": [{"id": group_id, "domain": "trusted.example.org"}]})["data"][0]
    assert added["domain"] == "trusted.example.org"
    bad = api.post(ADD, {"data": [{"id": group_id, "emailAddress": "not-an-address"}]}).json()
    error = bad["fail"][0]["errors"][0]
    assert error["code"] == "err_validation_invalid_email_address"
    assert error["field"] == "emailAddress"
    both = api.post(
        ADD, {"data": [{"id": group_id, "emailAddress": "a@b.example", "domain": "b.example"}]}
    ).json()
    assert both["fail"]
