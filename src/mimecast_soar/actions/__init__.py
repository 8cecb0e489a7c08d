"""The actions: one declarative spec each (see `spec.py`), collected in `REGISTRY`."""

from mimecast_soar.actions.registry import ACTIONS, REGISTRY, Registry, get_action
from mimecast_soar.actions.spec import (
    ActionContext,
    ActionSpec,
    InputKind,
    InputSpec,
    OutputShape,
    Row,
    SimpleContext,
    UndeclaredEndpointError,
    run_row,
)
from mimecast_soar.actions.values import BatchWindow

__all__ = [
    "ACTIONS",
    "REGISTRY",
    "ActionContext",
    "ActionSpec",
    "BatchWindow",
    "InputKind",
    "InputSpec",
    "OutputShape",
    "Registry",
    "Row",
    "SimpleContext",
    "UndeclaredEndpointError",
    "get_action",
    "run_row",
]
