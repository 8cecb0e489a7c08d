"""Finding the simulator scenarios of each action in a test folder, so no test keeps a list.

A scenario of an action is an async test function (`test_...`) of a `test_*.py` file in the
folder whose source names the action by its quoted id (``"release_message"``), as every call of
`run` / `run_action` in those tests does.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path


def scenarios_in(folder: Path, action_ids: Iterable[str]) -> dict[str, list[str]]:
    """`action id -> ["file.py::test_name", ...]` for every action with a scenario in `folder`."""
    wanted = list(action_ids)
    found: dict[str, list[str]] = {}
    for path in sorted(folder.glob("test_*.py")):
        source = path.read_text(encoding="utf-8")
        for node in ast.parse(source).body:
            if not (isinstance(node, ast.AsyncFunctionDef) and node.name.startswith("test_")):
                continue
            text = ast.get_source_segment(source, node) or ""
            for action_id in wanted:
                if f'"{action_id}"' in text:
                    found.setdefault(action_id, []).append(f"{path.name}::{node.name}")
    return found
