"""The resume journal: trusted only when it matches the run and the output it describes."""

from __future__ import annotations

from pathlib import Path

import pytest

from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime.journal import (
    JournalError,
    JournalState,
    PageState,
    header,
    input_fingerprint,
    page_entry,
    read_journal,
    tail_hash,
)

ROWS = "".join(f'{{"original_lhub_id": {n}, "ok": true}}\n' for n in range(1, 6))


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(f'{{"n": {n}}}\n' for n in range(5)))
    return path


@pytest.fixture
def out(tmp_path: Path) -> Path:
    path = tmp_path / "out.jsonl"
    path.write_text(ROWS)
    return path


def _header(source: Path) -> bytes:
    return header(
        action="release_message", fmt="jsonl", input_print=input_fingerprint(source), to_file=True
    )


def _done(out: Path, rows: int) -> str:
    size = len("".join(ROWS.splitlines(keepends=True)[:rows]).encode())
    with out.open("rb") as handle:
        return f"done {rows} {size} {tail_hash(handle, size)}\n"


def _journal(tmp_path: Path, text: bytes) -> Path:
    path = tmp_path / "out.jsonl.resume"
    path.write_bytes(text)
    return path


def test_a_journal_written_for_this_run_is_trusted(tmp_path: Path, source: Path, out: Path) -> None:
    head = _header(source)
    body = f"started 1\nstarted 2\n{_done(out, 1)}started 3\n{_done(out, 2)}".encode()
    journal = _journal(tmp_path, head + body + b"done 3 9")  # the last line was cut by a kill
    size = len("".join(ROWS.splitlines(keepends=True)[:2]).encode())
    assert read_journal(journal, head, out) == JournalState(2, size, 3)


def test_no_journal_or_an_empty_one_means_nothing_was_journaled(tmp_path: Path, out: Path) -> None:
    assert read_journal(tmp_path / "none.resume", b"h\n", out) is None
    assert read_journal(_journal(tmp_path, b""), b"h\n", out) is None


@pytest.mark.parametrize(
    "entry",
    [
        b"done 999 0 0000000000000000\n",
        b"done -5 0 0000000000000000\n",
        b"done 1 -5 0000000000000000\n",
        b"started -1\n",
        b"done +1 10 0000000000000000\n",
        b"done 1 10\n",
        b"999 0\n",
        b"\x00\xffgarbage\n",
        b"done 99999999999999999999 0 0000000000000000\n",
    ],
    ids=[
        "999-rows",
        "negative-rows",
        "negative-bytes",
        "negative-start",
        "plus",
        "short",
        "v1",
        "garbage",
        "huge",
    ],
)
def test_an_edited_entry_is_refused_in_one_line(
    tmp_path: Path, source: Path, out: Path, entry: bytes
) -> None:
    head = _header(source)
    with pytest.raises(JournalError) as caught:
        read_journal(_journal(tmp_path, head + _done(out, 2).encode() + entry), head, out)
    message = caught.value.message
    assert "\n" not in message
    assert "cannot be trusted" in message or "records" in message or "changed" in message


def test_numbers_that_go_backwards_are_refused(tmp_path: Path, source: Path, out: Path) -> None:
    head = _header(source)
    journal = _journal(tmp_path, head + (_done(out, 3) + _done(out, 2)).encode())
    with pytest.raises(JournalError, match="line 3"):
        read_journal(journal, head, out)


def test_a_journal_without_a_header_is_refused(tmp_path: Path, source: Path, out: Path) -> None:
    journal = _journal(tmp_path, b"999 0\n")
    with pytest.raises(JournalError, match="not a journal of this version"):
        read_journal(journal, _header(source), out)


def test_a_journal_of_another_input_is_refused(tmp_path: Path, source: Path, out: Path) -> None:
    journal = _journal(tmp_path, _header(source) + _done(out, 1).encode())
    source.write_text('{"n": "another input"}\n')
    with pytest.raises(JournalError, match="another input"):
        read_journal(journal, _header(source), out)


def test_a_journal_of_another_action_or_format_is_refused(
    tmp_path: Path, source: Path, out: Path
) -> None:
    journal = _journal(tmp_path, _header(source) + _done(out, 1).encode())
    print_ = input_fingerprint(source)
    other_action = header(action="reject_message", fmt="jsonl", input_print=print_, to_file=True)
    with pytest.raises(JournalError, match="another action"):
        read_journal(journal, other_action, out)
    other_format = header(action="release_message", fmt="devo", input_print=print_, to_file=True)
    with pytest.raises(JournalError, match="another output format"):
        read_journal(journal, other_format, out)
    to_stdout = header(action="release_message", fmt="jsonl", input_print=print_, to_file=False)
    with pytest.raises(JournalError, match="another kind of output"):
        read_journal(journal, to_stdout, None)


def test_an_output_truncated_since_is_refused(tmp_path: Path, source: Path, out: Path) -> None:
    head = _header(source)
    journal = _journal(tmp_path, head + _done(out, 4).encode())
    out.write_text(ROWS.splitlines(keepends=True)[0])
    with pytest.raises(JournalError, match="truncated"):
        read_journal(journal, head, out)
    out.unlink()
    with pytest.raises(JournalError, match="is gone"):
        read_journal(journal, head, out)


def test_an_output_edited_before_the_journaled_point_is_refused(
    tmp_path: Path, source: Path, out: Path
) -> None:
    head = _header(source)
    journal = _journal(tmp_path, head + _done(out, 4).encode())
    out.write_text(
        ROWS.replace('"ok": true}\n{"original_lhub_id": 4', '"ok": false}\n{"original_lhub_id": 4')
    )
    assert out.stat().st_size > 0
    with pytest.raises(JournalError, match="changed since"):
        read_journal(journal, head, out)


def test_rows_appended_after_the_journaled_point_are_not_an_edit(
    tmp_path: Path, source: Path, out: Path
) -> None:
    # A kill between writing a row and journaling it leaves the output ahead of the journal.
    head = _header(source)
    journal = _journal(tmp_path, head + _done(out, 2).encode())
    with out.open("a") as handle:
        handle.write('{"original_lhub_id": 6, "ok": true}\n{"orig')
    assert read_journal(journal, head, out) is not None


def test_a_standard_output_journal_has_no_byte_counts(tmp_path: Path, source: Path) -> None:
    head = header(action="x", fmt="jsonl", input_print=input_fingerprint(source), to_file=False)
    journal = _journal(tmp_path, head + b"started 1\ndone 1 - -\nstarted 2\n")
    assert read_journal(journal, head, None) == JournalState(1, 0, 2)
    journal.write_bytes(head + b"done 1 10 0000000000000000\n")
    with pytest.raises(JournalError):
        read_journal(journal, head, None)


def test_standard_input_has_no_fingerprint_and_an_unreadable_input_is_one_line(
    tmp_path: Path,
) -> None:
    assert input_fingerprint(None) is None
    with pytest.raises(ConfigurationError, match="cannot read the input table"):
        input_fingerprint(tmp_path / "missing.jsonl")


def _page(out: Path, row: int, records: int, rows: int, token: str) -> str:
    size = len("".join(ROWS.splitlines(keepends=True)[:rows]).encode())
    with out.open("rb") as handle:
        return page_entry(row, records, rows, size, tail_hash(handle, size), token)


def test_a_page_line_gives_where_the_pull_of_the_row_in_progress_goes_on(
    tmp_path: Path, source: Path, out: Path
) -> None:
    head = _header(source)
    token = "a b/c+=\n%é"  # any token fits on the line
    body = f"{_done(out, 1)}{_page(out, 1, 500, 2, 'first')}{_page(out, 1, 1000, 3, token)}"
    state = read_journal(_journal(tmp_path, head + body.encode()), head, out)
    size = len("".join(ROWS.splitlines(keepends=True)[:3]).encode())
    assert state == JournalState(1, size, 1, PageState(1000, 3, token))


def test_a_done_line_supersedes_the_page_lines_of_its_row(
    tmp_path: Path, source: Path, out: Path
) -> None:
    head = _header(source)
    body = f"{_page(out, 0, 500, 1, 't1')}{_done(out, 2)}".encode()
    state = read_journal(_journal(tmp_path, head + body), head, out)
    assert state is not None
    assert state.page is None
    assert state.done_rows == 2


@pytest.mark.parametrize(
    "entry",
    [
        "page 0 5 1 {size} {tail} tok\n",  # row 0 is done: the row in progress is row 1
        "page 1 5 1 {size} {tail} to ken\n",
        "page 1 5 1 {size} {tail} \n",
        "page 1 5 1 {size} 00 tok\n",
        "page 1 -5 1 {size} {tail} tok\n",
        "page 1 5 1 {size} {tail} %ff\n",  # not UTF-8 once decoded
    ],
    ids=["other-row", "space", "no-token", "bad-tail", "negative", "bad-encoding"],
)
def test_an_edited_page_line_is_refused(
    tmp_path: Path, source: Path, out: Path, entry: str
) -> None:
    head = _header(source)
    size = len("".join(ROWS.splitlines(keepends=True)[:2]).encode())
    with out.open("rb") as handle:
        tail = tail_hash(handle, size)
    line = entry.format(size=size, tail=tail)
    journal = _journal(tmp_path, head + f"{_done(out, 1)}{line}".encode())
    with pytest.raises(JournalError, match="not a journal entry"):
        read_journal(journal, head, out)


def test_page_points_that_go_backwards_are_refused(tmp_path: Path, source: Path, out: Path) -> None:
    head = _header(source)
    body = f"{_page(out, 0, 1000, 2, 't2')}{_page(out, 0, 500, 2, 't1')}".encode()
    with pytest.raises(JournalError, match="line 3"):
        read_journal(_journal(tmp_path, head + body), head, out)


def test_a_standard_output_page_line_has_no_byte_counts(tmp_path: Path, source: Path) -> None:
    head = header(
        action="get_ttp_url_logs", fmt="jsonl", input_print=input_fingerprint(source), to_file=False
    )
    body = ("done 1 - -\n" + page_entry(1, 500, 500, None, "-", "t1")).encode()
    state = read_journal(_journal(tmp_path, head + body), head, None)
    assert state == JournalState(1, 0, 1, PageState(500, 500, "t1"))
    bad = _journal(tmp_path, head + b"done 1 - -\npage 1 500 500 10 0000000000000000 t1\n")
    with pytest.raises(JournalError):
        read_journal(bad, head, None)
