"""File contents of seeded messages: attachment bytes, their hashes, attachment ids and `.eml`.

Bytes are generated from (seed, message id, file name, size) whenever asked for, never stored:
a SHAKE-256 stream behind the file type's magic bytes. The SHA-256 every endpoint reports
(get-message-info components, archive get-message-detail, remediation, search-hash) is the hash of
exactly these bytes, so a client can check a download against it.
"""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache

from mimecast_soar.sim import seeding as sd
from mimecast_soar.sim.data import Message

MAGIC = {
    "pdf": b"%PDF-1.7\n",
    "zip": b"PK\x03\x04",
    "docm": b"PK\x03\x04",
}
#: Where DELIVERED copies point rewritten links (URL Protect), per region-neutral example.
PROTECT_HOST = "https://protect-us.mimecast.com/s/"


def attachment_bytes(seed: int, message_id: str, name: str, size: int) -> bytes:
    """The content of attachment `name` of message `message_id` (exactly `size` bytes)."""
    magic = MAGIC.get(name.rsplit(".", 1)[-1].lower(), b"")
    stream = hashlib.shake_256(f"{seed}:{message_id}:{name}".encode()).digest(size)
    return (magic + stream)[:size]


@lru_cache(maxsize=4096)
def attachment_sha256(seed: int, message_id: str, name: str, size: int) -> str:
    """Hex SHA-256 of `attachment_bytes(...)` (remembered: files are up to a few MB)."""
    return hashlib.sha256(attachment_bytes(seed, message_id, name, size)).hexdigest()


def attachment_id(seed: int, message_id: str, index: int) -> str:
    """The archive id of attachment `index` of a message (get-message-detail, get-file)."""
    return sd.secure_id(seed, "attachment", message_id, index)


def body_link(seed: int, message: Message) -> str:
    """The link in a message's body (as received, before URL rewriting)."""
    domain = message.sender[1].split("@")[1]
    return f"https://www.{domain}/docs/{sd.h64(seed, message.id, 'link') % 16**8:08x}"


def plain_body(seed: int, message: Message, *, delivered: bool) -> str:
    """The text body; DELIVERED copies carry the rewritten (protected) link."""
    link = body_link(seed, message)
    if delivered:
        link = PROTECT_HOST + sd.secure_id(seed, "protect", link)[3:27]
    return f"{message.subject}\n\nPlease review: {link}\n\n{message.sender[0]}\n"


def html_body(seed: int, message: Message, *, delivered: bool) -> str:
    """The HTML body (same text and link as the plain one)."""
    lines = plain_body(seed, message, delivered=delivered).strip().split("\n\n")
    return "<html><body>" + "".join(f"<p>{line}</p>" for line in lines) + "</body></html>"


def eml(seed: int, message: Message, *, delivered: bool) -> bytes:
    """The whole email as RFC 822 bytes, attachments included (base64)."""
    mail = EmailMessage()
    mail["Message-ID"] = message.internet_id
    mail["Date"] = format_datetime(message.received)
    mail["From"] = f"{message.header_sender[0]} <{message.header_sender[1]}>"
    mail["To"] = f"{message.recipient[0]} <{message.recipient[1]}>"
    mail["Subject"] = message.subject
    mail.set_content(plain_body(seed, message, delivered=delivered))
    mail.add_alternative(html_body(seed, message, delivered=delivered), subtype="html")
    for name, mime, size in message.attachments:
        maintype, _, subtype = mime.partition("/")
        content = attachment_bytes(seed, message.id, name, size)
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    for index, part in enumerate(mail.walk()):
        if part.is_multipart():  # the library picks random boundaries; the seed decides here
            part.set_boundary(f"sim-{sd.h64(seed, message.id, 'boundary', index):016x}")
    return mail.as_bytes()
