"""Audit events and audit categories.

[audit] https://integrations.mimecast.com/documentation/endpoint-reference/logs-and-statistics/get-audit-events
docs/mimecast-api.md §12.6: `startDateTime` and `endDateTime` required, only the last 60 days can be
searched, `query` free text, `categories` codes (none = all); response pagination carries
`recordStart`. The order of events is not documented: the simulator answers newest first.
"""

from __future__ import annotations

from mimecast_soar.sim import audit
from mimecast_soar.sim.handlers.base import Call
from mimecast_soar.sim.state import SimState
from mimecast_soar.sim.wire import (
    Envelope,
    JsonDict,
    first_item,
    format_date,
    parse_date,
    validation_error,
)


def _resolve(sim: SimState, item: JsonDict) -> JsonDict:
    for key in ("startDateTime", "endDateTime"):
        if item.get(key) in (None, ""):
            raise validation_error(key, f"{key} is required", "err_validation_null")
    start = parse_date(item["startDateTime"], "startDateTime")
    end = parse_date(item["endDateTime"], "endDateTime")
    if start > end:
        raise validation_error("startDateTime", "startDateTime must be before endDateTime")
    if start < sim.clock.now() - audit.SEARCHABLE:
        raise validation_error("startDateTime", "Only the last 60 days can be searched")
    query = item.get("query")
    if query is not None and not isinstance(query, str):
        raise validation_error("query", "query must be text")
    categories = item.get("categories") or []
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise validation_error("categories", "categories must be a list of category codes")
    unknown = [c for c in categories if c not in audit.CODES]
    if unknown:
        raise validation_error("categories", f"Unknown audit categories: {', '.join(unknown)}")
    return {
        "start": format_date(start),
        "end": format_date(end),
        "query": (query or "").lower(),
        "categories": sorted(set(categories)),
    }


def _matches(event: JsonDict, query: JsonDict) -> bool:
    moment = parse_date(event["eventTime"], "eventTime")
    if not parse_date(query["start"], "start") <= moment <= parse_date(query["end"], "end"):
        return False
    if query["categories"] and event["category"] not in query["categories"]:
        return False
    text = query["query"]
    return not text or any(
        text in str(event[k]).lower() for k in ("eventInfo", "auditType", "user")
    )


def get_audit_events(sim: SimState, call: Call) -> Envelope:
    """POST /api/audit/get-audit-events: newest first, paged (`next`, `previous`, `recordStart`)."""
    request = sim.paginator.start(
        call.path,
        call.meta,
        first_item(call.data),
        sim.config.page_limit(call.path),
        lambda item: _resolve(sim, item),
    )
    events = [e for e in reversed(sim.world.audit_events) if _matches(e, request.query)]
    page, pagination = sim.paginator.slice(request, events)
    pagination.pop("totalCount", None)
    pagination["recordStart"] = min(request.offset, len(events))
    return Envelope(data=page, pagination=pagination)


def get_categories(sim: SimState, call: Call) -> Envelope:
    """POST /api/audit/get-categories: `{code, id, name}` per category."""
    return Envelope(data=audit.categories(sim.config.seed))
