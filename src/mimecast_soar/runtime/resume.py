"""Opening the output file, and continuing a run that was interrupted (`run --resume`).

On resume the existing output is read once: a last line cut short by a kill is truncated away,
and the `original_lhub_id` of every complete line marks an input row as done, so it is not
called again. Only line formats (jsonl, devo) can be resumed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO, Any

import orjson

from mimecast_soar.errors import ConfigurationError


def _done_ids(path: Path) -> set[Any]:
    done: set[Any] = set()
    keep = 0
    with path.open("rb") as handle:
        for line in handle:
            if not line.endswith(b"\n"):
                break
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                break
            if isinstance(record, dict) and "original_lhub_id" in record:
                done.add(record["original_lhub_id"])
            keep += len(line)
    if keep != path.stat().st_size:
        with path.open("r+b") as handle:
            handle.truncate(keep)
    return done


def open_output(target: str, *, resume: bool, fmt: str) -> tuple[IO[str], set[Any]]:
    """The stream to write to and, on resume, the ids already done."""
    if target == "-":
        return sys.stdout, set()
    path = Path(target)
    done: set[Any] = set()
    if resume:
        if fmt == "csv":
            raise ConfigurationError("--resume works with the jsonl and devo formats, not csv")
        if path.exists():
            done = _done_ids(path)
    try:
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        stream = path.open("a" if resume else "w", encoding="utf-8", newline="\n")
    except OSError as error:
        raise ConfigurationError(
            f"cannot write {target}: {os.strerror(error.errno or 0)}"
        ) from None
    return stream, done
