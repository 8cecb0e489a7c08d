"""The account check: the one cheap signed call that proves a connection works.

`POST /api/account/get-account` with empty data answers with the account's name and code
(https://integrations.mimecast.com/documentation/endpoint-reference/account/get-account/). The
connection test of the command line and of the platform bundle both make this call; neither
names the path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mimecast_soar.api.endpoints import ACCOUNT

if TYPE_CHECKING:
    from mimecast_soar.api.client import MimecastClient


@dataclass(frozen=True)
class Account:
    """What the account check learned: the account's name and code (empty when not given)."""

    name: str
    code: str

    def describe(self) -> str:
        """``Acme (C0A0)``, or only the name when Mimecast gave no code."""
        return self.name + (f" ({self.code})" if self.code else "")


async def check_account(client: MimecastClient) -> Account:
    """Call the account endpoint; raise the client's typed errors, or `RequestFailedError`."""
    response = await client.call(ACCOUNT.path, [], mutating=ACCOUNT.mutating)
    response.raise_for_failures(ACCOUNT.path)
    first: Any = response.data[0] if response.data else {}
    account = first if isinstance(first, dict) else {}
    return Account(
        name=str(account.get("accountName") or "unnamed account"),
        code=str(account.get("accountCode") or ""),
    )
