"""The registry of actions: the seed's twelve in its order, then those beyond the seed.

Everything that lists actions reads this. `SEED_ACTIONS` are the twelve of the user's page;
the others (`spec.extra`) close the loops around them (undo, id lookup, sender lists).
"""

from __future__ import annotations

from mimecast_soar.actions.directory import (
    ADD_GROUP_MEMBER,
    FIND_GROUPS,
    GET_GROUP_MEMBERS,
    REMOVE_GROUP_MEMBER,
)
from mimecast_soar.actions.finder import FIND_MESSAGES
from mimecast_soar.actions.hold import REJECT_MESSAGE, RELEASE_MESSAGE
from mimecast_soar.actions.hold_list import GET_HOLD_MESSAGE_LIST, GET_HOLD_SUMMARY
from mimecast_soar.actions.messages import GET_MESSAGE_DETAILS
from mimecast_soar.actions.policy import CREATE_POLICY, DELETE_POLICY, GET_POLICY
from mimecast_soar.actions.senders import MANAGE_SENDER
from mimecast_soar.actions.spec import ActionSpec
from mimecast_soar.actions.ttp import (
    DECODE_URL,
    GET_TTP_ATTACHMENT_LOGS,
    GET_TTP_IMPERSONATION_LOGS,
    GET_TTP_URL_LOGS,
)

SEED_ACTIONS: tuple[ActionSpec, ...] = (
    GET_HOLD_MESSAGE_LIST,
    REJECT_MESSAGE,
    RELEASE_MESSAGE,
    GET_MESSAGE_DETAILS,
    GET_TTP_URL_LOGS,
    GET_TTP_IMPERSONATION_LOGS,
    GET_TTP_ATTACHMENT_LOGS,
    FIND_GROUPS,
    GET_GROUP_MEMBERS,
    ADD_GROUP_MEMBER,
    CREATE_POLICY,
    GET_POLICY,
)
EXTRA_ACTIONS: tuple[ActionSpec, ...] = (
    REMOVE_GROUP_MEMBER,
    DELETE_POLICY,
    FIND_MESSAGES,
    GET_HOLD_SUMMARY,
    MANAGE_SENDER,
    DECODE_URL,
)
ACTIONS: tuple[ActionSpec, ...] = SEED_ACTIONS + EXTRA_ACTIONS

REGISTRY: dict[str, ActionSpec] = {spec.id: spec for spec in ACTIONS}


def get_action(action_id: str) -> ActionSpec:
    """The action with this id (or seed name, any case); KeyError lists the known ids."""
    if action_id in REGISTRY:
        return REGISTRY[action_id]
    wanted = action_id.strip().lower()
    for spec in ACTIONS:
        if wanted in (spec.name.lower(), spec.id.replace("_", "-")):
            return spec
    raise KeyError(f"unknown action {action_id!r}; known: {', '.join(REGISTRY)}")
