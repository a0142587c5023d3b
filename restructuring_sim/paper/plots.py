"""Plots of model against paper (matplotlib, no pyplot state: figures render with Agg).

* ``annual.png``: cross-border SME alliances per year as a share of the decade's total
  (1990-2000), model mean with its 5-95% band over replicates, and the paper's points: 2000's
  share (450 / 2,400) and the mean yearly share over 1995-2000 (1,300 / 2,400 / 6 years); a
  second panel shows the period shares (1995-2000, 2000) side by side.
* ``splits.png``: SME participations 1995-2000 by size class and sector group as shares of all
  participations, and services' share of participations by period, model against paper.
* ``moments.png``: every moment's deviation from the paper in units of its tolerance (|x| <= 1
  passes a point moment).
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from restructuring_sim.io import write_bytes
from restructuring_sim.paper.figures import Figures, load_figures


def _save(fig: Figure, path: Path) -> Path:
    """Save a figure atomically as PNG."""
    buf = io.BytesIO()
    fig.savefig(buf, dpi=110, bbox_inches="tight", format="png")
    write_bytes(buf.getvalue(), path)
    return path


def _band(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, 5th and 95th percentile over axis 0, ignoring NaN (NaN where a column has no
    value: numpy's warnings about empty slices are not the user's concern)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return (np.nanmean(values, axis=0), np.nanpercentile(values, 5, axis=0),
                np.nanpercentile(values, 95, axis=0))


def plot_annual(summaries, fig_data: Figures, path: Path) -> Path:
    """Annual counts normalised to the decade's total, with the paper's points."""
    d0, d1 = fig_data.years("decade")
    years = summaries[0].annual.index.to_numpy()
    counts = np.array([s.annual.reindex(years, fill_value=0).to_numpy(float) for s in summaries])
    decade = counts[:, (years >= d0) & (years <= d1)].sum(axis=1, keepdims=True)
    with np.errstate(all="ignore"):
        shares = counts / np.where(decade > 0, decade, np.nan)
    mean, low, high = _band(shares)
    c = fig_data.count
    total = c["sme_alliances_decade"].value
    l0, l1 = fig_data.years("late")
    fig = Figure(figsize=(10, 4))
    ax, bx = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]})
    ax.fill_between(years, low, high, alpha=0.25, label="model 5-95%")
    ax.plot(years, mean, marker="o", label="model mean")
    ax.plot([2000], [c["sme_alliances_2000"].value / total], "s", color="C3", ms=9,
            label="paper: 2000")
    late_mean = c["sme_alliances_late"].value / total / (l1 - l0 + 1)
    ax.hlines(late_mean, l0 - 0.4, l1 + 0.4, colors="C3", linestyles="--",
              label="paper: mean year 1995-2000")
    ax.set_xlabel("year")
    ax.set_ylabel(f"share of {d0}-{d1} total")
    ax.set_title("Cross-border alliances involving SMEs per year")
    ax.legend(fontsize=8)
    late_share = shares[:, (years >= l0) & (years <= l1)].sum(axis=1)
    final_share = shares[:, years == 2000].sum(axis=1)
    labels = [f"{l0}-{l1}", "2000"]
    model = [late_share, final_share]
    paper = [c["sme_alliances_late"].value / total, c["sme_alliances_2000"].value / total]
    _bars(bx, labels, model, paper, "share of decade's total")
    bx.set_title("Period shares")
    return _save(fig, path)


def _bars(ax, labels, model_values, paper_values, ylabel):
    """Model means with 5-95% whiskers beside the paper's values."""
    x = np.arange(len(labels))
    means = np.array([np.nanmean(v) if np.isfinite(v).any() else np.nan for v in model_values])
    lows = np.array([np.nanpercentile(v, 5) if np.isfinite(v).any() else np.nan
                     for v in model_values])
    highs = np.array([np.nanpercentile(v, 95) if np.isfinite(v).any() else np.nan
                      for v in model_values])
    ax.bar(x - 0.2, means, 0.4, yerr=[means - lows, highs - means], capsize=3, label="model")
    ax.bar(x + 0.2, paper_values, 0.4, color="C3", label="paper")
    ax.set_xticks(x, labels, rotation=20, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)


def plot_splits(summaries, fig_data: Figures, path: Path) -> Path:
    """Size-class x sector-group participations (1995-2000) and services' share by period."""
    c = fig_data.count
    cells = [(s, g) for s in ("small", "medium") for g in ("manufacturing", "services")]
    paper_total = c["small_late"].value + c["medium_late"].value
    paper = [c[f"{s}_{g}_late"].value / paper_total for s, g in cells]
    model = []
    for s, g in cells:
        vals = []
        for r in summaries:
            tot = r.size_by_group.to_numpy().sum()
            vals.append(r.size_by_group.loc[s, g] / tot if tot else np.nan)
        model.append(np.array(vals, float))
    fig = Figure(figsize=(10, 4))
    ax, bx = fig.subplots(1, 2)
    _bars(ax, [f"{s}\n{g}" for s, g in cells], model, paper, "share of SME participations")
    ax.set_title("SME participations 1995-2000")
    periods = list(summaries[0].group_by_period.index)
    model_p = []
    for p in periods:
        vals = []
        for r in summaries:
            row = r.group_by_period.loc[p]
            vals.append(row["services"] / row.sum() if row.sum() else np.nan)
        model_p.append(np.array(vals, float))
    services_late = c["services_late"].value / (c["services_late"].value
                                                + c["manufacturing_late"].value)
    paper_p = [np.nan if p != "1995-2000" else services_late for p in periods]
    _bars(bx, periods, model_p, paper_p, "services' share of participations")
    bx.axhline(0.5, color="grey", lw=0.8, ls=":")
    bx.set_title("By period (paper: manufacturing led before 1995)", fontsize=10)
    return _save(fig, path)


#: the moments plot's x axis ends here (tolerance units); beyond it, points sit at the edge
MOMENT_AXIS = 4.0


def plot_moments(table: pd.DataFrame, path: Path, figures: Figures | None = None) -> Path:
    """Each moment's deviation from the paper in tolerance units, on a linear axis.

    A point moment (circle) passes inside the green band [-1, 1]: (model - paper) / tolerance.
    A bound moment (triangle) passes at or left of 0: (model - bound) / tolerance, with 20% of
    the bound as the unit where the tolerance is 0. The grey whisker is the 90% interval over
    replicates. Values beyond +/- :data:`MOMENT_AXIS` are drawn at the edge with an arrow and
    their value written beside them.
    """
    moments = (figures or load_figures()).fittable()
    fig = Figure(figsize=(8.5, 0.4 * len(table) + 1.6))
    ax = fig.subplots()
    lim = MOMENT_AXIS
    y = np.arange(len(table))[::-1]
    for yi, row in zip(y, table.to_dict(orient="records"), strict=True):
        m = moments[row["name"]]
        shift = m.tol / m.unit if m.bound == "upper" else 0.0  # bounds: 0 at the bound
        dev, low, high = (m.deviation(row[k]) - shift for k in ("model_mean", "low", "high"))
        color = "C2" if row["pass"] else "C3"
        if np.isfinite(low) and np.isfinite(high):
            ax.hlines(yi, max(low, -lim), min(high, lim), colors="grey", lw=1.5)
            for end, side in ((low, -1), (high, 1)):
                if abs(end) > lim and np.sign(end) == side:
                    ax.annotate("", (side * lim, yi), (side * (lim - 0.35), yi),
                                arrowprops=dict(arrowstyle="->", color="grey", lw=1.2))
        if not np.isfinite(dev):
            ax.text(0, yi, "n/a", ha="center", va="center", fontsize=8, color="grey")
            continue
        shown = float(np.clip(dev, -lim, lim))
        ax.scatter([shown], [yi], c=color, marker="<" if m.bound == "upper" else "o", zorder=3,
                   s=36)
        if shown != dev:
            ax.text(shown - np.sign(dev) * 0.15, yi + 0.28, f"{dev:+.1f}", fontsize=7,
                    ha="right" if dev > 0 else "left", color=color)
    ax.axvspan(-1, 1, color="C2", alpha=0.12)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlim(-lim - 0.3, lim + 0.3)
    ax.set_ylim(-0.7, len(table) - 0.3)
    ax.set_yticks(y, table["name"], fontsize=8)
    ax.set_xlabel("deviation in tolerance units. Circles: (model - paper) / tolerance, pass "
                  "inside the band;\ntriangles (bounds): (model - bound) / tolerance (20% of "
                  "the bound if the tolerance is 0), pass at or left of 0", fontsize=8)
    return _save(fig, path)


def write_plots(summaries, table: pd.DataFrame, out: str | Path,
                figures: Figures | None = None) -> list[Path]:
    """Write every validation plot into ``out``; returns the paths written."""
    fig_data = figures or load_figures()
    out = Path(out)
    return [
        plot_annual(summaries, fig_data, out / "annual.png"),
        plot_splits(summaries, fig_data, out / "splits.png"),
        plot_moments(table, out / "moments.png", fig_data),
    ]
