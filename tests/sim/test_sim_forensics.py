"""Archive forensics: message detail, attachment files and whole emails as byte streams."""

from __future__ import annotations

import email
import hashlib
from email.message import Message as EmailMessage
from email.policy import default

import httpx
from respond_helpers import first_error, twin
from sim_helpers import Api, signed_headers

from mimecast_soar.sim import SimServer
from mimecast_soar.sim.data import Message

DETAIL = "/api/archive/get-message-detail"
PART = "/api/archive/get-message-part"
FILE = "/api/archive/get-file"
LARGE = 4 * 1024 * 1024  # SimConfig.large_attachment_bytes


def _message(server: SimServer, *, large: bool) -> Message:
    return next(
        m
        for m in server.app.state.sim.world.messages.values()
        if m.status == "archived" and m.attachments and (m.size > LARGE) == large
    )


def _part(api: Api, message: Message, context: str, kind: str = "RFC822") -> httpx.Response:
    item = {"id": message.id, "type": kind, "context": context, "mailbox": message.recipient[1]}
    return api.post(PART, {"data": [item]})


def _parsed(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=default)


def test_detail_lists_headers_and_attachments(api: Api, server: SimServer) -> None:
    message = _message(server, large=False)
    detail = api.ok(DETAIL, {"data": [{"id": message.id}]})["data"][0]
    names = {h["name"]: h["values"] for h in detail["headers"]}
    assert names["Message-ID"] == [message.internet_id]
    assert detail["mimeMessageId"] == message.internet_id
    assert detail["subject"] == message.subject
    attachment = detail["attachments"][0]
    assert set(attachment) == {"id", "filename", "sha256", "size", "contentType", "extension"}
    assert attachment["filename"] == message.attachments[0][0]
    info = api.ok("/api/message-finder/get-message-info", {"data": [{"id": message.id}]})
    components = info["data"][0]["recipientInfo"]["recipientMetaInfo"]["components"]
    assert attachment["sha256"] in {c["hash"] for c in components}


def test_get_file_returns_the_bytes_the_detail_describes(api: Api, server: SimServer) -> None:
    message = _message(server, large=False)
    attachment = api.ok(DETAIL, {"data": [{"id": message.id}]})["data"][0]["attachments"][0]
    response = api.post(FILE, {"data": [{"id": attachment["id"]}]})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert attachment["filename"] in response.headers["content-disposition"]
    assert len(response.content) == attachment["size"]
    assert hashlib.sha256(response.content).hexdigest() == attachment["sha256"]


def test_large_attachment_streams_in_chunks(api: Api, server: SimServer) -> None:
    message = _message(server, large=True)
    attachment = api.ok(DETAIL, {"data": [{"id": message.id}]})["data"][0]["attachments"][0]
    assert attachment["size"] == LARGE
    digest, chunks, total = hashlib.sha256(), 0, 0
    headers = signed_headers(api.connection, FILE)
    body = {"data": [{"id": attachment["id"]}]}
    with api.client.stream("POST", FILE, json=body, headers=headers) as response:
        assert int(response.headers["content-length"]) == LARGE
        for chunk in response.iter_bytes(64 * 1024):
            digest.update(chunk)
            chunks += 1
            total += len(chunk)
    assert total == LARGE
    assert chunks > 1
    assert digest.hexdigest() == attachment["sha256"]


def test_whole_email_received_and_delivered(api: Api, server: SimServer) -> None:
    message = _message(server, large=False)
    received = _part(api, message, "RECEIVED")
    assert received.status_code == 200
    assert received.headers["content-type"] == "message/rfc822"
    delivered = _part(api, message, "DELIVERED").content
    original, rewritten = _parsed(received.content), _parsed(delivered)
    assert original["Message-ID"] == message.internet_id
    text = original.get_body(preferencelist=("plain",)).get_content()
    assert "protect-us.mimecast.com" not in text
    assert "protect-us.mimecast.com" in rewritten.get_body(preferencelist=("plain",)).get_content()
    detail = api.ok(DETAIL, {"data": [{"id": message.id}]})["data"][0]
    files = [part.get_content() for part in original.iter_attachments()]
    assert [hashlib.sha256(f).hexdigest() for f in files] == [
        a["sha256"] for a in detail["attachments"]
    ]
    plain = _part(api, message, "RECEIVED", "PLAIN")
    assert plain.headers["content-type"].startswith("text/plain")
    assert plain.text.strip() == text.strip()
    assert _part(api, message, "DELIVERED", "HTML").text.startswith("<html>")


def test_failures_answer_json(api: Api, server: SimServer) -> None:
    message = _message(server, large=False)
    good = {
        "id": message.id,
        "type": "RFC822",
        "context": "RECEIVED",
        "mailbox": message.recipient[1],
    }
    cases = [
        ({**good, "id": "eNoNope"}, "err_message_not_found"),
        ({**good, "type": "PDF"}, "err_validation_invalid_value"),
        ({**good, "context": "ARCHIVED"}, "err_validation_invalid_value"),
        ({key: v for key, v in good.items() if key != "mailbox"}, "err_validation_null"),
        ({**good, "mailbox": "someone.else@example.com"}, "err_message_not_found"),
        ({**good, "mailbox": "not-an-address"}, "err_validation_invalid_email_address"),
    ]
    for item, code in cases:
        response = api.post(PART, {"data": [item]})
        assert response.headers["content-type"] == "application/json", item
        assert first_error(response.json())["code"] == code, item
    assert (
        first_error(api.post(FILE, {"data": [{"id": "eNoNope"}]}).json())["code"]
        == "err_file_not_found"
    )
    assert (
        first_error(api.post(DETAIL, {"data": [{"id": "eNoNope"}]}).json())["code"]
        == "err_message_not_found"
    )
    held = server.app.state.sim.held_ids()[0]
    assert api.post(DETAIL, {"data": [{"id": held}]}).json()["fail"]


def test_faults_apply_to_file_streams(api: Api, server: SimServer) -> None:
    message = _message(server, large=False)
    attachment = api.ok(DETAIL, {"data": [{"id": message.id}]})["data"][0]["attachments"][0]
    api.client.post(
        "/_sim/faults", json=[{"kind": "status", "code": 503, "path": FILE, "count": 1}]
    )
    failed = api.post(FILE, {"data": [{"id": attachment["id"]}]})
    assert failed.status_code == 503
    assert failed.json()["fail"]
    api.client.post("/_sim/faults", json=[{"kind": "truncated", "path": FILE, "count": 1}])
    cut = api.post(FILE, {"data": [{"id": attachment["id"]}]})
    assert len(cut.content) == attachment["size"] // 2
    assert len(api.post(FILE, {"data": [{"id": attachment["id"]}]}).content) == attachment["size"]


def test_same_seed_same_bytes(api: Api, server: SimServer) -> None:
    message = _message(server, large=False)
    with twin(server) as other:
        assert (
            _part(other, message, "DELIVERED").content == _part(api, message, "DELIVERED").content
        )
