"""Turning HTTP statuses and transport exceptions into the typed errors of `mimecast_soar.errors`.

HTTP codes follow https://www.mimecast.com/tech-connect/documentation/api-overview/response-code/
(docs/mimecast-api.md §6): 401 credentials/signature, 403 permission, 404 unknown path or resource,
418 expired API 1.0 binding, 429 quota exceeded (the function did not run; wait
``X-RateLimit-Reset`` milliseconds), 5xx platform errors. Mimecast's own code and message are
taken from the body when it has them: ``fail[0].errors[0]`` in the envelope, ``detail`` in API
2.0 throttling bodies, ``error``/``error_description`` from the OAuth endpoint.

Every message names the API path and passes through the connection's `Redactor`; server text in
it (Mimecast's code and message, a Location, an exception's text) is made inert and capped by
`safe_text` after redaction.
"""

from __future__ import annotations

import errno
import socket
import ssl
from functools import cache
from typing import Any

import orjson

from mimecast_soar.api.answer import Answer
from mimecast_soar.api.envelope import excerpt
from mimecast_soar.api.rate_gate import header_number
from mimecast_soar.errors import (
    AuthenticationError,
    BindingExpiredError,
    ConnectError,
    ConnectionDroppedError,
    MimecastError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RequestFailedError,
    ResponseFormatError,
    ServerError,
    TimeoutError_,
    TLSError,
    TransportError,
)
from mimecast_soar.safetext import safe_text
from mimecast_soar.secret import Redactor

__all__ = [
    "error_for_exception",
    "error_for_status",
    "mimecast_code_and_message",
    "reset_ms_of",
    "transport_failures",
]

_REASON_CHARS = 200


def reset_ms_of(response: Answer) -> int | None:
    """``X-RateLimit-Reset`` in milliseconds, or None when absent or not a number."""
    reset_ms = header_number(response.headers.get("X-RateLimit-Reset"))
    if reset_ms is None or reset_ms < 0:
        return None
    return int(reset_ms + 0.999)


def mimecast_code_and_message(content: bytes | bytearray) -> tuple[str | None, str | None]:
    """Mimecast's error code and message from an error body, when it carries them."""
    try:
        body: Any = orjson.loads(content)
    except orjson.JSONDecodeError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    fail = body.get("fail")
    if isinstance(fail, list) and fail and isinstance(fail[0], dict):
        errors = fail[0].get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return _str(errors[0].get("code")), _str(errors[0].get("message"))
    if "error" in body or "error_description" in body:  # OAuth 2 error body (RFC 6749 §5.2)
        return _str(body.get("error")), _str(body.get("error_description"))
    return None, _str(body.get("detail")) or _str(body.get("message"))


def error_for_status(
    response: Answer,
    *,
    path: str,
    redactor: Redactor,
    credentials_hint: str = "Check the credentials.",
) -> MimecastError | None:
    """The typed error for a non-2xx HTTP response, or None for 2xx.

    `credentials_hint` is the advice appended to a 401 message (it differs between API 1.0 keys
    and API 2.0 client credentials).
    """
    status = response.status
    if 200 <= status < 300:
        return None
    if status < 200 or 300 <= status < 400:
        # No final answer: a stray 1xx (a 101 switching protocols), or a redirect, which the
        # client never follows. Either way the request may have reached the server.
        location = response.headers.get("Location") if status >= 300 else None
        to = f" to {safe_text(redactor(location), 200)}" if location else ""
        message = (
            f"Mimecast's response on {path} is not a final answer (HTTP {status}{to}); "
            "check base_url and region."
        )
        return ResponseFormatError(redactor(message), path=path, http_status=status)
    code, detail = (
        safe_text(redactor(text)) if text else None
        for text in mimecast_code_and_message(response.body)
    )
    said = ": ".join(p for p in (code, detail) if p)
    status_text = f"HTTP {status}, {said}" if said else f"HTTP {status}"
    kwargs: dict[str, Any] = {"path": path, "http_status": status, "code": code, "detail": detail}
    error: MimecastError
    if status == 401:
        message = f"Mimecast rejected the credentials on {path} ({status_text}). {credentials_hint}"
        error = AuthenticationError(redactor(message), **kwargs)
    elif status == 418:
        message = (
            f"The API 1.0 access key binding has expired ({status_text}) on {path}: create new "
            "access and secret keys for the API user (an authentication profile whose "
            "cache TTL never expires avoids this)."
        )
        error = BindingExpiredError(redactor(message), **kwargs)
    elif status == 403:
        message = (
            f"Permission denied on {path} ({status_text}): the application's role or the "
            "user's permissions do not allow this endpoint."
        )
        error = PermissionDeniedError(redactor(message), **kwargs)
    elif status == 404:
        message = f"Mimecast says {path} was not found ({status_text}); check base_url and region."
        error = NotFoundError(redactor(message), **kwargs)
    elif status == 429:
        reset_ms = reset_ms_of(response)
        wait = f"; the quota resets in {reset_ms} ms" if reset_ms is not None else ""
        message = f"Mimecast rate limit reached on {path} ({status_text}){wait}."
        error = RateLimitedError(redactor(message), reset_ms=reset_ms, **kwargs)
    elif status >= 500:
        message = f"Mimecast server error on {path} ({status_text})."
        if not said:
            message = message[:-1] + f": {excerpt(response.body, redactor)}"
        error = ServerError(redactor(message), **kwargs)
    else:
        message = f"Mimecast refused the request to {path} ({status_text})."
        error = RequestFailedError(redactor(message), **kwargs)
    return error


def transport_failures() -> tuple[type[BaseException], ...]:
    """The exceptions a request can end in that `error_for_exception` maps (the HTTP library's,
    the SOCKS client's and the OS's); anything else is a bug and propagates."""
    import aiohttp
    import aiohttp_socks
    import python_socks

    return (
        aiohttp.ClientError,
        aiohttp_socks.ProxyError,
        aiohttp_socks.ProxyConnectionError,
        aiohttp_socks.ProxyTimeoutError,
        python_socks.ProxyError,
        python_socks.ProxyConnectionError,
        python_socks.ProxyTimeoutError,
        OSError,  # ssl.SSLError included
        TimeoutError,
        ValueError,  # aiohttp refuses a header that would split the request, before sending
    )


@cache
def _table() -> tuple[tuple[tuple[type[BaseException], ...], str], ...]:
    """Exception types in the order they are tried, each with what it means.

    `connect` means the request surely did not leave (retried even when mutating); everything
    from `timeout` on may come after the request left.
    """
    import aiohttp
    import aiohttp_socks
    import python_socks

    return (
        (
            (
                aiohttp.ClientConnectorCertificateError,
                aiohttp.ClientConnectorSSLError,
                aiohttp.ServerFingerprintMismatch,
                ssl.SSLError,  # the TLS handshake through a SOCKS proxy raises it as is
            ),
            "tls",
        ),
        (
            (
                aiohttp.ConnectionTimeoutError,  # connecting, or waiting for a free connection
                aiohttp_socks.ProxyTimeoutError,
                python_socks.ProxyTimeoutError,
            ),
            "connect_timeout",
        ),
        (
            (
                aiohttp.ClientConnectorError,  # refused, unreachable, unknown name, proxy down
                aiohttp.ClientHttpProxyError,  # the proxy refused the CONNECT
                aiohttp_socks.ProxyConnectionError,
                aiohttp_socks.ProxyError,
                python_socks.ProxyConnectionError,
                python_socks.ProxyError,
            ),
            "connect",
        ),
        ((aiohttp.ServerTimeoutError, TimeoutError), "timeout"),
        ((aiohttp.ClientPayloadError,), "payload"),
        ((aiohttp.ClientResponseError,), "unreadable"),  # llhttp refused the response head
        ((aiohttp.ClientConnectionError, OSError), "dropped"),
        ((ValueError,), "unsendable"),
    )


#: errno values of a failed connect, in words (Linux, BSD/macOS and Windows numbers).
_CONNECT_ERRNOS: dict[int, str] = {
    errno.ECONNREFUSED: "connection refused",
    errno.ENETUNREACH: "network unreachable",
    errno.EHOSTUNREACH: "no route to host",
    errno.ETIMEDOUT: "connecting timed out",
    errno.ECONNRESET: "connection reset while connecting",
}


def connect_cause(exc: BaseException) -> str:
    """Why a connection could not be opened, in a few words, from the exception chain."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, socket.gaierror):
            return "the host name does not resolve (DNS)"
        if isinstance(current, OSError) and current.errno in _CONNECT_ERRNOS:
            return _CONNECT_ERRNOS[current.errno]
        if isinstance(current, TimeoutError):
            return "connecting timed out"
        os_error = getattr(current, "os_error", None)  # aiohttp's ClientConnectorError
        current = os_error if isinstance(os_error, OSError) else current.__cause__
    if "proxy" in type(exc).__name__.lower():
        return "the proxy refused the connection or could not be reached"
    return "could not connect"


def error_for_exception(
    exc: BaseException, *, path: str, host: str, redactor: Redactor
) -> MimecastError:
    """The typed error for an exception of `transport_failures()` raised while calling `path`
    on `host`."""
    reason = _reason(exc, redactor)
    kind = next((kind for types, kind in _table() if isinstance(exc, types)), "other")
    if kind == "connect" and _is_tls_failure(exc):
        kind = "tls"
    if kind == "tls":
        message = (
            f"TLS verification failed for host {host} on {path}: {reason}. If the host uses a "
            "private certificate authority, point the connection's ca_bundle at its CA "
            "certificates; verification can only be turned off in the connection "
            "(verify_ssl = false)."
        )
        return TLSError(redactor(message), path=path, host=host, cause="TLS verification failed")
    if kind == "connect_timeout":
        message = f"Timed out connecting to {host} for {path}; nothing was sent: {reason}."
        return ConnectError(redactor(message), path=path, host=host, cause="connecting timed out")
    if kind == "connect":
        message = f"Could not connect to {host} for {path}; nothing was sent: {reason}."
        return ConnectError(redactor(message), path=path, host=host, cause=connect_cause(exc))
    if kind == "timeout":
        kind_name = type(exc).__name__
        said = "" if reason == kind_name else f": {reason}"  # timeouts often carry no text
        message = f"Mimecast did not answer {path} in time ({kind_name}){said}."
        return TimeoutError_(redactor(message), path=path)
    if kind == "payload" and _is_framing_failure(exc):
        kind = "unreadable"
    if kind == "unreadable":
        parsed: object = getattr(exc, "message", None)  # the parser's words, not "400, ..."
        if isinstance(parsed, str) and parsed:
            reason = _reason(ValueError(parsed), redactor)
        message = f"Mimecast's response on {path} could not be read: {reason}."
        return ResponseFormatError(redactor(message), path=path)
    if kind in ("payload", "dropped"):
        message = f"The connection to {host} closed before a response to {path}: {reason}."
        return ConnectionDroppedError(redactor(message), path=path)
    if kind == "unsendable":
        message = f"The request to {path} could not be sent: {reason}."
        return TransportError(redactor(message), path=path)
    message = f"HTTP exchange with {host} for {path} failed ({type(exc).__name__}): {reason}."
    return TransportError(redactor(message), path=path)


def _is_framing_failure(exc: BaseException) -> bool:
    """True when a body error is bad framing (a malformed chunk), not a connection cut short."""
    from aiohttp.http_exceptions import TransferEncodingError

    return any(isinstance(e, TransferEncodingError) for e in _chain(exc))


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not e for e in seen):
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _is_tls_failure(exc: BaseException) -> bool:
    for current in _chain(exc):
        if isinstance(current, ssl.SSLError):
            return True
        text = str(current)
        if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text or "TLS" in text:
            return True
    return False


def _reason(exc: BaseException, redactor: Redactor) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return safe_text(redactor(text), _REASON_CHARS)


def _str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)
