"""HTTP statuses (docs/mimecast-api.md §6) and transport exceptions become typed errors."""

from __future__ import annotations

import errno
import socket
import ssl

import aiohttp
import aiohttp_socks
import pytest
from aiohttp.client_reqrep import ConnectionKey
from aiohttp.http_exceptions import ContentLengthError, TransferEncodingError
from api_fakes import FakeClock, Server, envelope, make_client, reply, text_reply
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from mimecast_soar.api import RetryPolicy
from mimecast_soar.api.http_errors import error_for_exception, transport_failures
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
from mimecast_soar.secret import Redactor

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
        (301, ResponseFormatError),
        (302, ResponseFormatError),
        (101, ResponseFormatError),
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
    server = Server(lambda request: text_reply(503, page))
    error = await call_once(server, clock)
    assert isinstance(error, ServerError)
    assert "Service Unavailable" in str(error)
    assert len(str(error)) < 500


@pytest.mark.anyio
async def test_non_json_200_is_response_format_error(clock: FakeClock) -> None:
    server = Server(lambda request: text_reply(200, "<html>proxy login</html>"))
    error = await call_once(server, clock)
    assert isinstance(error, ResponseFormatError)
    assert "proxy login" in str(error)


@pytest.mark.anyio
async def test_redirect_is_never_followed_and_names_its_location(clock: FakeClock) -> None:
    server = Server(lambda request: reply(envelope(), 302, {"Location": "http://elsewhere/x"}))
    error = await call_once(server, clock)
    assert isinstance(error, ResponseFormatError)
    assert "HTTP 302 to http://elsewhere/x" in str(error)
    assert len(server.requests) == 1


KEY = ConnectionKey("eu-api.mimecast.com", 443, True, True, None, None, None)


def _payload_error(cause: Exception) -> aiohttp.ClientPayloadError:
    try:
        raise aiohttp.ClientPayloadError(f"Response payload is not completed: {cause!r}") from cause
    except aiohttp.ClientPayloadError as error:
        return error


def _unreadable_head() -> aiohttp.ClientResponseError:
    info = aiohttp.RequestInfo(
        URL("https://eu-api.mimecast.com/x"), "POST", CIMultiDictProxy(CIMultiDict())
    )
    return aiohttp.ClientResponseError(info, (), status=400, message="Invalid header value char")


@pytest.mark.parametrize(
    ("exc", "error_type"),
    [
        (aiohttp.ClientConnectorError(KEY, OSError(111, "Connection refused")), ConnectError),
        (aiohttp.ClientProxyConnectionError(KEY, OSError(111, "refused")), ConnectError),
        (aiohttp.ConnectionTimeoutError("Connection timeout to host"), ConnectError),
        (aiohttp_socks.ProxyConnectionError("cannot reach the proxy"), ConnectError),
        (aiohttp_socks.ProxyError("Host unreachable", error_code=4), ConnectError),
        (aiohttp_socks.ProxyTimeoutError("proxy timed out"), ConnectError),
        (aiohttp.SocketTimeoutError("Timeout on reading data from socket"), TimeoutError_),
        (TimeoutError(), TimeoutError_),
        (aiohttp.ServerDisconnectedError(), ConnectionDroppedError),
        (aiohttp.ClientOSError(104, "Connection reset by peer"), ConnectionDroppedError),
        (_payload_error(ContentLengthError("Not enough data")), ConnectionDroppedError),
        (_payload_error(TransferEncodingError("Bad chunk size")), ResponseFormatError),
        (_unreadable_head(), ResponseFormatError),
        (ssl.SSLCertVerificationError(1, "certificate verify failed"), TLSError),
        (ValueError("Forbidden control character detected in headers"), TransportError),
    ],
)
def test_transport_exception_maps_to_typed_error(
    exc: Exception, error_type: type[MimecastError]
) -> None:
    assert isinstance(exc, transport_failures())
    error = error_for_exception(exc, path=PATH, host="eu-api.mimecast.com", redactor=Redactor())
    assert type(error) is error_type
    assert PATH in str(error)


def test_a_connect_failure_caused_by_tls_is_a_tls_error() -> None:
    cause = ssl.SSLCertVerificationError(
        1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"
    )
    try:
        raise aiohttp.ClientConnectorError(KEY, OSError(1, "handshake failed")) from cause
    except aiohttp.ClientConnectorError as caught:
        error = error_for_exception(caught, path=PATH, host="h.example", redactor=Redactor())
    assert isinstance(error, TLSError)
    assert error.fatal
    assert "TLS verification failed for host h.example" in str(error)
    assert "verify_ssl" in str(error)


@pytest.mark.parametrize(
    ("exception", "cause"),
    [
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"), "connection refused"),
        (
            socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
            "the host name does not resolve (DNS)",
        ),
        (OSError(errno.EHOSTUNREACH, "No route to host"), "no route to host"),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), "network unreachable"),
    ],
)
def test_a_connect_failure_says_its_host_and_cause(exception: OSError, cause: str) -> None:
    key = ConnectionKey("api.example.com", 443, True, True, None, None, None)
    wrapped = aiohttp.ClientConnectorError(key, exception)
    error = error_for_exception(wrapped, path="/api/x", host="api.example.com", redactor=Redactor())
    assert isinstance(error, ConnectError)
    assert (error.host, error.cause) == ("api.example.com", cause)
