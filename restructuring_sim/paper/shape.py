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
* ``growth_led_by_ict_and_pharma``: the rise after 1995 is "led by ICT-based sectors,
  pharmaceuticals and business services". The model's value is the growth of the yearly count
  of cross-border SME alliances from 1990-94 to 1995-2000 in :data:`LEADING_SECTORS` over that
  in the other sectors; it passes above 1.
* ``north_american_smes_lead``: "most allied SMEs are from the US and Canada". The model's
  value is North America's share of the decade's SME participations in cross-border SME
  alliances; it passes above one half.
* ``large_targets_for_presence``: "a major motive for the acquisition of large firms is to
  strengthen market presence". The model's value is the share of the decade's cross-border
  acquisitions of large firms with motive ``market``; it passes when no other motive is more
  frequent.
* ``cross_border_acquisitions_rise``: "global industrial restructuring in the current era is
  characterised by an increase in cross-border strategic alliances, mergers and acquisitions"
  (the paper's summary); the cross-border M&A wave of the late 1990s was several times that of
  the late 1980s (Evenett 2004) and UNCTAD's count of completed deals rose through the decade.
  The model's value is the yearly count of all cross-border acquisitions in 1995-2000 over that
  in 1990-94; it passes above 1. (Alliances have no such check: the deal databases' yearly
  counts of all alliances peak in the mid-1990s, so the halves of the decade do not order them.)
* ``sme_targets_for_technology``: SMEs are bought "mainly for knowledge and technology",
  owners' succession or funding for new ventures (the model has no motive of the last). The
  model's value is the share of the decade's cross-border acquisitions of SMEs (by employees)
  with motive ``technology`` or ``succession``; it passes above one half.

Those five count the deals the database reports (``reported``), as the scored moments do. Three
more read the sector table (:mod:`.sectors`, every alliance formed in the decade), where
:file:`DOMAIN.md` gives each sector's character:

* ``licensing_in_software_and_pharma``: small software developers license to large computer
  firms and small biotech firms are funded by licensing; the two sectors with the highest
  share of licensing deals are software and pharma. The model's value is the lower of the two.
* ``joint_ventures_in_telecom_and_finance``: operators and banks enter markets through joint
  ventures with local firms; the two sectors with the highest share of joint ventures are
  telecom and finance. The model's value is the lower of the two.
* ``wholesale_for_marketing``: wholesale's alliances are marketing and distribution agreements;
  the share of wholesale's alliances listing ``marketing`` passes above one half.

Three more read how the decade's milestones changed the deals the database reports, over the
years of Figure 1 (1988-2000); the first two need the scenario's sectors (their standard and
deregulation years, see :func:`milestones`) and are left out without them:

* ``alliance_cycle``: "many alliances while no dominant design or standard exists; fewer once
  one emerges". For every sector whose standard emerges after 1988, the ratio of its yearly
  alliances from the standard's year on to those before, over the same ratio for the sectors
  that have no standard (the decade's rise in alliances taken out); the model's value is the
  highest such ratio, and it passes below 1.
* ``joint_ventures_follow_deregulation``: telecom operators, banks and insurers enter markets
  through joint ventures after deregulation. For every sector deregulated after 1988, the
  share of its alliances that are joint ventures from the deregulation year on, less the share
  before; the model's value is the lowest such rise, and it passes above 0.
* ``wholesale_folds_into_multi_purpose_deals``: wholesale's marketing and distribution
  agreements are "increasingly folded into broader multi-purpose deals". The share of
  wholesale's alliances that list more than one purpose in 1995-2000 less that in 1990-94;
  it passes above 0.

Every check pools the replicates' counts (as the moments do), so a single replicate's few deals
do not decide it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from restructuring_sim.events import ACQUISITION_MOTIVES
from restructuring_sim.paper import trends

COLUMNS = ["name", "statement", "model", "rule", "pass"]
#: years of the decade (inclusive) over which the statements are checked
DECADE = (1990, 2000)
#: the year the paper gives for services taking the lead, and how far from it still passes
LEAD_YEAR, LEAD_WINDOW = 1995, 2
#: the sectors the paper says led the rise after 1995: ICT-based (software, telecom), computer
#: and Internet (business) services, and pharmaceuticals
LEADING_SECTORS = ("software", "computer_services", "telecom", "pharma")
#: the halves of the decade whose yearly counts the growth compares
EARLY, LATE = trends.PERIODS["1990-94"], trends.PERIODS["1995-2000"]
#: the years of Figure 1, over which the milestone statements compare before and after
SERIES = (1988, 2000)


def milestones(sectors: dict | None) -> dict[str, dict[str, int]]:
    """The sectors' milestone years from a scenario's ``sectors`` section (plain data, as in a
    run's ``manifest.json``): ``{"standard": {sector: year}, "deregulation": {sector: year}}``,
    the sectors without one left out; empty when ``sectors`` is None."""
    out: dict[str, dict[str, int]] = {"standard": {}, "deregulation": {}}
    for name, profile in (sectors or {}).items():
        for key in out:
            year = (profile or {}).get(f"{key}_year")
            if year is not None:
                out[key][name] = int(year)
    return out if sectors else {}


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


def tallies(events: pd.DataFrame, years: tuple[int, int] = DECADE,
            sector_years: dict[str, dict[str, int]] | None = None) -> pd.Series:
    """The counts the statements on sectors, regions, motives and milestones need, in
    ``years`` (pass the reported deals): cross-border SME alliances of
    :data:`LEADING_SECTORS` and of the other sectors in each half of the decade
    (``leading_early``, ``leading_late``, ``other_early``, ``other_late``), SME participations
    in them (``sme_participations``, those from North America
    ``north_american_participations``), cross-border acquisitions by the target's size
    (``large_target_<motive>``, ``sme_target_<motive>``), all cross-border acquisitions in
    each half of the decade (``acquisitions_<early|late>``), and the counts of
    :func:`milestone_tallies` (``sector_years``: :func:`milestones`)."""
    deals = trends.sme_alliances(events)
    leading = deals["sector"].isin(LEADING_SECTORS)
    counts = {}
    for half, span in (("early", EARLY), ("late", LATE)):
        for name, rows in (("leading", deals.loc[leading]), ("other", deals.loc[~leading])):
            counts[f"{name}_{half}"] = len(trends.in_years(rows, span))
    parts = trends.in_years(trends.participations(events), years)
    counts["sme_participations"] = len(parts)
    counts["north_american_participations"] = int((parts["region"] == "north_america").sum())
    bought = trends.in_years(events.loc[(events["kind"] == "acquisition")
                                        & events["cross_border"].astype(bool)], years)
    target = bought["size_classes"].map(lambda sizes: list(sizes)[1])  # acquirer, target
    for size, rows in (("large", bought.loc[target == "large"]),
                       ("sme", bought.loc[target.isin(trends.SME_CLASSES)])):
        motives = rows["motive"].value_counts()
        for motive in ACQUISITION_MOTIVES:
            counts[f"{size}_target_{motive}"] = int(motives.get(motive, 0))
    for half, span in (("early", EARLY), ("late", LATE)):
        counts[f"acquisitions_{half}"] = len(trends.in_years(bought, span))
    counts.update(milestone_tallies(events, sector_years or {}))
    return pd.Series(counts, dtype=float)


def milestone_tallies(events: pd.DataFrame,
                      sector_years: dict[str, dict[str, int]]) -> dict[str, int]:
    """Alliances formed over :data:`SERIES` (pass the reported deals), counted before and from
    each milestone year: ``cycle_<sector>_<before|after>`` and ``cycle_<sector>_rest_<before|
    after>`` (the sectors without a standard, over the same years) for every sector whose
    standard emerges after the first year; ``deregulation_<sector>_<before|after>`` and
    ``deregulation_<sector>_jv_<before|after>`` (joint ventures) for every sector deregulated
    after it; and wholesale's alliances and those with more than one purpose in each half of
    the decade (``wholesale_<early|late>``, ``wholesale_multi_<early|late>``)."""
    deals = trends.in_years(events.loc[events["kind"] == "alliance_formed"], SERIES)
    year, sector = deals["year"], deals["sector"]
    counts: dict[str, int] = {}
    standard = sector_years.get("standard", {})
    rest = ~sector.isin(list(standard))
    for name, start in standard.items():
        if not SERIES[0] < start <= SERIES[1]:
            continue
        after = year >= start
        for label, when in (("before", ~after), ("after", after)):
            counts[f"cycle_{name}_{label}"] = int(((sector == name) & when).sum())
            counts[f"cycle_{name}_rest_{label}"] = int((rest & when).sum())
    joint = deals["joint_venture"].astype(bool)
    for name, start in sector_years.get("deregulation", {}).items():
        if not SERIES[0] < start <= SERIES[1]:
            continue
        after = year >= start
        for label, when in (("before", ~after), ("after", after)):
            mine = (sector == name) & when
            counts[f"deregulation_{name}_{label}"] = int(mine.sum())
            counts[f"deregulation_{name}_jv_{label}"] = int((mine & joint).sum())
    wholesale = deals.loc[sector == "wholesale"]
    multi = wholesale["purposes"].map(lambda purposes: len(list(purposes)) > 1).astype(bool)
    for half, span in (("early", EARLY), ("late", LATE)):
        within = wholesale["year"].between(*span)
        counts[f"wholesale_{half}"] = int(within.sum())
        counts[f"wholesale_multi_{half}"] = int((within & multi).sum())
    return counts


def _share(part: float, whole: float) -> float:
    return part / whole if whole else float("nan")


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


def check(per_replicate: Sequence[pd.DataFrame],
          per_replicate_tallies: Sequence[pd.Series] = (),
          sectors: pd.DataFrame | None = None) -> pd.DataFrame:
    """The statements against the pooled :func:`yearly` tables of an ensemble (columns
    :data:`COLUMNS`), with those on sectors, regions and motives where the ensemble's
    :func:`tallies` are given, and those on sector character where its sector table
    (:func:`restructuring_sim.paper.sectors.sector_table`) is."""
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
    if len(per_replicate_tallies):
        rows += _deal_statements(sum(per_replicate_tallies[1:], per_replicate_tallies[0]))
    if sectors is not None and not sectors.empty:
        rows += _sector_statements(sectors)
    return pd.DataFrame(rows, columns=COLUMNS)


def _deal_statements(t: pd.Series) -> list[dict]:
    """Rows of the statements on the pooled :func:`tallies` ``t``."""
    span = {"early": EARLY[1] - EARLY[0] + 1, "late": LATE[1] - LATE[0] + 1}

    def growth(name: str) -> float:
        early = t[f"{name}_early"] / span["early"]
        return _share(t[f"{name}_late"] / span["late"], early)

    led = _share(growth("leading"), growth("other"))
    north = _share(t["north_american_participations"], t["sme_participations"])
    large = t[[f"large_target_{m}" for m in ACQUISITION_MOTIVES]]
    presence = _share(large["large_target_market"], large.sum())
    sme = t[[f"sme_target_{m}" for m in ACQUISITION_MOTIVES]]
    technology = _share(sme["sme_target_technology"] + sme["sme_target_succession"], sme.sum())
    bought = growth("acquisitions")
    rows = [
        dict(name="growth_led_by_ict_and_pharma",
             statement="ICT, business services and pharma lead the rise after 1995",
             model=led, rule="> 1", **{"pass": bool(led > 1)}),
        dict(name="north_american_smes_lead",
             statement="most allied SMEs are from North America",
             model=north, rule="> 0.5", **{"pass": bool(north > 0.5)}),
        dict(name="large_targets_for_presence",
             statement="large firms are bought mainly for market presence",
             model=presence, rule="most frequent",
             **{"pass": bool(large.sum() and large["large_target_market"] >= large.max())}),
        dict(name="cross_border_acquisitions_rise",
             statement="cross-border M&As increase over the decade",
             model=bought, rule="> 1", **{"pass": bool(bought > 1)}),
        dict(name="sme_targets_for_technology",
             statement="SMEs are bought mainly for technology or on succession",
             model=technology, rule="> 0.5", **{"pass": bool(technology > 0.5)}),
    ]
    return rows + _milestone_statements(t)


def _milestone_statements(t: pd.Series) -> list[dict]:
    """Rows of the statements on the pooled :func:`milestone_tallies` in ``t`` (the cycle and
    deregulation rows only where the tallies hold their sectors)."""
    rows = []
    cycled = sorted({key[len("cycle_"):-len("_before")] for key in t.index
                     if key.startswith("cycle_") and key.endswith("_before")
                     and not key.endswith("_rest_before")})
    if cycled:
        # a sector with no alliance before its standard shows no cycle either way: left out
        ratios = [_share(_share(t[f"cycle_{s}_after"], t[f"cycle_{s}_before"]),
                         _share(t[f"cycle_{s}_rest_after"], t[f"cycle_{s}_rest_before"]))
                  for s in cycled]
        ratio = max((r for r in ratios if not np.isnan(r)), default=float("nan"))
        rows.append(dict(name="alliance_cycle",
                         statement="sectors ally less once a standard emerges",
                         model=ratio, rule="< 1", **{"pass": bool(ratio < 1)}))
    opened = sorted({key[len("deregulation_"):-len("_jv_before")] for key in t.index
                     if key.startswith("deregulation_") and key.endswith("_jv_before")})
    if opened:
        # no alliance before deregulation: no joint venture before it either
        rise = min(_share(t[f"deregulation_{s}_jv_after"], t[f"deregulation_{s}_after"])
                   - np.nan_to_num(_share(t[f"deregulation_{s}_jv_before"],
                                          t[f"deregulation_{s}_before"]))
                   for s in opened)
        rows.append(dict(name="joint_ventures_follow_deregulation",
                         statement="deregulated sectors enter through joint ventures",
                         model=rise, rule="> 0", **{"pass": bool(rise > 0)}))
    if "wholesale_early" in t.index:
        folded = (_share(t["wholesale_multi_late"], t["wholesale_late"])
                  - _share(t["wholesale_multi_early"], t["wholesale_early"]))
        rows.append(dict(name="wholesale_folds_into_multi_purpose_deals",
                         statement="wholesale deals fold into multi-purpose deals",
                         model=folded, rule="> 0", **{"pass": bool(folded > 0)}))
    return rows


def _top_two(sectors: pd.DataFrame, column: str) -> set[str]:
    return set(sectors[column].dropna().nlargest(2).index)


def _sector_statements(sectors: pd.DataFrame) -> list[dict]:
    """Rows of the statements on the pooled sector table ``sectors`` (one row per sector)."""
    rows = []
    for name, statement, column, pair in (
            ("licensing_in_software_and_pharma",
             "software and pharma license most", "licensing_share", ("software", "pharma")),
            ("joint_ventures_in_telecom_and_finance",
             "telecom and finance form most joint ventures", "joint_venture_share",
             ("telecom", "finance"))):
        model = float(sectors[column].reindex(list(pair)).min())
        rows.append(dict(name=name, statement=statement, model=model,
                         rule=f"top two: {' and '.join(pair)}",
                         **{"pass": _top_two(sectors, column) == set(pair)}))
    marketing = float(sectors["marketing_share"].get("wholesale", float("nan")))
    rows.append(dict(name="wholesale_for_marketing",
                     statement="wholesale's alliances are for marketing",
                     model=marketing, rule="> 0.5", **{"pass": bool(marketing > 0.5)}))
    return rows
