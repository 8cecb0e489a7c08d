"""A gate shared by every call of one client, closed while Mimecast's quota is exhausted.

Mimecast counts calls per user (API 1.0) or per application (API 2.0) and answers 429 when the
quota is used up, with ``X-RateLimit-Reset`` = milliseconds until a call is returned to the quota;
every response also carries ``X-RateLimit-Remaining``
(https://integrations.mimecast.com/documentation/api-overview/rate-limiting/, mimecast-api.md §5).
When a 429 arrives, or a response says ``X-RateLimit-Remaining: 0``, the gate closes until the
reset time; every call awaits the gate before it sends, so concurrent calls pause together
instead of each collecting its own 429.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

__all__ = ["RateGate"]


class RateGate:
    """Holds calls back until a reopening time on the injected clock.

    `clock` returns seconds (monotonic); `sleep` waits a number of seconds. Both are injected so
    tests run instantly with a fake clock.
    """

    def __init__(
        self, *, clock: Callable[[], float], sleep: Callable[[float], Awaitable[None]]
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._reopen_at = float("-inf")

    def __repr__(self) -> str:
        return f"RateGate(closed_for_seconds={self.closed_for_seconds():.3f})"

    def close_for(self, seconds: float) -> None:
        """Close the gate for `seconds` from now (never shortens an existing closure)."""
        if seconds <= 0:
            return
        self._reopen_at = max(self._reopen_at, self._clock() + seconds)

    def closed_for_seconds(self) -> float:
        """Seconds until the gate reopens (0 when open)."""
        return max(0.0, self._reopen_at - self._clock())

    async def wait(self) -> float:
        """Wait until the gate is open; returns the seconds waited (by the injected clock).

        Loops because another call may extend the closure while this one sleeps.
        """
        start = self._clock()
        while (remaining_seconds := self._reopen_at - self._clock()) > 0:
            await self._sleep(remaining_seconds)
        return self._clock() - start
