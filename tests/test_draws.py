"""Visibility draws that leave the drawing firm out (``behaviour.draws_exclude_drawer``)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import BASELINE, make_model
from hypothesis import given, settings
from hypothesis import strategies as st

from restructuring_sim import load_scenario
from restructuring_sim.mechanisms import search
from restructuring_sim.model import RestructuringModel

#: one sector: a giant, two large firms and a medium one (the giant holds most visibility)
FIRMS = dict(employees=[100_000, 2_000, 1_000, 100], sector=["electronics"] * 4,
             country=["JP", "US", "DE", "KR"])


def tiny(exclude: bool, seed: int = 1) -> RestructuringModel:
    scenario = load_scenario(None, [f"behaviour.draws_exclude_drawer={str(exclude).lower()}"])
    return RestructuringModel(scenario, seed=seed, population=FIRMS)


def test_a_firm_left_out_of_its_draws_draws_the_others_by_visibility():
    model = tiny(True)
    f = model.firms
    n = 40_000
    drawer = np.zeros(n, dtype=np.int64)  # the giant draws
    drawn = search.visibility_draws(model, f.active, f.sector[drawer], drawer=drawer)
    assert not np.any(drawn == 0)
    weight = search.visibility(model)[1:]
    share = np.bincount(drawn, minlength=4)[1:] / n
    assert share == pytest.approx(weight / weight.sum(), abs=0.01)


def test_without_the_switch_a_firm_can_draw_itself():
    model = tiny(False)
    f = model.firms
    drawer = np.zeros(2_000, dtype=np.int64)
    drawn = search.visibility_draws(model, f.active, f.sector[drawer], drawer=drawer)
    assert np.mean(drawn == 0) > 0.5  # the giant holds most of the sector's visibility


def test_leaving_the_drawer_out_takes_as_many_random_numbers():
    """The same stream of random numbers: one uniform per draw either way."""
    states = []
    for exclude in (False, True):
        model = tiny(exclude)
        f = model.firms
        drawer = np.array([0, 1, 2, 3, -1] * 50)
        search.class_draws(model, f.active, f.sector[np.maximum(drawer, 0)], drawer=drawer)
        states.append(model.rng.bit_generator.state["state"])
    assert states[0] == states[1]


def test_a_firm_alone_in_its_group_draws_nobody():
    model = tiny(True)
    f = model.firms
    eligible = f.active & (f.employees >= 100_000)
    drawn = search.visibility_draws(model, eligible, f.sector[[0, 0]], drawer=np.array([0, 0]))
    assert drawn.tolist() == [-1, -1]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 7), min_size=1, max_size=40), st.data())
def test_positions_find_each_firm_in_its_group(groups_of_firms, data):
    """``_positions`` finds a firm in its entry's group of a group-ordered list, and nowhere
    else."""
    groups_of_firms = np.array(groups_of_firms)
    chosen = np.argsort(groups_of_firms, kind="stable")
    sorted_groups = groups_of_firms[chosen]
    start = np.searchsorted(sorted_groups, np.arange(9))
    end = np.searchsorted(sorted_groups, np.arange(9), side="right")
    firms = np.array(data.draw(st.lists(st.integers(-1, len(chosen) - 1), min_size=1,
                                        max_size=20)))
    groups = np.array(data.draw(st.lists(st.integers(0, 7), min_size=len(firms),
                                         max_size=len(firms))))
    at = search._positions(chosen, start, end, groups, firms)
    for firm, group, pos in zip(firms, groups, at, strict=True):
        if firm >= 0 and groups_of_firms[firm] == group:
            assert chosen[pos] == firm
        else:
            assert pos == -1


def test_the_switch_is_off_in_the_baseline():
    model = make_model(n_firms=200)
    assert not model.scenario.behaviour.draws_exclude_drawer
    assert not load_scenario(BASELINE).behaviour.draws_exclude_drawer
