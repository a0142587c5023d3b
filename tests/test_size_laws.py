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
    cell_densities,
    country_densities,
    country_sector_shares,
    country_shares,
    design_weights,
    home_countries_by_sector,
    home_countries_of_large_firms,
    large_firm_density,
    large_share,
    mean_employees,
    sector_shares,
    sme_job_share,
    specialisation,
    visibility_class_shares,
)
from restructuring_sim.world import World

LAW = (1.06, 300_000)  # the baseline's Zipf tail and largest firm

#: the national size laws' scenario
LAWS = BASELINE.parent / "national_size_laws.toml"

#: the sectors' size structure
SECTOR_LAWS = BASELINE.parent / "sector_size_laws.toml"


def _weighted_jobs(model, low: float, high: float) -> float:
    f = model.firms
    jobs = f.employees * f.weight
    return float(jobs[(f.employees >= low) & (f.employees < high)].sum())


def _weighted_sme_job_share(model) -> float:
    return _weighted_jobs(model, 0, SIZE_BOUNDS[1]) / _weighted_jobs(model, 0, np.inf)


def test_zipf_throughout_gives_the_united_states_share():
    """Axtell's law (index 1.06 at every size) puts 48% of jobs in firms below 250."""
    assert sme_job_share(1.0, *LAW) == pytest.approx(0.484, abs=0.001)


@settings(max_examples=30, deadline=None)
@given(st.floats(0.05, 0.98))
def test_the_density_gives_back_the_share(share):
    density = large_firm_density(share, *LAW)
    assert density > 0
    assert sme_job_share(density, *LAW) == pytest.approx(share, abs=1e-9)


def test_more_sme_jobs_means_fewer_large_firms_and_smaller_firms():
    shares = [0.5, 0.6, 0.7, 0.8]
    density = [large_firm_density(s, *LAW) for s in shares]
    assert np.all(np.diff(density) < 0) and density[0] < 1.0
    assert np.all(np.diff([mean_employees(d, *LAW) for d in density]) < 0)


@pytest.mark.parametrize("density", [0.3, 1.0, 2.5])
def test_weights_have_mean_one_over_the_sample_law(density):
    """Importance weights: summed over the sample's law (index 0.70 below 250, here one cell
    per size below 250 and the large firms as one cell, whose chance the density multiplies),
    the weights average 1."""
    pop = load_scenario(BASELINE).population
    a_sample = pop.size_tail_index
    k = np.arange(1.0, SIZE_BOUNDS[1])
    cells = k ** -a_sample - (k + 1.0) ** -a_sample
    q = SIZE_BOUNDS[1] ** -a_sample
    chances = np.append(cells, density * q) / (1.0 - q + density * q)
    assert chances.sum() == pytest.approx(1.0, abs=1e-12)
    assert chances[-1] == pytest.approx(large_share(a_sample, density), rel=1e-12)
    weights = design_weights(np.append(k, SIZE_BOUNDS[1]), pop, density=density)
    assert float(chances @ weights) == pytest.approx(1.0, abs=1e-12)


def test_no_national_law_keeps_the_weights_and_the_country_mix():
    scenario = load_scenario(BASELINE)
    world = World(scenario)
    assert np.all(country_densities(scenario, world) == 1.0)
    sizes = np.array([1.0, 10.0, 60.0, 300.0, 5000.0])
    assert np.array_equal(design_weights(sizes, scenario.population),
                          design_weights(sizes, scenario.population, density=np.ones(5)))
    assert np.array_equal(country_shares(scenario, world), world.market_weight)


def test_jobs_follow_market_size_under_national_laws():
    """Countries with more SME jobs hold more, smaller firms: firms x mean size is in
    proportion to market size in every country."""
    scenario = load_scenario(LAWS)
    world = World(scenario)
    density = country_densities(scenario, world)
    jobs = country_shares(scenario, world) * [mean_employees(d, *LAW) for d in density]
    assert np.allclose(jobs / jobs.sum(), world.market_weight, rtol=1e-12)
    italy, us = world.country_names.index("IT"), world.country_names.index("US")
    assert density[italy] < density[us] == 1.0


@pytest.mark.parametrize("share", [0.6, 0.8])
def test_a_sample_carries_its_countrys_sme_job_share(share):
    """A sample of one country: its weighted share of jobs below 250 employees is the
    country's, within sampling noise; its large firms are as much rarer as the economy's; and
    micro-to-small firms (1-49 employees) hold as many jobs per job in medium firms as under
    Zipf's law (some three to one, as in the member states of the European Observatory for SMEs,
    whatever their SME share)."""
    italy = ["population.country_mix={IT = 1}"]
    model = make_model([*italy, f"countries.IT.sme_job_share={share}"], n_firms=100_000)
    assert _weighted_sme_job_share(model) == pytest.approx(share, abs=0.03)
    plain = make_model(italy, n_firms=100_000)
    assert _weighted_sme_job_share(plain) == pytest.approx(0.484, abs=0.03)
    density = large_firm_density(share, *LAW)
    a_sample = model.scenario.population.size_tail_index
    large = [np.mean(m.firms.employees >= SIZE_BOUNDS[1]) for m in (model, plain)]
    expected = large_share(a_sample, density) / large_share(a_sample, 1.0)
    assert large[0] / large[1] == pytest.approx(expected, rel=0.05)
    ratio = [_weighted_jobs(m, 0, 50) / _weighted_jobs(m, 50, 250) for m in (model, plain)]
    assert ratio[0] == pytest.approx(ratio[1], rel=0.05)
    assert 2.5 < ratio[1] < 3.5


def test_the_sample_over_represents_large_firms_alike_in_every_country():
    """Every country's sample multiplies its economy's chance of large firms by the same
    density, so a large firm's weight against an SME's of the same country is the same
    everywhere: Italy's large firms are rarer in the sample exactly as in its economy."""
    scenario = load_scenario(LAWS)
    world = World(scenario)
    density = country_densities(scenario, world)
    pop = scenario.population
    sizes = np.array([1.0, 300.0])
    relative = [np.divide(*design_weights(sizes, pop, density=d)[::-1]) for d in density]
    assert np.allclose(relative, relative[0], rtol=1e-12)


@pytest.mark.parametrize("share", [0.1, 0.4, 0.75])
def test_a_sector_has_its_share_where_the_economy_has_the_reference(share):
    """A sector's share is read in an economy at the reference share: there the sector's
    cell has exactly that share; in an economy of more SME jobs, more."""
    scenario = load_scenario(BASELINE, [f"sectors.pharma.sme_job_share={share}",
                                        "countries.IT.sme_job_share=0.66",
                                        "countries.ES.sme_job_share=0.8"])
    world = World(scenario)
    cells = cell_densities(scenario, world)
    pharma = world.sector_names.index("pharma")
    italy, spain = world.country_names.index("IT"), world.country_names.index("ES")
    assert sme_job_share(cells[italy, pharma], *LAW) == pytest.approx(share, rel=1e-9)
    assert sme_job_share(cells[spain, pharma], *LAW) > share
    wholesale = world.sector_names.index("wholesale")
    assert sme_job_share(cells[italy, wholesale], *LAW) == pytest.approx(0.66, rel=1e-9)


def test_a_sample_of_one_sector_carries_its_share():
    model = make_model(["population.country_mix={IT = 1}", "population.sector_mix={pharma = 1}",
                        "countries.IT.sme_job_share=0.66", "sectors.pharma.sme_job_share=0.2"],
                       n_firms=100_000)
    assert _weighted_sme_job_share(model) == pytest.approx(0.2, abs=0.03)


def test_large_firms_are_shared_out_where_the_economy_has_them():
    """The product markets pool a sector's large firms over countries by where the economy's
    large firms are: a country of many SME jobs holds fewer of them than of its firms."""
    base = load_scenario(BASELINE)
    world = World(base)
    assert np.array_equal(home_countries_of_large_firms(base, world),
                          home_countries_by_sector(base, world))
    scenario = load_scenario(LAWS)
    world = World(scenario)
    large = home_countries_of_large_firms(scenario, world)
    firms = home_countries_by_sector(scenario, world)
    assert np.allclose(large.sum(axis=0), 1.0)
    italy, us = world.country_names.index("IT"), world.country_names.index("US")
    assert large[italy, 0] < firms[italy, 0] and large[us, 0] > firms[us, 0]


def test_sectors_of_large_firms_raise_the_large_class_visibility():
    base, sectors = load_scenario(BASELINE), load_scenario(SECTOR_LAWS)
    before = visibility_class_shares(base, World(base), 2.1)
    after = visibility_class_shares(sectors, World(sectors), 2.1)
    assert after[2] > before[2] and after.sum() == pytest.approx(1.0)


def test_an_out_of_range_sector_share_is_one_line(tmp_path):
    result = invoke("run", BASELINE, "--out", tmp_path / "r",
                    "--set", "sectors.pharma.sme_job_share=1.2")
    assert_one_line_error(result, "sectors.pharma.sme_job_share", "1.2", "less than 0.99")


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


def test_a_mix_that_leaves_sectors_out_keeps_every_sector_s_countries_finite():
    """A sector without firms takes the country mix as where its firms would be at home: no
    division by its zero column."""
    scenario = load_scenario(SPECIALISED, ["population.sector_mix={pharma = 1}"])
    world = World(scenario)
    with np.errstate(all="raise"):
        by_sector = home_countries_by_sector(scenario, world)
    assert np.isfinite(by_sector).all() and np.allclose(by_sector.sum(axis=0), 1.0)
    software = world.sector_names.index("software")
    assert np.allclose(by_sector[:, software], country_shares(scenario, world))
