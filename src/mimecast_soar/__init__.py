"""mimecast-soar: Mimecast automation for security teams.

The curated API: `Connection` (load one with `load_connection`), `MimecastClient`,
`run_action`, the action registry (`ACTIONS`, `get_action`) and the error types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "ACTIONS",
    "AuthenticationError",
    "BindingExpiredError",
    "ConfigurationError",
    "Connection",
    "InvalidInputError",
    "MimecastClient",
    "MimecastError",
    "MimecastSoarError",
    "RateLimitedError",
    "Secret",
    "__version__",
    "get_action",
    "load_connection",
    "run_action",
]

# Imported on first use so `mimecast-soar --help` stays fast.
_LAZY = {
    "ACTIONS": "mimecast_soar.actions",
    "get_action": "mimecast_soar.actions",
    "Connection": "mimecast_soar.runtime.connection",
    "load_connection": "mimecast_soar.runtime.connection",
    "run_action": "mimecast_soar.runtime.session",
    "MimecastClient": "mimecast_soar.api",
    "Secret": "mimecast_soar.secret",
    "AuthenticationError": "mimecast_soar.errors",
    "BindingExpiredError": "mimecast_soar.errors",
    "ConfigurationError": "mimecast_soar.errors",
    "InvalidInputError": "mimecast_soar.errors",
    "MimecastError": "mimecast_soar.errors",
    "MimecastSoarError": "mimecast_soar.errors",
    "RateLimitedError": "mimecast_soar.errors",
}

if TYPE_CHECKING:
    from mimecast_soar.actions import ACTIONS, get_action
    from mimecast_soar.api import MimecastClient
    from mimecast_soar.errors import (
        AuthenticationError,
        BindingExpiredError,
        ConfigurationError,
        InvalidInputError,
        MimecastError,
        MimecastSoarError,
        RateLimitedError,
    )
    from mimecast_soar.runtime.connection import Connection, load_connection
    from mimecast_soar.runtime.session import run_action
    from mimecast_soar.secret import Secret


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'mimecast_soar' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
