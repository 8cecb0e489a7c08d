"""Helpers shared by the integration tests: running an action and reading what the sim saw."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from mimecast_soar.actions import BatchWindow
from mimecast_soar.actions.values import format_mimecast_time
from mimecast_soar.runtime.connection import Connection
from mimecast_soar.runtime.session import run_action

Output = list[tuple[Any, dict[str, Any]]]


class Run(list[tuple[Any, dict[str, Any]]]):
    """One action run: its `(original_lhub_id, row)` pairs in output order (the run is that
    list) and the notices it emitted."""

    def __init__(self, output: Output, notices: list[str]) -> None:
        super().__init__(output)
        self.notices = notices

    @property
    def output(self) -> Output:
        """The `(original_lhub_id, row)` pairs, as a plain list."""
        return list(self)

    @property
    def ids(self) -> list[Any]:
        """The `original_lhub_id` of every output row, in output order."""
        return [lhub_id for lhub_id, _ in self.output]

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The output rows, in output order."""
        return [row for _, row in self.output]

    def rows_for(self, lhub_id: Any) -> list[dict[str, Any]]:
        """The output rows correlated to one input row."""
        return [row for rid, row in self.output if rid == lhub_id]

    @property
    def only(self) -> dict[str, Any]:
        """The single output row of a one-row run."""
        assert len(self.output) == 1, self.output
        return self.output[0][1]


async def run(
    action: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    connection: Connection,
    window: BatchWindow,
    settings: Mapping[str, str | None] | None = None,
    concurrency: int = 4,
) -> Run:
    """Run `action` over `rows` against the simulator, collecting notices."""
    notices: list[str] = []
    output = await run_action(
        action,
        rows,
        connection=connection,
        settings=settings or {},
        window=window,
        concurrency=concurrency,
        on_notice=notices.append,
    )
    return Run(output, notices)


def mimecast_time(moment: datetime) -> str:
    """The body date form the client must send: `2011-12-03T10:15:30+0000`."""
    return format_mimecast_time(moment)


def rows_of(output: Output, lhub_id: Any) -> list[dict[str, Any]]:
    """The rows correlated to one input row."""
    return [row for rid, row in output if rid == lhub_id]


def ok(**fields: Any) -> dict[str, Any]:
    """A success row: `has_error` false and `error` null, then `fields`."""
    return {"has_error": False, "error": None, **fields}


def record(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The row of one record of a records action."""
    return {"has_error": False, "error": None, **fields}


NO_RESULTS = {"has_error": False, "error": None, "noResults": "no results returned"}


def assert_error_row(row: Mapping[str, Any], *needles: str) -> None:
    """An error row whose sentence contains every needle, without a traceback."""
    assert row["has_error"] is True, row
    error = row["error"]
    assert isinstance(error, str), row
    assert "Traceback" not in error
    for needle in needles:
        assert needle in error, (needle, error)


def assert_flags_first(row: Mapping[str, Any]) -> None:
    """`has_error` and `error` come first, before the merged fields."""
    assert list(row)[:2] == ["has_error", "error"], list(row)
