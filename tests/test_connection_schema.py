"""The connection schema: every field declared once, and every reader accepting the same values.

The readers are the file and environment parser (`Connection.from_mapping`), the client's own
checks (`resolve_base_url`, `build_sender`), the Devo form's path (`devo.platform_env` and
`devo.validate`) and the action inputs' boolean parser; one table of values runs through each.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from mimecast_soar import connection_schema as schema
from mimecast_soar.actions.values import parse_bool
from mimecast_soar.api import Api1Credentials, Api2Credentials, resolve_base_url
from mimecast_soar.api.transport import build_sender
from mimecast_soar.connection_schema import ApiVersion, Kind, Source
from mimecast_soar.devo.codegen import render_module
from mimecast_soar.devo.platform_env import connection_from_env
from mimecast_soar.devo.validate import connection_problems
from mimecast_soar.errors import ConfigurationError, InvalidInputError
from mimecast_soar.manifest import manifest, markdown
from mimecast_soar.runtime import Connection

ROOT = Path(__file__).resolve().parents[1]
API2 = {"client_id": "client-id", "client_secret": "client-SECRET-4"}
API1 = {
    "application_id": "app-id",
    "application_key": "app-key-SECRET-1",
    "access_key": "access-SECRET-2",
    "secret_key": "c2VjcmV0LWtleS0z",
}
API1_CREDENTIALS = Api1Credentials("app-id", "app-key-SECRET-1", "access-SECRET-2", "c2VjcmV0")
API2_CREDENTIALS = Api2Credentials("client-id", "client-SECRET-4")


def test_every_field_has_an_id_a_label_and_a_description() -> None:
    assert len(schema.FIELD_IDS) == len(schema.FIELDS)
    for item in schema.FIELDS:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", item.id), item.id
        assert item.label.strip(), item.id
        assert item.description.strip().endswith("."), item.id
        assert item.api, item.id
        if item.kind is Kind.URL:
            assert item.schemes, item.id
        if item.kind is Kind.REGION:
            assert item.options, item.id


def test_the_devo_pages_fields_are_the_specs_ids_and_labels() -> None:
    """docs/integration-spec.md §1 lists the Devo page's fields; the schema declares them."""
    spec = (ROOT / "docs" / "integration-spec.md").read_text(encoding="utf-8")
    section = spec.split("## 1. Connection", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| ([^|]+?) \| ([^|]+?) \|", section, re.MULTILINE)
    by_label = {item.label: item for item in schema.FIELDS}
    checked = 0
    for label, where in rows:
        if label in ("Field (label)", "---"):
            continue
        item = by_label[label]
        declared = re.search(r"`(\w+)`", where)
        if where.startswith("platform"):
            assert item.source is Source.PLATFORM, label
            if declared:  # the platform's variable for it, when the spec names one
                assert declared.group(1) in (item.id, "__lh_ssl_verify"), label
        else:
            assert declared is not None, label
            assert declared.group(1) == item.id, label
            assert item.source is Source.FORM, label
        checked += 1
    assert checked == 12


def test_the_credentials_of_each_api_version_follow_from_the_fields() -> None:
    assert schema.API1_FIELDS == ("application_id", "application_key", "access_key", "secret_key")
    assert schema.API2_FIELDS == ("client_id", "client_secret")
    assert {"application_key", "access_key", "secret_key", "client_secret"} == schema.SECRET_FIELDS


def test_the_connection_has_exactly_the_schemas_fields_and_defaults() -> None:
    declared = {f.name: f for f in dataclasses.fields(Connection)}
    assert set(declared) == set(schema.FIELD_IDS)
    for item in schema.FIELDS:
        if item.default is not None:
            assert declared[item.id].default == item.value(None), item.id


def test_the_manifest_and_the_docs_list_every_field() -> None:
    listed = [entry["id"] for entry in manifest()["connection"]]
    assert listed == list(schema.FIELD_IDS)
    reference = markdown()
    assert (ROOT / "docs" / "actions.md").read_text(encoding="utf-8") == reference
    section = reference.split("## Connection", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| [^|]+ \| `(\w+)` \|", section, re.MULTILINE)
    assert rows == list(schema.FIELD_IDS)


def test_the_readmes_connection_example_uses_only_schema_fields() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The connection file", 1)[1].split("\n### ", 1)[0]
    example = section.split("```toml", 1)[1].split("```", 1)[0].split("[reference_values]")[0]
    keys = re.findall(r"^#? ?(\w+) = ", example, re.MULTILINE)
    assert keys
    assert set(keys) <= set(schema.FIELD_IDS)
    assert "docs/actions.md" in section  # where every key is listed


def test_the_devo_form_declares_the_form_fields_with_secrets_as_passwords() -> None:
    module = ast.parse(render_module("0.0.0", actions=()))
    params = {}
    for node in ast.walk(module):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ConnectionParam":
            keywords = {k.arg: ast.unparse(k.value) for k in node.keywords}
            params[ast.literal_eval(node.args[0])] = keywords
    assert list(params) == [item.id for item in schema.FIELDS if item.source is Source.FORM]
    for item in schema.FORM_FIELDS:
        assert ast.literal_eval(params[item.id]["label"]) == item.label
        assert ("input_type" in params[item.id]) is item.secret
    assert "'value': 'uk'" in params["region"]["options"]


# --- one table of values, run through every reader ------------------------------------------

URLS = [
    ("base_url", "http://127.0.0.1:8765", True),
    ("base_url", "https://gw.example.com/mimecast/", True),
    ("base_url", "HTTPS://GW.EXAMPLE.COM", True),
    ("base_url", "ftp://gw.example.com", False),
    ("base_url", "gw.example.com", False),
    ("base_url", "http://", False),
    ("base_url", "https://user:pw-77@gw.example.com", False),
    ("base_url", "https://gw.example.com/?x=1", False),
    ("base_url", "https://gw.example.com:99999", False),
    ("base_url", "https://gw.example.com/a b", False),
    ("base_url", "https://gw.example.com/\r\nX-Injected: 1", False),
    ("socks_proxy", "socks5://agent:1080", True),
    ("socks_proxy", "socks5h://agent:pw-77@agent.example:1080", True),
    ("socks_proxy", "SOCKS5://agent:1080", True),
    ("socks_proxy", "socks4://agent:1080", False),
    ("socks_proxy", "socks4a://agent:1080", False),
    ("socks_proxy", "socks5://", False),
    ("socks_proxy", "socks5://agent:1080\nX: y", False),
    ("https_proxy", "http://proxy:3128", True),
    ("https_proxy", "https://user:pw-77@proxy:3129", True),
    ("https_proxy", "ftp://proxy:21", False),
    ("https_proxy", "proxy:3128", False),
    ("https_proxy", "http://proxy:3128/#frag", False),
    ("https_proxy", "http://proxy:port", False),
]
REGIONS = [
    ("eu", True),
    (" EU ", True),
    ("jer", True),
    ("usb", True),
    ("uk", False),  # an API 2.0 region: API 1.0 has no host there
    ("global", False),
    ("mars", False),
    ("", False),  # API 1.0 without base_url needs a region
]
BOOLEANS = [
    *[(word, True) for word in ("true", "TRUE", "yes", "y", "Y", "1", "on", " On ")],
    *[(word, False) for word in ("false", "False", "no", "n", "N", "0", "off")],
    *[(word, None) for word in ("maybe", "2", "tru", "yess", "-1", "nein")],
]


def _parser(data: dict[str, Any]) -> ConfigurationError | None:
    try:
        Connection.from_mapping(data)
    except ConfigurationError as error:
        return error
    return None


def _devo(env: dict[str, str]) -> ConfigurationError | None:
    try:
        connection_from_env(env)
    except ConfigurationError as error:
        return error
    return None


def _client_url(field_id: str, value: str) -> ConfigurationError | None:
    try:
        if field_id == "base_url":
            resolve_base_url("eu", API1_CREDENTIALS, value)
        else:
            build_sender(proxy=value, max_body_bytes=1024)
    except ConfigurationError as error:
        return error
    return None


@pytest.mark.parametrize(("field_id", "value", "accepted"), URLS)
def test_the_parser_the_client_and_the_devo_form_agree_on_urls(
    field_id: str, value: str, accepted: bool
) -> None:
    readers = {
        "parser": _parser({**API2, field_id: value}),
        "client": _client_url(field_id, value),
    }
    if field_id != "https_proxy":  # the Devo platform has no HTTP proxy field
        readers["devo form"] = _devo({**API2, field_id: value})
    for reader, error in readers.items():
        if accepted:
            assert error is None, f"{reader} refused {value!r}: {error}"
        else:
            assert error is not None, f"{reader} accepted {value!r}"
            assert error.field == field_id, reader
            assert error.message.startswith(field_id + " "), reader
            assert "pw-77" not in error.message, reader


@pytest.mark.parametrize(("value", "accepted"), REGIONS)
def test_the_parser_the_client_and_the_devo_form_agree_on_api1_regions(
    value: str, accepted: bool
) -> None:
    errors = {
        "parser": _parser({**API1, "region": value}),
        "devo form": _devo({**API1, "region": value}),
    }
    try:
        resolve_base_url(value, API1_CREDENTIALS)
        errors["client"] = None
    except ConfigurationError as error:
        errors["client"] = error
    for reader, error in errors.items():
        assert (error is None) is accepted, f"{reader}: {value!r} -> {error}"
        if error is not None:
            assert error.field == "region", reader


@pytest.mark.parametrize(("value", "host"), [("uk", "uk-api"), ("EU", "api"), ("", "api")])
def test_api2_takes_any_listed_region_and_pins_only_uk_and_us(value: str, host: str) -> None:
    assert Connection.from_mapping({**API2, "region": value}).api_version is ApiVersion.V2
    assert resolve_base_url(value, API2_CREDENTIALS).startswith(f"https://{host}.services.")


def test_an_unknown_region_is_refused_even_beside_a_base_url() -> None:
    error = _parser({**API2, "region": "mars", "base_url": "http://127.0.0.1:9"})
    assert error is not None
    assert error.field == "region"
    with pytest.raises(ConfigurationError) as caught:
        resolve_base_url("mars", API2_CREDENTIALS, "http://127.0.0.1:9")
    assert caught.value.field == "region"


@pytest.mark.parametrize(("word", "expected"), BOOLEANS)
def test_connection_fields_and_action_inputs_read_the_same_booleans(
    word: str, expected: bool | None
) -> None:
    readers: dict[str, Any] = {}
    for name, call in (
        ("verify_ssl", lambda: Connection.from_mapping({**API2, "verify_ssl": word}).verify_ssl),
        ("reference secret", lambda: _secret_flag(word)),
        ("action input", lambda: parse_bool(word, label="Is Admin", default=True)),
    ):
        try:
            readers[name] = call()
        except (ConfigurationError, InvalidInputError) as error:
            readers[name] = error
    for name, got in readers.items():
        if expected is None:
            assert isinstance(got, ConfigurationError | InvalidInputError), name
            assert "y/n" in got.message, name  # the message teaches the one vocabulary
        else:
            assert got is expected, name


def _secret_flag(word: str) -> bool:
    data = {**API2, "reference_values": {"r": {"value": "v", "secret": word}}}
    return "r" in Connection.from_mapping(data).secret_reference_names()


# --- ConfigurationError.field ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field_id"),
    [
        ({**API1, **API2}, "client_id"),
        ({**API2, "client_secret": ""}, "client_secret"),
        ({"application_id": "a", "application_key": "k"}, "access_key"),
        ({"region": "eu"}, "application_id"),
        ({**API2, "timeout_seconds": "soon"}, "timeout_seconds"),
        ({**API2, "template_deadline_seconds": -1}, "template_deadline_seconds"),
        ({**API2, "max_body_bytes": 1.5}, "max_body_bytes"),
        ({**API2, "client_id": ["a"]}, "client_id"),
        ({**API2, "ca_bundle": {"a": 1}}, "ca_bundle"),
        ({**API2, "base_url": "https://{{ nope }}"}, "base_url"),
        ({**API2, "reference_values": {"a-b": "x"}}, "reference_values"),
        ({**API2, "reference_values": ["x"]}, "reference_values"),
    ],
)
def test_every_check_of_the_parser_names_its_field(data: dict[str, Any], field_id: str) -> None:
    error = _parser(data)
    assert error is not None
    assert error.field == field_id
    assert "SECRET" not in error.message


def test_the_field_survives_the_files_prefix(tmp_path: Path) -> None:
    from mimecast_soar.runtime import load_connection

    path = tmp_path / "conn.toml"
    path.write_text('client_id = "c"\nclient_secret = "s"\nsocks_proxy = "socks4://a:1"\n')
    with pytest.raises(ConfigurationError) as caught:
        load_connection(path)
    assert caught.value.field == "socks_proxy"
    assert caught.value.message.startswith("conn.toml: socks_proxy must be a URL starting with")


@pytest.mark.parametrize(
    ("env", "field_id"),
    [
        ({**API1, "region": "uk"}, "region"),
        ({**API1, "region": "eu", "secret_key": ""}, "secret_key"),
        ({**API1, **API2}, "client_id"),
        ({**API2, "base_url": "http://127.0.0.1:9/?q=1"}, "base_url"),
    ],
)
def test_the_devo_connection_test_names_the_field_the_error_carries(
    env: dict[str, str], field_id: str
) -> None:
    [(message, named)] = connection_problems(env)
    assert named == field_id
    assert "SECRET" not in message
