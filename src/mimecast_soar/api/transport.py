"""Building the `httpx.AsyncClient`: TLS, proxy, timeouts, connection pool and default headers.

This is the one place that decides how bytes reach Mimecast:

- `verify_ssl`: True (the certifi bundle), False (no verification; only the connection can ask
  for it), or the path of a CA bundle file or directory, loaded into an `ssl.SSLContext`.
- `proxy`: ``http://``, ``https://``, ``socks5://`` or ``socks5h://``. For SOCKS, httpcore always
  sends the host *name* to the proxy (SOCKS5 address type "domain name"), so names are resolved at
  the proxy with either scheme, as the platform's Remote Agent requires; the URL is passed as given.
- timeouts: connect, read, write and pool each `timeout_seconds`.
- HTTP/1.1 with keep-alive pooling up to `max_connections`.
- headers: ``Content-Type``/``Accept: application/json``, ``User-Agent: mimecast-soar/<version>``.
- `trust_env=False`: proxies and CA bundles come from the connection only, never from
  ``HTTPS_PROXY``/``SSL_CERT_FILE`` in the environment, so a run behaves the same everywhere.

When a `transport` is given (tests: `httpx.MockTransport`, `httpx.ASGITransport`), it is used
as is and the TLS and proxy settings do not apply.
"""

from __future__ import annotations

import os
import ssl
from importlib import metadata
from urllib.parse import urlsplit

import httpx

from mimecast_soar.errors import ConfigurationError

__all__ = ["PROXY_SCHEMES", "build_http_client", "proxy_password", "ssl_context", "user_agent"]

#: Proxy URL schemes httpx can use.
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


def user_agent() -> str:
    """``mimecast-soar/<version>``: the installed distribution's, else the package's."""
    try:
        version = metadata.version("mimecast-soar")
    except metadata.PackageNotFoundError:  # running from a source tree
        import mimecast_soar

        version = str(getattr(mimecast_soar, "__version__", "0+unknown"))
    return f"mimecast-soar/{version}"


def ssl_context(verify_ssl: bool | str) -> ssl.SSLContext | bool:
    """What to pass as httpx's `verify`: True/False, or a context loaded from a CA bundle path."""
    if isinstance(verify_ssl, bool):
        return verify_ssl
    path = os.path.expanduser(verify_ssl)
    try:
        if os.path.isdir(path):
            return ssl.create_default_context(capath=path)
        return ssl.create_default_context(cafile=path)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError(
            f"verify_ssl names a CA bundle {verify_ssl!r} that cannot be loaded: {exc}."
        ) from None


def _validated_proxy(proxy: str) -> str:
    try:
        parts = urlsplit(proxy)
        _ = parts.port
    except ValueError:
        raise ConfigurationError("The proxy is not a valid URL.") from None
    if parts.scheme.lower() not in PROXY_SCHEMES or not parts.hostname:
        raise ConfigurationError(
            "The proxy must be a URL with a host and one of the schemes "
            f"{', '.join(s + '://' for s in PROXY_SCHEMES)} (got scheme {parts.scheme!r})."
        )
    return proxy


def proxy_password(proxy: str | None) -> str | None:
    """The password inside a proxy URL, so the client can register it with its redactor."""
    if not proxy:
        return None
    try:
        return urlsplit(proxy).password
    except ValueError:
        return None


def build_http_client(
    *,
    verify_ssl: bool | str = True,
    proxy: str | None = None,
    timeout_seconds: float = 30.0,
    max_connections: int = 64,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The configured `httpx.AsyncClient` (see the module docstring for each setting)."""
    if timeout_seconds <= 0:
        raise ConfigurationError("timeout_seconds must be greater than 0.")
    if max_connections < 1:
        raise ConfigurationError("max_connections must be at least 1.")
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": user_agent(),
    }
    timeout = httpx.Timeout(timeout_seconds)
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    if proxy:
        proxy = _validated_proxy(proxy)
    if transport is not None:
        return httpx.AsyncClient(
            transport=transport, headers=headers, timeout=timeout, trust_env=False
        )
    return httpx.AsyncClient(
        verify=ssl_context(verify_ssl),
        proxy=proxy or None,
        timeout=timeout,
        limits=limits,
        headers=headers,
        http1=True,
        http2=False,
        trust_env=False,
        follow_redirects=False,
    )
