"""API 1.0 HMAC signing (docs/mimecast-api.md §2), tested without a network."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
from api_fakes import ACCESS_KEY, API1, APP_KEY, SECRET_KEY, FakeClock, Server, make_client, reply

from mimecast_soar.api import Api1Credentials, HmacAuth
from mimecast_soar.api.auth_hmac import format_mc_date
from mimecast_soar.errors import ConfigurationError
from mimecast_soar.secret import Secret

VECTOR_DATE = "Tue, 24 Nov 2015 12:50:11 UTC"
VECTOR_REQ_ID = "8578FCFC-A305-4D9A-99CB-F4D5ECEFE297"
VECTOR_SIGNATURE = "eXuubW10saRQOu5wyO/j3CsqKDE="


@dataclass
class Signed:
    headers: dict[str, str]


def signed(auth: HmacAuth, url: str) -> Signed:
    """The headers a request to `url` carries: signed over the path, as the client does."""
    return Signed(auth.signed_headers(urlsplit(url).path))


def vector_auth() -> HmacAuth:
    return HmacAuth(
        API1,
        now=lambda: datetime(2015, 11, 24, 12, 50, 11, tzinfo=UTC),
        new_request_id=lambda: VECTOR_REQ_ID,
    )


def test_signature_matches_documented_vector() -> None:
    request = signed(vector_auth(), "https://eu-api.mimecast.com/api/gateway/hold-release")
    assert request.headers["Authorization"] == f"MC {ACCESS_KEY}:{VECTOR_SIGNATURE}"


def test_signed_headers_are_the_ones_sent() -> None:
    request = signed(vector_auth(), "https://eu-api.mimecast.com/api/gateway/hold-release")
    assert request.headers["x-mc-app-id"] == "app-id-0001"
    assert request.headers["x-mc-date"] == VECTOR_DATE
    assert request.headers["x-mc-req-id"] == VECTOR_REQ_ID


def test_signature_uses_path_only_not_host_or_query() -> None:
    request = signed(
        vector_auth(), "https://gateway.example.com:8443/api/gateway/hold-release?debug=1"
    )
    assert request.headers["Authorization"].endswith(":" + VECTOR_SIGNATURE)


def test_default_request_id_is_a_fresh_uuid_and_date_is_now() -> None:
    auth = HmacAuth(API1)
    first = signed(auth, "https://eu-api.mimecast.com/api/account/get-account")
    second = signed(auth, "https://eu-api.mimecast.com/api/account/get-account")
    assert first.headers["x-mc-req-id"] != second.headers["x-mc-req-id"]
    uuid.UUID(first.headers["x-mc-req-id"])
    sent = datetime.strptime(first.headers["x-mc-date"], "%a, %d %b %Y %H:%M:%S UTC")
    assert abs(sent.replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(minutes=1)


def test_authorization_header_format() -> None:
    request = signed(HmacAuth(API1), "https://eu-api.mimecast.com/api/account/get-account")
    assert re.fullmatch(
        re.escape(f"MC {ACCESS_KEY}:") + r"[A-Za-z0-9+/]{27}=", request.headers["Authorization"]
    )


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2015, 11, 24, 12, 50, 11), VECTOR_DATE),
        (datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC), "Mon, 02 Jan 2023 03:04:05 UTC"),
        (datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC), "Thu, 29 Feb 2024 23:59:59 UTC"),
        (
            datetime(2025, 6, 1, 1, 30, 0, tzinfo=timezone(timedelta(hours=2))),
            "Sat, 31 May 2025 23:30:00 UTC",
        ),
        (datetime(2025, 12, 7, 8, 0, 0, tzinfo=UTC), "Sun, 07 Dec 2025 08:00:00 UTC"),
    ],
)
def test_mc_date_format_is_rfc1123_utc_in_english(moment: datetime, expected: str) -> None:
    assert format_mc_date(moment) == expected


@pytest.mark.parametrize("bad", ["not base64!!", "abc", "===="])
def test_secret_key_that_is_not_base64_names_the_field_not_the_value(bad: str) -> None:
    credentials = Api1Credentials("app", Secret(APP_KEY), Secret(ACCESS_KEY), Secret(bad))
    with pytest.raises(ConfigurationError) as caught:
        HmacAuth(credentials)
    assert "secret_key" in str(caught.value)
    assert bad not in str(caught.value)


def test_empty_secret_key_is_a_configuration_error() -> None:
    credentials = Api1Credentials("app", Secret(APP_KEY), Secret(ACCESS_KEY), Secret(""))
    with pytest.raises(ConfigurationError, match="secret_key"):
        HmacAuth(credentials)


def test_repr_names_the_application_only() -> None:
    text = repr(HmacAuth(API1))
    assert "app-id-0001" in text
    for value in (APP_KEY, ACCESS_KEY, SECRET_KEY):
        assert value not in text


@pytest.mark.anyio
async def test_client_requests_verify_with_independent_computation(clock: FakeClock) -> None:
    server = Server(lambda request: reply())
    async with make_client(server, clock, base_path="/prefix") as client:
        await client.call("/api/account/get-account", [], mutating=False)
    (request,) = server.requests
    assert request.url.path == "/prefix/api/account/get-account"
    to_sign = ":".join(
        [
            request.headers["x-mc-date"],
            request.headers["x-mc-req-id"],
            request.url.path,
            APP_KEY,
        ]
    )
    mac = hmac.new(base64.b64decode(SECRET_KEY), to_sign.encode(), hashlib.sha1).digest()
    assert request.headers["Authorization"] == f"MC {ACCESS_KEY}:{base64.b64encode(mac).decode()}"
    assert "Bearer" not in request.headers["Authorization"]
