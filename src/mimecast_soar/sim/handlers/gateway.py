"""Hold queue endpoints: list, summary, release, reject.

[hold-list] https://integrations.mimecast.com/documentation/endpoint-reference/message-queues/get-hold-message-list/
[release] https://integrations.mimecast.com/documentation/endpoint-reference/message-queues/release-message/
[reject] https://integrations.mimecast.com/documentation/endpoint-reference/message-queues/reject-message/
The list's `searchBy.fieldName` is checked against the caller's API version (signed API 1.0
or bearer API 2.0). Released and rejected messages leave the queue; a second release/reject, or
an unknown id, is a `fail[]` entry with HTTP 200.
"""

from __future__ import annotations

from collections import Counter

from mimecast_soar.sim.data import Message
from mimecast_soar.sim.handlers.base import Call, per_item, required_text
from mimecast_soar.sim.state import SimState
from mimecast_soar.sim.wire import (
    Envelope,
    ItemError,
    JsonDict,
    first_item,
    format_date,
    optional_bool,
    parse_date,
    validation_error,
)

# `searchBy.fieldName` per API version, as each reference spells it (docs/mimecast-api.md §3,
# §7.1): API 1.0 `reason_code` and no sender IP; API 2.0 `reasonCode` and `senderIP`. Compared
# case-insensitively (no source says whether Mimecast does); the spelling itself must match.
SEARCH_FIELDS = {
    "api1": ("all", "subject", "sender", "recipient", "reason_code"),
    "api2": ("all", "subject", "sender", "recipient", "reasonCode", "senderIP"),
}
#: What each accepted name (lower case) searches in a held message.
_SEARCHED = {"reason_code": "reason", "reasoncode": "reason", "senderip": "senderip"}
ROUTES = ("all", "internal", "outbound", "inbound", "external")
HELD_GROUPS = ("administrator", "moderator", "user", "cluster")
REASON_TYPES = (
    "MESSAGE CONTAINS UNDESIRABLE CONTENT",
    "MESSAGE CONTAINS CONFIDENTIAL INFORMATION",
    "REVIEWER DISAPPROVES OF CONTENT",
    "INAPPROPRIATE COMMUNICATION",
    "MESSAGE GOES AGAINST EMAIL POLICIES",
)


def _resolve_hold_query(item: JsonDict, auth: str) -> JsonDict:
    query: JsonDict = {"admin": optional_bool(item, "admin", False)}
    for key in ("start", "end"):
        value = item.get(key)
        query[key] = None if value in (None, "") else format_date(parse_date(value, key))
    search = item.get("searchBy")
    if isinstance(search, dict) and search.get("value") not in (None, ""):
        fields = SEARCH_FIELDS["api2" if auth == "api2" else "api1"]
        name = str(search.get("fieldName") or "all").lower()
        if name not in (field.lower() for field in fields):
            # Neither reference names the code for a fieldName it does not list (§7.1 of
            # docs/mimecast-api.md gives none); err_validation_invalid_value is the closest of
            # Mimecast's err_validation_* codes (§6), the one this simulator gives every invalid
            # value. Clients must not depend on the exact code.
            version = "2.0" if auth == "api2" else "1.0"
            raise validation_error(
                "fieldName",
                f"searchBy.fieldName must be one of {', '.join(fields)} (API {version})",
            )
        query["search"] = [_SEARCHED.get(name, name), str(search["value"]).lower()]
    filters = item.get("filterBy") or []
    if not isinstance(filters, list):
        raise validation_error("filterBy", "filterBy must be a list")
    for entry in filters:
        name = str(entry.get("fieldName", "")) if isinstance(entry, dict) else ""
        allowed = {"route": ROUTES, "heldGroup": HELD_GROUPS}.get(name)
        value = str(entry.get("value", "")).lower() if isinstance(entry, dict) else ""
        if allowed is None or value not in allowed:
            raise validation_error(
                "filterBy", "filterBy needs fieldName route|heldGroup with a valid value"
            )
        query[name] = value
    return query


def _matches(message: Message, query: JsonDict, user: str) -> bool:
    assert message.hold_reason is not None
    if not query["admin"] and message.recipient[1].lower() != user.lower():
        return False
    if query["start"] and message.received < parse_date(query["start"], "start"):
        return False
    if query["end"] and message.received > parse_date(query["end"], "end"):
        return False
    route = query.get("route", "all")
    if route not in ("all", message.route) and not (
        route == "external" and message.route == "inbound"
    ):
        return False
    if query.get("heldGroup", message.hold_reason[2]) != message.hold_reason[2]:
        return False
    if "search" not in query:
        return True
    name, value = query["search"]
    fields = {
        "subject": [message.subject],
        "sender": [*message.sender, *message.header_sender],
        "recipient": list(message.recipient),
        "reason": [message.reason_code, message.hold_reason[0]],
        "senderip": [message.sender_ip],
    }
    candidates = (
        [text for group in fields.values() for text in group] if name == "all" else fields[name]
    )
    return any(value in text.lower() for text in candidates)


def get_hold_message_list(sim: SimState, call: Call) -> Envelope:
    """POST /api/gateway/get-hold-message-list: held messages, flat in `data[]`, paged."""
    item = first_item(call.data)
    request = sim.paginator.start(
        call.path,
        call.meta,
        item,
        sim.config.page_limit(call.path),
        lambda given: _resolve_hold_query(given, call.auth),
    )
    user = sim.config.login_email
    held = [m for m in sim.world.held() if _matches(m, request.query, user)]
    page, pagination = sim.paginator.slice(request, held)
    return Envelope(data=[m.held_record() for m in page], pagination=pagination)


def get_hold_summary_list(sim: SimState, call: Call) -> Envelope:
    """POST /api/gateway/get-hold-summary-list: `[{policyInfo, numberOfItems}]`."""
    counts = Counter(m.hold_reason[1] for m in sim.world.held() if m.hold_reason)
    data = [{"policyInfo": policy, "numberOfItems": n} for policy, n in sorted(counts.items())]
    return Envelope(data=data)


def _held(sim: SimState, message_id: str) -> Message:
    message = sim.world.messages.get(message_id)
    if message is None:
        raise ItemError("err_message_not_found", f"Message {message_id} not found")
    if message.status != "held":
        raise ItemError(
            "err_message_not_held", f"Message is not in the hold queue (already {message.status})"
        )
    return message


def hold_release(sim: SimState, call: Call) -> Envelope:
    """POST /api/gateway/hold-release: `[{"id", "release": true}]` per item."""

    def release(item: JsonDict) -> list[JsonDict]:
        message = _held(sim, required_text(item, "id"))
        message.status = "released"
        return [{"id": message.id, "release": True}]

    return per_item(call, release)


def hold_reject(sim: SimState, call: Call) -> Envelope:
    """POST /api/gateway/hold-reject: `[{"id", "reject": true}]` per id; bad ids in `fail[]`."""
    envelope = Envelope()

    def reject(item: JsonDict) -> list[JsonDict]:
        ids = item.get("ids")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise ItemError(
                "err_validation_null", "ids must be a non-empty list of ids", field="ids"
            )
        reason = item.get("reasonType")
        if reason not in (None, "") and reason not in REASON_TYPES:
            raise validation_error(
                "reasonType", f"reasonType must be one of: {', '.join(REASON_TYPES)}"
            )
        optional_bool(item, "notify", False)
        done = []
        for message_id in ids:
            try:
                message = _held(sim, message_id)
            except ItemError as error:
                envelope.fail.append(error.entry({"id": message_id}))
                continue
            message.status = "rejected"
            done.append({"id": message_id, "reject": True})
        return done

    result = per_item(call, reject)
    result.fail = envelope.fail + result.fail
    return result
