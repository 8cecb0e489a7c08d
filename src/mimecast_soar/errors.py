"""The exception tree of mimecast-soar, typed by what the caller should do.

    MimecastSoarError                 base of everything we raise on purpose
    ├── ConfigurationError            bad connection file, bad arguments: stops before any call
    ├── InvalidInputError             one row's input is wrong: an error row, nothing sent
    └── MimecastError                 the Mimecast API (or the way to it) failed a call
        ├── AuthenticationError       401: wrong keys, bad signature, clock skew  [fatal]
        ├── BindingExpiredError       418: the API 1.0 key binding expired        [fatal]
        ├── PermissionDeniedError     403: the application's role may not call this endpoint
        ├── NotFoundError             404: unknown endpoint or resource
        ├── RateLimitedError          429: quota exhausted (carries `reset_ms`)   [retriable]
        ├── ServerError               5xx                                         [retried on reads]
        ├── ResponseFormatError       the body is not the JSON envelope Mimecast sends
        ├── RequestFailedError        HTTP 200 with `fail[]` entries or a non-200 `meta.status`
        └── TransportError            no usable HTTP exchange
            ├── ConnectError          could not connect (nothing was sent)   [retriable]
            ├── TimeoutError_         the server did not answer in time
            ├── ConnectionDroppedError the connection closed before a response arrived
            └── TLSError              certificate verification failed        [fatal]

`fatal` errors end the run (every remaining row then gets an error row naming the cause);
the others become an error row for the input row that caused them. Messages are written for a
security engineer and never contain a secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class MimecastSoarError(Exception):
    """Base class of every error mimecast-soar raises on purpose."""

    #: True when no further row can succeed (bad credentials, expired binding, TLS failure).
    fatal: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigurationError(MimecastSoarError):
    """The connection or the command line is wrong; raised before any call is made.

    `field` is the id of the connection field at fault (`connection_schema`), when there is one:
    the platform's connection test shows the message beside that field.
    """

    fatal = True

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidInputError(MimecastSoarError):
    """A row's input value is wrong (bad email, bad time, unknown option...); nothing was sent.

    `input_id` names the input at fault, when there is one.
    """

    def __init__(self, message: str, *, input_id: str | None = None) -> None:
        super().__init__(message)
        self.input_id = input_id


@dataclass(frozen=True)
class MimecastFailure:
    """One entry of a response's `fail[]`: the request item and its errors."""

    key: Any
    errors: tuple[MimecastErrorDetail, ...] = ()

    def describe(self) -> str:
        """`code: message` pairs joined, for an error sentence."""
        return "; ".join(e.describe() for e in self.errors) or "no error detail given"


@dataclass(frozen=True)
class MimecastErrorDetail:
    """One error inside a `fail[]` entry, as Mimecast reports it."""

    code: str | None
    message: str | None
    retryable: bool = False
    field_name: str | None = None

    def describe(self) -> str:
        parts = [p for p in (self.code, self.message) if p]
        text = ": ".join(parts) if parts else "unknown error"
        if self.field_name:
            text += f" (field {self.field_name})"
        return text


class MimecastError(MimecastSoarError):
    """A call to the Mimecast API failed.

    Keeps Mimecast's own `code` and `detail` message when the response carried them, the HTTP
    status, and the API path that was called.
    """

    retryable: bool = False

    #: True when the request may have been carried out although no usable answer came back
    #: (a state-changing call that met a 5xx, a drop, a timeout or a broken body): it was not
    #: sent again, and the message says to check the outcome.
    outcome_unknown: bool = False

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        http_status: int | None = None,
        code: str | None = None,
        detail: str | None = None,
        failures: tuple[MimecastFailure, ...] = (),
    ) -> None:
        super().__init__(message)
        self.path = path
        self.http_status = http_status
        self.code = code
        self.detail = detail
        self.failures = failures


class AuthenticationError(MimecastError):
    """401: Mimecast refused the credentials, the signature, the date header or the token."""

    fatal = True


class BindingExpiredError(MimecastError):
    """418: the API 1.0 access key / secret key binding has expired; new keys are needed."""

    fatal = True


class PermissionDeniedError(MimecastError):
    """403: the application or user lacks the permission this endpoint needs."""


class NotFoundError(MimecastError):
    """404: the endpoint or the resource does not exist."""


class RateLimitedError(MimecastError):
    """429: the quota is exhausted; Mimecast did not run the function. `reset_ms` says how long."""

    retryable = True

    def __init__(self, message: str, *, reset_ms: int | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.reset_ms = reset_ms


class ServerError(MimecastError):
    """5xx: Mimecast (or a gateway in front of it) failed."""

    retryable = True


class ResponseFormatError(MimecastError):
    """The body was not the JSON envelope Mimecast sends (HTML error page, truncated JSON...)."""


class RequestFailedError(MimecastError):
    """HTTP 200 but the function failed: `fail[]` entries or a non-200 `meta.status`."""


class TransportError(MimecastError):
    """No usable HTTP exchange with the server.

    `host` names the server (or proxy) the client tried; `cause` says in a few words why the
    connection failed (``connection refused``, ``the host name does not resolve (DNS)``...),
    when that is known.
    """

    def __init__(
        self, message: str, *, host: str | None = None, cause: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.host = host
        self.cause = cause


class ConnectError(TransportError):
    """The connection could not be opened; the request was surely not sent."""

    retryable = True


class TimeoutError_(TransportError):
    """The server did not answer within the timeout."""


class ConnectionDroppedError(TransportError):
    """The connection closed before a complete response arrived."""


class TLSError(TransportError):
    """TLS failed: the certificate could not be verified or the handshake broke."""

    fatal = True
