"""The get-message-info object for any known message (held or delivered).

Shape per [mf-info] https://integrations.mimecast.com/documentation/endpoint-reference/message-finder-formerly-tracking/get-message-info
and the example on the Devo page (docs/integration-spec.md §4.4): status,
recipientInfo {messageInfo, recipientMetaInfo},
deliveredMessage keyed by recipient address, retentionInfo and spamInfo.
"""

from __future__ import annotations

from datetime import timedelta
from html import escape

from mimecast_soar.sim import seeding as sd
from mimecast_soar.sim.content import attachment_sha256
from mimecast_soar.sim.data import Message
from mimecast_soar.sim.wire import JsonDict, format_date


def _components(message: Message, seed: int) -> list[JsonDict]:
    body = {
        "type": "Email Primary Body Plain Text",
        "name": "body.txt",
        "extension": "txt",
        "mimeType": "text/plain",
        "size": max(200, message.size // 10),
        "hash": sd.sha256_hex(seed, message.id, "body"),
    }
    parts = [body]
    for name, mime, size in message.attachments:
        parts.append(
            {
                "type": "Attachment",
                "name": name,
                "extension": name.rsplit(".", 1)[-1],
                "mimeType": mime,
                "size": size,
                "hash": attachment_sha256(seed, message.id, name, size),
            }
        )
    return parts


def _message_info(message: Message, *, with_route: bool) -> JsonDict:
    headers = (
        f"Received: from mail.{message.sender[1].split('@')[1]} ({message.sender_ip})\n"
        f"From: {message.header_sender[0]} <{message.header_sender[1]}>\n"
        f"To: {message.recipient[1]}\nSubject: {message.subject}\nMessage-ID: {message.internet_id}"
    )
    info: JsonDict = {
        "fromEnvelope": message.sender[1],
        "fromHeader": message.header_sender[1],
        "to": [message.recipient[1]],
        "cc": [],
        "subject": message.subject,
        "sent": format_date(message.received - timedelta(seconds=3)),
        "processed": format_date(message.received),
        "transmissionInfo": f"<pre>{escape(headers)}</pre>",
        "attachments": [name for name, _, _ in message.attachments],
        "htmlBody": f"<html><body><p>{escape(message.subject)}</p></body></html>",
        "textBody": message.subject,
    }
    if with_route:
        info["route"] = message.route
    return info


def message_info(message: Message, seed: int) -> JsonDict:
    """The full `data[0]` of /api/message-finder/get-message-info for `message`."""
    components = _components(message, seed)
    start = format_date(message.received - timedelta(seconds=2))
    end = format_date(message.received)
    server = f"eu-smtp-inbound-{sd.h64(seed, message.id) % 9 + 1}.mimecast.com"
    tls = "TLS 1.2 (TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)"
    spf_ok = message.spam_score < 10
    detail = {
        "rbl": {"allow": True, "info": "Not listed"},
        "spf": {"allow": spf_ok, "info": "SPF pass" if spf_ok else "SPF softfail"},
        "dkim": {"allow": True, "info": "Signed and verified"},
        "dmarc": {"allow": spf_ok, "info": "pass" if spf_ok else "fail, policy none"},
        "permittedSender": {"allow": False, "info": "Not permitted"},
        "managedSender": {"allow": False, "info": "Not managed"},
        "greyEmail": False,
        "symbolGroups": [{"name": "bulk", "description": "Bulk mail characteristics"}],
        "verdict": {
            "decision": "hold" if message.hold_reason else "allow",
            "description": "Suspicious" if message.spam_score >= 10 else "Clean",
            "risk": "high" if message.spam_score >= 20 else "negligible",
            "categories": [],
        },
    }
    delivered: JsonDict = {}
    if message.status in ("archived", "released"):
        delivered[message.recipient[1]] = {
            "messageInfo": _message_info(message, with_route=True),
            "policyInfo": [
                {
                    "policyType": "Spam Scanning",
                    "policyName": "Default Spam Scanning",
                    "inherited": False,
                },
                {
                    "policyType": "Attachment Protection",
                    "policyName": "Default Attachment Protect Definition",
                    "inherited": True,
                },
            ],
            "deliveryMetaInfo": {
                "deliveryEvent": "Delivery Succeeded",
                "emailAddress": message.recipient[1],
                "processingServer": server.replace("inbound", "outbound"),
                "remoteIp": "10.20.30.40",
                "remoteHost": f"mx.{sd.INTERNAL_DOMAIN}",
                "remoteServerGreeting": f"220 mx.{sd.INTERNAL_DOMAIN} ESMTP ready",
                "receiptAcknowledgement": "250 2.0.0 OK queued",
                "transmissionStart": end,
                "transmissionEnd": end,
                "encryptionInfo": tls,
                "messageExpiresIn": 3650,
                "transmissionSize": message.size,
                "components": components,
            },
        }
    return {
        "id": message.id,
        "status": message.status,
        "recipientInfo": {
            "messageInfo": _message_info(message, with_route=False),
            "recipientMetaInfo": {
                "receiptEvent": "Email Received" if spf_ok else "Email Received - SPF check failed",
                "spamEvent": "Spam check passed" if message.spam_score < 10 else "Spam detected",
                "messageExpiresIn": 3650,
                "processingServer": server,
                "transmissionSize": message.size,
                "binaryEmailSize": message.size + 512,
                "remoteIp": message.sender_ip,
                "remoteHost": f"mail.{message.sender[1].split('@')[1]}",
                "remoteServerGreeting": "EHLO mail",
                "receiptAcknowledgement": "250 2.6.0 Queued",
                "transmissionStart": start,
                "transmissionEnd": end,
                "encryptionInfo": tls,
                "components": components,
            },
        },
        "deliveredMessage": delivered,
        "retentionInfo": {
            "currentPurgeDate": format_date(message.received + timedelta(days=3650)),
            "originalPurgeDate": format_date(message.received + timedelta(days=3650)),
            "purgeBasedOn": "original",
            "retentionAdjustmentDays": -1,
            "litigationHoldInfo": [],
            "fbrStamps": [],
            "smartTags": [],
            "fbrExpireCheck": [],
            "audits": [],
        },
        "spamInfo": {
            "spamScore": message.spam_score,
            "detectionLevel": "relaxed",
            "spamProcessingDetail": detail,
        },
    }
