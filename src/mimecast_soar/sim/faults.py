"""Fault rules: how the simulator misbehaves on purpose.

A rule matches a request by `path` (exact, or prefix when it ends with `/` or `*`; no path = every
`/api/...` call; `/oauth/token` only when named), then skips the first `after` matching requests,
fires on a share `rate` of the rest (seeded RNG) and stops after `count` firings.

Kinds (what the client sees; whether the Mimecast function ran):
  quota            429 + X-RateLimit-* once `limit` calls ran within `window_ms`   not executed
  status           HTTP `code` (500, 502, 503, 504, 403, 404...) + error envelope   not executed
  binding_expired  418 err_xdk_binding_expired "AccessKey Has Expired"             not executed
  unauthorized     401 err_xdk_invalid_signature                                   not executed
  slow             waits `delay_ms`, then answers normally                          executed
  drop_before      connection closed, no response                                  not executed
  drop_after       connection closed, no response                                  EXECUTED
  malformed        200 with an HTML error page instead of JSON                     not executed
  truncated        200 with the real JSON body cut in half                         EXECUTED
  fail             200 with fail[] {code, message}                                 not executed

Spec grammar (CLI `--fault SPEC`): `KIND[:KEY=VALUE[,KEY=VALUE...]]`, keys `path`, `rate`,
`count`, `after`, `code` (HTTP status for `status`, error code for `fail`), `message`,
`delay_ms`, `limit`, `window_ms`. Values cannot contain commas. Examples:
  quota:limit=5,window_ms=1000
  status:code=503,rate=0.2,path=/api/ttp/url/get-logs
  drop_after:count=1,path=/api/gateway/hold-release
  slow:delay_ms=2000
  fail:code=err_xdk_operation_forbidden_for_address,message=Forbidden,count=2
The JSON form (`POST /_sim/faults`, `FaultRule.from_json`) uses the same keys.
Rate limiting per [rate] https://integrations.mimecast.com/documentation/api-overview/rate-limiting/
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

KINDS = frozenset(
    {
        "quota",
        "status",
        "binding_expired",
        "unauthorized",
        "slow",
        "drop_before",
        "drop_after",
        "malformed",
        "truncated",
        "fail",
    }
)


class FaultSpecError(ValueError):
    """A fault spec or JSON rule that cannot be understood."""


@dataclass(frozen=True)
class FaultRule:
    """One fault rule (see the module docstring for the kinds and the matching rules)."""

    kind: str
    path: str | None = None
    rate: float = 1.0
    count: int | None = None
    after: int = 0
    status: int | None = None
    error_code: str | None = None
    message: str | None = None
    delay_ms: float = 0
    limit: int | None = None
    window_ms: int = 1000

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise FaultSpecError(f"unknown fault kind {self.kind!r}; one of {sorted(KINDS)}")
        if not 0 <= self.rate <= 1:
            raise FaultSpecError("rate must be between 0 and 1")
        if self.kind == "quota" and (self.limit is None or self.limit < 0):
            raise FaultSpecError("quota needs limit=N")
        if self.kind == "status" and self.status is None:
            raise FaultSpecError("status needs code=HTTP_STATUS")

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> FaultRule:
        """Build a rule from a JSON object (`code` means `status` or `error_code` by kind)."""
        if not isinstance(obj, dict) or "kind" not in obj:
            raise FaultSpecError("a fault rule is an object with a 'kind'")
        values = {str(key): value for key, value in obj.items()}
        return cls._build(values)

    @classmethod
    def _build(cls, values: dict[str, Any]) -> FaultRule:
        kind = str(values.pop("kind"))
        if "code" in values:
            code = values.pop("code")
            values["status" if kind == "status" else "error_code"] = code
        converters: dict[str, Any] = {
            "path": str,
            "rate": float,
            "count": int,
            "after": int,
            "status": int,
            "error_code": str,
            "message": str,
            "delay_ms": float,
            "limit": int,
            "window_ms": int,
        }
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            if key not in converters:
                raise FaultSpecError(f"unknown fault option {key!r}")
            try:
                kwargs[key] = None if value is None else converters[key](value)
            except (TypeError, ValueError) as exc:
                raise FaultSpecError(f"bad value for {key}: {value!r}") from exc
        return cls(kind=kind, **kwargs)

    def to_json(self) -> dict[str, Any]:
        """The rule as a JSON object (defaults left out)."""
        defaults = asdict(FaultRule(kind="slow"))
        return {k: v for k, v in asdict(self).items() if k == "kind" or v != defaults[k]}

    def matches_path(self, path: str) -> bool:
        """Whether the rule applies to requests for `path`."""
        if self.path is None:
            return path.startswith("/api/")
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        if self.path.endswith("/"):
            return path.startswith(self.path)
        return path == self.path


def parse_fault(spec: str) -> FaultRule:
    """Parse a CLI fault spec such as `status:code=503,rate=0.2,path=/api/ttp/url/get-logs`."""
    kind, _, rest = spec.strip().partition(":")
    values: dict[str, Any] = {"kind": kind.strip()}
    for pair in filter(None, (part.strip() for part in rest.split(","))):
        key, sep, value = pair.partition("=")
        if not sep:
            raise FaultSpecError(f"expected KEY=VALUE in fault spec, got {pair!r}")
        values[key.strip()] = value.strip()
    return FaultRule._build(values)


@dataclass
class FaultDecision:
    """What the fault rules say about one request."""

    delay_ms: float = 0
    rule: FaultRule | None = None  # the terminal rule that fired, if any
    quota_rule: FaultRule | None = None  # a quota rule that rejected the call
    quota_reset_ms: int = 0
    quota_remaining: int | None = None
    quota_limit: int = 0


class FaultEngine:
    """The live fault rules with their counters and a seeded RNG (touched from one event loop)."""

    def __init__(self, rules: list[FaultRule], seed: int) -> None:
        self._seed = seed
        self.set_rules(rules)

    def set_rules(self, rules: list[FaultRule]) -> None:
        """Replace every rule and reset the counters."""
        self.rules = list(rules)
        self._seen = [0] * len(self.rules)
        self._fired = [0] * len(self.rules)
        self._windows: list[deque[float]] = [deque() for _ in self.rules]
        self._random = random.Random(self._seed)

    def decide(self, path: str, now_ms: float) -> FaultDecision:
        """Evaluate the rules for one request (quota first, then slow and the terminal kinds)."""
        decision = FaultDecision()
        for index, rule in enumerate(self.rules):
            if rule.kind != "quota" or not rule.matches_path(path):
                continue
            window = self._windows[index]
            while window and window[0] <= now_ms - rule.window_ms:
                window.popleft()
            limit = rule.limit or 0
            if len(window) >= limit:
                reset = window[0] + rule.window_ms - now_ms if window else rule.window_ms
                decision.quota_rule, decision.quota_reset_ms = rule, max(1, int(reset))
                decision.quota_remaining, decision.quota_limit = 0, limit
                return decision
            window.append(now_ms)
            remaining = limit - len(window)
            if decision.quota_remaining is None or remaining < decision.quota_remaining:
                decision.quota_remaining, decision.quota_limit = remaining, limit
                decision.quota_reset_ms = int(window[0] + rule.window_ms - now_ms)
        for index, rule in enumerate(self.rules):
            if rule.kind == "quota" or not rule.matches_path(path):
                continue
            self._seen[index] += 1
            if decision.rule is not None and rule.kind != "slow":
                continue
            if self._seen[index] <= rule.after:
                continue
            if rule.count is not None and self._fired[index] >= rule.count:
                continue
            if rule.rate < 1 and self._random.random() >= rule.rate:
                continue
            self._fired[index] += 1
            if rule.kind == "slow":
                decision.delay_ms += rule.delay_ms
            else:
                decision.rule = rule
        return decision
