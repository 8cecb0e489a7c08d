"""The Mimecast wire format: envelopes, `fail[]` entries, error bodies and dates.

Response envelope `{"meta": {"status": 200, "pagination": {...}}, "data": [...], "fail": [...]}`
and fail entries `{"key": item, "errors": [{"code", "message", "retryable", "field"?}]}` follow
[concepts] https://integrations.mimecast.com/documentation/api-overview/api-concepts and
[codes] https://www.mimecast.com/tech-connect/documentation/api-overview/response-code/.
Body dates are `yyyy-MM-dd'T'HH:mm:ssZ` (`2011-12-03T10:15:30+0000`); we accept `+00:00` and `Z`
too and always emit `+0000`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

JsonDict = dict[str, Any]


class ItemError(Exception):
    """One request item failed: becomes a `fail[]` entry, HTTP 200."""

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def entry(self, key: Any) -> JsonDict:
        """The `fail[]` entry for this error with `key` = the failing request item."""
        return fail_entry(key, self.code, self.message, field=self.field)


def validation_error(field_name: str, message: str, code: str = "") -> ItemError:
    """A validation failure on one field (`err_validation_*` codes carry `field`)."""
    return ItemError(code or "err_validation_invalid_value", message, field=field_name)


def fail_entry(key: Any, code: str, message: str, *, field: str | None = None) -> JsonDict:
    """A `fail[]` entry."""
    error: JsonDict = {"code": code, "message": message, "retryable": False}
    if field is not None:
        error["field"] = field
    return {"key": key, "errors": [error]}


@dataclass
class Envelope:
    """A handler's answer before serialisation."""

    data: list[Any] = field(default_factory=list)
    fail: list[JsonDict] = field(default_factory=list)
    pagination: JsonDict | None = None
    status: int = 200

    def to_json(self) -> JsonDict:
        """The response body as Mimecast shapes it."""
        meta: JsonDict = {"status": self.status}
        if self.pagination is not None and not self.fail:
            meta["pagination"] = self.pagination
        return {"meta": meta, "data": self.data, "fail": self.fail}


@dataclass
class FileBody:
    """A handler's binary answer (a file stream); failures still answer with an `Envelope`."""

    content: bytes
    filename: str
    content_type: str = "application/octet-stream"


def error_body(status: int, code: str, message: str, *, retryable: bool = False) -> bytes:
    """A non-200 error body in the envelope (401, 418, 429, 5xx...)."""
    error = {"code": code, "message": message, "retryable": retryable}
    body = {"meta": {"status": status}, "data": [], "fail": [{"errors": [error]}]}
    return orjson.dumps(body)


def dumps(value: Any) -> bytes:
    """Serialise JSON the way the simulator sends it."""
    return orjson.dumps(value)


def format_date(moment: datetime) -> str:
    """`2011-12-03T10:15:30+0000` in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def parse_date(value: Any, field_name: str) -> datetime:
    """Parse a body date (`+0000`, `+00:00`, `Z`, or a bare date = midnight UTC)."""
    if not isinstance(value, str) or not value.strip():
        raise validation_error(field_name, f"{field_name} must be a date string")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise validation_error(
            field_name,
            f"{field_name} must look like 2011-12-03T10:15:30+0000",
            "err_validation_invalid_date",
        ) from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def optional_date(item: JsonDict, key: str, default: datetime) -> datetime:
    """`item[key]` parsed, or `default` when absent or empty."""
    value = item.get(key)
    return default if value in (None, "") else parse_date(value, key)


def optional_bool(item: JsonDict, key: str, default: bool) -> bool:
    """`item[key]` as a bool (JSON bool or true/false text)."""
    value = item.get(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise validation_error(key, f"{key} must be a boolean")


def choice(item: JsonDict, key: str, allowed: tuple[str, ...], default: str) -> str:
    """`item[key]` checked against `allowed` (case-insensitive), or `default`."""
    value = item.get(key)
    if value in (None, ""):
        return default
    if isinstance(value, str) and value.lower() in allowed:
        return value.lower()
    raise validation_error(key, f"{key} must be one of {', '.join(allowed)}")


def first_item(data: list[Any]) -> JsonDict:
    """`data[0]` when it is an object, else `{}` (list endpoints read one item)."""
    return data[0] if data and isinstance(data[0], dict) else {}
