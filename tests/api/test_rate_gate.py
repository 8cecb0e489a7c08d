"""The shared rate gate: Mimecast's documented quota semantics, on a virtual clock.

`VirtualClock` is a discrete-event clock: `sleep` parks the task, and time jumps to the earliest
wake-up only once every other task is blocked, so concurrent sleepers wake in time order. Calls
go through the real `RetryLoop` with an attempt that reports to the gate as the client does
(`observe` on every answer, `observe_rate_limited` on a 429), so no HTTP stack is involved.
"""

from __future__ import annotations

import asyncio
import bisect
import functools
import heapq
import itertools
import math
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio
import pytest
from api_fakes import FakeClock

from mimecast_soar.api import RateGate, RetryPolicy
from mimecast_soar.api.rate_gate import (
    NOTICE_MIN_PAUSE_SECONDS,
    RATE_LIMIT_MARGIN_SECONDS,
    STALLED_PROBE_SECONDS,
    parse_remaining,
)
from mimecast_soar.api.retry import RetryLoop
from mimecast_soar.errors import RateLimitedError

WRITE = "/api/gateway/hold-release"
MARGIN = RATE_LIMIT_MARGIN_SECONDS
NO_JITTER = RetryPolicy(wait_jitter_seconds=0.0)


class VirtualClock:
    """Monotonic seconds that advance only to the next sleeper's wake-up, once all are blocked."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self._timers: list[tuple[float, int, anyio.Event, list[bool]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        alive = [True]
        event = anyio.Event()
        heapq.heappush(
            self._timers, (self.now + max(0.0, seconds), next(self._order), event, alive)
        )
        try:
            await event.wait()
        finally:
            alive[0] = False

    async def drive(self) -> None:
        """Run as a background task: wake sleepers in time order; fail on a deadlock."""
        stuck = 0
        while True:
            await _other_tasks_blocked()
            while self._timers and not self._timers[0][3][0]:
                heapq.heappop(self._timers)  # its sleeper was cancelled
            if not self._timers:
                # anyio delivers a cancellation from a callback a loop turn later: give it time.
                stuck += 1
                if stuck > 100:
                    raise AssertionError("every task waits and no timer is set: a deadlock")
                continue
            stuck = 0
            wake_at, _, event, _ = heapq.heappop(self._timers)
            self.now = max(self.now, wake_at)
            event.set()


async def _other_tasks_blocked() -> None:
    """Return once every other asyncio task waits on something not yet done."""
    this = asyncio.current_task()
    while True:
        await asyncio.sleep(0)
        waiting = (
            task is this or (task._fut_waiter is not None and not task._fut_waiter.done())  # type: ignore[attr-defined]
            for task in asyncio.all_tasks()
        )
        if all(waiting):
            return


async def in_virtual_time(clock: VirtualClock, body: Callable[[], Awaitable[None]]) -> None:
    """Run `body` while `clock` drives time; background tasks are cancelled when it returns."""
    async with anyio.create_task_group() as group:
        group.start_soon(clock.drive)
        await body()
        group.cancel_scope.cancel()


def retry_loop(gate: RateGate, clock: VirtualClock, notices: list[str] | None = None) -> RetryLoop:
    sink = notices if notices is not None else []
    return RetryLoop(NO_JITTER, gate=gate, clock=clock, sleep=clock.sleep, on_notice=sink.append)


def rate_limited(gate: RateGate, reset_ms: int | None) -> RateLimitedError:
    """What the client does with a 429: tell the gate (when there is a reset), then raise."""
    if reset_ms is not None:
        gate.observe_rate_limited(reset_ms)
    return RateLimitedError("Quota Exceeded", path=WRITE, http_status=429, reset_ms=reset_ms)


# --- the budget --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_budget_is_the_remaining_quota_less_the_other_calls_in_flight() -> None:
    clock = VirtualClock()
    gate = RateGate(clock=clock, sleep=clock.sleep)
    tickets = [await gate.acquire() for _ in range(3)]  # no quota known yet: all go at once
    assert gate.budget is None
    assert gate.in_flight == 3
    gate.observe("10", 500)  # answered while its own call still holds a ticket
    assert gate.budget == 10 - 2
    gate.release(tickets[0])
    gate.observe_rate_limited(500, holding=False)  # the retry loop's second report of a 429
    assert gate.budget == 0 - 2
    assert gate.closed_for_seconds() == pytest.approx(0.5 + MARGIN)


@pytest.mark.anyio
async def test_calls_go_while_the_budget_lasts_and_the_rest_wait_for_answers() -> None:
    clock = VirtualClock()
    gate = RateGate(clock=clock, sleep=clock.sleep)
    first = await gate.acquire()
    gate.observe("3", 5000)
    gate.release(first)
    granted: list[float] = []

    async def call() -> None:
        await gate.acquire()
        granted.append(clock())

    async def body() -> None:
        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(call)
            await clock.sleep(1.0)
            assert len(granted) == 3  # the other two wait: no reset is due within 5 s
            gate.observe("4", 5000)  # an answer: 4 left, 2 other calls out
            await clock.sleep(0)
            assert len(granted) == 5
            assert gate.budget == 0

    await in_virtual_time(clock, body)


@pytest.mark.anyio
async def test_no_rate_headers_means_no_limit() -> None:
    clock = VirtualClock()
    gate = RateGate(clock=clock, sleep=clock.sleep)
    gate.observe_rate_limited(1000, holding=False)
    gate.observe(None, None)
    tickets = [await gate.acquire() for _ in range(50)]
    assert len(tickets) == 50
    assert gate.closed_for_seconds() == 0


@pytest.mark.anyio
async def test_at_zero_calls_wait_the_reset_then_the_answers_say_how_many_more() -> None:
    clock = VirtualClock()
    gate = RateGate(clock=clock, sleep=clock.sleep)
    ticket = await gate.acquire()
    gate.observe("0", 1000)
    gate.release(ticket)
    start = clock()
    granted: list[float] = []

    async def call() -> None:
        await gate.acquire()
        granted.append(clock())

    async def body() -> None:
        async with anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(call)
            await clock.sleep(1.5)
            # At the reset one call has returned to the quota: one call goes, not every waiter.
            assert granted == [start + 1.0 + MARGIN]
            gate.observe("7", 400)  # its answer: 7 more have returned
            await clock.sleep(0)
            assert len(granted) == 8
            group.cancel_scope.cancel()

    await in_virtual_time(clock, body)


# --- 429s ---------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_429_holds_every_call_until_its_reset_and_is_sent_again() -> None:
    clock = VirtualClock()
    gate = RateGate(clock=clock, sleep=clock.sleep)
    loop = retry_loop(gate, clock)
    start = clock()
    sent: list[tuple[str, float]] = []

    async def call(name: str) -> None:
        async def attempt() -> None:
            sent.append((name, clock()))
            await clock.sleep(0.02)
            if len(sent) == 1:
                raise rate_limited(gate, 300)
            gate.observe("5", 100)

        await loop.run(attempt, path=WRITE, mutating=True)

    async def body() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(call, "a")
            await clock.sleep(0.03)
            group.start_soon(call, "b")  # arrives after the 429: waits for the same reset

    await in_virtual_time(clock, body)
    reopened = start + 0.02 + 0.3 + MARGIN
    # The 429'd call was not carried out, so it goes again first; its answer lets the next go.
    assert sent == [("a", start), ("a", reopened), ("b", pytest.approx(reopened + 0.02))]


@pytest.mark.anyio
async def test_a_429_without_reset_closes_the_gate_for_the_backoff() -> None:
    clock = VirtualClock()
    gate = RateGate(clock=clock, sleep=clock.sleep)
    notices: list[str] = []
    loop = retry_loop(gate, clock, notices)
    start = clock()
    sent: list[tuple[str, float]] = []

    async def call(name: str) -> None:
        async def attempt() -> None:
            sent.append((name, clock()))
            await clock.sleep(0.02)
            if len(sent) == 1:
                raise rate_limited(gate, None)

        await loop.run(attempt, path=WRITE, mutating=True)

    async def body() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(call, "a")
            await clock.sleep(0.03)
            group.start_soon(call, "b")

    await in_virtual_time(clock, body)
    reopened = start + 0.02 + NO_JITTER.wait_initial_seconds
    assert sent == [("a", start), ("a", reopened), ("b", reopened)]
    assert notices == [f"rate limited on {WRITE}, waiting 0.5 s (attempt 2 of 5 next)"]


def test_a_pause_is_announced_once_and_short_ones_not_at_all() -> None:
    clock = FakeClock()
    gate = RateGate(clock=clock, sleep=clock.sleep)
    assert gate.observe("3", 1000) is None  # quota left: no pause
    assert gate.observe("0", 1000) == pytest.approx(1.0 + MARGIN)
    clock.advance(0.2)
    assert gate.observe("0", 800) is None  # the same pause
    clock.advance(1.0)
    short_ms = int((NOTICE_MIN_PAUSE_SECONDS - MARGIN) * 1000) - 1
    assert gate.observe("0", short_ms) is None
    assert gate.observe("0", 2000) == pytest.approx(2.0 + MARGIN)


# --- liveness and bookkeeping --------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_hanging_call_does_not_hold_the_others_until_its_timeout() -> None:
    clock = VirtualClock()
    gate = RateGate(clock=clock, sleep=clock.sleep)
    await gate.acquire()  # hangs: never answered
    answered = await gate.acquire()
    gate.observe("0", None)  # used up, and no reset time given
    gate.release(answered)
    start = clock()
    granted: list[float] = []

    async def call() -> None:
        await gate.acquire()
        granted.append(clock())

    async def body() -> None:
        async with anyio.create_task_group() as group:
            for _ in range(3):
                group.start_soon(call)
            await clock.sleep(STALLED_PROBE_SECONDS * 2.5)
            # One call asks after each silent stretch, never all of them.
            assert granted == [start + STALLED_PROBE_SECONDS, start + 2 * STALLED_PROBE_SECONDS]
            group.cancel_scope.cancel()

    await in_virtual_time(clock, body)


@pytest.mark.anyio
async def test_used_up_without_reset_lets_one_call_ask_when_nobody_is_out() -> None:
    clock = VirtualClock()
    gate = RateGate(clock=clock, sleep=clock.sleep)
    ticket = await gate.acquire()
    gate.observe("0", None)
    gate.release(ticket)
    await gate.acquire()  # nobody is out to report back: this one asks at once
    assert clock() == 1000.0

    async def body() -> None:
        await gate.acquire()

    await in_virtual_time(clock, body)
    assert clock() == pytest.approx(1000.0 + STALLED_PROBE_SECONDS)


@pytest.mark.anyio
async def test_a_call_cancelled_while_queued_leaves_no_hole() -> None:
    clock = VirtualClock()
    gate = RateGate(clock=clock, sleep=clock.sleep)
    first = await gate.acquire()
    gate.observe("0", 1000)
    gate.release(first)
    scopes = [anyio.CancelScope() for _ in range(3)]
    granted: list[int] = []

    async def waiter(number: int) -> None:
        with scopes[number]:
            await gate.acquire()
            granted.append(number)

    async def body() -> None:
        async with anyio.create_task_group() as group:
            for number in range(3):
                group.start_soon(waiter, number)
            await clock.sleep(0)
            scopes[1].cancel()
            await clock.sleep(0)
            gate.observe("1", 1000)  # room for one: the first in line
            await clock.sleep(0)
            assert granted == [0]
            gate.observe("1", 1000)  # answered for the first (still out): room for the third
            await clock.sleep(0)
            assert granted == [0, 2]
            assert gate.in_flight == 2
            assert gate.budget == 0
            group.cancel_scope.cancel()

    await in_virtual_time(clock, body)


@pytest.mark.anyio
async def test_a_call_cancelled_while_its_request_is_out_gives_its_ticket_back() -> None:
    clock = VirtualClock()
    gate = RateGate(clock=clock, sleep=clock.sleep)
    loop = retry_loop(gate, clock)

    async def never() -> None:
        await anyio.Event().wait()

    async def body() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: loop.run(never, path=WRITE, mutating=True))
            await clock.sleep(0.5)
            assert gate.in_flight == 1
            group.cancel_scope.cancel()
        assert gate.in_flight == 0

    await in_virtual_time(clock, body)


@pytest.mark.anyio
async def test_releasing_twice_counts_once() -> None:
    clock = VirtualClock()
    gate = RateGate(clock=clock, sleep=clock.sleep)
    first, second = await gate.acquire(), await gate.acquire()
    gate.release(first)
    gate.release(first)
    assert gate.in_flight == 1
    gate.release(second)
    assert gate.in_flight == 0


@pytest.mark.parametrize(
    ("text", "count"),
    [("17", 17), (" 0 ", 0), ("12.0", 12), ("-3", 0), ("nan", None), ("inf", None), ("x", None)],
)
def test_parse_remaining(text: str, count: int | None) -> None:
    assert parse_remaining(text) == count
    assert parse_remaining(None) is None


# --- against a quota ------------------------------------------------------------------------------


@dataclass
class Quota:
    """Counts each call `latency` after it is sent against `limit` calls per window.

    Sliding window (a call returns to the quota a window after it was counted) or fixed windows
    (all return at each boundary), as the simulator and Mimecast count: a call over the quota is
    answered 429 and not carried out; every answer reports Remaining and Reset (whole ms).
    """

    clock: VirtualClock
    limit: int
    window: float = 1.0
    latency: float = 0.025
    fixed: bool = False
    counted: deque[float] = field(default_factory=deque)
    executed: list[str] = field(default_factory=list)
    executed_at: list[float] = field(default_factory=list)
    refused: int = 0

    async def call(self, gate: RateGate, message_id: str) -> None:
        """One request, answered and reported to the gate as the client does."""
        await self.clock.sleep(self.latency)
        now = self.clock()
        if self.fixed:
            start = math.floor(now / self.window) * self.window
            while self.counted and self.counted[0] < start:
                self.counted.popleft()
        else:
            while self.counted and self.counted[0] <= now - self.window:
                self.counted.popleft()
        full = len(self.counted) >= self.limit
        if not full:
            self.counted.append(now)
            self.executed.append(message_id)
            self.executed_at.append(now)
        first = math.floor(now / self.window) * self.window if self.fixed else self.counted[0]
        reset_ms = max(0, int((first + self.window - now) * 1000))
        if full:
            self.refused += 1
            raise rate_limited(gate, reset_ms)
        gate.observe(str(self.limit - len(self.counted)), reset_ms)


def quota_use(times: list[float], quota: int, window: float) -> float:
    """Calls per sliding window over the quota, averaged over windows every 10 ms (as the bench)."""
    first, last = times[0], times[-1]
    steps = int((last - window - first) / 0.01)
    counts = [
        bisect.bisect_left(times, first + step * 0.01 + window)
        - bisect.bisect_left(times, first + step * 0.01)
        for step in range(steps + 1)
    ]
    return sum(counts) / len(counts) / quota


async def release_all(quota: Quota, ids: list[str], concurrency: int) -> None:
    """`concurrency` workers sending `ids` through one gate and retry loop, as `run` does."""
    gate = RateGate(clock=quota.clock, sleep=quota.clock.sleep)
    loop = retry_loop(gate, quota.clock)
    pending = iter(ids)

    async def worker() -> None:
        for message_id in pending:
            send = functools.partial(quota.call, gate, message_id)
            await loop.run(send, path=WRITE, mutating=True)

    async def body() -> None:
        async with anyio.create_task_group() as group:
            for _ in range(concurrency):
                group.start_soon(worker)
        assert gate.in_flight == 0

    await in_virtual_time(quota.clock, body)


@pytest.mark.anyio
async def test_concurrent_writes_keep_a_sliding_quota_full_and_each_runs_once() -> None:
    quota = Quota(VirtualClock(), limit=50)
    ids = [f"eNo{n}" for n in range(400)]
    await release_all(quota, ids, concurrency=32)
    assert sorted(quota.executed) == sorted(ids)  # no error surfaced, none carried out twice
    # 95.8% and no 429 here (the benchmark's 100/s quota at 25 ms: 95.5% and 0 in this model).
    assert quota_use(quota.executed_at, 50, 1.0) >= 0.93
    assert quota.refused <= 0.02 * len(ids)


@pytest.mark.anyio
async def test_a_fixed_window_quota_is_used_up_at_each_boundary() -> None:
    quota = Quota(VirtualClock(), limit=40, fixed=True)
    ids = [f"eNo{n}" for n in range(200)]
    start = quota.clock()
    await release_all(quota, ids, concurrency=16)
    assert sorted(quota.executed) == sorted(ids)
    # 200 calls at 40 per window: the last window is the fifth.
    assert quota.executed_at[-1] - start < 4.0 + 0.5
    assert quota.refused <= 0.1 * len(ids)


@pytest.mark.anyio
async def test_a_quota_returning_one_call_at_a_time_costs_few_429s() -> None:
    quota = Quota(VirtualClock(), limit=4, window=1.0)
    ids = [f"eNo{n}" for n in range(40)]
    await release_all(quota, ids, concurrency=8)
    assert sorted(quota.executed) == sorted(ids)
    # 4 here: a refill's call and a late answer's overdraw may meet the same returned call.
    assert quota.refused <= len(ids) // 8
