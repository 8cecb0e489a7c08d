"""TTP log feeds (on-the-fly generation, paging, quirk, filters) and decode-url."""

from __future__ import annotations

import time
from typing import Any

import httpx
from sim_helpers import Api, body_with_page

from mimecast_soar.sim import SimConfig, SimServer, protect_url

URL_LOGS = "/api/ttp/url/get-logs"
EVER = {"from": "2000-01-01T00:00:00+0000"}


def _pull(api: Api, path: str, key: str, item: dict[str, Any], size: int) -> tuple[list[Any], int]:
    """Follow `next` to the end; (records, pages requested)."""
    records: list[Any] = []
    token = None
    pages = 0
    while True:
        body = api.ok(path, body_with_page(item if token is None else None, size, token))
        pages += 1
        records.extend(body["data"][0][key])
        token = body["meta"]["pagination"].get("next")
        if token is None:
            return records, pages


def test_url_logs_page_to_an_empty_last_page(api: Api) -> None:
    records, pages = _pull(api, URL_LOGS, "clickLogs", EVER, 40)
    assert len(records) == 300
    assert pages == 300 // 40 + 1 + 1  # 8 pages with records, then the quirk's empty page
    dates = [r["date"] for r in records]
    assert dates == sorted(dates, reverse=True)
    record = records[0]
    for key in (
        "date",
        "userEmailAddress",
        "fromUserEmailAddress",
        "url",
        "ttpDefinition",
        "subject",
        "action",
        "actions",
        "scanResult",
        "category",
        "sendingIp",
        "route",
        "creationMethod",
        "emailPartsDescription",
        "messageId",
    ):
        assert key in record


def test_last_page_carries_next_to_an_empty_page(api: Api) -> None:
    body = api.ok(URL_LOGS, body_with_page(EVER, 500))
    assert len(body["data"][0]["clickLogs"]) == 300
    empty = api.ok(URL_LOGS, body_with_page(None, 500, body["meta"]["pagination"]["next"]))
    assert empty["data"][0]["clickLogs"] == []
    assert "next" not in empty["meta"]["pagination"]
    assert empty["meta"]["pagination"]["pageSize"] == 0


def test_quirk_can_be_switched_off() -> None:
    with (
        SimServer(SimConfig(last_page_next_quirk=False)) as server,
        httpx.Client(base_url=server.base_url) as client,
    ):
        body = Api(client, server.connection()).ok(URL_LOGS, body_with_page(EVER, 500))
        assert "next" not in body["meta"]["pagination"]


def test_page_size_is_capped(api: Api) -> None:
    body = api.ok(URL_LOGS, body_with_page(EVER, 10_000))
    assert body["meta"]["pagination"]["pageSize"] == 300  # all of them, under the 500 cap


def test_filters_and_oldest_first(api: Api) -> None:
    item = {**EVER, "scanResult": "malicious", "route": "inbound", "oldestFirst": True}
    records, _ = _pull(api, URL_LOGS, "clickLogs", item, 7)
    assert records
    assert all(r["scanResult"] == "malicious" and r["route"] == "inbound" for r in records)
    assert [r["date"] for r in records] == sorted(r["date"] for r in records)


def test_default_window_is_today(api: Api, server: SimServer) -> None:
    records = api.ok(URL_LOGS, body_with_page({}, 500))["data"][0]["clickLogs"]
    today = server.app.state.sim.clock.now().strftime("%Y-%m-%d")
    assert all(r["date"].startswith(today) for r in records)


def test_invalid_page_token_fails(api: Api) -> None:
    body = api.post(URL_LOGS, body_with_page(None, 10, "bm90LWEtdG9rZW4")).json()
    assert body["fail"][0]["errors"][0]["code"] == "err_invalid_page_token"
    first = api.ok(URL_LOGS, body_with_page(EVER, 10))
    token = first["meta"]["pagination"]["next"]
    changed = api.post(URL_LOGS, body_with_page({**EVER, "scanResult": "clean"}, 10, token)).json()
    assert changed["fail"][0]["errors"][0]["code"] == "err_invalid_page_token"
    other = api.post("/api/ttp/attachment/get-logs", body_with_page(None, 10, token)).json()
    assert other["fail"][0]["errors"][0]["code"] == "err_invalid_page_token"


def test_previous_token_goes_back(api: Api) -> None:
    first = api.ok(URL_LOGS, body_with_page(EVER, 10))
    second = api.ok(URL_LOGS, body_with_page(None, 10, first["meta"]["pagination"]["next"]))
    back = api.ok(URL_LOGS, body_with_page(None, 10, second["meta"]["pagination"]["previous"]))
    assert back["data"] == first["data"]


def test_impersonation_logs_shape_and_filters(api: Api) -> None:
    path = "/api/ttp/impersonation/get-logs"
    data = api.ok(path, body_with_page(EVER, 500))["data"][0]
    assert data["resultCount"] == len(data["impersonationLogs"]) == 120
    log = data["impersonationLogs"][0]
    assert log["id"].startswith("MTOKEN:eNq")
    assert log["hits"] == len(log["identifiers"])
    tagged = api.ok(path, body_with_page({**EVER, "taggedMalicious": True}, 500))["data"][0]
    assert tagged["impersonationLogs"]
    assert all(x["taggedMalicious"] for x in tagged["impersonationLogs"])
    sender = log["senderAddress"]
    query = {**EVER, "searchField": "senderAddress", "query": sender}
    found = api.ok(path, body_with_page(query, 500))["data"][0]["impersonationLogs"]
    assert found
    assert all(x["senderAddress"] == sender for x in found)
    missing = api.post(path, body_with_page({"searchField": "subject"}, 10)).json()
    assert missing["fail"][0]["errors"][0]["field"] == "query"


def test_attachment_logs_filter_on_result(api: Api) -> None:
    path = "/api/ttp/attachment/get-logs"
    records, _ = _pull(api, path, "attachmentLogs", {**EVER, "result": "malicious"}, 500)
    assert records
    assert all(r["result"] == "malicious" for r in records)
    assert {"fileName", "fileType", "fileHash", "details", "definition"} <= set(records[0])


def test_decode_url(api: Api) -> None:
    original = "https://www.example.org/docs/report"
    body = api.ok(
        "/api/ttp/url/decode-url",
        {"data": [{"url": protect_url(original)}, {"url": "https://x.example"}]},
    )
    assert body["data"] == [
        {"url": original, "success": True},
        {"url": "https://x.example", "success": False},
    ]


def test_a_million_records_page_quickly() -> None:
    config = SimConfig(ttp_url_log_count=1_000_000)
    with SimServer(config) as server, httpx.Client(base_url=server.base_url) as client:
        api = Api(client, server.connection())
        started = time.monotonic()
        body = api.ok(URL_LOGS, body_with_page(EVER, 500))
        assert body["meta"]["pagination"]["totalCount"] == 1_000_000
        for _ in range(3):
            body = api.ok(URL_LOGS, body_with_page(None, 500, body["meta"]["pagination"]["next"]))
            assert len(body["data"][0]["clickLogs"]) == 500
        assert time.monotonic() - started < 10
