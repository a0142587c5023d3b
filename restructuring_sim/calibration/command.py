"""``restructuring-sim calibrate SPEC.toml``: fit free parameters to the paper's moments.

Writes into ``--out`` (default ``<spec folder>/<spec name>/``, e.g.
``experiments/calibration/baseline/``); rerunning continues from the stored database. With
``--executor dask`` (``--dask-workers N`` or ``--scheduler tcp://HOST:8786``, as for ``sweep``)
each point's replicates run on a Dask cluster; the record is the same as on local processes, and
an interrupted cluster calibration resumes as a local one does. Exit 2 with
one line on stderr for a bad spec (unknown parameter, bounds the wrong way round or outside the
field's range, unknown moment, bad budget) or an output folder holding another spec's state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``calibrate`` to the command-line app."""

    @app.command()
    def calibrate(
        spec: Annotated[Path, typer.Argument(help="Calibration spec (TOML).")],
        out: Annotated[Path | None, typer.Option(
            "--out", help="Output folder (default <spec folder>/<name>/; resumed if it holds "
            "this spec).")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or "
                                            "summary.")] = False,
        executor: Annotated[str | None, typer.Option(
            "--executor", help="local (the spec's budget.workers processes; default) or "
            "dask.")] = None,
        dask_workers: Annotated[int | None, typer.Option(
            "--dask-workers", help="dask: start a LocalCluster with N single-threaded "
            "workers.")] = None,
        scheduler: Annotated[str | None, typer.Option(
            "--scheduler", help="dask: address of an existing scheduler, e.g. "
            "tcp://HOST:8786.")] = None,
    ) -> None:
        """Fit SPEC's free parameters to the paper's moments (ABC-SMC, resumable)."""
        from rich.console import Console
        from rich.table import Table

        from restructuring_sim import console as term
        from restructuring_sim.calibration.run import calibrate as run_calibration
        from restructuring_sim.calibration.spec import load_spec
        from restructuring_sim.paper.validate import render_table

        generations = load_spec(spec)[0].budget.generations
        with term.progress_bar("generations", quiet=quiet) as bar:
            task = bar.add_task("calibrate", total=generations)

            def progress(t: int, eps: float, sims: int) -> None:
                if quiet:
                    return
                line = f"generation {t}: epsilon {eps:.4g}, {sims} simulations"
                (term.err_console if bar.disable else bar.console).print(line, highlight=False)
                last = t + 1 >= generations
                bar.update(task, completed=min(t + 1, generations),
                           description="calibrate: check ensemble" if last else "calibrate")

            from restructuring_sim.experiments.executors import cluster_executor

            with cluster_executor(executor, dask_workers, scheduler) as (pool, _):
                result = run_calibration(spec, out, progress, pool)
        if quiet:
            return
        console = Console(width=max(term.console.width, 110))
        check = result["check"]["loss"]
        params = Table(title=f"Calibration {result['name']}: {result['chosen']} "
                       f"(check loss {check if check is None else format(check, '.3g')}; best "
                       f"particle loss {result['loss']:.3g}, generation "
                       f"{result['best_generation']})")
        params.add_column("parameter")
        params.add_column("chosen", justify="right")
        params.add_column("posterior mean", justify="right")
        params.add_column("bounds", justify="right")
        for key, value in result["parameters"].items():
            lo, hi = result["bounds"][key]
            params.add_row(key, f"{value:.4g}", f"{result['posterior_mean'][key]:.4g}",
                           f"{lo:g} - {hi:g}")
        console.print(params)
        console.print(render_table(result["table"], f"Chosen parameters, check ensemble "
                                   f"({result['check']['replicates']} replicates)"))
        console.print(f"record: {result['out']}", highlight=False)
