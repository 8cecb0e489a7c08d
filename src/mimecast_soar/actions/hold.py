"""Acting on held messages: Reject Message and Release Message.

Mimecast pages: hold-reject and hold-release under
https://integrations.mimecast.com/documentation/endpoint-reference/message-queues/ (facts in
docs/mimecast-api.md §7.2–7.3). Both change state and report per-id failures in `fail[]`
with HTTP 200.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from mimecast_soar.actions.common import column_input, response_error_text
from mimecast_soar.actions.inputs import Inputs
from mimecast_soar.actions.spec import (
    ActionContext,
    ActionSpec,
    InputKind,
    InputSpec,
    OutputShape,
    Row,
    error_row,
    result_row,
)
from mimecast_soar.actions.values import as_text, is_empty, show_value
from mimecast_soar.api import endpoints
from mimecast_soar.errors import InvalidInputError, MimecastError

REASON_TYPES = (
    "MESSAGE CONTAINS UNDESIRABLE CONTENT",
    "MESSAGE CONTAINS CONFIDENTIAL INFORMATION",
    "REVIEWER DISAPPROVES OF CONTENT",
    "INAPPROPRIATE COMMUNICATION",
    "MESSAGE GOES AGAINST EMAIL POLICIES",
)

REJECT_INPUTS = (
    column_input(
        "message_ids_column",
        "Message IDs Column Name",
        "Column name from the parent table that contains comma-separated ids for messages "
        "to be rejected.",
        required=True,
    ),
    column_input(
        "message_column",
        "Message Column Name",
        "Rejection message to be returned to sender.",
        required=True,
    ),
    column_input(
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
        description="Send the rejection message back to the sender (Default is true).",
        kind=InputKind.PARAM,
        extra=True,
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
        response = await context.call(endpoints.HOLD_REJECT, [item])
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
    description=(
        "Rejects held messages: Mimecast does not deliver them and, unless Notify Sender is "
        "false, sends the rejection message back to the sender."
    ),
    page_description="Rejects hold the message.",
    endpoints=(endpoints.HOLD_REJECT,),
    output=OutputShape.SINGLE,
    inputs=REJECT_INPUTS,
    execute=_reject,
)

RELEASE_INPUTS = (
    column_input(
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
        response = await context.call(endpoints.HOLD_RELEASE, [{"id": message_id}])
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
    endpoints=(endpoints.HOLD_RELEASE,),
    output=OutputShape.SINGLE,
    inputs=RELEASE_INPUTS,
    execute=_release,
)
