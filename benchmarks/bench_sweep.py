"""Benchmark of sweep executors: runs per minute of the baseline, local processes vs Dask.

Runs the same sweep (the baseline scenario, ``--runs`` replicates of one point, full metrics) once
with the ``local`` executor (a process pool over ``--workers`` processes) and once on a Dask
LocalCluster of ``--workers`` single-threaded worker processes, each into a fresh temporary
directory. Wall time is end to end, as a user sees it: executor start-up, every run, writing the
run files and the combined results. Prints one table with runs per minute and Dask's overhead
against local (target: at most 20%). The exit status is 0 even when the target is missed (this is
a report, not a test), unless ``--check`` is given.

Usage::

    .venv/bin/python benchmarks/bench_sweep.py             # 200 baseline runs, 2 workers
    .venv/bin/python benchmarks/bench_sweep.py --runs 40 --n-firms 1000   # a quicker look
    .venv/bin/python benchmarks/bench_sweep.py --json sweep.json   # also keep the raw numbers

From another script: ``from bench_sweep import bench; rows = bench(runs=200)`` returns the rows
(one dict per executor) and ``render(rows)`` prints the table.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "experiments" / "scenarios" / "baseline.toml"
TARGET_OVERHEAD = 0.20


def _spec(runs: int, n_firms: int | None) -> str:
    """The sweep: ``runs`` replicates of the baseline (at ``n_firms``, else its own size)."""
    size = "" if n_firms is None else f'"simulation.n_firms" = {n_firms}'
    return f"""
name = "bench"
scenario = "{BASELINE}"
replicates = {runs}
seed = 7
[fixed]
{size}
[parameters]
"policy.safety_net" = [0.5]
"""


def bench(runs: int = 200, n_firms: int | None = None, workers: int = 2) -> list[dict]:
    """Time the sweep with each executor; one row per executor."""
    from restructuring_sim.experiments.spec import load_plan
    from restructuring_sim.experiments.sweep import run_sweep

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        spec = Path(tmp) / "spec.toml"
        spec.write_text(_spec(runs, n_firms), encoding="utf-8")
        plan = load_plan(spec)
        if n_firms is None:  # the baseline's own size, named in the table
            n_firms = int(plan.scenario_data["simulation"]["n_firms"])
        for kind in ("local", "dask"):
            started = time.perf_counter()
            report = run_sweep(plan, Path(tmp) / kind, executor=kind, workers=workers,
                               dask_workers=workers if kind == "dask" else None)
            wall = time.perf_counter() - started
            rows.append(dict(executor=kind, workers=workers, runs=report.ran,
                             failed=len(report.failed), n_firms=n_firms, wall_s=wall,
                             runs_per_minute=60.0 * report.ran / wall))
    local = rows[0]["wall_s"]
    for row in rows:
        row["overhead"] = row["wall_s"] / local - 1.0
    return rows


def render(rows: list[dict]) -> bool:
    """Print the table; return whether Dask's overhead is within the target."""
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"Sweep executors: baseline, {rows[0]['n_firms']:,} firms, 1988-2000, "
                    f"{rows[0]['runs']} runs, {rows[0]['workers']} workers")
    for col in ("executor", "runs", "failed", "wall (s)", "runs / minute", "overhead vs local"):
        t.add_column(col, justify="left" if col == "executor" else "right")
    for r in rows:
        t.add_row(r["executor"], str(r["runs"]), str(r["failed"]), f"{r['wall_s']:.1f}",
                  f"{r['runs_per_minute']:.1f}",
                  "-" if r["executor"] == "local" else f"{100 * r['overhead']:+.1f}%")
    console = Console()
    console.print(t)
    ok = rows[-1]["overhead"] <= TARGET_OVERHEAD
    console.print(f"target: Dask overhead <= {100 * TARGET_OVERHEAD:.0f}%: "
                  f"{'PASS' if ok else 'FAIL'}", highlight=False)
    return ok


def main(argv: list[str] | None = None) -> int:
    """Command line: run the benchmark, print the table, optionally write JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200, help="runs per executor (default 200)")
    ap.add_argument("--n-firms", type=int, default=None,
                    help="firms per run (default: the baseline's own size)")
    ap.add_argument("--workers", type=int, default=2, help="processes / Dask workers (2)")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    ap.add_argument("--check", action="store_true", help="exit 1 if the target is missed")
    args = ap.parse_args(argv)
    rows = bench(args.runs, args.n_firms, args.workers)
    ok = render(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
