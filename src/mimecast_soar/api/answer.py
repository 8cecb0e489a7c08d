"""A server's answer as the client keeps it, and reading its body within a bound.

`Answer` is the status, the headers (a case-insensitive mapping) and the decoded body; the rest
of the client (HTTP errors, envelope, rate gate) sees only this, never the HTTP library's types.

`read_body` turns the raw body stream into the decoded body without ever holding more than
``max_body_bytes`` of it plus one chunk:

- a ``Content-Length`` above the cap is refused before anything is read;
- at most one content coding: ``gzip``, ``deflate`` or none (``identity``). Two codings (a
  ``gzip, gzip`` bomb costs 1.8 KB on the wire) or an unknown one are refused;
- a coded body is decoded as it arrives, `zlib` never producing more than the room left under
  the cap, so a 1 MB gzip that would decode to 1 GiB stops at the cap.

Every refusal is a `ResponseFormatError` ("could not be read: ..."), the type the retry rules
already treat as "the request may have run".
"""

from __future__ import annotations

import re
import zlib
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass

from mimecast_soar.connection_schema import DEFAULT_MAX_BODY_BYTES
from mimecast_soar.errors import ResponseFormatError

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "Answer",
    "check_header_values",
    "content_coding",
    "read_body",
]

# Control characters other than HTAB: never valid in a field value (RFC 9110 §5.5).
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")

# zlib window bits: 16 + 15 reads a gzip wrapper; 15 a zlib wrapper; -15 raw deflate.
_GZIP_WBITS = 31
_ZLIB_WBITS = 15
_RAW_WBITS = -15


@dataclass(frozen=True, slots=True)
class Answer:
    """One final HTTP answer: `status`, `headers` (case-insensitive) and the decoded `body`.

    `body` may be a `bytearray` (the buffer it was read into, not copied again); orjson and the
    excerpts read it as it is.
    """

    status: int
    headers: Mapping[str, str]
    body: bytes | bytearray


def check_header_values(raw_headers: Iterable[tuple[bytes, bytes]], *, path: str) -> None:
    """Refuse an answer whose header values hold control characters (a bare CR or LF, a NUL).

    aiohttp runs llhttp leniently on responses, so this is checked here: a value split by a
    bare line break is how a response smuggles in headers of its own.
    """
    for _name, value in raw_headers:
        if _CONTROL.search(value):
            raise _unreadable(path, "a header value holds a control character")


def content_coding(values: list[str], *, path: str) -> str | None:
    """The one content coding named by the ``Content-Encoding`` header `values`, or None.

    Raises `ResponseFormatError` for two codings or an unknown one.
    """
    codings = [
        token.strip().lower() for value in values for token in value.split(",") if token.strip()
    ]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return None
    if len(codings) > 1:
        raise _unreadable(path, f"more than one content coding ({', '.join(codings)[:80]})")
    coding = "gzip" if codings[0] == "x-gzip" else codings[0]
    if coding not in ("gzip", "deflate"):
        raise _unreadable(path, f"unsupported content coding {coding[:40]!r}")
    return coding


async def read_body(
    chunks: AsyncIterator[bytes],
    *,
    coding: str | None,
    content_length: int | None,
    max_body_bytes: int,
    path: str,
) -> bytes | bytearray:
    """Read and decode the body from the raw `chunks`, refusing anything over `max_body_bytes`."""
    if content_length is not None and content_length > max_body_bytes:
        raise _too_large(path, max_body_bytes)
    body = bytearray()
    decoder: zlib._Decompress | None = None
    async for chunk in chunks:
        if coding is None:
            body += chunk
            if len(body) > max_body_bytes:
                raise _too_large(path, max_body_bytes)
            continue
        if decoder is None:
            decoder = zlib.decompressobj(_wbits(coding, chunk))
        decoder = _inflate(decoder, chunk, body, coding, max_body_bytes, path)
    if coding is None:
        return body if body else b""
    if decoder is None:
        return b""  # an empty coded body: nothing was sent to decode
    try:
        body += decoder.flush()
    except zlib.error as exc:
        raise _unreadable(path, f"bad {coding} data ({exc})") from None
    if len(body) > max_body_bytes:
        raise _too_large(path, max_body_bytes)
    if not decoder.eof:
        raise _unreadable(path, f"the {coding} data ends early")
    return body


def _inflate(
    decoder: zlib._Decompress,
    data: bytes,
    body: bytearray,
    coding: str,
    max_body_bytes: int,
    path: str,
) -> zlib._Decompress:
    """Decode `data` into `body`, never past one byte over the cap; returns the decoder to go on
    with (a new one when a gzip member ends and another follows)."""
    while data:
        room = max_body_bytes - len(body) + 1  # one byte over tells "too large"
        try:
            piece = decoder.decompress(data, room)
        except zlib.error as exc:
            raise _unreadable(path, f"bad {coding} data ({exc})") from None
        body += piece
        if len(body) > max_body_bytes:
            raise _too_large(path, max_body_bytes)
        rest = decoder.unconsumed_tail
        if decoder.eof:
            rest = decoder.unused_data + rest
            if not rest:
                break
            if coding != "gzip":
                raise _unreadable(path, "bytes follow the end of the deflate data")
            decoder = zlib.decompressobj(_GZIP_WBITS)  # concatenated gzip members
        elif not piece and len(rest) == len(data):
            break  # nothing moved (cannot happen with zlib); never spin
        data = rest
    return decoder


def _wbits(coding: str, first: bytes) -> int:
    if coding == "gzip":
        return _GZIP_WBITS
    # "deflate" is meant to carry a zlib wrapper; some servers send raw deflate instead.
    if len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0:
        return _ZLIB_WBITS
    return _RAW_WBITS


def _too_large(path: str, max_body_bytes: int) -> ResponseFormatError:
    return _unreadable(
        path, f"the body is larger than max_body_bytes ({max_body_bytes} bytes once decoded)"
    )


def _unreadable(path: str, reason: str) -> ResponseFormatError:
    message = f"Mimecast's response on {path} could not be read: {reason}."
    return ResponseFormatError(message, path=path)
