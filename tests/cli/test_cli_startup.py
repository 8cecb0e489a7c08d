"""Start-up: a run whose inputs hold no template never imports jinja2 (nor other heavy modules).

Importing jinja2 and building the sandbox was about a sixth of the time from spawning
`mimecast-soar run` to its first request. Each test runs the real command line in a fresh process
against the session simulator, then reports which heavy modules that process ever loaded; the
runs with a template are the control that shows the probe does see jinja2 when it is loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.cli.conftest import write_jsonl
from tests.support.secret_scan import SCAN
from tests.support.simadmin import SimAdmin

# Modules nothing on the `run` / `devo exec` paths needs when no input holds a template:
# Jinja and our sandbox, the live display (standard error is a pipe here), the simulator's
# server stack, the manifest and code generation of `actions` / `devo bundle`, and httpx (only
# the tests use it; the client runs on aiohttp).
HEAVY = (
    "httpx",
    "jinja2",
    "mimecast_soar.runtime._sandbox",
    "mimecast_soar.runtime._guards",
    "rich",
    "starlette",
    "uvicorn",
    "mimecast_soar.sim",
    "mimecast_soar.manifest",
    "mimecast_soar.devo.codegen",
)

# Runs `mimecast_soar.cli.main` as the console script does, then prints the heavy modules loaded.
PROBE = f"""
import json, sys
from mimecast_soar.cli import main
status = main(sys.argv[1:])
print(json.dumps([name for name in {HEAVY!r} if name in sys.modules]))
sys.exit(status)
"""


def probe(args: Sequence[str], env: Mapping[str, str] | None = None) -> tuple[list[str], str]:
    """Run the CLI with `args` in a fresh process: (heavy modules it loaded, its stderr)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )
    SCAN.text(done.stdout, f"stdout of the start-up probe {' '.join(args[:2])}")
    SCAN.text(done.stderr, f"stderr of the start-up probe {' '.join(args[:2])}")
    assert done.returncode in (0, 3), done.stderr  # finished (3: with error rows)
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded, done.stderr


def run_args(action: str, connection: Path, table: Path, out: Path, *sets: str) -> list[str]:
    """`run ACTION` over `table` into `out`, with `--set` for each of `sets`."""
    args = ["run", action, "--connection", str(connection), "--input", str(table)]
    args += ["--output", str(out)]
    for setting in sets:
        args += ["--set", setting]
    return args


def read_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_template_free_run_loads_no_jinja_and_still_releases(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    held = sim.sim.held_ids()[:2]
    table = write_jsonl(
        tmp_path / "in.jsonl", [{"lhub_id": i, "mid": mid} for i, mid in enumerate(held, 1)]
    )
    out = tmp_path / "out.jsonl"
    loaded, stderr = probe(
        run_args("release_message", conn_file, table, out, "message_id_column=mid")
    )
    assert loaded == []
    assert [row["result"] for row in read_rows(out)] == ["Success", "Success"]
    assert "2 input rows, 2 output rows, 0 error rows" in stderr


def test_constant_texts_in_template_inputs_load_no_jinja(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    """Jinja-kind inputs and parameters given plain texts (braces but no marker) stay constant."""
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": 1}])
    out = tmp_path / "out.jsonl"
    loaded, _ = probe(
        run_args("find_groups", conn_file, table, out, "query={Phishing} %", "source=cloud")
    )
    assert loaded == []
    assert len(read_rows(out)) == 1
    (body,) = sim.bodies("/api/directory/find-groups")
    assert body["data"] == [{"query": "{Phishing} %", "source": "cloud"}]


def test_template_free_devo_exec_loads_no_jinja(sim: SimAdmin, tmp_path: Path) -> None:
    held = sim.sim.held_ids()[:2]
    folder = tmp_path / "input"
    folder.mkdir()
    write_jsonl(folder / "part-00000.json", [{"lhub_id": 7, "id": held[0]}])
    out = tmp_path / "result.json"
    env = {key: str(value) for key, value in sim.server.connection().items()}
    env |= {
        "___message_id_column": "id",
        "__lh_integration_input_data_json_folder_path": str(folder),
        "__lh_integration_output_data_json_file_path": str(out),
    }
    loaded, _ = probe(["devo", "exec", "release_message"], env)
    assert loaded == []
    (line,) = read_rows(out)
    assert line["original_lhub_id"] == 7
    assert json.loads(line["result"])["result"] == "Success"


def test_a_template_input_loads_the_sandbox_and_renders_in_it(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    """The control: the probe sees jinja2 once an input is a template, and the guards hold."""
    rows = [{"lhub_id": 1, "q": "Phishing"}, {"lhub_id": 2, "q": "x"}]
    table = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    query = "query={{ q }}{{ '' if q != 'x' else q * 10**9 }}"
    loaded, _ = probe(run_args("find_groups", conn_file, table, out, query))
    assert {"jinja2", "mimecast_soar.runtime._sandbox", "mimecast_soar.runtime._guards"} <= set(
        loaded
    )
    assert "rich" not in loaded
    first, second = read_rows(out)
    assert first["has_error"] is False
    assert second["has_error"] is True
    assert "the repetition would hold" in second["error"]
    assert [body["data"][0]["query"] for body in sim.bodies("/api/directory/find-groups")] == [
        "Phishing"
    ]


def test_a_template_in_the_connection_file_is_still_rendered(
    sim: SimAdmin, conn_file: Path, tmp_path: Path
) -> None:
    """The connection's own fields may be templates over its reference values."""
    conn = sim.server.connection()
    text = conn_file.read_text(encoding="utf-8")
    text = text.replace(f'base_url = "{conn["base_url"]}"', 'base_url = "{{ sim_url }}"')
    text = text.replace("[reference_values]", f'[reference_values]\nsim_url = "{conn["base_url"]}"')
    templated = tmp_path / "conn-templated.toml"
    templated.write_text(text, encoding="utf-8")
    held = sim.sim.held_ids()[:1]
    table = write_jsonl(tmp_path / "in.jsonl", [{"lhub_id": 1, "mid": held[0]}])
    out = tmp_path / "out.jsonl"
    loaded, _ = probe(run_args("release_message", templated, table, out, "message_id_column=mid"))
    assert "jinja2" in loaded
    assert [row["result"] for row in read_rows(out)] == ["Success"]
