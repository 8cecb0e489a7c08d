"""`SimConfig`: everything that shapes one simulator instance, with seed-derived defaults.

Credentials left empty are derived from the seed, so two simulators with the same seed accept
the same keys and a test can compute them without asking the server. The API 1.0 secret key is
base64 text (Mimecast hands it out that way, docs/mimecast-api.md §2).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mimecast_soar.sim.faults import FaultRule
from mimecast_soar.sim.seeding import INTERNAL_DOMAIN, stable_uuid


def _derived(seed: int, name: str, size: int = 32) -> bytes:
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"mimecast-sim:{seed}:{name}:{counter}".encode()).digest()
        counter += 1
    return out[:size]


def default_page_limits() -> dict[str, int]:
    """Per-endpoint maximum page sizes; the server never returns more than these."""
    return {
        "/api/gateway/get-hold-message-list": 500,
        "/api/ttp/url/get-logs": 500,
        "/api/ttp/impersonation/get-logs": 500,
        "/api/ttp/attachment/get-logs": 500,
        "/api/message-finder/search": 500,
        "/api/directory/find-groups": 100,
        "/api/directory/get-group-members": 100,
        "/api/ttp/remediation/find-incidents": 100,
        "/api/ttp/url/get-all-managed-urls": 100,
        "/api/audit/get-audit-events": 500,
        "/api/policy/antispoofing-bypass/get-policy": 100,
    }


@dataclass
class SimConfig:
    """Configuration of one simulator instance (see the module docstring of `mimecast_soar.sim`).

    `now` anchors the generated data; None means the current UTC time at app creation, rounded
    down to the minute. Log counts may be in the millions: records are generated on the fly.
    """

    seed: int = 1
    latency_ms: float = 0
    faults: list[FaultRule] = field(default_factory=list)
    now: datetime | None = None
    ttp_url_log_count: int = 300
    ttp_impersonation_log_count: int = 120
    ttp_attachment_log_count: int = 200
    held_message_count: int = 60
    tracked_message_count: int = 120
    group_count: int = 10
    audit_event_count: int = 150
    #: One delivered message carries an attachment this large (bytes generated on the fly), so
    #: forensics downloads can be tested for streaming; 0 leaves the generated attachments alone.
    large_attachment_bytes: int = 4 * 1024 * 1024
    #: Simulated seconds a remediation incident spends per mailbox copy it removes.
    remediation_seconds_per_mailbox: float = 30.0
    managed_url_limit: int = 1000
    #: find-incidents answers `data[0].incidents[]` ("wrapped") or flat `data[]` ("flat"): the
    #: sources disagree (docs/mimecast-api.md §12.1, an L fact), so clients are tested on both.
    find_incidents_shape: str = "wrapped"
    #: Rewrite a few generated messages into the emails behind the newest malicious URL clicks
    #: and held impersonation logs (see `campaigns`), so a Message-ID from a TTP log finds them.
    #: Off by default (tests count on the plain population); `mimecast-soar sim` turns it on.
    campaigns: bool = False
    # API 1.0 credentials (empty = derived from the seed).
    application_id: str = ""
    application_key: str = field(default="", repr=False)
    access_key: str = field(default="", repr=False)
    secret_key: str = field(default="", repr=False)
    # API 2.0 credentials (empty = derived from the seed).
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    # The user behind the API 1.0 binding; /api/login/login accepts this pair.
    login_email: str = f"soar-admin@{INTERNAL_DOMAIN}"
    login_password: str = field(default="", repr=False)
    token_ttl_seconds: int = 1799
    date_skew_seconds: int = 900
    rate_limit: int = 10000
    rate_limit_window_ms: int = 60000
    last_page_next_quirk: bool = True
    default_page_size: int = 25
    max_page_size: dict[str, int] = field(default_factory=default_page_limits)
    request_log_size: int = 100_000
    account_code: str = "CUSA12A34"
    region: str = "us"

    def __post_init__(self) -> None:
        seed = self.seed
        if not self.application_id:
            self.application_id = stable_uuid(seed, "application-id")
        if not self.application_key:
            self.application_key = stable_uuid(seed, "application-key")
        if not self.access_key:
            raw = _derived(seed, "access-key", 66)
            self.access_key = "mYtOL3XZCOwG96BOiFTZRs" + base64.urlsafe_b64encode(raw).decode()
        if not self.secret_key:
            self.secret_key = base64.b64encode(_derived(seed, "secret-key", 64)).decode()
        if not self.client_id:
            self.client_id = _derived(seed, "client-id", 16).hex()
        if not self.client_secret:
            secret = base64.urlsafe_b64encode(_derived(seed, "client-secret", 24))
            self.client_secret = secret.decode()
        if not self.login_password:
            self.login_password = "sim-" + _derived(seed, "password", 6).hex()
        base64.b64decode(
            self.secret_key, validate=True
        )  # a bad secret fails at start, not per call

    def anchor(self) -> datetime:
        """The instant generated data leads up to (UTC, whole minutes when defaulted)."""
        if self.now is not None:
            now = self.now
            return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
        return datetime.now(UTC).replace(second=0, microsecond=0)

    def page_limit(self, path: str) -> int:
        """The largest page `path` returns."""
        return self.max_page_size.get(path, 100)
