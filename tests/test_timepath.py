"""Piecewise-linear time paths: interpolation, constants, bounds and round trips.

Every driver and policy lever of a scenario may be a path, so the interpolation rules (linear
between points, constant outside them, a plain number is a constant) are part of the user's
interface.
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, ValidationError

from restructuring_sim import load_scenario, timepath
from restructuring_sim.timepath import TimePath, bounded_path
from restructuring_sim.world import World


class _Holder(BaseModel):
    """A minimal model with one bounded path field, as the scenario declares them."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    x: bounded_path(0.0, 1.0)


def test_linear_between_points():
    p = TimePath({1990: 0.0, 2000: 1.0})
    assert p(1990) == 0.0
    assert p(2000) == 1.0
    assert p(1995) == pytest.approx(0.5)
    assert p(1992.5) == pytest.approx(0.25)


def test_several_segments():
    p = TimePath({1988: 1.0, 1995: 0.6, 2000: 0.25})
    assert p(1991.5) == pytest.approx(0.8)
    assert p(1995) == pytest.approx(0.6)
    assert p(1997.5) == pytest.approx(0.425)


def test_constant_outside_the_points():
    p = TimePath({1990: 2.0, 2000: 5.0})
    assert p(1900) == 2.0
    assert p(1989.99) == 2.0
    assert p(2000.01) == 5.0
    assert p(2100) == 5.0


def test_point_order_does_not_matter():
    assert TimePath({2000: 1.0, 1990: 0.0}) == TimePath({1990: 0.0, 2000: 1.0})
    assert TimePath({2000: 1.0, 1990: 0.0})(1995) == pytest.approx(0.5)


def test_single_point_is_constant():
    p = TimePath({1995: 0.3})
    assert p(1950) == p(1995) == p(2050) == pytest.approx(0.3)


def test_empty_path_is_rejected():
    with pytest.raises(ValueError, match="at least one"):
        TimePath({})


def test_plain_number_is_a_constant_path():
    h = _Holder(x=0.4)
    assert isinstance(h.x, TimePath)
    assert h.x(1900) == h.x(1995) == h.x(2100) == pytest.approx(0.4)
    assert h.model_dump() == {"x": 0.4}


def test_table_with_string_year_keys_as_toml_gives_them():
    h = _Holder(x={"1988": 0.2, "2000": 0.8})
    assert h.x(1994) == pytest.approx(0.5)
    assert h.model_dump() == {"x": {"1988": 0.2, "2000": 0.8}}


def test_fractional_years_are_allowed():
    h = _Holder(x={"1990.5": 0.0, "1991.5": 1.0})
    assert h.x(1991.0) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (1.5, "above the allowed maximum 1"),
        (-0.2, "below the allowed minimum 0"),
        ({"1988": 0.5, "2000": 1.2}, "value 1.2 is above"),
        ({"1988": -1.0, "2000": 0.5}, "value -1 is below"),
        ({"soon": 0.5}, "'soon' is not a year"),
        ({"1990": "high"}, "expected a number"),
        (True, "expected a number"),
        ("0.5", "expected a number"),
    ],
)
def test_invalid_paths_are_rejected(value, fragment):
    with pytest.raises(ValidationError, match=fragment):
        _Holder(x=value)


def test_constant_round_trip():
    p = TimePath.constant(0.7)
    assert p.to_dict() == {"0": 0.7}
    assert _Holder(x=_Holder(x=0.7).model_dump()["x"]).x == _Holder(x=0.7).x


def test_values_are_a_copy():
    p = TimePath({1990: 0.0, 2000: 1.0})
    vals = p.values
    vals[:] = 9.0
    assert p(2000) == 1.0


def test_docstring_examples():
    result = doctest.testmod(timepath)
    assert result.attempted > 0
    assert result.failed == 0


years = st.integers(min_value=1900, max_value=2100)
values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
paths = st.dictionaries(years, values, min_size=1, max_size=8)


@given(points=paths, t=st.floats(min_value=1800, max_value=2200, allow_nan=False))
def test_interpolation_stays_within_the_points(points, t):
    """Whatever the points and the year, the path's value lies between its smallest and largest
    point value (linear interpolation never overshoots)."""
    v = TimePath(points)(t)
    lo, hi = min(points.values()), max(points.values())
    tol = 1e-9 * max(1.0, abs(lo), abs(hi))
    assert lo - tol <= v <= hi + tol


@given(points=paths)
def test_path_passes_through_its_points(points):
    p = TimePath(points)
    for year, value in points.items():
        assert p(year) == pytest.approx(value, rel=1e-12, abs=1e-9)


@given(points=paths, t=st.floats(min_value=1800, max_value=2200, allow_nan=False))
def test_dict_round_trip_preserves_the_function(points, t):
    p = TimePath(points)
    q = TimePath({float(k): v for k, v in p.to_dict().items()})
    assert q(t) == pytest.approx(p(t), rel=1e-12, abs=1e-9)


@given(
    points=st.dictionaries(years, st.floats(0.0, 1.0), min_size=1, max_size=6),
    t=st.floats(min_value=1800, max_value=2200, allow_nan=False),
)
def test_bounded_path_in_range_is_accepted_and_stays_in_range(points, t):
    h = _Holder(x={str(k): v for k, v in points.items()})
    assert 0.0 <= h.x(t) <= 1.0


@given(st.dictionaries(st.integers(1950, 2050), st.floats(-1e6, 1e6), min_size=1, max_size=6),
       st.lists(st.floats(1940, 2060), min_size=1, max_size=40))
def test_values_at_many_years_equal_the_values_year_by_year(points, years):
    p = TimePath(points)
    assert p.at(np.array(years)).tolist() == [p(y) for y in years]


def test_conditions_of_every_step_equal_those_interpolated_one_step_at_a_time():
    scenario = load_scenario(overrides=["simulation.steps_per_year=12"])
    world = World(scenario)
    for step in (0, 5, scenario.simulation.n_steps - 1, scenario.simulation.n_steps + 3):
        cond = world.conditions(step)
        assert cond.ict_cost == scenario.drivers.ict_cost(cond.t)
        assert cond.venture_capital == scenario.drivers.venture_capital(cond.t)
        internet = [scenario.sectors[s].internet_boost(cond.t) for s in world.sector_names]
        assert cond.internet.tolist() == internet
