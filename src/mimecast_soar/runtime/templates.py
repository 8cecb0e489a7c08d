"""Rendering Jinja inputs in a sandbox, against reference values and the row's columns.

One `TemplateRenderer` per run holds one sandboxed environment (autoescape off, since templates
produce JSON and plain text, not HTML) and compiles each distinct text once. A text without `{{`,
`{%` or `{#` is returned as it is, without Jinja. An undefined name renders empty, as on the
platform, and so does any attribute or item of it (`{{ user.name }}` with no `user`).

The sandbox refuses private attributes (`''.__class__`), mutating methods (`list.append`), and
the resource bombs a template could build: `range()` beyond 100,000 items (and 1,000,000 over one
rendering), repetition of texts and lists (`'a' * 10**9`), huge powers, `%` formatting of texts,
format widths and padding beyond the output cap, and an output over 5,000,000 characters. Every
failure is an `InvalidInputError` naming the input; nothing else escapes `render`.

Start-up: this module does not import jinja2. The sandbox (`_sandbox`, which does) is imported
and built on the first text that holds a marker, so a run whose inputs are column names and
constant texts never loads Jinja before (or after) its first request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Template

    from mimecast_soar.runtime._sandbox import Sandbox

_MARKERS = ("{{", "{%", "{#")
_CACHE_SIZE = 1024


def is_template(text: str) -> bool:
    """True when `text` holds a Jinja marker (`{{`, `{%`, `{#`), so it needs the sandbox."""
    return any(marker in text for marker in _MARKERS)


def build_context(reference_values: Mapping[str, str], row: Mapping[str, Any]) -> dict[str, Any]:
    """The names a template sees: reference values, then the row's columns (the row wins)."""
    return {**reference_values, **row}


class CompiledTemplate:
    """One input's template, compiled once; `render` may be called for every row."""

    __slots__ = ("_constant", "_input_id", "_label", "_template")

    def __init__(
        self, template: Template | None, constant: str, *, input_id: str, label: str
    ) -> None:
        self._template = template
        self._constant = constant
        self._input_id = input_id
        self._label = label

    @property
    def is_constant(self) -> bool:
        """True when the text has no Jinja markers and renders as itself."""
        return self._template is None

    def render(self, context: Mapping[str, Any]) -> str:
        """The text for one row; any failure is an `InvalidInputError` naming the input."""
        if self._template is None:
            return self._constant
        from mimecast_soar.runtime import _sandbox  # loaded already: this one was compiled

        return _sandbox.render(self._template, context, input_id=self._input_id, label=self._label)


class TemplateRenderer:
    """Compiles and caches the templates of one run in one sandboxed environment.

    The environment is built on the first text with a marker, not here: making a renderer is
    free, and a run without templates never imports jinja2.
    """

    def __init__(self) -> None:
        self._sandbox: Sandbox | None = None
        self._cache: dict[str, Template] = {}

    def _env(self) -> Sandbox:
        if self._sandbox is None:
            from mimecast_soar.runtime._sandbox import Sandbox

            self._sandbox = Sandbox()
        return self._sandbox

    def compile(self, text: str, *, input_id: str, label: str) -> CompiledTemplate:
        """Compile `text` (once per distinct text); a syntax error is an `InvalidInputError`."""
        if not is_template(text):
            return CompiledTemplate(None, text, input_id=input_id, label=label)
        template = self._cache.get(text)
        if template is None:
            template = self._env().compile_text(text, input_id=input_id, label=label)
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[text] = template
        return CompiledTemplate(template, text, input_id=input_id, label=label)

    def names(self, text: str, *, input_id: str, label: str) -> frozenset[str]:
        """The context names `text` reads (globals such as `range` excluded)."""
        if not is_template(text):
            return frozenset()
        return self._env().undeclared_names(text, input_id=input_id, label=label)

    def render(self, text: str, context: Mapping[str, Any], *, input_id: str, label: str) -> str:
        """Compile (cached) and render in one step."""
        return self.compile(text, input_id=input_id, label=label).render(context)
