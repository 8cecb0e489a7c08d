"""Every failure a user met, fed to the real CLI: one line on stderr, never a traceback."""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cli.conftest import CliResult, run_cli, write_jsonl
from tests.cli.pipes import read_then_close
from tests.support.simadmin import SimAdmin

from mimecast_soar import cli
from mimecast_soar.runtime.journal import header, input_fingerprint, tail_hash


def _one_line(done: CliResult, code: int = 2) -> str:
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert done.returncode == code, done.stderr
    return lines[0]


@pytest.fixture
def blocker(tmp_path: Path) -> Path:
    """A regular file: nothing can be created beneath it."""
    path = tmp_path / "a-file"
    path.write_text("")
    return path


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


def test_sim_on_a_port_in_use(busy_port: int) -> None:
    line = _one_line(run_cli(["sim", "--port", str(busy_port)], timeout=30))
    assert line == f"error: cannot listen on 127.0.0.1:{busy_port}: Address already in use"


def test_sim_write_connection_into_an_uncreatable_path(blocker: Path) -> None:
    target = blocker / "sub" / "conn.toml"
    line = _one_line(run_cli(["sim", "--port", "0", "--write-connection", str(target)]))
    assert line.startswith(f"error: cannot write the connection file {target}: ")


def test_devo_bundle_into_an_uncreatable_path(blocker: Path) -> None:
    target = blocker / "bundle"
    line = _one_line(run_cli(["devo", "bundle", str(target), "--no-wheels"]))
    assert line.startswith(f"error: cannot write the bundle into {target}")


def _run(conn: Path, table: Path, *extra: str) -> list[str]:
    return ["run", "find_groups", "--connection", str(conn), "--input", str(table), *extra]


def test_output_into_an_uncreatable_folder(
    sim: SimAdmin, conn_file: Path, tmp_path: Path, blocker: Path
) -> None:
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": 1}])
    out = blocker / "sub" / "out.jsonl"
    line = _one_line(run_cli(_run(conn_file, table, "--output", str(out))))
    assert line == f"error: cannot use the output {out}: Not a directory"
    deeper = tmp_path / "new" / "out.jsonl"
    (tmp_path / "new").mkdir(mode=0o500)
    if os.geteuid() != 0:  # root writes into a mode-500 folder
        line = _one_line(run_cli(_run(conn_file, table, "--output", str(deeper))))
        assert line == f"error: cannot write the output {deeper}: Permission denied"


def test_output_into_a_missing_folder_creates_it(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": 1}])
    out = tmp_path / "new" / "out.jsonl"
    done = run_cli(_run(conn_file, table, "--set", "query=a", "--output", str(out)))
    assert done.returncode == 0, done.stderr
    assert out.read_text().count("\n") >= 1


def test_an_unreadable_input(sim: SimAdmin, conn_file: Path, tmp_path: Path) -> None:
    # /proc/self/mem reads fail (EIO) even for root, who reads any mode-000 file.
    table = tmp_path / "in.jsonl"
    table.symlink_to("/proc/self/mem")
    line = _one_line(run_cli(_run(conn_file, table, "--set", "query=a")))
    assert line.startswith(f"error: cannot read the input table {table}: ")
    assert sim.requests("/api/directory/find-groups") == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a mode-000 file")
def test_an_input_without_read_permission(sim: SimAdmin, conn_file: Path, tmp_path: Path) -> None:
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": 1}])
    table.chmod(0)
    line = _one_line(run_cli(_run(conn_file, table, "--set", "query=a")))
    assert line == f"error: cannot read the input table {table}: Permission denied"


@pytest.mark.parametrize("bad", ["\r\nX-Injected: 1", "\n", "\r", " ", "\t", "\x00", "\x7f"])
def test_control_characters_or_spaces_inside_base_url(
    sim: SimAdmin, tmp_path: Path, bad: str
) -> None:
    connection = {**sim.server.connection(), "base_url": sim.base_url + "/a" + bad + "b"}
    conn_file = tmp_path / "conn.json"
    conn_file.write_text(json.dumps(connection))
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": 1}])
    for args in (["check-connection", "--connection", str(conn_file)], _run(conn_file, table)):
        line = _one_line(run_cli(args))
        assert "base_url must not contain spaces or control characters" in line
    assert sim.requests() == []


def test_stdout_closed_under_another_command() -> None:
    # Closed before the CLI has even started up, so its first write meets a closed pipe.
    cut = read_then_close(["actions", "--markdown"], 0)
    assert cut.returncode == 141
    assert cut.stderr == ""


class TestResumeJournal:
    """Edited, foreign or stale journals: refused with one line and status 2, no row sent."""

    @pytest.fixture
    def finished(self, sim: SimAdmin, conn_file: Path, tmp_path: Path) -> tuple[list[str], Path]:
        table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": n} for n in range(1, 4)])
        out = tmp_path / "out.jsonl"
        args = _run(conn_file, table, "--set", "query=a", "--output", str(out))
        assert run_cli(args).returncode == 0
        sim.reset()
        return args, out

    def _head(self, args: list[str], table: Path | None = None) -> bytes:
        source = Path(args[args.index("--input") + 1]) if table is None else table
        return header(
            action="find_groups", fmt="jsonl", input_print=input_fingerprint(source), to_file=True
        )

    def _done(self, out: Path, rows: int) -> bytes:
        size = sum(len(line) for line in out.read_bytes().splitlines(keepends=True)[:rows])
        with out.open("rb") as handle:
            return f"done {rows} {size} {tail_hash(handle, size)}\n".encode()

    def _refused(self, args: list[str], sim: SimAdmin) -> str:
        line = _one_line(run_cli([*args, "--resume"]))
        assert sim.requests() == []
        return line

    @pytest.mark.parametrize("body", [b"999 0\n", b"-5 0\n", b"\x00\x01garbage\xff\n"])
    def test_a_hand_edited_or_garbage_journal(
        self, finished: tuple[list[str], Path], sim: SimAdmin, body: bytes
    ) -> None:
        args, out = finished
        (out.parent / "out.jsonl.resume").write_bytes(body)
        assert "cannot be trusted" in self._refused(args, sim)

    @pytest.mark.parametrize("entry", ["done 999 0 0000000000000000", "done -5 0 0", "started -5"])
    def test_numbers_out_of_range(
        self, finished: tuple[list[str], Path], sim: SimAdmin, entry: str
    ) -> None:
        args, out = finished
        journal = out.parent / "out.jsonl.resume"
        journal.write_bytes(self._head(args) + self._done(out, 1) + entry.encode() + b"\n")
        assert "cannot be trusted" in self._refused(args, sim)

    def test_more_rows_done_than_the_input_has(
        self, finished: tuple[list[str], Path], sim: SimAdmin
    ) -> None:
        args, out = finished
        size = out.stat().st_size
        with out.open("rb") as handle:
            entry = f"done 999 {size} {tail_hash(handle, size)}\n".encode()
        (out.parent / "out.jsonl.resume").write_bytes(self._head(args) + entry)
        assert "input has only 3" in self._refused(args, sim)

    def test_a_journal_of_another_input(
        self, finished: tuple[list[str], Path], sim: SimAdmin, tmp_path: Path
    ) -> None:
        args, out = finished
        other = write_jsonl(tmp_path / "other.jsonl", [{"lhub_id": 9}])
        journal = out.parent / "out.jsonl.resume"
        journal.write_bytes(self._head(args, other) + self._done(out, 1))
        assert "another input" in self._refused(args, sim)

    def test_an_output_truncated_or_edited_since(
        self, finished: tuple[list[str], Path], sim: SimAdmin
    ) -> None:
        args, out = finished
        journal = out.parent / "out.jsonl.resume"
        journal.write_bytes(self._head(args) + self._done(out, 2))
        data = out.read_bytes()
        out.write_bytes(data.replace(b'"has_error":false', b'"has_error":true ', 2))
        assert "was changed since" in self._refused(args, sim)
        out.write_bytes(data[:10])
        assert "truncated" in self._refused(args, sim)


def test_an_unexpected_error_is_one_line_asking_for_a_report(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(cli.DEBUG_VARIABLE, raising=False)
    assert cli._unexpected(RuntimeError("boom\nsecond line")) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "error: unexpected RuntimeError: boom second line; please report this "
        f"(set {cli.DEBUG_VARIABLE}=1 for the traceback)"
    ]
    monkeypatch.setenv(cli.DEBUG_VARIABLE, "1")
    try:
        raise RuntimeError("boom")
    except RuntimeError as error:
        cli._unexpected(error)
    assert "Traceback" in capsys.readouterr().err
    assert sys.exc_info()[0] is None
