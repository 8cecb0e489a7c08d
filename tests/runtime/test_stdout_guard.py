"""A standard output whose reader went away: `broken`, the run told once, no exception."""

from __future__ import annotations

import os
from pathlib import Path

from mimecast_soar.runtime.stdout_guard import GuardedOutput, is_closed_pipe


def test_a_closed_pipe_marks_the_output_broken_and_drops_later_writes(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    # A duplicate stands in for fd 1: the guard points it at /dev/null once the pipe breaks.
    stream = os.fdopen(os.dup(write_end), "w", encoding="utf-8")
    os.close(write_end)
    told: list[str] = []
    guard = GuardedOutput(stream, on_broken=lambda: told.append("stop"))
    guard.write("first\n")
    guard.flush()
    assert os.read(read_end, 100) == b"first\n"
    os.close(read_end)  # the reader exits, like `head -n 1`
    guard.write("second\n" * 10_000)
    guard.flush()
    guard.write("third\n")
    guard.flush()
    assert guard.broken
    assert not guard.delivered()
    assert told == ["stop"]
    stream.close()  # the final flush goes to /dev/null: no BrokenPipeError


def test_other_os_errors_are_not_taken_for_a_closed_pipe() -> None:
    assert is_closed_pipe(BrokenPipeError())
    assert not is_closed_pipe(OSError(28, "No space left on device"))
    assert not is_closed_pipe(ValueError("x"))
