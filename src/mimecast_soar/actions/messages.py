"""Get Message Details: the message-info object of one message.

Mimecast page: message-finder/get-message-info
(https://integrations.mimecast.com/documentation/endpoint-reference/message-finder-formerly-tracking/get-message-info);
facts in docs/mimecast-api.md §7.4.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any

from mimecast_soar.actions.common import column_input, first_data, response_error_text
from mimecast_soar.actions.inputs import Inputs
from mimecast_soar.actions.spec import (
    ActionContext,
    ActionSpec,
    OutputShape,
    Row,
    error_row,
    result_row,
)
from mimecast_soar.api import endpoints

DETAILS_INPUTS = (
    replace(
        column_input(
            "message_id_column",
            "Message ID Column Name",
            "Column name from the parent table that contains the Mimecast ID of the message to "
            "look up.",
            required=True,
        ),
        # The Devo page copied Release Message's text: nothing is released here.
        page_description=(
            "Column name from the parent table that contains the ID for messages to be released."
        ),
    ),
)


async def _details(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    inputs = Inputs(DETAILS_INPUTS, values)
    message_id = inputs.required_text("message_id_column")
    response = await context.call(endpoints.GET_MESSAGE_INFO, [{"id": message_id}])
    problem = response_error_text(response)
    info = first_data(response)
    if problem is not None or not info:
        yield error_row(
            f"Mimecast returned no details for message {message_id}: "
            + (problem or "the response was empty")
        )
        return
    yield result_row(info)


GET_MESSAGE_DETAILS = ActionSpec(
    id="get_message_details",
    name="Get Message Details",
    description="Retrieve detailed information about a specific message.",
    endpoints=(endpoints.GET_MESSAGE_INFO,),
    output=OutputShape.SINGLE,
    inputs=DETAILS_INPUTS,
    execute=_details,
)
