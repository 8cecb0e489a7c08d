"""Rendering Jinja inputs in a sandbox, against reference values and the row's columns.

One `TemplateRenderer` per run holds one sandboxed environment (autoescape off, since templates
produce JSON and plain text, not HTML) and compiles each distinct text once. A text without `{{`,
`{%` or `{#` is returned as it is, without Jinja. An undefined name renders empty, as on the
platform, and so does any attribute or item of it (`{{ user.name }}` with no `user`).

The sandbox refuses private attributes (`''.__class__`), mutating methods (`list.append`), and
the resource bombs a template could build: `range()` beyond 100,000 items (and 1,000,000 over one
rendering), repetition of texts and lists (`'a' * 10**9`), huge powers, `%` formatting of texts,
format widths and padding beyond the output cap, and an output over 1,000,000 characters. Every
failure is an `InvalidInputError` naming the input; nothing else escapes `render`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from jinja2 import ChainableUndefined, Template, TemplateSyntaxError, meta
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace

from mimecast_soar.errors import InvalidInputError
from mimecast_soar.runtime import _guards as guards

MAX_OUTPUT_CHARS = guards.MAX_OUTPUT_CHARS
_MARKERS = ("{{", "{%", "{#")
_REASON_CHARS = 200
_CACHE_SIZE = 1024
_RANGE_BUDGET: ContextVar[list[int] | None] = ContextVar("_RANGE_BUDGET", default=None)


def build_context(reference_values: Mapping[str, str], row: Mapping[str, Any]) -> dict[str, Any]:
    """The names a template sees: reference values, then the row's columns (the row wins)."""
    return {**reference_values, **row}


class _EmptyUndefined(ChainableUndefined):
    """Undefined names render empty and walk silently, but a sandbox refusal always raises."""

    __slots__ = ()

    def _refused(self) -> bool:
        return self._undefined_exception is SecurityError

    def __str__(self) -> str:
        if self._refused():
            self._fail_with_undefined_error()
        return ""

    def __getattr__(self, name: str) -> Any:
        if self._refused():
            self._fail_with_undefined_error()
        if name[:2] == "__" and name[-2:] == "__":
            raise AttributeError(name)
        return self

    def __getitem__(self, key: Any) -> Any:
        if self._refused():
            self._fail_with_undefined_error()
        return self

    def __iter__(self) -> Iterator[Any]:
        if self._refused():
            self._fail_with_undefined_error()
        return iter(())

    def __bool__(self) -> bool:
        if self._refused():
            self._fail_with_undefined_error()
        return False


class _CappedNamespace(Namespace):
    """`namespace()` whose attributes cannot grow past the output cap (doubling in a loop)."""

    def __setitem__(self, name: str, value: Any) -> None:
        guards.check_size(value)
        super().__setitem__(name, value)


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > guards.MAX_RANGE:
        raise guards.LimitError(f"range() of {len(numbers):,} items exceeds {guards.MAX_RANGE:,}")
    budget = _RANGE_BUDGET.get()
    if budget is not None:
        budget[0] -= len(numbers)
        if budget[0] < 0:
            raise guards.LimitError("the template iterates over too many range() items")
    return numbers


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox with operators, calls, filters and globals bounded in what they can build."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self) -> None:
        super().__init__(
            autoescape=False, undefined=_EmptyUndefined, keep_trailing_newline=True, cache_size=0
        )
        self.globals["range"] = _bounded_range
        self.globals["namespace"] = _CappedNamespace
        self.globals["lipsum"] = guards.bounded_lipsum
        self.filters.update(guards.bounded_filters(self.filters))

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Refuse operations whose result would be too large, and `%` formatting of texts."""
        guards.check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Refuse calls of text methods that would build a text past the output cap."""
        guards.check_call(__obj, args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Any:
        """`str.format` with its format specs checked for huge widths first."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        return guards.checked_format(value.__self__, wrapped)


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
        token = _RANGE_BUDGET.set([guards.MAX_RANGE_PER_RENDER])
        try:
            return _render_capped(self._template, context)
        except Exception as exc:  # the sandbox may raise anything a Python operation raises
            raise _input_error(exc, self._label, self._input_id) from None
        finally:
            _RANGE_BUDGET.reset(token)


class TemplateRenderer:
    """Compiles and caches the templates of one run in one sandboxed environment."""

    def __init__(self) -> None:
        self._env = _Sandbox()
        self._cache: dict[str, Template] = {}

    def compile(self, text: str, *, input_id: str, label: str) -> CompiledTemplate:
        """Compile `text` (once per distinct text); a syntax error is an `InvalidInputError`."""
        if not any(marker in text for marker in _MARKERS):
            return CompiledTemplate(None, text, input_id=input_id, label=label)
        template = self._cache.get(text)
        if template is None:
            try:
                template = self._env.from_string(text)
            except Exception as exc:
                raise _input_error(exc, label, input_id) from None
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[text] = template
        return CompiledTemplate(template, text, input_id=input_id, label=label)

    def names(self, text: str, *, input_id: str, label: str) -> frozenset[str]:
        """The context names `text` reads (globals such as `range` excluded)."""
        if not any(marker in text for marker in _MARKERS):
            return frozenset()
        try:
            found = meta.find_undeclared_variables(self._env.parse(text))
        except Exception as exc:
            raise _input_error(exc, label, input_id) from None
        return frozenset(found - set(self._env.globals))

    def render(self, text: str, context: Mapping[str, Any], *, input_id: str, label: str) -> str:
        """Compile (cached) and render in one step."""
        return self.compile(text, input_id=input_id, label=label).render(context)


def _render_capped(template: Template, context: Mapping[str, Any]) -> str:
    parts: list[str] = []
    size = 0
    for chunk in template.generate(context):
        size += len(chunk)
        if size > MAX_OUTPUT_CHARS:
            raise guards.LimitError(f"the output exceeds {MAX_OUTPUT_CHARS:,} characters")
        parts.append(chunk)
    return "".join(parts)


def _input_error(exc: BaseException, label: str, input_id: str) -> InvalidInputError:
    if isinstance(exc, guards.LimitError):
        reason = str(exc)
    elif isinstance(exc, SecurityError):
        return InvalidInputError(
            f"the template of {label} tried to reach something the sandbox forbids: "
            f"{_short(str(exc))}",
            input_id=input_id,
        )
    elif isinstance(exc, TemplateSyntaxError):
        reason = f"syntax error on line {exc.lineno}: {exc.message or 'invalid syntax'}"
    elif isinstance(exc, RecursionError):
        reason = "it is nested too deeply"
    else:
        text = str(exc)
        reason = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return InvalidInputError(
        f"the template of {label} could not be rendered: {_short(reason)}", input_id=input_id
    )


def _short(text: str) -> str:
    line = re.sub(r"\s+", " ", text).strip()
    return line if len(line) <= _REASON_CHARS else line[: _REASON_CHARS - 3] + "..."
