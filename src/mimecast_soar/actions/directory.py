"""Directory groups: Find groups, Get group members, Add group member, Remove group member.

Mimecast pages: find-groups, get-group-members, add-group-member under
.../endpoint-reference/directory/, and remove-group-member
(https://www.mimecast.com/de/developer/documentation/remove-group-member/); docs/mimecast-api.md
§7.8–7.10. Records are wrapped one level down (`data[0].folders`, `data[0].groupMembers`); a
group's name is its `description`. Remove group member, our own action, undoes Add group member
with the same inputs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from mimecast_soar.actions.common import PAGE_SIZE, raw_row, record_rows
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
from mimecast_soar.actions.values import as_text, is_domain, is_email, show_value
from mimecast_soar.api import endpoints
from mimecast_soar.errors import InvalidInputError

FIND_GROUPS_INPUTS = (
    InputSpec(
        id="query",
        label="Query",
        description=(
            "Jinja-templated text containing query. A character string to search for in the "
            "groups. Example: {{query_column}}"
        ),
        kind=InputKind.JINJA,
        required=True,
        empty_means="all groups",
    ),
    InputSpec(
        id="source",
        label="Source",
        description="The source of the groups. (Default is cloud).",
        kind=InputKind.PARAM,
        required=True,
        default="cloud",
        options=("cloud", "ldap"),
        value_type="choice",
    ),
    PAGE_SIZE,
)


async def _find_groups(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    given = Inputs(FIND_GROUPS_INPUTS, values)
    cap = given.number("page_size")
    item: dict[str, Any] = {"source": given.choice("source")}
    if given.text("query"):
        item["query"] = given.text("query")
    pull = context.paginate(endpoints.FIND_GROUPS, [item], max_records=cap)
    async for row in record_rows(context, pull, action_name="Find groups", cap=cap):
        yield row


FIND_GROUPS = ActionSpec(
    id="find_groups",
    name="Find groups",
    description="This action will bring a list of groups/folders.",
    endpoints=(endpoints.FIND_GROUPS,),
    output=OutputShape.RECORDS,
    inputs=FIND_GROUPS_INPUTS,
    execute=_find_groups,
)

GROUP_ID = InputSpec(
    id="group_id",
    label="ID",
    description=(
        "Jinja-templated text containing the Mimecast ID of the group. Example: {{id_column}}"
    ),
    kind=InputKind.JINJA,
    required=True,
)

MEMBERS_INPUTS = (
    InputSpec(
        id="query",
        label="Query",
        # The Devo page copied Find groups' text: this filters the group's members.
        description=(
            "Jinja-templated text containing query. A character string to search for in the "
            "members' email addresses, domains and names. Example: {{query_column}}"
        ),
        page_description=(
            "Jinja-templated text containing query. A character string to search for in the "
            "groups. Example: {{query_column}}"
        ),
        kind=InputKind.JINJA,
        required=True,
        empty_means="all members",
    ),
    GROUP_ID,
)


def _member_matches(member: Mapping[str, Any], needle: str) -> bool:
    return any(
        needle in as_text(member.get(key)).lower() for key in ("emailAddress", "domain", "name")
    )


async def _members(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    given = Inputs(MEMBERS_INPUTS, values)
    group_id = given.required_text("group_id")
    needle = given.text("query").lower()
    pull = context.paginate(endpoints.GET_GROUP_MEMBERS, [{"id": group_id}])
    # No member at all becomes the `noResults` row in `run_row`.
    async for member in pull:
        if not needle or _member_matches(member, needle):
            yield record_row(member)


GET_GROUP_MEMBERS = ActionSpec(
    id="get_group_members",
    name="Get group members",
    description="This action will bring a list of members.",
    endpoints=(endpoints.GET_GROUP_MEMBERS,),
    output=OutputShape.RECORDS,
    inputs=MEMBERS_INPUTS,
    execute=_members,
)

ADD_MEMBER_INPUTS = (
    InputSpec(
        id="group_id",
        label="ID",
        description=(
            "Jinja-templated text containing the Mimecast ID of the group to add to. "
            "Example: {{id_column}}"
        ),
        kind=InputKind.JINJA,
        required=True,
    ),
    InputSpec(
        id="email_address",
        label="Email Address",
        description=(
            "Jinja-templated text containing the email address of a user to add to a group. "
            "Example: {{email_address_column}}"
        ),
        kind=InputKind.JINJA,
        required=True,
    ),
)


def member_item(given: Inputs) -> dict[str, Any]:
    """`{id, emailAddress}` for an address, `{id, domain}` for a bare domain; else an error."""
    group_id = given.required_text("group_id")
    address = given.required_text("email_address")
    if "@" in address:
        if not is_email(address):
            raise InvalidInputError(
                f"Email Address {show_value(address)} is not a valid email address",
                input_id="email_address",
            )
        return {"id": group_id, "emailAddress": address}
    if is_domain(address):
        return {"id": group_id, "domain": address.lower().rstrip(".")}
    raise InvalidInputError(
        f"Email Address {show_value(address)} is neither an email address nor a domain",
        input_id="email_address",
    )


async def _add_member(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    item = member_item(Inputs(ADD_MEMBER_INPUTS, values))
    response = await context.call(endpoints.ADD_GROUP_MEMBER, [item])
    yield raw_row(response)


ADD_GROUP_MEMBER = ActionSpec(
    id="add_group_member",
    name="Add group member",
    description=(
        "This action can be used to add user email addresses or domains to a profile group."
    ),
    endpoints=(endpoints.ADD_GROUP_MEMBER,),
    output=OutputShape.RAW,
    inputs=ADD_MEMBER_INPUTS,
    execute=_add_member,
)

REMOVE_MEMBER_INPUTS = (
    InputSpec(
        id="group_id",
        label="ID",
        description=(
            "Jinja-templated text containing the Mimecast ID of the group to remove from. "
            "Example: {{id_column}}."
        ),
        kind=InputKind.JINJA,
        required=True,
    ),
    InputSpec(
        id="email_address",
        label="Email Address",
        description=(
            "Jinja-templated text containing the email address (or domain) to remove from the "
            "group. Example: {{email_address_column}}."
        ),
        kind=InputKind.JINJA,
        required=True,
    ),
)


async def _remove_member(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    item = member_item(Inputs(REMOVE_MEMBER_INPUTS, values))
    response = await context.call(endpoints.REMOVE_GROUP_MEMBER, [item])
    yield raw_row(response)


REMOVE_GROUP_MEMBER = ActionSpec(
    id="remove_group_member",
    name="Remove group member",
    description=(
        "Remove a user email address or a domain from a profile group: the undo of Add group "
        "member."
    ),
    endpoints=(endpoints.REMOVE_GROUP_MEMBER,),
    output=OutputShape.RAW,
    inputs=REMOVE_MEMBER_INPUTS,
    execute=_remove_member,
    extra=True,
)
