"""Finding the simulator scenarios of each action in a test folder, so no test keeps a list.

A scenario of an action is a test function (`test_...`) of a `test_*.py` file in the folder (or
of the files `pattern` matches) whose source, decorators included, names the action by its quoted
id (``"release_message"``), as every call of `run` / `run_action` / the platform's shim in those
tests does.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path


def scenarios_in(
    folder: Path, action_ids: Iterable[str], pattern: str = "test_*.py"
) -> dict[str, list[str]]:
    """`action id -> ["file.py::test_name", ...]` for every action with a scenario in `folder`."""
    wanted = list(action_ids)
    found: dict[str, list[str]] = {}
    for path in sorted(folder.glob(pattern)):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in ast.parse(source).body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if not node.name.startswith("test_"):
                continue
            first = min([node.lineno, *(item.lineno for item in node.decorator_list)])
            text = "\n".join(lines[first - 1 : node.end_lineno])
            for action_id in wanted:
                if f'"{action_id}"' in text:
                    found.setdefault(action_id, []).append(f"{path.name}::{node.name}")
    return found
