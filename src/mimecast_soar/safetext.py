"""Text from a server made safe to print: control characters made visible, length capped.

A hostile or broken server chooses the bytes of its error bodies, Mimecast's error messages and
exception texts. Printed raw, ``ESC [2J`` clears the user's terminal, ``ESC ] 0;...BEL`` retitles
it, a CR or LF forges a line of our own output, and a bidi override (U+202E) makes a line read
differently from what it holds. `safe_text` writes every such character as a visible escape
(``\\x1b``, ``\\n``, ``\\u202e``) and caps the text, so what reaches standard error or a row's
`error` is one bounded line of inert characters. A backslash is left as it is: the escapes only
need to be visible, not reversible.
"""

from __future__ import annotations

__all__ = ["SERVER_TEXT_CHARS", "printable", "safe_text"]

#: The most characters of server text quoted in a message (the marker comes on top).
SERVER_TEXT_CHARS = 500

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Bidirectional controls (embeddings, overrides, isolates, marks) and the Unicode line and
# paragraph separators, which some terminals and viewers treat as line breaks.
_BIDI_AND_BREAKS = (
    "\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _escape(char: str) -> str:
    code = ord(char)
    return _SHORT.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


# C0 controls, DEL and C1 controls, then the bidi characters: one `str.translate` table.
_ESCAPES = {
    ord(char): _escape(char)
    for char in (
        *map(chr, range(0x20)),
        "\x7f",
        *map(chr, range(0x80, 0xA0)),
        *_BIDI_AND_BREAKS,
    )
}


def printable(text: str) -> str:
    """`text` with every control, bidi and line-separator character written as an escape."""
    return text.translate(_ESCAPES)


def safe_text(text: str, limit: int = SERVER_TEXT_CHARS) -> str:
    """`text` escaped by `printable` and cut to at most `limit` characters, with a marker.

    The cut counts the escaped text, so however many escapes the text needed the result is at
    most `limit` characters plus the marker; an escape is never cut in half.
    """
    head = printable(text[:limit])
    if len(head) > limit:  # the escapes made it longer: cut before the escape that overflows
        pieces: list[str] = []
        size = 0
        for char in text[:limit]:
            piece = _ESCAPES.get(ord(char), char)
            size += len(piece)
            if size > limit:
                break
            pieces.append(piece)
        head = "".join(pieces)
    elif len(text) <= limit:
        return head
    return f"{head}... [cut: {len(text)} characters in all]"
