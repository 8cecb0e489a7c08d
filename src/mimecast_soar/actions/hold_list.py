"""Listing held messages: Get Hold Message List and (our own) Get Hold Summary.

Mimecast pages: get-hold-message-list under
https://integrations.mimecast.com/documentation/endpoint-reference/message-queues/ (facts in
docs/mimecast-api.md §7.1). Records are flat in `data[]`. Ours, not the Devo page's: the list's
`filterBy` (route, held group) and get-hold-summary-list (`"data": []`, one
`{policyInfo, numberOfItems}` per policy). The `searchBy` field names follow the connection's
API version; a sender IP filter needs API 2.0 (API 1.0 cannot search by it and held records
carry no IP to check).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, NamedTuple

from mimecast_soar.actions.common import END_TIME, START_TIME, column_input, listed_rows
from mimecast_soar.actions.inputs import Inputs
from mimecast_soar.actions.spec import (
    ActionContext,
    ActionSpec,
    InputKind,
    InputSpec,
    OutputShape,
    Row,
    result_row,
)
from mimecast_soar.actions.values import as_text, format_mimecast_time
from mimecast_soar.api import endpoints
from mimecast_soar.errors import InvalidInputError

# `filterBy` values as the German copy of the hold-list page lists them (docs/mimecast-api.md §7.1).
HOLD_ROUTES = ("all", "inbound", "outbound", "internal", "external")
HELD_GROUPS = ("administrator", "moderator", "user", "cluster")


class _Filter(NamedTuple):
    """A column filter: its input, Mimecast's `searchBy.fieldName` per API version (None when
    that version cannot search by it), and the record fields the client checks (none: the
    record does not carry the value, so only the server can filter by it)."""

    input_id: str
    api1_field: str | None
    api2_field: str
    paths: tuple[tuple[str, ...], ...]

    def field_name(self, api_version: str) -> str | None:
        return self.api1_field if api_version == "1.0" else self.api2_field


# The field names differ by version: API 1.0 spells `reason_code` and has no `senderIP`, API 2.0
# spells `reasonCode` and adds `senderIP` (docs/mimecast-api.md §3, §7.1). Sender IP comes first:
# held records carry no sender IP, so only the server can apply that filter; the others are also
# checked on the client, so every given filter holds whichever one the server applied.
_FILTERS = (
    _Filter("sender_ip_column", None, "senderIP", ()),
    _Filter(
        "sender_column",
        "sender",
        "sender",
        (
            ("from", "emailAddress"),
            ("from", "displayableName"),
            ("fromHeader", "emailAddress"),
            ("fromHeader", "displayableName"),
        ),
    ),
    _Filter(
        "recipient_column",
        "recipient",
        "recipient",
        (("to", "emailAddress"), ("to", "displayableName")),
    ),
    _Filter("subject_column", "subject", "subject", (("subject",),)),
    _Filter(
        "held_reason_column",
        "reason_code",
        "reasonCode",
        (("reasonCode",), ("reason",), ("reasonId",)),
    ),
)


HOLD_LIST_INPUTS = (
    START_TIME,
    END_TIME,
    column_input(
        "sender_column",
        "Sender Name Column Name",
        "Column name from the parent table that contains sender of the message.",
    ),
    column_input(
        "recipient_column",
        "Recipient Name Column Name",
        "Column name from the parent table that contains recipient of the message.",
    ),
    column_input(
        "subject_column",
        "Subject Name Column Name",
        "Column name from the parent table that contains the subject of the message.",
    ),
    column_input(
        "sender_ip_column",
        "Sender IP Name Column Name",
        "Column name from the parent table that contains sender IP of the message.",
    ),
    column_input(
        "held_reason_column",
        "Held Reason Name Column Name",
        "Column name from the parent table that contains held reason of message.",
    ),
    InputSpec(
        id="is_admin",
        label="Is Admin",
        description=(
            "Level of results to return. If false, only results for the currently authenticated "
            "user will be returned. If true, held messages for all recipients will be returned "
            "(default is True)."
        ),
        kind=InputKind.PARAM,
        default="true",
        options=("true", "false"),
        value_type="bool",
    ),
    InputSpec(
        id="limit",
        label="Limit",
        description="Number of results to return (Default is 100 messages).",
        kind=InputKind.PARAM,
        default="100",
        value_type="int",
        maximum=1_000_000,
    ),
    InputSpec(
        id="route",
        label="Route",
        description=(
            "Only messages with this route: one of all, inbound, outbound, internal, external "
            "(Default is all)."
        ),
        kind=InputKind.PARAM,
        extra=True,
        default="all",
        options=HOLD_ROUTES,
        value_type="choice",
    ),
    InputSpec(
        id="held_group",
        label="Held Group",
        description=(
            "Only messages held for this group to review: one of administrator, moderator, "
            "user, cluster (empty means every group)."
        ),
        kind=InputKind.PARAM,
        extra=True,
        options=HELD_GROUPS,
        empty_means="every held group",
        value_type="choice",
    ),
)


def _field(record: Mapping[str, Any], path: tuple[str, ...]) -> str:
    value: Any = record
    for key in path:
        if not isinstance(value, Mapping):
            return ""
        value = value.get(key)
    return as_text(value)


def _matches(
    record: Mapping[str, Any], needles: list[tuple[str, tuple[tuple[str, ...], ...]]]
) -> bool:
    for needle, paths in needles:
        if paths and not any(needle in _field(record, path).lower() for path in paths):
            return False
    return True


async def _hold_list(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    inputs = Inputs(HOLD_LIST_INPUTS, values)
    start, end = inputs.window(context.window)
    limit = inputs.number("limit")
    item: dict[str, Any] = {
        "admin": inputs.flag("is_admin"),
        "start": format_mimecast_time(start),
        "end": format_mimecast_time(end),
    }
    filter_by = []
    if inputs.choice("route") != "all":
        filter_by.append({"fieldName": "route", "value": inputs.choice("route")})
    if inputs.given("held_group"):
        filter_by.append({"fieldName": "heldGroup", "value": inputs.choice("held_group")})
    if filter_by:
        item["filterBy"] = filter_by
    client_filters: list[tuple[str, tuple[tuple[str, ...], ...]]] = []
    for column_filter in _FILTERS:
        if not inputs.given(column_filter.input_id):
            continue
        field_name = column_filter.field_name(context.api_version)
        if field_name is None:
            # Neither the server nor the client could apply it: refuse rather than list
            # messages the user asked to exclude.
            raise InvalidInputError(
                f"{inputs.spec(column_filter.input_id).label}: sender IP filtering needs API 2.0 "
                f"credentials; Mimecast's API {context.api_version} hold list cannot search by "
                "sender IP and held messages carry no IP",
                input_id=column_filter.input_id,
            )
        value = inputs.text(column_filter.input_id)
        if "searchBy" not in item:
            item["searchBy"] = {"fieldName": field_name, "value": value}
        client_filters.append((value.lower(), column_filter.paths))
    pull = context.paginate(endpoints.GET_HOLD_MESSAGE_LIST, [item], page_size=limit)
    held: list[dict[str, Any]] = []
    async for record in pull:
        if _matches(record, client_filters):
            held.append(record)
            if len(held) >= limit:
                break
    yield result_row(held)


GET_HOLD_MESSAGE_LIST = ActionSpec(
    id="get_hold_message_list",
    name="Get Hold Message List",
    description="List of hold messages.",
    endpoints=(endpoints.GET_HOLD_MESSAGE_LIST,),
    output=OutputShape.SINGLE,
    inputs=HOLD_LIST_INPUTS,
    execute=_hold_list,
)


async def _hold_summary(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    async for row in listed_rows(context, endpoints.GET_HOLD_SUMMARY_LIST):
        yield row


GET_HOLD_SUMMARY = ActionSpec(
    id="get_hold_summary",
    name="Get Hold Summary",
    description=(
        "Count the held messages per policy: one row per policy with its policyInfo and "
        "numberOfItems."
    ),
    endpoints=(endpoints.GET_HOLD_SUMMARY_LIST,),
    output=OutputShape.RECORDS,
    inputs=(),
    execute=_hold_summary,
    extra=True,
)
