"""The endpoint declarations: each Mimecast path once, in api/, with a state flag that fits."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

from mimecast_soar.actions import REGISTRY
from mimecast_soar.api import endpoints
from mimecast_soar.api.endpoints import ENDPOINTS, Endpoint
from mimecast_soar.sim.handlers import ROUTES

SRC = Path(endpoints.__file__).resolve().parents[1]
# Mimecast names its read-only operations get-..., find-..., search and decode-...
READ_VERBS = ("get-", "find-", "search", "decode-")


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the string nodes that are docstrings (prose, not paths the code uses)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _api_paths_in_code() -> list[tuple[str, str]]:
    """Every string constant starting with /api/ in src outside the simulator: (file, path)."""
    found = []
    for source in sorted(SRC.rglob("*.py")):
        relative = source.relative_to(SRC).as_posix()
        if relative.startswith("sim/"):
            continue
        tree = ast.parse(source.read_text(encoding="utf-8"))
        prose = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.startswith("/api/")
                and id(node) not in prose
            ):
                found.append((relative, node.value))
    return found


def test_every_mimecast_path_in_the_code_is_written_once_in_api_endpoints() -> None:
    found = _api_paths_in_code()
    assert {file for file, _ in found} == {"api/endpoints.py"}, found
    counts = Counter(path for _, path in found)
    assert [path for path, count in counts.items() if count > 1] == []
    assert set(counts) == {endpoint.path for endpoint in ENDPOINTS}


def test_endpoints_collects_every_declaration_of_the_module() -> None:
    declared = [value for value in vars(endpoints).values() if isinstance(value, Endpoint)]
    assert list(ENDPOINTS) == declared
    assert len({endpoint.path for endpoint in ENDPOINTS}) == len(ENDPOINTS)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.path)
def test_an_endpoint_is_read_only_exactly_when_mimecast_names_a_read(endpoint: Endpoint) -> None:
    operation = endpoint.path.rsplit("/", 1)[-1]
    assert endpoint.mutating is not operation.startswith(READ_VERBS)


def test_every_endpoint_is_used_and_the_simulator_answers_each() -> None:
    used = {endpoint for spec in REGISTRY.values() for endpoint in spec.endpoints}
    assert set(ENDPOINTS) - used == {endpoints.ACCOUNT}  # the connection test's call
    assert {endpoint.path for endpoint in ENDPOINTS} <= set(ROUTES)


def test_only_a_read_only_endpoint_is_paged_and_a_records_key_needs_paging() -> None:
    with pytest.raises(ValueError, match="only a read-only endpoint is paged"):
        Endpoint("/api/x/delete-everything", mutating=True, page_size=100)
    with pytest.raises(ValueError, match="only a read-only endpoint is paged"):
        Endpoint("/api/x/get-nothing", mutating=False, page_size=0)
    with pytest.raises(ValueError, match="records key belongs to a paged endpoint"):
        Endpoint("/api/x/get-things", mutating=False, records_key="things")
    with pytest.raises(ValueError, match="starts with '/'"):
        Endpoint("api/x/get-things", mutating=False)
    assert Endpoint("/api/x/get-things", mutating=False, records_key="things", page_size=5).paged
    assert not endpoints.HOLD_RELEASE.paged
