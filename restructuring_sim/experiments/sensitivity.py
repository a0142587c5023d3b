"""Global sensitivity of run metrics to swept parameters (SALib: Sobol or Morris).

The sweep's design must be ``sobol`` (Saltelli sampling; first-order and total indices) or
``morris`` (elementary effects; mu*, sigma). Replicates are averaged per design point before the
analysis, which removes part of the seed noise; a metric with a missing value at any point (a
failed run, or a share with nothing to share) is left out and named in the notes.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from restructuring_sim.errors import UserError
from restructuring_sim.experiments.spec import Plan

METHODS = ("sobol", "morris")


def check_method(plan: Plan, source: str) -> str:
    """The analysis method of a plan, or a :class:`UserError` naming the design."""
    if plan.spec.design not in METHODS:
        raise UserError(
            f"{source}: design = {plan.spec.design!r}: sensitivity needs design sobol or morris"
        )
    return plan.spec.design


def analyze(plan: Plan, results: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Sensitivity indices per (metric, parameter), and notes on metrics left out."""
    method = check_method(plan, "spec")
    seed = int(np.random.SeedSequence(plan.spec.seed, spawn_key=(2,)).generate_state(1)[0])
    sampled = [p.point_id for p in plan.points if not p.is_baseline]
    ok = results[(results["status"] == "ok") & results["value"].notna()]
    means = ok.groupby(["metric", "point_id"])["value"].mean()
    rows, notes = [], []
    for metric in plan.spec.metrics:
        y = np.array([means.get((metric, pid), math.nan) for pid in sampled], dtype=float)
        if np.isnan(y).any():
            notes.append(f"{metric}: left out ({int(np.isnan(y).sum())} of {len(y)} points "
                         "without a value)")
            continue
        if np.ptp(y) == 0:
            notes.append(f"{metric}: left out (constant over the design)")
            continue
        if method == "sobol":
            from SALib.analyze import sobol

            res = sobol.analyze(plan.problem, y, calc_second_order=False, seed=seed,
                                print_to_console=False)
            for j, name in enumerate(plan.problem["names"]):
                rows.append(dict(metric=metric, parameter=name, method="sobol",
                                 S1=res["S1"][j], S1_conf=res["S1_conf"][j],
                                 ST=res["ST"][j], ST_conf=res["ST_conf"][j]))
        else:
            from SALib.analyze import morris

            res = morris.analyze(plan.problem, plan.design_matrix, y,
                                 num_levels=plan.spec.morris_levels, seed=seed,
                                 print_to_console=False)
            for j, name in enumerate(plan.problem["names"]):
                rows.append(dict(metric=metric, parameter=name, method="morris",
                                 mu=res["mu"][j], mu_star=res["mu_star"][j],
                                 sigma=res["sigma"][j], mu_star_conf=res["mu_star_conf"][j]))
    return pd.DataFrame(rows), notes


def plot(table: pd.DataFrame, path: str | Path) -> Path:
    """Bar charts of the indices: one panel per metric, one bar group per parameter."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from restructuring_sim.io import write_atomic

    if table.empty:
        raise UserError("nothing to plot: no metric could be analysed")
    metrics = list(dict.fromkeys(table["metric"]))
    ncol = min(len(metrics), 3)
    nrow = math.ceil(len(metrics) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.0 * nrow), squeeze=False)
    sobol = "ST" in table.columns and table["method"].iloc[0] == "sobol"
    for ax, metric in zip(axes.flat, metrics, strict=False):
        t = table[table["metric"] == metric]
        x = np.arange(len(t))
        names = [p.split(".")[-1] for p in t["parameter"]]
        if sobol:
            ax.bar(x - 0.2, t["S1"], 0.4, yerr=t["S1_conf"], label="first order", capsize=2)
            ax.bar(x + 0.2, t["ST"], 0.4, yerr=t["ST_conf"], label="total", capsize=2)
        else:
            ax.bar(x, t["mu_star"], 0.6, yerr=t["mu_star_conf"], label="mu*", capsize=2)
        ax.set_xticks(x, names, rotation=30, ha="right", fontsize=8)
        ax.set_title(metric, fontsize=9)
        ax.axhline(0, color="grey", lw=0.6)
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("Sobol indices" if sobol else "Morris elementary effects (mu*)", fontsize=10)
    fig.tight_layout()
    path = Path(path)
    write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    plt.close(fig)
    return path
