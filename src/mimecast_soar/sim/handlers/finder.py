"""Message Finder: search for tracked messages and get one message's details.

[mf-search] https://integrations.mimecast.com/documentation/endpoint-reference/message-finder-formerly-tracking/search
[mf-info] https://integrations.mimecast.com/documentation/endpoint-reference/message-finder-formerly-tracking/get-message-info
`route` is accepted inside `advancedTrackAndTraceOptions` or at data level (sources disagree);
results are wrapped as `data[0].trackedEmails`. Held messages appear with status `held` and their
hold-queue id, so a search result can be released or rejected.
"""

from __future__ import annotations

from datetime import UTC, datetime

from mimecast_soar.sim.data import Message
from mimecast_soar.sim.handlers.base import Call, per_item, required_text
from mimecast_soar.sim.message_info import message_info
from mimecast_soar.sim.state import SimState
from mimecast_soar.sim.wire import (
    Envelope,
    ItemError,
    JsonDict,
    first_item,
    format_date,
    optional_date,
    validation_error,
)

OPTION_KEYS = ("from", "to", "subject", "senderIP")
ROUTES = ("all", "internal", "outbound", "inbound", "external")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _resolve(item: JsonDict, now: datetime) -> JsonDict:
    options = item.get("advancedTrackAndTraceOptions") or {}
    if not isinstance(options, dict):
        raise validation_error(
            "advancedTrackAndTraceOptions", "advancedTrackAndTraceOptions must be an object"
        )
    criteria = {
        key: str(options[key]).lower() for key in OPTION_KEYS if options.get(key) not in (None, "")
    }
    message_id = item.get("messageId")
    if not criteria and message_id in (None, ""):
        raise ItemError(
            "err_validation_null",
            "Either messageId or advancedTrackAndTraceOptions is required",
            field="messageId",
        )
    if criteria and message_id not in (None, ""):
        # Mimecast searches by one or the other (docs/mimecast-api.md §7.4): never both.
        raise ItemError(
            "err_validation_invalid_value",
            "Give either messageId or advancedTrackAndTraceOptions, not both",
            field="messageId",
        )
    routes = options.get("route", item.get("route")) or ["all"]
    routes = [routes] if isinstance(routes, str) else routes
    if not isinstance(routes, list) or any(str(r).lower() not in ROUTES for r in routes):
        raise validation_error("route", f"route must list values from {', '.join(ROUTES)}")
    start = optional_date(item, "start", EPOCH)
    end = optional_date(item, "end", now)
    return {
        "criteria": criteria,
        "messageId": None
        if message_id in (None, "")
        else str(message_id).strip().strip("<>").lower(),
        "routes": [str(r).lower() for r in routes],
        "start": format_date(start),
        "end": format_date(end),
    }


def _matches(message: Message, query: JsonDict) -> bool:
    if not query["start"] <= format_date(message.received) <= query["end"]:
        return False
    routes = query["routes"]
    if (
        "all" not in routes
        and message.route not in routes
        and not ("external" in routes and message.route == "inbound")
    ):
        return False
    if query["messageId"] and message.internet_id.strip("<>").lower() != query["messageId"]:
        return False
    fields = {
        "from": [message.sender[1], message.header_sender[1]],
        "to": [message.recipient[1]],
        "subject": [message.subject],
        "senderIP": [message.sender_ip],
    }
    return all(
        any(value in text.lower() for text in fields[key])
        for key, value in query["criteria"].items()
    )


def search(sim: SimState, call: Call) -> Envelope:
    """POST /api/message-finder/search: `data[0].trackedEmails`."""
    item = first_item(call.data)
    query = _resolve(item, sim.clock.now())
    found = sorted(
        (m for m in sim.world.messages.values() if _matches(m, query)),
        key=lambda m: m.received,
        reverse=True,
    )
    limit = sim.config.page_limit(call.path)
    return Envelope(data=[{"trackedEmails": [m.tracked_record() for m in found[:limit]]}])


def get_message_info(sim: SimState, call: Call) -> Envelope:
    """POST /api/message-finder/get-message-info: the rich details object per id."""

    def info(item: JsonDict) -> list[JsonDict]:
        message_id = required_text(item, "id")
        message = sim.world.messages.get(message_id)
        if message is None:
            raise ItemError("err_message_not_found", f"Message {message_id} not found")
        return [message_info(message, sim.config.seed)]

    return per_item(call, info)
