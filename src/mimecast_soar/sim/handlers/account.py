"""Account and login endpoints: get-account, discover-authentication, login.

[authn] https://www.mimecast.com/tech-connect/documentation/api-overview/authentication-and-authorization/
discover-authentication needs only the x-mc-app-id/date/req-id headers; login takes
`Authorization: Basic-Cloud base64(email:password)` and returns the binding's access and secret
keys (docs/mimecast-api.md §2). The response field naming the region is not captured in our
sources; the simulator answers `region: {"code", "api"}` with its own base URL.
"""

from __future__ import annotations

from mimecast_soar.sim import seeding as sd
from mimecast_soar.sim.handlers.base import Call, per_item, required_text, valid_email
from mimecast_soar.sim.state import SimState
from mimecast_soar.sim.wire import Envelope, ItemError, JsonDict


def get_account(sim: SimState, call: Call) -> Envelope:
    """POST /api/account/get-account: `data[0]` describes the account."""
    config = sim.config
    account = {
        "accountName": "Example Corp (Mimecast simulator)",
        "accountCode": config.account_code,
        "region": config.region,
        "mimecastId": sd.stable_uuid(config.seed, "mimecast-id"),
        "domain": sd.INTERNAL_DOMAIN,
        "adminEmail": config.login_email,
        "contactEmail": f"it-support@{sd.INTERNAL_DOMAIN}",
        "contactName": "IT Support",
        "telephone": "+1 555 0100",
        "type": "full",
        "gateway": True,
        "archive": True,
        "maxRetention": 3650,
        "maxRetentionConfirmed": True,
        "minRetentionEnabled": False,
        "automatedSegmentPurge": True,
        "policyInheritance": False,
        "userCount": 420,
        "packages": [
            "Email Security Cloud Gateway - Advanced",
            "Targeted Threat Protection - URL Protect",
            "Targeted Threat Protection - Impersonation Protect",
            "Targeted Threat Protection - Attachment Protect",
        ],
        "supportCode": "SIM" + str(config.seed).zfill(4),
    }
    return Envelope(data=[account])


def discover_authentication(sim: SimState, call: Call) -> Envelope:
    """POST /api/login/discover-authentication: auth types and region for an address."""

    def discover(item: JsonDict) -> list[JsonDict]:
        email = valid_email(required_text(item, "emailAddress"), "emailAddress")
        return [
            {
                "emailAddress": email,
                "emailToken": sd.secure_id(sim.config.seed, "email-token", email),
                "authenticate": ["cloud"],
                "region": {"code": sim.config.region, "api": call.base_url},
            }
        ]

    return per_item(call, discover)


def login(sim: SimState, call: Call) -> Envelope:
    """POST /api/login/login: the access and secret keys of the seeded binding.

    Sending the current `accessKey` refreshes the binding (clears the expired switch).
    """

    def bind(item: JsonDict) -> list[JsonDict]:
        user = required_text(item, "userName")
        if user.lower() != sim.config.login_email.lower():
            raise ItemError(
                "err_xdk_user_mismatch", "userName does not match the credentials", field="userName"
            )
        if item.get("accessKey") not in (None, ""):
            if item["accessKey"] != sim.config.access_key:
                raise ItemError(
                    "err_xdk_invalid_access_key", "Unknown accessKey", field="accessKey"
                )
            sim.binding_expired = False
        return [
            {
                "accessKey": sim.config.access_key,
                "secretKey": sim.config.secret_key,
                "username": sim.config.login_email,
                "bindingType": "one_step",
                "duration": 43200000,
                "extendOnValidate": True,
                "lastUserToken": "",
            }
        ]

    return per_item(call, bind)
