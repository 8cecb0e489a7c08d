"""Anti-spoofing SPF-based bypass policies: create, get (paged), update, delete.

[asb-create] https://integrations.mimecast.com/documentation/endpoint-reference/policies/antispoofing-spf-bypass/create-policy
[asb-get] https://integrations.mimecast.com/documentation/endpoint-reference/policies/antispoofing-spf-bypass/get-policy
[asb-update] https://integrations.mimecast.com/documentation/endpoint-reference/policies/antispoofing-spf-bypass/update-policy
docs/mimecast-api.md §12.4. Which policy fields create requires is not captured: XSOAR sends only
`description`, `option` and `conditions.spfDomains`, so the simulator requires `option` and
`description` and targets `everyone` when `from`/`to` are left out. An unknown id answers
`err_policy_not_found` (the simulator's code).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from mimecast_soar.sim import audit
from mimecast_soar.sim import seeding as sd
from mimecast_soar.sim.handlers.base import DOMAIN, Call, per_item, required_text
from mimecast_soar.sim.policy import build_policy, not_found
from mimecast_soar.sim.state import SimState
from mimecast_soar.sim.wire import Envelope, JsonDict, first_item, validation_error

OPTIONS = ("enable_bypass", "disable_bypass")
TYPES = (
    "everyone",
    "internal_addresses",
    "external_addresses",
    "email_domain",
    "profile_group",
    "address_attribute_value",
    "individual_email_address",
)
MAX_DELETE = 500


def _texts(conditions: JsonDict, key: str) -> list[str]:
    value: Any = conditions.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise validation_error(key, f"{key} must be a list of non-empty texts")
    return [v.strip() for v in value]


def _check_conditions(conditions: JsonDict) -> None:
    for domain in _texts(conditions, "spfDomains"):
        if not DOMAIN.match(domain):
            raise validation_error("spfDomains", f"{domain} is not a domain")
    for network in _texts(conditions, "sourceIPs"):
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as exc:
            raise validation_error("sourceIPs", f"{network} is not an IP range") from exc
    _texts(conditions, "hostnames")


def _build(sim: SimState, item: JsonDict, existing: JsonDict | None) -> JsonDict:
    built = build_policy(
        item,
        sim.clock.now(),
        existing,
        options=OPTIONS,
        types=TYPES,
        default_target="everyone",
    )
    _check_conditions(built["policy"]["conditions"])
    return built


def _note(sim: SimState, audit_type: str, policy: JsonDict) -> None:
    audit.append(
        sim.world.audit_events,
        sim.config.seed,
        sim.clock.now(),
        sim.config.login_email,
        "policy",
        audit_type,
        f"{audit_type}: Anti-Spoofing SPF Bypass '{policy['policy']['description']}'",
    )


def create_policy(sim: SimState, call: Call) -> Envelope:
    """POST /api/policy/antispoofing-bypass/create-policy: `{option, policy}` per item."""

    def create(item: JsonDict) -> list[JsonDict]:
        built = _build(sim, item, None)
        sim.world.created += 1
        policy_id = sd.secure_id(sim.config.seed, "bypass-policy", sim.world.created)
        sim.world.bypass_policies[policy_id] = {"id": policy_id, **built}
        _note(sim, "Policy Created", sim.world.bypass_policies[policy_id])
        return [sim.world.bypass_policies[policy_id]]

    return per_item(call, create)


def get_policy(sim: SimState, call: Call) -> Envelope:
    """POST /api/policy/antispoofing-bypass/get-policy: `data[0].id` optional, paged."""

    def resolve(item: JsonDict) -> JsonDict:
        policy_id = item.get("id")
        if policy_id in (None, ""):
            return {"id": ""}
        if str(policy_id) not in sim.world.bypass_policies:
            raise not_found(policy_id)
        return {"id": str(policy_id)}

    request = sim.paginator.start(
        call.path, call.meta, first_item(call.data), sim.config.page_limit(call.path), resolve
    )
    wanted = request.query["id"]
    policies = [p for key, p in sim.world.bypass_policies.items() if wanted in ("", key)]
    page, pagination = sim.paginator.slice(request, policies)
    pagination.pop("totalCount", None)
    return Envelope(data=page, pagination=pagination)


def update_policy(sim: SimState, call: Call) -> Envelope:
    """POST /api/policy/antispoofing-bypass/update-policy: exactly one `{id, option, policy}`."""
    if len(call.data) != 1:
        raise validation_error("data", "update-policy takes exactly one item")

    def update(item: JsonDict) -> list[JsonDict]:
        policy_id = required_text(item, "id")
        existing = sim.world.bypass_policies.get(policy_id)
        if existing is None:
            raise not_found(policy_id)
        built = _build(sim, item, existing)
        sim.world.bypass_policies[policy_id] = {"id": policy_id, **built}
        _note(sim, "Policy Updated", sim.world.bypass_policies[policy_id])
        return [sim.world.bypass_policies[policy_id]]

    return per_item(call, update)


def delete_policy(sim: SimState, call: Call) -> Envelope:
    """POST /api/policy/antispoofing-bypass/delete-policy: 1..500 `{id}`, each echoed."""
    if not 1 <= len(call.data) <= MAX_DELETE:
        raise validation_error("id", f"Give 1 to {MAX_DELETE} policy ids", "err_validation_null")

    def delete(item: JsonDict) -> list[JsonDict]:
        policy_id = required_text(item, "id")
        policy = sim.world.bypass_policies.pop(policy_id, None)
        if policy is None:
            raise not_found(policy_id)
        _note(sim, "Policy Deleted", policy)
        return [{"id": policy_id}]

    return per_item(call, delete)
