"""The client's one HTTP stack: an `aiohttp.ClientSession` built from the connection's settings.

This is the one place that decides how bytes reach Mimecast:

- `verify_ssl`: True (certifi's CA bundle, hostname checked), False (no verification; only the
  connection can ask for it), or the path of a CA bundle file or directory; one `ssl.SSLContext`
  per client either way.
- `proxy`: ``http://`` or ``https://`` through aiohttp's own proxy support (credentials from the
  URL as ``Proxy-Authorization``), ``socks5://`` or ``socks5h://`` through `aiohttp_socks`, which
  sends the host *name* to the proxy for both schemes: names are resolved at the proxy, as the
  platform's Remote Agent requires. Every path goes through the same session and parser.
- timeouts: connecting (waiting for a free connection included) and each read of the socket
  within `timeout_seconds`.
- HTTP/1.1 keep-alive, up to `max_connections` connections.
- headers: ``Content-Type``/``Accept: application/json``, ``Accept-Encoding: gzip, deflate``,
  ``User-Agent: mimecast-soar/<version>``.
- bodies are decoded by us, within `max_body_bytes` (`mimecast_soar.api.answer`).
- no redirects, no cookies, and nothing from the environment: proxies and CA bundles come from
  the connection only, never from ``HTTPS_PROXY``/``SSL_CERT_FILE``, so a run behaves the same
  everywhere.

The session is made on the first request, inside the running event loop (aiohttp binds a
session to its loop), and closed by `aclose`.

Responses are parsed strictly. aiohttp runs llhttp with its lenient flags on responses (a bare
LF ending a header line, an obs-fold continuation, spaces after a chunk size are accepted) unless
Python runs in development mode, where aiohttp turns strict parsing on to warn about broken
servers. A peer that frames its answers loosely is exactly what a hostile server or a desynced
proxy looks like, so `strict_response_parsing` selects that strict mode for this process when
this module is imported (aiohttp reads its parser modules' ``DEBUG`` flag at each parser's
creation; nothing else in those modules depends on it). tests/api/test_hostile_server.py
fails if an aiohttp release stops honouring it.
"""

from __future__ import annotations

import base64
import os
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import aiohttp

from mimecast_soar.api.answer import Answer, check_header_values, content_coding, read_body
from mimecast_soar.api.download import FileSink
from mimecast_soar.connection_schema import CA_BUNDLE, PROXY_SCHEMES, proxy_url
from mimecast_soar.errors import ConfigurationError, ResponseFormatError

__all__ = [
    "PROXY_SCHEMES",
    "HttpSender",
    "build_sender",
    "proxy_passwords",
    "ssl_context",
    "user_agent",
]


def strict_response_parsing() -> None:
    """Make aiohttp's response parsers strict, as they are in Python's development mode."""
    from aiohttp import http_parser

    http_parser.DEBUG = True  # type: ignore[attr-defined]  # the pure-Python parser's separator
    http_parser.HttpResponseParserPy.lax = False
    try:
        from aiohttp import _http_parser  # llhttp: the lenient flags are set unless DEBUG
    except ImportError:  # aiohttp without its C extensions (AIOHTTP_NO_EXTENSIONS)
        return
    _http_parser.DEBUG = True  # type: ignore[attr-defined]


strict_response_parsing()

#: Idle connections are closed after this long: less than common server idle timeouts, so a
#: reused connection is rarely closed under a request.
KEEPALIVE_SECONDS = 4.0

#: Size of the reads of a response body.
_CHUNK_BYTES = 64 * 1024


def user_agent() -> str:
    """``mimecast-soar/<version>`` (the package's version, which is also the distribution's)."""
    import mimecast_soar

    return f"mimecast-soar/{mimecast_soar.__version__}"


def ssl_context(verify_ssl: bool | str) -> ssl.SSLContext:
    """The client's TLS context: verified against certifi's bundle (True), not verified (False),
    or verified against the CA bundle file or directory at the path given."""
    if verify_ssl is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if verify_ssl is True:
        import certifi  # a fixed bundle: the system's default paths follow SSL_CERT_FILE

        return ssl.create_default_context(cafile=certifi.where())
    path = os.path.expanduser(verify_ssl)
    try:
        if os.path.isdir(path):
            return ssl.create_default_context(capath=path)
        return ssl.create_default_context(cafile=path)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError(
            f"verify_ssl names a CA bundle {verify_ssl!r} that cannot be loaded: {exc}.",
            field=CA_BUNDLE.id,
        ) from None


def _validated_proxy(proxy: str) -> tuple[str, str, int, str | None, str | None]:
    """(scheme, host, port, user, password) of a proxy URL, or a `ConfigurationError`.

    The URL is checked by its connection field's rules (`connection_schema.proxy_url`), so the
    client refuses what the connection file refuses, and the error names that field.
    """
    parts = proxy_url(proxy)
    default_port = {"http": 80, "https": 443}.get(parts.scheme, 1080)
    return parts.scheme, parts.host, parts.port or default_port, parts.username, parts.password


def proxy_passwords(proxy: str | None) -> tuple[str, ...]:
    """The password inside a proxy URL as written and decoded, for the client's redactor."""
    if not proxy:
        return ()
    try:
        password = urlsplit(proxy).password
    except ValueError:
        return ()
    return () if password is None else tuple({password, unquote(password)})


class HttpSender:
    """How `MimecastClient` sends: one lazily made `aiohttp.ClientSession` and its settings.

    `post` returns an `Answer` whose body is read and decoded within `max_body_bytes`; failures
    are the library's exceptions, which `mimecast_soar.api.http_errors.transport_failures` lists and
    `error_for_exception` maps.
    """

    def __init__(
        self,
        *,
        verify_ssl: bool | str,
        proxy: str | None,
        timeout_seconds: float,
        max_connections: int,
        max_body_bytes: int,
        headers: Mapping[str, str],
    ) -> None:
        # A CA bundle is loaded now, so a bad path fails at construction; the default contexts
        # are made on the first https request (loading certifi's bundle costs tens of ms).
        self._verify_ssl = verify_ssl
        self._context = None if isinstance(verify_ssl, bool) else ssl_context(verify_ssl)
        self._proxy = _validated_proxy(proxy) if proxy else None
        self._timeout = aiohttp.ClientTimeout(
            total=None,
            connect=timeout_seconds,
            sock_connect=timeout_seconds,
            sock_read=timeout_seconds,
        )
        self._max_connections = max_connections
        self._max_body_bytes = max_body_bytes
        self._headers = dict(headers)
        self._session: aiohttp.ClientSession | None = None
        self._proxy_headers: dict[str, str] | None = None  # an HTTP proxy's credentials
        self._closed = False

    def __repr__(self) -> str:
        via = f", proxy={self._proxy[0]}://{self._proxy[1]}:{self._proxy[2]}" if self._proxy else ""
        return f"HttpSender(max_connections={self._max_connections}{via})"

    def _tls_context(self) -> ssl.SSLContext:
        if self._context is None:
            self._context = ssl_context(self._verify_ssl)
        return self._context

    def _open(self, url: str) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("the client is closed")
        connector_options: dict[str, Any] = {
            "limit": self._max_connections,
            "limit_per_host": 0,
            "keepalive_timeout": KEEPALIVE_SECONDS,
        }
        # Every URL of a client shares its base URL's scheme. A plain-http one (a simulator on
        # loopback) needs no context; aiohttp's own verified default stays as the safe fallback.
        if url.startswith("https:") or (self._proxy is not None and self._proxy[0] == "https"):
            connector_options["ssl"] = self._tls_context()
        proxy_url: str | None = None
        connector: aiohttp.TCPConnector
        if self._proxy is not None and self._proxy[0].startswith("socks5"):
            from aiohttp_socks import ProxyConnector, ProxyType

            _scheme, host, port, user, password = self._proxy
            connector = ProxyConnector(
                proxy_type=ProxyType.SOCKS5,
                host=host,
                port=port,
                username=user,
                password=password,
                rdns=True,  # the name goes to the proxy with socks5:// as with socks5h://
                **connector_options,
            )
        else:
            connector = aiohttp.TCPConnector(**connector_options)
            if self._proxy is not None:
                scheme, host, port, user, password = self._proxy
                bracketed = f"[{host}]" if ":" in host else host  # an IPv6 address
                proxy_url = f"{scheme}://{bracketed}:{port}"
                if user is not None:
                    pair = f"{user}:{password or ''}".encode()
                    token = base64.b64encode(pair).decode("ascii")
                    self._proxy_headers = {"Proxy-Authorization": f"Basic {token}"}
        return aiohttp.ClientSession(
            connector=connector,
            timeout=self._timeout,
            headers=self._headers,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            trust_env=False,
            proxy=proxy_url,
            raise_for_status=False,
        )

    async def post(
        self,
        url: str,
        body: bytes | str,
        headers: Mapping[str, str],
        *,
        path: str,
        sink: FileSink | None = None,
    ) -> Answer:
        """``POST`` `body` to `url` with the default headers and `headers`; the final answer.

        With a `sink` (a download), a 2xx answer that is not JSON is a file: its body streams
        into the sink and the `Answer` carries no body; JSON (Mimecast's errors) is read as usual.
        Raises `ResponseFormatError` for a body that cannot be read within the bound, and the
        library's exceptions for everything else that goes wrong.
        """
        session = self._session
        if session is None:
            session = self._session = self._open(url)
        if self._proxy_headers is not None and url.startswith("http:"):
            # aiohttp sends `proxy_headers` with a CONNECT (https) only; a plain http request
            # goes to the proxy as is and must carry the credentials itself.
            headers = {**headers, **self._proxy_headers}
        async with session.post(
            url,
            data=body,
            headers=headers,
            allow_redirects=False,
            proxy_headers=self._proxy_headers,
        ) as reply:
            check_header_values(reply.raw_headers, path=path)
            if not 200 <= reply.status < 300 and reply.status < 400:
                # A 1xx (a stray 101 included) or a redirect is no answer to read: the caller
                # refuses it by its status, and the connection is not reused.
                reply.close()
                return Answer(reply.status, reply.headers, b"")
            coding = content_coding(reply.headers.getall("Content-Encoding", []), path=path)
            length = reply.content_length
            if sink is not None and reply.status < 300 and not _is_json(reply.content_type):
                if coding is not None:  # asked for identity: a coded file is not ours to guess
                    raise ResponseFormatError(
                        f"Mimecast's file on {path} came {coding}-coded, which was not asked for.",
                        path=path,
                    )
                await sink.take(reply.content.iter_chunked(_CHUNK_BYTES), reply.headers, length)
                return Answer(reply.status, reply.headers, b"")
            if coding is None and length is not None and length <= self._max_body_bytes:
                # The common case, read in one go: the parser stops at the declared length.
                return Answer(reply.status, reply.headers, await reply.read())
            content = await read_body(
                reply.content.iter_chunked(_CHUNK_BYTES),
                coding=coding,
                content_length=length,
                max_body_bytes=self._max_body_bytes,
                path=path,
            )
            return Answer(reply.status, reply.headers, content)

    async def aclose(self) -> None:
        """Close the session and its connections (idempotent)."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def _is_json(content_type: str) -> bool:
    kind = content_type.lower()
    return kind == "application/json" or kind.endswith("+json")


def build_sender(
    *,
    verify_ssl: bool | str = True,
    proxy: str | None = None,
    timeout_seconds: float = 30.0,
    max_connections: int = 64,
    max_body_bytes: int,
) -> HttpSender:
    """The configured `HttpSender` (see the module docstring for each setting)."""
    if timeout_seconds <= 0:
        raise ConfigurationError("timeout_seconds must be greater than 0.")
    if max_connections < 1:
        raise ConfigurationError("max_connections must be at least 1.")
    if max_body_bytes < 1:
        raise ConfigurationError("max_body_bytes must be at least 1.")
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Accept-Encoding": "gzip, deflate",
        "User-Agent": user_agent(),
    }
    return HttpSender(
        verify_ssl=verify_ssl,
        proxy=proxy,
        timeout_seconds=timeout_seconds,
        max_connections=max_connections,
        max_body_bytes=max_body_bytes,
        headers=headers,
    )
