"""Archive forensics: message detail, a message part (whole email, bodies) and attachment files.

[arch-detail] https://www.mimecast.com/tech-connect/documentation/endpoint-reference/archive/get-message-detail/
[arch-part] https://integrations.mimecast.com/documentation/endpoint-reference/archive/get-message-part
docs/mimecast-api.md §12.7: success is the raw file, a failure the JSON envelope. The archive holds
delivered mail (status archived or released). Content type and Content-Disposition of the stream
are not documented: the simulator sends `application/octet-stream` (`message/rfc822` for whole
emails, text types for bodies) with the file name, and an unknown id answers
`err_message_not_found` / `err_file_not_found` (the simulator's codes).
"""

from __future__ import annotations

from datetime import timedelta

from mimecast_soar.sim import content
from mimecast_soar.sim.data import Message
from mimecast_soar.sim.handlers.base import Call, required_text, valid_email
from mimecast_soar.sim.remediation import DELIVERED
from mimecast_soar.sim.state import SimState
from mimecast_soar.sim.wire import (
    Envelope,
    FileBody,
    ItemError,
    JsonDict,
    first_item,
    format_date,
    validation_error,
)

PART_TYPES = ("HTML", "PLAIN", "RFC822", "TRANSMISSION_MESSAGE_BODY")
CONTEXTS = ("RECEIVED", "DELIVERED")


def _archived(sim: SimState, message_id: str) -> Message:
    message = sim.world.messages.get(message_id)
    if message is None or message.status not in DELIVERED:
        raise ItemError("err_message_not_found", f"Message {message_id} not found", field="id")
    return message


def _person(name: str, address: str) -> JsonDict:
    return {"displayableName": name, "emailAddress": address}


def get_message_detail(sim: SimState, call: Call) -> Envelope:
    """POST /api/archive/get-message-detail: headers and attachments of one archived email."""
    message = _archived(sim, required_text(first_item(call.data), "id"))
    seed = sim.config.seed
    attachments = [
        {
            "id": content.attachment_id(seed, message.id, index),
            "filename": name,
            "sha256": content.attachment_sha256(seed, message.id, name, size),
            "size": size,
            "contentType": mime,
            "extension": name.rsplit(".", 1)[-1],
        }
        for index, (name, mime, size) in enumerate(message.attachments)
    ]
    sender, recipient = message.header_sender, message.recipient
    headers = [
        {"name": "Message-ID", "values": [message.internet_id]},
        {"name": "From", "values": [f"{sender[0]} <{sender[1]}>"]},
        {"name": "To", "values": [f"{recipient[0]} <{recipient[1]}>"]},
        {"name": "Subject", "values": [message.subject]},
        {"name": "Date", "values": [format_date(message.received - timedelta(seconds=3))]},
        {"name": "Received", "values": [f"from mail.{message.sender[1].split('@')[1]}"]},
    ]
    detail = {
        "id": message.id,
        "headers": headers,
        "attachments": attachments,
        "from": _person(*sender),
        "to": [_person(*recipient)],
        "cc": [],
        "replyTo": _person(*sender),
        "envelopeFrom": _person(*message.sender),
        "subject": message.subject,
        "received": format_date(message.received),
        "hasHtmlBody": True,
        "mimeMessageId": message.internet_id,
        "smash": content.attachment_id(seed, message.id, -1)[3:43],
    }
    return Envelope(data=[detail])


def _choice(item: JsonDict, key: str, allowed: tuple[str, ...]) -> str:
    value = str(required_text(item, key)).upper()
    if value not in allowed:
        raise validation_error(key, f"{key} must be one of {', '.join(allowed)}")
    return value


def get_message_part(sim: SimState, call: Call) -> Envelope | FileBody:
    """POST /api/archive/get-message-part: `id`, `type`, `context`, `mailbox` (all required)."""
    item = first_item(call.data)
    message = _archived(sim, required_text(item, "id"))
    kind = _choice(item, "type", PART_TYPES)
    delivered = _choice(item, "context", CONTEXTS) == "DELIVERED"
    mailbox = valid_email(required_text(item, "mailbox"), "mailbox")
    if mailbox not in (message.recipient[1].lower(), message.sender[1].lower()):
        raise ItemError(
            "err_message_not_found", f"Message not found in mailbox {mailbox}", field="mailbox"
        )
    seed = sim.config.seed
    if kind == "PLAIN":
        text = content.plain_body(seed, message, delivered=delivered)
        return FileBody(text.encode(), "body.txt", "text/plain; charset=utf-8")
    if kind == "HTML":
        html = content.html_body(seed, message, delivered=delivered)
        return FileBody(html.encode(), "body.html", "text/html; charset=utf-8")
    return FileBody(
        content.eml(seed, message, delivered=delivered), "message.eml", "message/rfc822"
    )


def get_file(sim: SimState, call: Call) -> Envelope | FileBody:
    """POST /api/archive/get-file: `{"id": attachment id}` -> the attachment's bytes."""
    wanted = required_text(first_item(call.data), "id")
    seed = sim.config.seed
    for message in sim.world.messages.values():
        if message.status not in DELIVERED:
            continue
        for index, (name, _, size) in enumerate(message.attachments):
            if content.attachment_id(seed, message.id, index) == wanted:
                return FileBody(content.attachment_bytes(seed, message.id, name, size), name)
    raise ItemError("err_file_not_found", f"Attachment {wanted} not found", field="id")
