"""The world's distances between countries: region steps, and the cultural distance that
``behaviour.cultural_distance_weight`` mixes into partner search and deal costs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import BASELINE, assert_one_line_error, invoke
from hypothesis import given, settings
from hypothesis import strategies as st

from restructuring_sim.scenario import load_scenario
from restructuring_sim.world import World, relative_cultural_distance

scores = st.tuples(*[st.floats(0, 120, allow_nan=False)] * 4)


@settings(max_examples=50, deadline=None)
@given(st.lists(scores, min_size=3, max_size=8, unique=True), st.randoms())
def test_cultural_distance_is_symmetric_with_mean_one_whatever_the_order(table, rnd):
    d = relative_cultural_distance(table)
    assert np.allclose(d, d.T) and (np.diag(d) == 0).all() and (d >= 0).all()
    pairs = ~np.eye(len(table), dtype=bool)
    if d[pairs].max() > 0:
        assert d[pairs].mean() == pytest.approx(1.0)
    order = list(range(len(table)))
    rnd.shuffle(order)
    shuffled = relative_cultural_distance([table[i] for i in order])
    assert np.allclose(shuffled, d[np.ix_(order, order)])


def test_a_country_without_scores_sits_at_the_mean_distance():
    d = relative_cultural_distance([(40, 91, 62, 46), None, (54, 46, 95, 92), (35, 89, 66, 35)])
    assert d[1].tolist() == [1.0, 0.0, 1.0, 1.0] and d[:, 1].tolist() == [1.0, 0.0, 1.0, 1.0]


def world(weight: float) -> World:
    return World(load_scenario(BASELINE, [f"behaviour.cultural_distance_weight={weight}"]))


def test_partner_distance_is_region_steps_without_cultural_weight():
    w = world(0.0)
    assert w.partner_distance.tobytes() == w.distance.tobytes()


def test_cultural_weight_brings_close_cultures_nearer_and_keeps_home_at_zero():
    """Hofstede's scores put Britain close to the United States and Japan far from it: both are
    two region steps away, but with culture weighed in a US firm finds British partners nearer
    than Japanese ones."""
    w = world(0.5)
    code = {c: i for i, c in enumerate(w.country_names)}
    us, gb, jp = code["US"], code["GB"], code["JP"]
    assert w.distance[us, gb] == w.distance[us, jp] == 2.0
    assert w.partner_distance[us, gb] < w.distance[us, gb] < w.partner_distance[us, jp]
    assert (np.diag(w.partner_distance) == 0).all()
    assert np.allclose(w.partner_distance, w.partner_distance.T)


def test_culture_scores_are_checked(tmp_path):
    result = invoke("run", BASELINE, "--set", "countries.JP.culture=[54, 46]",
                    "--out", tmp_path / "run")
    assert_one_line_error(result, "countries.JP.culture")
    assert not (tmp_path / "run").exists()
