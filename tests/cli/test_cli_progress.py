"""The live display on a real terminal (a pty): counting records, never glued to the rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import write_jsonl
from tests.support.simadmin import SimAdmin


def _on_a_terminal(args: list[str], *, stdout_to_terminal: bool) -> str:
    """Run the CLI with standard error (and standard output, if asked) on a pty; its text."""
    main, terminal = os.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "mimecast_soar.cli", *args],
            stdout=terminal if stdout_to_terminal else subprocess.DEVNULL,
            stderr=terminal,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
        )
        os.close(terminal)
        chunks: list[bytes] = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the pty's other end is closed: the run is over
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait(timeout=60) == 0
    finally:
        os.close(main)
    return b"".join(chunks).decode("utf-8", "replace")


def _args(conn_file: Path, table: Path, *extra: str) -> list[str]:
    return [
        "run",
        "get_ttp_url_logs",
        "--connection",
        str(conn_file),
        "--input",
        str(table),
        "--batch-start",
        "2000-01-01T00:00:00Z",
        "--batch-end",
        "2100-01-01T00:00:00Z",
        *extra,
    ]


def test_rows_on_the_terminal_are_never_glued_to_a_live_display(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": 1}])
    text = _on_a_terminal(_args(conn_file, table), stdout_to_terminal=True)
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line]
    *rows, report = lines
    assert len(rows) > 100
    assert all(json.loads(line)["original_lhub_id"] == 1 for line in rows)
    assert "\x1b" not in text  # no display drawn among them
    assert report.startswith("Get TTP URL Logs: 1 input rows")


def test_a_pull_to_a_file_shows_records_and_their_rate(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": 1}])
    out = tmp_path / "out.jsonl"
    args = _args(conn_file, table, "--output", str(out))
    text = _on_a_terminal(args, stdout_to_terminal=False)
    written = out.read_bytes().count(b"\n")
    assert written > 100
    assert "records/s" in text
    assert f"{written:,}" in text  # the final count of records written
