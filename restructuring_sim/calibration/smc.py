"""ABC-SMC calibration with pyabc: seed-controlled, resumable, one generation at a time.

The state lives in a pyabc SQLite database (``abc.db``) in the output folder. Each call runs the
generations still missing: generation ``t`` is started by loading the database (``ABCSMC.load``)
and running one population, so an interrupted calibration resumes at the last completed
generation and a rerun with a higher ``budget.generations`` continues where it stopped.

Seeds. pyabc draws its proposals and acceptances from numpy's legacy global generator and takes
no seed argument. Before generation ``t`` that generator is set from
``SeedSequence([seed, t])`` (and restored afterwards), so a calibration is reproducible whether it
ran in one session or was resumed. Simulations never use it: each parameter point's replicate
seeds come from a ``SeedSequence`` keyed by the root seed and the point's values
(:mod:`.simulate`). Particles are evaluated in order in this process (pyabc's
``SingleCoreSampler``; its parallel samplers reseed from the OS and would break
reproducibility); ``budget.workers`` > 1 runs each point's replicates in a process pool, and
``calibrate --executor dask`` on a Dask cluster instead. An interrupted calibration resumes from
the database whichever executor ran it or runs it next.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from restructuring_sim.calibration.loss import Loss
from restructuring_sim.calibration.simulate import PointEvaluator
from restructuring_sim.calibration.spec import CalibrationSpec
from restructuring_sim.errors import UserError

DB_NAME = "abc.db"


@contextlib.contextmanager
def legacy_global_seed(seed_words: list[int]):
    """Seed numpy's legacy global generator (pyabc's only source) and restore it afterwards."""
    saved = np.random.get_state()
    state = np.random.RandomState(np.random.MT19937(np.random.SeedSequence(seed_words)))
    np.random.set_state(state.get_state())
    try:
        yield
    finally:
        np.random.set_state(saved)


def _epsilon(pyabc, t: int):
    """Median epsilon: generation 0 accepts its whole prior sample (no extra calibration
    sample); later generations take the median loss of the stored previous generation."""
    return pyabc.MedianEpsilon(initial_epsilon=math.inf) if t == 0 else pyabc.MedianEpsilon()


def completed_generations(db: Path) -> int:
    """Generations stored in a calibration database (0 if there is none)."""
    if not db.is_file():
        return 0
    import pyabc

    try:
        history = pyabc.History(f"sqlite:///{db}", _id=1)
        return int(history.max_t) + 1 if history.n_populations else 0
    except Exception:  # an empty or foreign file: start afresh
        return 0


def _quiet_pyabc() -> None:
    for name in ("ABC", "pyabc", "Sampler", "Epsilon", "Distance", "Acceptor", "History",
                 "ABC.History", "ABC.Sampler", "ABC.Epsilon", "ABC.Distance", "ABC.Acceptor",
                 "ABC.Predictor", "ABC.Transition", "ABC.Population", "ABC.Adaptation"):
        logging.getLogger(name).setLevel(logging.WARNING)


def run_smc(spec: CalibrationSpec, base: dict, out: Path,
            progress: Callable[[int, float, int], None] | None = None,
            executor: Executor | None = None) -> Path:
    """Run (or resume) the ABC-SMC generations of ``spec`` into ``out``; returns the database.

    ``progress(t, epsilon, evaluations)`` is called after each generation. ``executor`` (a Dask
    cluster's, say) runs each point's replicates in place of the process pool of
    ``budget.workers``; the replicates' seeds, and so the generations, are the same.
    """
    import pyabc

    _quiet_pyabc()
    db = out / DB_NAME
    done = completed_generations(db)
    if done == 0 and db.exists():
        db.unlink()  # a run interrupted before its first generation: start it again
    from restructuring_sim.paper.figures import load_figures

    fig = load_figures()
    fittable = fig.fittable()
    names = spec.moments or list(fig.moment)
    loss = Loss([fittable[n] for n in names])
    observed = {n: fittable[n].value for n in names}
    keys = list(spec.parameters)
    prior = pyabc.Distribution(**{
        k: pyabc.RV("uniform", b.low, b.high - b.low) for k, b in spec.parameters.items()
    })
    b = spec.budget
    own = executor is None and b.workers > 1 and b.replicates > 1
    pool = ProcessPoolExecutor(b.workers) if own else executor
    try:
        evaluator = PointEvaluator(base, keys, spec.seed, b.replicates, pool, b.ensemble_size)

        def model(par) -> dict[str, float]:
            return evaluator(dict(par))

        db_url = f"sqlite:///{db}"
        for t in range(done, b.generations):
            history = pyabc.History(db_url, _id=1) if t else None
            if history is not None:
                last_eps = float(history.get_all_populations()["epsilon"].iloc[-1])
                sims = int(history.total_nr_simulations)
                if last_eps <= b.min_epsilon or (b.max_simulations and sims >= b.max_simulations):
                    break
            with legacy_global_seed([spec.seed, t]):
                abc = pyabc.ABCSMC(
                    model, prior, loss, population_size=b.population_size,
                    eps=_epsilon(pyabc, t),
                    sampler=pyabc.SingleCoreSampler(check_max_eval=b.min_acceptance_rate > 0),
                )
                if t == 0:
                    abc.new(db_url, observed)
                else:
                    abc.load(db_url, 1, observed)
                abc.run(max_nr_populations=1, minimum_epsilon=b.min_epsilon,
                        min_acceptance_rate=b.min_acceptance_rate,
                        max_total_nr_simulations=b.max_simulations or np.inf)
            if completed_generations(db) <= t:
                break  # the generation stopped below min_acceptance_rate: nothing stored
            if progress is not None:
                pops = abc.history.get_all_populations()
                progress(t, float(pops["epsilon"].iloc[-1]), int(pops["samples"].sum()))
    except UserError:
        raise
    finally:
        if own:
            pool.shutdown()
    return db


def read_history(db: Path, keys: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """From a calibration database: the loss history per generation, the last generation's
    weighted particles (the posterior sample), and the best particle over all generations."""
    import pyabc

    history = pyabc.History(f"sqlite:///{db}", _id=1)
    pops = history.get_all_populations()
    pops = pops.loc[pops["t"] >= 0]
    rows, best = [], {"loss": math.inf}
    posterior = pd.DataFrame()
    for t in pops["t"]:
        population = history.get_population(int(t))
        particles = population.particles
        losses = np.array([p.distance for p in particles], dtype=float)
        weights = np.array([p.weight for p in particles], dtype=float)
        params = pd.DataFrame([{k: float(p.parameter[k]) for k in keys} for p in particles])
        i = int(np.argmin(losses))
        if losses[i] < best["loss"]:
            best = {"loss": float(losses[i]), "generation": int(t),
                    "parameters": params.iloc[i].to_dict()}
        row = dict(generation=int(t),
                   epsilon=float(pops.loc[pops["t"] == t, "epsilon"].iloc[0]),
                   simulations=int(pops.loc[pops["t"] == t, "samples"].iloc[0]),
                   particles=len(particles), best_loss=float(losses.min()),
                   median_loss=float(np.median(losses)))
        w = weights / weights.sum()
        row["effective_particles"] = effective_particles(w)
        row.update({f"mean:{k}": float(np.dot(w, params[k])) for k in keys})
        rows.append(row)
        posterior = params.assign(weight=w, loss=losses, generation=int(t))
    return pd.DataFrame(rows), posterior, best


def effective_particles(weights: np.ndarray) -> float:
    """Kish's effective sample size of a population's importance ``weights``: how many equally
    weighted particles it is worth; far below the particles, the posterior rests on a few."""
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    return float(1.0 / np.sum(w ** 2))


def accepted_particles(db: Path) -> list:
    """Every accepted particle (pyabc ``Particle``: parameters, moments, distance) of every
    generation of the calibration in ``db``, in generation order."""
    import pyabc

    history = pyabc.History(f"sqlite:///{db}", _id=1)
    pops = history.get_all_populations()
    return [p for t in pops.loc[pops["t"] >= 0, "t"]
            for p in history.get_population(int(t)).particles]


def best_particles(particles: list, keys: list[str], k: int) -> list[dict[str, float]]:
    """Parameters of the ``k`` lowest-loss of ``particles`` (:func:`accepted_particles`),
    lowest first."""
    found = [(float(p.distance), {key: float(p.parameter[key]) for key in keys})
             for p in particles]
    found.sort(key=lambda item: item[0])
    return [params for _, params in found[:k]]
