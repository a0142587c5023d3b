"""Evaluate one parameter point: a scenario with the point's values, run over replicates.

Replicate seeds depend only on the calibration's root seed and the parameter values (a
``SeedSequence`` keyed by both), so a point gives the same moments whichever worker, process or
resumed session evaluates it.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from concurrent.futures import Executor

import numpy as np

from restructuring_sim.calibration.spec import leaf, set_leaf


def point_seeds(root_seed: int, values: list[float], replicates: int) -> list[int]:
    """Seeds of a parameter point's replicates (uint32), from root seed and values."""
    words = np.frombuffer(np.asarray(values, dtype=np.float64).tobytes(), dtype=np.uint32)
    ss = np.random.SeedSequence([int(root_seed), *(int(w) for w in words)])
    return [int(child.generate_state(1)[0]) for child in ss.spawn(int(replicates))]


def scenario_data(base: dict, point: Mapping[str, float]) -> dict:
    """Scenario data with the point's values set (integer fields rounded)."""
    data = copy.deepcopy(base)
    for key, value in point.items():
        if isinstance(leaf(base, key), int):
            value = round(value)
        set_leaf(data, key, float(value) if not isinstance(value, int) else value)
    return data


def moments_task(data: dict, seed: int) -> dict[str, tuple[float, float]]:
    """Run one replicate of a scenario (plain data) and return its moments, and its census
    shares (see :meth:`~restructuring_sim.paper.figures.Figures.census_shares`), as
    fractions."""
    from restructuring_sim.paper.ensemble import run_one
    from restructuring_sim.paper.moments import FIRM_COLUMNS, replicate_fractions

    events, firms = run_one(data, seed, firm_columns=FIRM_COLUMNS)
    return replicate_fractions(events, firms, census=True)


#: prefix of the keys that carry a moment's spread over an ensemble (see :func:`ensemble_moments`)
SPREAD = "spread:"


def ensemble_moments(per_replicate: list[dict[str, tuple[float, float]]],
                     ensemble_size: int = 0) -> dict[str, float]:
    """Each moment's value over the replicates: summed numerators over summed denominators
    (NaN where the denominators sum to zero), as ``validate`` scores an ensemble.

    With ``ensemble_size``, also each moment's standard deviation over ensembles of that many
    replicates, under the key ``"spread:" + name``: the jackknife variance of the pooled value
    over the ``n`` replicates (leave one out), times ``n / ensemble_size`` (the variance of a
    pooled value falls as one over the replicates pooled). NaN where a leave-one-out pool has
    no denominator.
    """
    from restructuring_sim.paper.moments import ensemble_value

    out = {name: ensemble_value([r[name] for r in per_replicate]) for name in per_replicate[0]}
    n = len(per_replicate)
    if ensemble_size and n > 1:
        for name in per_replicate[0]:
            top, bottom = (np.array([float(r[name][k]) for r in per_replicate]) for k in (0, 1))
            with np.errstate(invalid="ignore", divide="ignore"):
                left_out = (top.sum() - top) / (bottom.sum() - bottom)
                variance = (n - 1) / n * np.sum((left_out - left_out.mean()) ** 2)
            spread = np.sqrt(variance * n / ensemble_size)
            out[SPREAD + name] = float(spread) if np.isfinite(spread) else math.nan
    return out


class PointEvaluator:
    """Callable ``point -> ensemble moments`` used as the simulator of the calibration.

    Parameters
    ----------
    base : scenario data (complete, validated) the points modify.
    keys : dotted keys of the free parameters, in a fixed order.
    root_seed : the calibration's seed.
    replicates : runs per point.
    executor : optional process pool running the replicates of a point.
    ensemble_size : when above 0, the moments' spreads over ensembles of this many replicates
        are returned too (see :func:`ensemble_moments`).
    """

    def __init__(self, base: dict, keys: list[str], root_seed: int, replicates: int,
                 executor: Executor | None = None, ensemble_size: int = 0):
        from restructuring_sim.scenario import scenario_from_dict

        self.base = scenario_from_dict(base).to_dict()
        self.keys = list(keys)
        self.root_seed = root_seed
        self.replicates = replicates
        self.executor = executor
        self.ensemble_size = ensemble_size
        self.evaluations = 0

    def run(self, point: Mapping[str, float],
            seeds: list[int]) -> list[dict[str, tuple[float, float]]]:
        """Per-replicate moments of a point for the given seeds, as fractions."""
        data = self._data(point)
        return self._map([data] * len(seeds), seeds)

    def __call__(self, point: Mapping[str, float]) -> dict[str, float]:
        return self.many([point])[0]

    def many(self, points: list[Mapping[str, float]]) -> list[dict[str, float]]:
        """What calling the evaluator gives for each of ``points``, with the replicates of all
        of them handed to the executor at once: the same seeds, so the same moments, while
        points of fewer replicates than workers keep every worker busy."""
        points = [{k: float(p[k]) for k in self.keys} for p in points]
        data, seeds = [], []
        for point in points:
            scenario = self._data(point)  # validated once a point, whatever its replicates
            for seed in point_seeds(self.root_seed, [point[k] for k in self.keys],
                                    self.replicates):
                data.append(scenario)
                seeds.append(seed)
        runs = self._map(data, seeds)
        self.evaluations += len(points)
        r = self.replicates
        return [ensemble_moments(runs[i * r:(i + 1) * r], self.ensemble_size)
                for i in range(len(points))]

    def _data(self, point: Mapping[str, float]) -> dict:
        """The validated scenario data of ``point``."""
        from restructuring_sim.scenario import scenario_from_dict

        return scenario_from_dict(scenario_data(self.base, point)).to_dict()

    def _map(self, data: list[dict], seeds: list[int]) -> list[dict[str, tuple[float, float]]]:
        """:func:`moments_task` of each scenario with its seed, in order: on the executor, or
        in this process without one or for a single run."""
        if self.executor is None or len(seeds) == 1:
            return [moments_task(d, s) for d, s in zip(data, seeds, strict=True)]
        try:
            return list(self.executor.map(moments_task, data, seeds))
        except Exception as exc:
            from restructuring_sim.paper.ensemble import killed_worker_error

            raise killed_worker_error(exc, data[0]["simulation"]["n_firms"]) from None
