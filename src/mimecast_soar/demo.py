"""`make demo`: a short phishing-response playbook against the bundled simulator.

Starts the simulator in-process on a free loopback port and runs seven steps over small tables,
each step's output feeding the next, as a playbook on the platform would: list held messages,
release two, reject one with a reason, fetch a message's details, pull the day's malicious URL
clicks, add the clicked sender to a group, and create a blocked-sender policy for it. Prints a
summary table per step. Needs no account and no network beyond loopback.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import IO, Any

import anyio
from rich.console import Console
from rich.table import Table

from mimecast_soar.actions import BatchWindow, get_action
from mimecast_soar.actions.spec import Row
from mimecast_soar.runtime.connection import Connection
from mimecast_soar.runtime.session import run_action

Result = list[tuple[int | str | None, Row]]


def _short(value: Any, width: int = 70) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _summary(row: Row) -> str:
    if row.get("has_error"):
        return f"[red]{_short(row.get('error'))}[/red]"
    if "noResults" in row:
        return "no results"
    result = row.get("result")
    if isinstance(result, list):
        return f"{len(result)} held message(s)"
    if isinstance(result, dict):
        info = result.get("recipientInfo", {}).get("messageInfo", {})
        return _short(f"status={result.get('status')} subject={info.get('subject')!r}")
    if result is not None:
        return _short(result)
    if "data" in row:
        data = row.get("data") or [{}]
        first = data[0] if isinstance(data[0], dict) else {}
        return _short(f"ok: {first.get('id', '')} {first.get('emailAddress', '')}".strip())
    for key in ("url", "description", "emailAddress", "subject"):
        if key in row:
            return _short(f"{key}={row[key]}")
    return _short({k: v for k, v in row.items() if k not in ("has_error", "error")})


class Playbook:
    """Runs the demo's steps and renders each one."""

    def __init__(self, connection: Connection, console: Console, window: BatchWindow) -> None:
        self.connection = connection
        self.console = console
        self.window = window
        self.step = 0

    async def run(
        self,
        title: str,
        action_id: str,
        rows: Sequence[Mapping[str, Any]],
        settings: Mapping[str, str],
        *,
        show: int = 5,
    ) -> Result:
        """Run one step and print its rows (the first `show` of them)."""
        self.step += 1
        spec = get_action(action_id)
        started = time.perf_counter()
        result = await run_action(
            spec,
            rows,
            connection=self.connection,
            settings=settings,
            window=self.window,
            on_notice=lambda text: self.console.print(f"  [yellow]note:[/yellow] {text}"),
        )
        elapsed_ms = (time.perf_counter() - started) * 1000
        errors = sum(1 for _, row in result if row.get("has_error"))
        table = Table(
            title=(
                f"{self.step}. {title}  [dim]{spec.name} · {len(rows)} in → {len(result)} out"
                f" · {errors} error(s) · {elapsed_ms:.0f} ms[/dim]"
            ),
            title_justify="left",
        )
        table.add_column("row", justify="right")
        table.add_column("ok")
        table.add_column("outcome", overflow="fold")
        for lhub_id, row in result[:show]:
            table.add_row(str(lhub_id), "✗" if row.get("has_error") else "✓", _summary(row))
        if len(result) > show:
            table.add_row("…", "", f"[dim]{len(result) - show} more row(s)[/dim]")
        self.console.print(table)
        return result


async def playbook(connection: Connection, console: Console) -> int:
    """The seven steps; returns the number of unexpected errors."""
    now = datetime.now(UTC)
    book = Playbook(connection, console, BatchWindow.last_hours(24 * 7, now))
    trigger = [{"lhub_id": 1, "analyst": "soc@example.com"}]
    held_rows = await book.run(
        "List held messages", "get_hold_message_list", trigger, {"limit": "10"}, show=1
    )
    held = held_rows[0][1].get("result") or []
    ids = [message["id"] for message in held[:3]]
    if len(ids) < 3:
        console.print("[red]the simulator holds fewer than three messages[/red]")
        return 1
    unexpected = 0
    released = await book.run(
        "Release two false positives",
        "release_message",
        [{"message_id": ids[0]}, {"message_id": ids[1]}],
        {"message_id_column": "message_id"},
    )
    unexpected += sum(1 for _, row in released if row.get("has_error"))
    rejected = await book.run(
        "Reject the phish, with a reason",
        "reject_message",
        [
            {
                "ids": ids[2],
                "note": "This message was rejected by the security team.",
                "reason": "message contains undesirable content",
            }
        ],
        {
            "message_ids_column": "ids",
            "message_column": "note",
            "reason_type_column": "reason",
        },
    )
    unexpected += sum(1 for _, row in rejected if row.get("has_error"))
    await book.run(
        "Details of a released message",
        "get_message_details",
        [{"message_id": ids[0]}],
        {"message_id_column": "message_id"},
    )
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    clicks = await book.run(
        "Today's malicious URL clicks",
        "get_ttp_url_logs",
        trigger,
        {"scan_result": "malicious", "start_time": today.isoformat(), "page_size": "50"},
    )
    senders = [row["fromUserEmailAddress"] for _, row in clicks if row.get("fromUserEmailAddress")]
    sender = senders[0] if senders else "phisher@bad-actor.example"
    groups = await book.run(
        "Find the blocked-senders group", "find_groups", trigger, {"query": "Blocked"}, show=2
    )
    group_id = next((row.get("id") for _, row in groups if row.get("id")), "")
    added = await book.run(
        "Add the clicked sender to the group",
        "add_group_member",
        [{"group": group_id, "sender": sender}],
        {"group_id": "{{ group }}", "email_address": "{{ sender }}"},
    )
    unexpected += sum(1 for _, row in added if row.get("has_error"))
    policy = (
        '{"description": "Block {{ sender }} (phishing clicks)", "fromPart": "envelope_from",'
        ' "fromType": "individual_email_address", "fromValue": "{{ sender }}",'
        ' "toType": "everyone"}'
    )
    created = await book.run(
        "Block the sender by policy",
        "create_policy",
        [{"sender": sender}],
        {"policy": policy, "option": "block_sender"},
    )
    unexpected += sum(1 for _, row in created if row.get("has_error"))
    return unexpected


def run_demo(out: IO[str]) -> int:
    """Start the simulator, run the playbook, print the summary; exit status 0 on success."""
    from mimecast_soar.sim import SimConfig, SimServer

    console = Console(file=out, width=None if out.isatty() else 110)
    started = time.perf_counter()
    with SimServer(SimConfig(seed=7)) as server:
        console.rule("[bold]mimecast-soar demo[/bold]")
        console.print(
            f"Simulator at {server.base_url} (API 1.0, signed requests). "
            "A phishing-response playbook, step by step:\n"
        )
        connection = Connection.from_mapping(server.connection())
        unexpected = anyio.run(playbook, connection, console)
        elapsed = time.perf_counter() - started
        console.rule(
            f"done in {elapsed:.1f} s · "
            + ("all steps succeeded" if not unexpected else f"{unexpected} unexpected error(s)")
        )
    return 0 if not unexpected else 1
