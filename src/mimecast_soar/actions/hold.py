"""Held messages: Get Hold Message List, Reject Message, Release Message, Get Hold Summary.

Mimecast pages: get-hold-message-list, hold-reject and hold-release under
https://integrations.mimecast.com/documentation/endpoint-reference/message-queues/ (facts in
mimecast-api.md §7.1–7.3). Held records are flat in `data[]`; release and reject report per-id
failures in `fail[]` with HTTP 200. Beyond the seed: the hold list's `filterBy` (route, held
group) and get-hold-summary-list (`"data": []`, one `{policyInfo, numberOfItems}` per policy).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from mimecast_soar.actions.common import END_TIME, START_TIME, response_error_text
from mimecast_soar.actions.inputs import Inputs
from mimecast_soar.actions.spec import (
    ActionContext,
    ActionSpec,
    InputKind,
    InputSpec,
    OutputShape,
    Row,
    error_row,
    no_results_row,
    record_row,
    result_row,
)
from mimecast_soar.actions.values import as_text, format_mimecast_time, is_empty, show_value
from mimecast_soar.errors import InvalidInputError, MimecastError

HOLD_PAGE_SIZE = 500
# `filterBy` values as the German copy of the hold-list page lists them (mimecast-api.md §7.1).
HOLD_ROUTES = ("all", "inbound", "outbound", "internal", "external")
HELD_GROUPS = ("administrator", "moderator", "user", "cluster")

# Each column filter: (input id, noun, Mimecast searchBy fieldName, record fields to match).
# Sender IP comes first: held records carry no sender IP, so that filter can only be applied by
# the server; the others are also checked on the client, so every given filter holds.
_FILTERS: tuple[tuple[str, str, str, tuple[tuple[str, ...], ...]], ...] = (
    ("sender_ip_column", "Sender IP", "senderIP", ()),
    (
        "sender_column",
        "Sender",
        "sender",
        (
            ("from", "emailAddress"),
            ("from", "displayableName"),
            ("fromHeader", "emailAddress"),
            ("fromHeader", "displayableName"),
        ),
    ),
    (
        "recipient_column",
        "Recipient",
        "recipient",
        (("to", "emailAddress"), ("to", "displayableName")),
    ),
    ("subject_column", "Subject", "subject", (("subject",),)),
    (
        "held_reason_column",
        "Held Reason",
        "reason_code",
        (("reasonCode",), ("reason",), ("reasonId",)),
    ),
)


def _column(input_id: str, label: str, description: str, *, required: bool = False) -> InputSpec:
    return InputSpec(
        id=input_id, label=label, description=description, kind=InputKind.COLUMN, required=required
    )


HOLD_LIST_INPUTS = (
    START_TIME,
    END_TIME,
    _column(
        "sender_column",
        "Sender Name Column Name",
        "Column name from the parent table that contains sender of the message.",
    ),
    _column(
        "recipient_column",
        "Recipient Name Column Name",
        "Column name from the parent table that contains recipient of the message.",
    ),
    _column(
        "subject_column",
        "Subject Name Column Name",
        "Column name from the parent table that contains the subject of the message.",
    ),
    _column(
        "sender_ip_column",
        "Sender IP Name Column Name",
        "Column name from the parent table that contains sender IP of the message.",
    ),
    _column(
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
    ),
    InputSpec(
        id="route",
        label="Route",
        description=(
            "Only messages with this route: one of all, inbound, outbound, internal, external "
            "(Default is all). Beyond the seed."
        ),
        kind=InputKind.PARAM,
        default="all",
        options=HOLD_ROUTES,
        value_type="choice",
    ),
    InputSpec(
        id="held_group",
        label="Held Group",
        description=(
            "Only messages held for this group to review: one of administrator, moderator, "
            "user, cluster (empty means every group). Beyond the seed."
        ),
        kind=InputKind.PARAM,
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
    limit = inputs.number("limit", maximum=1_000_000)
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
    for input_id, _noun, field_name, paths in _FILTERS:
        if not inputs.given(input_id):
            continue
        value = inputs.text(input_id)
        if "searchBy" not in item:
            item["searchBy"] = {"fieldName": field_name, "value": value}
        client_filters.append((value.lower(), paths))
    pull = context.client.paginate(
        "/api/gateway/get-hold-message-list",
        [item],
        records_key=None,
        page_size=min(HOLD_PAGE_SIZE, limit),
    )
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
    path="/api/gateway/get-hold-message-list",
    mutating=False,
    output=OutputShape.SINGLE,
    inputs=HOLD_LIST_INPUTS,
    execute=_hold_list,
)

REASON_TYPES = (
    "MESSAGE CONTAINS UNDESIRABLE CONTENT",
    "MESSAGE CONTAINS CONFIDENTIAL INFORMATION",
    "REVIEWER DISAPPROVES OF CONTENT",
    "INAPPROPRIATE COMMUNICATION",
    "MESSAGE GOES AGAINST EMAIL POLICIES",
)

REJECT_INPUTS = (
    _column(
        "message_ids_column",
        "Message IDs Column Name",
        "Column name from the parent table that contains comma-separated ids for messages "
        "to be rejected.",
        required=True,
    ),
    _column(
        "message_column",
        "Message Column Name",
        "Rejection message to be returned to sender.",
        required=True,
    ),
    _column(
        "reason_type_column",
        "Reason Type Column Name",
        "The reason code for rejecting the message. Possible values are: "
        + ", ".join(REASON_TYPES)
        + ".",
        required=True,
    ),
    InputSpec(
        id="notify",
        label="Notify Sender",
        description=(
            "Send the rejection message back to the sender (Default is true). Beyond the seed."
        ),
        kind=InputKind.PARAM,
        default="true",
        options=("true", "false"),
        value_type="bool",
    ),
)


def split_ids(value: Any, label: str) -> list[str]:
    """Comma-separated ids (or a JSON list), trimmed and de-duplicated in order."""
    parts: list[Any] = value if isinstance(value, list) else as_text(value).split(",")
    ids: list[str] = []
    for part in parts:
        text = as_text(part).strip()
        if text and text not in ids:
            ids.append(text)
    if not ids:
        raise InvalidInputError(f"{label}: no message id in {show_value(value)}")
    return ids


def _reason_type(value: Any, label: str) -> str:
    text = " ".join(as_text(value).split()).upper()
    if text not in REASON_TYPES:
        raise InvalidInputError(
            f"{label}: {show_value(value)} is not a reason type; allowed: "
            + ", ".join(REASON_TYPES)
        )
    return text


def _how_to_check(error: MimecastError, message_ids: list[str]) -> None:
    """Add to an unknown-outcome error how to see whether the messages left the hold queue."""
    if not error.outcome_unknown:
        return
    shown = ", ".join(message_ids[:5]) + (", ..." if len(message_ids) > 5 else "")
    error.message += (
        f" Get Hold Message List shows whether message {shown} is still held; a message no "
        "longer held was handled."
    )
    error.args = (error.message,)


async def _reject(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    inputs = Inputs(REJECT_INPUTS, values)
    ids_label = inputs.spec("message_ids_column").label
    if is_empty(inputs.raw("message_ids_column")):
        raise InvalidInputError(f"{ids_label}: the column's value is empty in this row")
    ids = split_ids(inputs.raw("message_ids_column"), ids_label)
    message = inputs.required_text("message_column")
    reason = _reason_type(
        inputs.required_text("reason_type_column"), inputs.spec("reason_type_column").label
    )
    item = {"ids": ids, "message": message, "reasonType": reason, "notify": inputs.flag("notify")}
    try:
        response = await context.client.call("/api/gateway/hold-reject", [item], mutating=True)
    except MimecastError as error:
        _how_to_check(error, ids)
        raise
    rejected = {
        entry.get("id")
        for entry in response.data
        if isinstance(entry, Mapping) and entry.get("reject") is True
    }
    failed: dict[str, str] = {}
    for failure in response.fail:
        key = failure.key if isinstance(failure.key, Mapping) else {}
        failed_ids = key.get("ids") or ([key["id"]] if "id" in key else [])
        for failed_id in failed_ids if isinstance(failed_ids, list) else [failed_ids]:
            failed[as_text(failed_id)] = failure.describe()
        if not failed_ids:
            failed["(request)"] = failure.describe()
    outcomes = []
    for message_id in ids:
        if message_id in rejected:
            outcomes.append({"id": message_id, "rejected": True, "error": None})
        else:
            reason_text = failed.get(message_id) or failed.get("(request)") or "not rejected"
            failed.setdefault(message_id, reason_text)
            outcomes.append({"id": message_id, "rejected": False, "error": reason_text})
    problems = [o for o in outcomes if not o["rejected"]]
    if not problems and response_error_text(response) is None:
        yield result_row("Success")
        return
    named = "; ".join(f"{o['id']}: {o['error']}" for o in problems) or response_error_text(response)
    row = error_row(f"Mimecast did not reject {len(problems)} of {len(ids)} message(s): {named}")
    row["result"] = outcomes
    yield row


REJECT_MESSAGE = ActionSpec(
    id="reject_message",
    name="Reject Message",
    description="Rejects hold the message.",
    path="/api/gateway/hold-reject",
    mutating=True,
    output=OutputShape.SINGLE,
    inputs=REJECT_INPUTS,
    execute=_reject,
)

RELEASE_INPUTS = (
    _column(
        "message_id_column",
        "Message ID Column Name",
        "Column name from the parent table that contains the ID for messages to be released.",
        required=True,
    ),
)


async def _release(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    inputs = Inputs(RELEASE_INPUTS, values)
    message_id = inputs.required_text("message_id_column")
    try:
        response = await context.client.call(
            "/api/gateway/hold-release", [{"id": message_id}], mutating=True
        )
    except MimecastError as error:
        _how_to_check(error, [message_id])
        raise
    released = any(
        isinstance(entry, Mapping) and entry.get("release") is True for entry in response.data
    )
    problem = response_error_text(response)
    if released and problem is None:
        yield result_row("Success")
        return
    yield error_row(
        f"Mimecast did not release message {message_id}: "
        + (problem or "the response did not confirm the release")
    )


RELEASE_MESSAGE = ActionSpec(
    id="release_message",
    name="Release Message",
    description="Releases a hold message.",
    path="/api/gateway/hold-release",
    mutating=True,
    output=OutputShape.SINGLE,
    inputs=RELEASE_INPUTS,
    execute=_release,
)


async def _hold_summary(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    path = "/api/gateway/get-hold-summary-list"
    response = await context.client.call(path, [], mutating=False)
    response.raise_for_failures(path)
    found = 0
    for entry in response.data:
        if isinstance(entry, Mapping):
            found += 1
            yield record_row(entry)
    if not found:
        yield no_results_row()


GET_HOLD_SUMMARY = ActionSpec(
    id="get_hold_summary",
    name="Get Hold Summary",
    description=(
        "Count the held messages per policy: one row per policy with its policyInfo and "
        "numberOfItems."
    ),
    path="/api/gateway/get-hold-summary-list",
    mutating=False,
    output=OutputShape.RECORDS,
    inputs=(),
    execute=_hold_summary,
    extra=True,
)
