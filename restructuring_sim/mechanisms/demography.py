"""Firm demography: yearly accounts, growth, exit, entry; cluster learning; registration.

* **Accounts** (end of year): the product markets are cleared (see
  :mod:`restructuring_sim.mechanisms.market`): a firm's market revenue (its base revenue) is
  its share of its markets' demand, and its *market margin* falls below ``margin_mean`` as far
  as its sales per employee fell against its market's. Revenue from live deals is
  ``demography.deal_revenue`` x the deal's value to the firm (value units) x the base revenue
  of the unit that runs it (the firm's over its units, see
  :mod:`restructuring_sim.mechanisms.units`) for alliances, and the contract value for a
  supplier: a firm of ten units with thirty alliances earns from them what ten firms of three
  alliances each do. Deals add ``deal_margin`` x the deal
  share of revenue to the margin, and the supplier's ``contract_margin`` on contracts, less
  price pressure.
  Direct exports (sales in export markets and a manufacturing MNE's shipments to its
  affiliates, see :mod:`restructuring_sim.mechanisms.exports`) are the part of base revenue
  sold abroad; export revenue is direct exports plus supply
  contracts with foreign buyers; ``cross_border_share`` is export revenue plus revenue from
  cross-border alliances, as a share of revenue (market + deals). The operating margin is
  the market margin, plus the firm's own AR(1) cost shock (``margin_base`` less
  ``margin_mean``), plus the deal terms: an exporter's sales abroad pay their own fixed costs.
* **Growth**: log employment moves by ``market.capacity_adjustment`` x the log change of the
  firm's sales per employee against its market's (firms gaining share hire, those losing it
  shed staff), grows by ``growth_per_deal_share`` x the deal share of revenue, shrinks by
  ``loss_shrink`` in a loss year, plus idiosyncratic shocks whose dispersion falls with size
  (``growth_noise`` at 10 employees, times ``(employees / 10) ** -growth_noise_elasticity``:
  Stanley et al. 1996). The shocks are centred in logs: the median firm keeps its size, and a
  few grow fast, so that expected employment grows by about half the shocks' variance, faster
  the smaller the firm. Gibrat's law holds for large firms but not for small ones, which grow
  faster on average among survivors (Evans 1987, "The relationship between firm growth,
  size, and age", and Hall 1987, J. Industrial Economics; Sutton 1997, "Gibrat's legacy",
  J. Economic Literature), while the median continuing firm does not grow
  (Haltiwanger, Jarmin and Miranda 2013). So size classes change over time, and fast-growing
  small firms refill the medium class as acquisitions, exits and decline empty it.
* **Exit**: a firm exits after ``exit_loss_years`` consecutive loss years, or at once when its
  margin falls below ``-insolvency_margin``; the safety net lowers the cost of exit and so
  shortens the wait (by up to 60% at ``safety_net`` = 1).
* **Entry** (start of year): start-ups arrive at ``entry_rate`` per active firm, more where
  ``sme_capability`` is high and ICT cost low; each large firm spins off a small firm with chance
  ``spinoff_rate``, carrying part of the parent's technology. An entrant's design weight is
  the active firms' mean weight times the ratio of the economy's to the sample's size law
  among firms of fewer than 50 employees.
* **Clusters**: firms absorb ``cluster_spillover`` of the gap to their cluster's mean knowledge.
* **Matching service**: unregistered SMEs register so that the registered share of SMEs
  follows ``policy.matching_service.coverage``.
"""

from __future__ import annotations

import numpy as np

from restructuring_sim import lifecycle
from restructuring_sim.columns import distinct
from restructuring_sim.deals import ALLIANCE, SUPPLY
from restructuring_sim.firms import SIZE_BOUNDS
from restructuring_sim.mechanisms import exports, market, units
from restructuring_sim.population import (
    design_weights,
    draw_sectors_countries,
    new_firm_columns,
)


def accounts(model, cond) -> None:
    """Book the year's deal revenue and margins, and grow or shrink firms."""
    f = model.firms
    d = model.deals
    rng = model.rng
    dem = model.scenario.demography
    n = len(f)
    market.shocks(model)
    market_margin, share_change = market.outcomes(model, cond)
    base = f.base_revenue
    share = np.zeros(n)  # deal revenue as a share of base revenue
    cross = np.zeros(n)
    live = d.live(ALLIANCE)
    a, b = d.a[live], d.b[live]
    xb = f.country[a] != f.country[b]
    divisions = units.divisions(model)
    for side, val in ((a, d.value_a[live]), (b, d.value_b[live])):
        gain = dem.deal_revenue * np.maximum(val, 0.0) / divisions[side]
        np.add.at(share, side, gain)
        np.add.at(cross, side, gain * xb)
    live = d.live(SUPPLY)
    sup = d.b[live]
    contract = d.value[live] / np.maximum(base[sup], 1e-9)
    np.add.at(share, sup, contract)
    abroad = np.zeros(n)  # supply contracts with foreign buyers, share of base revenue
    np.add.at(abroad, sup, contract * (f.country[d.a[live]] != f.country[sup]))
    act = f.active
    f.deal_revenue[:] = share * base
    f.direct_exports[:] = exports.sales(model, cond)
    f.export_revenue[:] = f.direct_exports + abroad * base
    revenue = base + f.deal_revenue  # exports are part of base: see exports.sales
    f.cross_border_share[:] = (f.export_revenue + cross * base) / revenue
    f.margin_base[act] = (dem.margin_persistence * f.margin_base[act]
                          + (1 - dem.margin_persistence) * dem.margin_mean
                          + rng.normal(0.0, dem.margin_sd, int(act.sum())))
    supply_share = np.zeros(n)
    np.add.at(supply_share, sup, contract)
    # the margin and the growth below worked out term by term in place, in the order their
    # formulas add the terms (the same numbers, without a firm-sized temporary per operation)
    deal_part = 1.0 + share  # the deal share's saturation, shared by both
    margin = f.margin
    np.subtract(market_margin, dem.margin_mean, out=market_margin)
    np.add(f.margin_base, market_margin, out=margin)
    margin += _scaled_over(dem.deal_margin, share, deal_part)
    margin += np.multiply(model.scenario.supply.contract_margin, supply_share, out=supply_share)
    margin -= f.pressure
    losing = margin < 0
    f.loss_years[:] = np.where(act & losing, f.loss_years + 1, 0)
    # idiosyncratic shocks, more dispersed for small firms (Stanley et al. 1996), centred in
    # logs: the median firm keeps its size (see the module docstring)
    sigma = dem.growth_noise * (np.maximum(f.employees, 1.0) / 10.0) ** -dem.growth_noise_elasticity
    growth = np.multiply(model.scenario.market.capacity_adjustment, share_change,
                         out=share_change)
    growth += _scaled_over(dem.growth_per_deal_share, share, deal_part)
    growth -= np.multiply(dem.loss_shrink, losing)
    noise = rng.normal(0.0, 1.0, n)
    noise *= sigma
    growth += noise
    with f.writing("employees") as employees:
        employees[act] = np.maximum(1.0, np.rint(employees[act] * np.exp(growth[act])))
    f.pressure[:] *= 0.5
    f.pressure[f.pressure < 1e-4] = 0.0


def _scaled_over(scale: float, values: np.ndarray, divisor: np.ndarray) -> np.ndarray:
    """``scale * values / divisor`` (in that order, as a formula writes it), in one new
    array."""
    out = np.multiply(scale, values)
    out /= divisor
    return out


def exits(model, cond) -> int:
    """Firms with lasting losses exit; return how many."""
    f = model.firms
    dem = model.scenario.demography
    wait = max(1, round(dem.exit_loss_years * (1 - 0.6 * cond.safety_net)))
    insolvent = f.margin < -dem.insolvency_margin
    leaving = np.flatnonzero(f.active & ((f.loss_years >= wait) | insolvent))
    lifecycle.exit_firms(model, cond, leaving)
    return len(leaving)


def entry(model, cond) -> int:
    """Start-ups and spin-offs enter; return how many."""
    f = model.firms
    rng = model.rng
    sc = model.scenario
    dem = sc.demography
    pop = sc.population
    rate = (dem.entry_rate * (1 + dem.entry_capability_effect * cond.sme_capability)
            * (1 + dem.entry_ict_effect * max(0.0, 1 - cond.ict_cost)))
    n_start = int(rng.poisson(rate * f.active.sum()))
    parents = np.flatnonzero(f.active & ~f.is_sme & (rng.random(len(f)) < dem.spinoff_rate))
    n = n_start + len(parents)
    if n == 0:
        return 0
    # small firms: Pareto sizes of the sample's law below 250, conditioned on fewer than 50
    # employees
    v = rng.random(n)
    sector, country = draw_sectors_countries(n_start, sc, model.world, rng)
    sector = np.concatenate([sector, f.sector[parents]])
    country = np.concatenate([country, f.country[parents]])
    tail = pop.size_tail_index  # the same law below 250 in every country (country_densities)
    u_min = SIZE_BOUNDS[0] ** (-tail)
    u = u_min + (1 - u_min) * v
    employees = np.minimum(np.floor(u ** (-1.0 / tail)), SIZE_BOUNDS[0] - 1)
    cols = new_firm_columns(employees, sc, model.world, rng, sector=sector, country=country)
    cols["knowledge"][n_start:] = f.knowledge[parents] * rng.uniform(0.6, 1.0, len(parents))
    cols["profile"][n_start:] = f.profile[parents]  # a spin-off carries its parent's fields
    cols["owner_age"] = np.clip(rng.normal(40.0, 8.0, n), 25, 70)
    cols["registered"] = ~cols["mne"] & (rng.random(n) < cond.matching_coverage)
    # entrants stand for the economy's entrants: as many per firm as the firms already active
    cols["weight"] = f.weight[f.active].mean() * design_weights(employees, pop, SIZE_BOUNDS[0])
    ids = lifecycle.add_firms(model, cond, cols, np.concatenate([np.full(n_start, -1), parents]))
    return len(ids)


def cluster_learning(model, dt: float) -> None:
    """Firms in a cluster absorb part of the gap to their cluster's mean knowledge."""
    f = model.firms
    members = np.flatnonzero(f.active & (f.cluster >= 0))
    if not len(members):
        return
    clusters = f.cluster[members]
    inverse = np.searchsorted(distinct(clusters), clusters)
    counts = np.bincount(inverse)
    mean = np.bincount(inverse, weights=f.knowledge[members]) / counts
    gap = np.maximum(mean[inverse] - f.knowledge[members], 0.0)
    f.knowledge[members] += model.scenario.demography.cluster_spillover * gap * dt


def register(model, cond) -> int:
    """Unregistered SMEs join the matching service to bring its coverage to the policy level."""
    f = model.firms
    smes = f.active & f.is_sme
    n_sme = int(smes.sum())
    if not n_sme:
        return 0
    share = f.registered[smes].mean()
    if share >= cond.matching_coverage:
        return 0
    p = (cond.matching_coverage - share) / (1 - share)
    joining = smes & ~f.registered & (model.rng.random(len(f)) < p)
    f.registered[joining] = True
    return int(joining.sum())
