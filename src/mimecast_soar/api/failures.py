"""Turning HTTP statuses and httpx exceptions into the typed errors of `mimecast_soar.errors`.

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

import ssl
from typing import Any

import httpx
import orjson

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

__all__ = ["error_for_exception", "error_for_status", "mimecast_code_and_message", "reset_ms_of"]

_REASON_CHARS = 200


def reset_ms_of(response: httpx.Response) -> int | None:
    """``X-RateLimit-Reset`` in milliseconds, or None when absent or not a number."""
    reset_ms = header_number(response.headers.get("X-RateLimit-Reset"))
    if reset_ms is None or reset_ms < 0:
        return None
    return int(reset_ms + 0.999)


def mimecast_code_and_message(content: bytes) -> tuple[str | None, str | None]:
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
    response: httpx.Response,
    *,
    path: str,
    redactor: Redactor,
    credentials_hint: str = "Check the credentials.",
) -> MimecastError | None:
    """The typed error for a non-2xx HTTP response, or None for 2xx.

    `credentials_hint` is the advice appended to a 401 message (it differs between API 1.0 keys
    and API 2.0 client credentials).
    """
    status = response.status_code
    if 200 <= status < 300:
        return None
    code, detail = (
        safe_text(redactor(text)) if text else None
        for text in mimecast_code_and_message(response.content)
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
            message = message[:-1] + f": {excerpt(response.content, redactor)}"
        error = ServerError(redactor(message), **kwargs)
    elif 300 <= status < 400:
        location = safe_text(redactor(response.headers.get("Location", "no location given")))
        message = (
            f"Unexpected redirect (HTTP {status}) on {path} to {location}; "
            "check base_url and region."
        )
        error = RequestFailedError(redactor(message), **kwargs)
    else:
        message = f"Mimecast refused the request to {path} ({status_text})."
        error = RequestFailedError(redactor(message), **kwargs)
    return error


def error_for_exception(exc: httpx.HTTPError, *, path: str, redactor: Redactor) -> MimecastError:
    """The typed error for an httpx exception raised while calling `path`."""
    reason = _reason(exc, redactor)
    host = _host_of(exc)
    if isinstance(exc, httpx.ConnectError) and _is_tls_failure(exc):
        message = (
            f"TLS verification failed for host {host} on {path}: {reason}. If the host uses a "
            "private certificate authority, point the connection's ca_bundle at its CA "
            "certificates; verification can only be turned off in the connection "
            "(verify_ssl = false)."
        )
        return TLSError(redactor(message), path=path)
    if isinstance(exc, httpx.ConnectTimeout):
        message = f"Timed out connecting to {host} for {path}; nothing was sent: {reason}."
        return ConnectError(redactor(message), path=path)
    if isinstance(exc, httpx.PoolTimeout):
        # No connection could be taken from the pool in time, so the request never left.
        message = f"No free connection to {host} in time for {path}; nothing was sent."
        return ConnectError(redactor(message), path=path)
    if isinstance(exc, httpx.ConnectError | httpx.ProxyError):
        message = f"Could not connect to {host} for {path}; nothing was sent: {reason}."
        return ConnectError(redactor(message), path=path)
    if isinstance(exc, httpx.TimeoutException):
        kind = type(exc).__name__
        said = "" if reason == kind else f": {reason}"  # httpx often gives no text
        message = f"Mimecast did not answer {path} in time ({kind}){said}."
        return TimeoutError_(redactor(message), path=path)
    if isinstance(exc, httpx.DecodingError):
        message = f"Mimecast's response on {path} could not be decoded: {reason}."
        return ResponseFormatError(redactor(message), path=path)
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        message = f"The connection to {host} closed before a response to {path}: {reason}."
        return ConnectionDroppedError(redactor(message), path=path)
    message = f"HTTP exchange with {host} for {path} failed ({type(exc).__name__}): {reason}."
    return TransportError(redactor(message), path=path)


def _is_tls_failure(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLError):
            return True
        text = str(current)
        if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text or "TLS" in text:
            return True
        current = current.__cause__ or current.__context__
    return False


def _host_of(exc: httpx.HTTPError) -> str:
    try:
        return exc.request.url.host or "the server"
    except RuntimeError:  # an exception raised without its request attached
        return "the server"


def _reason(exc: BaseException, redactor: Redactor) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return safe_text(redactor(text), _REASON_CHARS)


def _str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)
