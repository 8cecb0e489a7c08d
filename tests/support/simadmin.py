"""Talking to the simulator's admin endpoints (`/_sim/...`) from tests, over real HTTP."""

from __future__ import annotations

from typing import Any

import httpx


class SimAdmin:
    """Reset, faults, request log and state of one running simulator."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.base_url: str = server.base_url

    def reset(self) -> None:
        httpx.post(f"{self.base_url}/_sim/reset").raise_for_status()

    def faults(self, rules: list[dict[str, Any]]) -> None:
        httpx.post(f"{self.base_url}/_sim/faults", json=rules).raise_for_status()

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        params = {"path": path} if path else None
        response = httpx.get(f"{self.base_url}/_sim/requests", params=params)
        response.raise_for_status()
        body = response.json()
        entries: list[dict[str, Any]] = body if isinstance(body, list) else body["requests"]
        return entries

    def bodies(self, path: str) -> list[Any]:
        """The JSON bodies the simulator received on `path`, oldest first."""
        return [entry["body"] for entry in self.requests(path)]

    def state(self) -> dict[str, Any]:
        response = httpx.get(f"{self.base_url}/_sim/state")
        response.raise_for_status()
        state: dict[str, Any] = response.json()
        return state

    @property
    def sim(self) -> Any:
        """The in-process state object (read-only use: ids of seeded data)."""
        return self.server.app.state.sim
