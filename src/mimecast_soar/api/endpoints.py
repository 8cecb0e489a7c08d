"""Every Mimecast endpoint we call, declared once: its path and whether it changes state.

An action names the endpoints it uses (`ActionSpec.endpoints`) and calls them through its
context, which passes `mutating=endpoint.mutating` to `MimecastClient.call`: the retry safety of
a call comes from this declaration and nowhere else. List endpoints also say where their records
sit (`records_key`, None for the items of ``data`` itself) and the largest page we ask for.

The paths and their request and response shapes are those of Mimecast's endpoint reference
(https://integrations.mimecast.com/documentation/endpoint-reference/).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ACCOUNT",
    "ADD_GROUP_MEMBER",
    "CREATE_BYPASS_POLICY",
    "CREATE_GROUP",
    "CREATE_MANAGED_URL",
    "CREATE_POLICY",
    "DECODE_URL",
    "DELETE_BYPASS_POLICY",
    "DELETE_MANAGED_URL",
    "DELETE_POLICY",
    "ENDPOINTS",
    "FIND_GROUPS",
    "FIND_REMEDIATION_INCIDENTS",
    "GET_ALL_MANAGED_URLS",
    "GET_ARCHIVED_FILE",
    "GET_ARCHIVED_MESSAGE_DETAIL",
    "GET_ARCHIVED_MESSAGE_PART",
    "GET_AUDIT_CATEGORIES",
    "GET_AUDIT_EVENTS",
    "GET_BYPASS_POLICY",
    "GET_GROUP_MEMBERS",
    "GET_HOLD_MESSAGE_LIST",
    "GET_HOLD_SUMMARY_LIST",
    "GET_MESSAGE_INFO",
    "GET_POLICY",
    "GET_REMEDIATION_INCIDENT",
    "HOLD_REJECT",
    "HOLD_RELEASE",
    "MESSAGE_SEARCH",
    "PERMIT_OR_BLOCK_SENDER",
    "REMEDIATION_CREATE",
    "REMOVE_GROUP_MEMBER",
    "SEARCH_FILE_HASH",
    "TTP_ATTACHMENT_LOGS",
    "TTP_IMPERSONATION_LOGS",
    "TTP_URL_LOGS",
    "UPDATE_BYPASS_POLICY",
    "UPDATE_GROUP",
    "Endpoint",
]


@dataclass(frozen=True)
class Endpoint:
    """One Mimecast endpoint (all are ``POST`` with the JSON envelope)."""

    #: The path under the region's host, such as ``/api/gateway/hold-release``.
    path: str
    #: True when a call changes state: a retry may then resend it only if Mimecast surely did
    #: not act (see `mimecast_soar.api.retry`).
    mutating: bool
    #: For a list endpoint: the key of ``data[0]`` holding the records, None for ``data`` itself.
    records_key: str | None = None
    #: For a list endpoint: the largest page we ask for; None when the endpoint is not paged.
    page_size: int | None = None

    def __post_init__(self) -> None:
        if not self.path.startswith("/"):
            raise ValueError(f"an endpoint path starts with '/': {self.path!r}")
        if self.page_size is not None and (self.page_size < 1 or self.mutating):
            raise ValueError(f"{self.path}: only a read-only endpoint is paged, by at least 1")
        if self.records_key is not None and self.page_size is None:
            raise ValueError(f"{self.path}: a records key belongs to a paged endpoint")

    @property
    def paged(self) -> bool:
        """True for a list endpoint read page by page (`ActionContext.paginate`)."""
        return self.page_size is not None


# Account: the cheapest signed call, the connection test.
ACCOUNT = Endpoint("/api/account/get-account", mutating=False)

# Message queues: held messages; records flat in `data[]`.
GET_HOLD_MESSAGE_LIST = Endpoint(
    "/api/gateway/get-hold-message-list", mutating=False, page_size=500
)
GET_HOLD_SUMMARY_LIST = Endpoint("/api/gateway/get-hold-summary-list", mutating=False)
HOLD_RELEASE = Endpoint("/api/gateway/hold-release", mutating=True)
HOLD_REJECT = Endpoint("/api/gateway/hold-reject", mutating=True)

# Message finder (formerly tracking).
MESSAGE_SEARCH = Endpoint("/api/message-finder/search", mutating=False)
GET_MESSAGE_INFO = Endpoint("/api/message-finder/get-message-info", mutating=False)

# Targeted Threat Protection: log feeds wrapped one level down, and URL decoding.
TTP_URL_LOGS = Endpoint(
    "/api/ttp/url/get-logs", mutating=False, records_key="clickLogs", page_size=500
)
TTP_IMPERSONATION_LOGS = Endpoint(
    "/api/ttp/impersonation/get-logs",
    mutating=False,
    records_key="impersonationLogs",
    page_size=500,
)
TTP_ATTACHMENT_LOGS = Endpoint(
    "/api/ttp/attachment/get-logs", mutating=False, records_key="attachmentLogs", page_size=500
)
DECODE_URL = Endpoint("/api/ttp/url/decode-url", mutating=False)

# Directory: groups (`folders`) and their members, wrapped one level down.
FIND_GROUPS = Endpoint(
    "/api/directory/find-groups", mutating=False, records_key="folders", page_size=100
)
GET_GROUP_MEMBERS = Endpoint(
    "/api/directory/get-group-members", mutating=False, records_key="groupMembers", page_size=100
)
ADD_GROUP_MEMBER = Endpoint("/api/directory/add-group-member", mutating=True)
REMOVE_GROUP_MEMBER = Endpoint("/api/directory/remove-group-member", mutating=True)

# Policies: blocked-sender policies and managed (permitted or blocked) senders.
CREATE_POLICY = Endpoint("/api/policy/blockedsenders/create-policy", mutating=True)
# Get-policy documents no paging, but an answer that offers `next` is followed (Get Policy); the
# v2 reference allows up to 500 items.
GET_POLICY = Endpoint("/api/policy/blockedsenders/get-policy", mutating=False, page_size=500)
DELETE_POLICY = Endpoint("/api/policy/blockedsenders/delete-policy", mutating=True)
PERMIT_OR_BLOCK_SENDER = Endpoint("/api/managedsender/permit-or-block-sender", mutating=True)

# Directory groups: create and update (rename, move); docs/mimecast-api.md §12.5.
CREATE_GROUP = Endpoint("/api/directory/create-group", mutating=True)
UPDATE_GROUP = Endpoint("/api/directory/update-group", mutating=True)

# Audit: events (records flat in `data[]`, paged) and the category codes; §12.6.
GET_AUDIT_EVENTS = Endpoint("/api/audit/get-audit-events", mutating=False, page_size=500)
GET_AUDIT_CATEGORIES = Endpoint("/api/audit/get-categories", mutating=False)

# Anti-spoofing SPF-based bypass policies; get-policy is paged (§12.4).
CREATE_BYPASS_POLICY = Endpoint("/api/policy/antispoofing-bypass/create-policy", mutating=True)
GET_BYPASS_POLICY = Endpoint(
    "/api/policy/antispoofing-bypass/get-policy", mutating=False, page_size=100
)
UPDATE_BYPASS_POLICY = Endpoint("/api/policy/antispoofing-bypass/update-policy", mutating=True)
DELETE_BYPASS_POLICY = Endpoint("/api/policy/antispoofing-bypass/delete-policy", mutating=True)

# Archive forensics (§12.7): the detail is JSON; a message part and a file answer the raw bytes
# (a failure answers the JSON envelope), read with `MimecastClient.download`.
GET_ARCHIVED_MESSAGE_DETAIL = Endpoint("/api/archive/get-message-detail", mutating=False)
GET_ARCHIVED_MESSAGE_PART = Endpoint("/api/archive/get-message-part", mutating=False)
GET_ARCHIVED_FILE = Endpoint("/api/archive/get-file", mutating=False)

# Threat remediation (docs/mimecast-api.md §12.1): incidents that pull delivered mail out of
# mailboxes, and the one-year file-hash lookup. find-incidents answers `data[0].incidents[]` or a
# flat `data[]` (sources disagree), so its records are read as `data` items and unwrapped by the
# action.
REMEDIATION_CREATE = Endpoint("/api/ttp/remediation/create", mutating=True)
GET_REMEDIATION_INCIDENT = Endpoint("/api/ttp/remediation/get-incident", mutating=False)
FIND_REMEDIATION_INCIDENTS = Endpoint(
    "/api/ttp/remediation/find-incidents", mutating=False, page_size=100
)
SEARCH_FILE_HASH = Endpoint("/api/ttp/remediation/search-hash", mutating=False)

# Managed URLs of URL Protect (§12.2): block or permit entries; the list is flat in `data[]`.
CREATE_MANAGED_URL = Endpoint("/api/ttp/url/create-managed-url", mutating=True)
GET_ALL_MANAGED_URLS = Endpoint("/api/ttp/url/get-all-managed-urls", mutating=False, page_size=100)
DELETE_MANAGED_URL = Endpoint("/api/ttp/url/delete-managed-url", mutating=True)

#: Every endpoint above, in declaration order (collected, so no second list to keep).
ENDPOINTS: tuple[Endpoint, ...] = tuple(
    value for value in tuple(globals().values()) if isinstance(value, Endpoint)
)
