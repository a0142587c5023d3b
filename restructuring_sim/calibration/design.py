"""Calibration by a space-filling design and an emulator (``budget.method = "design"``).

The ABC scores each particle on ``budget.replicates`` runs and accepts or rejects it on that
one noisy score (a standard deviation of 0.33 in loss at round 20's values on two runs of
40,000 firms, against 0.58-0.62 on the check's 40 runs: ``scripts/loss_noise.py``), so its
particles are chosen by their seeds as much as by their values. A design spends the same runs
on points chosen in advance and lets a statistical emulator of the moments do the averaging
(Kennedy and O'Hagan 2001; history matching, Vernon, Goldstein and Bower 2010, and Andrianakis
et al. 2015, PLoS Computational Biology, calibrate agent-based models this way):

1. **Design.** ``budget.design_points`` points of a Latin hypercube over the priors (scipy's
   ``qmc.LatinHypercube``, seeded by the spec's seed), each run on ``budget.replicates`` seeds.
2. **Refinement.** :func:`restructuring_sim.calibration.emulator.optimum` fits one Gaussian
   process per fitted moment to the design's points and finds the point whose emulated moments
   have the lowest loss; ``budget.refine_points`` more points fill a box around it,
   ``budget.refine_width`` of each prior's width to either side (clipped to the prior), where
   the emulator's accuracy matters.
3. **Candidates.** The emulator, fitted again to every point, gives the check's ``emulator``
   candidate; the ``budget.check_candidates`` points with the lowest loss on their own runs
   and the scenario's own values (``incumbent``) run the check beside it, and the check's rule
   chooses (:func:`restructuring_sim.calibration.run.calibrate`).

Every point's moments are written to ``design.csv`` as it finishes (atomically; the
``workers // replicates`` points run together, so that points of one replicate keep every
worker busy, are written as their group finishes), and the refinement's box to
``refine_box.json`` once found, so an interrupted design resumes at the
next point with the same points: a point's replicate seeds come from the root seed and its
values (:func:`restructuring_sim.calibration.simulate.point_seeds`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from restructuring_sim.calibration import emulator
from restructuring_sim.calibration.loss import Loss
from restructuring_sim.calibration.simulate import SPREAD, PointEvaluator
from restructuring_sim.calibration.spec import CalibrationSpec
from restructuring_sim.errors import UserError
from restructuring_sim.io import write_json, write_text

DESIGN_NAME, BOX_NAME, STATE_NAME = "design.csv", "refine_box.json", "design.json"
#: budget fields that decide a design's points and their runs (a resume must keep them)
SETTINGS = ("design_points", "refine_points", "refine_width", "replicates", "ensemble_size")
#: seed streams of the two stages' hypercubes (beside the spec's seed)
DESIGN_STREAM, REFINE_STREAM = 1, 2


def hypercube(n: int, low: np.ndarray, high: np.ndarray, seed_words: list[int]) -> np.ndarray:
    """``n`` points of a Latin hypercube between ``low`` and ``high`` (one row each): every
    parameter's range cut into ``n`` equal slices, one point in each, so that ``n`` points
    cover each parameter's range evenly whatever the number of parameters."""
    from scipy.stats import qmc

    rng = np.random.default_rng(np.random.SeedSequence(seed_words))
    unit = qmc.LatinHypercube(d=len(low), seed=rng).random(n)
    return low + unit * (high - low)


def refine_box(center: np.ndarray, low: np.ndarray, high: np.ndarray,
               width: float) -> tuple[np.ndarray, np.ndarray]:
    """The box ``width`` of each prior's width to either side of ``center``, within the prior
    (shifted inwards at an edge, so that it keeps its size)."""
    half = width * (high - low)
    lo = np.clip(center - half, low, np.maximum(low, high - 2 * half))
    return lo, np.minimum(high, lo + 2 * half)


class Design:
    """The design's points and their moments, kept in ``out/design.csv``."""

    def __init__(self, spec: CalibrationSpec, out: Path, names: list[str]):
        self.keys = list(spec.parameters)
        self.names = names
        self.path = out / DESIGN_NAME
        self.rows: list[dict] = []
        if self.path.is_file():
            try:
                table = pd.read_csv(self.path)
            except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
                table = pd.DataFrame()
            if not {"stage", "point", *self.keys} <= set(table.columns):
                raise UserError(f"--out {out}: {DESIGN_NAME} is not a design of this spec; "
                                "remove it to start the design afresh")
            self.rows = table.to_dict(orient="records")

    def done(self, stage: int) -> dict[int, dict]:
        """Rows of ``stage`` already run, by point index."""
        return {int(r["point"]): r for r in self.rows if int(r["stage"]) == stage}

    def add(self, stage: int, point: int, values: np.ndarray, moments: dict[str, float],
            loss: float) -> None:
        """Keep point ``point`` of ``stage`` (its ``values``, ``moments`` and ``loss``) and
        rewrite ``design.csv`` with it, atomically: an interruption loses the point running,
        never one run."""
        row = {"stage": stage, "point": point, **dict(zip(self.keys, values.tolist(),
                                                          strict=True)), "loss": loss}
        row.update({n: moments.get(n, math.nan) for n in self.names})
        row.update({SPREAD + n: moments[SPREAD + n] for n in self.names
                    if SPREAD + n in moments})
        self.rows.append(row)
        write_text(self.table().to_csv(index=False), self.path)

    def table(self) -> pd.DataFrame:
        """Every point run so far, one row each (the columns of ``design.csv``)."""
        return pd.DataFrame(self.rows)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(parameters, moments)`` of every point run, as :func:`emulator.optimum` takes
        them."""
        table = self.table()
        return (table[self.keys].to_numpy(dtype=float),
                table.reindex(columns=self.names).to_numpy(dtype=float))


def _check_points(stage: int, done: dict[int, dict], points: np.ndarray, keys: list[str],
                  out: Path) -> None:
    """Refuse a design whose stored points are not the ones this spec draws."""
    for index, row in done.items():
        if index >= len(points) or not np.allclose([row[k] for k in keys], points[index],
                                                   rtol=1e-12, atol=0.0):
            raise UserError(f"--out {out}: {DESIGN_NAME} holds point {index} of stage {stage} "
                            "at other values than this spec draws; remove it to start afresh")


def run_design(spec: CalibrationSpec, base: dict, out: Path, names: list[str], loss: Loss,
               progress: Callable[[int, int], None] | None = None,
               executor: Executor | None = None) -> Design:
    """Run (or resume) both stages of the design of ``spec`` into ``out``; ``progress(done,
    total)`` is called after each point."""
    b = spec.budget
    keys = list(spec.parameters)
    low = np.array([spec.parameters[k].low for k in keys], dtype=float)
    high = np.array([spec.parameters[k].high for k in keys], dtype=float)
    _keep_settings(spec, out)
    design = Design(spec, out, names)
    total = b.design_points + b.refine_points
    own = executor is None and b.workers > 1
    pool = ProcessPoolExecutor(b.workers) if own else executor
    # points run together so that their replicates fill the workers (one at a time when
    # each has as many replicates as there are workers)
    batch = max(1, b.workers // b.replicates)
    try:
        evaluator = PointEvaluator(base, keys, spec.seed, b.replicates, pool, b.ensemble_size)
        for stage in (0, 1):
            if stage == 0:
                points = hypercube(b.design_points, low, high, [spec.seed, DESIGN_STREAM])
            elif b.refine_points:
                lo, hi = _refine_bounds(spec, out, design, names, loss, low, high)
                points = hypercube(b.refine_points, lo, hi, [spec.seed, REFINE_STREAM])
            else:
                break
            done = design.done(stage)
            _check_points(stage, done, points, keys, out)
            todo = [index for index in range(len(points)) if index not in done]
            for start in range(0, len(todo), batch):
                chunk = todo[start:start + batch]
                found = evaluator.many([dict(zip(keys, points[i].tolist(), strict=True))
                                        for i in chunk])
                for index, moments in zip(chunk, found, strict=True):
                    design.add(stage, index, points[index], moments, loss(moments))
                    if progress is not None:
                        progress(len(design.rows), total)
    finally:
        if own:
            pool.shutdown()
    return design


def _keep_settings(spec: CalibrationSpec, out: Path) -> None:
    """Write the budget fields that decide the design (:data:`SETTINGS`) to ``design.json``, or
    refuse a resume whose budget changed one of them (its points or runs would differ from
    those already stored)."""
    path = out / STATE_NAME
    settings = {name: getattr(spec.budget, name) for name in SETTINGS}
    if path.is_file():
        stored = _read_json(path)
        changed = [f"budget.{k} = {settings[k]!r} (the design has {stored.get(k)!r})"
                   for k in SETTINGS if stored.get(k) != settings[k]]
        if changed:
            raise UserError(f"--out {out}: holds a design of another budget: "
                            f"{'; '.join(changed)}; restore it, or remove the folder or "
                            "choose another --out to start afresh")
        return
    write_json(settings, path)


def _refine_bounds(spec: CalibrationSpec, out: Path, design: Design, names: list[str],
                   loss: Loss, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, ...]:
    """The refinement's box: read from ``refine_box.json`` if an earlier session found it
    (so that a resumed design draws the same points on any machine), else around the
    emulator's optimum over the first stage (the best point run, where the points are too
    few to emulate)."""
    path = out / BOX_NAME
    keys = list(spec.parameters)
    if path.is_file():
        stored = _read_json(path)
        try:
            return (np.array([stored["low"][k] for k in keys], dtype=float),
                    np.array([stored["high"][k] for k in keys], dtype=float))
        except (KeyError, TypeError):
            raise UserError(f"{path}: not the refinement box of this spec (it names other "
                            "parameters); remove it to find the box again") from None
    params, moments = design.arrays()
    center = emulator.optimum(params, moments, list(zip(low, high, strict=True)), names, loss,
                              spec.seed)
    if center is None:
        center = params[int(np.nanargmin(design.table()["loss"].to_numpy(dtype=float)))]
    lo, hi = refine_box(center, low, high, spec.budget.refine_width)
    write_json({"center": dict(zip(keys, center.tolist(), strict=True)),
                "low": dict(zip(keys, lo.tolist(), strict=True)),
                "high": dict(zip(keys, hi.tolist(), strict=True))}, path)
    return lo, hi


def _read_json(path: Path) -> dict:
    """A state file of the design; :class:`UserError` naming it if it cannot be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path}: cannot be read ({exc}); remove it to write it afresh") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: not a design's state (a JSON object); remove it to write it "
                        "afresh")
    return data


def best_points(design: Design, k: int) -> list[dict[str, float]]:
    """Parameters of the ``k`` points with the lowest loss on their own runs, lowest first."""
    table = design.table().sort_values("loss", kind="stable")
    return [{key: float(row[key]) for key in design.keys}
            for _, row in table.head(k).iterrows()]
