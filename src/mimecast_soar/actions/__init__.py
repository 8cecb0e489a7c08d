"""The actions: one declarative spec each (see `spec.py`), collected in `REGISTRY`."""

from mimecast_soar.actions.registry import ACTIONS, REGISTRY, get_action
from mimecast_soar.actions.spec import (
    ActionContext,
    ActionSpec,
    InputKind,
    InputSpec,
    OutputShape,
    Row,
    SimpleContext,
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
    "Row",
    "SimpleContext",
    "get_action",
    "run_row",
]
