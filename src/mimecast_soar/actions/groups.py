"""Directory groups: Create group and Update group (rename, move).

Mimecast pages: directory/create-group
(https://www.mimecast.com/tech-connect/documentation/endpoint-reference/directory/create-group/)
and update-group; docs/mimecast-api.md §12.5. A group's name is its `description`; `parentId`
left out creates the group at the top level. The answer is the folder record Find groups lists
(§7.8), which is the row's result. Both change state: a call that failed after it was sent is
never sent again (the row says the outcome is unknown).
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
from mimecast_soar.api import endpoints
from mimecast_soar.api.endpoints import Endpoint
from mimecast_soar.errors import InvalidInputError

#: Mimecast's limit on a group name is not documented; the console refuses far shorter names.
MAX_NAME = 255

GROUP_NAME = InputSpec(
    id="name",
    label="Group Name",
    description=(
        "Jinja-templated text containing the name of the group. Example: Blocked senders "
        "{{ incident_id }}."
    ),
    kind=InputKind.JINJA,
    required=True,
)
PARENT_ID = InputSpec(
    id="parent_id",
    label="Parent Group ID",
    description=(
        "Jinja-templated text containing the Mimecast ID of the group to put this group in "
        "(from Find groups). Empty puts it at the top level. Example: {{ parent_id }}."
    ),
    kind=InputKind.JINJA,
    empty_means="the top level",
)

CREATE_INPUTS = (GROUP_NAME, PARENT_ID)
UPDATE_INPUTS = (
    InputSpec(
        id="group_id",
        label="Group ID",
        description=(
            "Jinja-templated text containing the Mimecast ID of the group to change (from Find "
            "groups or Create group). Example: {{ group_id }}."
        ),
        kind=InputKind.JINJA,
        required=True,
    ),
    InputSpec(
        id="name",
        label="New Name",
        description=(
            "Jinja-templated text containing the group's new name. Empty keeps the name. "
            "Example: {{ new_name }}."
        ),
        kind=InputKind.JINJA,
        empty_means="keep the name",
    ),
    InputSpec(
        id="parent_id",
        label="New Parent Group ID",
        description=(
            "Jinja-templated text containing the Mimecast ID of the group to move this group "
            "into. Empty leaves it where it is. Example: {{ parent_id }}."
        ),
        kind=InputKind.JINJA,
        empty_means="leave it where it is",
    ),
)


def _name(given: Inputs, *, required: bool) -> str:
    name = given.required_text("name") if required else given.text("name")
    if len(name) > MAX_NAME:
        raise InvalidInputError(
            f"{given.spec('name').label} is {len(name)} characters long; at most {MAX_NAME}",
            input_id="name",
        )
    return name


async def _one_group(context: ActionContext, endpoint: Endpoint, item: dict[str, Any]) -> Row:
    response = await context.call(endpoint, [item])
    response.raise_for_failures(endpoint.path)
    return result_row(first_data(response))


async def _create(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    given = Inputs(CREATE_INPUTS, values)
    item: dict[str, Any] = {"description": _name(given, required=True)}
    if parent := given.text("parent_id"):
        item["parentId"] = parent
    yield await _one_group(context, endpoints.CREATE_GROUP, item)


async def _update(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    given = Inputs(UPDATE_INPUTS, values)
    item: dict[str, Any] = {"id": given.required_text("group_id")}
    if name := _name(given, required=False):
        item["description"] = name
    if parent := given.text("parent_id"):
        item["parentId"] = parent
    if len(item) == 1:
        raise InvalidInputError(
            "Update group needs a New Name or a New Parent Group ID: both rendered empty",
            input_id="name",
        )
    yield await _one_group(context, endpoints.UPDATE_GROUP, item)


CREATE_GROUP = ActionSpec(
    id="create_group",
    name="Create group",
    description=(
        "Create a profile group (optionally inside another group); the result is the new group "
        "with its ID, for Add group member."
    ),
    endpoints=(endpoints.CREATE_GROUP,),
    output=OutputShape.SINGLE,
    inputs=CREATE_INPUTS,
    execute=_create,
    extra=True,
)

UPDATE_GROUP = ActionSpec(
    id="update_group",
    name="Update group",
    description="Rename a profile group or move it into another group; the result is the group.",
    endpoints=(endpoints.UPDATE_GROUP,),
    output=OutputShape.SINGLE,
    inputs=UPDATE_INPUTS,
    execute=_update,
    extra=True,
)
