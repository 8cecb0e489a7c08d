"""The audit trail: Get audit events and List audit categories.

Mimecast page: logs-and-statistics/get-audit-events
(https://integrations.mimecast.com/documentation/endpoint-reference/logs-and-statistics/get-audit-events)
and /api/audit/get-categories; docs/mimecast-api.md §12.6. `startDateTime` and `endDateTime` are
required (empty inputs take the batch window); only the last 60 days can be searched, which
Mimecast enforces (its refusal is the row's error). Events are flat in `data[]`, paged with
`next`; their order is not documented, so nothing here depends on it. Categories are codes such
as `authentication_logs`; an unknown code is refused by Mimecast and becomes an error row.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any

from mimecast_soar.actions.common import (
    END_TIME,
    PAGE_SIZE,
    START_TIME,
    listed_rows,
    record_rows,
)
from mimecast_soar.actions.inputs import Inputs
from mimecast_soar.actions.spec import (
    ActionContext,
    ActionSpec,
    InputKind,
    InputSpec,
    OutputShape,
    Row,
)
from mimecast_soar.actions.values import format_mimecast_time, show_value
from mimecast_soar.api import endpoints
from mimecast_soar.errors import InvalidInputError

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")

EVENTS_INPUTS = (
    replace(
        START_TIME,
        description=(
            "Jinja Template for the date and time of the earliest audit event to return (Default "
            "is Batch start time; Mimecast searches the last 60 days only). Example: "
            "2011-12-03T10:15:30+0000, {{start_time_column}}."
        ),
        extra=True,
    ),
    replace(
        END_TIME,
        description=(
            "Jinja Template for the date and time of the latest audit event to return (Default "
            "is Batch end time). Example: 2011-12-04T10:15:30+0000, {{end_time_column}}."
        ),
        extra=True,
    ),
    InputSpec(
        id="query",
        label="Query",
        description=(
            "Jinja-templated text to search for in the events (the user, the event type and its "
            "details). Empty returns every event. Example: {{ user_email }}."
        ),
        kind=InputKind.JINJA,
        empty_means="every event",
    ),
    InputSpec(
        id="categories",
        label="Categories",
        description=(
            "Jinja-templated text: comma-separated category codes to keep, such as "
            "authentication_logs, account_logs (List audit categories shows them all). Empty "
            "means every category."
        ),
        kind=InputKind.JINJA,
        empty_means="every category",
    ),
    replace(PAGE_SIZE, extra=True),
)


def _categories(given: Inputs) -> list[str]:
    codes: list[str] = []
    for part in given.text("categories").split(","):
        code = part.strip().lower()
        if not code:
            continue
        if not _CODE.match(code):
            raise InvalidInputError(
                f"Categories: {show_value(part.strip())} is not a category code (such as "
                "authentication_logs; List audit categories shows them)",
                input_id="categories",
            )
        if code not in codes:
            codes.append(code)
    return codes


async def _events(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    given = Inputs(EVENTS_INPUTS, values)
    start, end = given.window(context.window)
    cap = given.number("page_size")
    item: dict[str, Any] = {
        "startDateTime": format_mimecast_time(start),
        "endDateTime": format_mimecast_time(end),
    }
    if query := given.text("query"):
        item["query"] = query
    if categories := _categories(given):
        item["categories"] = categories
    pull = context.paginate(endpoints.GET_AUDIT_EVENTS, [item], max_records=cap)
    async for row in record_rows(context, pull, action_name="Get audit events", cap=cap):
        yield row


async def _categories_list(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    async for row in listed_rows(context, endpoints.GET_AUDIT_CATEGORIES):
        yield row


GET_AUDIT_EVENTS = ActionSpec(
    id="get_audit_events",
    name="Get audit events",
    description=(
        "Read the account's audit trail (who changed what, and when): one row per event, "
        "filtered by time, text and category."
    ),
    endpoints=(endpoints.GET_AUDIT_EVENTS,),
    output=OutputShape.RECORDS,
    inputs=EVENTS_INPUTS,
    execute=_events,
    extra=True,
)

LIST_AUDIT_CATEGORIES = ActionSpec(
    id="list_audit_categories",
    name="List audit categories",
    description=(
        "List the audit event categories (code, id, name); the codes are what Get audit "
        "events' Categories takes."
    ),
    endpoints=(endpoints.GET_AUDIT_CATEGORIES,),
    output=OutputShape.RECORDS,
    inputs=(),
    execute=_categories_list,
    extra=True,
)
