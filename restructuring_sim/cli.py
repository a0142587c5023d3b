"""The ``restructuring-sim`` command line.

Every user error (bad path, malformed or invalid scenario, occupied output directory) exits with
status 2 and one line on stderr that names the field or path, the value, and what is allowed:
commands raise :class:`~restructuring_sim.errors.UserError` and the command group reports it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import typer.main
from typer.core import TyperGroup

from restructuring_sim import console as term
from restructuring_sim.console import fail, progress_bar, show_progress
from restructuring_sim.errors import UserError

if TYPE_CHECKING:
    from restructuring_sim.console import console, err_console

__all__ = ["app", "console", "err_console", "fail", "main"]


def __getattr__(name: str):
    """``console`` and ``err_console``: those of :mod:`restructuring_sim.console`, made when
    first asked for (a quiet run does not import rich)."""
    if name in ("console", "err_console"):
        return getattr(term, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Arrow's allocator (the mimalloc of pyarrow's wheels) asks the kernel for transparent huge
#: pages (``madvise(MADV_HUGEPAGE)`` on the 1 GiB arena it reserves at its first allocation).
#: Where the kernel compacts memory to find them (``defrag`` set to ``madvise``, as on the
#: project's machines) every first write to one of them stalls, as with numpy's
#: (:func:`restructuring_sim.memory.small_pages`): at 10,000 firms the run spent 0.14-0.51 s of
#: system time, most of it zeroing and finding huge pages while the firm panel was encoded at
#: the end, against 0.15-0.20 s with small pages. mimalloc reads the switch from the
#: environment when pyarrow is loaded, which no command has done yet when this module is
#: imported; the command's worker processes inherit it. A value already set is kept.
os.environ.setdefault("MIMALLOC_ALLOW_THP", "0")


class _Commands(TyperGroup):
    """The command group: a :class:`UserError` raised by any command becomes :func:`fail`.
    Its commands other than ``run`` are made when first asked for (see :class:`_LazyCommands`).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.commands = _LazyCommands(self.commands, _other_commands)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UserError as exc:
            fail(str(exc))


class _LazyCommands(MutableMapping):
    """The group's commands by name: those made with the group (``run``), and from the first
    time another name is asked for or the names are listed (``--help``, the suggestions for a
    mistyped name) those ``more()`` makes too. A run thus neither imports the other commands'
    modules nor has typer make their click commands (some 0.015-0.02 s of its start)."""

    def __init__(self, commands, more):
        self._commands = dict(commands)
        self._more = more  # None once its commands are in

    def _every(self) -> dict:
        if self._more is not None:
            more, self._more = self._more, None
            self._commands.update(more())
        return self._commands

    def __getitem__(self, name):
        if name in self._commands:
            return self._commands[name]
        return self._every()[name]

    def __setitem__(self, name, command):
        self._every()[name] = command

    def __delitem__(self, name):
        del self._every()[name]

    def __iter__(self):
        return iter(self._every())

    def __len__(self) -> int:
        return len(self._every())


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
    from restructuring_sim._lazy import lasting_imports

    with lasting_imports():
        from restructuring_sim.runner import prepare_out_dir, run_scenario, summarise
        from restructuring_sim.scenario import load_scenario

    sc = load_scenario(scenario, set_ or [], seed)
    prepare_out_dir(out, overwrite)  # a bad --out fails before the model is set up
    with _years_bar(sc, quiet) as step_done:
        model = run_scenario(sc, out, overwrite=overwrite, progress=step_done)
    if report:
        from restructuring_sim.viz.report import write_report

        write_report(out, out / "report.html")
    if not quiet:
        print_summary(summarise(model.events.to_pandas()), out)
        if report:
            term.console.print(f"report: {out / 'report.html'}", highlight=False)


@contextmanager
def _years_bar(sc, quiet: bool):
    """The progress bar of a run, a year at a time: yields the callback that moves it after
    each step, or None when no bar is drawn (:func:`show_progress`), in which case
    ``rich.progress`` is not even imported (some 0.01 s of a quiet run's start)."""
    if not show_progress(quiet):
        yield None
        return
    sim = sc.simulation
    with progress_bar("years") as bar:
        label = f"{sc.name} (seed {sim.seed})"
        task = bar.add_task(f"{label}: building {sim.n_firms:,} firms",
                            total=sim.end_year - sim.start_year + 1)

        def step_done(step: int) -> None:
            done = step // sim.steps_per_year
            what = "writing files" if step >= sim.n_steps else str(sim.start_year + done)
            bar.update(task, completed=done, description=f"{label}: {what}")

        yield step_done


def print_summary(summary: dict, out: Path) -> None:
    """Print the summary table of a run."""
    from rich.table import Table

    table = Table(title=f"Run summary ({out})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for kind, count in summary["by_kind"].items():
        table.add_row(f"events: {kind}", f"{count:,}")
    table.add_row("alliances involving SMEs (share)", f"{summary['sme_share']:.3f}")
    table.add_row("cross-border alliances (share)", f"{summary['cross_border_share']:.3f}")
    table.add_row("cross-border alliances involving SMEs",
                  f"{summary['cross_border_sme_alliances']:,}")
    term.console.print(table)


def _other_commands() -> dict:
    """The click commands that live in their own modules, by name, in the order they are
    registered, made as this app would make them (a Typer app of the same settings). Those
    modules import only :mod:`restructuring_sim.console` at load time (never this module) and
    everything else when their command runs, so ``--help`` loads neither the model nor the
    calibration stack."""
    from restructuring_sim.calibration.command import register as register_calibrate
    from restructuring_sim.experiments.commands import register as register_experiments
    from restructuring_sim.paper.validate import register as register_validate
    from restructuring_sim.viz.commands import register as register_viz

    more = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                       rich_markup_mode=None)
    register_experiments(more)  # sweep, compare, sensitivity
    register_validate(more)  # validate
    register_calibrate(more)  # calibrate
    register_viz(more)  # plot, animate, report, dashboard
    return dict(typer.main.get_group(more).commands)


def main() -> None:
    """Entry point used by ``python -m restructuring_sim``."""
    sys.exit(app())
