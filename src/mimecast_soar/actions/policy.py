"""Blocked-sender policies: Create Policy, Get Policy and Delete Policy.

Mimecast pages: blocked-sender-policy/create-policy and get-policy under
.../endpoint-reference/policies/ (docs/mimecast-api.md §7.11–7.12). Get Policy with an empty id
lists every policy in one raw row, following `meta.pagination.next` when an answer carries one.
Delete-policy takes
`{"data": [{"id"}]}` and answers an unknown id with `meta.status` 404 and an empty `fail[]`
(Rapid7's captured response, docs/mimecast-api.md §1), which the raw row reports as an error.
The policy may be given in the older flat form (`fromType`, `toType`, ...) or the current nested
form (`from: {type, ...}`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

from mimecast_soar.actions.common import raw_row
from mimecast_soar.actions.inputs import Inputs
from mimecast_soar.actions.spec import (
    ActionContext,
    ActionSpec,
    InputKind,
    InputSpec,
    OutputShape,
    Row,
)
from mimecast_soar.actions.values import show_value
from mimecast_soar.api import endpoints
from mimecast_soar.errors import InvalidInputError

POLICY_OPTIONS = ("no_action", "block_sender")
ADDRESS_TYPES = (
    "everyone",
    "internal_addresses",
    "external_addresses",
    "email_domain",
    "profile_group",
    "individual_email_address",
    "address_attribute_value",
    "free_mail_domains",
    "header_display_name",
)
FROM_PARTS = ("envelope_from", "header_from", "both")

CREATE_INPUTS = (
    InputSpec(
        id="policy",
        label="Policy",
        description=(
            "Jinja-templated text containing the Policy in json format. Example : {{policy}}"
        ),
        kind=InputKind.JINJA,
        required=True,
        value_type="json",
    ),
    InputSpec(
        id="option",
        label="Option",
        description=(
            "Jinja-templated text that defines a policy action, must be one of: no_action, "
            "block_sender."
        ),
        kind=InputKind.JINJA,
        required=True,
        options=POLICY_OPTIONS,
    ),
)


def _check_type(policy: Mapping[str, Any], side: str) -> None:
    """`{side}Type` (flat) and/or `{side}.type` (nested): at least one, each an allowed type."""
    nested = policy.get(side)
    candidates = []
    if f"{side}Type" in policy:
        candidates.append(policy[f"{side}Type"])
    if isinstance(nested, Mapping) and "type" in nested:
        candidates.append(nested["type"])
    if not candidates:
        raise InvalidInputError(
            f"Policy needs {side}Type (flat form) or {side}.type (nested form)", input_id="policy"
        )
    for value in candidates:
        if value not in ADDRESS_TYPES:
            raise InvalidInputError(
                f"Policy {side} type {show_value(value)} is not allowed; allowed: "
                + ", ".join(ADDRESS_TYPES),
                input_id="policy",
            )


def described_policy(text: str) -> dict[str, Any]:
    """The rendered Policy input as a JSON object with a non-empty description, which is what
    every policy Mimecast creates needs first; `InvalidInputError` otherwise."""
    try:
        policy = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInputError(
            f"Policy is not valid JSON ({error.msg} at line {error.lineno} column {error.colno})",
            input_id="policy",
        ) from None
    if not isinstance(policy, dict):
        raise InvalidInputError("Policy must be a JSON object", input_id="policy")
    description = policy.get("description")
    if not isinstance(description, str) or not description.strip():
        raise InvalidInputError("Policy needs a non-empty description", input_id="policy")
    return policy


def parse_policy(text: str) -> dict[str, Any]:
    """The rendered Policy input as a validated policy object (flat or nested form)."""
    policy = described_policy(text)
    _check_type(policy, "from")
    _check_type(policy, "to")
    from_part = policy.get("fromPart")
    if from_part is not None and from_part not in FROM_PARTS:
        raise InvalidInputError(
            f"Policy fromPart {show_value(from_part)} is not allowed; allowed: "
            + ", ".join(FROM_PARTS),
            input_id="policy",
        )
    return policy


async def _create(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    given = Inputs(CREATE_INPUTS, values)
    policy = parse_policy(given.required_text("policy"))
    option = given.required_text("option").lower()
    if option not in POLICY_OPTIONS:
        raise InvalidInputError(
            f"Option {show_value(option)} is not allowed; allowed: " + ", ".join(POLICY_OPTIONS),
            input_id="option",
        )
    response = await context.call(endpoints.CREATE_POLICY, [{"option": option, "policy": policy}])
    yield raw_row(response)


CREATE_POLICY = ActionSpec(
    id="create_policy",
    name="Create Policy",
    description=(
        "This endpoint creates new blocked sender policies, which can be used to manage a "
        "combination of sender and recipient restrictions."
    ),
    endpoints=(endpoints.CREATE_POLICY,),
    output=OutputShape.RAW,
    inputs=CREATE_INPUTS,
    execute=_create,
)

GET_POLICY_INPUTS = (
    InputSpec(
        id="policy_id",
        label="Policy ID",
        description=(
            "Jinja-templated text containing the Mimecast ID of the blocked sender policy "
            "(empty returns all blocked sender policies). Example: {{policy_id_column}}"
        ),
        kind=InputKind.JINJA,
        empty_means="all blocked sender policies",
    ),
)


async def _get(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    policy_id = Inputs(GET_POLICY_INPUTS, values).text("policy_id")
    if policy_id:
        yield raw_row(await context.call(endpoints.GET_POLICY, [{"id": policy_id}]))
        return
    response = await context.call(endpoints.GET_POLICY, [])
    if not response.ok or not response.data or response.next_token is None:
        yield raw_row(response)  # the documented answer: every policy in one response
        return
    # Mimecast documents no paging here, but this answer offers a next page: a tenant must not
    # be cut short silently. Read the list again through the client's pagination (it stops on
    # an empty page or a token seen before) and merge every page into the one raw row.
    policies = [policy async for policy in context.paginate(endpoints.GET_POLICY, [])]
    row = raw_row(response)
    row["meta"] = {key: value for key, value in row["meta"].items() if key != "pagination"}
    row["data"] = policies
    yield row


GET_POLICY = ActionSpec(
    id="get_policy",
    name="Get Policy",
    description="Get blocked sender policies: one by its ID, or all of them.",
    endpoints=(endpoints.GET_POLICY,),
    output=OutputShape.RAW,
    inputs=GET_POLICY_INPUTS,
    execute=_get,
)

DELETE_POLICY_INPUTS = (
    InputSpec(
        id="policy_id",
        label="Policy ID",
        description=(
            "Jinja-templated text containing the Mimecast ID of the blocked sender policy to "
            "delete. Example: {{policy_id_column}}."
        ),
        kind=InputKind.JINJA,
        required=True,
    ),
)


async def _delete(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    policy_id = Inputs(DELETE_POLICY_INPUTS, values).required_text("policy_id")
    response = await context.call(endpoints.DELETE_POLICY, [{"id": policy_id}])
    yield raw_row(response)


DELETE_POLICY = ActionSpec(
    id="delete_policy",
    name="Delete Policy",
    description="Delete a blocked sender policy by its ID: the undo of Create Policy.",
    endpoints=(endpoints.DELETE_POLICY,),
    output=OutputShape.RAW,
    inputs=DELETE_POLICY_INPUTS,
    execute=_delete,
    extra=True,
)
