"""`PlatformEnv`: the platform's variables read and checked once, into one frozen value."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mimecast_soar.actions import get_action
from mimecast_soar.devo.platform_env import INPUT_FOLDER, OUTPUT_FILE, PlatformEnv
from mimecast_soar.errors import ConfigurationError

CONNECTION = {
    "base_url": "https://mimecast.example.test",
    "application_id": "app",
    "application_key": "app-key",
    "access_key": "access",
    "secret_key": "c2VjcmV0LWtleS1ieXRlcw==",
}


def _env(**extra: str) -> dict[str, str]:
    return {
        **CONNECTION,
        INPUT_FOLDER: " /data/in ",
        OUTPUT_FILE: "/data/out.json",
        "__lh_multithread_count": "4",
        "time_between_consecutive_requests_milliseconds": "250",
        "__execution_start_time_ms": "1700000000000",
        "__execution_end_time_ms": "1700003600000",
        "___message_id_column": "mid",
        **extra,
    }


def test_every_value_a_native_run_needs_is_read_once() -> None:
    spec = get_action("release_message")
    platform = PlatformEnv.read(spec, _env())
    assert platform.input_folder == Path("/data/in")
    assert platform.output_file == Path("/data/out.json")
    assert platform.concurrency == 4
    assert platform.throttle_seconds == 0.25
    assert platform.settings == {"message_id_column": "mid"}
    assert platform.window.start == datetime.fromtimestamp(1_700_000_000, UTC)
    assert platform.connection.verify_ssl is True
    with pytest.raises(dataclasses.FrozenInstanceError):
        platform.concurrency = 1  # type: ignore[misc]


def test_the_value_does_not_follow_later_changes_of_the_environment() -> None:
    env = _env()
    platform = PlatformEnv.read(get_action("release_message"), env)
    env["__lh_multithread_count"] = "1"
    env[OUTPUT_FILE] = "/elsewhere"
    assert platform.concurrency == 4
    assert platform.output_file == Path("/data/out.json")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({INPUT_FOLDER: ""}, INPUT_FOLDER),
        ({OUTPUT_FILE: "  "}, OUTPUT_FILE),
        ({"__lh_multithread_count": "0"}, "__lh_multithread_count"),
        ({"time_between_consecutive_requests_milliseconds": "soon"}, "time_between"),
    ],
)
def test_a_wrong_or_missing_variable_is_one_error_naming_it(
    change: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named):
        PlatformEnv.read(get_action("release_message"), _env(**change))
