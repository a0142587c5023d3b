"""Product markets: firms of a (country, sector) market share its demand by the appeal of their
products; revenue, margins and growth follow from the shares.

**Demand.** Each (country ``c``, sector ``s``) market spends ``D_cs(t)`` (USD million per year)
on the sector's varieties, growing at ``g_cs = gdp_growth_c + demand_growth_s - g_world`` a
year (``g_world``: the market-size weighted mean of ``gdp_growth``); see the ``source`` of
those fields. In 1988 it equals ``REVENUE_PER_EMPLOYEE`` (0.15 USD million per employee) times
the capacity selling there, so that a firm of average appeal starts with the revenue per
employee the model had before markets (a market no firm sells in starts at the demand its
share of world GDP would give).

**Crowding.** Of a change in the capacity selling in a market (entry, exit, growth of its
firms), the share ``market.crowding`` shows in its firms' sales per unit of capacity (a fixed
pie, as in a CES market of given expenditure) and the rest in the market's demand (new
varieties bring demand of their own).

**Shares: CES demand** (Dixit and Stiglitz 1977; the heterogeneous-firm form of Melitz 2003,
with quality as a demand shifter as in Hallak and Sivadasan 2013). A firm is a bundle of
varieties in proportion to its capacity (employees); each sells ``(lambda_i / p_i) **
(elasticity - 1)`` times the market's index, so the firm's revenue in market ``m`` is
``R_im = D_m * e_i * omega_im * psi_i / A_m`` with ``A_m = sum_j weight_j * e_j * omega_jm *
psi_j`` over the active firms selling there. ``psi_i`` is the firm's *appeal*:

    log psi_i = quality_weight * (quality_i - 0.5) + technology_weight * (tech_i - 0.5)
                + capability_weight * (capability_i - 0.5) + price_weight * (efficiency_i - 0.5)
                + shock_i

(quality and technology raise the quality term ``lambda``, efficiency lowers the price ``p``;
``shock_i`` is a persistent AR(1) demand shock). ``omega_im`` splits a firm's capacity between
its home market and its affiliates' countries in proportion to ``(M_d / M_h) **
exports.market_size_elasticity``, less the part of the cost of distance an affiliate bears
(``market.affiliate_distance``, none by default; see
:func:`restructuring_sim.mechanisms.exports.affiliate_size`), as
:func:`restructuring_sim.mechanisms.exports.home_sales` does. Affiliates sell at their market's
price ``D_m / A_m`` but their capacity is not counted in ``A_m``: a sampled MNE stands for a
small part of the economy's firms, and its affiliate is small against a national market, while
counting its whole capacity share would let one sampled MNE that buys a firm abroad take most of
that market at once (stated judgement).
Acquisitions change what a firm can sell through its capacity, technology and (for an MNE)
its markets; innovation through quality and technology.

**The same model at any size.** A sampled firm stands for ``weight`` firms of the economy, and
both ``D_m`` (set from the weighted capacity of the sample) and ``A_m`` are weighted sums over
the sample, so a firm's revenue does not depend on the number of firms drawn. The economy's
market of a country and sector holds thousands of firms, among them dozens of large ones; a
sample of 10,000 firms spread over 168 markets holds about one large firm per market, so most
sampled markets have none and a few one giant. Their SMEs' prices ``D_m / A_m``, a convex
function of the large firms' part of ``A_m``, would then be higher on average in a small sample
than in a large one (by 8% by 2000: 12 samples of 10,000 firms against 2 of 200,000; 6% with
the pooling below), and the SMEs' sales, exports and budgets with them. The large firms' part
of each market's sums (capacity, appeal-weighted capacity, firms) is therefore the *synthetic
estimate* of small-area statistics (Rao and Molina 2015, ch. 3): the sample's large firms of
the sector, pooled over countries and shared out to each country in proportion to the chance
that a large firm of the sector is at home there
(:func:`restructuring_sim.population.home_countries_of_large_firms`; a firm's capacity follows
its share of its market, not the market's demand). SMEs,
about 60 to a sampled market, enter with their own market's sums.

**Margins and growth** (in :func:`restructuring_sim.mechanisms.demography.accounts`). A firm's
costs per employee are set a year ahead on last year's sales per employee ``r_i(t-1)`` and
rise with the sales per unit of capacity ``G`` of its home market (wages and input prices of
the market follow its demand), so its market margin is ``1 - (1 - margin_mean) * G *
r_i(t-1) / r_i(t)``: a firm whose sales per employee fall against its market's (its appeal
falls behind its competitors') makes losses, and after lasting losses exits. Employment grows
by ``capacity_adjustment`` x the log change of ``r_i`` against ``G``: firms gaining share hire,
those losing it shed staff. Growth of a market's demand raises its firms' revenue, R&D budgets
and home sales, not their margins.

**Costs paid in wages.** As a market's demand grows, so do its firms' sales per employee, and
the wages they pay follow them. The home market's sales per unit of capacity relative to 1988
(:meth:`ProductMarket.wage_index`) scales the costs of a firm's R&D programme (see
:mod:`restructuring_sim.mechanisms.innovation`) and of serving export markets (see
:mod:`restructuring_sim.mechanisms.exports`), so that their burden changes with the firm's
sales relative to its market's (its appeal and size), not with the level of demand.

``market_share`` (a firm column) is the firm's sales in its home market relative to the mean
firm's sales there (1 = average): a firm's share of its market times the market's (weighted)
number of firms, which does not depend on the sample size either.
"""

from __future__ import annotations

import numpy as np

from restructuring_sim.firms import REVENUE_PER_EMPLOYEE, SIZE_BOUNDS, market_code
from restructuring_sim.mechanisms import exports, innovation
from restructuring_sim.population import home_countries_of_large_firms


class ProductMarket:
    """Demand and the latest clearing of every (country, sector) market of a model.

    Markets are numbered ``country * n_sectors + sector`` (as ``FirmTable.market_codes``).
    """

    def __init__(self, model):
        w = model.world
        sc = model.scenario
        self.n_sectors = w.n_sectors
        n_cells = w.n_countries * w.n_sectors
        gdp = np.array([sc.countries[c].gdp_growth for c in w.country_names])
        sector = np.array([sc.sectors[s].demand_growth for s in w.sector_names])
        world_gdp = float(gdp @ w.market_weight)
        #: yearly log growth of each market's demand
        self.growth = np.log1p((gdp[:, None] + sector[None, :] - world_gdp).clip(-0.99)).ravel()
        self.start = float(sc.simulation.start_year)
        #: chance that a large firm of the economy's sector is at home in each country
        #: (countries x sectors)
        self.country_share = home_countries_of_large_firms(sc, w)
        capacity = self._capacity(model)[0]
        # a market no firm sells in: the capacity its share of world GDP would give
        expected = capacity.sum() * np.repeat(w.market_weight, w.n_sectors) / w.n_sectors
        #: weighted capacity of every market's home firms in the start year (employees)
        self.capacity0 = np.where(capacity > 0, capacity, expected)
        #: demand of every market in the start year (USD million per year, at sample scale)
        self.demand0 = REVENUE_PER_EMPLOYEE * self.capacity0
        #: demand per unit of capacity and per unit of appeal-weighted capacity of every
        #: market at the last clearing (USD million per employee per year)
        self.per_capacity = np.full(n_cells, REVENUE_PER_EMPLOYEE)
        self.price = np.full(n_cells, REVENUE_PER_EMPLOYEE)
        #: ``per_capacity`` at the last accounts (None until the first clearing)
        self.reference: np.ndarray | None = None

    def wage_index(self, model, firms=None) -> np.ndarray:
        """Wages in the home market of every firm (or of ``firms``) relative to 1988: the
        market's sales per unit of capacity over ``REVENUE_PER_EMPLOYEE``."""
        f = model.firms
        home = f.market_codes(self.n_sectors)
        home = home if firms is None else home[firms]
        return self.market_wage_index()[home]

    def market_wage_index(self) -> np.ndarray:
        """The wage index of every market (see :meth:`wage_index`)."""
        return self.per_capacity / REVENUE_PER_EMPLOYEE

    def growth_since_start(self, t: float) -> np.ndarray:
        """Demand of every market at calendar time ``t`` relative to the start year."""
        return np.exp(self.growth * (t - self.start))

    def demand(self, t: float) -> np.ndarray:
        """Demand of every market at calendar time ``t`` (USD million per year)."""
        return self.demand0 * self.growth_since_start(t)

    def _market_sums(self, split, values) -> np.ndarray:
        """Per market: SMEs' ``values`` summed in their home market, plus the sector's large
        firms' sum shared out over countries by ``country_share`` (``split``: the SMEs and
        their home markets, the large firms and their sectors, as :func:`_split` gives
        them)."""
        smes, home, large, sector = split
        own = np.bincount(home, weights=values[smes], minlength=len(self.growth))
        pooled = np.bincount(sector, weights=values[large], minlength=self.n_sectors)
        return own + (self.country_share * pooled[None, :]).ravel()

    def _capacity(self, model, psi: np.ndarray | None = None):
        """Weighted capacity of every market's home firms, and (given ``psi``) their
        appeal-weighted capacity and weighted number, the large firms' parts pooled by sector
        (:meth:`_market_sums`); and where active firms sell: their home markets and shares
        ``omega_home``, and the affiliates' markets of MNEs (positions among the firms,
        markets, shares). Only the MNEs' rows of ``markets`` are read."""
        f = model.firms
        firms = np.flatnonzero(f.active)
        home = f.market_codes(self.n_sectors)[firms]
        omega_home = np.ones(len(firms))
        mne, abroad = exports.affiliates_of_mnes(model, firms)
        country = f.country[firms[mne]]
        share = exports.affiliate_size(model)[country] * abroad
        omega_home[mne] = 1.0 / (1.0 + share.sum(axis=1))
        share *= omega_home[mne, None]
        r, c = np.nonzero(share)
        pos = mne[r]
        foreign = market_code(c, f.sector[firms[pos]], self.n_sectors)
        weight, employees = f.weight[firms], f.employees[firms]
        capacity = weight * employees * omega_home
        split = _split(home, f.sector[firms], employees >= SIZE_BOUNDS[1])
        plain = self._market_sums(split, capacity)
        weighted = count = None
        if psi is not None:
            weighted = self._market_sums(split, capacity * psi[firms])
            count = self._market_sums(split, weight)
        return plain, weighted, count, (firms, home, omega_home, pos, foreign, share[r, c])

    def clear(self, model, cond) -> None:
        """Share every market's demand among its active firms: set ``market_revenue`` and
        ``market_share`` of every active firm (inactive firms keep theirs)."""
        f = model.firms
        psi = appeal(model)
        plain, weighted, count, (firms, home, omega_home, pos, foreign, omega) = (
            self._capacity(model, psi))
        # demand follows part of the change in capacity selling in the market (crowding < 1)
        keep = 1.0 - model.scenario.market.crowding
        demand = self.demand(cond.t) * np.where(plain > 0, plain / self.capacity0, 1.0) ** keep
        fallback = REVENUE_PER_EMPLOYEE * np.exp(self.growth * (cond.t - self.start))
        self.per_capacity = np.where(plain > 0, demand / np.maximum(plain, 1e-300), fallback)
        self.price = np.where(weighted > 0, demand / np.maximum(weighted, 1e-300), fallback)
        per_unit = omega_home * self.price[home]
        np.add.at(per_unit, pos, omega * self.price[foreign])
        own = f.employees[firms] * psi[firms]
        f.market_revenue[firms] = own * per_unit
        # sales at home against the mean firm's there: own appeal-weighted capacity over the
        # market's appeal-weighted capacity per firm of the economy
        mean = weighted[home] / np.maximum(count[home], 1e-300)
        f.market_share[firms] = own * omega_home / mean


def _split(home: np.ndarray, sector: np.ndarray, large: np.ndarray) -> tuple[np.ndarray, ...]:
    """Positions of the SMEs among firms and their ``home`` markets, and of the ``large``
    firms and their sectors (``sector``): what :meth:`ProductMarket._market_sums` reads, found
    once for the several sums of one clearing."""
    smes, large = np.flatnonzero(~large), np.flatnonzero(large)
    return smes, home[smes], large, sector[large]


def appeal(model) -> np.ndarray:
    """Appeal ``psi`` of every firm's products (see the module docstring; 1 for a firm at the
    middle of every scale without a demand shock)."""
    f = model.firms
    m = model.scenario.market
    log_psi = (m.quality_weight * (f.quality - 0.5)
               + m.technology_weight * (innovation.tech_score(model) - 0.5)
               + m.capability_weight * (f.capability - 0.5)
               + m.price_weight * (f.efficiency - 0.5) + f.demand_shock)
    return np.exp(log_psi)


def shocks(model) -> None:
    """Draw this year's demand shocks of active firms (AR(1) in logs)."""
    f = model.firms
    m = model.scenario.market
    act = np.flatnonzero(f.active)
    f.demand_shock[act] = (m.shock_persistence * f.demand_shock[act]
                           + model.rng.normal(0.0, m.shock_sd, len(act)))


def outcomes(model, cond) -> tuple[np.ndarray, np.ndarray]:
    """Clear the markets for the year's accounts; return every firm's market margin (fraction
    of revenue) and the log change of its sales per employee against its home market's sales
    per unit of capacity since the last accounts (0 for inactive firms), and carry this year's
    sales per employee into ``unit_revenue``."""
    f = model.firms
    dem = model.scenario.demography
    mk = model.market
    mk.clear(model, cond)
    reference = mk.per_capacity if mk.reference is None else mk.reference
    home = f.market_codes(mk.n_sectors)
    market_change = np.log(mk.per_capacity / reference)[home]
    mk.reference = mk.per_capacity.copy()
    act = f.active
    unit = f.market_revenue / np.maximum(f.employees, 1.0)
    prev = np.where(f.unit_revenue > 0, f.unit_revenue, unit)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(act & (unit > 0), np.log(unit / prev) - market_change, 0.0)
    margin = np.where(act, 1.0 - (1.0 - dem.margin_mean) * np.exp(-change), 0.0)
    f.unit_revenue[act] = unit[act]
    return np.maximum(margin, -1.0), change


def settle_entrants(model, cond) -> None:
    """Clear the markets after entry, and start entrants' sales per employee at their own."""
    f = model.firms
    model.market.clear(model, cond)
    new = f.active & (f.unit_revenue <= 0)
    f.unit_revenue[new] = f.market_revenue[new] / np.maximum(f.employees[new], 1.0)
