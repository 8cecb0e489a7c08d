"""TTP endpoints: URL, impersonation and attachment logs (generated on the fly) and decode-url.

[ttp-url] https://www.mimecast.com/tech-connect/documentation/endpoint-reference/logs-and-statistics/get-ttp-url-logs/
[ttp-ip] https://integrations.mimecast.com/documentation/endpoint-reference/logs-and-statistics/get-ttp-impersonation-protect-logs
[ttp-ap] https://integrations.mimecast.com/documentation/endpoint-reference/logs-and-statistics/get-ttp-attachment-protection-logs
Default window: start of the current day (simulator clock) to now. Newest first unless
`oldestFirst`. The last non-empty page carries a `next` leading to an empty page (quirk 8.1).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime

from mimecast_soar.sim import logs
from mimecast_soar.sim.handlers.base import Call, per_item, required_text
from mimecast_soar.sim.logs import Feed
from mimecast_soar.sim.pagination import scan_backward, scan_forward
from mimecast_soar.sim.state import SimState
from mimecast_soar.sim.wire import (
    Envelope,
    ItemError,
    JsonDict,
    choice,
    first_item,
    optional_bool,
    optional_date,
)

IndexMatch = Callable[[Feed, int], bool]
SEARCH_FIELDS = {
    "senderaddress": ("senderAddress",),
    "recipientaddress": ("recipientAddress",),
    "subject": ("subject",),
    "policy": ("definition",),
    "definition": ("definition",),
    "all": ("senderAddress", "recipientAddress", "subject", "definition"),
}
PROTECT_PREFIX = "https://protect-us.mimecast.com/s/"


def _window(item: JsonDict, now: datetime) -> JsonDict:
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    start = optional_date(item, "from", start_of_day)
    end = optional_date(item, "to", now)
    return {
        "oldestFirst": optional_bool(item, "oldestFirst", False),
        "from": int(start.timestamp()),
        "to": int(end.timestamp()),
    }


def _serve(
    sim: SimState,
    call: Call,
    feed: Feed,
    resolve: Callable[[JsonDict], JsonDict],
    predicate: Callable[[JsonDict], IndexMatch | None],
) -> tuple[list[JsonDict], JsonDict]:
    now = sim.clock.now()
    request = sim.paginator.start(
        call.path,
        call.meta,
        first_item(call.data),
        sim.config.page_limit(call.path),
        lambda item: {**_window(item, now), **resolve(item)},
    )
    query = request.query
    lo, hi = feed.window(query["from"], query["to"])
    count = max(0, hi - lo)

    def index_of(position: int) -> int:
        return lo + position if query["oldestFirst"] else hi - 1 - position

    test = predicate(query)
    match = None if test is None else (lambda position: test(feed, index_of(position)))
    positions, next_position = scan_forward(count, request.offset, request.size, match)
    if next_position is None and positions and sim.config.last_page_next_quirk:
        next_position = count
    pagination = sim.paginator.meta(
        request,
        len(positions),
        next_offset=next_position,
        previous_offset=scan_backward(request.offset, request.size, match),
        total=count if match is None else None,
    )
    return [feed.record(index_of(p)) for p in positions], pagination


def _routes(item: JsonDict) -> JsonDict:
    return {"route": choice(item, "route", ("inbound", "outbound", "internal", "all"), "all")}


def url_logs(sim: SimState, call: Call) -> Envelope:
    """POST /api/ttp/url/get-logs: `data[0].clickLogs`."""

    def resolve(item: JsonDict) -> JsonDict:
        return {
            **_routes(item),
            "scanResult": choice(item, "scanResult", ("clean", "malicious", "all"), "all"),
        }

    def predicate(query: JsonDict) -> IndexMatch | None:
        route, scan = query["route"], query["scanResult"]
        if route == "all" and scan == "all":
            return None
        return lambda feed, i: (
            (route == "all" or logs.route_of(feed.attrs(i)) == route)
            and (scan == "all" or logs.url_scan_result(feed.attrs(i)) == scan)
        )

    records, pagination = _serve(sim, call, sim.feeds["url"], resolve, predicate)
    return Envelope(data=[{"clickLogs": records}], pagination=pagination)


def attachment_logs(sim: SimState, call: Call) -> Envelope:
    """POST /api/ttp/attachment/get-logs: `data[0].attachmentLogs` (filter key is `result`)."""
    results = ("safe", "malicious", "timeout", "error", "unsafe", "all")

    def resolve(item: JsonDict) -> JsonDict:
        return {**_routes(item), "result": choice(item, "result", results, "all")}

    def predicate(query: JsonDict) -> IndexMatch | None:
        route, result = query["route"], query["result"]
        if route == "all" and result == "all":
            return None
        return lambda feed, i: (
            (route == "all" or logs.route_of(feed.attrs(i)) == route)
            and (result == "all" or logs.attachment_result(feed.attrs(i)) == result)
        )

    records, pagination = _serve(sim, call, sim.feeds["attachment"], resolve, predicate)
    return Envelope(data=[{"attachmentLogs": records}], pagination=pagination)


def _impersonation_query(item: JsonDict) -> JsonDict:
    field = item.get("searchField")
    text = item.get("query")
    if field not in (None, "") and text in (None, ""):
        raise ItemError(
            "err_validation_null", "query is required when searchField is set", field="query"
        )
    field_name = str(field or "all").lower()
    if field_name not in SEARCH_FIELDS:
        raise ItemError(
            "err_validation_invalid_value", "searchField is not valid", field="searchField"
        )
    tagged = item.get("taggedMalicious")
    for key in ("identifiers", "actions"):
        if item.get(key) is not None and not isinstance(item.get(key), list):
            raise ItemError("err_validation_invalid_value", f"{key} must be a list", field=key)
    return {
        "searchField": field_name,
        "query": None if text in (None, "") else str(text).lower(),
        "taggedMalicious": None
        if tagged is None
        else optional_bool(item, "taggedMalicious", False),
        "identifiers": item.get("identifiers") or [],
        "actions": item.get("actions") or [],
    }


def _impersonation_predicate(query: JsonDict) -> IndexMatch | None:
    tagged, identifiers, actions = query["taggedMalicious"], query["identifiers"], query["actions"]
    text, fields = query["query"], SEARCH_FIELDS[query["searchField"]]
    if tagged is None and not identifiers and not actions and text is None:
        return None

    def test(feed: Feed, index: int) -> bool:
        attrs = feed.attrs(index)
        if tagged is not None and logs.impersonation_malicious(attrs) != tagged:
            return False
        if identifiers and not set(identifiers) & set(logs.impersonation_identifiers(attrs)):
            return False
        if actions and logs.impersonation_action(attrs) not in actions:
            return False
        if text is None:
            return True
        record = feed.record(index)
        return any(text in str(record[name]).lower() for name in fields)

    return test


def impersonation_logs(sim: SimState, call: Call) -> Envelope:
    """POST /api/ttp/impersonation/get-logs: `data[0] = {impersonationLogs, resultCount}`."""
    records, pagination = _serve(
        sim, call, sim.feeds["impersonation"], _impersonation_query, _impersonation_predicate
    )
    return Envelope(
        data=[{"impersonationLogs": records, "resultCount": len(records)}], pagination=pagination
    )


def protect_url(url: str) -> str:
    """A Mimecast-rewritten URL for `url` that /api/ttp/url/decode-url decodes back."""
    return PROTECT_PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def decode_url(sim: SimState, call: Call) -> Envelope:
    """POST /api/ttp/url/decode-url: `[{"url": original, "success": bool}]` per item."""

    def decode(item: JsonDict) -> list[JsonDict]:
        url = required_text(item, "url")
        code = url.split("/s/", 1)[1].split("?", 1)[0] if ".mimecast.com/s/" in url else ""
        try:
            original = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            original = ""
        if original.startswith(("http://", "https://")):
            return [{"url": original, "success": True}]
        return [{"url": url, "success": False}]

    return per_item(call, decode)
