"""The demo's remediation step: pull the clicked email out of every mailbox, block its link.

`make demo` (see `mimecast_soar.demo`) runs this after the day's malicious clicks: a remediation
incident by the click's Internet Message-ID, a managed URL blocking its link, then Get
Remediation Incident polled until every mailbox is done (identified = successful + failed), or
a time limit. The demo's simulator removes a copy every `DEMO_SECONDS_PER_MAILBOX` seconds, so
the poll is short and real.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import anyio

from mimecast_soar.actions.spec import Row
from mimecast_soar.runtime.session import run_action

if TYPE_CHECKING:
    from mimecast_soar.demo import Columns, Playbook, Result

INCIDENT: Columns = (
    ("incident", lambda row: row.get("code")),
    ("identified", lambda row: row.get("identified")),
    ("removed", lambda row: row.get("successful")),
    ("failed", lambda row: row.get("failed")),
)
MANAGED_URL: Columns = (
    ("blocked", lambda row: f"{row.get('domain', '')}{row.get('path', '')}"),
    ("match", lambda row: row.get("matchType")),
    ("entry id", lambda row: row.get("id")),
)
#: The simulator removes one copy per this many seconds in the demo, so the poll is short.
DEMO_SECONDS_PER_MAILBOX = 0.3
POLL_SECONDS = 0.3
POLL_ROUNDS = 40


def _finished(row: Row) -> bool:
    identified, successful, failed = (row.get(k) for k in ("identified", "successful", "failed"))
    if not (
        isinstance(identified, int) and isinstance(successful, int) and isinstance(failed, int)
    ):
        return True  # an error row: nothing to wait for
    return identified == successful + failed


async def remediate(book: Playbook, clicks: Sequence[Row]) -> int:
    """Remove the clicked email everywhere, block its link, poll until done; unexpected errors."""
    if not clicks:
        book.console.print("[dim]no malicious click today: nothing to remediate[/dim]\n")
        return 0
    click = [{"message_id": clicks[0]["messageId"], "url": clicks[0].get("url", "")}]
    made = await book.run(
        "Remove the clicked email from every mailbox",
        "create_remediation_incident",
        click,
        {
            "search_by": "message_id",
            "value": "{{ message_id }}",
            "reason": "Phishing link clicked: removed by the SOC",
        },
        INCIDENT,
    )
    blocked = await book.run(
        "Block the clicked link for everyone",
        "block_url",
        click,
        {"url": "{{ url }}", "comment": "Phishing link clicked"},
        MANAGED_URL,
    )
    unexpected = sum(1 for _, row in [*made, *blocked] if row.get("has_error"))
    incident = made[0][1].get("id")
    if not incident:
        return unexpected
    polled: Result = []
    for _ in range(POLL_ROUNDS):  # the time limit: POLL_ROUNDS x POLL_SECONDS
        polled = await run_action(
            "get_remediation_incident",
            [{"id": incident}],
            connection=book.connection,
            settings={"incident_id": "{{ id }}"},
            window=book.window,
        )
        if _finished(polled[0][1]):
            break
        await anyio.sleep(POLL_SECONDS)
    book.step += 1
    row = polled[0][1]
    state = "done" if _finished(row) and not row.get("has_error") else "not finished"
    book.console.print(
        f"[bold]{book.step}. Wait until every mailbox is done[/bold]  [dim]Get Remediation "
        f"Incident polled until identified = removed + failed: {state}[/dim]"
    )
    book.render([row], INCIDENT, 1)
    return unexpected + (0 if state == "done" else 1)
