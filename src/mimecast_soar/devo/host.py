"""One event loop and one `MimecastClient` for the whole process, for the SDK's per-row calls.

The SDK's shim calls a bundle function once per row, synchronously, in one thread. Opening a
client (and a TCP/TLS connection, and an OAuth token) per row would be slow and would hammer the
Remote Agent, so `ClientHost` keeps an asyncio loop running in a daemon thread and one client
living in it; each row submits its coroutine to that loop and waits for the result. Connections,
the rate gate and the OAuth token are thereby shared by every row of the process.

A host is keyed by the connection it serves: a different key (which the shim never produces)
replaces the client. `close()` shuts the client and the loop; it is registered with `atexit`.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

from mimecast_soar.api import MimecastClient

_T = TypeVar("_T")

#: How long `close()` waits for the client to shut its connections.
CLOSE_TIMEOUT_SECONDS = 5.0


class ClientHost:
    """A background event loop holding one client; `run` executes coroutines against it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client: MimecastClient | None = None
        self._key: Hashable = None
        self._exit_hook = False
        #: Why the current client's run stopped (bad credentials...): later rows are not sent.
        self.fatal: str | None = None

    @property
    def client(self) -> MimecastClient | None:
        """The current client, if one was made."""
        return self._client

    def run(
        self,
        key: Hashable,
        make_client: Callable[[], MimecastClient],
        work: Callable[[MimecastClient], Awaitable[_T]],
    ) -> _T:
        """Run `work(client)` in the loop and return its result (its exception propagates).

        The client is made by `make_client` inside the loop on first use, and again when `key`
        differs from the previous call's.
        """
        with self._lock:
            loop = self._ensure_loop()
            if self._client is None or key != self._key:
                old, self._client = self._client, None
                if old is not None:
                    asyncio.run_coroutine_threadsafe(old.aclose(), loop).result()
                self._client = asyncio.run_coroutine_threadsafe(_made(make_client), loop).result()
                self._key = key
                self.fatal = None
            client = self._client

        async def job() -> _T:
            return await work(client)

        return asyncio.run_coroutine_threadsafe(job(), loop).result()

    def close(self) -> None:
        """Close the client and stop the loop (idempotent)."""
        with self._lock:
            loop, thread, client = self._loop, self._thread, self._client
            self._loop = self._thread = self._client = None
            self._key = None
        if loop is None:
            return
        if client is not None:
            try:
                future = asyncio.run_coroutine_threadsafe(client.aclose(), loop)
                future.result(timeout=CLOSE_TIMEOUT_SECONDS)
            except Exception:  # noqa: S110 - closing at exit must not fail the process
                pass
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout=CLOSE_TIMEOUT_SECONDS)
        if not loop.is_running():
            loop.close()

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is not None:
            return self._loop
        loop = asyncio.new_event_loop()
        thread = threading.Thread(
            target=_serve, args=(loop,), name="mimecast-soar-client", daemon=True
        )
        thread.start()
        self._loop, self._thread = loop, thread
        if not self._exit_hook:
            atexit.register(self.close)
            self._exit_hook = True
        return loop


async def _made(make_client: Callable[[], MimecastClient]) -> MimecastClient:
    return make_client()


def _serve(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    loop.run_forever()
