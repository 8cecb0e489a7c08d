"""The ASGI application: one pipeline in front of every `/api/...` handler and `/oauth/token`.

Order per request: log it, wait `latency_ms`, authenticate (401 / 418), take the account quota
(429), apply fault rules (see `faults`), run the handler, answer with `X-RateLimit-*` headers.
A dropped connection aborts the TCP transport under uvicorn (the client sees a transport error,
never a 500); in-process (an ASGI test transport) it raises `SimulatedDropError`, a
`ConnectionResetError`, where the transport cannot be aborted.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote

import anyio
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from mimecast_soar.sim import auth, ratelimit
from mimecast_soar.sim.admin import admin_routes
from mimecast_soar.sim.config import SimConfig
from mimecast_soar.sim.faults import FaultRule
from mimecast_soar.sim.handlers import BASIC, ROUTES, UNSIGNED, Call
from mimecast_soar.sim.state import SimState
from mimecast_soar.sim.wire import Envelope, FileBody, ItemError, dumps, error_body, first_item

MALFORMED_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"
)
STATUS_ERRORS = {
    403: ("err_xdk_forbidden", "0003 Forbidden"),
    404: ("err_not_found", "Not Found"),
    500: ("err_internal_server_error", "Internal Server Error"),
    502: ("err_bad_gateway", "Bad Gateway"),
    503: ("err_service_unavailable", "Service Unavailable"),
    504: ("err_gateway_timeout", "Gateway Timeout"),
}


class SimulatedDropError(ConnectionResetError):
    """Raised in-process where the transport cannot be aborted: 'no response' for the client."""


class _Drop:
    """Sentinel outcome: close the connection without a response."""


DROP = _Drop()
JSON = b"application/json"
HTML = b"text/html; charset=utf-8"  # what Starlette's Response sent for media_type="text/html"
_BASE_URLS_KEPT = 64


async def drop_connection(receive: Receive) -> None:
    """Abort the client connection without sending anything."""
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None or not hasattr(transport, "abort"):
        raise SimulatedDropError("Server disconnected without sending a response.")
    transport.abort()
    with anyio.move_on_after(2):
        while (await receive())["type"] != "http.disconnect":
            pass


async def pause(seconds: float) -> None:
    """Sleep on the running loop: asyncio's own sleep when it is asyncio (always, under uvicorn).

    `anyio.sleep` looks the async library up on every call, a measurable share of a simulated
    request; anyio stays the fallback for any other loop an in-process test might run.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        await anyio.sleep(seconds)
    else:
        await asyncio.sleep(seconds)


async def read_body(receive: Receive) -> bytes | None:
    """The whole request body; None when the client went away before sending it all."""
    message = await receive()
    if message["type"] != "http.request":
        return None
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        return body
    chunks = [body]
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def header_map(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """ASGI headers as a plain dict, built once per request (the auth checks read it a dozen
    times). As with Starlette's `Headers`, the first of repeated names wins, and names are
    taken as given: ASGI servers send them lower-case."""
    headers: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1")
        if key not in headers:
            headers[key] = value.decode("latin-1")
    return headers


class Reply:
    """A response ready for ASGI: status, body and the raw header list.

    Sent as two ASGI messages directly rather than through a Starlette `Response`, whose
    construction and header encoding showed up in the simulator's per-request profile; the
    headers are the same (rate-limit headers, then content-length, then content-type).
    """

    __slots__ = ("body", "headers", "status")

    def __init__(
        self,
        body: bytes,
        status: int,
        quota: ratelimit.Quota | None,
        content_type: bytes = JSON,
        extra: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        self.body = body
        self.status = status
        self.headers = quota.raw_headers() if quota else []
        self.headers.append((b"content-length", b"%d" % len(body)))
        self.headers.append((b"content-type", content_type))
        if extra:
            self.headers.extend(extra)

    async def __call__(self, send: Send) -> None:
        """Send the response."""
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


def file_headers(file: FileBody) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """Content type and Content-Disposition of a file stream (archive get-file/-part)."""
    name = file.filename.replace('"', "").encode("latin-1", errors="replace")
    return file.content_type.encode(), [
        (b"content-disposition", b'attachment; filename="%s"' % name)
    ]


def json_response(body: bytes, status: int, quota: ratelimit.Quota | None) -> Reply:
    """A JSON response with the rate-limit headers."""
    return Reply(body, status, quota)


class ApiEndpoint:
    """The ASGI app behind every simulated Mimecast path.

    It works on the raw ASGI scope (no Starlette `Request`): the simulator must cost far less per
    request than the clients it benchmarks, and the request log, auth checks, quota and faults
    need nothing more than the path, the headers and the body.
    """

    def __init__(self, sim: SimState) -> None:
        self.sim = sim
        self._base_urls: dict[tuple[Any, ...], str] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = await read_body(receive)
        if raw is None:  # the client left mid-request: nobody to answer, nothing to log
            return
        sim, path = self.sim, scope["path"]
        parsed: Any
        if path == "/oauth/token":
            form = {k: v[0] for k, v in parse_qs(raw.decode(errors="replace")).items()}
            parsed = {k: ("**********" if k == "client_secret" else v) for k, v in form.items()}
        elif raw:
            try:
                parsed = orjson.loads(raw)
            except orjson.JSONDecodeError:
                parsed = raw.decode(errors="replace")
        else:
            parsed = None
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(sim.clock.time(), UTC).isoformat(),
            "method": scope["method"],
            "path": path,
            "body": parsed,
            "status": None,
            "auth": "none",
            "executed": False,
            "fault": None,
        }
        sim.requests.append(entry)
        headers = header_map(scope["headers"])
        outcome = await self._process(scope, headers, raw, parsed, entry)
        if isinstance(outcome, _Drop):
            await drop_connection(receive)
            return
        entry["status"] = outcome.status
        await outcome(send)

    async def _process(
        self, scope: Scope, headers: dict[str, str], raw: bytes, parsed: Any, entry: dict[str, Any]
    ) -> Reply | _Drop:
        sim, path = self.sim, scope["path"]
        config = sim.config
        if sim.latency_ms:
            await pause(sim.latency_ms / 1000)
        now = sim.clock.time()
        now_ms = now * 1000
        window, limit, window_ms = sim.rate_window, config.rate_limit, config.rate_limit_window_ms
        if scope["method"] != "POST":
            quota = ratelimit.peek(window, now_ms, limit, window_ms)
            return json_response(error_body(405, "err_method_not_allowed", "Use POST"), 405, quota)
        handler = ROUTES.get(path)
        if handler is None and path != "/oauth/token":
            quota = ratelimit.peek(window, now_ms, limit, window_ms)
            return json_response(
                error_body(404, "err_not_found", f"Unknown endpoint {path}"), 404, quota
            )
        if handler is None:
            quota = ratelimit.peek(window, now_ms, limit, window_ms)
        else:
            failure, entry["auth"] = self._authenticate(headers, path, now)
            if failure is not None:
                body = error_body(failure.status, failure.code, failure.message)
                quota = ratelimit.peek(window, now_ms, limit, window_ms)
                return json_response(body, failure.status, quota)
            allowed, quota = ratelimit.take(window, now_ms, limit, window_ms)
            if not allowed:
                return json_response(
                    error_body(429, "err_quota_exceeded", "Quota Exceeded"), 429, quota
                )
        decision = sim.faults.decide(path, now_ms)
        if decision.quota_rule is not None:
            entry["fault"] = "quota"
            limited = ratelimit.Quota(decision.quota_limit, 0, decision.quota_reset_ms)
            return json_response(
                error_body(429, "err_quota_exceeded", "Quota Exceeded"), 429, limited
            )
        if decision.quota_remaining is not None:
            quota = ratelimit.Quota(
                decision.quota_limit, decision.quota_remaining, decision.quota_reset_ms
            )
        if decision.delay_ms:
            await pause(decision.delay_ms / 1000)
        rule = decision.rule
        if rule is not None:
            entry["fault"] = rule.kind
            early = self._fault_response(rule, parsed, quota)
            if early is not None:
                return early
        if handler is None:
            response = self._oauth(headers, raw, quota)
        else:
            body, status, file = self._execute(handler, scope, headers, parsed, entry)
            if rule is not None and rule.kind == "truncated":
                body = body[: max(1, len(body) // 2)]
            if file is None:
                response = json_response(body, status, quota)
            else:
                response = Reply(body, status, quota, *file_headers(file))
        return DROP if rule is not None and rule.kind == "drop_after" else response

    def _authenticate(
        self, headers: dict[str, str], path: str, epoch: float
    ) -> tuple[auth.AuthFailure | None, str]:
        sim = self.sim
        if path in UNSIGNED:
            now = datetime.fromtimestamp(epoch, UTC)
            return auth.check_app_headers(headers, sim.config, now), "none"
        if path in BASIC:
            now = datetime.fromtimestamp(epoch, UTC)
            failure = auth.check_app_headers(headers, sim.config, now)
            return failure or auth.check_basic_cloud(headers, sim.config), "none"
        authorization = headers.get("authorization", "")
        if authorization.startswith("Bearer "):
            return sim.tokens.check(authorization[7:].strip(), epoch), "api2"
        failure = auth.verify_api1(
            headers,
            path,
            sim.config,
            datetime.fromtimestamp(epoch, UTC),
            binding_expired=sim.binding_expired,
        )
        return failure, "api1"

    def _fault_response(
        self, rule: FaultRule, parsed: Any, quota: ratelimit.Quota
    ) -> Reply | _Drop | None:
        """The response of a fault that stops the call before the handler runs (None: run it)."""
        if rule.kind == "status":
            status = rule.status or 500
            code, message = STATUS_ERRORS.get(status, ("err_http_status", f"HTTP {status}"))
            body = error_body(
                status, rule.error_code or code, rule.message or message, retryable=status >= 500
            )
            return json_response(body, status, quota)
        if rule.kind == "binding_expired":
            failure = auth.BINDING_EXPIRED
            return json_response(
                error_body(418, failure.code, rule.message or failure.message), 418, quota
            )
        if rule.kind == "unauthorized":
            body = error_body(401, auth.INVALID_SIGNATURE, rule.message or "0004 Invalid Signature")
            return json_response(body, 401, quota)
        if rule.kind == "drop_before":
            return DROP
        if rule.kind == "malformed":
            return Reply(MALFORMED_PAGE, 200, quota, HTML)
        if rule.kind == "fail":
            key = first_item(parsed.get("data", [])) if isinstance(parsed, dict) else {}
            error = ItemError(
                rule.error_code or "err_simulated_failure", rule.message or "Simulated failure"
            )
            return json_response(dumps(Envelope(fail=[error.entry(key)]).to_json()), 200, quota)
        return None

    def _execute(
        self,
        handler: Any,
        scope: Scope,
        headers: dict[str, str],
        parsed: Any,
        entry: dict[str, Any],
    ) -> tuple[bytes, int, FileBody | None]:
        """Run the handler on a well-formed envelope; (body, HTTP status, the file if any)."""
        data = parsed.get("data", []) if isinstance(parsed, dict) else None
        meta = parsed.get("meta", {}) if isinstance(parsed, dict) else None
        if not isinstance(data, list) or not isinstance(meta, dict):
            return (
                error_body(
                    400, "err_request_malformed", 'Body must be {"meta": {...}, "data": [...]}'
                ),
                400,
                None,
            )
        call = Call(scope["path"], meta, data, entry["auth"], self._base_url(scope, headers))
        try:
            envelope = handler(self.sim, call)
        except ItemError as error:
            envelope = Envelope(fail=[error.entry(first_item(data))])
        self.sim.api_call_executed(call.path)
        entry["executed"] = True
        if isinstance(envelope, FileBody):
            return envelope.content, 200, envelope
        return dumps(envelope.to_json()), 200, None

    def _base_url(self, scope: Scope, headers: dict[str, str]) -> str:
        """`http://host:port` as the client addressed us, as Starlette's `request.base_url`
        computes it, remembered per (scheme, Host, server, root path): building a URL from the
        scope on every call cost more than the handler. Kept small (the Host header is the
        client's)."""
        key = (
            scope.get("scheme"),
            headers.get("host"),
            scope.get("server"),
            scope.get("root_path"),
        )
        base_url = self._base_urls.get(key)
        if base_url is None:
            if len(self._base_urls) >= _BASE_URLS_KEPT:
                self._base_urls.clear()
            base_url = str(Request(scope).base_url).rstrip("/")
            self._base_urls[key] = base_url
        return base_url

    def _oauth(self, headers: dict[str, str], raw: bytes, quota: ratelimit.Quota) -> Reply:
        """POST /oauth/token (form-encoded client credentials)."""
        sim = self.sim
        form = {k: v[0] for k, v in parse_qs(raw.decode(errors="replace")).items()}
        if form.get("grant_type") != "client_credentials":
            body = {
                "error": "unsupported_grant_type",
                "error_description": "Use client_credentials",
            }
            return json_response(orjson.dumps(body), 400, quota)
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        scheme, _, encoded = headers.get("authorization", "").partition(" ")
        if not client_id and scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(encoded, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            client_id, _, client_secret = (unquote(part) for part in decoded.partition(":"))
        if client_id != sim.config.client_id or client_secret != sim.config.client_secret:
            body = {"error": "invalid_client", "error_description": "Client authentication failed"}
            return json_response(orjson.dumps(body), 401, quota)
        token = sim.tokens.issue(sim.clock.time(), sim.config.token_ttl_seconds)
        ttl = sim.config.token_ttl_seconds
        answer = {"access_token": token, "token_type": "Bearer", "expires_in": ttl, "scope": ""}
        return json_response(orjson.dumps(answer), 200, quota)


class SimApp(Starlette):
    """Starlette with a shortcut: `/api/...` and `/oauth/token` go straight to the endpoint.

    Those are the paths the benchmarks hammer; Starlette's middleware and router add a layer of
    coroutines and a regex match to each for nothing (the endpoint answers every method and
    error itself). The `/_sim/` admin routes still go through Starlette, and the shortcut takes
    exactly the paths the routes would send to the endpoint.
    """

    def __init__(self, endpoint: ApiEndpoint, routes: list[Route]) -> None:
        super().__init__(routes=routes)
        self._endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path.startswith("/api/") or path == "/oauth/token":
                scope["app"] = self
                await self._endpoint(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def create_app(config: SimConfig) -> Starlette:
    """A fresh simulator app; its state is `app.state.sim` (a `SimState`)."""
    sim = SimState(config)
    endpoint = ApiEndpoint(sim)
    routes = [Route("/api/{rest:path}", endpoint), Route("/oauth/token", endpoint), *admin_routes()]
    app = SimApp(endpoint, routes)
    app.state.sim = sim
    return app
