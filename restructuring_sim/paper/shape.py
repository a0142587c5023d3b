"""The paper's qualitative statements about the decade, checked on an ensemble of runs.

The scored moments (:mod:`.moments`) are shares and ratios of period totals; the paper also says
how the decade unfolded, and these checks put that beside the model:

* ``sme_alliances_rise``: cross-border alliances involving SMEs rise over the decade (Figure 1).
  The model's value is the least-squares trend of the yearly count over 1990-2000, as a share of
  the mean year (per year); it passes when positive.
* ``services_lead_from``: services took the lead from manufacturing around 1995 ("manufacturing
  led before 1995"). The model's value is the first year from which services' SME participations
  are at least manufacturing's in every later year up to 2000; it passes within
  :data:`LEAD_WINDOW` years of 1995.
* ``sme_deals_with_a_large_firm``: most alliances involving SMEs pair them with a large firm. The
  model's value is the share of the decade's cross-border SME alliances that have a large
  participant; it passes above one half.
* ``large_firms_start``: multinationals seek small firms' technology and local knowledge, so large
  firms start a good part of the alliances involving SMEs. The model's value is the share of the
  decade's cross-border SME alliances whose first firm (``firm_ids[0]``, the firm that searched
  or was proposed the contact) is large; it passes at one third or more.

Every check pools the replicates' counts (as the moments do), so a single replicate's few deals
do not decide it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from restructuring_sim.paper import trends

COLUMNS = ["name", "statement", "model", "rule", "pass"]
#: years of the decade (inclusive) over which the statements are checked
DECADE = (1990, 2000)
#: the year the paper gives for services taking the lead, and how far from it still passes
LEAD_YEAR, LEAD_WINDOW = 1995, 2


def yearly(events: pd.DataFrame, years: tuple[int, int] = DECADE) -> pd.DataFrame:
    """Per year: cross-border SME alliances, those with a large participant, those a large firm
    started, and SME participations in manufacturing and in services (columns ``alliances``,
    ``with_large``, ``started_by_large``, ``manufacturing``, ``services``)."""
    index = pd.RangeIndex(years[0], years[1] + 1, name="year")
    deals = trends.in_years(trends.sme_alliances(events), years)
    large = deals["size_classes"].map(lambda classes: "large" in list(classes)).astype(bool)
    started = deals["size_classes"].map(lambda classes: list(classes)[0] == "large").astype(bool)
    parts = trends.in_years(trends.participations(events), years)
    groups = parts.groupby(["year", "sector_group"]).size().unstack(fill_value=0)
    groups = groups.reindex(index=index, columns=list(trends.SECTOR_GROUPS), fill_value=0)
    return pd.DataFrame({
        "alliances": deals.groupby("year").size().reindex(index, fill_value=0),
        "with_large": deals.loc[large].groupby("year").size().reindex(index, fill_value=0),
        "started_by_large": deals.loc[started].groupby("year").size().reindex(index,
                                                                               fill_value=0),
        "manufacturing": groups["manufacturing"],
        "services": groups["services"],
    }).astype(int)


def trend_per_year(counts: pd.Series) -> float:
    """Least-squares slope of ``counts`` on the year, over the mean count (per year; NaN when
    there is no count)."""
    mean = counts.mean()
    if not mean:
        return float("nan")
    years = counts.index.to_numpy(dtype=float)
    slope = np.polyfit(years - years.mean(), counts.to_numpy(dtype=float), 1)[0]
    return float(slope / mean)


def lead_from(manufacturing: pd.Series, services: pd.Series) -> float:
    """First year from which ``services >= manufacturing`` in every later year (NaN if services
    trail in the last year)."""
    ahead = (services >= manufacturing).to_numpy()
    if not len(ahead) or not ahead[-1]:
        return float("nan")
    behind = np.flatnonzero(~ahead)
    first = 0 if not len(behind) else behind[-1] + 1
    return float(services.index[first])


def check(per_replicate: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The statements against the pooled :func:`yearly` tables of an ensemble (columns
    :data:`COLUMNS`)."""
    if not per_replicate:
        raise ValueError("check needs at least one replicate")
    pooled = sum(per_replicate[1:], per_replicate[0])
    rise = trend_per_year(pooled["alliances"])
    lead = lead_from(pooled["manufacturing"], pooled["services"])
    total = pooled["alliances"].sum()
    with_large = pooled["with_large"].sum() / total if total else float("nan")
    started = pooled["started_by_large"].sum() / total if total else float("nan")
    rows = [
        dict(name="sme_alliances_rise",
             statement="cross-border alliances involving SMEs rise over 1990-2000",
             model=rise, rule="trend > 0", **{"pass": bool(rise > 0)}),
        dict(name="services_lead_from",
             statement="services lead manufacturing from about 1995",
             model=lead, rule=f"{LEAD_YEAR - LEAD_WINDOW}-{LEAD_YEAR + LEAD_WINDOW}",
             **{"pass": bool(abs(lead - LEAD_YEAR) <= LEAD_WINDOW)}),
        dict(name="sme_deals_with_a_large_firm",
             statement="most alliances involving SMEs include a large firm",
             model=with_large, rule="> 0.5", **{"pass": bool(with_large > 0.5)}),
        dict(name="large_firms_start",
             statement="large firms start a third or more of alliances involving SMEs",
             model=started, rule=">= 1/3", **{"pass": bool(started >= 1 / 3)}),
    ]
    return pd.DataFrame(rows, columns=COLUMNS)
