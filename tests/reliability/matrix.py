"""The fault matrix: every fault of the simulator against a paged read and a 500-row release.

Each entry is a `Scenario` (see `harness`). `quick=True` marks the subset `make test` runs; the
whole matrix runs in `make reliability` (`python -m tests.reliability.campaign`).

What each fault must end in, and why:
- a read retries every transient fault (429, 5xx, drops, timeouts, one malformed body), so its
  rows end in full success;
- a release retries only what cannot have run (429, a failure to connect); anything after the
  request left (5xx, a drop, a timeout, a malformed or truncated body) is an error row saying the
  outcome is unknown and how to check, and is never sent again;
- `fail[]` entries are error rows for the rows they hit; 418 and a stale-clock 401 stop the run,
  with an error row naming the cause for every row.
"""

from __future__ import annotations

from tests.reliability.harness import READ_PATH, RELEASE_PATH, Scenario

UNKNOWN = ("outcome is unknown", "check")


def _read(fault: str, *rules: dict[str, object], **options: object) -> Scenario:
    return Scenario(fault, "read", tuple(dict(r, path=READ_PATH) for r in rules), **options)  # type: ignore[arg-type]


def _release(fault: str, *rules: dict[str, object], **options: object) -> Scenario:
    return Scenario(fault, "release", tuple(dict(r, path=RELEASE_PATH) for r in rules), **options)  # type: ignore[arg-type]


_BURST = (
    {"kind": "status", "code": 500, "count": 2, "after": 3},
    {"kind": "status", "code": 502, "count": 2, "after": 12},
    {"kind": "status", "code": 503, "count": 2, "after": 25},
    {"kind": "status", "code": 504, "count": 2, "after": 40},
)

SCENARIOS: tuple[Scenario, ...] = (
    # 429 with quota windows: the client waits X-RateLimit-Reset and every call goes through.
    _read("429 quota window", {"kind": "quota", "limit": 12, "window_ms": 400}, quick=True),
    _release("429 quota window", {"kind": "quota", "limit": 60, "window_ms": 300}, quick=True),
    # Bursts of 500/502/503/504.
    _read("5xx bursts", *_BURST, quick=True),
    _release(
        "5xx bursts",
        *_BURST,
        expect="mixed",
        unknown_outcome=True,
        error_words=UNKNOWN,
        quick=True,
    ),
    # Connection reset before any response (the server did not act).
    _read("drop before response", {"kind": "drop_before", "count": 3, "after": 5}, quick=True),
    _release(
        "drop before response",
        {"kind": "drop_before", "count": 3, "after": 50},
        expect="mixed",
        unknown_outcome=True,
        error_words=UNKNOWN,
    ),
    # Connection reset after the server acted.
    _read("drop after acting", {"kind": "drop_after", "count": 3, "after": 5}, quick=True),
    _release(
        "drop after acting",
        {"kind": "drop_after", "count": 5, "after": 100},
        expect="mixed",
        unknown_outcome=True,
        error_words=UNKNOWN,
        quick=True,
    ),
    # Read timeout: the server answers after the client's timeout.
    _read(
        "read timeout",
        {"kind": "slow", "delay_ms": 1000, "count": 2, "after": 4},
        timeout_seconds=0.4,
        settle_seconds=1.0,
        quick=True,
    ),
    _release(
        "read timeout",
        {"kind": "slow", "delay_ms": 1000, "count": 3, "after": 30},
        timeout_seconds=0.4,
        settle_seconds=1.0,
        expect="mixed",
        unknown_outcome=True,
        error_words=UNKNOWN,
        quick=True,
    ),
    # Very slow answers, within the timeout.
    _read("slow within timeout", {"kind": "slow", "delay_ms": 400, "rate": 0.2}),
    _release("slow within timeout", {"kind": "slow", "delay_ms": 300, "rate": 0.05}),
    # Malformed JSON (an HTML error page with HTTP 200).
    _read("malformed JSON", {"kind": "malformed", "count": 3, "after": 6}, quick=True),
    _release(
        "malformed JSON",
        {"kind": "malformed", "count": 4, "after": 80},
        expect="mixed",
        unknown_outcome=True,
        error_words=UNKNOWN,
    ),
    # Truncated JSON (the server acted, then the body was cut).
    _read("truncated JSON", {"kind": "truncated", "count": 3, "after": 6}),
    _release(
        "truncated JSON",
        {"kind": "truncated", "count": 4, "after": 120},
        expect="mixed",
        unknown_outcome=True,
        error_words=UNKNOWN,
        quick=True,
    ),
    # fail[] entries with HTTP 200.
    _read(
        "fail[] entries",
        {"kind": "fail", "code": "err_simulated_failure", "count": 2, "after": 10},
        expect="mixed",
        error_words=("err_simulated_failure",),
    ),
    _release(
        "fail[] entries",
        {"kind": "fail", "code": "err_simulated_failure", "count": 7, "after": 60},
        expect="mixed",
        error_words=("err_simulated_failure",),
        quick=True,
    ),
    # 418: the API 1.0 binding expired; fatal, every later row says why.
    _read(
        "418 binding expired",
        {"kind": "binding_expired", "after": 10},
        expect="mixed",
        error_words=("binding",),
    ),
    _release(
        "418 binding expired",
        {"kind": "binding_expired", "after": 120},
        expect="mixed",
        error_words=("binding",),
        quick=True,
    ),
    # 401 from a clock skew: the simulator's clock runs an hour ahead, so every date is stale.
    _read("401 clock skew", expect="errors", advance_clock_seconds=3600, error_words=("clock",)),
    _release(
        "401 clock skew",
        expect="errors",
        advance_clock_seconds=3600,
        error_words=("clock",),
        quick=True,
    ),
)
