"""Writing output tables: JSONL, the platform's result lines, CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime import open_writer
from mimecast_soar.secret import Secret


class RecordingStream(io.StringIO):
    """A text stream that records each `write` call and counts flushes."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []
        self.flushes = 0

    def write(self, text: str) -> int:
        self.calls.append(text)
        return super().write(text)

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


def lines(stream: io.StringIO) -> list[Any]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_jsonl_puts_the_correlation_id_first() -> None:
    stream = RecordingStream()
    writer = open_writer("jsonl", stream)
    writer.write(3, {"has_error": False, "error": None, "result": [1]})
    writer.write("x", {"original_lhub_id": "forged", "a": 1})
    writer.close()
    first, second = lines(stream)
    assert list(first) == ["original_lhub_id", "has_error", "error", "result"]
    assert first["original_lhub_id"] == 3
    assert second == {"original_lhub_id": "x", "a": 1}


def test_jsonl_renders_values_json_cannot_hold() -> None:
    stream = io.StringIO()
    writer = open_writer("jsonl", stream)
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    row = {
        "when": when,
        "nan": float("nan"),
        "inf": float("inf"),
        "big": 2**70,
        "key": Secret("s3cr3t-value"),
        "tags": {"b"},
        1: "numeric key",
    }
    writer.write(None, row)
    writer.close()
    (out,) = lines(stream)
    assert out["original_lhub_id"] is None
    assert out["when"].startswith("2024-05-01T12:00:00")
    assert out["nan"] is None
    assert out["inf"] is None
    assert out["big"] == str(2**70)
    assert out["key"] == "**********"
    assert out["tags"] == ["b"]
    assert out["1"] == "numeric key"
    assert "s3cr3t-value" not in stream.getvalue()


def test_devo_result_lines_double_encode_the_row() -> None:
    stream = io.StringIO()
    writer = open_writer("devo", stream)
    row = {"has_error": False, "error": None, "result": {"q": 'say "hi"\n'}}
    writer.write(12, row)
    writer.close()
    (out,) = lines(stream)
    assert list(out) == ["result", "stdout", "stderr", "original_lhub_id"]
    assert isinstance(out["result"], str)
    assert json.loads(out["result"]) == row
    assert out["stdout"] == out["stderr"] == ""
    assert out["original_lhub_id"] == 12


@pytest.mark.parametrize("fmt", ["jsonl", "devo"])
def test_line_formats_write_whole_lines_and_flush_each_row(fmt: str) -> None:
    stream = RecordingStream()
    writer = open_writer(fmt, stream)
    for i in range(3):
        writer.write(i, {"text": "multi\nline", "n": i})
        assert stream.flushes >= i + 1
    writer.close()
    assert len(stream.calls) == 3
    assert all(call.endswith("\n") and call.count("\n") == 1 for call in stream.calls)


def test_csv_is_written_at_close_with_the_union_of_keys() -> None:
    stream = RecordingStream()
    writer = open_writer("csv", stream)
    writer.write(1, {"has_error": False, "result": {"a": [1, 2]}})
    writer.write(2, {"has_error": True, "error": 'bad, "quoted"\nthing', "extra": None})
    writer.write(3, {"n": 4.5, "original_lhub_id": 99})
    assert stream.getvalue() == ""
    writer.close()
    assert all(call.endswith("\n") for call in stream.calls)
    table = list(csv.reader(io.StringIO(stream.getvalue())))
    assert table[0] == ["original_lhub_id", "has_error", "result", "error", "extra", "n"]
    assert table[1] == ["1", "false", '{"a":[1,2]}', "", "", ""]
    assert table[2] == ["2", "true", "", 'bad, "quoted"\nthing', "", ""]
    assert table[3] == ["3", "", "", "", "", "4.5"]


def test_csv_without_rows_still_has_its_header() -> None:
    stream = io.StringIO()
    writer = open_writer("csv", stream)
    writer.close()
    writer.close()
    assert stream.getvalue() == "original_lhub_id\n"


@pytest.mark.parametrize("fmt", ["jsonl", "devo", "csv"])
def test_writing_after_close_is_refused_and_the_stream_stays_open(fmt: str) -> None:
    stream = io.StringIO()
    writer = open_writer(fmt, stream)
    writer.flush()
    writer.close()
    with pytest.raises(ValueError, match="closed"):
        writer.write(1, {})
    assert not stream.closed


def test_unknown_output_format() -> None:
    with pytest.raises(ConfigurationError, match="jsonl, csv, devo"):
        open_writer("xml", io.StringIO())


def _csv_table(rows: list[dict[str, Any]], *, csv_raw: bool = False) -> list[list[str]]:
    stream = io.StringIO()
    writer = open_writer("csv", stream, csv_raw=csv_raw)
    for number, row in enumerate(rows, start=1):
        writer.write(number, row)
    writer.close()
    return list(csv.reader(io.StringIO(stream.getvalue(), newline="")))


FORMULAS = [
    '=HYPERLINK("http://evil.example","x")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1)",
]


def test_csv_text_cells_a_spreadsheet_would_run_get_a_quote_prefix() -> None:
    rows = [{"subject": text} for text in [*FORMULAS, "\tTAB", "\rCR"]]
    cells = [row[1] for row in _csv_table(rows)[1:]]
    assert cells == ["'" + text for text in [*FORMULAS, "\tTAB", "\rCR"]]


def test_csv_header_cells_from_server_keys_are_neutralised_too() -> None:
    table = _csv_table([{"=1+1": "a", "plain": "b"}])
    assert table[0] == ["original_lhub_id", "'=1+1", "plain"]
    assert table[1] == ["1", "a", "b"]


def test_csv_numbers_from_json_are_data_not_formulas() -> None:
    # -5 as a JSON number is ours to format; "-5" as text came from the server as text.
    table = _csv_table([{"n": -5, "f": -0.5, "t": "-5", "ok": "a=b", "nested": {"k": "=x"}}])
    assert table[1] == ["1", "-5", "-0.5", "'-5", "a=b", '{"k":"=x"}']


def test_csv_raw_writes_cells_as_they_are() -> None:
    table = _csv_table([{"=key": text} for text in FORMULAS], csv_raw=True)
    assert table[0] == ["original_lhub_id", "=key"]
    assert [row[1] for row in table[1:]] == FORMULAS


def test_line_formats_are_not_touched_by_the_csv_rule() -> None:
    stream = io.StringIO()
    writer = open_writer("jsonl", stream)
    writer.write(1, {"subject": "=1+1"})
    writer.close()
    assert json.loads(stream.getvalue())["subject"] == "=1+1"
