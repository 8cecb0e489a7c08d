"""The account-wide call quota and the `X-RateLimit-*` headers every API response carries.

[rate] https://integrations.mimecast.com/documentation/api-overview/rate-limiting/:
`X-RateLimit-Limit` (quota), `X-RateLimit-Remaining`, `X-RateLimit-Reset` (milliseconds until at
least one call is returned to the quota); over quota is HTTP 429 and the function is not executed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Quota:
    """The quota seen by one request."""

    limit: int
    remaining: int
    reset_ms: int

    def headers(self) -> dict[str, str]:
        """The `X-RateLimit-*` response headers."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.remaining)),
            "X-RateLimit-Reset": str(max(0, self.reset_ms)),
        }

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The same headers as ASGI wants them (lower-case latin-1 bytes), built directly:
        every API response carries them, so the simulator skips the dict-and-encode round."""
        return [
            (b"x-ratelimit-limit", b"%d" % self.limit),
            (b"x-ratelimit-remaining", b"%d" % max(0, self.remaining)),
            (b"x-ratelimit-reset", b"%d" % max(0, self.reset_ms)),
        ]


def take(window: deque[float], now_ms: float, limit: int, window_ms: int) -> tuple[bool, Quota]:
    """Count one call in a sliding window; (allowed, quota after the call)."""
    while window and window[0] <= now_ms - window_ms:
        window.popleft()
    allowed = len(window) < limit
    if allowed:
        window.append(now_ms)
    reset = int(window[0] + window_ms - now_ms) if window else 0
    return allowed, Quota(limit, limit - len(window), reset if allowed else max(1, reset))


def peek(window: deque[float], now_ms: float, limit: int, window_ms: int) -> Quota:
    """The quota without counting a call (for refused requests)."""
    while window and window[0] <= now_ms - window_ms:
        window.popleft()
    reset = int(window[0] + window_ms - now_ms) if window else 0
    return Quota(limit, limit - len(window), reset)
