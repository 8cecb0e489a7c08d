"""The two kinds of Mimecast credentials, kept as `Secret` values.

API 1.0 (HMAC signing, regional hosts) needs four values: the application id and key identify the
registered application, the access key and secret key are a user's "binding". API 2.0 (OAuth 2
client credentials) needs a client id and a client secret. See docs/mimecast-api.md §2 and §3.

The classes only hold values; signing lives in `auth_hmac`, token handling in `auth_oauth`.
Plain strings given for a secret field are wrapped in `Secret` on construction, so a caller that
forgets the wrapper still cannot leak the value through `repr`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TypeAlias

from mimecast_soar.connection_schema import ApiVersion
from mimecast_soar.secret import Secret

__all__ = ["Api1Credentials", "Api2Credentials", "Credentials", "api_version", "secrets_of"]


def _wrap_secrets(instance: object, names: tuple[str, ...]) -> None:
    for name in names:
        value = getattr(instance, name)
        if not isinstance(value, Secret):
            # Frozen dataclass: __post_init__ may only set attributes through object.__setattr__.
            object.__setattr__(instance, name, Secret(value))


@dataclass(frozen=True)
class Api1Credentials:
    """API 1.0 keys: the application (id, key) and the user binding (access key, secret key).

    `secret_key` is the base64 text Mimecast shows; it is decoded when signing.
    """

    application_id: str
    application_key: Secret
    access_key: Secret
    secret_key: Secret

    def __post_init__(self) -> None:
        _wrap_secrets(self, ("application_key", "access_key", "secret_key"))


@dataclass(frozen=True)
class Api2Credentials:
    """API 2.0 OAuth 2 client credentials (Integrations Hub > "Mimecast API 2.0")."""

    client_id: str
    client_secret: Secret

    def __post_init__(self) -> None:
        _wrap_secrets(self, ("client_secret",))


Credentials: TypeAlias = Api1Credentials | Api2Credentials


def api_version(credentials: Credentials) -> ApiVersion:
    """`ApiVersion.V1` ("1.0") for HMAC keys, `ApiVersion.V2` ("2.0") for OAuth client ones."""
    return ApiVersion.V1 if isinstance(credentials, Api1Credentials) else ApiVersion.V2


def secrets_of(credentials: Credentials) -> list[Secret]:
    """Every `Secret` field of `credentials`, for registering with a `Redactor`."""
    values = (getattr(credentials, f.name) for f in fields(credentials))
    return [v for v in values if isinstance(v, Secret)]
