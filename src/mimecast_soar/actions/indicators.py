"""Checking the indicators a response acts on: file hashes, Internet Message-IDs and URLs.

Each check runs before any call, so a value Mimecast would refuse (or, worse, read differently)
becomes an error row naming it. The rules are Mimecast's (docs/mimecast-api.md §12.1, §12.2):
file hashes are MD5, SHA-1 or SHA-256 in hex; a Message-ID is sent in its `<>` delimiters; a
managed URL has no fragment (`#`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from mimecast_soar.actions.values import is_domain, show_value
from mimecast_soar.errors import InvalidInputError

_HASH = re.compile(r"^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$")
_MESSAGE_ID = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")
_SCHEMES = ("", "http", "https")


def file_hash(text: str, *, label: str, input_id: str) -> str:
    """The hash in lower case; anything else is an error naming the value."""
    value = text.strip().lower()
    if not _HASH.match(value):
        raise InvalidInputError(
            f"{label} {show_value(text.strip())} is not a file hash: give an MD5 (32), SHA-1 "
            "(40) or SHA-256 (64) value in hexadecimal",
            input_id=input_id,
        )
    return value


def message_id(text: str, *, label: str, input_id: str) -> str:
    """An Internet Message-ID in its `<>` delimiters (added when missing)."""
    value = text.strip()
    if not value.startswith("<") and not value.endswith(">"):
        value = f"<{value}>"
    if not _MESSAGE_ID.match(value):
        raise InvalidInputError(
            f"{label} {show_value(text.strip())} is not an Internet Message-ID such as "
            "<abc123@mail.example.com>",
            input_id=input_id,
        )
    return value


@dataclass(frozen=True)
class UrlParts:
    """A URL as Mimecast's managed-URL entries describe it (scheme optional)."""

    scheme: str
    host: str
    port: int | None
    path: str
    query: str

    def text(self) -> str:
        """`host[:port]/path[?query]`, without the scheme, for comparing with an entry."""
        port = f":{self.port}" if self.port is not None else ""
        query = f"?{self.query}" if self.query else ""
        return f"{self.host}{port}{self.path.rstrip('/')}{query}"


def url_parts(text: str, *, label: str, input_id: str) -> UrlParts:
    """Split an http(s) URL or a bare domain; a fragment, spaces or no domain is an error."""
    value = text.strip()
    if "#" in value:
        raise InvalidInputError(
            f"{label} {show_value(value)} has a fragment (the part from #); Mimecast refuses "
            "it: give the URL without it",
            input_id=input_id,
        )
    parts = urlsplit(value if "://" in value else f"//{value}")
    try:
        port = parts.port
    except ValueError:
        port = -1
    host = (parts.hostname or "").rstrip(".")
    if (
        any(c.isspace() for c in value)
        or parts.scheme.lower() not in _SCHEMES
        or port == -1
        or not is_domain(host)
    ):
        raise InvalidInputError(
            f"{label} {show_value(value)} is not an http or https URL or a domain",
            input_id=input_id,
        )
    return UrlParts(parts.scheme.lower(), host.lower(), port, parts.path, parts.query)


def entry_text(entry: dict[str, object]) -> str:
    """A managed-URL entry (`domain`, `port`, `path`, `queryString`) as `UrlParts.text`."""
    port = entry.get("port")
    shown_port = f":{port}" if isinstance(port, int) and port >= 0 else ""
    path = str(entry.get("path") or "").rstrip("/")
    query = str(entry.get("queryString") or "")
    host = str(entry.get("domain") or "").lower().rstrip(".")
    return f"{host}{shown_port}{path}{'?' + query if query else ''}"
