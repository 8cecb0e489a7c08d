"""`ca_bundle`: a private CA for a gateway or proxy; it never turns verification off."""

from __future__ import annotations

from mimecast_soar.runtime import Connection

API2 = {"client_id": "id-1", "client_secret": "secret-value-1"}


def test_ca_bundle_is_what_the_client_verifies_against() -> None:
    settings = Connection.from_mapping({**API2, "ca_bundle": "/etc/ssl/private-ca.pem"})
    assert settings.client_settings().verify_ssl == "/etc/ssl/private-ca.pem"


def test_verify_ssl_false_wins_over_a_ca_bundle() -> None:
    data = {**API2, "ca_bundle": "/etc/ssl/private-ca.pem", "verify_ssl": False}
    assert Connection.from_mapping(data).client_settings().verify_ssl is False


def test_ca_bundle_comes_from_the_environment_too() -> None:
    connection = Connection.from_mapping(API2, env={"MIMECAST_CA_BUNDLE": "/tmp/ca.pem"})
    assert connection.client_settings().verify_ssl == "/tmp/ca.pem"


def test_without_ca_bundle_the_default_trust_store_is_used() -> None:
    assert Connection.from_mapping(API2).client_settings().verify_ssl is True
