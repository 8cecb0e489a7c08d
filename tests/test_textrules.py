"""The one boolean vocabulary and the one URL rule every layer reads text by."""

from __future__ import annotations

import pytest

from mimecast_soar.textrules import boolean_of, boolean_word, describe, number, parse_url


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Yes", True),
        (" y ", True),
        ("ON", True),
        (1, True),
        (True, True),
        ("n", False),
        ("0", False),
        (0.0, False),
        ("", None),
        ("ja", None),
        (2, None),
        (None, None),
        (["y"], None),
    ],
)
def test_boolean_of_reads_bools_zero_one_and_the_words(
    value: object, expected: bool | None
) -> None:
    assert boolean_of(value) is expected


def test_boolean_word_reads_words_only() -> None:
    assert boolean_word("OFF") is False
    assert boolean_word("2") is None


def test_a_url_gives_its_decoded_parts_and_never_shows_its_password() -> None:
    parts = parse_url("socks5h://us%40er:p%40ss-88@Agent.Example:1080", ("socks5h",), userinfo=True)
    assert (parts.scheme, parts.host, parts.port) == ("socks5h", "agent.example", 1080)
    assert (parts.username, parts.password) == ("us@er", "p@ss-88")
    assert "p@ss-88" not in repr(parts)
    assert "p%40ss-88" not in repr(parts)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://h/\x00", "control characters (it has '\\x00' at position 10)"),
        ("https://h x", "spaces"),
        ("socks4://h:1", "must be a URL starting with http:// or https://"),
        ("https://", "must name a host"),
        ("https://h:70000", "is not a valid URL"),
        ("https://u:secret-99@h", "must not carry a user name or password"),
        ("https://h/?a=1", "must not carry a query or a fragment"),
    ],
)
def test_a_refused_url_says_why_without_repeating_it(url: str, reason: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_url(url, ("http", "https"), userinfo=False)
    assert reason in str(caught.value)
    assert "secret-99" not in str(caught.value)


def test_numbers_and_descriptions() -> None:
    assert number(" 2.5 ", whole=False) == 2.5
    assert number("2.5", whole=True) is None
    assert number("١٢", whole=True) is None  # digits of another script are not a byte count
    assert number(True, whole=False) is None
    assert describe({"a": 1}) == "a table"
    assert describe("x" * 100).endswith("...'")
