"""The endpoint registry: Mimecast path -> handler (all POST, JSON envelope in and out)."""

from __future__ import annotations

from mimecast_soar.sim.handlers import (
    account,
    antispoofing,
    audit,
    directory,
    finder,
    forensics,
    gateway,
    groups,
    managed_urls,
    policies,
    remediation,
    ttp,
)
from mimecast_soar.sim.handlers.base import Call, Handler

ROUTES: dict[str, Handler] = {
    "/api/account/get-account": account.get_account,
    "/api/login/discover-authentication": account.discover_authentication,
    "/api/login/login": account.login,
    "/api/gateway/get-hold-message-list": gateway.get_hold_message_list,
    "/api/gateway/get-hold-summary-list": gateway.get_hold_summary_list,
    "/api/gateway/hold-release": gateway.hold_release,
    "/api/gateway/hold-reject": gateway.hold_reject,
    "/api/message-finder/search": finder.search,
    "/api/message-finder/get-message-info": finder.get_message_info,
    "/api/ttp/url/get-logs": ttp.url_logs,
    "/api/ttp/impersonation/get-logs": ttp.impersonation_logs,
    "/api/ttp/attachment/get-logs": ttp.attachment_logs,
    "/api/ttp/url/decode-url": ttp.decode_url,
    "/api/directory/find-groups": directory.find_groups,
    "/api/directory/get-group-members": directory.get_group_members,
    "/api/directory/add-group-member": directory.add_group_member,
    "/api/directory/remove-group-member": directory.remove_group_member,
    "/api/policy/blockedsenders/create-policy": policies.create_policy,
    "/api/policy/blockedsenders/get-policy": policies.get_policy,
    "/api/policy/blockedsenders/delete-policy": policies.delete_policy,
    "/api/managedsender/permit-or-block-sender": policies.permit_or_block_sender,
    "/api/ttp/remediation/create": remediation.create,
    "/api/ttp/remediation/v2/create": remediation.create_v2,
    "/api/ttp/remediation/get-incident": remediation.get_incident,
    "/api/ttp/remediation/find-incidents": remediation.find_incidents,
    "/api/ttp/remediation/search-hash": remediation.search_hash,
    "/api/ttp/url/create-managed-url": managed_urls.create_managed_url,
    "/api/ttp/url/get-all-managed-urls": managed_urls.get_all_managed_urls,
    "/api/ttp/url/delete-managed-url": managed_urls.delete_managed_url,
    "/api/directory/create-group": groups.create_group,
    "/api/directory/update-group": groups.update_group,
    "/api/audit/get-audit-events": audit.get_audit_events,
    "/api/audit/get-categories": audit.get_categories,
    "/api/policy/antispoofing-bypass/create-policy": antispoofing.create_policy,
    "/api/policy/antispoofing-bypass/get-policy": antispoofing.get_policy,
    "/api/policy/antispoofing-bypass/update-policy": antispoofing.update_policy,
    "/api/policy/antispoofing-bypass/delete-policy": antispoofing.delete_policy,
    "/api/archive/get-message-detail": forensics.get_message_detail,
    "/api/archive/get-message-part": forensics.get_message_part,
    "/api/archive/get-file": forensics.get_file,
}

#: Paths that take no Authorization header (only x-mc-app-id, x-mc-date, x-mc-req-id).
UNSIGNED = frozenset({"/api/login/discover-authentication"})
#: Paths authenticated with Basic-Cloud user credentials.
BASIC = frozenset({"/api/login/login"})

__all__ = ["BASIC", "ROUTES", "UNSIGNED", "Call", "Handler"]
