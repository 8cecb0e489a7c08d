"""Record pulls in the runner: page points where the output holds whole pages, records counted,
a resumed row going on from its page, and an error on a later page after the earlier records.

Against a simulator (real loopback HTTP) whose URL log feed gives 1,000 records in pages of 100.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import anyio
import httpx
import pytest

from mimecast_soar.actions import BatchWindow, get_action
from mimecast_soar.actions.spec import Row
from mimecast_soar.runtime import Connection, InputRow
from mimecast_soar.runtime.paging import PullStart
from mimecast_soar.runtime.runner import RunSummary
from mimecast_soar.runtime.session import run_to_sink
from mimecast_soar.sim import SimConfig, SimServer

LOGS = "/api/ttp/url/get-logs"
RECORDS = 1_000
PAGE = 100


@pytest.fixture(scope="module")
def paged_sim() -> Iterator[SimServer]:
    config = SimConfig(seed=53, ttp_url_log_count=RECORDS)
    config.max_page_size = {**config.max_page_size, LOGS: PAGE}
    with SimServer(config) as server:
        yield server


class Sink:
    def __init__(self) -> None:
        self.rows: list[Row] = []

    def write(self, lhub_id: Any, row: dict[str, Any]) -> None:
        self.rows.append(row)


class Recorder:
    """A progress sink that notes what the runner reports, and how many rows were written then."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.records_seen = 0
        self.pages: list[tuple[int, int, str, int]] = []  # records, rows, token, rows in sink
        self.done = 0

    def advance(self, rows: int = 1, errors: int = 0) -> None:
        self.done += rows

    def records(self, count: int) -> None:
        self.records_seen += count

    def page(self, records: int, rows: int, token: str) -> None:
        self.pages.append((records, rows, token, len(self.sink.rows)))


def pull(
    server: SimServer,
    *,
    first_pull: PullStart | None = None,
    page_size: int = 100_000,
    reset: bool = True,
) -> tuple[Sink, Recorder, RunSummary]:
    """One input row of Get TTP URL Logs (`reset`: the simulator's log and faults first)."""
    if reset:
        httpx.post(f"{server.base_url}/_sim/reset").raise_for_status()
    anchor = server.app.state.sim.anchor
    sink = Sink()
    progress = Recorder(sink)

    async def go() -> RunSummary:
        return await run_to_sink(
            get_action("get_ttp_url_logs"),
            [InputRow(lhub_id=1, values={})],
            sink,
            connection=Connection.from_mapping(server.connection()),
            settings={"page_size": str(page_size)},
            window=BatchWindow(anchor - timedelta(days=8), anchor + timedelta(hours=1)),
            progress=progress,
            first_pull=first_pull,
        )

    return sink, progress, anyio.run(go)


def log_tokens(server: SimServer) -> list[str | None]:
    entries = httpx.get(f"{server.base_url}/_sim/requests", params={"path": LOGS}).json()
    return [entry["body"]["meta"]["pagination"].get("pageToken") for entry in entries]


def test_each_page_point_is_reported_when_the_output_holds_exactly_its_pages(
    paged_sim: SimServer,
) -> None:
    sink, progress, summary = pull(paged_sim)
    assert len(sink.rows) == RECORDS
    assert summary.error_rows == 0
    assert progress.records_seen == RECORDS  # records counted, not only the one input row
    assert progress.done == 1
    assert [(records, rows, written) for records, rows, _, written in progress.pages] == [
        (n, n, n)
        for n in range(PAGE, RECORDS + 1, PAGE)  # the last page has a `next` too
    ]
    tokens = log_tokens(paged_sim)
    # Each point names the page that follows it: the one asked for with that token.
    assert [token for *_, token, _ in progress.pages] == tokens[1:]


def test_a_resumed_row_goes_on_from_its_page_and_keeps_the_cap(
    paged_sim: SimServer,
) -> None:
    whole, progress, _ = pull(paged_sim)
    records, rows, token, _ = progress.pages[4]  # 500 records written, page 6 next
    sink, resumed, _ = pull(paged_sim, first_pull=PullStart(token, records, rows))
    assert sink.rows == whole.rows[500:]
    assert log_tokens(paged_sim)[0] == token  # pages 1 to 5 are not asked for again
    assert resumed.pages[-1][:2] == (1000, 1000)  # points count the records of the whole pull

    capped, _, _ = pull(paged_sim, first_pull=PullStart(token, records, rows), page_size=700)
    assert capped.rows == whole.rows[500:700]


def test_a_resumed_row_that_had_written_rows_gets_no_empty_pull_row(
    paged_sim: SimServer,
) -> None:
    _whole, progress, _ = pull(paged_sim)
    records, rows, token, _ = progress.pages[-1]
    # Resumed at a cap already reached: nothing more to write, and no `noResults` row.
    sink, _, summary = pull(
        paged_sim, first_pull=PullStart(token, records, rows), page_size=records
    )
    assert sink.rows == []
    assert summary.completed_rows == 1


def test_an_error_on_a_later_page_comes_after_every_record_of_the_pages_before(
    paged_sim: SimServer,
) -> None:
    rule = {"kind": "fail", "path": LOGS, "after": 3, "count": 1, "code": "err_page"}
    httpx.post(f"{paged_sim.base_url}/_sim/reset").raise_for_status()
    whole, _, _ = pull(paged_sim)
    httpx.post(f"{paged_sim.base_url}/_sim/reset").raise_for_status()
    httpx.post(f"{paged_sim.base_url}/_sim/faults", json=[rule]).raise_for_status()
    try:
        sink, _, summary = pull(paged_sim, reset=False)
    finally:
        httpx.post(f"{paged_sim.base_url}/_sim/faults", json=[]).raise_for_status()
    assert sink.rows[:-1] == whole.rows[: 3 * PAGE]  # pages 1-3, read ahead of the failure
    assert sink.rows[-1]["has_error"] is True
    assert "err_page" in sink.rows[-1]["error"]
    assert summary.error_rows == 1
