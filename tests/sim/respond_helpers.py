"""Helpers for the response-endpoint tests (issue 14): a twin simulator, the clock, bearer calls."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import httpx
from sim_helpers import Api

from mimecast_soar.sim import SimServer


@contextmanager
def twin(server: SimServer, **changes: Any) -> Iterator[Api]:
    """A second simulator with the same seed and anchor (plus `changes`), and a client for it."""
    config = replace(server.config, now=server.app.state.sim.anchor, **changes)
    with SimServer(config) as other, httpx.Client(base_url=other.base_url, timeout=30) as http:
        yield Api(http, other.connection())


def advance(client: httpx.Client, seconds: float) -> None:
    """Move the simulator clock forward."""
    response = client.post("/_sim/clock", json={"advance_seconds": seconds})
    assert response.status_code == 200, response.text


def bearer_post(client: httpx.Client, server: SimServer, path: str, body: Any) -> httpx.Response:
    """POST `body` with an API 2.0 bearer token."""
    connection = server.connection(api_version=2)
    form = {
        "grant_type": "client_credentials",
        "client_id": connection["client_id"],
        "client_secret": connection["client_secret"],
    }
    token = client.post("/oauth/token", data=form).json()["access_token"]
    return client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})


def first_error(body: dict[str, Any]) -> dict[str, Any]:
    """`fail[0].errors[0]` of a response body."""
    error: dict[str, Any] = body["fail"][0]["errors"][0]
    return error
