"""Threat remediation: create an incident that removes delivered mail, read one, find them.

Mimecast pages create-incident, get-incident and find-incidents under
https://integrations.mimecast.com/documentation/endpoint-reference/threat-intel/ (facts and their
confidence: docs/mimecast-api.md §12.1). What the actions rely on:

- Create (H) takes `reason`, `searchBy` hash | messageId | url, the value in `hashOrMessageId`
  (a Message-ID with its `<>`) or `url`, and optional `start`/`end`; left out, Mimecast searches
  about the last month, which is what a remediation wants (the batch window would narrow it to a
  day), so empty times are not sent. The answer is the incident, as get-incident's. The same
  endpoint is served to API 1.0 and API 2.0 clients; the v2 create endpoint is not used because
  its answer's field names are not captured (L).
- Get (H) answers `id`, `code`, `type`, `reason`, the counters `identified`, `successful`,
  `failed`, `restored` and `searchCriteria`; an unknown id is a `fail[]` entry whose code is not
  captured (L), so any `fail[]` entry is the error.
- Find: the request shapes conflict (L): `searchBy` is sent as an object (the doc's table and
  the Postman collection) and each `filterBy` item carries both `type` and `fieldName`/`value`,
  so either reading finds the type. The answer is `data[0].incidents[]` or a flat `data[]` (L):
  both are read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from mimecast_soar.actions import indicators
from mimecast_soar.actions.common import END_TIME, START_TIME, first_data
from mimecast_soar.actions.inputs import Inputs
from mimecast_soar.actions.spec import (
    ActionContext,
    ActionSpec,
    InputKind,
    InputSpec,
    OutputShape,
    Row,
    no_results_row,
    record_row,
)
from mimecast_soar.actions.values import BatchWindow, format_mimecast_time, parse_time
from mimecast_soar.api import endpoints
from mimecast_soar.errors import InvalidInputError

SEARCH_BY = ("hash", "message_id", "url")
_SEARCH_BY_WIRE = {"hash": "hash", "message_id": "messageId", "url": "url"}
INCIDENT_TYPES = ("all", "notify_only", "automatic", "manual", "restored")
SEARCH_FIELDS = ("all", "code", "file_hash", "reason")

CREATE_INPUTS = (
    InputSpec(
        id="search_by",
        label="Search By",
        description=(
            "What finds the emails to remove: hash (a file attached to them), message_id (their "
            "Internet Message-ID) or url (a link in them). (Default is hash)."
        ),
        kind=InputKind.PARAM,
        default="hash",
        options=SEARCH_BY,
        value_type="choice",
    ),
    InputSpec(
        id="value",
        label="Value",
        description=(
            "Jinja-templated text containing the MD5, SHA-1 or SHA-256 hash of the file, the "
            "Internet Message-ID of the email (<> are added when missing) or the URL, as Search "
            "By says. Example: {{messageId}}."
        ),
        kind=InputKind.JINJA,
        required=True,
    ),
    InputSpec(
        id="reason",
        label="Reason",
        description=(
            "Jinja-templated text saying why the emails are removed; Mimecast shows it with the "
            "incident. Example: Phishing reported by {{userEmailAddress}}."
        ),
        kind=InputKind.JINJA,
        required=True,
    ),
    InputSpec(
        id="start_time",
        label="Start Time",
        description=(
            "Jinja-templated date and time of the earliest email to remove. Empty means "
            "Mimecast's default, about the last month. Example: 2011-12-03T10:15:30+0000."
        ),
        kind=InputKind.JINJA,
        empty_means="about a month ago (Mimecast's default)",
        value_type="time",
    ),
    InputSpec(
        id="end_time",
        label="End Time",
        description=(
            "Jinja-templated date and time of the latest email to remove. Empty means now. "
            "Example: 2011-12-04T10:15:30+0000."
        ),
        kind=InputKind.JINJA,
        empty_means="now (Mimecast's default)",
        value_type="time",
    ),
)


def _create_item(given: Inputs, window: BatchWindow) -> dict[str, Any]:
    search_by = given.choice("search_by")
    label = given.spec("value").label
    value = given.required_text("value")
    item: dict[str, Any] = {
        "reason": given.required_text("reason"),
        "searchBy": _SEARCH_BY_WIRE[search_by],
    }
    if search_by == "hash":
        item["hashOrMessageId"] = indicators.file_hash(value, label=label, input_id="value")
    elif search_by == "message_id":
        item["hashOrMessageId"] = indicators.message_id(value, label=label, input_id="value")
    else:
        indicators.url_parts(value, label=label, input_id="value")
        item["url"] = value
    item.update(_optional_window(given, window))
    return item


def _optional_window(given: Inputs, window: BatchWindow) -> dict[str, str]:
    """`start`/`end` for the times given; none of them when empty (Mimecast's month)."""
    times: dict[str, datetime] = {}
    for input_id, key in (("start_time", "start"), ("end_time", "end")):
        if given.given(input_id):
            spec = given.spec(input_id)
            try:
                # Given, so the default (the batch window) is never what is sent.
                times[key] = parse_time(given.raw(input_id), label=spec.label, default=window.end)
            except InvalidInputError as error:
                raise InvalidInputError(error.message, input_id=input_id) from None
    if "start" in times and "end" in times and times["start"] > times["end"]:
        raise InvalidInputError("Start Time is after End Time", input_id="start_time")
    return {key: format_mimecast_time(moment) for key, moment in times.items()}


async def _create(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    item = _create_item(Inputs(CREATE_INPUTS, values), context.window)
    response = await context.call(endpoints.REMEDIATION_CREATE, [item])
    response.raise_for_failures(endpoints.REMEDIATION_CREATE.path)
    yield _incident_row(first_data(response))


def _incident_row(incident: Mapping[str, Any]) -> Row:
    if not incident:
        return {"has_error": True, "error": "Mimecast answered without the incident"}
    return record_row(incident)


CREATE_REMEDIATION_INCIDENT = ActionSpec(
    id="create_remediation_incident",
    name="Create Remediation Incident",
    description=(
        "Remove delivered emails from every mailbox: all emails with a given attachment (file "
        "hash), Internet Message-ID or URL. The row is the new incident: its id and code, and "
        "how many mailboxes were identified, cleaned (successful) and failed so far."
    ),
    endpoints=(endpoints.REMEDIATION_CREATE,),
    output=OutputShape.RECORDS,
    inputs=CREATE_INPUTS,
    execute=_create,
    extra=True,
)

GET_INPUTS = (
    InputSpec(
        id="incident_id",
        label="Incident ID",
        description=(
            "Jinja-templated text containing the id of the remediation incident, as Create "
            "Remediation Incident returns it. Example: {{id}}."
        ),
        kind=InputKind.JINJA,
        required=True,
    ),
)


async def _get(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    incident_id = Inputs(GET_INPUTS, values).required_text("incident_id")
    response = await context.call(endpoints.GET_REMEDIATION_INCIDENT, [{"id": incident_id}])
    response.raise_for_failures(endpoints.GET_REMEDIATION_INCIDENT.path)
    yield _incident_row(first_data(response))


GET_REMEDIATION_INCIDENT = ActionSpec(
    id="get_remediation_incident",
    name="Get Remediation Incident",
    description=(
        "Read a remediation incident and its progress. The removal is finished when "
        "identified equals successful plus failed."
    ),
    endpoints=(endpoints.GET_REMEDIATION_INCIDENT,),
    output=OutputShape.RECORDS,
    inputs=GET_INPUTS,
    execute=_get,
    extra=True,
)

FIND_INPUTS = (
    InputSpec(
        id="search_field",
        label="Search Field",
        description=(
            "Where Query is looked for: code (the incident's reference), file_hash, reason, or "
            "all of them. (Default is all)."
        ),
        kind=InputKind.PARAM,
        default="all",
        options=SEARCH_FIELDS,
        value_type="choice",
    ),
    InputSpec(
        id="query",
        label="Query",
        description=(
            "Jinja-templated text to search for in the incidents. Empty means every incident. "
            "Example: {{code}}."
        ),
        kind=InputKind.JINJA,
        empty_means="every incident",
    ),
    InputSpec(
        id="incident_type",
        label="Incident Type",
        description=(
            "Only incidents of this type: notify_only, automatic, manual (made by a person or "
            "this integration), restored (emails put back), or all. (Default is all)."
        ),
        kind=InputKind.PARAM,
        default="all",
        options=INCIDENT_TYPES,
        value_type="choice",
    ),
    replace(
        START_TIME,
        description="Jinja-templated date and time of the earliest incident to return (Default "
        "is Batch start time). Example: 2011-12-03T10:15:30+0000.",
    ),
    replace(
        END_TIME,
        description="Jinja-templated date and time of the latest incident to return (Default is "
        "Batch end time). Example: 2011-12-04T10:15:30+0000.",
    ),
)


def _find_item(given: Inputs, window: BatchWindow) -> dict[str, Any]:
    start, end = given.window(window)
    item: dict[str, Any] = {"start": format_mimecast_time(start), "end": format_mimecast_time(end)}
    field = given.choice("search_field")
    query = given.text("query")
    if query:
        item["searchBy"] = {"fieldName": field, "value": query}
    elif field != "all":
        raise InvalidInputError(f"Query is required when Search Field is {field}", input_id="query")
    kind = given.choice("incident_type")
    if kind != "all":
        item["filterBy"] = [{"type": kind, "fieldName": "type", "value": kind}]
    return item


async def _find(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    item = _find_item(Inputs(FIND_INPUTS, values), context.window)
    found = 0
    async for record in context.paginate(endpoints.FIND_REMEDIATION_INCIDENTS, [item]):
        wrapped = record.get("incidents")
        incidents = wrapped if isinstance(wrapped, list) and "id" not in record else [record]
        for incident in incidents:
            if isinstance(incident, dict):
                found += 1
                yield record_row(incident)
    if not found:
        yield no_results_row()


FIND_REMEDIATION_INCIDENTS = ActionSpec(
    id="find_remediation_incidents",
    name="Find Remediation Incidents",
    description=(
        "List remediation incidents created in a time range, optionally only those of one type "
        "or matching a code, file hash or reason: one row per incident."
    ),
    endpoints=(endpoints.FIND_REMEDIATION_INCIDENTS,),
    output=OutputShape.RECORDS,
    inputs=FIND_INPUTS,
    execute=_find,
    extra=True,
)
