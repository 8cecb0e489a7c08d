"""No secret, token or Authorization header ever shows in an error, a repr or a str."""

from __future__ import annotations

import orjson
import pytest
from api_fakes import (
    ACCESS_KEY,
    ALL_SECRETS,
    API1,
    API2,
    APP_KEY,
    CLIENT_SECRET,
    SECRET_KEY,
    FakeClock,
    Reply,
    Request,
    Server,
    make_client,
    reply,
    text_reply,
)

from mimecast_soar.api import (
    ClientSettings,
    Credentials,
    HmacAuth,
    MimecastClient,
    OAuthAuth,
    RetryPolicy,
)
from mimecast_soar.api.http_errors import error_for_exception
from mimecast_soar.errors import MimecastError

PATH = "/api/account/get-account"
TOKEN = "tok-secret-bearer-value"
ONE_ATTEMPT = RetryPolicy(max_attempts=2, wait_jitter_seconds=0.0)


def assert_clean(text: str, *extra: str) -> None:
    for value in (*ALL_SECRETS, *extra):
        assert value not in text, f"secret leaked into: {text}"


def known_secrets(credentials: Credentials) -> tuple[str, ...]:
    """The values a client with `credentials` knows, hence must mask."""
    if credentials is API1:
        return (APP_KEY, ACCESS_KEY, SECRET_KEY)
    return (CLIENT_SECRET, TOKEN)


def leak_for(credentials: Credentials) -> str:
    return " ".join(known_secrets(credentials))


def echo(status_code: int, leak: str, *, as_json: bool = True) -> Reply:
    """Build a response whose body echoes `leak` (the client's secrets) everywhere."""
    if not as_json:
        return text_reply(status_code, f"<html>{leak}</html>")
    body = {
        "meta": {"status": status_code},
        "data": [],
        "fail": [{"key": leak, "errors": [{"code": "err_echo", "message": leak}]}],
    }
    return Reply(status_code, orjson.dumps(body))


def test_credentials_repr_and_str_hide_secrets() -> None:
    for credentials in (API1, API2):
        assert_clean(repr(credentials))
        assert_clean(str(credentials))
    assert "app-id-0001" in repr(API1)
    assert "client-id-0001" in repr(API2)


def test_plain_strings_are_wrapped_as_secrets() -> None:
    from mimecast_soar.api import Api2Credentials
    from mimecast_soar.secret import Secret

    credentials = Api2Credentials("cid", "plain-text-secret")  # type: ignore[arg-type]
    assert isinstance(credentials.client_secret, Secret)
    assert "plain-text-secret" not in repr(credentials)


@pytest.mark.anyio
async def test_settings_client_and_auth_reprs_hide_secrets() -> None:
    settings = ClientSettings(API1, region="eu", proxy="http://user:proxy-pass-77@proxy:3128")
    async with MimecastClient(settings) as client:
        assert_clean(repr(client), "proxy-pass-77")
        assert_clean(repr(settings), "proxy-pass-77")
        assert "proxy-pass-77" not in client.redactor("via proxy-pass-77")
    assert_clean(repr(HmacAuth(API1)))
    assert_clean(repr(OAuthAuth(API2, "https://api.services.mimecast.com/oauth/token")))


@pytest.mark.anyio
async def test_a_percent_encoded_proxy_password_is_masked_in_both_forms() -> None:
    settings = ClientSettings(API1, region="eu", proxy="socks5h://agent:p%40ss-word-77@agent:1080")
    async with MimecastClient(settings) as client:
        masked = client.redactor("p@ss-word-77 and p%40ss-word-77")
        assert "ss-word-77" not in masked
        assert "ss-word-77" not in repr(client) + repr(settings)


@pytest.mark.anyio
@pytest.mark.parametrize("status_code", [400, 401, 403, 404, 418, 429, 500, 503])
@pytest.mark.parametrize("as_json", [True, False])
@pytest.mark.parametrize("credentials", [API1, API2], ids=["api1", "api2"])
async def test_errors_from_echoing_server_hide_secrets(
    clock: FakeClock, status_code: int, as_json: bool, credentials: Credentials
) -> None:
    def handle(request: Request) -> Reply:
        if request.url.path == "/oauth/token":
            return reply({"access_token": TOKEN, "expires_in": 1799})
        return echo(status_code, leak_for(credentials), as_json=as_json)

    server = Server(handle)
    async with make_client(
        server,
        clock,
        credentials=credentials,
        retry=ONE_ATTEMPT,
    ) as client:
        with pytest.raises(MimecastError) as caught:
            await client.call(PATH, [], mutating=False)
    error = caught.value
    for text in (str(error), repr(error), str(error.args), str(error.detail), str(error.code)):
        for value in known_secrets(credentials):
            assert value not in text


@pytest.mark.anyio
@pytest.mark.parametrize("credentials", [API1, API2], ids=["api1", "api2"])
async def test_fail_entries_and_format_errors_hide_secrets(
    clock: FakeClock, credentials: Credentials
) -> None:
    def handle(request: Request) -> Reply:
        if request.url.path == "/oauth/token":
            return reply({"access_token": TOKEN, "expires_in": 1799})
        return echo(200, leak_for(credentials), as_json=b"json" in request.content)

    server = Server(handle)
    async with make_client(
        server,
        clock,
        credentials=credentials,
        retry=ONE_ATTEMPT,
    ) as client:
        response = await client.call(PATH, [{"json": True}], mutating=False)
        with pytest.raises(MimecastError) as failed:
            response.raise_for_failures(PATH)
        with pytest.raises(MimecastError) as malformed:
            await client.call(PATH, [], mutating=False)
    for error in (failed.value, malformed.value):
        text = str(error) + repr(error) + str(error.detail)
        for value in known_secrets(credentials):
            assert value not in text


@pytest.mark.anyio
async def test_transport_error_text_is_redacted(clock: FakeClock) -> None:
    server = Server(lambda request: reply(), refuse_connects=99)
    async with make_client(server, clock, retry=ONE_ATTEMPT) as client:
        with pytest.raises(MimecastError) as caught:
            await client.call(PATH, [], mutating=False)
        leaky = ConnectionResetError(104, f"reset, header was MC {ACCESS_KEY}:{SECRET_KEY}")
        error = error_for_exception(leaky, path=PATH, host="h", redactor=client.redactor)
    assert_clean(str(caught.value) + repr(caught.value))
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    assert_clean(str(error) + repr(error))
    assert "reset, header was MC" in str(error)


@pytest.mark.anyio
@pytest.mark.parametrize("status_code", [400, 401, 500])
async def test_a_token_endpoint_echoing_its_form_gets_every_form_masked(
    clock: FakeClock, status_code: int
) -> None:
    import base64
    import json
    from urllib.parse import parse_qsl, quote, quote_plus

    from mimecast_soar.api import Api2Credentials
    from mimecast_soar.secret import Secret

    secret = 'p+s/w=ö "x" \\ end'
    credentials = Api2Credentials("cid-echo", Secret(secret))

    def handle(request: Request) -> Reply:
        form = request.content.decode()
        basic = base64.b64encode(f"cid-echo:{dict(parse_qsl(form))['client_secret']}".encode())
        said = f"form {form} json {json.dumps(dict(parse_qsl(form)))} basic {basic.decode()}"
        return reply({"error": "bad", "error_description": said}, status_code)

    server = Server(handle)
    async with make_client(server, clock, credentials=credentials, retry=ONE_ATTEMPT) as client:
        with pytest.raises(MimecastError) as caught:
            await client.call(PATH, [], mutating=False)
    error = caught.value
    shown = " ".join((str(error), repr(error), str(error.detail), str(error.code)))
    assert "client_secret=**********&grant_type" in shown
    for form in (secret, quote_plus(secret), quote(secret, safe=""), json.dumps(secret)[1:-1]):
        assert form not in shown


def test_transport_error_text_is_escaped_and_capped() -> None:
    from mimecast_soar.secret import Redactor

    hostile = ConnectionResetError(
        104, "peer said \x1b[2J\x1b]0;t\x07\u202e\r\nforged " + "z" * 1000
    )
    error = error_for_exception(hostile, path=PATH, host="h", redactor=Redactor())
    message = str(error)
    assert "peer said \\x1b[2J\\x1b]0;t\\x07\\u202e forged" in message  # CR LF: one space
    assert not any(raw in message for raw in ("\x1b", "\x07", "\u202e", "\r", "\n"))
    assert len(message) < 500
