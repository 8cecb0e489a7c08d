"""The ASGI application: one pipeline in front of every `/api/...` handler and `/oauth/token`.

Order per request: log it, wait `latency_ms`, authenticate (401 / 418), take the account quota
(429), apply fault rules (see `faults`), run the handler, answer with `X-RateLimit-*` headers.
A dropped connection aborts the TCP transport under uvicorn (the client sees a transport error,
never a 500); in-process (httpx `ASGITransport`) it raises `SimulatedDropError`, itself an
`httpx.RemoteProtocolError`, so a client sees the same exception class either way.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import parse_qs, unquote

import anyio
import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from mimecast_soar.sim import auth, ratelimit
from mimecast_soar.sim.admin import admin_routes
from mimecast_soar.sim.config import SimConfig
from mimecast_soar.sim.faults import FaultRule
from mimecast_soar.sim.handlers import BASIC, ROUTES, UNSIGNED, Call
from mimecast_soar.sim.state import SimState
from mimecast_soar.sim.wire import Envelope, ItemError, dumps, error_body, first_item

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


class SimulatedDropError(httpx.RemoteProtocolError):
    """Raised in-process where the transport cannot be aborted: 'no response' for the client."""


class _Drop:
    """Sentinel outcome: close the connection without a response."""


DROP = _Drop()


async def drop_connection(receive: Receive) -> None:
    """Abort the client connection without sending anything."""
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None or not hasattr(transport, "abort"):
        raise SimulatedDropError("Server disconnected without sending a response.")
    transport.abort()
    with anyio.move_on_after(2):
        while (await receive())["type"] != "http.disconnect":
            pass


def json_response(body: bytes, status: int, quota: ratelimit.Quota | None) -> Response:
    """A JSON response with the rate-limit headers."""
    headers = quota.headers() if quota else {}
    return Response(body, status_code=status, media_type="application/json", headers=headers)


class ApiEndpoint:
    """The ASGI app behind every simulated Mimecast path."""

    def __init__(self, sim: SimState) -> None:
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        raw = await request.body()
        path = scope["path"]
        try:
            parsed: Any = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            parsed = raw.decode(errors="replace")
        if path == "/oauth/token":
            form = {k: v[0] for k, v in parse_qs(raw.decode(errors="replace")).items()}
            parsed = {k: ("**********" if k == "client_secret" else v) for k, v in form.items()}
        entry: dict[str, Any] = {
            "time": self.sim.clock.now().isoformat(),
            "method": request.method,
            "path": path,
            "body": parsed,
            "status": None,
            "auth": "none",
            "executed": False,
            "fault": None,
        }
        self.sim.requests.append(entry)
        outcome = await self._process(request, raw, parsed, entry)
        if isinstance(outcome, _Drop):
            await drop_connection(receive)
            return
        entry["status"] = outcome.status_code
        await outcome(scope, receive, send)

    async def _process(
        self, request: Request, raw: bytes, parsed: Any, entry: dict[str, Any]
    ) -> Response | _Drop:
        sim, path = self.sim, request.url.path
        config = sim.config
        if sim.latency_ms:
            await anyio.sleep(sim.latency_ms / 1000)
        now_ms = sim.clock.time() * 1000
        quota = ratelimit.peek(
            sim.rate_window, now_ms, config.rate_limit, config.rate_limit_window_ms
        )
        if request.method != "POST":
            return json_response(error_body(405, "err_method_not_allowed", "Use POST"), 405, quota)
        handler = ROUTES.get(path)
        if handler is None and path != "/oauth/token":
            return json_response(
                error_body(404, "err_not_found", f"Unknown endpoint {path}"), 404, quota
            )
        if handler is not None:
            failure, entry["auth"] = self._authenticate(request, path)
            if failure is not None:
                body = error_body(failure.status, failure.code, failure.message)
                return json_response(body, failure.status, quota)
            allowed, quota = ratelimit.take(
                sim.rate_window, now_ms, config.rate_limit, config.rate_limit_window_ms
            )
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
            await anyio.sleep(decision.delay_ms / 1000)
        rule = decision.rule
        if rule is not None:
            entry["fault"] = rule.kind
            early = self._fault_response(rule, parsed, quota)
            if early is not None:
                return early
        if handler is None:
            response = self._oauth(request, raw, quota)
        else:
            body, status = self._execute(handler, request, parsed, entry)
            if rule is not None and rule.kind == "truncated":
                body = body[: max(1, len(body) // 2)]
            response = json_response(body, status, quota)
        return DROP if rule is not None and rule.kind == "drop_after" else response

    def _authenticate(self, request: Request, path: str) -> tuple[auth.AuthFailure | None, str]:
        sim, headers = self.sim, request.headers
        now = sim.clock.now()
        if path in UNSIGNED:
            return auth.check_app_headers(headers, sim.config, now), "none"
        if path in BASIC:
            failure = auth.check_app_headers(headers, sim.config, now)
            return failure or auth.check_basic_cloud(headers, sim.config), "none"
        authorization = headers.get("authorization", "")
        if authorization.startswith("Bearer "):
            return sim.tokens.check(authorization[7:].strip(), sim.clock.time()), "api2"
        failure = auth.verify_api1(
            headers, path, sim.config, now, binding_expired=sim.binding_expired
        )
        return failure, "api1"

    def _fault_response(
        self, rule: FaultRule, parsed: Any, quota: ratelimit.Quota
    ) -> Response | _Drop | None:
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
            headers = quota.headers()
            return Response(
                MALFORMED_PAGE, status_code=200, media_type="text/html", headers=headers
            )
        if rule.kind == "fail":
            key = first_item(parsed.get("data", [])) if isinstance(parsed, dict) else {}
            error = ItemError(
                rule.error_code or "err_simulated_failure", rule.message or "Simulated failure"
            )
            return json_response(dumps(Envelope(fail=[error.entry(key)]).to_json()), 200, quota)
        return None

    def _execute(
        self, handler: Any, request: Request, parsed: Any, entry: dict[str, Any]
    ) -> tuple[bytes, int]:
        """Run the handler on a well-formed envelope; (body, HTTP status)."""
        data = parsed.get("data", []) if isinstance(parsed, dict) else None
        meta = parsed.get("meta", {}) if isinstance(parsed, dict) else None
        if not isinstance(data, list) or not isinstance(meta, dict):
            return error_body(
                400, "err_request_malformed", 'Body must be {"meta": {...}, "data": [...]}'
            ), 400
        base_url = str(request.base_url).rstrip("/")
        call = Call(request.url.path, meta, data, entry["auth"], base_url)
        try:
            envelope = handler(self.sim, call)
        except ItemError as error:
            envelope = Envelope(fail=[error.entry(first_item(data))])
        self.sim.api_call_executed(call.path)
        entry["executed"] = True
        return dumps(envelope.to_json()), 200

    def _oauth(self, request: Request, raw: bytes, quota: ratelimit.Quota) -> Response:
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
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
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


def create_app(config: SimConfig) -> Starlette:
    """A fresh simulator app; its state is `app.state.sim` (a `SimState`)."""
    sim = SimState(config)
    endpoint = ApiEndpoint(sim)
    routes = [Route("/api/{rest:path}", endpoint), Route("/oauth/token", endpoint), *admin_routes()]
    app = Starlette(routes=routes)
    app.state.sim = sim
    return app
