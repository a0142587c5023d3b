"""``restructuring-sim plot``: the static figures of one run.

Figures (PNG, and SVG with ``--svg``), each built from the run directory's files:

* ``annual_deals``: (a) cross-border alliances involving SMEs per year by the SME size class,
  in the style of the paper's Figure 1, with the paper's points scaled to the run's 1990-2000
  total (a simulated population is a sample: only the shape is comparable); (b) deals per year
  by kind; (c) deal participations per year by size class.
* ``sectors_purposes``: deals by sector (stacked by kind) and alliances by purpose and period.
* ``network_metrics``: the yearly network metrics (``network_metrics.parquet``).
* ``firm_sizes``: the distribution of firm size (employees) among active firms at the start and
  the end of the run, and the firms per size class.
* ``market_selection``: the exit rate of firms by their change in market share over the year
  before, in five equal groups from the largest loss to the largest gain (see
  :mod:`restructuring_sim.selection`).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from restructuring_sim.io import make_out_dir
from restructuring_sim.rundir import check_run_dir, read_table
from restructuring_sim.selection import exit_rates_by_share_change
from restructuring_sim.viz.common import (
    KIND_COLORS,
    LAYER_COLORS,
    SIZE_COLORS,
    new_figure,
    save_figure,
    style,
)

#: files ``plot`` reads
PLOT_FILES = ("events.parquet", "firms.parquet", "network_metrics.parquet")
#: the firm panel's columns the figures read (a census-scale panel holds some 20 million rows)
PLOT_FIRM_COLUMNS = ("firm_id", "year", "status", "size_class", "sector", "employees",
                     "market_share")
#: event kinds that create a deal (or a firm), drawn per year
DEAL_KINDS = ("alliance_formed", "supply_contract_signed", "acquisition", "firm_entered",
              "firm_exited")
SIZE_CLASSES = ("small", "medium", "large")


def styled(func):
    """Build the figure inside the package's fixed matplotlib style."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with style():
            return func(*args, **kwargs)

    return wrapper


def _years(events: pd.DataFrame, firms: pd.DataFrame) -> np.ndarray:
    """Every simulated year (from the firm table, which has a row block per year)."""
    if len(firms):
        return np.arange(int(firms["year"].min()), int(firms["year"].max()) + 1)
    if len(events):
        return np.arange(int(events["year"].min()), int(events["year"].max()) + 1)
    return np.arange(1988, 2001)


def paper_points():
    """The paper's Figure-1 points as shares of the 1990s total, or None without the module.

    Returns a dict: ``decade`` (first, last year), ``final`` (year, share of the decade's total
    formed that year) and ``late`` (first, last year, mean yearly share over those years).
    """
    try:
        from restructuring_sim.paper import load_figures
    except ImportError:  # the comparison module is optional for the figures
        return None
    fig = load_figures()
    c = fig.count
    total = c["sme_alliances_decade"].value
    l0, l1 = fig.years("late")
    f0, _ = fig.years("final")
    return {
        "decade": fig.years("decade"),
        "final": (f0, c["sme_alliances_2000"].value / total),
        "late": (l0, l1, c["sme_alliances_late"].value / total / (l1 - l0 + 1)),
    }


def _sme_alliances(events: pd.DataFrame) -> pd.DataFrame:
    mask = ((events["kind"] == "alliance_formed") & events["cross_border"].astype(bool)
            & events["involves_sme"].astype(bool))
    return events.loc[mask]


@styled
def annual_figure(events: pd.DataFrame, firms: pd.DataFrame, title: str = "") -> Figure:
    """Annual deals: the paper's Figure 1 (with its points), deals by kind, by size class."""
    years = _years(events, firms)
    fig = new_figure(13, 4.4, left=0.6, top=0.8, bottom=0.55, wspace=0.22)
    ax, bx, cx = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.3, 1, 1]})

    # (a) cross-border alliances involving SMEs, split by the smallest SME participant
    sme = _sme_alliances(events)
    has_small = sme["size_classes"].map(lambda s: "small" in list(s)).astype(bool)
    small = sme.loc[has_small].groupby("year").size().reindex(years, fill_value=0)
    medium = sme.loc[~has_small].groupby("year").size().reindex(years, fill_value=0)
    ax.bar(years, small, color=SIZE_COLORS["small"], label="with a small firm (1-49)")
    ax.bar(years, medium, bottom=small, color=SIZE_COLORS["medium"],
           label="medium firms only (50-249)")
    points = paper_points()
    if points is not None:
        d0, d1 = points["decade"]
        total = float((small + medium).loc[d0:d1].sum())
        if total > 0:
            fy, fshare = points["final"]
            ax.plot([fy], [fshare * total], "D", color="black", ms=7,
                    label=f"paper: {fy} (scaled to run's {d0}-{d1} total)")
            l0, l1, lmean = points["late"]
            ax.hlines(lmean * total, l0 - 0.4, l1 + 0.4, colors="black", linestyles="--",
                      label=f"paper: mean year {l0}-{l1} (scaled)")
        else:
            ax.text(0.5, 0.5, "no cross-border SME alliance in the 1990s:\npaper points omitted",
                    transform=ax.transAxes, ha="center", va="center", fontsize=8)
    ax.set_title("Cross-border alliances involving SMEs (cf. paper's Figure 1)")
    ax.set_xlabel("year")
    ax.set_ylabel("alliances formed per year")
    ax.legend(fontsize=7, loc="upper left")

    # (b) deals per year by kind
    for kind in DEAL_KINDS:
        counts = events.loc[events["kind"] == kind].groupby("year").size()
        counts = counts.reindex(years, fill_value=0)
        bx.plot(years, counts, marker="o", ms=3, color=KIND_COLORS[kind],
                label=kind.replace("_", " "))
    bx.set_title("Events per year by kind")
    bx.set_xlabel("year")
    bx.set_ylabel("events per year")
    bx.legend(fontsize=7)

    # (c) participations in deals per year by size class
    deals = events.loc[events["kind"].isin(["alliance_formed", "supply_contract_signed",
                                            "acquisition"]), ["year", "size_classes"]]
    parts = deals.explode("size_classes").dropna()
    bottom = np.zeros(len(years))
    for size in SIZE_CLASSES:
        counts = parts.loc[parts["size_classes"] == size].groupby("year").size()
        counts = counts.reindex(years, fill_value=0).to_numpy()
        cx.bar(years, counts, bottom=bottom, color=SIZE_COLORS[size], label=size)
        bottom = bottom + counts
    cx.set_title("Deal participations by size class\n(alliances, supply contracts, acquisitions)")
    cx.set_xlabel("year")
    cx.set_ylabel("participations per year")
    # headroom above the tallest bar, so that the legend (in a row at the top) covers none
    cx.set_ylim(0, max(1.0, float(bottom.max())) * 1.22)
    cx.legend(fontsize=7, loc="upper left", ncols=3)
    for axis in (ax, bx, cx):
        axis.set_xticks(years[::2])
    if title:
        fig.suptitle(title)
    return fig


@styled
def sectors_figure(events: pd.DataFrame, firms: pd.DataFrame, title: str = "") -> Figure:
    """Deals by sector (stacked by kind) and alliances by purpose in each half of the run."""
    fig = new_figure(12, 4.6, left=1.45, top=0.6, bottom=0.75, wspace=0.3)
    ax, bx = fig.subplots(1, 2)
    deals = events.loc[events["kind"].isin(["alliance_formed", "supply_contract_signed",
                                            "acquisition"])]
    table = deals.groupby(["sector", "kind"]).size().unstack(fill_value=0)
    sectors = (sorted(set(firms["sector"].unique()) | set(table.index)) if len(firms)
               else list(table.index))
    table = table.reindex(index=sectors, fill_value=0)
    left = np.zeros(len(sectors))
    y = np.arange(len(sectors))
    for kind in ("alliance_formed", "supply_contract_signed", "acquisition"):
        values = table[kind].to_numpy() if kind in table else np.zeros(len(sectors))
        ax.barh(y, values, left=left, color=KIND_COLORS[kind], label=kind.replace("_", " "))
        left = left + values
    ax.set_yticks(y, [s.replace("_", " ") for s in sectors])
    ax.invert_yaxis()
    ax.set_xlabel("deals in the run")
    ax.set_title("Deals by sector")
    ax.legend(fontsize=7, loc="center right")

    formed = events.loc[events["kind"] == "alliance_formed", ["year", "purposes"]]
    years = _years(events, firms)
    mid = int(years[0] + (years[-1] - years[0] + 1) // 2)
    halves = {f"{years[0]}-{mid - 1}": (years[0], mid - 1), f"{mid}-{years[-1]}": (mid, years[-1])}
    parts = formed.explode("purposes").dropna()
    purposes = ["rnd", "manufacturing", "marketing", "licensing", "supply", "sourcing"]
    purposes += sorted(set(parts["purposes"]) - set(purposes))
    x = np.arange(len(purposes))
    width = 0.8 / len(halves)
    for i, (label, (y0, y1)) in enumerate(halves.items()):
        sub = parts.loc[(parts["year"] >= y0) & (parts["year"] <= y1)]
        counts = sub.groupby("purposes").size().reindex(purposes, fill_value=0)
        bx.bar(x + (i - 0.5 * (len(halves) - 1)) * width, counts, width,
               color=("#999999", "#0072B2")[i % 2], label=label)
    bx.set_xticks(x, purposes, rotation=20)
    bx.set_ylabel("alliances formed (a deal counts under each purpose)")
    bx.set_title("Alliances by purpose")
    bx.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


@styled
def network_figure(metrics: pd.DataFrame, title: str = "") -> Figure:
    """The yearly network metrics in six panels, per layer where the run recorded layers."""
    from restructuring_sim.network import LAYERS, layer_rows

    fig = new_figure(12, 6.4, left=0.6, top=0.6, bottom=0.55, wspace=0.22)
    axes = fig.subplots(2, 3).ravel()
    every = layer_rows(metrics, "all")
    years = every["year"].to_numpy()
    axes[0].plot(years, every["nodes"], marker="o", ms=3, label="active firms")
    axes[0].plot(years, every["tied_nodes"], marker="o", ms=3, label="active firms with a tie")
    if "subsidiaries" in every:
        axes[0].plot(years, every["subsidiaries"], marker="o", ms=3,
                     label="subsidiaries (acquired, held by ownership ties)")
    axes[0].set_title("Firms")
    axes[0].legend(fontsize=7)
    for layer, color in LAYER_COLORS.items():
        col = f"edges_{layer}"
        if col in every:
            axes[1].plot(years, every[col], marker="o", ms=3, color=color, label=layer)
    axes[1].set_title("Live ties by layer")
    axes[1].legend(fontsize=7)
    layered = "layer" in metrics
    lines = [("all", "#555555")] + ([(layer, LAYER_COLORS[layer]) for layer in LAYERS]
                                    if layered else [])
    for layer, color in lines:
        rows = layer_rows(metrics, layer)
        style = dict(marker="o", ms=3, color=color, label=layer)
        axes[2].plot(rows["year"], rows["mean_degree"], **style)
        axes[3].plot(rows["year"], rows["clustering"], **style)
        axes[4].plot(rows["year"], rows["giant_component_share"], **style)
    if layered:
        alliance = layer_rows(metrics, "alliance")
        axes[3].plot(alliance["year"], alliance["random_clustering"], ls=":",
                     color=LAYER_COLORS["alliance"], label="alliance, random graph")
        for axis in axes[2:5]:
            axis.legend(fontsize=7)
    axes[2].set_title("Mean degree (ties per firm in the network)")
    axes[3].set_title("Average clustering (tied firms)")
    axes[4].set_title("Giant component (share of tied firms)")
    axes[5].plot(years, every["sme_tie_share"], marker="o", ms=3, color=SIZE_COLORS["medium"],
                 label="ties involving an SME")
    axes[5].plot(years, every["cross_border_share"], marker="o", ms=3, color="#CC79A7",
                 label="cross-border ties")
    axes[5].set_title("Shares of live ties")
    axes[5].set_ylim(0, 1.02)
    axes[5].legend(fontsize=7)
    for axis in axes:
        axis.set_xlabel("year")
        if len(years):
            axis.set_xticks(years[::2])
    if title:
        fig.suptitle(title)
    return fig


@styled
def sizes_figure(firms: pd.DataFrame, title: str = "") -> Figure:
    """Firm size (employees) among active firms in the first and the last year."""
    fig = new_figure(12, 4.4, left=0.65, top=0.6, bottom=0.7, wspace=0.25)
    ax, bx = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
    first, last = int(firms["year"].min()), int(firms["year"].max())
    # the two years' rows picked at once: a census panel holds some 20 million firm-years
    active = (firms["status"] == "active") if "status" in firms else True
    start = firms.loc[active & (firms["year"] == first)]
    end = firms.loc[active & (firms["year"] == last)]
    emp = np.concatenate([start["employees"].to_numpy(float), end["employees"].to_numpy(float)])
    top = max(1.0, float(np.nanmax(emp))) if len(emp) else 10.0
    # integer-aligned logarithmic bins: employee counts are whole numbers
    bins = np.unique(np.ceil(np.logspace(0, np.log10(top) + 0.05, 30))) - 0.5
    for frame, label, color in ((start, f"{first} ({len(start):,} firms)", "#999999"),
                                (end, f"{last} ({len(end):,} firms)", "#0072B2")):
        values = np.clip(frame["employees"].to_numpy(float), 1, top)
        ax.hist(values, bins=bins, histtype="step", lw=1.8, color=color, label=label)
    for edge in (50, 250):
        ax.axvline(edge, color="k", lw=0.7, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(bottom=0.7)  # a log axis has no zero: steps down to an empty bin end here
    ax.set_xlabel("employees (dotted: 50 and 250, the size-class limits)")
    ax.set_ylabel("active firms")
    ax.set_title("Firm-size distribution, start and end")
    ax.legend(fontsize=8)
    x = np.arange(len(SIZE_CLASSES))
    for i, (frame, label, color) in enumerate(((start, str(first), "#999999"),
                                               (end, str(last), "#0072B2"))):
        counts = frame["size_class"].value_counts().reindex(SIZE_CLASSES, fill_value=0)
        bx.bar(x + (i - 0.5) * 0.4, counts, 0.4, color=color, label=label)
    bx.set_xticks(x, ["small\n1-49", "medium\n50-249", "large\n250+"])
    bx.set_yscale("log")
    bx.set_ylim(bottom=0.7)  # bars rise from the axis (a log axis has no zero to start from)
    bx.set_ylabel("active firms")
    bx.set_title("Firms per size class")
    bx.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


@styled
def selection_figure(firms: pd.DataFrame, title: str = "") -> Figure:
    """Exit rate by change in market share (five groups of firm-years)."""
    fig = new_figure(7, 4.2, left=0.75, top=0.6, bottom=0.9)
    ax = fig.subplots()
    table = exit_rates_by_share_change(firms, groups=5)
    x = np.arange(len(table))
    ax.bar(x, 100 * table["exit_rate"], color="#0072B2")
    labels = [f"{100 * (np.exp(c) - 1):+.0f}%" for c in table["share_change"]]
    ax.set_xticks(x, labels)
    ax.set_xlabel("mean change of market share over the year (five equal groups of firms)")
    ax.set_ylabel("firms exiting the next year (%)")
    ax.set_title("Market selection: exits by change in market share")
    if title:
        fig.suptitle(title)
    return fig


def run_title(run_dir: Path, manifest: dict) -> str:
    """A short title: scenario name and seed of the run."""
    scenario = manifest.get("scenario", {})
    name = scenario.get("name", Path(run_dir).name)
    seed = manifest.get("seed", "?")
    return f"{name} (seed {seed})"


def build_figures(run_dir: str | Path) -> dict[str, Figure]:
    """Every figure of ``plot`` for a run directory, keyed by file stem."""
    from restructuring_sim.viz.common import read_manifest

    run_dir = check_run_dir(run_dir, PLOT_FILES)
    events = read_table(run_dir, "events.parquet")
    firms = read_table(run_dir, "firms.parquet", PLOT_FIRM_COLUMNS)
    metrics = read_table(run_dir, "network_metrics.parquet")
    title = run_title(run_dir, read_manifest(run_dir))
    return {
        "annual_deals": annual_figure(events, firms, title),
        "sectors_purposes": sectors_figure(events, firms, title),
        "network_metrics": network_figure(metrics, title),
        "firm_sizes": sizes_figure(firms, title),
        "market_selection": selection_figure(firms, title),
    }


def write_plots(run_dir: str | Path, out: str | Path, svg: bool = False) -> list[Path]:
    """Write every figure of a run into ``out``; returns the files written."""
    figures = build_figures(run_dir)
    out = make_out_dir(out)
    written = []
    for stem, fig in figures.items():
        written += save_figure(fig, out / f"{stem}.png", svg=svg)
    return written
