"""Turning one table row into an action's input values, by the kind of each input.

A Column input names a column: its value is read from the row (a missing column is an error for
that row). A Jinja input is a template rendered in the sandbox against the reference values and
the row (row wins). A parameter is fixed for the run; reference values are rendered into it once.

A value rendered from a template that reads a secret reference value is never quoted in an error:
the actions quote bad values (`show_value`) from what this module hands them, so `conceal` replaces
every quote of such a value, of its trimmed and case-changed forms and of its comma, semicolon or
space separated parts, with `CONCEALED`. The runner passes each error of the row through it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mimecast_soar.actions.spec import ActionSpec, InputKind, InputSpec
from mimecast_soar.actions.values import is_empty, show_value
from mimecast_soar.errors import ConfigurationError, InvalidInputError
from mimecast_soar.runtime.templates import (
    CONCEALED,
    CompiledTemplate,
    TemplateRenderer,
    build_context,
)

#: Parts shorter than this are replaced only where quoted: a bare "a" is in every sentence.
_BARE_FORM_CHARS = 4


def _set_flag(item: InputSpec) -> str:
    return f"--set {item.id}=..."


def check_settings(
    spec: ActionSpec,
    settings: Mapping[str, str | None],
    *,
    how_to_give: Callable[[InputSpec], str] = _set_flag,
) -> None:
    """Stop before any call when an input id is unknown or a needed input is not given.

    `how_to_give` says where the caller takes an input from (the CLI's `--set ID=...`, the
    platform's environment variable), for the error of a missing one.
    """
    known = {item.id for item in spec.inputs}
    for input_id in settings:
        if input_id not in known:
            raise ConfigurationError(
                f"{spec.name} has no input {input_id!r}; its inputs are: "
                + ", ".join(sorted(known))
            )
    for item in spec.inputs:
        value = settings.get(item.id)
        if item.needs_value and is_empty(value):
            what = {
                InputKind.COLUMN: "the name of the column that holds it",
                InputKind.JINJA: "a template or a constant text",
                InputKind.PARAM: "a value",
            }[item.kind]
            raise ConfigurationError(
                f"{spec.name}: input {item.label!r} ({item.id}) is required; give {what} "
                f"with {how_to_give(item)}"
            )


@dataclass(frozen=True)
class RowResolver:
    """Resolves rows for one action run: templates compiled once, parameters rendered once."""

    spec: ActionSpec
    columns: Mapping[str, str]
    templates: Mapping[str, CompiledTemplate]
    params: Mapping[str, str]
    reference_values: Mapping[str, str]
    #: Inputs whose value is rendered from a template that reads a secret reference value.
    concealed: frozenset[str] = field(default=frozenset())

    @classmethod
    def build(
        cls,
        spec: ActionSpec,
        settings: Mapping[str, str | None],
        *,
        renderer: TemplateRenderer,
        reference_values: Mapping[str, str],
    ) -> RowResolver:
        """Compile the run's templates and render its parameters; errors stop the run."""
        columns: dict[str, str] = {}
        templates: dict[str, CompiledTemplate] = {}
        params: dict[str, str] = {}
        concealed: set[str] = set()
        for item in spec.inputs:
            text = settings.get(item.id)
            if is_empty(text):
                continue
            assert text is not None
            if item.kind is InputKind.COLUMN:
                columns[item.id] = text.strip()
                continue
            if item.kind is InputKind.JINJA:
                try:
                    compiled = renderer.compile(text, input_id=item.id, label=item.label)
                except InvalidInputError as error:
                    raise ConfigurationError(error.message) from None
                templates[item.id] = compiled
            else:
                try:
                    compiled = renderer.compile(text, input_id=item.id, label=item.label)
                    params[item.id] = compiled.render(dict(reference_values))
                except InvalidInputError as error:
                    raise ConfigurationError(error.message) from None
            if compiled.uses_secret:
                concealed.add(item.id)
        return cls(spec, columns, templates, params, dict(reference_values), frozenset(concealed))

    def resolve(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The input values of one row, keyed by input id (not given: None)."""
        values: dict[str, Any] = dict(self.params)
        for input_id, column in self.columns.items():
            if column not in row:
                label = self.spec.input(input_id).label
                raise InvalidInputError(
                    f"{label}: column {show_value(column)} is not in this row", input_id=input_id
                )
            values[input_id] = row[column]
        if self.templates:
            context = build_context(self.reference_values, row)
            for input_id, template in self.templates.items():
                values[input_id] = template.render(context)
        return values

    def conceal(self, values: Mapping[str, Any], text: str) -> str:
        """`text` (an error of the row whose inputs are `values`) with every quote of a value
        rendered from a template that reads a secret reference value replaced by `CONCEALED`."""
        for input_id in self.concealed:
            value = values.get(input_id)
            if isinstance(value, str):
                text = conceal_value(text, value)
        return text


def conceal_value(text: str, value: str) -> str:
    """`text` with every quote of `value` (and of the forms an action may quote it in) replaced
    by `CONCEALED`."""
    if not value.strip():
        return text
    for form in _forms(value):
        text = text.replace(show_value(form), CONCEALED)
        if len(form) >= _BARE_FORM_CHARS:
            text = text.replace(form, CONCEALED)
    return text


def _forms(value: str) -> list[str]:
    """The forms in which an action may quote `value`, longest first."""
    trimmed = value.strip()
    forms = {value, trimmed, trimmed.lower(), trimmed.upper()}
    for pattern in (r"[,;]", r"[\s,;]+"):
        forms.update(part.strip() for part in re.split(pattern, trimmed) if part.strip())
    return sorted(forms, key=len, reverse=True)
