"""Threat remediation: create (v1 and v2), get-incident, find-incidents, search-hash.

[rem-create] https://integrations.mimecast.com/documentation/endpoint-reference/threat-intel/create-incident/
[rem-create-v2] https://integrations.mimecast.com/documentation/endpoint-reference/threat-intel/create-incident-v2/
[rem-get] https://www.mimecast.com/tech-connect/documentation/endpoint-reference/threat-intel/get-incident/
[rem-find] https://integrations.mimecast.com/documentation/endpoint-reference/threat-intel/find-incidents
[rem-hash] https://www.mimecast.com/tech-connect/documentation/endpoint-reference/threat-intel/search-hash/
Facts and their confidence: docs/mimecast-api.md §12.1. Where Mimecast's error codes are not
known, the codes here are the simulator's own (`err_remediation_incident_not_found`,
`err_validation_invalid_value`); a client must treat any `fail[]` entry as the failure.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mimecast_soar.sim import audit
from mimecast_soar.sim import remediation as rem
from mimecast_soar.sim import seeding as sd
from mimecast_soar.sim.content import attachment_sha256
from mimecast_soar.sim.handlers.base import Call, per_item, required_text
from mimecast_soar.sim.state import SimState
from mimecast_soar.sim.wire import (
    Envelope,
    ItemError,
    JsonDict,
    first_item,
    format_date,
    optional_date,
    parse_date,
    validation_error,
)

MAX_GET = 25
MAX_HASHES = 100
FIND_FIELDS = ("all", "code", "file_hash", "reason")


def _window(sim: SimState, item: JsonDict) -> tuple[datetime, datetime]:
    now = sim.clock.now()
    start = optional_date(item, "start", now - timedelta(days=31))
    end = optional_date(item, "end", now)
    if start > end:
        raise validation_error("start", "start must be before end")
    return start, end


def _hash(value: str, field_name: str) -> str:
    text = value.strip().lower()
    if not rem.HASH.match(text):
        raise validation_error(
            field_name,
            f"{value} is not an MD5, SHA-1 or SHA-256 hash",
            "err_validation_invalid_value",
        )
    return text


def _message_id(value: str, field_name: str, *, brackets: bool) -> str:
    text = value.strip()
    if not brackets and not text.startswith("<"):
        text = f"<{text}>"
    if not (text.startswith("<") and text.endswith(">") and "@" in text):
        raise validation_error(
            field_name,
            "messageId must be an Internet Message-ID in <> delimiters",
            "err_validation_invalid_value",
        )
    return text


def _open(
    sim: SimState, kind: str, values: list[str], reason: str, start: datetime, end: datetime
) -> JsonDict:
    """Create and store an incident over every copy matching any of `values`."""
    world, feeds = sim.world, sim.feeds
    found: set[rem.Copy] = set()
    for value in values:
        if kind == "hash":
            found |= rem.copies_by_hash(
                sim.config.seed, world.messages, feeds["attachment"], value, start, end
            )
        elif kind == "messageid":
            sources = [feeds["url"], feeds["attachment"]]
            found |= rem.copies_by_message_id(world.messages, sources, value, start, end)
        else:
            found |= rem.copies_by_url(world.messages, feeds["url"], value, start, end)
    world.created += 1
    number = len(world.incidents)
    incident_id = sd.secure_id(sim.config.seed, "created-incident", world.created)
    incident = rem.Incident(
        id=incident_id,
        code=rem.incident_code(sim.config.seed, number, "manual"),
        type="manual",
        reason=reason,
        created=sim.clock.time(),
        criteria=rem.criteria(kind, values[0] if len(values) == 1 else values, start, end),
        outcomes=rem.outcomes(sim.config.seed, incident_id, sorted(found)),
        step=sim.config.remediation_seconds_per_mailbox,
    )
    world.incidents[incident_id] = incident
    audit.append(
        world.audit_events,
        sim.config.seed,
        sim.clock.now(),
        sim.config.login_email,
        "remediation",
        "Remediation Incident Adjustment",
        f"Remediation incident {incident.code} created: {reason}",
    )
    return incident.record(sim.clock.time())


def create(sim: SimState, call: Call) -> Envelope:
    """POST /api/ttp/remediation/create: `searchBy` hash | messageId | url."""

    def run(item: JsonDict) -> list[JsonDict]:
        reason = required_text(item, "reason")
        search_by = str(item.get("searchBy") or "hash")
        if search_by not in ("hash", "messageId", "url"):
            raise validation_error("searchBy", "searchBy must be one of hash, messageId, url")
        start, end = _window(sim, item)
        if search_by == "url":
            return [_open(sim, "url", [required_text(item, "url")], reason, start, end)]
        value = required_text(item, "hashOrMessageId")
        if search_by == "hash":
            return [_open(sim, "hash", [_hash(value, "hashOrMessageId")], reason, start, end)]
        message_id = _message_id(value, "hashOrMessageId", brackets=True)
        return [_open(sim, "messageid", [message_id], reason, start, end)]

    return per_item(call, run)


def create_v2(sim: SimState, call: Call) -> Envelope:
    """POST /api/ttp/remediation/v2/create: `searchBy` hash | message_ids | url."""

    def run(item: JsonDict) -> list[JsonDict]:
        reason = required_text(item, "reason")
        search_by = str(item.get("searchBy") or "hash")
        if search_by not in ("hash", "message_ids", "url"):
            raise validation_error("searchBy", "searchBy must be one of hash, message_ids, url")
        start, end = _window(sim, item)
        if search_by == "url":
            return [_open(sim, "url", [required_text(item, "url")], reason, start, end)]
        if search_by == "hash":
            value = _hash(required_text(item, "hash"), "hash")
            return [_open(sim, "hash", [value], reason, start, end)]
        ids = item.get("messageIds")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise validation_error(
                "messageIds", "messageIds must be a non-empty list", "err_validation_null"
            )
        values = [_message_id(i, "messageIds", brackets=False) for i in ids]
        return [_open(sim, "messageid", values, reason, start, end)]

    return per_item(call, run)


def get_incident(sim: SimState, call: Call) -> Envelope:
    """POST /api/ttp/remediation/get-incident: 1..25 items `{"id"}`, one incident each."""
    if not 1 <= len(call.data) <= MAX_GET:
        raise validation_error("id", f"Give 1 to {MAX_GET} incident ids", "err_validation_null")
    now = sim.clock.time()

    def get(item: JsonDict) -> list[JsonDict]:
        incident_id = required_text(item, "id")
        incident = sim.world.incidents.get(incident_id)
        if incident is None:
            raise ItemError(
                "err_remediation_incident_not_found",
                f"Incident {incident_id} not found",
                field="id",
            )
        return [incident.record(now)]

    return per_item(call, get)


def _pairs(value: Any, name: str) -> list[JsonDict]:
    """`searchBy` / `filterBy` as a list of objects: the doc shows both an object and an array."""
    if value in (None, ""):
        return []
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(entry, dict) for entry in items):
        raise validation_error(name, f"{name} must be an object or a list of objects")
    return items


def _types(filters: list[JsonDict]) -> list[str]:
    """Incident types from `{"type": ...}` or `{"fieldName": "type", "value": "a,b"}` filters."""
    found: list[str] = []
    for entry in filters:
        raw = entry.get("type", entry.get("value") if entry.get("fieldName") == "type" else None)
        if raw in (None, ""):
            raise validation_error("filterBy", "filterBy needs type (or fieldName type and value)")
        for text in str(raw).split(","):
            kind = text.strip().lower()
            if kind not in rem.TYPES:
                raise validation_error("filterBy", f"type must be one of {', '.join(rem.TYPES)}")
            found.append(kind)
    return found


def _resolve_find(item: JsonDict) -> JsonDict:
    if not item:
        raise validation_error(
            "searchBy", "At least one field must be supplied", "err_validation_null"
        )
    query: JsonDict = {"search": [], "types": _types(_pairs(item.get("filterBy"), "filterBy"))}
    for entry in _pairs(item.get("searchBy"), "searchBy"):
        field_name = str(entry.get("fieldName") or "all").lower()
        if field_name not in FIND_FIELDS:
            raise validation_error(
                "fieldName", f"fieldName must be one of {', '.join(FIND_FIELDS)}"
            )
        query["search"].append([field_name, str(entry.get("value") or "").lower()])
    for key in ("start", "end"):
        value = item.get(key)
        query[key] = None if value in (None, "") else format_date(parse_date(value, key))
    return query


def _found(incident: rem.Incident, query: JsonDict) -> bool:
    if query["types"] and incident.type not in query["types"]:
        return False
    if query["start"] and incident.created < parse_date(query["start"], "start").timestamp():
        return False
    if query["end"] and incident.created > parse_date(query["end"], "end").timestamp():
        return False
    fields = {
        "code": [incident.code],
        "file_hash": [str(incident.criteria.get("fileHash", ""))],
        "reason": [incident.reason],
    }
    fields["all"] = [text for texts in fields.values() for text in texts]
    return all(any(value in t.lower() for t in fields[name]) for name, value in query["search"])


def find_incidents(sim: SimState, call: Call) -> Envelope:
    """POST /api/ttp/remediation/find-incidents: newest first, paged."""
    request = sim.paginator.start(
        call.path, call.meta, first_item(call.data), sim.config.page_limit(call.path), _resolve_find
    )
    found = [i for i in sim.world.incidents.values() if _found(i, request.query)]
    found.sort(key=lambda i: (i.created, i.id), reverse=True)
    page, pagination = sim.paginator.slice(request, found)
    now = sim.clock.time()
    records = [incident.record(now) for incident in page]
    if sim.config.find_incidents_shape == "flat":
        return Envelope(data=records, pagination=pagination)
    return Envelope(data=[{"incidents": records}], pagination=pagination)


def _known_hashes(sim: SimState) -> set[str]:
    """SHA-256 of every file seen in the last year: seeded attachments and attachment logs."""
    seed = sim.config.seed
    known = {
        attachment_sha256(seed, m.id, name, size)
        for m in sim.world.messages.values()
        for name, _, size in m.attachments
    }
    feed = sim.feeds["attachment"]
    year_ago = sim.clock.now() - timedelta(days=365)
    known |= {str(log["fileHash"]) for log in rem.feed_records(feed, year_ago, sim.clock.now())}
    return known


def search_hash(sim: SimState, call: Call) -> Envelope:
    """POST /api/ttp/remediation/search-hash: `data[0].hashes`, at most 100.

    Invalid hashes are listed in `failedHashes` (the documented field) and also get a `fail[]`
    entry naming them (the simulator's choice: how Mimecast reports them is not captured).
    """
    item = first_item(call.data)
    hashes = item.get("hashes")
    if not isinstance(hashes, list) or not hashes or not all(isinstance(h, str) for h in hashes):
        raise validation_error("hashes", "hashes must be a non-empty list", "err_validation_null")
    if len(hashes) > MAX_HASHES:
        raise validation_error("hashes", f"At most {MAX_HASHES} hashes per request")
    known = _known_hashes(sim)
    statuses, failed, envelope = [], [], Envelope()
    for raw in hashes:
        try:
            value = _hash(raw, "hashes")
        except ItemError as error:
            failed.append(raw)
            envelope.fail.append(error.entry({"hash": raw}))
            continue
        statuses.append({"hash": raw, "detected": value in known})
    envelope.data = [{"hashStatus": statuses, "failedHashes": failed}]
    return envelope
