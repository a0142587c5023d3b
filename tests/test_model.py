"""The model's public behaviour: construction, stepping, the population it draws, its outputs.

These tests use the Python API a user meets in the README: build a ``RestructuringModel`` from a
scenario, run it, read its event log, firm table, time series and network metrics.
"""

from __future__ import annotations

import doctest

import mesa
import numpy as np
import pytest
from conftest import BASELINE, formed, make_model
from hypothesis import given, settings
from hypothesis import strategies as st

from restructuring_sim import RestructuringModel, Scenario, load_scenario, network
from restructuring_sim.firms import ACQUIRED, SIZE_BOUNDS, size_class_codes
from restructuring_sim.population import draw_employees, size_law, top_slice_mean
from restructuring_sim.scenario import PURPOSES


def test_model_is_a_mesa_model_with_one_rng():
    model = make_model(n_firms=200)
    assert isinstance(model, mesa.Model)
    assert isinstance(model.rng, np.random.Generator)
    assert model.n_steps == 52
    assert model.step_index == 0 and not model.finished


def test_default_construction_uses_the_embedded_scenario():
    model = RestructuringModel(load_scenario(overrides=["simulation.n_firms=150"]))
    assert model.seed_value == Scenario().simulation.seed
    assert len(model.firms) == 150


def test_seed_argument_overrides_the_scenario_seed():
    sc = load_scenario(BASELINE, ["simulation.n_firms=100"])
    model = RestructuringModel(sc, seed=77)
    assert model.seed_value == 77
    assert model.scenario.simulation.seed == 77
    assert model.run_id.endswith("-s77")
    assert sc.simulation.seed == 1  # the caller's scenario is not changed


def test_run_id_depends_on_scenario_and_seed():
    a = make_model(seed=1, n_firms=100)
    b = make_model(seed=2, n_firms=100)
    c = make_model(["policy.safety_net=0.1"], seed=1, n_firms=100)
    again = make_model(seed=1, n_firms=100)
    assert a.run_id == again.run_id
    assert a.run_id.endswith("-s1") and b.run_id.endswith("-s2")
    assert len({a.run_id, b.run_id, c.run_id}) == 3


def test_run_calls_progress_after_every_step_and_stops():
    model = make_model(n_firms=200)
    seen = []
    model.run(progress=seen.append)
    assert seen == list(range(1, 53))
    assert model.finished
    with pytest.raises(RuntimeError, match="complete"):
        model.step()
    model.run()  # nothing left to do, no error
    assert model.step_index == 52


def test_step_count_follows_the_scenario():
    model = make_model(["simulation.start_year=1990", "simulation.end_year=1992",
                        "simulation.steps_per_year=12"], n_firms=150)
    model.run()
    assert model.step_index == 36
    ts = model.timeseries_table().to_pandas()
    assert ts["year"].tolist() == [1990 + s // 12 for s in range(36)]
    assert ts["quarter"].max() == 12  # the sub-year period index
    metrics = model.network.metrics_table().to_pandas()
    assert metrics["year"].tolist() == [y for y in (1990, 1991, 1992) for _ in range(4)]
    assert set(model.firms_table().column("year").to_pylist()) == {1990, 1991, 1992}


def test_single_year_annual_run():
    model = make_model(["simulation.start_year=1995", "simulation.end_year=1995",
                        "simulation.steps_per_year=1"], n_firms=150)
    model.run()
    assert model.step_index == 1
    assert model.firms_table().num_rows == len(model.firms) >= 150


# ------------------------------------------------------------------ population


def test_population_is_heavy_tailed_and_mostly_smes():
    model = make_model(seed=3, n_firms=20_000)
    e = model.firms.employees
    assert len(e) == 20_000
    assert e.min() >= 1
    assert e.max() <= model.scenario.population.size_max
    sme_share = (e < 250).mean()
    assert sme_share > 0.95
    assert (e < 50).mean() > 0.8  # most firms are small
    assert (e >= 250).sum() > 0  # but there are large firms
    assert e.max() > 100 * np.median(e)  # heavy tail
    f = model.firms
    assert f.mne[e < 250].sum() == 0  # MNEs are large firms
    assert f.mne[e >= 250].mean() == pytest.approx(model.scenario.population.mne_share, abs=0.1)
    # an MNE sells in several regions
    regions = model.world.country_region
    mne = np.flatnonzero(f.mne)
    n_regions = [len(set(regions[f.markets[i]])) for i in mne]
    assert np.mean(n_regions) > 1.5


def test_large_firms_follow_their_own_tail_above_250_employees():
    tail = "population.size_tail_index=0.67"
    zipf = make_model([tail], seed=4, n_firms=20_000).firms.employees
    one_law = "population.large_tail_index=0.67"  # = size_tail_index: one Pareto law
    # (visibility must keep a finite mean under the heavier tail)
    single = make_model([tail, one_law, "behaviour.visibility_elasticity=0.5"], seed=4,
                        n_firms=20_000).firms.employees
    assert load_scenario(None).population.large_tail_index == pytest.approx(1.06)
    # the same draws: as many large firms, but a thinner tail among them
    assert ((zipf >= 250) == (single >= 250)).all()
    assert np.array_equal(zipf[zipf < 250], single[single < 250])
    large = zipf[zipf >= 250]
    assert np.mean(large) < 0.5 * np.mean(single[single >= 250])
    hill = len(large) / np.log(large / 250).sum()  # maximum-likelihood tail index
    assert hill == pytest.approx(1.06, abs=0.15)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 5_000), seed=st.integers(0, 2**32 - 1),
       size=st.sampled_from([2, 10, 50, 250, 1_000, 10_000, 100_000]))
def test_a_sample_holds_the_expected_firms_above_any_size_give_or_take_one(n, seed, size):
    """Stratified size draws: the number of firms of at least ``size`` employees in a sample of
    ``n`` is within one of ``n`` times the law's chance (a Poisson number would stray by its
    square root), so rare giants come in proportion to the sample."""
    pop = Scenario().population
    employees = draw_employees(n, pop.size_tail_index, pop.size_max, np.random.default_rng(seed),
                               pop.large_tail_index)
    sizes, chances = size_law(pop)
    expected = n * chances[sizes >= size].sum()
    assert abs((employees >= size).sum() - expected) <= 1 + 1e-9


@pytest.mark.parametrize("n", [1, 30, 2_000, 10_000, 200_000])
def test_the_top_size_slice_takes_its_mean_size(n):
    """The firm of the top slice (U in (0, 1/n]) has the slice's mean size, so that a sample's
    sums over firms hold the giants' expected mass: the closed form against a midpoint rule."""
    pop = Scenario().population
    a_s, a_l, cap = pop.size_tail_index, pop.large_tail_index, pop.size_max
    u = (np.arange(1_000_000) + 0.5) / 1_000_000 / n
    x = u ** (-1.0 / a_s)
    x = np.where(x >= 250, 250 * (x / 250) ** (a_s / a_l), x)
    numeric = np.minimum(x, cap).mean()
    assert top_slice_mean(n, a_s, cap, a_l) == pytest.approx(numeric, rel=1e-4)
    employees = draw_employees(n, a_s, cap, np.random.default_rng(3), a_l)
    assert employees.max() == round(top_slice_mean(n, a_s, cap, a_l))


def test_design_weights_turn_the_sample_back_into_the_economy():
    model = make_model(["population.size_tail_index=0.67"], seed=5, n_firms=20_000)
    f = model.firms
    e, w = f.employees, f.weight
    assert w.mean() == pytest.approx(1.0, abs=0.03)  # importance weights: mean 1
    # weights fall with size and are one value for every large firm
    assert w[e == 1].min() > w[(e >= 50) & (e < 250)].max()
    assert np.allclose(w[e >= 250], 250.0 ** (0.67 - 1.06))
    # the economy's SMEs hold a far larger share of jobs than the sample's
    sme = e < 250
    sample_share = e[sme].sum() / e.sum()
    economy_share = (w * e)[sme].sum() / (w * e).sum()
    assert economy_share > 2 * sample_share


def test_entrants_stand_for_as_many_firms_as_the_active_ones():
    model = make_model(["demography.entry_rate=0.2"], seed=6, n_firms=4000)
    before = model.firms.weight[model.firms.active].mean()
    model.run()
    f = model.firms
    entrants = f.birth_step >= 0
    assert entrants.sum() > 2000
    assert f.weight[entrants].mean() == pytest.approx(before, rel=0.15)


def test_population_covers_sectors_and_countries():
    model = make_model(seed=3, n_firms=20_000)
    f = model.firms
    w = model.world
    assert set(np.unique(f.sector)) == set(range(w.n_sectors))
    assert len(np.unique(f.country)) >= 15
    # default country mix is proportional to market size: the US is the largest
    counts = np.bincount(f.country, minlength=w.n_countries)
    assert w.country_names[int(np.argmax(counts))] == "US"
    np.testing.assert_array_equal(f.region, w.country_region[f.country])
    in_cluster = f.cluster >= 0
    assert in_cluster.mean() == pytest.approx(model.scenario.population.cluster_share, abs=0.03)


def test_population_mixes_follow_the_scenario():
    zeros = ", ".join(f"{s} = 0" for s in Scenario().sectors if s != "pharma")
    model = make_model([f"population.sector_mix={{pharma = 1.0, {zeros}}}",
                        "population.country_mix={JP = 1, KR = 1}"], seed=2, n_firms=2000)
    w = model.world
    f = model.firms
    assert set(np.unique(f.sector)) == {w.sector_names.index("pharma")}
    assert {w.country_names[c] for c in np.unique(f.country)} == {"JP", "KR"}


def test_size_class_boundaries():
    codes = size_class_codes(np.array([1, 49, 50, 249, 250, 300_000]))
    assert codes.tolist() == [0, 0, 1, 1, 2, 2]
    assert SIZE_BOUNDS.tolist() == [50, 250]


# ------------------------------------------------------------------ outputs of a run


def test_alliances_form_and_involve_smes(baseline_events):
    f = formed(baseline_events)
    assert len(f) > 25
    assert f["involves_sme"].any()
    assert f["cross_border"].any() and not f["cross_border"].all()
    assert set(f["year"]) == set(range(1988, 2001))
    assert set(f["channel"]) >= {"direct"}
    counts = f["purposes"].explode().value_counts()
    assert set(counts.index) <= set(PURPOSES)
    assert len(counts) >= 3  # several purposes occur


def test_timeseries_has_one_row_per_step(baseline_model):
    ts = baseline_model.timeseries_table().to_pandas()
    assert len(ts) == 52
    assert (ts["active_firms"] > 0).all()
    assert ts["mean_sme_capability"].between(0, 1).all()
    # SME capability programmes raise capability over time
    assert ts["mean_sme_capability"].iloc[-1] > ts["mean_sme_capability"].iloc[0]


def test_firms_table_end_of_year_snapshots(baseline_model):
    firms = baseline_model.firms_table().to_pandas()
    f = baseline_model.firms
    per_year = firms.groupby("year")["firm_id"]
    assert (per_year.nunique() == per_year.size()).all()
    assert per_year.size().is_monotonic_increasing  # firms keep their rows after exit
    last = firms[firms["year"] == 2000].set_index("firm_id").sort_index()
    assert last.index.tolist() == list(range(len(f)))
    np.testing.assert_allclose(last["knowledge"].to_numpy(), f.knowledge)
    np.testing.assert_array_equal(last["live_alliances"].to_numpy(), f.live_alliances)


def test_network_metrics_table(baseline_model):
    metrics = baseline_model.network.metrics_table().to_pandas()
    every = network.layer_rows(metrics, "all")
    assert every["year"].tolist() == list(range(1988, 2001))
    assert metrics["layer"].tolist() == list(network.METRIC_LAYERS) * 13
    assert (every["edges_alliance"] > 0).all()
    last = every.iloc[-1]
    f = baseline_model.firms
    # nodes are the active firms; the acquired firms still held by ownership ties are apart
    assert last["nodes"] == f.active.sum()
    held = (f.status == ACQUIRED) & np.isin(np.arange(len(f)), list(baseline_model.network.graph))
    assert last["subsidiaries"] == held.sum() > 0
    assert last["nodes"] + last["subsidiaries"] == baseline_model.network.graph.number_of_nodes()
    tied = {n for n, d in baseline_model.network.graph.degree() if d and f.active[n]}
    assert last["tied_nodes"] == len(tied) < last["nodes"]
    degrees = network.layer_rows(baseline_model.network.degrees_table().to_pandas(), "all")
    assert (degrees.groupby("year")["count"].sum() == every.set_index("year")["nodes"]).all()


def test_model_docstring_example():
    from restructuring_sim import model as model_module

    result = doctest.testmod(model_module)
    assert result.attempted > 0 and result.failed == 0


def test_network_docstring_example():
    result = doctest.testmod(network)
    assert result.attempted > 0 and result.failed == 0


def test_network_tracker_rejects_bad_edges():
    net = network.NetworkTracker()
    net.add_firms([0, 1])
    with pytest.raises(ValueError, match="itself"):
        net.add_edge(1, "alliance", 0, 0, step=0, cross_border=False, involves_sme=True)
    with pytest.raises(ValueError, match="not in the network"):
        net.add_edge(2, "alliance", 0, 5, step=0, cross_border=False, involves_sme=True)
    with pytest.raises(ValueError, match="layer"):
        net.add_edge(3, "friendship", 0, 1, step=0, cross_border=False, involves_sme=True)
    net.add_edge(4, "supply", 0, 1, step=0, cross_border=False, involves_sme=True)
    with pytest.raises(ValueError, match="exists"):
        net.add_edge(4, "supply", 0, 1, step=1, cross_border=False, involves_sme=True)
    with pytest.raises(ValueError, match="live ties"):
        net.remove_firm(0)
    net.end_edge(4, step=2)
    net.remove_firm(0)
    assert 0 not in net.graph


def test_event_log_rejects_unknown_vocabulary():
    from restructuring_sim.events import EventLog

    log = EventLog("r", 1)
    base = dict(step=0, year=1988, quarter=1, deal_id=0, firm_ids=[0, 1],
                size_classes=["small", "large"], countries=["US", "JP"],
                regions=["north_america", "japan"], sector="pharma",
                sector_group="manufacturing")
    with pytest.raises(ValueError, match="kind"):
        log.record(kind="merger", **base)
    with pytest.raises(ValueError, match="motive"):
        log.record(kind="acquisition", motive="greed", **base)
    with pytest.raises(ValueError, match="channel"):
        log.record(kind="alliance_formed", channel="telepathy", **base)
    log.record(kind="alliance_formed", channel="direct", **base)
    row = log.to_pandas().iloc[0]
    assert bool(row["cross_border"]) and bool(row["involves_sme"])
    assert np.isnan(row["value"])
    assert log.count("alliance_formed") == 1 and len(log) == 1


def test_a_finished_model_can_be_freed():
    """Nothing global keeps a model alive (sweeps and calibrations build thousands)."""
    import gc
    import weakref

    model = make_model(n_firms=200)
    model.run()
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None
