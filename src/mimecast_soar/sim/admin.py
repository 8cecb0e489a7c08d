"""Admin endpoints under `/_sim/` (no auth): request log, reset, faults, state, clock, binding.

GET    /_sim/requests[?path=/api/...]   the request log (oldest first, last 100k entries)
POST   /_sim/reset                      restore the seeded state, clear log and faults
GET    /_sim/faults                     the current fault rules
POST   /_sim/faults                     replace them with a JSON list (`[]` clears)
DELETE /_sim/faults                     clear them
GET    /_sim/state                      counts (held, released, rejected, members, policies...)
POST   /_sim/clock                      {"advance_seconds": N}: move simulator time forward
POST   /_sim/tokens/expire              expire every bearer token now, or with
                                        {"after_calls": N} once N more API calls ran
POST   /_sim/binding                    {"expired": true|false}: API 1.0 calls answer 418
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mimecast_soar.sim.faults import FaultRule, FaultSpecError
from mimecast_soar.sim.state import SimState


def _json(value: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(value), status_code=status, media_type="application/json")


def _sim(request: Request) -> SimState:
    sim: SimState = request.app.state.sim
    return sim


async def _body(request: Request) -> Any:
    raw = await request.body()
    return orjson.loads(raw) if raw.strip() else None


async def requests_log(request: Request) -> Response:
    """GET /_sim/requests."""
    return _json(_sim(request).request_log(request.query_params.get("path")))


async def reset(request: Request) -> Response:
    """POST /_sim/reset."""
    _sim(request).reset()
    return _json({"reset": True})


async def faults(request: Request) -> Response:
    """GET, POST and DELETE /_sim/faults."""
    sim = _sim(request)
    if request.method == "POST":
        try:
            body = await _body(request)
            items = body if isinstance(body, list) else (body or {}).get("faults", [])
            rules = [FaultRule.from_json(item) for item in items]
        except (orjson.JSONDecodeError, FaultSpecError, AttributeError, TypeError) as exc:
            return _json({"error": str(exc)}, 400)
        sim.set_faults(rules)
    elif request.method == "DELETE":
        sim.set_faults([])
    return _json([rule.to_json() for rule in sim.faults.rules])


async def state(request: Request) -> Response:
    """GET /_sim/state."""
    return _json(_sim(request).counts())


async def clock(request: Request) -> Response:
    """POST /_sim/clock {"advance_seconds": N} (also accepts "seconds")."""
    sim = _sim(request)
    body = await _body(request) or {}
    seconds = body.get("advance_seconds", body.get("seconds", 0)) if isinstance(body, dict) else 0
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        return _json({"error": "advance_seconds must be a number"}, 400)
    sim.advance_clock(float(seconds))
    return _json({"now": sim.clock.now().isoformat(), "offset_seconds": sim.clock.offset_seconds})


async def expire_tokens(request: Request) -> Response:
    """POST /_sim/tokens/expire, optionally `{"after_calls": N}` (deferred to mid-run)."""
    body = await _body(request) or {}
    after = body.get("after_calls", 0) if isinstance(body, dict) else 0
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        return _json({"error": "after_calls must be a whole number >= 0"}, 400)
    _sim(request).expire_tokens(after)
    return _json({"expired": after == 0, "after_calls": after})


async def binding(request: Request) -> Response:
    """POST /_sim/binding {"expired": bool}."""
    body = await _body(request) or {}
    expired = body.get("expired") if isinstance(body, dict) else None
    if not isinstance(expired, bool):
        return _json({"error": 'expected {"expired": true|false}'}, 400)
    _sim(request).set_binding_expired(expired)
    return _json({"expired": expired})


def admin_routes() -> list[Route]:
    """The `/_sim/` routes (they read the state from `request.app.state.sim`)."""
    return [
        Route("/_sim/requests", requests_log, methods=["GET"]),
        Route("/_sim/reset", reset, methods=["POST"]),
        Route("/_sim/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_sim/state", state, methods=["GET"]),
        Route("/_sim/clock", clock, methods=["POST"]),
        Route("/_sim/tokens/expire", expire_tokens, methods=["POST"]),
        Route("/_sim/binding", binding, methods=["POST"]),
    ]
