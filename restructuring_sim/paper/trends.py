"""Event log -> the paper's categories.

Every function takes an event log (a pandas DataFrame with the columns of
:data:`restructuring_sim.events.SCHEMA`) and returns counts in the categories the paper reports.
The paper's unit is the *cross-border alliance involving at least one SME* (small: 1-49
employees, medium: 50-249, as at the deal); where it splits by size class or sector group it
counts *participations*: each SME taking part in a deal counts once, in the deal's sector group.
"""

from __future__ import annotations

import pandas as pd

SME_CLASSES = ("small", "medium")
SECTOR_GROUPS = ("manufacturing", "services")
#: the paper's two halves of the decade (inclusive years)
PERIODS = {"1990-94": (1990, 1994), "1995-2000": (1995, 2000)}

_PARTICIPATION_COLUMNS = ["deal_id", "year", "sector", "sector_group", "size_class", "region"]
#: the kinds of event the paper's figures count (alliances, acquisitions, and supply contracts
#: for the matching service's conversion); entries, exits and ends of deals are read by none
PAPER_KINDS = ("alliance_formed", "acquisition", "supply_contract_signed")
#: columns of the event log no figure reads
_UNREAD_COLUMNS = ["run_id", "seed", "step", "quarter"]


def paper_deals(events: pd.DataFrame) -> pd.DataFrame:
    """The rows of an event log the paper's figures read (:data:`PAPER_KINDS`), without the
    columns none of them reads. Every figure picks its rows by kind, so its value is the same on
    this as on the whole log; a log narrowed once (about a quarter of a baseline log's rows)
    spares each of the figures' some hundred filters copying the rest."""
    rows = events.loc[events["kind"].isin(PAPER_KINDS)]
    return rows.drop(columns=[c for c in _UNREAD_COLUMNS if c in rows])


def reported(events: pd.DataFrame) -> pd.DataFrame:
    """The events the paper's deal database would hold (``reported``; see
    :mod:`restructuring_sim.observer`); every event of a log without that column."""
    if "reported" not in events:
        return events
    return events.loc[events["reported"].astype(bool)]


def japan_reported_counts(events: pd.DataFrame,
                          years: tuple[int, int] = (1995, 1999)) -> tuple[int, int]:
    """``(database, JETRO)``: cross-border alliances involving a Japanese firm formed in
    ``years`` that the deal database reports, and those JETRO's count from Japanese newspapers
    holds, a Japanese participant being named by its home press (``named_at_home``; every such
    alliance where the log has no such column). The paper: 5,000 against more than 10,000 in
    1995-99."""
    rows = events.loc[(events["kind"] == "alliance_formed") & events["cross_border"].astype(bool)]
    rows = in_years(rows, years)
    japanese = rows["countries"].map(lambda countries: [c == "JP" for c in countries])
    rows, japanese = rows.loc[japanese.map(any)], japanese.loc[japanese.map(any)]
    shown = rows["reported"].astype(bool).sum() if "reported" in rows else len(rows)
    if "named_at_home" not in rows:
        return int(shown), len(rows)
    jetro = sum(any(j and named for j, named in zip(jp, at_home, strict=True))
                for jp, at_home in zip(japanese, rows["named_at_home"], strict=True))
    return int(shown), int(jetro)


def sme_alliances(events: pd.DataFrame) -> pd.DataFrame:
    """Cross-border alliances involving at least one SME (one row per alliance formed)."""
    mask = (events["kind"] == "alliance_formed") & events["cross_border"] & events["involves_sme"]
    return events.loc[mask.astype(bool)]


def in_years(frame: pd.DataFrame, years: tuple[int, int]) -> pd.DataFrame:
    """Rows whose ``year`` lies in the inclusive range ``years``."""
    return frame.loc[(frame["year"] >= years[0]) & (frame["year"] <= years[1])]


def participations(events: pd.DataFrame) -> pd.DataFrame:
    """SME participations in cross-border SME alliances: one row per SME participant of a deal.

    Columns: deal_id, year, sector, sector_group, size_class (small or medium), region (the
    participant's home region).
    """
    deals = sme_alliances(events)
    if deals.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in _PARTICIPATION_COLUMNS})
    rows = deals[["deal_id", "year", "sector", "sector_group", "size_classes", "regions"]]
    rows = rows.explode(["size_classes", "regions"])
    rows = rows.rename(columns={"size_classes": "size_class", "regions": "region"})
    return rows.loc[rows["size_class"].isin(SME_CLASSES)].reset_index(drop=True)


def annual_counts(events: pd.DataFrame, years: tuple[int, int] = (1988, 2000)) -> pd.Series:
    """Cross-border alliances involving SMEs per year (the paper's Figure 1), zeros filled."""
    counts = sme_alliances(events).groupby("year").size()
    index = pd.RangeIndex(years[0], years[1] + 1, name="year")
    return counts.reindex(index, fill_value=0).astype(int).rename("alliances")


def by_size_class(events: pd.DataFrame, years: tuple[int, int] = (1995, 2000)) -> pd.Series:
    """SME participations by size class (small, medium) in the years given."""
    parts = in_years(participations(events), years)
    counts = parts.groupby("size_class").size()
    return counts.reindex(list(SME_CLASSES), fill_value=0).astype(int).rename("participations")


def by_size_and_group(events: pd.DataFrame,
                      years: tuple[int, int] = (1995, 2000)) -> pd.DataFrame:
    """SME participations by size class (rows) and sector group (columns) in the years given."""
    parts = in_years(participations(events), years)
    table = parts.groupby(["size_class", "sector_group"]).size().unstack(fill_value=0)
    return table.reindex(index=list(SME_CLASSES), columns=list(SECTOR_GROUPS),
                         fill_value=0).astype(int)


def by_group_and_period(events: pd.DataFrame,
                        periods: dict[str, tuple[int, int]] | None = None) -> pd.DataFrame:
    """SME participations by sector group (columns) in each period (rows: 1990-94, 1995-2000)."""
    periods = periods or PERIODS
    parts = participations(events)
    rows = {}
    for label, years in periods.items():
        counts = in_years(parts, years).groupby("sector_group").size()
        rows[label] = counts.reindex(list(SECTOR_GROUPS), fill_value=0)
    return pd.DataFrame(rows).T.rename_axis("period").astype(int)


def by_sector(events: pd.DataFrame,
              periods: dict[str, tuple[int, int]] | None = None) -> pd.DataFrame:
    """Cross-border SME alliances by sector (rows) and period (columns)."""
    periods = periods or PERIODS
    deals = sme_alliances(events)
    cols = {label: in_years(deals, years).groupby("sector").size()
            for label, years in periods.items()}
    return pd.DataFrame(cols).fillna(0).astype(int).rename_axis("sector")


def by_purpose(events: pd.DataFrame,
               periods: dict[str, tuple[int, int]] | None = None) -> pd.DataFrame:
    """Cross-border SME alliances by purpose (rows) and period (columns).

    One deal can have several purposes, so a deal counts once under each of its purposes.
    """
    periods = periods or PERIODS
    deals = sme_alliances(events)[["year", "purposes"]].explode("purposes").dropna()
    cols = {label: in_years(deals, years).groupby("purposes").size()
            for label, years in periods.items()}
    return pd.DataFrame(cols).fillna(0).astype(int).rename_axis("purpose")


def cross_border_sme_counts(events: pd.DataFrame,
                            years: tuple[int, int] = (1990, 2000)) -> tuple[int, int]:
    """``(involving an SME, all)``: cross-border alliances formed in ``years``."""
    formed = events.loc[(events["kind"] == "alliance_formed") & events["cross_border"]]
    formed = in_years(formed, years)
    return int(formed["involves_sme"].astype(bool).sum()), len(formed)


def sme_only_counts(events: pd.DataFrame,
                    years: tuple[int, int] = (1990, 2000)) -> tuple[int, int]:
    """``(all participants SMEs, all)``: cross-border SME alliances formed in ``years``."""
    deals = in_years(sme_alliances(events), years)
    only = deals["size_classes"].map(lambda sizes: all(s in SME_CLASSES for s in sizes))
    return int(only.sum()), len(deals)


#: the paper's cut for an SME target in M&A statistics: capitalisation up to USD 2.5 million
SME_CAPITALISATION_MAX = 2.5


def sme_acquisition_counts(events: pd.DataFrame, years: tuple[int, int] = (1990, 2000),
                           capitalisation_max: float | None = SME_CAPITALISATION_MAX
                           ) -> tuple[int, int]:
    """``(SME target, all)``: cross-border acquisitions in ``years``.

    As in the paper's M&A figures, a target is an SME when its capitalisation, the price paid
    for it (the event's ``value``, USD million), is known (``value_disclosed``, where the log has
    it) and at most ``capitalisation_max``; with ``capitalisation_max=None`` the target's size
    class (``size_classes[1]``) decides instead.
    """
    acq = in_years(events.loc[(events["kind"] == "acquisition") & events["cross_border"]], years)
    if capitalisation_max is not None:
        sme = acq["value"] <= capitalisation_max
        if "value_disclosed" in acq:
            sme &= acq["value_disclosed"].astype(bool)
    else:
        sme = acq["size_classes"].map(lambda sizes: len(sizes) > 1 and sizes[1] in SME_CLASSES)
    return int(sme.sum()), len(acq)


def summary_tables(events: pd.DataFrame) -> dict[str, pd.DataFrame | pd.Series]:
    """Every category of the paper for one event log, keyed by a short name."""
    return {
        "annual": annual_counts(events),
        "size_class_1995_2000": by_size_class(events),
        "size_by_group_1995_2000": by_size_and_group(events),
        "group_by_period": by_group_and_period(events),
        "sector": by_sector(events),
        "purpose": by_purpose(events),
    }
