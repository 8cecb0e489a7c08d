"""Which host a connection talks to: region tables for API 1.0 and API 2.0, and base URL overrides.

API 1.0 hosts are `https://{region}-api.mimecast.com` (docs/mimecast-api.md §4). The offshore region
is spelled `je` by most clients and `jer` by one guide; both select `je`. API 2.0 has a global host
with automatic failover and two pinned hosts added in June 2025 (docs/mimecast-api.md §3, [gw]).
A `base_url` override (API gateway, proxy, the simulator) replaces the region's host for either
version.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from mimecast_soar.api.credentials import Api1Credentials, Credentials
from mimecast_soar.errors import ConfigurationError

__all__ = ["API1_REGIONS", "API2_GLOBAL_URL", "API2_HOSTS", "resolve_base_url"]

#: API 1.0 region codes, in the order the connection form lists them.
API1_REGIONS: tuple[str, ...] = ("eu", "de", "us", "usb", "ca", "za", "au", "je")

#: Alternative spellings accepted for an API 1.0 region.
_API1_ALIASES: dict[str, str] = {"jer": "je"}

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

    A non-empty `base_url` wins over the region: any `http` or `https` URL with a host, returned
    without its trailing slash. Otherwise API 1.0 credentials need one of `API1_REGIONS` (or
    `jer`), and API 2.0 credentials pick a pinned host for `uk`/`us` or the global host.

    Raises `ConfigurationError` for an unknown or missing API 1.0 region or an invalid `base_url`.
    """
    if base_url is not None and base_url.strip():
        return _validated_base_url(base_url.strip())
    name = (region or "").strip().lower()
    if isinstance(credentials, Api1Credentials):
        name = _API1_ALIASES.get(name, name)
        if name not in API1_REGIONS:
            allowed = ", ".join(API1_REGIONS)
            shown = f"region {region.strip()!r}" if region and region.strip() else "no region"
            raise ConfigurationError(
                f"API 1.0 connection has {shown}: the region must be one of {allowed} "
                "(or give base_url)."
            )
        return f"https://{name}-api.mimecast.com"
    return API2_HOSTS.get(name, API2_GLOBAL_URL)


def _validated_base_url(url: str) -> str:
    bad = next((c for c in url if c.isspace() or not c.isprintable()), None)
    if bad is not None:  # a CR or LF would split the request into lines of the server's choice
        raise ConfigurationError(
            f"base_url must not contain spaces or control characters "
            f"(it has {bad!r} at position {url.index(bad)})."
        )
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError as exc:
        # The URL itself is not echoed: it might carry a password.
        raise ConfigurationError(f"base_url is not a valid URL ({exc}).") from None
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError("base_url must not carry a user name or password.")
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"base_url {url!r} must be an http:// or https:// URL with a host name."
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(f"base_url {url!r} must not carry a query or a fragment.")
    return url.rstrip("/")
