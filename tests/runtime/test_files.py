"""Files a run creates: 0600 whatever the umask, never through a symbolic link, one-line errors."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime.files import (
    make_parent,
    open_private,
    open_private_bytes,
    open_private_text,
)


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask_022")
def test_new_files_are_owner_only_under_umask_022(tmp_path: Path) -> None:
    text, data = tmp_path / "out.jsonl", tmp_path / "out.jsonl.resume"
    with open_private_text(text, "the output") as handle:
        handle.write("row\n")
    with open_private_bytes(data, "the journal", append=True) as handle:
        handle.write(b"x\n")
    assert _mode(text) == 0o600
    assert _mode(data) == 0o600


@pytest.mark.usefixtures("umask_022")
def test_an_existing_file_keeps_its_mode_and_is_truncated(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text("old contents\n")
    path.chmod(0o640)
    with open_private_text(path, "the output") as handle:
        handle.write("new\n")
    assert path.read_text() == "new\n"
    assert _mode(path) == 0o640


def test_a_symbolic_link_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    link = tmp_path / "out.jsonl"
    link.symlink_to(target)
    for append in (False, True):
        with pytest.raises(ConfigurationError, match="symbolic link") as caught:
            open_private(link, "the output", append=append)
        assert str(link) in caught.value.message
        assert "\n" not in caught.value.message
    assert target.read_text() == "keep me\n"


def test_a_dangling_symbolic_link_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    link = tmp_path / "out.jsonl"
    link.symlink_to(tmp_path / "would-be-created")
    with pytest.raises(ConfigurationError, match="symbolic link"):
        open_private(link, "the output")
    assert not (tmp_path / "would-be-created").exists()


def test_an_uncreatable_path_is_one_line_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ConfigurationError) as caught:
        make_parent(blocker / "sub" / "out.jsonl", "the output")
    assert str(blocker / "sub") in caught.value.message
    with pytest.raises(ConfigurationError, match="cannot write the output") as caught:
        open_private(tmp_path / "missing" / "out.jsonl", "the output")
    assert "No such file or directory" in caught.value.message
