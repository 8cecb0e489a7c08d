"""Helpers for the simulator tests.

Requests are signed here from the documented API 1.0 algorithm (not with the simulator's own
helper), so a bug in the simulator's verifier cannot hide behind shared code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx


def rfc1123(moment: datetime) -> str:
    """`Tue, 24 Nov 2015 12:50:11 UTC`."""
    return moment.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S") + " UTC"


def signed_headers(
    connection: dict[str, str], path: str, *, date: str | None = None, secret: str | None = None
) -> dict[str, str]:
    """API 1.0 headers: HMAC-SHA1 over date:reqid:path:appKey with the base64-decoded secret."""
    date = date or rfc1123(datetime.now(UTC))
    request_id = str(uuid.uuid4())
    key = base64.b64decode(secret or connection["secret_key"])
    text = f"{date}:{request_id}:{path}:{connection['application_key']}"
    signature = base64.b64encode(hmac.new(key, text.encode(), hashlib.sha1).digest()).decode()
    return {
        "x-mc-app-id": connection["application_id"],
        "x-mc-date": date,
        "x-mc-req-id": request_id,
        "Authorization": f"MC {connection['access_key']}:{signature}",
    }


class Api:
    """A tiny signed client for tests (API 1.0 by default)."""

    def __init__(self, client: httpx.Client, connection: dict[str, str]) -> None:
        self.client = client
        self.connection = connection

    def post(self, path: str, body: Any = None, **signing: Any) -> httpx.Response:
        """POST `body` (default `{"data": []}`) to `path`, signed."""
        body = {"data": []} if body is None else body
        return self.client.post(
            path, json=body, headers=signed_headers(self.connection, path, **signing)
        )

    def ok(self, path: str, body: Any = None) -> dict[str, Any]:
        """POST and assert HTTP 200 with an empty fail[]; the parsed body."""
        response = self.post(path, body)
        assert response.status_code == 200, response.text
        parsed: dict[str, Any] = response.json()
        assert parsed["fail"] == [], parsed["fail"]
        return parsed


def body_with_page(
    item: dict[str, Any] | None, size: int, token: str | None = None
) -> dict[str, Any]:
    """A request envelope with meta.pagination."""
    pagination: dict[str, Any] = {"pageSize": size}
    if token is not None:
        pagination["pageToken"] = token
    return {"meta": {"pagination": pagination}, "data": [] if item is None else [item]}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


WEEK_AGO = timedelta(days=8)
