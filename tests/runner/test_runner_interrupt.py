"""Stopping a run early: what finished is written in order, state changes in flight are marked."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Mapping
from typing import Any

import anyio
import pytest
from tests.runner.test_runner import ListSink, make_spec, runner_for

from mimecast_soar.actions.spec import Row, result_row
from mimecast_soar.api.endpoints import Endpoint
from mimecast_soar.runtime.runner import INTERRUPTED_CHANGE, TableRunner
from mimecast_soar.runtime.tables import InputRow

pytestmark = pytest.mark.anyio


def _slow_spec(*, mutating: bool, seconds_per_row: dict[int, float]) -> Any:
    async def behave(values: Mapping[str, Any]) -> AsyncIterator[Row]:
        await anyio.sleep(seconds_per_row.get(int(values["count"]), 0))
        yield result_row(int(values["count"]))

    endpoint = Endpoint("/api/probe", mutating=mutating)
    return dataclasses.replace(make_spec(behave), endpoints=(endpoint,))


def _runner(spec: Any, sink: ListSink, stop: anyio.Event) -> TableRunner:
    runner: TableRunner = runner_for(spec, sink, 4)
    runner.stop = stop
    runner.stop_grace_seconds = 0.05
    # These actions make no call, so no service ever answers: without this, only the first
    # FAIL_FAST_ROWS rows would be let through at once (runtime.failfast), not 4.
    runner.fail_fast_rows = None
    return runner


@pytest.mark.parametrize("mutating", [True, False])
async def test_stop_writes_finished_rows_in_order_and_marks_only_state_changes(
    mutating: bool,
) -> None:
    # Rows 2 to 5 hang and fill the 4 slots of concurrency; rows 6 and 7 never start.
    spec = _slow_spec(mutating=mutating, seconds_per_row={2: 60, 3: 60, 4: 60, 5: 60})
    rows = [InputRow(i, {"n": i}) for i in range(1, 8)]
    sink = ListSink()
    stop = anyio.Event()
    runner = _runner(spec, sink, stop)
    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:

            async def stop_soon() -> None:
                await anyio.sleep(0.05)
                stop.set()

            group.start_soon(stop_soon)
            summary = await runner.run(rows)
    assert summary.stopped
    if mutating:
        # Rows 2 to 5 may have reached Mimecast: an error row each, never silence.
        assert [lhub_id for lhub_id, _ in sink.rows] == [1, 2, 3, 4, 5]
        assert [row for _, row in sink.rows[1:]] == [
            {"has_error": True, "error": INTERRUPTED_CHANGE}
        ] * 4
        assert summary.interrupted_rows == 4
        assert summary.completed_rows == 5
    else:
        # An unfinished read is left to the resumed run; rows behind it are not written.
        assert [lhub_id for lhub_id, _ in sink.rows] == [1]
        assert summary.completed_rows == 1


async def test_one_slow_row_does_not_stall_the_rows_behind_it() -> None:
    """A retried head row lets up to ORDER_WINDOW rows finish behind it meanwhile."""
    started: list[int] = []
    started_when_head_finished: list[int] = []

    async def behave(values: Mapping[str, Any]) -> AsyncIterator[Row]:
        number = int(values["count"])
        started.append(number)
        if number == 1:
            await anyio.sleep(0.5)
            started_when_head_finished.append(len(started))
        yield result_row(number)

    sink = ListSink()
    with anyio.fail_after(5):
        await runner_for(make_spec(behave), sink, 4).run(
            [InputRow(i, {"n": i}) for i in range(1, 101)]
        )
        assert [lhub_id for lhub_id, _ in sink.rows] == list(range(1, 101))
    # All 100 rows started while row 1 was still waiting (2 x concurrency = 8 before the fix).
    assert started_when_head_finished == [100]
