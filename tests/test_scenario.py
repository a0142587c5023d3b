"""The scenario: embedded defaults, TOML loading, inheritance, ``--set`` overrides and errors.

The scenario is the user's interface, so these tests pin what a user can rely on: the names later
issues depend on, that every file value and override is validated the same way, and that every
mistake becomes one :class:`~restructuring_sim.errors.UserError` line naming the field, the value
and what is allowed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import BASELINE, assert_one_line_error, invoke

from restructuring_sim.errors import UserError
from restructuring_sim.scenario import (
    REGIONS,
    Scenario,
    apply_overrides,
    deep_merge,
    internet_path,
    load_scenario,
    parse_override,
    scenario_from_dict,
)
from restructuring_sim.timepath import TimePath

SECTORS = ("software", "pharma", "telecom", "computer_services", "wholesale", "finance",
           "automotive", "electronics")


def write(tmp_path: Path, name: str, text: str) -> Path:
    """Write a scenario file and return its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def user_error(path=None, overrides=()) -> str:
    """The message of the UserError that loading must raise; checks it is one line."""
    with pytest.raises(UserError) as info:
        load_scenario(path, list(overrides))
    message = str(info.value)
    assert message.strip(), "empty error message"
    assert "\n" not in message, f"error message is not one line: {message!r}"
    assert "Traceback" not in message
    return message


# ------------------------------------------------------------------ defaults


def test_default_scenario_is_valid_and_is_the_1990s():
    sc = Scenario()
    sim = sc.simulation
    assert (sim.start_year, sim.end_year, sim.steps_per_year) == (1988, 2000, 4)
    assert sim.n_steps == 52
    assert sim.n_firms >= 10
    assert sim.seed == 1  # the documented default
    assert sc.policy.matching_service.conversion == pytest.approx(0.02334)  # fitted, round 20
    assert 0 <= sc.policy.matching_service.coverage(1995) <= 1
    # re-validating the defaults' dump reproduces the same scenario
    assert Scenario.model_validate(sc.to_dict()).config_hash() == sc.config_hash()


def test_default_sectors_have_the_named_profiles():
    sectors = Scenario().sectors
    assert set(SECTORS) <= set(sectors)
    for name in SECTORS:
        s = sectors[name]
        assert s.group in ("manufacturing", "services")
        assert isinstance(s.rnd_cost, TimePath) and s.rnd_cost(1995) > 0
        assert isinstance(s.internet_boost, TimePath) and s.internet_boost(1995) > 0
    assert sectors["automotive"].group == sectors["electronics"].group == "manufacturing"
    assert sectors["software"].group == sectors["finance"].group == "services"
    # deregulation in telecoms and finance in the 1990s; Internet boom in computer services
    assert sectors["telecom"].deregulation_year is not None
    assert sectors["finance"].deregulation_year is not None
    assert sectors["computer_services"].internet_boost(2000) > sectors[
        "computer_services"].internet_boost(1990)
    # venture capital backs technology start-ups, not wholesalers, banks or carmakers' suppliers
    backed = {name for name, s in sectors.items() if s.venture_backed}
    assert backed == {"software", "pharma", "telecom", "computer_services", "electronics"}
    # trading companies carry goods: only manufacturers sell through distributors
    distributed = {name for name, s in sectors.items() if s.uses_distributors}
    assert distributed == {name for name, s in sectors.items() if s.group == "manufacturing"}
    # the characteristics deals follow from: IP in pharma and software, local presence in
    # telecom and finance, distribution in trade, outsourced production in the supply chains
    most = {field: max(sectors, key=lambda n, f=field: getattr(sectors[n], f))
            for field in ("ip_reliance", "distribution_weight", "outsourced_production")}
    assert most == {"ip_reliance": "pharma", "distribution_weight": "wholesale",
                    "outsourced_production": "automotive"}
    assert min(sectors["telecom"].local_presence, sectors["finance"].local_presence) > max(
        s.local_presence for n, s in sectors.items() if n not in ("telecom", "finance"))


def test_internet_boost_follows_the_number_of_internet_users():
    """1 before the Web, the stated boost in 2000, and in between the share of 1994-2000's rise
    in Internet users: a third of the way only by mid-1998, because use grew exponentially."""
    boost = Scenario().sectors["computer_services"].internet_boost
    assert boost(1990) == boost(1994.5) == 1.0
    assert boost(2000.5) == pytest.approx(2.5)
    assert boost(1998.5) - 1 == pytest.approx(1.5 * (152.5 - 19.5) / (340 - 19.5), abs=1e-3)
    steps = np.diff([boost(t) for t in np.arange(1994.5, 2000.75, 1.0)])
    assert (np.diff(steps) > 0).all()  # convex: each year adds more than the last
    path = internet_path(1.3)
    assert min(path.values()) == 1.0 and max(path.values()) == 1.3


def test_venture_capital_path_peaks_in_2000_from_mid_year_points():
    vc = Scenario().drivers.venture_capital
    assert vc(1995.5) == 1.0
    assert vc(1992) < 1.0 < vc(1997) < vc(1999) < vc(2000) < vc(2000.5)
    # a yearly total sits at mid-year: the first quarter of 2000 lies between 1999 and 2000
    assert vc(1999.5) < vc(2000.125) < vc(2000.5)


def test_default_countries_cover_the_regions():
    countries = Scenario().countries
    assert len(countries) >= 15
    assert {c.region for c in countries.values()} == set(REGIONS)
    assert all(c.market_size > 0 for c in countries.values())
    union = {code for code, c in countries.items() if c.currency_union_year == 1999}
    assert {"DE", "FR"} <= union
    assert countries["US"].currency_union_year is None


def test_default_policy_levers_are_unit_intervals():
    pol = Scenario().policy
    for name in ("trade_openness", "fdi_openness", "sme_capability", "ipr_protection",
                 "competition_strictness", "b2b_exclusivity", "safety_net"):
        path = getattr(pol, name)
        assert isinstance(path, TimePath), name
        assert all(0.0 <= path(y) <= 1.0 for y in range(1985, 2005)), name


def test_config_hash_tracks_content():
    a, b = Scenario(), Scenario()
    assert a.config_hash() == b.config_hash()
    c = load_scenario(overrides=["policy.trade_openness=0.3"])
    assert c.config_hash() != a.config_hash()


# ------------------------------------------------------------------ loading


def test_baseline_file_loads():
    sc = load_scenario(BASELINE)
    assert sc.name == "baseline"
    assert sc.simulation.n_steps == 52
    assert sc.drivers.ict_cost(1988) == pytest.approx(1.0)
    assert sc.drivers.ict_cost(2000) == pytest.approx(0.35)
    assert sc.drivers.ict_cost(1994.5) == pytest.approx(0.61)
    assert sc.policy.b2b_exclusivity(1999) == pytest.approx(0.15)


def test_no_path_gives_the_embedded_default():
    assert load_scenario().config_hash() == Scenario().config_hash()


def test_file_values_merge_over_defaults(tmp_path):
    path = write(tmp_path, "s.toml", """
name = "small"
[simulation]
n_firms = 123
[policy]
trade_openness = 0.3
ipr_protection = {1990 = 0.2, 2000 = 0.6}
[sectors.software]
standard_year = 1994
""")
    sc = load_scenario(path)
    assert sc.name == "small"
    assert sc.simulation.n_firms == 123
    assert sc.simulation.start_year == 1988  # untouched default
    assert sc.policy.trade_openness(1988) == sc.policy.trade_openness(2000) == 0.3
    assert sc.policy.ipr_protection(1995) == pytest.approx(0.4)
    assert sc.sectors["software"].standard_year == 1994
    assert sc.sectors["software"].group == "services"  # merged, not replaced
    assert set(SECTORS) <= set(sc.sectors)


def test_a_path_in_a_file_replaces_the_whole_default_path(tmp_path):
    path = write(tmp_path, "s.toml", "[drivers]\nict_cost = {1990 = 0.5}\n")
    sc = load_scenario(path)
    assert sc.drivers.ict_cost(1988) == sc.drivers.ict_cost(2000) == 0.5


def test_seed_argument_replaces_simulation_seed():
    assert load_scenario(BASELINE, seed=42).simulation.seed == 42


def test_new_sector_and_country_can_be_added(tmp_path):
    path = write(tmp_path, "s.toml", """
[sectors.biotech]
group = "manufacturing"
rnd_cost = 30.0
ip_reliance = 0.9
[countries.NZ]
region = "rest_of_world"
market_size = 60
""")
    sc = load_scenario(path)
    assert "biotech" in sc.sectors and "NZ" in sc.countries
    assert sc.sectors["biotech"].standard_year is None
    assert sc.sectors["biotech"].ip_reliance == 0.9
    assert sc.sectors["biotech"].outsourced_production == 0.0  # the documented default


# ------------------------------------------------------------------ inheritance


def test_base_inheritance_relative_to_the_file(tmp_path):
    sub = tmp_path / "nested"
    sub.mkdir()
    write(tmp_path, "parent.toml", """
name = "parent"
[simulation]
n_firms = 321
[policy]
trade_openness = 0.4
safety_net = 0.9
""")
    child = write(sub, "child.toml", """
base = "../parent.toml"
name = "child"
[policy]
trade_openness = 0.7
""")
    sc = load_scenario(child)
    assert sc.name == "child"
    assert sc.simulation.n_firms == 321  # inherited
    assert sc.policy.safety_net(1995) == pytest.approx(0.9)  # inherited, same table
    assert sc.policy.trade_openness(1995) == pytest.approx(0.7)  # overridden


def test_inheritance_from_the_baseline_file(tmp_path):
    child = write(tmp_path, "closed.toml",
                  f'base = {json.dumps(str(BASELINE))}\n[policy]\ntrade_openness = 0.2\n')
    sc = load_scenario(child)
    base = load_scenario(BASELINE)
    assert sc.policy.trade_openness(1995) == pytest.approx(0.2)
    assert sc.drivers.ict_cost == base.drivers.ict_cost
    assert sc.simulation.n_firms == base.simulation.n_firms


def test_inheritance_chain(tmp_path):
    write(tmp_path, "a.toml", "[simulation]\nn_firms = 111\n")
    write(tmp_path, "b.toml", 'base = "a.toml"\n[simulation]\nseed = 9\n')
    c = write(tmp_path, "c.toml", 'base = "b.toml"\n[policy]\nsafety_net = 0.1\n')
    sc = load_scenario(c)
    assert (sc.simulation.n_firms, sc.simulation.seed) == (111, 9)
    assert sc.policy.safety_net(1990) == pytest.approx(0.1)


def test_inheritance_cycle_is_an_error(tmp_path):
    write(tmp_path, "a.toml", 'base = "b.toml"\n')
    b = write(tmp_path, "b.toml", 'base = "a.toml"\n')
    message = user_error(b)
    assert "cycle" in message and "base" in message


def test_missing_base_file_is_an_error(tmp_path):
    child = write(tmp_path, "child.toml", 'base = "nowhere.toml"\n')
    message = user_error(child)
    assert "nowhere.toml" in message and "not found" in message


def test_base_must_be_a_path(tmp_path):
    child = write(tmp_path, "child.toml", "base = 3\n")
    message = user_error(child)
    assert "base" in message and "3" in message


# ------------------------------------------------------------------ --set overrides


def test_set_number():
    sc = load_scenario(BASELINE, ["policy.trade_openness=0.3", "simulation.n_firms=250"])
    assert sc.policy.trade_openness(1990) == sc.policy.trade_openness(2000) == 0.3
    assert sc.simulation.n_firms == 250


def test_set_string_bare_and_quoted():
    assert load_scenario(overrides=["name=closed"]).name == "closed"
    assert load_scenario(overrides=['name="closed world"']).name == "closed world"
    assert load_scenario(overrides=["description=two words"]).description == "two words"


def test_none_is_written_as_a_word(tmp_path):
    """TOML has no null: a field that may be none takes the word, bare in ``--set`` and quoted
    in a file (a country that never joins the union, a sector never regulated)."""
    sc = load_scenario(BASELINE, ["countries.DE.currency_union_year=none",
                                  "sectors.telecom.deregulation_year=None"])
    assert sc.countries["DE"].currency_union_year is None
    assert sc.sectors["telecom"].deregulation_year is None
    assert sc.countries["FR"].currency_union_year == 1999
    path = write(tmp_path, "s.toml", """
[countries.IT]
sme_job_share = 0.8
[countries.FR]
currency_union_year = "none"
""")
    sc = load_scenario(path, ["countries.IT.sme_job_share=none"])
    assert sc.countries["IT"].sme_job_share is None
    assert sc.countries["FR"].currency_union_year is None


def test_none_for_a_field_that_needs_a_value_is_one_line(tmp_path):
    result = invoke("run", BASELINE, "--out", tmp_path / "r", "--set", "simulation.n_firms=none")
    assert_one_line_error(result, "simulation.n_firms", "none")


def test_set_time_path_table():
    sc = load_scenario(BASELINE, ["drivers.ict_cost={1988 = 1.0, 2000 = 0.8}"])
    assert sc.drivers.ict_cost(1994) == pytest.approx(0.9)
    assert sc.drivers.ict_cost(2005) == pytest.approx(0.8)


def test_set_nested_table_merges():
    sc = load_scenario(BASELINE, ["policy.matching_service={coverage = 0.3}"])
    assert sc.policy.matching_service.coverage(1995) == pytest.approx(0.3)
    # the table's other fields keep the baseline's values
    baseline = load_scenario(BASELINE).policy.matching_service
    assert sc.policy.matching_service.conversion == baseline.conversion


def test_set_sector_fields():
    sc = load_scenario(BASELINE, ["sectors.software.standard_year=1994",
                                  "sectors.wholesale.local_presence=0.8"])
    assert sc.sectors["software"].standard_year == 1994
    assert sc.sectors["wholesale"].local_presence == 0.8


def test_set_is_applied_over_the_file_and_later_wins(tmp_path):
    path = write(tmp_path, "s.toml", "[policy]\ntrade_openness = 0.9\n")
    sc = load_scenario(path, ["policy.trade_openness=0.1", "policy.trade_openness=0.2"])
    assert sc.policy.trade_openness(1995) == pytest.approx(0.2)


def test_parse_override_types():
    assert parse_override("a.b=1") == (["a", "b"], 1)
    assert parse_override("a.b = 0.5") == (["a", "b"], 0.5)
    assert parse_override("a=true") == (["a"], True)
    assert parse_override("a=hello") == (["a"], "hello")
    assert parse_override("a={1990 = 0.1}") == (["a"], {"1990": 0.1})
    assert parse_override("a=x=y") == (["a"], "x=y")


def test_apply_overrides_does_not_mutate_its_input():
    data = {"policy": {"safety_net": 0.5}}
    out = apply_overrides(data, ["policy.safety_net=0.1", "simulation.seed=3"])
    assert data == {"policy": {"safety_net": 0.5}}
    assert out == {"policy": {"safety_net": 0.1}, "simulation": {"seed": 3}}


def test_deep_merge_replaces_paths_and_merges_tables():
    base = {"p": {"x": {"1990": 0.1, "2000": 0.9}, "y": 1}, "q": 2}
    out = deep_merge(base, {"p": {"x": {"1995": 0.5}}})
    assert out == {"p": {"x": {"1995": 0.5}, "y": 1}, "q": 2}
    assert base["p"]["x"] == {"1990": 0.1, "2000": 0.9}


def test_scenario_from_dict_is_validated_like_a_file():
    assert scenario_from_dict({"simulation": {"n_firms": 77}}).simulation.n_firms == 77
    with pytest.raises(UserError, match=r"simulation\.n_firms = 5"):
        scenario_from_dict({"simulation": {"n_firms": 5}})


# ------------------------------------------------------------------ errors


def test_missing_file(tmp_path):
    missing = tmp_path / "missing.toml"
    message = user_error(missing)
    assert str(missing) in message and "not found" in message


def test_malformed_toml(tmp_path):
    path = write(tmp_path, "bad.toml", "[policy\ntrade_openness = 0.3\n")
    message = user_error(path)
    assert str(path) in message and "malformed TOML" in message and "line 1" in message


def test_not_utf8(tmp_path):
    path = tmp_path / "latin.toml"
    path.write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    message = user_error(path)
    assert str(path) in message and "UTF-8" in message


def test_unknown_top_level_key(tmp_path):
    path = write(tmp_path, "s.toml", "polcy = 1\n")
    message = user_error(path)
    assert "polcy: unknown key" in message
    assert "did you mean 'policy'" in message
    assert "allowed:" in message and "simulation" in message


def test_unknown_nested_key_in_file(tmp_path):
    path = write(tmp_path, "s.toml", "[policy]\ntrade_opennes = 0.3\n")
    message = user_error(path)
    assert str(path) in message
    assert "policy.trade_opennes: unknown key" in message
    assert "did you mean 'trade_openness'" in message
    assert "fdi_openness" in message  # the allowed keys are listed


def test_unknown_key_from_set():
    message = user_error(BASELINE, ["behaviour.search_rat=0.2"])
    assert "behaviour.search_rat: unknown key" in message
    assert "search_rate" in message


def test_unknown_key_in_a_sector():
    message = user_error(None, ["sectors.software.standard_yr=1994"])
    assert "sectors.software.standard_yr: unknown key" in message
    assert "standard_year" in message


def test_out_of_range_lever_from_set():
    message = user_error(BASELINE, ["policy.trade_openness=1.5"])
    assert "policy.trade_openness = 1.5" in message
    assert "maximum 1" in message


def test_out_of_range_below_minimum():
    message = user_error(None, ["policy.safety_net=-0.1"])
    assert "policy.safety_net = -0.1" in message and "minimum 0" in message


def test_out_of_range_point_of_a_time_path(tmp_path):
    path = write(tmp_path, "s.toml", "[policy]\nipr_protection = {1988 = 0.5, 1995 = 1.4}\n")
    message = user_error(path)
    assert "policy.ipr_protection" in message
    assert "1.4" in message and "maximum 1" in message


def test_out_of_range_plain_field():
    message = user_error(None, ["simulation.n_firms=5"])
    assert "simulation.n_firms = 5" in message and "greater than or equal to 10" in message
    message = user_error(None, ["policy.matching_service.conversion=2"])
    assert "policy.matching_service.conversion = 2" in message and "less than or equal to 1" \
        in message


def test_units_elasticity_out_of_range_is_one_line_exit_2(tmp_path):
    result = invoke("run", str(BASELINE), "--set", "behaviour.division_elasticity=2",
                    "--out", str(tmp_path / "run"))
    assert_one_line_error(result, "behaviour.division_elasticity = 2", "less than or equal to 1")


def test_export_fields_have_defaults_and_checked_ranges():
    ex = Scenario().exports
    assert ex.elasticity > 1 and ex.entry_cost > 0 and ex.market_cost > 0
    assert 0 <= ex.information_relief <= 1
    for name, field in type(ex).model_fields.items():
        assert field.description, name
    message = user_error(BASELINE, ["exports.market_cst=0.2"])
    assert "exports.market_cst: unknown key" in message and "market_cost" in message
    message = user_error(None, ["exports.elasticity=0.5"])
    assert "exports.elasticity = 0.5" in message and "greater than 1" in message
    message = user_error(None, ["policy.export_information=2"])
    assert "policy.export_information = 2" in message and "maximum 1" in message


def test_wrong_type():
    message = user_error(None, ["simulation.n_firms=many"])
    assert "simulation.n_firms = 'many'" in message and "integer" in message


def test_bad_literal():
    message = user_error(None, ['sectors.pharma.group="agriculture"'])
    assert "sectors.pharma.group = 'agriculture'" in message
    assert "manufacturing" in message and "services" in message


def test_end_year_before_start_year(tmp_path):
    path = write(tmp_path, "s.toml", "[simulation]\nstart_year = 1995\nend_year = 1990\n")
    message = user_error(path)
    assert "simulation.end_year (1990)" in message
    assert "simulation.start_year (1995)" in message and ">=" in message


def test_end_year_before_start_year_from_set():
    message = user_error(BASELINE, ["simulation.end_year=1980"])
    assert "simulation.end_year (1980)" in message and "start_year (1988)" in message


def test_unknown_sector_in_mix():
    message = user_error(None, ["population.sector_mix.mining=1"])
    assert "population.sector_mix.mining" in message and "software" in message


def test_set_without_equals():
    message = user_error(None, ["policy.trade_openness"])
    assert "policy.trade_openness" in message and "KEY=VALUE" in message


def test_several_errors_are_reported_on_one_line():
    message = user_error(None, ["policy.trade_openness=2", "policy.safety_net=3"])
    assert "more error" in message


def test_term_bounds_are_checked():
    message = user_error(None, ["behaviour.term_years_min=5", "behaviour.term_years_max=3"])
    assert "term_years_max" in message and "term_years_min" in message


def test_empty_time_path_table_is_an_error():
    message = user_error(BASELINE, ["policy.trade_openness={}"])
    assert "policy.trade_openness" in message


def test_missing_required_field_names_the_field_not_its_parent():
    message = user_error(None, ['sectors.biotech.group="services"'])
    assert "sectors.biotech.rnd_cost" in message and "required" in message.lower()
    assert '"group"' not in message  # the parent table is not the missing field's value


def test_a_mix_table_replaces_the_default_mix_whole():
    scenario = load_scenario(None, ["population.sector_mix={pharma = 1.0}"])
    assert scenario.population.sector_mix == {"pharma": 1.0}
