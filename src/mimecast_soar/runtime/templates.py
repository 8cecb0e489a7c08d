"""Rendering Jinja inputs in a sandbox, against reference values and the row's columns.

One `TemplateRenderer` per run holds one sandboxed environment (autoescape off, since templates
produce JSON and plain text, not HTML) and compiles each distinct text once. A text without `{{`,
`{%` or `{#` is returned as it is, without Jinja. An undefined name renders empty, as on the
platform, and so does any attribute or item of it (`{{ user.name }}` with no `user`).

The sandbox refuses private attributes (`''.__class__`), mutating methods (`list.append`), and
the resource bombs a template could build: `range()` beyond 100,000 items (and 1,000,000 over one
rendering), any value (intermediate ones too: `~`, `+`, `*`, `join`, `format`, filters, text
methods) or output over 1 MiB (1,048,576 characters), huge powers, `*` widths in `%` formatting.
A rendering has a deadline (`deadline_seconds`, 2 s by default; the connection's
`template_deadline_seconds`), checked at every loop iteration, call and operator. Every failure is
an `InvalidInputError` naming the input; nothing else escapes `render`, except
`RenderInterrupted` once the run's interrupt event is set (Ctrl-C): the run is stopping.

A template that reads a secret reference value (by name: the only way a template reaches one)
never has its rendered value, or an exception text that may hold it, quoted in an error: the
error says `CONCEALED` instead (`CompiledTemplate.uses_secret` tells the resolver).

Start-up: this module does not import jinja2. The sandbox (`_sandbox`, which does) is imported
and built on the first text that holds a marker, so a run whose inputs are column names and
constant texts never loads Jinja before (or after) its first request.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Template

    from mimecast_soar.runtime._sandbox import Sandbox

_MARKERS = ("{{", "{%", "{#")
_CACHE_SIZE = 1024
DEFAULT_DEADLINE_SECONDS = 2.0
CONCEALED = "the value rendered from a template that uses a secret reference value (not shown)"


class RenderInterrupted(Exception):
    """The run's interrupt event was set while a template rendered: the run is stopping."""


@dataclass(frozen=True)
class RenderLimits:
    """What every rendering of a renderer may spend, and the event that interrupts it."""

    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS
    interrupt: threading.Event | None = None


def is_template(text: str) -> bool:
    """True when `text` holds a Jinja marker (`{{`, `{%`, `{#`), so it needs the sandbox."""
    return any(marker in text for marker in _MARKERS)


def build_context(reference_values: Mapping[str, str], row: Mapping[str, Any]) -> dict[str, Any]:
    """The names a template sees: reference values, then the row's columns (the row wins)."""
    return {**reference_values, **row}


class CompiledTemplate:
    """One input's template, compiled once; `render` may be called for every row."""

    __slots__ = ("_constant", "_input_id", "_label", "_limits", "_template", "uses_secret")

    def __init__(
        self,
        template: Template | None,
        constant: str,
        *,
        input_id: str,
        label: str,
        limits: RenderLimits | None = None,
        uses_secret: bool = False,
    ) -> None:
        self._template = template
        self._constant = constant
        self._input_id = input_id
        self._label = label
        self._limits = limits or RenderLimits()
        #: True when the template reads a secret reference value: errors never quote its value.
        self.uses_secret = uses_secret

    @property
    def is_constant(self) -> bool:
        """True when the text has no Jinja markers and renders as itself."""
        return self._template is None

    def render(self, context: Mapping[str, Any]) -> str:
        """The text for one row; any failure is an `InvalidInputError` naming the input."""
        if self._template is None:
            return self._constant
        from mimecast_soar.runtime import _sandbox  # loaded already: this one was compiled

        return _sandbox.render(
            self._template,
            context,
            input_id=self._input_id,
            label=self._label,
            limits=self._limits,
            conceal=self.uses_secret,
        )


class TemplateRenderer:
    """Compiles and caches the templates of one run in one sandboxed environment.

    The environment is built on the first text with a marker, not here: making a renderer is
    free, and a run without templates never imports jinja2. `secret_names` are the reference
    values marked secret; `limits` bound every rendering.
    """

    def __init__(
        self, *, limits: RenderLimits | None = None, secret_names: frozenset[str] = frozenset()
    ) -> None:
        self._sandbox: Sandbox | None = None
        self._cache: dict[str, Template] = {}
        self._limits = limits or RenderLimits()
        self._secret_names = secret_names

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
        names = self.names(text, input_id=input_id, label=label) if self._secret_names else ()
        uses_secret = not self._secret_names.isdisjoint(names)
        return CompiledTemplate(
            template,
            text,
            input_id=input_id,
            label=label,
            limits=self._limits,
            uses_secret=uses_secret,
        )

    def names(self, text: str, *, input_id: str, label: str) -> frozenset[str]:
        """The context names `text` reads (globals such as `range` excluded)."""
        if not is_template(text):
            return frozenset()
        return self._env().undeclared_names(text, input_id=input_id, label=label)

    def render(self, text: str, context: Mapping[str, Any], *, input_id: str, label: str) -> str:
        """Compile (cached) and render in one step."""
        return self.compile(text, input_id=input_id, label=label).render(context)
