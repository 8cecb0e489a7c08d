"""Building the `HttpSender`: TLS, proxy, timeouts, connection pool and default headers.

This is the one place that decides how bytes reach Mimecast:

- `verify_ssl`: True (the certifi bundle), False (no verification; only the connection can ask
  for it), or the path of a CA bundle file or directory, loaded into an `ssl.SSLContext`.
- `proxy`: ``http://``, ``https://``, ``socks5://`` or ``socks5h://``. For SOCKS, httpcore always
  sends the host *name* to the proxy (SOCKS5 address type "domain name"), so names are resolved at
  the proxy with either scheme, as the platform's Remote Agent requires; the URL is passed as given.
- timeouts: connect, read, write and pool each `timeout_seconds`.
- HTTP/1.1 with keep-alive pooling up to `max_connections`. Without a proxy the bytes go through
  `http11.Http11Transport`, our lean asyncio transport (about a tenth of httpcore's CPU per
  request, docs/performance.md); with a proxy through httpx's own transport (httpcore), which
  speaks HTTP CONNECT and SOCKS5.
- headers: ``Content-Type``/``Accept: application/json``, ``Accept-Encoding: gzip, deflate``,
  ``User-Agent: mimecast-soar/<version>``.
- no redirects, no cookies, and nothing from the environment: proxies and CA bundles come from
  the connection only, never from ``HTTPS_PROXY``/``SSL_CERT_FILE``, so a run behaves the same
  everywhere.

When a `transport` is given (tests: `httpx.MockTransport`, `httpx.ASGITransport`), it is used
as is and the TLS and proxy settings do not apply.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Sequence
from urllib.parse import urlsplit

import httpx

from mimecast_soar.api.http11 import Http11Transport
from mimecast_soar.errors import ConfigurationError

__all__ = [
    "PROXY_SCHEMES",
    "HttpSender",
    "build_sender",
    "proxy_password",
    "ssl_context",
    "user_agent",
]

#: Proxy URL schemes httpx can use.
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


def user_agent() -> str:
    """``mimecast-soar/<version>`` (the package's version, which is also the distribution's)."""
    import mimecast_soar

    return f"mimecast-soar/{mimecast_soar.__version__}"


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


class HttpSender:
    """How `MimecastClient` sends: an httpx transport plus this connection's request defaults.

    It does the little of `httpx.AsyncClient`'s work that a Mimecast call needs (default headers,
    timeouts, running an `httpx.Auth` flow, reading the body) and skips the rest (cookies,
    redirects, event hooks, URL merging), which cost more CPU per request than the call itself.
    Exceptions are httpx's, with the request attached, as `AsyncClient` raises them.
    """

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport,
        *,
        headers: dict[str, str],
        timeout_seconds: float,
    ) -> None:
        self.transport = transport
        self.timeout = httpx.Timeout(timeout_seconds)
        self._timeouts = self.timeout.as_dict()
        self._raw_headers = [(k.encode("ascii"), v.encode("ascii")) for k, v in headers.items()]
        self._targets: dict[str, tuple[httpx.URL, list[tuple[bytes, bytes]]]] = {}

    def __repr__(self) -> str:
        return f"HttpSender(transport={type(self.transport).__name__})"

    def build_request(
        self, url: str, body: bytes, headers: Sequence[tuple[bytes, bytes]] = ()
    ) -> httpx.Request:
        """A ``POST`` of `body` to `url` with the default headers, `headers` and the timeouts.

        Headers are handed to httpx already encoded and complete (``Host``, ``Content-Length``)
        and the URL is parsed once per address: building a request the general way costs
        several times more than sending it.
        """
        target = self._targets.get(url)
        if target is None:
            parsed = httpx.URL(url)
            target = self._targets[url] = (parsed, [(b"Host", parsed.netloc), *self._raw_headers])
        parsed, base = target
        raw = [*base, *headers, (b"Content-Length", b"%d" % len(body))]
        return httpx.Request(
            "POST",
            parsed,
            headers=raw,
            stream=httpx.ByteStream(body),
            extensions={"timeout": self._timeouts},
        )

    async def send(self, request: httpx.Request, *, auth: httpx.Auth | None) -> httpx.Response:
        """Send `request`, through `auth`'s flow when given (it may send more, e.g. an OAuth
        token fetch). Returns the last response, its body read."""
        if auth is None:
            return await self._send_single(request)
        flow = auth.async_auth_flow(request)
        try:
            request = await flow.__anext__()
            while True:
                response = await self._send_single(request)
                try:
                    request = await flow.asend(response)
                except StopAsyncIteration:
                    return response
        finally:
            await flow.aclose()

    async def _send_single(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self.transport.handle_async_request(request)
            response.request = request
            await response.aread()
        except httpx.HTTPError as exc:
            try:
                _ = exc.request
            except RuntimeError:
                exc.request = request  # as httpx.AsyncClient does: errors name their request
            raise
        return response

    async def aclose(self) -> None:
        """Close the transport's connections."""
        await self.transport.aclose()


def build_sender(
    *,
    verify_ssl: bool | str = True,
    proxy: str | None = None,
    timeout_seconds: float = 30.0,
    max_connections: int = 64,
    transport: httpx.AsyncBaseTransport | None = None,
) -> HttpSender:
    """The configured `HttpSender` (see the module docstring for each setting)."""
    if timeout_seconds <= 0:
        raise ConfigurationError("timeout_seconds must be greater than 0.")
    if max_connections < 1:
        raise ConfigurationError("max_connections must be at least 1.")
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Accept-Encoding": "gzip, deflate",
        "User-Agent": user_agent(),
    }
    if proxy:
        proxy = _validated_proxy(proxy)
    if transport is None:
        if proxy:
            transport = httpx.AsyncHTTPTransport(
                verify=ssl_context(verify_ssl),
                proxy=proxy,
                limits=httpx.Limits(
                    max_connections=max_connections, max_keepalive_connections=max_connections
                ),
                http1=True,
                http2=False,
                trust_env=False,
            )
        else:
            transport = Http11Transport(
                verify=ssl_context(verify_ssl), max_connections=max_connections
            )
    return HttpSender(transport, headers=headers, timeout_seconds=timeout_seconds)
