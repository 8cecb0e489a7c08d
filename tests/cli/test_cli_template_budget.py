"""Templates in a real `run`: Ctrl-C stops a busy template, and no error row ever quotes a value
rendered from a secret reference value (the real console script against the simulator)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.cli.conftest import REFERENCE_SECRET, run_cli, write_jsonl
from tests.support.simadmin import SimAdmin

from mimecast_soar.runtime.templates import CONCEALED

# A template that loops about 10**10 times over `long` when `busy` is set, building nothing.
BUSY_QUERY = (
    "query={% if busy %}{% for a in long %}{% for b in long %}{% endfor %}{% endfor %}"
    "{% endif %}{{ q }}"
)


def _connection(sim: SimAdmin, path: Path, *, deadline_seconds: float) -> Path:
    lines = [f'{key} = "{value}"' for key, value in sim.server.connection().items()]
    lines.append(f"template_deadline_seconds = {deadline_seconds}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_busy_template_past_its_deadline_is_an_error_row_naming_the_input(
    sim: SimAdmin, tmp_path: Path
) -> None:
    conn = _connection(sim, tmp_path / "conn.toml", deadline_seconds=0.5)
    rows = [{"lhub_id": 1, "q": "a"}, {"lhub_id": 2, "q": "b", "busy": True, "long": "x" * 10**5}]
    result = run_cli(
        [
            "run",
            "find_groups",
            "--connection",
            str(conn),
            "--input",
            str(write_jsonl(tmp_path / "in.jsonl", rows)),
            "--set",
            BUSY_QUERY,
        ]
    )
    assert result.returncode == 3, result.stderr  # finished, with an error row
    *firsts, last = result.jsonl()
    assert firsts
    assert all(row["original_lhub_id"] == 1 and not row["has_error"] for row in firsts)
    assert last["original_lhub_id"] == 2
    assert last["error"] == "the template for Query ran longer than 0.5 s"


def test_ctrl_c_during_a_busy_template_ends_the_run_keeping_the_rows_done(
    sim: SimAdmin, tmp_path: Path
) -> None:
    # The deadline is far away: only the interrupt can end the busy row in time.
    conn = _connection(sim, tmp_path / "conn.toml", deadline_seconds=600)
    rows = [{"lhub_id": n, "q": f"g{n}"} for n in (1, 2, 3)]
    rows += [{"lhub_id": 4, "q": "g4", "busy": True, "long": "x" * 10**5}]
    rows += [{"lhub_id": n, "q": f"g{n}"} for n in (5, 6)]
    output = tmp_path / "out.jsonl"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mimecast_soar.cli",
            "run",
            "find_groups",
            "--connection",
            str(conn),
            "--input",
            str(write_jsonl(tmp_path / "in.jsonl", rows)),
            "--output",
            str(output),
            "--concurrency",
            "1",
            "--set",
            BUSY_QUERY,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        wait_until = time.monotonic() + 60
        while len(sim.bodies("/api/directory/find-groups")) < 3:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < wait_until, "the first rows were never sent"
            time.sleep(0.05)
        time.sleep(0.5)  # the busy row is rendering now
        process.send_signal(signal.SIGINT)
        sent = time.monotonic()
        _, stderr = process.communicate(timeout=30)
        stopped_after = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, stderr
    assert stopped_after < 10, stopped_after
    assert "interrupted: 3 input rows done" in stderr
    assert "Traceback" not in stderr
    written = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert sorted({row["original_lhub_id"] for row in written}) == [1, 2, 3]
    assert len(sim.bodies("/api/directory/find-groups")) == 3


@pytest.mark.parametrize(
    ("template", "derived"),
    [
        ("{{ vault_token|upper }}", REFERENCE_SECRET.upper()),
        ('{{ vault_token|list|join(" ") }}', " ".join(REFERENCE_SECRET)),
        ("{{ ('{' ~ vault_token|upper ~ '}').format() }}", REFERENCE_SECRET.upper()),
    ],
)
def test_a_value_rendered_from_a_secret_reference_value_never_reaches_an_error_row(
    sim: SimAdmin, conn_file: Path, tmp_path: Path, template: str, derived: str
) -> None:
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": 1}])
    result = run_cli(
        [
            "run",
            "add_group_member",
            "--connection",
            str(conn_file),
            "--input",
            str(table),
            "--set",
            "group_id=g-1",
            "--set",
            f"email_address={template}",
        ]
    )
    assert result.returncode == 3, result.stderr  # finished, with an error row
    (row,) = result.jsonl()
    assert row["has_error"]
    assert CONCEALED in row["error"]
    for text in (result.stdout, result.stderr):
        assert derived not in text
        assert derived.replace(" ", "") not in text.upper().replace(" ", "")
    assert sim.bodies("/api/directory/add-group-member") == []
