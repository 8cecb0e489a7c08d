"""Hold queue and message finder endpoints."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sim_helpers import Api, body_with_page

from mimecast_soar.sim import SimServer

HOLD_LIST = "/api/gateway/get-hold-message-list"
RELEASE = "/api/gateway/hold-release"
REJECT = "/api/gateway/hold-reject"


def _held(
    api: Api, item: dict[str, object] | None = None, size: int = 500
) -> list[dict[str, object]]:
    records: list[dict[str, object]] = api.ok(
        HOLD_LIST, body_with_page(item or {"admin": True}, size)
    )["data"]
    return records


def test_hold_list_records_have_mimecast_shape(api: Api) -> None:
    records = _held(api)
    assert len(records) == 60
    record = records[0]
    for key in (
        "id",
        "dateReceived",
        "subject",
        "reason",
        "reasonId",
        "reasonCode",
        "policyInfo",
        "from",
        "fromHeader",
        "to",
        "route",
        "hasAttachments",
        "size",
    ):
        assert key in record
    assert str(record["id"]).startswith("eNo")
    assert {r["route"] for r in records} <= {"INBOUND", "OUTBOUND", "INTERNAL"}
    assert str(record["dateReceived"]).endswith("+0000")


def test_hold_list_pages_with_tokens(api: Api) -> None:
    first = api.ok(HOLD_LIST, body_with_page({"admin": True}, 25))
    pagination = first["meta"]["pagination"]
    assert pagination["pageSize"] == 25
    assert pagination["totalCount"] == 60
    assert "previous" not in pagination
    second = api.ok(HOLD_LIST, body_with_page(None, 25, pagination["next"]))
    assert "previous" in second["meta"]["pagination"]
    assert {r["id"] for r in first["data"]}.isdisjoint({r["id"] for r in second["data"]})


def test_hold_list_filters(api: Api) -> None:
    mine = _held(api, {"admin": False})
    assert mine
    assert all(r["to"]["emailAddress"] == "soar-admin@example.com" for r in mine)
    subject = str(_held(api)[0]["subject"])
    found = _held(api, {"admin": True, "searchBy": {"fieldName": "subject", "value": subject}})
    assert found
    assert all(r["subject"] == subject for r in found)
    inbound = _held(api, {"admin": True, "filterBy": [{"fieldName": "route", "value": "inbound"}]})
    assert inbound
    assert all(r["route"] == "INBOUND" for r in inbound)
    code = str(_held(api)[0]["reasonCode"])
    by_reason = _held(api, {"admin": True, "searchBy": {"fieldName": "reason_code", "value": code}})
    assert by_reason
    assert all(r["reasonCode"] == code for r in by_reason)
    future = _held(api, {"admin": True, "start": "2099-01-01T00:00:00Z"})
    assert future == []


def _bearer(client: httpx.Client, server: SimServer) -> dict[str, str]:
    """An API 2.0 bearer header from /oauth/token (client credentials)."""
    form = {
        "grant_type": "client_credentials",
        "client_id": server.config.client_id,
        "client_secret": server.config.client_secret,
    }
    response = client.post("/oauth/token", data=form)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _search(field_name: str, value: str) -> dict[str, Any]:
    return body_with_page(
        {"admin": True, "searchBy": {"fieldName": field_name, "value": value}}, 500
    )


def _refused(body: dict[str, Any], version: str) -> None:
    assert body["data"] == []
    [failure] = body["fail"]
    [error] = failure["errors"]
    assert error["code"] == "err_validation_invalid_value"
    assert error["field"] == "fieldName"
    assert f"API {version}" in error["message"]


@pytest.mark.parametrize("field_name", ["reasonCode", "senderIP", "senderip"])
def test_hold_list_on_api1_refuses_the_api2_only_search_fields(api: Api, field_name: str) -> None:
    response = api.post(HOLD_LIST, _search(field_name, "1"))

    assert response.status_code == 200
    _refused(response.json(), "1.0")


def test_hold_list_on_api2_searches_by_reason_code_and_sender_ip_and_refuses_reason_code(
    api: Api, client: httpx.Client, server: SimServer
) -> None:
    bearer = _bearer(client, server)
    world = server.app.state.sim.world
    message = world.held()[0]

    by_reason = client.post(
        HOLD_LIST, json=_search("reasonCode", message.reason_code), headers=bearer
    )
    by_ip = client.post(HOLD_LIST, json=_search("senderIP", message.sender_ip), headers=bearer)
    old_name = client.post(
        HOLD_LIST, json=_search("reason_code", message.reason_code), headers=bearer
    )

    reasons = by_reason.json()["data"]
    assert message.id in {r["id"] for r in reasons}
    assert {r["reasonCode"] for r in reasons} == {message.reason_code}
    with_ip = [m.id for m in world.held() if message.sender_ip in m.sender_ip]
    assert 0 < len(with_ip) < len(world.held())
    assert [r["id"] for r in by_ip.json()["data"]] == with_ip
    _refused(old_name.json(), "2.0")


def test_hold_summary_counts_the_queue(api: Api) -> None:
    summary = api.ok("/api/gateway/get-hold-summary-list")["data"]
    assert sum(entry["numberOfItems"] for entry in summary) == 60
    assert all(set(entry) == {"policyInfo", "numberOfItems"} for entry in summary)


def test_release_then_release_again_fails(api: Api, server: SimServer) -> None:
    message_id = server.app.state.sim.held_ids()[0]
    first = api.ok(RELEASE, {"data": [{"id": message_id}]})
    assert first["data"] == [{"id": message_id, "release": True}]
    again = api.post(RELEASE, {"data": [{"id": message_id}]})
    assert again.status_code == 200
    body = again.json()
    assert body["data"] == []
    assert body["fail"][0]["key"] == {"id": message_id}
    assert body["fail"][0]["errors"][0]["code"] == "err_message_not_held"
    assert message_id not in {r["id"] for r in _held(api)}
    unknown = api.post(RELEASE, {"data": [{"id": "eNoUnknown"}]}).json()
    assert unknown["fail"][0]["errors"][0]["code"] == "err_message_not_found"


def test_reject_with_bad_reason_type_fails_validation(api: Api, server: SimServer) -> None:
    message_id = server.app.state.sim.held_ids()[0]
    item = {"ids": [message_id], "message": "no", "reasonType": "because", "notify": False}
    body = api.post(REJECT, {"data": [item]}).json()
    assert body["data"] == []
    error = body["fail"][0]["errors"][0]
    assert error["field"] == "reasonType"
    assert error["code"].startswith("err_validation")


def test_reject_reports_each_id(api: Api, server: SimServer) -> None:
    ids = server.app.state.sim.held_ids()[:2]
    item = {
        "ids": [*ids, "eNoUnknown"],
        "message": "Rejected",
        "notify": True,
        "reasonType": "MESSAGE CONTAINS UNDESIRABLE CONTENT",
    }
    body = api.post(REJECT, {"data": [item]}).json()
    assert body["data"] == [{"id": i, "reject": True} for i in ids]
    assert [f["key"] for f in body["fail"]] == [{"id": "eNoUnknown"}]
    state = api.client.get("/_sim/state").json()
    assert state["rejected"] == 2
    assert state["held"] == 58


def test_search_finds_held_message_usable_by_release(api: Api, server: SimServer) -> None:
    held = _held(api)[0]
    sender = held["from"]["emailAddress"]  # type: ignore[index]
    item = {
        "advancedTrackAndTraceOptions": {"from": sender, "route": ["all"]},
        "start": "2000-01-01T00:00:00+00:00",
    }
    tracked = api.ok("/api/message-finder/search", {"data": [item]})["data"][0]["trackedEmails"]
    ours = [t for t in tracked if t["id"] == held["id"]]
    assert ours
    assert ours[0]["status"] == "held"
    for key in ("fromEnv", "fromHdr", "to", "received", "subject", "senderIP", "route", "info"):
        assert key in ours[0]
    api.ok(RELEASE, {"data": [{"id": held["id"]}]})


def test_search_by_message_id_and_route_at_data_level(api: Api, server: SimServer) -> None:
    sim = server.app.state.sim
    message = next(m for m in sim.world.messages.values() if m.hold_reason is None)
    item = {"messageId": message.internet_id, "route": ["inbound", "outbound", "internal"]}
    tracked = api.ok("/api/message-finder/search", {"data": [item]})["data"][0]["trackedEmails"]
    assert [t["id"] for t in tracked] == [message.id]
    missing = api.post("/api/message-finder/search", {"data": [{}]}).json()
    assert missing["fail"][0]["errors"][0]["code"] == "err_validation_null"


def test_get_message_info_has_the_rich_shape(api: Api, server: SimServer) -> None:
    message_id = server.app.state.sim.held_ids()[0]
    info = api.ok("/api/message-finder/get-message-info", {"data": [{"id": message_id}]})["data"][0]
    assert info["id"] == message_id
    assert info["status"] == "held"
    assert {"messageInfo", "recipientMetaInfo"} <= set(info["recipientInfo"])
    assert info["recipientInfo"]["recipientMetaInfo"]["components"]
    assert {"currentPurgeDate", "purgeBasedOn"} <= set(info["retentionInfo"])
    assert "spamProcessingDetail" in info["spamInfo"]
    unknown = api.post("/api/message-finder/get-message-info", {"data": [{"id": "eNoX"}]}).json()
    assert unknown["data"] == []
    assert unknown["fail"][0]["errors"][0]["code"] == "err_message_not_found"
