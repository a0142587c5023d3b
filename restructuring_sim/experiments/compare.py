"""Effect sizes of sweep points against a reference point, with 95% intervals over replicates.

For each point and metric the effect is the difference of means (point minus reference) over the
replicates that finished. When the two points ran with the same seeds (common random numbers, as
``compare`` does for scenario files) the interval is the paired t-interval of the per-seed
differences; otherwise Welch's t-interval. With fewer than two replicates on a side there is no
interval (NaN). The relative effect is the difference as a share of the reference mean.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from restructuring_sim.errors import UserError
from restructuring_sim.experiments.metrics import HEADLINE, METRICS

FIXED_COLUMNS = ("point_id", "replicate", "run_key", "seed", "is_baseline", "metric", "value",
                 "status", "error", "wall_time_s")


def parameter_columns(results: pd.DataFrame) -> list[str]:
    """The parameter columns of a result table."""
    return [c for c in results.columns if c not in FIXED_COLUMNS]


def point_labels(results: pd.DataFrame) -> dict[int, str]:
    """A short label per point: the scenario name, or ``key=value`` of its parameters."""
    params = parameter_columns(results)
    first = results.drop_duplicates("point_id").set_index("point_id")
    labels = {}
    for pid, row in first.iterrows():
        if bool(row["is_baseline"]):
            labels[int(pid)] = "baseline (scenario as is)"
        elif params == ["scenario"]:
            labels[int(pid)] = str(row["scenario"])
        else:
            labels[int(pid)] = " ".join(f"{k.split('.')[-1]}={_fmt(row[k])}" for k in params)
    return labels


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def choose_reference(results: pd.DataFrame, manifest: dict[str, Any] | None,
                     reference: str | None) -> int:
    """The reference point: ``reference`` (a point id or label), the baseline point, or point 0."""
    labels = point_labels(results)
    if reference is not None:
        if reference.isdigit() and int(reference) in labels:
            return int(reference)
        for pid, label in labels.items():
            if label == reference:
                return pid
        raise UserError(
            f"--reference {reference!r}: no such point; allowed: point ids 0-{max(labels)} or "
            f"labels {', '.join(repr(v) for v in list(labels.values())[:8])}"
        )
    base = (manifest or {}).get("baseline_point")
    if base is not None and base in labels:
        return int(base)
    return min(labels)


def interval(x: np.ndarray, y: np.ndarray, paired: bool, level: float = 0.95
             ) -> tuple[float, float, float]:
    """Difference of means ``mean(x) - mean(y)`` and its t-interval (paired or Welch)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    diff = float(x.mean() - y.mean()) if len(x) and len(y) else math.nan
    q = 0.5 + level / 2
    if paired:
        d = x - y
        if len(d) < 2:
            return diff, math.nan, math.nan
        se = d.std(ddof=1) / math.sqrt(len(d))
        half = stats.t.ppf(q, len(d) - 1) * se
        return diff, diff - half, diff + half
    if len(x) < 2 or len(y) < 2:
        return diff, math.nan, math.nan
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    se = math.sqrt(vx + vy)
    if se == 0:
        return diff, diff, diff
    dof = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    half = stats.t.ppf(q, dof) * se
    return diff, diff - half, diff + half


def effects(results: pd.DataFrame, reference: int, metrics: list[str] | None = None
            ) -> pd.DataFrame:
    """One row per (point, metric): means, difference to the reference and its 95% interval."""
    ok = results[(results["status"] == "ok") & results["value"].notna()]
    available = list(dict.fromkeys(results["metric"]))
    metrics = [m for m in (metrics or [m for m in HEADLINE if m in available])
               if m in available]
    labels = point_labels(results)
    rows = []
    for metric in metrics:
        m = ok[ok["metric"] == metric]
        ref = m[m["point_id"] == reference].set_index("seed")["value"]
        for pid in sorted(labels):
            if pid == reference:
                continue
            cur = m[m["point_id"] == pid].set_index("seed")["value"]
            common = ref.index.intersection(cur.index)
            paired = len(common) == len(ref) == len(cur) and len(common) > 0
            if paired:
                x, y = cur.loc[common].to_numpy(), ref.loc[common].to_numpy()
            else:
                x, y = cur.to_numpy(), ref.to_numpy()
            diff, lo, hi = interval(x, y, paired)
            ref_mean = float(y.mean()) if len(y) else math.nan
            rows.append(dict(
                metric=metric, point_id=pid, label=labels[pid], reference=labels[reference],
                n=len(x), n_reference=len(y), mean=float(x.mean()) if len(x) else math.nan,
                reference_mean=ref_mean, diff=diff, ci_low=lo, ci_high=hi,
                relative=diff / abs(ref_mean) if ref_mean else math.nan, paired=paired,
            ))
    return pd.DataFrame(rows, columns=[
        "metric", "point_id", "label", "reference", "n", "n_reference", "mean", "reference_mean",
        "diff", "ci_low", "ci_high", "relative", "paired"])


def is_count(metric: str) -> bool:
    """Whether a metric counts things (its description says "(count)"): printed as integers."""
    known = METRICS.get(metric)
    return known is not None and "(count)" in known.description


def _number(value: float, count: bool, sign: bool = False, digits: int = 3) -> str:
    """A mean or an effect as printed: counts as whole numbers with thousands separators, other
    values with ``digits`` significant digits (never in exponent notation above 1e-4)."""
    if math.isnan(value):
        return "n/a"
    plus = "+" if sign else ""
    if count or abs(value) >= 10 ** digits:
        return f"{value:{plus},.0f}"
    if value != 0 and abs(value) < 1e-4:
        return f"{value:{plus}.{digits - 1}e}"
    text = f"{value:{plus}.{digits}g}"
    return text


def print_effects(table: pd.DataFrame, console, title: str) -> None:
    """Print effects as one rich table: a section per metric (with the reference mean), a row
    per point (its mean, the effect with its 95% interval, the relative effect). Counts print
    as whole numbers; the table fits in 80 columns for metric names and labels up to 26
    characters (longer labels are cut with an ellipsis)."""
    from rich import box
    from rich.table import Table

    out = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    out.add_column("metric / point", justify="left", no_wrap=True, max_width=28,
                   overflow="ellipsis")
    for col in ("n", "mean", "effect [95% interval]", "rel."):
        out.add_column(col, justify="right", no_wrap=True)
    for metric, group in table.groupby("metric", sort=False):
        count = is_count(metric)
        ref = group["reference_mean"].iloc[0]
        out.add_row(f"[bold]{metric}[/bold]", str(group["n_reference"].iloc[0]),
                    _number(ref, count), "(reference)", "")
        for r in group.itertuples():
            sig = not (math.isnan(r.ci_low) or r.ci_low <= 0 <= r.ci_high)
            ci = ("" if math.isnan(r.ci_low) else
                  f" [{_number(r.ci_low, count, True, 2)}, {_number(r.ci_high, count, True, 2)}]")
            rel = "" if math.isnan(r.relative) else f"{100 * r.relative:+.0f}%"
            out.add_row(f"  {r.label}", str(r.n), _number(r.mean, count),
                        f"{_number(r.diff, count, True)}{ci}" + (" *" if sig else ""), rel)
    console.print(out)
    console.print("* the 95% interval excludes zero", highlight=False)


def metrics_note(shown: list[str], recorded: list[str], chosen: bool) -> str:
    """One line saying which metrics the table shows and how to see the others."""
    rest = [m for m in recorded if m not in shown]
    which = "chosen with --metrics" if chosen else "headline metrics"
    line = f"showing {len(shown)} of the {len(recorded)} metrics recorded ({which})"
    if rest:
        line += f"; not shown: {', '.join(rest)} (choose with --metrics NAME,NAME)"
    return line


def plot_effects(table: pd.DataFrame, path: str | Path, title: str = "") -> Path:
    """A forest plot: one panel per metric, one row per point, effect and 95% interval."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from restructuring_sim.io import write_atomic

    metrics = list(dict.fromkeys(table["metric"]))
    if not metrics:
        raise UserError("nothing to plot: no metric has finished runs at two points")
    ncol = min(len(metrics), 4)
    nrow = math.ceil(len(metrics) / ncol)
    labels = list(dict.fromkeys(table["label"]))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.6 * ncol + 2.5, 0.32 * len(labels) * nrow + 2),
                             squeeze=False, sharey=True)
    ypos = {label: i for i, label in enumerate(labels)}
    for ax, metric in zip(axes.flat, metrics, strict=False):
        t = table[table["metric"] == metric]
        y = [ypos[lab] for lab in t["label"]]
        err = np.vstack([t["diff"] - t["ci_low"], t["ci_high"] - t["diff"]])
        err = np.nan_to_num(err, nan=0.0)
        ax.errorbar(t["diff"], y, xerr=err, fmt="o", ms=4, capsize=2, color="tab:blue")
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_title(metric, fontsize=9)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
    fig.suptitle(title or "effect against the reference (95% interval)", fontsize=10)
    fig.tight_layout()
    path = Path(path)
    suffix = path.suffix.lstrip(".") or "png"
    write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=110, format=suffix))
    plt.close(fig)
    return path
