"""Audit events (seeded and left by write calls) and audit categories."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from respond_helpers import first_error, twin
from sim_helpers import Api, body_with_page, iso

from mimecast_soar.sim import SimServer

EVENTS = "/api/audit/get-audit-events"
CATEGORIES = "/api/audit/get-categories"


def _window(server: SimServer, days: int = 59) -> dict[str, Any]:
    now = server.app.state.sim.clock.now()
    return {"startDateTime": iso(now - timedelta(days=days)), "endDateTime": iso(now)}


def _all(api: Api, item: dict[str, Any], size: int = 500) -> list[dict[str, Any]]:
    events, token = [], None
    while True:
        body = api.ok(EVENTS, body_with_page(item, size, token))
        events.extend(body["data"])
        token = body["meta"]["pagination"].get("next")
        if not token:
            return events


def test_categories_have_code_id_and_name(api: Api) -> None:
    categories = api.ok(CATEGORIES)["data"]
    assert {"authentication_logs", "integrations_and_apis"} <= {c["code"] for c in categories}
    assert all(set(c) == {"code", "id", "name"} for c in categories)


def test_seeded_events_page_newest_first(api: Api, server: SimServer, client: httpx.Client) -> None:
    everything = _all(api, _window(server))
    assert len(everything) == client.get("/_sim/state").json()["audit_events"] == 150
    assert set(everything[0]) == {"id", "auditType", "user", "eventTime", "eventInfo", "category"}
    times = [e["eventTime"] for e in everything]
    assert times == sorted(times, reverse=True)
    first = api.ok(EVENTS, body_with_page(_window(server), 40))
    pagination = first["meta"]["pagination"]
    assert pagination["pageSize"] == 40
    assert pagination["recordStart"] == 0
    second = api.ok(EVENTS, body_with_page(_window(server), 40, pagination["next"]))
    assert second["meta"]["pagination"]["recordStart"] == 40
    assert [e["id"] for e in first["data"] + second["data"]] == [e["id"] for e in everything[:80]]
    assert [e["id"] for e in _all(api, _window(server), 7)] == [e["id"] for e in everything]


def test_filters_by_time_query_and_categories(api: Api, server: SimServer) -> None:
    week = _all(api, _window(server, 7))
    assert 0 < len(week) < 150
    logons = _all(api, {**_window(server), "categories": ["authentication_logs"]})
    assert logons
    assert {e["category"] for e in logons} == {"authentication_logs"}
    admin = server.config.login_email
    mine = _all(api, {**_window(server), "query": admin.upper()})
    assert mine
    assert all(admin in e["eventInfo"] or e["user"] == admin for e in mine)


def test_write_calls_leave_audit_events(api: Api, server: SimServer) -> None:
    api.ok(
        "/api/ttp/url/create-managed-url",
        {"data": [{"url": "https://bad.example.net/x", "action": "block"}]},
    )
    api.ok("/api/directory/create-group", {"data": [{"description": "Audited group"}]})
    newest = api.ok(EVENTS, body_with_page(_window(server), 2))["data"]
    assert [e["auditType"] for e in newest] == ["Group Created", "Managed URL Created"]
    assert newest[0]["user"] == server.config.login_email


def test_audit_failures(api: Api, server: SimServer) -> None:
    window = _window(server)
    missing = api.post(EVENTS, {"data": [{"endDateTime": window["endDateTime"]}]}).json()
    assert first_error(missing) | {"message": ""} == {
        "code": "err_validation_null",
        "field": "startDateTime",
        "message": "",
        "retryable": False,
    }
    too_old = api.post(EVENTS, {"data": [_window(server, 61)]}).json()
    assert first_error(too_old)["field"] == "startDateTime"
    reversed_window = {
        "startDateTime": window["endDateTime"],
        "endDateTime": window["startDateTime"],
    }
    assert api.post(EVENTS, {"data": [reversed_window]}).json()["fail"]
    unknown = api.post(EVENTS, {"data": [{**window, "categories": ["nope"]}]}).json()
    assert first_error(unknown)["field"] == "categories"
    bad_date = api.post(EVENTS, {"data": [{**window, "endDateTime": "yesterday"}]}).json()
    assert first_error(bad_date)["code"] == "err_validation_invalid_date"


def test_same_seed_same_events(api: Api, server: SimServer) -> None:
    with twin(server) as other:
        assert _all(other, _window(server)) == _all(api, _window(server))
