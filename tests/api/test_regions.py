"""Region table and base URL override (docs/integration-spec.md §1, docs/mimecast-api.md §3-4)."""

from __future__ import annotations

import pytest
from api_fakes import API1, API2

from mimecast_soar.api import API1_REGIONS, resolve_base_url
from mimecast_soar.errors import ConfigurationError


@pytest.mark.parametrize("region", ["eu", "de", "us", "usb", "ca", "za", "au", "je"])
def test_api1_region_maps_to_regional_host(region: str) -> None:
    assert resolve_base_url(region, API1) == f"https://{region}-api.mimecast.com"


def test_api1_region_jer_is_accepted_as_je() -> None:
    assert resolve_base_url("jer", API1) == "https://je-api.mimecast.com"


def test_api1_region_is_case_and_space_insensitive() -> None:
    assert resolve_base_url(" EU ", API1) == "https://eu-api.mimecast.com"


@pytest.mark.parametrize("region", ["uk", "global", "xx", "eu-west"])
def test_api1_unknown_region_lists_allowed_values(region: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_base_url(region, API1)
    message = str(caught.value)
    assert repr(region) in message
    for allowed in API1_REGIONS:
        assert allowed in message


@pytest.mark.parametrize("region", [None, "", "   "])
def test_api1_missing_region_is_a_configuration_error(region: str | None) -> None:
    with pytest.raises(ConfigurationError, match="no region"):
        resolve_base_url(region, API1)


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("uk", "https://uk-api.services.mimecast.com"),
        ("US", "https://us-api.services.mimecast.com"),
        ("global", "https://api.services.mimecast.com"),
        ("eu", "https://api.services.mimecast.com"),
        ("", "https://api.services.mimecast.com"),
        (None, "https://api.services.mimecast.com"),
    ],
)
def test_api2_region_picks_pinned_or_global_host(region: str | None, expected: str) -> None:
    assert resolve_base_url(region, API2) == expected


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("http://127.0.0.1:8765/", "http://127.0.0.1:8765"),
        ("https://gateway.example.com/mimecast//", "https://gateway.example.com/mimecast"),
        ("HTTPS://EU-API.MIMECAST.COM", "HTTPS://EU-API.MIMECAST.COM"),
    ],
)
def test_base_url_override_wins_and_loses_trailing_slash(base_url: str, expected: str) -> None:
    assert resolve_base_url("uk", API1, base_url) == expected  # a region API 1.0 refuses
    assert resolve_base_url(None, API2, base_url) == expected


def test_blank_base_url_falls_back_to_region() -> None:
    assert resolve_base_url("de", API1, "  ") == "https://de-api.mimecast.com"


@pytest.mark.parametrize(
    "base_url",
    [
        "ftp://example.com",
        "example.com",
        "http://",
        "https://host.example/?x=1",
        "https://host.example/#frag",
        "http://host.example:99999",
        "socks5://proxy:1080",
    ],
)
def test_invalid_base_url_is_a_configuration_error(base_url: str) -> None:
    with pytest.raises(ConfigurationError, match="base_url"):
        resolve_base_url("eu", API1, base_url)


def test_base_url_with_password_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_base_url("eu", API1, "https://user:hunter22@gw.example.com")
    assert "hunter22" not in str(caught.value)
