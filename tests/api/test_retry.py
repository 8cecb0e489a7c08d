"""Retry safety from `mutating`, bounds, 429 handling and the shared rate gate."""

from __future__ import annotations

import anyio
import pytest
from api_fakes import (
    FAST_RETRY,
    HANG_UP,
    RESET,
    STALL,
    FakeClock,
    Outcome,
    Reply,
    Request,
    Server,
    envelope,
    make_client,
    reply,
    sequence,
    text_reply,
)

from mimecast_soar.api import RateGate, RetryPolicy
from mimecast_soar.api.rate_gate import STALLED_PROBE_SECONDS
from mimecast_soar.api.retry import RATE_LIMIT_MARGIN_SECONDS, retry_reason
from mimecast_soar.errors import (
    AuthenticationError,
    BindingExpiredError,
    ConfigurationError,
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

READ = "/api/ttp/url/get-logs"
WRITE = "/api/gateway/hold-release"
OK = reply(envelope([{"id": "eNo1", "release": True}]))


def rate_limited(reset_ms: int | None = 1200) -> Reply:
    headers = {"X-RateLimit-Reset": str(reset_ms)} if reset_ms is not None else {}
    return reply({"detail": "Over throttling limit"}, 429, headers)


def test_backoff_is_exponential_and_capped() -> None:
    policy = RetryPolicy(wait_initial_seconds=0.5, wait_max_seconds=3.0)
    assert [policy.backoff_seconds(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert policy.backoff_seconds(2, jitter_seconds=0.25) == 1.25
    assert policy.backoff_seconds(10_000) == 3.0


@pytest.mark.parametrize(
    "kwargs",
    [{"max_attempts": 0}, {"max_total_seconds": -1}, {"wait_initial_seconds": -0.1}],
)
def test_retry_policy_rejects_bad_bounds(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigurationError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "on_read", "on_write"),
    [
        (RateLimitedError("x", reset_ms=10), True, True),
        (ConnectError("x"), True, True),
        (ServerError("x", http_status=503), True, False),
        (TimeoutError_("x"), True, False),
        (ConnectionDroppedError("x"), True, False),
        (ResponseFormatError("x"), True, False),
        (AuthenticationError("x"), False, False),
        (BindingExpiredError("x"), False, False),
        (PermissionDeniedError("x"), False, False),
        (NotFoundError("x"), False, False),
        (RequestFailedError("x"), False, False),
        (TLSError("x"), False, False),
    ],
)
def test_retry_reason_table(error: MimecastError, on_read: bool, on_write: bool) -> None:
    assert (retry_reason(error, mutating=False, request_sent=True) is not None) is on_read
    assert (retry_reason(error, mutating=True, request_sent=True) is not None) is on_write


def test_malformed_body_is_retried_once_only() -> None:
    error = ResponseFormatError("x")
    assert retry_reason(error, mutating=False, request_sent=True, format_retries=1) is None


def test_failures_before_the_request_was_sent_retry_even_when_mutating() -> None:
    error = ServerError("x", http_status=503)
    assert retry_reason(error, mutating=True, request_sent=False) is not None


@pytest.mark.anyio
async def test_429_waits_for_reset_plus_margin(clock: FakeClock, notices: list[str]) -> None:
    server = Server(sequence(rate_limited(1200), OK))
    async with make_client(server, clock, notices=notices) as client:
        response = await client.call(WRITE, [{"id": "eNo1"}], mutating=True)
    assert response.data[0]["release"] is True
    assert len(server.requests) == 2
    assert sum(clock.sleeps) == pytest.approx(1.2 + RATE_LIMIT_MARGIN_SECONDS)
    assert server.times[1] - server.times[0] >= 1.2
    waited = 1.2 + RATE_LIMIT_MARGIN_SECONDS
    assert notices == [f"rate limited on {WRITE}, waiting {waited:.1f} s (attempt 2 of 5 next)"]


@pytest.mark.anyio
async def test_429_without_reset_header_backs_off_exponentially(clock: FakeClock) -> None:
    server = Server(sequence(rate_limited(None), rate_limited(None), OK))
    async with make_client(server, clock) as client:
        await client.call(WRITE, [], mutating=True)
    assert len(server.requests) == 3
    assert clock.sleeps == [0.5, 1.0]


@pytest.mark.anyio
async def test_429_closes_the_gate_for_concurrent_calls(clock: FakeClock) -> None:
    limited = anyio.Event()
    first = [True]

    def handle(request: Request) -> Reply:
        if first:
            first.clear()
            return rate_limited(2000)
        return OK

    server = Server(handle)
    async with make_client(server, clock, notices=signalling_notices(limited)) as client:
        start = clock()

        async def read(n: int) -> None:
            await client.call(READ, [{"n": n}], mutating=False)

        async with anyio.create_task_group() as group:
            group.start_soon(read, 0)
            await limited.wait()
            for n in range(1, 6):
                group.start_soon(read, n)
    assert len(server.requests) == 7
    # Every request after the 429 was sent once the quota had reset.
    assert all(t >= start + 2.0 for t in server.times[1:])
    # The fake clock jumps while the real socket answers, so the gate's stalled-call probe may
    # also have slept once; no call waited longer than that.
    assert clock() <= start + 2.0 + RATE_LIMIT_MARGIN_SECONDS + STALLED_PROBE_SECONDS + 1e-6


def signalling_notices(event: anyio.Event) -> list[str]:
    class Notices(list[str]):
        def append(self, text: str) -> None:
            super().append(text)
            event.set()

    return Notices()


@pytest.mark.anyio
async def test_ratelimit_remaining_zero_pauses_the_next_call(
    clock: FakeClock, notices: list[str]
) -> None:
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1500"}
    server = Server(sequence(reply(envelope(), 200, headers), OK))
    async with make_client(server, clock, notices=notices) as client:
        await client.call(READ, [], mutating=False)
        await client.call(READ, [], mutating=False)
    # The reset plus the same margin a 429's reset gets (the server counts it when it answers).
    assert server.times[1] - server.times[0] == pytest.approx(1.5 + RATE_LIMIT_MARGIN_SECONDS)
    assert "pausing calls for 1.5 s" in notices[0]


@pytest.mark.anyio
async def test_rate_gate_holds_all_waiters_until_reopening(clock: FakeClock) -> None:
    gate = RateGate(clock=clock, sleep=clock.sleep)
    gate.release(await gate.acquire())
    assert clock.sleeps == []
    gate.close_for(3.0)
    gate.close_for(1.0)  # never shortens
    woke: list[float] = []

    async def waiter() -> None:
        ticket = await gate.acquire()
        woke.append(clock())
        gate.release(ticket)

    start = clock()
    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(waiter)
    assert woke == [start + 3.0] * 4
    assert gate.closed_for_seconds() == 0


@pytest.mark.anyio
@pytest.mark.parametrize(
    "failure",
    [
        reply({"detail": "boom"}, 500),
        reply({"detail": "boom"}, 503),
        HANG_UP,
        RESET,
        STALL,
        text_reply(200, "<html>"),
    ],
)
async def test_mutating_call_is_not_retried_after_the_request_may_have_run(
    clock: FakeClock, failure: Outcome
) -> None:
    server = Server(sequence(failure, OK))
    async with make_client(server, clock, timeout_seconds=0.5) as client:
        with pytest.raises(MimecastError):
            await client.call(WRITE, [{"id": "eNo1"}], mutating=True)
    assert len(server.requests) == 1
    assert clock.sleeps == []


@pytest.mark.anyio
async def test_mutating_call_is_retried_after_a_429(clock: FakeClock) -> None:
    server = Server(sequence(rate_limited(100), OK))
    async with make_client(server, clock) as client:
        response = await client.call(WRITE, [{"id": "eNo1"}], mutating=True)
    assert response.data == [{"id": "eNo1", "release": True}]
    assert len(server.requests) == 2


@pytest.mark.anyio
async def test_mutating_call_is_retried_after_refused_connections(
    clock: FakeClock, notices: list[str]
) -> None:
    server = Server(sequence(OK), refuse_connects=2)
    async with make_client(server, clock, notices=notices) as client:
        response = await client.call(WRITE, [{"id": "eNo1"}], mutating=True)
    assert response.data == [{"id": "eNo1", "release": True}]
    assert len(server.requests) == 1
    assert clock.sleeps == [0.5, 1.0]
    assert all(note.startswith(f"could not connect on {WRITE}") for note in notices)


@pytest.mark.anyio
async def test_read_is_retried_after_503_then_succeeds(
    clock: FakeClock, notices: list[str]
) -> None:
    server = Server(sequence(reply({"detail": "busy"}, 503), OK))
    async with make_client(server, clock, notices=notices) as client:
        response = await client.call(READ, [], mutating=False)
    assert response.http_status == 200
    assert len(server.requests) == 2
    assert clock.sleeps == [0.5]
    assert notices == [
        f"server error (HTTP 503) on {READ}, retrying in 0.5 s (attempt 2 of 5 next)"
    ]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "failure",
    [STALL, HANG_UP, RESET, text_reply(200, '{"meta": ')],
)
async def test_read_is_retried_after_timeouts_drops_and_bad_bodies(
    clock: FakeClock, failure: Outcome
) -> None:
    server = Server(sequence(failure, OK))
    async with make_client(server, clock, timeout_seconds=0.5) as client:
        await client.call(READ, [], mutating=False)
    assert len(server.requests) == 2


@pytest.mark.anyio
async def test_second_malformed_body_is_final(clock: FakeClock) -> None:
    server = Server(lambda request: text_reply(200, "<html>"))
    async with make_client(server, clock) as client:
        with pytest.raises(ResponseFormatError):
            await client.call(READ, [], mutating=False)
    assert len(server.requests) == 2


@pytest.mark.anyio
@pytest.mark.parametrize("status_code", [401, 403, 404, 418])
async def test_auth_permission_and_not_found_are_never_retried(
    clock: FakeClock, status_code: int
) -> None:
    server = Server(lambda request: reply(envelope(status=status_code), status_code))
    async with make_client(server, clock) as client:
        with pytest.raises(MimecastError):
            await client.call(READ, [], mutating=False)
    assert len(server.requests) == 1


@pytest.mark.anyio
async def test_fail_entries_are_never_retried(clock: FakeClock) -> None:
    failure = {"errors": [{"code": "err_x", "message": "no", "retryable": True}]}
    server = Server(lambda request: reply(envelope(fail=[failure])))
    async with make_client(server, clock) as client:
        response = await client.call(READ, [], mutating=False)
    assert response.fail
    assert len(server.requests) == 1


@pytest.mark.anyio
async def test_attempts_are_bounded_and_the_message_says_how_many(clock: FakeClock) -> None:
    server = Server(lambda request: reply({"detail": "down"}, 503))
    policy = RetryPolicy(max_attempts=3, wait_jitter_seconds=0.0)
    async with make_client(server, clock, retry=policy) as client:
        with pytest.raises(ServerError) as caught:
            await client.call(READ, [], mutating=False)
    assert len(server.requests) == 3
    assert "Gave up after 3 attempts" in str(caught.value)
    assert caught.value.args == (str(caught.value),)


@pytest.mark.anyio
async def test_total_time_is_bounded(clock: FakeClock) -> None:
    server = Server(lambda request: reply({"detail": "down"}, 503))
    policy = RetryPolicy(
        max_attempts=100,
        max_total_seconds=10.0,
        wait_initial_seconds=1.0,
        wait_max_seconds=30.0,
        wait_jitter_seconds=0.0,
    )
    async with make_client(server, clock, retry=policy) as client:
        start = clock()
        with pytest.raises(ServerError) as caught:
            await client.call(READ, [], mutating=False)
    # Waits 1, 2, 4 (7 s); the next wait of 8 s would end past the 10 s budget.
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert len(server.requests) == 4
    assert clock() - start <= 10.0
    assert "Gave up after 4 attempts in 7.0 s" in str(caught.value)


@pytest.mark.anyio
async def test_reset_longer_than_the_budget_gives_up_at_once(clock: FakeClock) -> None:
    server = Server(lambda request: rate_limited(600_000))
    async with make_client(server, clock) as client:
        with pytest.raises(RateLimitedError) as caught:
            await client.call(READ, [], mutating=False)
    assert len(server.requests) == 1
    assert caught.value.reset_ms == 600_000
    assert "would exceed the retry time budget" in str(caught.value)


@pytest.mark.anyio
async def test_jitter_stays_within_bounds(clock: FakeClock) -> None:
    server = Server(sequence(reply({}, 500), reply({}, 500), OK))
    policy = RetryPolicy(wait_initial_seconds=1.0, wait_jitter_seconds=0.5)
    async with make_client(server, clock, retry=policy) as client:
        await client.call(READ, [], mutating=False)
    assert 1.0 <= clock.sleeps[0] <= 1.5
    assert 2.0 <= clock.sleeps[1] <= 2.5


def test_default_policy_values() -> None:
    assert RetryPolicy() == RetryPolicy(5, 120.0, 0.5, 30.0, 0.5)
    assert FAST_RETRY.wait_jitter_seconds == 0.0


@pytest.mark.anyio
async def test_call_fails_fast_when_gate_stays_closed_past_the_budget(clock: FakeClock) -> None:
    server = Server(lambda request: rate_limited(600_000))
    async with make_client(server, clock) as client:
        with pytest.raises(RateLimitedError):
            await client.call(READ, [], mutating=False)
        with pytest.raises(RateLimitedError, match="was not sent") as caught:
            await client.call(READ, [], mutating=False)
    assert len(server.requests) == 1
    expected_ms = 600_000 + RATE_LIMIT_MARGIN_SECONDS * 1000
    assert caught.value.reset_ms == pytest.approx(expected_ms, abs=1)
    assert clock.sleeps == []
