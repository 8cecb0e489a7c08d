"""The seeded world: messages (held and delivered) and directory groups.

Held messages carry reasons, reasonCode, policyInfo and upper-case routes as in
[hold-list] https://integrations.mimecast.com/documentation/endpoint-reference/message-queues/get-hold-message-list/;
tracked messages follow [mf-search] https://integrations.mimecast.com/documentation/endpoint-reference/message-finder-formerly-tracking/search;
groups and members follow [find-groups] and [members] (docs/mimecast-api.md §7.8-7.9).
Everything is rebuilt from the seed on reset; nothing is read from the environment.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mimecast_soar.sim import seeding as sd
from mimecast_soar.sim.wire import JsonDict, format_date

HOLD_REASONS = (
    ("Message Hold Applied - Spam Signature policy", "Relaxed Spam Detection", "user"),
    ("Message Hold Applied - Attachment Management policy", "Hold Executables", "administrator"),
    ("Message Hold Applied - Content Examination policy", "Confidential Terms", "moderator"),
    (
        "Message Hold Applied - Impersonation Protection policy",
        "Impersonation Protect",
        "administrator",
    ),
    ("Message Hold Applied - Suspected Spam policy", "Default Spam Scanning", "user"),
    ("Message Hold Applied - Anti-Virus policy", "Virus Scanning", "cluster"),
)
SUBJECTS = (
    "Urgent: payment details changed",
    "Your mailbox is almost full",
    "Invoice {n} attached",
    "RE: Q{q} forecast",
    "Confidential: merger draft",
    "You have a new voicemail",
    "Account verification needed",
    "Team lunch on Friday",
    "Shipping notice {n}",
    "Updated bank details for supplier",
    "Free gift card inside",
    "Contract for signature",
)


@dataclass
class Message:
    """One message the simulator knows: held (with `hold_reason`) or delivered."""

    id: str
    received: datetime
    subject: str
    sender: tuple[str, str]
    header_sender: tuple[str, str]
    recipient: tuple[str, str]
    route: str  # lower case; the hold list upper-cases it
    sender_ip: str
    size: int
    attachments: list[tuple[str, str, int]]
    internet_id: str
    status: str  # held, released, rejected, archived, bounced
    hold_reason: tuple[str, str, str] | None = None
    spam_score: int = 0

    @property
    def reason_code(self) -> str:
        """`message_hold_applied_spam_signature_policy` style code (empty when not held)."""
        reason = self.hold_reason[0] if self.hold_reason else ""
        return reason.lower().replace(" - ", "_").replace(" ", "_").replace("-", "_")

    def held_record(self) -> JsonDict:
        """The get-hold-message-list record."""
        assert self.hold_reason is not None
        reason, policy, _ = self.hold_reason
        return {
            "id": self.id,
            "dateReceived": format_date(self.received),
            "subject": self.subject,
            "reason": reason,
            "reasonId": self.reason_code.upper(),
            "reasonCode": self.reason_code,
            "policyInfo": policy,
            "from": {"emailAddress": self.sender[1], "displayableName": self.sender[0]},
            "fromHeader": {
                "emailAddress": self.header_sender[1],
                "displayableName": self.header_sender[0],
            },
            "to": {"emailAddress": self.recipient[1], "displayableName": self.recipient[0]},
            "route": self.route.upper(),
            "hasAttachments": bool(self.attachments),
            "size": self.size,
        }

    def tracked_record(self) -> JsonDict:
        """The message-finder/search `trackedEmails[]` record."""
        info = {
            "held": self.hold_reason[0] if self.hold_reason else "Held",
            "released": "Released from hold queue",
            "rejected": "Rejected by administrator",
            "archived": "Indexed and archived",
            "bounced": "Envelope Rejected",
        }[self.status]
        return {
            "id": self.id,
            "status": self.status,
            "info": info,
            "fromEnv": {"emailAddress": self.sender[1]},
            "fromHdr": {
                "displayableName": self.header_sender[0],
                "emailAddress": self.header_sender[1],
            },
            "to": [{"displayableName": self.recipient[0], "emailAddress": self.recipient[1]}],
            "received": format_date(self.received),
            "sent": format_date(self.received - timedelta(seconds=3)),
            "subject": self.subject,
            "senderIP": self.sender_ip,
            "attachments": bool(self.attachments),
            "route": self.route,
            "spamScore": self.spam_score,
            "detectionLevel": "relaxed",
        }


def build_message(
    seed: int, index: int, anchor: datetime, *, held: bool, to_admin: str | None
) -> Message:
    """Message `index` of the held (or delivered) population."""
    kind = "held" if held else "tracked"
    r = sd.rng(seed, kind, index)
    route = r.choice(("inbound",) * 8 + ("outbound", "internal"))
    suspicious = held and r.random() < 0.6
    sender = (
        sd.internal_person(r)
        if route != "inbound"
        else sd.external_person(r, suspicious=suspicious)
    )
    header = sender if r.random() < 0.8 else (sender[0], sd.external_person(r, suspicious=True)[1])
    recipient = sd.internal_person(r) if route != "outbound" else sd.external_person(r)
    if to_admin is not None:
        recipient = ("SOAR Admin", to_admin)
    attachments: list[tuple[str, str, int]] = []
    if r.random() < 0.45:
        name, mime = r.choice(
            (
                ("invoice.pdf", "application/pdf"),
                ("doc.docm", "application/vnd.ms-word"),
                ("pay.zip", "application/zip"),
            )
        )
        attachments.append((name, mime, r.randint(8_000, 900_000)))
    status = "held" if held else ("archived" if r.random() < 0.9 else "bounced")
    return Message(
        id=sd.secure_id(seed, kind, index),
        received=anchor - timedelta(seconds=r.randint(60, 7 * 86_400 - 60)),
        subject=r.choice(SUBJECTS).format(n=r.randint(1000, 99999), q=r.randint(1, 4)),
        sender=sender,
        header_sender=header,
        recipient=recipient,
        route=route,
        sender_ip=sd.ip_address(r) if route == "inbound" else "10.0.0." + str(r.randint(2, 250)),
        size=r.randint(2_000, 60_000) + sum(a[2] for a in attachments),
        attachments=attachments,
        internet_id=sd.internet_message_id(r, sender[1].split("@")[1]),
        status=status,
        hold_reason=r.choice(HOLD_REASONS) if held else None,
        spam_score=r.randint(5, 30) if held else r.randint(0, 4),
    )


GROUP_SPECS: tuple[tuple[str, str, int, int, bool], ...] = (
    # description, source, address members, domain members, internal addresses
    ("Blocked Senders", "cloud", 12, 3, False),
    ("Permitted Senders", "cloud", 8, 2, False),
    ("VIP", "cloud", 250, 0, True),
    ("Phishing Reporters", "cloud", 40, 0, True),
    ("Finance Team", "cloud", 25, 0, True),
    ("Executives", "cloud", 9, 0, True),
    ("IT Administrators", "cloud", 6, 0, True),
    ("Contractors", "cloud", 30, 1, False),
    ("All Staff", "ldap", 150, 0, True),
    ("Sales EMEA", "ldap", 45, 0, True),
)


@dataclass
class Group:
    """A directory group (Mimecast "folder") and its members, keyed by address or domain."""

    id: str
    description: str
    source: str
    parent_id: str
    members: dict[str, JsonDict] = field(default_factory=dict)

    def folder(self) -> JsonDict:
        """The find-groups `folders[]` record."""
        return {
            "id": self.id,
            "description": self.description,
            "source": self.source,
            "parentId": self.parent_id,
            "userCount": len(self.members),
            "folderCount": 0,
        }


def member_record(address: str | None, domain: str, name: str | None) -> JsonDict:
    """A get-group-members `groupMembers[]` record (an address or a whole domain)."""
    return {
        "emailAddress": address or "",
        "domain": domain,
        "internal": domain == sd.INTERNAL_DOMAIN,
        "type": "created_manually",
        "name": name if address else "",
    }


def build_groups(seed: int, count: int) -> list[Group]:
    """The seeded groups: the ten of GROUP_SPECS, then small "Project Group N" ones."""
    specs = list(GROUP_SPECS[:count])
    specs += [
        (f"Project Group {n}", "cloud", 3 + n % 5, 0, True)
        for n in range(len(specs) + 1, count + 1)
    ]
    groups = []
    for index, (description, source, addresses, domains, internal) in enumerate(specs):
        r = random.Random(sd.h64(seed, "group", index))
        group = Group(
            sd.secure_id(seed, "group", index),
            description,
            source,
            sd.secure_id(seed, "root", source),
        )
        while len(group.members) < addresses:
            name, address = sd.internal_person(r) if internal else sd.external_person(r)
            if address in group.members:
                local, domain = address.split("@")
                address = f"{local}{r.randint(2, 99)}@{domain}"
            group.members[address] = member_record(address, address.split("@")[1], name)
        for domain in sd.EXTERNAL_DOMAINS[:domains]:
            group.members[domain] = member_record(None, domain, None)
        groups.append(group)
    return groups
