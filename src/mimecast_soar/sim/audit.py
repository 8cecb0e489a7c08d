"""Audit events: a seeded history plus one event per state-changing call the simulator serves.

Record shape `{id, auditType, user, eventTime, eventInfo, category}` and the category codes follow
docs/mimecast-api.md §12.6 ([audit] https://integrations.mimecast.com/documentation/endpoint-reference/logs-and-statistics/get-audit-events
and the categories Elastic's test log shows). Which category Mimecast files a remediation or a
managed-URL change under is not documented; the simulator's choice is in `ACTIONS`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from mimecast_soar.sim import seeding as sd
from mimecast_soar.sim.wire import JsonDict, format_date

#: (code, name, audit types seen for it).
CATEGORIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("authentication_logs", "Authentication Logs", ("Logon Authentication Failed", "Logon")),
    ("account_logs", "Account Logs", ("Account Updated", "Remediation Incident Adjustment")),
    ("case_review_logs", "Case Review Logs", ("Case Created", "Case Updated")),
    ("reporting_logs", "Reporting Logs", ("Report Viewed", "Report Scheduled")),
    ("mimecast_access_logs", "Mimecast Access Logs", ("Mimecast Support Access",)),
    ("archive_service_logs", "Archive Service Logs", ("Search Archive", "Message Viewed")),
    ("integrations_and_apis", "Integrations and APIs", ("API Application Key Created",)),
    ("profile_group_logs", "Profile Group Logs", ("Group Created", "Group Member Added")),
    (
        "user_account_and_role_logs",
        "User Account and Role Logs",
        ("Role Assigned", "User Updated"),
    ),
)
CODES = tuple(code for code, _, _ in CATEGORIES)
#: Category of the events the simulator's own write endpoints add (not documented: a choice).
ACTIONS = {
    "remediation": "account_logs",
    "managed_url": "account_logs",
    "group": "profile_group_logs",
    "policy": "account_logs",
}
#: Only this far back can be searched.
SEARCHABLE = timedelta(days=60)


def categories(seed: int) -> list[JsonDict]:
    """The get-categories records."""
    return [
        {"code": code, "id": sd.stable_uuid(seed, "audit-category", code), "name": name}
        for code, name, _ in CATEGORIES
    ]


def seed_events(seed: int, count: int, anchor: datetime, admin: str) -> list[JsonDict]:
    """`count` events spread over the 45 days before `anchor`, oldest first."""
    events = []
    for index in range(count):
        r = sd.rng(seed, "audit", index)
        code, _, types = CATEGORIES[r.randrange(len(CATEGORIES))]
        audit_type = r.choice(types)
        user = admin if r.random() < 0.3 else sd.internal_person(r)[1]
        moment = anchor - timedelta(seconds=(count - index) * (45 * 86_400 // max(count, 1)))
        info = (
            f"{audit_type} by {user}, IP: {sd.ip_address(r)}, Application: Administration Console"
        )
        events.append(
            _event(sd.secure_id(seed, "audit", index), code, audit_type, user, moment, info)
        )
    return events


def _event(
    event_id: str, category: str, audit_type: str, user: str, moment: datetime, info: str
) -> JsonDict:
    return {
        "id": event_id,
        "auditType": audit_type,
        "user": user,
        "eventTime": format_date(moment),
        "eventInfo": info,
        "category": category,
    }


def append(
    events: list[JsonDict],
    seed: int,
    now: datetime,
    user: str,
    action: str,
    audit_type: str,
    info: str,
) -> None:
    """Add the event a state-changing API call leaves behind (the newest is last)."""
    event_id = sd.secure_id(seed, "audit-live", len(events))
    events.append(_event(event_id, ACTIONS[action], audit_type, user, now, info))
