"""The manifest: every action and its inputs, generated from the specs (`actions --json`).

Both forms read a `Registry` (`REGISTRY` unless given), so an action is listed here, in the docs
and in the platform bundle as soon as its spec is registered.
"""

from __future__ import annotations

from typing import Any

from mimecast_soar.actions import REGISTRY, ActionSpec, Registry
from mimecast_soar.connection_schema import FIELDS, Field


def action_manifest(spec: ActionSpec) -> dict[str, Any]:
    """One action as plain data: identity, endpoints, and inputs with every UI property."""
    return {
        "id": spec.id,
        "name": spec.name,
        "description": spec.description,
        "endpoints": [
            {"path": endpoint.path, "mutating": endpoint.mutating} for endpoint in spec.endpoints
        ],
        "mutating": spec.mutating,
        "output": spec.output.value,
        "on_devo_page": not spec.extra,
        "inputs": [
            {
                "id": item.id,
                "label": item.label,
                "kind": item.kind.value,
                "required": item.required,
                "needs_value": item.needs_value,
                "default": item.default,
                "empty_means": item.empty_means,
                "options": list(item.options),
                "type": item.value_type,
                "description": item.description,
            }
            for item in spec.inputs
        ],
    }


def connection_field_manifest(item: Field) -> dict[str, Any]:
    """One connection field as plain data, as `connection_schema` declares it."""
    return {
        "id": item.id,
        "label": item.label,
        "description": item.description,
        "kind": item.kind.value,
        "secret": item.secret,
        "api": [version.value for version in item.api],
        "required": item.required,
        "default": item.default,
        "options": list(item.options),
        "schemes": list(item.schemes),
        "source": item.source.value,
        "env": item.env_variable,
    }


def manifest(registry: Registry = REGISTRY) -> dict[str, Any]:
    """The whole manifest: connection fields and every action of `registry`."""
    from mimecast_soar import __version__

    return {
        "name": "Mimecast Service",
        "version": __version__,
        "connection": [connection_field_manifest(item) for item in FIELDS],
        "actions": [action_manifest(spec) for spec in registry.actions],
    }


#: What each kind of input takes, in one paragraph (the reference and `actions ACTION`).
KINDS_TEXT = (
    'Kinds: a **column** input (the Devo form\'s "Column Name") takes the name of a column of '
    "the input table, and each row's value of that column is used; a **jinja** input takes a "
    "template rendered for each row, such as `{{sender}}` (row columns and reference values), "
    "or plain text; a **param** input takes one value for the whole run."
)
#: What the required column says.
REQUIRED_TEXT = (
    "Required: **yes** means the run needs a value; **no (form asks)** means the Devo form asks "
    "for one, but empty is valid and the default (or what empty means) applies; **no** means "
    "the input may be left empty."
)


def required_text(item: dict[str, Any]) -> str:
    """The required column of one input of the manifest: yes, no (form asks) or no."""
    if item["needs_value"]:
        return "yes"
    return "no (form asks)" if item["required"] else "no"


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def markdown(registry: Registry = REGISTRY) -> str:
    """The actions reference as Markdown (`docs/actions.md` is this text, checked by a test)."""
    data = manifest(registry)
    lines = [
        "# Actions reference",
        "",
        "Generated from the action specs by `mimecast-soar actions --markdown`; do not edit.",
        "`mimecast-soar actions ACTION` shows the same for one action, with an example command.",
        "",
        KINDS_TEXT,
        "",
        REQUIRED_TEXT,
        "",
        "## Connection",
        "",
        CONNECTION_TEXT,
        "",
        "| Field | id | takes | API | set on | secret | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for item in data["connection"]:
        lines.append(
            f"| {item['label']} | `{item['id']}` | {_cell(takes_text(item))} | "
            f"{' and '.join(item['api'])} | {SOURCE_TEXT[item['source']]} | "
            f"{'yes' if item['secret'] else ''} | {_cell(item['description'])} |"
        )
    for action in data["actions"]:
        lines += [
            "",
            f"## {action['name']} — `{action['id']}`"
            + ("" if action["on_devo_page"] else " (not on the Devo page)"),
            "",
            f"{action['description']} "
            + ", ".join(f"`POST {endpoint['path']}`" for endpoint in action["endpoints"])
            + (
                " (changes state: never retried unless Mimecast surely did not act)."
                if action["mutating"]
                else " (read-only)."
            ),
            f"Output: {OUTPUT_TEXT[action['output']]}",
            "",
        ]
        if not action["inputs"]:
            lines.append("No inputs: each input row makes the same call.")
            continue
        lines += [
            "| Input | id | kind | required | default / empty means | allowed |",
            "|---|---|---|---|---|---|",
        ]
        for item in action["inputs"]:
            required = required_text(item)
            default = item["default"] or item["empty_means"] or ""
            lines.append(
                f"| {item['label']} | `{item['id']}` | {item['kind']} | {required} | "
                f"{_cell(default)} | {_cell(', '.join(item['options']))} |"
            )
    return "\n".join(lines) + "\n"


#: What the connection table's columns mean, in one paragraph.
CONNECTION_TEXT = (
    "A connection file (TOML or JSON) may set every field below by its id, and a non-empty "
    "`MIMECAST_<ID>` environment variable overrides it (`MIMECAST_LABEL` instead picks the "
    "connection of a file by its label; reference values come from the file only). On Devo SOAR "
    "the platform and the connection form set them. Booleans take true/false, yes/no, y/n, 1/0 "
    "or on/off, in any case."
)
#: Who sets a field, by its `source`.
SOURCE_TEXT = {"platform": "Devo platform", "form": "Devo form", "file": "file only"}


def takes_text(item: dict[str, Any]) -> str:
    """What a connection field of the manifest takes, with its default: one short phrase."""
    kind = item["kind"]
    if kind == "url":
        text = "URL: " + ", ".join(f"{scheme}://" for scheme in item["schemes"])
    elif kind == "region":
        text = "one of " + ", ".join(item["options"])
    else:
        text = {
            "bool": "true or false",
            "seconds": "seconds",
            "bytes": "bytes",
            "path": "a file or folder path",
            "references": "name = text, or a secret value",
        }.get(kind, "text")
    return f"{text} (default {item['default']})" if item["default"] is not None else text


#: What the rows of each output shape hold, in one sentence.
OUTPUT_TEXT = {
    "single": "one row per input row, `result` holds the payload.",
    "records": "one row per record, its fields after `has_error`/`error`; "
    "`noResults` when there are none.",
    "raw": "one row per input row: Mimecast's `meta`, `data`, `fail` after `has_error`/`error` "
    "(`has_error` is true when `fail` is not empty).",
}
