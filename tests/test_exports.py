"""The export mechanism: its rule on hand-built firms, and its comparative statics over seeds."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from test_mechanisms import tiny

from restructuring_sim import RestructuringModel, load_scenario
from restructuring_sim.mechanisms import exports

CALM = ["population.exporter_share=0", "exports.demand_noise=0"]
EURO = ("DE", "FR", "IT", "NL", "ES", "BE")


def two_firms(overrides=(), quality=(0.6, 0.6), employees=(10, 10)) -> RestructuringModel:
    """Two Dutch electronics SMEs without capabilities or initial foreign markets, alike in
    everything but quality and size (knowledge, its profile, efficiency: the same appeal in
    their product market at equal quality)."""
    pop = dict(employees=list(employees), sector=["electronics"] * 2, country=["NL"] * 2,
               quality=list(quality), capability=[0.0, 0.0], cluster=[-1, -1],
               knowledge=[1.0, 1.0], efficiency=[0.5, 0.5], profile=[[0.125] * 8] * 2)
    model = tiny(pop, [*CALM, *overrides])
    model.conditions = model.world.conditions(0)
    return model


def best_market_profit(model, firm: int) -> tuple[int, float]:
    """The foreign country where ``firm`` would earn most, and its variable profit there."""
    demand = exports.export_demand(model, model.conditions, np.array([firm]))[0]
    best = int(np.argmax(demand))
    sales = model.firms.base_revenue[firm] * demand[best]
    return best, float(sales / model.scenario.exports.elasticity)


def test_higher_quality_firm_exports_and_lower_does_not():
    model = two_firms(["exports.entry_cost=0"], quality=(0.9, 0.1))
    _, profit_high = best_market_profit(model, 0)
    _, profit_low = best_market_profit(model, 1)
    assert profit_high > 3 * profit_low
    cost = (profit_high + profit_low) / 2 / exports.fixed_cost_factor(
        model, model.conditions, np.array([0]))[0]
    model = two_firms(["exports.entry_cost=0", f"exports.market_cost={cost}"],
                      quality=(0.9, 0.1))
    assert exports.step(model, model.conditions) == 1
    f = model.firms
    assert f.n_export_markets[0] >= 1 and f.n_export_markets[1] == 0
    assert not f.exports[:, f.country[0]].any()  # never to the home country


def test_prohibitive_entry_cost_leaves_no_sme_exporter():
    """At the highest fixed costs (USD 100 million a year a market) no SME's export profit pays;
    a giant firm's may, as its export sales grow with its home sales."""
    scenario = load_scenario(None, ["simulation.n_firms=400", "simulation.end_year=1990",
                                    "exports.entry_cost=1000", "exports.market_cost=100"])
    model = RestructuringModel(scenario, seed=2)
    before = exports.exporters(model.firms)
    assert (before & model.firms.is_sme).any()  # the population starts with some SME exporters
    model.run()
    after = exports.exporters(model.firms)
    assert not (after & model.firms.is_sme).any()
    assert after.sum() < before.sum()
    firms = model.firms_table().to_pandas()
    last = firms[(firms["year"] == 1990) & (firms["size_class"] != "large")]
    assert (last["export_markets"] == 0).all()


def test_exporters_keep_a_market_that_would_not_pay_its_entry_cost():
    probe = two_firms()
    best, profit = best_market_profit(probe, 0)
    factor = exports.fixed_cost_factor(probe, probe.conditions, np.array([0]))[0]
    # the yearly cost is half the profit; with the sunk cost the threshold is 1.5 x the profit
    market_cost = 0.5 * profit / factor
    entry_cost = probe.scenario.exports.payback_years * profit / factor
    model = two_firms([f"exports.market_cost={market_cost}", f"exports.entry_cost={entry_cost}"])
    f = model.firms
    f.exports[0, best] = True
    exports.step(model, model.conditions)
    assert f.exports[0].tolist() == [c == best for c in range(f.exports.shape[1])]
    assert not f.exports[1].any()


def test_export_sales_scale_with_home_sales_and_markets_served():
    model = two_firms(["exports.entry_cost=0", "exports.market_cost=0"], employees=(10, 200))
    exports.step(model, model.conditions)
    f = model.firms
    assert (f.exports[0] == f.exports[1]).all() and f.n_export_markets[0] >= 1
    sold = exports.sales(model, model.conditions)
    assert sold[1] == pytest.approx(20 * sold[0])  # same markets, twenty times the scale
    demand = exports.export_demand(model, model.conditions, np.array([0]))[0]
    served = demand[f.exports[0]].sum()
    assert sold[0] == pytest.approx(f.base_revenue[0] * served / (1 + served))


def test_exports_are_a_share_of_the_revenue_the_firm_produces():
    """However many and large the markets a firm serves, it sells abroad only part of what its
    employees produce: export intensity stays below 1."""
    model = two_firms(["exports.entry_cost=0", "exports.market_cost=0"], employees=(10, 200))
    f = model.firms
    f.exports[:] = True
    f.exports[np.arange(2), f.country[:2]] = False
    sold = exports.sales(model, model.conditions)
    assert (sold[:2] > 0).all() and (sold[:2] < f.base_revenue[:2]).all()
    demand = exports.export_demand(model, model.conditions, np.arange(2)) * f.exports[:2]
    shares = demand.sum(axis=1) / (1 + demand.sum(axis=1))
    assert sold[:2] == pytest.approx(f.base_revenue[:2] * shares)


def mne_pair(overrides=()) -> RestructuringModel:
    """Two German MNEs of 5,000 employees alike but for their sector (automotive, finance),
    each with affiliates in France and the United States and no export market."""
    pop = dict(employees=[5000, 5000], sector=["automotive", "finance"], country=["DE"] * 2,
               mne=[True, True], quality=[0.6, 0.6], capability=[0.5, 0.5], cluster=[-1, -1],
               knowledge=[1.0, 1.0], efficiency=[0.5, 0.5], profile=[[0.125] * 8] * 2)
    model = tiny(pop, [*CALM, *overrides])
    model.conditions = model.world.conditions(0)
    f = model.firms
    f.markets[:] = np.isin(model.world.country_names, ["DE", "FR", "US"])
    f.exports[:] = False
    return model


def test_a_manufacturing_mnes_affiliates_take_goods_from_home():
    """A carmaker's affiliates sell goods partly made at home: ``intra_firm_share`` of their
    sales counts as its exports. A bank's affiliates sell services made where they are."""
    model = mne_pair()
    f = model.firms
    sold = exports.sales(model, model.conditions)
    share = model.scenario.exports.intra_firm_share
    abroad = exports.affiliates(model, np.arange(2))
    assert abroad[0].sum() == 2  # France and the United States
    # the affiliates' sales are the revenue less the home market's sales
    affiliates_sales = f.base_revenue[0] - exports.home_sales(model, np.array([0]))[0]
    assert sold[0] == pytest.approx(share * affiliates_sales) and sold[0] > 0
    assert sold[1] == 0.0
    assert (exports.sales(mne_pair(["exports.intra_firm_share=0"]), model.conditions)
            == 0.0).all()


def test_affiliates_bearing_the_cost_of_distance_leave_more_sales_at_home():
    """With ``market.affiliate_distance`` an affiliate weighs less against home, the more so
    the farther it is; at 0 (the default) affiliates weigh their markets' relative size."""
    plain, far = mne_pair(), mne_pair(["market.affiliate_distance=1"])
    assert np.array_equal(exports.affiliate_size(plain), exports.relative_size(plain))
    near, same = exports.affiliate_size(far), exports.relative_size(far)
    assert np.allclose(np.diag(near), np.diag(same))
    w = far.world
    de, fr, us = (w.country_names.index(c) for c in ("DE", "FR", "US"))
    assert near[de, fr] / same[de, fr] > near[de, us] / same[de, us]  # same region, then another
    home = [exports.home_sales(m, np.array([0]))[0] for m in (plain, far)]
    assert home[1] > home[0] and home[1] < far.firms.base_revenue[0]


def test_export_platform_affiliates_serve_the_markets_near_them():
    """With ``exports.from_affiliates`` an MNE serves each export market from the nearest of
    its sites: the German carmaker and bank, with affiliates in France and the United States,
    reach Canada and Mexico at the American affiliate's trade cost (services pay their extra
    cost from every site), and markets nearer Germany keep home's demand. Off, every market is
    served from home."""
    off, on = mne_pair(), mne_pair(["exports.from_affiliates=true"])
    firms = np.arange(2)
    with np.errstate(invalid="ignore"):  # 0 / 0 at home
        ratio = (exports.export_demand(on, on.conditions, firms)
                 / exports.export_demand(off, off.conditions, firms))
    names = on.world.country_names
    de, fr, us, ca, mx, nl = (names.index(c) for c in ("DE", "FR", "US", "CA", "MX", "NL"))
    tau = exports.trade_cost(on, on.conditions)
    ex = on.scenario.exports
    for firm, extra in ((0, 0.0), (1, ex.services_cost)):
        for market in (ca, mx):
            nearer = (tau[us, market] + extra) / (tau[de, market] + extra)
            assert ratio[firm, market] == pytest.approx(nearer ** (1 - ex.elasticity))
            assert ratio[firm, market] > 1
        assert ratio[firm, nl] == 1.0
        assert ratio[firm, fr] == ratio[firm, us] == 1.0  # affiliates' countries: not exports
    assert ratio[0, ca] > ratio[1, ca] > 1  # services' extra cost dilutes the nearer site's gain
    # served from the American affiliate, Canada buys more of the carmaker's output
    for model in (off, on):
        model.firms.exports[0, ca] = True
    sold_off, sold_on = (exports.sales(m, m.conditions)[0] for m in (off, on))
    assert sold_on > sold_off


# ------------------------------------------------------------------ comparative statics

SEEDS = (1, 2, 3)
N_FIRMS = 1500
#: five years: long enough for firms to enter markets, short enough that the other channels
#: (alliances, acquisitions, exits) have not yet made the arms' populations drift apart
SHORT = ("simulation.end_year=1992",)


@cache
def finished(overrides: tuple[str, ...], seed: int) -> RestructuringModel:
    scenario = load_scenario(None, [f"simulation.n_firms={N_FIRMS}", *overrides])
    model = RestructuringModel(scenario, seed=seed)
    model.run()
    return model


def mean_over_seeds(overrides, measure) -> float:
    return float(np.mean([measure(finished(tuple(overrides), seed)) for seed in SEEDS]))


def exporting_smes(model) -> float:
    f = model.firms
    smes = f.active & f.is_sme
    return float(exports.exporters(f)[smes].mean())


def sme_exports(model) -> float:
    """Export revenue of active manufacturing SMEs (USD million per year), weighted to the
    economy."""
    f = model.firms
    sme = f.active & model.world.is_manufacturing[f.sector] & f.is_sme
    return float((f.export_revenue[sme] * f.weight[sme]).sum())


def union_exports(model) -> float:
    """Export links from firms in the union's countries to the union's other countries."""
    f = model.firms
    members = np.isin(model.world.country_names, EURO)
    home = f.active & members[f.country]
    return float(f.exports[home][:, members].sum())


def test_trade_openness_raises_exporting_smes_and_their_exports():
    # (their share of the economy's exports is not a prediction: lower trade costs also raise
    # large exporters' sales, Melitz 2003)
    closed, opened = [*SHORT, "policy.trade_openness=0.3"], [*SHORT, "policy.trade_openness=0.95"]
    assert mean_over_seeds(opened, exporting_smes) > mean_over_seeds(closed, exporting_smes) + 0.05
    assert mean_over_seeds(opened, sme_exports) > 1.1 * mean_over_seeds(closed, sme_exports)


def test_currency_union_raises_exports_among_its_members():
    # 5,000 firms: the six members' firms hold about two hundred export links; the union's cut
    # in trade cost adds about a seventh, one seed in six going the other way, so six seeds
    bigger = [*SHORT, "simulation.n_firms=5000"]
    early = [*bigger, *(f"countries.{c}.currency_union_year=1989" for c in EURO)]
    never = [*bigger, *(f"countries.{c}.currency_union_year=2100" for c in EURO)]
    seeds = range(1, 7)
    gain = [union_exports(finished(tuple(early), s)) / union_exports(finished(tuple(never), s))
            for s in seeds]
    assert np.mean(gain) > 1.05 and np.median(gain) > 1.0, gain


def test_cheaper_ict_means_more_exporters():
    """ICT at a fifth of its 1988 cost: at least a fifth more exporting SMEs (about two fifths
    more on the baseline)."""
    cheap, dear = ["drivers.ict_cost=0.2"], ["drivers.ict_cost=1.0"]
    assert mean_over_seeds(cheap, exporting_smes) > 1.2 * mean_over_seeds(dear, exporting_smes)


def test_export_information_services_mean_more_exporters():
    served, unserved = ["policy.export_information=1"], ["policy.export_information=0"]
    assert mean_over_seeds(served, exporting_smes) > mean_over_seeds(unserved, exporting_smes)


def sme_share_of_manufactured_exports(model) -> float:
    """The SMEs' share of the active manufacturing firms' exports, weighted to the economy."""
    f = model.firms
    goods = f.active & model.world.is_manufacturing[f.sector]
    value = f.export_revenue * f.weight
    return float(value[goods & f.is_sme].sum() / value[goods].sum())


def test_export_platform_affiliates_lower_the_smes_share_of_exports():
    """Multinationals that export from their affiliates' countries carry more of the trade, so
    the SMEs' share of manufactured exports falls (buyers abroad becoming multinationals, so
    that there are affiliates to export from)."""
    arms = [(*SHORT, "acquisitions.buyer_becomes_mne=true", f"exports.from_affiliates={on}")
            for on in ("false", "true")]
    off, on = (mean_over_seeds(arm, sme_share_of_manufactured_exports) for arm in arms)
    assert on < off
