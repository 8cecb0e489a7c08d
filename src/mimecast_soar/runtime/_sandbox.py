"""The Jinja side of `templates`: the bounded sandbox, rendering under the caps, error mapping.

This module imports jinja2 and is imported only when a text holds Jinja markers. Most runs give
column names and fixed values, never a template, and importing jinja2 (then building the sandbox)
was about a sixth of the time from spawning `mimecast-soar run` to its first request; keeping it
here lets `templates` answer constant texts without loading it (`tests/runtime` checks that).

What the sandbox allows and refuses is described in `templates`; the size checks are `_guards`,
the deadline and interrupt `_budget`. Two things the sandbox's hooks (`call_binop`, `call`, the
filters) do not see are routed through checks by the code generator: `~` (Jinja joins its parts
directly) and the iterable of each `for` loop, which ticks the budget at every item.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from typing import Any

from jinja2 import ChainableUndefined, Template, TemplateSyntaxError, meta, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace

from mimecast_soar.errors import InvalidInputError
from mimecast_soar.runtime import _budget as budget
from mimecast_soar.runtime import _guards as guards
from mimecast_soar.runtime.templates import CONCEALED, RenderInterrupted, RenderLimits

_REASON_CHARS = 200


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
    spending = budget.current()
    if spending is not None:
        spending.range_items -= len(numbers)
        if spending.range_items < 0:
            raise guards.LimitError("the template iterates over too many range() items")
    return numbers


def _finalize(value: Any) -> Any:
    """Each `{{ ... }}` value, checked before Jinja turns it into text."""
    guards.check_size(value, "the value to output")
    return value


class _CheckedCodeGenerator(CodeGenerator):
    """Jinja's code generator with `~` and `for` iterables routed through the budget's checks."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.checked_concat((")
        for part in node.nodes:
            self.visit(part, frame)
            self.write(", ")
        self.write("))")

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        checked = copy.copy(node)
        ticking = nodes.EnvironmentAttribute("ticking", lineno=node.lineno)
        checked.iter = nodes.Call(ticking, [node.iter], [], None, None, lineno=node.lineno)
        super().visit_For(checked, frame)


class Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox with operators, calls, filters and globals bounded in what they can build."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})
    code_generator_class = _CheckedCodeGenerator
    checked_concat = staticmethod(guards.checked_concat)
    ticking = budget.Ticking

    def __init__(self) -> None:
        super().__init__(
            autoescape=False,
            undefined=_EmptyUndefined,
            keep_trailing_newline=True,
            cache_size=0,
            finalize=_finalize,
        )
        self.globals["range"] = _bounded_range
        self.globals["namespace"] = _CappedNamespace
        self.globals["lipsum"] = guards.bounded_lipsum
        self.filters.update(guards.bounded_filters(self.filters))

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Refuse operations whose result would be too large, and `%` formatting of texts."""
        budget.tick()
        guards.check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Refuse calls that would build a value past the output cap (checked before the text
        methods that pad, replace or join run, and on every result)."""
        budget.tick()
        guards.check_call(__obj, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        guards.check_size(result, "the result of a call")
        return result

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


def render(
    template: Template,
    context: Mapping[str, Any],
    *,
    input_id: str,
    label: str,
    limits: RenderLimits,
    conceal: bool = False,
) -> str:
    """One rendering under the output cap, the `range()` budget and the deadline; failures name
    the input, and with `conceal` (a secret reference value is used) never quote a value."""
    try:
        with budget.spending(budget.Budget(limits.deadline_seconds, limits.interrupt)):
            return _render_capped(template, context)
    except RenderInterrupted:
        raise
    except Exception as exc:  # the sandbox may raise anything a Python operation raises
        raise _input_error(exc, label, input_id, conceal=conceal) from None


def _render_capped(template: Template, context: Mapping[str, Any]) -> str:
    parts: list[str] = []
    size = 0
    for chunk in template.generate(context):
        size += len(chunk)
        if size > guards.MAX_OUTPUT_CHARS:
            raise guards.LimitError(f"the output exceeds {guards.MAX_OUTPUT_CHARS:,} characters")
        parts.append(chunk)
    return "".join(parts)


def _input_error(
    exc: BaseException, label: str, input_id: str, *, conceal: bool = False
) -> InvalidInputError:
    if isinstance(exc, budget.DeadlineError):
        return InvalidInputError(
            f"the template for {label} ran longer than {exc.seconds:g} s", input_id=input_id
        )
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
    elif conceal:  # a Python error's text may quote what the template built from the secret
        reason = f"{type(exc).__name__}, whose message may hold {CONCEALED}"
    else:
        text = str(exc)
        reason = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return InvalidInputError(
        f"the template of {label} could not be rendered: {_short(reason)}", input_id=input_id
    )


def _short(text: str) -> str:
    line = re.sub(r"\s+", " ", text).strip()
    return line if len(line) <= _REASON_CHARS else line[: _REASON_CHARS - 3] + "..."
