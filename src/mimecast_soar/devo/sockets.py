"""Undoing the platform SDK's process-wide SOCKS patch, so our own SOCKS client can work.

When `socks_proxy` is set, importing `lhub_integ` replaces `socket.socket` with PySocks'
`socksocket` and `socket.getaddrinfo` with a stub that returns the unresolved name as the
address. An asyncio client (aiohttp's connector) then fails, for the proxy's own address
included. The SDK's `remove_socket_override()` restores `socket.socket` only, so the stub stays;
`restore_sockets` calls it and puts back a real `getaddrinfo` too. Our client then reaches the
Remote Agent through `aiohttp_socks` (`socks5://`), which sends host *names* to the proxy:
names are resolved at the proxy, as the platform requires.
"""

from __future__ import annotations

import _socket
import socket
from collections.abc import Callable
from typing import Any

_Address = tuple[Any, ...]
_AddrInfo = list[tuple[socket.AddressFamily | int, socket.SocketKind | int, int, str, _Address]]


def _is_stdlib(value: object) -> bool:
    return getattr(value, "__module__", None) == "socket"


def _system_getaddrinfo(
    host: bytes | str | None,
    port: bytes | str | int | None,
    family: int = 0,
    type: int = 0,
    proto: int = 0,
    flags: int = 0,
) -> _AddrInfo:
    """`socket.getaddrinfo` as the standard library defines it: `_socket`'s, with enum members."""
    results: _AddrInfo = []
    for af, kind, protocol, canonname, address in _socket.getaddrinfo(
        host, port, family, type, proto, flags
    ):
        results.append(
            (
                _enum(socket.AddressFamily, af),
                _enum(socket.SocketKind, kind),
                protocol,
                canonname,
                address,
            )
        )
    return results


def _enum(kind: Any, value: int) -> Any:
    try:
        return kind(value)
    except ValueError:
        return value


# When this module is imported before the SDK patched anything, keep the genuine function.
_ORIGINAL_GETADDRINFO: Callable[..., Any] = (
    socket.getaddrinfo if _is_stdlib(socket.getaddrinfo) else _system_getaddrinfo
)


def _genuine_getaddrinfo() -> bool:
    return socket.getaddrinfo is _ORIGINAL_GETADDRINFO or _is_stdlib(socket.getaddrinfo)


def sockets_patched() -> bool:
    """True while `socket.socket` or `socket.getaddrinfo` is not the standard library's."""
    return not (_is_stdlib(socket.socket) and _genuine_getaddrinfo())


def restore_sockets(remove_socket_override: Callable[[], None] | None = None) -> bool:
    """Undo the SDK's patch (its own `remove_socket_override` first); True if anything changed."""
    if not sockets_patched():
        return False
    if remove_socket_override is not None:
        remove_socket_override()
    if not _is_stdlib(socket.socket):
        socket.socket = _socket_class()  # type: ignore[misc]
    if not _genuine_getaddrinfo():
        socket.getaddrinfo = _ORIGINAL_GETADDRINFO
    return True


def _socket_class() -> type[socket.socket]:
    """The standard library's socket class, found through the SOCKS class's bases."""
    current: type[Any] = socket.socket
    for base in current.__mro__:
        if _is_stdlib(base) and base.__name__ == "socket":
            return base
    raise RuntimeError("cannot find the standard library's socket class to restore")
