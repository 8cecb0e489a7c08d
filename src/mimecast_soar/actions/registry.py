"""The registry of actions: the Devo page's twelve in its order, then our own.

Everything that lists actions reads a `Registry`: the command line, the manifest, the docs and
the platform bundle read `REGISTRY`, and a test may build its own with one more spec
(`REGISTRY.with_actions(spec)`) without changing the shared one. `DEVO_PAGE_ACTIONS` are the
twelve of the integration's Devo page; `OUR_ACTIONS` (`spec.extra`) close the loops around them
(undo, id lookup, sender lists) and add the response actions.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from mimecast_soar.actions.antispoofing import (
    CREATE_BYPASS_POLICY,
    DELETE_BYPASS_POLICY,
    LIST_BYPASS_POLICIES,
    UPDATE_BYPASS_POLICY,
)
from mimecast_soar.actions.audit import GET_AUDIT_EVENTS, LIST_AUDIT_CATEGORIES
from mimecast_soar.actions.directory import (
    ADD_GROUP_MEMBER,
    FIND_GROUPS,
    GET_GROUP_MEMBERS,
    REMOVE_GROUP_MEMBER,
)
from mimecast_soar.actions.file_hash import SEARCH_FILE_HASH
from mimecast_soar.actions.finder import FIND_MESSAGES
from mimecast_soar.actions.forensics import (
    DOWNLOAD_ATTACHMENT,
    DOWNLOAD_EMAIL,
    GET_ARCHIVED_MESSAGE_DETAIL,
)
from mimecast_soar.actions.groups import CREATE_GROUP, UPDATE_GROUP
from mimecast_soar.actions.hold import REJECT_MESSAGE, RELEASE_MESSAGE
from mimecast_soar.actions.hold_list import GET_HOLD_MESSAGE_LIST, GET_HOLD_SUMMARY
from mimecast_soar.actions.managed_urls import (
    BLOCK_URL,
    DELETE_MANAGED_URL,
    LIST_MANAGED_URLS,
    PERMIT_URL,
)
from mimecast_soar.actions.messages import GET_MESSAGE_DETAILS
from mimecast_soar.actions.policy import CREATE_POLICY, DELETE_POLICY, GET_POLICY
from mimecast_soar.actions.remediation import (
    CREATE_REMEDIATION_INCIDENT,
    FIND_REMEDIATION_INCIDENTS,
    GET_REMEDIATION_INCIDENT,
)
from mimecast_soar.actions.senders import MANAGE_SENDER
from mimecast_soar.actions.spec import ActionSpec
from mimecast_soar.actions.ttp import (
    DECODE_URL,
    GET_TTP_ATTACHMENT_LOGS,
    GET_TTP_IMPERSONATION_LOGS,
    GET_TTP_URL_LOGS,
)

DEVO_PAGE_ACTIONS: tuple[ActionSpec, ...] = (
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
OUR_ACTIONS: tuple[ActionSpec, ...] = (
    REMOVE_GROUP_MEMBER,
    DELETE_POLICY,
    FIND_MESSAGES,
    GET_HOLD_SUMMARY,
    MANAGE_SENDER,
    DECODE_URL,
    # Respond: remediate delivered mail, block URLs (issue 14).
    CREATE_REMEDIATION_INCIDENT,
    GET_REMEDIATION_INCIDENT,
    FIND_REMEDIATION_INCIDENTS,
    SEARCH_FILE_HASH,
    BLOCK_URL,
    PERMIT_URL,
    LIST_MANAGED_URLS,
    DELETE_MANAGED_URL,
    # Respond: groups, audit, SPF bypass, forensics (issue 14).
    CREATE_GROUP,
    UPDATE_GROUP,
    GET_AUDIT_EVENTS,
    LIST_AUDIT_CATEGORIES,
    CREATE_BYPASS_POLICY,
    LIST_BYPASS_POLICIES,
    UPDATE_BYPASS_POLICY,
    DELETE_BYPASS_POLICY,
    GET_ARCHIVED_MESSAGE_DETAIL,
    DOWNLOAD_ATTACHMENT,
    DOWNLOAD_EMAIL,
)


class Registry(Mapping[str, ActionSpec]):
    """Actions by id, in declaration order; immutable."""

    def __init__(self, actions: tuple[ActionSpec, ...]) -> None:
        by_id: dict[str, ActionSpec] = {}
        for spec in actions:
            if spec.id in by_id:
                raise ValueError(f"two actions have the id {spec.id!r}")
            by_id[spec.id] = spec
        self._by_id = by_id
        self.actions = actions

    def __getitem__(self, action_id: str) -> ActionSpec:
        return self._by_id[action_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def __repr__(self) -> str:
        return f"Registry({', '.join(self._by_id)})"

    def with_actions(self, *specs: ActionSpec) -> Registry:
        """A new registry: these actions, then `specs` (an id already taken is an error)."""
        return Registry(self.actions + specs)

    def find(self, action_id: str) -> ActionSpec:
        """The action with this id (or name, any case); KeyError lists the known ids."""
        if action_id in self._by_id:
            return self._by_id[action_id]
        wanted = action_id.strip().lower()
        for spec in self.actions:
            if wanted in (spec.name.lower(), spec.id.replace("_", "-")):
                return spec
        guess = self.closest(action_id)
        hint = f" (did you mean {guess}?)" if guess else ""
        raise KeyError(f"unknown action {action_id!r}{hint}; known: {', '.join(self._by_id)}")

    def closest(self, action_id: str) -> str | None:
        """The id of the action whose id or name is most like `action_id` (a typo), if any."""
        import difflib

        forms: dict[str, str] = {}
        owners: dict[str, set[str]] = {}
        for spec in self.actions:
            forms[spec.id] = spec.id
            forms[spec.name.lower()] = spec.id
            for word in spec.id.split("_"):
                owners.setdefault(word, set()).add(spec.id)
        # A word of one action's id only ("relase" for release_message) names that action.
        for word, ids in owners.items():
            if len(ids) == 1 and len(word) > 3:
                forms.setdefault(word, next(iter(ids)))
        wanted = action_id.strip().lower().replace("-", "_")
        found = difflib.get_close_matches(wanted, list(forms), n=1, cutoff=0.7)
        return forms[found[0]] if found else None


REGISTRY = Registry(DEVO_PAGE_ACTIONS + OUR_ACTIONS)
ACTIONS: tuple[ActionSpec, ...] = REGISTRY.actions


def get_action(action_id: str) -> ActionSpec:
    """The action of `REGISTRY` with this id (or name, any case); see `Registry.find`."""
    return REGISTRY.find(action_id)
