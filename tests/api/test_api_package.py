"""The curated public surface of `mimecast_soar.api`."""

from __future__ import annotations

import mimecast_soar.api as api


def test_all_is_curated_and_importable() -> None:
    assert set(api.__all__) == {
        "API1_REGIONS",
        "Api1Credentials",
        "Api2Credentials",
        "ClientSettings",
        "Credentials",
        "HmacAuth",
        "MimecastClient",
        "MimecastResponse",
        "OAuthAuth",
        "Pagination",
        "RateGate",
        "RetryPolicy",
        "resolve_base_url",
    }
    for name in api.__all__:
        assert getattr(api, name) is not None


def test_public_names_have_docstrings() -> None:
    for name in api.__all__:
        value = getattr(api, name)
        if callable(value) and not isinstance(value, type(api.Credentials)):
            assert value.__doc__, name
