"""The model's values of the paper's moments, and their comparison with the paper.

:func:`replicate_fractions` computes every moment of ``figures.toml`` for one run (its event log,
and its ``firms.parquet`` table for the moments that need firm state) as a fraction
``(numerator, denominator)`` of counts or sums; :func:`replicate_moments` gives their values.
:func:`compare` summarises an ensemble of runs against the paper: the ensemble's value, 5th and
95th percentile over replicates, tolerance and pass/fail (the ensemble's value must lie within
tolerance).

The ensemble's value of a moment (``model_mean``) is its numerator summed over replicates over its
denominator summed over replicates, i.e. the ratio of the replicates' mean counts: the paper's
figures are ratios of totals, and a mean of per-replicate ratios would be biased upwards where
denominators are small counts (and would drop replicates whose denominator is zero).

Definitions (documented here because the paper's wording leaves room):

* **cross-border SME alliance**: an ``alliance_formed`` event with ``cross_border`` and
  ``involves_sme``; the decade is 1990-2000.
* **participations**: each SME participant of such a deal counts once, in the deal's sector group.
* **SME acquisition share**: among cross-border ``acquisition`` events, the share whose target
  is an SME by the paper's M&A definition: capitalisation (the price paid, the event's ``value``)
  of at most USD 2.5 million.
* **matching conversion**: among SMEs ever registered with the matching service (a ``registered``
  firm-year in ``firms.parquet`` while small or medium, 1988-2000), the share that took part in
  at least one deal (``alliance_formed`` or ``supply_contract_signed``) whose ``channel`` is
  ``matching_service``. The paper: about 2% of the firms registered with a public matching
  network reached a formal link.
* **manufacturing SMEs with 10-40% cross-border turnover**: among active manufacturing SMEs at the
  end of 2000, the share whose ``cross_border_revenue_share`` (exports plus cross-border
  alliances) lies in [0.10, 0.40].
* **SME share of manufactured exports**: ``export_revenue`` (goods sold abroad, as trade
  statistics count them: exports, including an MNE's shipments to its own affiliates, and
  supply contracts with foreign buyers; not the affiliates' sales, not alliance gains) of
  active manufacturing SMEs over that of all active manufacturing firms, end of 2000.

The two firm-table moments describe the economy, not the sample: each firm counts with its
design ``weight`` (the firms of the economy it stands for; see
:func:`restructuring_sim.population.design_weights`), 1 where a table has no weights.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from restructuring_sim.paper import trends
from restructuring_sim.paper.figures import CENSUS_ANCHOR, CENSUS_PREFIX, Figures, load_figures

#: ``bound`` is "point" (passes within +/- tolerance of the paper) or "upper" (passes at or below
#: paper + tolerance); ``rule`` says the same in words, as the tables print it
COLUMNS = ["name", "paper", "model_mean", "low", "high", "tolerance", "bound", "rule", "pass"]
NAN = float("nan")


Fraction = tuple[float, float]  #: (numerator, denominator) of a moment


def _value(fraction: Fraction) -> float:
    top, bottom = fraction
    return float(top) / float(bottom) if bottom else NAN


def event_fractions(events: pd.DataFrame, figures: Figures | None = None, *,
                    counts: dict[str, float] | None = None) -> dict[str, Fraction]:
    """The moments computed from one event log, as ``(numerator, denominator)``: of the deals
    the paper's database would report (``reported``), but for the JETRO ratio, which compares
    them with JETRO's count from Japanese newspapers (``named_at_home``).

    A moment that ``figures.toml`` builds from two counts takes them from :func:`event_counts`;
    the two moments the paper gives without counts (services against manufacturing before
    1995, alliances among SMEs only) are counted here. ``counts``: the log's reported counts,
    where the caller has them already.
    """
    fig = figures or load_figures()
    counts = reported_counts(events, fig) if counts is None else counts
    out = {name: (counts[m.numerator], counts[m.denominator])
           for name, m in fig.moment.items()
           if m.source == "events" and m.numerator in counts and m.denominator in counts}
    shown = trends.reported(events)
    early = trends.by_size_and_group(shown, fig.years("early")).sum(axis=0)
    out["services_to_manufacturing_early"] = (early["services"], early["manufacturing"])
    out["sme_only_share"] = trends.sme_only_counts(shown, fig.years("decade"))
    return out


def event_counts(events: pd.DataFrame, figures: Figures | None = None, *,
                 counts: dict[str, float] | None = None) -> dict[str, float]:
    """The paper's counts (``[count.*]`` of ``figures.toml``) in one event log's reported
    deals: at census scale they stand beside the paper's numbers; in a sample, divide them by
    ``simulation.sampling_fraction``. ``counts``: the log's :func:`reported_counts`, where the
    caller has them already."""
    fig = figures or load_figures()
    counts = reported_counts(events, fig) if counts is None else counts
    return {name: value for name, value in counts.items() if name in fig.count}


def reported_counts(events: pd.DataFrame, fig: Figures) -> dict[str, float]:
    """Every count the paper gives, in one event log's reported deals (JETRO's count of
    alliances involving Japanese firms: those a Japanese participant's home press names)."""
    decade, late, final, series = (fig.years(p) for p in ("decade", "late", "final", "series"))
    japan = trends.japan_reported_counts(events, fig.years("jetro"))
    events = trends.reported(events)
    late_groups = trends.by_size_and_group(events, late)
    group_late, size_late = late_groups.sum(axis=0), late_groups.sum(axis=1)
    sme, every = trends.cross_border_sme_counts(events, decade)
    sme_targets, acquisitions = trends.sme_acquisition_counts(events, decade)
    counts = {
        "all_cross_border_alliances_decade": every,
        "all_alliances_series": len(trends.in_years(
            events.loc[events["kind"] == "alliance_formed"], series)),
        "sme_alliances_decade": sme,
        "sme_alliances_late": trends.cross_border_sme_counts(events, late)[0],
        "sme_alliances_2000": trends.cross_border_sme_counts(events, final)[0],
        "services_late": group_late["services"],
        "manufacturing_late": group_late["manufacturing"],
        "small_late": size_late["small"],
        "medium_late": size_late["medium"],
        "small_manufacturing_late": late_groups.loc["small", "manufacturing"],
        "small_services_late": late_groups.loc["small", "services"],
        "medium_manufacturing_late": late_groups.loc["medium", "manufacturing"],
        "medium_services_late": late_groups.loc["medium", "services"],
        "all_cross_border_acquisitions_decade": acquisitions,
        "sme_acquisitions_decade": sme_targets,
        "japan_alliances_database": japan[0],
        "japan_alliances_jetro": japan[1],
    }
    return {name: float(value) for name, value in counts.items()}


#: the firm table's columns the moments read (:func:`firm_fractions`): an ensemble's runs keep
#: only these of their yearly firm panel
FIRM_COLUMNS = ("firm_id", "year", "registered", "size_class", "status", "sector_group",
                "export_revenue", "cross_border_revenue_share", "weight")


def matching_fraction(events: pd.DataFrame, firms: pd.DataFrame,
                      years: tuple[int, int] = (1988, 2000)) -> Fraction:
    """``(linked, registered)``: SMEs ever registered with the matching service (in ``years``),
    and those of them that took part in at least one deal formed through channel
    ``matching_service``."""
    if "registered" not in firms:
        return (0, 0)
    fy = trends.in_years(firms, years)
    reg = fy.loc[fy["registered"].astype(bool) & fy["size_class"].isin(trends.SME_CLASSES)]
    registered = pd.unique(reg["firm_id"])
    deals = events.loc[events["kind"].isin(["alliance_formed", "supply_contract_signed"])
                       & (events["channel"] == "matching_service")]
    deals = trends.in_years(deals, years)
    linked = pd.unique(deals["firm_ids"].explode().dropna().astype(np.int64))
    return int(np.isin(registered, linked).sum()), len(registered)


def _final_manufacturing_smes(firms: pd.DataFrame, years: tuple[int, int]) -> pd.DataFrame:
    fy = trends.in_years(firms, years)
    if fy.empty:
        return fy
    last = fy.loc[fy["year"] == fy["year"].max()]
    return last.loc[(last["status"] == "active") & (last["sector_group"] == "manufacturing")]


def firm_fractions(events: pd.DataFrame, firms: pd.DataFrame,
                   figures: Figures | None = None) -> dict[str, Fraction]:
    """The moments that need the firm table (``firms.parquet``) of a run, as fractions."""
    fig = figures or load_figures()
    out = {"matching_conversion": matching_fraction(events, firms, fig.years("series"))}
    needed = {"export_revenue", "cross_border_revenue_share", "status", "sector_group",
              "size_class"}
    manuf = (_final_manufacturing_smes(firms, fig.years("final"))
             if needed <= set(firms.columns) else pd.DataFrame())
    if manuf.empty:
        out["manufacturing_smes_cross_border_turnover"] = (0, 0)
        out["sme_share_of_manufactured_exports"] = (0.0, 0.0)
        return out
    sme = manuf["size_class"].isin(trends.SME_CLASSES).to_numpy()
    share = manuf["cross_border_revenue_share"].to_numpy(dtype=float)
    weight = (manuf["weight"].to_numpy(dtype=float) if "weight" in manuf
              else np.ones(len(manuf)))
    exports = manuf["export_revenue"].to_numpy(dtype=float) * weight
    in_band = (share >= 0.10) & (share <= 0.40)
    out["manufacturing_smes_cross_border_turnover"] = (
        float(weight[sme & in_band].sum()), float(weight[sme].sum()))
    out["sme_share_of_manufactured_exports"] = (float(exports[sme].sum()), float(exports.sum()))
    return out


def replicate_fractions(events: pd.DataFrame, firms: pd.DataFrame | None = None,
                        figures: Figures | None = None, *,
                        census: bool = False,
                        counts: dict[str, float] | None = None) -> dict[str, Fraction]:
    """Every moment computable for one run, as ``(numerator, denominator)``: event moments,
    plus firm moments if ``firms``, plus the census shares if ``census`` (see
    :func:`census_fractions`). ``counts``: the log's :func:`reported_counts`, where the caller
    has them already."""
    fig = figures or load_figures()
    events = trends.paper_deals(events)
    counts = reported_counts(events, fig) if counts is None else counts
    out = event_fractions(events, fig, counts=counts)
    if census:
        out.update(_census_fractions(counts, fig))
    if firms is not None:
        out.update(firm_fractions(events, firms, figures))
    return {name: (float(top), float(bottom)) for name, (top, bottom) in out.items()}


def census_fractions(events: pd.DataFrame,
                     figures: Figures | None = None) -> dict[str, Fraction]:
    """The census shares (:meth:`~restructuring_sim.paper.figures.Figures.census_shares`) of
    one run, as ``(count, anchor count)`` of its reported deals."""
    fig = figures or load_figures()
    return _census_fractions(reported_counts(events, fig), fig)


def _census_fractions(counts: dict[str, float], fig: Figures) -> dict[str, Fraction]:
    """:func:`census_fractions` from a log's reported counts."""
    anchor = counts[CENSUS_ANCHOR]
    return {name: (counts[name.removeprefix(CENSUS_PREFIX)], anchor)
            for name in fig.census_shares()}


def replicate_moments(events: pd.DataFrame, firms: pd.DataFrame | None = None,
                      figures: Figures | None = None) -> dict[str, float]:
    """Every moment computable for one run (NaN where a denominator is zero)."""
    return {name: _value(f) for name, f in replicate_fractions(events, firms, figures).items()}


def ensemble_value(fractions: Sequence[Fraction]) -> float:
    """A moment's value over replicates: summed numerators over summed denominators."""
    return _value((sum(f[0] for f in fractions), sum(f[1] for f in fractions)))


def summarise(per_replicate: Sequence[dict[str, Fraction]],
              figures: Figures | None = None) -> pd.DataFrame:
    """Ensemble summary of per-replicate fractions against the paper (columns :data:`COLUMNS`).

    ``model_mean`` is the ensemble's value (:func:`ensemble_value`); ``low``/``high`` are the
    5th/95th percentiles of the replicates' values where defined; ``pass`` is whether the
    ensemble's value is within tolerance.
    """
    fig = figures or load_figures()
    rows = []
    for name, m in fig.fittable().items():
        if not per_replicate or all(name not in r for r in per_replicate):
            continue
        fractions = [r[name] for r in per_replicate if name in r]
        value = ensemble_value(fractions)
        values = np.array([_value(f) for f in fractions])
        finite = values[np.isfinite(values)]
        low, high = (np.percentile(finite, [5, 95]) if len(finite) else (NAN, NAN))
        rows.append(dict(name=name, paper=m.value, model_mean=value, low=float(low),
                         high=float(high), tolerance=m.tol, bound=m.bound, rule=m.rule,
                         **{"pass": m.passes(value)}))
    return pd.DataFrame(rows, columns=COLUMNS)


#: sub-ensembles drawn by :func:`pass_chances`
SUBSAMPLE_DRAWS = 2000


def pass_chances(per_replicate: Sequence[dict[str, Fraction]], size: int,
                 rng: np.random.Generator, draws: int = SUBSAMPLE_DRAWS,
                 figures: Figures | None = None) -> tuple[dict[str, float], float]:
    """How often an ensemble of ``size`` replicates puts each moment, and every moment at once,
    within tolerance: each of ``draws`` sub-ensembles takes ``size`` of the replicates without
    replacement and is scored as :func:`summarise` scores an ensemble (summed numerators over
    summed denominators).

    With many more replicates than ``size`` (five times or more), this estimates how far one
    ensemble's pass or fail can be trusted: how often another set of seeds would give the same
    verdict. Returns ``({moment: chance}, chance that all pass)``, for the moments
    :func:`summarise` reports.
    """
    fig = figures or load_figures()
    if not 1 <= size < len(per_replicate):
        raise ValueError(f"size {size}: must be at least 1 and below the number of replicates "
                         f"({len(per_replicate)})")
    fittable = fig.fittable()
    names = [n for n in fittable if any(n in r for r in per_replicate)]
    top, bottom = (np.array([[float(r.get(n, (0.0, 0.0))[k]) for n in names]
                             for r in per_replicate]) for k in (0, 1))
    picks = np.argsort(rng.random((draws, len(per_replicate))), axis=1)[:, :size]
    with np.errstate(invalid="ignore", divide="ignore"):
        values = top[picks].sum(axis=1) / bottom[picks].sum(axis=1)  # 0 / 0 is NaN: a fail
    within = np.column_stack([fittable[n].passes(values[:, k]) for k, n in enumerate(names)])
    return ({n: float(within[:, k].mean()) for k, n in enumerate(names)},
            float(within.all(axis=1).mean()))


def compare(event_frames: list[pd.DataFrame], firm_frames: list[pd.DataFrame] | None = None,
            figures: Figures | None = None) -> pd.DataFrame:
    """Compare an ensemble of runs with the paper.

    Parameters
    ----------
    event_frames : one event log per replicate (DataFrames with the ``events.SCHEMA`` columns).
    firm_frames : optional ``firms.parquet`` tables aligned with ``event_frames``; without them
        the moments that need firm state (matching conversion, cross-border turnover, exports)
        are left out.

    Returns
    -------
    DataFrame with columns name, paper, model_mean, low, high, tolerance, bound, rule, pass: one
    row per moment; ``tolerance`` is the allowed deviation in the moment's units (0.05 for a
    share, 20% of the paper's value for a ratio); ``bound`` is "point" (within +/- tolerance of
    the paper) or "upper" (a bound moment, e.g. ``sme_only_share``: the model passes at or below
    paper + tolerance); ``rule`` says which in words (``+/-0.05``, ``<= 0.15``).
    """
    if firm_frames is not None and len(firm_frames) != len(event_frames):
        raise ValueError("firm_frames must align with event_frames")
    fig = figures or load_figures()
    firms = firm_frames if firm_frames is not None else [None] * len(event_frames)
    per = [replicate_fractions(ev, fm, fig) for ev, fm in zip(event_frames, firms, strict=True)]
    return summarise(per, fig)
