"""Is a run of n firms a sample of one economy? Rates and shares of the baseline at several n.

Prints, for each sample size, per-1,000-firm counts (alliances, cross-border alliances, SME
cross-border alliances, domestic and cross-border alliances between two large firms,
acquisitions, exits, entries), shares (SME share of cross-border
alliances, services share and small/medium ratio of SME participations) and by size class the
mean ``market_share`` (1 = the market's mean firm) and the yearly exit rate. Each row pools
its seeds; every row should agree in expectation.

    .venv/bin/python scripts/invariance.py                      # 5,000 x 8, 20,000 x 3, 80,000 x 1
    .venv/bin/python scripts/invariance.py --sizes 2000:8 20000:1 --set market.crowding=0.5
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from restructuring_sim import load_scenario
from restructuring_sim.paper.ensemble import run_ensemble, run_one

BASELINE = Path(__file__).resolve().parents[1] / "experiments" / "scenarios" / "baseline.toml"
CLASSES = ("small", "medium", "large")


def statistics(data: dict, seed: int) -> dict[str, float]:
    """Counts of one run, summed later over seeds (every deal, reported or not)."""
    events, firms = run_one(data, seed)
    made = events.loc[events["kind"] == "alliance_formed"]
    cross = made.loc[made["cross_border"].astype(bool)]
    sme = cross.loc[cross["involves_sme"].astype(bool)]
    parts = sme.explode("size_classes")
    parts = parts.loc[parts["size_classes"].isin(["small", "medium"])]
    large_pair = made["size_classes"].map(lambda sizes: all(c == "large" for c in sizes))
    exited = events.loc[events["kind"] == "firm_exited"].explode("size_classes")
    alive = firms.loc[firms["status"] == "active"]
    out = dict(alliances=len(made), cross=len(cross), sme=len(sme), participations=len(parts),
               large_home=int((large_pair & ~made["cross_border"].astype(bool)).sum()),
               large_cross=int((large_pair & made["cross_border"].astype(bool)).sum()),
               services=int((parts["sector_group"] == "services").sum()),
               small=int((parts["size_classes"] == "small").sum()),
               acquisitions=int((events["kind"] == "acquisition").sum()),
               exits=len(exited), entries=int((events["kind"] == "firm_entered").sum()))
    for c in CLASSES:
        rows = alive.loc[alive["size_class"] == c]
        out[f"years_{c}"] = len(rows)
        out[f"share_sum_{c}"] = float(rows["market_share"].sum())
        out[f"exits_{c}"] = int((exited["size_classes"] == c).sum())
    return out


def table(scenario_path: Path, sizes: list[tuple[int, int]], overrides: list[str]) -> pd.DataFrame:
    """One row per sample size: pooled rates and shares."""
    rows = {}
    for n, reps in sizes:
        sc = load_scenario(scenario_path, [*overrides, f"simulation.n_firms={n}"])
        tot = pd.DataFrame(run_ensemble(sc, reps, workers=1, task=statistics)).sum()
        per = 1000.0 / (n * reps)
        row = {k: tot[k] * per for k in ("alliances", "cross", "sme", "large_home",
                                         "large_cross", "acquisitions", "exits", "entries")}
        row["sme/cross"] = tot["sme"] / max(tot["cross"], 1)
        row["serv/part"] = tot["services"] / max(tot["participations"], 1)
        row["small/medium"] = tot["small"] / max(tot["participations"] - tot["small"], 1)
        for c in CLASSES:
            years = max(tot[f"years_{c}"], 1)
            row[f"mshare_{c}"] = tot[f"share_sum_{c}"] / years
            row[f"exit%_{c}"] = 100.0 * tot[f"exits_{c}"] / years
        rows[f"{n} x {reps}"] = row
    return pd.DataFrame(rows).T


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", type=Path, default=BASELINE)
    p.add_argument("--sizes", nargs="+", default=["5000:8", "20000:3", "80000:1"],
                   help="n_firms:replicates pairs")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   help="scenario override key=value (repeatable)")
    a = p.parse_args(argv)
    sizes = [(int(s.split(":")[0]), int(s.split(":")[1])) for s in a.sizes]
    with pd.option_context("display.width", 200, "display.max_columns", 30,
                           "display.float_format", lambda v: f"{v:.3g}"):
        t = table(a.scenario, sizes, a.overrides)
        print(t.iloc[:, :11].to_string())
        print(t.iloc[:, 11:].to_string())
    return 0 if np.isfinite(t.to_numpy(dtype=float)).all() else 1


if __name__ == "__main__":
    sys.exit(main())
