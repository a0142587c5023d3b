"""The paper's statements about the decade's shape, on hand-built event logs."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from test_paper import A, frame, row

from restructuring_sim.paper import shape


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
