"""Outputs of a calibration, written into its folder (``experiments/calibration/<name>/``).

| file | contents |
|---|---|
| ``spec.toml`` | the spec as given (copy) |
| ``state.json`` | the validated spec and its digest (a resume must match it) |
| ``abc.db`` | the pyabc SQLite database: every generation's particles (resumable state) |
| ``history.csv`` | per generation: epsilon, simulations, best and median loss, effective     |
|                 | particles (Kish's effective sample size of the weights), posterior means  |
| ``posterior.csv`` | the last generation's particles: parameters, weight, loss |
| ``best.json`` | chosen parameters (best particle or posterior mean, whichever has the lower |
|               | loss on the check ensemble), losses, the check ensemble's moments and seeds, |
|               | the fitted moments with their tolerance rules, budget, scenario and overrides |
| ``best_overrides.txt`` | the best parameters as ``--set KEY=VALUE`` lines |
| ``moments.csv`` | the moment table (validate's columns) of the chosen parameters' check ensemble |
| ``calibration.png`` | loss history and the posterior's marginal distributions (a design: |
|                     | every point's loss against each parameter) |
| ``design.csv`` | a design (``budget.method = "design"``): every point's stage, parameters, |
|                | loss and moments on its own replicates (resumable state) |
| ``design.json`` | a design's budget (points, replicates; a resume must match it) |
| ``refine_box.json`` | a design's refinement box and the emulator's optimum it surrounds |

``abc.db``, ``history.csv`` and ``posterior.csv`` belong to the ABC alone.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from restructuring_sim.io import write_bytes

#: root of the seeds of the check ensemble (independent of the calibration's particle seeds)
CHECK_STREAM = 7919


def check_seeds(root_seed: int, replicates: int) -> list[int]:
    """Seeds of the check ensemble of the best parameters."""
    children = np.random.SeedSequence([int(root_seed), CHECK_STREAM]).spawn(int(replicates))
    return [int(c.generate_state(1)[0]) for c in children]


def plot_calibration(history: pd.DataFrame, posterior: pd.DataFrame, keys: list[str],
                     bounds: dict[str, tuple[float, float]], path: Path) -> Path:
    """Loss history (epsilon, best and median loss per generation) and posterior marginals."""
    n = len(keys) + 1
    cols = min(n, 3)
    rows = -(-n // cols)
    fig = Figure(figsize=(4.2 * cols, 3.2 * rows))
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    ax = axes[0]
    gens = history["generation"]
    eps = history["epsilon"].replace(np.inf, np.nan)
    ax.plot(gens, eps, marker="o", label="epsilon")
    ax.plot(gens, history["best_loss"], marker="s", label="best loss")
    ax.plot(gens, history["median_loss"], marker="^", label="median loss")
    ax.axhline(1.0, color="grey", ls=":", lw=0.8)
    ax.set_xlabel("generation")
    ax.set_ylabel("loss (RMS deviation / tolerance)")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    ax.set_title("Loss history")
    for ax, key in zip(axes[1:], keys, strict=False):
        lo, hi = bounds[key]
        ax.hist(posterior[key], bins=15, range=(lo, hi), weights=posterior["weight"],
                color="C0", alpha=0.8)
        best = posterior.loc[posterior["loss"].idxmin(), key]
        ax.axvline(best, color="C3", label="best of last generation")
        ax.set_xlim(lo, hi)
        ax.set_title(key, fontsize=9)
        ax.set_ylabel("posterior weight")
    return _save(fig, axes[n:], path)


def plot_design(design: pd.DataFrame, keys: list[str], bounds: dict[str, tuple[float, float]],
                path: Path) -> Path:
    """Every design point's loss (on its own replicates) against each parameter, the first
    stage and the refinement apart, the lowest-loss point marked."""
    cols = min(len(keys), 3)
    rows = -(-len(keys) // cols)
    fig = Figure(figsize=(4.2 * cols, 3.2 * rows))
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    best = design.loc[design["loss"].idxmin()]
    for ax, key in zip(axes, keys, strict=False):
        for stage, label, color in ((0, "design", "C0"), (1, "refinement", "C1")):
            rows_ = design.loc[design["stage"] == stage]
            ax.scatter(rows_[key], rows_["loss"], s=8, alpha=0.6, color=color, label=label)
        ax.axvline(best[key], color="C3", lw=0.8, label="lowest loss")
        ax.axhline(1.0, color="grey", ls=":", lw=0.8)
        ax.set_xlim(*bounds[key])
        ax.set_yscale("log")
        ax.set_title(key, fontsize=9)
        ax.set_ylabel("loss (RMS deviation / tolerance)")
    axes[0].legend(fontsize=7)
    return _save(fig, axes[len(keys):], path)


def _save(fig: Figure, unused, path: Path) -> Path:
    """Hide the ``unused`` panels of ``fig`` and write it to ``path`` as PNG (atomically)."""
    for ax in unused:
        ax.set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, dpi=110, format="png")
    write_bytes(buf.getvalue(), path)
    return path
