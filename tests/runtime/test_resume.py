"""Where `--resume` starts when a records run left no journal, and when it left a page point."""

from __future__ import annotations

import json
from pathlib import Path

from mimecast_soar.runtime.journal import header, page_entry, tail_hash
from mimecast_soar.runtime.paging import PullStart
from mimecast_soar.runtime.resume import ResumePoint, journal_path, open_output, resume_point

HEAD = header(action="get_ttp_url_logs", fmt="jsonl", input_print=None, to_file=True)


def _records(out: Path, groups: dict[int, int]) -> str:
    lines = [{"original_lhub_id": i, "x": n} for i, count in groups.items() for n in range(count)]
    body = "".join(json.dumps(line) + "\n" for line in lines)
    out.write_text(body)
    return body


def test_a_finished_records_run_resumes_to_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    body = _records(out, {1: 3, 2: 2})  # no journal: the run removed it when it finished
    point = resume_point(out, one_row_per_input=False, header_line=HEAD)
    assert point == ResumePoint(2, len(body.encode()))


def test_a_records_output_cut_short_pulls_its_last_group_again(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    body = _records(out, {1: 3, 2: 2})
    with out.open("a") as handle:
        handle.write('{"original_lhub_id": 2, "x"')
    first = len("".join(body.splitlines(keepends=True)[:3]).encode())
    assert resume_point(out, one_row_per_input=False, header_line=HEAD) == ResumePoint(1, first)


def test_a_page_point_truncates_the_output_and_gives_the_pull_start(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    body = _records(out, {1: 4})
    size = len("".join(body.splitlines(keepends=True)[:2]).encode())
    with out.open("rb") as handle:
        entry = page_entry(0, 2, 2, size, tail_hash(handle, size), "tok en")
    journal_path(out).write_bytes(HEAD + entry.encode())
    stream, point = open_output(
        str(out), resume=True, fmt="jsonl", one_row_per_input=False, header_line=HEAD
    )
    stream.close()
    assert point == ResumePoint(0, size, 0, PullStart("tok en", 2, 2))
    assert out.read_bytes() == body.encode()[:size]  # the rows after the point are dropped
