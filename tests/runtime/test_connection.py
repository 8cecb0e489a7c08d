"""The connection file: formats, labels, environment overrides, reference values, validation."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime import Connection, load_connection
from mimecast_soar.secret import Secret

SECRETS = (
    "app-key-SECRET-1",
    "access-SECRET-2",
    "c2VjcmV0LWtleS0z",
    "client-SECRET-4",
    "ref-SECRET-5",
)
API1 = {
    "application_id": "app-id",
    "application_key": SECRETS[0],
    "access_key": SECRETS[1],
    "secret_key": SECRETS[2],
}
API2 = {"client_id": "client-id", "client_secret": SECRETS[3]}

FLAT_TOML = f"""
label = "prod"
region = "eu"
application_id = "app-id"
application_key = "{SECRETS[0]}"
access_key = "{SECRETS[1]}"
secret_key = "{{{{ sk }}}}"
verify_ssl = "False"
timeout_seconds = 12
base_url = "https://{{{{ host }}}}/"

[reference_values]
host = "gw.example.com"
sk = {{ value = "{SECRETS[2]}", secret = true }}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def config_error(data: dict[str, Any], **env: str) -> str:
    with pytest.raises(ConfigurationError) as caught:
        Connection.from_mapping(data, env=env)
    message = str(caught.value)
    assert_no_secret(message)
    assert_no_secret(repr(caught.value))
    assert "\n" not in message
    return message


def test_flat_toml_file_with_reference_values(tmp_path: Path) -> None:
    connection = load_connection(write(tmp_path, "conn.toml", FLAT_TOML))
    assert connection.label == "prod"
    assert connection.region == "eu"
    assert connection.base_url == "https://gw.example.com/"
    assert connection.secret_key == Secret(SECRETS[2])
    assert isinstance(connection.application_key, Secret)
    assert connection.verify_ssl is False
    assert connection.timeout_seconds == 12.0
    assert connection.api_version == "1.0"
    assert connection.reference_values == {"host": "gw.example.com", "sk": Secret(SECRETS[2])}
    assert connection.template_context() == {"host": "gw.example.com", "sk": SECRETS[2]}


def test_repr_str_and_redactor_hide_every_secret(tmp_path: Path) -> None:
    connection = load_connection(write(tmp_path, "conn.toml", FLAT_TOML))
    assert_no_secret(repr(connection))
    assert_no_secret(str(connection))
    assert_no_secret(f"{connection}")
    assert "gw.example.com" in repr(connection)
    scrub = connection.redactor()
    assert_no_secret(scrub(" ".join(SECRETS[:3])))


def test_json_file_with_api2_credentials(tmp_path: Path) -> None:
    path = write(tmp_path, "conn.json", json.dumps({**API2, "region": "us"}))
    connection = load_connection(path)
    assert connection.api_version == "2.0"
    assert connection.client_secret == Secret(SECRETS[3])
    assert connection.verify_ssl is True


def test_file_without_known_extension_is_tried_as_json_then_toml(tmp_path: Path) -> None:
    assert load_connection(write(tmp_path, "a.conf", json.dumps(API2))).api_version == "2.0"
    toml = 'client_id = "c"\nclient_secret = "secret-value"\n'
    assert load_connection(write(tmp_path, "b.conf", toml)).client_id == "c"
    with pytest.raises(ConfigurationError, match=r"c\.conf is not valid JSON .* nor TOML"):
        load_connection(write(tmp_path, "c.conf", "= nope"))


SEVERAL = {
    "connections": {
        "prod": {**API1, "region": "eu"},
        "lab": {**API2, "base_url": "http://127.0.0.1:9"},
    }
}


def test_several_connections_are_selected_by_label(tmp_path: Path) -> None:
    path = write(tmp_path, "conn.json", json.dumps(SEVERAL))
    assert load_connection(path, label="lab").label == "lab"
    assert load_connection(path, label="prod").api_version == "1.0"
    assert load_connection(path, env={"MIMECAST_LABEL": "lab"}).api_version == "2.0"
    with pytest.raises(ConfigurationError, match="choose one with --label: lab, prod"):
        load_connection(path)
    with pytest.raises(ConfigurationError, match="no connection labelled 'dev'; labels: lab, prod"):
        load_connection(path, label="dev")


def test_a_single_connection_needs_no_label(tmp_path: Path) -> None:
    path = write(tmp_path, "conn.json", json.dumps({"connections": {"only": API2}}))
    assert load_connection(path).label == "only"
    flat = write(tmp_path, "flat.json", json.dumps({**API2, "label": "x"}))
    assert load_connection(flat, label="x").label == "x"
    with pytest.raises(ConfigurationError, match="holds only 'x'"):
        load_connection(flat, label="y")
    unlabelled = write(tmp_path, "bare.json", json.dumps(API2))
    assert load_connection(unlabelled).client_id
    with pytest.raises(ConfigurationError, match="no connection labelled 'y': its one connection"):
        load_connection(unlabelled, label="y")


def test_top_level_fields_beside_connections_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "conn.json", json.dumps({**SEVERAL, "region": "eu"}))
    with pytest.raises(ConfigurationError, match="found region"):
        load_connection(path, label="lab")


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "conn.toml", FLAT_TOML)
    env = {
        "MIMECAST_SECRET_KEY": "b3RoZXIta2V5",
        "MIMECAST_VERIFY_SSL": "True",
        "MIMECAST_BASE_URL": "http://127.0.0.1:8080",
        "MIMECAST_REGION": "",
        "UNRELATED": "x",
    }
    connection = load_connection(path, env=env)
    assert connection.secret_key == Secret("b3RoZXIta2V5")
    assert connection.verify_ssl is True
    assert connection.base_url == "http://127.0.0.1:8080"
    assert connection.region == "eu"


def test_secrets_can_come_from_the_environment_only() -> None:
    env = {"MIMECAST_CLIENT_SECRET": SECRETS[3]}
    connection = Connection.from_mapping({"client_id": "c"}, env=env)
    assert connection.client_secret == Secret(SECRETS[3])


def test_reference_value_names_that_do_not_exist_are_an_error() -> None:
    message = config_error(
        {**API2, "base_url": "https://{{ hots }}", "reference_values": {"host": "h"}}
    )
    assert message == "base_url uses hots, which is not a reference value (reference values: host)"


def test_reference_values_in_secret_fields_stay_secret() -> None:
    data = {**API2, "client_secret": "{{ cs }}", "reference_values": {"cs": SECRETS[3]}}
    connection = Connection.from_mapping(data)
    assert connection.client_secret == Secret(SECRETS[3])
    assert_no_secret(repr(connection))


def test_unknown_key_is_named_with_a_suggestion() -> None:
    assert config_error({**API1, "secret_kye": "x"}) == (
        "unknown key 'secret_kye' in the connection (did you mean 'secret_key'?)"
    )
    assert "unknown key 'colour'" in config_error({**API1, "colour": "x"})
    ref = config_error({**API1, "reference_values": {"a": {"value": "v", "secrte": True}}})
    assert "unknown key 'secrte' in reference value 'a' (did you mean 'secret'?)" in ref


def test_mixing_api1_and_api2_names_the_fields() -> None:
    message = config_error({**API1, "client_id": "c"})
    assert "mixes API 1.0 credentials (application_id, application_key" in message
    assert "API 2.0 credentials (client_id)" in message


@pytest.mark.parametrize(
    ("missing", "expected"),
    [
        (("secret_key",), "the API 1.0 credentials are incomplete: secret_key is missing"),
        (("access_key", "secret_key"), "access_key, secret_key are missing"),
    ],
)
def test_incomplete_api1_names_the_missing_fields(missing: tuple[str, ...], expected: str) -> None:
    data = {k: v for k, v in API1.items() if k not in missing}
    assert expected in config_error(data)


def test_incomplete_api2_and_no_credentials() -> None:
    assert "API 2.0 credentials are incomplete: client_secret is missing" in config_error(
        {"client_id": "c"}
    )
    assert "no credentials" in config_error({"region": "eu"})
    assert "no credentials" in config_error({**API2, "client_id": "  ", "client_secret": ""})


@pytest.mark.parametrize(("text", "expected"), [("False", False), ("true", True), ("NO", False)])
def test_verify_ssl_accepts_text(text: str, expected: bool) -> None:
    assert Connection.from_mapping({**API2, "verify_ssl": text}).verify_ssl is expected


def test_bad_values_are_named() -> None:
    assert (
        config_error({**API2, "verify_ssl": "maybe"})
        == "verify_ssl must be true or false (true/false, yes/no, y/n, 1/0 or on/off), got 'maybe'"
    )
    assert "timeout_seconds must be a positive number" in config_error(
        {**API2, "timeout_seconds": 0}
    )
    assert "timeout_seconds" in config_error({**API2, "timeout_seconds": "soon"})
    assert "base_url must be a URL starting with http://" in config_error(
        {**API2, "base_url": "ftp://x"}
    )
    assert "socks_proxy must be a URL" in config_error({**API2, "socks_proxy": "host:1080"})
    assert (
        config_error({**API2, "client_secret": {"a": 1}})
        == "client_secret must be text, got a table"
    )
    assert "not a usable name" in config_error({**API2, "reference_values": {"a-b": "x"}})


def test_errors_never_show_secrets_even_in_the_wrong_field() -> None:
    message = config_error({**API1, "base_url": SECRETS[0]})
    assert message.startswith("base_url must be a URL")
    data = {
        **API2,
        "base_url": "{{ tok }}",
        "reference_values": {"tok": {"value": SECRETS[4], "secret": True}},
    }
    config_error(data)


def test_proxy_prefers_the_remote_agent() -> None:
    both = {**API2, "socks_proxy": "socks5://agent:1080", "https_proxy": "http://proxy:3128"}
    assert Connection.from_mapping(both).proxy == "socks5://agent:1080"
    only = {**API2, "https_proxy": "http://proxy:3128"}
    assert Connection.from_mapping(only).proxy == "http://proxy:3128"


PROXY_PASSWORD = "pr0xy-pa55-8812"


@pytest.mark.parametrize("field", ["socks_proxy", "https_proxy"])
def test_proxy_passwords_never_show_in_a_repr(field: str) -> None:
    scheme = "socks5h" if field == "socks_proxy" else "http"
    url = f"{scheme}://agent:{PROXY_PASSWORD}@proxy.example:1080"
    connection = Connection.from_mapping({**API2, field: url})
    assert connection.proxy == url  # the client still gets the whole URL
    settings = connection.client_settings()
    assert settings.proxy == url
    shown = [repr(connection), str(connection), repr(vars(connection)), repr(settings)]
    shown.append(connection.redactor()(f"refused by {url} (password {PROXY_PASSWORD})"))
    for text in shown:
        assert PROXY_PASSWORD not in text
    assert f"{scheme}://agent:**********@proxy.example:1080" in repr(connection)
    # `asdict` would copy the Secrets out: it refuses, without showing them.
    with pytest.raises(TypeError) as caught:
        dataclasses.asdict(connection)
    assert PROXY_PASSWORD not in str(caught.value)


def test_errors_about_a_proxy_do_not_show_its_password() -> None:
    message = config_error({**API2, "https_proxy": f"ftp://u:{PROXY_PASSWORD}@proxy:21"})
    assert message.startswith("https_proxy must be a URL")
    data = {**API2, "socks_proxy": f"socks5://u:{PROXY_PASSWORD}@agent:1080/{{{{ nope }}}}"}
    message = config_error(data)
    assert "nope" in message
    assert PROXY_PASSWORD not in message


def test_the_tls_warning_is_there_only_when_verification_is_off() -> None:
    assert Connection.from_mapping(API2).tls_warning is None
    off = Connection.from_mapping({**API2, "verify_ssl": "false"})
    assert off.tls_warning == (
        "warning: TLS certificate verification is off for this connection (verify_ssl = false)"
    )


def test_client_settings_carry_the_connection() -> None:
    api = pytest.importorskip("mimecast_soar.api")
    data = {**API1, "region": "eu", "verify_ssl": False, "socks_proxy": "socks5://agent:1080"}
    settings = Connection.from_mapping(data).client_settings()
    assert isinstance(settings, api.ClientSettings)
    assert isinstance(settings.credentials, api.Api1Credentials)
    assert settings.credentials.secret_key == Secret(SECRETS[2])
    assert settings.verify_ssl is False
    assert settings.proxy == "socks5://agent:1080"
    assert settings.region == "eu"
    oauth = Connection.from_mapping({**API2, "timeout_seconds": "5"}).client_settings()
    assert isinstance(oauth.credentials, api.Api2Credentials)
    assert oauth.timeout_seconds == 5.0


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("bad.toml", 'a = "x"\nb = \n', r"bad\.toml is not valid TOML \(.*line 2"),
        ("bad.json", '{\n "a": 1,\n}', r"bad\.json is not valid JSON \(.*line 3, column 1\)"),
        ("list.json", "[1]", "must hold a table"),
    ],
)
def test_unreadable_files_give_one_clear_line(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    with pytest.raises(ConfigurationError, match=expected) as caught:
        load_connection(write(tmp_path, name, text))
    assert "\n" not in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_connection(tmp_path / "nope.toml")


def test_file_errors_name_the_file_and_label(tmp_path: Path) -> None:
    path = write(tmp_path, "conn.json", json.dumps({"connections": {"lab": {"client_id": "c"}}}))
    with pytest.raises(ConfigurationError, match=r"^conn\.json \[lab\]: the API 2\.0 credentials"):
        load_connection(path)


def test_direct_construction_is_validated() -> None:
    with pytest.raises(ConfigurationError, match="no credentials"):
        Connection()
    connection = Connection(client_id="c", client_secret=Secret(SECRETS[3]))
    assert connection.api_version == "2.0"
    assert_no_secret(repr(connection))


def test_max_body_bytes_defaults_to_64_mib_and_reaches_the_client() -> None:
    assert Connection.from_mapping(API2).max_body_bytes == 64 * 1024 * 1024
    connection = Connection.from_mapping({**API2, "max_body_bytes": "1048576"})
    assert connection.max_body_bytes == 1024 * 1024
    assert connection.client_settings().max_body_bytes == 1024 * 1024
    from_env = Connection.from_mapping(API2, env={"MIMECAST_MAX_BODY_BYTES": "4096"})
    assert from_env.max_body_bytes == 4096


@pytest.mark.parametrize("value", [0, -1, "lots", 1.5, True])
def test_bad_max_body_bytes_is_named(value: object) -> None:
    assert "max_body_bytes must be a positive whole number of bytes" in config_error(
        {**API2, "max_body_bytes": value}
    )
