"""The load run: many rows, transient faults, a quota that forces throttling, flat memory.

`run_load` runs Get Policy (one read call per row) over `rows` input rows against a simulator
with 4% HTTP 503 and 1% connections dropped before a response, under a quota of `quota_limit`
calls per `quota_window_ms` (below what this machine sends), writing
JSONL to a real file. It samples the process's resident memory (``/proc/self/statm``) every
50 ms during the run and reports the growth over the memory before the run, with the exact
counts read back from the file.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import orjson
from tests.reliability.harness import Admin, connection_for

from mimecast_soar.actions import BatchWindow, get_action
from mimecast_soar.api import MimecastClient, RetryPolicy
from mimecast_soar.runtime import InputRow
from mimecast_soar.runtime.session import run_to_sink
from mimecast_soar.runtime.writers import JsonlWriter
from mimecast_soar.sim import SimServer

POLICY_PATH = "/api/policy/blockedsenders/get-policy"


@dataclass
class LoadResult:
    rows_in: int
    rows_out: int
    error_rows: int
    ids_in_order: bool
    faults_injected: int
    throttled: int
    requests: int
    seconds: float
    rss_growth_bytes: int
    notices: int
    #: Times the client paused all calls because a response said the quota was used up.
    quota_pauses: int


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _RssSampler:
    def __init__(self) -> None:
        self.peak = _rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, _rss_bytes())

    def __enter__(self) -> _RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_bytes())


def _rows(policy_ids: list[str], count: int) -> Iterator[InputRow]:
    for index in range(1, count + 1):
        yield InputRow(index, {"pid": policy_ids[index % len(policy_ids)]})


def run_load(
    server: SimServer,
    rows: int,
    out: Path,
    *,
    quota_limit: int = 40,
    quota_window_ms: int = 250,
    retry: RetryPolicy | None = None,
) -> LoadResult:
    """Run the load (see the module docstring); the simulator is reset first.

    `retry` replaces the production retry policy (shorter waits for the quick test).
    """
    admin = Admin(server.base_url)
    admin.reset()
    policy_ids = sorted(server.app.state.sim.world.policies)
    admin.faults(
        [
            {"kind": "quota", "limit": quota_limit, "window_ms": quota_window_ms},
            {"kind": "status", "code": 503, "rate": 0.04, "path": POLICY_PATH},
            {"kind": "drop_before", "rate": 0.01, "path": POLICY_PATH},
        ]
    )
    connection = connection_for(server)
    notices: list[str] = []
    before = _rss_bytes()
    started = time.monotonic()

    async def go(writer: JsonlWriter) -> None:
        settings = dataclasses.replace(connection.client_settings(), retry=retry or RetryPolicy())
        async with MimecastClient(
            settings, redactor=connection.redactor(), on_notice=notices.append
        ) as client:
            await run_to_sink(
                get_action("get_policy"),
                _rows(policy_ids, rows),
                writer,
                connection=connection,
                settings={"policy_id": "{{ pid }}"},
                window=BatchWindow.last_hours(1),
                concurrency=8,
                client=client,
            )

    with out.open("w", encoding="utf-8") as stream, _RssSampler() as rss:
        writer = JsonlWriter(stream)
        anyio.run(go, writer)
        writer.close()
    seconds = time.monotonic() - started
    admin.faults([])
    log = admin.requests(POLICY_PATH)
    rows_out = error_rows = 0
    in_order = True
    with out.open("rb") as handle:
        for expected, line in enumerate(handle, start=1):
            row = orjson.loads(line)
            rows_out += 1
            error_rows += bool(row["has_error"])
            in_order = in_order and row["original_lhub_id"] == expected
    return LoadResult(
        rows_in=rows,
        rows_out=rows_out,
        error_rows=error_rows,
        ids_in_order=in_order,
        faults_injected=sum(1 for e in log if e["fault"] in ("status", "drop_before")),
        throttled=sum(1 for e in log if e["fault"] == "quota"),
        requests=len(log),
        seconds=seconds,
        rss_growth_bytes=rss.peak - before,
        notices=len(notices),
        quota_pauses=sum(1 for text in notices if "quota used up" in text),
    )


#: The resident memory a load run may add (the output streams to a file; nothing is kept).
MAX_RSS_GROWTH_BYTES = 40 * 1024 * 1024


def load_problems(result: LoadResult) -> list[str]:
    """Every broken promise of a load run, as sentences (empty: all kept)."""
    problems = []
    if result.rows_out != result.rows_in or result.error_rows:
        problems.append(
            f"{result.rows_in} rows in, {result.rows_out} out, {result.error_rows} error rows"
        )
    if not result.ids_in_order:
        problems.append("output rows are not one per input row in input order")
    if not result.faults_injected or not (result.throttled or result.quota_pauses):
        problems.append("the run met no fault or no throttling: the load proves nothing")
    if result.requests != result.rows_in + result.faults_injected + result.throttled:
        problems.append(f"{result.requests} calls for {result.rows_in} rows: some were repeated")
    if result.rss_growth_bytes > MAX_RSS_GROWTH_BYTES:
        problems.append(f"resident memory grew by {result.rss_growth_bytes / 2**20:.0f} MiB")
    return problems
