"""Acquisitions: who buys whom, and why, once a year.

Four motives, each a rule over firms' state:

* ``technology`` / ``market``: each unit of a large firm (with chance
  ``acquisitions.search_rate`` a year; a firm of several units, see
  :mod:`restructuring_sim.mechanisms.units`, runs as many hunts, as it runs as many partner
  searches) examines a bounded sample of smaller firms of its sector (its last partner first,
  then by visibility, half among SMEs and half among all firms, so that large targets come up
  too; foreign ones reached as in partner search) and buys the one whose value exceeds its price
  and deal cost by most per dollar paid. The value is the target's revenue times
  ``tech_premium * tech_target * assets_acquirer`` (technology the acquirer can exploit; times
  ``(unit revenue / target revenue) ** tech_spread``, the buyer's sales it reaches) plus
  ``market_premium * new_markets * position`` (size-weighted share of world markets the target
  sells in and the acquirer does not, times the target's market position, below), scaled by an
  idiosyncratic lognormal factor; the price is ``price_to_sales`` times revenue. The motive is
  the larger of the two parts.
* ``market`` (presence abroad): each unit of a large firm (with chance
  ``acquisitions.presence_rate`` a year) sets out to buy a place in a foreign market of its
  sector where it does not sell yet (with ``presence_in_served``, or one where it does): it
  examines twice ``candidates`` firms of its sector anywhere (half among large firms, the
  market's leaders an entrant's market research lists first, half by size class, both by
  visibility), keeps those smaller than itself in those countries, and buys the one whose value
  exceeds its price and the cross-border deal cost by most per dollar paid. The value is the
  target's revenue times ``market_premium * position``, plus, in a market new to the unit, the
  unit's own sales it can route through that place (``route_share`` of what it would sell in the
  market, its revenue times the market's demand relative to home's, times ``market_premium *
  position``; with ``route_capacity`` at most that many times the target's own sales, which its
  customer ties and distribution carry): the unit buys a place in a market for its own products
  too (Anand and Delios 2002), and foreign firms' technology is the technology hunts' quarry.
  The paper: "a major motive for the acquisition of large firms is to strengthen market
  presence" in a product or service segment, which a firm already selling in a country
  strengthens by buying a leader there (``presence_in_served``). Hunts confined to markets new
  to the unit run dry as multinationals spread (by 2000 three in four foreign candidates were in
  markets the hunter served and 7% of hunts found a target worth its price; 40,000 firms, seed
  1), so that the fit drove ``presence_rate`` near its ceiling (round 20); with the switch on,
  the refit put it at 0.35 but fitted the moments less well (round 21, not adopted), and so did
  a refit with the route bounded and units sold from 1.75 units too (round 22: presence rate
  0.32, no fitted value near a prior's edge, 12 of 15 moments within; docs/calibration.md).

  A target's **market position** is ``m / (m + position_scale)``, ``m`` its sales in its home
  market relative to the mean firm's there (``market_share``). What an entrant buys is a place
  in the market: customers, a brand, a distribution network, selling costs sunk once for a
  market that set its leaders apart from its fringe (Sutton 1991); entrants buy local firms
  where such marketing assets are the way in (Hennart and Park 1993). The value per dollar
  paid then rises with the target's share of its market, so a hunt for presence buys a
  leader, or a unit of one, that it can afford, and passes over a medium firm (a median one
  carries about 7% of a full position at ``position_scale`` 100, a median large firm about
  40%). Valued by revenue alone, with the fixed cross-border deal cost, a presence hunt took
  the largest target its unit could afford, nearly always a medium firm, and drained the
  medium class (round 17, 100,000 firms, seed 1: 1,785 of 2,795 presence deals in 1990-2000).
  A firm that is not yet multinational hunts too: buying a local firm is the usual first step
  abroad (UNCTAD, World Investment Report 2000: cross-border M&As, not greenfield investment,
  carried most of the decade's foreign direct investment);
* ``succession``: an SME owner past ``retirement_age`` retires (half of them in a given year);
  with chance ``successor_share`` a successor takes over, otherwise the firm is sold to the best
  buyer among larger firms of its sector (at half its price) or, if none wants it or the sale
  is not permitted, closes.
* ``distress``: a firm with a loss last year is put up for sale with chance
  ``distress_sale_rate`` and bought by a larger firm of its sector that values it.
* ``consolidation``: a medium supplier under price pressure merges, with chance
  ``supply.consolidation_rate`` times the share of a typical margin the price cuts took
  (capped at 1), with a peer supplier of its sector and country; the larger
  firm is the acquirer.

A hunting buyer (``technology``, ``market``) is offered a firm of two units or more (see
:mod:`restructuring_sim.mechanisms.units`) one unit at a time, not whole
(:func:`offered_share`): a unit brings its share of the firm's revenue and employees, the
firm's technology and its home market. An agreed sale splits the unit off as a firm of its
own, entering as a spin-off of its seller, which its buyer then acquires (see
:func:`_sell_units`); the seller keeps its deals and its other units. The paper's "market
presence in a product or service segment" is often bought this way.

A buyer pays ``price`` plus a fixed deal cost, higher abroad (``cross_border_deal_cost``: due
diligence, legal work, integration), so that foreign buyers mostly pass over small targets. The
unit that finds a target buys and absorbs it: it can take on a price up to
``max_relative_size`` times its own value (``price_to_sales`` times the firm's revenue over its
units, see :mod:`restructuring_sim.mechanisms.units`). Cash, debt and new shares raise only so
much, and a unit's managers can integrate only so much at once (Penrose 1959), so targets are
mostly far smaller than their buyers, the larger the buyer the smaller relative to it (Moeller,
Schlingemann and Stulz 2004), and large firms are seldom bought. A firm's growth by acquisition
is then about proportional to its size, as its hunts (one per unit) are: Gibrat's law, not the
runaway growth of the largest firms that a whole-firm budget per hunt would give.
Every deal passes two policy gates: a foreign acquirer is admitted with chance
``policy.fdi_openness``, and a deal is blocked when the merged firm would push the HHI of the
target's (country, sector) market, measured in employees of home firms, above
``acquisitions.hhi_limit * (1 - competition_strictness)`` while raising it.
"""

from __future__ import annotations

import math

import numpy as np

from restructuring_sim import lifecycle
from restructuring_sim.columns import first_of_each, rank_in_runs
from restructuring_sim.events import ACQUISITION_MOTIVES, CHANNELS, MOTIVES
from restructuring_sim.firms import ACTIVE
from restructuring_sim.mechanisms import exports, innovation, units
from restructuring_sim.mechanisms.alliances import assets
from restructuring_sim.mechanisms.search import class_draws, reach_probability, visibility_draws

TECH, MARKET, SUCCESSION, DISTRESS, CONSOLIDATION = (MOTIVES.index(m) for m in ACQUISITION_MOTIVES)
DIRECT, PRIOR, CLUSTER = (CHANNELS.index(c) for c in ("direct", "prior_partner", "cluster"))


def offered_share(model, firms: np.ndarray) -> np.ndarray:
    """Share of each of ``firms`` a hunting buyer can acquire: one unit (``1 / units``, see
    :func:`restructuring_sim.mechanisms.units.divisions`) of a firm of
    ``acquisitions.unit_sale_min_units`` units or more (2 in the baseline, a firm of about
    1,800 employees), else the whole firm.

    A firm of several business units and affiliates sells units it does not need (divestiture),
    and a buyer seeking a product segment or a foreign market buys such a unit rather than the
    whole group, which few could finance or run. In the 1990s large firms sold units about as
    often as whole firms were taken over (Mulherin and Boone 2000, "Comparing acquisitions and
    divestitures", J. Corporate Finance), and about half the plants that changed owner did so
    in sales of part of a firm (Maksimovic and Phillips 2001, "The market for corporate
    assets", J. Finance).
    """
    u = units.divisions(model)[firms]
    return np.where(u >= model.scenario.acquisitions.unit_sale_min_units, 1.0 / u, 1.0)


class Valuer:
    """Acquirers' valuation of targets, from firms' state at the start of the year."""

    def __init__(self, model):
        self.model = model
        self.tech = innovation.tech_score(model)
        self.assets = assets(model)
        self.revenue = model.firms.base_revenue
        #: revenue of the unit that would buy and absorb a target (USD million per year)
        self.unit_revenue = self.revenue / units.divisions(model)

    def position(self, target, share=1.0) -> np.ndarray:
        """Market position of each of ``target``, or of the ``share`` of it on offer, in its
        home market: ``m / (m + position_scale)``, ``m`` its sales there relative to the mean
        firm's (the ``market_share`` column; a unit brings its share of them).

        What an entrant buys with a foreign firm is its place in the market: customers who
        know and buy from it, a brand, a distribution network. These are selling costs sunk
        once for a market, so they set a market's leading firms apart from its fringe whatever
        the market's size (Sutton 1991, *Sunk Costs and Market Structure*), and share buys
        margin (Buzzell, Gale and Sultan 1975, "Market share - a key to profitability", HBR):
        a firm with a small share of its market reaches few of its buyers and carries little of
        an entrant's products. Foreign entrants buy local firms when the market is entered
        through such established marketing assets, and build their own plants where it is not
        (Hennart and Park 1993, "Greenfield vs. acquisition", Management Science). The
        position rises with sales and saturates, so that a market leader's sales carry the
        markets it opens nearly in full and an SME's a small part of them. With
        ``position_exponent`` ``k`` above 1 it is ``m ** k / (m ** k + position_scale ** k)``:
        where such costs are sunk, a market's structure is dual, a few leaders that incurred
        them and a fringe that did not (Sutton 1991, ch. 2-3), so a fringe firm carries almost
        none of a place in the market.
        """
        acq = self.model.scenario.acquisitions
        m = self.model.firms.market_share[target] * share
        if acq.position_exponent == 1:  # the same value, in the baseline's arithmetic
            return m / (m + acq.position_scale)
        steep = (m / acq.position_scale) ** acq.position_exponent
        return steep / (steep + 1.0)

    def value(self, acquirer, target, presence: bool = False, share=1.0):
        """``(value, motive)``: USD million, TECH or MARKET by the larger part.

        The market part is ``market_premium`` times the size-weighted share of world markets
        the target sells in and the acquirer does not, times the target's :meth:`position` in
        its home market: what the markets a firm opens are worth depends on its place in them.

        With ``presence`` (a unit buying a place in the target's market abroad) the value is
        ``market_premium`` times the position: a unit setting out to enter or strengthen its
        presence in a market buys a place in it, and where the market is new to it adds
        ``route_share`` of what it would sell there (its revenue times the market's firm-level
        demand relative to home's) carried by that position, at most ``route_capacity`` times
        the target's own sales on offer (if set): a firm's customer ties and distribution carry
        only so much beside what they already sell.
        The technology of foreign firms is what the technology hunts look for
        (``search_rate``); counting it here too made each presence hunt a second technology
        hunt, which bought the largest firm the unit could afford, mostly a medium one, under
        the name of presence (round 17, 100,000 firms: 1,785 of 2,795 such deals in 1990-2000).
        ``share`` is the part of each target on offer (see :func:`offered_share`): a unit
        brings its share of the firm's revenue, its technology, and its home market alone.

        The technology part is the target's revenue times ``tech_premium * tech_target *
        assets_acquirer``, times ``(unit revenue / target revenue) ** tech_spread``: with
        ``tech_spread`` above 0 a technology is worth part of the sales the buying unit can
        carry it to, so its value per dollar paid falls with the target's size, and the fixed
        deal cost sets the best size of a technology target. At 0 (the baseline) it is worth
        the target's own sales: value and price both rise with the target's revenue, so a
        technology hunt takes about the largest target its unit can afford.
        """
        model = self.model
        f = model.firms
        acq = model.scenario.acquisitions
        share = np.broadcast_to(np.asarray(share, dtype=float), np.shape(target))
        world_share = model.world.market_share
        sells = f.markets[target]
        unit = share < 1.0
        if unit.any():
            sells[unit] = False
            sells[np.flatnonzero(unit), f.country[target[unit]]] = True
        new_markets = 1.0 if presence else world_share(sells & ~f.markets[acquirer])
        sales = self.revenue[target] * share  # the target's revenue on offer
        tech = 0.0 if presence else acq.tech_premium * self.tech[target] * self.assets[acquirer]
        if not presence and acq.tech_spread > 0:
            # the technology is worth the sales it reaches: the unit's as well as the target's
            reach = self.unit_revenue[acquirer] / np.maximum(sales, 1e-12)
            tech = tech * reach ** acq.tech_spread
        position = self.position(target, share)
        market = acq.market_premium * new_markets * position
        noise = np.exp(model.rng.normal(0.0, acq.value_noise, len(target)))
        motive = np.where(tech >= market, TECH, MARKET)
        base = sales * (tech + market)
        if presence and acq.route_share > 0:
            # the acquirer's own products sold through the target's place in a market new to it
            rel = exports.affiliate_size(model)[f.country[acquirer], f.country[target]]
            new_market = ~f.markets[acquirer, f.country[target]]
            route = (acq.route_share * acq.market_premium * position
                     * self.unit_revenue[acquirer] * rel)
            if math.isfinite(acq.route_capacity):
                # the target's customers and distribution carry so much beside its own sales
                route = np.minimum(route, acq.market_premium * position * acq.route_capacity
                                   * sales)
            base = base + route * new_market
        return base * noise, motive

    def price(self, target, share=1.0):
        """Asking price of targets, or of the ``share`` of each on offer (USD million)."""
        return self.model.scenario.acquisitions.price_to_sales * self.revenue[target] * share

    def affordable(self, acquirer, target, share=1.0) -> np.ndarray:
        """Whether the acquirer's unit can finance and absorb the target, or the ``share`` of
        it on offer (see the module docstring): its price at most ``max_relative_size`` times
        the unit's value."""
        acq = self.model.scenario.acquisitions
        return self.revenue[target] * share <= acq.max_relative_size * self.unit_revenue[acquirer]

    def net_return(self, value, acquirer, target, share=1.0) -> np.ndarray:
        """What each deal returns on the money it takes: ``(value - price - deal cost) / (price
        + deal cost)``. A hunting buyer takes the target with the best return, not the largest
        surplus, which would always be the largest target it can afford: its capital goes where
        it earns most."""
        outlay = self.price(target, share) + self.deal_cost(acquirer, target)
        return (value - outlay) / np.maximum(outlay, 1e-12)

    def deal_cost(self, acquirer, target):
        """Fixed cost of closing the deal (USD million): due diligence, legal work and
        integration abroad cost ``cross_border_deal_cost`` more than at home, whatever the
        target's size, which is why small foreign targets rarely pay."""
        f = self.model.firms
        foreign = f.country[acquirer] != f.country[target]
        return self.model.scenario.acquisitions.cross_border_deal_cost * foreign


class Competition:
    """The HHI of every (country, sector) market, for the merger-control gate.

    A run holds ``simulation.sampling_fraction`` ``f`` of the economy's firms, so the economy's
    sums of sizes and of squared sizes are the sample's over ``f``, and a market's HHI in the
    economy is ``f`` times the sample's. The gate adds the merger's own rise to that, ``2 * e_a
    * e_t`` over the economy's squared total; once done, the merger counts in the sample's sums
    as every event of the sample does, for ``1 / f`` of the economy's.
    """

    def __init__(self, model, cond):
        f = model.firms
        w = model.world
        self.model = model
        self.limit = model.scenario.acquisitions.hhi_limit * (1 - cond.competition_strictness)
        self.fraction = model.scenario.simulation.sampling_fraction
        market = f.market_codes(w.n_sectors)
        self.market = market
        size = np.where(f.active, f.employees, 0.0)
        self.total = np.bincount(market, weights=size, minlength=w.n_countries * w.n_sectors)
        self.hhi = np.bincount(market, weights=size ** 2, minlength=len(self.total))

    def allows(self, acquirer: int, target: int, size: float | None = None) -> bool:
        """Whether merger control lets ``acquirer`` buy ``target``, or a unit of ``size``
        employees of it (and book the merger if so)."""
        f = self.model.firms
        m = self.market[target]
        total = self.total[m]
        if self.market[acquirer] != m or total <= 0:
            return True  # the acquirer is not in the target's market: concentration unchanged
        e_a = f.employees[acquirer]
        e_t = f.employees[target] if size is None else size
        f = self.fraction
        if f * (self.hhi[m] + f * 2 * e_a * e_t) / total ** 2 > self.limit:
            return False
        self.hhi[m] += 2 * e_a * e_t
        return True


def _best(i, score, count=None, j=None):
    """Rows of the best positive score per ``i`` (rows sorted by i, then by score): one, or
    the ``count[i]`` best rows with distinct ``j`` (a target met twice is one target)."""
    order = np.lexsort((-score, i))
    if count is not None and len(order):
        # each pair's first row in this order is its best
        pair = i[order].astype(np.int64) * (int(j.max()) + 1) + j[order]
        kept = np.zeros(len(order), dtype=bool)
        kept[first_of_each(pair)] = True
        order = order[kept]
    rank = rank_in_runs(i[order])
    best = order[rank < (1 if count is None else count[i[order]])]
    return best[score[best] > 0]


def _hunts(model, rate: float) -> np.ndarray:
    """Large active firms that hunt for a target this year, once per hunt: each of a firm's
    units (:func:`restructuring_sim.mechanisms.units.divisions`) hunts with chance ``rate``, so
    a firm runs ``rate * units`` hunts on average (the whole number, plus one more with the
    chance of its fraction; one draw per firm)."""
    f = model.firms
    draw = model.rng.random(len(f))
    large = np.flatnonzero(f.active & ~f.is_sme)
    return units.repeat_by_count(large, rate * units.divisions(model)[large], draw[large])


def _reached(model, cond, i, j, presence: bool = True):
    """Keep the pairs where ``i`` reaches ``j`` (as in partner search)."""
    return model.rng.random(len(i)) < reach_probability(model, cond, i, j, presence)


def _buyers_for(model, cond, sellers, discount, valuer):
    """Best buyer of each seller among larger active firms of its sector (or -1).

    Candidates come from the seller's sector anywhere, by size class and visibility as partners
    do (:func:`restructuring_sim.mechanisms.search.class_draws`); foreign candidates are reached
    as trade barriers allow. Drawing within the seller's own country and sector would leave a
    small sample's thin markets without buyers. Buyers of any size class qualify: a medium firm
    may take over a small peer.
    """
    f = model.firms
    k = model.scenario.acquisitions.candidates
    s = np.repeat(sellers, k)
    b = class_draws(model, f.active, f.sector[s], drawer=s)
    ok = (b >= 0) & (b != s)
    s, b = s[ok], b[ok]
    # a firm for sale is offered where its owner is known: at home, abroad only as trade
    # barriers allow, whatever markets the buyer sells in
    ok = ((f.employees[b] > f.employees[s]) & valuer.affordable(b, s)
          & _reached(model, cond, b, s, presence=False))
    s, b = s[ok], b[ok]
    value, _ = valuer.value(b, s)
    surplus = value - discount * valuer.price(s) - valuer.deal_cost(b, s)
    best = _best(s, surplus)
    buyer = np.full(len(f), -1)
    buyer[s[best]] = b[best]
    return buyer[sellers], valuer.price(sellers) * discount


def step(model, cond, divested: np.ndarray | None = None) -> dict[str, int]:
    """Run one year of acquisitions, the affiliates ``divested`` this year offered for sale
    (see :mod:`restructuring_sim.mechanisms.divestment`); return counts by motive and of
    blocked deals."""
    f = model.firms
    rng = model.rng
    acq = model.scenario.acquisitions
    valuer = Valuer(model)
    gate = Competition(model, cond)
    #: acquirer, target, motive, price, channel, and the share of the target bought (1: whole)
    proposals: list[tuple[int, int, int, float, int, float]] = []

    # technology and market acquisitions by large firms
    hunters = _hunts(model, acq.search_rate)
    if len(hunters):
        count = np.bincount(hunters, minlength=len(f))
        k = acq.candidates
        i = np.repeat(hunters, k)
        targets = f.active
        # half the sample among SMEs (technology and niche targets), half among all firms
        among_smes = np.arange(len(i)) % 2 == 0
        j = np.where(among_smes,
                     visibility_draws(model, targets & f.is_sme, f.sector[i], drawer=i),
                     class_draws(model, targets, f.sector[i], drawer=i))
        prior = f.last_partner[hunters]
        i = np.concatenate([hunters, i])
        j = np.concatenate([prior, j])
        ok = (j >= 0) & (j != i)
        ok[ok] &= targets[j[ok]]
        i, j = i[ok], j[ok]
        share = offered_share(model, j)
        ok = ((f.employees[j] * share < f.employees[i])  # smaller firms, or units
              & valuer.affordable(i, j, share))
        i, j, share = i[ok], j[ok], share[ok]
        ok = _reached(model, cond, i, j)
        i, j, share = i[ok], j[ok], share[ok]
        value, motive = valuer.value(i, j, share=share)
        best = _best(i, valuer.net_return(value, i, j, share), count, j)
        i, j, share = i[best], j[best], share[best]
        channel = np.where(f.last_partner[i] == j, PRIOR, DIRECT)
        proposals += zip(i.tolist(), j.tolist(), motive[best].tolist(),
                         valuer.price(j, share).tolist(), channel.tolist(), share.tolist(),
                         strict=True)

    proposals += _presence_hunts(model, valuer)

    # succession: retiring owners without successor sell or close
    closing: list[int] = []
    retiring = np.flatnonzero(f.active & f.is_sme & (f.owner_age >= acq.retirement_age)
                              & (rng.random(len(f)) < 0.5))
    successor = rng.random(len(retiring)) < acq.successor_share
    f.owner_age[retiring[successor]] = rng.uniform(35, 50, int(successor.sum()))
    sellers = retiring[~successor]
    if len(sellers):
        buyers, prices = _buyers_for(model, cond, sellers, 0.5, valuer)
        for s, b, p in zip(sellers.tolist(), buyers.tolist(), prices.tolist(), strict=True):
            if b >= 0:
                proposals.append((b, s, SUCCESSION, p, DIRECT, 1.0))
            else:
                closing.append(s)

    # affiliates divested this year, sold whole at their price to a buyer that gains a place
    # in their market, or left independent
    if divested is not None and len(divested):
        buyers, prices = _buyers_for(model, cond, divested, 1.0, valuer)
        proposals += [(b, s, MARKET, p, DIRECT, 1.0) for s, b, p in zip(
            divested.tolist(), buyers.tolist(), prices.tolist(), strict=True) if b >= 0]

    # distress sales of loss-making firms
    distressed = np.flatnonzero(rng.random(len(f)) < acq.distress_sale_rate)
    distressed = distressed[f.active[distressed] & (f.loss_years[distressed] >= 1)]
    if len(distressed):
        buyers, prices = _buyers_for(model, cond, distressed, 0.5, valuer)
        for s, b, p in zip(distressed.tolist(), buyers.tolist(), prices.tolist(), strict=True):
            if b >= 0:
                proposals.append((b, s, DISTRESS, p, DIRECT, 1.0))

    # consolidation of medium suppliers under price pressure
    proposals += _consolidations(model, valuer)

    counts = dict.fromkeys([*ACQUISITION_MOTIVES, "blocked", "closed", "units_sold"], 0)
    batch = lifecycle.AcquisitionBatch(model, cond)
    sales = _make(model, cond, gate, batch, proposals, counts, closing)
    batch.commit()
    _sell_units(model, cond, sales, counts)
    closing = [firm for firm in dict.fromkeys(closing) if f.status[firm] == ACTIVE]
    lifecycle.exit_firms(model, cond, closing)
    counts["closed"] = len(closing)
    return counts


def _make(model, cond, gate, batch, proposals, counts, closing) -> list[tuple]:
    """Make the ``proposals`` one after the other: each where both firms are still active, the
    acquirer is admitted (the FDI gate: a foreign acquirer with chance ``fdi_openness``) and
    merger control allows it (:meth:`Competition.allows`); count the motives and blocked deals,
    and add the targets of refused successions to ``closing``.

    A proposal for a unit (a share below 1) is agreed here: the seller gives up the unit's
    employees at once, and the unit is split off and bought after the batch (see
    :func:`_sell_units`); the sales agreed are returned, as ``(acquirer, seller, motive,
    price, channel, employees, share)``. A firm that sold or bought a unit this year is not bought
    whole in the same year: one deal with it is under way.

    What does not change while the proposals are made (the firms' activity before the first,
    their countries and markets) is looked up for all proposals at once; the FDI gate's
    uniform draws are taken from ``model.rng`` in one call and the generator is then put where
    the draws one by one would have left it (one draw per active foreign pair, in order), so
    the same numbers decide the same proposals.
    """
    if not proposals:
        return []
    f = model.firms
    rng = model.rng
    acquirers, targets, motives, prices, channels, shares = (
        list(c) for c in zip(*proposals, strict=True))
    a, t = np.array(acquirers, dtype=np.int64), np.array(targets, dtype=np.int64)
    live = ((a != t) & (f.status[a] == ACTIVE) & (f.status[t] == ACTIVE)).tolist()
    foreign = (f.country[a] != f.country[t]).tolist()
    market = gate.market
    contested = ((market[a] == market[t]) & (gate.total[market[t]] > 0)).tolist()
    openness = cond.fdi_openness
    state = rng.bit_generator.state
    draws = rng.random(int(np.count_nonzero(np.logical_and(live, foreign)))).tolist()
    used = 0
    taken: set[int] = set()  # firms acquired so far (no longer active)
    busy: set[int] = set()  # firms that sold or bought a unit this year
    sales: list[tuple] = []
    take, allows = batch.take, gate.allows
    with f.writing("employees") as employees:
        for p, acquirer in enumerate(acquirers):
            target = targets[p]
            unit = shares[p] < 1.0
            if not live[p] or acquirer in taken or target in taken or target in busy:
                continue
            if foreign[p]:
                admitted = draws[used] < openness
                used += 1
            else:
                admitted = True
            size = round(employees[target] * shares[p]) if unit else None
            allowed = admitted and (not contested[p] or allows(acquirer, target, size))
            counts["blocked"] += admitted and not allowed
            if not allowed:
                if motives[p] == SUCCESSION:
                    closing.append(target)  # the retiring owner finds no permitted buyer
                continue
            counts[MOTIVES[motives[p]]] += 1
            if unit:
                employees[target] -= size
                busy.update((acquirer, target))
                sales.append((acquirer, target, motives[p], prices[p], channels[p], size,
                              shares[p]))
                continue
            take(acquirer, target, motives[p], prices[p], channels[p], employees)
            taken.add(target)
    rng.bit_generator.state = state
    rng.random(used)
    return sales


def _sell_units(model, cond, sales, counts) -> None:
    """Split each unit sold off its seller as a firm of its own and let its buyer take it over.

    The unit enters as a spin-off of its seller (``firm_entered``, the seller as parent) with
    the employees agreed in :func:`_make` (already taken off the seller), its share of the
    seller's capital and sales, the seller's technology, profile and costs, and the seller's
    home market alone (a business unit, not the seller's network of affiliates); its buyer
    then acquires it (``acquisition``, with the motive of the hunt), as any target. The
    seller keeps its deals, its other markets and its other units.
    """
    if not sales:
        return
    f = model.firms
    acquirers, sellers, motives, prices, channels, sizes, share = (
        np.array(c) for c in zip(*sales, strict=True))
    units_ = lifecycle.split_off(model, cond, sellers.astype(np.int64), share, sizes)
    batch = lifecycle.AcquisitionBatch(model, cond)
    with f.writing("employees") as employees:
        for acquirer, unit, motive, price, channel in zip(
                acquirers.tolist(), units_.tolist(), motives.tolist(), prices.tolist(),
                channels.tolist(), strict=True):
            batch.take(acquirer, unit, motive, price, channel, employees)
    batch.commit()
    counts["units_sold"] = len(sales)


def _presence_hunts(model, valuer) -> list[tuple[int, int, int, float, int, float]]:
    """Large firms buy a place in a foreign market new to them (with ``presence_in_served``,
    or one they serve; motive ``market``); the FDI and merger-control gates come after, as for
    every proposal.

    Half the candidates are drawn among the large firms of the hunter's sector, by
    visibility: an entrant's market research lists a market's leading firms first, and those
    are the firms that hold a position worth buying (:meth:`Valuer.position`), whole or one
    unit at a time (:func:`offered_share`). The other half come by size class, as partners do.
    """
    f = model.firms
    acq = model.scenario.acquisitions
    hunters = _hunts(model, acq.presence_rate)
    if not len(hunters):
        return []
    count = np.bincount(hunters, minlength=len(f))
    # candidates of the hunter's sector anywhere, half among large firms, half by size class,
    # by visibility (twice the usual number: those at home, and without presence_in_served
    # those where it already sells, drop out); the target's country is the market entered or
    # strengthened, so that countries come up in proportion to their firms, as markets do
    k = 2 * acq.candidates
    i = np.repeat(hunters, k)
    among_large = np.arange(len(i)) % 2 == 0
    j = np.where(among_large,
                 visibility_draws(model, f.active & ~f.is_sme, f.sector[i], drawer=i),
                 class_draws(model, f.active, f.sector[i], drawer=i))
    ok = (j >= 0) & (j != i)
    i, j = i[ok], j[ok]
    ok = f.country[j] != f.country[i]
    if not acq.presence_in_served:
        ok &= ~f.markets[i, f.country[j]]
    i, j = i[ok], j[ok]
    share = offered_share(model, j)
    ok = (f.employees[j] * share < f.employees[i]) & valuer.affordable(i, j, share)
    i, j, share = i[ok], j[ok], share[ok]
    if not len(i):
        return []
    value, _ = valuer.value(i, j, presence=True, share=share)
    best = _best(i, valuer.net_return(value, i, j, share), count, j)
    i, j, share = i[best], j[best], share[best]
    return list(zip(i.tolist(), j.tolist(), [MARKET] * len(i), valuer.price(j, share).tolist(),
                    [DIRECT] * len(i), share.tolist(), strict=True))


def _consolidations(model, valuer) -> list[tuple[int, int, int, float, int, float]]:
    """Medium suppliers under pressure merge with a peer of their sector and country."""
    f = model.firms
    rng = model.rng
    # the chance rises with the margin the price cuts took, up to a typical margin
    squeeze = np.minimum(1.0, f.pressure / max(model.scenario.demography.margin_mean, 1e-9))
    rate = model.scenario.supply.consolidation_rate * squeeze
    medium = (f.employees >= 50) & f.is_sme
    movers = np.flatnonzero(f.active & medium & (f.pressure > 0) & (rng.random(len(f)) < rate))
    out = []
    if not len(movers):
        return out
    peers_mask = f.active & f.is_sme & (f.live_supply > 0)
    market = f.market_codes(model.world.n_sectors)
    peers = np.flatnonzero(peers_mask)
    order = np.argsort(market[peers], kind="stable")
    peers, codes = peers[order], market[peers][order]
    for firm in movers.tolist():
        lo, hi = np.searchsorted(codes, [market[firm], market[firm] + 1])
        options = peers[lo:hi]
        options = options[options != firm]
        if not len(options):
            continue
        peer = int(options[rng.integers(len(options))])
        acquirer, target = (firm, peer) if f.employees[firm] >= f.employees[peer] else (peer, firm)
        channel = CLUSTER if f.cluster[firm] >= 0 and f.cluster[firm] == f.cluster[peer] \
            else DIRECT
        out.append((acquirer, target, CONSOLIDATION, float(valuer.price(target)), channel, 1.0))
    return out
