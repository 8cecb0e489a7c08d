"""Testing a connection: one cheap signed call, a precise reason when it fails."""

from __future__ import annotations

from mimecast_soar.errors import (
    AuthenticationError,
    BindingExpiredError,
    ConnectError,
    MimecastSoarError,
    TLSError,
)
from mimecast_soar.runtime.connection import Connection

ACCOUNT_PATH = "/api/account/get-account"


async def check_connection(connection: Connection) -> tuple[bool, str]:
    """`(True, description)` when `POST /api/account/get-account` succeeds, else the reason."""
    from mimecast_soar.api import MimecastClient

    settings = connection.client_settings()
    redactor = connection.redactor()
    try:
        async with MimecastClient(settings, redactor=redactor) as client:
            response = await client.call(ACCOUNT_PATH, [], mutating=False)
            response.raise_for_failures(ACCOUNT_PATH)
            account = (
                response.data[0] if response.data and isinstance(response.data[0], dict) else {}
            )
            name = account.get("accountName", "unnamed account")
            code = account.get("accountCode", "")
            version = "API 2.0" if connection.api_version == 2 else "API 1.0"
            return True, (
                f"connected: {name}"
                + (f" ({code})" if code else "")
                + f" at {client.base_url} with {version}"
            )
    except BindingExpiredError as error:
        return False, redactor(f"binding expired: {error.message}")
    except AuthenticationError as error:
        return False, redactor(f"authentication failed: {error.message}")
    except TLSError as error:
        return False, redactor(f"TLS failure: {error.message}")
    except ConnectError as error:
        return False, redactor(f"unreachable: {error.message}")
    except MimecastSoarError as error:
        return False, redactor(error.message)
