"""Reading input tables: JSONL, CSV, part-file folders, standard input."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime import InputRow, read_table, read_table_stream, table_source


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_rows_keep_their_lhub_id_and_values(tmp_path: Path) -> None:
    path = write(tmp_path / "in.jsonl", '{"lhub_id": 7, "a": 1}\n{"lhub_id": "x-2", "a": 2}\n')
    rows = list(read_table(path))
    assert rows == [
        InputRow(7, {"lhub_id": 7, "a": 1}),
        InputRow("x-2", {"lhub_id": "x-2", "a": 2}),
    ]


def test_rows_without_lhub_id_are_numbered_by_line_so_blank_lines_shift_nothing(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "in.ndjson", '{"a": 1}\n\n   \n{"a": 2}\n{"a": 3}')
    rows = list(read_table(path))
    assert [row.lhub_id for row in rows] == [1, 4, 5]
    assert [row.position for row in rows] == [1, 4, 5]
    with_id = write(tmp_path / "ids.jsonl", '{"lhub_id": "x"}\n\n{"a": 2}\n')
    assert [(row.lhub_id, row.position) for row in read_table(with_id)] == [("x", 1), (3, 3)]


def test_csv_positions_count_records_after_the_header_blank_ones_too(tmp_path: Path) -> None:
    text = '\na,b\n1,x\n\n2,"two\nlines"\n3,y\n'
    rows = list(read_table(write(tmp_path / "in.csv", text)))
    assert [(row.lhub_id, row.position) for row in rows] == [(1, 1), (3, 3), (4, 4)]
    assert rows[1].values == {"a": "2", "b": "two\nlines"}


def test_null_and_duplicate_lhub_ids_are_kept_as_given(tmp_path: Path) -> None:
    lines = ['{"lhub_id": 5}', '{"lhub_id": 5}', '{"lhub_id": null}', '{"lhub_id": 9.0}']
    path = write(tmp_path / "in.jsonl", "\n".join(lines))
    assert [row.lhub_id for row in read_table(path)] == [5, 5, None, 9]


def test_malformed_line_is_an_error_row_at_its_place_and_reading_goes_on(tmp_path: Path) -> None:
    text = '{"lhub_id": 1}\n{"lhub_id": 2, "a": \n{"a": 3}\n[1, 2]\n"text"\n{"lhub_id": 6}\n'
    rows = list(read_table(write(tmp_path / "in.jsonl", text)))
    assert [row.lhub_id for row in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[1].values is None
    assert rows[1].error is not None
    assert rows[1].error.startswith("line 2 is not valid JSON")
    assert rows[3].error == "line 4 is not a JSON object: it holds a list"
    assert rows[4].error == "line 5 is not a JSON object: it holds a str"
    assert rows[5].values == {"lhub_id": 6}


def test_malformed_line_keeps_a_text_id_it_names(tmp_path: Path) -> None:
    rows = list(read_table(write(tmp_path / "in.jsonl", '{"lhub_id": "abc", oops}\n')))
    assert rows[0].lhub_id == "abc"
    assert rows[0].values is None


def test_invalid_utf8_line_is_an_error_row(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"a": "\xff"}\n{"a": 1}\n')
    rows = list(read_table(path))
    assert rows[0].error is not None
    assert rows[1] == InputRow(2, {"a": 1})


def test_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_bytes(b'\xef\xbb\xbf{"a": 1}\n')
    (tmp_path / "in.csv").write_bytes(b"\xef\xbb\xbfa,b\n1,2\n")
    assert list(read_table(tmp_path / "in.jsonl")) == [InputRow(1, {"a": 1})]
    assert list(read_table(tmp_path / "in.csv")) == [InputRow(1, {"a": "1", "b": "2"})]


def test_csv_values_are_text_and_quoted_fields_may_span_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "in.csv", 'lhub_id,subject,n\n10,"hello, ""you""\nthere",3\n')
    assert list(read_table(path)) == [
        InputRow(10, {"lhub_id": "10", "subject": 'hello, "you"\nthere', "n": "3"})
    ]


def test_csv_lhub_id_other_than_a_plain_integer_stays_text(tmp_path: Path) -> None:
    path = write(tmp_path / "in.csv", "lhub_id,a\n007,x\nabc,y\n,z\n-4,w\n")
    assert [row.lhub_id for row in read_table(path)] == ["007", "abc", 3, -4]


def test_csv_short_row_is_padded_and_long_row_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "in.csv", "a,b,c\n1\n1,2,3,4\n\n5,6,7\n")
    rows = list(read_table(path))
    assert rows[0] == InputRow(1, {"a": "1", "b": "", "c": ""})
    assert rows[1].lhub_id == 2
    assert rows[1].values is None
    assert rows[1].error == "line 3 has 4 fields but the header has 3 columns"
    assert rows[2] == InputRow(4, {"a": "5", "b": "6", "c": "7"})  # the blank record counts


def test_csv_header_naming_a_column_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="'a' twice"):
        list(read_table(write(tmp_path / "in.csv", "a,b,a\n1,2,3\n")))


def test_csv_with_only_a_header_has_no_rows(tmp_path: Path) -> None:
    assert list(read_table(write(tmp_path / "in.csv", "a,b\n"))) == []
    assert list(read_table(write(tmp_path / "empty.csv", ""))) == []


def test_part_folder_reads_the_first_part_file_by_name(tmp_path: Path) -> None:
    write(tmp_path / "part-00001", '{"n": 2}\n')
    write(tmp_path / "part-00000", '{"lhub_id": 40, "n": 1}\n')
    write(tmp_path / "aaa.jsonl", '{"n": 0}\n')
    (tmp_path / "part-dir").mkdir()
    assert list(read_table(tmp_path)) == [InputRow(40, {"lhub_id": 40, "n": 1})]
    assert table_source(tmp_path) == (tmp_path / "part-00000", "jsonl")


def test_folder_without_part_file_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "data.jsonl", "{}\n")
    with pytest.raises(ConfigurationError, match="no file named part"):
        read_table(tmp_path)


def test_missing_file_and_unknown_extension_fail_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        read_table(tmp_path / "nope.jsonl")
    with pytest.raises(ConfigurationError, match="unknown extension"):
        read_table(write(tmp_path / "in.xlsx", ""))


def test_a_given_format_overrides_the_extension(tmp_path: Path) -> None:
    export = write(tmp_path / "export.txt", "lhub_id,q\n3,a\n")
    assert list(read_table(export, fmt="csv")) == [InputRow(3, {"lhub_id": "3", "q": "a"})]
    lines = write(tmp_path / "rows.csv", '{"q": "b"}\n')
    assert list(read_table(lines, fmt="jsonl")) == [InputRow(1, {"q": "b"})]
    with pytest.raises(ConfigurationError, match="unknown input format 'xml'"):
        read_table(export, fmt="xml")


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_one_megabyte_value_is_read_whole(tmp_path: Path, suffix: str) -> None:
    big = "x" * (1 << 20)
    text = json.dumps({"big": big}) + "\n" if suffix == "jsonl" else f"big\n{big}\n"
    rows = list(read_table(write(tmp_path / f"in.{suffix}", text)))
    assert rows[0].values == {"big": big}


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_five_thousand_columns(tmp_path: Path, suffix: str) -> None:
    names = [f"c{i}" for i in range(5000)]
    if suffix == "jsonl":
        text = json.dumps({name: str(i) for i, name in enumerate(names)}) + "\n"
    else:
        text = ",".join(names) + "\n" + ",".join(str(i) for i in range(5000)) + "\n"
    (row,) = read_table(write(tmp_path / f"in.{suffix}", text))
    assert row.values is not None
    assert len(row.values) == 5000
    assert row.values["c4999"] == "4999"


class CountingLines(io.StringIO):
    """A text stream that counts the lines taken from it."""

    taken = 0

    def __next__(self) -> str:
        self.taken += 1
        return super().__next__()


def test_stream_is_read_one_line_at_a_time() -> None:
    stream = CountingLines("".join(f'{{"n": {i}}}\n' for i in range(1000)))
    rows: Iterator[InputRow] = read_table_stream(stream, "jsonl")
    assert next(rows) == InputRow(1, {"n": 0})
    assert stream.taken == 1


def test_stream_formats() -> None:
    jsonl = list(read_table_stream(io.StringIO('{"a": 1}\n'), "jsonl"))
    csv_rows = list(read_table_stream(io.StringIO("\ufeffa\n1\n"), "csv"))
    assert jsonl == [InputRow(1, {"a": 1})]
    assert csv_rows == [InputRow(1, {"a": "1"})]
    with pytest.raises(ConfigurationError, match="unknown input format"):
        read_table_stream(io.StringIO(""), "xml")
