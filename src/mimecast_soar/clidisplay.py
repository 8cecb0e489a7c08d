"""Rendering actions for people: the compact list and one action's inputs with an example command.

Both read the manifest (`manifest.manifest()`), so what `actions` shows is what `--json` and the
platform bundle declare. Plain text, so it reads the same on a terminal, in a pipe and without the
`terminal` extra.
"""

from __future__ import annotations

import shlex
import shutil
import textwrap
from typing import IO, Any

from mimecast_soar.manifest import OUTPUT_TEXT, required_text

#: How each kind of input is called here (the Devo form calls column inputs "... Column Name").
KIND_NAMES = {"column": "Column Name", "jinja": "Jinja", "param": "parameter"}
#: Inputs an example shows when the action needs fewer: the first ones by kind, in this order.
_EXAMPLE_FILLERS = 2
_KIND_ORDER = {"column": 0, "jinja": 1, "param": 2}
KINDS_LINE = (
    "Kinds: a Column Name input takes the name of a column of your input table (each row's value "
    "of that column is used); a Jinja input takes a template rendered for each row, such as "
    "{{sender}} (the row's columns and the connection's reference values), or plain text; a "
    "parameter takes one value for the whole run."
)
REQUIRED_LINE = (
    'Required: "yes" means the run needs a value; "no (form asks)" means the Devo form asks '
    'for one, but empty is valid and the default applies; "no" means it may be left empty.'
)


def _width(out: IO[str]) -> int:
    if out.isatty():
        return max(60, min(100, shutil.get_terminal_size().columns))
    return 100


def summary(description: str) -> str:
    """The first clause of an action's description: up to its first colon or full stop."""
    for mark in (": ", "; ", ". "):
        head, sep, _ = description.partition(mark)
        if sep:
            description = head
    return description.rstrip(".") + "."


def print_actions(manifest: dict[str, Any], out: IO[str]) -> None:
    """Every action on one line: id, name, a one-line summary; the Devo page's first."""
    actions = manifest["actions"]
    pad = max(len(action["id"]) for action in actions)
    out.write("Actions (`mimecast-soar actions ACTION`: its inputs and an example command):\n")
    for heading, on_page in (("On the Devo page", True), ("Our own", False)):
        group = [action for action in actions if action["on_devo_page"] is on_page]
        if not group:
            continue
        out.write(f"\n{heading}:\n")
        for action in group:
            state = " (changes state)" if action["mutating"] else ""
            out.write(
                f"  {action['id']:<{pad}}  {action['name']}{state}: "
                f"{summary(action['description'])}\n"
            )


def print_action(action: dict[str, Any], out: IO[str]) -> None:
    """One action: what it does, how inputs are given, each input, then an example command."""
    width = _width(out)

    def para(text: str, indent: str = "") -> None:
        out.write(
            textwrap.fill(text, width, initial_indent=indent, subsequent_indent=indent) + "\n"
        )

    out.write(f"{action['name']} ({action['id']})\n")
    para(action["description"])
    calls = ", ".join(f"POST {endpoint['path']}" for endpoint in action["endpoints"])
    state = "changes state" if action["mutating"] else "read-only"
    para(f"Calls {calls} ({state}). Output: {OUTPUT_TEXT[action['output']]}")
    if not action["inputs"]:
        out.write("\nNo inputs: each input row makes the same call.\n")
    else:
        out.write("\n")
        para(KINDS_LINE)
        para(REQUIRED_LINE)
        out.write("\nInputs (give each with --set ID=VALUE):\n")
        for item in action["inputs"]:
            out.write(f"\n  {item['label']} ({item['id']})\n")
            facts = [f"kind: {KIND_NAMES[item['kind']]}", f"required: {required_text(item)}"]
            facts.append(_empty_text(item))
            if item["options"]:
                facts.append("allowed: " + ", ".join(item["options"]))
            para("; ".join(facts), "    ")
            para(item["description"], "    ")
    out.write("\nExample:\n")
    out.write(example_command(action) + "\n")
    columns = example_columns(action)
    if columns:
        para(
            "rows.jsonl holds one JSON object per line (or use a .csv file); this example reads "
            "its columns " + ", ".join(columns) + "."
        )


def _empty_text(item: dict[str, Any]) -> str:
    if item["default"] is not None:
        return f"default: {item['default']}"
    if item["empty_means"]:
        return f"empty means: {item['empty_means']}"
    return "empty: not allowed" if item["needs_value"] else "empty: not used"


def example_inputs(action: dict[str, Any]) -> list[dict[str, Any]]:
    """The inputs an example sets: every one that needs a value, then a few others by kind."""
    needed = [item for item in action["inputs"] if item["needs_value"]]
    others = sorted(
        (item for item in action["inputs"] if not item["needs_value"]),
        key=lambda item: _KIND_ORDER[item["kind"]],
    )
    return needed + others[: max(0, _EXAMPLE_FILLERS - len(needed))]


def example_value(item: dict[str, Any]) -> str:
    """A plausible value for one input, by its kind and type."""
    input_id: str = item["id"]
    if item["kind"] == "column":
        return input_id.removesuffix("_column")
    options: list[str] = [option for option in item["options"] if option != item["default"]]
    if options:
        return options[0]
    if item["type"] == "time":
        return "2024-05-02T00:00:00+0000" if "end" in input_id else "2024-05-01T00:00:00+0000"
    if item["type"] == "int":
        return "500"
    if item["type"] == "bool":
        return "false" if item["default"] == "true" else "true"
    if item["kind"] == "jinja":
        return "{{" + input_id + "}}"
    return "..."


def example_columns(action: dict[str, Any]) -> list[str]:
    """The input-table columns the example command reads (by column name or template)."""
    columns: list[str] = []
    for item in example_inputs(action):
        value = example_value(item)
        if item["kind"] == "column":
            columns.append(value)
        elif value.startswith("{{"):
            columns.append(value.strip("{}"))
    return columns


def example_command(action: dict[str, Any]) -> str:
    """`mimecast-soar run ACTION --connection conn.toml --input rows.jsonl --set ...`, one flag
    per line."""
    parts = [f"mimecast-soar run {action['id']} --connection conn.toml --input rows.jsonl"]
    for item in example_inputs(action):
        parts.append("--set " + shlex.quote(f"{item['id']}={example_value(item)}"))
    return "  " + " \\\n    ".join(parts)
