"""The Mimecast API client: regions, auth, the envelope, pagination, retries and rate limits.

Knows HTTP and Mimecast, nothing about tables, templates or the platform. Start with
`MimecastClient` and `ClientSettings`; errors are those of `mimecast_soar.errors`.

Modules, one concept each: `regions` (hosts), `credentials`, `auth_hmac` (API 1.0 signing),
`auth_oauth` (API 2.0 tokens), `envelope` (meta/data/fail), `http_errors` (HTTP statuses and
transport exceptions to typed errors), `pagination`, `retry` (policy and loop), `rate_gate`
(shared pause on an exhausted quota), `answer` (answers and bounded bodies), `transport` (the
aiohttp session), `client`. `endpoints` declares every Mimecast path we call, once, with whether
it changes state; `account` is the connection test's call.
"""

from mimecast_soar.api.auth_hmac import HmacAuth
from mimecast_soar.api.auth_oauth import OAuthAuth
from mimecast_soar.api.client import ClientSettings, MimecastClient
from mimecast_soar.api.credentials import Api1Credentials, Api2Credentials, Credentials
from mimecast_soar.api.envelope import MimecastResponse
from mimecast_soar.api.pagination import Pagination
from mimecast_soar.api.rate_gate import RateGate
from mimecast_soar.api.regions import API1_REGIONS, resolve_base_url
from mimecast_soar.api.retry import RetryPolicy

__all__ = [
    "API1_REGIONS",
    "Api1Credentials",
    "Api2Credentials",
    "ClientSettings",
    "Credentials",
    "HmacAuth",
    "MimecastClient",
    "MimecastResponse",
    "OAuthAuth",
    "Pagination",
    "RateGate",
    "RetryPolicy",
    "resolve_base_url",
]
