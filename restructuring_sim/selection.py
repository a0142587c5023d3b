"""Market selection: which firms exit, by how their market share moved; and the size classes'
yearly flows (:func:`size_class_flows`).

The product markets (:mod:`restructuring_sim.mechanisms.market`) decide each firm's sales; a firm
whose share falls loses revenue and margin and is the one likely to close. This module measures
that from a run's yearly firm panel (``firms.parquet``): the firms active in two consecutive
years are ranked by the change of their market share between them (log ratio of
``market_share``, sales in the home market relative to the mean firm's there), cut into equal
groups, and each group's exit rate is the share of its firms that close (status ``exited``) in
the following year. Acquired firms do not count as exits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def exit_rates_by_share_change(firms: pd.DataFrame, groups: int = 5) -> pd.DataFrame:
    """Exit rate of firms by their change in market share over the year before.

    Parameters
    ----------
    firms : the firm panel (``firms.parquet``: ``firm_id``, ``year``, ``status``,
        ``market_share``), one or more runs (rows of several runs need distinct
        ``(run_id, firm_id)``; a ``run_id`` column is used when present).
    groups : number of equal groups of firms by share change (quantiles), 2 or more.

    Returns
    -------
    One row per group, from the largest loss of share (group 0) to the largest gain:
    ``share_change`` (mean log change of market share), ``exit_rate`` (share of the group's
    firms that exit in the next year), ``firms`` (firm-years in the group), ``exits``.
    """
    if groups < 2:
        raise ValueError(f"groups: {groups} given, need at least 2")
    keys = _firm_keys(firms)
    panel = firms[[*keys, "year", "status", "market_share"]]
    rows = _beside(panel, panel, keys, -1, ["status", "market_share"], "_before")
    rows = _beside(rows, panel, keys, 1, ["status"], "_after")
    alive = (rows["status"] == "active") & (rows["status_before"] == "active")
    alive &= (rows["market_share"] > 0) & (rows["market_share_before"] > 0)
    rows = rows.loc[alive]
    change = np.log(rows["market_share"].to_numpy() / rows["market_share_before"].to_numpy())
    exited = (rows["status_after"] == "exited").to_numpy()
    if len(change) < groups:
        raise ValueError(f"too few firm-years ({len(change)}) for {groups} groups")
    # ranks cut into equal groups (ties broken by order: a stable, deterministic split)
    rank = np.argsort(np.argsort(change, kind="stable"), kind="stable")
    group = rank * groups // len(change)
    table = pd.DataFrame({"group": group, "change": change, "exit": exited})
    out = table.groupby("group").agg(share_change=("change", "mean"), exit_rate=("exit", "mean"),
                                     firms=("exit", "size"), exits=("exit", "sum"))
    out.index.name = "share_change_group"
    return out


#: where a firm active at the end of a year is at the end of the next, in the order of the
#: columns of :func:`size_class_flows`
DESTINATIONS = ("small", "medium", "large", "acquired", "exited")


def size_class_flows(firms: pd.DataFrame) -> pd.DataFrame:
    """Yearly chances that a firm of each size class stays, moves class, is acquired or exits.

    One economy should keep its shape over a run: the medium and large classes lose firms to
    acquisitions, exits and shrinking, and are refilled by firms growing into them. This table
    shows whether they are (a class losing a tenth of its firms a year to acquisitions is being
    drained).

    Parameters
    ----------
    firms : the firm panel (``firms.parquet``: ``firm_id``, ``year``, ``size_class``,
        ``status``), one or more runs (a ``run_id`` column is used when present).

    Returns
    -------
    One row per size class (small, medium, large) of the firms active at the end of a year:
    ``firm_years`` (such firm-years with a next year in the panel), then the share of them
    that are in each of :data:`DESTINATIONS` at the end of the next year (each row sums to
    1; a firm sold in units stays active and keeps its class by its remaining size).
    """
    keys = _firm_keys(firms)
    panel = firms[[*keys, "year", "size_class", "status"]]
    rows = _beside(panel, panel, keys, 1, ["size_class", "status"], "_next")
    rows = rows.loc[rows["status"] == "active"]
    status_next = rows["status_next"].astype(str)
    where = status_next.where(status_next != "active", rows["size_class_next"].astype(str))
    table = pd.crosstab(rows["size_class"].astype(str), where)
    table = table.reindex(index=list(DESTINATIONS[:3]), columns=list(DESTINATIONS),
                          fill_value=0)
    total = table.sum(axis=1)
    out = table.div(total.where(total > 0), axis=0).fillna(0.0)
    out.insert(0, "firm_years", total)
    out.index.name = "size_class"
    out.columns.name = None
    return out


def _firm_keys(firms: pd.DataFrame) -> list[str]:
    """Columns naming a firm in a panel of one run (``firm_id``) or of several (with
    ``run_id``)."""
    return ["run_id", "firm_id"] if "run_id" in firms.columns else ["firm_id"]


def _beside(rows: pd.DataFrame, panel: pd.DataFrame, keys: list[str], years: int,
            columns: list[str], suffix: str) -> pd.DataFrame:
    """``rows`` (firm-years) with the ``columns`` of the same firm ``years`` later in
    ``panel`` (earlier if negative) beside them, named with ``suffix``; firm-years without
    such a row are dropped."""
    other = panel.assign(year=panel["year"] - years)[[*keys, "year", *columns]]
    return rows.merge(other, on=[*keys, "year"], suffixes=("", suffix))
