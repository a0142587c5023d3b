"""Whole-process cost of the command line at scale: `run` from 10,000 to 1,000,000 firms (and
census scale, and optionally 10,000,000), `--help` start-up, and `validate` on local processes
against a Dask cluster.

Every number is a fresh `restructuring-sim` process, timed from start to exit, output files
included, with its peak resident memory (the child's own ``ru_maxrss``, from ``os.wait4``). The
script reports; it does not gate (exit 0 even when a target is missed).

    .venv/bin/python benchmarks/bench_scale.py                   # default rows
    .venv/bin/python benchmarks/bench_scale.py --ten-million     # also 10,000,000 firms (slow)
    RESTRUCTURING_BENCH_10M=1 make bench                         # the same through make
    .venv/bin/python benchmarks/bench_scale.py --sizes 10000 100000 --no-validate  # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from restructuring_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "experiments" / "scenarios" / "baseline.toml"
CLI = Path(sys.executable).with_name("restructuring-sim")

#: issue targets (whole process, output files included)
TARGETS = {
    "help_s": 0.3,
    "default_s": 1.0,  # the baseline at 10,000 firms
    "million_s": 15.0,
    "million_gib": 2.0,
    "growth_100k_1m": 11.0,
    "ten_million_gib": 20.0,
    "dask_overhead": 0.20,
}


def measure(args: list[str], timeout: float) -> dict:
    """Run ``restructuring-sim ARGS`` once; wall seconds, peak MiB and exit status."""
    started = time.perf_counter()
    proc = subprocess.Popen([str(CLI), *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            proc.wait()
            return {"error": f"timeout after {timeout:.0f} s"}
        time.sleep(0.01)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
    proc.returncode = code
    result = {"seconds": seconds, "peak_mib": usage.ru_maxrss / 1024.0, "exit": code}
    if code:
        result["error"] = (stderr.splitlines() or [f"exit {code}"])[-1]
    return result


def best_of(args: list[str], repeat: int, timeout: float) -> dict:
    """The fastest of ``repeat`` runs (the others differ only by the machine's load)."""
    best = None
    for _ in range(max(1, repeat)):
        result = measure(args, timeout)
        if "error" in result:
            return result
        if best is None or result["seconds"] < best["seconds"]:
            best = result
    return best


def run_args(n: int, out: Path, extra: list[str] = ()) -> list[str]:
    return ["run", str(BASELINE), "--seed", "1", "--set", f"simulation.n_firms={n}", *extra,
            "--out", str(out), "--overwrite", "-q"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                        help="firms of the `run` rows")
    parser.add_argument("--census-firms", type=int, default=None,
                        help="firms of the census-scale row (simulation.scale = census; default "
                        "the baseline's simulation.census_firms)")
    parser.add_argument("--no-census", action="store_true", help="skip the census-scale row")
    parser.add_argument("--ten-million", action="store_true",
                        default=bool(os.environ.get("RESTRUCTURING_BENCH_10M")),
                        help="also 10,000,000 firms (tens of minutes; or set "
                        "RESTRUCTURING_BENCH_10M=1)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per row up to 10,000 firms and of --help; the fastest counts")
    parser.add_argument("--no-validate", action="store_true",
                        help="skip validate on local processes against Dask")
    parser.add_argument("--validate-replicates", type=int, default=40,
                        help="replicates of the validate rows (40, as the documented "
                        "'validate --replicates 40': a cluster's start-up is spread over a "
                        "realistic run)")
    parser.add_argument("--validate-firms", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per process")
    parser.add_argument("--json", type=Path, help="also write the raw numbers here")
    args = parser.parse_args(argv)

    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 132)
    results: dict[str, object] = {"cpus": os.cpu_count()}
    notes: list[str] = []
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        console.print("[dim]measuring --help ...[/dim]")
        results["help"] = best_of(["--help"], args.repeat, 60)
        sizes = sorted(set(args.sizes)) + ([10_000_000] if args.ten_million else [])
        for n in sizes:
            console.print(f"[dim]measuring run at {n:,} firms ...[/dim]")
            r = best_of(run_args(n, out), args.repeat if n <= 10_000 else 1, args.timeout)
            results[f"run_{n}"] = r
            rows.append((f"run, {n:,} firms", r))
        if not args.no_census:
            census = args.census_firms or load_scenario(BASELINE).simulation.census_firms
            console.print(f"[dim]measuring run at census scale ({census:,} firms) ...[/dim]")
            census_run = ["run", str(BASELINE), "--seed", "1", "--set", "simulation.scale=census",
                          "--set", f"simulation.census_firms={census}", "--out", str(out),
                          "--overwrite", "-q"]
            r = measure(census_run, args.timeout)
            results["run_census"] = r
            rows.append((f"run, census scale, {census:,} firms", r))
        if not args.no_validate:
            k, n = args.validate_replicates, args.validate_firms
            # an --out folder each: validate keeps its replicates there and would resume from
            # the other executor's
            base = ["validate", str(BASELINE), "-n", str(k), "--set", f"simulation.n_firms={n}",
                    "--json", "--out"]
            console.print(f"[dim]measuring validate, {k} replicates of {n:,} firms, 2 local "
                          "processes ...[/dim]")
            results["validate_local"] = measure(
                [*base, str(Path(tmp) / "validate_local"), "--workers", "2"], args.timeout)
            console.print("[dim]measuring the same on a Dask LocalCluster of 2 workers "
                          "...[/dim]")
            results["validate_dask"] = measure(
                [*base, str(Path(tmp) / "validate_dask"), "--dask-workers", "2"], args.timeout)
            for kind in ("local", "dask"):
                r = results[f"validate_{kind}"]
                if "error" not in r:
                    r["runs_per_minute"] = k * 60.0 / r["seconds"]

    table = Table(title="Whole process, output files included (fresh process per row)")
    for col in ("what", "seconds", "peak MiB"):
        table.add_column(col, justify="right" if col != "what" else "left")
    help_r = results["help"]
    table.add_row("--help", _num(help_r, "seconds", ".2f"), _num(help_r, "peak_mib", ",.0f"))
    for label, r in rows:
        table.add_row(label, _num(r, "seconds", ".2f"), _num(r, "peak_mib", ",.0f"))
    console.print(table)

    if not args.no_validate:
        vt = Table(title=f"validate, {args.validate_replicates} replicates of "
                   f"{args.validate_firms:,} firms, 2 workers (whole process)")
        for col in ("executor", "seconds", "runs per minute", "relative"):
            vt.add_column(col, justify="right" if col != "executor" else "left")
        local, dask = results["validate_local"], results["validate_dask"]
        for label, r in (("local processes", local), ("Dask LocalCluster", dask)):
            rel = (r["runs_per_minute"] / local["runs_per_minute"]
                   if "runs_per_minute" in r and "runs_per_minute" in local else None)
            vt.add_row(label, _num(r, "seconds", ".1f"), _num(r, "runs_per_minute", ".1f"),
                       "-" if rel is None else f"{rel:.2f}")
        console.print(vt)

    targets = Table(title="Targets")
    for col in ("target", "measured", "result"):
        targets.add_column(col)
    for target, measured, ok in _verdicts(results, sizes_measured(results)):
        targets.add_row(target, measured, "n/a" if ok is None else
                        ("[green]pass[/green]" if ok else "[red]FAIL[/red]"))
    console.print(targets)
    for note in notes:
        console.print(f"* {note}")
    console.print(f"{os.cpu_count()} CPUs; timings depend on the machine and its load.")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


def sizes_measured(results: dict) -> dict[int, dict]:
    return {int(k[4:]): v for k, v in results.items() if k.startswith("run_") and k[4:].isdigit()}


def _num(r: dict, key: str, spec: str) -> str:
    if "error" in r:
        return r["error"] if key == "seconds" else "-"
    return format(r[key], spec) if key in r else "-"


def _verdicts(results: dict, runs: dict[int, dict]):
    """(target, measured, pass) rows; pass None where not measured."""
    def ok(r):
        return r is not None and "error" not in r

    help_r = results.get("help")
    yield (f"--help < {TARGETS['help_s']} s",
           f"{help_r['seconds']:.2f} s" if ok(help_r) else "not measured",
           help_r["seconds"] < TARGETS["help_s"] if ok(help_r) else None)
    small = runs.get(10_000)
    yield (f"baseline at 10,000 firms < {TARGETS['default_s']:g} s",
           f"{small['seconds']:.2f} s" if ok(small) else "not measured",
           small["seconds"] < TARGETS["default_s"] if ok(small) else None)
    big = runs.get(1_000_000)
    yield (f"1,000,000 firms < {TARGETS['million_s']:g} s",
           f"{big['seconds']:.1f} s" if ok(big) else "not measured",
           big["seconds"] < TARGETS["million_s"] if ok(big) else None)
    yield (f"1,000,000 firms < {TARGETS['million_gib']:g} GiB",
           f"{big['peak_mib'] / 1024:.2f} GiB" if ok(big) else "not measured",
           big["peak_mib"] / 1024 < TARGETS["million_gib"] if ok(big) else None)
    mid = runs.get(100_000)
    if ok(mid) and ok(big):
        growth = big["seconds"] / mid["seconds"]
        yield (f"100,000 -> 1,000,000 firms grows <= {TARGETS['growth_100k_1m']:g}x",
               f"{growth:.1f}x", growth <= TARGETS["growth_100k_1m"])
    else:
        yield (f"100,000 -> 1,000,000 firms grows <= {TARGETS['growth_100k_1m']:g}x",
               "not measured", None)
    huge = runs.get(10_000_000)
    yield (f"10,000,000 firms completes < {TARGETS['ten_million_gib']:g} GiB",
           (f"{huge['seconds']:.0f} s, {huge['peak_mib'] / 1024:.1f} GiB" if ok(huge)
            else huge["error"] if huge else "not measured (--ten-million)"),
           huge["peak_mib"] / 1024 < TARGETS["ten_million_gib"] if ok(huge)
           else (False if huge else None))
    local, dask = results.get("validate_local"), results.get("validate_dask")
    if ok(local) and ok(dask):
        overhead = local["runs_per_minute"] / dask["runs_per_minute"] - 1.0
        yield (f"Dask overhead for validate <= {TARGETS['dask_overhead']:.0%}",
               f"{overhead:+.0%} ({dask['runs_per_minute']:.1f} vs "
               f"{local['runs_per_minute']:.1f} runs/min)",
               overhead <= TARGETS["dask_overhead"])
    else:
        yield (f"Dask overhead for validate <= {TARGETS['dask_overhead']:.0%}",
               "not measured", None)


if __name__ == "__main__":
    sys.exit(main())
