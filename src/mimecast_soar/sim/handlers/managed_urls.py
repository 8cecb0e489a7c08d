"""Managed URLs: create, list (paged), delete.

[murl-create] https://integrations.mimecast.com/documentation/endpoint-reference/targeted-threat-protection-url-protect/create-managed-url/
[murl-get] https://integrations.mimecast.com/documentation/endpoint-reference/targeted-threat-protection-url-protect/get-managed-url
[murl-del] https://integrations.mimecast.com/documentation/endpoint-reference/targeted-threat-protection-url-protect/delete-managed-url
docs/mimecast-api.md §12.2: a duplicate answers `err_managed_url_exists_code` with the request plus
`overrideUrl: false` as key; deleting an unknown id answers `err_managed_url_not_found` with no key.
"""

from __future__ import annotations

from mimecast_soar.sim import audit
from mimecast_soar.sim import managed_urls as murl
from mimecast_soar.sim import seeding as sd
from mimecast_soar.sim.handlers.base import Call, per_item, required_text
from mimecast_soar.sim.state import SimState
from mimecast_soar.sim.wire import (
    Envelope,
    ItemError,
    JsonDict,
    choice,
    fail_entry,
    first_item,
    optional_bool,
    validation_error,
)

PERMIT_ONLY = ("disableRewrite", "disableUserAwareness")


def _note(sim: SimState, audit_type: str, entry: JsonDict) -> None:
    audit.append(
        sim.world.audit_events,
        sim.config.seed,
        sim.clock.now(),
        sim.config.login_email,
        "managed_url",
        audit_type,
        f"{audit_type}: {entry['action']} {murl.url_text(entry)} ({entry['matchType']})",
    )


def create_managed_url(sim: SimState, call: Call) -> Envelope:
    """POST /api/ttp/url/create-managed-url."""
    envelope = Envelope()

    def create(item: JsonDict) -> list[JsonDict]:
        parsed = murl.parse_url(required_text(item, "url"))
        action = required_text(item, "action").lower()
        if action not in murl.ACTIONS:
            raise validation_error("action", "action must be block or permit")
        fields: JsonDict = {
            "matchType": choice(item, "matchType", murl.MATCH_TYPES, "explicit"),
            "action": action,
            "comment": str(item.get("comment") or ""),
        }
        for flag in ("disableUserAwareness", "disableRewrite", "disableLogClick"):
            fields[flag] = optional_bool(item, flag, False)
            if flag in PERMIT_ONLY and fields[flag] and action != "permit":
                raise validation_error(flag, f"{flag} applies to permitted URLs only")
        candidate = murl.record("", parsed, fields)
        key = murl.identity(candidate)
        if any(murl.identity(e) == key for e in sim.world.managed_urls.values()):
            envelope.fail.append(
                fail_entry(
                    {**item, "overrideUrl": False},
                    "err_managed_url_exists_code",
                    "Managed URL already exists. Delete it and create it again to update it.",
                )
            )
            return []
        if len(sim.world.managed_urls) >= sim.config.managed_url_limit:
            raise ItemError("err_managed_url_limit_reached", "Maximum number of managed URLs")
        sim.world.created += 1
        entry_id = sd.secure_id(sim.config.seed, "created-managed-url", sim.world.created)
        entry = murl.record(entry_id, parsed, fields)
        sim.world.managed_urls[entry_id] = entry
        _note(sim, "Managed URL Created", entry)
        return [entry]

    result = per_item(call, create)
    result.fail = envelope.fail + result.fail
    return result


def get_all_managed_urls(sim: SimState, call: Call) -> Envelope:
    """POST /api/ttp/url/get-all-managed-urls: `[]` = all, or `{domainOrUrl, exactMatch}`."""

    def resolve(item: JsonDict) -> JsonDict:
        wanted = item.get("domainOrUrl")
        if wanted is not None and not isinstance(wanted, str):
            raise validation_error("domainOrUrl", "domainOrUrl must be text")
        return {"filter": wanted or "", "exact": optional_bool(item, "exactMatch", False)}

    request = sim.paginator.start(
        call.path, call.meta, first_item(call.data), sim.config.page_limit(call.path), resolve
    )
    wanted, exact = request.query["filter"], request.query["exact"]
    entries = [
        e for e in sim.world.managed_urls.values() if not wanted or murl.matches(e, wanted, exact)
    ]
    page, pagination = sim.paginator.slice(request, entries)
    return Envelope(data=page, pagination=pagination)


def delete_managed_url(sim: SimState, call: Call) -> Envelope:
    """POST /api/ttp/url/delete-managed-url: `{"id"}`; success is `data: []`."""
    envelope = Envelope()
    for item in call.data:
        entry_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(entry_id, str) or not entry_id.strip():
            envelope.fail.append(
                validation_error("id", "id is required", "err_validation_null").entry(item)
            )
            continue
        entry = sim.world.managed_urls.pop(entry_id.strip(), None)
        if entry is None:
            error = {
                "code": "err_managed_url_not_found",
                "message": "Managed URL not found",
                "retryable": False,
            }
            envelope.fail.append({"errors": [error]})
            continue
        _note(sim, "Managed URL Deleted", entry)
    return envelope
