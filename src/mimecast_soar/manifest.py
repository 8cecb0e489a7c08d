"""The manifest: every action and its inputs, generated from the specs (`actions --json`)."""

from __future__ import annotations

from typing import Any

from mimecast_soar.actions import ACTIONS, ActionSpec
from mimecast_soar.actions.connection_fields import CONNECTION_FIELDS


def action_manifest(spec: ActionSpec) -> dict[str, Any]:
    """One action as plain data: identity, endpoint, and inputs with every UI property."""
    return {
        "id": spec.id,
        "name": spec.name,
        "description": spec.description,
        "path": spec.path,
        "mutating": spec.mutating,
        "output": spec.output.value,
        "beyond_seed": spec.extra,
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


def manifest() -> dict[str, Any]:
    """The whole manifest: connection fields and every action of the registry."""
    from mimecast_soar import __version__

    return {
        "name": "Mimecast Service",
        "version": __version__,
        "connection": [
            {
                "id": item.id,
                "label": item.label,
                "description": item.description,
                "secret": item.secret,
                "optional": item.optional,
                "default": item.default,
                "options": list(item.options),
                "platform": item.platform,
            }
            for item in CONNECTION_FIELDS
        ],
        "actions": [action_manifest(spec) for spec in ACTIONS],
    }
