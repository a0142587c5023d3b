"""Ensembles of runs for comparison with the paper: replicate seeds, parallel runs, run dirs.

Replicate ``i`` of a scenario runs with a seed drawn from ``numpy.random.SeedSequence(root)``
(``root`` = ``simulation.seed``) spawned into N children, so the ensemble depends only on the
scenario and N, never on how many worker processes ran it. Each replicate is reduced in its
worker to a :class:`RunSummary` (moments and the small tables the plots need), so little data
crosses process boundaries.
"""

from __future__ import annotations

import sys
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from restructuring_sim.errors import UserError
from restructuring_sim.paper import sectors, shape, trends
from restructuring_sim.paper.figures import load_figures
from restructuring_sim.paper.moments import (
    FIRM_COLUMNS,
    Fraction,
    event_counts,
    replicate_fractions,
    reported_counts,
)
from restructuring_sim.rundir import check_run_dir, read_table

#: files a run directory must hold for validation
REQUIRED_FILES = ("events.parquet", "firms.parquet")


@dataclass
class RunSummary:
    """What the comparison needs from one run."""

    fractions: dict[str, Fraction]  # every moment as (numerator, denominator)
    annual: pd.Series  # cross-border SME alliances per year, 1988-2000
    size_by_group: pd.DataFrame  # SME participations 1995-2000, size class x sector group
    group_by_period: pd.DataFrame  # SME participations, period x sector group
    yearly: pd.DataFrame  # per year of the decade: what the paper's statements need (shape)
    #: counts the statements on sectors, regions and motives need (shape.tallies)
    tallies: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    counts: dict[str, float] = field(default_factory=dict)  # the paper's counts, reported deals
    n_firms: int = 0  # firms at the start (0: unknown)
    sampling_fraction: float = 1.0  # n_firms / census_firms: counts / this speak of the economy
    sectors: pd.DataFrame = field(default_factory=pd.DataFrame)  # deal counts per sector
    label: str = ""
    extra: dict = field(default_factory=dict)


def summarise_run(events: pd.DataFrame, firms: pd.DataFrame | None = None,
                  label: str = "", simulation: dict | None = None,
                  sector_profiles: dict | None = None) -> RunSummary:
    """Reduce one run (event log, optional firm table) to a :class:`RunSummary`: the paper's
    categories of the deals its database would report. ``simulation`` is the run's
    ``simulation`` section (for the sampling fraction of its counts), ``sector_profiles`` its
    ``sectors`` section (for the statements on standards and deregulation,
    :func:`restructuring_sim.paper.shape.milestones`)."""
    fig = load_figures()
    events = trends.paper_deals(events)  # narrowed once for the figures' many filters
    counts = reported_counts(events, fig)
    shown = trends.reported(events)
    sim = simulation or {}
    n_firms = int(sim.get("n_firms", 0))
    census = sim.get("census_firms")
    return RunSummary(
        fractions=replicate_fractions(events, firms, fig, counts=counts),
        annual=trends.annual_counts(shown, fig.years("series")),
        size_by_group=trends.by_size_and_group(shown, fig.years("late")),
        group_by_period=trends.by_group_and_period(
            shown, {"1990-94": fig.years("early"), "1995-2000": fig.years("late")}
        ),
        yearly=shape.yearly(shown, fig.years("decade")),
        tallies=shape.tallies(shown, fig.years("decade"), shape.milestones(sector_profiles)),
        counts=event_counts(events, fig, counts=counts),
        n_firms=n_firms,
        sectors=sectors.sector_counts(events, fig.years("decade")),
        sampling_fraction=n_firms / census if census and n_firms else 1.0,
        label=label,
    )


def replicate_seeds(root_seed: int, replicates: int) -> list[int]:
    """Seeds of ``replicates`` runs, spawned from ``SeedSequence(root_seed)`` (uint32 each)."""
    children = np.random.SeedSequence(int(root_seed)).spawn(int(replicates))
    return [int(child.generate_state(1)[0]) for child in children]


class _KeptColumns:
    """A firm-panel stream (see :meth:`restructuring_sim.model.RestructuringModel.stream_firms`)
    that keeps only ``columns`` of each year's table in memory: at census scale the whole panel
    of a run (some 20 million firm-years) would take several GB in each worker."""

    def __init__(self, columns):
        self.columns = list(columns)
        self.tables: list[pa.Table] = []

    def write(self, table: pa.Table) -> None:
        self.tables.append(table.select(self.columns))

    def frame(self) -> pd.DataFrame:
        return pa.concat_tables(self.tables).to_pandas() if self.tables else pd.DataFrame()


def run_one(scenario_data: dict, seed: int,
            firm_columns=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run one replicate of a scenario (given as plain data) in memory: (events, firms), the
    firm table with only ``firm_columns`` when given."""
    from restructuring_sim.memory import prepare_process
    from restructuring_sim.model import RestructuringModel
    from restructuring_sim.scenario import Scenario

    prepare_process()
    model = RestructuringModel(Scenario.model_validate(scenario_data), seed=seed)
    if firm_columns is None:
        model.run()
        return model.events.to_pandas(), model.firms_table().to_pandas()
    kept = _KeptColumns(firm_columns)
    model.stream_firms(kept)
    model.run()
    return model.events.to_pandas(), kept.frame()


def run_and_summarise(scenario_data: dict, seed: int) -> RunSummary:
    """Run one replicate and reduce it to its summary (the unit of work of a worker)."""
    events, firms = run_one(scenario_data, seed, firm_columns=FIRM_COLUMNS)
    return summarise_run(events, firms, label=f"seed {seed}",
                         simulation=scenario_data.get("simulation"),
                         sector_profiles=scenario_data.get("sectors"))


def run_ensemble(scenario, replicates: int, workers: int = 1, seeds: list[int] | None = None,
                 task=run_and_summarise, progress=None, executor: Executor | None = None, *,
                 done: dict | None = None, store=None) -> list:
    """Run ``replicates`` replicates of ``scenario`` (a Scenario) and return ``task``'s results
    in replicate order; ``workers`` > 1 runs them in a process pool, and ``executor`` (e.g. a
    Dask cluster's, see :func:`restructuring_sim.experiments.executors.cluster_executor`), when
    given, runs them instead. ``progress(done)`` is called as results arrive. ``done``: the
    results of replicates finished before, by seed, which are not run again (see
    :meth:`~restructuring_sim.paper.replicate_store.ReplicateStore.load`); ``store`` keeps each
    new one as it arrives."""
    if replicates < 1:
        raise UserError(f"--replicates {replicates}: must be >= 1")
    if workers < 1:
        raise UserError(f"--workers {workers}: must be >= 1")
    seeds = seeds if seeds is not None else replicate_seeds(scenario.simulation.seed, replicates)
    results = {s: done[s] for s in seeds if s in done} if done else {}
    todo = [s for s in seeds if s not in results]
    if results and progress is not None:
        progress(len(results))

    def finished(seed: int, result) -> None:
        results[seed] = result
        if store is not None:
            store.save(seed, result)
        if progress is not None:
            progress(len(results))

    data = scenario.to_dict()
    if executor is None and (workers == 1 or len(todo) <= 1):
        for s in todo:
            finished(s, task(data, s))
        return [results[s] for s in seeds]
    # a Dask executor, or a process pool of this command's own; results come back in replicate
    # order, whatever ran them
    pool = (nullcontext(executor) if executor is not None
            else ProcessPoolExecutor(max_workers=min(workers, len(todo))))
    with pool as runner:
        try:
            for s, result in zip(todo, runner.map(task, [data] * len(todo), todo), strict=True):
                finished(s, result)
        except Exception as exc:
            raise killed_worker_error(exc, scenario.simulation.n_firms) from None
    return [results[s] for s in seeds]


def killed_worker_error(exc: BaseException, n_firms: int) -> BaseException:
    """The one-line error for a replicate whose worker process was killed, if ``exc`` says so
    (a local pool's ``BrokenProcessPool``; Dask's ``KilledWorker`` once its retries are spent),
    else ``exc`` itself, to be raised again."""
    distributed = sys.modules.get("distributed")  # loaded whenever a Dask executor is used
    killed = isinstance(exc, BrokenProcessPool) or (
        distributed is not None and isinstance(exc, distributed.KilledWorker))
    if not killed:
        return exc
    return UserError(
        f"a worker process was killed while running a replicate of {n_firms:,} firms (most "
        "often its machine ran out of memory); run fewer workers at once (--workers, "
        "budget.workers or the cluster's) or fewer firms")


def load_run_dir(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read (events, firms) from a run directory; :class:`UserError` if it lacks a file."""
    path = check_run_dir(path, REQUIRED_FILES)
    events = read_table(path, "events.parquet")
    firms = read_table(path, "firms.parquet", FIRM_COLUMNS)
    missing = {"kind", "year", "cross_border", "involves_sme", "size_classes"} - set(events)
    if missing:
        raise UserError(f"run directory {path}: events.parquet lacks columns "
                        f"{', '.join(sorted(missing))}")
    return events, firms
