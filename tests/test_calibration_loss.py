"""The calibration loss and the moments' spread over an ensemble: known answers and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.stats import norm

from restructuring_sim.calibration.loss import Loss, expected_square
from restructuring_sim.calibration.simulate import SPREAD, ensemble_moments
from restructuring_sim.paper.figures import load_figures

FIG = load_figures()
SHARE = FIG.moment["late_share"]  # a share: +/-0.05
BOUND = FIG.moment["services_to_manufacturing_early"]  # below 1, no tolerance


def test_spread_is_the_jackknife_of_the_pooled_value_scaled_to_the_ensemble():
    reps = [{"m": (1.0, 2.0)}, {"m": (3.0, 4.0)}, {"m": (2.0, 2.0)}, {"m": (0.0, 2.0)}]
    out = ensemble_moments(reps, ensemble_size=2)
    assert out["m"] == pytest.approx(6 / 10)
    # leaving each out: 5/8, 3/6, 4/8, 6/8 (mean 0.59375); jackknife variance of the pooled
    # value over 4 replicates, 3/4 of the summed squares, is 0.0322265625; over 2 replicates
    # twice that
    assert out[SPREAD + "m"] == pytest.approx(math.sqrt(0.0322265625 * 4 / 2))


def test_spread_falls_with_the_ensemble_and_is_absent_without_one():
    reps = [{"m": (k % 3, 4.0)} for k in range(9)]
    assert SPREAD + "m" not in ensemble_moments(reps)
    small, large = (ensemble_moments(reps, n)[SPREAD + "m"] for n in (5, 20))
    assert large == pytest.approx(small * math.sqrt(5 / 20))
    same = [{"m": (1.0, 4.0)}] * 5
    assert ensemble_moments(same, 20)[SPREAD + "m"] == 0.0
    # one replicate holds every deal of the kind: leaving it out leaves nothing to divide by
    lone = [{"m": (1.0, 2.0)}, {"m": (0.0, 0.0)}, {"m": (0.0, 0.0)}]
    assert math.isnan(ensemble_moments(lone, 20)[SPREAD + "m"])


@settings(deadline=None)  # numerical integration: its time depends on the machine's load
@given(st.floats(-5, 5), st.floats(0.01, 3))
def test_expected_square_matches_the_normal_integral(deviation, spread):
    assert expected_square(deviation, spread, False) == pytest.approx(deviation ** 2
                                                                       + spread ** 2)
    density = norm(deviation, spread).pdf
    excess, _ = quad(lambda x: x * x * density(x), 0, deviation + 12 * spread)
    assert expected_square(deviation, spread, True) == pytest.approx(excess, rel=1e-6,
                                                                      abs=1e-9)


@settings(deadline=None)
@given(st.floats(-5, 5), st.floats(0.0, 3), st.floats(0.0, 2))
def test_expected_square_grows_with_the_spread_and_the_excess(deviation, spread, step):
    for bound in (False, True):
        value = expected_square(deviation, spread, bound)
        assert value >= (max(deviation, 0) if bound else abs(deviation)) ** 2 - 1e-12
        assert expected_square(deviation, spread + step, bound) >= value - 1e-12
    assert expected_square(deviation + step, spread, True) >= expected_square(
        deviation, spread, True) - 1e-12


def test_loss_counts_the_spread_in_tolerance_units():
    loss = Loss([SHARE, BOUND])
    on_target = {SHARE.name: SHARE.value, BOUND.name: 0.5}
    assert loss(on_target) == 0.0
    # a share on target whose ensembles vary by one tolerance (0.05) scores sqrt(1 / 2); the
    # bound far below its limit adds nothing whatever its spread
    spread = {**on_target, SPREAD + SHARE.name: 0.05, SPREAD + BOUND.name: 0.01}
    assert loss(spread) == pytest.approx(math.sqrt(0.5))
    # a bound moment on its limit fails half the ensembles: E[max(0, X)^2] = spread^2 / 2
    edge = {SHARE.name: SHARE.value, BOUND.name: 1.0, SPREAD + BOUND.name: 0.1}
    assert loss(edge) == pytest.approx(math.sqrt((0.1 / BOUND.unit) ** 2 / 2 / 2))


def test_loss_penalises_an_undefined_moment_whatever_its_spread():
    loss = Loss([SHARE])
    assert loss({SHARE.name: np.nan, SPREAD + SHARE.name: 0.0}) == loss({}) == 10.0
    assert loss({SHARE.name: SHARE.value, SPREAD + SHARE.name: np.nan}) == 0.0
