"""A pytest plugin: every artefact the CLI and reliability tests produce is scanned for secrets.

Tests register the secret values they know (connection keys, password reference values, OAuth
tokens) with `SCAN.secret(...)` and hand over what a run produced: `SCAN.text(...)` for captured
stdout/stderr and notices, `SCAN.path(...)` for output files. Every file left under the
`tmp_path` of a test in `tests/cli` or `tests/reliability` is handed over at teardown, except
connection files (`*.toml`, `conn*`), which hold the secrets by design. At the end
of the session every artefact is scanned for every secret (so a secret registered late still
counts), in every encoded form a leak may take (`encoded_forms`: URL-encoded, JSON-escaped,
base64 alone or inside a longer base64 text); a leak fails the session with the artefact,
which secret (by name, not value) and in which form.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

_SCANNED_DIRS = ("tests/cli/", "tests/reliability/")
_MAX_TEXT_CHARS = 2_000_000
# Encoded forms shorter than this are too likely to occur by chance in a large artefact.
_MIN_FORM_CHARS = 8


def encoded_forms(value: str) -> dict[str, str]:
    """Form name by text: how `value` may appear once a library or a server has encoded it.

    Written here independently of `mimecast_soar.secret`, so the scan checks the redactor
    rather than repeating it. Base64 inside a longer text (an ``Authorization: Basic`` value,
    say) is found by the characters that depend on `value` alone, at each of the three byte
    offsets it can start at.
    """
    forms = {
        quote(value, safe=""): "url-encoded",
        quote(value): "url-encoded",
        quote_plus(value): "form-encoded",
        json.dumps(value)[1:-1]: "json-escaped",
        json.dumps(value, ensure_ascii=False)[1:-1]: "json-escaped",
    }
    data = value.encode("utf-8")
    for offset in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\x00" * offset + data).decode()
            first = (8 * offset + 5) // 6  # the first character with no bit of the offset bytes
            last = 8 * (offset + len(data)) // 6  # past the last with no bit of what follows
            forms.setdefault(text[first:last], f"base64 at offset {offset}")
    forms.pop(value, None)
    return {form: name for form, name in forms.items() if len(form) >= _MIN_FORM_CHARS}


class SecretScan:
    """The secrets known and the artefacts handed over in one session."""

    def __init__(self) -> None:
        #: Name by text, for each secret and each of its encoded forms.
        self.secrets: dict[str, str] = {}
        self.texts: list[tuple[str, str]] = []
        self.paths: list[tuple[str, Path]] = []

    def secret(self, value: str | None, name: str) -> None:
        """Register a secret value (values under 6 characters are too common to scan for)."""
        if value and len(value) >= 6:
            self.secrets.setdefault(value, name)
            for form, how in encoded_forms(value).items():
                self.secrets.setdefault(form, f"{name} ({how})")

    def text(self, text: str, where: str) -> None:
        """Hand over a text a run produced (stdout, stderr, an error message, a notice)."""
        if text:
            self.texts.append((where, text[:_MAX_TEXT_CHARS]))

    def path(self, path: Path, where: str) -> None:
        """Hand over a file a run produced; it is read at the end of the session."""
        self.paths.append((where, path))

    def leaks(self) -> list[str]:
        """`where: secret name` for every artefact holding a registered secret."""
        found: list[str] = []
        for where, text in self.texts:
            found += [f"{where}: {name}" for value, name in self.secrets.items() if value in text]
        for where, path in self.paths:
            for text in _read_chunks(path):
                found += [
                    f"{where} ({path.name}): {name}"
                    for value, name in self.secrets.items()
                    if value in text
                ]
        return found


def _read_chunks(path: Path) -> Iterator[str]:
    """The file's text in overlapping chunks, so a big output never sits whole in memory."""
    overlap = 512
    try:
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            tail = ""
            while chunk := handle.read(1 << 20):
                yield tail + chunk
                tail = chunk[-overlap:]
    except OSError:
        return


SCAN = SecretScan()


@pytest.fixture
def secret_scan() -> SecretScan:
    """The session's `SecretScan`."""
    return SCAN


@pytest.fixture(autouse=True)
def _scan_test_artefacts(request: pytest.FixtureRequest) -> Iterator[None]:
    node_path = str(request.node.path).replace("\\", "/")
    if not any(part in node_path for part in _SCANNED_DIRS) or (
        "tmp_path" not in request.fixturenames
    ):
        yield
        return
    tmp_path: Path = request.getfixturevalue("tmp_path")
    yield
    for path in sorted(tmp_path.rglob("*")):
        if path.is_file() and path.stat().st_size and not _is_connection_file(path):
            SCAN.path(path, request.node.nodeid)


def _is_connection_file(path: Path) -> bool:
    """Connection files hold the secrets by design: they are inputs, not artefacts."""
    return path.suffix.lower() == ".toml" or path.name.lower().startswith(("conn", "sim-conn"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: Any) -> None:
    """Fail the session when any artefact holds a secret."""
    leaks = SCAN.leaks()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if leaks:
        if reporter is not None:
            reporter.write_sep("=", "SECRETS LEAKED INTO TEST ARTEFACTS", red=True)
            for leak in leaks[:50]:
                reporter.write_line(leak)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif reporter is not None and (SCAN.texts or SCAN.paths) and session.config.option.verbose >= 0:
        reporter.write_line(
            f"secret scan: {len(SCAN.secrets)} secrets, {len(SCAN.texts)} texts and "
            f"{len(SCAN.paths)} files scanned, no leak"
        )
