"""A minimal SOCKS5 proxy on loopback for tests: CONNECT only, no authentication.

It stands in for the platform's Remote Agent. It counts the client connections it accepted and
records the host each CONNECT asked for, as sent: a domain name when the client left name
resolution to the proxy (SOCKS5 address type 3), an IP address text otherwise. It runs an asyncio
loop in a daemon thread, binds an ephemeral port, and only ever connects to loopback targets.

    with Socks5Server() as proxy:
        proxy.url            # "socks5://127.0.0.1:PORT"
        proxy.connections    # accepted client connections
        proxy.hosts          # requested hosts, in order
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import struct
import threading
from types import TracebackType

_VERSION = 5
_NO_AUTH = 0
_CONNECT = 1
_IPV4, _DOMAIN, _IPV6 = 1, 3, 4
_LOOPBACK_NAMES = {"localhost"}


class Socks5Server:
    """A SOCKS5 CONNECT proxy in a background thread (a context manager)."""

    def __init__(self) -> None:
        self.connections = 0
        self.hosts: list[str] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._port = 0

    @property
    def url(self) -> str:
        """The proxy URL a client takes (`socks5://127.0.0.1:PORT`)."""
        return f"socks5://127.0.0.1:{self._port}"

    def reset(self) -> None:
        """Forget the counted connections and hosts."""
        with self._lock:
            self.connections = 0
            self.hosts.clear()

    def __enter__(self) -> Socks5Server:
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", 0, family=socket.AF_INET)
            )
            self._port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name="socks5-proxy", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the SOCKS5 proxy did not start")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self.connections += 1
        upstream: asyncio.StreamWriter | None = None
        try:
            version, count = await reader.readexactly(2)
            methods = await reader.readexactly(count)
            if version != _VERSION or _NO_AUTH not in methods:
                writer.write(bytes([_VERSION, 0xFF]))
                return
            writer.write(bytes([_VERSION, _NO_AUTH]))
            version, command, _reserved, kind = await reader.readexactly(4)
            host = await self._read_host(reader, kind)
            (port,) = struct.unpack("!H", await reader.readexactly(2))
            with self._lock:
                self.hosts.append(host)
            if command != _CONNECT or not _is_loopback(host):
                writer.write(bytes([_VERSION, 2, 0, _IPV4, 0, 0, 0, 0, 0, 0]))
                return
            try:
                up_reader, upstream = await asyncio.open_connection(host, port)
            except OSError:
                writer.write(bytes([_VERSION, 5, 0, _IPV4, 0, 0, 0, 0, 0, 0]))
                return
            writer.write(bytes([_VERSION, 0, 0, _IPV4, 127, 0, 0, 1, 0, 0]))
            await writer.drain()
            await asyncio.gather(_pipe(reader, upstream), _pipe(up_reader, writer))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            for stream in (upstream, writer):
                if stream is not None:
                    stream.close()

    @staticmethod
    async def _read_host(reader: asyncio.StreamReader, kind: int) -> str:
        if kind == _IPV4:
            return str(ipaddress.IPv4Address(await reader.readexactly(4)))
        if kind == _IPV6:
            return str(ipaddress.IPv6Address(await reader.readexactly(16)))
        (length,) = await reader.readexactly(1)
        return (await reader.readexactly(length)).decode("idna")


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        if writer.can_write_eof():
            with contextlib.suppress(OSError):
                writer.write_eof()
