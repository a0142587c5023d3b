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
        """Fit SPEC's free parameters to the paper's moments (ABC-SMC or a design with an
        emulator, resumable)."""
        from rich.console import Console
        from rich.table import Table

        from restructuring_sim import console as term
        from restructuring_sim.calibration.run import calibrate as run_calibration
        from restructuring_sim.calibration.spec import load_spec
        from restructuring_sim.paper.validate import render_table

        budget = load_spec(spec)[0].budget
        design = budget.method == "design"
        total = budget.design_points + budget.refine_points if design else budget.generations
        with term.progress_bar("points" if design else "generations", quiet=quiet) as bar:
            task = bar.add_task("calibrate", total=total)

            def progress(done: int, total: int, line: str | None) -> None:
                if quiet:
                    return
                if line is not None:
                    (term.err_console if bar.disable else bar.console).print(line,
                                                                             highlight=False)
                bar.update(task, completed=min(done, total), total=total,
                           description="calibrate: check ensemble" if done >= total
                           else "calibrate")

            from restructuring_sim.experiments.executors import cluster_executor

            with cluster_executor(executor, dask_workers, scheduler) as (pool, _):
                result = run_calibration(spec, out, progress, pool)
        if quiet:
            return
        console = Console(width=max(term.console.width, 110))
        check = result["check"]["loss"]
        searched = (f"best particle loss {result['loss']:.3g}, generation "
                    f"{result['best_generation']}" if "best_generation" in result
                    else f"best design point loss {result['loss']:.3g}")
        params = Table(title=f"Calibration {result['name']}: {result['chosen']} "
                       f"(check loss {check if check is None else format(check, '.3g')}; "
                       f"{searched})")
        mean = result.get("posterior_mean")
        params.add_column("parameter")
        params.add_column("chosen", justify="right")
        if mean is not None:
            params.add_column("posterior mean", justify="right")
        params.add_column("bounds", justify="right")
        for key, value in result["parameters"].items():
            lo, hi = result["bounds"][key]
            cells = [key, f"{value:.4g}"]
            if mean is not None:
                cells.append(f"{mean[key]:.4g}")
            params.add_row(*cells, f"{lo:g} - {hi:g}")
        console.print(params)
        console.print(render_table(result["table"], f"Chosen parameters, check ensemble "
                                   f"({result['check']['replicates']} replicates)"))
        console.print(f"record: {result['out']}", highlight=False)
