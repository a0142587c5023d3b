"""Scalar metrics of a finished run: the numbers a sweep keeps per run.

Each metric is a plain function of the run's tables (the event log, the yearly network metrics and
the firm table), so it can be computed from a live :class:`~restructuring_sim.RestructuringModel`
or from a run directory alike. Metrics over event kinds a model does not produce are 0 (counts) or
NaN (shares with nothing to share), never an error, so sweeps keep working as mechanisms are added.

The headline metrics are those the OECD paper reports (cross-border alliances involving SMEs,
the SME share, the small-firm share of SME participations, acquisitions of SMEs, supply
contracts, exits) and two shape measures of the alliance network (clustering, giant component).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

SME_CLASSES = ("small", "medium")


@dataclass(frozen=True)
class RunTables:
    """The tables a metric may read: events, yearly network metrics and (optionally) firms."""

    events: pd.DataFrame
    network: pd.DataFrame
    firms: pd.DataFrame | None = None

    @classmethod
    def from_model(cls, model) -> RunTables:
        """Tables of a finished model (the firm table is left out: no metric needs it yet)."""
        return cls(events=model.events.to_pandas(),
                   network=model.network.metrics_table().to_pandas())


@dataclass(frozen=True)
class Metric:
    """A named scalar metric of a run and what it means."""

    name: str
    description: str
    fn: Callable[[RunTables], float]


def _kind(t: RunTables, kind: str) -> pd.DataFrame:
    ev = t.events
    if ev is None or ev.empty or "kind" not in ev:
        return ev.iloc[0:0] if ev is not None else pd.DataFrame()
    return ev[ev["kind"] == kind]


def _count(kind: str) -> Callable[[RunTables], float]:
    return lambda t: float(len(_kind(t, kind)))


def _share(num: pd.Series, den: int) -> float:
    return float(num.sum()) / den if den else math.nan


def _formed(t: RunTables) -> pd.DataFrame:
    return _kind(t, "alliance_formed")


def _cross_border_sme(t: RunTables) -> float:
    f = _formed(t)
    return float((f["involves_sme"] & f["cross_border"]).sum()) if len(f) else 0.0


def _sme_share(t: RunTables) -> float:
    f = _formed(t)
    return _share(f["involves_sme"], len(f)) if len(f) else math.nan


def _sme_cross_border_share(t: RunTables) -> float:
    f = _formed(t)
    cb = f[f["cross_border"]] if len(f) else f
    return _share(cb["involves_sme"], len(cb)) if len(cb) else math.nan


def _cross_border_share(t: RunTables) -> float:
    f = _formed(t)
    return _share(f["cross_border"], len(f)) if len(f) else math.nan


def _small_firm_share(t: RunTables) -> float:
    f = _formed(t)
    if not len(f):
        return math.nan
    sizes = [s for classes in f["size_classes"] for s in classes]
    small = sum(1 for s in sizes if s == "small")
    medium = sum(1 for s in sizes if s == "medium")
    return small / (small + medium) if small + medium else math.nan


def _late_share(t: RunTables) -> float:
    f = _formed(t)
    if not len(f):
        return math.nan
    cb = f[f["involves_sme"] & f["cross_border"]]
    return _share(cb["year"] >= 1995, len(cb)) if len(cb) else math.nan


def _sme_acquisitions(t: RunTables) -> float:
    acq = _kind(t, "acquisition")
    if not len(acq):
        return 0.0
    targets = acq["size_classes"].map(lambda c: len(c) > 1 and c[1] in SME_CLASSES)
    return float(targets.sum())


def _last_network(column: str) -> Callable[[RunTables], float]:
    def fn(t: RunTables) -> float:
        net = t.network
        if net is None or net.empty or column not in net:
            return math.nan
        from restructuring_sim.network import layer_rows

        net = layer_rows(net, "all")
        if net.empty:
            return math.nan
        value = net[column].iloc[-1]
        return float(value) if value is not None and np.isfinite(value) else math.nan

    return fn


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("cross_border_sme_alliances",
               "cross-border alliances formed that involve an SME (count)", _cross_border_sme),
        Metric("sme_share", "share of alliances formed that involve an SME", _sme_share),
        Metric("sme_cross_border_share",
               "share of cross-border alliances formed that involve an SME (paper: about 5%)",
               _sme_cross_border_share),
        Metric("small_firm_share",
               "share of SME participations in alliances formed that are by small (1-49) firms",
               _small_firm_share),
        Metric("late_decade_share",
               "share of cross-border SME alliances formed in 1995 or later", _late_share),
        Metric("sme_acquisitions", "acquisitions whose target is an SME (count)",
               _sme_acquisitions),
        Metric("acquisitions", "acquisitions (count)", _count("acquisition")),
        Metric("supply_contracts", "supply contracts signed (count)",
               _count("supply_contract_signed")),
        Metric("exits", "firms that exited (count)", _count("firm_exited")),
        Metric("entries", "firms that entered (count)", _count("firm_entered")),
        Metric("alliances_formed", "alliances formed (count)", _count("alliance_formed")),
        Metric("alliances_dissolved", "alliances dissolved (count)",
               _count("alliance_dissolved")),
        Metric("cross_border_share", "share of alliances formed that are cross-border",
               _cross_border_share),
        Metric("network_clustering", "clustering of the live network in the last year",
               _last_network("clustering")),
        Metric("giant_component_share",
               "giant-component share of the live network in the last year",
               _last_network("giant_component_share")),
    )
}

HEADLINE = (
    "cross_border_sme_alliances",
    "sme_share",
    "small_firm_share",
    "sme_acquisitions",
    "supply_contracts",
    "exits",
    "network_clustering",
    "giant_component_share",
)


def compute(tables: RunTables, names: list[str] | tuple[str, ...] | None = None,
            ) -> dict[str, float]:
    """The metrics ``names`` (all when None) of a run, in the order given."""
    names = list(METRICS) if names is None else list(names)
    return {name: float(METRICS[name].fn(tables)) for name in names}


def compute_from_model(model, names=None) -> dict[str, float]:
    """The metrics ``names`` (all when None) of a finished model."""
    return compute(RunTables.from_model(model), names)
