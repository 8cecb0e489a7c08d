"""`safe_text` turns a server's text into one bounded line of inert characters."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from mimecast_soar.safetext import SERVER_TEXT_CHARS, printable, safe_text

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def is_inert(char: str) -> bool:
    """A character a terminal shows as itself: not a control, format-direction or separator."""
    return unicodedata.category(char) not in ("Cc", "Zl", "Zp") and char not in BIDI


def test_escape_sequences_become_visible_escapes() -> None:
    text = "a\x1b[2Jb\x1b]0;title\x07c\u202eevil\u202c\r\nforged\x00\x7f\x9b"
    assert printable(text) == (
        "a\\x1b[2Jb\\x1b]0;title\\x07c\\u202eevil\\u202c\\r\\nforged\\x00\\x7f\\x9b"
    )


def test_ordinary_text_is_left_alone() -> None:
    text = "Mimecast says: the value 'ünïcødé ✓ 中文' is invalid (C:\\path\\to)"
    assert safe_text(text) == text


def test_long_text_is_capped_with_a_marker() -> None:
    out = safe_text("x" * 10_000)
    assert out.startswith("x" * SERVER_TEXT_CHARS)
    assert out.endswith("... [cut: 10000 characters in all]")
    assert len(out) < SERVER_TEXT_CHARS + 50


def test_escapes_count_towards_the_cap_and_are_never_cut_in_half() -> None:
    out = safe_text("\x1b" * 400)
    head = out.split("...")[0]
    assert len(head) <= SERVER_TEXT_CHARS
    assert head == "\\x1b" * (SERVER_TEXT_CHARS // 4)
    assert out.endswith("[cut: 400 characters in all]")


@given(st.text(max_size=2000))
def test_any_text_comes_out_inert_and_bounded(text: str) -> None:
    out = safe_text(text)
    assert all(is_inert(char) for char in out)
    assert len(out) <= SERVER_TEXT_CHARS + 50
    if len(text) <= SERVER_TEXT_CHARS and all(is_inert(char) for char in text):
        assert out == text
