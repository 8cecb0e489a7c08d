"""The adapter's parts in process (no SDK): environment, throttle, client host, one bundle row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from mimecast_soar.actions import REGISTRY
from mimecast_soar.api import MimecastClient
from mimecast_soar.devo import adapter
from mimecast_soar.devo.host import ClientHost
from mimecast_soar.devo.platform_env import (
    action_settings,
    concurrency_from_env,
    throttle_seconds,
    window_from_env,
)
from mimecast_soar.devo.throttle import Throttle
from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime.connection import Connection
from mimecast_soar.sim import SimServer


@pytest.fixture
def host() -> Iterator[ClientHost]:
    """The process-wide host, closed after the test so no loop outlives it."""
    yield adapter.HOST
    adapter.HOST.close()


def test_settings_come_from_triple_underscore_variables_and_parameter_ids() -> None:
    env = {
        "___start_time": "{{ s }}",
        "___sender_column": "from",
        "___end_time": "   ",
        "limit": "5",
        "___limit": "ignored",
        "sender_column": "ignored",
    }
    settings = action_settings(REGISTRY["get_hold_message_list"], env)
    assert settings == {"start_time": "{{ s }}", "sender_column": "from", "limit": "5"}


def test_the_batch_window_falls_back_to_the_last_24_hours_never_1970() -> None:
    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    window = window_from_env({}, now)
    assert (window.start, window.end) == (now - timedelta(hours=24), now)
    given = window_from_env(
        {"__execution_start_time_ms": "1700000000000", "__execution_end_time_ms": "1700000600000"},
        now,
    )
    assert given.start == datetime.fromtimestamp(1_700_000_000, UTC)


@pytest.mark.parametrize(
    ("env", "expected"), [({}, 8), ({"__lh_multithread_count": "3"}, 3), ({"x": "1"}, 8)]
)
def test_concurrency_comes_from_the_multithread_count(env: dict[str, str], expected: int) -> None:
    assert concurrency_from_env(env) == expected


@pytest.mark.parametrize("bad", ["0", "many", "nan"])
def test_a_bad_multithread_count_is_one_clear_line(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="__lh_multithread_count"):
        concurrency_from_env({"__lh_multithread_count": bad})


def test_the_throttle_is_in_seconds() -> None:
    assert throttle_seconds({"time_between_consecutive_requests_milliseconds": "250"}) == 0.25
    assert throttle_seconds({}) == 0


@pytest.mark.anyio
async def test_throttle_spaces_call_starts_by_the_interval() -> None:
    now = [100.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(round(seconds, 3))
        now[0] += seconds

    throttle = Throttle(0.5, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        await throttle.wait()
    now[0] += 2.0
    await throttle.wait()
    assert slept == [0.5, 0.5]


@pytest.mark.anyio
async def test_a_zero_throttle_never_waits() -> None:
    async def sleep(seconds: float) -> None:
        raise AssertionError("slept")

    throttle = Throttle(0, sleep=sleep)
    await throttle.wait()
    await throttle.wait()


def test_the_host_keeps_one_client_per_connection(devo_sim: SimServer) -> None:
    host = ClientHost()
    settings = Connection.from_mapping(devo_sim.connection()).client_settings()
    made: list[MimecastClient] = []

    def make() -> MimecastClient:
        made.append(MimecastClient(settings))
        return made[-1]

    async def status(client: MimecastClient) -> int:
        return (await client.call("/api/account/get-account", [], mutating=False)).status

    try:
        assert host.run("a", make, status) == 200
        assert host.run("a", make, status) == 200
        assert len(made) == 1
        assert host.run("b", make, status) == 200
        assert len(made) == 2
    finally:
        host.close()
        host.close()
    assert host.client is None


def test_a_bundle_row_is_never_empty_and_errors_are_one_sentence(
    devo_sim: SimServer, host: ClientHost
) -> None:
    env = devo_sim.connection()
    rows = adapter.run_bundle_row("release_message", {"message_id_column": None}, env)
    assert rows == [
        {
            "has_error": True,
            "error": "Message ID Column Name: the column's value is empty in this row",
        }
    ]
    rows = adapter.run_bundle_row("find_groups", {"query": "", "page_size": "1"}, env)
    assert len(rows) == 1
    assert rows[0]["has_error"] is False


def test_a_bad_connection_is_an_error_row_without_its_secrets(host: ClientHost) -> None:
    env = {"application_id": "app", "secret_key": "c2VjcmV0LXZhbHVl", "access_key": "access-k"}
    [row] = adapter.run_bundle_row("get_policy", {"policy_id": ""}, env)
    assert row["has_error"] is True
    assert "application_key" in row["error"]
    assert "c2VjcmV0LXZhbHVl" not in row["error"]


def test_a_refused_signature_is_an_error_row_without_the_keys(
    devo_sim: SimServer, host: ClientHost
) -> None:
    env = {**devo_sim.connection(), "secret_key": "d3Jvbmcta2V5LXRleHQ="}
    [row] = adapter.run_bundle_row("get_policy", {"policy_id": ""}, env)
    assert row["has_error"] is True
    for value in (env["secret_key"], env["access_key"], env["application_key"]):
        assert value not in row["error"]


def test_after_a_fatal_error_later_rows_are_not_sent(devo_sim: SimServer, host: ClientHost) -> None:
    import httpx

    env = {**devo_sim.connection(), "secret_key": "d3Jvbmcta2V5LXRleHQ="}
    httpx.post(f"{devo_sim.base_url}/_sim/reset").raise_for_status()
    first = adapter.run_bundle_row("get_policy", {"policy_id": ""}, env)
    second = adapter.run_bundle_row("get_policy", {"policy_id": ""}, env)
    assert first[0]["has_error"] is True
    assert second[0]["error"].startswith(
        "not processed: the run stopped after an earlier row failed: "
    )
    log = httpx.get(f"{devo_sim.base_url}/_sim/requests").json()
    assert len([e for e in log if e["path"] == "/api/policy/blockedsenders/get-policy"]) == 1
