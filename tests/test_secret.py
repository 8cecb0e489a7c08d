"""`Redactor` masks a secret in every form a server or a library may write it; `SecretUrl`."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote, quote_plus

import orjson
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from mimecast_soar.secret import MASK, Redactor, Secret, SecretUrl, secret_forms

# Printable and not: any text a credential or a reference value might hold (no asterisk, which
# the mask itself is made of).
secrets = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="*"),
    min_size=4,
    max_size=40,
)
around = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


def masked(secret: str, text: str) -> str:
    return Redactor([Secret(secret)])(text)


@given(secret=secrets, before=around, after=around)
def test_plain_and_url_encoded_forms_are_masked(secret: str, before: str, after: str) -> None:
    for form in (
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote(secret, safe="!'()*"),
        quote_plus(secret),
        # Some servers echo percent escapes in lower case.
        re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), quote(secret, safe="")),
    ):
        out = masked(secret, f"{before}|{form}|{after}")
        assert form not in out
        assert f"|{MASK}|" in out or MASK in out


@given(secret=secrets, key=around)
def test_json_escaped_forms_are_masked(secret: str, key: str) -> None:
    for text in (
        orjson.dumps({key: secret}).decode(),
        json.dumps({key: secret}),
        json.dumps({key: secret}, ensure_ascii=False),
        json.dumps({key: secret}).replace("/", "\\/"),  # as PHP writes it
    ):
        out = masked(secret, text)
        assert secret not in out
        assert json.dumps(secret)[1:-1] not in out
        assert json.dumps(secret, ensure_ascii=False)[1:-1] not in out
        assert MASK in out


@given(secret=secrets)
def test_base64_alone_is_masked_whole(secret: str) -> None:
    data = secret.encode()
    for encoded in (base64.b64encode(data).decode(), base64.urlsafe_b64encode(data).decode()):
        for text in (encoded, encoded.rstrip("="), f"Basic {encoded}"):
            out = masked(secret, text)
            assert out in (MASK, f"Basic {MASK}"), out


@given(
    secret=secrets,
    prefix=st.binary(max_size=7),
    suffix=st.binary(max_size=7),
    urlsafe=st.booleans(),
)
def test_base64_inside_longer_base64_is_masked_at_every_alignment(
    secret: str, prefix: bytes, suffix: bytes, urlsafe: bool
) -> None:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    data = secret.encode()
    text = encode(prefix + data + suffix).decode()
    # The characters of `text` whose six bits all come from the secret.
    first = -(-8 * len(prefix) // 6)
    last = 8 * (len(prefix) + len(data)) // 6
    revealing = text[first:last]
    assume(len(revealing) >= 4)
    out = masked(secret, f"Authorization: Basic {text}")
    assert revealing not in out
    assert MASK in out


def test_a_basic_authorization_header_of_a_client_secret_is_masked() -> None:
    header = base64.b64encode(b"client-id-0001:s3cr+t/v=lue-9").decode()
    for prefix in ("", "x", "xy"):  # the three alignments of the secret after the user name
        shifted = base64.b64encode(f"client-id-0001{prefix}:s3cr+t/v=lue-9".encode()).decode()
        assert "**********" in Redactor(["s3cr+t/v=lue-9"])(shifted)
    out = Redactor(["s3cr+t/v=lue-9"])(f"Authorization: Basic {header}")
    assert out.startswith("Authorization: Basic Y2xpZW50LWlkLTAwMDE6")
    assert MASK in out


def test_forms_are_worked_out_once_per_secret_and_short_values_are_ignored() -> None:
    redactor = Redactor(["abc", "", "abcd"])
    assert len(redactor) == 1
    redactor.add(Secret("abcd"))
    assert len(redactor) == 1
    assert redactor("xabcdx abc") == f"x{MASK}x abc"
    assert all(len(form) >= 4 for form in secret_forms("a+b/"))


def test_a_secret_containing_another_is_masked_whole() -> None:
    redactor = Redactor(["token-1234", "token-1234-extended"])
    assert redactor("a token-1234-extended b token-1234") == f"a {MASK} b {MASK}"


def test_text_without_secrets_is_returned_as_it_is() -> None:
    redactor = Redactor(["some-long-secret-value"])
    text = "nothing to see here, " * 50
    assert redactor(text) is text
    assert Redactor()(text) is text


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("socks5://agent:pr0xy-pass@host:1080", f"socks5://agent:{MASK}@host:1080"),
        ("http://user:p@ss:w0rd@proxy:3128", f"http://user:{MASK}@proxy:3128"),
        ("http://proxy:3128", "http://proxy:3128"),
        ("socks5h://only-user@agent:1080", "socks5h://only-user@agent:1080"),
    ],
)
def test_a_secret_url_shows_everything_but_its_password(url: str, shown: str) -> None:
    secret = SecretUrl(url)
    assert secret.get() == url
    assert str(secret) == shown
    assert f"{secret}" == shown
    assert repr(secret) == f"SecretUrl({shown!r})"


def test_a_secret_url_registers_its_password_as_written_and_as_sent() -> None:
    redactor = Redactor([SecretUrl("http://user:p%40ss-w0rd@proxy:3128")])
    assert redactor("sent p@ss-w0rd, written p%40ss-w0rd") == f"sent {MASK}, written {MASK}"
    assert "user" in redactor("user proxy")  # the rest of the URL is not secret


def test_a_secret_cannot_be_pickled_or_copied_out() -> None:
    import copy
    import pickle

    for secret in (Secret("s3cret-value"), SecretUrl("http://u:s3cret-value@h:1")):
        with pytest.raises(TypeError) as caught:
            pickle.dumps(secret)
        assert "s3cret-value" not in str(caught.value)
        with pytest.raises(TypeError):
            copy.deepcopy(secret)
