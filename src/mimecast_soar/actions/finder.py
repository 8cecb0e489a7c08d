"""Find Messages: message-finder search, from an Internet Message-ID to Mimecast's own ids.

Mimecast page: message-finder/search
(https://integrations.mimecast.com/documentation/endpoint-reference/message-finder-formerly-tracking/search);
facts in docs/mimecast-api.md §7.4. A TTP log names the email by its Internet Message-ID
(`messageId`), while Get Message Details, Release Message and Reject Message need Mimecast's id:
each tracked email of the answer (`data[0].trackedEmails`) carries that `id`. Mimecast searches
either by `messageId` or by the `advancedTrackAndTraceOptions` (from, to, subject, senderIP),
never both, so giving both is an error row rather than a silent choice.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any

from mimecast_soar.actions.common import END_TIME, START_TIME, first_data
from mimecast_soar.actions.inputs import Inputs
from mimecast_soar.actions.spec import (
    ActionContext,
    ActionSpec,
    InputKind,
    InputSpec,
    OutputShape,
    Row,
    record_row,
)
from mimecast_soar.actions.values import format_mimecast_time, is_domain, is_email, show_value
from mimecast_soar.api import endpoints
from mimecast_soar.errors import InvalidInputError

ROUTES = ("all", "inbound", "outbound", "internal")


def _jinja(input_id: str, label: str, description: str) -> InputSpec:
    return InputSpec(
        id=input_id,
        label=label,
        description=description + "",
        kind=InputKind.JINJA,
        empty_means="no filter",
    )


FIND_INPUTS = (
    _jinja(
        "message_id",
        "Message-ID",
        "Jinja-templated text containing the Internet Message-ID of the email, as TTP logs give "
        "it. Example: {{messageId}}. Give this or the Sender, Recipient, Subject and Sender IP "
        "filters, not both.",
    ),
    _jinja(
        "sender",
        "Sender",
        "Jinja-templated text containing the sender's email address or domain. Example: "
        "{{fromUserEmailAddress}}.",
    ),
    _jinja(
        "recipient",
        "Recipient",
        "Jinja-templated text containing the recipient's email address or domain. Example: "
        "{{userEmailAddress}}.",
    ),
    _jinja(
        "subject",
        "Subject",
        "Jinja-templated text the subject of the email contains. Example: {{subject}}.",
    ),
    _jinja(
        "sender_ip",
        "Sender IP",
        "Jinja-templated text containing the IP address the email was sent from. Example: "
        "{{sendingIp}}.",
    ),
    InputSpec(
        id="route",
        label="Route",
        description=(
            "Only emails with this route: one of all, inbound, outbound, internal (Default is all)."
        ),
        kind=InputKind.PARAM,
        default="all",
        options=ROUTES,
        value_type="choice",
    ),
    replace(
        START_TIME,
        description="Jinja-templated date and time of the earliest email to find (Default is "
        "Batch start time). Example: 2011-12-03T10:15:30+0000.",
    ),
    replace(
        END_TIME,
        description="Jinja-templated date and time of the latest email to find (Default is "
        "Batch end time). Example: 2011-12-04T10:15:30+0000.",
    ),
    InputSpec(
        id="search_reason",
        label="Search Reason",
        description="Why the search is made; Mimecast keeps it in its audit log.",
        kind=InputKind.PARAM,
        empty_means="no reason recorded",
    ),
)

# Advanced options: (input id, wire key inside advancedTrackAndTraceOptions).
_OPTIONS = (
    ("sender", "from"),
    ("recipient", "to"),
    ("subject", "subject"),
    ("sender_ip", "senderIP"),
)
_OPTION_LABELS = "Sender, Recipient, Subject or Sender IP"


def _message_id(given: Inputs) -> str:
    text = given.text("message_id")
    if "@" not in text or any(char.isspace() for char in text):
        raise InvalidInputError(
            f"Message-ID {show_value(text)} is not an Internet Message-ID "
            "(expected the form <left@right>)",
            input_id="message_id",
        )
    return text


def _option(given: Inputs, input_id: str) -> str:
    value = given.text(input_id)
    label = given.spec(input_id).label
    if input_id in ("sender", "recipient") and not (is_email(value) or is_domain(value)):
        raise InvalidInputError(
            f"{label} {show_value(value)} is neither an email address nor a domain",
            input_id=input_id,
        )
    if input_id == "sender_ip":
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise InvalidInputError(
                f"{label} {show_value(value)} is not an IP address", input_id=input_id
            ) from None
    return value


def search_item(given: Inputs, context: ActionContext) -> dict[str, Any]:
    """The message-finder/search `data[0]` for one row (validated before any call)."""
    start, end = given.window(context.window)
    options = {wire: _option(given, key) for key, wire in _OPTIONS if given.given(key)}
    if given.given("message_id") and options:
        raise InvalidInputError(
            f"Give either Message-ID or {_OPTION_LABELS}, not both: Mimecast searches by the "
            "Internet Message-ID or by the other filters",
            input_id="message_id",
        )
    item: dict[str, Any] = {
        "start": format_mimecast_time(start),
        "end": format_mimecast_time(end),
    }
    if given.given("message_id"):
        item["messageId"] = _message_id(given)
    elif options:
        item["advancedTrackAndTraceOptions"] = options
    else:
        raise InvalidInputError(
            f"Give a Message-ID, or at least one of {_OPTION_LABELS}: Mimecast needs one of them",
            input_id="message_id",
        )
    route = given.choice("route")
    # At data level, as the 1.0 page's field table and the 2.0 reference place it (§7.4).
    if route != "all":
        item["route"] = [route]
    if given.given("search_reason"):
        item["searchReason"] = given.text("search_reason")
    return item


async def _find(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    item = search_item(Inputs(FIND_INPUTS, values), context)
    response = await context.call(endpoints.MESSAGE_SEARCH, [item])
    response.raise_for_failures(endpoints.MESSAGE_SEARCH.path)
    tracked = first_data(response).get("trackedEmails") or []
    # No tracked email becomes the `noResults` row in `run_row`.
    for email in tracked:
        if isinstance(email, Mapping):
            yield record_row(email)


FIND_MESSAGES = ActionSpec(
    id="find_messages",
    name="Find Messages",
    description=(
        "Search Mimecast's message tracking by Internet Message-ID, or by sender, recipient, "
        "subject and sender IP in a time window: one row per tracked email, with the Mimecast "
        "id that Get Message Details, Release Message and Reject Message accept."
    ),
    endpoints=(endpoints.MESSAGE_SEARCH,),
    output=OutputShape.RECORDS,
    inputs=FIND_INPUTS,
    execute=_find,
    extra=True,
)
