"""Resource limits for sandboxed templates: what a template may build, checked before it is built.

Jinja's sandbox stops attribute escapes but not a template that asks for a gigabyte
(`'a' * 10**9`, `'%999999999s' % x`, `'x'|center(10**9)`, `lipsum(10**9)`, a `~` or `+` doubled
in a loop, `join` of a huge list). Each check here estimates the size of a result from its
operands and raises `LimitError` (a `SecurityError`) when it would pass the cap of 1 MiB
(`MAX_OUTPUT_CHARS` characters), before the result is built.

Sizes are `weight`s: the characters a value's text takes at least (a list's items count with the
list, an int by its digits), counted only up to the cap, so measuring a shared nested list built
by doubling (`[x, x]` again and again) stops early instead of walking 2**60 items. The checks are a
best effort against accidents and curiosity, not a proof: the output cap, the per-rendering
`range()` budget and the deadline (`_budget`) bound what slips through.

Imports jinja2 (`LimitError` must be a `SecurityError`), so only `_sandbox` imports this module:
a run without templates loads neither.
"""

from __future__ import annotations

import functools
import re
import string
import types
from collections.abc import Callable, Iterable, Mapping, Sized
from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.utils import generate_lorem_ipsum

from mimecast_soar.runtime._budget import tick

MAX_OUTPUT_CHARS = 1 << 20  # 1 MiB of text
MAX_RANGE = 100_000
MAX_INT_BITS = 100_000
_TEXT = (str, bytes)
_COLLECTIONS = (list, tuple, set, frozenset, dict)
_SEQUENCES = (str, bytes, list, tuple)
_NUMBERS_AND_COLLECTIONS = (int, *_COLLECTIONS)
_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill"})


class LimitError(SecurityError):
    """A template asked for more than the sandbox allows (size, range, width)."""


def weight(value: Any, limit: int = MAX_OUTPUT_CHARS) -> int:
    """The characters `str(value)` takes at least, counted up to just past `limit`."""
    total = 0
    stack = [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, _TEXT):
            total += len(item)
        elif isinstance(item, bool) or not isinstance(item, _NUMBERS_AND_COLLECTIONS):
            total += 1
        elif isinstance(item, int):
            total += abs(item).bit_length() * 3 // 10 + 1  # about log10(2) digits per bit
        elif isinstance(item, dict):
            total += len(item) + 2
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            total += len(item) + 2  # a separator per item, the brackets
            stack.extend(item)
    return total


def weights(values: Iterable[Any], limit: int = MAX_OUTPUT_CHARS) -> int:
    """The summed `weight` of `values`, counted up to just past `limit`."""
    total = 0
    for value in values:
        total += weight(value, limit - total)
        if total > limit:
            break
    return total


def check_size(value: Any, what: str = "a value") -> None:
    """Refuse a text or collection whose text would be longer than the output cap (a lone
    number cannot be: `MAX_INT_BITS` bounds it)."""
    if isinstance(value, _TEXT):
        _check_length(len(value), what)
    elif isinstance(value, _COLLECTIONS):
        _check_length(weight(value), what)


def _check_length(length: int, what: str) -> None:
    if length > MAX_OUTPUT_CHARS:
        raise LimitError(
            f"{what} would hold more than the limit of {MAX_OUTPUT_CHARS:,} characters"
        )


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Check `+`, `*`, `**` and `%` before they run."""
    if operator == "+":
        if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            _check_length(weights((left, right)), "the sum")
    elif operator == "*":
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, _SEQUENCES) and isinstance(count, int):
                _check_length(weight(seq) * max(count, 0), "the repetition")
        if isinstance(left, int) and isinstance(right, int):
            _check_bits(abs(left).bit_length() + abs(right).bit_length())
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            _check_bits(abs(left).bit_length() * right)
    elif operator == "%" and isinstance(left, str):
        check_printf(left)
        _check_length(len(left) + weight(right), "the % formatting")


def checked_concat(parts: tuple[Any, ...]) -> str:
    """`~`: the parts as one text, refused before it is built when it would pass the cap."""
    tick()
    size = 0
    for part in parts:
        size += len(part) if type(part) is str else weight(part)
    _check_length(size, "the ~ concatenation")
    return "".join([part if type(part) is str else str(part) for part in parts])


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
        _check_length(len(pattern) + weights((args, kwargs)), "str.format()")
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
        items = args[0]
        _check_length(len(owner) * max(len(items) - 1, 0) + weight(items), "join()")
    elif name == "translate" and args and isinstance(args[0], Mapping):
        longest = max((weight(item) for item in args[0].values()), default=1)
        _check_length(len(owner) * max(longest, 1), "translate()")


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

    def format_(value: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            check_printf(value)
            _check_length(len(value) + weights((args, kwargs)), "format")
        return value

    def join(value: Any, d: Any = "", *_: Any, **__: Any) -> Any:
        if not isinstance(value, Sized):
            value = list(value)
        separators = len(d) * max(len(value) - 1, 0) if isinstance(d, str) else 0
        _check_length(separators + weight(value), "join")
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
    """Every filter checked: the budget ticks, what it is given and what it returns are capped
    (most filters turn their value into text), and some have a guard that runs first."""
    guards = _filter_guards()
    return {name: _guarded(original, guards.get(name)) for name, original in filters.items()}


def _guarded(original: Callable[..., Any], guard: Callable[..., Any] | None) -> Callable[..., Any]:
    # A filter marked pass_eval_context/pass_context takes that object first; `wraps` copies
    # the marker, so Jinja still passes it, and the guard skips it.
    skip = 1 if getattr(original, "jinja_pass_arg", None) is not None else 0

    @functools.wraps(original)
    def filter_checked(*args: Any, **kwargs: Any) -> Any:
        tick()
        for value in args[skip:]:
            check_size(value, "the value given to a filter")
        if guard is not None and len(args) > skip:
            value = guard(*args[skip:], **kwargs)
            args = (*args[:skip], value, *args[skip + 1 :])
        result = original(*args, **kwargs)
        check_size(result, "a filter's result")
        return result

    return filter_checked
