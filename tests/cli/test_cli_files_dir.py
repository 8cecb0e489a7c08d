"""`run --files-dir`: where downloads go, and its default beside the output file."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import run_cli, write_jsonl

from support.simadmin import SimAdmin


def _attachment_id(sim: SimAdmin) -> str:
    from mimecast_soar.sim import content

    state = sim.sim
    message = next(
        m for m in state.world.messages.values() if m.status == "archived" and m.attachments
    )
    return content.attachment_id(state.config.seed, message.id, 0)


def test_downloads_go_to_files_dir_or_beside_the_output(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    rows = write_jsonl(tmp_path / "rows.jsonl", [{"a": _attachment_id(sim)}])
    base = ["run", "download_attachment", "--connection", str(conn_file), "--input", str(rows)]
    chosen = tmp_path / "evidence"
    given = run_cli([*base, "--set", "attachment_id={{ a }}", "--files-dir", str(chosen)])
    assert given.returncode == 0, given.stderr
    [row] = [json.loads(line) for line in given.stdout.splitlines()]
    assert Path(row["result"]["path"]).parent == chosen
    output = tmp_path / "out.jsonl"
    beside = run_cli([*base, "--set", "attachment_id={{ a }}", "--output", str(output)])
    assert beside.returncode == 0, beside.stderr
    [row] = [json.loads(line) for line in output.read_text().splitlines()]
    saved = Path(row["result"]["path"])
    assert saved.parent == Path(f"{output}.files")
    assert saved.stat().st_size == row["result"]["size"]
