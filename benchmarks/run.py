"""`make bench`: every figure of issue 6, measured side by side in one run.

The simulator runs in its own process (uvicorn on loopback); every client under test is a child
process measured with `os.wait4` (CPU seconds, peak RSS) and through the simulator's request log
(first call to last). Prints one Markdown table and writes it to ``benchmarks/results.md`` with
the date, the commit and the machine.

Environment:
  BENCH_QUICK=1   a smaller run (fewer rows and records, one repetition): a smoke test
  BENCH_RUNS=N    repetitions of the fast measurements (default 3; 1 when quick)
  BENCH_ONLY=...  comma-separated sections to run: release, logs, pull25, quota, overhead
  BENCH_PULL_BASELINE=REF  the git commit whose pull section pull25 compares against (default:
                  the last one that waited for each page; empty: no before measurement)
  BENCH_CLIENT_PYTHONPATH=DIR  run the clients from another source tree (a before/after run);
                  the table is printed only, results.md is left as it is
"""

from __future__ import annotations

import bisect
import io
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import bench_logs
import bench_release
from measure import median, run_measured
from simproc import CLI, ROOT, SimProcess

LATENCY_MS = 25.0
#: The last commit whose log pull fetched a page, then wrote it, then fetched the next.
SEQUENTIAL_PULL_COMMIT = "2edb8f5"
SEED_HELD_MARGIN = 50  # held messages beyond what a run releases


@dataclass(frozen=True)
class Plan:
    """Sizes and repetitions of one bench run."""

    quick: bool
    runs: int
    release_rows: int
    sequential_runs: int  # repetitions of the 25 ms x rows sequential variants
    concurrencies: tuple[int, ...]
    pull_small: int
    pull_large: int
    pull_latency: int  # records of the 25 ms pull (pages of 500)
    large_runs: int
    quota_per_second: int
    quota_windows: int
    overhead_calls: int

    @classmethod
    def from_env(cls) -> Plan:
        """The plan `BENCH_QUICK` and `BENCH_RUNS` ask for."""
        quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
        runs = int(os.environ.get("BENCH_RUNS", "1" if quick else "3"))
        if quick:
            return cls(True, runs, 400, 1, (1, 8, 32), 20_000, 100_000, 20_000, 1, 50, 3, 300)
        return cls(False, runs, 2000, 1, (1, 8, 32), 100_000, 1_000_000, 100_000, 1, 100, 6, 1000)


@dataclass
class Table:
    """The result rows: section, measure, variant, median, ratio, target, verdict."""

    rows: list[tuple[str, ...]] = field(default_factory=list)

    def add(
        self,
        section: str,
        measure: str,
        variant: str,
        value: str,
        ratio: str = "",
        target: str = "",
        met: bool | None = None,
    ) -> None:
        verdict = "" if met is None else ("met" if met else "**missed**")
        self.rows.append((section, measure, variant, value, ratio, target, verdict))
        print(f"  {section} | {measure} | {variant} | {value} | {ratio} | {target} | {verdict}")

    def markdown(self) -> str:
        head = ("Section", "Measure", "Variant", "Median", "Ratio", "Target", "")
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        return "\n".join(lines) + "\n"


def repeat(runs: int, measure: Callable[[], float]) -> float:
    """The median of `runs` measurements."""
    return median([measure() for _ in range(runs)])


def section_release(plan: Plan, work: Path, table: Table) -> None:
    """1. Per-row actions: Release Message over N rows at 25 ms, shim vs devo exec vs run."""
    rows = plan.release_rows
    extra = ["--held", str(rows + SEED_HELD_MARGIN)]
    with SimProcess(work, latency_ms=LATENCY_MS, extra=extra) as sim:
        ids = bench_release.held_ids(sim, rows)
        inputs = bench_release.write_rows(work / "release-input", ids)
        bundle = bench_release.build_bundle(work / "bundle")
        variants = [("shim", 1)]
        variants += [(name, c) for c in plan.concurrencies for name in ("devo exec", "run")]
        results: dict[tuple[str, int], list[bench_release.ReleaseRun]] = {v: [] for v in variants}
        for round_number in range(max(plan.runs, plan.sequential_runs)):
            for name, concurrency in variants:  # interleaved, so drift hits every variant
                limit = plan.sequential_runs if concurrency == 1 else plan.runs
                if round_number >= limit:
                    continue
                run = bench_release.run_variant(
                    sim, name, concurrency, inputs, rows, work, bundle=bundle
                )
                if run.ok_rows != rows or run.error_rows:
                    raise RuntimeError(f"{name} c={concurrency}: {run.ok_rows} ok rows of {rows}")
                results[(name, concurrency)].append(run)
        section = f"1 release x{rows}"
        shim_span = median([r.span_seconds for r in results[("shim", 1)]])
        for (name, concurrency), runs in results.items():
            span = median([r.span_seconds for r in runs])
            bound = rows * LATENCY_MS / 1000 / concurrency
            speedup = shim_span / span
            share = bound / span
            label = "SDK shim (baseline)" if name == "shim" else f"{name} c={concurrency}"
            count = f" ({len(runs)} run{'s' if len(runs) > 1 else ''})"
            target, met = "", None
            if concurrency == 32:
                target, met = "≥20× shim, ≥85% of bound", speedup >= 20 and share >= 0.85
            cpu = median([r.measured.cpu_seconds for r in runs])
            table.add(
                section,
                "span first→last call",
                label + count,
                f"{span:.2f} s (bound {bound:.2f} s; client CPU {cpu:.1f} s)",
                f"{speedup:.1f}× shim; {share:.0%} of bound",
                target,
                met,
            )
        for (name, concurrency), runs in results.items():
            if concurrency not in (1, max(plan.concurrencies)):
                continue
            startup = median([r.startup_seconds for r in runs])
            label = "SDK shim" if name == "shim" else f"{name} c={concurrency}"
            ours = name != "shim"
            table.add(
                section,
                "spawn → first request",
                label,
                f"{startup * 1000:.0f} ms",
                # aiohttp's imports cost about 170 ms here (issue 11 moved the target to 450 ms).
                target="≤ 450 ms" if ours else "",
                met=startup <= 0.45 if ours else None,
            )
    versions = bench_release.version_seconds(5)
    version = median(versions)
    table.add(
        "1 start-up",
        "`mimecast-soar --version`",
        "console script",
        f"{version * 1000:.0f} ms",
        target="< 300 ms",
        met=version < 0.3,
    )


def section_logs(plan: Plan, work: Path, table: Table) -> None:
    """2. Log pull: records/s, peak RSS at a small and a large pull, share of the raw rate."""
    extra = ["--ttp-url-logs", str(plan.pull_large)]
    section = "2 log pull"
    with SimProcess(work, latency_ms=0, extra=extra) as sim:
        found: dict[tuple[str, int], list[bench_logs.PullRun]] = {}
        sizes = ((plan.pull_small, plan.runs), (plan.pull_large, plan.large_runs))
        for size, runs in sizes:
            for _ in range(runs):
                for kind in ("raw", "ours"):
                    found.setdefault((kind, size), []).append(
                        bench_logs.pull(sim, kind, size, work)
                    )
    rss: dict[int, float] = {}
    for size, _ in sizes:
        raw_rate = median([r.records_per_second for r in found[("raw", size)]])
        ours = found[("ours", size)]
        rate = median([r.records_per_second for r in ours])
        rss[size] = median([r.measured.peak_rss_mb for r in ours])
        cpu = median([r.measured.cpu_seconds for r in ours])
        runs_text = f" ({len(ours)} run{'s' if len(ours) > 1 else ''})"
        table.add(section, f"records/s at {size:,}", "raw fetch" + runs_text, f"{raw_rate:,.0f}")
        share = rate / raw_rate
        table.add(
            section,
            f"records/s at {size:,}",
            "`run get_ttp_url_logs`" + runs_text,
            f"{rate:,.0f} (client CPU {cpu:.1f} s)",
            f"{share:.0%} of raw",
            "≥60% of raw",
            share >= 0.6,
        )
    small, large = rss[plan.pull_small], rss[plan.pull_large]
    table.add(section, f"peak RSS at {plan.pull_small:,}", "`run`", f"{small:.0f} MB")
    growth = large / small - 1
    table.add(
        section,
        f"peak RSS at {plan.pull_large:,}",
        "`run`",
        f"{large:.0f} MB",
        f"{growth:+.0%} vs {plan.pull_small:,}",
        "< 150 MB, within 20%",
        large < 150 and abs(growth) <= 0.2,
    )


def export_source(ref: str, target: Path) -> Path | None:
    """The ``src`` tree of commit `ref`, extracted under `target` (None when git cannot)."""
    try:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", ref, "src"], cwd=ROOT, capture_output=True
        )
    except OSError:
        return None
    if archive.returncode != 0:
        return None
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return target / "src"


def section_pull_latency(plan: Plan, work: Path, table: Table) -> None:
    """2b. Log pull at 25 ms per page: records/s against the raw rate, peak RSS before/after.

    A real Mimecast page is further away than loopback: with the latency, a pull that waits for
    each page and then writes it loses the writing time on every page, while one that asks for
    the next page before writing the current one keeps up with the raw fetch. "Before" is the
    same pull run from `SEQUENTIAL_PULL_COMMIT`'s source (`BENCH_PULL_BASELINE` overrides it).
    """
    records = plan.pull_latency
    section = f"2b log pull at {LATENCY_MS:.0f} ms/page"
    ref = os.environ.get("BENCH_PULL_BASELINE", SEQUENTIAL_PULL_COMMIT)
    before_src = export_source(ref, work / "pull-baseline") if ref else None
    kinds: list[tuple[str, Path | None]] = [("raw", None), ("ours", None)]
    if before_src is not None:
        kinds.append(("before", before_src))
    found: dict[str, list[bench_logs.PullRun]] = {kind: [] for kind, _ in kinds}
    extra = ["--ttp-url-logs", str(records)]
    with SimProcess(work, latency_ms=LATENCY_MS, extra=extra) as sim:
        for _ in range(plan.runs):
            for kind, src in kinds:  # interleaved, so drift hits every variant
                run_kind = "raw" if kind == "raw" else "ours"
                found[kind].append(bench_logs.pull(sim, run_kind, records, work, client_src=src))
    runs_text = f" ({plan.runs} run{'s' if plan.runs > 1 else ''})"
    raw_rate = median([r.records_per_second for r in found["raw"]])
    table.add(section, f"records/s at {records:,}", "raw fetch" + runs_text, f"{raw_rate:,.0f}")
    rss = {kind: median([r.measured.peak_rss_mb for r in runs]) for kind, runs in found.items()}
    labels = {"before": f"`run` before ({ref})", "ours": "`run get_ttp_url_logs`"}
    for kind in ("before", "ours"):
        if kind not in found:
            continue
        runs = found[kind]
        rate = median([r.records_per_second for r in runs])
        cpu = median([r.measured.cpu_seconds for r in runs])
        share = rate / raw_rate
        mine = kind == "ours"
        table.add(
            section,
            f"records/s at {records:,}",
            labels[kind] + runs_text,
            f"{rate:,.0f} (client CPU {cpu:.1f} s)",
            f"{share:.0%} of raw",
            "≥95% of raw" if mine else "",
            share >= 0.95 if mine else None,
        )
    for kind in ("before", "ours"):
        if kind not in found:
            continue
        mine = kind == "ours"
        growth = rss["ours"] / rss["before"] - 1 if "before" in rss else None
        table.add(
            section,
            f"peak RSS at {records:,}",
            labels[kind],
            f"{rss[kind]:.0f} MB",
            f"{growth:+.0%} vs before" if mine and growth is not None else "",
            "within 20% of before" if mine else "",
            abs(growth) <= 0.2 if mine and growth is not None else None,
        )


def quota_use(times: list[float], quota: int, window_seconds: float) -> float:
    """How full the quota was kept: calls per sliding window over `quota`, averaged.

    The quota allows at most `quota` calls in any window of `window_seconds`; windows are
    sampled every 10 ms from the first call to the last full window. Bursts of N calls once a
    window and an even N calls per window both score 100%.
    """
    first, last = times[0], times[-1]
    steps = int((last - window_seconds - first) / 0.01)
    if steps < 1:
        return len(times) / quota
    counts = []
    for step in range(steps + 1):
        start = first + step * 0.01
        counts.append(
            bisect.bisect_left(times, start + window_seconds) - bisect.bisect_left(times, start)
        )
    return sum(counts) / len(counts) / quota


def section_quota(plan: Plan, work: Path, table: Table) -> None:
    """3. Quota: achieved call rate as a share of N calls/s; 429s retried, none surfacing."""
    quota = plan.quota_per_second
    rows = quota * plan.quota_windows
    window_ms = 1000
    rule = {"kind": "quota", "limit": quota, "window_ms": window_ms}
    extra = ["--held", str(rows + SEED_HELD_MARGIN)]
    with SimProcess(work, latency_ms=LATENCY_MS, extra=extra) as sim:
        ids = bench_release.held_ids(sim, rows)
        inputs = bench_release.write_rows(work / "quota-input", ids)
        shares, refused, surfaced = [], [], []
        for _ in range(plan.runs):
            run = bench_release.run_variant(sim, "run", 32, inputs, rows, work, faults=[rule])
            executed = [e.time for e in sim.requests(bench_release.RELEASE_PATH) if e.status == 200]
            shares.append(quota_use(executed, quota, window_ms / 1000))
            refused.append(run.statuses.get(429, 0))
            surfaced.append(run.error_rows)
    share = median(shares)
    section = f"3 quota {quota}/s"
    table.add(
        section,
        f"achieved call rate, {rows} rows c=32",
        "`run release_message`",
        f"{share * quota:.1f} calls/s",
        f"{share:.0%} of quota",
        "≥90% of quota",
        share >= 0.9,
    )
    table.add(section, "429s answered (retried)", "`run`", f"{median(refused):.0f}")
    table.add(
        section,
        "429s surfacing as error rows",
        "`run`",
        f"{max(surfaced)}",
        target="0",
        met=max(surfaced) == 0,
    )


def section_overhead(plan: Plan, work: Path, table: Table) -> None:
    """4. Client CPU seconds per 1,000 calls at zero latency, against a plain requests client.

    Each client runs a small and a large table; the difference of their CPU seconds removes the
    start-up cost, leaving the cost of the calls alone.
    """
    small = max(50, plan.overhead_calls // 10)
    large = small + plan.overhead_calls
    extra = ["--held", str(large + SEED_HELD_MARGIN)]
    clients = (("requests", 1), ("run", 1), ("run", 32), ("devo exec", 32))
    with SimProcess(work, latency_ms=0, extra=extra) as sim:
        ids = bench_release.held_ids(sim, large)
        folders = {
            size: bench_release.write_rows(work / f"overhead-{size}", ids[:size])
            for size in (small, large)
        }
        per_call: dict[tuple[str, int], list[float]] = {c: [] for c in clients}
        for _ in range(plan.runs):
            for name, concurrency in clients:
                cpu = {}
                for size, folder in folders.items():
                    run = bench_release.run_variant(sim, name, concurrency, folder, size, work)
                    cpu[size] = run.measured.cpu_seconds
                per_call[(name, concurrency)].append((cpu[large] - cpu[small]) / (large - small))
    baseline = median(per_call[("requests", 1)]) * 1000
    for (name, concurrency), values in per_call.items():
        seconds = median(values) * 1000
        label = "plain requests, sequential" if name == "requests" else f"{name} c={concurrency}"
        capped = name != "requests" and concurrency == 32  # issue 11: ≤ 0.4 s at c=32
        table.add(
            "4 client overhead",
            "CPU s per 1,000 calls (0 ms latency)",
            label,
            f"{seconds:.2f} s",
            f"{seconds / baseline:.2f}× requests",
            target="≤ 0.4 s" if capped else "",
            met=seconds <= 0.4 if capped else None,
        )


def git_commit() -> str:
    """The commit, with `+dirty` when the work tree has changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head}{'+dirty' if dirty else ''}" or "unknown"


def machine() -> str:
    """CPU model, logical CPUs, memory and Python."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{memory_kb / 1024 / 1024:.0f} GB"
    except (OSError, ValueError, IndexError):
        memory = "unknown memory"
    return (
        f"{model}, {os.cpu_count()} logical CPUs, {memory}, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


SECTIONS: dict[str, Callable[[Plan, Path, Table], None]] = {
    "release": section_release,
    "logs": section_logs,
    "pull25": section_pull_latency,
    "quota": section_quota,
    "overhead": section_overhead,
}


def main(argv: Sequence[str]) -> int:
    """Run the sections, print the table and write `benchmarks/results.md`."""
    plan = Plan.from_env()
    only = [s for s in os.environ.get("BENCH_ONLY", "").split(",") if s]
    chosen = only or list(SECTIONS)
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        print(f"unknown BENCH_ONLY section(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    if not bench_release.LHUB_PYTHON.exists() and "release" in chosen:
        print("the SDK environment is missing: run `make lhub-env` first", file=sys.stderr)
        return 2
    if run_measured([CLI, "--version"]).returncode != 0:
        print("mimecast-soar is not installed in this environment", file=sys.stderr)
        return 2
    table = Table()
    load_before = os.getloadavg()[0]
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mimecast-bench-") as folder:
        for name in chosen:
            print(f"== {name}", flush=True)
            started = time.monotonic()
            SECTIONS[name](plan, Path(folder), table)
            print(f"   ({time.monotonic() - started:.0f} s)", flush=True)
    elapsed = time.monotonic() - began
    mode = "quick" if plan.quick else "full"
    header = (
        f"# Benchmark results\n\n"
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}\n"
        f"- commit: {git_commit()}\n"
        f"- machine: {machine()}\n"
        f"- load average (1 min) before / after: {load_before:.2f} / {os.getloadavg()[0]:.2f} "
        f"(other work on the machine slows the spans; CPU seconds are less affected)\n"
        f"- run: `make bench` ({mode}; {plan.runs} repetition(s) of the fast measurements, "
        f"medians; {elapsed:.0f} s in all)\n"
        f"- simulator: `mimecast-soar sim` in its own process (uvicorn, loopback), latency "
        f"{LATENCY_MS:.0f} ms for sections 1, 2b and 3, 0 ms for 2 and 4\n\n"
    )
    text = header + table.markdown()
    print()
    print(text)
    client_path = os.environ.get("BENCH_CLIENT_PYTHONPATH")
    if client_path:
        text = text.replace(
            "# Benchmark results\n", f"# Benchmark results (clients from {client_path})\n"
        )
    if not only and not client_path:
        (ROOT / "benchmarks" / "results.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
