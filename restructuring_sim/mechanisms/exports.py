"""Exports: which foreign markets a firm sells in from home, and how much it sells there.

A heterogeneous-firm trade model in the spirit of Melitz (2003), with sunk entry costs
(Baldwin and Krugman 1989; Das, Roberts and Tybout 2007). Once a year every active firm weighs
each foreign country ``d`` where it has no affiliate:

* **Relative demand** of ``d`` for a firm at home in ``h``:
  ``D_hd = (M_d / M_h) ** market_size_elasticity * tau_hd ** (1 - elasticity)``, with ``M`` the
  countries' market sizes and the variable trade cost (iceberg factor)
  ``tau_hd = 1 + border_cost * (1 - trade_openness) + distance_cost * region_steps
  + currency_cost * [h and d do not share a currency]``, plus ``services_cost`` for a firm in
  a services sector (services trade needs presence, licences and local knowledge).
* **Potential export sales**: ``S_id = H_i * appeal_i * D_hd * shock_id`` (USD million per
  year), with ``H_i`` the firm's home sales, ``appeal_i = exp(quality_elasticity * (quality_i -
  0.5))`` and ``shock_id`` a yearly lognormal demand draw (sd ``demand_noise``); the variable
  profit is ``S_id / elasticity`` (CES mark-up).
* **Fixed costs** (USD million) fall with ICT and foreign-market information:
  ``c_i = ict_cost ** ict_elasticity * (1 - information_relief * policy.export_information)
  * (1 - capability_relief * capability_i)``; a market costs ``market_cost * c_i`` per year and
  ``entry_cost * c_i`` once on entry.
* **Decision with hysteresis**: a firm enters ``d`` when the variable profit covers the yearly
  cost plus the sunk cost spread over ``payback_years``; an exporter stays while the variable
  profit covers the yearly cost alone, so between the two thresholds firms keep their status.

Revenue before deals, ``employees x revenue per employee``, is sold at home and, for an MNE, in
its affiliates' countries (in proportion to ``(M_d / M_h) ** market_size_elasticity``); export
sales come on top: ``H_i * sum over export markets of appeal_i * D_hd``, so a firm's exports
grow with its scale and with the number and size of the markets it serves, and its export
intensity with the markets served relative to home. An MNE serves its affiliates' countries
(its foreign ``markets``) from there and may export elsewhere. Export markets are kept apart from
``markets``, the commercial presence that partner search, alliance values, supply tenders and
acquisitions read.
"""

from __future__ import annotations

import numpy as np

from restructuring_sim.firms import FirmTable


def trade_cost(model, cond) -> np.ndarray:
    """Iceberg trade cost ``tau`` (>= 1) from each home country (rows) to each destination."""
    w = model.world
    ex = model.scenario.exports
    union = cond.currency_union
    same_currency = union[:, None] & union[None, :]
    np.fill_diagonal(same_currency, True)
    tau = (1.0 + ex.border_cost * (1.0 - cond.trade_openness) + ex.distance_cost * w.distance
           + ex.currency_cost * ~same_currency)
    np.fill_diagonal(tau, 1.0)
    return tau


def relative_size(model) -> np.ndarray:
    """``(M_d / M_h) ** market_size_elasticity``: firm-level demand of ``d`` relative to home."""
    weight = model.world.market_weight
    theta = model.scenario.exports.market_size_elasticity
    return (weight[None, :] / weight[:, None]) ** theta


def export_demand(model, cond, firms: np.ndarray) -> np.ndarray:
    """Demand of every country for ``firms``' products relative to their home market
    (``appeal_i * D_hd``, firms x countries; zero at home)."""
    f = model.firms
    ex = model.scenario.exports
    home = f.country[firms]
    tau = trade_cost(model, cond)
    size = relative_size(model)
    goods = size * tau ** (1.0 - ex.elasticity)
    services = size * (tau + ex.services_cost) ** (1.0 - ex.elasticity)
    in_services = ~model.world.is_manufacturing[f.sector[firms]]
    appeal = np.exp(ex.quality_elasticity * (f.quality[firms] - 0.5))
    demand = appeal[:, None] * np.where(in_services[:, None], services[home], goods[home])
    demand[np.arange(len(firms)), home] = 0.0
    return demand


def fixed_cost_factor(model, cond, firms: np.ndarray) -> np.ndarray:
    """Multiplier on the fixed costs of exporting, 1 at 1988 ICT cost without information
    services or capabilities (per firm)."""
    ex = model.scenario.exports
    information = model.scenario.policy.export_information(cond.t)
    return (cond.ict_cost ** ex.ict_elasticity
            * (1.0 - ex.information_relief * information)
            * (1.0 - ex.capability_relief * model.firms.capability[firms]))


def step(model, cond) -> int:
    """Every active firm enters and leaves foreign markets; return the firms exporting."""
    f = model.firms
    ex = model.scenario.exports
    firms = np.flatnonzero(f.active)
    if not len(firms):
        return 0
    exporting = f.exports[firms]
    abroad = affiliates(model, firms)
    present = abroad.copy()
    present[np.arange(len(firms)), f.country[firms]] = True
    shock = np.exp(model.export_rng.normal(0.0, ex.demand_noise, exporting.shape))
    home = home_sales(model, firms, abroad)
    potential = home[:, None] * export_demand(model, cond, firms) * shock
    profit = potential / ex.elasticity
    factor = fixed_cost_factor(model, cond, firms)[:, None]
    stay = profit >= ex.market_cost * factor
    enter = profit >= (ex.market_cost + ex.entry_cost / ex.payback_years) * factor
    serve = np.where(exporting, stay, enter) & ~present
    f.exports[firms] = serve
    return int(serve.any(axis=1).sum())


def affiliates(model, firms: np.ndarray) -> np.ndarray:
    """Foreign countries where ``firms`` produce through affiliates (an MNE's foreign markets;
    firms x countries)."""
    f = model.firms
    out = f.markets[firms] & f.mne[firms, None]
    out[np.arange(len(firms)), f.country[firms]] = False
    return out


def home_sales(model, firms: np.ndarray, abroad: np.ndarray | None = None) -> np.ndarray:
    """Sales in the home market (USD million per year): an MNE's revenue is shared between home
    and its affiliates' countries (``abroad``, :func:`affiliates` unless given) in proportion
    to their relative size."""
    f = model.firms
    abroad = affiliates(model, firms) if abroad is None else abroad
    weight = (relative_size(model)[f.country[firms]] * abroad).sum(axis=1)
    return f.base_revenue[firms] / (1.0 + weight)


def sales(model, cond) -> np.ndarray:
    """Direct export sales of every firm (USD million per year; 0 for inactive firms)."""
    f = model.firms
    out = np.zeros(len(f))
    firms = np.flatnonzero(f.active & f.exports.any(axis=1))
    if len(firms):
        foreign = (export_demand(model, cond, firms) * f.exports[firms]).sum(axis=1)
        out[firms] = home_sales(model, firms) * foreign
    return out


def exporters(firms: FirmTable) -> np.ndarray:
    """Boolean mask of firms exporting to at least one country."""
    return firms.exports.any(axis=1)
