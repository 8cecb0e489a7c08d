"""One rendering's budget: a deadline, the run's interrupt, and the `range()` items it may use.

A template can loop for long without building anything big (nested `for` over a long text), and
while it renders, the event loop that would hear Ctrl-C is blocked. So the sandbox calls `tick()`
at every loop iteration, call, filter, operator and concatenation: past the deadline it raises
`DeadlineError`; once the run's interrupt event is set (by the CLI's SIGINT handler, which Python
runs between bytecodes even while the loop is busy) it raises `RenderInterrupted`.

The budget of the rendering in progress lives in a context variable, so the checks need no
argument and renderings in other threads or tasks never share one. jinja2-free.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from mimecast_soar.runtime.templates import RenderInterrupted

MAX_RANGE_PER_RENDER = 1_000_000


class DeadlineError(Exception):
    """The rendering ran past its deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"ran longer than {seconds:g} s")
        self.seconds = seconds


class Budget:
    """What one rendering may still spend: time (against `clock`) and `range()` items."""

    __slots__ = ("_clock", "_ends", "interrupt", "range_items", "seconds")

    def __init__(
        self,
        seconds: float,
        interrupt: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self.interrupt = interrupt
        self.range_items = MAX_RANGE_PER_RENDER
        self._clock = clock
        self._ends = clock() + seconds

    def tick(self) -> None:
        """Raise when the run was interrupted or the deadline has passed."""
        if self.interrupt is not None and self.interrupt.is_set():
            raise RenderInterrupted
        if self._clock() > self._ends:
            raise DeadlineError(self.seconds)


_CURRENT: ContextVar[Budget | None] = ContextVar("_CURRENT", default=None)


@contextmanager
def spending(budget: Budget) -> Iterator[Budget]:
    """Make `budget` the one `tick()` and `current()` see while the block runs."""
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def current() -> Budget | None:
    """The budget of the rendering in progress (None outside a rendering)."""
    return _CURRENT.get()


def tick() -> None:
    """Check the current rendering's deadline and interrupt (a no-op outside a rendering)."""
    budget = _CURRENT.get()
    if budget is not None:
        budget.tick()


class Ticking:
    """An iterable that checks the budget before each item: what a template's `for` loops over.

    Keeps `len()` of what it wraps, so `loop.length` does not read the items twice.
    """

    __slots__ = ("_items", "_iterator")

    def __init__(self, items: Any) -> None:
        self._items = items
        self._iterator = iter(items)

    def __iter__(self) -> Ticking:
        return self

    def __next__(self) -> Any:
        tick()
        return next(self._iterator)

    def __len__(self) -> int:
        return len(self._items)
