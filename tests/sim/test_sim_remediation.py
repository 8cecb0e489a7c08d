"""Threat remediation: create (v1, v2), get-incident, find-incidents, search-hash."""

from __future__ import annotations

from typing import Any

from respond_helpers import advance, bearer_post, first_error, twin
from sim_helpers import Api, body_with_page

from mimecast_soar.sim import SimServer
from mimecast_soar.sim.data import Message

CREATE = "/api/ttp/remediation/create"
CREATE_V2 = "/api/ttp/remediation/v2/create"
GET = "/api/ttp/remediation/get-incident"
FIND = "/api/ttp/remediation/find-incidents"
HASH = "/api/ttp/remediation/search-hash"
INFO = "/api/message-finder/get-message-info"
STEP = 30  # SimConfig.remediation_seconds_per_mailbox


def _delivered(server: SimServer, *, with_files: bool) -> Message:
    messages = server.app.state.sim.world.messages.values()
    return next(
        m
        for m in messages
        if m.status == "archived" and bool(m.attachments) == with_files and m.size < 1_000_000
    )


def _file_hash(api: Api, message: Message) -> str:
    """The attachment SHA-256 as get-message-info reports it (the chain a playbook follows)."""
    info = api.ok(INFO, {"data": [{"id": message.id}]})["data"][0]
    components = info["recipientInfo"]["recipientMetaInfo"]["components"]
    return str(next(c["hash"] for c in components if c["type"] == "Attachment"))


def _incidents(body: dict[str, Any]) -> list[dict[str, Any]]:
    return list(body["data"][0]["incidents"])


def test_seeded_incidents_cover_every_type_and_have_consistent_counters(api: Api) -> None:
    found = _incidents(api.ok(FIND, {"data": [{"searchBy": {"fieldName": "all", "value": ""}}]}))
    assert {i["type"] for i in found} == {"manual", "automatic", "notify_only", "restored"}
    for incident in found:
        assert incident["identified"] == incident["successful"] + incident["failed"]
        assert incident["code"].startswith("TR-")
        assert incident["code"][-1] in "MANR"
    restore = next(i for i in found if i["type"] == "restored")
    original = next(i for i in found if i["code"] == restore["searchCriteria"]["unremediateCode"])
    assert original["searchCriteria"]["restoreCode"] == restore["code"]
    assert restore["restored"] == original["restored"] == original["successful"]


def test_create_by_hash_matches_the_seeded_attachment_and_progresses_with_the_clock(
    api: Api, client: Any, server: SimServer
) -> None:
    file_hash = _file_hash(api, _delivered(server, with_files=True))
    body = {"data": [{"reason": "Malware", "searchBy": "hash", "hashOrMessageId": file_hash}]}
    created = api.ok(CREATE, body)["data"][0]
    assert created["identified"] >= 1
    assert created["successful"] + created["failed"] == 0
    assert created["type"] == "manual"
    assert created["searchCriteria"]["fileHash"] == file_hash
    advance(client, STEP * created["identified"] + 1)
    polled = api.ok(GET, {"data": [{"id": created["id"]}]})["data"][0]
    assert polled["identified"] == polled["successful"] + polled["failed"] == created["identified"]
    assert polled["modified"] >= polled["create"]


def test_create_by_message_id_progresses_one_mailbox_at_a_time(
    api: Api, client: Any, server: SimServer
) -> None:
    message = _delivered(server, with_files=False)
    item = {"reason": "Phish", "searchBy": "messageId", "hashOrMessageId": message.internet_id}
    created = api.ok(CREATE, {"data": [item]})["data"][0]
    assert created["identified"] >= 1
    assert created["searchCriteria"]["messageId"] == message.internet_id
    seen = []
    for _ in range(created["identified"]):
        advance(client, STEP)
        polled = api.ok(GET, {"data": [{"id": created["id"]}]})["data"][0]
        seen.append(polled["successful"] + polled["failed"])
    assert seen == list(range(1, created["identified"] + 1))


def test_create_by_url_finds_the_clicked_emails(api: Api, client: Any) -> None:
    logs = api.ok("/api/ttp/url/get-logs", {"data": [{"scanResult": "malicious"}]})["data"]
    url = logs[0]["clickLogs"][0]["url"]
    created = api.ok(CREATE, {"data": [{"reason": "Bad link", "searchBy": "url", "url": url}]})
    incident = created["data"][0]
    assert incident["identified"] >= 1
    assert incident["searchCriteria"]["url"] == url


def test_create_v2_accepts_message_ids_without_brackets(api: Api, server: SimServer) -> None:
    message = _delivered(server, with_files=False)
    item = {
        "reason": "Phish",
        "searchBy": "message_ids",
        "messageIds": [message.internet_id.strip("<>")],
    }
    incident = api.ok(CREATE_V2, {"data": [item]})["data"][0]
    assert incident["identified"] >= 1
    assert incident["searchCriteria"]["messageId"] == message.internet_id


def test_create_is_served_to_api2_bearer_clients(client: Any, server: SimServer) -> None:
    item = {"reason": "r", "searchBy": "hash", "hashOrMessageId": "a" * 64}
    response = bearer_post(client, server, CREATE, {"data": [item]})
    assert response.status_code == 200
    assert response.json()["data"][0]["identified"] == 0


def test_create_validation_failures(api: Api) -> None:
    cases = [
        ({"searchBy": "hash", "hashOrMessageId": "a" * 64}, "reason", "err_validation_null"),
        ({"reason": "r", "hashOrMessageId": "xyz"}, "hashOrMessageId", None),
        ({"reason": "r", "hashOrMessageId": "g" * 64}, "hashOrMessageId", None),
        (
            {"reason": "r", "searchBy": "messageId", "hashOrMessageId": "a@b"},
            "hashOrMessageId",
            None,
        ),
        ({"reason": "r", "searchBy": "url"}, "url", "err_validation_null"),
        ({"reason": "r", "searchBy": "subject", "hashOrMessageId": "x"}, "searchBy", None),
        ({"reason": " ", "hashOrMessageId": "a" * 32}, "reason", "err_validation_blank"),
        (
            {
                "reason": "r",
                "hashOrMessageId": "a" * 40,
                "start": "2030-01-02T00:00:00+0000",
                "end": "2030-01-01T00:00:00+0000",
            },
            "start",
            None,
        ),
    ]
    for item, field, code in cases:
        body = api.post(CREATE, {"data": [item]}).json()
        assert body["data"] == [], item
        error = first_error(body)
        assert error["field"] == field, item
        assert code is None or error["code"] == code
        assert body["fail"][0]["key"] == item
    before = api.ok(FIND, {"data": [{"searchBy": {"fieldName": "all", "value": ""}}]})
    assert all(i["reason"] != "r" for i in _incidents(before))


def test_get_incident_unknown_and_too_many(api: Api) -> None:
    unknown = api.post(GET, {"data": [{"id": "eNoMissing"}]}).json()
    assert first_error(unknown)["code"] == "err_remediation_incident_not_found"
    too_many = api.post(GET, {"data": [{"id": f"x{n}"} for n in range(26)]}).json()
    assert too_many["data"] == []
    assert too_many["fail"]


def test_find_incidents_filters_and_pages(api: Api) -> None:
    everything = _incidents(
        api.ok(FIND, {"data": [{"searchBy": [{"fieldName": "all", "value": ""}]}]})
    )
    assert len(everything) == 5
    manual = _incidents(api.ok(FIND, {"data": [{"filterBy": [{"type": "manual"}]}]}))
    assert manual
    assert {i["type"] for i in manual} == {"manual"}
    two = {"fieldName": "type", "value": "manual,restored"}
    both = _incidents(api.ok(FIND, {"data": [{"filterBy": [two]}]}))
    assert {i["type"] for i in both} == {"manual", "restored"}
    code = everything[2]["code"]
    by_code = _incidents(
        api.ok(FIND, {"data": [{"searchBy": {"fieldName": "code", "value": code}}]})
    )
    assert [i["code"] for i in by_code] == [code]
    item = {"searchBy": {"fieldName": "all", "value": ""}}
    pages, token = [], None
    while True:
        body = api.ok(FIND, body_with_page(item, 2, token))
        pages.append(_incidents(body))
        token = body["meta"]["pagination"].get("next")
        if not token:
            break
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [i["id"] for p in pages for i in p] == [i["id"] for i in everything]


def test_find_incidents_failures(api: Api) -> None:
    assert first_error(api.post(FIND, {"data": [{}]}).json())["code"] == "err_validation_null"
    bad_type = api.post(FIND, {"data": [{"filterBy": [{"type": "sometimes"}]}]}).json()
    assert first_error(bad_type)["field"] == "filterBy"
    bad_field = {"searchBy": {"fieldName": "subject", "value": "x"}}
    assert first_error(api.post(FIND, {"data": [bad_field]}).json())["field"] == "fieldName"


def test_find_incidents_flat_shape_when_configured(server: SimServer) -> None:
    with twin(server, find_incidents_shape="flat") as other:
        body = other.ok(FIND, {"data": [{"filterBy": [{"type": "restored"}]}]})
    assert [i["type"] for i in body["data"]] == ["restored"]


def test_search_hash_detects_known_files_and_reports_bad_ones(api: Api, server: SimServer) -> None:
    known = _file_hash(api, _delivered(server, with_files=True))
    logged = api.ok("/api/ttp/attachment/get-logs", {"data": [{}]})["data"][0]
    log_hash = logged["attachmentLogs"][0]["fileHash"]
    hashes = [known, log_hash.upper(), "0" * 32, "not-a-hash"]
    body = api.post(HASH, {"data": [{"hashes": hashes}]}).json()
    result = body["data"][0]
    assert result["hashStatus"] == [
        {"hash": known, "detected": True},
        {"hash": log_hash.upper(), "detected": True},
        {"hash": "0" * 32, "detected": False},
    ]
    assert result["failedHashes"] == ["not-a-hash"]
    assert body["fail"][0]["key"] == {"hash": "not-a-hash"}


def test_search_hash_takes_at_most_100(api: Api) -> None:
    hashes = [f"{n:032x}" for n in range(101)]
    too_many = api.post(HASH, {"data": [{"hashes": hashes}]}).json()
    assert too_many["data"] == []
    assert first_error(too_many)["field"] == "hashes"
    hundred = api.ok(HASH, {"data": [{"hashes": hashes[:100]}]})["data"][0]
    assert len(hundred["hashStatus"]) == 100
    empty = api.post(HASH, {"data": [{"hashes": []}]}).json()
    assert first_error(empty)["code"] == "err_validation_null"


def test_same_seed_same_incidents_and_created_counters(api: Api, server: SimServer) -> None:
    query = {"data": [{"searchBy": {"fieldName": "all", "value": ""}}]}
    message = _delivered(server, with_files=False)
    item = {"reason": "Phish", "searchBy": "messageId", "hashOrMessageId": message.internet_id}
    mine = api.ok(CREATE, {"data": [item]})["data"][0]
    with twin(server) as other:
        theirs = other.ok(CREATE, {"data": [item]})["data"][0]
        seeded = [i for i in _incidents(other.ok(FIND, query)) if i["reason"].startswith("Seeded")]
    mine_seeded = [i for i in _incidents(api.ok(FIND, query)) if i["reason"].startswith("Seeded")]
    assert seeded == mine_seeded
    for key in ("id", "code", "identified", "successful", "failed"):
        assert mine[key] == theirs[key]
    # start/end default to "now" on each server: equal only to the second, so not compared
    assert mine["searchCriteria"]["messageId"] == theirs["searchCriteria"]["messageId"]


def test_state_counts_incidents_and_reset_forgets_created_ones(api: Api, client: Any) -> None:
    assert client.get("/_sim/state").json()["remediation_incidents"] == 5
    api.ok(CREATE, {"data": [{"reason": "r", "hashOrMessageId": "b" * 64}]})
    assert client.get("/_sim/state").json()["remediation_incidents"] == 6
    client.post("/_sim/reset")
    assert client.get("/_sim/state").json()["remediation_incidents"] == 5
