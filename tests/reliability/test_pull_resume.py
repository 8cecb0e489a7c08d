"""A long log pull killed or interrupted mid-pull, resumed from the last page it wrote.

One input row pulls 20,000 URL log records (40 pages of 500) from a simulator answering each page
after 25 ms. The run is killed (SIGKILL) or interrupted (SIGINT) once it has written some pages;
`--resume` then goes on from the page after the last one journaled. Checked against the
simulator's request log (the page token of every request): the output is the same as a pull
that was never interrupted (every record exactly once, in order); no page whose records were
journaled as written is asked for again (only the page on its way when the run stopped may be);
and a finished run resumed asks for nothing.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.reliability.conftest import _started
from tests.reliability.harness import READ_PATH
from tests.support.secret_scan import SCAN
from tests.support.simadmin import SimAdmin

from mimecast_soar.runtime.journal import read_journal
from mimecast_soar.sim import SimConfig, SimServer, write_connection_file

RECORDS = 20_000
PAGE = 500
#: Lines the first run writes before it is stopped: several pages, far from the end.
STOP_AFTER_LINES = 3_000


@pytest.fixture(scope="module")
def slow_logs() -> Iterator[SimServer]:
    """A simulator with 20,000 URL log records, answering every request after 25 ms."""
    server = _started(SimServer(SimConfig(seed=47, ttp_url_log_count=RECORDS, latency_ms=25)))
    yield server
    server.stop()


def _args(conn: Path, table: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mimecast_soar.cli",
        "run",
        "get_ttp_url_logs",
        "--connection",
        str(conn),
        "--input",
        str(table),
        "--output",
        str(out),
        "--set",
        f"page_size={RECORDS}",
        "--batch-start",
        "2000-01-01T00:00:00Z",
        "--batch-end",
        "2100-01-01T00:00:00Z",
        *extra,
    ]


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    SCAN.text(done.stdout + done.stderr, "pull resume CLI output")
    return done


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _tokens(admin: SimAdmin) -> list[str | None]:
    """The page token of every log request so far (None: the first page), oldest first."""
    tokens: list[str | None] = []
    for entry in admin.requests(READ_PATH):
        body: Any = entry["body"]
        tokens.append(body["meta"]["pagination"].get("pageToken"))
    return tokens


@pytest.fixture(scope="module")
def reference(slow_logs: SimServer, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The output of the same pull, never interrupted."""
    folder = tmp_path_factory.mktemp("reference")
    conn = folder / "conn.toml"
    write_connection_file(conn, slow_logs.connection())
    table = folder / "in.jsonl"
    table.write_text('{"lhub_id": "pull-1"}\n', encoding="utf-8")
    out = folder / "all.jsonl"
    done = _run(_args(conn, table, out))
    assert done.returncode == 0, done.stderr
    data = out.read_bytes()
    assert data.count(b"\n") == RECORDS
    return data


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_a_stopped_pull_resumes_from_the_page_after_the_last_one_written(
    sig: signal.Signals, slow_logs: SimServer, reference: bytes, tmp_path: Path
) -> None:
    admin = SimAdmin(slow_logs)
    admin.reset()
    conn = tmp_path / "conn.toml"
    write_connection_file(conn, slow_logs.connection())
    table = tmp_path / "in.jsonl"
    table.write_text('{"lhub_id": "pull-1"}\n', encoding="utf-8")
    out = tmp_path / "logs.jsonl"
    journal = tmp_path / "logs.jsonl.resume"

    first = subprocess.Popen(
        _args(conn, table, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while _lines(out) < STOP_AFTER_LINES:
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the pull wrote too little in time"
        time.sleep(0.005)
    first.send_signal(sig)
    _out, err = first.communicate(timeout=30)
    SCAN.text(_out + err, "pull resume CLI output")
    assert first.returncode == (130 if sig is signal.SIGINT else -signal.SIGKILL), err
    assert _lines(out) < RECORDS, "the pull finished before it was stopped"

    # What the journal says was written: whole pages, the token of the next one.
    state = read_journal(journal, journal.read_bytes().split(b"\n")[0] + b"\n", out)
    assert state is not None
    assert state.page is not None
    written_pages = state.page.records // PAGE
    assert state.page.records == written_pages * PAGE >= STOP_AFTER_LINES - PAGE
    before = _tokens(admin)
    assert before[0] is None
    assert len(before) > written_pages
    assert before[written_pages] == state.page.token

    second = _run(_args(conn, table, out, "--resume"))
    assert second.returncode == 0, second.stderr
    assert out.read_bytes() == reference  # every record once, in order, nothing broken
    assert not journal.exists()

    after = _tokens(admin)[len(before) :]
    assert after[0] == state.page.token  # straight on with the page after the last written
    fetched_again = set(after) & set(before[:written_pages])
    assert not fetched_again, "a page whose records were written was asked for again"
    # At most the page on its way and the one read ahead were asked for twice.
    assert len(set(after) & set(before)) <= 2

    # A finished run resumed asks for nothing and leaves the output as it is.
    third = _run(_args(conn, table, out, "--resume"))
    assert third.returncode == 0, third.stderr
    assert len(_tokens(admin)) == len(before) + len(after)
    assert out.read_bytes() == reference
    assert "1 already done" in third.stderr
