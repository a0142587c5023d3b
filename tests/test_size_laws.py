"""National economies: a country's SME share of jobs sets its economy's size law, which the
design weights carry into the economy's jobs, markets and firm counts; its sector specialisation
sets the country x sector table firms are drawn from."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import BASELINE, assert_one_line_error, invoke, make_model
from hypothesis import given, settings
from hypothesis import strategies as st

from restructuring_sim import load_scenario
from restructuring_sim.firms import SIZE_BOUNDS
from restructuring_sim.population import (
    country_sector_shares,
    country_shares,
    country_size_indices,
    design_weights,
    economy_size_index,
    home_countries_by_sector,
    mean_employees,
    sample_size_indices,
    sector_shares,
    sme_job_share,
    specialisation,
)
from restructuring_sim.world import World

LAW = (1.06, 300_000)  # the baseline's Zipf tail and largest firm


def _weighted_sme_job_share(model) -> float:
    f = model.firms
    jobs = f.employees * f.weight
    return float(jobs[f.employees < SIZE_BOUNDS[1]].sum() / jobs.sum())


def test_zipf_throughout_gives_the_united_states_share():
    """Axtell's law (index 1.06 at every size) puts 48% of jobs in firms below 250."""
    assert sme_job_share(1.06, *LAW) == pytest.approx(0.484, abs=0.001)


@settings(max_examples=30, deadline=None)
@given(st.floats(0.25, 0.95))
def test_the_index_gives_back_the_share(share):
    index = economy_size_index(share, *LAW)
    assert 0.1 < index < 3.0
    assert sme_job_share(index, *LAW) == pytest.approx(share, abs=1e-6)


def test_more_sme_jobs_means_a_higher_index_and_smaller_firms():
    shares = [0.5, 0.6, 0.7, 0.8]
    index = [economy_size_index(s, *LAW) for s in shares]
    assert np.all(np.diff(index) > 0)
    assert np.all(np.diff([mean_employees(a, *LAW) for a in index]) < 0)


@pytest.mark.parametrize("index", [0.7, 1.06, 1.4])
def test_weights_have_mean_one_over_the_sample_law(index):
    """Importance weights: summed over the sample's law (index 0.70 below 250, here one cell
    per size below 250 and the large firms as one cell), the weights average 1."""
    a_sample = 0.7006
    pop = load_scenario(BASELINE).population
    k = np.arange(1.0, SIZE_BOUNDS[1])
    cells = k ** -a_sample - (k + 1.0) ** -a_sample
    sizes = np.append(k, SIZE_BOUNDS[1])
    chances = np.append(cells, SIZE_BOUNDS[1] ** -a_sample)
    weights = design_weights(sizes, pop, index=index)
    assert float(chances @ weights) == pytest.approx(1.0, abs=1e-12)


def test_no_national_law_keeps_the_weights_and_the_country_mix():
    scenario = load_scenario(BASELINE)
    world = World(scenario)
    assert np.all(country_size_indices(scenario, world) == scenario.population.large_tail_index)
    sizes = np.array([1.0, 10.0, 60.0, 300.0, 5000.0])
    assert np.array_equal(design_weights(sizes, scenario.population),
                          design_weights(sizes, scenario.population,
                                         index=np.full(5, scenario.population.large_tail_index)))
    assert np.array_equal(country_shares(scenario, world), world.market_weight)


def test_jobs_follow_market_size_under_national_laws():
    """Countries with more SME jobs hold more, smaller firms: firms x mean size is in
    proportion to market size in every country."""
    scenario = load_scenario(BASELINE.parent / "national_size_laws.toml")
    world = World(scenario)
    index = country_size_indices(scenario, world)
    jobs = country_shares(scenario, world) * [mean_employees(a, *LAW) for a in index]
    assert np.allclose(jobs / jobs.sum(), world.market_weight, rtol=1e-12)
    italy, us = world.country_names.index("IT"), world.country_names.index("US")
    assert index[italy] > index[us] == LAW[0]


@pytest.mark.parametrize("share", [0.6, 0.8])
def test_a_sample_carries_its_countrys_sme_job_share(share):
    """A sample of one country: its weighted share of jobs below 250 employees is the
    country's, within sampling noise, and its large firms are rarer than under Zipf's law by
    as much as its economy's (the sample over-represents them by the same factor)."""
    model = make_model(["population.country_mix={IT = 1}", f"countries.IT.sme_job_share={share}"],
                       n_firms=100_000)
    assert _weighted_sme_job_share(model) == pytest.approx(share, abs=0.03)
    plain = make_model(["population.country_mix={IT = 1}"], n_firms=100_000)
    assert _weighted_sme_job_share(plain) == pytest.approx(0.484, abs=0.03)
    shift = economy_size_index(share, *LAW) - LAW[0]
    large = [np.mean(m.firms.employees >= SIZE_BOUNDS[1]) for m in (model, plain)]
    assert large[0] / large[1] == pytest.approx(SIZE_BOUNDS[1] ** -shift, rel=0.05)
    # every large firm stands for as many of the economy's as under Zipf's law
    big = model.firms.employees >= SIZE_BOUNDS[1]
    assert np.allclose(model.firms.weight[big], plain.firms.weight[
        plain.firms.employees >= SIZE_BOUNDS[1]][0])


def test_sample_laws_follow_the_economies():
    scenario = load_scenario(BASELINE.parent / "national_size_laws.toml")
    world = World(scenario)
    economy, sample = country_size_indices(scenario, world), sample_size_indices(scenario, world)
    assert np.allclose(economy - sample, LAW[0] - scenario.population.size_tail_index)
    baseline = load_scenario(BASELINE)
    assert np.all(sample_size_indices(baseline, World(baseline))
                  == baseline.population.size_tail_index)


def test_entrants_weigh_by_their_countrys_law():
    """A start-up of one employee stands for more of the economy's firms where small firms are
    more common: in Italy at 80% SME jobs than in the United States."""
    scenario = load_scenario(BASELINE, ["countries.IT.sme_job_share=0.8"])
    world = World(scenario)
    index = country_size_indices(scenario, world)
    italy, us = world.country_names.index("IT"), world.country_names.index("US")
    one = np.ones(2)
    w = design_weights(one, scenario.population, SIZE_BOUNDS[0], index[[italy, us]])
    assert w[0] > w[1]


def test_an_out_of_range_share_is_one_line(tmp_path):
    result = invoke("run", BASELINE, "--out", tmp_path / "r",
                    "--set", "countries.IT.sme_job_share=1.5")
    assert_one_line_error(result, "countries.IT.sme_job_share", "1.5", "less than 0.99")


SPECIALISED = BASELINE.parent / "national_specialisation.toml"


def test_specialisation_keeps_both_mixes_and_takes_the_odds():
    """Iterative proportional fitting: the table's margins are the country and sector mixes,
    its odds ratios the countries' specialisation."""
    scenario = load_scenario(SPECIALISED)
    world = World(scenario)
    joint = country_sector_shares(scenario, world)
    assert np.allclose(joint.sum(axis=1), country_shares(scenario, world), atol=1e-13)
    assert np.allclose(joint.sum(axis=0), sector_shares(scenario, world), atol=1e-13)
    odds = specialisation(scenario, world)
    us, jp = world.country_names.index("US"), world.country_names.index("JP")
    sw, auto = world.sector_names.index("software"), world.sector_names.index("automotive")
    ratio = joint[us, sw] * joint[jp, auto] / (joint[us, auto] * joint[jp, sw])
    assert ratio == pytest.approx(odds[us, sw] * odds[jp, auto] / (odds[us, auto] * odds[jp, sw]))
    assert np.allclose(home_countries_by_sector(scenario, world).sum(axis=0), 1.0)


def test_without_specialisation_sectors_and_countries_are_independent():
    scenario = load_scenario(BASELINE)
    world = World(scenario)
    assert country_sector_shares(scenario, world) is None
    by_sector = home_countries_by_sector(scenario, world)
    assert np.array_equal(by_sector[:, 0], country_shares(scenario, world))
    assert np.array_equal(by_sector[:, -1], by_sector[:, 0])


def test_a_sample_follows_the_countries_specialisation():
    model = make_model(n_firms=60_000, scenario_path=SPECIALISED)
    f, w = model.firms, model.world
    software = f.sector == w.sector_names.index("software")
    us = f.country == w.country_names.index("US")
    expected = home_countries_by_sector(model.scenario, w)[w.country_names.index("US"),
                                                            w.sector_names.index("software")]
    assert us[software].mean() == pytest.approx(expected, abs=0.02)
    assert us.mean() == pytest.approx(country_shares(model.scenario, w)[
        w.country_names.index("US")], abs=0.01)


def test_a_mix_that_leaves_countries_out_keeps_the_specialisation_table_finite():
    """Countries without firms keep empty rows (no division by their zero sums): a sample of
    Italy alone, with every country's specialisation, is all Italian."""
    scenario = load_scenario(SPECIALISED, ["population.country_mix={IT = 1}"])
    world = World(scenario)
    with np.errstate(all="raise"):
        joint = country_sector_shares(scenario, world)
    italy = world.country_names.index("IT")
    assert np.isfinite(joint).all() and joint[italy].sum() == pytest.approx(1.0)
    assert np.allclose(joint[italy], sector_shares(scenario, world) * joint[italy].sum())
    model = make_model(["population.country_mix={IT = 1}"], n_firms=2000,
                       scenario_path=SPECIALISED)
    assert (model.firms.country == italy).all()


@pytest.mark.parametrize(("setting", "fragments"), [
    ("countries.JP.specialisation.shipbuilding=2", ("countries.JP.specialisation.shipbuilding",
                                                     "unknown", "allowed sectors")),
    ("countries.JP.specialisation.software=0", ("countries.JP.specialisation.software", "0",
                                                 "positive")),
])
def test_bad_specialisation_is_one_line(tmp_path, setting, fragments):
    result = invoke("run", BASELINE, "--out", tmp_path / "r", "--set", setting)
    assert_one_line_error(result, *fragments)
