"""The table runner: input order, correlation, streaming and fatal errors, under concurrency."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Mapping
from typing import Any

import anyio
import pytest

from mimecast_soar.actions import BatchWindow, InputKind, InputSpec, OutputShape, SimpleContext
from mimecast_soar.actions.spec import ActionContext, ActionSpec, Row, record_row
from mimecast_soar.api.endpoints import Endpoint
from mimecast_soar.errors import AuthenticationError, InvalidInputError, ServerError
from mimecast_soar.runtime.resolve import RowResolver
from mimecast_soar.runtime.runner import TableRunner
from mimecast_soar.runtime.tables import InputRow
from mimecast_soar.runtime.templates import TemplateRenderer
from mimecast_soar.secret import Redactor

pytestmark = pytest.mark.anyio

INPUTS = (
    InputSpec("count", "Count", "rows to emit", InputKind.COLUMN, required=True),
    InputSpec("note", "Note", "a template", InputKind.JINJA),
)


class ListSink:
    def __init__(self) -> None:
        self.rows: list[tuple[Any, Row]] = []

    def write(self, lhub_id: Any, row: dict[str, Any]) -> None:
        self.rows.append((lhub_id, row))


#: The endpoint of the probe action (never called: its behaviour makes the rows).
PROBE = Endpoint("/api/probe", mutating=False)


def make_spec(behaviour: Any) -> ActionSpec:
    async def execute(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
        async for row in behaviour(values):
            yield row

    return ActionSpec(
        id="probe",
        name="Probe",
        description="test action",
        endpoints=(PROBE,),
        output=OutputShape.RECORDS,
        inputs=INPUTS,
        execute=execute,
    )


async def emit(values: Mapping[str, Any]) -> AsyncIterator[Row]:
    count = int(values["count"])
    if count < 0:
        raise InvalidInputError("Count must not be negative")
    if count == 99:
        raise ServerError("Mimecast failed (HTTP 503)")
    if count == 666:
        raise AuthenticationError("Mimecast rejected the credentials (HTTP 401)")
    await anyio.sleep(random.random() / 200)
    for index in range(count):
        yield record_row({"index": index, "note": values.get("note")})


def runner_for(spec: ActionSpec, sink: ListSink, concurrency: int, redactor: Any = None) -> Any:
    window = BatchWindow.last_hours(1)
    context = SimpleContext(client=None, window=window)  # type: ignore[arg-type]
    resolver = RowResolver.build(
        spec,
        {"count": "n", "note": "{{ who }}-{{ n }}"},
        renderer=TemplateRenderer(),
        reference_values={"who": "ref"},
    )
    return TableRunner(spec, context, resolver, sink, concurrency=concurrency, redactor=redactor)


@pytest.mark.parametrize("concurrency", [1, 4, 32])
async def test_output_is_in_input_order_with_every_row_correlated(concurrency: int) -> None:
    counts = [random.randint(0, 4) for _ in range(200)]
    rows = [InputRow(lhub_id=index, values={"n": count}) for index, count in enumerate(counts)]
    sink = ListSink()
    summary = await runner_for(make_spec(emit), sink, concurrency).run(rows)
    expected_ids = [index for index, count in enumerate(counts) for _ in range(max(count, 1))]
    assert [lhub_id for lhub_id, _ in sink.rows] == expected_ids
    assert summary.input_rows == 200
    assert summary.output_rows == len(expected_ids)
    for lhub_id, row in sink.rows:
        if counts[lhub_id] == 0:
            assert row == {"has_error": False, "error": None, "noResults": "no results returned"}
        else:
            assert row["note"] == f"ref-{counts[lhub_id]}"


async def test_bad_rows_become_error_rows_and_good_rows_still_run() -> None:
    rows = [
        InputRow(lhub_id="a", values={"n": 1}),
        InputRow(lhub_id="b", values=None, error="line 2 is not a JSON object"),
        InputRow(lhub_id="c", values={"other": 1}),
        InputRow(lhub_id="d", values={"n": -1}),
        InputRow(lhub_id="e", values={"n": 99}),
        InputRow(lhub_id="f", values={"n": 2}),
    ]
    sink = ListSink()
    summary = await runner_for(make_spec(emit), sink, 4).run(rows)
    by_id: dict[Any, list[Row]] = {}
    for lhub_id, row in sink.rows:
        by_id.setdefault(lhub_id, []).append(row)
    assert list(by_id) == ["a", "b", "c", "d", "e", "f"]
    assert by_id["b"] == [{"has_error": True, "error": "line 2 is not a JSON object"}]
    assert by_id["c"][0]["error"] == "Count: column 'n' is not in this row"
    assert by_id["d"][0]["error"] == "Count must not be negative"
    assert "HTTP 503" in by_id["e"][0]["error"]
    assert len(by_id["f"]) == 2
    assert not by_id["f"][0]["has_error"]
    assert summary.error_rows == 4
    assert summary.fatal is None


async def test_a_fatal_error_stops_the_run_but_every_row_gets_a_row() -> None:
    rows = [InputRow(lhub_id=i, values={"n": 666 if i == 3 else 1}) for i in range(40)]
    sink = ListSink()
    summary = await runner_for(make_spec(emit), sink, 1).run(rows)
    ids = [lhub_id for lhub_id, _ in sink.rows]
    assert ids == list(range(40))
    assert "credentials" in (summary.fatal or "")
    assert sink.rows[3][1]["has_error"]
    for _, row in sink.rows[4:]:
        assert row["error"].startswith(
            "not processed: the run stopped after an earlier row failed: "
        )


async def test_head_row_streams_without_buffering_all_records() -> None:
    seen_before_finish: list[int] = []
    sink = ListSink()

    async def many(values: Mapping[str, Any]) -> AsyncIterator[Row]:
        for index in range(5000):
            if index == 4999:
                seen_before_finish.append(len(sink.rows))
            yield record_row({"index": index})

    rows = [InputRow(lhub_id=1, values={"n": 0})]
    await runner_for(make_spec(many), sink, 8).run(rows)
    assert len(sink.rows) == 5000
    # The writer had already written most rows before the action produced its last one.
    assert seen_before_finish[0] > 4000


async def test_errors_are_redacted() -> None:
    async def leaky(values: Mapping[str, Any]) -> AsyncIterator[Row]:
        raise InvalidInputError("bad value s3cr3t-value-123 given")
        yield {}  # pragma: no cover

    sink = ListSink()
    redactor = Redactor(["s3cr3t-value-123"])
    await runner_for(make_spec(leaky), sink, 2, redactor).run([InputRow(1, {"n": 1})])
    assert "s3cr3t" not in sink.rows[0][1]["error"]
