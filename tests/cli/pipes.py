"""Running the CLI into a real pipe whose reader stops early, like `mimecast-soar run | head`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from tests.support.secret_scan import SCAN


@dataclass
class CutShort:
    """What the reader got before closing, and how the CLI ended."""

    lines: list[bytes]
    returncode: int
    stderr: str


def read_then_close(args: Sequence[str], lines: int) -> CutShort:
    """Start `mimecast-soar ARGS`, read `lines` lines of its stdout, close the pipe, wait."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mimecast_soar.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    got = [process.stdout.readline() for _ in range(lines)]
    process.stdout.close()  # the reader exits, as `head -n 2` does
    with process.stderr:
        err = process.stderr.read().decode("utf-8", "replace")
    code = process.wait(timeout=60)
    SCAN.text(err, f"stderr of mimecast-soar {' '.join(args[:2])} cut short")
    return CutShort(got, code, err)
