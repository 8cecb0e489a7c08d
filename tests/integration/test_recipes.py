"""docs/recipes.md runs as written: every shell command of the page, in order, each step checked.

The fenced `shell` blocks are split into commands (a command ends at a line that neither ends
with `\\` nor leaves a quote open). `mimecast-soar sim ...` starts the simulator in the
background on an ephemeral port (`--port 0` is the only change); every other command runs with
bash in one working folder, the venv's `mimecast-soar` first on PATH. After each command that
writes `--output FILE`, the check registered for FILE looks at its rows and at the simulator.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "recipes.md"
BIN = Path(sys.executable).parent
FENCE = re.compile(r"^```shell\n(.*?)^```", re.S | re.M)

Rows = list[dict[str, Any]]


def commands(markdown: str) -> list[str]:
    """The shell commands of the page's `shell` blocks, in order, comments left out."""
    found: list[str] = []
    for block in FENCE.findall(markdown):
        pending = ""
        for line in block.splitlines():
            if not pending and (not line.strip() or line.lstrip().startswith("#")):
                continue
            pending += line + "\n"
            if pending.rstrip().endswith("\\") or not _complete(pending):
                continue
            found.append(pending.strip())
            pending = ""
        assert not pending, f"unfinished command: {pending!r}"
    return found


def _complete(text: str) -> bool:
    try:
        shlex.split(text, comments=True)
    except ValueError:  # "No closing quotation": the command goes on
        return False
    return True


def output_of(command: str) -> str | None:
    """The `--output FILE` of a `mimecast-soar run` command."""
    words = shlex.split(command.replace("\\\n", " "))
    if words[:2] != ["mimecast-soar", "run"] or "--output" not in words:
        return None
    return words[words.index("--output") + 1]


def _read(path: Path) -> Rows:
    text = path.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@dataclass
class Step:
    """What a check sees: the step's rows, the folder, the simulator and the earlier files."""

    rows: Rows
    folder: Path
    base_url: str

    @classmethod
    def of(cls, name: str, folder: Path, base_url: str) -> Step:
        """The step that wrote `folder/name`."""
        return cls(_read(folder / name), folder, base_url)

    def table(self, name: str) -> Rows:
        """The rows of an earlier step's file."""
        return _read(self.folder / name)

    def state(self) -> dict[str, Any]:
        body: dict[str, Any] = httpx.get(f"{self.base_url}/_sim/state").json()
        return body

    def succeeded(self, at_least: int = 1) -> Rows:
        assert len(self.rows) >= at_least, self.rows
        for row in self.rows:
            assert row["has_error"] is False, row
            assert row["error"] is None, row
        return self.rows


def _decoded(step: Step) -> None:
    [row] = step.succeeded()
    assert row["result"] == "https://www.examp1e-payments.net/login/reset?user=alice"


def _clicks(step: Step) -> None:
    for row in step.succeeded():
        assert (row["scanResult"], row["route"]) == ("malicious", "inbound")
        assert row["messageId"].startswith("<")


def _found(step: Step) -> None:
    rows = step.succeeded(at_least=len(step.table("clicks.jsonl")))
    assert {row["status"] for row in rows if "status" in row} >= {"held", "archived"}
    assert all(row["id"].startswith("eNo") for row in rows if "id" in row)


def _rejected(step: Step, source: str) -> None:
    held = [row["id"] for row in step.table(source) if row.get("status") == "held"]
    assert held
    assert [row["result"] for row in step.succeeded()] == ["Success"] * len(held)


def _policies(step: Step) -> None:
    domains = {row["fromUserEmailAddress"].split("@")[1] for row in step.table("clicks.jsonl")}
    made = {row["data"][0]["policy"]["fromValue"] for row in step.succeeded()}
    assert made == domains
    assert all(row["fail"] == [] for row in step.rows)


def _groups(step: Step) -> None:
    [group] = step.succeeded()
    assert group["description"] == "Blocked Senders"


def _added(step: Step) -> None:
    senders = {row["fromUserEmailAddress"] for row in step.table("clicks.jsonl")}
    assert {row["data"][0]["emailAddress"] for row in step.succeeded()} == senders


def _summary(step: Step) -> None:
    rows = step.succeeded()
    assert "Impersonation Protect" in {row["policyInfo"] for row in rows}
    assert sum(row["numberOfItems"] for row in rows) == step.state()["held"]


def _admin_held(step: Step) -> None:
    [row] = step.succeeded()
    assert row["result"]
    assert {record["route"] for record in row["result"]} == {"INBOUND"}
    assert "Impersonation Protect" in {record["policyInfo"] for record in row["result"]}


def _impersonation(step: Step) -> None:
    for row in step.succeeded():
        assert (row["taggedMalicious"], row["action"]) == (True, "hold")
        assert {"internal_user_name", "similar_internal_domain"} & set(row["identifiers"])


def _impersonation_found(step: Step) -> None:
    assert "held" in {row.get("status") for row in step.succeeded()}


def _impersonators_blocked(step: Step) -> None:
    logs = step.table("impersonation.jsonl")
    rows = step.succeeded(at_least=len(logs))
    assert {row["result"]["type"] for row in rows} == {"block"}
    assert step.state()["managed_senders"] >= len({r["senderAddress"] for r in logs})


def _deleted(step: Step) -> None:
    assert all(row["fail"] == [] for row in step.succeeded(len(step.table("policies.jsonl"))))


def _removed(step: Step) -> None:
    senders = {row["sender"] for row in step.table("senders.jsonl")}
    assert {row["data"][0]["emailAddress"] for row in step.succeeded()} == senders


def _permitted(step: Step) -> None:
    assert {row["result"]["type"] for row in step.succeeded()} == {"permit"}


def _policies_left(step: Step) -> None:
    [row] = step.succeeded()
    gone = {row["data"][0]["id"] for row in step.table("policies.jsonl")}
    assert row["data"]
    assert not gone & {policy["id"] for policy in row["data"]}


def _remediation_clicks(step: Step) -> None:
    assert {row["scanResult"] for row in step.succeeded()} == {"malicious"}


def _delivered(step: Step) -> None:
    rows = step.succeeded()
    asked = {row["messageId"] for row in step.table("clicked-emails.jsonl")}
    assert {row["original_lhub_id"] for row in rows} <= asked
    assert "archived" in {row.get("status") for row in rows}


def _incidents(step: Step) -> None:
    wanted = step.table("to-remediate.jsonl")
    rows = step.succeeded(at_least=len(wanted))
    assert len(rows) == len(wanted)
    assert {row["searchCriteria"]["messageId"] for row in rows} == {r["messageId"] for r in wanted}
    assert all(row["type"] == "manual" and row["identified"] >= 1 for row in rows)


def _blocked_urls(step: Step) -> None:
    clicked = {row["url"] for row in step.table("remediation-clicks.jsonl")}
    rows = step.succeeded(at_least=len(clicked))
    assert len(rows) == len(clicked)
    assert {row["action"] for row in rows} == {"block"}
    assert step.state()["managed_urls"] >= len(clicked)


def _remediated(step: Step) -> None:
    rows = step.succeeded(at_least=len(step.table("incidents.jsonl")))
    assert [row["id"] for row in rows] == [row["id"] for row in step.table("incidents.jsonl")]
    for row in rows:
        assert row["identified"] == row["successful"] + row["failed"] >= 1, row
    assert sum(row["successful"] for row in rows) >= 1


def _unblocked(step: Step) -> None:
    made = [row["id"] for row in step.table("blocked-urls.jsonl")]
    rows = step.succeeded(at_least=len(made))
    assert [row["id"] for row in rows] == made
    assert all(row["deleted"] is True for row in rows)


def _urls_left(step: Step) -> None:
    gone = {row["id"] for row in step.table("blocked-urls.jsonl")}
    rows = step.succeeded()
    assert rows
    assert not gone & {row["id"] for row in rows}


CHECKS: dict[str, Callable[[Step], None]] = {
    "decoded.jsonl": _decoded,
    "clicks.jsonl": _clicks,
    "found.jsonl": _found,
    "rejected.jsonl": lambda step: _rejected(step, "found.jsonl"),
    "policies.jsonl": _policies,
    "groups.jsonl": _groups,
    "added.jsonl": _added,
    "summary.jsonl": _summary,
    "admin-held.jsonl": _admin_held,
    "impersonation.jsonl": _impersonation,
    "impersonation-found.jsonl": _impersonation_found,
    "impersonation-rejected.jsonl": lambda step: _rejected(step, "impersonation-found.jsonl"),
    "impersonators-blocked.jsonl": _impersonators_blocked,
    "deleted.jsonl": _deleted,
    "removed.jsonl": _removed,
    "permitted.jsonl": _permitted,
    "policies-left.jsonl": _policies_left,
    "remediation-clicks.jsonl": _remediation_clicks,
    "delivered.jsonl": _delivered,
    "incidents.jsonl": _incidents,
    "blocked-urls.jsonl": _blocked_urls,
    "remediated.jsonl": _remediated,
    "unblocked.jsonl": _unblocked,
    "managed-urls-left.jsonl": _urls_left,
}


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Start the page's `mimecast-soar sim` line in `tmp_path`; yields (command, base_url)."""
    [command] = [
        c for c in commands(DOC.read_text(encoding="utf-8")) if c.startswith("mimecast-soar sim")
    ]
    connection = (
        tmp_path / shlex.split(command)[shlex.split(command).index("--write-connection") + 1]
    )
    process = subprocess.Popen(
        [*shlex.split(command), "--port", "0"],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while not connection.exists() or "base_url" not in connection.read_text("utf-8"):
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the simulator did not write its connection file"
            time.sleep(0.05)
        base_url = tomllib.loads(connection.read_text("utf-8"))["base_url"]
        yield command, base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def _env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MIMECAST_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_every_command_has_a_check_and_every_check_a_command() -> None:
    outputs = [output_of(c) for c in commands(DOC.read_text(encoding="utf-8"))]
    written = [name for name in outputs if name is not None]
    assert len(written) == len(set(written)), "each step writes its own file"
    assert set(written) == set(CHECKS)


@pytest.mark.skipif(shutil.which("jq") is None, reason="the recipes use jq between steps")
def test_the_recipes_run_as_written_and_each_step_gives_what_the_next_needs(
    simulator: tuple[str, str], tmp_path: Path
) -> None:
    sim_command, base_url = simulator
    ran = []
    for command in commands(DOC.read_text(encoding="utf-8")):
        if command == sim_command:
            continue
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", command],
            cwd=tmp_path,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, f"{command}\n{done.stderr}"
        assert "Traceback" not in done.stderr
        name = output_of(command)
        if name is not None:
            assert "0 error rows" in done.stderr, f"{command}\n{done.stderr}"
            CHECKS[name](Step.of(name, tmp_path, base_url))
            ran.append(name)
    assert ran == list(CHECKS)
