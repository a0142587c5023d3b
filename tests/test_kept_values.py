"""Values that mechanisms keep from call to call, or work out for a few firms only, equal the
values computed afresh over every firm, byte for byte (the run's outputs rest on it)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_model

from restructuring_sim.deals import ALLIANCE
from restructuring_sim.firms import ACTIVE, EXITED
from restructuring_sim.mechanisms import alliances, innovation, search


def fresh_fit(model) -> np.ndarray:
    """:func:`innovation.fit` computed over every firm, as without a kept copy."""
    mix = innovation.sector_mix(model.world.sector_names)
    scaled = mix / np.einsum("ij,ij->i", mix, mix)[:, None]
    f = model.firms
    return np.einsum("ij,ij->i", f.profile, scaled[f.sector])


@pytest.fixture(scope="module")
def stepped_model():
    """A model stepped past two years' acquisitions, entries and joint innovations, with more
    joint innovation than the baseline so that profiles change every step."""
    model = make_model(["knowledge.innovation_rate=5"], n_firms=1500, seed=4)
    for _ in range(9):
        model.step()
        innovation.fit(model)  # read every step, as the mechanisms do
    return model


def test_kept_fit_equals_fit_over_every_firm(stepped_model):
    model = stepped_model
    kept = innovation.fit(model)
    assert kept.tobytes() == fresh_fit(model).tobytes()
    assert not kept.flags.writeable


def test_fit_follows_changed_profiles_and_appended_firms():
    model = make_model(n_firms=300, seed=2)
    innovation.fit(model)
    f = model.firms
    f.profile[[3, 7]] = f.profile[[7, 3]][:, ::-1]  # two firms' profiles change
    innovation.profiles_changed(model, np.array([3, 7]))
    innovation.absorb_profile(model, 11, 12)
    f.append(employees=[20.0], sector=[1], country=[0], knowledge=[1.0],
             profile=[f.profile[5]])
    assert innovation.fit(model).tobytes() == fresh_fit(model).tobytes()
    f.profile[:] = f.profile[::-1]  # every profile changes
    innovation.profiles_changed(model)
    assert innovation.fit(model).tobytes() == fresh_fit(model).tobytes()


def fresh_tech_score(model) -> np.ndarray:
    """:func:`innovation.tech_score` computed afresh over every firm."""
    f = model.firms
    stock = f.knowledge * fresh_fit(model)
    n_s = model.world.n_sectors
    total = np.bincount(f.sector, weights=np.where(f.active, stock, 0.0), minlength=n_s)
    count = np.bincount(f.sector, weights=f.active, minlength=n_s)
    mean = np.where(count > 0, total / np.maximum(count, 1), 1.0)
    return stock / (stock + mean[f.sector])


def test_scores_of_some_firms_equal_those_of_every_firm(stepped_model):
    model = stepped_model
    firms = np.random.default_rng(1).integers(0, len(model.firms), 200)
    every = innovation.tech_score(model)
    assert every.tobytes() == fresh_tech_score(model).tobytes()
    assert innovation.TechScores(model)[firms].tobytes() == every[firms].tobytes()


def test_scores_follow_firms_that_leave():
    model = make_model(n_firms=300, seed=5)
    innovation.tech_score(model)
    f = model.firms
    f.status[f.sector == f.sector[0]] = EXITED  # a whole sector leaves but one firm
    f.status[0] = ACTIVE
    assert innovation.tech_score(model).tobytes() == fresh_tech_score(model).tobytes()


def test_both_sides_of_a_pair_valued_at_once_as_one_by_one(stepped_model):
    model = stepped_model
    rng = np.random.default_rng(2)
    i, j = rng.integers(0, len(model.firms), (2, 300))
    valuation = alliances.Valuation(model, model.world.conditions(model.step_index))
    sector = alliances.deal_sector(model, i, j)
    _, _, both = valuation.evaluate(i, j, sector)
    one_by_one = valuation.components(i, j, sector) + valuation.components(j, i, sector)
    assert both[:].tobytes() == one_by_one.tobytes()


def class_draws_one_class_at_a_time(model, eligible, groups, any_group):
    """:func:`search.class_draws` with a draw table made for each size class on its own."""
    f = model.firms
    cls = np.minimum(np.searchsorted(np.cumsum(search.class_shares(model)),
                                     model.rng.random(len(groups)),
                                     side="right"), 2)
    out = np.full(len(groups), -1)
    for c in range(3):
        sel = np.flatnonzero(cls == c)
        if len(sel):
            out[sel] = search.visibility_draws(model, eligible & (f.size_class == c),
                                               groups[sel], any_group[sel])
    return out


def test_class_draws_from_kept_tables_equal_tables_made_class_by_class(stepped_model):
    model = stepped_model
    f = model.firms
    rng = np.random.default_rng(3)
    groups = f.sector[rng.integers(0, len(f), 3000)]
    any_group = rng.random(3000) < 0.2
    eligible = f.active.copy()
    fewer = eligible & (rng.random(len(f)) < 0.5)  # another set of eligible firms
    for firms in (eligible, fewer, eligible, fewer):
        state = model.rng.bit_generator.state
        drawn = search.class_draws(model, firms, groups, any_group)
        model.rng.bit_generator.state = state
        expected = class_draws_one_class_at_a_time(model, firms, groups, any_group)
        assert drawn.tolist() == expected.tolist()
        assert firms[drawn[drawn >= 0]].all()


def test_partner_lists_of_some_firms_pick_as_lists_of_every_firm():
    rng = np.random.default_rng(6)
    n = 500
    a, b = rng.integers(0, n, (2, 3000))
    # lists of every firm's partners: deals where it is ``a`` in deal order, then ``b``
    node, other = np.concatenate([a, b]), np.concatenate([b, a])
    every = [other[node == x] for x in range(n)]
    firms = np.unique(rng.integers(0, n, 60))
    lists = search.PartnerLists(n, a, b, firms)
    assert lists.count(firms).tolist() == [len(every[x]) for x in firms]
    picker = np.random.default_rng(7)
    picked = lists.pick(picker, firms)
    u = np.random.default_rng(7).random(len(firms))
    expected = [every[x][int(np.floor(v * len(every[x])))] for x, v in zip(firms, u, strict=True)]
    assert picked.tolist() == expected


def test_new_combinations_move_the_partners_profiles_alone():
    model = make_model(["knowledge.innovation_rate=10", "knowledge.recombination=1"],
                       n_firms=3000, seed=8)
    for _ in range(8):
        model.step()
    f = model.firms
    before = f.profile.copy()
    cond = model.world.conditions(model.step_index)
    assert innovation.recombine(model, cond, 1.0) > 0
    moved = np.flatnonzero((f.profile != before).any(axis=1))
    d = model.deals
    live = d.live(ALLIANCE)
    partners = np.union1d(d.a[live], d.b[live])
    assert len(moved) and np.isin(moved, partners).all()
    assert (f.profile >= 0).all() and np.allclose(f.profile.sum(axis=1), 1.0)
    assert innovation.fit(model).tobytes() == fresh_fit(model).tobytes()
