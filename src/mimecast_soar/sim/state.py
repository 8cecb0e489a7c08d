"""`SimState`: everything one simulator instance remembers, reachable as `app.state.sim`.

State is plain Python touched only from the server's event loop. `reset()` rebuilds the seeded
world, clears the request log, the faults, the tokens, the clock offset and the binding switch.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from mimecast_soar.sim import audit
from mimecast_soar.sim import seeding as sd
from mimecast_soar.sim.auth import TokenStore
from mimecast_soar.sim.campaigns import link_campaigns
from mimecast_soar.sim.config import SimConfig
from mimecast_soar.sim.data import Group, Message, build_groups, build_message
from mimecast_soar.sim.faults import FaultEngine, FaultRule
from mimecast_soar.sim.logs import Feed
from mimecast_soar.sim.managed_urls import seed_managed_urls
from mimecast_soar.sim.pagination import Paginator
from mimecast_soar.sim.policy import build_policy
from mimecast_soar.sim.remediation import Incident, seed_incidents
from mimecast_soar.sim.wire import JsonDict


class SimClock:
    """Wall-clock UTC time plus an offset that tests advance (to expire tokens)."""

    def __init__(self) -> None:
        self.offset_seconds = 0.0

    def time(self) -> float:
        """Epoch seconds, simulator time."""
        return time.time() + self.offset_seconds

    def now(self) -> datetime:
        """Simulator time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.time(), UTC)

    def advance(self, seconds: float) -> None:
        """Move simulator time forward (or back, with a negative value)."""
        self.offset_seconds += seconds


@dataclass
class World:
    """The mutable business data: messages, groups, policies, managed senders."""

    messages: dict[str, Message] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)
    policies: dict[str, JsonDict] = field(default_factory=dict)
    managed_senders: dict[tuple[str, str], JsonDict] = field(default_factory=dict)
    incidents: dict[str, Incident] = field(default_factory=dict)
    managed_urls: dict[str, JsonDict] = field(default_factory=dict)
    bypass_policies: dict[str, JsonDict] = field(default_factory=dict)
    audit_events: list[JsonDict] = field(default_factory=list)  # oldest first
    created: int = 0  # counter for ids of things created at run time

    def held(self) -> list[Message]:
        """Messages still in the hold queue, newest first."""
        queue = [m for m in self.messages.values() if m.status == "held"]
        return sorted(queue, key=lambda m: m.received, reverse=True)

    def group(self, group_id: str) -> Group | None:
        """The group with this id, if any."""
        return next((g for g in self.groups if g.id == group_id), None)


def build_feeds(config: SimConfig, anchor: datetime) -> dict[str, Feed]:
    """The three TTP log feeds, leading up to `anchor`."""
    counts = {
        "url": config.ttp_url_log_count,
        "impersonation": config.ttp_impersonation_log_count,
        "attachment": config.ttp_attachment_log_count,
    }
    return {
        name: Feed(name, config.seed, count, int(anchor.timestamp()))
        for name, count in counts.items()
    }


def build_world(config: SimConfig, anchor: datetime, feeds: dict[str, Feed]) -> World:
    """The seeded world for `config` (with `campaigns`, the TTP logs' emails are among it)."""
    world = World()
    held = [
        build_message(
            config.seed,
            index,
            anchor,
            held=True,
            to_admin=config.login_email if index % 5 == 0 else None,
        )
        for index in range(config.held_message_count)
    ]
    tracked = [
        build_message(config.seed, index, anchor, held=False, to_admin=None)
        for index in range(config.tracked_message_count)
    ]
    for message in [*held, *tracked]:
        world.messages[message.id] = message
    if config.campaigns:
        linked = link_campaigns(config.seed, held, tracked, feeds["url"], feeds["impersonation"])
        for message in linked:
            world.messages[message.id] = message
    if config.large_attachment_bytes > 0 and len(tracked) > 1:
        big = replace(
            tracked[1],
            attachments=[
                ("forensics-sample.zip", "application/zip", config.large_attachment_bytes)
            ],
            size=tracked[1].size + config.large_attachment_bytes,
            status="archived",
        )
        world.messages[big.id] = big
    world.groups = build_groups(config.seed, config.group_count)
    world.incidents = seed_incidents(
        config.seed, world.messages, feeds, anchor, config.remediation_seconds_per_mailbox
    )
    world.managed_urls = seed_managed_urls(config.seed)
    world.audit_events = audit.seed_events(
        config.seed, config.audit_event_count, anchor, config.login_email
    )
    seeded = (
        (
            "block_sender",
            "Block invoice fraud domain",
            {"type": "email_domain", "emailDomain": sd.SUSPICIOUS_DOMAINS[0]},
            {"type": "everyone"},
        ),
        (
            "block_sender",
            "Block spoofed CEO address",
            {
                "type": "individual_email_address",
                "emailAddress": f"ceo.office@{sd.SUSPICIOUS_DOMAINS[1]}",
            },
            {"type": "internal_addresses"},
        ),
    )
    for index, (option, description, source, target) in enumerate(seeded):
        item = {
            "option": option,
            "policy": {"description": description, "from": source, "to": target},
        }
        policy_id = sd.secure_id(config.seed, "policy", index)
        built = build_policy(item, anchor - timedelta(days=30 + index))
        world.policies[policy_id] = {"id": policy_id, **built}
    for index, domain in enumerate(("mailer.example.net", "newsletters.example.org")):
        item = {
            "option": "enable_bypass",
            "policy": {
                "description": f"SPF bypass for {domain}",
                "fromPart": "envelope_from",
                "from": {"type": "email_domain", "emailDomain": domain},
                "to": {"type": "everyone"},
                "conditions": {"spfDomains": [domain]},
            },
        }
        policy_id = sd.secure_id(config.seed, "bypass-policy-seed", index)
        built = build_policy(
            item,
            anchor - timedelta(days=60 + index),
            options=("enable_bypass", "disable_bypass"),
        )
        world.bypass_policies[policy_id] = {"id": policy_id, **built}
    return world


class SimState:
    """One simulator's state and the operations tests and admin endpoints use."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.anchor = config.anchor()
        self.clock = SimClock()
        self.tokens = TokenStore()
        key = hashlib.sha256(f"page-tokens:{config.seed}".encode()).digest()
        self.paginator = Paginator(key, default_size=config.default_page_size)
        self.faults = FaultEngine(config.faults, config.seed)
        self.latency_ms = config.latency_ms
        self.feeds = build_feeds(config, self.anchor)
        self.requests: deque[JsonDict] = deque(maxlen=config.request_log_size)
        self.rate_window: deque[float] = deque()
        self.executed: Counter[str] = Counter()
        self.binding_expired = False
        self.pending_token_expiry: int | None = None
        self.world = build_world(config, self.anchor, self.feeds)

    def reset(self) -> None:
        """Restore the seeded state; clear the log, faults, tokens, clock offset and binding."""
        self.world = build_world(self.config, self.anchor, self.feeds)
        self.requests.clear()
        self.rate_window.clear()
        self.executed.clear()
        self.faults.set_rules([])
        self.tokens.clear()
        self.pending_token_expiry = None
        self.clock = SimClock()
        self.binding_expired = False

    def set_faults(self, rules: list[FaultRule]) -> None:
        """Replace the fault rules (an empty list clears them)."""
        self.faults.set_rules(rules)

    def advance_clock(self, seconds: float) -> None:
        """Move simulator time (token expiry, date skew, default windows) forward."""
        self.clock.advance(seconds)

    def expire_tokens(self, after_calls: int = 0) -> None:
        """Expire every bearer token issued so far: now, or once `after_calls` more API calls ran.

        The deferred form lets a test expire the token in the middle of a run, between two
        known calls, without racing the client.
        """
        if after_calls <= 0:
            self.pending_token_expiry = None
            self.tokens.expire_all()
        else:
            self.pending_token_expiry = after_calls

    def api_call_executed(self, path: str) -> None:
        """Count an executed API call; fire a deferred token expiry when it is due."""
        self.executed[path] += 1
        if self.pending_token_expiry is not None:
            self.pending_token_expiry -= 1
            if self.pending_token_expiry <= 0:
                self.pending_token_expiry = None
                self.tokens.expire_all()

    def set_binding_expired(self, expired: bool) -> None:
        """Make API 1.0 calls answer 418 (True) or work again (False)."""
        self.binding_expired = expired

    def request_log(self, path: str | None = None) -> list[JsonDict]:
        """The request log, oldest first, optionally for one path."""
        return [entry for entry in self.requests if path is None or entry["path"] == path]

    def held_ids(self) -> list[str]:
        """Ids of messages currently held, newest first."""
        return [message.id for message in self.world.held()]

    def group_id(self, description: str) -> str:
        """The id of the group named `description` (KeyError if none)."""
        for group in self.world.groups:
            if group.description == description:
                return group.id
        raise KeyError(description)

    def counts(self) -> dict[str, Any]:
        """A summary for GET /_sim/state."""
        statuses = Counter(m.status for m in self.world.messages.values() if m.hold_reason)
        now = self.clock.time()
        return {
            "held": statuses["held"],
            "released": statuses["released"],
            "rejected": statuses["rejected"],
            "groups": [
                {"id": g.id, "description": g.description, "members": len(g.members)}
                for g in self.world.groups
            ],
            "group_members": {g.description: len(g.members) for g in self.world.groups},
            "policies": len(self.world.policies),
            "managed_senders": len(self.world.managed_senders),
            "remediation_incidents": len(self.world.incidents),
            "managed_urls": len(self.world.managed_urls),
            "antispoofing_bypass_policies": len(self.world.bypass_policies),
            "audit_events": len(self.world.audit_events),
            "tokens_issued": self.tokens.issued,
            "tokens_active": self.tokens.active(now),
            "calls_executed": dict(self.executed),
            "binding_expired": self.binding_expired,
            "clock": self.clock.now().isoformat(),
            "anchor": self.anchor.isoformat(),
            "faults": [rule.to_json() for rule in self.faults.rules],
            "requests_logged": len(self.requests),
        }
