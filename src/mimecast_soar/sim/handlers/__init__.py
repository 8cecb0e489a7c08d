"""The endpoint registry: Mimecast path -> handler (all POST, JSON envelope in and out)."""

from __future__ import annotations

from mimecast_soar.sim.handlers import account, directory, finder, gateway, policies, ttp
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
}

#: Paths that take no Authorization header (only x-mc-app-id, x-mc-date, x-mc-req-id).
UNSIGNED = frozenset({"/api/login/discover-authentication"})
#: Paths authenticated with Basic-Cloud user credentials.
BASIC = frozenset({"/api/login/login"})

__all__ = ["BASIC", "ROUTES", "UNSIGNED", "Call", "Handler"]
