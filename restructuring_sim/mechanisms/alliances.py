"""Strategic alliances: both firms value a deal, the best mutual deal forms, weak deals dissolve.

A deal arises from a *motive*, and its content follows from the motive and the partners. The
value of an alliance to firm ``i`` with partner ``j`` (value units per year) is the sum of six
components, each belonging to one motive and scaled by a documented characteristic
(:class:`restructuring_sim.scenario.Sector`) of the sector whose activity it is, never by a
per-sector dial: the deal's sector ``s`` (the smaller partner's) for R&D and market entry, the
technology owner's for licensing, the sector of the goods distributed for distribution, the
producer's for manufacturing and the supplier's for sourcing. Most deals pair firms of one sector,
where these are one; a wholesaler allied with a manufacturer can also source its partner's goods,
so that distribution agreements fold into broader deals:

* ``rnd_cost_sharing``: ``w_rnd * rnd_s * pressure_i * assets_j * cycle_s * tech_j *
  complementarity_ij``: sharing
  the cost of the sector's frontier R&D programme, of which the firm cannot fund the share
  ``pressure_i`` (dearer R&D makes sharing worth more), with a partner who has technology and
  the capital to carry part of the cost (``assets_j``: a large partner carries more than an
  SME); ``rnd_s = min(1, rnd_intensity_s / RND_INTENSIVE)``, since what sharing saves is
  the R&D spending at stake; the technology cycle makes it worth more before the sector's
  dominant design emerges and less after; all of it times the complementarity of the two
  knowledge profiles (an inverted U in cognitive distance, see
  :func:`restructuring_sim.mechanisms.innovation.rnd_value_factor`);
* ``technology_licensing``: ``w_licensing * ipr * distance_ij * (ip_j * tech_j * assets_i +
  ip_i * tech_i * assets_j * pressure_i * cycle_s)`` (``ip_k``: the IP reliance of ``k``'s
  sector): a technology firm licenses its
  technology or grants marketing rights to a larger firm for funding. What can be licensed is
  the part of the licensor's knowledge lying in fields where the licensee is weaker: its
  technology times the cognitive distance of the two profiles (see
  :func:`restructuring_sim.mechanisms.innovation.distance`), so that a large firm whose broad
  profile lacks an SME's niche seeks a licence from it. The licensee gains technology it can
  exploit across its reach (``assets_i``), the licensor fees in proportion to the licensee's
  reach, which fund the share of its R&D programme it cannot fund itself (as cost sharing
  would, hence the pressure and the technology cycle); it rises with IPR protection and with
  how far the sector's returns rest on licensable IP;
* ``market_entry``: ``w_marketing * local_presence_s * access_s * (entry_i + [assets_j -
  assets_i]+ * entry_j)``: a firm enters the markets of a partner who has the customer base
  (``entry_i``: the share of the pair's size-weighted markets that ``j`` sells in and ``i`` does
  not, what entry adds to ``i``'s reach); the local partner gains the entrant's capital and
  brand in proportion to what it opens. It needs local
  presence (telecom, finance) and, in a regulated sector, the sector's deregulation;
* ``distribution``: ``w_marketing * distribution_weight_i * (access_s * new_i + [assets_j -
  assets_i]+ * tech_i)``: marketing and distribution of ``i``'s goods through a partner's
  network (``new_i``: size-weighted share of world markets ``j`` sells in and ``i`` does not)
  and brand, worth the weight of distribution in the delivered value of ``i``'s sector;
* ``production``: ``w_manufacturing * (outsourced_i * [assets_j - assets_i]+ * quality_i +
  outsourced_j * [quality_j - quality_i]+ * assets_i)``: the first term is capacity a larger
  partner offers a niche producer (a *manufacturing* tie), the second the quality a larger firm
  sources from a better supplier (a *sourcing* tie); each scales with the share of production
  firms of the producer's sector make or buy outside (``outsourced_k``: ``k``'s sector's
  ``outsourced_production``);

less the cost: ``(transaction_cost * (1 - capability_cost_relief * capability_i) +
coordination_cost * ict_cost * (1 - capability_cost_relief * min(capability_i, capability_j)))
* (1 - trust_discount * known) + cross_border_cost * distance * (1 - trade_openness)`` (the
cross-border term cut by the currency-union discount), ``known`` being 1 for partners who know
each other: they allied before, a common partner introduced them (the ``prior_partner`` and
``referral`` channels), or they run the deal being reviewed together already. Trust built in
earlier ties replaces costly safeguards and monitoring (Gulati 1995; Dyer and Singh 1998), which
is why firms return to prior partners and to their partners' partners. ``tech`` is knowledge
relative to the sector mean (0..1) and ``assets`` is brand, capital and distribution,
``log(1 + employees)`` scaled to 0..1.
Complementarity drives SME-MNE deals: the SME brings technology, a niche or local market
knowledge, the MNE capital, brand and distribution.

A deal forms when both firms gain (value > 0); a searcher takes its best mutual candidate. The
deal's motive is the motive carrying most of the pair's value (a deal made through a
distributor is a distribution agreement). Its purposes are the motive's (R&D, licensing,
marketing, or manufacturing and sourcing) plus any other component carrying at least
``purpose_threshold`` of the pair's value. A cross-border market-entry deal is a joint venture
with chance ``jv_propensity * local_presence_s``: where a customer base must be served locally,
entrants and local firms set up a jointly owned company. An R&D or licensing deal between an
SME and a large firm carries a minority equity stake with a chance rising in the SME's
technology. An alliance ends when its term ends or, at the yearly review, when it is no longer
worth its cost to either partner, the pair's fit drawn when they met included.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from restructuring_sim import lifecycle
from restructuring_sim.columns import rank_in_runs
from restructuring_sim.deals import ALLIANCE, purpose_mask
from restructuring_sim.events import ALLIANCE_MOTIVES, MOTIVES
from restructuring_sim.firms import SIZE_BOUNDS, market_code
from restructuring_sim.mechanisms import innovation, search, units

#: new alliances each unit of a firm (:func:`units.divisions`, rounded up) takes on in one step
#: at most (each dearer than the last: congestion)
MAX_NEW_PER_STEP = 3

#: value components (columns of :meth:`Valuation.components`)
RND, LIC, ENTRY, DIST, MFG, SRC = range(6)
#: the purpose each component stands for
_BITS = np.array([purpose_mask([p]) for p in ("rnd", "licensing", "marketing", "marketing",
                                              "manufacturing", "sourcing")])
#: the motive each component belongs to (index into ALLIANCE_MOTIVES): production is both
#: manufacturing and sourcing
_MOTIVE_OF = np.array([0, 1, 2, 3, 4, 4])
SHARING, LICENSING, ENTERING, DISTRIBUTING, PRODUCTION = range(len(ALLIANCE_MOTIVES))
#: the codes of the alliance motives in the event log's motive vocabulary
_MOTIVE_CODES = np.array([MOTIVES.index(m) for m in ALLIANCE_MOTIVES])
#: R&D intensity (R&D over revenue) from which a sector counts as fully R&D-intensive: the
#: OECD's high-technology manufacturing industries spend more than about 5% of their output on
#: R&D (Hatzichronoglou 1997, "Revision of the high-technology sector and product
#: classification", OECD STI Working Paper 1997/2)
RND_INTENSIVE = 0.05


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


def cross_border_cost(model, cond, i, j, countries=None) -> np.ndarray:
    """Extra cost of a deal between the home countries of ``i`` and ``j`` (0 at home);
    ``countries``: those countries, if the caller has them."""
    f = model.firms
    b = model.scenario.behaviour
    ci, cj = (f.country[i], f.country[j]) if countries is None else countries
    union = cond.currency_union[ci] & cond.currency_union[cj]
    return (b.cross_border_cost * model.world.partner_distance[ci, cj]
            * (1.0 - cond.trade_openness)
            * (1.0 - b.currency_union_discount * union))


class Valuation:
    """Per-firm inputs of deal values for one step, computed once (when first needed: most
    quarters' reviews value no deal) and reused for every pair."""

    def __init__(self, model, cond):
        self.model = model
        self.cond = cond

    @cached_property
    def tech(self) -> innovation.TechScores:
        """Technology scores (``tech[firms]``), worked out for the firms read alone."""
        return innovation.TechScores(self.model)

    @cached_property
    def assets(self) -> np.ndarray:
        return assets(self.model)

    def components(self, i, j, sector) -> np.ndarray:
        """(pairs, 6) value components to ``i`` (before costs): RND, LIC, ENTRY, DIST, MFG, SRC."""
        own, other = self._side(i), self._side(j)
        return np.column_stack(self._components(own, other, self._sector_terms(sector),
                                                self._pair_terms(own, other)[0]))

    def _side(self, firms) -> tuple[np.ndarray, ...]:
        """What the value formula reads of one side of each pair: technology, assets, quality,
        markets (rows gathered with np.take, faster than indexing), R&D pressure (computed
        for these firms alone: a step values a few thousand pairs among all firms), knowledge
        profile and its sector's IP reliance, distribution weight and outsourced production,
        and its home country. Each firm's sector and country are read once, and its (country,
        sector) market worked out from them (the numbers of ``FirmTable.market_codes``):
        reading columns of a million firms at scattered rows is most of the time of valuing
        pairs."""
        f, w = self.model.firms, self.model.world
        sector, country = f.sector[firms], f.country[firms]
        market = market_code(country, sector, w.n_sectors)
        return (self.tech.of(firms, sector), self.assets[firms], f.quality[firms],
                np.take(f.markets, firms, axis=0),
                innovation.rnd_pressure(self.model, self.cond, firms, sector, market),
                np.take(f.profile, firms, axis=0),
                (w.ip_reliance[sector], w.distribution_weight[sector],
                 w.outsourced_production[sector]), country)

    def _sector_terms(self, sector) -> tuple[np.ndarray, ...]:
        """What the value formula reads of each pair's (deal's) sector: technology cycle, market
        access, R&D intensity and the need for local presence."""
        cond, w = self.cond, self.model.world
        rnd = np.minimum(1.0, w.rnd_intensity[sector] / RND_INTENSIVE)
        return cond.cycle[sector], cond.access[sector], rnd, w.local_presence[sector]

    def _pair_terms(self, one, two) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
        """What the value formula reads of the two profiles and market sets of each pair, as
        seen from side ``one`` and from side ``two``: the world share of markets each side
        enters through the other, the share of its enlarged market that is new, the cognitive
        distance and the R&D complementarity factor. Worked out once for both sides: the
        enlarged markets, the distance and the factor are the same numbers either way round
        (``|a - b|`` and ``|b - a|`` are equal in floating point), and what one side enters is
        what the other opens."""
        markets_1, profile_1 = one[3], one[5]
        markets_2, profile_2 = two[3], two[5]
        share = self.model.world.market_share
        new_1 = share(markets_2 & ~markets_1)  # markets side one enters through side two
        new_2 = share(markets_1 & ~markets_2)  # and side two through side one
        # for an entrant, what counts is the share of its enlarged market that is new
        enlarged = share(markets_1 | markets_2)
        entry_1, entry_2 = (new / np.maximum(enlarged, 1e-12) for new in (new_1, new_2))
        licensable = innovation.distance(profile_1, profile_2)
        rnd_factor = innovation.rnd_value_factor_of_distance(self.model, licensable)
        return ((new_1, entry_1, entry_2, licensable, rnd_factor),
                (new_2, entry_2, entry_1, licensable, rnd_factor))

    def _components(self, own, other, terms, pair) -> list[np.ndarray]:
        """Value components to the ``own`` side (see :meth:`components` and the module), one
        array per component (the columns of :meth:`components`, each worked out whole);
        ``pair`` is what :meth:`_pair_terms` gives for this side."""
        b = self.model.scenario.behaviour
        ti, ai, qi, _, pressure_i, _, (ip_i, distribution_i, outsourced_i), _ = own
        tj, aj, qj, _, _, _, (ip_j, _, outsourced_j), _ = other
        cycle, access, rnd, local = terms
        new_i, entry_i, entry_j, licensable, rnd_factor = pair
        gap_j = np.maximum(aj - ai, 0)  # capital and brand j brings
        out = [np.empty(0)] * 6
        out[RND] = b.w_rnd * rnd * pressure_i * aj * cycle * tj * rnd_factor
        out[LIC] = b.w_licensing * self.cond.ipr_protection * licensable * (
            ip_j * tj * ai + ip_i * ti * aj * pressure_i * cycle)
        out[ENTRY] = b.w_marketing * local * access * (entry_i + gap_j * entry_j)
        out[DIST] = b.w_marketing * distribution_i * (access * new_i + gap_j * ti)
        out[MFG] = b.w_manufacturing * outsourced_i * gap_j * qi
        out[SRC] = b.w_manufacturing * outsourced_j * np.maximum(qj - qi, 0) * ai
        return out

    def cost(self, i, j) -> np.ndarray:
        """Yearly cost to ``i`` of running a deal with ``j``: its own transaction cost, cut by
        its capabilities, and the cost of coordinating the pair, cut by the capabilities of the
        weaker partner (a capable SME runs a deal with less of its partner's time)."""
        return self._costs(i, j)[0]

    def _costs(self, i, j, existing: bool = False, known=False,
               countries=None) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`cost` to ``i`` and to ``j``: the coordination and cross-border costs are the
        pair's (the same numbers either way round), worked out once. Each side also bears the
        congestion of the other alliances it runs (:func:`search.congestion`): all its live
        ones for a new deal, all but this one for an ``existing`` deal. Partners who know each
        other (``known``, bool per pair, and every ``existing`` deal) save ``trust_discount`` of
        the transaction and coordination costs. ``countries``: the home countries of ``i``
        and ``j``, if the caller has them."""
        f = self.model.firms
        b = self.model.scenario.behaviour
        relief = b.capability_cost_relief
        cap_i, cap_j = f.capability[i], f.capability[j]
        trust = 1.0 - b.trust_discount * (np.asarray(known) | existing)
        coordination = (b.coordination_cost * self.cond.ict_cost
                        * (1.0 - relief * np.minimum(cap_i, cap_j)))
        border = cross_border_cost(self.model, self.cond, i, j, countries)
        return tuple((b.transaction_cost * (1.0 - relief * cap) + coordination) * trust + border
                     + search.congestion(self.model, x, f.live_alliances[x] - existing)
                     for x, cap in ((i, cap_i), (j, cap_j)))

    def evaluate(self, i, j, sector, fit=None, existing: bool = False, known=False):
        """Values to both sides and the pair's purpose components: ``(v_i, v_j, comps)``,
        ``comps`` a :class:`PairComponents` (``comps[rows]``: the (rows, 6) components).

        ``fit`` is the pair's idiosyncratic match quality (value units), added to both sides;
        ``existing`` values a live deal and ``known`` (bool per pair) marks partners who know
        each other (see :meth:`_costs`).
        """
        side_i, side_j, terms = self._side(i), self._side(j), self._sector_terms(sector)
        pair_i, pair_j = self._pair_terms(side_i, side_j)
        ci = self._components(side_i, side_j, terms, pair_i)
        cj = self._components(side_j, side_i, terms, pair_j)
        fit = 0.0 if fit is None else fit
        cost_i, cost_j = self._costs(i, j, existing, known, (side_i[-1], side_j[-1]))
        v_i = _total(ci) - cost_i + fit
        v_j = _total(cj) - cost_j + fit
        return v_i, v_j, PairComponents(ci, cj)


class PairComponents:
    """The purpose components of pairs, both sides' added (see :meth:`Valuation.evaluate`):
    ``comps[rows]`` is the (rows, 6) array of the pairs ``rows``, made for those rows alone
    (a step values some hundred thousand pairs and forms deals of a few thousand; a yearly
    review reads none)."""

    def __init__(self, own: list[np.ndarray], other: list[np.ndarray]):
        self._own, self._other = own, other

    def __getitem__(self, rows) -> np.ndarray:
        return np.column_stack([own[rows] + other[rows]
                                for own, other in zip(self._own, self._other, strict=True)])


def _total(components: list[np.ndarray]) -> np.ndarray:
    """The sum of the value components of each pair, bit for bit what ``np.column_stack(
    components).sum(axis=1)`` gives: numpy adds a row of fewer than eight values one by one to
    the sum's identity, 0.0. Adding whole columns in that order is several times faster than
    reducing the rows of a (pairs, 6) array one by one."""
    total = components[0] + 0.0
    for column in components[1:]:
        total += column
    return total


def _best_per_searcher(i, v, rng, searches):
    """Indices of the ``searches[i]`` (at least one) highest-valued rows of every searcher in
    ``i`` (ties broken at random): each search of a firm proposes the best deal its units'
    pooled candidates leave it."""
    order = np.lexsort((rng.random(len(i)), -v, i))
    return order[rank_in_runs(i[order]) < np.maximum(searches[i[order]], 1)]


def form(model, cond, valuation: Valuation) -> int:
    """Search, evaluate and form this step's alliances; return how many formed."""
    rng = model.rng
    room = search.has_room(model)
    searchers = search.choose_searchers(model, cond, room, valuation.tech)
    contacted = search.contacted_firms(model, room)
    if not len(searchers) and not len(contacted):
        return 0
    # reviews change no knowledge: the scores made for this step's values are current
    cand = search.draw_candidates(model, cond, searchers, room, contacted, valuation.tech)
    sector = deal_sector(model, cand.i, cand.j)
    fit = rng.normal(0.0, model.scenario.behaviour.match_noise, len(cand))
    known = (cand.channel == search.PRIOR) | (cand.channel == search.REFERRAL)
    v_i, v_j, comps = valuation.evaluate(cand.i, cand.j, sector, fit, known=known)
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
    cand, sector = cand.subset(keep), sector[keep]
    v_i, v_j, fit = v_i[keep], v_j[keep], fit[keep]
    priority = np.where(cand.channel == search.MATCHING, np.inf, v_i)
    searches = np.bincount(searchers, minlength=len(model.firms))
    best = _best_per_searcher(cand.i, priority, rng, searches)
    best = best[rng.permutation(len(best))]
    chosen = _feasible(model, cand.i[best], cand.j[best], v_i[best], v_j[best])
    rows = best[chosen]
    _open(model, cond, cand.subset(rows), sector[rows], comps[keep[rows]], v_i[rows], v_j[rows],
          fit[rows], valuation)
    return len(rows)


def _feasible(model, a: np.ndarray, b: np.ndarray, v_a: np.ndarray,
              v_b: np.ndarray) -> np.ndarray:
    """Positions of the pairs, taken in order, that still pay both firms once the alliances
    each took on earlier in the step add to its congestion cost, and do not duplicate a live
    alliance or an earlier pair."""
    f = model.firms
    live = f.live_alliances
    # the extra congestion of a firm's u-th new alliance this step: congestion_cost * ((live +
    # u) ** 2 - live ** 2) / span ** 2; each of its divisions takes up to MAX_NEW_PER_STEP
    span = search.management_span(model)
    cost = model.scenario.behaviour.congestion_cost
    divisions = units.divisions(model)
    sides = []
    for firms in (a, b):
        # the limits of these firms alone (a step's pairs are a few thousand of a million firms)
        sides.append((live[firms].tolist(), span[firms].tolist(),
                      search.congestion(model, firms, live[firms]).tolist(),
                      np.ceil(MAX_NEW_PER_STEP * divisions[firms]).tolist()))
    (live_a, span_a, base_a, limit_a), (live_b, span_b, base_b, limit_b) = sides
    value_a, value_b = v_a.tolist(), v_b.tolist()
    # only firms that both have a live alliance can be allied already: the network is looked
    # up for those pairs alone
    both_allied = ((live[a] > 0) & (live[b] > 0)).tolist()
    has_tie = model.network.has_tie
    # each pair of firms as one number, the same whichever firm comes first
    pairs = (np.minimum(a, b) * (len(live) + 1) + np.maximum(a, b)).tolist()
    used: dict[int, int] = {}
    seen: set[int] = set()
    keep = []
    for pos, (x, y, pair) in enumerate(zip(a.tolist(), b.tolist(), pairs, strict=True)):
        ux, uy = used.get(x, 0), used.get(y, 0)
        if ux >= limit_a[pos] or uy >= limit_b[pos] or pair in seen:
            continue
        if (ux and value_a[pos] <= _extra(cost, live_a[pos] + ux, span_a[pos], base_a[pos])) or (
                uy and value_b[pos] <= _extra(cost, live_b[pos] + uy, span_b[pos], base_b[pos])):
            continue
        if both_allied[pos] and has_tie(x, y, "alliance"):
            continue
        used[x] = ux + 1
        used[y] = uy + 1
        seen.add(pair)
        keep.append(pos)
    return np.array(keep, dtype=np.int64)


def _extra(cost: float, live: int, span: float, base: float) -> float:
    """Congestion cost at ``live`` alliances over that at the firm's alliances before the step
    (``base``), as :func:`search.congestion` works it out (value units/year)."""
    ratio = live / span
    return cost * (ratio * ratio) - base


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


def motives(comps: np.ndarray, channel: np.ndarray) -> np.ndarray:
    """Motive of each deal (index into ALLIANCE_MOTIVES): the one carrying most of the pair's
    value (``comps``, the pair's components); a deal made through a distributor is a
    distribution agreement."""
    by_motive = np.zeros((len(comps), len(ALLIANCE_MOTIVES)))
    for k, motive in enumerate(_MOTIVE_OF):
        by_motive[:, motive] += comps[:, k]
    motive = np.argmax(by_motive, axis=1)
    return np.where(channel == search.DISTRIBUTOR, DISTRIBUTING, motive)


def purposes_of(comps: np.ndarray, motive: np.ndarray, threshold: float) -> np.ndarray:
    """Purpose bit masks: the motive's own purposes (for production, manufacturing and/or
    sourcing, whichever carries at least ``threshold`` of its value, the larger always), plus
    every other component carrying at least ``threshold`` of the pair's value."""
    m = len(comps)
    rows = np.arange(m)
    own = _MOTIVE_OF[None, :] == motive[:, None]  # components of the deal's motive
    own_value = np.where(own, comps, 0.0)
    chosen = own & (own_value >= threshold * own_value.sum(axis=1)[:, None])
    chosen[rows, np.argmax(own_value, axis=1)] = True
    chosen |= comps >= threshold * comps.sum(axis=1)[:, None]
    # two components may stand for one purpose (market entry and distribution: marketing)
    return np.bitwise_or.reduce(np.where(chosen, _BITS, 0), axis=1)


def _open(model, cond, pairs, sector, comps, v_a, v_b, fit, valuation) -> None:
    """Create the alliances of ``pairs`` and log them with their motive; each keeps the pair's
    ``fit`` (value units per year), which its yearly review counts again.

    The motive, purposes, joint-venture and equity flags follow from the components (see the
    module docstring); flags and terms are drawn for all deals at once.
    """
    if not len(pairs):
        return
    f = model.firms
    rng = model.rng
    beh = model.scenario.behaviour
    m = len(pairs)
    a, b = pairs.i, pairs.j
    motive = motives(comps, pairs.channel)
    purposes = purposes_of(comps, motive, beh.purpose_threshold)
    distributed = pairs.channel == search.DISTRIBUTOR
    purposes = np.where(distributed, purpose_mask(["marketing"]), purposes)
    cross = f.country[a] != f.country[b]
    local = model.world.local_presence[sector]
    jv = cross & (motive == ENTERING) & (rng.random(m) < beh.jv_propensity * local)
    sme_a, sme_b = f.employees[a] < SIZE_BOUNDS[1], f.employees[b] < SIZE_BOUNDS[1]
    tech_sme = np.where(sme_a, valuation.tech[a], valuation.tech[b])
    funds_technology = (motive == SHARING) | (motive == LICENSING)
    equity = ((sme_a != sme_b) & funds_technology
              & (rng.random(m) < beh.equity_propensity * tech_sme))
    spy = model.scenario.simulation.steps_per_year
    term = np.maximum(1, np.rint(rng.uniform(beh.term_years_min, beh.term_years_max, m) * spy))
    deals = lifecycle.open_deals(
        model, cond, ALLIANCE, a, b, sector=sector, purposes=purposes, channel=pairs.channel,
        joint_venture=jv, equity=equity, term_steps=term.astype(np.int64), value_a=v_a,
        value_b=v_b, motive=_MOTIVE_CODES[motive],
    )
    model.deals.fit[deals] = fit


def review(model, cond, valuation: Valuation) -> int:
    """End alliances whose term is over and, once a year, those no longer worth their cost to
    either side: their components and costs as they are now, with the pair's match quality
    (``fit``) drawn when the partners met. The fit is the pair's, not the year's: a deal formed
    because two firms suited each other does not lose that at its first review."""
    d = model.deals
    live = d.live(ALLIANCE)
    if not len(live):
        return 0
    ending = d.end_step[live] <= cond.step
    if cond.quarter == 1:
        i, j = d.a[live], d.b[live]
        v_i, v_j, _ = valuation.evaluate(i, j, d.sector[live], d.fit[live], existing=True)
        ending |= (v_i < 0) | (v_j < 0)
    lifecycle.close_deals(model, cond, ALLIANCE, live[ending])
    return int(ending.sum())


def learn(model, dt: float) -> None:
    """Partners in live R&D or licensing alliances absorb part of each other's knowledge lead:
    ``alliance_learning`` of it a year, in the unit that runs the alliance, so that the firm's
    knowledge rises by that share over its number of units (:mod:`units`)."""
    d = model.deals
    live = d.live(ALLIANCE)
    bits = purpose_mask(["rnd", "licensing"])
    live = live[(d.purposes[live] & bits) > 0]
    if not len(live):
        return
    k = model.firms.knowledge
    a, b = d.a[live], d.b[live]
    rate = model.scenario.behaviour.alliance_learning * dt
    per_unit = 1.0 / units.divisions(model)
    gain_a = rate * np.maximum(k[b] - k[a], 0) * per_unit[a]
    gain_b = rate * np.maximum(k[a] - k[b], 0) * per_unit[b]
    np.add.at(k, a, gain_a)
    np.add.at(k, b, gain_b)

