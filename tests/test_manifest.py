"""Every text generated from the specs reads as a Devo admin needs it: no jargon, nothing doubled.

The texts are the manifest (`actions --json`), the Markdown reference (`actions --markdown`,
docs/actions.md) and the platform bundle (`devo bundle`: the module's docstrings and ActionParam
descriptions, its README).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from mimecast_soar.devo.bundle import write_bundle
from mimecast_soar.manifest import manifest, markdown

JARGON = re.compile(r"seed|beyond", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _sentences(text: str) -> list[str]:
    """The sentences of `text`, compared without case, brackets or end marks."""
    folded = (
        re.sub(r"[()\s]+", " ", part).strip(" .").lower() for part in SENTENCE_END.split(text)
    )
    return [sentence for sentence in folded if sentence]


def _manifest_descriptions() -> Iterator[tuple[str, str]]:
    data = manifest()
    for item in data["connection"]:
        yield f"connection {item['id']}", item["description"]
    for action in data["actions"]:
        yield action["id"], action["description"]
        for item in action["inputs"]:
            yield f"{action['id']} {item['id']}", item["description"]


def _bundle_descriptions(module: str) -> Iterator[tuple[str, str]]:
    """The ActionParam/ConnectionParam descriptions and the :param texts of the module."""
    tree = ast.parse(module)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "description" and isinstance(keyword.value, ast.Constant):
                    yield f"{ast.unparse(node.args[0])}", str(keyword.value.value)
        if isinstance(node, ast.FunctionDef):
            doc = ast.get_docstring(node) or ""
            for line in doc.splitlines():
                if line.startswith(":param "):
                    yield f"{node.name} {line.split(':')[1]}", line.split(":", 2)[2]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("bundle")
    write_bundle(folder, wheels=False)
    return {path.name: path.read_text(encoding="utf-8") for path in folder.iterdir()}


def test_no_generated_text_speaks_of_the_seed(bundle: dict[str, str]) -> None:
    texts = {
        "manifest": json.dumps(manifest(), ensure_ascii=False),
        "markdown": markdown(),
        **{f"bundle {name}": text for name, text in bundle.items()},
    }
    for name, text in texts.items():
        found = JARGON.search(text)
        assert found is None, f"{name}: {text[max(0, found.start() - 80) : found.end() + 40]!r}"


def test_no_description_says_a_sentence_twice(bundle: dict[str, str]) -> None:
    described = [*_manifest_descriptions(), *_bundle_descriptions(bundle["mimecast.py"])]
    assert len(described) > 100
    for where, text in described:
        sentences = _sentences(text)
        assert len(sentences) == len(set(sentences)), f"{where}: {text!r}"
        assert text.lower().count("empty means") <= 1, f"{where}: {text!r}"


def test_the_sentence_check_catches_a_doubled_sentence() -> None:
    doubled = "Comma-separated actions. Empty means no filter. (Empty means no filter.)"
    assert len(set(_sentences(doubled))) < len(_sentences(doubled))


def test_the_bundle_carries_the_corrected_texts(bundle: dict[str, str]) -> None:
    module = bundle["mimecast.py"]
    assert "Orders results with the oldest first when true" in module
    assert "the Mimecast ID of the message to look up" in module
    assert "Rejects held messages" in module
    for wrong in ("most recent first. (Default", "Rejects hold the message", "Beyond"):
        assert wrong not in module


def test_docs_actions_md_has_no_doubled_or_internal_text() -> None:
    committed = Path(__file__).resolve().parents[1] / "docs" / "actions.md"
    text = committed.read_text(encoding="utf-8")
    assert JARGON.search(text) is None
    assert "not on the Devo page" in text
