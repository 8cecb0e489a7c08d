"""The connection test under `lhub_integ.shim_validate --validate-connections`, and its logic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from devo_support import run_sdk, sdk_result

from mimecast_soar.devo.validate import connection_problems, form_field
from mimecast_soar.errors import ConfigurationError
from mimecast_soar.sim import SimServer


def _validate(bundle_dir: Path, env: dict[str, str]) -> tuple[int, Any]:
    run = run_sdk(["lhub_integ.shim_validate", "--validate-connections"], bundle_dir, env, None)
    return run.returncode, sdk_result(run.stdout)


@pytest.mark.lhub
def test_shim_validate_succeeds_against_the_simulator(
    lhub_python: Path, bundle_dir: Path, devo_sim: SimServer
) -> None:
    status, result = _validate(bundle_dir, devo_sim.connection())
    assert (status, result) == (0, {})


@pytest.mark.lhub
def test_shim_validate_succeeds_with_api2_credentials(
    lhub_python: Path, bundle_dir: Path, devo_sim: SimServer
) -> None:
    status, result = _validate(bundle_dir, devo_sim.connection(api_version=2))
    assert (status, result) == (0, {})


@pytest.mark.lhub
def test_shim_validate_names_the_secret_key_when_it_is_wrong(
    lhub_python: Path, bundle_dir: Path, devo_sim: SimServer
) -> None:
    env = {**devo_sim.connection(), "secret_key": "d3JvbmcgYnV0IHZhbGlkIGJhc2U2NA=="}
    status, result = _validate(bundle_dir, env)
    assert status != 0
    [error] = result["errors"]
    assert error["inputId"] == "secret_key"
    assert "d3JvbmcgYnV0IHZhbGlkIGJhc2U2NA==" not in error["message"]
    assert "signature" in error["message"].lower() or "401" in error["message"]


@pytest.mark.lhub
def test_shim_validate_names_the_missing_credential(
    lhub_python: Path, bundle_dir: Path, devo_sim: SimServer
) -> None:
    env = devo_sim.connection()
    del env["access_key"]
    status, result = _validate(bundle_dir, env)
    assert status != 0
    assert [e["inputId"] for e in result["errors"]] == ["access_key"]


def test_a_mix_of_api_versions_names_an_api2_field(devo_sim: SimServer) -> None:
    env = {**devo_sim.connection(), "client_id": "abc", "client_secret": "defghij"}
    [(message, field)] = connection_problems(env)
    assert field in ("client_id", "client_secret")
    assert "mixes" in message


def test_an_unreachable_host_names_the_base_url() -> None:
    env = {
        "base_url": "http://127.0.0.1:9",
        "application_id": "app",
        "application_key": "app-key-1",
        "access_key": "access-key-1",
        "secret_key": "c2VjcmV0",
    }
    [(message, field)] = connection_problems({**env, "__lh_ssl_verify": "False"})
    assert field == "base_url"
    assert "c2VjcmV0" not in message


def test_an_expired_binding_names_the_access_key(devo_sim: SimServer) -> None:
    import httpx

    httpx.post(f"{devo_sim.base_url}/_sim/binding", json={"expired": True}).raise_for_status()
    try:
        [(_message, field)] = connection_problems(devo_sim.connection())
    finally:
        httpx.post(f"{devo_sim.base_url}/_sim/binding", json={"expired": False})
    assert field == "access_key"


def test_a_refused_oauth_client_names_the_client_secret(devo_sim: SimServer) -> None:
    env = {**devo_sim.connection(api_version=2), "client_secret": "not-the-secret"}
    [(message, field)] = connection_problems(env)
    assert field == "client_secret"
    assert "not-the-secret" not in message


@pytest.mark.parametrize(
    ("env", "field"),
    [
        ({"secret_key": ""}, "secret_key"),
        ({"base_url": "http://127.0.0.1:9/?the=field"}, "base_url"),
        ({"region": "mars", "base_url": ""}, "region"),
        ({"region": "uk", "base_url": ""}, "region"),
    ],
)
def test_a_configuration_error_is_shown_at_the_field_it_carries(
    env: dict[str, str], field: str
) -> None:
    base = {
        "base_url": "http://127.0.0.1:9",
        "application_id": "app",
        "application_key": "app-key-1",
        "access_key": "access-key-1",
        "secret_key": "c2VjcmV0",
    }
    [(message, named)] = connection_problems({**base, **env})
    assert named == field
    assert "c2VjcmV0" not in message


def test_a_field_the_form_does_not_show_falls_back_to_the_host_field() -> None:
    # The Remote Agent and Verify SSL are the platform's fields, not the form's.
    error = ConfigurationError("socks_proxy must be a socks5:// URL", field="socks_proxy")
    assert form_field(error) == "region"
    assert form_field(error, default="base_url") == "base_url"
    assert form_field(ConfigurationError("no field")) == "region"
    assert form_field(ConfigurationError("x", field="client_secret")) == "client_secret"
