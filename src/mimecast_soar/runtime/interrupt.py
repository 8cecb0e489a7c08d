"""Stopping a run cleanly on Ctrl-C (SIGINT) or when the reader closes standard output.

SIGINT starts no further row; rows in flight get the runner's grace period (0.5 s) to finish,
then are cancelled, and the runner still writes what finished, marking state changes in flight
as of unknown outcome (`TableRunner`). A closed standard output (`GuardedOutput.on_broken`) stops
the run the same way.

The event loop hears SIGINT only between tasks, and a template renders on the loop without
yielding. So a Python-level handler, which runs between bytecodes even then, also sets
`interrupt`, which the template's checks read; the loop still gets the signal (the wakeup fd is
written before any Python handler runs) and sets `stop`.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

import anyio

from mimecast_soar.runtime.stdout_guard import GuardedOutput

_T = TypeVar("_T")


async def run_until_interrupted(
    run: Callable[[anyio.Event, threading.Event], Awaitable[_T]],
    output: GuardedOutput | None = None,
) -> tuple[_T, bool]:
    """`await run(stop, interrupt)` with SIGINT setting both: (its result, interrupted).

    `interrupted` is True when SIGINT stopped the run (not when the output was closed). An
    exception of `run` is raised as itself, not inside an exception group.
    """
    stop = anyio.Event()
    interrupt = threading.Event()

    async def watch_sigint() -> None:
        with anyio.open_signal_receiver(signal.SIGINT) as signals:
            loop_handler = signal.getsignal(signal.SIGINT)

            def on_sigint(signum: int, frame: Any) -> None:
                interrupt.set()
                if callable(loop_handler):
                    loop_handler(signum, frame)

            signal.signal(signal.SIGINT, on_sigint)
            async for _ in signals:
                stop.set()

    if output is not None:
        output.on_broken = stop.set  # a closed standard output stops the run like Ctrl-C
    error: Exception | None = None
    result: _T | None = None
    async with anyio.create_task_group() as group:
        group.start_soon(watch_sigint)
        try:
            result = await run(stop, interrupt)
        except Exception as exc:
            error = exc
        group.cancel_scope.cancel()
    if error is not None:
        raise error
    closed = output is not None and output.broken
    return cast(_T, result), stop.is_set() and not closed
