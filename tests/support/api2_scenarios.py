"""One scenario per action (the seed's twelve and those beyond it), for end-to-end runs.

Each scenario has three good input rows, most a fourth bad one, and the settings by input id,
built from a simulator's seeded state, so the same table drives the CLI (`--set ID=VALUE`) and
the SDK's shim (`___ID` for Column and Jinja inputs, `ID` for parameters). The good rows must
succeed; the bad row must be one error row naming the problem, without any call. The API 2.0
end-to-end tests expire the bearer token after the first two API calls of a run and check that
the token served several calls, was fetched again once, and no good row failed. `run_in_lanes`
runs the actions a few at a time, each lane on its own simulator, to overlap process start-ups.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx

from mimecast_soar.actions import REGISTRY, InputKind
from mimecast_soar.runtime.connection import Connection
from mimecast_soar.runtime.session import run_action
from mimecast_soar.sim import SimServer, SimState, protect_url
from support.api2_forensics import MADE_BYPASS, RESPOND_BAD, respond_scenarios

TOKEN_PATH = "/oauth/token"
#: API calls a run makes before the simulator expires the token it issued.
CALLS_BEFORE_EXPIRY = 2

Row = dict[str, Any]


@dataclass
class Scenario:
    """Input rows, the settings by input id, and a check of the good rows' output.

    Rows 1-3 are good; a row 4, when there is one, is bad and must give one error row whose
    sentence contains `bad_error`.
    """

    rows: list[Row]
    settings: dict[str, str]
    check: Callable[[list[Row]], None] = field(default=lambda rows: None)
    bad_error: str | None = None
    #: Where a downloading action writes its files (`--files-dir`, INTEGRATIONS_FILES_PATH).
    files_dir: Path | None = None

    def shim_variables(self, action_id: str) -> dict[str, str]:
        """The settings as the platform passes them: `___id` for row arguments, `id` for params."""
        spec = REGISTRY[action_id]
        out = {}
        for input_id, value in self.settings.items():
            kind = spec.input(input_id).kind
            out[input_id if kind is InputKind.PARAM else f"___{input_id}"] = value
        for item in spec.inputs:
            # The SDK insists on every required row argument; a template may render empty.
            if item.required and item.kind is InputKind.JINJA and not out.get(f"___{item.id}"):
                out[f"___{item.id}"] = "{{ unset }}"
        if self.files_dir is not None:
            out["INTEGRATIONS_FILES_PATH"] = str(self.files_dir)
        return out

    def cli_sets(self) -> list[str]:
        """The settings as `--set ID=VALUE` arguments (and `--files-dir` for a download)."""
        sets = [arg for key, value in self.settings.items() for arg in ("--set", f"{key}={value}")]
        return sets + (["--files-dir", str(self.files_dir)] if self.files_dir else [])


def _rows(values: Sequence[Mapping[str, Any]]) -> list[Row]:
    return [{"lhub_id": n, **value} for n, value in enumerate(values, start=1)]


def _results(expected: Any) -> Callable[[list[Row]], None]:
    def check(rows: list[Row]) -> None:
        assert [row["result"] for row in rows] == [expected] * 3, rows

    return check


def _that(test: Callable[[list[Row]], bool]) -> Callable[[list[Row]], None]:
    def check(rows: list[Row]) -> None:
        assert test(rows), rows

    return check


def _results_in_order(expected: list[Any]) -> Callable[[list[Row]], None]:
    return _that(lambda rows: [row["result"] for row in rows] == expected)


def _raw_ok(rows: list[Row]) -> None:
    assert len(rows) == 3
    assert all(row["fail"] == [] and row["meta"]["status"] == 200 for row in rows), rows


def _records(at_least: int) -> Callable[[list[Row]], None]:
    def check(rows: list[Row]) -> None:
        assert len(rows) >= at_least, rows
        assert all("noResults" not in row for row in rows), rows

    return check


MADE_BEFORE = {
    "description": "Made before the run",
    "from": {"type": "email_domain", "emailDomain": "made.example.net"},
    "to": {"type": "everyone"},
}
POLICY = {
    "description": "Block {{ domain }}",
    "fromType": "email_domain",
    "fromValue": "{{ domain }}",
    "toType": "everyone",
}


def scenarios(
    state: SimState, created_policy_id: str, made_bypass_id: str = "(none made)"
) -> dict[str, Scenario]:
    """A scenario per registered action, from the simulator's seeded state.

    `created_policy_id` is a policy made before the run, so Delete Policy has three to delete;
    `made_bypass_id` the same for Delete anti-spoofing bypass policy.
    """
    world = state.world
    held = state.held_ids()
    recent = state.anchor - timedelta(hours=20)
    tracked = [m for m in world.messages.values() if m.hold_reason is None and m.received > recent]
    blocked = world.group(state.group_id("Blocked Senders"))
    assert blocked is not None
    members = list(blocked.members)[:3]
    small_groups = [state.group_id(name) for name in ("Executives", "IT Administrators", "VIP")]
    policies = [*list(world.policies)[:2], created_policy_id]
    cap = {"start_time": "", "end_time": "", "page_size": "{{ n }}"}
    found: dict[str, Scenario] = {
        "get_hold_message_list": Scenario(
            _rows([{}] * 3),
            {"limit": "5", "is_admin": "true"},
            _that(lambda rows: all(0 < len(row["result"]) <= 5 for row in rows)),
        ),
        "reject_message": Scenario(
            _rows(
                [
                    {"ids": i, "note": "Phishing", "why": "inappropriate communication"}
                    for i in held[:3]
                ]
            ),
            {
                "message_ids_column": "ids",
                "message_column": "note",
                "reason_type_column": "why",
                "notify": "false",
            },
            _results("Success"),
        ),
        "release_message": Scenario(
            _rows([{"id": i} for i in held[3:6]]), {"message_id_column": "id"}, _results("Success")
        ),
        "get_message_details": Scenario(
            _rows([{"id": i} for i in held[6:9]]),
            {"message_id_column": "id"},
            _that(lambda rows: [row["result"]["id"] for row in rows] == held[6:9]),
        ),
        "get_ttp_url_logs": Scenario(
            _rows([{"n": "3"}] * 3), {**cap, "scan_result": "all"}, _records(9)
        ),
        "get_ttp_impersonation_logs": Scenario(
            _rows([{"n": "3"}] * 3), {**cap, "tagged_malicious": "true"}, _records(9)
        ),
        "get_ttp_attachment_logs": Scenario(
            _rows([{"n": "3"}] * 3), {**cap, "result": "all"}, _records(9)
        ),
        "find_groups": Scenario(
            _rows([{"q": q} for q in ("Blocked", "VIP", "Finance")]),
            {"query": "{{ q }}", "source": "cloud"},
            _records(3),
        ),
        "get_group_members": Scenario(
            _rows([{"gid": gid} for gid in small_groups]), {"group_id": "{{ gid }}"}, _records(3)
        ),
        "add_group_member": Scenario(
            _rows(
                [
                    {"gid": blocked.id, "who": who}
                    for who in ("a.new@example.net", "b.new@example.org", "lookalike.example.net")
                ]
            ),
            {"group_id": "{{ gid }}", "email_address": "{{ who }}"},
            _raw_ok,
        ),
        "create_policy": Scenario(
            _rows(
                [{"domain": d} for d in ("one.example.net", "two.example.net", "three.example.org")]
            ),
            {"policy": json.dumps(POLICY), "option": "block_sender"},
            _raw_ok,
        ),
        "get_policy": Scenario(
            _rows([{"pid": ""}, {"pid": policies[0]}, {"pid": policies[1]}]),
            {"policy_id": "{{ pid }}"},
            _raw_ok,
        ),
        "remove_group_member": Scenario(
            _rows([{"gid": blocked.id, "who": member} for member in members]),
            {"group_id": "{{ gid }}", "email_address": "{{ who }}"},
            _raw_ok,
        ),
        "delete_policy": Scenario(
            _rows([{"pid": pid} for pid in policies]), {"policy_id": "{{ pid }}"}, _raw_ok
        ),
        "find_messages": Scenario(
            _rows([{"mid": m.internet_id} for m in tracked[:3]]),
            {"message_id": "{{ mid }}", "search_reason": "end-to-end"},
            _records(3),
        ),
        "get_hold_summary": Scenario(_rows([{}] * 3), {}, _records(3)),
        "manage_sender": Scenario(
            _rows(
                [
                    {"s": f"sender{n}@partner.example.net", "t": f"user{n}@example.com"}
                    for n in range(3)
                ]
            ),
            {"sender": "{{ s }}", "to": "{{ t }}", "action": "block"},
            _that(lambda rows: [row["result"]["type"] for row in rows] == ["block"] * 3),
        ),
        "decode_url": Scenario(
            _rows([{"u": protect_url(f"https://www.example.org/page/{n}")} for n in range(3)]),
            {"url": "{{ u }}"},
            _results_in_order([f"https://www.example.org/page/{n}" for n in range(3)]),
        ),
    }
    for action_id, (rows, settings, check, folder) in respond_scenarios(
        state, made_bypass_id
    ).items():
        found[action_id] = Scenario(rows, settings, check, files_dir=folder)
    found.update(_respond_scenarios(state, tracked))
    assert set(found) == set(REGISTRY), "every action needs an end-to-end scenario"
    # The bad fourth rows: (extra settings, row values, what the error row says).
    bad: dict[str, tuple[dict[str, str], Row, str]] = {
        "get_hold_message_list": (
            {"start_time": "{{ start }}", "end_time": "{{ end }}"},
            {"start": "not a time"},
            "Start Time",
        ),
        "reject_message": ({}, {"ids": held[9], "note": "x", "why": "because"}, "UNDESIRABLE"),
        "release_message": ({}, {"id": ""}, "Message ID Column Name"),
        "get_message_details": ({}, {"id": ""}, "Message ID Column Name"),
        "get_ttp_url_logs": ({}, {"n": "many"}, "Page Size"),
        "get_ttp_impersonation_logs": ({}, {"n": "many"}, "Page Size"),
        "get_ttp_attachment_logs": ({}, {"n": "many"}, "Page Size"),
        "find_groups": ({"page_size": "{{ n }}"}, {"q": "", "n": "0"}, "Page Size"),
        "get_group_members": ({}, {"gid": ""}, "ID is required"),
        "add_group_member": ({}, {"gid": blocked.id, "who": "not an address"}, "nor a domain"),
        "create_policy": ({}, {"domain": 'bad"domain'}, "Policy is not valid JSON"),
        "remove_group_member": ({}, {"gid": blocked.id, "who": "x y"}, "nor a domain"),
        "delete_policy": ({}, {"pid": ""}, "Policy ID is required"),
        "find_messages": (
            {"sender": "{{ who }}"},
            {"mid": "<a@b.example>", "who": "x@example.net"},
            "not both",
        ),
        "manage_sender": ({}, {"s": "a", "t": "b@example.com"}, "not a valid email address"),
        "decode_url": ({}, {"u": "x"}, "is not an http or https URL"),
        "create_remediation_incident": ({}, {"v": "no-at-sign"}, "not an Internet Message-ID"),
        "get_remediation_incident": ({}, {"i": ""}, "Incident ID is required"),
        "find_remediation_incidents": ({}, {"q": ""}, "Query is required"),
        "search_file_hash": ({}, {"h": "xyz"}, "is not a file hash"),
        "block_url": ({}, {"u": "https://x.example.net/#top"}, "has a fragment"),
        "permit_url": ({}, {"u": "https://x.example.net/#top"}, "has a fragment"),
        "delete_managed_url": ({}, {"v": ""}, "URL or Entry ID is required"),
    }
    bad.update(RESPOND_BAD)
    for action_id, (settings, values, error) in bad.items():
        scenario = found[action_id]
        scenario.settings.update(settings)
        scenario.rows.append({"lhub_id": 4, **values})
        scenario.bad_error = error
    assert len(tracked) >= 3
    assert len(held) >= 9
    return found


def _respond_scenarios(state: SimState, tracked: list[Any]) -> dict[str, Scenario]:
    """Remediation and managed URLs (issue 14), from the seeded incidents and entries."""
    world = state.world
    incidents = list(world.incidents)[:3]
    codes = [world.incidents[i].code for i in incidents]
    entries = list(world.managed_urls)[:3]
    ever = {"start_time": "2000-01-01", "end_time": "2100-01-01"}
    return {
        "create_remediation_incident": Scenario(
            _rows([{"v": m.internet_id.strip("<>")} for m in tracked[:3]]),
            {"search_by": "message_id", "value": "{{ v }}", "reason": "end-to-end"},
            _that(lambda rows: all(row["code"].startswith("TR-") for row in rows)),
        ),
        "get_remediation_incident": Scenario(
            _rows([{"i": i} for i in incidents]),
            {"incident_id": "{{ i }}"},
            _that(lambda rows: [row["id"] for row in rows] == incidents),
        ),
        "find_remediation_incidents": Scenario(
            _rows([{"q": code} for code in codes]),
            {"search_field": "code", "query": "{{ q }}", **ever},
            _that(lambda rows: sorted(row["code"] for row in rows) == sorted(codes)),
        ),
        "search_file_hash": Scenario(
            _rows([{"h": f"{n:064x},{n:032x}"} for n in range(3)]),
            {"hashes": "{{ h }}"},
            _that(lambda rows: [row["detected"] for row in rows] == [False] * 6),
        ),
        "block_url": Scenario(
            _rows([{"u": f"https://blocked{n}.example.net/x"} for n in range(3)]),
            {"url": "{{ u }}", "comment": "end-to-end"},
            _that(lambda rows: {row["action"] for row in rows} == {"block"}),
        ),
        "permit_url": Scenario(
            _rows([{"u": f"permitted{n}.example.org"} for n in range(3)]),
            {"url": "{{ u }}", "match_type": "domain", "disable_log_click": "true"},
            _that(lambda rows: all(row["disableLogClick"] is True for row in rows)),
        ),
        "list_managed_urls": Scenario(
            _rows([{}] * 3), {}, _that(lambda rows: len(rows) == 3 * len(world.managed_urls))
        ),
        "delete_managed_url": Scenario(
            _rows([{"v": entry} for entry in entries]),
            {"url_or_id": "{{ v }}"},
            _that(lambda rows: sorted(row["id"] for row in rows) == sorted(entries)),
        ),
    }


def check_rows(scenario: Scenario, rows: list[Row]) -> None:
    """Every good row succeeded, the bad row is one error row, and the scenario's check holds."""
    bad = [row for row in rows if row["original_lhub_id"] == 4]
    good = [row for row in rows if row["original_lhub_id"] != 4]
    assert good, "no output rows"
    assert all(row["has_error"] is False and row["error"] is None for row in good), good
    assert {row["original_lhub_id"] for row in good} == {1, 2, 3}, rows
    scenario.check([{k: v for k, v in row.items() if k != "original_lhub_id"} for row in good])
    if scenario.bad_error is None:
        assert not bad
    else:
        [row] = bad
        assert row["has_error"] is True, row
        assert scenario.bad_error in row["error"], row
        assert "Traceback" not in row["error"]


def check_token_use(log: Sequence[Mapping[str, Any]]) -> None:
    """API 2.0 throughout: one token served the first calls, one refetch after the expiry.

    The simulator expired the token after `CALLS_BEFORE_EXPIRY` API calls: the next call got a
    401, the client fetched a second token and repeated that call; nothing else failed.
    """
    paths = [entry["path"] for entry in log]
    tokens = [n for n, path in enumerate(paths) if path == TOKEN_PATH]
    calls = [n for n, path in enumerate(paths) if path != TOKEN_PATH]
    assert [log[n]["status"] for n in tokens] == [200, 200], log
    assert {log[n]["body"]["grant_type"] for n in tokens} == {"client_credentials"}
    assert {log[n]["auth"] for n in calls} == {"api2"}, log
    statuses = [log[n]["status"] for n in calls]
    assert statuses.count(401) == 1, statuses
    rejected = statuses.index(401)
    assert rejected == CALLS_BEFORE_EXPIRY, statuses  # the first token served two calls
    assert set(statuses[:rejected] + statuses[rejected + 1 :]) == {200}, statuses
    assert len(calls) > rejected + 1, "the rejected call was repeated"
    assert tokens[0] < calls[0]
    assert calls[rejected] < tokens[1] < calls[rejected + 1]
    assert paths[calls[rejected]] == paths[calls[rejected + 1]]


@dataclass
class Outcome:
    """One end-to-end run: its scenario, output rows, process status and the simulator's log."""

    scenario: Scenario
    rows: list[Row]
    returncode: int
    stderr: str
    log: list[dict[str, Any]]
    tokens_issued: int


def prepare(server: SimServer, action_id: str) -> tuple[Scenario, int]:
    """Reset `server`, make the policy Delete Policy needs (API 1.0), build the scenario, and
    have the simulator expire the next token after `CALLS_BEFORE_EXPIRY` API calls.

    Returns the scenario and the length of the request log before the run.
    """
    with httpx.Client(base_url=server.base_url) as admin:
        admin.post("/_sim/reset").raise_for_status()
        made_id = made_bypass = "(no policy made)"
        if action_id == "delete_antispoofing_bypass_policy":
            connection = Connection.from_mapping(server.connection())
            made = anyio.run(
                lambda: run_action(
                    "create_antispoofing_bypass_policy",
                    [{}],
                    connection=connection,
                    settings={"policy": json.dumps(MADE_BYPASS)},
                )
            )
            made_bypass = made[0][1]["result"]["id"]
        if action_id == "delete_policy":
            connection = Connection.from_mapping(server.connection())
            made = anyio.run(
                lambda: run_action(
                    "create_policy",
                    [{}],
                    connection=connection,
                    settings={"policy": json.dumps(MADE_BEFORE), "option": "block_sender"},
                )
            )
            made_id = made[0][1]["data"][0]["id"]
        scenario = scenarios(server.app.state.sim, made_id, made_bypass)[action_id]
        logged = len(admin.get("/_sim/requests").json())
        expiry = {"after_calls": CALLS_BEFORE_EXPIRY}
        admin.post("/_sim/tokens/expire", json=expiry).raise_for_status()
    return scenario, logged


def finish(server: SimServer, scenario: Scenario, run: RunResult, logged: int) -> Outcome:
    """The outcome of a finished run: its rows and what the simulator saw after `logged`."""
    with httpx.Client(base_url=server.base_url) as admin:
        log = admin.get("/_sim/requests").json()[logged:]
        state = admin.get("/_sim/state").json()
    return Outcome(scenario, run.rows, run.returncode, run.stderr, log, state["tokens_issued"])


@dataclass
class RunResult:
    """What a process run gave back: result rows (with `original_lhub_id`), status, stderr."""

    rows: list[Row]
    returncode: int
    stderr: str


def run_in_lanes(
    servers: Sequence[SimServer],
    action_ids: Sequence[str],
    run_one: Callable[[SimServer, str, Scenario], RunResult],
) -> dict[str, Outcome]:
    """Run every action once, `len(servers)` at a time, each lane on its own simulator.

    A lane runs its actions one after the other (reset, prepare, run), so every run's token
    count and request log are its own, while the lanes overlap the processes' start-up time.
    """
    queue = list(action_ids)
    lock = threading.Lock()
    outcomes: dict[str, Outcome] = {}

    def lane(server: SimServer) -> None:
        while True:
            with lock:
                if not queue:
                    return
                action_id = queue.pop(0)
            scenario, logged = prepare(server, action_id)
            outcomes[action_id] = finish(
                server, scenario, run_one(server, action_id, scenario), logged
            )

    with ThreadPoolExecutor(len(servers)) as pool:
        for future in [pool.submit(lane, server) for server in servers]:
            future.result()
    return outcomes


def check_outcome(outcome: Outcome, *, status_with_error_rows: int = 3) -> None:
    """The run succeeded row by row, with API 2.0 tokens as `check_token_use` describes.

    The status is 0 when every row succeeded, else `status_with_error_rows`: 3 for the CLI (it
    finished with error rows), 0 for the platform's shim (errors are read from the rows).
    """
    expected = 0 if outcome.scenario.bad_error is None else status_with_error_rows
    assert outcome.returncode == expected, outcome.stderr
    check_rows(outcome.scenario, outcome.rows)
    check_token_use(outcome.log)
    assert outcome.tokens_issued == 2
