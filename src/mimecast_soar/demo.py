"""`make demo`: a short phishing-response playbook against the bundled simulator.

Starts the simulator in-process on a free loopback port and runs its steps over small tables,
each step's output feeding the next, as a playbook on the platform would: list held messages,
release two, reject one with a reason, fetch a message's details, pull the day's malicious URL
clicks, remove the clicked email from every mailbox (a remediation incident, polled until every
mailbox is done) and block its link, add the clicked sender to a group, and create a
blocked-sender policy for it. Prints a summary table per step. Needs no account and no network
beyond loopback.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import IO, Any

import anyio
from rich.console import Console
from rich.table import Table

from mimecast_soar.actions import BatchWindow, get_action
from mimecast_soar.actions.spec import Row
from mimecast_soar.demo_remediation import DEMO_SECONDS_PER_MAILBOX, remediate
from mimecast_soar.runtime.connection import Connection
from mimecast_soar.runtime.session import run_action

Result = list[tuple[int | str | None, Row]]


def _short(value: Any, width: int = 60) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _address(value: Any) -> str:
    return str(value.get("emailAddress", "")) if isinstance(value, dict) else str(value or "")


# Per step: the columns to show and how a successful row fills them.
Columns = tuple[tuple[str, Callable[[Row], Any]], ...]
OUTCOME: Columns = (("outcome", lambda row: row.get("result")),)
HELD: Columns = (
    ("subject", lambda m: m.get("subject")),
    ("from", lambda m: _address(m.get("from"))),
    ("reason", lambda m: m.get("reason")),
    ("route", lambda m: m.get("route")),
)
DETAILS: Columns = (
    ("status", lambda row: row["result"].get("status")),
    (
        "subject",
        lambda row: row["result"].get("recipientInfo", {}).get("messageInfo", {}).get("subject"),
    ),
    (
        "from",
        lambda row: (
            row["result"].get("recipientInfo", {}).get("messageInfo", {}).get("fromEnvelope")
        ),
    ),
)
CLICKS: Columns = (
    ("clicked by", lambda row: row.get("userEmailAddress")),
    ("sender", lambda row: row.get("fromUserEmailAddress")),
    ("url", lambda row: row.get("url")),
    ("category", lambda row: row.get("category")),
)
GROUPS: Columns = (
    ("group", lambda row: row.get("description")),
    ("members", lambda row: row.get("userCount")),
    ("id", lambda row: row.get("id")),
)
MEMBER: Columns = (
    ("added", lambda row: _address((row.get("data") or [{}])[0])),
    ("to group", lambda row: (row.get("data") or [{}])[0].get("folderId")),
)
POLICY: Columns = (
    ("policy id", lambda row: (row.get("data") or [{}])[0].get("id")),
    ("option", lambda row: (row.get("data") or [{}])[0].get("option")),
    ("blocks", lambda row: (row.get("data") or [{}])[0].get("policy", {}).get("fromValue")),
)


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
        columns: Columns = OUTCOME,
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
        self.console.print(
            f"[bold]{self.step}. {title}[/bold]  [dim]{spec.name} · {len(rows)} input row(s) → "
            f"{len(result)} output row(s) · {errors} error(s) · {elapsed_ms:.0f} ms[/dim]"
        )
        if show:
            inputs = {row.get("lhub_id", index): row for index, row in enumerate(rows, start=1)}
            shown = [{**row, "_input": inputs.get(lhub_id, {})} for lhub_id, row in result]
            self.render(shown, columns, show)
        return result

    def render(self, rows: Sequence[Row], columns: Columns, show: int) -> None:
        """A table of `rows` with the step's columns; error rows show their error."""
        table = Table(show_edge=False, pad_edge=False, box=None, header_style="dim")
        table.add_column("", min_width=1, no_wrap=True)
        for name, _ in columns:
            table.add_column(name, overflow="ellipsis", no_wrap=True, max_width=40)
        for row in rows[:show]:
            if row.get("has_error"):
                table.add_row("[red]✗[/red]", f"[red]{_short(row.get('error'), 90)}[/red]")
                continue
            if "noResults" in row:
                table.add_row("·", "no results")
                continue
            table.add_row("[green]✓[/green]", *(_short(get(row)) for _, get in columns))
        if len(rows) > show:
            table.add_row("", f"[dim]… {len(rows) - show} more[/dim]")
        self.console.print(table)
        self.console.print()


async def playbook(connection: Connection, console: Console) -> int:
    """The playbook's steps; returns the number of unexpected errors."""
    now = datetime.now(UTC)
    book = Playbook(connection, console, BatchWindow.last_hours(24 * 7, now))
    trigger = [{"lhub_id": 1, "analyst": "soc@example.com"}]
    held_rows = await book.run(
        "List held messages", "get_hold_message_list", trigger, {"limit": "10"}, show=0
    )
    held = held_rows[0][1].get("result") or []
    book.render([{"has_error": False, **message} for message in held], HELD, 5)
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
        (("message", lambda row: row["_input"]["message_id"]), *OUTCOME),
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
        DETAILS,
    )
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    clicks = await book.run(
        "Today's malicious URL clicks",
        "get_ttp_url_logs",
        trigger,
        {"scan_result": "malicious", "start_time": today.isoformat(), "page_size": "50"},
        CLICKS,
    )
    senders = [
        str(row["fromUserEmailAddress"])
        for _, row in clicks
        if "@" in str(row.get("fromUserEmailAddress", ""))
        and not str(row["fromUserEmailAddress"]).endswith("@example.com")
    ]
    sender = senders[0] if senders else "phisher@bad-actor.example.net"
    unexpected += await remediate(book, [row for _, row in clicks if row.get("messageId")][:1])
    groups = await book.run(
        "Find the blocked-senders group", "find_groups", trigger, {"query": "Blocked"}, GROUPS
    )
    group_id = next((row.get("id") for _, row in groups if row.get("id")), "")
    added = await book.run(
        "Add the clicked sender to the group",
        "add_group_member",
        [{"group": group_id, "sender": sender}],
        {"group_id": "{{ group }}", "email_address": "{{ sender }}"},
        MEMBER,
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
        POLICY,
    )
    unexpected += sum(1 for _, row in created if row.get("has_error"))
    return unexpected


def run_demo(out: IO[str]) -> int:
    """Start the simulator, run the playbook, print the summary; exit status 0 on success."""
    from mimecast_soar.sim import SimConfig, SimServer

    console = Console(file=out, width=None if out.isatty() else 140)
    started = time.perf_counter()
    with SimServer(
        SimConfig(seed=7, remediation_seconds_per_mailbox=DEMO_SECONDS_PER_MAILBOX)
    ) as server:
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
