"""Resource limits for sandboxed templates: what a template may build, checked before it is built.

Jinja's sandbox stops attribute escapes but not a template that asks for a gigabyte
(`'a' * 10**9`, `'%999999999s' % x`, `'x'|center(10**9)`, `lipsum(10**9)`). Each check here
estimates the size of a result from its operands and raises `LimitError` (a `SecurityError`)
when it would pass the caps. The checks are a best effort against accidents and curiosity, not
a proof: the output cap and the per-rendering `range()` budget bound what slips through.

Imports jinja2 (`LimitError` must be a `SecurityError`), so only `_sandbox` imports this module:
a run without templates loads neither.
"""

from __future__ import annotations

import functools
import re
import string
import types
from collections.abc import Callable, Mapping, Sized
from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.utils import generate_lorem_ipsum

MAX_OUTPUT_CHARS = 5_000_000
MAX_RANGE = 100_000
MAX_RANGE_PER_RENDER = 1_000_000
MAX_INT_BITS = 100_000
_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill"})


class LimitError(SecurityError):
    """A template asked for more than the sandbox allows (size, range, width)."""


def check_size(value: Any) -> None:
    """Refuse a text or collection longer than the output cap."""
    if isinstance(value, str | bytes | list | tuple | dict) and len(value) > MAX_OUTPUT_CHARS:
        raise LimitError(
            f"a value of {len(value):,} items exceeds the limit of {MAX_OUTPUT_CHARS:,}"
        )


def _check_length(length: int, what: str) -> None:
    if length > MAX_OUTPUT_CHARS:
        raise LimitError(
            f"{what} would hold {length:,} characters, over the limit of {MAX_OUTPUT_CHARS:,}"
        )


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Check `*`, `**` and `%` before they run."""
    if operator == "*":
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, str | bytes | list | tuple) and isinstance(count, int):
                _check_length(len(seq) * max(count, 0), "the repetition")
        if isinstance(left, int) and isinstance(right, int):
            _check_bits(abs(left).bit_length() + abs(right).bit_length())
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            _check_bits(abs(left).bit_length() * right)
    elif operator == "%" and isinstance(left, str):
        check_printf(left)


def _check_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise LimitError(
            f"the number would have about {bits:,} bits, over the limit of {MAX_INT_BITS:,}"
        )


def check_printf(pattern: str) -> None:
    """Refuse `%` formatting with a `*` width or a width/precision past the output cap."""
    for match in _PRINTF.finditer(pattern):
        for size in match.groups():
            if size == "*":
                raise LimitError("a '*' width in % formatting is not allowed")
            if size is not None:
                _check_length(int(size), "the % format width")


def check_format_spec(pattern: str) -> None:
    """Refuse `str.format` fields with nested or oversized widths."""
    for _, _, spec, _ in string.Formatter().parse(pattern):
        if not spec:
            continue
        if "{" in spec:
            raise LimitError("a nested width in str.format is not allowed")
        for number in re.findall(r"\d+", spec):
            _check_length(int(number), "the format width")


def checked_format(pattern: str, wrapped: Callable[..., str]) -> Callable[..., str]:
    """`wrapped` (a sandboxed `pattern.format`) with `pattern`'s specs checked first."""

    def format_checked(*args: Any, **kwargs: Any) -> str:
        check_format_spec(pattern)
        return wrapped(*args, **kwargs)

    return format_checked


def check_call(func: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """Check text methods that pad, expand, replace or join before they run."""
    if not isinstance(func, types.BuiltinMethodType):
        return
    owner = func.__self__
    if not isinstance(owner, str | bytes):
        return
    name = func.__name__
    if name in _WIDTH_METHODS:
        width = args[0] if args else kwargs.get("width", 0)
        if isinstance(width, int):
            _check_length(width, f"{name}()")
    elif name == "expandtabs":
        size = args[0] if args else kwargs.get("tabsize", 8)
        if isinstance(size, int):
            tabs = owner.count("\t") if isinstance(owner, str) else owner.count(b"\t")
            _check_length(len(owner) + tabs * size, "expandtabs()")
    elif name == "replace" and len(args) >= 2:
        count = args[2] if len(args) > 2 else kwargs.get("count", -1)
        _check_replace(owner, args[0], args[1], count)
    elif name == "join" and args and isinstance(args[0], Sized):
        _check_length(len(owner) * max(len(args[0]) - 1, 0), "join()")


def _check_replace(text: Any, old: Any, new: Any, count: Any) -> None:
    kind = type(text)
    if kind not in (str, bytes) or type(old) is not kind or type(new) is not kind:
        return
    hits = _occurrences(text, old)
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    _check_length(len(text) + hits * max(len(new) - len(old), 0), "replace()")


def _occurrences(text: Any, old: Any) -> int:
    # An empty `old` matches between every character, and at both ends.
    return int(text.count(old)) if old else len(text) + 1


def bounded_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    """`lipsum()` limited to 100 paragraphs of at most 1,000 words."""
    if n > 100 or max > 1000:
        raise LimitError("lipsum() is limited to 100 paragraphs of at most 1,000 words")
    return generate_lorem_ipsum(n=n, html=html, min=min, max=max)


def _filter_guards() -> dict[str, Callable[..., Any]]:
    # Each guard receives the filter's arguments and returns the value to filter (a generator
    # given to `join` is materialized first, so its length can be checked).
    def center(value: Any, width: Any = 80, *_: Any, **__: Any) -> Any:
        if isinstance(width, int):
            _check_length(width, "center")
        return value

    def indent(value: Any, width: Any = 4, *_: Any, **__: Any) -> Any:
        if isinstance(width, int) and isinstance(value, str):
            _check_length(len(value) + width * (value.count("\n") + 1), "indent")
        return value

    def format_(value: Any, *_: Any, **__: Any) -> Any:
        if isinstance(value, str):
            check_printf(value)
        return value

    def join(value: Any, d: Any = "", *_: Any, **__: Any) -> Any:
        if not isinstance(value, Sized):
            value = list(value)
        if isinstance(d, str):
            _check_length(len(d) * max(len(value) - 1, 0), "join")
        return value

    def replace(value: Any, old: Any = "", new: Any = "", count: Any = None, **__: Any) -> Any:
        _check_replace(str(value), str(old), str(new), count)
        return value

    def batch(value: Any, linecount: Any = 1, *_: Any, **__: Any) -> Any:
        if isinstance(linecount, int) and linecount > MAX_RANGE:
            raise LimitError(f"batch() of {linecount:,} exceeds the limit of {MAX_RANGE:,}")
        return value

    def slice_(value: Any, slices: Any = 1, *_: Any, **__: Any) -> Any:
        if isinstance(slices, int) and slices > MAX_RANGE:
            raise LimitError(f"slice() into {slices:,} exceeds the limit of {MAX_RANGE:,}")
        return value

    return {
        "center": center,
        "indent": indent,
        "format": format_,
        "join": join,
        "replace": replace,
        "batch": batch,
        "slice": slice_,
    }


def bounded_filters(filters: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """Replacements for the built-in filters that could build a huge text or loop for long."""
    bounded: dict[str, Callable[..., Any]] = {}
    for name, guard in _filter_guards().items():
        original = filters.get(name)
        if original is not None:
            bounded[name] = _guarded(original, guard)
    return bounded


def _guarded(original: Callable[..., Any], guard: Callable[..., Any]) -> Callable[..., Any]:
    # A filter marked pass_eval_context/pass_context takes that object first; `wraps` copies
    # the marker, so Jinja still passes it, and the guard skips it.
    skip = 1 if getattr(original, "jinja_pass_arg", None) is not None else 0

    @functools.wraps(original)
    def filter_checked(*args: Any, **kwargs: Any) -> Any:
        if len(args) <= skip:
            return original(*args, **kwargs)
        value = guard(*args[skip:], **kwargs)
        return original(*args[:skip], value, *args[skip + 1 :], **kwargs)

    return filter_checked
