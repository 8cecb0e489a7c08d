"""A gate shared by every call of one client that paces the calls to Mimecast's quota.

Mimecast counts calls per user (API 1.0) or per application (API 2.0) and answers 429 when the
quota is used up, with ``X-RateLimit-Reset`` = milliseconds until at least one call is returned to
the quota; every response also carries ``X-RateLimit-Remaining``
(https://integrations.mimecast.com/documentation/api-overview/rate-limiting/;
docs/mimecast-api.md §5).
A 429 means the call was not carried out, so sending a call a little early risks nothing but a
429 for that call, which is retried like any other.

**Budget.** Every call holds a `Ticket` from `acquire` until its answer has been read
(`release`), and each answer's headers (`observe`) set the budget: the calls that may start now,
which is the quota's remaining count minus the other calls already on their way (the server will
count them against the same remainder). Counting every call in flight errs on the safe side: one
the server has already counted is subtracted twice, which only slows the gate until its answer
arrives. Without rate-limit headers the budget is unlimited, and a 429 without
``X-RateLimit-Reset`` closes the gate for the retry loop's backoff (`close_for`).

**Refills.** When the budget is spent, the next call the quota returns is the last answer's
reset time away. Waiting for exactly that loses quota twice over, as measured against the
simulator's quota fault: the server counts a call some time after it leaves (the one-way network
time; the simulator's latency), so a call sent at the reset time reaches the free place late;
and calls counted close together one window earlier come back close together, so one call at a
time (each waiting for the previous one's answer to learn the next reset) falls behind. Neither
the delay nor the density is in the headers, so the gate learns both from outcomes:

- the *lead*: a refill happens that long before the reset time. The first call of each refill
  is meant for the returned call: answered without a 429, the lead grows by a step (never
  beyond the fastest recent round trip: a call cannot be counted after it was answered); a 429
  saying the quota returns a call within a round trip halves it (it was too early).
- the *batch*: how many calls a refill after a pause releases. When such a batch has been
  answered, a batch that met a 429 sets the size to the calls that got through plus one; one
  that got through whole while calls were still waiting doubles it. Only batches after a pause
  (a reset longer than two round trips) teach it: that is where the quota comes back densely,
  while a refill in a dense stretch comes a few milliseconds after the last answer.

The lead starts at half the fastest round trip (a request reaches the server about half-way
through it), the batch at `INITIAL_BATCH`; a batch overdraws the budget by its size less one at
most, counting the calls already out.

Measured (``BENCH_ONLY=quota``: 100 calls/s, `run` at concurrency 32, 25 ms latency): this gate
uses 96% of the quota with about 12 429s per 600 calls. The gate it replaced closed until the
reset time and then let every waiting call go at once, each 429 closing it again for its reset
plus the margin: 95% with about 130 429s (84-89% on the slower transport and simulator it was
first measured with). Waiting for each returned call exactly (no lead, batches of one): 93%.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Awaitable, Callable

import anyio
import anyio.lowlevel

__all__ = [
    "INITIAL_BATCH",
    "LEAD_STEP_FRACTION",
    "MAX_BATCH",
    "NOTICE_MIN_PAUSE_SECONDS",
    "RATE_LIMIT_MARGIN_SECONDS",
    "STALLED_PROBE_SECONDS",
    "RateGate",
    "Ticket",
    "header_number",
    "parse_remaining",
]

#: Added to ``X-RateLimit-Reset``: the server counts the reset when it answers, so waiting it from
#: the moment the answer arrives already errs on the safe side; the margin covers timer
#: granularity. The learned lead may bring calls forward past it.
RATE_LIMIT_MARGIN_SECONDS = 0.01

#: When the budget is spent and no reset time is known (or it has passed), the calls in flight
#: will report the quota; if none has answered for this long, one more call goes to ask. A call
#: may take long because the server counted it long ago (a slow endpoint) or because it hangs:
#: neither should hold every other call until its timeout.
STALLED_PROBE_SECONDS = 1.0

#: Pauses shorter than this are not announced: while the gate follows the quota closely, every
#: few milliseconds an answer says the quota is used up until the next call returns to it.
NOTICE_MIN_PAUSE_SECONDS = 0.05

#: A refill's first call answered without a 429 widens the lead by this share of the fastest
#: recent round trip (scale-free: the same number of steps at 1 ms or 300 ms).
LEAD_STEP_FRACTION = 0.125

#: Calls a refill after a pause releases before the gate has learned better (TCP's initial
#: window is 10 segments for the same reason: a few calls too many cost a few 429s, never a
#: call carried out twice).
INITIAL_BATCH = 8

#: The most calls one refill releases at once.
MAX_BATCH = 64

#: Round trips remembered for the lead's ceiling (their minimum).
_ROUND_TRIPS_KEPT = 32


def header_number(value: str | None) -> float | None:
    """A rate-limit header's value as a finite number, or None when absent or not a number."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_remaining(value: str | None) -> int | None:
    """``X-RateLimit-Remaining`` as a count, or None when absent or not a number."""
    remaining = header_number(value)
    return None if remaining is None else max(0, math.floor(remaining))


class _Batch:
    """The calls one refill released, and how they fared."""

    __slots__ = ("after_pause", "done", "failed", "full", "pending", "size", "succeeded")

    def __init__(self, *, after_pause: bool) -> None:
        #: Released after a pause longer than a round trip: teaches the batch size.
        self.after_pause = after_pause
        #: It ran out while calls were still waiting: the batch size held calls back.
        self.full = False
        self.size = 0
        self.pending = 0
        self.succeeded = 0
        self.failed = False
        self.done = False


class Ticket:
    """One call's permit, from `RateGate.acquire` to `RateGate.release`.

    `first` marks the first call of a refill: the one meant for the call the quota returns at
    the reset time, whose outcome says whether the lead was right.
    """

    __slots__ = ("batch", "first", "granted_at", "lead_generation", "released")

    def __init__(
        self,
        granted_at: float,
        batch: _Batch | None = None,
        *,
        first: bool = False,
        lead_generation: int = 0,
    ) -> None:
        self.granted_at = granted_at
        self.batch = batch
        self.first = first
        self.lead_generation = lead_generation
        self.released = False


class _Waiter:
    """One call queued at the gate; `wake` is set when it is granted or must look again."""

    __slots__ = ("ticket", "wake")

    def __init__(self) -> None:
        self.wake = anyio.Event()
        self.ticket: Ticket | None = None


class RateGate:
    """Grants calls in arrival order as the quota allows, on the injected clock.

    `clock` returns seconds (monotonic); `sleep` waits a number of seconds. Both are injected so
    tests run instantly with a fake clock. Everything runs on one event loop (no locks needed).
    """

    def __init__(
        self, *, clock: Callable[[], float], sleep: Callable[[float], Awaitable[None]]
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._closed_until = -math.inf
        #: Calls that may start now; None while no answer has told the quota (no limit known).
        self._budget: int | None = None
        #: When the quota returns one more call (the last answer's reset), until the refill.
        self._refill_at: float | None = None
        #: When the answer that set `_refill_at` arrived.
        self._refill_known_at = -math.inf
        #: When the gate last learned something (an answer, a refill) or sent a probe.
        self._quiet_since = -math.inf
        self._in_flight = 0
        self._waiters: deque[_Waiter] = deque()
        #: The head waiter watches the clock; this is when it will look again.
        self._timer_waiter: _Waiter | None = None
        self._timer_at = math.inf
        self._noticed_until = -math.inf
        self._lead = 0.0
        self._lead_started = False
        #: Counts cuts of the lead: only calls released since the last cut may cut it again, so
        #: the calls already out with the old lead, likely to fail as well, do not halve it twice.
        self._lead_generation = 0
        self._batch_size = INITIAL_BATCH
        #: The latest refill's batch and how many more calls it may still release.
        self._batch: _Batch | None = None
        self._batch_left = 0
        self._round_trips: deque[float] = deque(maxlen=_ROUND_TRIPS_KEPT)

    def __repr__(self) -> str:
        return (
            f"RateGate(budget={self._budget}, in_flight={self._in_flight}, "
            f"waiting={len(self._waiters)}, lead={self._lead:.3f}, batch={self._batch_size}, "
            f"closed_for_seconds={self.closed_for_seconds():.3f})"
        )

    @property
    def budget(self) -> int | None:
        """Calls that may start now by the last answer's quota (None: no limit known)."""
        self._refill(self._clock())
        return self._budget

    @property
    def in_flight(self) -> int:
        """Calls holding a ticket (sent or about to be, not yet answered)."""
        return self._in_flight

    @property
    def lead_seconds(self) -> float:
        """How long before the reset time a refill happens (learned)."""
        return self._lead

    @property
    def batch_size(self) -> int:
        """How many calls a refill after a pause releases (learned)."""
        return self._batch_size

    async def acquire(self) -> Ticket:
        """Wait until this call may be sent; pass the ticket to `release` once it is answered.

        Calls are granted in the order they arrive. Cancelled while waiting, the call leaves the
        queue (or hands its grant back) so no budget is lost.
        """
        if not self._waiters and self._may_send(self._clock()):
            return self._grant(self._clock())
        waiter = _Waiter()
        self._waiters.append(waiter)
        try:
            while waiter.ticket is None:
                if self._waiters[0] is waiter:
                    await self._watch_clock(waiter)
                else:
                    await waiter.wake.wait()
                waiter.wake = anyio.Event()
                self._dispatch()
        except BaseException:
            if waiter.ticket is not None:
                self._give_back(waiter.ticket)
            else:
                self._waiters.remove(waiter)
            raise
        finally:
            if self._timer_waiter is waiter:
                self._timer_waiter, self._timer_at = None, math.inf
            if self._waiters:
                self._dispatch()
        return waiter.ticket

    def release(
        self,
        ticket: Ticket,
        *,
        ok: bool = False,
        rate_limited: bool = False,
        reset_ms: int | None = None,
    ) -> None:
        """The call holding `ticket` has its answer, or failed; it no longer counts in flight.

        `ok`: answered by the server without a 429 (the quota had room for it); `rate_limited`:
        answered 429, with `reset_ms` its ``X-RateLimit-Reset``. Neither (a transport failure,
        say) teaches the gate nothing. Releasing a ticket twice does nothing.
        """
        if ticket.released:
            return
        ticket.released = True
        self._in_flight = max(0, self._in_flight - 1)
        if ok:
            self._round_trips.append(self._clock() - ticket.granted_at)
        batch = ticket.batch
        if batch is not None:
            batch.pending -= 1
            if rate_limited:
                batch.failed = True
                if ticket.first:
                    self._lead_was_early(ticket, reset_ms)
            elif ok:
                batch.succeeded += 1
                if ticket.first:
                    ceiling = self._round_trip_floor()
                    self._lead = min(ceiling, self._lead + LEAD_STEP_FRACTION * ceiling)
            self._learn_batch(batch)
        if self._waiters:
            self._dispatch()

    def observe(self, remaining: str | int | None, reset_ms: int | None) -> float | None:
        """Take the quota reported by an answer to a call that still holds its ticket.

        `remaining` is ``X-RateLimit-Remaining``, as the header's text or a count (None or not a
        number: no limit known, every call may go); `reset_ms` is ``X-RateLimit-Reset``. Returns
        the pause in seconds when this answer starts a pause worth telling the user about (the
        quota used up for a while), else None.
        """
        count = parse_remaining(remaining) if isinstance(remaining, str) else remaining
        return self._report(count, reset_ms, holding=True, announce=True)

    def observe_rate_limited(self, reset_ms: int, *, holding: bool = True) -> None:
        """A 429 with ``X-RateLimit-Reset``: nothing remains until the reset.

        `holding` says whether the answered call still holds its ticket (it does inside the
        request; the retry loop reports again after releasing it, which changes nothing).
        """
        self._report(0, reset_ms, holding=holding, announce=False)

    def close_for(self, seconds: float) -> None:
        """Let no call start for `seconds` from now (never shortens an existing closure).

        For a 429 without a reset time: the retry loop's backoff, shared by every call.
        """
        if seconds <= 0:
            return
        self._closed_until = max(self._closed_until, self._clock() + seconds)

    def closed_for_seconds(self) -> float:
        """Seconds until the quota returns a call (or a closure ends); 0 when calls may go.

        Counted to the reset time itself, not to the learned lead before it: this is what the
        retry loop weighs against its time budget.
        """
        now = self._clock()
        self._refill(now)
        wait = self._closed_until - now
        if self._refill_at is not None and self._spent():
            wait = max(wait, self._refill_at - now)
        return max(0.0, wait)

    # --- internals -------------------------------------------------------------------------

    def _spent(self) -> bool:
        return self._budget is not None and self._budget <= 0 and self._batch_left <= 0

    def _round_trip_floor(self) -> float:
        return min(self._round_trips, default=0.0)

    def _report(
        self, remaining: int | None, reset_ms: int | None, *, holding: bool, announce: bool
    ) -> float | None:
        now = self._clock()
        # Fresh news replaces whatever the last refill may still have released.
        self._batch_left = 0
        if remaining is None:
            self._budget, self._refill_at = None, None
            if self._waiters:
                self._dispatch()
            return None
        others = self._in_flight - 1 if holding else self._in_flight
        self._budget = remaining - max(0, others)
        self._quiet_since = now
        self._refill_at = None
        pause: float | None = None
        if reset_ms is not None:
            wait = reset_ms / 1000 + RATE_LIMIT_MARGIN_SECONDS
            self._refill_at, self._refill_known_at = now + wait, now
            if (
                announce
                and remaining == 0
                and wait >= NOTICE_MIN_PAUSE_SECONDS
                and now >= self._noticed_until
            ):
                self._noticed_until = self._refill_at
                pause = wait
        if self._waiters:
            self._dispatch()
        return pause

    def _refill(self, now: float) -> None:
        """At the reset time less the lead the quota returns a call: release a batch.

        The batch may overdraw the budget by its size less one at most, counting the calls
        already out: when more calls are out than the quota had room for, they take the
        returned call and the batch shrinks accordingly. A refill soon after the last answer
        (a dense stretch) releases as many as one after a pause, but only the latter teaches
        the batch size.
        """
        if not self._lead_started and self._round_trips:
            # The first guess: a request reaches the server half-way through its round trip.
            self._lead_started = True
            self._lead = max(self._lead, self._round_trip_floor() / 2)
        if self._refill_at is None or now < self._refill_at - self._lead:
            return
        after_pause = self._refill_at - self._refill_known_at > 2 * max(
            self._lead, self._round_trip_floor()
        )
        self._quiet_since = max(self._quiet_since, now)
        self._refill_at = None
        if self._budget is not None:
            self._budget += 1
            self._batch = _Batch(after_pause=after_pause)
            self._batch_left = max(0, min(self._batch_size, self._budget + self._batch_size - 1))

    def _may_send(self, now: float) -> bool:
        if now < self._closed_until:
            return False
        self._refill(now)
        if self._budget is None or self._budget > 0 or self._batch_left > 0:
            return True
        # Spent. Wait for a known reset time; else probe when nobody is out to report back, or
        # when those out there have been silent too long.
        if self._refill_at is not None:
            return False
        return self._in_flight == 0 or now >= self._quiet_since + STALLED_PROBE_SECONDS

    def _next_change(self, now: float) -> float:
        """When `_may_send` may turn true without any answer arriving."""
        if now < self._closed_until:
            return self._closed_until
        self._refill(now)
        if self._budget is None or self._budget > 0 or self._batch_left > 0:
            return now
        if self._refill_at is not None:
            return self._refill_at - self._lead
        if self._in_flight == 0:
            return now
        return self._quiet_since + STALLED_PROBE_SECONDS

    def _grant(self, now: float) -> Ticket:
        self._in_flight += 1
        if self._budget is None:
            return Ticket(now)
        batch = None
        first = False
        if self._batch_left > 0 and self._batch is not None:
            batch = self._batch
            self._batch_left -= 1
            first = batch.size == 0
            batch.size += 1
            batch.pending += 1
        elif self._budget <= 0:  # a probe: the next one waits a full stall period
            self._quiet_since = now
        self._budget -= 1
        return Ticket(now, batch, first=first, lead_generation=self._lead_generation)

    def _give_back(self, ticket: Ticket) -> None:
        """A granted call was cancelled before it was sent: as if it had never been granted."""
        ticket.released = True
        self._in_flight = max(0, self._in_flight - 1)
        if self._budget is not None:
            self._budget += 1
        batch = ticket.batch
        if batch is not None:
            batch.size -= 1
            batch.pending -= 1
            self._learn_batch(batch)

    def _lead_was_early(self, ticket: Ticket, reset_ms: int | None) -> None:
        """A refill's first call met a 429: halve the lead if the quota was about to return it."""
        horizon = max(self._lead, self._round_trip_floor())
        soon = reset_ms is None or reset_ms / 1000 <= horizon
        # A longer reset means another call took the returned one; no lead would have helped.
        if soon and ticket.lead_generation == self._lead_generation:
            self._lead_generation += 1
            self._lead /= 2

    def _learn_batch(self, batch: _Batch) -> None:
        """Once every call of a batch after a pause is answered, size the next one by it."""
        if batch.done or batch.pending > 0:
            return
        if batch is self._batch and self._batch_left > 0:
            return  # it may still release calls
        batch.done = True
        if not batch.after_pause or batch.size == 0:
            return
        if batch.failed:
            self._batch_size = max(1, min(self._batch_size, batch.succeeded + 1))
        elif batch.full and batch.succeeded == batch.size:
            self._batch_size = min(MAX_BATCH, self._batch_size * 2)

    def _dispatch(self) -> None:
        """Grant queued calls while the quota allows; wake the head if its timer is now wrong."""
        now = self._clock()
        ran_out = False
        while self._waiters and self._may_send(now):
            waiter = self._waiters.popleft()
            ticket = waiter.ticket = self._grant(now)
            waiter.wake.set()
            ran_out = ticket.batch is not None and self._batch_left == 0
        if self._waiters:
            if ran_out and self._batch is not None:
                self._batch.full = True
            head = self._waiters[0]
            if head is not self._timer_waiter or self._next_change(now) < self._timer_at:
                head.wake.set()

    async def _watch_clock(self, waiter: _Waiter) -> None:
        """The head waiter sleeps until the next timed change, or until woken earlier."""
        now = self._clock()
        wake_at = self._next_change(now)
        self._timer_waiter, self._timer_at = waiter, wake_at
        if wake_at <= now:
            await anyio.lowlevel.checkpoint()
            return
        if math.isinf(wake_at):
            await waiter.wake.wait()
            return
        wake = waiter.wake

        async def ring() -> None:
            await self._sleep(wake_at - now)
            wake.set()

        async with anyio.create_task_group() as group:
            group.start_soon(ring)
            await wake.wait()
            group.cancel_scope.cancel()
