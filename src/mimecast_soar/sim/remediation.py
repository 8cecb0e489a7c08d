"""Threat-remediation incidents: what an incident matches, and how it progresses over time.

An incident searches the delivered copies of mail (docs/mimecast-api.md §12.1): by attachment
SHA-256, by Internet Message-ID, or by URL. A "copy" is a (Message-ID, mailbox) pair, found in the
seeded messages and in the TTP logs (a click or an attachment scan names a delivered email the
message finder population may not hold). After creation the simulator removes one copy every
`remediation_seconds_per_mailbox` simulated seconds; a deterministic one in eight fails. So a poll
sees `successful + failed` climb to `identified`, and all counters are a function of the seed, the
search and the simulator clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from mimecast_soar.sim import seeding as sd
from mimecast_soar.sim.content import attachment_sha256
from mimecast_soar.sim.data import Message
from mimecast_soar.sim.logs import Feed
from mimecast_soar.sim.wire import JsonDict, format_date

HASH = re.compile(r"^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$")
TYPES = ("notify_only", "automatic", "manual", "restored")
LETTER = {"notify_only": "N", "automatic": "A", "manual": "M", "restored": "R"}
#: How many of a feed's records (newest first) a search reads: creation is rare, feeds may be huge.
SCAN_CAP = 20_000
DELIVERED = ("archived", "released")

Copy = tuple[str, str]  # (Internet Message-ID, mailbox)


@dataclass
class Incident:
    """One remediation incident; counters are derived from the clock when read."""

    id: str
    code: str
    type: str
    reason: str
    created: float  # epoch seconds
    criteria: JsonDict  # the response's searchCriteria
    outcomes: list[bool]  # per copy, in removal order: True = removed
    step: float
    restored: int = 0

    def done(self, now: float) -> int:
        """How many copies have been processed by `now`."""
        if self.step <= 0:
            return len(self.outcomes)
        return max(0, min(len(self.outcomes), int((now - self.created) // self.step)))

    def record(self, now: float) -> JsonDict:
        """The get-incident object at simulator time `now`."""
        done = self.done(now)
        successful = sum(self.outcomes[:done])
        modified = self.created + done * self.step if self.step > 0 else self.created
        return {
            "id": self.id,
            "code": self.code,
            "type": self.type,
            "reason": self.reason,
            "create": _date(self.created),
            "modified": _date(min(modified, max(now, self.created))),
            "identified": len(self.outcomes),
            "successful": successful,
            "failed": done - successful,
            "restored": self.restored,
            "searchCriteria": self.criteria,
        }


def _date(epoch: float) -> str:
    return format_date(datetime.fromtimestamp(epoch, UTC))


def incident_code(seed: int, number: int, kind: str) -> str:
    """`TR-C46A75-01420-M`: account part, sequence number, type letter."""
    account = f"C{sd.h64(seed, 'remediation-account') % 16**5:05X}"
    return f"TR-{account}-{1400 + number:05d}-{LETTER[kind]}"


def outcomes(seed: int, incident_id: str, copies: list[Copy]) -> list[bool]:
    """Removal results, in the order copies are processed (one in eight fails)."""
    return [sd.h64(seed, incident_id, *copy) % 8 != 0 for copy in sorted(copies)]


def _in_window(moment: datetime, start: datetime, end: datetime) -> bool:
    return start <= moment <= end


def feed_records(feed: Feed, start: datetime, end: datetime) -> list[JsonDict]:
    lo, hi = feed.window(int(start.timestamp()), int(end.timestamp()))
    return [feed.record(index) for index in range(hi - 1, max(lo, hi - SCAN_CAP) - 1, -1)]


def delivered(messages: dict[str, Message], start: datetime, end: datetime) -> list[Message]:
    """Delivered messages received in the window."""
    return [
        m for m in messages.values() if m.status in DELIVERED and _in_window(m.received, start, end)
    ]


def copies_by_hash(
    seed: int,
    messages: dict[str, Message],
    attachments: Feed,
    value: str,
    start: datetime,
    end: datetime,
) -> set[Copy]:
    """Copies holding an attachment with SHA-256 `value` (seeded messages + attachment logs)."""
    found = {
        (m.internet_id, m.recipient[1])
        for m in delivered(messages, start, end)
        for name, _, size in m.attachments
        if attachment_sha256(seed, m.id, name, size) == value
    }
    for log in feed_records(attachments, start, end):
        if log["fileHash"] == value:
            found.add((str(log["messageId"]), str(log["recipientAddress"])))
    return found


def copies_by_message_id(
    messages: dict[str, Message], feeds: list[Feed], value: str, start: datetime, end: datetime
) -> set[Copy]:
    """Copies of the email with Internet Message-ID `value` (`<...>` form)."""
    found = {
        (m.internet_id, m.recipient[1])
        for m in delivered(messages, start, end)
        if m.internet_id.lower() == value.lower()
    }
    for feed in feeds:
        for log in feed_records(feed, start, end):
            if str(log["messageId"]).lower() == value.lower():
                found.add((value, _mailbox(log)))
    return found


def copies_by_url(
    messages: dict[str, Message], urls: Feed, value: str, start: datetime, end: datetime
) -> set[Copy]:
    """Copies of the emails whose URL Protect logs show `value` (and their seeded copies)."""
    found: set[Copy] = set()
    wanted = value.rstrip("/").lower()
    for log in feed_records(urls, start, end):
        if str(log["url"]).rstrip("/").lower() == wanted:
            found.add((str(log["messageId"]), str(log["userEmailAddress"])))
    ids = {message_id.lower() for message_id, _ in found}
    found |= {
        (m.internet_id, m.recipient[1])
        for m in delivered(messages, start, end)
        if m.internet_id.lower() in ids
    }
    return found


def _mailbox(log: JsonDict) -> str:
    return str(log.get("userEmailAddress") or log.get("recipientAddress") or "")


def criteria(kind: str, value: str | list[str], start: datetime, end: datetime) -> JsonDict:
    """The incident's `searchCriteria` (only the searched field, plus the window)."""
    key = {"hash": "fileHash", "messageid": "messageId", "url": "url"}[kind]
    return {key: value, "start": format_date(start), "end": format_date(end)}


def seed_incidents(
    seed: int,
    messages: dict[str, Message],
    feeds: dict[str, Feed],
    anchor: datetime,
    step: float,
) -> dict[str, Incident]:
    """A few finished incidents of every type, matching seeded messages and logs."""
    start, end = datetime.fromtimestamp(anchor.timestamp() - 31 * 86_400, UTC), anchor
    pool = delivered(messages, start, end)
    files = [(m, a) for m in pool for a in m.attachments]
    clicks = [r for r in feed_records(feeds["url"], start, end) if r["action"] == "block"]
    searches: list[tuple[str, str]] = []
    if files:
        message, (name, _, size) = files[0]
        searches.append(("hash", attachment_sha256(seed, message.id, name, size)))
    if pool:
        searches.append(("messageid", pool[0].internet_id))
    if clicks:
        searches.append(("url", str(clicks[0]["url"])))
    if len(files) > 1:
        message, (name, _, size) = files[1]
        searches.append(("hash", attachment_sha256(seed, message.id, name, size)))
    kinds = ("manual", "automatic", "manual", "notify_only")
    incidents: dict[str, Incident] = {}
    for number, ((kind, value), incident_type) in enumerate(zip(searches, kinds, strict=False)):
        if kind == "hash":
            found = copies_by_hash(seed, messages, feeds["attachment"], value, start, end)
        elif kind == "messageid":
            found = copies_by_message_id(
                messages, [feeds["url"], feeds["attachment"]], value, start, end
            )
        else:
            found = copies_by_url(messages, feeds["url"], value, start, end)
        incident_id = sd.secure_id(seed, "incident", number)
        incidents[incident_id] = Incident(
            id=incident_id,
            code=incident_code(seed, number, incident_type),
            type=incident_type,
            reason=f"Seeded {incident_type.replace('_', ' ')} remediation {number + 1}",
            created=anchor.timestamp() - (len(searches) - number) * 86_400,
            criteria=criteria(kind, value, start, end),
            outcomes=outcomes(seed, incident_id, sorted(found)),
            step=step,
        )
    first = next(iter(incidents.values()), None)
    if first is not None:  # a console restore of the first incident
        number = len(incidents)
        restore_id = sd.secure_id(seed, "incident", number)
        restore = Incident(
            id=restore_id,
            code=incident_code(seed, number, "restored"),
            type="restored",
            reason="Seeded restore: false positive",
            created=first.created + 3_600,
            criteria={**first.criteria, "unremediateCode": first.code},
            outcomes=[True] * sum(first.outcomes),
            step=step,
        )
        restore.restored = len(restore.outcomes)
        first.restored = restore.restored
        first.criteria = {**first.criteria, "restoreCode": restore.code}
        incidents[restore_id] = restore
    return incidents
