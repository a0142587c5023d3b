"""The ``restructuring-sim`` command line.

Every user error (bad path, malformed or invalid scenario, occupied output directory) exits with
status 2 and one line on stderr that names the field or path, the value, and what is allowed:
commands raise :class:`~restructuring_sim.errors.UserError` and the command group reports it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from typer.core import TyperGroup

from restructuring_sim.errors import UserError

console = Console()
err_console = Console(stderr=True)


def fail(message: str) -> None:
    """Print a one-line error and exit with status 2."""
    err_console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


class _Commands(TyperGroup):
    """The command group: a :class:`UserError` raised by any command becomes :func:`fail`."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UserError as exc:
            fail(str(exc))


app = typer.Typer(
    cls=_Commands,
    help="Agent-based simulation of global industrial restructuring and small firms.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _group() -> None:
    """Agent-based simulation of global industrial restructuring and small firms."""


SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a scenario value, e.g. policy.trade_openness=0.3 "
                 "(repeatable; TOML syntax for the value)."),
]


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file.")],
    out: Annotated[Path, typer.Option("--out", help="Run directory to write.")],
    seed: Annotated[int | None, typer.Option("--seed", help="Seed (replaces "
                                             "simulation.seed).")] = None,
    set_: SetOption = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace the run in a "
                                            "non-empty --out.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or "
                                        "summary.")] = False,
    report: Annotated[bool, typer.Option("--report", help="Also write OUT/report.html (figures "
                                         "and the comparison with the paper).")] = False,
) -> None:
    """Run SCENARIO and write its run directory (events, firms, network, time series)."""
    from restructuring_sim.runner import prepare_out_dir, run_scenario, summarise
    from restructuring_sim.scenario import load_scenario

    sc = load_scenario(scenario, set_ or [], seed)
    prepare_out_dir(out, overwrite)  # a bad --out fails before the model is set up
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("steps"), TimeRemainingColumn(), console=err_console, transient=True,
        disable=quiet,
    ) as bar:
        task = bar.add_task(f"{sc.name} (seed {sc.simulation.seed})",
                            total=sc.simulation.n_steps)
        model = run_scenario(sc, out, overwrite=overwrite,
                             progress=lambda s: bar.update(task, completed=s))
    if report:
        from restructuring_sim.viz.report import write_report

        write_report(out, out / "report.html")
    if not quiet:
        print_summary(summarise(model.events.to_pandas()), out)
        if report:
            console.print(f"report: {out / 'report.html'}", highlight=False)


def print_summary(summary: dict, out: Path) -> None:
    """Print the summary table of a run."""
    table = Table(title=f"Run summary ({out})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for kind, count in summary["by_kind"].items():
        table.add_row(f"events: {kind}", f"{count:,}")
    table.add_row("alliances involving SMEs (share)", f"{summary['sme_share']:.3f}")
    table.add_row("cross-border alliances (share)", f"{summary['cross_border_share']:.3f}")
    table.add_row("cross-border alliances involving SMEs",
                  f"{summary['cross_border_sme_alliances']:,}")
    console.print(table)


# experiment commands: sweep, compare, sensitivity (restructuring_sim/experiments/commands.py)
from restructuring_sim.experiments.commands import register as _register_experiments  # noqa: E402

_register_experiments(app)

# comparison with the paper: validate (restructuring_sim/paper/validate.py) and calibrate
# (restructuring_sim/calibration/command.py)
from restructuring_sim.calibration.command import register as _register_calibrate  # noqa: E402
from restructuring_sim.paper.validate import register as _register_validate  # noqa: E402

_register_validate(app)
_register_calibrate(app)

# figures: plot, animate, report, dashboard (restructuring_sim/viz/commands.py)
from restructuring_sim.viz.commands import register as _register_viz  # noqa: E402

_register_viz(app)


def main() -> None:
    """Entry point used by ``python -m restructuring_sim``."""
    sys.exit(app())
