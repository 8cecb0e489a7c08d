"""Statuses (docs/mimecast-api.md §6) and httpx exceptions become typed errors with the path."""

from __future__ import annotations

import ssl

import httpx
import pytest
from api_fakes import FakeClock, Server, envelope, make_client, reply

from mimecast_soar.api import RetryPolicy
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
)

PATH = "/api/gateway/get-hold-message-list"
ONE_ATTEMPT = RetryPolicy(max_attempts=1, wait_jitter_seconds=0.0)


async def call_once(server: Server, clock: FakeClock, *, mutating: bool = False) -> MimecastError:
    async with make_client(server, clock, retry=ONE_ATTEMPT) as client:
        with pytest.raises(MimecastError) as caught:
            await client.call(PATH, [{"admin": True}], mutating=mutating)
    return caught.value


def signature_failure() -> dict[str, object]:
    return {
        "meta": {"status": 401},
        "data": [],
        "fail": [
            {
                "errors": [
                    {
                        "code": "err_xdk_invalid_signature",
                        "message": "0004 Invalid Signature",
                        "retryable": False,
                    }
                ]
            }
        ],
    }


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status_code", "error_type"),
    [
        (400, RequestFailedError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (405, RequestFailedError),
        (409, RequestFailedError),
        (418, BindingExpiredError),
        (429, RateLimitedError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (301, RequestFailedError),
    ],
)
async def test_http_status_maps_to_error_type(
    clock: FakeClock, status_code: int, error_type: type[MimecastError]
) -> None:
    server = Server(lambda request: reply(envelope(status=status_code), status_code))
    error = await call_once(server, clock)
    assert type(error) is error_type
    assert error.http_status == status_code
    assert error.path == PATH
    assert PATH in str(error)


@pytest.mark.anyio
async def test_401_message_keeps_mimecast_code_and_advice(clock: FakeClock) -> None:
    server = Server(lambda request: reply(signature_failure(), 401))
    error = await call_once(server, clock)
    assert isinstance(error, AuthenticationError)
    assert error.fatal
    message = str(error)
    assert "HTTP 401, err_xdk_invalid_signature: 0004 Invalid Signature" in message
    assert "application key, access key and secret key" in message
    assert "clock" in message
    assert error.code == "err_xdk_invalid_signature"
    assert error.detail == "0004 Invalid Signature"


@pytest.mark.anyio
async def test_418_says_the_binding_expired(clock: FakeClock) -> None:
    body = {
        "meta": {"status": 418},
        "fail": [{"errors": [{"code": "err_xdk_binding_expired", "message": "AccessKey expired"}]}],
    }
    server = Server(lambda request: reply(body, 418))
    error = await call_once(server, clock)
    assert isinstance(error, BindingExpiredError)
    assert error.fatal
    assert "binding has expired" in str(error)
    assert "new" in str(error)
    assert error.code == "err_xdk_binding_expired"


@pytest.mark.anyio
@pytest.mark.parametrize(("header", "reset_ms"), [("1500", 1500), ("12.2", 13), (None, None)])
async def test_429_carries_reset_ms(
    clock: FakeClock, header: str | None, reset_ms: int | None
) -> None:
    headers = {"X-RateLimit-Reset": header} if header else {}
    body = {"detail": "Over throttling limit (10000/hour)"}
    server = Server(lambda request: reply(body, 429, headers))
    error = await call_once(server, clock)
    assert isinstance(error, RateLimitedError)
    assert error.reset_ms == reset_ms
    assert "Over throttling limit" in str(error)


@pytest.mark.anyio
async def test_5xx_with_html_body_has_short_excerpt(clock: FakeClock) -> None:
    page = "<html><h1>Service Unavailable</h1>" + "x" * 3000 + "</html>"
    server = Server(lambda request: httpx.Response(503, text=page))
    error = await call_once(server, clock)
    assert isinstance(error, ServerError)
    assert "Service Unavailable" in str(error)
    assert len(str(error)) < 500


@pytest.mark.anyio
async def test_non_json_200_is_response_format_error(clock: FakeClock) -> None:
    server = Server(lambda request: httpx.Response(200, text="<html>proxy login</html>"))
    error = await call_once(server, clock)
    assert isinstance(error, ResponseFormatError)
    assert "proxy login" in str(error)


def raising(exc: Exception) -> Server:
    def handle(request: httpx.Request) -> httpx.Response:
        raise exc

    return Server(handle)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("exc", "error_type"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), ConnectError),
        (httpx.ConnectTimeout("timed out"), ConnectError),
        (httpx.PoolTimeout("no connection"), ConnectError),
        (httpx.ProxyError("proxy refused"), ConnectError),
        (httpx.ReadTimeout("timed out"), TimeoutError_),
        (httpx.WriteTimeout("timed out"), TimeoutError_),
        (httpx.RemoteProtocolError("Server disconnected without response"), ConnectionDroppedError),
        (httpx.ReadError("connection reset"), ConnectionDroppedError),
    ],
)
async def test_httpx_exception_maps_to_transport_error(
    clock: FakeClock, exc: Exception, error_type: type[MimecastError]
) -> None:
    error = await call_once(raising(exc), clock)
    assert type(error) is error_type
    assert PATH in str(error)
    assert error.__cause__ is None


@pytest.mark.anyio
async def test_certificate_failure_is_tls_error_naming_host_and_verify_ssl(
    clock: FakeClock,
) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        try:
            raise ssl.SSLCertVerificationError(
                1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"
            )
        except ssl.SSLError as cause:
            raise httpx.ConnectError("handshake failed") from cause

    error = await call_once(Server(handle), clock)
    assert isinstance(error, TLSError)
    assert error.fatal
    message = str(error)
    assert "TLS verification failed for host eu-api.mimecast.com" in message
    assert "verify_ssl" in message
    assert PATH in message


@pytest.mark.anyio
async def test_tls_failure_is_never_retried(clock: FakeClock) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")

    server = Server(handle)
    async with make_client(server, clock) as client:
        with pytest.raises(TLSError):
            await client.call(PATH, [], mutating=False)
    assert len(server.requests) == 1
