"""Reading one row's resolved input values by input id, with the spec's labels and defaults.

The runtime (or the platform adapter) resolves every input of a row before the action runs: a
Column input becomes the column's value, a Jinja input its rendered text, a parameter its given
text. `Inputs` turns those raw values into typed ones and raises `InvalidInputError` with the
input's label when a value is missing or wrong, so validation happens before any call.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mimecast_soar.actions.spec import InputKind, InputSpec
from mimecast_soar.actions.values import (
    BatchWindow,
    as_text,
    is_empty,
    parse_bool,
    parse_choice,
    parse_int,
    parse_window,
)
from mimecast_soar.errors import InvalidInputError


class Inputs:
    """Typed access to one row's input values, keyed by input id."""

    __slots__ = ("_specs", "_values")

    def __init__(self, specs: tuple[InputSpec, ...], values: Mapping[str, Any]) -> None:
        self._specs = {spec.id: spec for spec in specs}
        self._values = values

    def spec(self, input_id: str) -> InputSpec:
        """The declaration of an input."""
        return self._specs[input_id]

    def raw(self, input_id: str) -> Any:
        """The value as resolved, or None when the input was not given."""
        return self._values.get(input_id)

    def given(self, input_id: str) -> bool:
        """True when the input has a non-empty value."""
        return not is_empty(self.raw(input_id))

    def text(self, input_id: str) -> str:
        """The value as stripped text; empty falls back to the textual default, else ''."""
        value = self.raw(input_id)
        if is_empty(value):
            return self.spec(input_id).default or ""
        return as_text(value).strip()

    def required_text(self, input_id: str) -> str:
        """The value as stripped text; empty is an error naming the input."""
        value = self.text(input_id)
        if not value:
            raise InvalidInputError(self._missing(input_id), input_id=input_id)
        return value

    def flag(self, input_id: str) -> bool:
        """A boolean input, with the spec's default for empty."""
        spec = self.spec(input_id)
        try:
            return parse_bool(self.raw(input_id), label=spec.label, default=spec.default == "true")
        except InvalidInputError as error:
            raise InvalidInputError(error.message, input_id=input_id) from None

    def number(self, input_id: str) -> int:
        """A whole-number input, with the spec's default for empty and the spec's bounds."""
        spec = self.spec(input_id)
        try:
            return parse_int(
                self.raw(input_id),
                label=spec.label,
                default=int(spec.default or 0),
                minimum=spec.minimum,
                maximum=spec.maximum,
            )
        except InvalidInputError as error:
            raise InvalidInputError(error.message, input_id=input_id) from None

    def choice(self, input_id: str) -> str:
        """A select input: one of its options (case-insensitive), the default for empty."""
        spec = self.spec(input_id)
        try:
            return parse_choice(
                self.raw(input_id),
                label=spec.label,
                options=spec.options,
                default=spec.default or "",
            )
        except InvalidInputError as error:
            raise InvalidInputError(error.message, input_id=input_id) from None

    def window(
        self, window: BatchWindow, start_id: str = "start_time", end_id: str = "end_time"
    ) -> tuple[datetime, datetime]:
        """Start and end times; empty means the batch window; start after end is an error."""
        return parse_window(
            self.raw(start_id),
            self.raw(end_id),
            window=window,
            start_label=self.spec(start_id).label,
            end_label=self.spec(end_id).label,
        )

    def _missing(self, input_id: str) -> str:
        spec = self.spec(input_id)
        if spec.kind is InputKind.COLUMN:
            return f"{spec.label}: the column's value is empty in this row"
        if spec.kind is InputKind.JINJA:
            return f"{spec.label} is required but rendered empty for this row"
        return f"{spec.label} is required"
