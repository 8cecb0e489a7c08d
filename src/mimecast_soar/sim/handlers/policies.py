"""Blocked-sender policies and managed senders.

[bs-create] https://integrations.mimecast.com/documentation/endpoint-reference/policies/blocked-sender-policy/create-policy
[bs-get] https://integrations.mimecast.com/documentation/endpoint-reference/policies/blocked-sender-policy/get-policy/
Listing pages only when the policies do not fit one page (see `_list_policies`). Deleting an
unknown policy answers HTTP 200, `meta.status` 404 and empty `fail[]`, as Rapid7's
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
        return _list_policies(sim, call)

    def get(item: JsonDict) -> list[JsonDict]:
        policy = sim.world.policies.get(str(item["id"]))
        if policy is None:
            raise not_found(item["id"])
        return [policy]

    return per_item(Call(call.path, call.meta, items, call.auth, call.base_url), get)


def _list_policies(sim: SimState, call: Call) -> Envelope:
    """Every policy: one documented answer when they fit a page, else pages with tokens.

    [bs-get] shows no paging, so a list that fits one page (the default size when the request
    asks none) answers without `meta.pagination`. A longer list pages like the other list
    endpoints, its last page still carrying `next` to an empty page when the last-page quirk
    is on (docs/mimecast-api.md §8), so a client that reads only the first answer is cut short.
    """
    policies = list(sim.world.policies.values())
    request = sim.paginator.start(
        call.path, call.meta, {}, sim.config.page_limit(call.path), lambda _item: {}
    )
    start = min(request.offset, len(policies))
    page = policies[start : start + request.size]
    end = start + len(page)
    if start == 0 and end == len(policies):
        return Envelope(data=page)
    more = end < len(policies) or (bool(page) and sim.config.last_page_next_quirk)
    pagination = sim.paginator.meta(
        request,
        len(page),
        next_offset=end if more else None,
        previous_offset=max(0, start - request.size) if start > 0 else None,
        total=len(policies),
    )
    return Envelope(data=page, pagination=pagination)


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
