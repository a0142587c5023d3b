"""Each restructuring mechanism on a tiny hand-built population: the rule does what it says."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import BASELINE, assert_one_line_error, invoke

from restructuring_sim import RestructuringModel, lifecycle, load_scenario
from restructuring_sim.deals import SUPPLY
from restructuring_sim.firms import ACQUIRED, ACTIVE, EXITED
from restructuring_sim.mechanisms import (
    acquisitions,
    alliances,
    demography,
    divestment,
    exports,
    governance,
    innovation,
    search,
    supply,
)

QUIET = [  # switch off everything but the mechanism under test
    "behaviour.search_rate=0", "behaviour.matching_contact_rate=0",
    "acquisitions.search_rate=0", "acquisitions.distress_sale_rate=0",
    "acquisitions.successor_share=1", "supply.sourcing_rate=0", "demography.entry_rate=0",
    "demography.spinoff_rate=0", "demography.margin_sd=0", "policy.matching_service.coverage=0",
    "market.shock_sd=0",
]


def tiny(population: dict, overrides=(), seed: int = 1) -> RestructuringModel:
    scenario = load_scenario(None, [*QUIET, *overrides])
    return RestructuringModel(scenario, seed=seed, population=population)


def events_of(model, kind):
    ev = model.events.to_pandas()
    return ev[ev["kind"] == kind]


def test_buyer_signs_the_best_qualifying_supplier():
    model = tiny(
        dict(employees=[20_000, 40, 40, 40], sector=["automotive"] * 4,
             country=["DE"] * 4, quality=[0.5, 0.95, 0.9, 0.1], efficiency=[0.5, 0.2, 0.9, 1.0],
             delivery=[0.5, 0.5, 0.9, 1.0], cluster=[-1] * 4),
        ["supply.sourcing_rate=1", "supply.slots_per_decade=0.2", "supply.tender_candidates=50",
         "policy.b2b_exclusivity=0", "supply.order_share=0.0001"],
    )
    model.step()
    signed = events_of(model, "supply_contract_signed")
    assert len(signed) == 1
    row = signed.iloc[0]
    # firm 3 fails the quality floor; firm 2 beats firm 1 on quality + efficiency + delivery
    assert list(row["firm_ids"]) == [0, 2]
    assert list(row["purposes"]) == ["supply"] and row["channel"] == "direct"
    assert row["value"] == pytest.approx(0.0001 * 20_000 * 0.15)


def test_exclusive_exchange_shuts_out_small_suppliers():
    pop = dict(employees=[20_000, 10, 200], sector=["electronics"] * 3, country=["JP"] * 3,
               quality=[0.5, 0.9, 0.9], cluster=[-1] * 3)
    over = ["supply.sourcing_rate=1", "supply.tender_candidates=30", "policy.b2b_exclusivity=1",
            "supply.order_share=0.00001"]
    model = tiny(pop, over)
    model.step()
    signed = events_of(model, "supply_contract_signed")
    assert [list(ids) for ids in signed["firm_ids"]] == [[0, 2]]
    assert signed.iloc[0]["channel"] == "b2b_exchange"
    assert not supply.b2b_members(model, model.conditions)[1]


def test_cluster_pools_capacity_for_a_large_order():
    pop = dict(employees=[50_000, 5, 5, 5, 5], sector=["automotive"] * 5, country=["DE"] * 5,
               quality=[0.5, 0.9, 0.9, 0.9, 0.9], cluster=[-1, 7, 7, 7, 7])
    over = ["supply.sourcing_rate=1", "supply.tender_candidates=30",
            "policy.b2b_exclusivity=0", "supply.order_share=0.0001", "supply.capacity_share=0.5"]
    # the order (0.75 USD million) exceeds one supplier's capacity (0.375) but fits four pooled
    model = tiny(pop, over)
    model.step()
    signed = events_of(model, "supply_contract_signed")
    assert len(signed) == 1 and signed.iloc[0]["channel"] == "cluster"


def test_price_cut_squeezes_suppliers_of_that_sector_only():
    pop = dict(employees=[20_000, 30, 20_000, 30], sector=["automotive"] * 2 + ["electronics"] * 2,
               country=["DE"] * 4, quality=[0.5, 0.9, 0.5, 0.9], cluster=[-1] * 4)
    cut = 'shocks.supplier_price_cut={year=1989, sector="automotive", cut=0.2}'
    model = tiny(pop, ["supply.sourcing_rate=1", "policy.b2b_exclusivity=0", cut,
                       "supply.term_years_min=10", "supply.term_years_max=10",
                       "supply.order_share=0.00005"])
    for _ in range(4):
        model.step()
    d = model.deals
    live = d.live(SUPPLY)
    before = {int(d.b[k]): float(d.value[k]) for k in live}
    model.step()  # 1989Q1: the cut
    after = {int(d.b[k]): float(d.value[k]) for k in d.live(SUPPLY)}
    assert after[1] == pytest.approx(0.8 * before[1])
    assert after[3] == pytest.approx(before[3])
    assert model.firms.pressure[1] > 0 and model.firms.pressure[3] == 0


def test_technology_acquisition_of_a_high_tech_sme():
    pop = dict(employees=[30_000, 20], sector=["pharma"] * 2, country=["US", "US"],
               knowledge=[1.0, 50.0])
    model = tiny(pop, ["acquisitions.search_rate=1", "acquisitions.value_noise=0",
                       "policy.competition_strictness=0", "acquisitions.hhi_limit=1"])
    model.step()
    acq = events_of(model, "acquisition")
    assert len(acq) == 1
    row = acq.iloc[0]
    assert list(row["firm_ids"]) == [0, 1] and row["motive"] == "technology"
    # price = price_to_sales (1) x revenue: the target's sales in its market
    assert row["value"] == pytest.approx(model.firms.market_revenue[1])
    assert model.firms.status[1] == ACQUIRED and model.firms.owner[1] == 0
    assert model.firms.employees[0] == 30_020
    assert model.agent_of(1) is None and len(model.agents) == 1


def test_closed_to_fdi_means_no_foreign_acquirer():
    pop = dict(employees=[30_000, 20], sector=["pharma"] * 2, country=["US", "FR"],
               knowledge=[1.0, 50.0], markets=[[True] * 21, [False] * 21])
    model = tiny(pop, ["acquisitions.search_rate=1", "acquisitions.value_noise=0",
                       "policy.fdi_openness=0"])
    for _ in range(8):
        model.step()
    assert events_of(model, "acquisition").empty


def test_foreign_buyer_passes_over_a_small_target_its_deal_cost_outweighs():
    pop = dict(employees=[30_000, 20], sector=["pharma"] * 2, country=["US", "FR"],
               knowledge=[1.0, 50.0], markets=[[True] * 21, [False] * 21])
    over = ["acquisitions.search_rate=1", "acquisitions.value_noise=0", "policy.fdi_openness=1",
            "policy.competition_strictness=0"]
    costly = tiny(pop, [*over, "acquisitions.cross_border_deal_cost=10"])
    free = tiny(pop, [*over, "acquisitions.cross_border_deal_cost=0"])
    costly.step()
    free.step()
    assert events_of(costly, "acquisition").empty
    acq = events_of(free, "acquisition")
    assert len(acq) == 1 and bool(acq.iloc[0]["cross_border"])


def test_a_medium_firm_buys_a_small_peer_whose_owner_retires():
    pop = dict(employees=[120, 10], sector=["wholesale"] * 2, country=["IT"] * 2,
               owner_age=[40, 80], knowledge=[1.0, 1.0], profile=[[0.125] * 8] * 2)
    model = tiny(pop, ["acquisitions.successor_share=0", "acquisitions.value_noise=0",
                       "policy.competition_strictness=0", "acquisitions.hhi_limit=1"])
    for _ in range(8):
        model.step()
    acq = events_of(model, "acquisition")
    assert len(acq) == 1
    row = acq.iloc[0]
    assert list(row["firm_ids"]) == [0, 1] and row["motive"] == "succession"
    assert list(row["size_classes"]) == ["medium", "small"]


def test_merger_control_blocks_a_concentrating_deal():
    pop = dict(employees=[30_000, 200, 200], sector=["pharma"] * 3, country=["US"] * 3,
               knowledge=[1.0, 50.0, 1.0])
    over = ["acquisitions.search_rate=1", "acquisitions.value_noise=0"]
    strict = tiny(pop, [*over, "policy.competition_strictness=1"])
    lax = tiny(pop, [*over, "policy.competition_strictness=0", "acquisitions.hhi_limit=1"])
    strict.step()
    lax.step()
    assert events_of(strict, "acquisition").empty
    assert strict.counters["acquisitions_blocked"] >= 1
    assert len(events_of(lax, "acquisition")) == 1


def test_retiring_owner_without_successor_sells_or_closes():
    pop = dict(employees=[20_000, 10, 10], sector=["wholesale"] * 3, country=["IT"] * 3,
               owner_age=[50, 80, 40])
    model = tiny(pop, ["acquisitions.successor_share=0"])
    for _ in range(20):
        model.step()
    ev = model.events.to_pandas()
    ended = ev[ev["kind"].isin(["acquisition", "firm_exited"])]
    assert [list(ids)[-1] for ids in ended["firm_ids"]] == [1]
    if (ended["kind"] == "acquisition").any():
        assert ended.iloc[0]["motive"] == "succession"
    assert model.firms.status[2] == ACTIVE


def test_lasting_losses_lead_to_exit_sooner_with_a_safety_net():
    pop = dict(employees=[10, 10], sector=["finance"] * 2, country=["GB"] * 2,
               margin_base=[-0.5, 0.5])
    exit_year = {}
    for net in (0.0, 1.0):
        model = tiny(pop, [f"policy.safety_net={net}", "demography.margin_persistence=1",
                           "demography.insolvency_margin=1"])
        model.run()
        ex = events_of(model, "firm_exited")
        assert [list(ids) for ids in ex["firm_ids"]] == [[0]]
        assert model.firms.status[0] == EXITED and model.firms.status[1] == ACTIVE
        assert 0 not in model.network.graph
        exit_year[net] = int(ex.iloc[0]["year"])
    assert exit_year[1.0] < exit_year[0.0]


def test_insolvent_firm_exits_at_once():
    pop = dict(employees=[10, 10], sector=["finance"] * 2, country=["GB"] * 2,
               margin_base=[-0.5, 0.5])
    model = tiny(pop, ["demography.margin_persistence=1"])
    for _ in range(4):
        model.step()
    ex = events_of(model, "firm_exited")
    assert [list(ids) for ids in ex["firm_ids"]] == [[0]] and ex.iloc[0]["year"] == 1988


def test_entrants_and_spinoffs_join_population_network_and_agents():
    pop = dict(employees=[5000] + [10] * 19, sector=["software"] * 20, country=["US"] * 20)
    model = tiny(pop, ["demography.entry_rate=0.5", "demography.spinoff_rate=1"])
    model.step()
    entered = events_of(model, "firm_entered")
    ids = [list(x) for x in entered["firm_ids"]]
    spinoffs = [x for x in ids if len(x) == 2]
    assert len(spinoffs) == 1 and spinoffs[0][1] == 0
    assert len(model.firms) == 20 + len(ids)
    new = [x[0] for x in ids]
    assert all(model.firms.employees[k] < 50 for k in new)
    assert all(k in model.network and model.agent_of(k) is not None for k in new)
    assert entered["size_classes"].map(lambda s: s[0] == "small").all()


def test_cluster_mates_learn_from_each_other():
    pop = dict(employees=[10, 10, 10], sector=["software"] * 3, country=["US"] * 3,
               cluster=[3, 3, -1], knowledge=[1.0, 3.0, 1.0])
    model = tiny(pop)
    demography.cluster_learning(model, 1.0)
    k = model.firms.knowledge
    assert k[0] == pytest.approx(1.0 + 0.05 * 1.0)
    assert k[1] == pytest.approx(3.0) and k[2] == pytest.approx(1.0)


def test_matching_conversion_rises_only_with_capabilities():
    pop = dict(employees=[10, 10, 10], sector=["software"] * 3, country=["US"] * 3,
               capability=[0.2, 0.6, 1.0])
    model = tiny(pop, ["policy.matching_service.conversion=0.02"])
    p = alliances.matching_conversion(model, model.conditions, np.arange(3))
    assert p[0] == pytest.approx(0.02) and p[1] == pytest.approx(0.02)
    assert p[2] == pytest.approx(model.scenario.demography.capable_conversion)


def test_venture_finance_raises_search_of_technology_smes_in_backed_sectors_only():
    # 2,000 equal SMEs: half in software (venture-backed), half in wholesale; within each, half
    # hold a technology lead (knowledge 9 against 1); venture capital at 10 on every path point
    n = 2000
    sector = ["software"] * (n // 2) + ["wholesale"] * (n // 2)
    knowledge = np.tile(np.repeat([1.0, 9.0], n // 4), 2)
    pop = dict(employees=[100] * n, sector=sector, country=["US"] * n, knowledge=knowledge)
    over = ["behaviour.search_rate=0.2", "behaviour.search_size_elasticity=0",
            "behaviour.venture_search=0.2", "drivers.venture_capital=10"]
    model = tiny(pop, over)
    cond = model.conditions
    tech = innovation.tech_score(model)
    counts = np.zeros(n)
    for _ in range(40):
        counts[search.choose_searchers(model, cond, model.firms.active, tech)] += 1
    rate = counts.reshape(4, n // 4).mean(axis=1) / 40  # software lo/hi, wholesale lo/hi
    boost = 1 + 0.2 * 10 * tech[[0, n // 4, n // 2, 3 * n // 4]]
    expected = 0.2 * np.array([boost[0], boost[1], 1.0, 1.0])
    assert rate == pytest.approx(expected, rel=0.08)
    assert rate[1] > rate[0] > rate[2]


@pytest.mark.parametrize("elasticity", [0.0, 0.35, 0.7])
def test_a_large_firm_searches_and_manages_as_several_units(elasticity):
    """A firm of (employees / 250) ** division_elasticity units runs that many searches a
    quarter on average (every unit searching for sure here) and a management span of
    ``1 + alliance_capacity * log10(employees / units)`` per unit; an SME is one unit."""
    sizes = np.array([100, 250, 2_500, 25_000])
    pop = dict(employees=np.repeat(sizes, 50), sector=["software"] * 200, country=["US"] * 200)
    over = ["behaviour.search_rate=1", "behaviour.search_size_elasticity=0",
            f"behaviour.division_elasticity={elasticity}"]
    model = tiny(pop, over)
    tech = innovation.tech_score(model)
    counts = np.zeros(200)
    for _ in range(40):
        counts += np.bincount(search.choose_searchers(model, model.conditions,
                                                      model.firms.active, tech), minlength=200)
    units = np.maximum(sizes / 250, 1.0) ** elasticity
    assert counts.reshape(4, 50).mean(axis=1) / 40 == pytest.approx(units, rel=0.03)
    capacity = model.scenario.behaviour.alliance_capacity
    span = search.management_span(model).reshape(4, 50)[:, 0]
    assert span == pytest.approx(units * (1 + capacity * np.log10(sizes / units)))


def test_each_search_of_a_firm_proposes_its_next_best_deal():
    """A firm that searched k times keeps its k best candidates (one at least, for a firm
    proposed a contact without searching); ties are broken at random."""
    rng = np.random.default_rng(3)
    i = np.array([0, 0, 0, 1, 1, 2, 0])
    v = np.array([1.0, 5.0, 3.0, 2.0, 4.0, 7.0, 4.0])
    best = alliances._best_per_searcher(i, v, rng, np.array([3, 0, 1]))
    assert sorted(best.tolist()) == [1, 2, 4, 5, 6]


@pytest.mark.parametrize("elasticity", [0.0, 0.35])
def test_each_unit_of_a_large_firm_hunts_for_acquisitions(elasticity):
    """A large firm of (employees / 250) ** division_elasticity units runs that many hunts a
    year on average, each with the yearly chance; SMEs do not hunt."""
    sizes = np.array([100, 2_500, 25_000])
    pop = dict(employees=np.repeat(sizes, 100), sector=["software"] * 300,
               country=["US"] * 300)
    model = tiny(pop, [f"behaviour.division_elasticity={elasticity}"])
    counts = np.zeros(300)
    for _ in range(50):
        counts += np.bincount(acquisitions._hunts(model, 0.4), minlength=300)
    units = np.maximum(sizes / 250, 1.0) ** elasticity
    expected = 0.4 * units * (sizes >= 250)
    assert counts.reshape(3, 100).mean(axis=1) / 50 == pytest.approx(expected, rel=0.05, abs=0)


def test_a_firm_hunting_twice_buys_two_different_targets():
    """The best targets per hunt: a target met twice (its last partner and a draw) is one."""
    i = np.array([0, 0, 0, 0, 1])
    j = np.array([5, 5, 6, 7, 8])
    score = np.array([3.0, 2.0, 1.0, -1.0, 4.0])
    best = acquisitions._best(i, score, np.array([2, 1]), j)
    assert sorted(zip(i[best].tolist(), j[best].tolist(), strict=True)) == [(0, 5), (0, 6),
                                                                      (1, 8)]


@pytest.mark.parametrize("elasticity", [0.0, 0.35])
def test_the_buying_unit_finances_and_absorbs_the_target(elasticity):
    """A hunt is one unit's: it can pay up to max_relative_size times the unit's value, the
    firm's over its units. A firm of 62,500 employees (250 ** 0.35, about 6.9 units at 0.35)
    can buy a firm of 20,000 employees as one unit, not as several, while a firm of 2,500
    employees (2.2 units) can still buy one of 500."""
    pop = dict(employees=[62_500, 20_000, 2_500, 500], sector=["software"] * 4,
               country=["US"] * 4, efficiency=[0.5] * 4, quality=[0.5] * 4)
    model = tiny(pop, [f"behaviour.division_elasticity={elasticity}",
                       "acquisitions.max_relative_size=0.5"])
    valuer = acquisitions.Valuer(model)
    big = valuer.affordable(np.array([0, 2]), np.array([1, 3]))
    revenue = model.firms.base_revenue
    units = np.maximum(np.array([62_500, 2_500]) / 250, 1.0) ** elasticity
    assert big.tolist() == (revenue[[1, 3]] <= 0.5 * revenue[[0, 2]] / units).tolist()
    assert big.tolist() == ([True, True] if elasticity == 0 else [False, True])


def test_an_alliance_earns_for_the_unit_that_runs_it():
    """Deal revenue as a share of the firm's revenue: a firm of 25,000 employees (five units at
    division_elasticity 0.35) earns a fifth of the share that an SME earns from an alliance of
    the same value, as one of its units would."""
    pop = dict(employees=[25_000, 100, 20, 20], sector=["pharma"] * 4, country=["US"] * 4)
    model = tiny(pop, ["behaviour.division_elasticity=0.35"])
    cond = model.world.conditions(0)
    from restructuring_sim import lifecycle
    from restructuring_sim.deals import ALLIANCE, purpose_mask
    for firm, partner in ((0, 2), (1, 3)):
        lifecycle.open_deal(model, cond, ALLIANCE, firm, partner, sector=1,
                            purposes=purpose_mask(["rnd"]), term_steps=40)
    d = model.deals
    d.value_a[:2] = 2.0
    demography.accounts(model, cond)
    f = model.firms
    share = f.deal_revenue / f.base_revenue
    assert share[1] == pytest.approx(model.scenario.demography.deal_revenue * 2.0)
    assert share[0] == pytest.approx(share[1] / 100 ** 0.35)


def test_a_unit_learns_from_its_alliance_and_the_firm_by_its_share():
    """Knowledge absorbed in an R&D alliance reaches the unit that runs it: a firm of 25,000
    employees (five units at division_elasticity 0.35) gains a fifth of what an SME with the
    same gap to the same kind of partner gains."""
    pop = dict(employees=[25_000, 100, 20, 20], sector=["pharma"] * 4, country=["US"] * 4,
               knowledge=[1.0, 1.0, 9.0, 9.0])
    model = tiny(pop, ["behaviour.division_elasticity=0.35"])
    cond = model.world.conditions(0)
    from restructuring_sim import lifecycle
    from restructuring_sim.deals import ALLIANCE, purpose_mask
    for firm, partner in ((0, 2), (1, 3)):
        lifecycle.open_deal(model, cond, ALLIANCE, firm, partner, sector=1,
                            purposes=purpose_mask(["rnd"]), term_steps=40)
    before = model.firms.knowledge.copy()
    alliances.learn(model, 1.0)
    gain = model.firms.knowledge - before
    assert gain[1] == pytest.approx(model.scenario.behaviour.alliance_learning * 8.0)
    assert gain[0] == pytest.approx(gain[1] / 100 ** 0.35)


def test_units_give_large_firms_the_alliances_their_size_bears():
    """Comparative statics: with units, firms of 2,500 employees or more (at the start) form
    more alliances per firm against firms of 250-1,000 employees than when every firm is one
    unit (seeds 1-3 pooled, 5,000 firms: 2.4 times against 1.9)."""
    ratio = {}
    for elasticity in (0.0, 0.35):
        top = middle = 0.0
        for seed in (1, 2, 3):
            model = RestructuringModel(load_scenario(None, [
                "simulation.n_firms=5000", f"behaviour.division_elasticity={elasticity}"]),
                seed=seed)
            start = model.firms.employees.copy()
            model.run()
            formed = model.firms.alliances_formed[:len(start)]
            top += formed[start >= 2_500].mean()
            middle += formed[(start >= 250) & (start < 1_000)].mean()
        ratio[elasticity] = top / middle
    assert ratio[0.35] > 1.15 * ratio[0.0], ratio


def test_non_exporter_reaches_foreign_markets_through_a_distributor():
    markets = np.zeros((2, 21), dtype=bool)
    markets[0, 0] = True
    markets[1, :] = True
    pop = dict(employees=[200, 3000], sector=["electronics", "wholesale"], country=["US", "DE"],
               markets=markets, knowledge=[5.0, 1.0], cluster=[-1, -1])
    # direct search stays within each firm's sector: only the distributor channel pairs them
    model = tiny(pop, ["behaviour.search_rate=1", "demography.distributor_rate=1",
                       "behaviour.match_noise=0", "behaviour.transaction_cost=0",
                       "behaviour.coordination_cost=0", "behaviour.cross_border_cost=0",
                       "behaviour.cross_sector_share=0"])
    for _ in range(8):
        model.step()
    deals = events_of(model, "alliance_formed")
    via = deals[deals["channel"] == "distributor"]
    assert len(via) >= 1
    assert all(list(p) == ["marketing"] for p in via["purposes"])
    assert via["cross_border"].all()


def test_only_goods_producers_ask_a_distributor():
    """Trading companies carry goods: a non-exporting finance firm, a sector whose products do
    not go through distributors, asks none; an electronics maker in the same spot does."""
    markets = np.zeros((3, 21), dtype=bool)
    markets[0, 0] = markets[1, 0] = True
    markets[2, :] = True
    pop = dict(employees=[200, 200, 3000], sector=["electronics", "finance", "wholesale"],
               country=["US", "US", "DE"], markets=markets, knowledge=[5.0, 5.0, 1.0],
               cluster=[-1, -1, -1])
    model = tiny(pop, ["behaviour.search_rate=1", "demography.distributor_rate=1"])
    searchers = np.array([0, 1])
    i, j = search._distributor_draws(model, searchers, model.firms.active)
    assert i.tolist() == [0] and j.tolist() == [2]
    model = tiny(pop, ["behaviour.search_rate=1", "demography.distributor_rate=1",
                       "sectors.finance.uses_distributors=true"])
    i, _ = search._distributor_draws(model, searchers, model.firms.active)
    assert i.tolist() == [0, 1]


def test_acquired_target_ends_its_deals_and_keeps_only_the_ownership_tie():
    pop = dict(employees=[30_000, 20, 25_000], sector=["pharma"] * 3, country=["US"] * 3,
               knowledge=[1.0, 50.0, 1.0])
    model = tiny(pop, ["acquisitions.search_rate=1", "acquisitions.value_noise=0",
                       "policy.competition_strictness=0"])
    cond = model.world.conditions(0)
    from restructuring_sim import lifecycle
    from restructuring_sim.deals import ALLIANCE
    alliance = lifecycle.open_deal(model, cond, ALLIANCE, 2, 1, sector=1, term_steps=40)
    acquisitions.step(model, cond)
    assert not model.deals.alive[alliance]
    layers = [layer for _, layer in model.network.live_edges_of(1)]
    assert layers == ["ownership"]
    kinds = model.events.to_pandas()["kind"].tolist()
    assert kinds.index("alliance_dissolved") < kinds.index("acquisition")


def test_a_hunter_buys_one_unit_of_a_group_it_could_not_buy_whole():
    """A group of 20,000 employees (80 ** 0.35, about 4.6 units) is too large for a hunting
    unit of a firm of 100,000 employees to finance whole, but one of its units is not: the unit
    splits off as a spin-off of its seller and is acquired; the seller stays active with the
    rest, and no employee is lost or made."""
    pop = dict(employees=[100_000, 20_000], sector=["pharma"] * 2, country=["US"] * 2,
               knowledge=[1.0, 50.0], efficiency=[0.5] * 2, quality=[0.5] * 2)
    model = tiny(pop, ["acquisitions.search_rate=1", "acquisitions.presence_rate=0",
                       "acquisitions.value_noise=0", "acquisitions.max_relative_size=0.5",
                       "behaviour.division_elasticity=0.35", "policy.competition_strictness=0",
                       "acquisitions.hhi_limit=1"])
    f = model.firms
    revenue = f.market_revenue[1]
    share = float(acquisitions.offered_share(model, np.array([1]))[0])
    assert share == pytest.approx(1 / 80 ** 0.35)
    assert float(acquisitions.offered_share(model, np.array([0]))[0]) < 1
    model.step()
    entered = events_of(model, "firm_entered")
    acq = events_of(model, "acquisition")
    assert len(entered) == 1 and len(acq) == 1
    unit = int(entered.iloc[0]["firm_ids"][0])
    assert list(entered.iloc[0]["firm_ids"]) == [unit, 1]  # a spin-off of the seller
    assert list(acq.iloc[0]["firm_ids"]) == [0, unit]
    assert acq.iloc[0]["value"] == pytest.approx(revenue * share)  # price: the unit's sales
    size = round(20_000 * share)
    assert f.status[1] == ACTIVE and f.employees[1] == 20_000 - size
    assert f.status[unit] == ACQUIRED and f.owner[unit] == 0
    assert f.employees[0] == 100_000 + size
    assert f.market_revenue[1] == pytest.approx(revenue * (1 - share))
    assert f.markets[unit].sum() == 1 and f.markets[unit, f.country[1]]


def test_a_firm_of_one_unit_is_offered_whole():
    pop = dict(employees=[1_000, 200, 20], sector=["pharma"] * 3, country=["US"] * 3)
    model = tiny(pop, ["behaviour.division_elasticity=0.35"])
    assert acquisitions.offered_share(model, np.arange(3)).tolist() == [1.0, 1.0, 1.0]


def test_venture_capital_makes_backed_smes_visible():
    """With venture capital, a technology SME of a venture-backed sector weighs more in
    searchers' draws, its class draws more of them, and a firm of a sector without venture
    backing or a large firm weighs as before."""
    pop = dict(employees=[20_000, 100, 100], sector=["software", "software", "automotive"],
               country=["US"] * 3, knowledge=[1.0, 5.0, 5.0])
    flat = tiny(pop, ["behaviour.venture_search=0"])
    boom = tiny(pop, ["behaviour.venture_search=1", "drivers.venture_capital={1988=10.0}"])
    for model in (flat, boom):
        model.conditions = model.world.conditions(0)
    before, after = search.visibility(flat), search.visibility(boom)
    assert boom.world.venture_backed[boom.firms.sector[1]]
    assert not boom.world.venture_backed[boom.firms.sector[2]]
    tech = innovation.TechScores(boom)[np.array([1])][0]
    assert after[1] == pytest.approx(before[1] * (1 + 10 * tech))
    assert after[0] == before[0] and after[2] == before[2]
    draws = {}
    for name, model in (("flat", flat), ("boom", boom)):
        sector = np.full(4000, model.firms.sector[1])
        drawn = search.class_draws(model, model.firms.active, sector, np.ones(4000, bool))
        draws[name] = np.mean(drawn != 0)  # SMEs drawn
    assert draws["boom"] > draws["flat"] + 0.05


@pytest.mark.parametrize("japan_depth", [None, 0.0, 1.0])
def test_venture_money_reaches_a_countrys_start_ups_by_its_depth(japan_depth):
    """A backed SME's venture lift scales with its home country's venture depth: full in the
    US, ``countries.JP.venture_depth`` of it in Japan (0.05 by default, from the OECD's 1997
    figures), none where the depth is 0."""
    n = 2000
    pop = dict(employees=[100] * n, sector=["software"] * n,
               country=["US"] * (n // 2) + ["JP"] * (n // 2), knowledge=[9.0] * n)
    over = ["behaviour.search_rate=0.2", "behaviour.search_size_elasticity=0",
            "behaviour.venture_search=0.2", "drivers.venture_capital=10"]
    if japan_depth is not None:
        over.append(f"countries.JP.venture_depth={japan_depth}")
    model = tiny(pop, over)
    depth = model.world.venture_depth[model.world.country_names.index("JP")]
    assert depth == (0.05 if japan_depth is None else japan_depth)
    tech = innovation.tech_score(model)
    lift = search.venture_lift(model, model.conditions, np.arange(n), tech)
    assert lift[: n // 2] == pytest.approx(1 + 0.2 * 10 * tech[: n // 2])
    assert lift[n // 2:] == pytest.approx(1 + 0.2 * 10 * depth * tech[n // 2:])
    counts = np.zeros(n)
    for _ in range(40):
        counts[search.choose_searchers(model, model.conditions, model.firms.active, tech)] += 1
    rate = counts.reshape(2, n // 2).mean(axis=1) / 40
    assert rate == pytest.approx(0.2 * np.array([lift[0], lift[-1]]), rel=0.08)


def _wholesaler_and_maker(overrides=()):
    """Components of a deal between a small wholesaler (firm 0, quality 0.2) and a large
    electronics maker (firm 1, quality 0.9) of one country: (to the wholesaler, to the maker)."""
    pop = dict(employees=[20, 5_000], sector=["wholesale", "electronics"], country=["US", "US"],
               quality=[0.2, 0.9])
    model = tiny(pop, overrides)
    valuation = alliances.Valuation(model, model.conditions)
    i, j = np.array([0]), np.array([1])
    sector = alliances.deal_sector(model, i, j)
    assert model.world.sector_names[sector[0]] == "wholesale"
    return model, valuation.components(i, j, sector)[0], valuation.components(j, i, sector)[0]


@pytest.mark.parametrize("outsourced", [0.6, 0.0])
def test_a_deals_components_read_the_sector_whose_activity_they_are(outsourced):
    """The wholesaler sources its partner's goods, worth the electronics sector's outsourced
    production (the supplier's), not wholesale's (nothing made): its sourcing value vanishes
    only when electronics makers buy nothing outside. Neither lends the other capacity (a
    wholesaler is no producer, and the maker is the larger), and the maker sources nothing from
    a wholesaler."""
    model, to_i, to_j = _wholesaler_and_maker(
        [f"sectors.electronics.outsourced_production={outsourced}"])
    b, a = model.scenario.behaviour, alliances.assets(model)
    assert to_i[alliances.SRC] == pytest.approx(b.w_manufacturing * outsourced * 0.7 * a[0])
    assert to_i[alliances.MFG] == 0 and to_j[alliances.MFG] == 0 and to_j[alliances.SRC] == 0


def test_distribution_is_worth_the_distribution_weight_of_the_goods_sector():
    """The wholesaler's value of distribution reads its own goods' sector: it halves with
    wholesale's distribution weight (1 -> 0.5) and does not move with the partner's."""
    _, to_i, _ = _wholesaler_and_maker()
    _, to_i_half, _ = _wholesaler_and_maker(["sectors.wholesale.distribution_weight=0.5"])
    _, to_i_other, _ = _wholesaler_and_maker(["sectors.electronics.distribution_weight=0"])
    assert to_i[alliances.DIST] > 0
    assert to_i_half[alliances.DIST] == pytest.approx(0.5 * to_i[alliances.DIST])
    assert to_i_other[alliances.DIST] == to_i[alliances.DIST]


def test_a_venture_depth_above_the_us_level_is_one_line(tmp_path):
    result = invoke("run", BASELINE, "--out", tmp_path / "r", "--set",
                    "countries.JP.venture_depth=2")
    assert_one_line_error(result, "countries.JP.venture_depth", "2", "less than or equal to 1")


def _presence_targets(leader: bool, overrides=(), served: bool = False) -> set[int]:
    """Targets a US software firm of 30,000 employees, selling at home only (and in France
    with ``served``), proposes to buy when it sets out to enter France, where a medium firm
    (firm 1, 120 employees), with ``leader`` a firm of 1,500 (firm 2), and 400 firms of 10
    employees sell."""
    employees = [30_000, 120, *([1_500] if leader else []), *[10] * 400]
    n = len(employees)
    model = tiny(dict(employees=employees, sector=["software"] * n,
                      country=["US"] + ["FR"] * (n - 1)),
                 ["acquisitions.presence_rate=1", "acquisitions.candidates=50",
                  "acquisitions.value_noise=0", *overrides])
    f = model.firms
    f.markets[0] = False
    f.markets[0, f.country[0]] = True
    f.markets[0, f.country[1]] = served
    return {j for _, j, *_ in acquisitions._presence_hunts(model, acquisitions.Valuer(model))}


def test_presence_hunts_buy_a_market_position_not_the_largest_affordable_firm():
    """A firm entering a market buys a place in it, whose value per dollar rises with the
    target's sales against the market's mean firm's (position m / (m + position_scale)): it
    takes the market's leader it can afford and passes over a medium firm, which it would buy
    (as the largest target it can afford) if every firm carried a full position."""
    alone = ["acquisitions.route_share=0"]  # the position alone, without the buyer's own sales
    assert _presence_targets(leader=False, overrides=alone) == set()
    assert 1 in _presence_targets(leader=False,
                                  overrides=[*alone, "acquisitions.position_scale=0.01"])
    assert _presence_targets(leader=True, overrides=alone) == {2}
    assert 2 in _presence_targets(leader=True)  # units that carry own sales may take both
    pop = dict(employees=[30_000, 10, 120, 1_500], sector=["software"] * 4,
               country=["FR"] * 4)
    valuer = acquisitions.Valuer(tiny(pop))
    position = valuer.position(np.arange(4))
    assert ((position > 0) & (position < 1)).all()
    assert (np.diff(position[1:]) > 0).all()  # rises with the firm's sales in its market
    # a unit on offer brings its share of the firm's home sales
    assert valuer.position(np.array([3]), 0.5)[0] < position[3]


def test_a_steeper_position_leaves_the_fringe_of_a_market_almost_none_of_it():
    """With ``position_exponent`` above 1 a market's fringe carries almost none of a place in
    it (Sutton's dual structure): the firm of ``position_scale`` times the mean firm's sales
    keeps half a position, smaller firms lose more of theirs the smaller they are, larger ones
    gain; at 1 the position is m / (m + position_scale). A presence hunt that took the medium
    firm where the fringe carried some position passes it over with the steeper curve."""
    pop = dict(employees=[30_000, 10, 120, 1_500], sector=["software"] * 4,
               country=["FR"] * 4)
    flat = acquisitions.Valuer(tiny(pop)).position(np.arange(4))
    model = tiny(pop, ["acquisitions.position_exponent=2"])
    steep = acquisitions.Valuer(model).position(np.arange(4))
    m = model.firms.market_share[:4] / model.scenario.acquisitions.position_scale
    assert flat == pytest.approx(m / (m + 1))
    assert steep == pytest.approx(m ** 2 / (m ** 2 + 1))
    assert ((steep < flat) == (m < 1)).all()
    assert (np.diff(steep[1:]) > 0).all()
    fringe = ["acquisitions.route_share=0", "acquisitions.position_scale=20"]
    assert _presence_targets(leader=False, overrides=fringe) == {1}
    assert _presence_targets(leader=False,
                             overrides=[*fringe, "acquisitions.position_exponent=2"]) == set()


def test_a_presence_target_carries_its_buyers_own_sales_in_proportion_to_route_share():
    """An entrant sells its own products through the place it buys (``route_share``): the
    value of a presence target rises with the buyer's sales, by as much as ``route_share``
    says, and without a route it is the target's position alone, whoever buys."""
    pop = dict(employees=[30_000, 3_000, 1_500], sector=["software"] * 3,
               country=["US", "US", "FR"])

    def values(route):
        model = tiny(pop, ["acquisitions.value_noise=0", f"acquisitions.route_share={route}"])
        value, _ = acquisitions.Valuer(model).value(np.array([0, 1]), np.array([2, 2]),
                                                    presence=True)
        return value

    alone, some, more = values(0.0), values(0.2), values(0.4)
    assert alone[0] == pytest.approx(alone[1])
    assert (some > alone).all() and some[0] > some[1]
    assert (more - alone) == pytest.approx(2 * (some - alone))


def test_a_presence_targets_channel_carries_at_most_route_capacity_times_its_own_sales():
    """With ``route_capacity`` the buyer's own sales routed through a target count only up to
    that many times the target's sales on offer: a small firm's customer ties carry little of
    a large entrant's products, a leader's most of what the route would carry; at 0 the
    target is worth its position alone, and unbounded the route is the buyer's."""
    pop = dict(employees=[30_000, 20, 1_500], sector=["software"] * 3,
               country=["US", "FR", "FR"])

    def values(capacity):
        model = tiny(pop, ["acquisitions.value_noise=0", "acquisitions.route_share=0.2",
                           f"acquisitions.route_capacity={capacity}"])
        valuer = acquisitions.Valuer(model)
        value, _ = valuer.value(np.array([0, 0]), np.array([1, 2]), presence=True)
        premium = model.scenario.acquisitions.market_premium
        own = premium * valuer.position(np.array([1, 2])) * valuer.revenue[[1, 2]]
        return value, own

    unbounded, own = values("inf")
    none_carried, _ = values(0)
    assert none_carried == pytest.approx(own)
    bounded, _ = values(1)
    assert (bounded <= unbounded + 1e-12).all()
    assert bounded[0] == pytest.approx(2 * own[0])  # the small firm carries its own volume
    assert (bounded - own)[1] > (bounded - own)[0]
    assert values(1e6)[0] == pytest.approx(unbounded)


def test_units_are_offered_from_unit_sale_min_units():
    """A firm of 1,500 employees (6 ** 0.35, about 1.87 units) is offered whole below the
    threshold of 2 units and one unit of it at 1.75; one of 300 employees stays whole."""
    pop = dict(employees=[1_500, 300], sector=["pharma"] * 2, country=["US"] * 2)
    base = ["behaviour.division_elasticity=0.35"]
    assert acquisitions.offered_share(tiny(pop, base), np.arange(2)).tolist() == [1.0, 1.0]
    share = acquisitions.offered_share(
        tiny(pop, [*base, "acquisitions.unit_sale_min_units=1.75"]), np.arange(2))
    assert share.tolist() == pytest.approx([1 / 6 ** 0.35, 1.0])


@pytest.mark.parametrize("setting,allowed", [
    ("acquisitions.route_capacity=-1", "greater than or equal to 0"),
    ("acquisitions.route_capacity=nan", "greater than or equal to 0"),
    ("acquisitions.unit_sale_min_units=0.5", "greater than or equal to 1"),
    ("acquisitions.position_exponent=0.5", "greater than or equal to 1"),
    ("acquisitions.position_exponent=5", "less than or equal to 4"),
])
def test_bad_acquisition_bounds_are_one_line_errors(tmp_path, setting, allowed):
    result = invoke("run", BASELINE, "--set", setting, "--out", tmp_path / "run")
    assert_one_line_error(result, setting.split("=")[0], allowed)
    assert not (tmp_path / "run").exists()


def test_a_presence_hunt_strengthens_a_market_it_serves_without_routing_its_sales_there():
    """With ``presence_in_served`` a unit that already sells in France can still buy a French
    leader for its position (presence in a segment), but its own sales routed through the
    place count only where the market is new to it; a hunt never buys at home."""
    switch = ["acquisitions.presence_in_served=true"]
    assert _presence_targets(leader=True, served=True) == set()  # off: new markets only
    assert _presence_targets(leader=True, overrides=switch, served=True) == {2}
    pop = dict(employees=[30_000, 1_500], sector=["software"] * 2, country=["US", "FR"])
    model = tiny(pop, ["acquisitions.value_noise=0", "acquisitions.route_share=0.2"])
    f = model.firms
    valuer = acquisitions.Valuer(model)
    fr = f.country[1]
    f.markets[0] = False
    f.markets[0, f.country[0]] = True
    new, _ = valuer.value(np.array([0]), np.array([1]), presence=True)
    f.markets[0, fr] = True
    served, _ = valuer.value(np.array([0]), np.array([1]), presence=True)
    position = acquisitions.Valuer(model).position(np.array([1]))
    alone = model.scenario.acquisitions.market_premium * position * f.base_revenue[1]
    assert served == pytest.approx(alone) and new > served
    home = tiny(dict(employees=[30_000, 1_500, *[10] * 50], sector=["software"] * 52,
                     country=["US"] * 52),
                ["acquisitions.presence_rate=1", "acquisitions.candidates=50",
                 "acquisitions.value_noise=0", *switch])
    assert acquisitions._presence_hunts(home, acquisitions.Valuer(home)) == []


def test_a_technology_spread_over_the_buyers_sales_favours_small_targets_per_dollar():
    """With ``tech_spread`` a technology is worth part of the sales the buying unit carries it
    to: the value of a technology target rises by ``(unit revenue / target revenue) **
    tech_spread``, so per dollar paid a small target gains on a larger one; at 0 a target is
    worth its own sales. The targets sell only where the buyer does, so value is technology
    alone."""
    pop = dict(employees=[30_000, 40, 400], sector=["software"] * 3, country=["US"] * 3)

    def per_dollar(spread):
        model = tiny(pop, ["acquisitions.value_noise=0", f"acquisitions.tech_spread={spread}"])
        valuer = acquisitions.Valuer(model)
        buyer, targets = np.array([0, 0]), np.array([1, 2])
        value, motive = valuer.value(buyer, targets)
        assert (motive == acquisitions.TECH).all()
        reach = valuer.unit_revenue[0] / valuer.revenue[targets]
        return value / valuer.price(targets), reach

    own, reach = per_dollar(0.0)
    half, _ = per_dollar(0.5)
    full, _ = per_dollar(1.0)
    assert half == pytest.approx(own * reach ** 0.5)
    assert full == pytest.approx(own * reach)
    # the small target's return per dollar against the large one's rises with the spread
    assert own[0] / own[1] < half[0] / half[1] < full[0] / full[1]


def _foreign_supply_contracts(japan_ties: float, n: int = 400) -> int:
    """Contracts Japanese car makers sign with US suppliers in one quarter's tenders, one
    candidate each, drawn from as many Japanese as US suppliers. The makers also produce in the
    US, so distance never keeps a US supplier out: only their groups' ties can."""
    markets = np.zeros((3 * n, 21), dtype=bool)
    pop = dict(employees=[20_000] * n + [40] * (2 * n), sector=["automotive"] * (3 * n),
               country=["JP"] * n + ["US"] * n + ["JP"] * n, quality=[0.9] * (3 * n),
               cluster=[-1] * (3 * n), markets=markets)
    model = tiny(pop, ["supply.sourcing_rate=1", "supply.tender_candidates=1",
                       "policy.b2b_exclusivity=0", "supply.order_share=0.00001",
                       f"countries.JP.cross_shareholding={japan_ties}"])
    names = model.world.country_names
    markets[np.arange(3 * n), model.firms.country[: 3 * n]] = True
    markets[:n, names.index("US")] = True
    model.firms.markets[: 3 * n] = markets
    model.step()
    signed = events_of(model, "supply_contract_signed")
    return int(signed["cross_border"].sum())


def test_cross_shareholdings_keep_foreign_suppliers_out_in_proportion():
    """A Japanese buyer's tender reaches a foreign supplier only outside the share of its
    business its group holds (``countries.JP.cross_shareholding``), even where it produces:
    half the foreign contracts at a ratio of 0.5, none at 1."""
    free, half, closed = (_foreign_supply_contracts(s) for s in (0.0, 0.5, 1.0))
    assert free > 100
    assert half == pytest.approx(free / 2, rel=0.3)
    assert closed == 0


@pytest.mark.parametrize("japan_ties", [0.0, 0.5, 1.0])
def test_cross_shareholdings_close_japanese_firms_searches_to_foreign_partners(japan_ties):
    """Direct candidates from abroad reach a Japanese searcher with chance ``1 -
    cross_shareholding`` (search costs off); domestic candidates are never shut out."""
    n = 300
    pop = dict(employees=[100] * (2 * n), sector=["software"] * (2 * n),
               country=["JP"] * n + ["US"] * n)
    model = tiny(pop, ["behaviour.foreign_search_cost=0",
                       f"countries.JP.cross_shareholding={japan_ties}"])
    cond = model.conditions
    foreign = domestic = 0
    for _ in range(10):
        cands = search.draw_candidates(model, cond, np.arange(n), model.firms.active,
                                       np.zeros(0, dtype=np.int64))
        direct = cands.channel == search.DIRECT
        foreign += np.count_nonzero(direct & (cands.j >= n))
        domestic += np.count_nonzero(direct & (cands.j < n))
    assert domestic > 800
    assert foreign == pytest.approx((1 - japan_ties) * domestic, rel=0.15, abs=0)
    openness = governance.group_openness(model, cond, np.array([0, n, 0]), np.array([n, 0, 1]))
    assert openness == pytest.approx([1 - japan_ties, 1 - japan_ties, 1.0])


def test_cross_shareholdings_are_read_from_each_countrys_path_year_by_year():
    """Each step reads every country's path at its middle: the baseline's Japan unwinds from
    18% (1990) to 10% (2000), the US has none; a path given on the command line is read as
    given, linearly between its years."""
    world = tiny(dict(employees=[100]), []).world
    jp, us = world.country_names.index("JP"), world.country_names.index("US")
    spy = world.scenario.simulation.steps_per_year
    step = {year: (year - world.scenario.simulation.start_year) * spy for year in (1990, 2000)}
    early, late = (world.conditions(step[y]).cross_shareholding for y in (1990, 2000))
    assert early[jp] == pytest.approx(0.18, abs=0.001) and late[jp] == pytest.approx(0.10)
    assert early[us] == late[us] == 0
    world = tiny(dict(employees=[100]),
                 ["countries.JP.cross_shareholding={1990 = 0.3, 2000 = 0.1}"]).world
    for k in range(0, 13 * spy, 5):
        cond = world.conditions(k)
        expected = np.interp(cond.t, [1990, 2000], [0.3, 0.1])
        assert cond.cross_shareholding[jp] == pytest.approx(expected)


def test_a_cross_shareholding_above_one_is_one_line(tmp_path):
    result = invoke("run", BASELINE, "--out", tmp_path / "r", "--set",
                    "countries.DE.cross_shareholding={1990 = 0.1, 2000 = 1.5}")
    assert_one_line_error(result, "countries.DE.cross_shareholding", "1.5",
                          "above the allowed maximum 1")


@pytest.mark.parametrize("switch", [False, True])
def test_a_buyer_of_a_firm_abroad_becomes_a_multinational(switch):
    """With ``buyer_becomes_mne`` a firm that buys a firm of another country, or a
    multinational, becomes a multinational (the bought firm's markets abroad are its
    affiliates'); buying a domestic firm that is not one leaves it as it was, and so does any
    purchase with the switch off. One by one and in a batch alike."""
    pop = dict(employees=[3_000, 2_000, 1_000, 800, 500, 400], sector=["software"] * 6,
               country=["US", "US", "FR", "US", "US", "US"])
    model = tiny(pop, [f"acquisitions.buyer_becomes_mne={str(switch).lower()}"])
    f, cond = model.firms, model.world.conditions(0)
    f.mne[:] = False
    f.mne[3] = True  # at home in the US, with affiliates abroad
    lifecycle.acquire(model, cond, 0, 4, motive=0, price=1.0, channel=0)  # domestic
    assert not f.mne[0]
    lifecycle.acquire(model, cond, 0, 2, motive=0, price=1.0, channel=0)  # French
    assert f.mne[0] == switch
    batch = lifecycle.AcquisitionBatch(model, cond)
    batch.acquire(1, 5, motive=0, price=1.0, channel=0)  # domestic
    batch.acquire(1, 3, motive=0, price=1.0, channel=0)  # a domestic multinational
    batch.commit()
    assert f.mne[1] == switch
    assert f.markets[0, f.country[2]]  # the French market is recorded either way


def test_a_divested_affiliate_leaves_as_a_firm_of_its_own_in_its_country():
    """With ``affiliate_exit_rate`` 1 every affiliate of a multinational is divested: each
    enters as a firm of its own in its country (the multinational its parent),
    with the share of the firm's employees and capital the product markets give the affiliate;
    the multinational keeps the rest, no longer sells there and, left with none, is no longer
    multinational. Jobs and capital are kept whole. At 0 nothing is divested or drawn."""
    pop = dict(employees=[4_000, 40], sector=["software"] * 2, country=["US", "DE"])
    for rate in (0.0, 1.0):
        model = tiny(pop, [f"acquisitions.affiliate_exit_rate={rate}"])
        f, cond = model.firms, model.world.conditions(0)
        f.mne[0] = True
        f.markets[0] = False
        countries = [model.world.country_names.index(c) for c in ("US", "FR", "JP")]
        f.markets[0, countries] = True
        jobs, capital = f.employees.sum(), f.capital.sum()
        weight = exports.affiliate_size(model)[countries[0], countries[1:]]
        draws = model.rng.bit_generator.state
        sold = divestment.step(model, cond).tolist()
        if rate == 0.0:
            assert sold == [] and len(f) == 2 and f.mne[0]
            assert model.rng.bit_generator.state == draws
            continue
        assert sold == [2, 3] and len(f) == 4
        assert f.country[2:].tolist() == countries[1:]
        assert f.employees[2:] == pytest.approx(4_000 * weight / (1 + weight.sum()))
        assert f.employees.sum() == pytest.approx(jobs)
        assert f.capital.sum() == pytest.approx(capital)
        assert f.markets[0].tolist() == [c == countries[0] for c in range(f.markets.shape[1])]
        assert not f.mne[0] and not f.mne[2:].any()
        entered = events_of(model, "firm_entered")
        assert [list(ids) for ids in entered["firm_ids"]] == [[2, 0], [3, 0]]


def test_a_divested_affiliate_is_sold_to_a_buyer_that_values_it():
    """The year's divested affiliates are offered to the larger firms of their sector: one
    that a buyer values above its price is bought (motive ``market``); without a buyer it stays
    independent."""
    pop = dict(employees=[4_000, 60_000], sector=["software"] * 2, country=["US", "FR"])
    overrides = ["acquisitions.affiliate_exit_rate=1", "acquisitions.value_noise=0",
                 "acquisitions.cross_border_deal_cost=0", "policy.fdi_openness=1"]
    worthless = ["acquisitions.tech_premium=0", "acquisitions.market_premium=0"]
    for valued, bought in ((worthless, False), ([], True)):
        model = tiny(pop, [*overrides, *valued])
        f, cond = model.firms, model.world.conditions(0)
        f.mne[:] = False
        f.mne[0] = True
        f.markets[0] = False
        f.markets[0, [f.country[0], f.country[1]]] = True
        divested = divestment.step(model, cond)
        assert divested.tolist() == [2] and f.country[2] == f.country[1]
        acquisitions.step(model, cond, divested)
        sales = events_of(model, "acquisition")
        assert len(sales) == int(bought)
        if bought:
            assert list(sales.iloc[0]["firm_ids"]) == [1, 2]
            assert sales.iloc[0]["motive"] == "market"
        assert f.status[2] == (ACQUIRED if bought else ACTIVE)
