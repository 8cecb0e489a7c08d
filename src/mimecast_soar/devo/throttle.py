"""The platform's throttle: a minimum time between the starts of two consecutive calls.

Devo SOAR's `time_between_consecutive_requests_milliseconds` asks an integration to space its
requests. `Throttle` spaces the starts of logical calls (a call and its retries count once), across
every row in flight, so concurrency never defeats it. `ThrottledClient` is a `MimecastClient` whose
every call, paginated pulls included (`Pagination` calls back into `call`), waits for the throttle.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from mimecast_soar.api import ClientSettings, MimecastClient, MimecastResponse
from mimecast_soar.secret import Redactor


async def _anyio_sleep(seconds: float) -> None:
    await anyio.sleep(seconds)


class Throttle:
    """Lets callers start at most once every `interval_seconds` (0 = no throttle)."""

    def __init__(
        self,
        interval_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = _anyio_sleep,
    ) -> None:
        if interval_seconds < 0:
            raise ValueError("interval_seconds must not be negative")
        self.interval_seconds = interval_seconds
        self._clock = clock
        self._sleep = sleep
        self._next_start: float | None = None
        self._lock: anyio.Lock | None = None

    async def wait(self) -> None:
        """Return when the caller may start; callers are served in arrival order."""
        if self.interval_seconds <= 0:
            return
        if self._lock is None:
            self._lock = anyio.Lock()  # created in the event loop that uses it
        async with self._lock:
            now = self._clock()
            if self._next_start is not None and now < self._next_start:
                await self._sleep(self._next_start - now)
                now = self._clock()
            self._next_start = now + self.interval_seconds


class ThrottledClient(MimecastClient):
    """A `MimecastClient` whose calls wait for a shared `Throttle` before they start."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        throttle: Throttle,
        redactor: Redactor | None = None,
        on_notice: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(settings, redactor=redactor, on_notice=on_notice)
        self.throttle = throttle

    async def call(
        self,
        path: str,
        data: list[Any],
        *,
        mutating: bool,
        meta: dict[str, Any] | None = None,
    ) -> MimecastResponse:
        """Wait for the throttle, then make the call (see `MimecastClient.call`)."""
        await self.throttle.wait()
        return await super().call(path, data, mutating=mutating, meta=meta)
