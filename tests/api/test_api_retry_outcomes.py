"""Retry outcomes: a call that may have run says so; throttling alone never loses a call."""

from __future__ import annotations

import httpx
import pytest
from api_fakes import FakeClock, Server, envelope, make_client, reply, sequence

from mimecast_soar.errors import MimecastError

WRITE = "/api/gateway/hold-release"
READ = "/api/gateway/get-hold-message-list"
OK = reply(envelope([{"id": "eNo1", "release": True}]))
MAY_HAVE_RUN = [
    reply({"detail": "boom"}, 502),
    httpx.RemoteProtocolError("Server disconnected without sending a response"),
    httpx.ReadTimeout(""),
    httpx.Response(200, content=b'{"meta": {"status": 2'),
]


@pytest.mark.anyio
@pytest.mark.parametrize("failure", MAY_HAVE_RUN)
async def test_mutating_failure_after_sending_says_the_outcome_is_unknown(
    clock: FakeClock, failure: httpx.Response | Exception
) -> None:
    server = Server(sequence(failure, OK))
    async with make_client(server, clock) as client:
        with pytest.raises(MimecastError) as caught:
            await client.call(WRITE, [{"id": "eNo1"}], mutating=True)
    assert caught.value.outcome_unknown
    assert "The outcome is unknown" in caught.value.message
    assert "check whether it took effect" in str(caught.value)
    assert len(server.requests) == 1


@pytest.mark.anyio
@pytest.mark.parametrize(
    "failure",
    [reply({"fail": [{"errors": [{"code": "err_x"}]}]}, 418), httpx.ConnectError("refused")],
)
async def test_failures_that_surely_did_not_run_are_not_marked_unknown(
    clock: FakeClock, failure: httpx.Response | Exception
) -> None:
    server = Server(sequence(failure, failure, failure, failure, failure, failure))
    async with make_client(server, clock) as client:
        with pytest.raises(MimecastError) as caught:
            await client.call(WRITE, [{"id": "eNo1"}], mutating=True)
    assert not caught.value.outcome_unknown
    assert "outcome is unknown" not in caught.value.message


@pytest.mark.anyio
async def test_read_timeouts_say_no_doubled_exception_name(clock: FakeClock) -> None:
    failures = [httpx.ReadTimeout("")] * 6
    async with make_client(Server(sequence(*failures)), clock) as client:
        with pytest.raises(MimecastError) as caught:
            await client.call(READ, [], mutating=False)
    assert "in time (ReadTimeout)." in caught.value.message
    assert "ReadTimeout: ReadTimeout" not in caught.value.message
    assert not caught.value.outcome_unknown


@pytest.mark.anyio
async def test_repeated_429s_do_not_use_up_the_attempts_for_failures(clock: FakeClock) -> None:
    """Sustained throttling: a call that keeps losing the race to the quota still gets through."""
    from api_fakes import FAST_RETRY

    throttled = reply({"detail": "Quota Exceeded"}, 429, {"X-RateLimit-Reset": "50"})
    server = Server(sequence(*[throttled] * 8, OK))
    async with make_client(server, clock, retry=FAST_RETRY) as client:
        response = await client.call(WRITE, [{"id": "eNo1"}], mutating=True)
    assert response.data == [{"id": "eNo1", "release": True}]
    assert len(server.requests) == 9
