"""Request authentication: API 1.0 HMAC signatures, API 2.0 bearer tokens, Basic-Cloud login.

API 1.0 [auth] https://integrations.mimecast.com/documentation/api-overview/authorization/:
`Authorization: MC accessKey:signature`, signature = base64(HMAC-SHA1(base64decode(secretKey),
"x-mc-date:x-mc-req-id:path:appKey")), with `x-mc-app-id`, `x-mc-date` (RFC 1123, `UTC` or `GMT`)
and `x-mc-req-id` sent as headers. Failures are HTTP 401 `err_xdk_invalid_signature`; an expired
binding is HTTP 418 `err_xdk_binding_expired` [codes]. The signature is computed here from the
documented algorithm, independently of the client in `mimecast_soar.api`.
API 2.0: `Authorization: Bearer <token>` from `POST /oauth/token` (client credentials), valid for
`token_ttl_seconds` (1799 in captured responses, docs/mimecast-api.md §3).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache

from mimecast_soar.sim.config import SimConfig


@lru_cache(maxsize=8)
def _keyed_sha1(secret_key: str) -> hmac.HMAC:
    """HMAC-SHA1 keyed with the decoded secret, built once per secret: each signature copies it,
    so the base64 decoding and the HMAC key set-up are not redone on every request."""
    return hmac.new(base64.b64decode(secret_key), digestmod=hashlib.sha1)


def sign(date: str, request_id: str, path: str, application_key: str, secret_key: str) -> str:
    """The API 1.0 signature of one request, from the documented algorithm."""
    mac = _keyed_sha1(secret_key).copy()
    mac.update(f"{date}:{request_id}:{path}:{application_key}".encode())
    return base64.b64encode(mac.digest()).decode()


def parse_header_date(value: str) -> datetime | None:
    """Parse `Tue, 24 Nov 2015 12:50:11 UTC` (or GMT); None when unreadable."""
    try:
        moment = parsedate_to_datetime(value.replace(" UTC", " GMT"))
    except (TypeError, ValueError, IndexError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# A client sends the same x-mc-date (one-second resolution) on every call within that second:
# parse each text once. Bounded, since the header is the client's.
_header_date = lru_cache(maxsize=256)(parse_header_date)


@dataclass(frozen=True)
class AuthFailure:
    """Why a request was refused: HTTP status, Mimecast error code and message."""

    status: int
    code: str
    message: str


INVALID_SIGNATURE = "err_xdk_invalid_signature"


def _invalid(message: str) -> AuthFailure:
    return AuthFailure(401, INVALID_SIGNATURE, message)


BINDING_EXPIRED = AuthFailure(
    418, "err_xdk_binding_expired", "0018 Binding Expired: AccessKey Has Expired"
)


def check_app_headers(
    headers: Mapping[str, str], config: SimConfig, now: datetime
) -> AuthFailure | None:
    """The x-mc-app-id / x-mc-date / x-mc-req-id checks shared by every API 1.0 call."""
    for name in ("x-mc-app-id", "x-mc-date", "x-mc-req-id"):
        if not headers.get(name):
            return AuthFailure(401, "err_xdk_missing_header", f"0001 Missing header {name}")
    if headers["x-mc-app-id"] != config.application_id:
        return _invalid("0004 Invalid Signature: unknown application id")
    moment = _header_date(headers["x-mc-date"])
    if moment is None:
        return _invalid("0004 Invalid Signature: unreadable x-mc-date")
    if abs((now - moment).total_seconds()) > config.date_skew_seconds:
        return _invalid("0004 Invalid Signature: x-mc-date is outside the allowed clock skew")
    return None


def verify_api1(
    headers: Mapping[str, str],
    path: str,
    config: SimConfig,
    now: datetime,
    *,
    binding_expired: bool,
) -> AuthFailure | None:
    """Verify an API 1.0 signed request; None when it is good."""
    failure = check_app_headers(headers, config, now)
    if failure is not None:
        return failure
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    access_key, sep, signature = credentials.partition(":")
    if scheme != "MC" or not sep:
        return _invalid("0004 Invalid Signature: expected Authorization: MC accessKey:signature")
    if not hmac.compare_digest(access_key, config.access_key):
        return _invalid("0004 Invalid Signature: unknown access key")
    if binding_expired:
        return BINDING_EXPIRED
    expected = sign(
        headers["x-mc-date"],
        headers["x-mc-req-id"],
        path,
        config.application_key,
        config.secret_key,
    )
    if not hmac.compare_digest(signature, expected):
        return _invalid("0004 Invalid Signature")
    return None


def check_basic_cloud(headers: Mapping[str, str], config: SimConfig) -> AuthFailure | None:
    """`Authorization: Basic-Cloud base64(email:password)` for /api/login/login."""
    scheme, _, encoded = headers.get("authorization", "").partition(" ")
    if scheme not in ("Basic-Cloud", "Basic-AD"):
        return AuthFailure(
            401, "err_xdk_auth_type_not_supported", "0001 Authentication type not supported"
        )
    try:
        email, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return AuthFailure(401, "err_xdk_invalid_credentials", "0001 Unreadable credentials")
    if email.lower() != config.login_email.lower() or password != config.login_password:
        return AuthFailure(401, "err_xdk_invalid_credentials", "0001 Invalid user name or password")
    return None


class TokenStore:
    """Bearer tokens issued by /oauth/token, with expiry on the simulator clock (epoch seconds)."""

    def __init__(self) -> None:
        self._expiry: dict[str, float] = {}
        self.issued = 0

    def issue(self, now: float, ttl_seconds: int) -> str:
        """A new opaque token valid for `ttl_seconds` from `now`."""
        token = secrets.token_urlsafe(32)
        self._expiry[token] = now + ttl_seconds
        self.issued += 1
        return token

    def check(self, token: str, now: float) -> AuthFailure | None:
        """None when `token` is known and unexpired."""
        expiry = self._expiry.get(token)
        if expiry is None:
            return AuthFailure(401, "invalid_token", "The access token is not valid")
        if now >= expiry:
            return AuthFailure(401, "token_expired", "The access token has expired")
        return None

    def expire_all(self) -> None:
        """Expire every issued token now (kept, so they answer `token_expired`)."""
        for token in self._expiry:
            self._expiry[token] = 0.0

    def active(self, now: float) -> int:
        """How many tokens are still valid."""
        return sum(1 for expiry in self._expiry.values() if expiry > now)

    def clear(self) -> None:
        """Forget every token."""
        self._expiry.clear()
        self.issued = 0
