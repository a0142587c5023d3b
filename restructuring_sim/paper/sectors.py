"""Deals by sector: what the alliances of each sector are for and how they are made.

:func:`sector_counts` reduces one event log to counts per sector (one row per sector): the
alliances formed in the decade, how many list each purpose, how many are joint ventures, carry
minority equity or involve a small firm (1-49 employees), how many arise from each alliance
motive, and the cross-border acquisitions. :func:`sector_table` pools the counts of an ensemble
(summed over replicates, as the paper's moments are) and turns them into shares, the table
``validate`` prints and writes as ``sectors.csv``:

* ``deals``: alliances formed per replicate (mean over replicates);
* ``<purpose>_share``: share of the alliances listing the purpose (a deal may list several, so
  the shares of a row add up to one or more); ``licensing_share`` is the licensing deals;
* ``joint_venture_share``, ``equity_share``, ``small_firm_share``, ``cross_border_share``;
* ``<motive>_share``: share of the alliances arising from each alliance motive (they add up
  to one);
* ``acquisitions``: cross-border acquisitions of a target of the sector per replicate.

The table is what a reader of the paper's sector character (:file:`DOMAIN.md`) checks: R&D in
pharma, licensing in software and pharma, joint ventures in telecom and finance, marketing in
wholesale, manufacturing and sourcing in automotive and electronics.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from restructuring_sim.events import ALLIANCE_MOTIVES
from restructuring_sim.paper import trends
from restructuring_sim.scenario import PURPOSES

#: the count columns of :func:`sector_counts`
COUNT_COLUMNS = ["deals", *PURPOSES, "joint_venture", "equity", "small_firm", "cross_border",
                 *ALLIANCE_MOTIVES, "acquisitions"]


def sector_counts(events: pd.DataFrame, years: tuple[int, int] = (1990, 2000)) -> pd.DataFrame:
    """Counts per sector (rows) of the alliances formed and the cross-border acquisitions in
    ``years`` (columns :data:`COUNT_COLUMNS`)."""
    frame = trends.in_years(events, years)
    deals = frame.loc[frame["kind"] == "alliance_formed"]
    acq = frame.loc[(frame["kind"] == "acquisition") & frame["cross_border"].astype(bool)]
    sectors = sorted(set(deals["sector"]) | set(acq["sector"]))
    sector = deals["sector"].to_numpy(dtype=object)
    flags = pd.DataFrame({
        "deals": 1,
        "joint_venture": deals["joint_venture"].astype(bool).to_numpy(),
        "equity": deals["equity"].astype(bool).to_numpy(),
        "small_firm": deals["size_classes"].map(lambda s: "small" in list(s)).to_numpy(bool),
        "cross_border": deals["cross_border"].astype(bool).to_numpy(),
    }, index=pd.Index(sector, name="sector"))
    # a deal counts once under each purpose it lists and under its motive
    listed = pd.DataFrame({"deal": np.arange(len(deals)), "sector": sector,
                           "purpose": deals["purposes"].map(list).to_numpy()})
    listed = listed.explode("purpose").dropna().drop_duplicates()
    by_purpose = listed.groupby(["sector", "purpose"]).size().unstack()
    by_motive = deals.groupby(sector)["motive"].value_counts().unstack()
    table = pd.concat([flags.groupby(level=0).sum(), by_purpose, by_motive,
                       acq["sector"].value_counts().rename("acquisitions")], axis=1)
    return (table.reindex(index=sectors, columns=COUNT_COLUMNS).fillna(0).astype(np.int64)
            .rename_axis("sector"))


def sector_table(per_replicate: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The shares of pooled :func:`sector_counts` of several replicates (one row per sector)."""
    if not per_replicate:
        return pd.DataFrame()
    total = pd.concat(per_replicate).groupby(level=0).sum()
    n = len(per_replicate)
    deals = total["deals"].where(total["deals"] > 0)
    out = pd.DataFrame(index=total.index)
    out["deals"] = total["deals"] / n
    for p in PURPOSES:
        out[f"{p}_share"] = total[p] / deals
    for column in ("joint_venture", "equity", "small_firm", "cross_border"):
        out[f"{column}_share"] = total[column] / deals
    for m in ALLIANCE_MOTIVES:
        out[f"{m}_share"] = total[m] / deals
    out["acquisitions"] = total["acquisitions"] / n
    return out


def render(table: pd.DataFrame):
    """A rich table of the main columns of :func:`sector_table` (every column is in the CSV)."""
    from rich import box
    from rich.table import Table

    shown = [("deals", "deals"), ("rnd_share", "R&D"), ("licensing_share", "lic."),
             ("marketing_share", "mkt"), ("manufacturing_share", "mfg"),
             ("sourcing_share", "src"), ("joint_venture_share", "JV"),
             ("equity_share", "equity"), ("small_firm_share", "small"),
             ("acquisitions", "x-b M&A")]
    out = Table(title="Alliances by sector, 1990-2000 (shares of the sector's alliances; "
                "replicates pooled)", box=box.SIMPLE_HEAD, pad_edge=False)
    out.add_column("sector", no_wrap=True)
    for _, label in shown:
        out.add_column(label, justify="right", no_wrap=True)
    for sector, row in table.iterrows():
        cells = []
        for column, _ in shown:
            value = row[column]
            if not np.isfinite(value):
                cells.append("n/a")
            elif column in ("deals", "acquisitions"):
                cells.append(f"{value:.1f}")
            else:
                cells.append(f"{value:.2f}")
        out.add_row(str(sector), *cells)
    return out
