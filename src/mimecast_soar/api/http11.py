"""A lean HTTP/1.1 transport for httpx: keep-alive connections as asyncio protocols.

Why it exists: the work of this product is one small JSON POST per row, so the cost per request
decides how close a concurrent run gets to what Mimecast's latency allows. On the bench machine
httpx's default transport (httpcore over h11 and anyio streams) costs about 2 ms of CPU per
request, more with many connections in flight; httpx's client layer alone costs about 0.2 ms.
This transport keeps httpx's client (requests, auth flows, responses, the exception classes that
`failures` maps) and replaces only the part that moves bytes: one `asyncio.Protocol` per
connection that parses the response as it arrives. Figures are in docs/performance.md.

What it does:

- HTTP/1.1 over ``http`` and ``https``, one request at a time per connection (no pipelining),
  idle connections reused most-recent-first and dropped after `KEEPALIVE_EXPIRY_SECONDS` (less
  than the common server idle timeouts, so a reused connection is rarely closed under a request).
- At most `max_connections` open connections across all hosts; a request waits for a free one up
  to the ``pool`` timeout (`httpx.PoolTimeout`: nothing was sent).
- TLS verifies by default. The context is built at the first ``https`` connection (loading the CA
  bundle costs tens of milliseconds, so a run against ``http://`` never pays it).
- The response body is read whole (``Content-Length``, ``chunked`` or until close) before the
  response is returned, so the connection goes back to the pool at once; content encodings such
  as gzip are decoded by httpx's `Response` as usual. A Mimecast page is the largest body.
- Timeouts come from the request's httpx ``timeout`` extension: ``connect``, ``write`` (waiting
  for the socket to drain), ``read`` (the longest silence while a response is due) and ``pool``.
- Failures raise httpx's own exception classes with a plain reason: `httpx.ConnectError`
  (refused, unreachable, TLS verification, chained to the `ssl.SSLError`), `httpx.ConnectTimeout`,
  `httpx.WriteTimeout`, `httpx.ReadTimeout`, `httpx.PoolTimeout`, `httpx.ReadError` (reset),
  `httpx.RemoteProtocolError` (closed before a whole response, malformed response) and
  `httpx.LocalProtocolError` (a header that would split the request).
- A connection whose exchange did not finish cleanly (error, timeout, cancellation) is aborted,
  never reused.

It needs asyncio (anyio's asyncio backend, which the product uses everywhere). Proxies are not
its job: a connection with a proxy uses httpx's own transport, which speaks HTTP CONNECT and
SOCKS5 (`transport.build_http_client`).
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from typing import Any, cast

import httpx

__all__ = ["KEEPALIVE_EXPIRY_SECONDS", "MAX_BODY_BYTES", "MAX_HEAD_BYTES", "Http11Transport"]

#: Idle connections older than this are closed instead of reused (servers often close at 5 s).
KEEPALIVE_EXPIRY_SECONDS = 4.0
#: The longest response header section accepted.
MAX_HEAD_BYTES = 64 * 1024
#: The largest response body accepted (a Mimecast page is far smaller).
MAX_BODY_BYTES = 512 * 1024 * 1024
_MAX_CHUNK_LINE = 4096
_HEX_DIGITS = b"0123456789abcdefABCDEF"
_BLANKS = (b" ", b"\t")
# Lengths of the header names the parser acts on: Connection, Content-Length, Content-Encoding,
# Transfer-Encoding.
_FRAMING_NAME_LENGTHS = frozenset({10, 14, 16, 17})

# Chunked body states.
_SIZE, _DATA, _DATA_END, _TRAILER = range(4)

Origin = tuple[str, str, int]
Exchange = tuple[int, bytes, list[tuple[bytes, bytes]], bytes, bool, bytes, bool]


class _Connection(asyncio.Protocol):
    """One keep-alive connection: writes a request, parses the response as bytes arrive."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._buffer = bytearray()
        self._waiter: asyncio.Future[None] | None = None
        self._drain: asyncio.Future[None] | None = None
        self._paused = False
        self._timer: asyncio.TimerHandle | None = None
        self._last_data = 0.0
        self._reset(head_only=False)

    def _reset(self, *, head_only: bool) -> None:
        self._head_only = head_only
        self._received_any = False
        self._head_done = False
        self._status = 0
        self._reason = b""
        self._version = b"HTTP/1.1"
        self._headers: list[tuple[bytes, bytes]] = []
        self._encoded = False  # a Content-Encoding header was sent
        self._remaining: int | None = None  # Content-Length bytes still due
        self._chunked = False
        self._chunk_state = _SIZE
        self._chunk_left = 0
        self._until_close = False
        self._keep_alive = True
        self._body = bytearray()

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not `asyncio.Transport` subclasses but have the same methods.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            # Bytes nobody asked for: the stream can no longer be trusted for another request.
            self._keep_alive = False
            self.abort()
            return
        self._last_data = self._loop.time()
        self._received_any = True
        self._buffer += data
        try:
            self._advance()
        except httpx.RemoteProtocolError as exc:
            self._keep_alive = False
            waiter.set_exception(exc)

    def eof_received(self) -> bool:
        return False  # let the transport close; connection_lost decides what the EOF meant

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        drain = self._drain
        if drain is not None and not drain.done():
            drain.set_exception(httpx.WriteError(_reason(exc, "the connection closed")))
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._head_done and self._until_close:
            self._keep_alive = False
            waiter.set_result(None)  # the close ends a body that has no length
        elif isinstance(exc, OSError):
            waiter.set_exception(httpx.ReadError(_reason(exc, "the connection was reset")))
        elif not self._received_any:
            waiter.set_exception(
                httpx.RemoteProtocolError("Server disconnected without sending a response.")
            )
        else:
            waiter.set_exception(
                httpx.RemoteProtocolError(
                    "Server disconnected before the whole response arrived "
                    f"({len(self._body)} body bytes received)."
                )
            )

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        drain = self._drain
        if drain is not None and not drain.done():
            drain.set_result(None)

    # The exchange

    def abort(self) -> None:
        """Drop the connection at once (its state is unknown or it is no longer wanted)."""
        self.closed = True
        if self._transport is not None:
            self._transport.abort()

    def close(self) -> None:
        """Close the connection politely (an idle connection that expired)."""
        self.closed = True
        if self._transport is not None:
            self._transport.close()

    async def exchange(
        self, payload: bytes, *, head_only: bool, timeouts: dict[str, Any]
    ) -> Exchange:
        """Send `payload` (a whole request) and return the whole response.

        Returns ``(status, reason, headers, body, keep_alive, http_version, encoded)``.
        """
        transport = self._transport
        if transport is None or self.closed:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        self._reset(head_only=head_only)
        self._buffer.clear()
        waiter = self._loop.create_future()
        self._waiter = waiter
        try:
            transport.write(payload)
            if self._paused:
                await self._wait_drain(timeouts.get("write"))
            read_timeout = timeouts.get("read")
            if read_timeout is not None:
                self._last_data = self._loop.time()
                self._timer = self._loop.call_at(
                    self._last_data + read_timeout, self._check_silence, read_timeout
                )
            await waiter
        finally:
            self._waiter = None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if self._buffer:
            self._keep_alive = False  # bytes beyond the response: do not trust the stream
        return (
            self._status,
            self._reason,
            self._headers,
            bytes(self._body),
            self._keep_alive,
            self._version,
            self._encoded,
        )

    async def _wait_drain(self, write_timeout: float | None) -> None:
        drain = self._loop.create_future()
        self._drain = drain
        try:
            async with asyncio.timeout(write_timeout):
                await drain
        except TimeoutError:
            raise httpx.WriteTimeout(
                f"the request could not be written within {write_timeout:g} s"
            ) from None
        finally:
            self._drain = None

    def _check_silence(self, read_timeout: float) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        due = self._last_data + read_timeout
        if self._loop.time() < due:
            self._timer = self._loop.call_at(due, self._check_silence, read_timeout)
            return
        self._keep_alive = False
        waiter.set_exception(httpx.ReadTimeout(f"no response bytes for {read_timeout:g} s"))

    # Parsing

    def _advance(self) -> None:
        buffer = self._buffer
        while not self._head_done:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > MAX_HEAD_BYTES:
                    raise httpx.RemoteProtocolError("The response header section is too large.")
                return
            head = bytes(buffer[:end])
            del buffer[: end + 4]
            self._parse_head(head)
        if self._remaining is not None:
            take = min(self._remaining, len(buffer))
            if take:
                self._body += buffer[:take]
                del buffer[:take]
                self._remaining -= take
            if self._remaining == 0:
                self._finish()
        elif self._chunked:
            if self._advance_chunked():
                self._finish()
        else:  # until the server closes
            self._body += buffer
            buffer.clear()
            if len(self._body) > MAX_BODY_BYTES:
                raise httpx.RemoteProtocolError("The response body is too large.")

    def _finish(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _parse_head(self, head: bytes) -> None:
        """Parse a status line and headers; a 1xx interim response is skipped."""
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        version = parts[0]
        if len(parts) < 2 or version not in (b"HTTP/1.1", b"HTTP/1.0"):
            raise httpx.RemoteProtocolError(f"Malformed response status line: {lines[0][:80]!r}.")
        code = parts[1]
        if len(code) != 3 or not code.isdigit():
            raise httpx.RemoteProtocolError(f"Malformed response status code: {code[:20]!r}.")
        status = int(code)
        headers: list[tuple[bytes, bytes]] = []
        length: int | None = None
        transfer_encoding: bytes | None = None
        connection_tokens: set[bytes] = set()
        encoded = False
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not name or name[-1:] in _BLANKS or line[:1] in _BLANKS:
                raise httpx.RemoteProtocolError(f"Malformed response header line: {line[:80]!r}.")
            value = value.strip(b" \t")
            headers.append((name, value))
            if len(name) not in _FRAMING_NAME_LENGTHS:
                continue  # not a header this parser acts on (cheaper than lower-casing each)
            lowered = name.lower()
            if lowered == b"content-encoding":
                encoded = True
            elif lowered == b"content-length":
                if not value.isdigit():
                    raise httpx.RemoteProtocolError(f"Invalid Content-Length: {value[:20]!r}.")
                if length is not None and int(value) != length:
                    raise httpx.RemoteProtocolError("Conflicting Content-Length headers.")
                length = int(value)
            elif lowered == b"transfer-encoding":
                transfer_encoding = value.lower()
            elif lowered == b"connection":
                connection_tokens.update(t.strip().lower() for t in value.split(b","))
        if 100 <= status < 200:
            return  # interim (100 Continue, 103 Early Hints): the real response follows
        self._head_done = True
        self._status = status
        self._reason = parts[2] if len(parts) > 2 else b""
        self._version = version
        self._headers = headers
        self._encoded = encoded
        if version == b"HTTP/1.0":
            self._keep_alive = b"keep-alive" in connection_tokens
        else:
            self._keep_alive = b"close" not in connection_tokens
        if self._head_only or status in (204, 304):
            self._remaining = 0
        elif transfer_encoding is not None:
            if transfer_encoding.rsplit(b",", 1)[-1].strip() == b"chunked":
                self._chunked = True
            else:
                self._until_close = True
                self._keep_alive = False
        elif length is not None:
            if length > MAX_BODY_BYTES:
                raise httpx.RemoteProtocolError("The response body is too large.")
            self._remaining = length
        else:
            self._until_close = True
            self._keep_alive = False

    def _advance_chunked(self) -> bool:
        """Consume chunked body bytes; True when the last chunk and the trailers are in."""
        buffer = self._buffer
        while True:
            if self._chunk_state == _DATA:
                take = min(self._chunk_left, len(buffer))
                self._body += buffer[:take]
                del buffer[:take]
                self._chunk_left -= take
                if self._chunk_left:
                    return False
                self._chunk_state = _DATA_END
            if self._chunk_state == _DATA_END:
                if len(buffer) < 2:
                    return False
                if buffer[:2] != b"\r\n":
                    raise httpx.RemoteProtocolError(
                        "Malformed chunked body: no CRLF after a chunk."
                    )
                del buffer[:2]
                self._chunk_state = _SIZE
            end = buffer.find(b"\r\n")
            if end < 0:
                if len(buffer) > _MAX_CHUNK_LINE:
                    raise httpx.RemoteProtocolError("Malformed chunked body: chunk line too long.")
                return False
            line = bytes(buffer[:end])
            del buffer[: end + 2]
            if self._chunk_state == _TRAILER:
                if not line:
                    return True
                continue  # trailer fields are not used
            size_text = line.split(b";", 1)[0].strip()
            if not size_text or size_text.strip(_HEX_DIGITS):
                raise httpx.RemoteProtocolError(f"Malformed chunk size: {size_text[:20]!r}.")
            size = int(size_text, 16)
            if size == 0:
                self._chunk_state = _TRAILER
                continue
            if len(self._body) + size > MAX_BODY_BYTES:
                raise httpx.RemoteProtocolError("The response body is too large.")
            self._chunk_left = size
            self._chunk_state = _DATA


class Http11Transport(httpx.AsyncBaseTransport):
    """An `httpx.AsyncBaseTransport` over pooled HTTP/1.1 keep-alive connections.

    `verify` is True (the certifi bundle httpx uses), False (no verification) or an
    `ssl.SSLContext` to use as is (a private CA bundle).
    """

    def __init__(
        self,
        *,
        verify: bool | ssl.SSLContext = True,
        max_connections: int = 64,
        keepalive_expiry_seconds: float = KEEPALIVE_EXPIRY_SECONDS,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self._verify = verify
        self._ssl: ssl.SSLContext | None = verify if isinstance(verify, ssl.SSLContext) else None
        self._max = max_connections
        self._expiry = keepalive_expiry_seconds
        self._idle: dict[Origin, deque[_Connection]] = {}
        self._open = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._closed = False

    def __repr__(self) -> str:
        return f"Http11Transport(open={self._open}, max_connections={self._max})"

    @property
    def open_connections(self) -> int:
        """Connections open now, idle or in use."""
        return self._open

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` on a pooled connection and return the whole response."""
        if self._closed:
            raise RuntimeError("The transport is closed.")
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"Request URL has an unsupported scheme {scheme!r}.")
        host = url.host
        port = url.port or (443 if scheme == "https" else 80)
        timeouts: dict[str, Any] = request.extensions.get("timeout") or {}
        payload = _serialize(request, await request.aread())
        origin = (scheme, host, port)
        connection = await self._acquire(origin, timeouts)
        reusable = False
        try:
            status, reason, headers, body, reusable, version, encoded = await connection.exchange(
                payload, head_only=request.method == "HEAD", timeouts=timeouts
            )
        finally:
            self._release(origin, connection, reusable=reusable)
        response = httpx.Response(
            status,
            headers=headers,
            stream=httpx.ByteStream(body),
            extensions={"http_version": version, "reason_phrase": reason},
        )
        if not encoded:
            # The body is whole and not encoded: hand it over as read, so httpx's `aread` does
            # not run it through its decoder chain (a sixth of the client's CPU per call). Were
            # httpx to stop using this attribute, `aread` would simply do its usual work.
            response._content = body
        return response

    async def aclose(self) -> None:
        """Close every idle connection; connections in use close when their request ends."""
        self._closed = True
        for idle in self._idle.values():
            while idle:
                idle.pop().abort()
                self._open -= 1
        self._idle.clear()
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # it wakes, sees the transport closed, and raises
        # An aborted socket is released by a callback on the next loop turn: let it run, so a
        # loop that ends right after this does not leave sockets behind.
        await asyncio.sleep(0)

    # The pool

    async def _acquire(self, origin: Origin, timeouts: dict[str, Any]) -> _Connection:
        loop = asyncio.get_running_loop()
        pool_timeout: float | None = timeouts.get("pool")
        deadline = None if pool_timeout is None else loop.time() + pool_timeout
        while True:
            if self._closed:
                raise RuntimeError("The transport is closed.")
            connection = self._take_idle(origin, loop.time())
            if connection is not None:
                return connection
            if self._open < self._max or self._evict_other_idle(origin):
                self._open += 1
                try:
                    return await self._connect(origin, timeouts.get("connect"))
                except BaseException:
                    self._open -= 1
                    self._wake()
                    raise
            waiter = loop.create_future()
            self._waiters.append(waiter)
            remaining = None if deadline is None else max(0.0, deadline - loop.time())
            try:
                async with asyncio.timeout(remaining):
                    await waiter
            except BaseException as exc:
                if waiter.done() and not waiter.cancelled():
                    self._wake()  # woken but leaving: hand the freed room to the next waiter
                else:
                    waiter.cancel()
                    self._waiters.remove(waiter)
                if isinstance(exc, TimeoutError):
                    raise httpx.PoolTimeout(
                        f"no free connection within {pool_timeout:g} s "
                        f"({self._max} connections in use)"
                    ) from None
                raise

    def _take_idle(self, origin: Origin, now: float) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if connection.closed or now - connection.idle_since > self._expiry:
                connection.close()
                self._open -= 1
                continue
            return connection
        return None

    def _evict_other_idle(self, origin: Origin) -> bool:
        """Close an idle connection to another host to make room; False when there is none."""
        for other, idle in self._idle.items():
            if other != origin and idle:
                idle.popleft().close()
                self._open -= 1
                return True
        return False

    def _release(self, origin: Origin, connection: _Connection, *, reusable: bool) -> None:
        if reusable and not connection.closed and not self._closed:
            now = asyncio.get_running_loop().time()
            connection.idle_since = now
            idle = self._idle.setdefault(origin, deque())
            while idle and now - idle[0].idle_since > self._expiry:
                idle.popleft().close()
                self._open -= 1
            idle.append(connection)
        else:
            connection.abort()
            self._open -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def _connect(self, origin: Origin, connect_timeout: float | None) -> _Connection:
        scheme, host, port = origin
        context = self._ssl_context() if scheme == "https" else None
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(connect_timeout):
                _, connection = await loop.create_connection(
                    lambda: _Connection(loop),
                    host,
                    port,
                    ssl=context,
                    server_hostname=host if context is not None else None,
                )
        except TimeoutError:
            raise httpx.ConnectTimeout(
                f"no connection to {host}:{port} within {connect_timeout:g} s"
            ) from None
        except ssl.SSLError as exc:
            raise httpx.ConnectError(_reason(exc, "TLS handshake failed")) from exc
        except OSError as exc:
            raise httpx.ConnectError(_reason(exc, "connection failed")) from exc
        return connection

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            if self._verify:
                import certifi  # httpx's own CA bundle; loaded only when https is used

                self._ssl = ssl.create_default_context(cafile=certifi.where())
            else:
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                self._ssl = context
        return self._ssl


def _serialize(request: httpx.Request, body: bytes) -> bytes:
    """The request as bytes on the wire; refuses headers that would split it."""
    headers = request.headers.raw
    chunked = False
    lines = [request.method.encode("ascii"), b" ", request.url.raw_path, b" HTTP/1.1\r\n"]
    for name, value in headers:
        lines += (name, b": ", value, b"\r\n")
        if name.lower() == b"transfer-encoding" and value.lower() == b"chunked":
            chunked = True
    lines.append(b"\r\n")
    head = b"".join(lines)
    expected = len(headers) + 2
    if head.count(b"\n") != expected or head.count(b"\r") != expected:
        raise httpx.LocalProtocolError("A request header contains a line break.")
    if chunked:
        framed = (f"{len(body):x}\r\n".encode() + body + b"\r\n") if body else b""
        return head + framed + b"0\r\n\r\n"
    return head + body


def _reason(exc: BaseException | None, fallback: str) -> str:
    text = " ".join(str(exc).split()) if exc is not None else ""
    return text or fallback
