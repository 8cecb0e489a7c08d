"""Secrets as a type: a value that never shows itself when printed, logged or formatted.

`Secret` wraps connection keys, OAuth client secrets, access tokens and reference values marked
as passwords. `str()`, `repr()` and f-strings print a mask; only `.get()` returns the value, and
only the code that puts it on the wire calls it. `Redactor` removes every known secret from a text
before it reaches an output row, a log line or an exception message, in every form a server or a
library may have written it in (`secret_forms`).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, unquote

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


class SecretUrl(Secret):
    """A URL whose password is secret (a proxy URL): shown with the password masked.

    `get()` returns the whole URL for the code that connects through it; `str`/`repr` show the
    scheme, user, host and port, so a setting can still be recognised in a repr or a message.
    """

    __slots__ = ()

    @property
    def password(self) -> str | None:
        """The password of the URL's user information, when it has one."""
        return url_password(self._value)

    def __repr__(self) -> str:
        return f"SecretUrl({str(self)!r})"

    def __str__(self) -> str:
        return mask_url_password(self._value)


def url_password(url: str | None) -> str | None:
    """The password inside a URL's user information (``scheme://user:password@host``), if any."""
    if not url:
        return None
    userinfo, at, _ = url.partition("://")[2].rpartition("@")
    _user, colon, password = userinfo.partition(":")
    return password if at and colon and password else None


def mask_url_password(url: str) -> str:
    """`url` with the password of its user information replaced by the mask."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{scheme}{sep}{user}:{MASK}@{host}"


#: Shortest form of a secret worth masking: shorter ones would garble ordinary text.
MIN_FORM_CHARS = 4
# What other encoders leave as it is (JavaScript's encodeURIComponent), besides Python's set.
_URI_COMPONENT_SAFE = "!'()*"
_PERCENT_HEX = re.compile(r"%[0-9A-F]{2}")


def secret_forms(value: str) -> set[str]:
    """Every text form of `value` a server may echo or a library may write.

    The value itself; its URL encodings (`quote` with and without ``/`` safe, the characters
    JavaScript leaves alone, `quote_plus` as forms are encoded); its JSON string escapes (as
    orjson writes them, ASCII-only as `json.dumps` does, and with ``\\/``); its base64 (alone,
    padded or not, standard or URL-safe alphabet, and the characters that depend on it alone
    inside a longer base64 text at each of the three byte alignments, as in a Basic header).
    Forms shorter than `MIN_FORM_CHARS` are left out.
    """
    forms = {
        value,
        quote(value, safe=""),
        quote(value, safe="/"),
        quote(value, safe=_URI_COMPONENT_SAFE),
        quote_plus(value, safe=""),
        json.dumps(value, ensure_ascii=False)[1:-1],
        json.dumps(value)[1:-1],
    }
    forms |= _base64_forms(value.encode("utf-8"))
    forms |= {form.replace("/", "\\/") for form in forms if "/" in form}
    return {form for form in forms if len(form) >= MIN_FORM_CHARS}


def _base64_forms(data: bytes) -> set[str]:
    forms: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(data).decode("ascii")
        forms |= {whole, whole.rstrip("=")}
        for offset in range(3):
            # After `offset` bytes of other data, the characters from the first whose six bits
            # are all ours to the last before the following data mixes in.
            text = encode(bytes(offset) + data).decode("ascii")
            start = -(-8 * offset // 6)
            stop = 8 * (offset + len(data)) // 6
            forms.add(text[start:stop])
    return forms


def _with_lower_hex(form: str) -> str:
    """`form` with its percent escapes in lower case (``%2f``), as some servers echo them."""
    return _PERCENT_HEX.sub(lambda match: match.group().lower(), form)


def _longest_first(form: str) -> tuple[int, str]:
    return -len(form), form


class Redactor:
    """Replaces every registered secret, in every form of `secret_forms`, by a mask.

    Short values (under 4 characters) are not registered: masking them would garble ordinary
    text and they cannot be meaningful credentials. The forms are worked out once, when a
    secret is added. A call first tests the text for the *probes*, the forms that contain no
    other form (a text holding any form holds one of them), with one fast substring test each;
    only when one is there are the forms containing it masked, longest first so a form
    containing another is masked whole. That is several times cheaper than one regex
    alternation of the forms, which `re` tries form by form at each position
    (benchmarks/bench_redaction.py).
    """

    __slots__ = ("_forms", "_probes", "_shortest", "_values")

    def __init__(self, secrets: Iterable[Secret | str] = ()) -> None:
        self._values: set[str] = set()
        self._forms: set[str] = set()
        # (probe, the forms containing it longest first, the probe itself last)
        self._probes: tuple[tuple[str, tuple[str, ...]], ...] = ()
        self._shortest = 0
        for secret in secrets:
            self.add(secret)

    def add(self, secret: Secret | str | None) -> None:
        """Register one more secret (an OAuth token obtained at run time, for example).

        For a `SecretUrl` the password is registered, not the whole URL.
        """
        if isinstance(secret, SecretUrl):
            # As written in the URL, and as the client sends it (percent escapes decoded).
            password = secret.password or ""
            self._add_value(password)
            self._add_value(unquote(password))
        elif secret is not None:
            self._add_value(secret.get() if isinstance(secret, Secret) else str(secret))

    def _add_value(self, value: str) -> None:
        if len(value) < 4 or value in self._values:
            return
        forms = secret_forms(value)
        forms |= {_with_lower_hex(form) for form in forms if "%" in form}
        self._forms |= forms
        self._values.add(value)
        ordered = sorted(self._forms, key=_longest_first)
        probes = [
            form for form in ordered if not any(other in form for other in ordered if other != form)
        ]
        # Rebuilt whole and swapped in one assignment, so a concurrent call sees either set.
        self._probes = tuple(
            (probe, tuple(form for form in ordered if probe in form)) for probe in probes
        )
        self._shortest = len(ordered[-1])

    def __call__(self, text: str) -> str:
        """Return `text` with every registered secret, in any of its forms, masked."""
        if len(text) < self._shortest:
            return text
        found = [forms for probe, forms in self._probes if probe in text]
        if not found:
            return text
        for form in sorted({form for forms in found for form in forms}, key=_longest_first):
            if form in text:
                text = text.replace(form, MASK)
        return text

    def __len__(self) -> int:
        return len(self._values)
