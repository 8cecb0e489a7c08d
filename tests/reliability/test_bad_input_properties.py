"""Bad input, generated: any table and any template yields correlated rows and valid lines.

Tables are written as JSONL text (any JSON values, nulls, missing and duplicate `lhub_id`s,
unicode, control characters, newlines inside values, 1 MB values, thousands of columns, and
lines that are not JSON at all), read back by the table reader and run through `run_to_sink`
against the simulator on loopback. Whatever comes in, the run never
raises, never puts a traceback into a row, gives every input row one or more rows correlated to
it in input order, and every output line is valid JSON.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import anyio
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.reliability.conftest import PROFILE

from mimecast_soar.actions import BatchWindow, get_action
from mimecast_soar.runtime import Connection, read_table_stream
from mimecast_soar.runtime.session import run_to_sink
from mimecast_soar.runtime.writers import DevoResultWriter, JsonlWriter
from mimecast_soar.sim import SimConfig, SimServer
from mimecast_soar.sim.server import connection_for

CONFIG = SimConfig(seed=31)
_CONNECTIONS: list[Connection] = []


@pytest.fixture(scope="module", autouse=True)
def _simulator() -> Iterator[None]:
    """One simulator on loopback for the module, and the connection to it."""
    with SimServer(CONFIG) as server:
        _CONNECTIONS.append(
            Connection.from_mapping(
                {
                    **connection_for(CONFIG, server.base_url),
                    "reference_values": {"vault": {"value": "vault-prop-5c2d19", "secret": True}},
                }
            )
        )
        yield
        _CONNECTIONS.clear()


WINDOW = BatchWindow.last_hours(24)
MEGABYTE = "é" * (1 << 19) + "x" * (1 << 19)
WIDE_ROW = {f"col_{i}": i for i in range(3_000)}

texts = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["", " ", "\n", "\r\n", "\x00", "\u2028", "{{", "{% if %}", "null", MEGABYTE]
)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | texts
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
lhub_ids = st.none() | st.integers(-3, 3) | st.sampled_from(["a", "", "1", True, 1.5, [1]])


@st.composite
def rows(draw: st.DrawFn) -> dict[str, Any]:
    row: dict[str, Any] = draw(st.dictionaries(texts, values, max_size=5))
    if draw(st.booleans()):
        row["lhub_id"] = draw(lhub_ids)
    if draw(st.integers(0, 9)) == 0:
        row.update(WIDE_ROW)
    if draw(st.booleans()):
        row["g"] = draw(values)
    return row


lines = st.lists(
    rows().map(lambda row: json.dumps(row, ensure_ascii=False, allow_nan=True))
    | st.sampled_from(['{"lhub_id": 7, "g": ', "[1, 2]", "null", "not json", '"text"']),
    min_size=1,
    max_size=6,
)
templates = st.sampled_from(
    [
        "{{ g }}",
        "{{ g | tojson }}",
        "{{ g.x.y }}-{{ missing }}",
        "{{ g ~ vault }}",
        "{% for k in g %}{{ k }}{% endfor %}",
        "{{ g[0] }}",
        "{{ g | int + 1 }}",
        "{{ g * 3 }}",
        "{{ ''.__class__ }}",
        "{{ (g|string)[:5] }}",
        "constant",
    ]
)


def _run(text: str, action: str, setting: dict[str, str | None]) -> tuple[list[Any], str, str]:
    jsonl, devo = io.StringIO(), io.StringIO()
    sinks = (JsonlWriter(jsonl), DevoResultWriter(devo))

    class Both:
        def write(self, lhub_id: Any, row: dict[str, Any]) -> None:
            for sink in sinks:
                sink.write(lhub_id, row)

    table = list(read_table_stream(io.StringIO(text), "jsonl"))
    anyio.run(
        lambda: run_to_sink(
            get_action(action),
            table,
            Both(),
            connection=_CONNECTIONS[0],
            settings=setting,
            window=WINDOW,
            concurrency=3,
        )
    )
    return table, jsonl.getvalue(), devo.getvalue()


def _check(table: list[Any], jsonl: str, devo: str) -> None:
    out = [orjson.loads(line) for line in jsonl.split("\n")[:-1]]
    results = [orjson.loads(line) for line in devo.split("\n")[:-1]]
    assert len(out) == len(results) >= len(table)
    groups: list[Any] = []
    for row in out:
        if not groups or groups[-1] != row["original_lhub_id"]:
            groups.append(row["original_lhub_id"])
        assert "Traceback" not in json.dumps(row)
        assert "vault-prop-5c2d19" not in json.dumps(row, ensure_ascii=False)
        assert isinstance(row["has_error"], bool)
    # One group per input row, in input order (adjacent duplicates merge into one group).
    expected = [row.lhub_id for row in table]
    merged = [i for n, i in enumerate(expected) if n == 0 or expected[n - 1] != i]
    assert groups == merged
    for result in results:
        orjson.loads(result["result"])


@settings(settings.get_profile(PROFILE))
@given(lines, templates)
def test_any_table_and_template_yield_correlated_rows_for_get_policy(
    table_lines: list[str], template: str
) -> None:
    table, jsonl, devo = _run("\n".join(table_lines) + "\n", "get_policy", {"policy_id": template})
    _check(table, jsonl, devo)


@settings(settings.get_profile(PROFILE))
@given(lines, st.sampled_from(["g", "lhub_id", "missing column", "col_7"]))
def test_any_table_yields_correlated_rows_for_a_column_input(
    table_lines: list[str], column: str
) -> None:
    table, jsonl, devo = _run(
        "\n".join(table_lines) + "\n", "release_message", {"message_id_column": column}
    )
    _check(table, jsonl, devo)
