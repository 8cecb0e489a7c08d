"""Abuse through templates: sandbox escapes and resource bombs end in an error row, quickly.

Each payload is the Policy ID template of Get Policy, run over one row through `run_to_sink`
against the in-process simulator. It must give exactly one error row that names the refusal,
within a bounded time and a bounded peak of Python memory (tracemalloc), and send nothing.
"""

from __future__ import annotations

import io
import time
import tracemalloc
from typing import Any

import anyio
import orjson
import pytest

from mimecast_soar.actions import BatchWindow, get_action
from mimecast_soar.runtime import Connection, InputRow
from mimecast_soar.runtime.session import run_to_sink
from mimecast_soar.runtime.writers import JsonlWriter
from mimecast_soar.sim import SimConfig, SimServer
from mimecast_soar.sim.server import connection_for

CONFIG = SimConfig(seed=37)
MAX_SECONDS = 5.0
MAX_PEAK_BYTES = 64 * 1024 * 1024

ESCAPES = {
    "mro walk to subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "attr filter walk": "{{ ''|attr('__class__')|attr('__mro__') }}",
    "cycler globals": "{{ cycler.__init__.__globals__.os }}",
    "joiner globals": "{{ joiner.__init__.__globals__ }}",
    "namespace globals": "{{ namespace.__init__.__globals__ }}",
    "lipsum globals": "{{ lipsum.__globals__['os'] }}",
    "range globals": "{{ range.__globals__ }}",
    "self context": "{{ self._TemplateReference__context }}",
    "format string attribute": "{{ '{0.__class__.__mro__}'.format('') }}",
    "format_map attribute": "{{ '{x.__class__}'.format_map({'x': 1}) }}",
    "mutating method": "{% set l = [] %}{{ l.append(1) }}",
    "dunder of an undefined name": "{{ request.__class__.__mro__ }}",
}
BOMBS = {
    "recursion": "{% macro r(n) %}{{ r(n) }}{% endmacro %}{{ r(1) }}",
    "huge range": "{{ range(10**9) | list | length }}",
    "nested ranges": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    ),
    "text repetition": "{{ 'a' * 10**9 }}",
    "huge power": "{{ 9 ** 999999999 }}",
    "format width": "{{ '{:>999999999}'.format(1) }}",
    "center filter": "{{ 'x' | center(10**9) }}",
    "namespace doubling": (
        "{% set ns = namespace(a='ab') %}{% for i in range(64) %}"
        "{% set ns.a = ns.a ~ ns.a %}{% endfor %}{{ ns.a | length }}"
    ),
    "cycler of a huge range": "{{ cycler(*range(10**8)).next() }}",
    "joiner of a huge text": "{% set j = joiner('x' * 10**8) %}{{ j() }}{{ j() }}",
    "lipsum bomb": "{{ lipsum(10**6) }}",
    "replace blow-up": "{{ ('a' * 4000) | replace('a', 'a' * 4000) }}",
    "join blow-up": "{{ (range(90000) | list) | join('x' * 1000) }}",
}


_SERVED: list[SimServer] = []


@pytest.fixture(scope="module", autouse=True)
def _simulator() -> Any:
    """One simulator on loopback for the module (`_run` reads it from `_SERVED`)."""
    with SimServer(CONFIG) as server:
        _SERVED.append(server)
        yield server
        _SERVED.clear()


def _run(
    template: str, *, trace_memory: bool = False
) -> tuple[list[dict[str, Any]], int, float, int]:
    """(rows, requests sent, seconds, peak traced bytes, 0 unless `trace_memory`)."""
    (server,) = _SERVED
    log = server.app.state.sim.request_log
    before = len(log("/api/policy/blockedsenders/get-policy"))
    stream = io.StringIO()
    writer = JsonlWriter(stream)
    connection = Connection.from_mapping(connection_for(CONFIG, server.base_url))
    if trace_memory:
        tracemalloc.start()
    started = time.monotonic()
    peak = 0
    try:
        anyio.run(
            lambda: run_to_sink(
                get_action("get_policy"),
                [InputRow(1, {"x": 1})],
                writer,
                connection=connection,
                settings={"policy_id": template},
                window=BatchWindow.last_hours(1),
            )
        )
        seconds = time.monotonic() - started
        if trace_memory:
            _, peak = tracemalloc.get_traced_memory()
    finally:
        if trace_memory:
            tracemalloc.stop()
    rows = [orjson.loads(line) for line in stream.getvalue().splitlines()]
    sent = len(log("/api/policy/blockedsenders/get-policy")) - before
    return rows, sent, seconds, peak


@pytest.mark.parametrize("template", list(ESCAPES.values()), ids=list(ESCAPES))
def test_sandbox_escape_is_refused_with_an_error_row(template: str) -> None:
    rows, sent, seconds, _ = _run(template)
    assert len(rows) == 1, rows
    assert rows[0]["has_error"], rows
    assert "sandbox" in rows[0]["error"] or "not allowed" in rows[0]["error"], rows[0]["error"]
    assert "Traceback" not in rows[0]["error"]
    assert sent == 0
    assert seconds < MAX_SECONDS


@pytest.mark.parametrize("template", list(BOMBS.values()), ids=list(BOMBS))
def test_resource_bomb_ends_in_an_error_row_in_bounded_time_and_memory(template: str) -> None:
    rows, sent, seconds, _ = _run(template)
    assert len(rows) == 1, rows
    assert rows[0]["has_error"], rows
    assert "could not be rendered" in rows[0]["error"] or "sandbox" in rows[0]["error"]
    assert sent == 0
    assert seconds < MAX_SECONDS, f"took {seconds:.1f} s"
    _, _, _, peak = _run(template, trace_memory=True)
    assert peak < MAX_PEAK_BYTES, f"peak {peak / 2**20:.0f} MiB"
