"""Parsing of input values: times, booleans, numbers, choices, addresses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mimecast_soar.actions.values import (
    BatchWindow,
    format_mimecast_time,
    is_domain,
    is_email,
    parse_bool,
    parse_choice,
    parse_int,
    parse_time,
    parse_window,
)
from mimecast_soar.errors import InvalidInputError

DEFAULT = datetime(2020, 1, 1, tzinfo=UTC)
EXPECTED = datetime(2011, 12, 3, 10, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2011-12-03T10:15:30+0000",
        "2011-12-03T10:15:30Z",
        "2011-12-03T10:15:30+00:00",
        "2011-12-03T11:15:30+01:00",
        "2011-12-03T05:15:30-0500",
        "2011-12-03 10:15:30",
        "1322907330",
        "1322907330000",
        1322907330,
        1322907330000,
    ],
)
def test_parse_time_accepts_documented_forms(text: object) -> None:
    assert parse_time(text, label="Start Time", default=DEFAULT) == EXPECTED


def test_parse_time_date_alone_is_midnight_utc() -> None:
    assert parse_time("2011-12-03", label="Start Time", default=DEFAULT) == datetime(
        2011, 12, 3, tzinfo=UTC
    )


@pytest.mark.parametrize("empty", [None, "", "   ", "\n"])
def test_parse_time_empty_means_default(empty: object) -> None:
    assert parse_time(empty, label="Start Time", default=DEFAULT) == DEFAULT


@pytest.mark.parametrize("bad", ["yesterday", "2011-13-03", "12/03/2011", True, "9" * 30])
def test_parse_time_rejects_with_the_label_and_forms(bad: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_time(bad, label="End Time", default=DEFAULT)
    assert "End Time" in caught.value.message


def test_format_mimecast_time_is_utc_with_numeric_offset() -> None:
    moment = datetime.fromisoformat("2011-12-03T11:15:30+01:00")
    assert format_mimecast_time(moment) == "2011-12-03T10:15:30+0000"


def test_parse_window_rejects_start_after_end() -> None:
    window = BatchWindow(DEFAULT, DEFAULT)
    with pytest.raises(InvalidInputError, match=r"Start Time .* is after End Time"):
        parse_window(
            "2012-01-02",
            "2012-01-01",
            window=window,
            start_label="Start Time",
            end_label="End Time",
        )


def test_parse_window_defaults_to_the_batch_window() -> None:
    window = BatchWindow(DEFAULT, datetime(2020, 1, 2, tzinfo=UTC))
    assert parse_window(
        "", None, window=window, start_label="Start Time", end_label="End Time"
    ) == (window.start, window.end)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), ("yes", True), ("FALSE", False), ("0", False), (1, True), ("", True)],
)
def test_parse_bool(value: object, expected: bool) -> None:
    assert parse_bool(value, label="Is Admin", default=True) is expected


def test_parse_bool_rejects_other_text() -> None:
    with pytest.raises(InvalidInputError, match="Is Admin must be true or false"):
        parse_bool("maybe", label="Is Admin", default=True)


@pytest.mark.parametrize(("value", "expected"), [("100", 100), (25, 25), (7.0, 7), ("", 42)])
def test_parse_int(value: object, expected: int) -> None:
    assert parse_int(value, label="Limit", default=42) == expected


@pytest.mark.parametrize("bad", ["ten", "1.5", 2.5, True, "0", -3])
def test_parse_int_rejects_non_integers_and_out_of_range(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="Limit"):
        parse_int(bad, label="Limit", default=1)


def test_parse_choice_is_case_insensitive_and_lists_options() -> None:
    options = ("inbound", "outbound", "all")
    assert parse_choice("INBOUND", label="Route", options=options, default="all") == "inbound"
    with pytest.raises(InvalidInputError, match="inbound, outbound, all"):
        parse_choice("sideways", label="Route", options=options, default="all")


@pytest.mark.parametrize(
    ("text", "email", "domain"),
    [
        ("alice@example.com", True, False),
        ("example.com", False, True),
        ("sub.example.co.uk", False, True),
        ("alice@", False, False),
        ("alice@localhost", False, False),
        ("not a domain", False, False),
        ("a@b@example.com", False, False),
        ("-bad-.com", False, False),
        ("1.2.3.4", False, False),
    ],
)
def test_email_and_domain_checks(text: str, email: bool, domain: bool) -> None:
    assert is_email(text) is email
    assert is_domain(text) is domain
