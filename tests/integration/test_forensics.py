"""Archive forensics (issue 14, §12.7): message detail, attachment and email downloads over HTTP.

Files stream into the run's files folder; a row holds the path, size and SHA-256, never bytes.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from integration_support import assert_error_row

from mimecast_soar.actions import BatchWindow
from mimecast_soar.runtime.connection import Connection
from mimecast_soar.runtime.session import run_action
from support.simadmin import SimAdmin

pytestmark = pytest.mark.anyio

FILE = "/api/archive/get-file"
PART = "/api/archive/get-message-part"
LARGE = 4 * 1024 * 1024


def _archived(sim: SimAdmin, *, large: bool) -> Any:
    return next(
        m
        for m in sim.sim.world.messages.values()
        if m.status == "archived" and m.attachments and (m.size > LARGE) == large
    )


def _read(path: str) -> bytes:
    return Path(path).read_bytes()


def _names(folder: Path) -> list[str]:
    """The names in a folder (temporary files included: none may be left)."""
    return sorted(p.name for p in folder.iterdir())


async def _run(action: str, rows: list[dict[str, Any]], **kwargs: Any) -> list[Any]:
    return await run_action(action, rows, concurrency=2, **kwargs)


async def _detail(sim: SimAdmin, connection: Connection, window: BatchWindow, message: Any) -> Any:
    [(_, row)] = await _run(
        "get_archived_message_detail",
        [{}],
        connection=connection,
        window=window,
        settings={"message_id": message.id},
    )
    assert row["has_error"] is False, row
    return row["result"]


async def test_detail_then_download_gives_the_file_whose_hash_the_detail_reports(
    sim: SimAdmin, connection: Connection, window: BatchWindow, tmp_path: Path
) -> None:
    message = _archived(sim, large=False)
    [(_, row)] = await _run(
        "get_archived_message_detail",
        [{}],
        connection=connection,
        window=window,
        settings={"message_id": message.id},
    )
    detail = row["result"]
    assert detail["subject"] == message.subject
    headers = {h["name"]: h["values"] for h in detail["headers"]}
    assert headers["Message-ID"] == [message.internet_id]
    attachment = detail["attachments"][0]
    assert {"id", "filename", "sha256", "size"} <= set(attachment)
    rows = [{"a": attachment["id"]}, {"a": attachment["id"]}]
    output = await _run(
        "download_attachment",
        rows,
        connection=connection,
        window=window,
        settings={"attachment_id": "{{ a }}"},
        files_dir=tmp_path / "files",
    )
    results = [row["result"] for _, row in output]
    assert all(set(r) == {"path", "file_name", "size", "sha256", "content_type"} for r in results)
    paths = sorted(Path(r["path"]) for r in results)
    stem, ext = attachment["filename"].rsplit(".", 1)
    assert [p.name for p in paths] == sorted([attachment["filename"], f"{stem}-1.{ext}"])
    for result in results:
        on_disk = _read(result["path"])
        assert result["sha256"] == attachment["sha256"] == hashlib.sha256(on_disk).hexdigest()
        assert result["size"] == attachment["size"] == len(on_disk)
        assert stat.S_IMODE(os.stat(result["path"]).st_mode) == 0o600
    assert _names(tmp_path / "files") == [p.name for p in paths]  # no temporary file left


async def test_download_email_received_and_delivered(
    sim: SimAdmin, connection: Connection, window: BatchWindow, tmp_path: Path
) -> None:
    message = _archived(sim, large=False)
    output = await _run(
        "download_email",
        [{}, {}],
        connection=connection,
        window=window,
        settings={"message_id": message.id, "mailbox": message.recipient[1]},
        files_dir=tmp_path,
    )
    names = sorted(row["result"]["file_name"] for _, row in output)
    assert names[0].endswith("-received-1.eml")
    assert names[1].endswith("-received.eml")
    sent = [body["data"][0] for body in sim.bodies(PART)]
    assert {item["context"] for item in sent} == {"RECEIVED"}  # the default
    assert {item["type"] for item in sent} == {"RFC822"}
    for _, row in output:
        data = _read(row["result"]["path"])
        assert message.internet_id.encode() in data
        assert hashlib.sha256(data).hexdigest() == row["result"]["sha256"]
        assert row["result"]["content_type"] == "message/rfc822"
    [(_, delivered)] = await _run(
        "download_email",
        [{}],
        connection=connection,
        window=window,
        settings={
            "message_id": message.id,
            "mailbox": message.recipient[1],
            "context": "DELIVERED",
        },
        files_dir=tmp_path,
    )
    assert delivered["result"]["file_name"].endswith("-delivered.eml")
    assert b"protect-us.mimecast.com" in _read(delivered["result"]["path"])


async def test_forensics_failures_and_bad_input_are_error_rows(
    sim: SimAdmin, connection: Connection, window: BatchWindow, tmp_path: Path
) -> None:
    message = _archived(sim, large=False)
    [(_, missing)] = await _run(
        "get_archived_message_detail",
        [{}],
        connection=connection,
        window=window,
        settings={"message_id": "eNoNope"},
    )
    assert_error_row(missing, "err_message_not_found")
    [(_, no_file)] = await _run(
        "download_attachment",
        [{}],
        connection=connection,
        window=window,
        settings={"attachment_id": "eNoNope"},
        files_dir=tmp_path,
    )
    assert_error_row(no_file, "err_file_not_found")
    rows = [
        {"lhub_id": 1, "m": "someone.else@example.com"},  # Mimecast: not in that mailbox
        {"lhub_id": 2, "m": "not-an-address"},  # no call
    ]
    output = dict(
        await _run(
            "download_email",
            rows,
            connection=connection,
            window=window,
            settings={"message_id": message.id, "mailbox": "{{ m }}"},
            files_dir=tmp_path,
        )
    )
    assert_error_row(output[1], "err_message_not_found")
    assert_error_row(output[2], "not a valid email address")
    assert len(sim.bodies(PART)) == 1
    assert _names(tmp_path) == []  # a JSON failure is never saved as a file
    [(_, nowhere)] = await _run(
        "download_attachment",
        [{}],
        connection=connection,
        window=window,
        settings={"attachment_id": "eNoNope"},
    )
    assert_error_row(nowhere, "no folder for downloaded files")


async def test_a_file_over_max_file_bytes_is_refused_and_nothing_is_left(
    sim: SimAdmin, sim_server: Any, window: BatchWindow, tmp_path: Path
) -> None:
    message = _archived(sim, large=True)
    detail = await _detail(sim, Connection.from_mapping(sim_server.connection()), window, message)
    attachment = next(a for a in detail["attachments"] if a["size"] == LARGE)
    small = Connection.from_mapping({**sim_server.connection(), "max_file_bytes": LARGE - 1})
    [(_, refused)] = await _run(
        "download_attachment",
        [{}],
        connection=small,
        window=window,
        settings={"attachment_id": attachment["id"]},
        files_dir=tmp_path,
    )
    assert_error_row(refused, "larger than max_file_bytes")
    assert _names(tmp_path) == []
    assert len(sim.bodies(FILE)) == 1  # refused, not retried


async def test_a_dropped_download_is_retried_and_leaves_no_partial_file(
    sim: SimAdmin, connection: Connection, window: BatchWindow, tmp_path: Path
) -> None:
    message = _archived(sim, large=True)
    detail = await _detail(sim, connection, window, message)
    attachment = next(a for a in detail["attachments"] if a["size"] == LARGE)
    sim.faults([{"kind": "drop_after", "path": FILE, "count": 1}])
    [(_, row)] = await _run(
        "download_attachment",
        [{}],
        connection=connection,
        window=window,
        settings={"attachment_id": attachment["id"]},
        files_dir=tmp_path,
    )
    assert row["has_error"] is False, row
    assert row["result"]["sha256"] == attachment["sha256"]
    assert len(sim.bodies(FILE)) == 2  # a read: asked for again after the drop
    assert _names(tmp_path) == [row["result"]["file_name"]]
    sim.faults([{"kind": "drop_after", "path": FILE, "count": 10}])
    [(_, failed)] = await _run(
        "download_attachment",
        [{}],
        connection=connection,
        window=window,
        settings={"attachment_id": attachment["id"]},
        files_dir=tmp_path,
    )
    assert_error_row(failed, "Gave up after")
    assert _names(tmp_path) == [row["result"]["file_name"]]
