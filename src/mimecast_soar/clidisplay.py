"""Rendering for people: the action list and the demo's summaries (rich on a terminal)."""

from __future__ import annotations

from typing import IO, Any

from rich.console import Console
from rich.table import Table


def console_for(out: IO[str]) -> Console:
    """A rich console on `out`; plain text when `out` is not a terminal."""
    return Console(file=out, soft_wrap=False, width=None if out.isatty() else 120)


def print_actions(manifest: dict[str, Any], out: IO[str]) -> None:
    """Every action with its inputs: label, id, kind, required, default, allowed values."""
    console = console_for(out)
    for action in manifest["actions"]:
        paths = ", ".join(f"POST {endpoint['path']}" for endpoint in action["endpoints"])
        title = f"{action['name']}  [dim]({action['id']}, {paths}"
        title += ", changes state)" if action["mutating"] else ")"
        table = Table(title=title, title_justify="left", show_lines=False, expand=False)
        for column in ("Input", "id", "kind", "required", "default / empty means", "allowed"):
            table.add_column(column, overflow="fold")
        for item in action["inputs"]:
            default = item["default"] or item["empty_means"] or ""
            table.add_row(
                item["label"],
                item["id"],
                item["kind"],
                "yes" if item["needs_value"] else ("form" if item["required"] else "no"),
                default,
                ", ".join(item["options"]),
            )
        console.print(table)
        console.print()
