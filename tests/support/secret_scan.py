"""A pytest plugin: every artefact the CLI and reliability tests produce is scanned for secrets.

Tests register the secret values they know (connection keys, password reference values, OAuth
tokens) with `SCAN.secret(...)` and hand over what a run produced: `SCAN.text(...)` for captured
stdout/stderr and notices, `SCAN.path(...)` for output files. Every file left under the
`tmp_path` of a test in `tests/cli` or `tests/reliability` is handed over at teardown, except
connection files (`*.toml`, `conn*`), which hold the secrets by design. At the end
of the session every artefact is scanned for every secret (so a secret registered late still
counts); a leak fails the session with the artefact and which secret (by name, not value).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_SCANNED_DIRS = ("tests/cli/", "tests/reliability/")
_MAX_TEXT_CHARS = 2_000_000


class SecretScan:
    """The secrets known and the artefacts handed over in one session."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.texts: list[tuple[str, str]] = []
        self.paths: list[tuple[str, Path]] = []

    def secret(self, value: str | None, name: str) -> None:
        """Register a secret value (values under 6 characters are too common to scan for)."""
        if value and len(value) >= 6:
            self.secrets.setdefault(value, name)

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
