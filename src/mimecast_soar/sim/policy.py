"""Blocked-sender policies: validate the flat or nested request form, echo both plus defaults.

Per [bs-create] https://integrations.mimecast.com/documentation/endpoint-reference/policies/blocked-sender-policy/create-policy
(older flat form: https://www.mimecast.com/developer/documentation/create-blocked-sender-policy/)
and docs/mimecast-api.md §7.11: the response `policy` carries `from`/`to` objects AND `fromType`,
`fromValue`, `toType`, `toValue`, with server defaults for dates, eternity, override, enabled...
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mimecast_soar.sim.wire import ItemError, JsonDict, format_date, parse_date, validation_error

OPTIONS = ("no_action", "block_sender")
FROM_PARTS = ("envelope_from", "header_from", "both")
TYPES = (
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
VALUE_KEYS = {
    "email_domain": "emailDomain",
    "profile_group": "groupId",
    "individual_email_address": "emailAddress",
    "header_display_name": "headerDisplayName",
}


def _side(
    policy: JsonDict, side: str, types: tuple[str, ...], default: str | None
) -> tuple[str, str | None, JsonDict]:
    """(type, value, nested object) for `from` or `to`, from either form."""
    nested = policy.get(side)
    if nested is not None and not isinstance(nested, dict):
        raise validation_error(side, f"{side} must be an object")
    if nested is None:
        nested = {}
    kind = nested.get("type") or policy.get(f"{side}Type") or default
    if not kind:
        raise validation_error(f"{side}Type", f"{side}Type is required", "err_validation_null")
    if kind not in types:
        raise validation_error(f"{side}Type", f"{side}Type must be one of {', '.join(types)}")
    value = policy.get(f"{side}Value")
    key = VALUE_KEYS.get(kind)
    if value in (None, "") and key is not None:
        value = nested.get(key)
    if kind == "address_attribute_value" and value in (None, ""):
        attribute = nested.get("attribute")
        value = attribute.get("value") if isinstance(attribute, dict) else None
    if key is not None and value in (None, ""):
        raise validation_error(
            f"{side}Value", f"{side}Value is required for {kind}", "err_validation_null"
        )
    if kind == "individual_email_address" and "@" not in str(value):
        raise validation_error(
            f"{side}Value", "Email address is not valid", "err_validation_invalid_email_address"
        )
    out: JsonDict = {"type": kind}
    if key is not None:
        out[key] = value
    elif kind == "address_attribute_value" and isinstance(nested.get("attribute"), dict):
        out["attribute"] = nested["attribute"]
    return kind, None if value in (None, "") else str(value), out


def build_policy(
    item: JsonDict,
    now: datetime,
    existing: JsonDict | None = None,
    *,
    options: tuple[str, ...] = OPTIONS,
    types: tuple[str, ...] = TYPES,
    default_target: str | None = None,
) -> JsonDict:
    """Validate one create-policy item and return `{"option", "policy"}` (no id yet).

    The defaults are the blocked-sender rules; other gateway policies (anti-spoofing bypass)
    pass their own options, target types and a default target for an omitted `from`/`to`.
    """
    option = item.get("option")
    if option not in options:
        raise validation_error("option", f"option must be one of {', '.join(options)}")
    policy = item.get("policy")
    if not isinstance(policy, dict):
        raise validation_error("policy", "policy is required", "err_validation_null")
    description = policy.get("description")
    if not isinstance(description, str) or not description.strip():
        raise validation_error("description", "description is required", "err_validation_blank")
    from_part = policy.get("fromPart") or "envelope_from"
    if from_part not in FROM_PARTS:
        raise validation_error("fromPart", f"fromPart must be one of {', '.join(FROM_PARTS)}")
    from_type, from_value, from_obj = _side(policy, "from", types, default_target)
    to_type, to_value, to_obj = _side(policy, "to", types, default_target)
    from_date = policy.get("fromDate")
    to_date = policy.get("toDate")
    out: JsonDict = {
        "description": description,
        "fromPart": from_part,
        "from": from_obj,
        "to": to_obj,
        "fromType": from_type,
        "toType": to_type,
        "fromEternal": bool(policy.get("fromEternal", from_date in (None, ""))),
        "toEternal": bool(policy.get("toEternal", to_date in (None, ""))),
        "fromDate": _date(from_date, "fromDate", "1900-01-01T00:00:00+0000"),
        "toDate": _date(to_date, "toDate", "2100-01-01T23:59:59+0000"),
        "override": _flag(policy, "override", False),
        "bidirectional": _flag(policy, "bidirectional", False),
        "conditions": _conditions(policy.get("conditions")),
        "enabled": _flag(policy, "enabled", True),
        "enforced": _flag(policy, "enforced", False),
        "createTime": existing["policy"]["createTime"] if existing else format_date(now),
        "lastUpdated": format_date(now),
    }
    if from_value is not None:
        out["fromValue"] = from_value
    if to_value is not None:
        out["toValue"] = to_value
    if isinstance(policy.get("comment"), str):
        out["comment"] = policy["comment"]
    return {"option": option, "policy": out}


def _date(value: Any, name: str, default: str) -> str:
    return default if value in (None, "") else format_date(parse_date(value, name))


def _flag(policy: JsonDict, name: str, default: bool) -> bool:
    value = policy.get(name, default)
    if not isinstance(value, bool):
        raise validation_error(name, f"{name} must be a boolean")
    return value


def _conditions(value: Any) -> JsonDict:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise validation_error("conditions", "conditions must be an object")
    for key in ("sourceIPs", "hostnames", "spfDomains"):
        if key in value and not isinstance(value[key], list):
            raise validation_error(key, f"{key} must be a list")
    return dict(value)


def not_found(policy_id: Any) -> ItemError:
    """The fail[] error for an unknown policy id."""
    return ItemError("err_policy_not_found", f"Policy {policy_id} not found", field="id")
