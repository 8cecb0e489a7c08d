"""Blocked-sender policies and managed senders.

[bs-create] https://integrations.mimecast.com/documentation/endpoint-reference/policies/blocked-sender-policy/create-policy
[bs-get] https://integrations.mimecast.com/documentation/endpoint-reference/policies/blocked-sender-policy/get-policy/
Deleting an unknown policy answers HTTP 200, `meta.status` 404 and empty `fail[]`, as Rapid7's
captured response shows (docs/mimecast-api.md §1). Managed senders per docs/mimecast-api.md §11.
"""

from __future__ import annotations

from mimecast_soar.sim import seeding as sd
from mimecast_soar.sim.handlers.base import Call, per_item, required_text, valid_email
from mimecast_soar.sim.policy import build_policy, not_found
from mimecast_soar.sim.state import SimState
from mimecast_soar.sim.wire import Envelope, JsonDict, validation_error


def create_policy(sim: SimState, call: Call) -> Envelope:
    """POST /api/policy/blockedsenders/create-policy (with `id`: update that policy)."""

    def create(item: JsonDict) -> list[JsonDict]:
        existing = None
        if item.get("id") not in (None, ""):
            existing = sim.world.policies.get(str(item["id"]))
            if existing is None:
                raise not_found(item["id"])
        built = build_policy(item, sim.clock.now(), existing)
        if existing is not None:
            policy_id = existing["id"]
        else:
            sim.world.created += 1
            policy_id = sd.secure_id(sim.config.seed, "created-policy", sim.world.created)
        sim.world.policies[policy_id] = {"id": policy_id, **built}
        return [sim.world.policies[policy_id]]

    return per_item(call, create)


def get_policy(sim: SimState, call: Call) -> Envelope:
    """POST /api/policy/blockedsenders/get-policy: `{"data": []}` lists all, `[{"id"}]` one."""
    items = [
        item for item in call.data if not (isinstance(item, dict) and item.get("id") in (None, ""))
    ]
    if not items:
        return Envelope(data=list(sim.world.policies.values()))

    def get(item: JsonDict) -> list[JsonDict]:
        policy = sim.world.policies.get(str(item["id"]))
        if policy is None:
            raise not_found(item["id"])
        return [policy]

    return per_item(Call(call.path, call.meta, items, call.auth, call.base_url), get)


def delete_policy(sim: SimState, call: Call) -> Envelope:
    """POST /api/policy/blockedsenders/delete-policy."""
    envelope = Envelope()
    for item in call.data:
        policy_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(policy_id, str) or not policy_id:
            envelope.fail.append(
                validation_error("id", "id is required", "err_validation_null").entry(item)
            )
        elif sim.world.policies.pop(policy_id, None) is None:
            envelope.status = 404
    return envelope


def permit_or_block_sender(sim: SimState, call: Call) -> Envelope:
    """POST /api/managedsender/permit-or-block-sender: `[{id, sender, to, type}]`."""

    def manage(item: JsonDict) -> list[JsonDict]:
        sender = valid_email(required_text(item, "sender"), "sender")
        to = valid_email(required_text(item, "to"), "to")
        action = required_text(item, "action").lower()
        if action not in ("permit", "block"):
            raise validation_error("action", "action must be permit or block")
        entry_id = sd.secure_id(sim.config.seed, "managed-sender", sender, to)
        entry = {"id": entry_id, "sender": sender, "to": to, "type": action}
        sim.world.managed_senders[(sender, to)] = entry
        return [entry]

    return per_item(call, manage)
