"""Driving one action over a table against a faulty simulator and judging the outcome.

A `Scenario` names a fault (the simulator's fault rules, plus an optional clock move or a short
client timeout) and an action (`read`: Get TTP URL Logs over many pages; `release`: Release
Message over a table of held ids). `run_scenario` runs it in process through `run_to_sink` over
real HTTP to a `SimServer`, then reads the simulator's request log and state back over its admin
endpoints and returns an `Outcome`: rows in and out, error rows, duplicate executions, retries
the client reported, time, and every broken promise as a sentence in `problems`.

The promises checked for every scenario:
- every input row has its output rows, in input order, correlated by `original_lhub_id`;
- no state-changing call ran twice: each held id was executed at most once, and the
  simulator's `released` count equals the number of distinct ids it executed;
- reads that met only transient faults end in full success (every record of the feed);
- other faults end in error rows that say what happened; a release whose outcome is unknown
  (the server may have acted) says so and how to check;
- no secret of the connection appears in any output row or notice.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import anyio
import httpx

from mimecast_soar.actions import BatchWindow, get_action
from mimecast_soar.api import MimecastClient, RetryPolicy
from mimecast_soar.runtime import Connection, InputRow
from mimecast_soar.runtime.runner import RunSummary
from mimecast_soar.runtime.session import run_to_sink
from mimecast_soar.sim import SimConfig, SimServer

READ_PATH = "/api/ttp/url/get-logs"
RELEASE_PATH = "/api/gateway/hold-release"
UNKNOWN_OUTCOME_WORDS = ("outcome is unknown", "check")


def read_config(log_count: int = 2_000, page_size: int = 100) -> SimConfig:
    """A simulator whose URL log feed needs many pages per input row."""
    config = SimConfig(seed=23, ttp_url_log_count=log_count)
    config.max_page_size = {**config.max_page_size, READ_PATH: page_size}
    return config


def release_config(held: int = 520) -> SimConfig:
    """A simulator with enough held messages for a 500-row release table."""
    return SimConfig(seed=29, held_message_count=held)


@dataclass(frozen=True)
class Scenario:
    """One fault against one action, and what its run must end in."""

    fault: str
    action: str  # "read" or "release"
    rules: tuple[dict[str, Any], ...] = ()
    #: "success": every row succeeds; "errors": every row is an error row; "mixed": some of each.
    expect: str = "success"
    advance_clock_seconds: float = 0
    timeout_seconds: float | None = None
    #: Releases whose outcome may be unknown (the server may have acted without answering).
    unknown_outcome: bool = False
    #: Words every error row must contain (lower case).
    error_words: tuple[str, ...] = ()
    rows: int = 0  # 0: the action's default table size
    concurrency: int = 8
    #: Seconds to wait after the run for requests the server is still working on (slow faults).
    settle_seconds: float = 0
    #: Part of the quick subset in `make test`.
    quick: bool = False

    @property
    def name(self) -> str:
        return f"{self.fault} / {self.action}"


@dataclass
class Outcome:
    """What one scenario produced, and the promises it broke."""

    scenario: Scenario
    rows_in: int = 0
    rows_out: int = 0
    error_rows: int = 0
    success_rows: int = 0
    duplicate_executions: int = 0
    retries_seen: int = 0
    requests: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    #: One full error sentence per shape in `errors`.
    examples: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


class ListSink:
    """Collects `(original_lhub_id, row)` pairs, checking each row is one valid JSON line."""

    def __init__(self) -> None:
        self.rows: list[tuple[Any, dict[str, Any]]] = []

    def write(self, lhub_id: Any, row: dict[str, Any]) -> None:
        self.rows.append((lhub_id, row))


class Admin:
    """The simulator's admin endpoints over HTTP."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def reset(self) -> None:
        httpx.post(f"{self.base_url}/_sim/reset").raise_for_status()

    def faults(self, rules: list[dict[str, Any]]) -> None:
        httpx.post(f"{self.base_url}/_sim/faults", json=rules).raise_for_status()

    def advance_clock(self, seconds: float) -> None:
        response = httpx.post(f"{self.base_url}/_sim/clock", json={"advance_seconds": seconds})
        response.raise_for_status()

    def requests(self, path: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.base_url}/_sim/requests", params={"path": path}, timeout=60)
        response.raise_for_status()
        entries: list[dict[str, Any]] = response.json()
        return entries

    def state(self) -> dict[str, Any]:
        response = httpx.get(f"{self.base_url}/_sim/state")
        response.raise_for_status()
        state: dict[str, Any] = response.json()
        return state


def connection_for(server: SimServer, *, timeout_seconds: float | None = None) -> Connection:
    """The simulator's API 1.0 connection, with a password reference value."""
    data: dict[str, Any] = dict(server.connection())
    data["reference_values"] = {"vault": {"value": "vault-pass-0b7e41", "secret": True}}
    if timeout_seconds is not None:
        data["timeout_seconds"] = timeout_seconds
    return Connection.from_mapping(data)


def secrets_of(server: SimServer) -> list[str]:
    """Every secret value a run against `server` knows."""
    config = server.config
    return [
        config.application_key,
        config.access_key,
        config.secret_key,
        config.client_secret,
        "vault-pass-0b7e41",
    ]


def wide_window(server: SimServer) -> BatchWindow:
    """A batch window holding every generated log record."""
    anchor = server.app.state.sim.anchor
    return BatchWindow(anchor - timedelta(days=10), anchor + timedelta(minutes=5))


def _release_rows(server: SimServer, count: int) -> list[InputRow]:
    held = server.app.state.sim.held_ids()
    if len(held) < count:
        raise ValueError(f"the simulator holds {len(held)} messages, {count} needed")
    return [
        InputRow(lhub_id=index, values={"message_id": message_id})
        for index, message_id in enumerate(held[:count], start=1)
    ]


def _read_rows(count: int) -> list[InputRow]:
    return [InputRow(lhub_id=index, values={"n": index}) for index in range(1, count + 1)]


def run_scenario(
    server: SimServer,
    scenario: Scenario,
    *,
    retry: RetryPolicy | None = None,
    on_rows: Callable[[list[tuple[Any, dict[str, Any]]]], None] | None = None,
) -> Outcome:
    """Run `scenario` against `server` (reset first) and judge it."""
    admin = Admin(server.base_url)
    admin.reset()
    if scenario.advance_clock_seconds:
        admin.advance_clock(scenario.advance_clock_seconds)
    if scenario.action == "release":
        rows = _release_rows(server, scenario.rows or 500)
        spec = get_action("release_message")
        settings: dict[str, str | None] = {"message_id_column": "message_id"}
    else:
        rows = _read_rows(scenario.rows or 4)
        spec = get_action("get_ttp_url_logs")
        settings = {}
    admin.faults(list(scenario.rules))
    connection = connection_for(server, timeout_seconds=scenario.timeout_seconds)
    sink = ListSink()
    client_notices: list[str] = []

    async def go() -> RunSummary:
        client = None
        if retry is not None:
            settings_ = dataclasses.replace(connection.client_settings(), retry=retry)
            client = MimecastClient(
                settings_, redactor=connection.redactor(), on_notice=client_notices.append
            )
        try:
            return await run_to_sink(
                spec,
                rows,
                sink,
                connection=connection,
                settings=settings,
                window=wide_window(server),
                concurrency=scenario.concurrency,
                client=client,
            )
        finally:
            if client is not None:
                await client.aclose()

    started = time.monotonic()
    summary = anyio.run(go)
    seconds = time.monotonic() - started
    if scenario.settle_seconds:
        time.sleep(scenario.settle_seconds)
    admin.faults([])
    notices = summary.notices + client_notices
    outcome = Outcome(scenario, rows_in=len(rows), seconds=seconds, notices=notices)
    outcome.rows_out = len(sink.rows)
    outcome.error_rows = sum(1 for _, row in sink.rows if row.get("has_error"))
    outcome.success_rows = outcome.rows_out - outcome.error_rows
    outcome.retries_seen = sum(
        1 for text in notices if "retrying" in text or "rate limited" in text
    )
    if on_rows is not None:
        on_rows(sink.rows)
    _check_correlation(outcome, rows, sink.rows, multi=scenario.action == "read")
    _check_secrets(outcome, server, sink.rows)
    if scenario.action == "release":
        _judge_release(outcome, admin, rows, sink.rows)
    else:
        _judge_read(outcome, server, admin, rows, sink.rows)
    return outcome


def _check_correlation(
    outcome: Outcome,
    rows: list[InputRow],
    produced: list[tuple[Any, dict[str, Any]]],
    *,
    multi: bool,
) -> None:
    """Every input row has its rows, in input order, each group contiguous."""
    groups: list[Any] = []
    for lhub_id, _row in produced:
        if not groups or groups[-1] != lhub_id:
            groups.append(lhub_id)
    expected = [row.lhub_id for row in rows]
    if groups != expected:
        missing = sorted(set(expected) - set(groups), key=str)[:5]
        outcome.problems.append(
            f"output groups do not follow the input rows one to one (missing {missing})"
        )
    if not multi and len(produced) != len(rows):
        outcome.problems.append(f"{len(rows)} input rows gave {len(produced)} output rows")
    for _lhub_id, row in produced:
        error = row.get("error")
        if row.get("has_error") and (not isinstance(error, str) or not error.strip()):
            outcome.problems.append("an error row has no error sentence")
            break
        if isinstance(error, str) and "Traceback" in error:
            outcome.problems.append("an error row holds a traceback")
            break


def _check_secrets(
    outcome: Outcome, server: SimServer, produced: list[tuple[Any, dict[str, Any]]]
) -> None:
    from mimecast_soar.runtime.writers import dumps

    texts = [dumps(row).decode() for _, row in produced] + outcome.notices
    for secret in secrets_of(server):
        if any(secret in text for text in texts):
            outcome.problems.append("a secret of the connection reached an output row or notice")
            return


def _note_errors(outcome: Outcome, produced: list[tuple[Any, dict[str, Any]]]) -> None:
    for _, row in produced:
        if row.get("has_error"):
            shape = _shape(str(row.get("error")))
            outcome.errors[shape] += 1
            outcome.examples.setdefault(shape, str(row.get("error")))


def _shape(error: str) -> str:
    """An error sentence with ids and numbers blurred, to group them."""
    import re

    text = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27,}", "ID", error)
    text = re.sub(r"\S*\d\S*", "N", text)
    return text[:160]


def _judge_expectation(outcome: Outcome) -> None:
    expect = outcome.scenario.expect
    if expect == "success" and outcome.error_rows:
        example = next(iter(outcome.errors), "")
        outcome.problems.append(f"{outcome.error_rows} error rows where none were due: {example}")
    if expect == "errors" and outcome.success_rows:
        outcome.problems.append(f"{outcome.success_rows} rows succeeded where all should fail")
    if expect == "mixed" and not outcome.error_rows:
        outcome.problems.append("no error row although the fault must have caused some")
    words = outcome.scenario.error_words
    for example in outcome.examples.values():
        lowered = example.lower()
        if any(word not in lowered for word in words):
            outcome.problems.append(f"an error row does not say {words}: {example}")
            break


def _judge_release(
    outcome: Outcome,
    admin: Admin,
    rows: list[InputRow],
    produced: list[tuple[Any, dict[str, Any]]],
) -> None:
    _note_errors(outcome, produced)
    entries = admin.requests(RELEASE_PATH)
    outcome.requests = len(entries)
    executed: Counter[str] = Counter()
    for entry in entries:
        if not entry.get("executed"):
            continue
        body = entry.get("body") or {}
        for item in body.get("data", []) if isinstance(body, dict) else []:
            if isinstance(item, dict):
                executed[str(item.get("id"))] += 1
    outcome.duplicate_executions = sum(n - 1 for n in executed.values() if n > 1)
    if outcome.duplicate_executions:
        outcome.problems.append(
            f"{outcome.duplicate_executions} release calls reached the simulator's state twice"
        )
    released = admin.state()["released"]
    if released != len(executed):
        outcome.problems.append(
            f"the simulator released {released} messages but executed {len(executed)} distinct ids"
        )
    by_id = {row.lhub_id: (row.values or {}).get("message_id") for row in rows}
    for lhub_id, row in produced:
        message_id = by_id.get(lhub_id)
        if not row.get("has_error") and executed.get(str(message_id), 0) != 1:
            outcome.problems.append(f"row {lhub_id} says Success but its release did not run once")
            break
    if outcome.scenario.unknown_outcome:
        # Rows whose release ran although the client saw an error must say so.
        for lhub_id, row in produced:
            if row.get("has_error") and executed.get(str(by_id.get(lhub_id)), 0):
                error = str(row.get("error")).lower()
                if not all(word in error for word in UNKNOWN_OUTCOME_WORDS):
                    outcome.problems.append(
                        f"row {lhub_id}: the release ran but the error row does not say the "
                        f"outcome is unknown and how to check: {row.get('error')}"
                    )
                    break
    _judge_expectation(outcome)


def _judge_read(
    outcome: Outcome,
    server: SimServer,
    admin: Admin,
    rows: list[InputRow],
    produced: list[tuple[Any, dict[str, Any]]],
) -> None:
    from mimecast_soar.runtime.writers import dumps

    _note_errors(outcome, produced)
    outcome.requests = len(admin.requests(READ_PATH))
    total = server.config.ttp_url_log_count
    per_row: Counter[Any] = Counter()
    ids_per_row: dict[Any, set[Any]] = {}
    for lhub_id, row in produced:
        if row.get("has_error") or "noResults" in row:
            continue
        per_row[lhub_id] += 1
        ids_per_row.setdefault(lhub_id, set()).add(dumps(row))
    if outcome.scenario.expect == "success":
        for row in rows:
            got = per_row[row.lhub_id]
            if got != total or len(ids_per_row.get(row.lhub_id, ())) != total:
                outcome.problems.append(
                    f"row {row.lhub_id} got {got} log rows "
                    f"({len(ids_per_row.get(row.lhub_id, ()))} distinct), expected {total}"
                )
                break
    # Any row of a read that did not fully succeed ends in an error row after its records.
    for row in rows:
        group = [r for lhub_id, r in produced if lhub_id == row.lhub_id]
        if group and per_row[row.lhub_id] != total and not group[-1].get("has_error"):
            outcome.problems.append(
                f"row {row.lhub_id} got {per_row[row.lhub_id]} of {total} records and no error row"
            )
            break
    _judge_expectation(outcome)
