"""Helpers of the tests beyond the seed: run an action in process, read rows and the sim log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mimecast_soar.actions import BatchWindow
from mimecast_soar.runtime.connection import Connection
from mimecast_soar.runtime.session import run_action

Output = list[tuple[Any, dict[str, Any]]]
NO_RESULTS = {"has_error": False, "error": None, "noResults": "no results returned"}


async def run(
    action: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    connection: Connection,
    window: BatchWindow,
    settings: Mapping[str, str | None] | None = None,
    concurrency: int = 4,
) -> Output:
    """`(original_lhub_id, row)` pairs of one run of `action` against the simulator."""
    return await run_action(
        action,
        rows,
        connection=connection,
        settings=settings or {},
        window=window,
        concurrency=concurrency,
    )


def rows_of(output: Output, lhub_id: Any) -> list[dict[str, Any]]:
    """The rows correlated to one input row."""
    return [row for rid, row in output if rid == lhub_id]


def ok(**fields: Any) -> dict[str, Any]:
    """A success row: `has_error` false, `error` null, then `fields`."""
    return {"has_error": False, "error": None, **fields}


def assert_error_row(row: Mapping[str, Any], *needles: str) -> None:
    """An error row whose one sentence contains every needle (and no traceback)."""
    assert row["has_error"] is True, row
    assert isinstance(row["error"], str), row
    assert "Traceback" not in row["error"]
    for needle in needles:
        assert needle in row["error"], (needle, row["error"])


def sent_items(bodies: Sequence[Any]) -> list[Any]:
    """`data[0]` of every logged request body, in arrival order."""
    return [body["data"][0] if body["data"] else None for body in bodies]
