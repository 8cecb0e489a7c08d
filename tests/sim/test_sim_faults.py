"""Fault injection: every kind, over real HTTP, plus the spec grammar and rate-limit headers."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from sim_helpers import Api, signed_headers

from mimecast_soar.sim import FaultRule, FaultSpecError, SimConfig, SimServer, parse_fault

ACCOUNT = "/api/account/get-account"
RELEASE = "/api/gateway/hold-release"


def _set(api: Api, *rules: dict[str, Any]) -> None:
    response = api.client.post("/_sim/faults", json=list(rules))
    assert response.status_code == 200, response.text


def _executed(api: Api, path: str) -> int:
    count: int = api.client.get("/_sim/state").json()["calls_executed"].get(path, 0)
    return count


def test_parse_fault_grammar() -> None:
    rule = parse_fault("status:code=503,rate=0.2,path=/api/ttp/url/get-logs")
    assert (rule.kind, rule.status, rule.rate, rule.path) == (
        "status",
        503,
        0.2,
        "/api/ttp/url/get-logs",
    )
    assert parse_fault("quota:limit=5,window_ms=1000").limit == 5
    assert parse_fault("drop_after:count=1,path=/api/gateway/hold-release").count == 1
    assert parse_fault("slow:delay_ms=2000").delay_ms == 2000
    failing = parse_fault("fail:code=err_x,message=Nope")
    assert (failing.error_code, failing.message) == ("err_x", "Nope")
    assert FaultRule.from_json({"kind": "status", "code": 502}).status == 502
    for bad in ("explode", "status", "slow:delay", "slow:colour=red", "quota:limit=x"):
        with pytest.raises(FaultSpecError):
            parse_fault(bad)


def test_rate_limit_headers_on_every_response(api: Api) -> None:
    for response in (api.post(ACCOUNT), api.client.post(ACCOUNT, json={"data": []})):
        assert int(response.headers["X-RateLimit-Limit"]) == 10000
        assert "X-RateLimit-Remaining" in response.headers
        assert "X-RateLimit-Reset" in response.headers


def test_quota_answers_429_without_executing(api: Api) -> None:
    _set(api, {"kind": "quota", "limit": 2, "window_ms": 60000})
    assert [api.post(ACCOUNT).status_code for _ in range(3)] == [200, 200, 429]
    refused = api.post(ACCOUNT)
    assert refused.status_code == 429
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert 0 < int(refused.headers["X-RateLimit-Reset"]) <= 60000
    assert _executed(api, ACCOUNT) == 2


def test_quota_window_refills() -> None:
    config = SimConfig(faults=[parse_fault("quota:limit=1,window_ms=200")])
    with SimServer(config) as server, httpx.Client(base_url=server.base_url) as client:
        api = Api(client, server.connection())
        assert api.post(ACCOUNT).status_code == 200
        limited = api.post(ACCOUNT)
        assert limited.status_code == 429
        time.sleep(int(limited.headers["X-RateLimit-Reset"]) / 1000 + 0.05)
        assert api.post(ACCOUNT).status_code == 200


def test_status_fault_with_count_and_after(api: Api) -> None:
    _set(api, {"kind": "status", "code": 503, "count": 1, "after": 1, "path": ACCOUNT})
    statuses = [api.post(ACCOUNT).status_code for _ in range(3)]
    assert statuses == [200, 503, 200]
    assert _executed(api, ACCOUNT) == 2


def test_status_fault_body_is_mimecast_style(api: Api) -> None:
    _set(api, {"kind": "status", "code": 500})
    response = api.post(ACCOUNT)
    assert response.status_code == 500
    assert response.json()["fail"][0]["errors"][0]["code"] == "err_internal_server_error"


def test_rate_is_a_share_of_requests(api: Api) -> None:
    _set(api, {"kind": "status", "code": 502, "rate": 0.5})
    statuses = [api.post(ACCOUNT).status_code for _ in range(40)]
    assert 5 < statuses.count(502) < 35


def test_drop_before_is_a_transport_error_and_not_executed(api: Api, server: SimServer) -> None:
    message_id = server.app.state.sim.held_ids()[0]
    _set(api, {"kind": "drop_before", "count": 1, "path": RELEASE})
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        api.post(RELEASE, {"data": [{"id": message_id}]})
    assert message_id in server.app.state.sim.held_ids()
    assert _executed(api, RELEASE) == 0


def test_drop_after_changes_state_then_drops(api: Api, server: SimServer) -> None:
    message_id = server.app.state.sim.held_ids()[0]
    _set(api, {"kind": "drop_after", "count": 1, "path": RELEASE})
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        api.post(RELEASE, {"data": [{"id": message_id}]})
    assert message_id not in server.app.state.sim.held_ids()
    retry = api.post(RELEASE, {"data": [{"id": message_id}]}).json()
    assert retry["fail"][0]["errors"][0]["code"] == "err_message_not_held"
    logged = api.client.get("/_sim/requests", params={"path": RELEASE}).json()
    assert logged[0]["executed"] is True
    assert logged[0]["status"] is None
    assert logged[0]["fault"] == "drop_after"


def test_malformed_and_truncated_bodies(api: Api) -> None:
    _set(api, {"kind": "malformed", "count": 1}, {"kind": "truncated", "count": 1, "after": 1})
    malformed = api.post(ACCOUNT)
    assert malformed.status_code == 200
    assert malformed.text.startswith("<html>")
    truncated = api.post(ACCOUNT)
    assert truncated.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(truncated.text)
    assert api.post(ACCOUNT).json()["fail"] == []


def test_fail_fault_returns_fail_entry_without_executing(api: Api) -> None:
    _set(
        api,
        {"kind": "fail", "code": "err_xdk_operation_forbidden_for_address", "message": "Forbidden"},
    )
    body = api.post(ACCOUNT, {"data": [{"x": 1}]}).json()
    assert body["fail"] == [
        {
            "key": {"x": 1},
            "errors": [
                {
                    "code": "err_xdk_operation_forbidden_for_address",
                    "message": "Forbidden",
                    "retryable": False,
                }
            ],
        }
    ]
    assert _executed(api, ACCOUNT) == 0


def test_slow_fault_delays_and_executes(api: Api) -> None:
    _set(api, {"kind": "slow", "delay_ms": 300})
    started = time.monotonic()
    assert api.post(ACCOUNT).status_code == 200
    assert time.monotonic() - started >= 0.3
    headers = signed_headers(api.connection, ACCOUNT)
    with pytest.raises(httpx.ReadTimeout):
        api.client.post(ACCOUNT, json={"data": []}, headers=headers, timeout=0.05)


def test_binding_expired_and_unauthorized_faults(api: Api) -> None:
    _set(api, {"kind": "binding_expired", "count": 1}, {"kind": "unauthorized", "count": 1})
    expired = api.post(ACCOUNT)
    assert expired.status_code == 418
    assert expired.json()["fail"][0]["errors"][0]["code"] == "err_xdk_binding_expired"
    assert api.post(ACCOUNT).status_code == 401
    assert api.post(ACCOUNT).status_code == 200


def test_faults_are_listed_and_cleared(api: Api) -> None:
    _set(api, {"kind": "slow", "delay_ms": 1})
    assert api.client.get("/_sim/faults").json() == [{"kind": "slow", "delay_ms": 1.0}]
    assert api.client.delete("/_sim/faults").json() == []
    assert api.client.post("/_sim/faults", json=[{"kind": "nope"}]).status_code == 400


def test_latency_applies_to_every_response() -> None:
    with (
        SimServer(SimConfig(latency_ms=150)) as server,
        httpx.Client(base_url=server.base_url) as client,
    ):
        started = time.monotonic()
        client.post(ACCOUNT, json={"data": []})
        assert time.monotonic() - started >= 0.15
