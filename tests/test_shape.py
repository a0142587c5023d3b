"""The paper's statements about the decade's shape, on hand-built event logs."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from test_paper import A, frame, row

from restructuring_sim.events import ACQUISITION_MOTIVES
from restructuring_sim.paper import shape, trends


def grow_then_lead(services_from: int) -> pd.DataFrame:
    """One manufacturing deal a year before ``services_from``, then two services deals a year;
    one of the services deals of 2000 pairs SMEs only."""
    rows = []
    for year in range(1990, 2001):
        if year < services_from:
            rows.append(row(A, year, ["large", "small"], ["US", "DE"], "manufacturing",
                            "automotive"))
        else:
            rows.append(row(A, year, ["large", "medium"], ["US", "JP"]))
            rows.append(row(A, year, ["large", "small"], ["DE", "JP"]))
    rows.append(row(A, 2000, ["small", "medium"], ["US", "DE"]))
    rows.append(row(A, 1999, ["large", "small"], ["US", "US"]))  # domestic: not counted
    return frame(rows)


def test_yearly_counts_deals_participations_and_large_partners():
    table = shape.yearly(grow_then_lead(1995))
    assert list(table.index) == list(range(1990, 2001))
    assert table.loc[1994].tolist() == [1, 1, 1, 1, 0]
    assert table.loc[1999].tolist() == [2, 2, 2, 0, 2]
    # 2000: three deals, two with a large firm (who comes first); SME participations 1 + 1 + 2
    # in services
    assert table.loc[2000].tolist() == [3, 2, 2, 0, 4]


def test_trend_is_the_least_squares_slope_over_the_mean():
    counts = pd.Series([1, 2, 3, 4, 5], index=range(1990, 1995))
    assert shape.trend_per_year(counts) == pytest.approx(1 / 3)
    assert shape.trend_per_year(counts[::-1].set_axis(counts.index)) == pytest.approx(-1 / 3)
    assert math.isnan(shape.trend_per_year(pd.Series([0, 0], index=[1990, 1991])))


def test_lead_year_is_where_services_stay_ahead():
    years = range(1990, 1996)
    manufacturing = pd.Series([3, 3, 1, 3, 1, 1], index=years)
    services = pd.Series([1, 1, 2, 2, 2, 2], index=years)
    assert shape.lead_from(manufacturing, services) == 1994  # 1992's lead did not last
    assert math.isnan(shape.lead_from(services, manufacturing))  # trailing at the end
    assert shape.lead_from(manufacturing * 0, services) == 1990


@pytest.mark.parametrize(("services_from", "passes"), [(1995, True), (1993, True),
                                                       (1998, False), (1991, False)])
def test_checks_pool_replicates_and_judge_each_statement(services_from, passes):
    yearly = shape.yearly(grow_then_lead(services_from))
    table = shape.check([yearly, yearly])
    assert list(table.columns) == shape.COLUMNS
    checks = table.set_index("name")
    assert checks.loc["services_lead_from", "model"] == services_from
    assert checks.loc["services_lead_from", "pass"] == passes
    assert checks.loc["sme_alliances_rise", "model"] > 0  # one deal a year, then two
    assert checks.loc["sme_alliances_rise", "pass"]
    deals = 2 * (services_from - 1990) + 2 * 2 * (2001 - services_from) + 2
    assert checks.loc["sme_deals_with_a_large_firm", "model"] == pytest.approx(
        (deals - 2) / deals)
    assert checks.loc["large_firms_start", "model"] == pytest.approx((deals - 2) / deals)
    assert checks.loc["large_firms_start", "pass"]


def test_large_firms_start_counts_the_first_firm_only():
    rows = [row(A, year, ["small", "large"], ["US", "DE"]) for year in range(1990, 2001)]
    rows += [row(A, year, ["large", "medium"], ["US", "DE"]) for year in (1995, 1996)]
    table = shape.check([shape.yearly(frame(rows))]).set_index("name")
    assert table.loc["large_firms_start", "model"] == pytest.approx(2 / 13)
    assert not table.loc["large_firms_start", "pass"]
    assert table.loc["sme_deals_with_a_large_firm", "model"] == 1.0


def test_a_falling_series_fails_the_rise():
    rows = [row(A, year, ["large", "small"], ["US", "DE"]) for year in range(1990, 1995)
            for _ in range(1995 - year)]
    table = shape.check([shape.yearly(frame(rows))]).set_index("name")
    assert table.loc["sme_alliances_rise", "model"] < 0
    assert not table.loc["sme_alliances_rise", "pass"]
    assert not table.loc["services_lead_from", "pass"]  # services lead from 1990: too early


def bought(year, target, motive, countries=("US", "DE"), reported=True) -> dict:
    """A cross-border acquisition of a ``target``-sized firm by a large one."""
    return {**row("acquisition", year, ["large", target], list(countries)), "motive": motive,
            "reported": reported}


def test_tallies_count_sectors_halves_regions_and_motives():
    rows = [{**row(A, 1992, ["large", "small"], ["US", "DE"], sector="automotive"),
             "reported": True}]
    rows += [{**row(A, year, ["large", "medium", "small"], ["US", "DE", "JP"],
                    sector="software"), "reported": True} for year in (1996, 1999)]
    rows += [{**row(A, 1997, ["large", "small"], ["DE", "JP"], sector="pharma"),
              "reported": False}]  # not in the database
    rows += [bought(1995, "large", "market"), bought(1996, "large", "technology"),
             bought(1996, "large", "market"), bought(1997, "small", "distress"),
             bought(1998, "medium", "technology"), bought(1999, "small", "succession"),
             bought(1999, "small", "technology", countries=("US", "US")),  # domestic
             bought(2001, "small", "market")]  # after the decade
    t = shape.tallies(trends.reported(frame(rows)))
    assert t[["leading_early", "leading_late", "other_early", "other_late"]].tolist() == [
        0, 2, 1, 0]
    # SME participations: the automotive deal's small German firm and the German and Japanese
    # SMEs of each software deal; the US firms are the large ones
    assert t["sme_participations"] == 5
    assert t["north_american_participations"] == 0
    assert t["large_target_market"] == 2 and t["large_target_technology"] == 1
    assert t["sme_target_technology"] == 1 and t["sme_target_succession"] == 1
    assert t["sme_target_distress"] == 1 and t["sme_target_market"] == 0
    # every reported cross-border deal of each half, whatever its firms' sizes
    assert t[["acquisitions_early", "acquisitions_late"]].tolist() == [0, 6]

    checks = shape.check([shape.yearly(frame(rows))], [t, t]).set_index("name")
    assert checks.loc["large_targets_for_presence", "model"] == pytest.approx(2 / 3)
    assert checks.loc["large_targets_for_presence", "pass"]
    assert checks.loc["sme_targets_for_technology", "model"] == pytest.approx(2 / 3)
    assert checks.loc["sme_targets_for_technology", "pass"]
    assert checks.loc["north_american_smes_lead", "model"] == 0
    assert not checks.loc["north_american_smes_lead", "pass"]
    # the other sectors fell to nothing while the leading ones rose from nothing
    assert math.isnan(checks.loc["growth_led_by_ict_and_pharma", "model"])
    assert not checks.loc["growth_led_by_ict_and_pharma", "pass"]
    assert math.isnan(checks.loc["cross_border_acquisitions_rise", "model"])  # none before
    assert not checks.loc["cross_border_acquisitions_rise", "pass"]


def test_growth_led_compares_yearly_rates_of_the_two_halves():
    t = pd.Series({"leading_early": 5, "leading_late": 12, "other_early": 10, "other_late": 12,
                   "sme_participations": 4, "north_american_participations": 3,
                   "acquisitions_early": 10, "acquisitions_late": 6,
                   **{f"{size}_target_{m}": 0 for size in ("large", "sme")
                      for m in ACQUISITION_MOTIVES}}, dtype=float)
    t["large_target_technology"] = 2  # more technology than market: fails
    t["large_target_market"] = 1
    checks = shape.check([shape.yearly(grow_then_lead(1995))], [t]).set_index("name")
    # leading: 1 a year, then 2; the others: 2 a year, then 2
    assert checks.loc["growth_led_by_ict_and_pharma", "model"] == pytest.approx(2.0)
    assert checks.loc["growth_led_by_ict_and_pharma", "pass"]
    assert checks.loc["north_american_smes_lead", "model"] == pytest.approx(0.75)
    assert checks.loc["north_american_smes_lead", "pass"]
    assert not checks.loc["large_targets_for_presence", "pass"]
    assert math.isnan(checks.loc["sme_targets_for_technology", "model"])  # no SME bought
    # M&As: 2 a year, then 1 (a fall fails)
    assert checks.loc["cross_border_acquisitions_rise", "model"] == pytest.approx(0.5)
    assert not checks.loc["cross_border_acquisitions_rise", "pass"]
    t["acquisitions_late"] = 18  # 3 a year: a rise passes
    rise = shape.check([shape.yearly(grow_then_lead(1995))], [t]).set_index("name")
    assert rise.loc["cross_border_acquisitions_rise", "model"] == pytest.approx(1.5)
    assert rise.loc["cross_border_acquisitions_rise", "pass"]


def test_sector_statements_rank_the_sectors():
    table = pd.DataFrame({
        "licensing_share": [0.7, 0.6, 0.1, 0.2, 0.0],
        "joint_venture_share": [0.0, 0.0, 0.3, 0.4, 0.1],
        "marketing_share": [0.5, 0.2, 0.5, 0.9, 0.8],
    }, index=["software", "pharma", "telecom", "finance", "wholesale"])
    checks = shape.check([shape.yearly(grow_then_lead(1995))], sectors=table).set_index("name")
    assert checks.loc["licensing_in_software_and_pharma", "model"] == pytest.approx(0.6)
    assert checks.loc["licensing_in_software_and_pharma", "pass"]
    assert checks.loc["joint_ventures_in_telecom_and_finance", "pass"]
    assert checks.loc["wholesale_for_marketing", "model"] == pytest.approx(0.8)
    assert checks.loc["wholesale_for_marketing", "pass"]
    table.loc["wholesale", "joint_venture_share"] = 0.35  # above telecom's
    table.loc["wholesale", "marketing_share"] = 0.4
    checks = shape.check([shape.yearly(grow_then_lead(1995))], sectors=table).set_index("name")
    assert not checks.loc["joint_ventures_in_telecom_and_finance", "pass"]
    assert not checks.loc["wholesale_for_marketing", "pass"]
    assert "growth_led_by_ict_and_pharma" not in checks.index  # no tallies given


def test_milestones_read_the_scenarios_sectors():
    sectors = {"automotive": {"standard_year": 1991, "deregulation_year": None},
               "telecom": {"standard_year": None, "deregulation_year": 1998},
               "software": {}}
    assert shape.milestones(sectors) == {"standard": {"automotive": 1991},
                                         "deregulation": {"telecom": 1998}}
    assert shape.milestones(None) == {}


def milestone_log(cycle_after: int = 1, jv_before: bool = False) -> pd.DataFrame:
    """Alliances around the milestones: automotive (standard 1991) three a year before it and
    ``cycle_after`` a year from it on; software one a year; telecom (deregulated 1998) two deals
    before and two from it on, one a joint venture (before it if ``jv_before``); wholesale two
    deals in each half of the decade, one early and both late listing two purposes."""
    def deal(year, sector, purposes=("marketing",), joint=False):
        return {**row(A, year, ["large", "small"], ["US", "DE"], sector=sector,
                      purposes=purposes), "joint_venture": joint, "reported": True}

    rows = [deal(y, "automotive") for y in (1988, 1989, 1990) for _ in range(3)]
    rows += [deal(y, "automotive") for y in range(1991, 2001) for _ in range(cycle_after)]
    rows += [deal(y, "software") for y in range(1988, 2001)]
    rows += [deal(1993, "telecom", joint=jv_before), deal(1995, "telecom"),
             deal(1998, "telecom", joint=not jv_before), deal(1999, "telecom")]
    rows += [deal(1990, "wholesale"), deal(1992, "wholesale", ("marketing", "rnd")),
             deal(1996, "wholesale", ("marketing", "rnd")),
             deal(1999, "wholesale", ("marketing", "licensing"))]
    return frame(rows)


def test_milestone_statements_compare_before_and_after():
    years = {"standard": {"automotive": 1991}, "deregulation": {"telecom": 1998}}
    log = milestone_log()
    t = shape.tallies(log, sector_years=years)
    # the rest (no standard): software 3 + 10, telecom 0 + 4, wholesale 1 + 3
    assert t[["cycle_automotive_before", "cycle_automotive_after",
              "cycle_automotive_rest_before", "cycle_automotive_rest_after"]].tolist() == [
        9, 10, 4, 17]
    assert t[["deregulation_telecom_before", "deregulation_telecom_jv_before",
              "deregulation_telecom_after", "deregulation_telecom_jv_after"]].tolist() == [
        2, 0, 2, 1]
    assert t[["wholesale_early", "wholesale_multi_early", "wholesale_late",
              "wholesale_multi_late"]].tolist() == [2, 1, 2, 2]
    checks = shape.check([shape.yearly(log)], [t, t]).set_index("name")
    assert checks.loc["alliance_cycle", "model"] == pytest.approx((10 / 9) / (17 / 4))
    assert checks.loc["alliance_cycle", "pass"]
    assert checks.loc["joint_ventures_follow_deregulation", "model"] == pytest.approx(0.5)
    assert checks.loc["joint_ventures_follow_deregulation", "pass"]
    assert checks.loc["wholesale_folds_into_multi_purpose_deals", "model"] == pytest.approx(0.5)
    assert checks.loc["wholesale_folds_into_multi_purpose_deals", "pass"]


def test_milestone_statements_fail_the_other_way_and_need_the_sectors():
    years = {"standard": {"automotive": 1991}, "deregulation": {"telecom": 1998}}
    log = milestone_log(cycle_after=5, jv_before=True)
    checks = shape.check([shape.yearly(log)],
                         [shape.tallies(log, sector_years=years)]).set_index("name")
    assert checks.loc["alliance_cycle", "model"] == pytest.approx((50 / 9) / (17 / 4))
    assert not checks.loc["alliance_cycle", "pass"]
    assert checks.loc["joint_ventures_follow_deregulation", "model"] == pytest.approx(-0.5)
    assert not checks.loc["joint_ventures_follow_deregulation", "pass"]
    # without the scenario's sectors only the wholesale statement can be judged
    checks = shape.check([shape.yearly(log)], [shape.tallies(log)]).set_index("name")
    assert "alliance_cycle" not in checks.index
    assert "joint_ventures_follow_deregulation" not in checks.index
    assert "wholesale_folds_into_multi_purpose_deals" in checks.index


@pytest.mark.parametrize("width", [80, 110])
def test_the_printed_table_keeps_every_verdict_whole(width):
    """In a narrow terminal the statements wrap; the values and verdicts are never cut."""
    from rich.console import Console

    from restructuring_sim.paper.validate import render_shape

    log = milestone_log()
    years = {"standard": {"automotive": 1991}, "deregulation": {"telecom": 1998}}
    table = shape.check([shape.yearly(log)], [shape.tallies(log, sector_years=years)])
    console = Console(width=width, record=True)
    console.print(render_shape(table))
    text = console.export_text()
    assert "…" not in text
    verdicts = [line.split()[-1] for line in text.splitlines()
                if line.rstrip().endswith(("pass", "FAIL"))]
    assert len(verdicts) == len(table)
    assert verdicts.count("pass") == int(table["pass"].sum())
