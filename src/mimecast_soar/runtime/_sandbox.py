"""The Jinja side of `templates`: the bounded sandbox, rendering under the caps, error mapping.

This module imports jinja2 and is imported only when a text holds Jinja markers. Most runs give
column names and fixed values, never a template, and importing jinja2 (then building the sandbox)
was about a sixth of the time from spawning `mimecast-soar run` to its first request; keeping it
here lets `templates` answer constant texts without loading it (`tests/runtime` checks that).

What the sandbox allows and refuses is described in `templates`; the size checks are `_guards`.
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

_REASON_CHARS = 200
_RANGE_BUDGET: ContextVar[list[int] | None] = ContextVar("_RANGE_BUDGET", default=None)


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


class Sandbox(ImmutableSandboxedEnvironment):
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

    def compile_text(self, text: str, *, input_id: str, label: str) -> Template:
        """`text` compiled; a syntax error (or any other failure) is an `InvalidInputError`."""
        try:
            return self.from_string(text)
        except Exception as exc:
            raise _input_error(exc, label, input_id) from None

    def undeclared_names(self, text: str, *, input_id: str, label: str) -> frozenset[str]:
        """The context names `text` reads, the sandbox's globals (`range`...) excluded."""
        try:
            found = meta.find_undeclared_variables(self.parse(text))
        except Exception as exc:
            raise _input_error(exc, label, input_id) from None
        return frozenset(found - set(self.globals))


def render(template: Template, context: Mapping[str, Any], *, input_id: str, label: str) -> str:
    """One rendering under the output cap and the `range()` budget; failures name the input."""
    token = _RANGE_BUDGET.set([guards.MAX_RANGE_PER_RENDER])
    try:
        return _render_capped(template, context)
    except Exception as exc:  # the sandbox may raise anything a Python operation raises
        raise _input_error(exc, label, input_id) from None
    finally:
        _RANGE_BUDGET.reset(token)


def _render_capped(template: Template, context: Mapping[str, Any]) -> str:
    parts: list[str] = []
    size = 0
    for chunk in template.generate(context):
        size += len(chunk)
        if size > guards.MAX_OUTPUT_CHARS:
            raise guards.LimitError(f"the output exceeds {guards.MAX_OUTPUT_CHARS:,} characters")
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
