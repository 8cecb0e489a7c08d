"""The meta/data/fail envelope (docs/mimecast-api.md §1) and `raise_for_failures`."""

from __future__ import annotations

import orjson
import pytest
from api_fakes import ACCESS_KEY, API1, FakeClock, Server, envelope, make_client, reply, text_reply

from mimecast_soar.api import MimecastResponse
from mimecast_soar.api.envelope import encode_request, parse_envelope
from mimecast_soar.errors import MimecastErrorDetail, RequestFailedError, ResponseFormatError
from mimecast_soar.secret import Redactor

PATH = "/api/directory/add-group-member"

DUPLICATE_MEMBER = {
    "meta": {"status": 200},
    "data": [],
    "fail": [
        {
            "key": {"id": "eNo1", "emailAddress": "a@example.com"},
            "errors": [
                {
                    "code": "err_folder_group_member_already_exists",
                    "message": "Group member already exists",
                    "retryable": False,
                }
            ],
        }
    ],
}


def parse(body: object, http_status: int = 200) -> MimecastResponse:
    return parse_envelope(orjson.dumps(body), path=PATH, http_status=http_status)


def test_request_body_has_meta_only_when_given() -> None:
    assert orjson.loads(encode_request([{"id": "x"}])) == {"data": [{"id": "x"}]}
    body = encode_request([], {"pagination": {"pageSize": 5}})
    assert orjson.loads(body) == {"meta": {"pagination": {"pageSize": 5}}, "data": []}


def test_successful_envelope_is_parsed() -> None:
    response = parse(envelope([{"id": "a"}], next_token="tok"))
    assert response.data == [{"id": "a"}]
    assert response.fail == ()
    assert response.status == 200
    assert response.next_token == "tok"
    assert response.http_status == 200
    assert response.raw["meta"]["status"] == 200
    response.raise_for_failures(PATH)


def test_missing_parts_default_to_empty() -> None:
    response = parse({"data": [1]})
    assert response.meta == {}
    assert response.status == 200
    assert response.next_token is None
    assert response.fail == ()


def test_fail_entries_keep_code_message_retryable_and_field() -> None:
    body = envelope(
        fail=[
            {
                "key": {"sender": "bad"},
                "errors": [
                    {
                        "code": "err_validation_invalid_email_address",
                        "message": "Email address is not valid",
                        "retryable": True,
                        "field": "sender",
                    }
                ],
            }
        ]
    )
    (failure,) = parse(body).fail
    assert failure.key == {"sender": "bad"}
    assert failure.errors == (
        MimecastErrorDetail(
            code="err_validation_invalid_email_address",
            message="Email address is not valid",
            retryable=True,
            field_name="sender",
        ),
    )


def test_raise_for_failures_names_code_and_message() -> None:
    response = parse(DUPLICATE_MEMBER)
    with pytest.raises(RequestFailedError) as caught:
        response.raise_for_failures(PATH)
    error = caught.value
    assert "err_folder_group_member_already_exists" in str(error)
    assert "Group member already exists" in str(error)
    assert PATH in str(error)
    assert error.code == "err_folder_group_member_already_exists"
    assert error.detail == "Group member already exists"
    assert error.failures == response.fail
    assert error.http_status == 200
    assert error.path == PATH


def test_raise_for_failures_names_every_failure() -> None:
    body = envelope(
        fail=[
            {"key": {"id": "1"}, "errors": [{"code": "err_a", "message": "first"}]},
            {"key": {"id": "2"}, "errors": [{"code": "err_b", "message": "second"}]},
        ]
    )
    with pytest.raises(RequestFailedError) as caught:
        parse(body).raise_for_failures(PATH)
    for text in ("err_a", "first", "err_b", "second"):
        assert text in str(caught.value)


def test_meta_status_404_with_empty_fail_is_a_failure() -> None:
    response = parse({"meta": {"status": 404}, "data": [], "fail": []})
    assert response.status == 404
    with pytest.raises(RequestFailedError, match="status 404") as caught:
        response.raise_for_failures("/api/policy/blockedsenders/delete-policy")
    assert caught.value.code is None
    assert "/api/policy/blockedsenders/delete-policy" in str(caught.value)


@pytest.mark.parametrize(
    "content",
    [
        b"<html><body>502 Bad Gateway</body></html>",
        b'{"meta": {"status": 200}, "data": [{"id": "a"',
        b"",
        b"[1, 2]",
        b'{"detail": "something else"}',
        b'{"meta": [], "data": []}',
        b'{"meta": {}, "data": {"id": 1}}',
        b'{"meta": {}, "data": [], "fail": {"code": "x"}}',
        b'{"meta": {}, "data": [], "fail": ["text"]}',
    ],
)
def test_malformed_body_is_a_response_format_error(content: bytes) -> None:
    with pytest.raises(ResponseFormatError) as caught:
        parse_envelope(content, path=PATH, http_status=200)
    assert PATH in str(caught.value)


def test_format_error_excerpt_is_short_and_redacted() -> None:
    content = b"<html>" + ACCESS_KEY.encode() + b"x" * 5000 + b"</html>"
    with pytest.raises(ResponseFormatError) as caught:
        parse_envelope(content, path=PATH, http_status=200, redactor=Redactor([ACCESS_KEY]))
    message = str(caught.value)
    assert ACCESS_KEY not in message
    assert "<html>" in message
    assert len(message) < 400


HOSTILE = "\x1b[2J\x1b]0;title\x07\u202eevil\u202c\r\nforged line\x00"


def test_format_error_excerpt_escapes_terminal_controls() -> None:
    content = f"<html>{HOSTILE}</html>".encode()
    with pytest.raises(ResponseFormatError) as caught:
        parse_envelope(content, path=PATH, http_status=200)
    message = str(caught.value)
    assert "\\x1b[2J\\x1b]0;title\\x07\\u202eevil\\u202c" in message
    for raw in ("\x1b", "\x07", "\u202e", "\x00", "\n"):
        assert raw not in message


def test_fail_messages_are_escaped_capped_and_redacted() -> None:
    long_message = f"{HOSTILE} {ACCESS_KEY} " + "y" * 5000
    errors = [{"code": HOSTILE, "message": long_message}]
    body = envelope(fail=[{"key": {"id": 1}, "errors": errors}])
    response = parse_envelope(
        orjson.dumps(body), path=PATH, http_status=200, redactor=Redactor([ACCESS_KEY])
    )
    with pytest.raises(RequestFailedError) as caught:
        response.raise_for_failures(PATH)
    error = caught.value
    for text in (error.message, error.detail or "", error.code or ""):
        assert ACCESS_KEY not in text
        assert not any(raw in text for raw in ("\x1b", "\u202e", "\r", "\n", "\x00"))
    assert len(error.message) < 1_200
    assert "[cut: " in error.message
    assert error.detail is not None
    assert "**********" in error.detail


@pytest.mark.anyio
async def test_client_does_not_raise_for_fail_entries(clock: FakeClock) -> None:
    server = Server(lambda request: reply(DUPLICATE_MEMBER))
    async with make_client(server, clock, credentials=API1) as client:
        response = await client.call(PATH, [{"id": "eNo1"}], mutating=True)
    assert response.fail[0].errors[0].code == "err_folder_group_member_already_exists"
    assert len(server.requests) == 1


@pytest.mark.anyio
async def test_client_sends_the_envelope_as_json(clock: FakeClock) -> None:
    server = Server(lambda request: reply())
    meta = {"pagination": {"pageSize": 10}}
    async with make_client(server, clock) as client:
        await client.call(PATH, [{"id": "g", "emailAddress": "a@b.c"}], mutating=True, meta=meta)
    (request,) = server.requests
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"
    assert orjson.loads(request.content) == {
        "meta": meta,
        "data": [{"id": "g", "emailAddress": "a@b.c"}],
    }


@pytest.mark.anyio
async def test_truncated_body_through_client_is_a_response_format_error(
    clock: FakeClock,
) -> None:
    server = Server(lambda request: text_reply(200, '{"meta": {"status": 2'))
    async with make_client(server, clock) as client:
        with pytest.raises(ResponseFormatError):
            await client.call(PATH, [], mutating=True)
    assert len(server.requests) == 1
