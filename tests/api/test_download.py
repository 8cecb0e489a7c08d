"""`MimecastClient.download`: files stream to disk within a cap, safely named, never half-left.

Over a real loopback socket (`api_fakes.Server`), so framing, chunking and dropped bodies are
what aiohttp really sees.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import orjson
import pytest
from api_fakes import FakeClock, Reply, Server, envelope, make_client, reply, sequence

from mimecast_soar.api.download import FileTooLargeError, safe_file_name
from mimecast_soar.errors import RequestFailedError, ResponseFormatError

pytestmark = pytest.mark.anyio

PATH = "/api/archive/get-file"
BLOB = bytes(range(256)) * 4096  # 1 MiB


def _file(content: bytes, name: str = "report.pdf", **headers: str) -> Reply:
    disposition = headers.pop("disposition", f'attachment; filename="{name}"')
    return Reply(
        200,
        content,
        {"Content-Type": "application/octet-stream", "Content-Disposition": disposition, **headers},
    )


def _chunked(content: bytes, piece: int = 65536) -> Reply:
    body = b"".join(
        b"%x\r\n%s\r\n" % (len(content[i : i + piece]), content[i : i + piece])
        for i in range(0, len(content), piece)
    )
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
    return Reply(raw=head + b"Transfer-Encoding: chunked\r\n\r\n" + body + b"0\r\n\r\n")


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Windows\\evil.exe", "evil.exe"),
        ("..", "fallback.bin"),
        ("", "fallback.bin"),
        (".bashrc", "bashrc"),
        ("in\x00voice\x1b[31m.pdf", "in_voice_[31m.pdf"),
        ("a\u202eexe.pdf", "a_exe.pdf"),  # a right-to-left override hides the real extension
        ("x" * 300 + ".docx", "x" * 115 + ".docx"),
        ("report: Q1?.xlsx", "report_ Q1_.xlsx"),
    ],
)
def test_server_file_names_are_made_safe(given: str, expected: str) -> None:
    assert safe_file_name(given, "fallback.bin") == expected


async def test_a_file_streams_past_max_body_bytes_and_keeps_the_servers_safe_name(
    clock: FakeClock, tmp_path: Path
) -> None:
    content = BLOB * 4  # 4 MiB, sixty-four times the buffer cap below
    # RFC 2231 lets a name carry an encoded path and a CR; the header itself stays valid.
    hostile = "attachment; filename*=UTF-8''..%2F..%2F..%2Ftmp%2Fevil%0D.zip"
    server = Server(sequence(_file(content, disposition=hostile)))
    async with make_client(server, clock, max_body_bytes=65536) as client:
        got = await client.download(PATH, [{"id": "x"}], into=tmp_path / "f", name="fb.bin")
    # A body read through the buffering path would have been refused at 64 KiB.
    assert got.path == tmp_path / "f" / "evil_.zip"
    assert got.size == len(content) == got.path.stat().st_size
    assert got.sha256 == hashlib.sha256(content).hexdigest()
    assert got.content_type == "application/octet-stream"
    assert stat.S_IMODE(os.stat(got.path).st_mode) == 0o600
    assert _left(tmp_path / "f") == ["evil_.zip"]
    assert server.api_requests()[0].headers["Accept-Encoding"] == "identity"


async def test_a_file_over_the_cap_is_refused_once_and_nothing_is_left(
    clock: FakeClock, tmp_path: Path
) -> None:
    server = Server(sequence(_chunked(BLOB)))  # no Content-Length: found out while streaming
    async with make_client(server, clock) as client:
        with pytest.raises(FileTooLargeError, match="max_file_bytes"):
            await client.download(PATH, [], into=tmp_path, name="x", max_bytes=len(BLOB) - 1)
        declared = Server(sequence(_file(BLOB)))
    async with make_client(declared, clock) as client:
        with pytest.raises(FileTooLargeError):
            await client.download(PATH, [], into=tmp_path, name="x", max_bytes=1000)
    assert _left(tmp_path) == []
    assert len(server.api_requests()) == 1 == len(declared.api_requests())  # not retried


async def test_a_body_cut_short_is_retried_and_no_partial_file_remains(
    clock: FakeClock, tmp_path: Path
) -> None:
    short = Reply(raw=_file(BLOB).encode()[: -len(BLOB) // 2])  # Content-Length says 1 MiB
    server = Server(sequence(short, _file(BLOB)))
    async with make_client(server, clock, timeout_seconds=0.5) as client:
        got = await client.download(PATH, [], into=tmp_path, name="x")
    assert got.sha256 == hashlib.sha256(BLOB).hexdigest()
    assert len(server.api_requests()) == 2
    assert _left(tmp_path) == ["report.pdf"]
    always_short = Server(sequence(short))
    async with make_client(always_short, clock, timeout_seconds=0.5) as client:
        with pytest.raises(Exception, match="Gave up"):
            await client.download(PATH, [], into=tmp_path / "g", name="x")
    assert _left(tmp_path / "g") == []


async def test_a_json_answer_is_the_envelope_and_its_failure_is_raised(
    clock: FakeClock, tmp_path: Path
) -> None:
    failed = envelope(fail=[{"key": {"id": "x"}, "errors": [{"code": "err_file_not_found"}]}])
    server = Server(sequence(reply(failed), reply(envelope([{"ok": True}]))))
    async with make_client(server, clock) as client:
        with pytest.raises(RequestFailedError, match="err_file_not_found"):
            await client.download(PATH, [{"id": "x"}], into=tmp_path, name="x")
        with pytest.raises(ResponseFormatError, match="without a file"):
            await client.download(PATH, [{"id": "x"}], into=tmp_path, name="x")
    assert _left(tmp_path) == []
    assert orjson.loads(server.api_requests()[0].content) == {"data": [{"id": "x"}]}


async def test_names_collide_into_suffixes_and_a_coded_file_is_refused(
    clock: FakeClock, tmp_path: Path
) -> None:
    server = Server(sequence(_file(b"one", "a.txt"), _file(b"two", "a.txt"), _file(b"3", "a")))
    async with make_client(server, clock) as client:
        names = [
            (await client.download(PATH, [], into=tmp_path, name="x")).path.name for _ in range(3)
        ]
    assert names == ["a.txt", "a-1.txt", "a"]
    assert (tmp_path / "a-1.txt").read_bytes() == b"two"
    coded = Server(sequence(_file(b"\x1f\x8b...", "z.gz", **{"Content-Encoding": "gzip"})))
    async with make_client(coded, clock) as client:
        with pytest.raises(ResponseFormatError, match="gzip-coded"):
            await client.download(PATH, [], into=tmp_path / "z", name="x")
    assert _left(tmp_path / "z") == []
