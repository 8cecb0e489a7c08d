"""Terminal escapes, bidi overrides and forged lines from a server never reach stderr or a row raw.

The server (`tests.support.hostile_server`) puts `HOSTILE_TEXT` (clear screen, retitle, a
right-to-left override, a C1 CSI, CR/LF and a forged line, NUL, 3,000 more characters) in an
OAuth error, a ``fail[]`` message and a non-JSON body; the CLI runs against it in a subprocess.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli.conftest import CliResult, run_cli, write_jsonl
from tests.support.hostile_server import HOSTILE_TEXT, hostile_server

# Raw, any of these would act on the terminal or the reader.
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\u202c", "\r", "\x00", "\x7f")
# The whole message a row or a stderr line may hold, with the server's quote capped at ~500.
MAX_MESSAGE_CHARS = 1_200


def _connection(tmp_path: Path, base_url: str) -> Path:
    path = tmp_path / "conn-hostile.json"
    data = {"base_url": base_url, "client_id": "client-hostile", "client_secret": "cs-hostile-31"}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _run(tmp_path: Path, mode: str) -> tuple[CliResult, list[str]]:
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": 1, "p": "a"}, {"lhub_id": 2, "p": "b"}])
    out = tmp_path / "out.jsonl"
    with hostile_server() as root:
        result = run_cli(
            [
                "run",
                "get_policy",
                "--connection",
                str(_connection(tmp_path, f"{root}/{mode}")),
                "--input",
                str(table),
                "--output",
                str(out),
                "--set",
                "policy_id={{ p }}",
            ]
        )
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row["original_lhub_id"] for row in rows] == [1, 2]
    return result, [row["error"] for row in rows]


def assert_inert(text: str) -> None:
    for char in RAW:
        assert char not in text, f"{char!r} reached the output raw"


def assert_bounded_lines(stderr: str) -> None:
    for line in stderr.splitlines():
        assert len(line) <= MAX_MESSAGE_CHARS, f"a stderr line of {len(line)} characters"
    assert "forged: done" not in {line.strip() for line in stderr.splitlines()}
    assert not any(line.startswith("fake line") for line in stderr.splitlines())


@pytest.mark.parametrize(
    ("mode", "status"),
    [("ansi-token", 1), ("ansi", 3), ("garbled", 3)],  # 3: finished with error rows
    ids=["oauth-error", "fail-message", "non-json-body"],
)
def test_server_text_in_rows_and_stderr_is_escaped_and_capped(
    tmp_path: Path, mode: str, status: int
) -> None:
    result, errors = _run(tmp_path, mode)
    assert result.returncode == status, result.stderr
    for error in errors:
        assert_inert(error)
        assert len(error) <= MAX_MESSAGE_CHARS
        assert "\\x1b[2J" in error  # quoted, made visible
        if mode != "garbled":  # an excerpt is shorter than the cap
            assert "[cut: " in error
    assert_inert(result.stderr)
    assert_bounded_lines(result.stderr)


def test_check_connection_prints_a_hostile_oauth_error_escaped_and_capped(tmp_path: Path) -> None:
    with hostile_server() as root:
        result = run_cli(
            ["check-connection", "--connection", str(_connection(tmp_path, f"{root}/ansi-token"))]
        )
    assert result.returncode == 1
    assert_inert(result.stderr)
    assert_bounded_lines(result.stderr)
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: authentication failed: ")
    assert "\\x1b]0;pwned-title\\x07" in line
    assert "\\u202edesrever\\u202c" in line
    assert f"[cut: {len(HOSTILE_TEXT)} characters in all]" in line
