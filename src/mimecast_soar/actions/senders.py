"""Permit or Block Sender: a managed-sender entry for one sender and one recipient.

Mimecast endpoint POST /api/managedsender/permit-or-block-sender (docs/mimecast-api.md §11; the
fields as splunk-soar-connectors/mimecast and demisto/content MimecastV2 send and read them):
`data[0]` = {sender, to, action: permit|block}; the answer's `data[0]` is the entry
{id, sender, to, type}. A bad address comes back in `fail[]` with HTTP 200.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from mimecast_soar.actions.common import first_data
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
from mimecast_soar.actions.values import is_email, show_value
from mimecast_soar.api import endpoints
from mimecast_soar.errors import InvalidInputError

SENDER_ACTIONS = ("permit", "block")

MANAGE_SENDER_INPUTS = (
    InputSpec(
        id="sender",
        label="Sender",
        description=(
            "Jinja-templated text containing the email address of the sender to permit or "
            "block. Example: {{fromUserEmailAddress}}."
        ),
        kind=InputKind.JINJA,
        required=True,
    ),
    InputSpec(
        id="to",
        label="Recipient",
        description=(
            "Jinja-templated text containing the email address of the recipient the entry "
            "applies to. Example: {{userEmailAddress}}."
        ),
        kind=InputKind.JINJA,
        required=True,
    ),
    InputSpec(
        id="action",
        label="Action",
        description=(
            "What to do with mail from the sender to the recipient: permit (skip spam checks) "
            "or block."
        ),
        kind=InputKind.PARAM,
        required=True,
        options=SENDER_ACTIONS,
        value_type="choice",
    ),
)


def _address(given: Inputs, input_id: str) -> str:
    value = given.required_text(input_id)
    if not is_email(value):
        label = given.spec(input_id).label
        raise InvalidInputError(
            f"{label} {show_value(value)} is not a valid email address", input_id=input_id
        )
    return value


def _action(given: Inputs) -> str:
    given.required_text("action")  # empty is an error, never a default for a mutation
    return given.choice("action")


async def _manage(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    given = Inputs(MANAGE_SENDER_INPUTS, values)
    item = {
        "sender": _address(given, "sender"),
        "to": _address(given, "to"),
        "action": _action(given),
    }
    response = await context.call(endpoints.PERMIT_OR_BLOCK_SENDER, [item])
    response.raise_for_failures(endpoints.PERMIT_OR_BLOCK_SENDER.path)
    yield result_row(first_data(response) or None)


MANAGE_SENDER = ActionSpec(
    id="manage_sender",
    name="Permit or Block Sender",
    description=(
        "Permit or block a sender for one recipient (a Mimecast managed-sender entry); the "
        "result is the entry."
    ),
    endpoints=(endpoints.PERMIT_OR_BLOCK_SENDER,),
    output=OutputShape.SINGLE,
    inputs=MANAGE_SENDER_INPUTS,
    execute=_manage,
    extra=True,
)
