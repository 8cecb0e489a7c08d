"""End-to-end scenarios of the groups, audit, SPF bypass and forensics actions (issue 14).

Merged into `api2_scenarios.scenarios`; the rows, settings and checks follow its `Scenario`
conventions (three good rows, a bad fourth where an input can be wrong). Downloads write into the
scenario's `files_dir`, one folder per simulator and action, emptied when the scenario is built,
so the same run gives the same paths under API 1.0 and API 2.0.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from mimecast_soar.actions.values import format_mimecast_time
from mimecast_soar.sim import SimState

Row = dict[str, Any]
#: One temporary root per test process: paths stay the same between two runs of a scenario.
_ROOT: list[Path] = []

BYPASS = {"description": "Bypass {{ d }}", "conditions": {"spfDomains": ["{{ d }}"]}}
MADE_BYPASS = {
    "description": "Made before the run",
    "conditions": {"spfDomains": ["made.example.net"]},
}


def files_dir(state: SimState, action_id: str) -> Path:
    """An empty folder for one action's downloads on one simulator."""
    if not _ROOT:
        _ROOT.append(Path(tempfile.mkdtemp(prefix="mimecast-e2e-files-")))
    folder = _ROOT[0] / f"{state.config.seed}-{action_id}"
    shutil.rmtree(folder, ignore_errors=True)
    return folder


def _rows(values: list[Row]) -> list[Row]:
    return [{"lhub_id": n, **value} for n, value in enumerate(values, start=1)]


def _that(test: Callable[[list[Row]], bool]) -> Callable[[list[Row]], None]:
    def check(rows: list[Row]) -> None:
        assert test(rows), rows

    return check


def _files_match(expected: list[str]) -> Callable[[list[Row]], None]:
    """Each row's file exists, and its SHA-256 is the disk's and the expected one."""

    def check(rows: list[Row]) -> None:
        assert [row["result"]["sha256"] for row in rows] == expected, rows
        for row in rows:
            data = Path(row["result"]["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == row["result"]["sha256"]
            assert len(data) == row["result"]["size"]

    return check


def respond_scenarios(
    state: SimState, made_bypass_id: str
) -> dict[str, tuple[list[Row], dict[str, str], Callable[[list[Row]], None], Path | None]]:
    """(rows, settings, check, files folder) per action; `made_bypass_id` was made before."""
    world = state.world
    groups = [state.group_id(name) for name in ("Executives", "IT Administrators", "VIP")]
    archived = [m for m in world.messages.values() if m.status == "archived" and m.attachments]
    small = [m for m in archived if m.size < 1024 * 1024][:3]
    bypass = [*list(world.bypass_policies)[:2], made_bypass_id]
    seeded = [bypass[0], bypass[1], bypass[0]]  # an update may repeat; only delete needs three
    start = format_mimecast_time(state.anchor - timedelta(days=40))
    end = format_mimecast_time(state.anchor + timedelta(hours=1))
    message_ids = [str(m.internet_id).encode() for m in small]
    attachment_hashes = [_first_attachment(state, m)[1] for m in small]
    return {
        "create_group": (
            _rows([{"n": f"Responders {n}"} for n in range(3)]),
            {"name": "{{ n }}", "parent_id": groups[0]},
            _that(lambda rows: all(r["result"]["parentId"] == groups[0] for r in rows)),
            None,
        ),
        "update_group": (
            _rows([{"g": g, "n": f"Renamed {i}"} for i, g in enumerate(groups)]),
            {"group_id": "{{ g }}", "name": "{{ n }}"},
            _that(
                lambda rows: (
                    [r["result"]["description"] for r in rows] == [f"Renamed {i}" for i in range(3)]
                )
            ),
            None,
        ),
        "get_audit_events": (
            _rows([{"n": "4"}] * 3),
            {"start_time": start, "end_time": end, "page_size": "{{ n }}"},
            _that(lambda rows: len(rows) == 12 and all("auditType" in r for r in rows)),
            None,
        ),
        "list_audit_categories": (
            _rows([{}] * 3),
            {},
            _that(lambda rows: len(rows) >= 6 and all("code" in r for r in rows)),
            None,
        ),
        "create_antispoofing_bypass_policy": (
            _rows([{"d": f"mailer{n}.example.net"} for n in range(3)]),
            {"policy": json.dumps(BYPASS), "option": "enable_bypass"},
            _that(lambda rows: all(r["result"]["option"] == "enable_bypass" for r in rows)),
            None,
        ),
        "list_antispoofing_bypass_policies": (
            _rows([{"pid": ""}, {"pid": bypass[0]}, {"pid": bypass[1]}]),
            {"policy_id": "{{ pid }}"},
            _that(lambda rows: [r["id"] for r in rows][-2:] == bypass[:2]),
            None,
        ),
        "update_antispoofing_bypass_policy": (
            _rows([{"pid": pid, "d": f"upd{n}.example.net"} for n, pid in enumerate(seeded)]),
            {"policy_id": "{{ pid }}", "policy": json.dumps(BYPASS), "option": "disable_bypass"},
            _that(lambda rows: [r["result"]["id"] for r in rows] == seeded),
            None,
        ),
        "delete_antispoofing_bypass_policy": (
            _rows([{"pid": pid} for pid in bypass]),
            {"policy_id": "{{ pid }}"},
            _that(lambda rows: [r["result"]["id"] for r in rows] == bypass),
            None,
        ),
        "get_archived_message_detail": (
            _rows([{"id": m.id} for m in small]),
            {"message_id": "{{ id }}"},
            _that(
                lambda rows: (
                    [r["result"]["attachments"][0]["sha256"] for r in rows] == attachment_hashes
                )
            ),
            None,
        ),
        "download_attachment": (
            _rows([{"a": _first_attachment(state, m)[0]} for m in small]),
            {"attachment_id": "{{ a }}"},
            _files_match(attachment_hashes),
            files_dir(state, "download_attachment"),
        ),
        "download_email": (
            _rows([{"id": m.id, "to": m.recipient[1]} for m in small]),
            {"message_id": "{{ id }}", "mailbox": "{{ to }}", "context": "DELIVERED"},
            _that(
                lambda rows: all(
                    wanted in Path(r["result"]["path"]).read_bytes()
                    and r["result"]["file_name"].endswith("-delivered.eml")
                    for r, wanted in zip(rows, message_ids, strict=True)
                )
            ),
            files_dir(state, "download_email"),
        ),
    }


#: The bad fourth rows: (extra settings, row values, what the error row says).
RESPOND_BAD: dict[str, tuple[dict[str, str], Row, str]] = {
    "create_group": ({}, {"n": ""}, "Group Name is required"),
    "update_group": ({}, {"g": "", "n": "x"}, "Group ID is required"),
    "get_audit_events": ({}, {"n": "many"}, "Page Size"),
    "create_antispoofing_bypass_policy": ({}, {"d": 'bad"domain'}, "Policy is not valid JSON"),
    "update_antispoofing_bypass_policy": ({}, {"pid": "", "d": "x.example"}, "Policy ID"),
    "delete_antispoofing_bypass_policy": ({}, {"pid": ""}, "Policy ID is required"),
    "get_archived_message_detail": ({}, {"id": ""}, "Message ID is required"),
    "download_attachment": ({}, {"a": ""}, "Attachment ID is required"),
    "download_email": ({}, {"id": "eNoX", "to": "nobody"}, "not a valid email address"),
}


def _first_attachment(state: SimState, message: Any) -> tuple[str, str]:
    """(id, sha256) of a message's first attachment, as the archive reports them."""
    from mimecast_soar.sim import content

    name, _mime, size = message.attachments[0]
    seed = state.config.seed
    return (
        content.attachment_id(seed, message.id, 0),
        content.attachment_sha256(seed, message.id, name, size),
    )
