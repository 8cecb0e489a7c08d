"""Running the simulator: `SimServer` (background thread, ephemeral port), `serve` (the CLI's
blocking `mimecast-soar sim`), and `write_connection_file` (a flat TOML connection file).

The listening socket is bound before uvicorn starts, so the port is known at once and never
races another process. uvicorn serves it with the httptools parser on the uvloop event loop when
both are installed (project dependencies: together they cost the simulator about a third less CPU
per request than h11 on asyncio, and benchmarks should measure the client, not the simulator);
without them it falls back to h11 and the asyncio loop, which behave the same. The drop faults
abort the TCP transport of either protocol.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette

from mimecast_soar.sim.app import create_app
from mimecast_soar.sim.config import SimConfig

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class SimStartError(Exception):
    """The simulator could not start: a port in use, a connection file that cannot be written.

    Its text is one line naming the port or path.
    """


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(
        family, socket.SOCK_STREAM, socket.IPPROTO_TCP
    )  # proto: asyncio sets NODELAY
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def uvicorn_protocols() -> tuple[str, str]:
    """uvicorn's (`http`, `loop`) settings: ("httptools", "uvloop") when they import, else
    ("h11", "asyncio"), which ship with uvicorn and Python (uvloop does not exist on Windows).

    Chosen here rather than with uvicorn's "auto" so the fallback is ours and tested, and each
    half falls back on its own.
    """
    http = "httptools" if _importable("httptools") else "h11"
    loop = "uvloop" if _importable("uvloop") else "asyncio"
    return http, loop


def _uvicorn_config(
    app: Starlette, host: str, port: int, certfile: str | None, keyfile: str | None, log_level: str
) -> uvicorn.Config:
    http, loop = uvicorn_protocols()
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=http,
        loop=loop,
        lifespan="off",
        # Nothing stands in front of the simulator: skip uvicorn's X-Forwarded-* middleware,
        # one more layer on every request.
        proxy_headers=False,
        log_level=log_level,
        access_log=False,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        timeout_graceful_shutdown=2,
    )


def connection_for(config: SimConfig, base_url: str, api_version: int = 1) -> dict[str, str]:
    """The flat connection dict a client needs to reach a simulator at `base_url`."""
    if api_version == 1:
        keys: tuple[str, ...] = ("application_id", "application_key", "access_key", "secret_key")
    elif api_version == 2:
        keys = ("client_id", "client_secret")
    else:
        raise ValueError("api_version must be 1 or 2")
    return {"base_url": base_url, **{key: str(getattr(config, key)) for key in keys}}


class SimServer:
    """The simulator on a real loopback port, in a background thread (a context manager).

    >>> with SimServer(SimConfig(seed=7)) as server:
    ...     conn = server.connection()          # base_url + the API 1.0 keys
    """

    def __init__(
        self,
        config: SimConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
    ) -> None:
        self.config = config or SimConfig()
        self.app = create_app(self.config)
        self.host = host
        self._port = port
        self._ssl = (ssl_certfile, ssl_keyfile)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` (https when TLS files were given)."""
        if self._socket is None:
            raise RuntimeError("the simulator is not running")
        port = self._socket.getsockname()[1]
        scheme = "https" if self._ssl[0] else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{port}"

    def connection(self, api_version: int = 1) -> dict[str, str]:
        """A flat connection dict (plain strings) for API 1.0 (default) or API 2.0."""
        return connection_for(self.config, self.base_url, api_version)

    def start(self) -> SimServer:
        """Start serving; returns once the server accepts connections."""
        self._socket = _bind(self.host, self._port)
        config = _uvicorn_config(self.app, self.host, self._port, *self._ssl, log_level="warning")
        self._server = uvicorn.Server(config)
        sockets = [self._socket]
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": sockets}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the simulator did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = None

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def write_connection_file(path: str | Path, connection: dict[str, Any]) -> None:
    """Write a flat TOML connection file (strings and booleans).

    It holds credentials: a new file is created 0600 whatever the umask, and a symbolic link is
    not followed (`OSError` with ELOOP).
    """
    lines = ["# Mimecast simulator connection (generated by mimecast-soar sim)"]
    for key, value in connection.items():
        name = key if _BARE_KEY.match(key) else json.dumps(key)
        lines.append(f"{name} = {_toml_value(value)}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def serve(
    config: SimConfig,
    host: str = "127.0.0.1",
    port: int = 8089,
    write_connection: str | None = None,
    *,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    api_version: int = 1,
) -> None:
    """Run the simulator in the foreground until Ctrl-C (the CLI's `mimecast-soar sim`).

    Raises `SimStartError` when the port cannot be bound or the connection file not written.
    """
    app = create_app(config)
    try:
        sock = _bind(host, port)
    except (OSError, OverflowError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise SimStartError(f"cannot listen on {host}:{port}: {reason}") from None
    bound = sock.getsockname()[1]
    scheme = "https" if ssl_certfile else "http"
    base_url = f"{scheme}://{f'[{host}]' if ':' in host else host}:{bound}"
    where = "not written"
    if write_connection:
        try:
            write_connection_file(write_connection, connection_for(config, base_url, api_version))
        except OSError as error:
            sock.close()
            reason = error.strerror or str(error)
            raise SimStartError(
                f"cannot write the connection file {write_connection}: {reason}"
            ) from None
        where = f"written to {write_connection}"
    print(
        f"Mimecast simulator listening on {base_url} (connection file {where}); Ctrl-C stops it",
        flush=True,
    )
    server = uvicorn.Server(_uvicorn_config(app, host, bound, ssl_certfile, ssl_keyfile, "warning"))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it already handled gracefully
        pass
    finally:
        sock.close()
