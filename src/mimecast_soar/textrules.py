"""How a text becomes a boolean, a number or a URL: one rule each, for every layer that reads one.

The connection's fields (`connection_schema`), the client's own checks of the URLs it is handed
(`api/regions.py`, `api/transport.py`) and the action inputs (`actions/values.py`) read booleans and
URLs here, so a value one of them accepts the others accept too. Each reader raises its own error
type (a connection field a `ConfigurationError` naming the field, an action input an
`InvalidInputError`), so the rules return None or raise `ValueError` with the reason only: a
phrase that completes "<field> ..." and never repeats the value (a URL may carry a password).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

__all__ = [
    "BOOLEAN_WORDS",
    "FALSE_WORDS",
    "TRUE_WORDS",
    "UrlParts",
    "boolean_of",
    "boolean_word",
    "describe",
    "number",
    "parse_url",
]

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "off"})
#: The vocabulary as a person reads it in an error message.
BOOLEAN_WORDS = "true/false, yes/no, y/n, 1/0 or on/off"


def boolean_word(text: str) -> bool | None:
    """True or False for a word of the vocabulary (any case, spaces around ignored), else None."""
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def boolean_of(value: object) -> bool | None:
    """A bool, the number 0 or 1, or a word of the vocabulary as a bool; anything else None.

    Empty values are the caller's to default.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    return boolean_word(value) if isinstance(value, str) else None


@dataclass(frozen=True, repr=False)
class UrlParts:
    """A checked URL: its scheme (lower case), host, port and decoded user name and password."""

    scheme: str
    host: str
    port: int | None
    username: str | None
    password: str | None

    def __repr__(self) -> str:  # the password stays out of every repr
        port = f":{self.port}" if self.port is not None else ""
        return f"UrlParts({self.scheme}://{self.host}{port})"


def parse_url(text: str, schemes: tuple[str, ...], *, userinfo: bool) -> UrlParts:
    """The parts of `text`, a URL with one of `schemes` and a host.

    Refused, with `ValueError(reason)`: spaces or control characters anywhere (a CR or LF would
    split a request line into headers of the sender's choosing), another scheme, no host, a port
    that is not a number from 0 to 65535, a query or a fragment, and a user name or password
    unless `userinfo` allows them (a proxy's credentials).
    """
    bad = next((c for c in text if c.isspace() or not c.isprintable()), None)
    if bad is not None:
        raise ValueError(
            "must not contain spaces or control characters "
            f"(it has {bad!r} at position {text.index(bad)})"
        )
    scheme, sep, _rest = text.partition("://")
    if not sep or scheme.lower() not in schemes:
        raise ValueError(f"must be a URL starting with {' or '.join(s + '://' for s in schemes)}")
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError as exc:
        raise ValueError(f"is not a valid URL ({exc})") from None
    if not parts.hostname:
        raise ValueError(f"must name a host ({scheme.lower()}://host[:port])")
    if not userinfo and (parts.username is not None or parts.password is not None):
        raise ValueError("must not carry a user name or password")
    if parts.query or parts.fragment:
        raise ValueError("must not carry a query or a fragment")
    return UrlParts(
        scheme=scheme.lower(),
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username is not None else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def number(raw: object, *, whole: bool) -> float | None:
    """A JSON number or numeric text (a whole one when `whole`), else None. Booleans are not."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int) or (isinstance(raw, float) and not whole):
        return float(raw)
    if isinstance(raw, str):
        text = raw.strip()
        if whole:
            return float(int(text)) if text.isascii() and text.isdigit() else None
        try:
            return float(text)
        except ValueError:
            return None
    return None


def describe(value: object, limit: int = 40) -> str:
    """A value for an error message: short text or a number quoted, anything else by its kind."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if not isinstance(value, str | int | float):
        return f"a {type(value).__name__}"
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 4] + "...'"
