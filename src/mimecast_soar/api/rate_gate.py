"""A gate shared by every call of one client that keeps the calls within Mimecast's quota.

Mimecast's rule (docs/mimecast-api.md §5,
https://integrations.mimecast.com/documentation/api-overview/rate-limiting/):
every answer carries ``X-RateLimit-Remaining`` (calls left) and ``X-RateLimit-Reset`` (ms until
at least one call returns to the quota); a 429 was not carried out, so it waits its reset and is
sent again (the retry loop). In plain words, this gate:

- counts every call from `acquire` until its answer has been read (`release`): in flight;
- lets calls go while the budget lasts: the last answer's Remaining less the other calls in
  flight (the server counts them against the same remainder; one it has counted already is
  subtracted twice, which only holds calls until its own answer comes). No headers, no limit;
- at zero, holds calls until the last answer's reset plus `RATE_LIMIT_MARGIN_SECONDS`, then lets
  one go: its answer says how many more the quota has returned. A 429 sets the budget to zero
  until its reset; a 429 without one closes the gate for the retry loop's backoff (`close_for`);
- at zero with no reset pending, waits for the calls in flight to report; if none has answered
  for `STALLED_PROBE_SECONDS`, one call goes to ask, so a hanging call does not hold every
  other call until its timeout.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable

import anyio

__all__ = [
    "NOTICE_MIN_PAUSE_SECONDS",
    "RATE_LIMIT_MARGIN_SECONDS",
    "STALLED_PROBE_SECONDS",
    "RateGate",
    "Ticket",
    "header_number",
    "parse_remaining",
]

#: Added to every reset: it counts from the server's answer, and the header is whole ms.
RATE_LIMIT_MARGIN_SECONDS = 0.01
#: With the budget spent and no reset pending, one call asks after this long without an answer.
STALLED_PROBE_SECONDS = 1.0
#: Shorter pauses are not announced (following the quota closely, they come every few ms).
NOTICE_MIN_PAUSE_SECONDS = 0.05


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


class Ticket:
    """One call's permit, from `RateGate.acquire` to `RateGate.release`."""

    __slots__ = ("released",)

    def __init__(self) -> None:
        self.released = False


class RateGate:
    """Grants calls in arrival order as the quota allows, on the injected clock and sleep."""

    def __init__(
        self, *, clock: Callable[[], float], sleep: Callable[[float], Awaitable[None]]
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._queue = anyio.Lock(fast_acquire=True)  # fair: the holder is the next call to go
        self._wake = anyio.Event()  # set when news may let the head of the queue go
        self._budget: int | None = None  # None: no answer has told the quota
        self._reset_at: float | None = None  # when the quota returns a call, while spent
        self._closed_until = -math.inf
        self._quiet_since = -math.inf  # the last answer, or the last probe
        self._noticed_until = -math.inf
        self._in_flight = 0

    @property
    def budget(self) -> int | None:
        """Calls that may start now (None: no limit known)."""
        self._refill(self._clock())
        return self._budget

    @property
    def in_flight(self) -> int:
        """Calls holding a ticket."""
        return self._in_flight

    async def acquire(self) -> Ticket:
        """Wait until this call may be sent; pass the ticket to `release` once it is answered.

        Cancelled while waiting, the call takes nothing (the grant itself never waits).
        """
        async with self._queue:
            while not self._may_send(now := self._clock()):
                self._wake = wake = anyio.Event()
                await self._wait(wake, self._next_change(now) - now)
            self._in_flight += 1
            if self._budget is not None:
                if self._budget <= 0:  # a probe: the next one waits a full stall again
                    self._quiet_since = now
                self._budget -= 1
            return Ticket()

    def release(self, ticket: Ticket) -> None:
        """The call holding `ticket` has its answer, or failed. Releasing twice does nothing."""
        if not ticket.released:
            ticket.released = True
            self._in_flight -= 1
            self._wake.set()

    def observe(self, remaining: str | int | None, reset_ms: int | None) -> float | None:
        """Take the quota an answer reports, while its call still holds its ticket.

        `remaining` is ``X-RateLimit-Remaining`` (text or count; None or not a number: no limit
        known); `reset_ms` is ``X-RateLimit-Reset``. Returns the pause in seconds when this
        answer starts one worth telling the user about, else None.
        """
        count = parse_remaining(remaining) if isinstance(remaining, str) else remaining
        wait = self._report(count, reset_ms, holding=True)
        if count != 0 or wait is None or wait < NOTICE_MIN_PAUSE_SECONDS:
            return None
        if self._clock() < self._noticed_until:
            return None  # the same pause, told by another call's answer
        self._noticed_until = self._clock() + wait
        return wait

    def observe_rate_limited(self, reset_ms: int, *, holding: bool = True) -> None:
        """A 429 with ``X-RateLimit-Reset``: nothing remains until the reset.

        `holding`: the answered call still holds its ticket (the retry loop reports again after
        releasing it, which changes nothing).
        """
        self._report(0, reset_ms, holding=holding)

    def close_for(self, seconds: float) -> None:
        """Let no call start for `seconds` from now (never shortens an existing closure)."""
        self._closed_until = max(self._closed_until, self._clock() + seconds)

    def closed_for_seconds(self) -> float:
        """Seconds until the quota returns a call or a closure ends; 0 when calls may go."""
        now = self._clock()
        self._refill(now)
        wait = self._closed_until - now
        if self._reset_at is not None:
            wait = max(wait, self._reset_at - now)
        return max(0.0, wait)

    def _report(
        self, remaining: int | None, reset_ms: float | None, *, holding: bool
    ) -> float | None:
        now = self._clock()
        self._quiet_since = now
        self._wake.set()
        others = self._in_flight - 1 if holding else self._in_flight
        self._budget = None if remaining is None else remaining - max(0, others)
        self._reset_at = None
        if self._budget is None or self._budget > 0 or reset_ms is None:
            return None
        wait = reset_ms / 1000 + RATE_LIMIT_MARGIN_SECONDS
        self._reset_at = now + wait
        return wait

    def _refill(self, now: float) -> None:
        """At the reset time the quota has returned a call (news, for the stall probe)."""
        if self._reset_at is not None and now >= self._reset_at:
            self._reset_at, self._quiet_since = None, now
            if self._budget is not None:
                self._budget += 1

    def _may_send(self, now: float) -> bool:
        if now < self._closed_until:
            return False
        self._refill(now)
        if self._budget is None or self._budget > 0:
            return True
        if self._reset_at is not None:
            return False
        return self._in_flight == 0 or now >= self._quiet_since + STALLED_PROBE_SECONDS

    def _next_change(self, now: float) -> float:
        """When `_may_send` turns true if no news arrives first."""
        if now < self._closed_until:
            return self._closed_until
        if self._reset_at is not None:
            return self._reset_at
        return self._quiet_since + STALLED_PROBE_SECONDS

    async def _wait(self, wake: anyio.Event, seconds: float) -> None:
        """Wait for news (`wake`) or `seconds` on the injected sleep, whichever comes first."""

        async def ring() -> None:
            await self._sleep(seconds)
            wake.set()

        async with anyio.create_task_group() as group:
            group.start_soon(ring)
            await wake.wait()
            group.cancel_scope.cancel()
