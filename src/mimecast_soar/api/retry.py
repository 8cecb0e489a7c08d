"""Retry policy and the retry loop of one logical Mimecast call.

Safety comes from the caller's `mutating` flag, not from the HTTP method (every Mimecast call is
a POST; docs/architecture.md §3):

- every call retries a 429 (Mimecast guarantees the function did not run,
  https://integrations.mimecast.com/documentation/api-overview/rate-limiting/) and a failure to
  connect (nothing was sent);
- read calls also retry 5xx, timeouts and connections dropped before a response, and a malformed
  body at most once (a proxy's HTML error page usually clears; a server that keeps sending bad
  JSON will not, so a second one is final);
- nothing retries 401, 403, 404, 418, TLS failures or ``fail[]`` entries. (The one OAuth token
  refresh on a 401 happens inside `OAuthAuth`, below this loop.)
- a state-changing call that failed after its request left (5xx, timeout, dropped connection,
  malformed or truncated body) may have been carried out: it is not sent again, and its error
  is marked `outcome_unknown` with a sentence saying so and to check before running it again;
- a failure on the OAuth token endpoint means the API request itself was never sent, so it is
  retried as a read even within a mutating call.

A 429 goes back to the client's shared `RateGate`, which holds every call of the client (not
only this one) until ``X-RateLimit-Reset`` ms plus `RATE_LIMIT_MARGIN_SECONDS` have passed and
then lets them go as the quota returns calls (see `mimecast_soar.api.rate_gate`), unless a later
answer already reported quota to spare; without the header the gate closes for an exponential
backoff. Every call holds a permit of the gate from sending until its answer has been read, so
the gate knows how many calls are on their way. Other retries back off exponentially with
jitter, capped by `wait_max_seconds`, with the permit given back meanwhile.
All retries are bounded by `max_attempts` (429s by `max_rate_limited_attempts`) and
`max_total_seconds` on the injected clock; when a bound is hit the last typed error is raised
with the number of attempts appended.

Retry notices are folded per cause (the phrase of `retry_reason`, such as "could not connect"):
the first retry of a cause is reported in full, later ones only as a count, when it reaches 10,
100, 1000... and at most every `NOTICE_INTERVAL_SECONDS` otherwise. A dead host met by many rows
then gives a handful of lines instead of one per attempt.

Why not `stamina`: the stack names it, and its backoff hook can return the server's delay, but
it sleeps with `asyncio.sleep`/`trio.sleep` directly and measures its timeout with tenacity's
`time.monotonic`; neither can be injected per client (its test mode is a process-wide switch).
Injected clock and sleep are needed for the shared rate gate and for instant, deterministic
tests, so this module is a small explicit loop that follows stamina's parameter names.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from mimecast_soar.api.rate_gate import RATE_LIMIT_MARGIN_SECONDS, RateGate
from mimecast_soar.errors import (
    ConfigurationError,
    ConnectError,
    ConnectionDroppedError,
    MimecastError,
    RateLimitedError,
    ResponseFormatError,
    ServerError,
    TimeoutError_,
    TLSError,
    TransportError,
)

__all__ = ["RATE_LIMIT_MARGIN_SECONDS", "RetryLoop", "RetryPolicy", "retry_reason"]

T = TypeVar("T")

#: How many malformed bodies a read call retries.
_MAX_FORMAT_RETRIES = 1

#: The longest a cause that keeps being retried goes without a count line.
NOTICE_INTERVAL_SECONDS = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds and waits of the retry loop (units in the names, as in stamina)."""

    max_attempts: int = 5
    max_total_seconds: float = 120.0
    wait_initial_seconds: float = 0.5
    wait_max_seconds: float = 30.0
    wait_jitter_seconds: float = 0.5
    #: 429 answers a call may meet before it gives up. Counted apart from `max_attempts`: under
    #: sustained throttling with more calls in flight than the quota lets through, one call can
    #: lose the race after each reopening several times, and it never ran. `max_attempts = 1`
    #: still turns every retry off.
    max_rate_limited_attempts: int = 30

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigurationError("retry max_attempts must be at least 1.")
        if self.max_rate_limited_attempts < 1:
            raise ConfigurationError("retry max_rate_limited_attempts must be at least 1.")
        for name in (
            "max_total_seconds",
            "wait_initial_seconds",
            "wait_max_seconds",
            "wait_jitter_seconds",
        ):
            if getattr(self, name) < 0:
                raise ConfigurationError(f"retry {name} must not be negative.")

    def backoff_seconds(self, retry_number: int, jitter_seconds: float = 0.0) -> float:
        """Exponential wait before retry `retry_number` (1-based), capped by `wait_max_seconds`."""
        try:
            base = self.wait_initial_seconds * 2.0 ** (retry_number - 1)
        except OverflowError:
            return self.wait_max_seconds
        return min(self.wait_max_seconds, base + jitter_seconds)


def retry_reason(
    error: MimecastError, *, mutating: bool, request_sent: bool, format_retries: int = 0
) -> str | None:
    """Why `error` may be retried (a short phrase for notices), or None when it must not be.

    `request_sent` is False when the failure happened before the API request left (the OAuth
    token fetch); `format_retries` counts the malformed bodies already retried in this call.
    """
    if isinstance(error, RateLimitedError):
        return "rate limited"
    if isinstance(error, ConnectError):
        return "could not connect"
    if mutating and request_sent:
        return None
    if isinstance(error, ServerError):
        status = f" (HTTP {error.http_status})" if error.http_status else ""
        return f"server error{status}"
    if isinstance(error, TimeoutError_):
        return "timed out"
    if isinstance(error, ConnectionDroppedError):
        return "connection dropped"
    if isinstance(error, ResponseFormatError) and format_retries < _MAX_FORMAT_RETRIES:
        return "malformed response"
    return None


class RetryLoop:
    """Runs one logical call with the policy's retries, through the shared `RateGate`."""

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        gate: RateGate,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        on_notice: Callable[[str], None],
        rng: random.Random | None = None,
    ) -> None:
        self.policy = policy
        self._gate = gate
        self._clock = clock
        self._sleep = sleep
        self._notice = on_notice
        self._rng = rng or random.Random()
        self._folder = _NoticeFolder(on_notice, clock)

    async def run(
        self,
        attempt: Callable[[], Awaitable[T]],
        *,
        path: str,
        mutating: bool,
        request_sent: Callable[[MimecastError], bool] = lambda _error: True,
    ) -> T:
        """Call `attempt` until it returns, a non-retriable error occurs, or a bound is hit."""
        policy = self.policy
        start = self._clock()
        format_retries = 0
        number = 0
        rate_limited = 0
        while True:
            number += 1
            self._check_gate_within_budget(path, self._clock() - start)
            # The permit is held while the request is out, so the gate counts it against the
            # remaining quota, and handed back before any wait below.
            ticket = await self._gate.acquire()
            try:
                result = await attempt()
            except MimecastError as caught:
                error = caught
            else:
                return result
            finally:
                self._gate.release(ticket)
            reason = retry_reason(
                error,
                mutating=mutating,
                request_sent=request_sent(error),
                format_retries=format_retries,
            )
            if reason is None:
                if mutating and request_sent(error) and _may_have_run(error):
                    _note_outcome_unknown(error)
                raise error
            if isinstance(error, ResponseFormatError):
                format_retries += 1
            if isinstance(error, RateLimitedError) and error.reset_ms is not None:
                # The client has told the gate already when the answer came through it; saying
                # it again is harmless and keeps this loop right on its own.
                self._gate.observe_rate_limited(error.reset_ms, holding=False)
            if isinstance(error, RateLimitedError) and policy.max_attempts > 1:
                rate_limited += 1
                attempts_left = rate_limited < policy.max_rate_limited_attempts
                wait_seconds = self._wait_seconds(error, rate_limited)
            else:  # the other failures keep their own bound
                attempts_left = number - rate_limited < policy.max_attempts
                wait_seconds = self._wait_seconds(error, number - rate_limited)
            elapsed = self._clock() - start
            if not attempts_left:
                if policy.max_attempts > 1:  # nothing to report when retries are off
                    _note_gave_up(error, number, elapsed, None)
                raise error
            if elapsed + wait_seconds > policy.max_total_seconds:
                _note_gave_up(error, number, elapsed, wait_seconds)
                raise error
            if isinstance(error, RateLimitedError):
                # The wait happens in the gate, shared with every concurrent call: with a reset
                # time the gate already holds calls until then; without one it closes here.
                if error.reset_ms is None:
                    self._gate.close_for(wait_seconds)
                self._folder.retrying(
                    reason,
                    path,
                    f"rate limited on {path}, waiting {wait_seconds:.1f} s "
                    f"(attempt {number + 1} of {policy.max_attempts} next)",
                )
            else:
                self._folder.retrying(
                    reason,
                    path,
                    f"{reason} on {path}, retrying in {wait_seconds:.1f} s "
                    f"(attempt {number + 1} of {policy.max_attempts} next)",
                )
                await self._sleep(wait_seconds)

    def _check_gate_within_budget(self, path: str, elapsed_seconds: float) -> None:
        """Fail fast when the quota reopens only after this call's time budget has run out."""
        closed_seconds = self._gate.closed_for_seconds()
        if closed_seconds <= 0 or elapsed_seconds + closed_seconds <= self.policy.max_total_seconds:
            return
        raise RateLimitedError(
            f"Mimecast's rate limit quota is used up; it is returned in {closed_seconds:.1f} s, "
            f"beyond the {self.policy.max_total_seconds:.0f} s retry time budget, so {path} "
            "was not sent.",
            path=path,
            reset_ms=int(closed_seconds * 1000),
        )

    def _wait_seconds(self, error: MimecastError, number: int) -> float:
        if isinstance(error, RateLimitedError) and error.reset_ms is not None:
            return error.reset_ms / 1000 + RATE_LIMIT_MARGIN_SECONDS
        jitter = self._rng.uniform(0, self.policy.wait_jitter_seconds)
        return self.policy.backoff_seconds(number, jitter)


class _NoticeFolder:
    """Retry notices folded into a few lines per cause (see the module docstring)."""

    def __init__(self, emit: Callable[[str], None], clock: Callable[[], float]) -> None:
        self._emit = emit
        self._clock = clock
        self._counts: dict[str, int] = {}
        self._shown_at: dict[str, float] = {}

    def retrying(self, cause: str, path: str, first_line: str) -> None:
        """Count one retry of `cause`; say so when it is the first or a count is due."""
        count = self._counts[cause] = self._counts.get(cause, 0) + 1
        now = self._clock()
        if count == 1:
            self._emit(first_line)
        elif _is_power_of_ten(count) or now - self._shown_at[cause] >= NOTICE_INTERVAL_SECONDS:
            self._emit(
                f"{cause}: retried {count} times so far in this run (latest on {path}); "
                "single retries are no longer shown"
            )
        else:
            return
        self._shown_at[cause] = now


def _is_power_of_ten(number: int) -> bool:
    while number >= 10 and number % 10 == 0:
        number //= 10
    return number == 1


def _may_have_run(error: MimecastError) -> bool:
    """True for failures after which the server may have acted (the request was sent)."""
    if isinstance(error, ConnectError | TLSError | RateLimitedError):
        return False
    return isinstance(error, ServerError | ResponseFormatError | TransportError)


def _note_outcome_unknown(error: MimecastError) -> None:
    """Mark `error` and say, in its message, that the call may have run and was not repeated."""
    error.outcome_unknown = True
    error.message = (
        f"{error.message.rstrip('.')}. The outcome is unknown: Mimecast may have carried out "
        "the request without answering, so it was not sent again; check whether it took "
        "effect before running it again."
    )
    error.args = (error.message,)


def _note_gave_up(
    error: MimecastError, attempts: int, elapsed_seconds: float, next_wait_seconds: float | None
) -> None:
    """Append the attempt count to the error's message (in place, so its type is kept)."""
    plural = "s" if attempts != 1 else ""
    text = f"Gave up after {attempts} attempt{plural} in {elapsed_seconds:.1f} s"
    if next_wait_seconds is not None:
        text += f": waiting {next_wait_seconds:.1f} s more would exceed the retry time budget"
    error.message = f"{error.message.rstrip('.')}. {text}."
    error.args = (error.message,)
