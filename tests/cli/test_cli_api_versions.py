"""Request details that differ by API version, through the CLI: the hold list's field names.

Mimecast spells the hold list's `searchBy.fieldName` per version (API 1.0 `reason_code`, API 2.0
`reasonCode` and `senderIP`); the simulator refuses the other version's names, so what reached
it is read back from its request log.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from tests.cli.conftest import run_cli, write_jsonl
from tests.support.simadmin import SimAdmin

HOLD_LIST = "/api/gateway/get-hold-message-list"


def _conn_file(sim: SimAdmin, tmp_path: Path, api_version: int) -> Path:
    lines = [f'{key} = "{value}"' for key, value in sim.server.connection(api_version).items()]
    path = tmp_path / f"conn-api{api_version}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _hold_list(
    sim: SimAdmin, tmp_path: Path, api_version: int, row: dict[str, str], *sets: str
) -> tuple[int, list[dict[str, object]]]:
    anchor = sim.sim.anchor
    out = tmp_path / "out.jsonl"
    args = [
        "run",
        "get_hold_message_list",
        "--connection",
        str(_conn_file(sim, tmp_path, api_version)),
        "--input",
        str(write_jsonl(tmp_path / "in.jsonl", [row])),
        "--output",
        str(out),
        "--batch-start",
        (anchor - timedelta(days=8)).isoformat(),
        "--batch-end",
        anchor.isoformat(),
        "--set",
        "limit=1000",
    ]
    for setting in sets:
        args += ["--set", setting]
    result = run_cli(args)
    return result.returncode, [json.loads(line) for line in out.read_text().splitlines()]


@pytest.mark.parametrize(
    ("api_version", "field_name"), [(1, "reason_code"), (2, "reasonCode")], ids=["api1", "api2"]
)
def test_the_held_reason_filter_is_sent_with_the_connections_field_name(
    sim: SimAdmin, tmp_path: Path, api_version: int, field_name: str
) -> None:
    row = {"lhub_id": "r1", "why": "spam signature"}
    code, rows = _hold_list(sim, tmp_path, api_version, row, "held_reason_column=why")

    assert code == 0
    [entry] = sim.requests(HOLD_LIST)
    assert entry["auth"] == f"api{api_version}"
    assert entry["body"]["data"][0]["searchBy"] == {
        "fieldName": field_name,
        "value": "spam signature",
    }
    [out] = rows
    assert out["original_lhub_id"] == "r1"
    assert out["has_error"] is False
    assert out["result"], "the seeded queue holds spam-signature messages"
    assert all("spam signature" in record["reason"].lower() for record in out["result"])


def test_a_sender_ip_filter_is_sent_on_api2_and_refused_on_api1_before_any_call(
    sim: SimAdmin, tmp_path: Path
) -> None:
    row = {"lhub_id": "r1", "ip": "203.0.113."}

    code, [on_api2] = _hold_list(sim, tmp_path, 2, row, "sender_ip_column=ip")
    assert code == 0
    assert on_api2["has_error"] is False
    assert on_api2["result"]
    [entry] = sim.requests(HOLD_LIST)
    assert entry["body"]["data"][0]["searchBy"] == {"fieldName": "senderIP", "value": "203.0.113."}

    sim.reset()
    _code, [on_api1] = _hold_list(sim, tmp_path, 1, row, "sender_ip_column=ip")
    assert on_api1["has_error"] is True
    assert "Sender IP Name Column Name" in on_api1["error"]
    assert "needs API 2.0 credentials" in on_api1["error"]
    assert "API 1.0 hold list cannot search by sender IP" in on_api1["error"]
    assert sim.requests(HOLD_LIST) == []
