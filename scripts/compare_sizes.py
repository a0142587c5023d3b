"""Compare two `validate` output folders of one scenario at two sample sizes.

Usage::

    restructuring-sim validate SCENARIO -n 40 --out runs/validate/small
    restructuring-sim validate SCENARIO -n 3 --set simulation.n_firms=200000 \
        --out runs/validate/large
    python scripts/compare_sizes.py runs/validate/small runs/validate/large

A sample of n firms stands for one economy, so every moment of the smaller sample must lie
within its tolerance (the paper's rule, applied around the larger sample's value) of the larger
sample's, and the count table's SME cross-border alliances per firm (scaled to the census
economy by each sample's own sampling fraction) within 20%. Prints one line per moment and
exits 1 when one fails.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from restructuring_sim.paper.figures import Moment, _with_rule, load_figures


def _read(folder: str) -> dict:
    """``moments.json`` with the count table (``counts.csv``) under ``counts``."""
    folder = Path(folder)
    record = json.loads((folder / "moments.json").read_text())
    with open(folder / "counts.csv", newline="") as table:
        record["counts"] = [{"name": r["name"], "model": float(r["model_mean"])}
                            for r in csv.DictReader(table)]
    return record


def _around(figures, name: str, value: float):
    """The moment ``name``'s pass rule centred on ``value``. A bound (the paper says "at most")
    is compared as a point: its own rule would only ask the smaller sample to lie below the
    larger one's value (with a strict bound, to within nothing), so it takes the rule of
    ``[tolerance]`` for its kind and value."""
    moment = figures.moment[name]
    if moment.bound == "point":
        return moment.model_copy(update={"value": value})
    raw = moment.model_dump(exclude={"bound", "tolerance", "relative_tolerance", "factor"})
    raw["value"] = value
    return Moment.model_validate(_with_rule(raw, figures.tolerance))


def main(small_path: str, large_path: str) -> int:
    small, large = _read(small_path), _read(large_path)
    figures = load_figures()
    ok = True
    by_name = {m["name"]: m for m in large["moments"]}
    for row in small["moments"]:
        other = by_name[row["name"]]
        a, b = row["model_mean"], other["model_mean"]
        moment = _around(figures, row["name"], b or 0.0)
        within = a is not None and b is not None and bool(moment.passes(a))
        ok &= within
        print(f"{row['name']:42s} {a!s:>22.10} {b!s:>22.10} {moment.rule:>10s} "
              f"{'agree' if within else 'DIFFER'}")
    counts_small = {c["name"]: c for c in small.get("counts", [])}
    counts_large = {c["name"]: c for c in large.get("counts", [])}
    name = "sme_alliances_decade"
    if name in counts_small and name in counts_large:
        a, b = counts_small[name]["model"], counts_large[name]["model"]
        within = abs(a / b - 1) <= 0.2
        ok &= within
        print(f"{name + ' (census-scaled)':42s} {a:22.1f} {b:22.1f} {'+/-20%':>10s} "
              f"{'agree' if within else 'DIFFER'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
