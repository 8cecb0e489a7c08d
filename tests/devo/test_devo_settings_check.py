"""`devo exec` with a setting wrong for every row: an error row per input row, nothing sent.

The platform reads errors from the rows (docs/devo-runtime-contract.md), so the up-front check
answers each input row with the one line `run` would print, and the status is 0.
"""

from __future__ import annotations

import io
import json

from devo_support import Platform

from mimecast_soar.devo.native import exec_action


def test_devo_exec_answers_every_row_with_the_settings_error(native_platform: Platform) -> None:
    env, output = native_platform.env(
        [{"lhub_id": 7}, {"lhub_id": 8}], {"route": "sideways", "limit": "5"}
    )
    stderr = io.StringIO()
    assert exec_action("get_hold_message_list", env, stderr) == 0
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert [line["original_lhub_id"] for line in lines] == [7, 8]
    errors = [json.loads(line["result"])["error"] for line in lines]
    assert (
        errors
        == [
            "input route: Route must be one of all, inbound, outbound, internal, "
            "external; got 'sideways'"
        ]
        * 2
    )
    assert "input route" in stderr.getvalue()
    assert native_platform.requests("/api/gateway/get-hold-message-list") == []


def test_devo_exec_checks_a_column_against_the_first_row(native_platform: Platform) -> None:
    env, output = native_platform.env([{"lhub_id": 1, "mid": "x"}], {"___message_id_column": "msg"})
    assert exec_action("release_message", env, io.StringIO()) == 0
    (line,) = [json.loads(text) for text in output.read_text().splitlines()]
    assert "names the column 'msg'" in json.loads(line["result"])["error"]
    assert native_platform.requests("/api/gateway/hold-release") == []
