"""The paper's absolute counts beside a run's: the census-scale comparison.

The paper's counts (``[count.*]`` of ``figures.toml``) describe the economy its deal database
covers. A run at census scale (``simulation.scale = "census"``) is that economy, so its counts of
*reported* deals (see :mod:`restructuring_sim.observer`) stand beside the paper's as they are; a
run of ``n_firms`` firms is a sample of it, and its counts divided by the sampling fraction
(``n_firms / census_firms``) estimate the economy's. Counts pass within +/-15% of the paper's
figure (from the figure to 15% over it where the paper says "more than" or "at least").
JETRO's count of alliances involving Japanese firms is that of a second observer, the Japanese
press (``named_at_home`` of ``events.parquet``).

The census size itself is fixed from one count: :func:`implied_census_firms` gives the number of
firms at which a run's reported cross-border alliances of the 1990s would number the paper's
42,000. Every other count is then a prediction.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from restructuring_sim.paper.figures import CENSUS_ANCHOR, Figures, load_figures

COLUMNS = ["name", "paper", "model_mean", "low", "high", "at_least", "scored", "pass"]


def count_table(per_replicate: list[dict[str, float]], fractions: list[float],
                figures: Figures | None = None) -> pd.DataFrame:
    """Each count of the paper against the replicates' counts scaled to the economy.

    ``per_replicate`` holds each run's counts (:func:`restructuring_sim.paper.moments.
    event_counts`), ``fractions`` each run's sampling fraction. ``model_mean`` is the mean of
    the scaled counts, ``low``/``high`` their 5th/95th percentiles; ``pass`` says whether the
    mean lies within the count's tolerance (NaN for a count that is not scored).
    """
    fig = figures or load_figures()
    rows = []
    for name, count in fig.count.items():
        values = np.array([r[name] / f for r, f in zip(per_replicate, fractions, strict=True)
                           if name in r], dtype=float)
        if not len(values):
            continue
        mean = float(values.mean())
        low, high = np.percentile(values, [5, 95])
        lo, hi = count.interval(fig.tolerance)
        rows.append(dict(name=name, paper=count.value, model_mean=mean, low=float(low),
                         high=float(high), at_least=count.at_least, scored=count.scored,
                         **{"pass": bool(lo <= mean <= hi) if count.scored else math.nan}))
    return pd.DataFrame(rows, columns=COLUMNS)


def _run_moments(moments: dict[str, tuple[float, float]], fig: Figures) -> dict[str, float]:
    """One run's value of each of the paper's moments: numerator over denominator, NaN where
    the denominator is 0."""
    return {name: top / bottom if bottom else math.nan
            for name, (top, bottom) in moments.items() if name in fig.moment}


def _run_counts(counts: dict[str, float], fraction: float, fig: Figures) -> dict[str, float]:
    """One run's scored counts scaled to the economy by its sampling fraction."""
    return {name: counts[name] / fraction for name, count in fig.count.items()
            if count.scored and name in counts}


def single_runs(per_replicate_fractions: list[dict[str, tuple[float, float]]],
                per_replicate_counts: list[dict[str, float]], fractions: list[float],
                figures: Figures | None = None) -> pd.DataFrame:
    """How each run alone fares: per replicate, its moments within tolerance (each its own
    value, numerator over denominator) and its scored counts within tolerance (scaled to the
    economy by its sampling fraction), out of how many, and whether every one is. The paper's
    database is one economy, so at census scale a single run is what stands beside it."""
    fig = figures or load_figures()
    rows = []
    for moments, counts, fraction in zip(per_replicate_fractions, per_replicate_counts,
                                         fractions, strict=True):
        within = [bool(fig.moment[name].passes(value))
                  for name, value in _run_moments(moments, fig).items()]
        inside = [lo <= value <= hi for name, value in _run_counts(counts, fraction, fig).items()
                  for lo, hi in [fig.count[name].interval(fig.tolerance)]]
        rows.append(dict(moments_within=sum(within), moments=len(within),
                         counts_within=sum(inside), counts=len(inside),
                         all_within=all(within) and all(inside)))
    return pd.DataFrame(rows, columns=["moments_within", "moments", "counts_within", "counts",
                                       "all_within"])


def best_single_run_chance(per_replicate_fractions: list[dict[str, tuple[float, float]]],
                           per_replicate_counts: list[dict[str, float]], fractions: list[float],
                           with_counts: bool = True, figures: Figures | None = None) -> float:
    """The chance that one run puts every moment (and, ``with_counts``, every scored count)
    within tolerance if each one's mean sat in the middle of its window and the runs spread as
    these do: the product over them of ``erf(half / (sd * sqrt 2))``, ``half`` the window's
    half-width and ``sd`` the runs' standard deviation (normal approximation); 1 for a window
    open on one side. It is the ceiling of :func:`single_runs`' ``all_within`` share that no
    calibration can beat at the runs' noise; NaN with fewer than two runs."""
    if len(per_replicate_fractions) < 2:
        return math.nan
    fig = figures or load_figures()
    runs = [_run_moments(m, fig) for m in per_replicate_fractions]
    spreads = [([r[name] for r in runs if math.isfinite(r.get(name, math.nan))],
                moment.interval) for name, moment in fig.moment.items()]
    if with_counts:
        runs = [_run_counts(c, f, fig)
                for c, f in zip(per_replicate_counts, fractions, strict=True)]
        spreads += [([r[name] for r in runs if name in r], count.interval(fig.tolerance))
                    for name, count in fig.count.items() if count.scored]
    chance = 1.0
    for values, (lo, hi) in spreads:
        if len(values) < 2 or not (math.isfinite(lo) and math.isfinite(hi)):
            continue
        sd = float(np.std(values, ddof=1))
        if sd > 0:
            chance *= math.erf((hi - lo) / 2 / (sd * math.sqrt(2)))
    return chance


def implied_census_firms(per_replicate: list[dict[str, float]], n_firms: list[int],
                         figures: Figures | None = None) -> float:
    """Firms of the economy at which the runs' reported cross-border alliances of the 1990s
    would number the paper's count (42,000): ``paper * sum(n_firms) / sum(counts)``; NaN without
    any such alliance."""
    fig = figures or load_figures()
    total = sum(r.get(CENSUS_ANCHOR, 0.0) for r in per_replicate)
    return fig.count[CENSUS_ANCHOR].value * sum(n_firms) / total if total else math.nan


def render_counts(table: pd.DataFrame, census: bool, implied: float, n_firms: int = 0,
                  figures: Figures | None = None):
    """A rich table of :func:`count_table`; the title says whether counts are scaled. A count
    whose ``min_firms`` exceeds the runs' ``n_firms`` (the smallest, if they differ; 0:
    unknown) is marked ``*``, with its ``min_firms_note`` under the table."""
    from rich import box
    from rich.table import Table

    fig = figures or load_figures()
    small = {name: fig.count[name] for name in table["name"]
             if name in fig.count and 0 < n_firms < fig.count[name].min_firms}
    lines = [f"implied census size: {implied:,.0f} firms (42,000 cross-border alliances in "
             "the 1990s)"] if math.isfinite(implied) else []
    lines += [f"* {name}: a run of fewer than {c.min_firms:,} firms {c.min_firms_note}"
              for name, c in small.items()]
    title = ("Counts at census scale against the paper's database" if census else
             "Counts scaled to the census economy (sample counts / sampling fraction)")
    out = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False,
                caption="\n".join(lines) or None)
    out.add_column("count", no_wrap=True)
    for col in ("paper", "model", "90% interval"):
        out.add_column(col, justify="right", no_wrap=True)
    out.add_column("", no_wrap=True)
    for row in table.to_dict(orient="records"):
        paper = f"{'>= ' if row['at_least'] else ''}{row['paper']:,.0f}"
        verdict = ("shown" if not row["scored"] else "pass" if row["pass"] else "FAIL")
        verdict += "*" if row["name"] in small else ""
        out.add_row(row["name"], paper, f"{row['model_mean']:,.0f}",
                    f"{row['low']:,.0f} - {row['high']:,.0f}", verdict)
    return out


def write_counts(table: pd.DataFrame, implied: float, out: Path) -> Path:
    """``counts.csv`` in ``out`` (with the implied census size as a last row)."""
    from restructuring_sim.io import write_text

    extra = pd.DataFrame([dict(name="implied_census_firms", model_mean=implied)])
    path = Path(out) / "counts.csv"
    write_text(pd.concat([table, extra], ignore_index=True).to_csv(index=False), path)
    return path
