"""API 1.0 request signing (HMAC-SHA1): the headers that sign one request.

Documented at https://integrations.mimecast.com/documentation/api-overview/authorization/
(docs/mimecast-api.md §2). Every request carries:

- ``x-mc-app-id``: the application id;
- ``x-mc-date``: the UTC date, RFC 1123 style with ``UTC`` (``Tue, 24 Nov 2015 12:50:11 UTC``);
- ``x-mc-req-id``: a fresh UUID;
- ``Authorization: MC {accessKey}:{signature}`` where signature is
  ``base64(HMAC-SHA1(base64decode(secretKey), "{date}:{reqId}:{path}:{applicationKey}"))`` and
  ``path`` is the request path only (no scheme, host or query).

The date and request id that were signed are the ones sent. Day and month names are English
whatever the process locale, because `strftime("%a")` would follow the locale.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from mimecast_soar.api.credentials import Api1Credentials
from mimecast_soar.errors import ConfigurationError

__all__ = ["HmacAuth", "decode_secret_key", "format_mc_date", "hmac_signature"]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_mc_date(moment: datetime) -> str:
    """`moment` in the ``x-mc-date`` form, e.g. ``Tue, 24 Nov 2015 12:50:11 UTC``.

    A naive datetime is taken to be UTC already; an aware one is converted to UTC.
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return (
        f"{_DAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1]} "
        f"{moment.year:04d} {moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} UTC"
    )


def decode_secret_key(secret_key: str) -> bytes:
    """The HMAC key: the base64-decoded Secret Key.

    Raises `ConfigurationError` naming the field (never the value) when it is not valid base64.
    """
    text = "".join(secret_key.split())  # tolerate line breaks pasted from the console
    if not text:
        raise ConfigurationError("The API 1.0 secret_key is empty.")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(
            "The API 1.0 secret_key is not valid base64 text; copy it again from the "
            "Mimecast console (it is the Secret Key, not the Access Key)."
        ) from None


def hmac_signature(key: bytes, date: str, request_id: str, path: str, application_key: str) -> str:
    """The base64 HMAC-SHA1 of ``{date}:{request_id}:{path}:{application_key}`` under `key`."""
    data_to_sign = f"{date}:{request_id}:{path}:{application_key}".encode()
    digest = hmac.new(key, data_to_sign, hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _new_request_id() -> str:
    return str(uuid.uuid4())


class HmacAuth:
    """Signs each request with the API 1.0 scheme.

    `now` and `new_request_id` are injectable so the signature can be tested against the
    documented vector. The secret key is decoded once, here: a bad key fails at construction
    with a `ConfigurationError` before any call is made.
    """

    def __init__(
        self,
        credentials: Api1Credentials,
        *,
        now: Callable[[], datetime] = _utc_now,
        new_request_id: Callable[[], str] = _new_request_id,
    ) -> None:
        self._credentials = credentials
        self._key = decode_secret_key(credentials.secret_key.get())
        self._application_key = credentials.application_key.get()
        self._application_id = credentials.application_id
        self._authorization_prefix = f"MC {credentials.access_key.get()}:"
        self._now = now
        self._new_request_id = new_request_id

    def __repr__(self) -> str:
        return f"HmacAuth(application_id={self._credentials.application_id!r})"

    def signed_headers(self, path: str) -> dict[str, str]:
        """The four signing headers for a request to `path` (the path only: no host, no query)."""
        date = format_mc_date(self._now())
        request_id = self._new_request_id()
        signature = hmac_signature(self._key, date, request_id, path, self._application_key)
        return {
            "x-mc-app-id": self._application_id,
            "x-mc-date": date,
            "x-mc-req-id": request_id,
            "Authorization": self._authorization_prefix + signature,
        }
