"""The whole reliability campaign (`make reliability`): writes docs/reliability.md.

    python -m tests.reliability.campaign [--output docs/reliability.md] [--skip-pytest]
    python -m tests.reliability.hostile_section    # the hostile server section alone, printed

1. Every scenario of the fault matrix (`matrix.SCENARIOS`) with the production retry policy:
   the read pulls 2,000 URL log records in pages of 100 for each of 4 input rows; the release
   table has 500 rows.
2. The load run: 10,000 rows, 4% HTTP 503 and 1% dropped connections, a quota that throttles.
3. The hostile server (`hostile_section`): framing a lax parser would take, interim and
   redirect statuses, decompression bombs, stalls, oversized headers, against a raw socket.
4. The reliability tests in full (``MIMECAST_RELIABILITY=full``): crash safety with real
   processes, the property tests with more examples, abuse, TLS, SOCKS5, the slow matrix tests.

The report has the date, commit and machine in its header; the command exits 1 when any
promise was broken, after writing the report.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.reliability.harness import Outcome, read_config, release_config, run_scenario
from tests.reliability.hostile_section import HostileResult, report_lines, run_cases
from tests.reliability.load import LoadResult, load_problems, run_load
from tests.reliability.matrix import SCENARIOS

from mimecast_soar.sim import SimConfig, SimServer

ROOT = Path(__file__).resolve().parents[2]


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip()


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.node()}, {os.cpu_count()} CPUs ({cpu}), {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def _matrix() -> list[Outcome]:
    outcomes = []
    with SimServer(read_config()) as reader, SimServer(release_config()) as releaser:
        for scenario in SCENARIOS:
            server = reader if scenario.action == "read" else releaser
            outcome = run_scenario(server, scenario)
            status = "ok" if outcome.ok else "BROKEN: " + "; ".join(outcome.problems)
            print(f"{scenario.name:40} {outcome.seconds:6.1f} s  {status}", flush=True)
            outcomes.append(outcome)
    return outcomes


def _load(rows: int) -> tuple[LoadResult, list[str]]:
    with SimServer(SimConfig(seed=43)) as server, tempfile.TemporaryDirectory() as folder:
        result = run_load(server, rows, Path(folder) / "load.jsonl")
    problems = load_problems(result)
    print(f"load {rows} rows: {result.seconds:.1f} s, problems: {problems or 'none'}", flush=True)
    return result, problems


def _hostile() -> list[HostileResult]:
    results = asyncio.run(run_cases())
    for r in results:
        status = "ok" if not r.problems else "BROKEN: " + "; ".join(r.problems)
        print(f"hostile: {r.case.name:35} {status}", flush=True)
    return results


def _pytest() -> tuple[int, str, float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "tests/reliability"],
        cwd=ROOT,
        env={**os.environ, "MIMECAST_RELIABILITY": "full"},
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    summary = lines[-1].strip("= ") if lines else "no output"
    print(f"pytest tests/reliability (full): {summary}", flush=True)
    if done.returncode:
        print(done.stdout[-5000:], done.stderr[-2000:], sep="\n")
    return done.returncode, summary, time.monotonic() - started


def _expectation(outcome: Outcome) -> str:
    expect = outcome.scenario.expect
    if expect == "success":
        return "all rows succeed"
    if expect == "errors":
        return "every row an error row"
    if outcome.scenario.unknown_outcome:
        return "error rows: outcome unknown, not resent"
    return "error rows for the rows hit"


def _report(
    outcomes: list[Outcome],
    load: tuple[LoadResult, list[str]],
    hostile: list[HostileResult],
    tests: tuple[int, str, float] | None,
    seconds: float,
) -> str:
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = " (with uncommitted changes)" if _git("status", "--porcelain", "--", "src") else ""
    lines = [
        "# Reliability campaign",
        "",
        f"Generated by `make reliability` (`python -m tests.reliability.campaign`) on "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, commit {commit}{dirty}, "
        f"machine: {_machine()}. Total time {seconds:.0f} s. Do not edit: regenerate.",
        "",
        "## Fault matrix",
        "",
        "Faults are the simulator's fault rules (`mimecast_soar.sim.faults`) over real HTTP, with "
        "the production retry policy. **read** = Get TTP URL Logs, 4 input rows, each pulling "
        "2,000 records in pages of 100 (80 pages). **release** = Release Message over 500 held "
        "messages, concurrency 8. *Duplicate executions*: releases that reached the simulator's "
        "state more than once (from `/_sim/requests` `executed` flags; the simulator's "
        "`released` count is checked against the distinct ids executed). *Retries seen*: retry "
        "and rate-limit notices the client printed. *Requests*: calls the simulator logged on "
        "the action's path.",
        "",
        "| Fault | Action | Expected | Result | Rows in | Rows out | Error rows | "
        "Duplicate executions | Retries seen | Requests | Time (s) |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for o in outcomes:
        result = "kept" if o.ok else "**BROKEN**"
        lines.append(
            f"| {o.scenario.fault} | {o.scenario.action} | {_expectation(o)} | {result} | "
            f"{o.rows_in} | {o.rows_out} | {o.error_rows} | {o.duplicate_executions} | "
            f"{o.retries_seen} | {o.requests} | {o.seconds:.1f} |"
        )
    lines += ["", "### Error rows seen (one example per kind)", ""]
    for o in outcomes:
        for example in list(o.examples.values())[:2]:
            lines.append(f"- *{o.scenario.name}*: {example[:400]}")
    broken = [o for o in outcomes if not o.ok]
    if broken:
        lines += ["", "### Broken promises", ""]
        lines += [f"- *{o.scenario.name}*: {'; '.join(o.problems)}" for o in broken]
    result, problems = load
    lines += [
        "",
        "## Load",
        "",
        f"Get Policy over {result.rows_in:,} rows (one call each), 4% HTTP 503 and 1% "
        "connections dropped before a response, a quota of 40 calls per 250 ms, concurrency 8, "
        "output streamed to a JSONL file. *Quota pauses*: the client closed its rate gate "
        "because a response said `X-RateLimit-Remaining: 0` (no 429 needed). Memory: resident "
        "set size sampled every 50 ms "
        "(`/proc/self/statm`), peak minus the size before the run.",
        "",
        "| Rows in | Rows out | Error rows | Faults injected | Throttled (429) | "
        "Quota pauses | Requests | RSS growth (MiB) | Time (s) | Result |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        f"| {result.rows_in:,} | {result.rows_out:,} | {result.error_rows} | "
        f"{result.faults_injected} | {result.throttled} | {result.quota_pauses} | "
        f"{result.requests:,} | "
        f"{result.rss_growth_bytes / 2**20:.1f} | {result.seconds:.1f} | "
        f"{'kept' if not problems else '**BROKEN**: ' + '; '.join(problems)} |",
    ]
    lines += ["", *report_lines(hostile)]
    lines += ["", "## Reliability tests in full", ""]
    if tests is None:
        lines.append("Skipped (`--skip-pytest`).")
    else:
        code, summary, test_seconds = tests
        lines.append(
            "`MIMECAST_RELIABILITY=full pytest tests/reliability` (crash safety with killed "
            "processes, property tests at 300 examples, sandbox abuse, TLS, SOCKS5, the matrix "
            f"with short waits): **{summary}** ({'passed' if code == 0 else 'FAILED'}, "
            f"{test_seconds:.0f} s)."
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", default=str(ROOT / "docs" / "reliability.md"))
    parser.add_argument("--skip-pytest", action="store_true")
    parser.add_argument("--load-rows", type=int, default=10_000)
    args = parser.parse_args(argv)
    started = time.monotonic()
    outcomes = _matrix()
    load = _load(args.load_rows)
    hostile = _hostile()
    tests = None if args.skip_pytest else _pytest()
    report = _report(outcomes, load, hostile, tests, time.monotonic() - started)
    Path(args.output).write_text(report, encoding="utf-8")
    print(f"wrote {args.output}")
    failed = any(not o.ok for o in outcomes) or bool(load[1]) or bool(tests and tests[0])
    failed = failed or any(r.problems for r in hostile)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
