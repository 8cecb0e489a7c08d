"""`mimecast-soar devo exec`: the same rows as the SDK's shim, without the shim's defects."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest
from devo_support import Platform, window_env

from mimecast_soar.cli import main
from mimecast_soar.devo.native import exec_action
from mimecast_soar.errors import ConfigurationError

SAME_ROWS_CASES = [
    (
        "get_ttp_url_logs",
        [{"lhub_id": 1, "n": "3"}, {"lhub_id": 2, "n": "2"}, {"lhub_id": 3, "n": "4"}],
        {"___start_time": "{{ s }}", "___end_time": "{{ e }}", "___page_size": "{{ n }}"},
    ),
    (
        "get_hold_message_list",
        [{"lhub_id": 10, "start": ""}, {"lhub_id": 11, "start": "yesterday?"}],
        {"___start_time": "{{ start }}", "___end_time": "{{ e }}", "limit": "5"},
    ),
    (
        "find_groups",
        [{"lhub_id": "x", "q": ""}, {"lhub_id": "y", "q": "no group has this name"}],
        {"___query": "{{ q }}", "source": "cloud"},
    ),
]


@pytest.mark.lhub
@pytest.mark.parametrize(("action", "rows", "settings"), SAME_ROWS_CASES)
def test_devo_exec_gives_the_same_rows_as_the_shim_in_the_same_order(
    platform: Platform, action: str, rows: list[dict[str, Any]], settings: dict[str, str]
) -> None:
    variables = {**settings, **window_env(platform), "__lh_multithread_count": "4"}
    shim = platform.shim(action, rows, variables)
    native = platform.native(action, rows, variables)
    assert shim.returncode == 0, shim.stderr
    assert native.returncode == 0, native.stderr
    assert native.rows == shim.rows
    assert [line["original_lhub_id"] for line in native.lines] == [
        line["original_lhub_id"] for line in shim.lines
    ]


@pytest.mark.lhub
def test_devo_exec_keeps_a_correlated_error_row_where_the_shim_drops_it(
    platform: Platform,
) -> None:
    ids = platform.sim.app.state.sim.held_ids()
    rows = [
        {"lhub_id": 1, "id": ids[0]},
        {"lhub_id": 2, "other": "x"},
        {"lhub_id": 3, "id": ids[1]},
    ]
    settings = {"___message_id_column": "id"}
    shim = platform.shim("release_message", rows, settings)
    assert [line["original_lhub_id"] for line in shim.lines] == [1, None, 3]
    platform.reset()
    native = platform.native("release_message", rows, settings)
    assert [line["original_lhub_id"] for line in native.lines] == [1, 2, 3]
    error = native.rows[1][1]
    assert error["has_error"] is True
    assert "Message ID Column Name" in error["error"]
    assert "'id'" in error["error"] or '"id"' in error["error"]


@pytest.mark.lhub
def test_devo_exec_renders_templates_in_a_sandbox_where_the_shim_does_not(
    platform: Platform,
) -> None:
    template = "{{ ''.__class__.__mro__[1].__subclasses__() | length }}"
    rows = [{"lhub_id": 1}]
    shim = platform.shim("get_policy", rows, {"___policy_id": template})
    native = platform.native("get_policy", rows, {"___policy_id": template})
    # The shim evaluated the attribute walk and sent its result as the id; we refused it.
    assert shim.rows[0][0] == 1
    [sent] = platform.requests("/api/policy/blockedsenders/get-policy")
    assert sent["body"]["data"][0]["id"].isdigit()
    [(lhub_id, row)] = native.rows
    assert lhub_id == 1
    assert row["has_error"] is True
    assert "Policy ID" in row["error"]


def test_devo_exec_never_sends_the_rows_secrets_or_a_traceback(native_platform: Platform) -> None:
    env = native_platform.connection_env()
    rows = [{"lhub_id": 1, "id": "x"}]
    run = native_platform.native(
        "get_message_details",
        rows,
        {"___message_id_column": "id", "secret_key": "bm90IHRoZSBrZXkgYXQgYWxs"},
    )
    # A refused signature stops the run, but every row got its (error) row: the platform reads
    # the errors from the rows, so devo exec exits 0.
    assert run.returncode == 0
    [(lhub_id, row)] = run.rows
    assert lhub_id == 1
    assert row["has_error"] is True
    text = json.dumps(row)
    assert "Traceback" not in text
    for secret in (env["secret_key"], env["access_key"], "bm90IHRoZSBrZXkgYXQgYWxs"):
        assert secret not in text


def test_devo_exec_throttles_call_starts(native_platform: Platform) -> None:
    rows = [{"lhub_id": n, "id": "missing"} for n in range(1, 5)]
    variables = {
        "___message_id_column": "id",
        "time_between_consecutive_requests_milliseconds": "150",
        "__lh_multithread_count": "4",
    }
    started = time.monotonic()
    run = native_platform.native("get_message_details", rows, variables)
    elapsed = time.monotonic() - started
    assert [lhub_id for lhub_id, _row in run.rows] == [1, 2, 3, 4]
    assert elapsed >= 0.45  # three gaps of 150 ms between four calls
    logged = native_platform.requests("/api/message-finder/get-message-info")
    assert len(logged) == 4


def test_devo_exec_runs_rows_concurrently(native_platform: Platform) -> None:
    native_platform.sim.app.state.sim.latency_ms = 200
    try:
        rows = [{"lhub_id": n, "id": "missing"} for n in range(1, 9)]
        variables = {"___message_id_column": "id", "__lh_multithread_count": "8"}
        started = time.monotonic()
        run = native_platform.native("get_message_details", rows, variables)
        elapsed = time.monotonic() - started
    finally:
        native_platform.sim.app.state.sim.latency_ms = 0
    assert [lhub_id for lhub_id, _row in run.rows] == list(range(1, 9))
    assert elapsed < 8 * 0.2


def test_devo_exec_turns_tls_verification_off_only_for_the_exact_text_false(
    native_platform: Platform,
) -> None:
    from mimecast_soar.devo.platform_env import connection_mapping

    env = native_platform.connection_env()
    assert connection_mapping({**env, "__lh_ssl_verify": "False"})["verify_ssl"] is False
    for text in ("false", "0", "True", ""):
        assert "verify_ssl" not in connection_mapping({**env, "__lh_ssl_verify": text})


def test_devo_exec_stops_before_any_call_when_a_required_input_is_unset(
    native_platform: Platform,
) -> None:
    env, _output = native_platform.env([{"lhub_id": 1}], {})
    with pytest.raises(ConfigurationError, match="Message ID Column Name") as raised:
        exec_action("release_message", env, io.StringIO())
    # devo exec takes no --set: the error names the platform's variable instead.
    assert raised.value.message.endswith("with the variable ___message_id_column")
    assert native_platform.requests("/api/gateway/hold-release") == []


def test_devo_exec_command_reads_the_process_environment(
    native_platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    env, output = native_platform.env(
        [{"lhub_id": 4, "q": ""}], {"___query": "{{ q }}", "___page_size": "2"}
    )
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["devo", "exec", "find_groups"]) == 0
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert [line["original_lhub_id"] for line in lines] == [4, 4]
    assert set(lines[0]) == {"result", "stdout", "stderr", "original_lhub_id"}


def test_devo_exec_writes_nothing_for_a_folder_without_a_part_file(
    native_platform: Platform, tmp_path: Any
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    output = tmp_path / "out.json"
    env = {
        **native_platform.connection_env(),
        "__lh_integration_input_data_json_folder_path": str(empty),
        "__lh_integration_output_data_json_file_path": str(output),
        "___query": "x",
    }
    assert exec_action("find_groups", env, io.StringIO()) == 0
    assert output.read_text() == ""


def test_devo_exec_warns_once_when_tls_verification_is_off(native_platform: Platform) -> None:
    rows = [{"lhub_id": n, "q": ""} for n in range(1, 4)]
    variables = {"___query": "{{ q }}", "___page_size": "2", "__lh_ssl_verify": "False"}
    env, _output = native_platform.env(rows, variables)
    stderr = io.StringIO()
    assert exec_action("find_groups", env, stderr) == 0
    warning = "warning: TLS certificate verification is off for this connection"
    assert stderr.getvalue().count(warning) == 1
    verified = io.StringIO()
    env, _output = native_platform.env(rows, {**variables, "__lh_ssl_verify": "True"})
    assert exec_action("find_groups", env, verified) == 0
    assert warning not in verified.getvalue()
