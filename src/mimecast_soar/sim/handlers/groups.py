"""Directory groups: create and update (rename, move). Members: see `directory`.

[grp-create] https://www.mimecast.com/tech-connect/documentation/endpoint-reference/directory/create-group/
docs/mimecast-api.md §12.5: a group's name is its `description`; `parentId` omitted = root level;
up to 10 items per call. No Mimecast error codes are captured for these endpoints: an unknown
group or parent answers `err_folder_not_found` as the member endpoints do (the simulator's code).
"""

from __future__ import annotations

from mimecast_soar.sim import audit
from mimecast_soar.sim import seeding as sd
from mimecast_soar.sim.data import Group
from mimecast_soar.sim.handlers.base import Call, per_item, required_text
from mimecast_soar.sim.state import SimState
from mimecast_soar.sim.wire import Envelope, ItemError, JsonDict, validation_error

MAX_ITEMS = 10


def _root(sim: SimState) -> str:
    return sd.secure_id(sim.config.seed, "root", "cloud")


def _parent(sim: SimState, item: JsonDict) -> str | None:
    """The requested parent id (checked), or None when the item has none."""
    value = item.get("parentId")
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise validation_error("parentId", "parentId must be text")
    if value != _root(sim) and sim.world.group(value) is None:
        raise ItemError("err_folder_not_found", f"Parent group {value} not found", field="parentId")
    return value


def _check_size(call: Call) -> None:
    if not 1 <= len(call.data) <= MAX_ITEMS:
        raise validation_error("data", f"Give 1 to {MAX_ITEMS} groups per request")


def _note(sim: SimState, audit_type: str, group: Group) -> None:
    audit.append(
        sim.world.audit_events,
        sim.config.seed,
        sim.clock.now(),
        sim.config.login_email,
        "group",
        audit_type,
        f"{audit_type}: {group.description}",
    )


def create_group(sim: SimState, call: Call) -> Envelope:
    """POST /api/directory/create-group: `{description, parentId?}` per item."""
    _check_size(call)

    def create(item: JsonDict) -> list[JsonDict]:
        description = required_text(item, "description")
        parent = _parent(sim, item) or _root(sim)
        sim.world.created += 1
        group_id = sd.secure_id(sim.config.seed, "created-group", sim.world.created)
        group = Group(group_id, description, "cloud", parent)
        sim.world.groups.append(group)
        _note(sim, "Group Created", group)
        return [group.folder()]

    return per_item(call, create)


def _ancestors(sim: SimState, group_id: str) -> set[str]:
    seen: set[str] = set()
    current = sim.world.group(group_id)
    while current is not None and current.parent_id not in seen:
        seen.add(current.parent_id)
        current = sim.world.group(current.parent_id)
    return seen


def update_group(sim: SimState, call: Call) -> Envelope:
    """POST /api/directory/update-group: `{id, description?, parentId?}` per item."""
    _check_size(call)

    def update(item: JsonDict) -> list[JsonDict]:
        group_id = required_text(item, "id")
        group = sim.world.group(group_id)
        if group is None:
            raise ItemError("err_folder_not_found", f"Group {group_id} not found", field="id")
        description = None
        if item.get("description") is not None:
            description = required_text(item, "description")
        parent = _parent(sim, item)
        if parent is not None and (parent == group.id or group.id in _ancestors(sim, parent)):
            raise validation_error("parentId", "A group cannot be moved under itself")
        group.description = description or group.description
        group.parent_id = parent or group.parent_id
        _note(sim, "Group Updated", group)
        return [group.folder()]

    return per_item(call, update)
