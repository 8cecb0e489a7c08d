"""Progress: a live display on a terminal, silence elsewhere; counting rows cheaply."""

from __future__ import annotations

import io
import os
from pathlib import Path

from rich.console import Console

from mimecast_soar.runtime import NullProgress, RichProgress, count_rows, make_progress


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_rich_progress_renders_rows_errors_and_rate() -> None:
    out = io.StringIO()
    clock = FakeClock()
    progress = RichProgress(Console(file=out, force_terminal=True, width=120), clock=clock)
    progress.start(total=10)
    for _ in range(4):
        clock.now += 0.5
        progress.advance(rows=1, errors=1 if clock.now > 101 else 0)
    progress.close()
    text = out.getvalue()
    assert "rows" in text
    assert "4/10" in text
    assert "2 errors" in text
    assert "rows/s" in text


def test_rich_progress_without_a_total() -> None:
    out = io.StringIO()
    progress = RichProgress(Console(file=out, force_terminal=True, width=120), clock=FakeClock())
    progress.start(None)
    progress.advance(3)
    progress.close()
    progress.close()
    assert "3/?" in out.getvalue()


def test_progress_is_silent_when_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = make_progress(stream)
    assert isinstance(progress, NullProgress)
    progress.start(5)
    progress.advance(5, errors=1)
    progress.close()
    assert stream.getvalue() == ""


def test_progress_is_live_on_a_terminal() -> None:
    assert isinstance(make_progress(Terminal()), RichProgress)


def test_count_rows_of_jsonl_and_part_folders(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"a": 1}\n{"a": 2}\n{"a": 3}', encoding="utf-8")
    (tmp_path / "b.jsonl").write_text("", encoding="utf-8")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "part-0").write_text("{}\n{}\n", encoding="utf-8")
    assert count_rows(tmp_path / "a.jsonl") == 3
    assert count_rows(tmp_path / "b.jsonl") == 0
    assert count_rows(folder) == 2


def test_count_rows_is_none_when_not_cheap(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("a\n1\n", encoding="utf-8")
    assert count_rows("-") is None
    assert count_rows(tmp_path / "a.csv") is None
    assert count_rows(tmp_path / "missing.jsonl") is None


def test_a_record_pull_shows_records_and_records_per_second() -> None:
    out = io.StringIO()
    clock = FakeClock()
    progress = RichProgress(Console(file=out, force_terminal=True, width=140), clock=clock)
    progress.start(total=1)
    for _ in range(4):
        clock.now += 1.0
        progress.records(500)
    progress.close()
    text = out.getvalue()
    assert "0/1" in text  # the one input row is still running...
    assert "2,000" in text  # ...but the records written show
    assert "records/s" in text
    assert "500.0 records/s" in text  # 2,000 records over 4 s of the injected clock


def test_records_before_start_or_after_close_are_ignored() -> None:
    out = io.StringIO()
    progress = RichProgress(Console(file=out, force_terminal=True, width=140), clock=FakeClock())
    progress.records(10)
    progress.start(None)
    progress.close()
    progress.records(10)
    assert "records" not in out.getvalue()


def test_no_display_when_the_rows_go_to_the_same_terminal() -> None:
    main, other = os.openpty()
    try:
        with open(other, "w", closefd=False) as err, open(other, "w", closefd=False) as rows:
            assert isinstance(make_progress(err, rows_to=rows), NullProgress)
            assert isinstance(make_progress(err, rows_to=None), RichProgress)  # rows to a file
    finally:
        os.close(main)
        os.close(other)


def test_a_display_when_the_rows_go_to_another_terminal_or_a_pipe(tmp_path: Path) -> None:
    first, first_end = os.openpty()
    second, second_end = os.openpty()
    try:
        with (
            open(first_end, "w", closefd=False) as err,
            open(second_end, "w", closefd=False) as rows,
            (tmp_path / "rows.jsonl").open("w") as piped,
        ):
            assert isinstance(make_progress(err, rows_to=rows), RichProgress)
            assert isinstance(make_progress(err, rows_to=piped), RichProgress)
    finally:
        for fd in (first, first_end, second, second_end):
            os.close(fd)
