"""One economy at any sample size: invariance, census scale, the press observer, counts."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE, assert_one_line_error, formed, invoke, run_model

from restructuring_sim import load_scenario
from restructuring_sim.mechanisms import acquisitions, demography
from restructuring_sim.model import RestructuringModel
from restructuring_sim.observer import PressObserver
from restructuring_sim.paper import trends
from restructuring_sim.paper.counts import (
    best_single_run_chance,
    count_table,
    implied_census_firms,
    single_runs,
)
from restructuring_sim.paper.ensemble import run_ensemble, run_one
from restructuring_sim.paper.figures import load_figures
from restructuring_sim.world import SIZE_CLASSES


def _alliance_statistics(data: dict, seed: int) -> dict[str, float]:
    """Counts behind a few shares and per-firm rates of one run (every deal, reported or not)."""
    events, _ = run_one(data, seed)
    made = formed(events)
    cross = made.loc[made["cross_border"].astype(bool)]
    sme = cross.loc[cross["involves_sme"].astype(bool)]
    parts = sme.explode("size_classes")
    parts = parts.loc[parts["size_classes"].isin(["small", "medium"])]
    return dict(alliances=len(made), cross=len(cross), sme=len(sme), participations=len(parts),
                services=int((parts["sector_group"] == "services").sum()),
                small=int((parts["size_classes"] == "small").sum()),
                acquisitions=int((events["kind"] == "acquisition").sum()))


@cache
def _pooled(n_firms: int, replicates: int) -> pd.Series:
    scenario = load_scenario(BASELINE, [f"simulation.n_firms={n_firms}"])
    rows = run_ensemble(scenario, replicates, workers=1, task=_alliance_statistics)
    return pd.DataFrame(rows).sum() / (n_firms * replicates)  # per firm of the sample


def test_shares_and_per_firm_rates_do_not_depend_on_the_sample_size():
    """Eight runs of 10,000 firms against four of 40,000: the same economy, sampled. Partner and
    buyer draws take each draw's size class from the economy's size law
    (``search.class_draws``), so a small sample's SMEs do not draw more of the searches.
    """
    small, large = _pooled(10_000, 8), _pooled(40_000, 4)
    assert small["sme"] * 10_000 * 8 > 500 and large["sme"] * 40_000 * 4 > 500
    for top, bottom, tolerance in (("sme", "cross", 0.05), ("services", "participations", 0.1)):
        assert small[top] / small[bottom] == pytest.approx(large[top] / large[bottom],
                                                           abs=tolerance), top
    for rate in ("alliances", "cross", "sme", "acquisitions"):
        assert small[rate] == pytest.approx(large[rate], rel=0.2), rate


def test_small_firms_share_of_sme_alliances_does_not_depend_on_the_sample_size():
    small, large = _pooled(10_000, 8), _pooled(40_000, 4)
    assert small["small"] / small["participations"] == pytest.approx(
        large["small"] / large["participations"], abs=0.05)


def _market_and_exit_rates(n_firms: int, seeds: list[int]) -> dict[str, float]:
    """Per active firm and year, pooled over ``seeds``: market losses (the year's sales per
    employee fell against the market's), exits after losses (demography's rule) and closures of
    retiring owners' firms that found no buyer (acquisitions' succession rule)."""
    tally = dict(firm_years=0, market_losses=0, loss_exits=0, closures=0)
    outcomes, exits, step = demography.market.outcomes, demography.exits, acquisitions.step

    def counted_outcomes(model, cond):
        margin, change = outcomes(model, cond)
        tally["firm_years"] += int(model.firms.active.sum())
        tally["market_losses"] += int((model.firms.active & (margin < 0.0)).sum())
        return margin, change

    def counted_exits(model, cond):
        k = exits(model, cond)
        tally["loss_exits"] += k
        return k

    def counted_step(model, cond, divested=None):
        counts = step(model, cond, divested)
        tally["closures"] += counts["closed"]
        return counts

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(demography.market, "outcomes", counted_outcomes)
        mp.setattr(demography, "exits", counted_exits)
        mp.setattr(acquisitions, "step", counted_step)
        for seed in seeds:
            scenario = load_scenario(BASELINE, [f"simulation.n_firms={n_firms}"])
            RestructuringModel(scenario, seed=seed).run()
    years = tally.pop("firm_years")
    return {k: v / years for k, v in tally.items()}


@cache
def _small_and_large() -> tuple[dict[str, float], dict[str, float]]:
    # exits come in waves of a market's bad years, so a few runs are not enough: five runs of
    # 2,000 firms and three of 20,000 gave 0.0165 and 0.0127 exits after losses per firm-year
    return (_market_and_exit_rates(2_000, list(range(1, 31))),
            _market_and_exit_rates(20_000, list(range(1, 7))))


def test_market_losses_do_not_depend_on_the_sample_size():
    """2,000 firms (thirty runs, a median five firms per country and sector, some markets
    empty) against 20,000 (six runs, about 120 per market): the product markets are the
    economy's (demand and index are design-weighted sums, margins follow a firm's sales against
    its market's), so a firm's chance to lose sales against its market is the same.

    Measured on the baseline (round 8): 0.104 and 0.106 market losses per firm and year. Before
    a large firm's alliances taught it by the share of the unit that runs them, the largest
    firms of a larger sample learned faster and their markets' other firms lost more often
    (0.117 against 0.145).
    """
    small, large = _small_and_large()
    assert small["market_losses"] == pytest.approx(large["market_losses"], rel=0.05)


def test_loss_exits_do_not_depend_on_the_sample_size():
    """Exits after losses per firm-year, 10,000 firms (eight runs) against 100,000 (two).

    Measured on the round-13 baseline: 0.0152 at 10,000 firms, 0.0131 to 0.0146 at 20,000
    (two seed sets), 0.0140 at 100,000 and at 200,000. Below 10,000 firms the rate rises (0.0160
    at 5,000, 0.0170 at 2,000): small firms' insolvencies, 0.0083 per firm-year at 2,000 against
    0.0062 at 20,000 and 100,000 (exits after years of losses are the same), as a market of a
    few firms swings more. Round 8 measured 0.0148 and 0.0137 at 2,000 and 20,000.
    """
    small = _market_and_exit_rates(10_000, list(range(1, 9)))
    large = _market_and_exit_rates(100_000, [1, 2])
    assert small["loss_exits"] == pytest.approx(large["loss_exits"], rel=0.15)


def test_retiring_owners_find_buyers_at_any_sample_size():
    """Buyers are drawn from the seller's sector anywhere (by size class and visibility), not
    within its country-sector market of the sample, which a small sample leaves thin: measured
    on the baseline (round 8), 7.0 and 6.2 closures for want of a buyer per thousand firm-years
    at 2,000 and 20,000 firms (3.0 against 1.4 before buyers came from the whole sector)."""
    small, large = _small_and_large()
    assert small["closures"] == pytest.approx(large["closures"], rel=0.3)


def test_census_scale_sets_the_sample_to_the_economy():
    scenario = load_scenario(BASELINE, ["simulation.scale=census",
                                        "simulation.census_firms=12345"])
    assert scenario.simulation.n_firms == 12345
    assert scenario.simulation.sampling_fraction == 1.0
    sample = load_scenario(BASELINE, ["simulation.n_firms=1000", "simulation.census_firms=4000"])
    assert sample.simulation.sampling_fraction == 0.25


def test_an_unknown_scale_is_one_line(tmp_path):
    result = invoke("run", BASELINE, "--out", tmp_path / "r", "--set", "simulation.scale=galaxy")
    assert_one_line_error(result, "simulation.scale", "galaxy", "'sample' or 'census'")


def test_visibility_with_no_finite_mean_is_refused(tmp_path):
    result = invoke("run", BASELINE, "--out", tmp_path / "r", "--set",
                    "behaviour.visibility_elasticity=1.2")
    assert_one_line_error(result, "behaviour.visibility_elasticity (1.2)",
                          "population.large_tail_index (1.06)")


def test_the_observer_reports_large_firms_deals_more_often_and_never_closures():
    model = run_model(n_firms=3000, seed=3)
    events = model.events.to_pandas()
    assert events["reported"].dtype == bool
    closed = events["kind"].isin(["alliance_dissolved", "supply_contract_ended",
                                  "firm_entered", "firm_exited"])
    assert closed.any() and not events.loc[closed, "reported"].any()
    made = formed(events)
    large = made["size_classes"].map(lambda s: list(s).count("large"))
    both, fewer = made.loc[large == 2, "reported"], made.loc[large < 2, "reported"]
    assert len(both) > 20 and len(fewer) > 20
    # every participant must be named: a deal with an SME is reported far less often
    assert both.mean() > 2 * fewer.mean()
    # reading the log twice gives the same column
    assert model.events.to_pandas()["reported"].equals(events["reported"])


def test_observer_chance_combines_participants():
    observer = PressObserver((0.1, 0.3, 0.7), {"JP": 0.4}, seed=1)
    small, large = SIZE_CLASSES.index("small"), SIZE_CLASSES.index("large")
    p = observer.chance(np.array([large, small]), np.array([1.0, 0.4]),
                        np.array([large, -1]), np.array([0.4, 0.0]))
    assert p == pytest.approx([0.7 * 0.28, 0.04])


def test_more_press_coverage_reports_more_deals_and_leaves_the_deals_alone():
    low = run_model(["observer.small_coverage=0.0", "observer.medium_coverage=0.0"],
                    n_firms=1000, seed=2).events.to_pandas()
    high = run_model(["observer.small_coverage=1.0", "observer.medium_coverage=1.0"],
                     n_firms=1000, seed=2).events.to_pandas()
    same = [c for c in low.columns
            if c not in ("reported", "value_disclosed", "named_at_home", "run_id")]
    pd.testing.assert_frame_equal(low[same], high[same])
    with_sme = formed(low)["size_classes"].map(lambda s: list(s) != ["large", "large"])
    assert with_sme.any()
    assert not formed(low).loc[with_sme, "reported"].any()
    assert formed(high)["reported"].mean() > formed(low)["reported"].mean()


def test_the_sme_coverage_scale_multiplies_both_sme_coverages_up_to_one():
    """observer.sme_coverage_scale is the two SME coverages multiplied (each capped at 1):
    the same reports as the products written out, the same deals, and fewer SME deals
    reported at a lower scale."""
    scaled = run_model(["observer.sme_coverage_scale=0.5"], n_firms=1000, seed=2)
    written = run_model(["observer.small_coverage=0.05", "observer.medium_coverage=0.15"],
                        n_firms=1000, seed=2)
    events = scaled.events.to_pandas().drop(columns="run_id")
    pd.testing.assert_frame_equal(events, written.events.to_pandas().drop(columns="run_id"))
    capped = PressObserver.from_scenario(
        load_scenario(None, ["observer.sme_coverage_scale=5"]), np.random.default_rng(0))
    assert capped.size_coverage.tolist() == [0.5, 1.0, 0.9]
    base = formed(run_model(n_firms=1000, seed=2).events.to_pandas())
    low = formed(events)
    with_sme = low["size_classes"].map(lambda s: list(s) != ["large", "large"])
    assert low.loc[with_sme, "reported"].sum() < base.loc[with_sme, "reported"].sum()


def test_acquisitions_are_the_acquirers_announcements_and_small_prices_stay_unknown():
    """An acquisition is reported with its acquirer's chance alone; its price is disclosed
    with the target's size-class coverage (never for other events)."""
    observer = PressObserver((0.0, 0.5, 1.0), {}, seed=3)
    kinds = ["alliance_formed", "acquisition", "supply_contract_signed"]
    n = 4000
    small, large = 0, 2
    kind = np.tile([0, 1], n // 2)
    reported, disclosed = observer.observe(kind, kinds, np.full(n, large), np.zeros(n, int),
                                           np.full(n, small), np.zeros(n, int), ["US"])
    assert not reported[kind == 0].any()  # an alliance needs its small partner named
    assert reported[kind == 1].all()  # the large acquirer announces the deal
    assert not disclosed.any()  # a small target's price is never material here
    _, disclosed = observer.observe(kind, kinds, np.full(n, large), np.zeros(n, int),
                                    np.full(n, 1), np.zeros(n, int), ["US"])
    assert not disclosed[kind == 0].any()
    assert disclosed[kind == 1].mean() == pytest.approx(0.5, abs=0.05)


def test_home_press_names_firms_by_size_class_whatever_their_partner():
    """``named_at_home``: each participant of an announced deal is named by its own country's
    press with its size class's coverage, whatever its partner (the foreign partner need not be
    named), never for events that are not announced deals; reporting draws are left alone."""
    observer = PressObserver((0.1, 0.5, 1.0), {"JP": 0.2}, seed=3)
    kinds = ["alliance_formed", "alliance_dissolved", "acquisition", "supply_contract_signed"]
    n = 8000
    kind = np.tile([0, 1], n // 2)
    small, medium, large = 0, 1, 2
    named = observer.named_at_home(kind, kinds, np.full(n, large), np.full(n, small))
    announced = kind == 0
    assert named[announced, 0].all() and not named[~announced].any()
    assert named[announced, 1].mean() == pytest.approx(0.1, abs=0.02)
    named = observer.named_at_home(kind, kinds, np.full(n, medium), np.full(n, -1))
    assert named[announced, 0].mean() == pytest.approx(0.5, abs=0.03)
    assert not named[:, 1].any()  # no second participant
    before = observer.observe(kind, kinds, np.full(n, large), np.zeros(n, int),
                              np.full(n, small), np.zeros(n, int), ["JP"])
    observer.named_at_home(kind, kinds, np.full(n, large), np.full(n, small))
    after = observer.observe(kind, kinds, np.full(n, large), np.zeros(n, int),
                             np.full(n, small), np.zeros(n, int), ["JP"])
    assert all((b == a).all() for b, a in zip(before, after, strict=True))


def test_home_press_coverage_scales_only_the_home_naming():
    """``observer.home_press_coverage`` multiplies the chance that the home press names a
    participant (how complete a national count is), and leaves the database's reporting and the
    run's other draws as they were."""
    kinds = ["alliance_formed", "alliance_dissolved", "acquisition", "supply_contract_signed"]
    n = 8000
    kind = np.zeros(n, dtype=int)
    large, small = 2, 0
    full = PressObserver((0.1, 0.5, 0.8), {"JP": 0.7}, seed=3)
    half = PressObserver((0.1, 0.5, 0.8), {"JP": 0.7}, seed=3, home_coverage=0.5)
    named_full = full.named_at_home(kind, kinds, np.full(n, large), np.full(n, small))
    named_half = half.named_at_home(kind, kinds, np.full(n, large), np.full(n, small))
    assert named_full[:, 0].mean() == pytest.approx(0.8, abs=0.02)
    assert named_half[:, 0].mean() == pytest.approx(0.4, abs=0.02)
    assert not (named_half & ~named_full).any()  # the same draws, a lower threshold
    args = (kind, kinds, np.full(n, large), np.zeros(n, int), np.full(n, small),
            np.zeros(n, int), ["JP"])
    assert all((a == b).all() for a, b in zip(full.observe(*args), half.observe(*args),
                                               strict=True))
    scenario = load_scenario(None, ["observer.home_press_coverage=0.6"])
    observer = PressObserver.from_scenario(scenario, np.random.default_rng(0))
    assert observer.home_coverage == 0.6


def test_home_press_coverage_out_of_range_is_one_line(tmp_path):
    result = invoke("run", BASELINE, "--out", tmp_path / "r", "--set",
                    "observer.home_press_coverage=1.5")
    assert_one_line_error(result, "observer.home_press_coverage", "1.5")


def test_jetro_counts_alliances_whose_japanese_participant_its_press_names():
    """JETRO's count (Japanese newspapers) holds a cross-border alliance of 1995-99 when its
    Japanese participant is named at home; the database's count, when it is reported."""
    rows = [  # (year, countries, named_at_home, reported)
        (1996, ["JP", "US"], [True, False], True),
        (1997, ["US", "JP"], [True, False], False),  # only the US firm named: not in JETRO's
        (1998, ["JP", "DE"], [True, True], False),
        (1999, ["US", "DE"], [True, True], True),  # no Japanese firm
        (2000, ["JP", "US"], [True, True], True),  # outside 1995-99
    ]
    events = pd.DataFrame([dict(kind="alliance_formed", cross_border=True, year=y, countries=c,
                                named_at_home=n, reported=r) for y, c, n, r in rows])
    assert trends.japan_reported_counts(events, (1995, 1999)) == (1, 2)
    assert trends.japan_reported_counts(events.drop(columns="named_at_home"),
                                        (1995, 1999)) == (1, 3)


def test_count_table_scales_samples_and_passes_within_15_percent():
    fig = load_figures()
    runs = [{"all_cross_border_alliances_decade": 420.0, "sme_alliances_late": 13.5,
             "sme_acquisitions_decade": 3.0}]
    table = count_table(runs, [0.01], fig).set_index("name")
    assert table.loc["all_cross_border_alliances_decade", "model_mean"] == pytest.approx(42_000)
    assert table.loc["all_cross_border_alliances_decade", "pass"]
    assert table.loc["sme_alliances_late", "pass"]          # 1,350: "more than 1,300"
    assert not table.loc["sme_acquisitions_decade", "pass"]  # 300: "at least 340"
    assert implied_census_firms(runs * 2, [1000, 1000], fig) == pytest.approx(100_000)


def test_single_runs_count_the_moments_and_counts_each_run_puts_within_tolerance():
    """A run alone: its own moments and its counts scaled by its sampling fraction; every one
    within tolerance only where all are."""
    fig = load_figures()
    names = list(fig.moment)
    good = {n: (fig.moment[n].value, 1.0) for n in names}
    bad = {**good, "late_share": (0.0, 1.0), "year_2000_share": (1.0, 0.0)}  # off; no deals
    counts = {n: c.value * 1.05 for n, c in fig.count.items()}  # within 15% (at_least too)
    table = single_runs([good, bad, good], [counts, counts, {**counts, "sme_alliances_decade":
                                                             100.0}], [0.5, 0.5, 0.5], fig)
    assert table["moments"].tolist() == [len(names)] * 3
    assert table["moments_within"].tolist() == [len(names), len(names) - 2, len(names)]
    scored = sum(c.scored for c in fig.count.values())
    assert table["counts"].tolist() == [scored] * 3
    # counts are scaled by the sampling fraction: twice the paper's at 0.5, all outside
    assert table["counts_within"].tolist() == [0, 0, 0]
    whole = single_runs([good], [{n: c.value * 0.525 for n, c in fig.count.items()}], [0.5],
                        fig)
    assert whole["counts_within"].tolist() == [scored] and whole["all_within"].tolist() == [True]
    assert not table["all_within"].any()


def test_the_best_single_run_chance_is_set_by_the_runs_spread_against_each_window():
    """Every mean centred in its window, one run passes a two-sided moment with chance
    ``erf(half / (sd sqrt 2))``; a window open on one side costs nothing, and the chances of
    several windows multiply."""
    fig = load_figures()
    half = fig.moment["late_share"].tol  # +/-0.05 around the paper's share
    runs = [{"late_share": (v, 100.0), "sme_only_share": (v / 10, 100.0)}
            for v in (50.0, 54.0, 58.0)]  # sd 0.04; sme_only_share has only an upper bound
    one = best_single_run_chance(runs, [{}] * 3, [1.0] * 3, with_counts=False, figures=fig)
    assert one == pytest.approx(math.erf(half / (0.04 * math.sqrt(2))))
    wider = [{"late_share": (v, 100.0)} for v in (46.0, 54.0, 62.0)]  # sd 0.08: lower
    assert best_single_run_chance(wider, [{}] * 3, [1.0] * 3, False, fig) < one
    # a count: the paper's 450 in 2000 passes within 15%, runs spread by 30 (sd)
    counts = [{"sme_alliances_2000": c} for c in (420.0, 450.0, 480.0)]
    both = best_single_run_chance(runs, counts, [1.0] * 3, True, fig)
    assert both == pytest.approx(one * math.erf(0.15 * 450 / (30 * math.sqrt(2))))
    assert math.isnan(best_single_run_chance(runs[:1], [{}], [1.0], False, fig))


def test_validate_reports_single_runs(tmp_path):
    out = tmp_path / "v"
    result = invoke("validate", BASELINE, "-n", "2", "--set", "simulation.n_firms=300",
                    "--set", "simulation.end_year=1992", "--out", out, "-q")
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(out / "single_runs.csv")
    assert list(table.columns) == ["replicate", "moments_within", "moments", "counts_within",
                                   "counts", "all_within"]
    assert len(table) == 2 and "single runs:" in result.stdout and "at best" in result.stdout


@pytest.mark.parametrize(("setting", "field", "allowed"), [
    ("acquisitions.max_relative_size=-1", "acquisitions.max_relative_size = -1",
     "greater than 0"),
    ("behaviour.trust_discount=2", "behaviour.trust_discount = 2", "less than or equal to 1"),
    ("demography.growth_noise_elasticity=-0.5", "demography.growth_noise_elasticity = -0.5",
     "greater than or equal to 0"),
])
def test_new_parameters_refuse_bad_values_in_one_line(tmp_path, setting, field, allowed):
    result = invoke("run", BASELINE, "--out", tmp_path / "r", "--set", setting)
    assert_one_line_error(result, field, allowed)
