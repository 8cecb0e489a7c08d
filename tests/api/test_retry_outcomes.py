"""Retry outcomes: a call that may have run says so; throttling alone never loses a call."""

from __future__ import annotations

import pytest
from api_fakes import (
    HANG_UP,
    STALL,
    FakeClock,
    Outcome,
    Server,
    envelope,
    make_client,
    reply,
    sequence,
    text_reply,
)

from mimecast_soar.errors import MimecastError

WRITE = "/api/gateway/hold-release"
READ = "/api/gateway/get-hold-message-list"
OK = reply(envelope([{"id": "eNo1", "release": True}]))
MAY_HAVE_RUN = [
    reply({"detail": "boom"}, 502),
    HANG_UP,
    STALL,
    text_reply(200, '{"meta": {"status": 2'),
    reply(envelope(), 101),  # a stray 101 is no answer; the request did reach the server
]


@pytest.mark.anyio
@pytest.mark.parametrize("failure", MAY_HAVE_RUN)
async def test_mutating_failure_after_sending_says_the_outcome_is_unknown(
    clock: FakeClock, failure: Outcome
) -> None:
    server = Server(sequence(failure, OK))
    async with make_client(server, clock, timeout_seconds=0.5) as client:
        with pytest.raises(MimecastError) as caught:
            await client.call(WRITE, [{"id": "eNo1"}], mutating=True)
    assert caught.value.outcome_unknown
    assert "The outcome is unknown" in caught.value.message
    assert "check whether it took effect" in str(caught.value)
    assert len(server.requests) == 1


@pytest.mark.anyio
@pytest.mark.parametrize("refused", [False, True])
async def test_failures_that_surely_did_not_run_are_not_marked_unknown(
    clock: FakeClock, refused: bool
) -> None:
    expired = reply({"fail": [{"errors": [{"code": "err_x"}]}]}, 418)
    server = Server(sequence(expired), refuse_connects=99 if refused else 0)
    async with make_client(server, clock) as client:
        with pytest.raises(MimecastError) as caught:
            await client.call(WRITE, [{"id": "eNo1"}], mutating=True)
    assert not caught.value.outcome_unknown
    assert "outcome is unknown" not in caught.value.message


@pytest.mark.anyio
async def test_read_timeouts_say_no_doubled_exception_name(clock: FakeClock) -> None:
    async with make_client(Server(sequence(STALL)), clock, timeout_seconds=0.3) as client:
        with pytest.raises(MimecastError) as caught:
            await client.call(READ, [], mutating=False)
    assert "in time (SocketTimeoutError)" in caught.value.message
    assert "SocketTimeoutError: SocketTimeoutError" not in caught.value.message
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
