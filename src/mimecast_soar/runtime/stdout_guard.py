"""Standard output whose reader may go away (`mimecast-soar run ... | head -n 2`).

Python ignores SIGPIPE, so a write to a pipe whose reader has exited raises `BrokenPipeError`:
from the middle of the runner, or when the interpreter flushes stdout at exit (an "Exception
ignored" message). `GuardedOutput` wraps the stream the writers use: the first broken pipe marks
it `broken`, calls `on_broken` (the CLI stops the run: no further row starts) and points file
descriptor 1 at the null device, so every later write and the final flush succeed quietly. The
journal asks `delivered()` before recording a row as done, so rows lost with the pipe are not.

`EXIT_CLOSED_OUTPUT` (141 = 128 + SIGPIPE) is the status a shell shows for a program the closed
pipe would have killed; `set -o pipefail` scripts can tell it from a failure.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from typing import IO

#: The exit status of a run whose standard output was closed by its reader.
EXIT_CLOSED_OUTPUT = 141


def is_closed_pipe(error: BaseException) -> bool:
    """True for the error of a write into a pipe that has no reader any more."""
    return isinstance(error, BrokenPipeError) or (
        isinstance(error, OSError) and error.errno in (errno.EPIPE, errno.ESHUTDOWN)
    )


def silence_stdout(stream: IO[str]) -> None:
    """Point `stream`'s descriptor at the null device, so later writes and flushes succeed."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, stream.fileno())
        finally:
            os.close(null)
    except (OSError, ValueError):
        pass  # no descriptor (a test's StringIO): nothing will flush to a dead pipe later


class GuardedOutput:
    """A text stream wrapper that turns a closed pipe into `broken` instead of an exception."""

    def __init__(self, stream: IO[str], on_broken: Callable[[], None] | None = None) -> None:
        self.stream = stream
        self.on_broken = on_broken
        self.broken = False

    def delivered(self) -> bool:
        """True while everything written so far could be handed to the reader."""
        return not self.broken

    def _break(self) -> None:
        self.broken = True
        silence_stdout(self.stream)
        if self.on_broken is not None:
            self.on_broken()

    def write(self, text: str) -> int:
        """Write, unless the reader is gone (then the text is dropped)."""
        if self.broken:
            return len(text)
        try:
            return self.stream.write(text)
        except OSError as error:
            if not is_closed_pipe(error):
                raise
            self._break()
            return len(text)

    def flush(self) -> None:
        """Flush, unless the reader is gone."""
        if self.broken:
            return
        try:
            self.stream.flush()
        except OSError as error:
            if not is_closed_pipe(error):
                raise
            self._break()

    def fileno(self) -> int:
        """The wrapped stream's descriptor."""
        return self.stream.fileno()
