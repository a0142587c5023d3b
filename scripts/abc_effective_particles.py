"""How many particles does an ABC-SMC population of the calibration's kind rest on?

A synthetic stand-in for the calibration (``restructuring_sim calibrate``): 8 parameters with
uniform priors on 0..1, 15 moments that are smooth nonlinear functions of them plus noise (as
replicates' moments are), a quadratic loss, median epsilon, and generation 0 accepting its
prior sample. It prints, per generation, the effective particles (Kish's effective sample
size of the importance weights) for each population size, the calibration's own ``history.csv``
column. The importance weights (prior over the proposal's density) of 8-dimensional proposals
are uneven: at 32 particles a generation rests on a few of them.

    .venv/bin/python scripts/abc_effective_particles.py                 # 32 and 128 particles
    .venv/bin/python scripts/abc_effective_particles.py --sizes 32 100 --evaluations 40
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

import numpy as np

from restructuring_sim.calibration.smc import effective_particles, legacy_global_seed

N_PARAMETERS, N_MOMENTS, NOISE = 8, 15, 0.15


def per_generation(size: int, evaluations: int, seed: int) -> list[float]:
    """Effective particles per generation of one synthetic calibration of ``size`` particles
    and at most ``evaluations`` x ``size`` simulations."""
    import pyabc

    logging.getLogger("ABC").setLevel(logging.WARNING)
    problem = np.random.default_rng(seed)
    loadings = problem.normal(size=(N_MOMENTS, N_PARAMETERS))
    truth = problem.uniform(0.2, 0.8, N_PARAMETERS)
    names = [f"p{i}" for i in range(N_PARAMETERS)]

    def moments(x: np.ndarray) -> np.ndarray:
        return np.tanh(loadings @ (x - 0.5))

    def model(par) -> dict:
        x = np.array([par[n] for n in names])
        # pyabc draws from numpy's global generator; so does the noise, seeded below
        return {"m": moments(x) + np.random.normal(0.0, NOISE, N_MOMENTS)}

    def loss(a: dict, b: dict) -> float:
        return float(((a["m"] - b["m"]) ** 2).sum())

    prior = pyabc.Distribution(**{n: pyabc.RV("uniform", 0.0, 1.0) for n in names})
    with tempfile.TemporaryDirectory() as tmp, legacy_global_seed([seed, size]):
        abc = pyabc.ABCSMC(model, prior, loss, population_size=size,
                           eps=pyabc.MedianEpsilon(initial_epsilon=np.inf),
                           sampler=pyabc.SingleCoreSampler())
        abc.new(f"sqlite:///{Path(tmp) / 'abc.db'}", {"m": moments(truth)})
        history = abc.run(max_total_nr_simulations=evaluations * size, max_nr_populations=12)
        return [effective_particles(history.get_population(t).get_weighted_distances()["w"])
                for t in range(history.max_t + 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 128],
                        help="population sizes (particles)")
    parser.add_argument("--evaluations", type=int, default=60,
                        help="simulation budget per particle")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for size in args.sizes:
        ess = per_generation(size, args.evaluations, args.seed)
        print(f"{size:>5} particles: effective particles by generation "
              + " ".join(f"{e:.1f}" for e in ess))


if __name__ == "__main__":
    main()
