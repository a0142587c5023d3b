"""``restructuring-sim validate``: put runs, or an ensemble of a scenario, beside the paper.

Two forms::

    restructuring-sim validate RUN_DIR [RUN_DIR ...]
    restructuring-sim validate SCENARIO.toml --replicates N [--workers K] [--set KEY=VALUE]
                               [--subsample M] [--executor dask (--dask-workers N | --scheduler
                               tcp://HOST:8786)]

It prints a table (moment, paper, model mean, 90% interval over replicates, tolerance, pass or
fail), or with ``--json`` exactly ``{"moments": [{"name", "paper", "model_mean", "low", "high",
"tolerance", "bound", "rule", "pass"}, ...]}`` on stdout (undefined values as null; ``bound``
is "point" or "upper", ``rule`` the tolerance column of the table). It writes plots
(``annual.png``, ``splits.png``, ``moments.png``), the table (``moments.csv``, ``moments.json``
with the seeds and inputs), the paper's absolute counts beside the run's reported deals scaled to
the census economy (:mod:`restructuring_sim.paper.counts`: printed, and ``counts.csv`` with the
implied census size) and the checks of the paper's statements about the decade's shape
(:mod:`restructuring_sim.paper.shape`: printed below the table, ``shape.csv``, and
``moments.json``'s ``shape``) into ``--out``, by default
``runs/validate/<name>`` (name: the scenario's name, or the first run directory's folder name),
and the alliances of each sector (:mod:`restructuring_sim.paper.sectors`: deals, purpose,
joint-venture, equity, small-firm and motive shares; printed last, and ``sectors.csv``).
With ``--subsample M`` it also estimates how often an ensemble of M replicates would put each
moment, and all at once, within tolerance (a column of the table and of ``moments.csv``,
``pass_chance`` in ``moments.json``'s moments, and its ``subsample``): how far one verdict can be
trusted.
A scenario's replicates run in this process, in ``--workers`` local processes, or on a Dask
cluster (``--executor dask``, as ``sweep`` runs): the same seeds, so the same table on any.
Exit status 0 whether or not the moments pass; 2 on bad input, with one line on stderr.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated

import typer

from restructuring_sim.errors import UserError

DEFAULT_REPLICATES = 10

ExecutorOpt = Annotated[str | None, typer.Option(
    "--executor", help="Scenario: local (this process, or --workers processes; default) or "
    "dask.")]
DaskWorkersOpt = Annotated[int | None, typer.Option(
    "--dask-workers", help="dask: start a LocalCluster with N single-threaded workers.")]
SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", help="dask: address of an existing scheduler, e.g. tcp://HOST:8786.")]
DEFAULT_OUT_ROOT = Path("runs/validate")


def _clean(value):
    """JSON-safe value: NaN and infinities become None, numpy scalars plain Python."""
    if isinstance(value, bool):
        return value
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _records(table) -> list[dict]:
    """A table's rows as JSON-safe dicts."""
    return [{k: _clean(v) for k, v in row.items()} for row in table.to_dict(orient="records")]


def moments_payload(table) -> dict:
    """The ``--json`` document: ``{"moments": [ {name, paper, ..., pass}, ... ]}``."""
    return {"moments": _records(table)}


def _flatten(tree, prefix: str = "") -> dict[str, object]:
    """A nested dict as dotted keys (``policy.matching_subsidy``) and leaf values."""
    if not isinstance(tree, dict):
        return {prefix: tree}
    out: dict[str, object] = {}
    for key, value in tree.items():
        out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def check_same_scenario(inputs: list[Path]) -> None:
    """:class:`UserError` unless every run directory ran the same scenario (its manifest's
    scenario, the seed aside); directories without a manifest are not compared."""
    from restructuring_sim.viz.common import read_manifest

    first: tuple[Path, dict] | None = None
    for path in inputs:
        scenario = read_manifest(path).get("scenario")
        if not scenario:
            continue
        flat = {k: v for k, v in _flatten(scenario).items() if k != "simulation.seed"}
        if first is None:
            first = (path, flat)
            continue
        differ = sorted(k for k in flat.keys() | first[1].keys()
                        if flat.get(k) != first[1].get(k))
        if differ:
            shown = ", ".join(differ[:3]) + (f" and {len(differ) - 3} more" if len(differ) > 3
                                             else "")
            raise UserError(f"validate {path}: ran a different scenario from {first[0]} "
                            f"({shown} differ); one ensemble pools replicates of one scenario "
                            "(pass --allow-mixed to pool them anyway)")


def collect(inputs: list[Path], replicates: int, workers: int, overrides: list[str],
            quiet: bool = True, executor=None, allow_mixed: bool = False,
            out: Path | None = None):
    """Summaries of the runs to compare, and a description of where they came from;
    ``executor``, if given, runs a scenario's replicates (see :func:`run_ensemble`). A
    scenario's finished replicates are kept under ``out`` (default
    ``runs/validate/<name>``) as they arrive, and those kept before are not run again
    (:mod:`restructuring_sim.paper.replicate_store`)."""
    from restructuring_sim.io import make_out_dir
    from restructuring_sim.paper.ensemble import load_run_dir, replicate_seeds, summarise_run
    from restructuring_sim.paper.replicate_store import ReplicateStore
    from restructuring_sim.rundir import read_scenario_section, read_simulation
    from restructuring_sim.scenario import load_scenario

    if replicates < 1:
        raise UserError(f"--replicates {replicates}: must be >= 1")
    if workers < 1:
        raise UserError(f"--workers {workers}: must be >= 1")
    if not inputs:
        raise UserError("validate: give a scenario TOML file or one or more run directories")
    first = inputs[0]
    if _is_scenario(inputs):
        if len(inputs) > 1:
            raise UserError(f"validate {inputs[1]}: a scenario file takes no further inputs; "
                            "give one scenario file or run directories only")
        scenario = load_scenario(first, overrides)
        seeds = replicate_seeds(scenario.simulation.seed, replicates)
        store = ReplicateStore(make_out_dir(out if out is not None
                                            else DEFAULT_OUT_ROOT / scenario.name), scenario)
        summaries = _run_with_progress(scenario, replicates, workers, seeds, quiet, executor,
                                       store)
        source = dict(scenario=str(first), name=scenario.name, overrides=overrides,
                      root_seed=scenario.simulation.seed, seeds=seeds, replicates=replicates,
                      n_firms=scenario.simulation.n_firms, scale=scenario.simulation.scale,
                      census_firms=scenario.simulation.census_firms)
        return summaries, source
    if overrides:
        raise UserError(f"--set {overrides[0]}: only applies to a scenario file, not to run "
                        "directories")
    for path in inputs:
        if path.is_file():
            raise UserError(f"validate {path}: a file; give run directories or one scenario "
                            "TOML file")
    if not allow_mixed:
        check_same_scenario(inputs)
    summaries = []
    for path in inputs:
        events, firms = load_run_dir(path)
        summaries.append(summarise_run(events, firms, label=str(path),
                                       simulation=read_simulation(path),
                                       sector_profiles=read_scenario_section(path, "sectors")))
    source = dict(run_dirs=[str(p) for p in inputs], name=inputs[0].resolve().name,
                  replicates=len(inputs))
    return summaries, source


def _run_with_progress(scenario, replicates: int, workers: int, seeds: list[int], quiet: bool,
                       executor=None, store=None):
    """Run the ensemble with a progress bar on stderr (none when ``quiet``), keeping its
    replicates in ``store`` (see :func:`restructuring_sim.paper.ensemble.run_ensemble`)."""
    from restructuring_sim.console import err_console, progress_bar
    from restructuring_sim.paper.ensemble import run_ensemble

    console = err_console
    done = store.load(seeds) if store is not None else {}  # finished by an earlier run
    if not quiet and not console.is_terminal:  # redirected: a line per replicate instead
        started = time.perf_counter()
        kept = len(done)

        def report(finished: int) -> None:
            if finished <= kept:
                console.print(f"{scenario.name}: {kept} of {replicates} replicates kept from "
                              "an earlier run", highlight=False)
                return
            elapsed = time.perf_counter() - started
            left = elapsed / (finished - kept) * (replicates - finished)
            console.print(f"{scenario.name}: replicate {finished} of {replicates} done, "
                          f"{elapsed:.0f} s so far, about {left:.0f} s left", highlight=False)

        return run_ensemble(scenario, replicates, workers, seeds=seeds, executor=executor,
                            progress=report, done=done, store=store)
    with progress_bar("replicates", quiet=quiet) as bar:
        task = bar.add_task(f"{scenario.name}", total=replicates)
        return run_ensemble(scenario, replicates, workers, seeds=seeds, executor=executor,
                            progress=lambda n: bar.update(task, completed=n), done=done,
                            store=store)


def render_table(table, title: str):
    """A rich table of the comparison."""
    from rich import box
    from rich.table import Table

    from restructuring_sim.paper.figures import load_figures

    moments = load_figures().fittable()
    out = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    out.add_column("moment", no_wrap=True)
    for col in ("paper", "model mean", "90% interval", "tolerance"):
        out.add_column(col, justify="right", no_wrap=True)
    out.add_column("", no_wrap=True)
    chances = "pass_chance" in table
    if chances:
        out.add_column("chance", justify="right", no_wrap=True)
    for row in table.to_dict(orient="records"):
        row = SimpleNamespace(**{k if k != "pass" else "passed": v for k, v in row.items()})
        m = moments[row.name]
        interval = ("n/a" if math.isnan(row.low) else f"{row.low:.3g} - {row.high:.3g}")
        mean = "n/a" if math.isnan(row.model_mean) else f"{row.model_mean:.3g}"
        verdict = "pass" if row.passed else "FAIL"
        cells = [row.name, f"{row.paper:.3g}", mean, interval, m.rule, verdict]
        out.add_row(*cells, *([f"{row.pass_chance:.2f}"] if chances else []))
    return out


def render_shape(statements):
    """A rich table of the paper's statements about the decade (:mod:`.shape`)."""
    from rich import box
    from rich.table import Table

    out = Table(title="The decade's shape (replicates pooled)", box=box.SIMPLE_HEAD,
                pad_edge=False)
    # the statement and its rule wrap in a narrow terminal; the value and the verdict never do
    out.add_column("statement", justify="left", ratio=3)
    out.add_column("model", justify="right", no_wrap=True, min_width=12)
    out.add_column("passes at", justify="right", ratio=1)
    out.add_column("", justify="left", no_wrap=True, min_width=4)
    for row in statements.to_dict(orient="records"):
        value = row["model"]
        formats = {"sme_alliances_rise": "{:+.1%} a year", "services_lead_from": "{:.0f}"}
        shown = ("n/a" if not math.isfinite(value)
                 else formats.get(row["name"], "{:.3g}").format(value))
        out.add_row(row["statement"], shown, row["rule"], "pass" if row["pass"] else "FAIL")
    return out


def _is_scenario(inputs: list[Path]) -> bool:
    """Whether the inputs are one scenario file (else run directories)."""
    return bool(inputs) and (inputs[0].suffix == ".toml" or inputs[0].is_file())


def check_subsample(size: int | None, replicates: int) -> None:
    """Refuse a ``--subsample`` size the ensemble cannot carry, before anything runs."""
    if size is not None and not 1 <= size < replicates:
        raise UserError(f"--subsample {size}: must be at least 1 and below the number of "
                        f"replicates ({replicates}); use five times as many replicates or more")


def subsample_chances(summaries, table, size: int, seed: int) -> dict:
    """Each moment's chance of passing in an ensemble of ``size`` of these replicates (added to
    ``table`` as ``pass_chance``), and the chance that all pass: see
    :func:`restructuring_sim.paper.moments.pass_chances`. Draws come from ``seed``."""
    import numpy as np

    from restructuring_sim.paper.moments import SUBSAMPLE_DRAWS, pass_chances

    chances, all_pass = pass_chances([s.fractions for s in summaries], size,
                                     np.random.default_rng(seed))
    table["pass_chance"] = table["name"].map(chances)
    return {"size": size, "draws": SUBSAMPLE_DRAWS, "seed": seed, "replicates": len(summaries),
            "all_pass": all_pass}


def run_validate(inputs: list[Path], replicates: int, workers: int, as_json: bool,
                 out: Path | None, overrides: list[str], subsample: int | None = None,
                 quiet: bool = False, *, executor: str | None = None,
                 dask_workers: int | None = None, scheduler: str | None = None,
                 dask_processes: bool = True, allow_mixed: bool = False) -> dict:
    """Compare, write the outputs, print the table or JSON; returns the JSON payload (the
    ``--json`` contract: without the ``--subsample`` chances, which go to the files). A progress
    bar of the replicates goes to stderr on a terminal, unless ``quiet``.

    ``executor``, ``dask_workers`` and ``scheduler`` choose what runs a scenario's replicates,
    as for ``sweep`` (see :func:`restructuring_sim.experiments.executors.cluster_executor`);
    the seeds and so the results are the same on any."""
    from rich.console import Console

    from restructuring_sim import console as term
    from restructuring_sim.io import make_out_dir, write_json, write_text
    from restructuring_sim.paper import sectors, shape
    from restructuring_sim.paper.counts import (
        best_single_run_chance,
        count_table,
        implied_census_firms,
        render_counts,
        single_runs,
        write_counts,
    )
    from restructuring_sim.paper.moments import summarise
    from restructuring_sim.paper.plots import write_plots

    check_subsample(subsample, replicates if _is_scenario(inputs) else len(inputs))
    from restructuring_sim.experiments.executors import cluster_executor

    with cluster_executor(executor, dask_workers, scheduler, dask_processes=dask_processes,
                          workers=workers) as (pool, _):
        summaries, source = collect(inputs, replicates, workers, overrides, quiet=quiet,
                                    executor=pool, allow_mixed=allow_mixed, out=out)
    table = summarise([s.fractions for s in summaries])
    by_sector = sectors.sector_table([s.sectors for s in summaries])
    statements = shape.check([s.yearly for s in summaries], [s.tallies for s in summaries],
                             by_sector)
    payload = moments_payload(table)  # stdout's --json: taken before any pass_chance column
    extra = {}
    if subsample is not None:
        extra["subsample"] = subsample_chances(summaries, table, subsample,
                                               source.get("root_seed", 0))
    out = out if out is not None else DEFAULT_OUT_ROOT / source["name"]
    make_out_dir(out)
    # the file's moments carry the pass_chance column subsample_chances added to the table
    write_json({**moments_payload(table), "shape": _records(statements), "source": source,
                **extra}, out / "moments.json")
    write_text(table.to_csv(index=False), out / "moments.csv")
    write_text(statements.to_csv(index=False), out / "shape.csv")
    counts = count_table([s.counts for s in summaries],
                         [s.sampling_fraction for s in summaries])
    implied = implied_census_firms([s.counts for s in summaries],
                                   [s.n_firms for s in summaries])
    write_counts(counts, implied, out)
    singles = single_runs([s.fractions for s in summaries], [s.counts for s in summaries],
                          [s.sampling_fraction for s in summaries])
    write_text(singles.to_csv(index_label="replicate"), out / "single_runs.csv")
    write_text(by_sector.to_csv(), out / "sectors.csv")
    plots = write_plots(summaries, table, out)
    if as_json:
        typer.echo(json.dumps(payload))
    else:
        n = len(summaries)
        passed = int(table["pass"].sum())
        # the table needs ~100 columns, ~110 with the chances
        console = Console(width=max(term.console.width, 120 if extra else 110))
        console.print(render_table(
            table, f"Model ({n} replicate{'s' if n > 1 else ''}) against Sakai (2002)"))
        console.print(f"{passed} of {len(table)} moments within tolerance; plots: "
                          + ", ".join(str(p) for p in plots), highlight=False)
        if extra:
            sub = extra["subsample"]
            console.print(f"All {len(table)} within tolerance in {sub['all_pass']:.0%} of "
                          f"{sub['draws']:,} ensembles of {sub['size']} drawn from these {n} "
                          "replicates (column 'chance')", highlight=False)
        console.print(render_shape(statements))
        console.print(sectors.render(by_sector))
        census = all(s.sampling_fraction == 1.0 for s in summaries)
        console.print(render_counts(counts, census, implied,
                                    min((s.n_firms for s in summaries), default=0)))
        best = best_single_run_chance([s.fractions for s in summaries],
                                      [s.counts for s in summaries],
                                      [s.sampling_fraction for s in summaries], census)
        console.print(_single_runs_line(singles, census, best), highlight=False)
    return payload


def _single_runs_line(singles, census: bool, best: float = math.nan) -> str:
    """One line on the runs taken one by one (``single_runs.csv``): at census scale, how many
    put every moment and every scored count within tolerance; in a sample, every moment; and
    ``best``, the share of runs that could at most, every mean centred in its window at the
    runs' spread (see :func:`restructuring_sim.paper.counts.best_single_run_chance`)."""
    n = len(singles)
    m_lo, m_hi = singles["moments_within"].min(), singles["moments_within"].max()
    line = (f"single runs: {m_lo}-{m_hi} of {singles['moments'].max()} moments within "
            "tolerance")
    if census:
        c_lo, c_hi = singles["counts_within"].min(), singles["counts_within"].max()
        every = int(singles["all_within"].sum())
        line = (f"{line}, {c_lo}-{c_hi} of {singles['counts'].max()} counts; every moment "
                f"and count in {every} of {n} (single_runs.csv)")
    else:
        every = int((singles["moments_within"] == singles["moments"]).sum())
        line = f"{line}; every moment in {every} of {n} (single_runs.csv)"
    if math.isfinite(best):
        line += (f"; at best {best:.0%} of runs, were every mean centred in its window at "
                 "these runs' spread")
    return line


def register(app: typer.Typer) -> None:
    """Add ``validate`` to the command-line app."""

    @app.command()
    def validate(
        inputs: Annotated[list[Path], typer.Argument(
            help="Run directories, or one scenario TOML file to run as an ensemble.")],
        replicates: Annotated[int, typer.Option(
            "--replicates", "-n", help="Scenario: number of replicates (seeds spawned from "
            "simulation.seed).")] = DEFAULT_REPLICATES,
        workers: Annotated[int, typer.Option(
            "--workers", help="Scenario: worker processes (results do not depend on it).")] = 1,
        as_json: Annotated[bool, typer.Option(
            "--json", help="Print the moments as JSON on stdout instead of a table.")] = False,
        out: Annotated[Path | None, typer.Option(
            "--out", help="Directory for plots and the moment table "
            "(default runs/validate/<name>).")] = None,
        set_: Annotated[list[str] | None, typer.Option(
            "--set", help="Scenario: override a value, e.g. simulation.n_firms=1000.")] = None,
        subsample: Annotated[int | None, typer.Option(
            "--subsample", help="Also estimate each moment's chance of passing in an ensemble "
            "of this many replicates, from 2,000 draws of that many of these (give five times "
            "as many replicates or more); written to moments.csv and moments.json.")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
        executor: ExecutorOpt = None,
        dask_workers: DaskWorkersOpt = None,
        scheduler: SchedulerOpt = None,
        allow_mixed: Annotated[bool, typer.Option(
            "--allow-mixed", help="Run directories: pool runs of different scenarios into one "
            "ensemble (refused otherwise).")] = False,
    ) -> None:
        """Compare runs, or an ensemble of SCENARIO, with the paper's figures."""

        run_validate(list(inputs), replicates, workers, as_json, out, list(set_ or []),
                     subsample, quiet=quiet, executor=executor, dask_workers=dask_workers,
                     scheduler=scheduler, allow_mixed=allow_mixed)
