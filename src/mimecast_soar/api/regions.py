"""Which host a connection talks to: region tables for API 1.0 and API 2.0, and base URL overrides.

API 1.0 hosts are `https://{region}-api.mimecast.com` (docs/mimecast-api.md §4). The offshore region
is spelled `je` by most clients and `jer` by one guide; both select `je`. The region lists and
the rules of `base_url` are the connection schema's (`mimecast_soar.connection_schema`); the host
table is this module's. API 2.0 has a global host
with automatic failover and two pinned hosts added in June 2025 (docs/mimecast-api.md §3, [gw]).
A `base_url` override (API gateway, proxy, the simulator) replaces the region's host for either
version.
"""

from __future__ import annotations

from mimecast_soar.api.credentials import Credentials, api_version
from mimecast_soar.connection_schema import (
    API1_REGIONS,
    BASE_URL,
    REGION,
    ApiVersion,
    api_region,
)

__all__ = ["API1_REGIONS", "API2_GLOBAL_URL", "API2_HOSTS", "resolve_base_url"]

#: API 2.0 pinned hosts; any other region (``global``, empty...) uses `API2_GLOBAL_URL`.
API2_HOSTS: dict[str, str] = {
    "uk": "https://uk-api.services.mimecast.com",
    "us": "https://us-api.services.mimecast.com",
}
API2_GLOBAL_URL = "https://api.services.mimecast.com"


def resolve_base_url(
    region: str | None, credentials: Credentials, base_url: str | None = None
) -> str:
    """The base URL (scheme and host, no trailing slash) for these credentials.

    A non-empty `base_url` wins over the region: an `http` or `https` URL with a host, returned
    without its trailing slash. Otherwise API 1.0 credentials need one of `API1_REGIONS` (or
    `jer`), and API 2.0 credentials pick a pinned host for `uk`/`us` or the global host. The
    region and the URL are checked by the connection schema's rules, as the connection file's
    are, so the client refuses exactly what the file parser refuses.

    Raises `ConfigurationError` (its `field` the region's or base_url's id) for an unknown
    region, a missing API 1.0 region or an invalid `base_url`.
    """
    if base_url is not None and base_url.strip():
        url = base_url.strip()
        REGION.value(region)  # a region that is given must be a region, override or not
        BASE_URL.url(url)
        return url.rstrip("/")
    version = api_version(credentials)
    name = api_region(region, version)
    if version is ApiVersion.V1:
        return f"https://{name}-api.mimecast.com"
    return API2_HOSTS.get(name or "", API2_GLOBAL_URL)
