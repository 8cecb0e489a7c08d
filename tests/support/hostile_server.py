"""A hostile Mimecast on loopback: echoes the OAuth form back, and answers with terminal escapes.

An `aiohttp.web` app on 127.0.0.1 (an ephemeral port) in a thread of its own, so the CLI under
test runs in a real subprocess against real sockets. The first path segment picks the
behaviour, so one server serves every case through the connection's `base_url`:

- ``/echo/oauth/token``: 401 with an OAuth error body whose description quotes the request's
  form as sent (URL-encoded), as JSON (`json.dumps` of the parsed form, ASCII-escaped, and raw
  as orjson writes it) and base64-encoded after ``Basic`` (like an ``Authorization`` header).
- ``/ansi-token/oauth/token``: 401 whose ``error_description`` is `HOSTILE_TEXT`.
- ``/ansi/...``: a token, then a 400 whose ``fail[]`` message is `HOSTILE_TEXT`.
- ``/garbled/...``: a token, then a 200 whose body is `HOSTILE_TEXT` (not JSON: an excerpt).
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl

from aiohttp import web

#: What the server says to the terminal: clear it, retitle it, reverse the line, forge a line.
HOSTILE_TEXT = (
    "\x1b[2J\x1b[H\x1b]0;pwned-title\x07 \u202edesrever\u202c \x9b31m\rforged: done\nfake line"
    "\x00\x7f " + "A" * 3000
)
#: The access token the ``ansi`` and ``garbled`` behaviours hand out.
TOKEN = "tok-hostile-5f2e9a7c31"


async def _token(request: web.Request) -> web.Response:
    mode = request.match_info["mode"]
    raw = (await request.read()).decode("utf-8")
    if mode == "echo":
        form = dict(parse_qsl(raw))
        basic = f"{form.get('client_id')}:{form.get('client_secret')}".encode()
        said = (
            f"bad request body {raw} | as json {json.dumps(form)} | raw json "
            f"{json.dumps(form, ensure_ascii=False)} | Basic {base64.b64encode(basic).decode()}"
        )
        body = {"error": "invalid_client", "error_description": said}
        return web.json_response(body, status=401)
    if mode == "ansi-token":
        body = {"error": "invalid_client", "error_description": HOSTILE_TEXT}
        return web.json_response(body, status=401)
    return web.json_response({"access_token": TOKEN, "token_type": "Bearer", "expires_in": 1799})


async def _api(request: web.Request) -> web.Response:
    mode = request.match_info["mode"]
    if mode == "garbled":
        return web.Response(status=200, text=HOSTILE_TEXT, content_type="text/html")
    body = {
        "meta": {"status": 400},
        "data": [],
        "fail": [{"key": {}, "errors": [{"code": "err_hostile", "message": HOSTILE_TEXT}]}],
    }
    return web.json_response(body, status=400)


@contextmanager
def hostile_server() -> Iterator[str]:
    """Serve the hostile app; yields its root URL (``http://127.0.0.1:PORT``)."""
    app = web.Application()
    app.router.add_post("/{mode}/oauth/token", _token)
    app.router.add_post("/{mode}/api/{rest:.*}", _api)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app, access_log=None)
    loop.run_until_complete(runner.setup())
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    loop.run_until_complete(web.SockSite(runner, sock).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
