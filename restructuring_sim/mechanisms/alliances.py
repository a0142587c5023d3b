"""Strategic alliances: both firms value a deal, the best mutual deal forms, weak deals dissolve.

The value of an alliance to firm ``i`` with partner ``j`` (value units per year) is the sum of four
purpose components, each weighted by how typical the purpose is of the deal's sector:

* ``rnd``: R&D cost sharing, ``w_rnd * pressure_i * cycle_s * tech_j * complementarity_ij``; the
  technology cycle makes it worth more before the sector's dominant design emerges and less
  after; complementarity of the knowledge profiles (an inverted U in cognitive distance, see
  :func:`restructuring_sim.mechanisms.innovation.rnd_value_factor`);
* ``licensing``: ``w_licensing * ipr * ([tech_j - tech_i]+ * assets_i + [tech_i - tech_j]+ *
  assets_j)``: the licensee gains technology it can exploit, the licensor earns fees in proportion
  to the licensee's reach; stronger IPR protection raises both;
* ``marketing``: ``w_marketing * (access_s * markets_i(j) + [assets_j - assets_i]+ * tech_i)``: the
  markets the partner sells in and ``i`` does not (weighted by size, reduced in regulated sectors),
  plus distribution of ``i``'s technology through a partner with more brand and capital;
* ``manufacturing`` (manufacturing sectors only): capacity for a niche product and quality,
  ``w_manufacturing * ([assets_j - assets_i]+ * quality_i + [quality_j - quality_i]+ * assets_i)``;

less the cost: ``transaction_cost * (1 - capability_cost_relief * capability_i) +
coordination_cost * ict_cost * (1 - capability_cost_relief * min(capability_i, capability_j)) +
cross_border_cost * distance * (1 - trade_openness)`` (the cross-border term cut by the
currency-union discount). ``tech`` is knowledge relative to the
sector mean (0..1) and ``assets`` is brand, capital and distribution, ``log(1 + employees)`` scaled
to 0..1. Complementarity drives SME-MNE deals: the SME brings technology, a niche or local market
knowledge, the MNE capital, brand and distribution.

A deal forms when both firms gain (value > 0); a searcher takes its best mutual candidate. The
deal's purposes are the components carrying at least ``purpose_threshold`` of its value; it is a
joint venture with a chance rising in the market-access share of a cross-border deal, and carries a
minority equity stake with a chance rising in the SME's technology when a large firm backs an
SME's R&D or licensing. An alliance ends when its term ends or, at the yearly review, when it is
no longer worth its cost to either partner.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from restructuring_sim import lifecycle
from restructuring_sim.deals import ALLIANCE, purpose_mask
from restructuring_sim.firms import SIZE_BOUNDS
from restructuring_sim.mechanisms import innovation, search
from restructuring_sim.scenario import ALLIANCE_PURPOSES

RND, LIC, MKT, MFG = range(4)
_BITS = np.array([purpose_mask([p]) for p in ALLIANCE_PURPOSES])


def deal_sector(model, i, j) -> np.ndarray:
    """A deal's sector: that of the smaller partner (the SME's, in an SME-MNE deal)."""
    f = model.firms
    smaller = np.where(f.employees[j] < f.employees[i], j, i)
    return f.sector[smaller]


def assets(model) -> np.ndarray:
    """Brand, capital and distribution of every firm, 0..1 (log-scaled employees; read-only,
    computed again only once employees change)."""
    size_max = model.scenario.population.size_max
    return model.firms.derived("employees", ("assets", size_max),
                               lambda e: np.log1p(e) / np.log1p(size_max))


def cross_border_cost(model, cond, i, j) -> np.ndarray:
    """Extra cost of a deal between the home countries of ``i`` and ``j`` (0 at home)."""
    f = model.firms
    b = model.scenario.behaviour
    ci, cj = f.country[i], f.country[j]
    union = cond.currency_union[ci] & cond.currency_union[cj]
    return (b.cross_border_cost * model.world.distance[ci, cj] * (1.0 - cond.trade_openness)
            * (1.0 - b.currency_union_discount * union))


class Valuation:
    """Per-firm inputs of deal values for one step, computed once (when first needed: most
    quarters' reviews value no deal) and reused for every pair."""

    def __init__(self, model, cond):
        self.model = model
        self.cond = cond

    @cached_property
    def tech(self) -> np.ndarray:
        return innovation.tech_score(self.model)

    @cached_property
    def assets(self) -> np.ndarray:
        return assets(self.model)

    def components(self, i, j, sector) -> np.ndarray:
        """(pairs, 4) purpose components of the value to ``i`` (before costs)."""
        return self._components(self._side(i), self._side(j), self._sector_terms(sector))

    def _side(self, firms) -> tuple[np.ndarray, ...]:
        """What the value formula reads of one side of each pair: technology, assets, quality,
        markets (rows gathered with np.take, faster than indexing) and R&D pressure (computed
        for these firms alone: a step values a few thousand pairs among all firms)."""
        f = self.model.firms
        return (self.tech[firms], self.assets[firms], f.quality[firms],
                np.take(f.markets, firms, axis=0),
                innovation.rnd_pressure(self.model, self.cond, firms),
                np.take(f.profile, firms, axis=0))

    def _sector_terms(self, sector) -> tuple[np.ndarray, ...]:
        """What the value formula reads of each pair's sector."""
        cond, w = self.cond, self.model.world
        return (cond.cycle[sector], cond.access[sector], w.is_manufacturing[sector],
                w.purpose_affinity[sector])

    def _components(self, own, other, terms) -> np.ndarray:
        """Purpose components of the value to the ``own`` side (see :meth:`components`)."""
        b = self.model.scenario.behaviour
        ti, ai, qi, markets_i, pressure_i, profile_i = own
        tj, aj, qj, markets_j, _, profile_j = other
        cycle, access, manufacturing, affinity = terms
        new_markets = self.model.world.market_share(markets_j & ~markets_i)
        out = np.empty((len(ti), 4))
        out[:, RND] = (b.w_rnd * pressure_i * cycle * tj
                       * innovation.rnd_value_factor(self.model, profile_i, profile_j))
        out[:, LIC] = b.w_licensing * self.cond.ipr_protection * (
            np.maximum(tj - ti, 0) * ai + np.maximum(ti - tj, 0) * aj)
        out[:, MKT] = b.w_marketing * (access * new_markets + np.maximum(aj - ai, 0) * ti)
        out[:, MFG] = b.w_manufacturing * manufacturing * (
            np.maximum(aj - ai, 0) * qi + np.maximum(qj - qi, 0) * ai)
        return out * affinity

    def cost(self, i, j) -> np.ndarray:
        """Yearly cost to ``i`` of running a deal with ``j``: its own transaction cost, cut by
        its capabilities, and the cost of coordinating the pair, cut by the capabilities of the
        weaker partner (a capable SME runs a deal with less of its partner's time)."""
        return self._costs(i, j)[0]

    def _costs(self, i, j) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`cost` to ``i`` and to ``j``: the coordination and cross-border costs are the
        pair's (the same numbers either way round), worked out once."""
        f = self.model.firms
        b = self.model.scenario.behaviour
        relief = b.capability_cost_relief
        cap_i, cap_j = f.capability[i], f.capability[j]
        coordination = (b.coordination_cost * self.cond.ict_cost
                        * (1.0 - relief * np.minimum(cap_i, cap_j)))
        border = cross_border_cost(self.model, self.cond, i, j)
        return tuple(b.transaction_cost * (1.0 - relief * cap) + coordination + border
                     for cap in (cap_i, cap_j))

    def evaluate(self, i, j, sector, fit=None):
        """Values to both sides and the pair's purpose components: ``(v_i, v_j, comps)``.

        ``fit`` is the pair's idiosyncratic match quality (value units), added to both sides.
        """
        side_i, side_j, terms = self._side(i), self._side(j), self._sector_terms(sector)
        ci = self._components(side_i, side_j, terms)
        cj = self._components(side_j, side_i, terms)
        fit = 0.0 if fit is None else fit
        cost_i, cost_j = self._costs(i, j)
        v_i = ci.sum(axis=1) - cost_i + fit
        v_j = cj.sum(axis=1) - cost_j + fit
        return v_i, v_j, ci + cj


def _best_per_searcher(i, v, rng):
    """Index of the highest-valued row of every searcher in ``i`` (ties broken at random)."""
    order = np.lexsort((rng.random(len(i)), -v, i))
    first = np.ones(len(order), dtype=bool)
    first[1:] = i[order][1:] != i[order][:-1]
    return order[first]


def form(model, cond, valuation: Valuation) -> int:
    """Search, evaluate and form this step's alliances; return how many formed."""
    rng = model.rng
    room = search.has_room(model)
    searchers = search.choose_searchers(model, cond, room, valuation.tech)
    contacted = search.contacted_firms(model, room)
    if not len(searchers) and not len(contacted):
        return 0
    cand = search.draw_candidates(model, cond, searchers, room, contacted)
    sector = deal_sector(model, cand.i, cand.j)
    fit = rng.normal(0.0, model.scenario.behaviour.match_noise, len(cand))
    v_i, v_j, comps = valuation.evaluate(cand.i, cand.j, sector, fit)
    mutual = (v_i > 0) & (v_j > 0)
    # a matching-service contact is a match the service proposes (a deal that would pay both
    # sides); it becomes a formal deal only with the conversion rate, which rises with the
    # searcher's capabilities, and then takes priority over the searcher's other candidates
    contact = mutual & (cand.channel == search.MATCHING)
    model.counters["matching_contacts"] += int(contact.sum())
    converted = rng.random(len(cand)) < matching_conversion(model, cond, cand.i)
    mutual &= ~contact | converted
    if not mutual.any():
        return 0
    keep = np.flatnonzero(mutual)
    cand, sector, comps = cand.subset(keep), sector[keep], comps[keep]
    v_i, v_j = v_i[keep], v_j[keep]
    priority = np.where(cand.channel == search.MATCHING, np.inf, v_i)
    best = _best_per_searcher(cand.i, priority, rng)
    best = best[rng.permutation(len(best))]
    chosen = _feasible(model, cand.i[best], cand.j[best])
    rows = best[chosen]
    _open(model, cond, cand.subset(rows), sector[rows], comps[rows], v_i[rows], v_j[rows],
          valuation)
    return len(rows)


def _feasible(model, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Positions of the pairs, taken in order, that fit both firms' alliance capacity and do
    not duplicate a live alliance or an earlier pair."""
    live = model.firms.live_alliances
    free = search.capacity(model) - live  # room of every firm now
    free_a, free_b = free[a].tolist(), free[b].tolist()
    # only firms that both have a live alliance can be allied already: the network is looked
    # up for those pairs alone
    both_allied = ((live[a] > 0) & (live[b] > 0)).tolist()
    has_tie = model.network.has_tie
    # each pair of firms as one number, the same whichever firm comes first
    pairs = (np.minimum(a, b) * (len(free) + 1) + np.maximum(a, b)).tolist()
    used: dict[int, int] = {}
    seen: set[int] = set()
    keep = []
    for pos, (x, y, pair) in enumerate(zip(a.tolist(), b.tolist(), pairs, strict=True)):
        full = used.get(x, 0) >= free_a[pos] or used.get(y, 0) >= free_b[pos]
        if full or pair in seen or (both_allied[pos] and has_tie(x, y, "alliance")):
            continue
        used[x] = used.get(x, 0) + 1
        used[y] = used.get(y, 0) + 1
        seen.add(pair)
        keep.append(pos)
    return np.array(keep, dtype=np.int64)


def matching_conversion(model, cond, firms) -> np.ndarray:
    """Chance that a matching-service contact of each firm becomes a formal deal.

    The policy rate ``matching_service.conversion`` for firms with ordinary capabilities, rising
    linearly to ``demography.capable_conversion`` as capability goes from
    ``demography.capability_threshold`` to 1.
    """
    dem = model.scenario.demography
    cap = model.firms.capability[firms]
    lift = np.clip((cap - dem.capability_threshold) / max(1e-9, 1 - dem.capability_threshold),
                   0, 1)
    base = cond.matching_conversion
    return base + np.maximum(dem.capable_conversion - base, 0) * lift


def _open(model, cond, pairs, sector, comps, v_a, v_b, valuation) -> None:
    """Create the alliances of ``pairs`` and log them.

    Purposes are the components carrying at least ``purpose_threshold`` of the pair's value (the
    largest always); a deal made through a distributor is a marketing agreement whatever its
    components. Joint-venture and equity flags and terms are drawn for all deals at once.
    """
    if not len(pairs):
        return
    f = model.firms
    rng = model.rng
    beh = model.scenario.behaviour
    m = len(pairs)
    a, b = pairs.i, pairs.j
    total = comps.sum(axis=1)
    chosen = comps >= beh.purpose_threshold * total[:, None]
    chosen[np.arange(m), np.argmax(comps, axis=1)] = True
    chosen[pairs.channel == search.DISTRIBUTOR] = np.arange(4) == MKT
    purposes = chosen.astype(np.int64) @ _BITS
    cross = f.country[a] != f.country[b]
    jv = cross & (rng.random(m) < beh.jv_propensity * comps[:, MKT] / total)
    sme_a, sme_b = f.employees[a] < SIZE_BOUNDS[1], f.employees[b] < SIZE_BOUNDS[1]
    tech_sme = np.where(sme_a, valuation.tech[a], valuation.tech[b])
    equity = ((sme_a != sme_b) & (chosen[:, RND] | chosen[:, LIC])
              & (rng.random(m) < beh.equity_propensity * tech_sme))
    spy = model.scenario.simulation.steps_per_year
    term = np.maximum(1, np.rint(rng.uniform(beh.term_years_min, beh.term_years_max, m) * spy))
    lifecycle.open_deals(
        model, cond, ALLIANCE, a, b, sector=sector, purposes=purposes, channel=pairs.channel,
        joint_venture=jv, equity=equity, term_steps=term.astype(np.int64), value_a=v_a,
        value_b=v_b,
    )


def review(model, cond, valuation: Valuation) -> int:
    """End alliances whose term is over and, once a year, those no longer worth their cost."""
    d = model.deals
    live = d.live(ALLIANCE)
    if not len(live):
        return 0
    ending = d.end_step[live] <= cond.step
    if cond.quarter == 1:
        i, j = d.a[live], d.b[live]
        v_i, v_j, _ = valuation.evaluate(i, j, d.sector[live])
        ending |= (v_i < 0) | (v_j < 0)
    lifecycle.close_deals(model, cond, ALLIANCE, live[ending])
    return int(ending.sum())


def learn(model, dt: float) -> None:
    """Partners in live R&D or licensing alliances absorb part of each other's knowledge lead."""
    d = model.deals
    live = d.live(ALLIANCE)
    bits = purpose_mask(["rnd", "licensing"])
    live = live[(d.purposes[live] & bits) > 0]
    if not len(live):
        return
    k = model.firms.knowledge
    a, b = d.a[live], d.b[live]
    rate = model.scenario.behaviour.alliance_learning * dt
    gain_a = rate * np.maximum(k[b] - k[a], 0)
    gain_b = rate * np.maximum(k[a] - k[b], 0)
    np.add.at(k, a, gain_a)
    np.add.at(k, b, gain_b)

