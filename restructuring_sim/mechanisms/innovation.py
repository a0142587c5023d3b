"""Innovation: R&D spending against the sector's R&D cost, knowledge, SME capabilities, quality.

A firm spends ``rnd_intensity`` of its revenue on R&D. The sector's R&D cost (USD million per year
for a frontier programme) grows with ``drivers.rnd_cost_growth``. The share of that programme a firm
cannot fund alone is its *R&D pressure*: the stronger it is, the more a partner who shares the cost
is worth (see :mod:`restructuring_sim.mechanisms.alliances`). Knowledge grows with the funded share
of the programme and depreciates with obsolescence. SME capability programmes close part of the
SMEs' capability gap each year, and capable SMEs upgrade their quality.
"""

from __future__ import annotations

import numpy as np

from restructuring_sim.firms import REVENUE_PER_EMPLOYEE


def rnd_budget(model) -> np.ndarray:
    """Yearly R&D budget of every firm (USD million per year)."""
    f = model.firms
    intensity = f.static_derived("rnd_intensity", lambda: model.world.rnd_intensity[f.sector])
    return intensity * f.base_revenue


def rnd_pressure(model, cond, firms=None) -> np.ndarray:
    """Share of the sector's frontier R&D programme a firm cannot fund alone (0..1), for every
    firm or for ``firms`` (value by value the same numbers, from their rows alone)."""
    f = model.firms
    rows = slice(None) if firms is None else firms
    sector = f.sector[rows]
    cost = cond.rnd_cost[sector]
    budget = model.world.rnd_intensity[sector] * (f.employees[rows] * REVENUE_PER_EMPLOYEE)
    return cost / (cost + budget)


def tech_score(model) -> np.ndarray:
    """Technology of every firm relative to its sector's mean among active firms (0..1)."""
    f = model.firms
    active = f.active
    n_s = model.world.n_sectors
    # sums over every firm in firm order, inactive firms adding zero: the sums of the active
    # firms' knowledge (positive) and their counts, without gathering them
    total = np.bincount(f.sector, weights=np.where(active, f.knowledge, 0.0), minlength=n_s)
    count = np.bincount(f.sector, weights=active, minlength=n_s)
    mean = np.where(count > 0, total / np.maximum(count, 1), 1.0)
    return f.knowledge / (f.knowledge + mean[f.sector])


def step(model, cond, dt: float) -> None:
    """Grow or depreciate knowledge, raise SME capabilities and quality, for ``dt`` years."""
    f = model.firms
    b = model.scenario.behaviour
    act = f.active
    funded = np.minimum(1.0, rnd_budget(model) / cond.rnd_cost[f.sector])
    rate = b.knowledge_growth * np.sqrt(funded) - b.knowledge_depreciation
    # whole-column updates restricted with ``where=``: no gather and scatter of the subsets
    np.multiply(f.knowledge, np.exp(rate * dt), out=f.knowledge, where=act)
    sme = act & f.is_sme
    cap, quality = f.capability, f.quality
    np.add(cap, b.capability_uptake * cond.sme_capability * (1.0 - cap) * dt, out=cap, where=sme)
    upgrade = model.scenario.supply.quality_upgrading * cap
    np.add(quality, upgrade * (1.0 - quality) * dt, out=quality, where=sme)
