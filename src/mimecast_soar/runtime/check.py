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


async def check_connection(connection: Connection) -> tuple[bool, str]:
    """`(True, description)` when the account check succeeds, else the reason."""
    from mimecast_soar.api import MimecastClient
    from mimecast_soar.api.account import check_account

    settings = connection.client_settings()
    redactor = connection.redactor()
    try:
        async with MimecastClient(settings, redactor=redactor) as client:
            account = await check_account(client)
            return True, (
                f"connected: {account.describe()} at {client.base_url} "
                f"with API {connection.api_version}"
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
