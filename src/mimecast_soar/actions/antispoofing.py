"""Anti-spoofing SPF-based bypass policies: create, list, update and delete.

Mimecast pages: policies/antispoofing-spf-bypass/create-policy, get-policy, update-policy under
https://integrations.mimecast.com/documentation/endpoint-reference/ (docs/mimecast-api.md §12.4).
A bypass policy lets mail that claims an internal sender through the anti-spoofing check when it
passes SPF for given domains (`conditions.spfDomains`), hostnames or source IP ranges.

The Policy input is JSON text as Create Policy's: `description` is required; `from`/`to` may be
left out (XSOAR sends only `description` and `conditions`, §12.4, and Mimecast then applies the
policy to everyone); a target given in either form is checked. Text that is not a JSON object is
an error row and nothing is sent. Get-policy is paged (`next` followed); the doc's example shows
`policy` as a one-element array while XSOAR reads an object (L), so a listed policy given as an
array is read as its one object.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from mimecast_soar.actions.common import first_data
from mimecast_soar.actions.inputs import Inputs
from mimecast_soar.actions.policy import described_policy
from mimecast_soar.actions.spec import (
    ActionContext,
    ActionSpec,
    InputKind,
    InputSpec,
    OutputShape,
    Row,
    record_row,
    result_row,
)
from mimecast_soar.actions.values import show_value
from mimecast_soar.api import endpoints
from mimecast_soar.errors import InvalidInputError

OPTIONS = ("enable_bypass", "disable_bypass")
TARGET_TYPES = (
    "everyone",
    "internal_addresses",
    "external_addresses",
    "email_domain",
    "profile_group",
    "address_attribute_value",
    "individual_email_address",
)

POLICY = InputSpec(
    id="policy",
    label="Policy",
    description=(
        "Jinja-templated text containing the bypass policy in JSON: a description, and the "
        "conditions it bypasses for, such as "
        '{"description": "Partner mailer", "conditions": {"spfDomains": ["mailer.example.net"]}}. '
        "Senders and recipients (from, to) may be left out: everyone."
    ),
    kind=InputKind.JINJA,
    required=True,
    value_type="json",
)
OPTION = InputSpec(
    id="option",
    label="Option",
    description=(
        "enable_bypass lets matching mail skip the anti-spoofing check; disable_bypass keeps "
        "the check for it. (Default is enable_bypass)."
    ),
    kind=InputKind.PARAM,
    default="enable_bypass",
    options=OPTIONS,
    value_type="choice",
)
POLICY_ID = InputSpec(
    id="policy_id",
    label="Policy ID",
    description=(
        "Jinja-templated text containing the Mimecast ID of the bypass policy. "
        "Example: {{ policy_id }}."
    ),
    kind=InputKind.JINJA,
    required=True,
)


def _check_target(policy: Mapping[str, Any], side: str) -> None:
    nested = policy.get(side)
    found = [policy[f"{side}Type"]] if f"{side}Type" in policy else []
    if nested is not None:
        if not isinstance(nested, Mapping):
            raise InvalidInputError(f"Policy {side} must be a JSON object", input_id="policy")
        if "type" in nested:
            found.append(nested["type"])
    for kind in found:
        if kind not in TARGET_TYPES:
            raise InvalidInputError(
                f"Policy {side} type {show_value(kind)} is not allowed; allowed: "
                + ", ".join(TARGET_TYPES),
                input_id="policy",
            )


def parse_bypass_policy(text: str) -> dict[str, Any]:
    """The rendered Policy input as a checked policy object; `InvalidInputError` otherwise."""
    policy = described_policy(text)
    conditions = policy.get("conditions")
    if conditions is not None and not isinstance(conditions, dict):
        raise InvalidInputError("Policy conditions must be a JSON object", input_id="policy")
    _check_target(policy, "from")
    _check_target(policy, "to")
    return policy


def one_policy(record: Mapping[str, Any]) -> dict[str, Any]:
    """A policy record with `policy` as an object, whichever of the two shapes Mimecast sent."""
    out = dict(record)
    inner = out.get("policy")
    if isinstance(inner, list) and len(inner) == 1 and isinstance(inner[0], dict):
        out["policy"] = inner[0]
    return out


CREATE_INPUTS = (POLICY, OPTION)
UPDATE_INPUTS = (POLICY_ID, POLICY, OPTION)
LIST_INPUTS = (
    InputSpec(
        id="policy_id",
        label="Policy ID",
        description=(
            "Jinja-templated text containing the Mimecast ID of one bypass policy; empty lists "
            "them all. Example: {{ policy_id }}."
        ),
        kind=InputKind.JINJA,
        empty_means="every bypass policy",
    ),
)
DELETE_INPUTS = (POLICY_ID,)


async def _create(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    given = Inputs(CREATE_INPUTS, values)
    policy = parse_bypass_policy(given.required_text("policy"))
    item = {"option": given.choice("option"), "policy": policy}
    response = await context.call(endpoints.CREATE_BYPASS_POLICY, [item])
    response.raise_for_failures(endpoints.CREATE_BYPASS_POLICY.path)
    yield result_row(one_policy(first_data(response)))


async def _update(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    given = Inputs(UPDATE_INPUTS, values)
    policy_id = given.required_text("policy_id")
    policy = parse_bypass_policy(given.required_text("policy"))
    item = {"id": policy_id, "option": given.choice("option"), "policy": policy}
    response = await context.call(endpoints.UPDATE_BYPASS_POLICY, [item])
    response.raise_for_failures(endpoints.UPDATE_BYPASS_POLICY.path)
    yield result_row(one_policy(first_data(response)))


async def _list(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    policy_id = Inputs(LIST_INPUTS, values).text("policy_id")
    data = [{"id": policy_id}] if policy_id else []
    async for record in context.paginate(endpoints.GET_BYPASS_POLICY, data):
        yield record_row(one_policy(record))
    # None at all becomes the `noResults` row in `run_row`.


async def _delete(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    policy_id = Inputs(DELETE_INPUTS, values).required_text("policy_id")
    response = await context.call(endpoints.DELETE_BYPASS_POLICY, [{"id": policy_id}])
    response.raise_for_failures(endpoints.DELETE_BYPASS_POLICY.path)
    yield result_row(first_data(response) or {"id": policy_id})


CREATE_BYPASS_POLICY = ActionSpec(
    id="create_antispoofing_bypass_policy",
    name="Create anti-spoofing bypass policy",
    description=(
        "Create an anti-spoofing SPF bypass policy: mail that passes SPF for the given domains, "
        "hosts or IP ranges skips (or keeps) the anti-spoofing check. The result is the policy."
    ),
    endpoints=(endpoints.CREATE_BYPASS_POLICY,),
    output=OutputShape.SINGLE,
    inputs=CREATE_INPUTS,
    execute=_create,
    extra=True,
)
LIST_BYPASS_POLICIES = ActionSpec(
    id="list_antispoofing_bypass_policies",
    name="List anti-spoofing bypass policies",
    description="List the anti-spoofing SPF bypass policies, or one by its ID: one row each.",
    endpoints=(endpoints.GET_BYPASS_POLICY,),
    output=OutputShape.RECORDS,
    inputs=LIST_INPUTS,
    execute=_list,
    extra=True,
)
UPDATE_BYPASS_POLICY = ActionSpec(
    id="update_antispoofing_bypass_policy",
    name="Update anti-spoofing bypass policy",
    description=(
        "Replace an anti-spoofing SPF bypass policy's settings (the whole policy is given "
        "again). The result is the updated policy."
    ),
    endpoints=(endpoints.UPDATE_BYPASS_POLICY,),
    output=OutputShape.SINGLE,
    inputs=UPDATE_INPUTS,
    execute=_update,
    extra=True,
)
DELETE_BYPASS_POLICY = ActionSpec(
    id="delete_antispoofing_bypass_policy",
    name="Delete anti-spoofing bypass policy",
    description=(
        "Delete an anti-spoofing SPF bypass policy by its ID: the undo of Create anti-spoofing "
        "bypass policy."
    ),
    endpoints=(endpoints.DELETE_BYPASS_POLICY,),
    output=OutputShape.SINGLE,
    inputs=DELETE_INPUTS,
    execute=_delete,
    extra=True,
)
