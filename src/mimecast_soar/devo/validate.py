"""The connection test of the bundle: one signed call, each failure naming the field at fault.

The platform shows a validation error beside the connection field it names (`inputId`), so every
failure is mapped to the field a person should look at: a missing or mixed credential to that
credential, a refused signature to the secret key, an expired binding to the access key, a refused
OAuth client to the client secret, an unreachable or wrong host to the base URL or region.
Configuration errors carry the id of the field at fault (`ConfigurationError.field`, set by the
connection schema's checks); a field the form does not show (the Remote Agent, Verify SSL) is
reported at the host field. `connection_problems` never raises: the shim would turn an exception
into a crash of the check.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace

from mimecast_soar.api import RetryPolicy
from mimecast_soar.connection_schema import BASE_URL, REGION, ApiVersion
from mimecast_soar.devo.platform_env import DECLARED_FIELDS, connection_from_env
from mimecast_soar.errors import (
    AuthenticationError,
    BindingExpiredError,
    ConfigurationError,
    MimecastError,
    MimecastSoarError,
)
from mimecast_soar.runtime.connection import Connection

VALIDATION_RETRY = RetryPolicy(max_attempts=2, max_total_seconds=10.0, wait_initial_seconds=0.2)


def form_field(error: ConfigurationError, default: str = REGION.id) -> str:
    """The form field to show `error` beside: its own field when the form has it, else `default`."""
    field = error.field
    return field if field is not None and field in DECLARED_FIELDS else default


def connection_problems(env: Mapping[str, str]) -> list[tuple[str, str]]:
    """`(message, field id)` pairs; empty when the account check succeeds."""
    try:
        connection = connection_from_env(env)
    except ConfigurationError as error:
        return [(error.message, form_field(error))]
    except Exception as error:  # a validator must report, never raise
        return [(f"the connection could not be read ({type(error).__name__})", REGION.id)]
    try:
        asyncio.run(_call_account(connection))
    except MimecastSoarError as error:
        message = connection.redactor()(error.message)
        return [(message, _field_for(error, connection))]
    except Exception as error:
        return [(f"the connection test failed ({type(error).__name__})", _host_field(connection))]
    return []


async def _call_account(connection: Connection) -> None:
    from mimecast_soar.api import MimecastClient
    from mimecast_soar.api.account import check_account

    # A person waits on the connection test: two attempts, a few seconds, then the reason.
    settings = replace(connection.client_settings(), retry=VALIDATION_RETRY)
    async with MimecastClient(settings, redactor=connection.redactor()) as client:
        await check_account(client)


def _field_for(error: MimecastSoarError, connection: Connection) -> str:
    if isinstance(error, ConfigurationError):
        return form_field(error, default=_host_field(connection))
    if isinstance(error, BindingExpiredError):
        return "access_key"
    if isinstance(error, AuthenticationError):
        if connection.api_version is ApiVersion.V2:
            return "client_secret"
        code = (error.code or "").lower()
        if "credentials" in code or "binding" in code or "access" in code:
            return "access_key"
        if "application" in code or "app" in code.split("_"):
            return "application_key"
        return "secret_key"
    if isinstance(error, MimecastError):
        return _host_field(connection)
    return REGION.id


def _host_field(connection: Connection) -> str:
    return BASE_URL.id if connection.base_url else REGION.id
