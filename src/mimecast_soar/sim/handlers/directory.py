"""Directory groups: find groups, list members, add and remove members.

[find-groups] https://integrations.mimecast.com/documentation/endpoint-reference/directory/find-groups
[members] https://integrations.mimecast.com/documentation/endpoint-reference/directory/get-group-members
[remove-member] https://www.mimecast.com/de/developer/documentation/remove-group-member/
Duplicate adds fail with `err_folder_group_member_already_exists`, removing a non-member with
`err_folder_email_address_not_found`, both HTTP 200 with `data: []` (docs/mimecast-api.md §7.10).
"""

from __future__ import annotations

from mimecast_soar.sim import seeding as sd
from mimecast_soar.sim.data import Group, member_record
from mimecast_soar.sim.handlers.base import DOMAIN, Call, per_item, required_text, valid_email
from mimecast_soar.sim.state import SimState
from mimecast_soar.sim.wire import (
    Envelope,
    ItemError,
    JsonDict,
    choice,
    first_item,
    validation_error,
)


def find_groups(sim: SimState, call: Call) -> Envelope:
    """POST /api/directory/find-groups: `data[0] = {folders, source, query}`, paged."""

    def resolve(item: JsonDict) -> JsonDict:
        query = item.get("query")
        return {
            "query": "" if query is None else str(query),
            "source": choice(item, "source", ("cloud", "ldap"), "cloud"),
        }

    request = sim.paginator.start(
        call.path, call.meta, first_item(call.data), sim.config.page_limit(call.path), resolve
    )
    text, source = request.query["query"], request.query["source"]
    groups = [
        g for g in sim.world.groups if g.source == source and text.lower() in g.description.lower()
    ]
    page, pagination = sim.paginator.slice(request, groups)
    folders = [g.folder() for g in page]
    return Envelope(
        data=[{"folders": folders, "source": source, "query": text}], pagination=pagination
    )


def _group(sim: SimState, item: JsonDict) -> Group:
    group_id = required_text(item, "id")
    group = sim.world.group(group_id)
    if group is None:
        raise ItemError("err_folder_not_found", f"Group {group_id} not found", field="id")
    return group


def get_group_members(sim: SimState, call: Call) -> Envelope:
    """POST /api/directory/get-group-members: `data[0].groupMembers`, paged."""
    item = first_item(call.data)

    def resolve(raw: JsonDict) -> JsonDict:
        return {"id": _group(sim, raw).id}

    request = sim.paginator.start(
        call.path, call.meta, item, sim.config.page_limit(call.path), resolve
    )
    group = _group(sim, request.query)
    page, pagination = sim.paginator.slice(request, list(group.members.values()))
    return Envelope(data=[{"groupMembers": page}], pagination=pagination)


def _member_key(item: JsonDict) -> tuple[str, str | None, str]:
    """(key in the group, address or None, domain) from exactly one of emailAddress/domain."""
    address, domain = item.get("emailAddress"), item.get("domain")
    if (address in (None, "")) == (domain in (None, "")):
        raise validation_error(
            "emailAddress", "Give exactly one of emailAddress or domain", "err_validation_null"
        )
    if address not in (None, ""):
        email = valid_email(str(address).strip(), "emailAddress")
        return email, email, email.split("@")[1]
    text = str(domain).strip().lower()
    if not DOMAIN.match(text):
        raise validation_error("domain", "Domain is not valid", "err_validation_invalid_domain")
    return text, None, text


def _answer(sim: SimState, group: Group, key: str, address: str | None, domain: str) -> JsonDict:
    out: JsonDict = {
        "id": sd.secure_id(sim.config.seed, "member", group.id, key),
        "folderId": group.id,
    }
    out["emailAddress" if address else "domain"] = address or domain
    out["internal"] = domain == sd.INTERNAL_DOMAIN
    return out


def add_group_member(sim: SimState, call: Call) -> Envelope:
    """POST /api/directory/add-group-member."""

    def add(item: JsonDict) -> list[JsonDict]:
        group = _group(sim, item)
        key, address, domain = _member_key(item)
        if key in group.members:
            raise ItemError("err_folder_group_member_already_exists", "Group member already exists")
        group.members[key] = member_record(address, domain, None)
        return [_answer(sim, group, key, address, domain)]

    return per_item(call, add)


def remove_group_member(sim: SimState, call: Call) -> Envelope:
    """POST /api/directory/remove-group-member."""

    def remove(item: JsonDict) -> list[JsonDict]:
        group = _group(sim, item)
        key, address, domain = _member_key(item)
        if key not in group.members:
            raise ItemError("err_folder_email_address_not_found", "Error email address not found")
        del group.members[key]
        return [_answer(sim, group, key, address, domain)]

    return per_item(call, remove)
