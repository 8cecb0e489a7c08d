"""Where downloads go on the platform: `INTEGRATIONS_FILES_PATH`, else beside the result file."""

from __future__ import annotations

import hashlib
from pathlib import Path

from devo_support import Platform

from mimecast_soar.devo.adapter import run_bundle_row
from mimecast_soar.devo.platform_env import files_dir_from_env


def test_the_files_folder_follows_the_platforms_variables() -> None:
    out = "/runs/7/output.json"
    both = {
        "INTEGRATIONS_FILES_PATH": "/data/files",
        "__lh_integration_output_data_json_file_path": out,
    }
    assert files_dir_from_env(both) == Path("/data/files")
    assert files_dir_from_env({"__lh_integration_output_data_json_file_path": out}) == Path(
        out + ".files"
    )
    assert files_dir_from_env({"INTEGRATIONS_FILES_PATH": "  "}) == Path("mimecast-files")


def _attachment(platform: Platform) -> tuple[str, str]:
    from mimecast_soar.sim import content

    state = platform.sim.app.state.sim
    message = next(
        m for m in state.world.messages.values() if m.status == "archived" and m.attachments
    )
    name, _mime, size = message.attachments[0]
    seed = state.config.seed
    return (
        content.attachment_id(seed, message.id, 0),
        content.attachment_sha256(seed, message.id, name, size),
    )


def test_devo_exec_writes_downloads_into_integrations_files_path(
    native_platform: Platform, tmp_path: Path
) -> None:
    attachment_id, sha256 = _attachment(native_platform)
    files = tmp_path / "platform-files"
    run = native_platform.native(
        "download_attachment",
        [{"lhub_id": 1, "a": attachment_id}],
        {"___attachment_id": "{{ a }}", "INTEGRATIONS_FILES_PATH": str(files)},
    )
    assert run.returncode == 0, run.stderr
    [(_, row)] = run.rows
    assert row["has_error"] is False, row
    path = Path(row["result"]["path"])
    assert path.parent == files
    assert hashlib.sha256(path.read_bytes()).hexdigest() == row["result"]["sha256"] == sha256


def test_the_bundle_writes_downloads_beside_the_result_file_without_a_files_path(
    native_platform: Platform, tmp_path: Path
) -> None:
    attachment_id, sha256 = _attachment(native_platform)
    output = tmp_path / "output.json"
    env = {
        **native_platform.connection_env(),
        "__lh_integration_output_data_json_file_path": str(output),
    }
    [row] = run_bundle_row("download_attachment", {"attachment_id": attachment_id}, env)
    assert row["has_error"] is False, row
    assert Path(row["result"]["path"]).parent == Path(f"{output}.files")
    assert row["result"]["sha256"] == sha256
