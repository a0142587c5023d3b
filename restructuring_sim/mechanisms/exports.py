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
* **Fixed costs** (USD million) fall with ICT and foreign-market information and rise with
  wages (the home market's ``wage_index``, 1 in 1988):
  ``c_i = ict_cost ** ict_elasticity * wage_index * (1 - information_relief *
  policy.export_information) * (1 - capability_relief * capability_i)``; a market costs
  ``market_cost * c_i`` per year and ``entry_cost * c_i`` once on entry.
* **Decision with hysteresis**: a firm enters ``d`` when the variable profit covers the yearly
  cost plus the sunk cost spread over ``payback_years``; an exporter stays while the variable
  profit covers the yearly cost alone, so between the two thresholds firms keep their status.

**Sales share the firm's capacity.** Revenue before deals (the firm's sales in its product
markets, set by its employees, see :mod:`restructuring_sim.mechanisms.market`) is what the
firm produces; it is sold where it is demanded: at home with weight 1, in each affiliate's
country (an MNE's) with weight ``(M_d / M_h) ** market_size_elasticity``, and in each export
market with weight ``appeal_i * D_hd``. With ``W_i`` the affiliates' and ``E_i`` the export
markets' summed weights, direct exports are ``R_i * E_i / (1 + W_i + E_i)`` and the export
intensity stays below 1. A firm's exports then grow with its scale and with the number and
size of the markets it serves, and its export intensity with the markets served relative to
home, as exporters' do (Bernard and Jensen 1995). Booked on top of the revenue that its
employees produce, exports had no bound: a large firm in a small home market sold up to 2.7
times its revenue abroad, and the one largest firm of a sample could carry a third of its
manufactured exports (200,000 firms, seed 1), so the SMEs' share of exports hung on the
sample's largest draws. ``H_i``, the firm's home sales before any exports (see
:func:`home_sales`), is the scale against which it weighs a foreign market. An MNE serves its
affiliates' countries (its foreign ``markets``) from there and may export elsewhere. Export
markets are kept apart from ``markets``, the commercial presence that partner search, alliance
values, supply tenders and acquisitions read.

**Intra-firm trade.** A manufacturing MNE's affiliates sell goods partly made at home: parts,
components and finished goods shipped from the parent, ``intra_firm_share`` of their sales
(about a tenth for US affiliates, a third for Japanese; intra-firm trade is about a third of
world trade, UNCTAD 1999). Trade statistics count those shipments as the home country's
exports, and so does :func:`sales`. Without them an MNE exported only to the countries where it
had no affiliate, 2-8% of its revenue, and the SMEs' share of manufactured exports came to
0.37 on the baseline (40,000 firms, seed 1); with them 0.30 (paper: 25-35%).

**Export-platform affiliates** (``exports.from_affiliates``, off in the baseline). An MNE may
serve an export market from the nearest of its sites, home or an affiliate's country, as
export-platform affiliates do (Ekholm, Forslid and Markusen 2007): its trade cost to ``d`` is
the least from any site, and the destination's size and growth relative to home stay as they
are. Foreign affiliates exported about a third of their sales (UNCTAD, World Investment Report
2001). Without it, a firm that a buyer abroad takes over stops exporting from its country, and
once buyers become multinationals (``acquisitions.buyer_becomes_mne``) the SMEs' share of
manufactured exports rose to 0.41-0.45.
"""

from __future__ import annotations

import numpy as np

from restructuring_sim._lazy import defer_package_init
from restructuring_sim.columns import cells
from restructuring_sim.firms import FirmTable, count_rows

# scipy.special's normal-distribution ufuncs without scipy's start-up (its array-API layer):
# the same functions, about 0.03 s less of a run's start
defer_package_init("scipy.special")
from scipy.special._ufuncs import ndtr, ndtri  # noqa: E402


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


def affiliate_size(model) -> np.ndarray:
    """Weight of an affiliate in ``d`` against its MNE's home ``h`` in sharing the MNE's
    capacity: :func:`relative_size` times ``(1 + market.affiliate_distance x distance_cost x
    steps) ** (1 - elasticity)``, the part of the cost of distance an affiliate still bears
    (none by default)."""
    share = model.scenario.market.affiliate_distance
    size = relative_size(model)
    if share == 0.0:
        return size
    ex = model.scenario.exports
    return size * (1.0 + share * ex.distance_cost * model.world.distance) ** (1.0 - ex.elasticity)


def demand_table(model, cond) -> np.ndarray:
    """Relative demand ``D_hd`` of every destination (columns), one row per (sector, home
    country), row ``sector x countries + home``; zero at home.

    The growth of the destination's demand for the sector since the start year, relative to
    home's, multiplies it: the same product markets that set home sales (see
    :mod:`restructuring_sim.mechanisms.market`; 1 in the start year), so that exports follow
    demand growth abroad (an exporter sells there at the destination's price index, which, like
    its home sales, grows with demand). Computed once per call on a (sectors x countries) x
    countries table, so that firms only gather their row.
    """
    ex = model.scenario.exports
    w = model.world
    tau = trade_cost(model, cond)
    size = relative_size(model)
    goods = size * tau ** (1.0 - ex.elasticity)
    services = size * (tau + ex.services_cost) ** (1.0 - ex.elasticity)
    for table in (goods, services):
        np.fill_diagonal(table, 0.0)
    growth = model.market.growth_since_start(cond.t).reshape(w.n_countries, w.n_sectors).T
    ratio = growth[:, None, :] / growth[:, :, None]  # sector, home, destination
    base = np.where(w.is_manufacturing[:, None, None], goods[None], services[None])
    return (base * ratio).reshape(w.n_sectors * w.n_countries, w.n_countries)


def demand_rows(model, firms: np.ndarray) -> np.ndarray:
    """Row of :func:`demand_table` for each of ``firms``: sector x countries + home."""
    f = model.firms
    return f.sector[firms] * model.world.n_countries + f.country[firms]


def export_demand(model, cond, firms: np.ndarray, out: np.ndarray | None = None,
                  affiliates: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Demand of every country for ``firms``' products relative to their home market
    (``appeal_i * D_hd``, firms x countries; zero at home; an MNE's from its nearest site with
    ``exports.from_affiliates``), written into ``out`` if given. ``affiliates``: the MNEs among
    ``firms`` and their affiliates' countries, as :func:`affiliates_of_mnes` gives them, if
    the caller has them (read only with ``exports.from_affiliates``)."""
    # rows are valid by construction; "clip" lets take write into ``out`` without the
    # temporary copy that the default "raise" mode makes
    demand = np.take(demand_table(model, cond), demand_rows(model, firms), axis=0, out=out,
                     mode="clip")
    if model.scenario.exports.from_affiliates:
        mne, abroad = affiliates_of_mnes(model, firms) if affiliates is None else affiliates
        demand[mne] *= _nearest_sites(model, cond, firms, mne, abroad)
    demand *= _appeal(model, firms)[:, None]
    return demand


def _nearest_sites(model, cond, firms: np.ndarray, mne: np.ndarray,
                   abroad: np.ndarray) -> np.ndarray | None:
    """Export-platform affiliates (``exports.from_affiliates``): for each of the MNEs among
    ``firms`` (positions ``mne``, affiliates' countries ``abroad``, as
    :func:`affiliates_of_mnes` gives them), the factor by which its demand in every country
    rises when it serves the country from the nearest of its sites (home or an affiliate's
    country) rather than from home: ``(tau_near / tau_home) ** (1 - elasticity)`` (>= 1; 1
    everywhere for an MNE without affiliates), with ``tau_near`` the least trade cost from any
    site (services pay ``services_cost`` on top from every site). The demand from a site ``a``
    is home's demand with ``a``'s trade cost: the destination's market size and growth relative
    to home are the same whichever site serves it. None when the switch is off."""
    if not model.scenario.exports.from_affiliates:
        return None
    f = model.firms
    ex = model.scenario.exports
    factor = np.ones((len(mne), model.world.n_countries))
    has = np.flatnonzero(count_rows(abroad) > 0)
    sites, platform = abroad[has], firms[mne[has]]
    tau = trade_cost(model, cond)
    services = np.where(model.world.is_manufacturing[f.sector[platform]], 0.0,
                        ex.services_cost)[:, None]
    home = tau[f.country[platform]] + services
    near = home.copy()
    for site in np.flatnonzero(sites.any(axis=0)):
        at = sites[:, site]
        near[at] = np.minimum(near[at], tau[site] + services[at])
    near[sites] = home[sites]  # an affiliate's country is its market, not an export market
    factor[has] = (near / home) ** (1.0 - ex.elasticity)
    return factor


def _appeal(model, firms: np.ndarray) -> np.ndarray:
    """``appeal_i = exp(quality_elasticity * (quality_i - 0.5))`` of ``firms``."""
    elasticity = model.scenario.exports.quality_elasticity
    return np.exp(elasticity * (model.firms.quality[firms] - 0.5))


def fixed_cost_factor(model, cond, firms: np.ndarray) -> np.ndarray:
    """Multiplier on the fixed costs of exporting, 1 at 1988 ICT cost and wages without
    information services or capabilities (per firm); the costs are paid in wages, so they
    follow the home market's wage index (see :mod:`restructuring_sim.mechanisms.market`)."""
    ex = model.scenario.exports
    information = model.scenario.policy.export_information(cond.t)
    return (cond.ict_cost ** ex.ict_elasticity * model.market.wage_index(model, firms)
            * (1.0 - ex.information_relief * information)
            * (1.0 - ex.capability_relief * model.firms.capability[firms]))


def step(model, cond) -> int:
    """Every active firm enters and leaves foreign markets; return the firms exporting.

    Every (firm, country) has its demand shock, but only the shocks large enough for the firm
    to possibly serve the country (see :func:`_least_draws`) are drawn, with the law they have
    among independent draws for every entry (see :func:`_draws_reaching`), and the profit is
    worked out there alone: elsewhere it falls short of the cost for sure, and most firms are
    too small to serve most countries whatever the draw. The firms' export markets are then
    written where the profit was worked out; no firms x countries array is made besides the
    column itself (at a million firms each took 20 MB).
    """
    f = model.firms
    ex = model.scenario.exports
    firms = np.flatnonzero(f.active)
    if not len(firms):
        return 0
    width = f.exports.shape[1]
    mne, abroad = affiliates_of_mnes(model, firms)
    table = demand_table(model, cond)
    rows = demand_rows(model, firms)
    appeal = _appeal(model, firms)
    sales_home = _home_sales(model, firms, mne, abroad)
    factor = fixed_cost_factor(model, cond, firms)
    # firms enter where the profit covers the yearly cost and the sunk cost spread over the
    # payback years; an exporter stays while it covers the yearly cost alone
    enter = (ex.market_cost + ex.entry_cost / ex.payback_years) * factor
    stay = ex.market_cost * factor
    best = table.max(axis=1)[rows]
    nearer = _nearest_sites(model, cond, firms, mne, abroad)
    if nearer is not None:
        best[mne] = (table[rows[mne]] * nearer).max(axis=1)
    least = _least_draws(ex, best, appeal * sales_home, np.minimum(enter, stay))
    reach, shock = (_reached_draws(model, len(firms), width, least) if least is None
                    else _draws_reaching(model.export_rng, least, width))
    firm, country = np.divmod(reach, width)
    # each firm's row among the MNEs (-1 for the others), and the entries of MNEs
    at = np.full(len(firms), -1)
    at[mne] = np.arange(len(mne))
    mne_entry = np.flatnonzero(at[firm] >= 0)
    shock *= ex.demand_noise
    np.exp(shock, out=shock)
    # variable profit, demand x appeal x home sales x shock / elasticity, in the order the
    # formula multiplies them
    profit = table[rows[firm], country]
    if nearer is not None:
        profit[mne_entry] *= nearer[at[firm[mne_entry]], country[mne_entry]]
    profit *= appeal[firm]
    profit *= sales_home[firm]
    profit *= shock
    profit /= ex.elasticity
    ids = firms[firm]
    with f.writing("exports") as markets:
        flat, cell = cells(markets, ids, country)
        serve = profit >= np.where(flat[cell], stay[firm], enter[firm])
        # never at home, nor where the firm has an affiliate
        serve &= country != f.country[ids]
        serve[mne_entry] &= ~abroad[at[firm[mne_entry]], country[mne_entry]]
        # the active firms' rows cleared (the others keep theirs) in one pass over the matrix,
        # some twice as fast as writing the rows by index
        np.logical_and(markets, ~f.active[:, None], out=markets)
        flat[cell[serve]] = True
    # firms exporting: the distinct firms of the served entries (in firm order)
    served = firm[serve]
    return int(np.count_nonzero(served[1:] != served[:-1])) + 1 if len(served) else 0


def _draws_reaching(rng: np.random.Generator, least: np.ndarray,
                    width: int) -> tuple[np.ndarray, np.ndarray]:
    """The (firm, country) entries whose standard normal draw of the demand shock reaches the
    firm's least draw, and those draws: the flat positions ``firm x width + country`` in
    increasing order, and the draws.

    Only the entries that reach are drawn, with their joint distribution when every one of the
    ``firms x width`` entries gets an independent standard normal draw: a firm reaches in each
    country with chance ``q = P(Z >= least)``, so in a number of countries drawn from
    ``Binomial(width, q)``, a set of that many countries drawn uniformly, and in each of them a
    draw from the normal distribution above ``least`` (by inversion: ``-ndtri(u x q)``, ``u``
    uniform on (0, 1]). A year at a million firms draws a few hundred thousand numbers rather
    than twenty million normal draws (most firms are far too small to serve any country: their
    ``q`` is tiny).
    """
    chance = ndtr(-least)
    count = rng.binomial(width, chance)
    firms = np.flatnonzero(count)
    reach = []
    for start in range(0, len(firms), _BLOCK):
        these = firms[start:start + _BLOCK]
        # the first ``count`` countries of each firm (every one here reaches one at least) in a
        # uniformly random order: those whose key is at most the firm's count-th smallest key
        # (one sort of the block's rows, not the two argsorts of ranking every key; keys never
        # tie among uniform doubles here)
        keys = rng.random((len(these), width))
        kth = np.sort(keys, axis=1)[np.arange(len(these)), count[these] - 1]
        # the flat positions in the block, made positions among all firms in place
        at = np.flatnonzero(keys <= kth[:, None])
        row = at // width
        at -= row * width
        at += these[row] * width
        reach.append(at)
    reach = np.concatenate(reach) if reach else np.zeros(0, dtype=np.intp)
    u = 1.0 - rng.random(len(reach))
    u *= chance[reach // width]
    draws = ndtri(u, out=u)
    return reach, np.negative(draws, out=draws)


def _reached_draws(model, n_firms: int, width: int,
                   least: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The standard normal draws of the lognormal demand shocks (``exp(N(0, sd))``: numpy's
    ``normal(0, sd)`` is ``sd`` times a standard normal draw, so scaling them gives the same
    shocks from the same draws) of ``n_firms`` x ``width`` (firm, country) entries, drawn in
    firm order; return the flat positions of the entries whose draw reaches the firm's least
    draw (every entry when ``least`` is None) and those draws.

    The draws are made a block of firms at a time into one small buffer of the model's scratch
    memory (the same draws as into one firms x countries array, in one call), and each block is
    compared with its firms' least draws while it is still in the core's cache; only the few
    draws that reach are kept, so a year's draws never take firms x countries of memory.
    """
    rng = model.export_rng
    rows = min(_BLOCK, max(n_firms, 1))
    buffer = model.scratch.array("export_shock", (rows, width))
    reach, kept = [], []
    for start in range(0, n_firms, _BLOCK):
        block = buffer[:min(_BLOCK, n_firms - start)]
        rng.standard_normal(out=block)
        flat = block.reshape(-1)
        where = (np.flatnonzero(block >= least[start:start + _BLOCK, None])
                 if least is not None else np.arange(flat.size))
        reach.append(start * width + where)
        kept.append(flat[where])
    if not reach:
        return np.zeros(0, dtype=np.intp), np.zeros(0)
    return np.concatenate(reach), np.concatenate(kept)


#: relative margin by which a firm's best possible profit in a country must fall short of its
#: cost for :func:`_least_draws` to leave the country out: far above the rounding of the
#: profit's few products and of the logarithms that bound it (about 1e-12 at most)
_MARGIN = 1e-9


#: firms per block of draws (see :func:`step`): a block's draws fit in the core's cache
_BLOCK = 2048


def _least_draws(ex, best_demand: np.ndarray, scale: np.ndarray,
                 cost: np.ndarray) -> np.ndarray | None:
    """The least standard draw at which each firm may cover its cost in some country: it does
    not at any lower draw, and may just fall short at a few higher ones. None when every draw
    must be looked at.

    The profit ``demand x scale x exp(demand_noise x draw) / elasticity`` is at most
    ``best_demand x scale x exp(demand_noise x draw) / elasticity`` (``best_demand``: the
    largest demand of the firm's row of the demand table), so it falls short of ``cost`` (the
    lower of the firm's two thresholds) whenever ``draw < (log(cost x elasticity /
    (best_demand x scale)) - 2 x margin) / demand_noise``; the margin (:data:`_MARGIN`) covers
    the rounding of both sides. Where that bound is not a finite number (a zero or negative
    cost, say) it is minus infinity, and there is none when the draws are not scaled.
    ``best_demand`` and ``scale`` are overwritten (the bound is worked out in place: a firm's
    worth of floats each, at a million firms 8 MB an array).
    """
    noise = ex.demand_noise
    if not 0.0 < noise < 100.0:
        return None
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        least = cost * ex.elasticity
        np.log(least, out=least)
        least -= np.log(best_demand, out=best_demand)
        least -= np.log(scale, out=scale)
        least -= 2.0 * _MARGIN
        least /= noise
    least[np.isnan(least)] = -np.inf
    return least


def affiliates(model, firms: np.ndarray) -> np.ndarray:
    """Foreign countries where ``firms`` produce through affiliates (an MNE's foreign markets;
    firms x countries)."""
    mne, abroad = affiliates_of_mnes(model, firms)
    out = np.zeros((len(firms), model.firms.markets.shape[1]), dtype=bool)
    out[mne] = abroad
    return out


def affiliates_of_mnes(model, firms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the MNEs among ``firms`` (only MNEs have affiliates), and the rows of
    :func:`affiliates` of those alone (MNEs x countries)."""
    f = model.firms
    mne = np.flatnonzero(f.mne[firms])
    abroad = f.markets[firms[mne]]
    abroad[np.arange(len(mne)), f.country[firms[mne]]] = False
    return mne, abroad


def home_sales(model, firms: np.ndarray) -> np.ndarray:
    """Sales in the home market before exports (USD million per year): an MNE's revenue is
    shared between home and its affiliates' countries (see :func:`affiliates`) in proportion to
    their relative size. A firm weighs a foreign market against this scale."""
    return _home_sales(model, firms, *affiliates_of_mnes(model, firms))


def _affiliate_weight(model, firms: np.ndarray, mne: np.ndarray,
                      abroad: np.ndarray) -> np.ndarray:
    """``W_i``: the summed relative size of ``firms``' affiliates' countries (0 without
    affiliates), given the MNEs among them and their affiliates' countries (as
    :func:`affiliates_of_mnes` gives them)."""
    f = model.firms
    has = count_rows(abroad) > 0  # firms without affiliates keep weight 0
    rows = mne[has]
    weight = np.zeros(len(firms))
    weight[rows] = (affiliate_size(model)[f.country[firms[rows]]] * abroad[has]).sum(axis=1)
    return weight


def _home_sales(model, firms: np.ndarray, mne: np.ndarray, abroad: np.ndarray) -> np.ndarray:
    """:func:`home_sales` given the MNEs among ``firms`` and their affiliates' countries."""
    return model.firms.base_revenue[firms] / (1.0 + _affiliate_weight(model, firms, mne, abroad))


def sales(model, cond) -> np.ndarray:
    """Export sales of every firm (USD million per year; 0 for inactive firms): the export
    markets' share ``E_i / (1 + W_i + E_i)`` of its revenue before deals, and for a
    manufacturing MNE the goods its affiliates take from home: ``intra_firm_share`` of their
    sales ``R_i x W_i / (1 + W_i + E_i)``."""
    f = model.firms
    out = np.zeros(len(f))
    goods = model.world.is_manufacturing[f.sector]
    firms = np.flatnonzero(f.active & (exporters(f) | (f.mne & goods)))
    if len(firms):
        affiliates = affiliates_of_mnes(model, firms)
        weight = _affiliate_weight(model, firms, *affiliates)
        foreign = (export_demand(model, cond, firms, affiliates=affiliates)
                   * f.exports[firms]).sum(axis=1)
        shipped = model.scenario.exports.intra_firm_share * weight * goods[firms]
        out[firms] = f.base_revenue[firms] * (foreign + shipped) / (1.0 + weight + foreign)
    return out


def exporters(firms: FirmTable) -> np.ndarray:
    """Boolean mask of firms exporting to at least one country."""
    return firms.n_export_markets > 0
