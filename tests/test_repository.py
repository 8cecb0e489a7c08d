"""The repository stands alone: what the code cites is inside it, and its section numbers exist.

A clone in any folder must pass the tests, so nothing may point at the team's notes or any other
path outside the repository. Citations of our documents name the file (`docs/mimecast-api.md`) and
often a section (`§7.4`, `§7.2–7.3`, `§2 and §3`); each file and each section must exist, the
section as a numbered heading of that file. Public URLs are fine and are not checked here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEXT_SUFFIXES = {".py", ".md", ".toml", ".txt", ".cfg", ".ini", ".yml", ".yaml", ".json"}
SKIPPED_DIRS = {"__pycache__", "build", "dist", "node_modules"}

# Written so that this file does not match itself: the team notes' folders and the machine's paths.
OUTSIDE = re.compile(r"\.\./shared|/wor[k]/|\bshare[d]/(?:docs|seed)\b")
# A Markdown file named in text, with an optional folder (`docs/`, `benchmarks/`).
MD_NAME = re.compile(r"(?<![\w./-])((?:[\w-]+/)*[\w-]+\.md)\b")
# A citation: the file, then section numbers joined by commas, "and", ranges.
SECTION = r"§\s*\d+(?:\.\d+)*(?:\s*[–-]\s*\d+(?:\.\d+)*)?"
CITATION = re.compile(rf"((?:[\w-]+/)*[\w-]+\.md)((?:[\s,;]*(?:and\s+)?{SECTION})+)", re.MULTILINE)
NUMBER = re.compile(r"\d+(?:\.\d+)*")
HEADING = re.compile(r"^#{1,6}\s+(\d+(?:\.\d+)*)[.\s]", re.MULTILINE)


def repository_files() -> Iterator[Path]:
    """The repository's text files, without virtual environments, caches or build output."""
    for path in sorted(ROOT.rglob("*")):
        parts = path.relative_to(ROOT).parts
        if any(part.startswith(".") or part in SKIPPED_DIRS for part in parts[:-1]):
            continue
        if any(part.endswith(".egg-info") for part in parts):
            continue
        if path.is_file() and (path.suffix in TEXT_SUFFIXES or path.name == "Makefile"):
            yield path


FILES = list(repository_files())
MARKDOWN_BY_NAME: dict[str, list[Path]] = {}
for _path in FILES:
    if _path.suffix == ".md":
        MARKDOWN_BY_NAME.setdefault(_path.name, []).append(_path)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def resolve(name: str, cited_in: Path) -> Path | None:
    """The document a mention names: a path from the root or the citing folder, else by name."""
    if "/" in name:
        for base in (ROOT, cited_in.parent):
            if (base / name).is_file():
                return base / name
        return None
    if (cited_in.parent / name).is_file():
        return cited_in.parent / name
    found = MARKDOWN_BY_NAME.get(name, [])
    return found[0] if len(found) == 1 else (ROOT / "docs" / name if found else None)


def section_numbers(references: str) -> list[str]:
    """Every number in `§7.2–7.3, §2 and §3`: each end of a range is checked."""
    return NUMBER.findall(references)


def headings(path: Path) -> set[str]:
    return set(HEADING.findall(read(path)))


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_scan_sees_the_code_and_the_documents() -> None:
    names = {rel(path) for path in FILES}
    assert {"README.md", "Makefile", "docs/mimecast-api.md", "src/mimecast_soar/cli.py"} <= names
    assert not any(name.startswith((".venv", ".git/")) for name in names)


def test_no_file_points_outside_the_repository() -> None:
    found = [
        f"{rel(path)}:{read(path)[: match.start()].count(chr(10)) + 1}: {match.group(0)}"
        for path in FILES
        for match in OUTSIDE.finditer(read(path))
    ]
    assert not found, "paths outside the repository:\n" + "\n".join(found)


def test_every_markdown_file_named_exists_in_the_repository() -> None:
    missing = [
        f"{rel(path)}: {name}"
        for path in FILES
        for name in MD_NAME.findall(read(path))
        if resolve(name, path) is None
    ]
    assert not missing, "documents named but not in the repository:\n" + "\n".join(missing)


def test_every_cited_section_is_a_heading_of_its_document() -> None:
    missing = []
    for path in FILES:
        for match in CITATION.finditer(read(path)):
            target = resolve(match.group(1), path)
            if target is None:
                missing.append(f"{rel(path)}: {match.group(1)} does not exist")
                continue
            known = headings(target)
            missing += [
                f"{rel(path)}: {match.group(1)} has no section {number}"
                for number in section_numbers(match.group(2))
                if number not in known
            ]
    assert not missing, "citations of sections that do not exist:\n" + "\n".join(missing)


@pytest.mark.parametrize(
    "name",
    ["mimecast-api.md", "architecture.md", "devo-runtime-contract.md", "integration-spec.md"],
)
def test_the_cited_documents_are_in_docs(name: str) -> None:
    assert (ROOT / "docs" / name).is_file()
    assert headings(ROOT / "docs" / name), f"docs/{name} has no numbered sections to cite"


def test_citations_are_found_across_lines_and_ranges() -> None:
    # The forms the code uses: a range, a list, a line break between the file and the section.
    text = (
        "see docs/mimecast-api.md\n§7.8–7.10, and docs/architecture.md §2 and §3; "
        "docs/integration-spec.md §3-4, [gw]"
    )
    cited = [(m.group(1), section_numbers(m.group(2))) for m in CITATION.finditer(text)]
    assert cited == [
        ("docs/mimecast-api.md", ["7.8", "7.10"]),
        ("docs/architecture.md", ["2", "3"]),
        ("docs/integration-spec.md", ["3", "4"]),
    ]
