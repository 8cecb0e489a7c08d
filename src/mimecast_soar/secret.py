"""Secrets as a type: a value that never shows itself when printed, logged or formatted.

`Secret` wraps connection keys, OAuth client secrets, access tokens and reference values marked
as passwords. `str()`, `repr()` and f-strings print a mask; only `.get()` returns the value, and
only the code that puts it on the wire calls it. `Redactor` removes every known secret from a text
before it reaches an output row, a log line or an exception message.
"""

from __future__ import annotations

from collections.abc import Iterable

MASK = "**********"


class Secret:
    """A secret text value whose `str`/`repr` never reveal it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if isinstance(value, Secret):
            value = value.get()
        self._value = str(value)

    def get(self) -> str:
        """The value itself: call this only where it goes on the wire."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{MASK}')" if self._value else "Secret('')"

    def __str__(self) -> str:
        return MASK if self._value else ""

    def __format__(self, spec: str) -> str:
        return str(self)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


class Redactor:
    """Replaces every registered secret value in a text by a mask.

    Short values (under 4 characters) are not registered: masking them would garble ordinary
    text and they cannot be meaningful credentials.
    """

    __slots__ = ("_values",)

    def __init__(self, secrets: Iterable[Secret | str] = ()) -> None:
        self._values: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: Secret | str | None) -> None:
        """Register one more secret (an OAuth token obtained at run time, for example)."""
        if secret is None:
            return
        value = secret.get() if isinstance(secret, Secret) else str(secret)
        if len(value) >= 4:
            self._values.add(value)

    def __call__(self, text: str) -> str:
        """Return `text` with every registered secret replaced by the mask."""
        # Longest first, so a secret that contains another is masked whole.
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, MASK)
        return text

    def __len__(self) -> int:
        return len(self._values)
