"""TTP log feeds generated on the fly: record i is a pure function of (seed, feed, i).

Records are ordered by time: 60% spread over days 7..1 before the anchor, 40% in the last 24
hours, each in its own time slot (so the order holds and a time window maps to an index range by
binary search). Filterable attributes come from one 64-bit hash per record, so filtering a page
never builds records it drops. Shapes follow docs/mimecast-api.md §7.5-7.7:
[ttp-url] https://www.mimecast.com/tech-connect/documentation/endpoint-reference/logs-and-statistics/get-ttp-url-logs/
[ttp-ip] https://integrations.mimecast.com/documentation/endpoint-reference/logs-and-statistics/get-ttp-impersonation-protect-logs
[ttp-ap] https://integrations.mimecast.com/documentation/endpoint-reference/logs-and-statistics/get-ttp-attachment-protection-logs
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

from mimecast_soar.sim import seeding as sd
from mimecast_soar.sim.wire import JsonDict, format_date

DAY_SECONDS = 86_400
SUBJECTS = (
    "Quarterly results call: dial-in details",
    "Invoice INV-{n} overdue",
    "Your parcel is waiting",
    "Password expires today - action required",
    "Team offsite agenda",
    "Re: contract renewal",
    "Shared document: budget {n}.xlsx",
    "Payroll update for {n}",
    "Urgent wire transfer request",
    "Weekly security digest",
    "Customer escalation #{n}",
    "Board pack draft v{n}",
)
CLEAN_CATEGORIES = ("Business", "News", "Technology", "Search Engines", "Social Networking")
BAD_CATEGORIES = ("Phishing & Fraud", "Malware", "Compromised", "Dangerous file extension")
IDENTIFIERS = (
    "newly_observed_domain",
    "internal_user_name",
    "reply_address_mismatch",
    "targeted_threat_dictionary",
    "similar_internal_domain",
    "custom_external_domain",
)
ATTACHMENT_FILES = (
    ("invoice.pdf", "application/pdf"),
    ("report.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("body.txt", "message/rfc822"),
    ("statement.xlsm", "application/vnd.ms-excel.sheet.macroEnabled.12"),
    ("setup.zip", "application/zip"),
    ("scan.html", "text/html"),
)


def route_of(attrs: int) -> str:
    """Lower-case TTP route from a record's attribute hash (70% inbound)."""
    slot = (attrs >> 8) % 20
    return "inbound" if slot < 14 else "outbound" if slot < 18 else "internal"


def url_scan_result(attrs: int) -> str:
    """`clean` or `malicious` (about 15%)."""
    return "malicious" if attrs % 100 < 15 else "clean"


def attachment_result(attrs: int) -> str:
    """`safe`, `malicious`, `unsafe`, `timeout` or `error`."""
    slot = attrs % 100
    if slot < 80:
        return "safe"
    return (
        "malicious" if slot < 88 else "unsafe" if slot < 92 else "timeout" if slot < 96 else "error"
    )


def impersonation_identifiers(attrs: int) -> list[str]:
    """The identifiers an impersonation record triggered (at least one)."""
    found = [name for j, name in enumerate(IDENTIFIERS) if (attrs >> (16 + 2 * j)) & 3 == 0]
    return found or [IDENTIFIERS[(attrs >> 40) % len(IDENTIFIERS)]]


def impersonation_malicious(attrs: int) -> bool:
    """`taggedMalicious` (about 40%)."""
    return attrs % 100 < 40


def impersonation_action(attrs: int) -> str:
    """`hold`/`bounce` for malicious records, else `none`."""
    if not impersonation_malicious(attrs):
        return "none"
    return "bounce" if (attrs >> 48) % 4 == 0 else "hold"


@dataclass(frozen=True)
class Feed:
    """One log feed: `count` records leading up to `anchor` (epoch seconds)."""

    name: str
    seed: int
    count: int
    anchor: int

    def time_of(self, index: int) -> int:
        """Epoch seconds of record `index` (non-decreasing in `index`)."""
        jitter = (sd.h64(self.seed, self.name, "t", index) % 1000) / 1000
        older = int(self.count * 0.6)
        if index < older:
            width = 6 * DAY_SECONDS / older
            return int(self.anchor - 7 * DAY_SECONDS + (index + jitter) * width)
        width = DAY_SECONDS / (self.count - older)
        return int(self.anchor - DAY_SECONDS + (index - older + jitter) * width)

    def first_at_or_after(self, moment: int, *, strictly: bool = False) -> int:
        """The first index whose time is >= `moment` (> when `strictly`)."""
        lo, hi = 0, self.count
        while lo < hi:
            mid = (lo + hi) // 2
            t = self.time_of(mid)
            if t > moment or (t == moment and not strictly):
                hi = mid
            else:
                lo = mid + 1
        return lo

    def window(self, start: int, end: int) -> tuple[int, int]:
        """Index range [lo, hi) of records with start <= time <= end."""
        return self.first_at_or_after(start), self.first_at_or_after(end, strictly=True)

    def attrs(self, index: int) -> int:
        """The attribute hash filters read."""
        return sd.h64(self.seed, self.name, "a", index)

    def record(self, index: int) -> JsonDict:
        """Build record `index`."""
        r = sd.rng(self.seed, self.name, "r", index)
        date = format_date(datetime.fromtimestamp(self.time_of(index), UTC))
        attrs = self.attrs(index)
        subject = r.choice(SUBJECTS).format(n=r.randint(100, 9999))
        build = {
            "url": _url_log,
            "impersonation": _impersonation_log,
            "attachment": _attachment_log,
        }
        return build[self.name](r, attrs, date, subject, index, self.seed)


def _url_log(r: random.Random, attrs: int, date: str, subject: str, i: int, seed: int) -> JsonDict:
    malicious = url_scan_result(attrs) == "malicious"
    route = route_of(attrs)
    _, clicker = sd.internal_person(r)
    _, sender = (
        sd.external_person(r, suspicious=malicious) if route == "inbound" else sd.internal_person(r)
    )
    domain = r.choice(sd.SUSPICIOUS_DOMAINS if malicious else sd.EXTERNAL_DOMAINS)
    warn = not malicious and r.random() < 0.1
    url_path = f"{r.choice(('login', 'docs', 'track', 'news', 'pay'))}/{r.getrandbits(32):08x}"
    return {
        "date": date,
        "userEmailAddress": clicker,
        "fromUserEmailAddress": sender,
        "url": f"https://www.{domain}/{url_path}",
        "ttpDefinition": "Default Inbound URL Protect Definition",
        "subject": subject,
        "action": "block" if malicious else "warn" if warn else "allow",
        "actions": "Block" if malicious else "None" if warn else "Allow",
        "adminOverride": "N/A",
        "userOverride": "None",
        "userAwarenessAction": "Continue" if warn else "N/A",
        "scanResult": url_scan_result(attrs),
        "category": r.choice(BAD_CATEGORIES if malicious else CLEAN_CATEGORIES),
        "sendingIp": sd.ip_address(r) if route == "inbound" else "Internal IP",
        "route": route,
        "creationMethod": "User Click" if r.random() < 0.85 else "Entry Scan",
        "emailPartsDescription": ["Body"] if r.random() < 0.8 else ["Attachment"],
        "messageId": sd.internet_message_id(r, sender.split("@")[1]),
    }


def _impersonation_log(
    r: random.Random, attrs: int, date: str, subject: str, i: int, seed: int
) -> JsonDict:
    identifiers = impersonation_identifiers(attrs)
    _, sender = sd.external_person(r, suspicious=True)
    _, recipient = sd.internal_person(r)
    results: list[JsonDict] = []
    for name in identifiers:
        result: JsonDict = {"impersonationDomainSource": name, "checkerResult": "hit"}
        if name == "targeted_threat_dictionary":
            result["stringSimilarToDomain"] = "payment,transfer,urgent,invoice"
        else:
            result["similarDomain"] = sd.INTERNAL_DOMAIN
            result["stringSimilarToDomain"] = sender.split("@")[1]
        results.append(result)
    return {
        "id": "MTOKEN:" + sd.secure_id(seed, "impersonation", i, prefix="eNq"),
        "senderAddress": sender,
        "recipientAddress": recipient,
        "subject": subject,
        "definition": "Default Impersonation Definition"
        if len(identifiers) > 1
        else "IP - 1 hit (Tag email)",
        "hits": len(identifiers),
        "identifiers": identifiers,
        "action": impersonation_action(attrs),
        "taggedExternal": True,
        "taggedMalicious": impersonation_malicious(attrs),
        "senderIpAddress": sd.ip_address(r),
        "eventTime": date,
        "impersonationResults": results,
        "messageId": sd.internet_message_id(r, sender.split("@")[1]).strip("<>"),
    }


def _attachment_log(
    r: random.Random, attrs: int, date: str, subject: str, i: int, seed: int
) -> JsonDict:
    result = attachment_result(attrs)
    route = route_of(attrs)
    file_name, file_type = r.choice(ATTACHMENT_FILES)
    _, sender = sd.external_person(r, suspicious=result != "safe")
    _, recipient = sd.internal_person(r)
    seconds = r.randint(1, 40)
    return {
        "date": date,
        "senderAddress": sender if r.random() < 0.8 else "<>",
        "recipientAddress": recipient,
        "subject": subject,
        "messageId": sd.internet_message_id(r, sender.split("@")[1]),
        "fileName": file_name,
        "fileType": file_type,
        "fileHash": sd.sha256_hex(seed, "file", i),
        "result": result,
        "actionTriggered": "none, none" if result == "safe" else "sandbox, hold",
        "details": f"{result.capitalize():<28}\r\nTime taken: 0 hrs, 0 min, {seconds} sec",
        "route": route,
        "definition": "Default Inbound Attachment Protect Definition",
    }
