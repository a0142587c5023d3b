"""A check candidate from an emulator of the fitted moments over the ABC's particles.

The ABC scores each particle on ``budget.replicates`` runs (two in the shipped specs), and one
such score is noisy: at round 20's values the loss on two runs of 40,000 firms has a standard
deviation of 0.33 over seeds, against 0.58-0.62 on the check's 40 runs
(``scripts/loss_noise.py``, docs/calibration.md). So the ABC accepts particles for their seeds
as much as for their values, and its lowest-loss particle does worse at the check.

The particles' moments hold more than any one score: together they trace how each moment moves
with the parameters. :func:`optimum` fits one Gaussian process per fitted moment to every
accepted particle of every generation (an anisotropic squared-exponential kernel with a white
noise term for the runs' noise; Kennedy and O'Hagan 2001, Bayesian calibration of computer
models), and returns the point near the particles whose emulated moments have the lowest
loss. The check then runs it beside the other candidates, on the same seeds, and the check's
rule chooses. Run on the records of rounds 20, 31 and 29 and checked on four seed sets (40 runs
of 40,000 firms each), the emulator's point had check losses of 0.46-0.65 (13-14 of the 15
fitted moments within; round 20's own values: 0.58-0.62, 14), 0.55-0.58 on the decade's market
sizes (13-14; round 20's values there: 0.70-0.75, 11-14), but 0.62-0.92 on round 29's observer
(10-15; round 20's values there: 0.59-0.65, 12-14). It is a candidate, not a verdict.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping

import numpy as np

#: emulated points scored: about SAMPLE points near the particles, then three rounds of
#: perturbations of the best, each narrower (in units of the prior's width)
SAMPLE, BEST, PERTURBATIONS, STEPS = 20_000, 20, 200, (0.05, 0.02, 0.01)


def particle_table(particles: list, keys: list[str],
                   names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(parameters, moments)`` of ``particles`` (every accepted particle of every generation,
    :func:`restructuring_sim.calibration.smc.accepted_particles`): arrays of shape
    (particles, len(keys)) and (particles, len(names))."""
    params = [[float(p.parameter[key]) for key in keys] for p in particles]
    moments = [[float(p.sum_stat.get(name, math.nan)) for name in names] for p in particles]
    return (np.array(params, dtype=float).reshape(-1, len(keys)),
            np.array(moments, dtype=float).reshape(-1, len(names)))


def optimum(params: np.ndarray, moments: np.ndarray, bounds: list[tuple[float, float]],
            names: list[str], loss: Callable[[Mapping[str, float]], float],
            seed: int) -> np.ndarray | None:
    """The point near ``params`` whose emulated ``moments`` have the lowest ``loss``; None
    where the particles are too few to emulate (fewer than two per parameter with every moment
    defined).

    ``bounds``: each parameter's prior (low, high), which scales it to 0..1 for the kernel.
    ``seed`` fixes the search and the kernels' restarts, so the point is the same on any
    machine for the same particles."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    low, high = (np.array(b, dtype=float) for b in zip(*bounds, strict=True))
    defined = np.isfinite(moments).all(axis=1)
    x = (params[defined] - low) / (high - low)
    y = moments[defined]
    if len(x) < 2 * params.shape[1]:
        return None
    emulators = []
    with warnings.catch_warnings():  # kernel bounds reached on a flat moment: still a fit
        warnings.simplefilter("ignore")
        for column in y.T:
            mean, scale = column.mean(), column.std() or 1.0
            kernel = (ConstantKernel(1.0) * RBF(np.full(x.shape[1], 0.3), (0.02, 10.0))
                      + WhiteKernel(0.5))
            gp = GaussianProcessRegressor(kernel, n_restarts_optimizer=2, random_state=seed)
            gp.fit(x, (column - mean) / scale)
            emulators.append((gp, mean, scale))

    def scores(z: np.ndarray) -> np.ndarray:
        emulated = np.column_stack([gp.predict(z) * scale + mean
                                    for gp, mean, scale in emulators])
        return np.array([loss(dict(zip(names, row.tolist(), strict=True)))
                         for row in emulated])

    rng = np.random.default_rng(seed)
    lo, hi = x.min(axis=0), x.max(axis=0)
    # the emulator is trusted where the particles are: the search starts from points near them
    # (the first step's spread around each), not from the whole of their range, where a
    # corner with few particles can hold an emulated minimum the model does not share
    near = np.repeat(x, -(-SAMPLE // len(x)), axis=0)
    near = np.clip(near + rng.normal(0.0, STEPS[0], near.shape), lo, hi)
    z = np.vstack([near, x])
    s = scores(z)
    for step in STEPS:
        top = np.argsort(s, kind="stable")[:BEST]
        moved = np.repeat(z[top], PERTURBATIONS, axis=0)
        moved = np.clip(moved + rng.normal(0.0, step, moved.shape), lo, hi)
        z, s = np.vstack([z[top], moved]), np.concatenate([s[top], scores(moved)])
    return low + z[int(np.argmin(s))] * (high - low)
