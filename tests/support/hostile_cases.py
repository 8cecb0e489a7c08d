"""What a hostile server sends, and running the client against it: shared by tests and campaign.

`tests/api/test_hostile_server.py` asserts the decided behaviour for each answer built here;
`make reliability` runs `CASES` and writes what the client did into docs/reliability.md. Both
drive the client through its public API only (`MimecastClient.call`), so they hold for any HTTP
stack underneath.

`observe` runs one call against a `HostileServer` and returns an `Observation`: the answer or
the typed error, the requests and connections the server saw, whether a bystander server named
in a redirect was reached, the time taken, and (for cases run in a child process) the child's
peak resident set size.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from tests.support.hostile import HostileServer, Script, send, stall_after

from mimecast_soar.api import Api1Credentials, ClientSettings, MimecastClient, RetryPolicy
from mimecast_soar.errors import MimecastError
from mimecast_soar.secret import Secret

ROOT = Path(__file__).resolve().parents[2]
PATH = "/api/account/get-account"
MIB = 1024 * 1024
#: The body cap the bomb cases set (`ClientSettings.max_body_bytes`); small so that the memory
#: margin (cap + 150 MiB) is generous.
SMALL_CAP = 8 * MIB
#: Allowed peak resident set of the child process above the body cap.
RSS_MARGIN = 150 * MIB
#: The child's address space limit: a safety belt so a client that inflates the bomb whole fails
#: with MemoryError instead of taking gigabytes from a shared machine.
CHILD_ADDRESS_SPACE = 4 * 1024 * MIB

CREDENTIALS = Api1Credentials(
    application_id="hostile-app",
    application_key=Secret("hostile-application-key"),
    access_key=Secret("hostile-access-key"),
    secret_key=Secret("aG9zdGlsZS1zZWNyZXQta2V5LWJ5dGVzLTAxMjM0NTY3ODk="),
)
#: Retries on, without waits: a read may retry, and the server counts every attempt.
RETRY = RetryPolicy(
    max_attempts=3, wait_initial_seconds=0.0, wait_max_seconds=0.0, wait_jitter_seconds=0.0
)


def envelope(name: str = "Hostile") -> bytes:
    """A valid Mimecast body whose one record names `name`, to tell which answer was taken."""
    return orjson.dumps({"meta": {"status": 200}, "data": [{"accountName": name}], "fail": []})


def answer(
    body: bytes = b"",
    *,
    status: bytes = b"HTTP/1.1 200 OK",
    headers: tuple[bytes, ...] = (),
    length: bool = True,
) -> bytes:
    """A response as raw bytes: status line, ``Content-Type``, `headers`, a length, `body`."""
    lines = [status, b"Content-Type: application/json", *headers]
    if length:
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def chunked(body: bytes, size_suffix: bytes = b"") -> bytes:
    """`body` as one chunk (its size line ending in `size_suffix`) and the last chunk."""
    return b"%x%s\r\n%s\r\n0\r\n\r\n" % (len(body), size_suffix, body)


@functools.cache
def gzip_bomb(decoded_bytes: int = 1024 * MIB) -> bytes:
    """Gzip of `decoded_bytes` zero bytes (1 GiB: about 1 MB), made once per process."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MIB)
    parts = [compressor.compress(zeros) for _ in range(decoded_bytes // MIB)]
    parts.append(compressor.flush())
    return b"".join(parts)


@functools.cache
def double_gzip_bomb() -> bytes:
    """The 1 GiB gzip bomb gzipped again: about 1.8 KB for ``Content-Encoding: gzip, gzip``."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    return compressor.compress(gzip_bomb()) + compressor.flush()


def endless_headers() -> Script:
    """A 200 status line, then 100-byte header lines until the client hangs up (or 256 MiB)."""

    async def script(_number: int, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\n")
        block = b"".join(b"X-Filler-%06d: %s\r\n" % (i, b"f" * 80) for i in range(1000))
        for _ in range(256 * MIB // len(block)):
            writer.write(block)
            await writer.drain()
        return False

    return script


@dataclass
class Observation:
    """What the client did against one hostile answer."""

    data: list[Any] | None = None
    error_type: str | None = None
    message: str = ""
    outcome_unknown: bool = False
    requests: int = 0
    connections: int = 0
    connection_of: list[int] = field(default_factory=list)
    bystander_requests: int = 0
    seconds: float = 0.0
    peak_rss_bytes: int | None = None
    #: What the next call on the same server got (`observe_then_next`), if one was made.
    next_call: Observation | None = None
    error: MimecastError | None = None

    def client_error(self) -> bool:
        """True when the call ended in a typed error of the client (not a crash, not success)."""
        return self.error_type is not None and self.error_type in _MIMECAST_ERRORS

    def summary(self) -> str:
        """One line for the report: the answer or error, with what the server counted."""
        if self.error_type is None:
            what = f"took the answer as success: data {json.dumps(self.data)[:120]}"
        else:
            unknown = ", outcome unknown" if self.outcome_unknown else ""
            what = f"{self.error_type}{unknown}: {_one_line(self.message)[:220]}"
        seen = f"{self.requests} request(s) on {self.connections} connection(s)"
        if self.bystander_requests:
            seen += f", {self.bystander_requests} request(s) reached the redirect target"
        if self.peak_rss_bytes is not None:
            seen += f", child peak RSS {self.peak_rss_bytes / MIB:.0f} MiB"
        text = f"{what} ({seen}, {self.seconds:.1f} s)"
        if self.next_call is not None:
            got = self.next_call.data if self.next_call.error_type is None else None
            fresh = len(set(self.connection_of)) == len(self.connection_of)
            text += (
                f"; the next call got {json.dumps(got) if got else self.next_call.error_type} "
                f"on {'a new' if fresh else 'the same'} connection"
            )
        return text


def settings(url: str, **options: Any) -> ClientSettings:
    """Client settings for `url` with the retries above and a short timeout by default."""
    options.setdefault("timeout_seconds", 5.0)
    return ClientSettings(CREDENTIALS, base_url=url, retry=RETRY, **options)


async def call_once(url: str, *, mutating: bool, options: dict[str, Any]) -> Observation:
    """One `MimecastClient.call` of `PATH` on `url`; the answer or the typed error."""
    async with MimecastClient(settings(url, **options)) as client:
        return await _call(client, mutating=mutating)


async def _call(client: MimecastClient, *, mutating: bool) -> Observation:
    seen = Observation()
    try:
        response = await client.call(PATH, [], mutating=mutating)
    except MimecastError as exc:
        seen.error, seen.error_type, seen.message = exc, type(exc).__name__, str(exc)
        seen.outcome_unknown = exc.outcome_unknown
    else:
        seen.data = response.data
    return seen


async def call_in_child(url: str, *, mutating: bool, options: dict[str, Any]) -> Observation:
    """The same call in a child process (`tests.support.hostile_child`), with its peak RSS."""
    argument = json.dumps({"url": url, "mutating": mutating, "options": options})
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.hostile_child",
        argument,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(child.communicate(), timeout=300)
    except TimeoutError:
        child.kill()
        await child.wait()
        return Observation(error_type="(child did not finish in 300 s)")
    lines = out.decode(errors="replace").strip().splitlines()
    if child.returncode != 0 or not lines:
        tail = _one_line(err.decode(errors="replace"))[-300:]
        return Observation(error_type=f"(child exited {child.returncode})", message=tail)
    return Observation(**json.loads(lines[-1]))


async def observe(
    script: Script, *, mutating: bool = False, options: dict[str, Any] | None = None
) -> Observation:
    """Run one call against a server answering with `script` (in a child when `options` ask).

    ``options["in_child"]`` runs the client in a child process to measure its memory; the other
    options go to `ClientSettings`. A bystander server listens at ``{bystander}`` in answers
    built by `with_bystander` (redirect targets) and counts requests that reach it.
    """
    options = dict(options or {})
    in_child = bool(options.pop("in_child", False))
    async with HostileServer(script) as server:
        started = time.monotonic()
        run = call_in_child if in_child else call_once
        seen = await run(server.url, mutating=mutating, options=options)
        seen.seconds = time.monotonic() - started
        seen.requests, seen.connections = server.requests, server.connections
        seen.connection_of = list(server.connection_of)
    return seen


async def observe_then_next(
    script: Script, *, mutating: bool, options: dict[str, Any] | None = None
) -> Observation:
    """A call against `script`, then a read call on the same client and server (keep-alive).

    The returned observation counts both calls' requests and connections; `next_call` holds
    the second call's outcome. A client that kept the first connection would read whatever the
    first answer left behind as the second call's answer.
    """
    options = dict(options or {})
    async with HostileServer(script) as server:
        started = time.monotonic()
        async with MimecastClient(settings(server.url, **options)) as client:
            seen = await _call(client, mutating=mutating)
            seen.next_call = await _call(client, mutating=False)
        seen.seconds = time.monotonic() - started
        seen.requests, seen.connections = server.requests, server.connections
        seen.connection_of = list(server.connection_of)
    return seen


async def observe_redirect(status: int, *, mutating: bool) -> Observation:
    """A `status` redirect whose ``Location`` is a second, innocent server on loopback."""
    async with HostileServer(send(answer(envelope("Bystander")))) as bystander:
        location = f"Location: {bystander.url}{PATH}".encode()
        head = b"HTTP/1.1 %d Moved" % status
        seen = await observe(send(answer(b"", status=head, headers=(location,))), mutating=mutating)
        seen.bystander_requests = bystander.requests
    return seen


def _error_names(cls: type[MimecastError]) -> set[str]:
    names = {cls.__name__}
    for sub in cls.__subclasses__():
        names |= _error_names(sub)
    return names


_MIMECAST_ERRORS = _error_names(MimecastError)


def _one_line(text: str) -> str:
    return " ".join(text.split())


__all__ = [
    "MIB",
    "PATH",
    "RSS_MARGIN",
    "SMALL_CAP",
    "Observation",
    "answer",
    "chunked",
    "double_gzip_bomb",
    "endless_headers",
    "envelope",
    "gzip_bomb",
    "observe",
    "observe_redirect",
    "observe_then_next",
    "send",
    "stall_after",
]
