"""Choosing the id of each output row and the input columns carried into it."""

from __future__ import annotations

from pathlib import Path

import pytest

from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime.correlation import (
    Correlation,
    id_value,
    parse_carry,
    parse_id_column,
)
from mimecast_soar.runtime.tables import InputRow, read_table


def test_the_default_passes_rows_through_unchanged() -> None:
    rows = [InputRow(7, {"lhub_id": 7}, position=1), InputRow(2, {"a": 1}, position=2)]
    out = list(Correlation().apply(rows))
    assert [(row.lhub_id, row.carried) for row in out] == [(7, None), (2, None)]
    assert Correlation().describe() is None


def test_an_id_column_gives_the_users_id_and_a_row_without_one_an_error_at_its_position(
    tmp_path: Path,
) -> None:
    lines = [
        '{"alert_id": "A-1", "lhub_id": 99}',
        "",
        '{"alert_id": 12}',
        '{"other": 1}',
        '{"alert_id": "   "}',
        '{"alert_id": null}',
        "{broken",
        '{"alert_id": 3.0}',
        '{"alert_id": [1, 2]}',
    ]
    table = tmp_path / "in.jsonl"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = list(Correlation(id_column="alert_id").apply(read_table(table)))
    assert [row.lhub_id for row in rows] == ["A-1", 12, 4, 5, 6, 7, 3, "[1,2]"]
    assert rows[0].values == {"alert_id": "A-1", "lhub_id": 99}
    for missing in rows[2:5]:
        assert missing.values is None
        assert missing.error is not None
        assert "'alert_id' has no value" in missing.error
        assert f"row {missing.position} of the table" in missing.error
    assert rows[5].error is not None
    assert rows[5].error.startswith("line 7 is not valid JSON")  # its own error is kept


def test_carried_columns_are_prefixed_and_null_when_the_row_lacks_them() -> None:
    rows = [
        InputRow(1, {"user": "bob", "has_error": "mine"}, position=1),
        InputRow(2, {"other": 1}, position=2),
        InputRow(3, None, "line 3 is not valid JSON", position=3),
    ]
    out = list(Correlation(carry=("user", "has_error")).apply(rows))
    assert [row.carried for row in out] == [
        {"input.user": "bob", "input.has_error": "mine"},
        {"input.user": None, "input.has_error": None},
        {"input.user": None, "input.has_error": None},
    ]
    assert [row.lhub_id for row in out] == [1, 2, 3]


def test_the_journal_records_a_chosen_correlation() -> None:
    assert Correlation("alert_id", ("a", "b")).describe() == {
        "id_column": "alert_id",
        "carry": ["a", "b"],
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("A-1", "A-1"),
        (" x ", " x "),
        ("", None),
        (None, None),
        (5, 5),
        (5.0, 5),
        (5.5, "5.5"),
        (True, "true"),
        ({"a": 1}, '{"a":1}'),
    ],
)
def test_id_values_keep_the_tables_form(value: object, expected: object) -> None:
    assert id_value(value) == expected


def test_carry_takes_comma_lists_and_repeats_and_refuses_blanks_and_doubles() -> None:
    assert parse_carry(["a,b", " c "]) == ("a", "b", "c")
    assert parse_carry([]) == ()
    with pytest.raises(ConfigurationError, match="COLUMN"):
        parse_carry(["a,,b"])
    with pytest.raises(ConfigurationError, match="twice"):
        parse_carry(["a", "a"])
    with pytest.raises(ConfigurationError, match="column name"):
        parse_id_column("  ")
    assert parse_id_column(None) is None
