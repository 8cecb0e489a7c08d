"""Campaigns: the messages behind the most recent TTP log entries, so a triage chain connects.

A TTP URL click log and an impersonation log name the Internet Message-ID of the email they came
from (`messageId`, docs/mimecast-api.md §7.5–7.6); message-finder/search finds tracked emails by it
(§7.4). Generated logs and generated messages are otherwise unrelated, so this module rewrites a
few generated messages to be those emails:

- for each of the most recent malicious inbound URL clicks: the delivered copy the clicker
  opened (status `archived`) and held copies of the same email to colleagues (status `held`);
- for each of the most recent impersonation logs with action `hold`: the held copy.

The campaign messages take the place of generated ones (same secure ids and population sizes),
so the hold queue and the tracked population keep the sizes the configuration gives. Everything
is a function of the seed and the feeds: two simulators with the same seed agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from mimecast_soar.sim import logs
from mimecast_soar.sim import seeding as sd
from mimecast_soar.sim.data import HOLD_REASONS, Message
from mimecast_soar.sim.logs import Feed
from mimecast_soar.sim.wire import JsonDict

#: Malicious URL clicks linked to messages, and held colleague copies per click.
LINKED_CLICKS = 8
HELD_COPIES_PER_CLICK = 2
#: Impersonation logs (action `hold`) linked to a held message.
LINKED_IMPERSONATIONS = 12
#: How far back from the newest record the search for linkable records goes.
SCAN_LIMIT = 2_000
SPAM_HOLD = HOLD_REASONS[4]  # Suspected Spam policy, held group "user"
IMPERSONATION_HOLD = HOLD_REASONS[3]  # Impersonation Protect, held group "administrator"


def _newest(feed: Feed, wanted: int, keep: Callable[[int], bool]) -> list[int]:
    """Indices of the newest records (newest first) for which `keep(attrs)` is true."""
    found: list[int] = []
    for index in range(feed.count - 1, max(-1, feed.count - 1 - SCAN_LIMIT), -1):
        if len(found) == wanted:
            break
        if keep(feed.attrs(index)):
            found.append(index)
    return found


def _display_name(address: str) -> str:
    """`alice.adams@x` -> `Alice Adams` (the logs carry addresses only)."""
    local = address.split("@", 1)[0]
    return " ".join(part.capitalize() for part in local.replace("_", ".").split(".") if part)


def _slots(messages: list[Message], skip_admin: bool) -> Iterator[Message]:
    """Generated messages a campaign may take over, the last generated first.

    Never the admin's own held mail (every fifth held message), and the first generated
    messages stay as they are.
    """
    for index in range(len(messages) - 1, -1, -1):
        if skip_admin and index % 5 == 0:
            continue
        yield messages[index]


def _copy(
    slot: Message,
    log: JsonDict,
    *,
    sender: str,
    recipient: tuple[str, str],
    received: datetime,
    sender_ip: str,
    held: tuple[str, str, str] | None,
) -> Message:
    internet_id = str(log["messageId"])
    if not internet_id.startswith("<"):
        internet_id = f"<{internet_id}>"
    return replace(
        slot,
        received=received,
        subject=str(log["subject"]),
        sender=(_display_name(sender), sender),
        header_sender=(_display_name(sender), sender),
        recipient=recipient,
        route="inbound",
        sender_ip=sender_ip,
        internet_id=internet_id,
        status="held" if held else "archived",
        hold_reason=held,
        spam_score=18 if held else 3,
    )


def _log_time(log: JsonDict, key: str) -> datetime:
    return datetime.strptime(str(log[key]), "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)


def link_campaigns(
    seed: int, held: list[Message], tracked: list[Message], url: Feed, impersonation: Feed
) -> list[Message]:
    """The campaign messages, each replacing the generated message with the same id."""
    out: list[Message] = []
    held_slots = _slots(held, skip_admin=True)
    tracked_slots = _slots(tracked, skip_admin=False)
    clicks = _newest(
        url,
        LINKED_CLICKS,
        lambda a: logs.url_scan_result(a) == "malicious" and logs.route_of(a) == "inbound",
    )
    for index in clicks:
        log = url.record(index)
        r = sd.rng(seed, "campaign", "url", index)
        received = _log_time(log, "date") - timedelta(minutes=r.randint(2, 30))
        sender = str(log["fromUserEmailAddress"])
        clicker = str(log["userEmailAddress"])
        ip = str(log["sendingIp"])
        slot = next(tracked_slots, None)
        if slot is not None:
            clicker_pair = (_display_name(clicker), clicker)
            out.append(
                _copy(
                    slot,
                    log,
                    sender=sender,
                    recipient=clicker_pair,
                    received=received,
                    sender_ip=ip,
                    held=None,
                )
            )
        for _ in range(HELD_COPIES_PER_CLICK):
            slot = next(held_slots, None)
            if slot is None:
                break
            colleague = sd.internal_person(r)
            out.append(
                _copy(
                    slot,
                    log,
                    sender=sender,
                    recipient=colleague,
                    received=received,
                    sender_ip=ip,
                    held=SPAM_HOLD,
                )
            )
    holds = _newest(
        impersonation, LINKED_IMPERSONATIONS, lambda a: logs.impersonation_action(a) == "hold"
    )
    for index in holds:
        log = impersonation.record(index)
        slot = next(held_slots, None)
        if slot is None:
            break
        address = str(log["recipientAddress"])
        out.append(
            _copy(
                slot,
                log,
                sender=str(log["senderAddress"]),
                recipient=(_display_name(address), address),
                received=_log_time(log, "eventTime"),
                sender_ip=str(log["senderIpAddress"]),
                held=IMPERSONATION_HOLD,
            )
        )
    return out
