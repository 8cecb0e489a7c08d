"""A hostile HTTP server on raw loopback sockets: it reads a request and writes scripted bytes.

Well-kept servers (uvicorn, aiohttp's test server) cannot send what a hostile or broken server
sends: NUL bytes in headers, a chunk size with spaces, two framings at once, a 101 before the
answer, a decompression bomb. This one writes whatever bytes a `Script` gives it, so the client
can be tested against exactly those bytes.

    async with HostileServer(send(b"HTTP/1.1 101 Switching Protocols\\r\\n\\r\\n...")) as server:
        ...  # point the client at server.url
    server.requests, server.connections

A `Script` is called once per request with the request's number (1-based) and the connection's
writer; it writes the answer and returns True to keep the connection open for another request
(keep-alive), False to close it. `stall_after` writes bytes and then never writes again; the
stalled handler is cancelled when the server closes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self

__all__ = ["HostileServer", "Script", "send", "stall_after"]

Script = Callable[[int, asyncio.StreamWriter], Awaitable[bool]]

_MAX_REQUEST_HEAD = 64 * 1024


def send(*answers: bytes, keep_alive: bool = False) -> Script:
    """Answer request n with ``answers[n-1]`` (the last one repeats), then close unless told."""

    async def script(number: int, writer: asyncio.StreamWriter) -> bool:
        writer.write(answers[min(number, len(answers)) - 1])
        await writer.drain()
        return keep_alive

    return script


def stall_after(head: bytes) -> Script:
    """Write `head` (say, a status line and headers) and then nothing, ever."""

    async def script(_number: int, writer: asyncio.StreamWriter) -> bool:
        writer.write(head)
        await writer.drain()
        await asyncio.Event().wait()  # until the server closes and cancels this handler
        return False

    return script


class HostileServer:
    """A loopback server on an ephemeral port that answers every request with its `Script`.

    Counts what it saw: `requests` (complete request heads read), `connections` accepted, and
    `connection_of` (the connection number of each request, in order), so a test can tell
    whether the client reused a connection.
    """

    def __init__(self, script: Script, *, host: str = "127.0.0.1") -> None:
        self._script = script
        self._host = host
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self.port = 0
        self.requests = 0
        self.connections = 0
        self.connection_of: list[int] = []

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, a base URL for the client."""
        return f"http://{self._host}:{self.port}"

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(
            self._handle, self._host, 0, limit=_MAX_REQUEST_HEAD
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop listening and cancel every handler still running (stalled ones included)."""
        if self._server is not None:
            self._server.close()
        for task in list(self._handlers):
            task.cancel()
        if self._handlers:
            await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self.connections += 1
        connection = self.connections
        try:
            while await _read_request(reader):
                self.requests += 1
                self.connection_of.append(connection)
                if not await self._script(self.requests, writer):
                    break
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client hung up: that is its right
        except asyncio.CancelledError:
            # `aclose` cancels handlers it owns; ending normally keeps asyncio's stream callback
            # (which asks a finished handler for its exception) from logging the cancellation.
            pass
        finally:
            self._handlers.discard(task)
            writer.close()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await writer.wait_closed()


async def _read_request(reader: asyncio.StreamReader) -> bool:
    """Read one request (head, then a ``Content-Length`` body); False at a clean end of stream."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise
        return False
    length = 0
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    await reader.readexactly(length)
    return True
