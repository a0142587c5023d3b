"""The paper's figures as data, and the event log in the paper's categories.

Aggregations are checked on small hand-built event logs whose answers are counted by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from restructuring_sim.events import SCHEMA
from restructuring_sim.paper import compare, load_figures, replicate_moments, trends
from restructuring_sim.paper.figures import CENSUS_ANCHOR, parse_figures
from restructuring_sim.paper.moments import COLUMNS, ensemble_value, summarise

_COUNTRY = {"US": "north_america", "DE": "western_europe", "JP": "japan"}


def row(kind: str, year: int, sizes, countries, group="services", sector="software",
        purposes=(), channel="direct", firm_ids=None, deal_id=0, value=math.nan) -> dict:
    """One event with derived cross_border and involves_sme, as EventLog.record makes it."""
    return dict(
        run_id="t", seed=0, step=(year - 1988) * 4, year=year, quarter=1, kind=kind,
        deal_id=deal_id, firm_ids=list(firm_ids or range(len(sizes))),
        size_classes=list(sizes), countries=list(countries),
        regions=[_COUNTRY[c] for c in countries], sector=sector, sector_group=group,
        purposes=list(purposes), joint_venture=False, equity=False,
        cross_border=len(set(countries)) > 1,
        involves_sme=any(s in ("small", "medium") for s in sizes), motive="", channel=channel,
        value=value, named_at_home=[True] * len(sizes),
    )


def frame(rows: list[dict]) -> pd.DataFrame:
    """An event log DataFrame with the contract's columns, in the contract's order."""
    return pd.DataFrame(rows, columns=SCHEMA.names)


A = "alliance_formed"


@pytest.fixture()
def log() -> pd.DataFrame:
    return frame([
        row(A, 1987, ["large", "small"], ["US", "DE"], "manufacturing"),  # before the series
        row(A, 1990, ["large", "small"], ["US", "DE"], "manufacturing", "automotive", ["rnd"]),
        row(A, 1993, ["medium", "medium"], ["US", "JP"], "services", "finance", ["marketing"]),
        row(A, 1996, ["large", "small", "medium"], ["US", "DE", "JP"], "services", "software",
            ["licensing", "marketing"]),
        row(A, 1996, ["large", "medium"], ["DE", "JP"], "manufacturing", "pharma", ["rnd"]),
        row(A, 2000, ["large", "small"], ["US", "JP"], "services", "computer_services",
            ["marketing"]),
        row(A, 1997, ["large", "small"], ["US", "US"]),  # domestic: not counted
        row(A, 1998, ["large", "large"], ["US", "DE"]),  # cross-border, no SME
        row("alliance_dissolved", 1999, ["large", "small"], ["US", "DE"]),
        row("acquisition", 1995, ["large", "small"], ["US", "DE"], value=1.5),
        row("acquisition", 1996, ["large", "large"], ["US", "JP"], value=400.0),
        row("acquisition", 1997, ["large", "medium"], ["US", "US"], value=2.0),  # domestic
    ])


def test_annual_counts_fill_every_year(log):
    annual = trends.annual_counts(log)
    assert list(annual.index) == list(range(1988, 2001))
    assert annual.to_dict() == {**dict.fromkeys(range(1988, 2001), 0),
                                1990: 1, 1993: 1, 1996: 2, 2000: 1}


def test_participations_count_each_sme_of_a_deal(log):
    parts = trends.participations(log)
    assert len(parts) == 8  # 1987: 1, 1990: 1, 1993: 2, 1996: 2 + 1, 2000: 1
    late = trends.by_size_and_group(log, (1995, 2000))
    assert late.loc["small"].to_dict() == {"manufacturing": 0, "services": 2}
    assert late.loc["medium"].to_dict() == {"manufacturing": 1, "services": 1}
    assert trends.by_size_class(log, (1995, 2000)).to_dict() == {"small": 2, "medium": 2}
    by_period = trends.by_group_and_period(log)
    assert by_period.loc["1990-94"].to_dict() == {"manufacturing": 1, "services": 2}
    assert by_period.loc["1995-2000"].to_dict() == {"manufacturing": 1, "services": 3}


def test_by_sector_and_purpose(log):
    sectors = trends.by_sector(log)
    assert sectors.loc["finance", "1990-94"] == 1
    assert sectors.loc["software", "1995-2000"] == 1
    assert sectors["1995-2000"].sum() == 3
    purposes = trends.by_purpose(log)
    assert purposes["1990-94"].to_dict() == {"licensing": 0, "marketing": 1, "rnd": 1}
    assert purposes["1995-2000"].to_dict() == {"licensing": 1, "marketing": 2, "rnd": 1}


def test_event_moments_by_hand(log):
    m = replicate_moments(log)
    assert m["late_share"] == pytest.approx(3 / 5)
    assert m["year_2000_share"] == pytest.approx(1 / 5)
    assert m["sme_share_of_cross_border_alliances"] == pytest.approx(5 / 6)
    assert m["services_to_manufacturing_late"] == pytest.approx(3.0)
    assert m["services_to_manufacturing_early"] == pytest.approx(2.0)
    assert m["small_to_medium_late"] == pytest.approx(1.0)
    assert m["small_manufacturing_to_services_late"] == pytest.approx(0.0)
    assert m["medium_manufacturing_to_services_late"] == pytest.approx(1.0)
    assert m["sme_only_share"] == pytest.approx(1 / 5)
    assert m["sme_acquisition_share"] == pytest.approx(1 / 2)
    assert "matching_conversion" not in m


def test_an_sme_target_is_one_priced_at_most_the_papers_capitalisation_cut():
    log = frame([
        row("acquisition", 1992, ["large", "small"], ["US", "DE"], value=2.5),
        row("acquisition", 1993, ["large", "medium"], ["US", "JP"], value=30.0),
        row("acquisition", 1994, ["large", "large"], ["US", "JP"], value=2.0),
        row("acquisition", 1996, ["large", "large"], ["US", "DE"], value=900.0),
    ])
    assert trends.sme_acquisition_counts(log) == (2, 4)
    assert trends.sme_acquisition_counts(log, capitalisation_max=None) == (2, 4)
    assert trends.sme_acquisition_counts(log, capitalisation_max=1.0) == (0, 4)


def test_the_ensemble_value_is_the_ratio_of_summed_counts():
    # per-replicate ratios 3/1 and 1/3 average 1.67; the ensemble's totals give 4/4 = 1
    per = [{"services_to_manufacturing_late": (3, 1)},
           {"services_to_manufacturing_late": (1, 3)},
           {"services_to_manufacturing_late": (2, 0)}]  # undefined alone, counted in the totals
    row_ = summarise(per).set_index("name").loc["services_to_manufacturing_late"]
    assert row_["model_mean"] == pytest.approx(6 / 4)
    spread = 3 - 1 / 3  # percentiles of the two defined ratios, linearly interpolated
    assert (row_["low"], row_["high"]) == pytest.approx((1 / 3 + 0.05 * spread,
                                                         3 - 0.05 * spread))
    assert ensemble_value([(0, 0), (0, 0)]) != ensemble_value([(0, 0)])  # NaN: no denominator


def test_empty_log_gives_undefined_moments():
    m = replicate_moments(frame([]))
    assert all(math.isnan(v) for v in m.values())


def firms_frame() -> pd.DataFrame:
    base = dict(sector_group="manufacturing", status="active", registered=False,
                revenue=10.0, cross_border_revenue_share=0.0, export_revenue=0.0,
                size_class="small")
    rows = [
        dict(base, firm_id=10, year=1995, registered=True),
        dict(base, firm_id=11, year=1999, registered=True, size_class="medium"),
        dict(base, firm_id=12, year=1999, registered=True, size_class="large"),
        dict(base, firm_id=13, year=1999),
        dict(base, firm_id=20, year=2000, cross_border_revenue_share=0.2, export_revenue=1.5),
        dict(base, firm_id=21, year=2000, cross_border_revenue_share=0.5, export_revenue=5.0),
        dict(base, firm_id=22, year=2000),
        dict(base, firm_id=23, year=2000, cross_border_revenue_share=0.2, export_revenue=2.0,
             status="exited"),
        dict(base, firm_id=24, year=2000, cross_border_revenue_share=0.1, size_class="large",
             revenue=100.0, export_revenue=6.5),
        dict(base, firm_id=25, year=2000, cross_border_revenue_share=0.3, export_revenue=3.0,
             sector_group="services"),
    ]
    return pd.DataFrame(rows)


def test_firm_moments_by_hand(log):
    events = pd.concat([log, frame([
        row(A, 1998, ["small", "large"], ["US", "US"], channel="matching_service",
            firm_ids=[10, 12]),
        row(A, 1998, ["medium", "large"], ["US", "DE"], channel="direct", firm_ids=[11, 24]),
    ])], ignore_index=True)
    m = replicate_moments(events, firms_frame())
    # registered SMEs: 10 and 11 (12 is large); only 10 formed a deal through the service
    assert m["matching_conversion"] == pytest.approx(1 / 2)
    # active manufacturing SMEs at the end of 2000: 20, 21, 22; only 20 in [0.10, 0.40]
    assert m["manufacturing_smes_cross_border_turnover"] == pytest.approx(1 / 3)
    # exports (not cross-border alliance revenue): SMEs 1.5 + 5 = 6.5, large 6.5
    assert m["sme_share_of_manufactured_exports"] == pytest.approx(1 / 2)


def test_firm_moments_weigh_firms_by_their_design_weight(log):
    firms = firms_frame()
    # firm 20 stands for three firms of the economy, the large firm 24 for half a firm
    firms["weight"] = np.where(firms["firm_id"] == 20, 3.0,
                               np.where(firms["firm_id"] == 24, 0.5, 1.0))
    m = replicate_moments(log, firms)
    # weighted manufacturing SMEs: 20 (3, in the band), 21 (1), 22 (1)
    assert m["manufacturing_smes_cross_border_turnover"] == pytest.approx(3 / 5)
    # weighted exports: SMEs 3 x 1.5 + 5 = 9.5, large 0.5 x 6.5 = 3.25
    assert m["sme_share_of_manufactured_exports"] == pytest.approx(9.5 / 12.75)


def test_compare_columns_mean_interval_and_pass(log):
    other = log.copy()
    other.loc[other["year"] == 2000, "year"] = 1999  # second replicate: nothing in 2000
    table = compare([log, other])
    assert list(table.columns) == COLUMNS
    assert len(table) == len(load_figures().moment) - 3  # no firm frames: no firm moments
    row_ = table.set_index("name").loc["year_2000_share"]
    assert row_["model_mean"] == pytest.approx(0.1)
    assert row_["low"] == pytest.approx(0.01)  # 5th percentile of {0, 0.2}
    assert row_["high"] == pytest.approx(0.19)
    assert not row_["pass"]  # |0.1 - 0.1875| > 0.05
    by_name = table.set_index("name")
    assert not by_name.loc["late_share", "pass"]  # 0.6 vs 0.5417: off by more than 0.05
    assert by_name.loc["sme_acquisition_share", "model_mean"] == pytest.approx(0.5)
    assert by_name.loc["services_to_manufacturing_late", "tolerance"] == pytest.approx(
        0.2 * 1.8413)
    assert not by_name.loc["sme_only_share", "pass"]  # 0.2 > 0.10 + 0.05
    full = compare([log], [firms_frame()])
    assert len(full) == len(load_figures().moment)


def test_figures_cover_the_papers_table():
    fig = load_figures()
    counts = {k: c.value for k, c in fig.count.items()}
    assert counts["sme_alliances_decade"] == 2400
    assert counts["small_manufacturing_late"] + counts["small_services_late"] == \
        counts["small_late"]
    assert counts["medium_manufacturing_late"] + counts["medium_services_late"] == \
        counts["medium_late"]
    moments = fig.moment
    for name in ("sme_share_of_cross_border_alliances", "late_share", "year_2000_share",
                 "services_to_manufacturing_late", "small_to_medium_late",
                 "small_manufacturing_to_services_late", "medium_manufacturing_to_services_late",
                 "sme_only_share", "sme_acquisition_share", "matching_conversion"):
        m = moments[name]
        assert m.note and m.period in fig.periods
    assert moments["late_share"].value == pytest.approx(1300 / 2400, abs=1e-3)
    assert moments["services_to_manufacturing_late"].value == pytest.approx(1160 / 630, abs=1e-3)
    assert moments["small_to_medium_late"].value == pytest.approx(440 / 1360, abs=1e-3)
    # the tolerance rules: small shares within a factor of 1.5, other shares +/-0.05,
    # ratios +/-20%
    for m in moments.values():
        if m.bound == "upper":
            continue
        if m.kind == "ratio":
            assert m.interval == pytest.approx((0.8 * m.value, 1.2 * m.value))
        elif m.value < 0.15:
            assert m.interval == pytest.approx((m.value / 1.5, m.value * 1.5))
        else:
            assert m.interval == pytest.approx((m.value - 0.05, m.value + 0.05))
    # the paper's small shares can fail now: three times the paper's M&A share does
    assert not moments["sme_acquisition_share"].passes(0.024)
    assert not moments["matching_conversion"].passes(0.002)
    assert moments["sme_share_of_cross_border_alliances"].passes(0.08)
    assert not moments["sme_share_of_cross_border_alliances"].passes(0.09)


def test_census_counts_pass_within_15_percent_or_from_an_at_least_figure():
    fig = load_figures()
    rules = fig.tolerance
    alliances = fig.count["all_cross_border_alliances_decade"]
    assert alliances.interval(rules) == pytest.approx((42000 * 0.85, 42000 * 1.15))
    late = fig.count["sme_alliances_late"]  # "more than 1,300"
    assert late.at_least and late.interval(rules) == pytest.approx((1300, 1300 * 1.15))
    assert fig.count["sme_acquisitions_decade"].at_least


def test_figures_reject_a_value_its_counts_contradict():
    raw = {
        "periods": {"decade": [1990, 2000]},
        "count": {"a": dict(value=10, period="decade", source="s", note="n"),
                  "b": dict(value=20, period="decade", source="s", note="n")},
        "moment": {"m": dict(kind="ratio", value=0.9, numerator="a", denominator="b",
                             period="decade", source="events", note="n")},
    }
    with pytest.raises(ValueError, match="counts imply 0.5"):
        parse_figures(raw)
    raw["moment"]["m"]["value"] = 0.5
    assert parse_figures(raw).moment["m"].tol == pytest.approx(0.1)


def test_moments_of_a_real_run_equal_counts_by_hand(small_events_and_firms):
    """The event moments of a run, recounted row by row from its event log (the deals the
    paper's database reports)."""
    events, firms = small_events_and_firms
    m = replicate_moments(events, firms)
    sme = {"small", "medium"}
    cross = [r for r in events.itertuples() if r.kind == "alliance_formed" and r.cross_border
             and r.reported and 1990 <= r.year <= 2000]
    with_sme = [r for r in cross if any(s in sme for s in r.size_classes)]
    assert cross and with_sme, "the run forms cross-border alliances with SMEs"
    assert m["sme_share_of_cross_border_alliances"] == pytest.approx(len(with_sme) / len(cross))
    late = sum(r.year >= 1995 for r in with_sme)
    assert m["late_share"] == pytest.approx(late / len(with_sme))
    assert m["year_2000_share"] == pytest.approx(sum(r.year == 2000 for r in with_sme)
                                                 / len(with_sme))
    only = sum(all(s in sme for s in r.size_classes) for r in with_sme)
    assert m["sme_only_share"] == pytest.approx(only / len(with_sme))
    # matching conversion: registered SMEs that took part in a deal made through the service
    registered = set(firms.loc[firms["registered"].astype(bool)
                               & firms["size_class"].isin(sme), "firm_id"])
    linked = {int(i) for r in events.itertuples()
              if r.kind in ("alliance_formed", "supply_contract_signed")
              and r.channel == "matching_service" for i in r.firm_ids}
    expected = len(registered & linked) / len(registered) if registered else np.nan
    assert m["matching_conversion"] == pytest.approx(expected, nan_ok=True)


def test_the_database_count_holds_every_reported_alliance_of_the_series(
        small_events_and_firms):
    """``all_alliances_series``: the reported alliances of 1988-2000, domestic ones included
    (the paper's "about 70,000 alliances worldwide from 1988")."""
    from restructuring_sim.paper.moments import event_counts

    events, _ = small_events_and_firms
    formed = [r for r in events.itertuples() if r.kind == "alliance_formed" and r.reported
              and 1988 <= r.year <= 2000]
    domestic = [r for r in formed if not r.cross_border]
    assert domestic and len(domestic) < len(formed), "the run reports both kinds"
    counts = event_counts(events)
    assert counts["all_alliances_series"] == len(formed)
    assert counts["all_alliances_series"] > counts["all_cross_border_alliances_decade"]


@pytest.fixture(scope="module")
def small_events_and_firms():
    from conftest import run_model

    model = run_model(n_firms=2000, seed=4)
    return model.events.to_pandas(), model.firms_table().to_pandas()


def test_a_census_share_passes_where_its_count_passes_at_the_anchor():
    """Each scored count but the anchor, as a share of the anchor count: times the paper's
    42,000 cross-border alliances, its passing band is the count's (15% either side, or from
    the value to 15% over it for "more than" and "at least")."""
    fig = load_figures()
    shares = fig.census_shares()
    anchor = fig.count["all_cross_border_alliances_decade"].value
    scored = {n for n, c in fig.count.items() if c.scored} - {"all_cross_border_alliances_decade"}
    assert {n.removeprefix("census_") for n in shares} == scored
    for name, moment in shares.items():
        lo, hi = fig.count[name.removeprefix("census_")].interval(fig.tolerance)
        assert np.multiply(moment.interval, anchor) == pytest.approx((lo, hi))
    assert set(fig.fittable()) == set(fig.moment) | set(shares)


def test_census_fractions_are_the_runs_counts_over_its_anchor(small_events_and_firms):
    from restructuring_sim.paper.moments import census_fractions, event_counts

    events, _ = small_events_and_firms
    counts = event_counts(events)
    fractions = census_fractions(events)
    assert fractions["census_sme_alliances_decade"] == (
        counts["sme_alliances_decade"], counts["all_cross_border_alliances_decade"])
    assert len(fractions) == len(load_figures().census_shares())


def test_a_count_below_its_sample_size_is_marked_with_why():
    """A count whose rate per firm needs more firms than the runs hold (``min_firms``) is
    marked in the counts table, with its note under it; at or above that size it is not."""
    from rich.console import Console

    from restructuring_sim.paper.counts import count_table, render_counts

    fig = load_figures()
    name = "all_alliances_series"
    needed = fig.count[name].min_firms
    assert needed > 0 and fig.count[name].min_firms_note
    table = count_table([{name: 7000.0, CENSUS_ANCHOR: 4200.0}], [0.1], figures=fig)

    def shown(n_firms):
        console = Console(width=200, record=True)
        console.print(render_counts(table, False, 1.0e6, n_firms, fig))
        return console.export_text()

    small, large = shown(needed - 1), shown(needed)
    assert "FAIL*" in small or "pass*" in small
    assert f"a run of fewer than {needed:,} firms" in small
    assert "*" not in large
