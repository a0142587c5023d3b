"""The experiment commands of ``restructuring-sim``: ``sweep``, ``compare`` and ``sensitivity``.

:func:`register` adds them to the command-line app. As for every command, a user error exits
with status 2 and one line naming the field, the value and what is allowed; a run that fails is
not a user error: it is recorded, listed in the summary, and the command exits 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from restructuring_sim import console as term
from restructuring_sim.errors import UserError

ExecutorOpt = Annotated[str | None, typer.Option(
    "--executor", help="local (a process pool over every core; default) or dask.")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", min=1, help="local: number of processes (default: every core).")]
DaskWorkersOpt = Annotated[int | None, typer.Option(
    "--dask-workers", help="dask: start a LocalCluster with N single-threaded workers.")]
SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", help="dask: address of an existing scheduler, e.g. tcp://HOST:8786.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")]
SweepOutOpt = Annotated[Path, typer.Option("--out", help="Sweep directory (resumed if it holds "
                                            "this spec).")]


def execute(plan, out: Path, *, executor, workers, dask_workers, scheduler, quiet: bool):
    """Run a plan with a progress bar (rich, with ETA; on a terminal only) and return the sweep
    report."""
    from restructuring_sim.console import progress_bar
    from restructuring_sim.experiments.executors import resolve_kind
    from restructuring_sim.experiments.sweep import run_sweep

    kind = resolve_kind(executor, dask_workers, scheduler)
    with progress_bar("runs", quiet=quiet, transient=False, extra="failed") as bar:
        task = bar.add_task(f"sweep ({kind})", total=plan.n_runs, failed="")

        def progress(done: int, total: int, failed: int) -> None:
            if bar.tasks[task].completed == 0 and done:
                bar.reset(task, total=total, completed=done, failed="")  # ETA over new runs only
            bar.update(task, completed=done, failed=f"{failed} failed" if failed else "")

        return run_sweep(plan, out, executor=kind, workers=workers, dask_workers=dask_workers,
                         scheduler=scheduler, progress=progress)


def print_report(report, console) -> None:
    """Summary of a sweep: runs skipped, run and failed, throughput, and the failed runs."""
    from rich.table import Table

    t = Table(title=f"Sweep summary ({report.out})")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_row("runs in the sweep", f"{report.total:,}")
    t.add_row("already finished (skipped)", f"{report.skipped:,}")
    t.add_row("run now", f"{report.ran:,}")
    t.add_row("failed (all recorded)", f"{len(report.failed):,}")
    if report.ran:
        t.add_row("executor", f"{report.executor} ({report.workers} workers)")
        t.add_row("wall time (s)", f"{report.wall_time_s:.1f}")
        t.add_row("runs per minute", f"{report.runs_per_minute:.1f}")
    t.add_row("results", str(report.out / "results.parquet"))
    console.print(t)
    if report.failed:
        console.print(f"Failed runs ({len(report.failed)}):", highlight=False)
        for key, error in report.failed[:20]:
            console.print(f"  {key}: {error}", markup=False, highlight=False)
        if len(report.failed) > 20:
            console.print(f"  ... and {len(report.failed) - 20} more (see manifest.json)")


def register(app: typer.Typer) -> None:
    """Add ``sweep``, ``compare`` and ``sensitivity`` to the command-line app."""

    @app.command()
    def sweep(
        spec: Annotated[Path, typer.Argument(help="Sweep spec (TOML).")],
        out: SweepOutOpt,
        executor: ExecutorOpt = None,
        workers: WorkersOpt = None,
        dask_workers: DaskWorkersOpt = None,
        scheduler: SchedulerOpt = None,
        quiet: QuietOpt = False,
    ) -> None:
        """Run every point and replicate of SPEC into --out (resumable; results.parquet)."""
        from restructuring_sim.experiments.spec import load_plan

        plan = load_plan(spec)
        report = execute(plan, out, executor=executor, workers=workers,
                         dask_workers=dask_workers, scheduler=scheduler, quiet=quiet)
        if not quiet:
            print_report(report, term.console)
        if report.broken:
            term.err_console.print(
                f"error: {report.broken}; {report.lost} runs not done; rerun the same command "
                "to resume", markup=False, highlight=False)
            raise typer.Exit(1)

    @app.command()
    def compare(
        targets: Annotated[list[Path], typer.Argument(
            help="A sweep directory, or scenario files (the reference: baseline.toml if given, "
                 "else the first; a single file is compared with baseline.toml beside it).")],
        replicates: Annotated[int, typer.Option("--replicates", help="Runs per scenario (scenario "
                                                "files only).")] = 5,
        out: Annotated[Path | None, typer.Option("--out", help="Where scenario runs go (default "
                                                 "runs/compare-<hash>); resumed if it exists.")]
        = None,
        reference: Annotated[str | None, typer.Option(
            "--reference", help="Reference point: a point id or label (default: the baseline "
            "point, else point 0), or a scenario file.")] = None,
        metrics: Annotated[str | None, typer.Option(
            "--metrics", help="Comma-separated metrics (default: the headline metrics).")] = None,
        set_: Annotated[list[str] | None, typer.Option(
            "--set", help="Override applied to every scenario, e.g. simulation.n_firms=1000 "
            "(repeatable).")] = None,
        seed: Annotated[int, typer.Option("--seed", min=0, help="Root seed of the scenario "
                                          "runs.")] = 0,
        plot: Annotated[Path | None, typer.Option("--plot", help="Plot file (default: "
                                                  "<dir>/compare.png).")] = None,
        executor: ExecutorOpt = None,
        workers: WorkersOpt = None,
        dask_workers: DaskWorkersOpt = None,
        scheduler: SchedulerOpt = None,
        quiet: QuietOpt = False,
    ) -> None:
        """Effect sizes against the baseline, with 95% intervals over replicates, and a plot."""
        import pandas as pd

        from restructuring_sim.experiments import compare as cmp
        from restructuring_sim.experiments.metrics import HEADLINE, METRICS
        from restructuring_sim.experiments.store import read_results
        from restructuring_sim.io import write_text

        wanted = [m.strip() for m in metrics.split(",") if m.strip()] if metrics else None
        for m in wanted or []:
            if m not in METRICS:
                raise UserError(f"--metrics {m!r}: unknown; allowed: {', '.join(METRICS)}")
        ref_arg = reference
        if len(targets) == 1 and targets[0].is_dir():
            sweep_dir = targets[0]
            if replicates != 5 or set_:
                raise UserError("--replicates/--set: only with scenario files, not a sweep "
                                "directory")
        else:
            paths, ref_path = _scenario_targets(targets, reference)
            ref_arg = None  # recorded in the manifest as the reference point
            from restructuring_sim.experiments.spec import scenario_plan

            if replicates < 1:
                raise UserError(f"--replicates {replicates}: must be >= 1")
            plan = scenario_plan(paths, replicates, seed, list(wanted or HEADLINE),
                                 list(set_ or []), reference=paths.index(ref_path))
            sweep_dir = out or Path("runs") / f"compare-{plan.spec_hash()[:12]}"
            if not quiet:
                term.err_console.print(f"running {len(paths)} scenarios x {replicates} "
                                      f"replicates into {sweep_dir}", highlight=False)
            execute(plan, sweep_dir, executor=executor, workers=workers,
                    dask_workers=dask_workers, scheduler=scheduler, quiet=quiet)
        table, manifest = read_results(sweep_dir)
        results = table.to_pandas()
        ref = cmp.choose_reference(results, manifest, ref_arg)
        eff = cmp.effects(results, ref, wanted)
        if eff.empty:
            raise UserError(f"{sweep_dir}: nothing to compare (one point, or no finished runs)")
        csv = Path(sweep_dir) / "effects.csv"
        write_text(eff.to_csv(index=False), csv)
        plot_path = cmp.plot_effects(eff, plot or Path(sweep_dir) / "compare.png",
                                     f"effect against {eff['reference'].iloc[0]} "
                                     "(95% interval)")
        failed = results.loc[results["status"] == "failed", "run_key"].nunique()
        term.console.print(
            f"reference: {eff['reference'].iloc[0]}; "
            f"{int(results['replicate'].max()) + 1} replicates per point"
            + (f"; {failed} failed runs left out" if failed else ""), highlight=False)
        with pd.option_context("display.width", 200):
            cmp.print_effects(eff, term.console, f"Effects against the reference ({sweep_dir})")
        recorded = list(dict.fromkeys(results["metric"]))
        term.console.print(cmp.metrics_note(list(dict.fromkeys(eff["metric"])), recorded,
                                           wanted is not None), highlight=False)
        term.console.print(f"table: {csv}\nplot: {plot_path}", highlight=False)

    @app.command()
    def sensitivity(
        spec: Annotated[Path, typer.Argument(help="Sweep spec with design sobol or morris.")],
        out: SweepOutOpt,
        executor: ExecutorOpt = None,
        workers: WorkersOpt = None,
        dask_workers: DaskWorkersOpt = None,
        scheduler: SchedulerOpt = None,
        quiet: QuietOpt = False,
    ) -> None:
        """Run SPEC (if not done) and compute Sobol or Morris indices: a table and a plot."""
        from rich.table import Table

        from restructuring_sim.experiments import sensitivity as sens
        from restructuring_sim.experiments.spec import load_plan
        from restructuring_sim.experiments.store import read_results
        from restructuring_sim.io import write_parquet, write_text

        plan = load_plan(spec)
        sens.check_method(plan, str(spec))
        report = execute(plan, out, executor=executor, workers=workers,
                         dask_workers=dask_workers, scheduler=scheduler, quiet=quiet)
        table, _ = read_results(out)
        indices, notes = sens.analyze(plan, table.to_pandas())
        if indices.empty:
            raise UserError(f"{spec}: no metric could be analysed ({'; '.join(notes)})")
        import pyarrow as pa

        write_text(indices.to_csv(index=False), out / "sensitivity.csv")
        write_parquet(pa.Table.from_pandas(indices, preserve_index=False),
                      out / "sensitivity.parquet")
        plot_path = sens.plot(indices, out / "sensitivity.png")
        if not quiet:
            print_report(report, term.console)
        t = Table(title=f"{plan.spec.design} sensitivity ({out})")
        cols = (["S1", "S1_conf", "ST", "ST_conf"] if plan.spec.design == "sobol"
                else ["mu_star", "mu_star_conf", "sigma"])
        t.add_column("metric / parameter", overflow="fold")
        for c in cols:
            t.add_column(c, justify="right")
        for metric, group in indices.groupby("metric", sort=False):
            t.add_row(f"[bold]{metric}[/bold]", *([""] * len(cols)))
            for r in group.to_dict("records"):
                t.add_row(f"  {r['parameter']}", *(f"{r[c]:.3f}" for c in cols))
        term.console.print(t)
        for note in notes:
            term.console.print(f"note: {note}", highlight=False)
        term.console.print(f"table: {out / 'sensitivity.csv'}\nplot: {plot_path}", highlight=False)


def _scenario_targets(targets: list[Path], reference: str | None) -> tuple[list[Path], Path]:
    """Scenario files to compare and the reference among them."""
    for t in targets:
        if t.is_dir():
            raise UserError(f"{t}: a sweep directory must be the only argument of compare")
        if not t.is_file():
            raise UserError(f"{t}: not found (give a sweep directory or scenario files)")
    paths = [t.resolve() for t in targets]
    if len(paths) == 1:
        base = paths[0].parent / "baseline.toml"
        if paths[0].name == "baseline.toml" or not base.is_file():
            raise UserError(f"{targets[0]}: give a second scenario to compare with (no "
                            "baseline.toml beside it)")
        paths.insert(0, base)
    if len(set(paths)) != len(paths):
        raise UserError("compare: a scenario file is given twice")
    if reference is not None:
        ref = Path(reference).resolve()
        if ref not in paths:
            raise UserError(f"--reference {reference}: not one of the scenario files given")
        return paths, ref
    named = [p for p in paths if p.name == "baseline.toml"]
    return paths, (named[0] if named else paths[0])

