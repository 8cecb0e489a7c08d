"""The request/response envelope shared by every Mimecast endpoint (docs/mimecast-api.md §1).

Request: ``{"meta": {...}, "data": [...]}`` (``meta`` only when given). Response:
``{"meta": {"status": 200, "pagination": {...}}, "data": [...], "fail": [...]}`` where HTTP 200
only means "the function ran": the outcome is in ``fail[]`` (entries ``{"key", "errors": [{"code",
"message", "retryable", "field"}]}``) and in ``meta.status``, which can be non-200 with an empty
``fail`` (https://www.mimecast.com/tech-connect/documentation/api-overview/response-code/).

Bodies are encoded and decoded with orjson. A body that is not JSON, is cut short, or is JSON
of another shape raises `ResponseFormatError` carrying a short, redacted excerpt. Server text
quoted in a message (an excerpt, a ``fail[]`` entry) is redacted, then made inert and capped by
`safe_text`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from mimecast_soar.errors import (
    MimecastErrorDetail,
    MimecastFailure,
    RequestFailedError,
    ResponseFormatError,
)
from mimecast_soar.safetext import safe_text
from mimecast_soar.secret import Redactor

__all__ = [
    "MimecastResponse",
    "encode_request",
    "excerpt",
    "parse_envelope",
    "parse_failures",
]

_EXCERPT_CHARS = 160
#: An excerpt looks at no more of a body than this (a secret may straddle the 160th character).
_EXCERPT_READ_BYTES = 1024


def encode_request(data: list[Any], meta: dict[str, Any] | None = None) -> bytes:
    """The JSON request body: ``meta`` first when given, then ``data``."""
    body: dict[str, Any] = {}
    if meta is not None:
        body["meta"] = meta
    body["data"] = data
    return orjson.dumps(body)


def excerpt(content: bytes | bytearray, redactor: Redactor | None = None) -> str:
    """The start of a body (its first kilobyte at most) as one short line of inert text, with
    secrets masked."""
    text = bytes(content[:_EXCERPT_READ_BYTES]).decode("utf-8", errors="replace")
    text = " ".join(text.split())
    if redactor is not None:
        text = redactor(text)  # before the cut, so no secret is cut into a maskless prefix
    return safe_text(text, _EXCERPT_CHARS) or "(empty body)"


@dataclass(frozen=True)
class MimecastResponse:
    """One parsed response envelope.

    `meta` and `data` are as Mimecast sent them (empty when absent), `fail` holds the parsed
    ``fail[]`` entries, `raw` the whole decoded body and `http_status` the HTTP status code.
    """

    meta: dict[str, Any]
    data: list[Any]
    fail: tuple[MimecastFailure, ...]
    raw: dict[str, Any]
    http_status: int
    redactor: Redactor | None = field(default=None, repr=False, compare=False)

    @property
    def status(self) -> int:
        """``meta.status``, the function-level status (200 when absent or not a number)."""
        value = self.meta.get("status", 200)
        if isinstance(value, bool):
            return 200
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        return 200

    @property
    def next_token(self) -> str | None:
        """``meta.pagination.next``: the token of the next page, when there is one."""
        pagination = self.meta.get("pagination")
        if not isinstance(pagination, dict):
            return None
        token = pagination.get("next")
        return token if isinstance(token, str) and token else None

    @property
    def ok(self) -> bool:
        """True when ``fail[]`` is empty and ``meta.status`` is 200."""
        return not self.fail and self.status == 200

    def raise_for_failures(self, path: str) -> None:
        """Raise `RequestFailedError` when ``fail[]`` is not empty or ``meta.status`` is not 200.

        The message names the path and every Mimecast code and message; the error keeps the
        first code and message as `code`/`detail` and all entries as `failures`.
        """
        if self.ok:
            return
        details = [d for f in self.fail for d in f.errors]
        first = details[0] if details else None
        redact = self.redactor if self.redactor is not None else _same
        if self.fail:
            described = "; ".join(safe_text(redact(f.describe())) for f in self.fail)
            message = f"Mimecast reported a failure on {path}: {described}"
            if self.status != 200:
                message += f" (status {self.status})"
        else:
            message = f"Mimecast reported status {self.status} on {path} without error details"
        message += "."
        detail = safe_text(redact(first.message)) if first and first.message else None
        code = safe_text(redact(first.code)) if first and first.code else None
        raise RequestFailedError(
            redact(message),
            path=path,
            http_status=self.http_status,
            code=code,
            detail=detail,
            failures=self.fail,
        )


def parse_envelope(
    content: bytes | bytearray, *, path: str, http_status: int, redactor: Redactor | None = None
) -> MimecastResponse:
    """Decode a response body into a `MimecastResponse` (`content` is parsed where it lies).

    Raises `ResponseFormatError` when the body is not JSON, is truncated, or is not an object
    with ``meta`` (object), ``data`` (array) and/or ``fail`` (array of objects).
    """

    def bad(why: str) -> ResponseFormatError:
        text = f"Mimecast's response on {path} {why}: {excerpt(content, redactor)}"
        return ResponseFormatError(text, path=path, http_status=http_status)

    try:
        raw = orjson.loads(content)
    except orjson.JSONDecodeError:
        raise bad("is not valid JSON (truncated or not JSON at all)") from None
    if not isinstance(raw, dict) or not ({"meta", "data", "fail"} & raw.keys()):
        raise bad("is not the meta/data/fail envelope")
    meta = raw.get("meta")
    if meta is None:
        meta = {}
    data = raw.get("data")
    fail = raw.get("fail")
    if not isinstance(meta, dict):
        raise bad("has a 'meta' that is not an object")
    if data is None:
        data = []
    if not isinstance(data, list):
        raise bad("has a 'data' that is not an array")
    try:
        failures = parse_failures(fail)
    except ValueError as exc:
        raise bad(str(exc)) from None
    return MimecastResponse(
        meta=meta,
        data=data,
        fail=failures,
        raw=raw,
        http_status=http_status,
        redactor=redactor,
    )


def parse_failures(fail: Any) -> tuple[MimecastFailure, ...]:
    """Parse a ``fail[]`` array; raises ValueError when it is not shaped as documented."""
    if fail is None:
        return ()
    if not isinstance(fail, list):
        raise ValueError("has a 'fail' that is not an array")
    entries: list[MimecastFailure] = []
    for entry in fail:
        if not isinstance(entry, dict):
            raise ValueError("has a 'fail' entry that is not an object")
        errors = entry.get("errors") or []
        if not isinstance(errors, list):
            raise ValueError("has 'fail[].errors' that is not an array")
        entries.append(
            MimecastFailure(
                key=entry.get("key"),
                errors=tuple(_parse_error_detail(e) for e in errors),
            )
        )
    return tuple(entries)


def _parse_error_detail(error: Any) -> MimecastErrorDetail:
    if not isinstance(error, dict):
        return MimecastErrorDetail(code=None, message=_text(error))
    return MimecastErrorDetail(
        code=_text(error.get("code")),
        message=_text(error.get("message")),
        retryable=error.get("retryable") is True,
        field_name=_text(error.get("field")),
    )


def _same(text: str) -> str:
    return text


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)
