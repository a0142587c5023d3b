"""Batch paths give what the one-at-a-time paths give: deals, events, network, and the helpers
behind the fast event log, partner draws and lazily created agents."""

from __future__ import annotations

from functools import partial

import networkx as nx
import numpy as np
import pyarrow as pa
import pytest
from conftest import make_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from restructuring_sim import lifecycle
from restructuring_sim.columns import (
    Scratch,
    bounds_reached,
    distinct,
    first_of_each,
    stable_order,
)
from restructuring_sim.deals import ALLIANCE, SUPPLY
from restructuring_sim.events import DEFAULTS, KINDS, ROW, EventLog
from restructuring_sim.firms import Firm, same_bytes
from restructuring_sim.mechanisms import alliances, exports, innovation, search
from restructuring_sim.mechanisms.search import _group_bounds, _search_in_key_order
from restructuring_sim.model import _share
from restructuring_sim.network import NetworkTracker, _shape

N_FIRMS = 60
_SETTINGS = settings(max_examples=25, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])

pairs = st.lists(
    st.tuples(st.integers(0, N_FIRMS - 1), st.integers(0, N_FIRMS - 1)).filter(
        lambda p: p[0] != p[1]),
    min_size=1, max_size=40,
)


def fresh(overrides=()):
    """A model of ``N_FIRMS`` firms before its first step, and the first step's conditions."""
    model = make_model(overrides, n_firms=N_FIRMS)
    return model, model.world.conditions(0)


def state(model):
    """Everything opening and closing deals touches, comparable with ``==``."""
    f, d, net = model.firms, model.deals, model.network
    return {
        "events": model.events.to_arrow(),
        "deals": {name: getattr(d, name).tolist() for name in d.COLUMNS},
        "firms": {name: getattr(f, name).tolist()
                  for name in ("live_alliances", "live_supply", "last_partner", "supply_load")},
        "graph": sorted((u, v, k, tuple(sorted(data.items())))
                        for u, v, k, data in net.graph.edges(keys=True, data=True)),
        "edges": net.edges_table(),
    }


def deal_values(pairs_, rng):
    """Per-deal keyword arrays as a mechanism would pass them."""
    m = len(pairs_)
    return dict(
        sector=rng.integers(0, 3, m), purposes=rng.integers(1, 16, m),
        channel=rng.integers(0, 6, m),
        joint_venture=rng.random(m) < 0.3, equity=rng.random(m) < 0.3,
        term_steps=rng.integers(1, 20, m), value=rng.random(m) * 5, value_a=rng.random(m),
        value_b=rng.random(m),
    )


@pytest.mark.parametrize("layer", [ALLIANCE, SUPPLY])
@_SETTINGS
@given(pairs=pairs, seed=st.integers(0, 2**16))
def test_open_deals_equals_opening_one_by_one(layer, pairs, seed):
    values = deal_values(pairs, np.random.default_rng(seed))
    a, b = (np.array(side) for side in zip(*pairs, strict=True))
    one, cond = fresh()
    for k, (x, y) in enumerate(pairs):
        scalars = {key: v[k].item() for key, v in values.items()}
        lifecycle.open_deal(one, cond, layer, x, y, **scalars)
    batch, cond = fresh()
    ids = lifecycle.open_deals(batch, cond, layer, a, b, **values)
    assert ids.tolist() == list(range(len(pairs)))
    assert state(batch) == state(one)


@pytest.mark.parametrize("layer", [ALLIANCE, SUPPLY])
@_SETTINGS
@given(pairs=pairs, seed=st.integers(0, 2**16), data=st.data())
def test_close_deals_equals_closing_one_by_one(layer, pairs, seed, data):
    values = deal_values(pairs, np.random.default_rng(seed))
    a, b = (np.array(side) for side in zip(*pairs, strict=True))
    closing = data.draw(st.lists(st.integers(0, len(pairs) - 1), unique=True))
    closing = np.array(sorted(closing), dtype=np.int64)
    models = []
    for batch in (False, True):
        model, cond = fresh()
        lifecycle.open_deals(model, cond, layer, a, b, **values)
        cond = model.world.conditions(3)
        if batch:
            lifecycle.close_deals(model, cond, layer, closing)
        else:
            for deal in closing.tolist():
                lifecycle.close_deal(model, cond, deal)
        models.append(model)
    assert state(models[1]) == state(models[0])


def test_close_deals_rejects_dead_or_foreign_deals():
    model, cond = fresh()
    lifecycle.open_deals(model, cond, ALLIANCE, np.array([0, 1]), np.array([2, 3]), sector=0)
    with pytest.raises(ValueError, match="live supply"):
        lifecycle.close_deals(model, cond, SUPPLY, np.array([0]))
    lifecycle.close_deals(model, cond, ALLIANCE, np.array([0]))
    with pytest.raises(ValueError, match="live alliance"):
        lifecycle.close_deals(model, cond, ALLIANCE, np.array([0, 1]))


def test_open_deals_rejects_what_open_deal_rejects():
    model, cond = fresh()
    with pytest.raises(ValueError, match="itself"):
        lifecycle.open_deals(model, cond, ALLIANCE, np.array([1, 4]), np.array([2, 4]), sector=0)
    model.firms.status[5] = 2
    with pytest.raises(ValueError, match="active"):
        lifecycle.open_deals(model, cond, ALLIANCE, np.array([5]), np.array([2]), sector=0)


def test_network_add_edges_equals_add_edge_one_by_one():
    one, batch = NetworkTracker(), NetworkTracker()
    for net in (one, batch):
        net.add_firms(range(6))
    src, dst = [0, 1, 0, 4], [1, 2, 1, 5]
    cross, sme = [True, False, False, True], [False, False, True, True]
    for k in range(4):
        one.add_edge(10 + k, "supply", src[k], dst[k], step=2, cross_border=cross[k],
                     involves_sme=sme[k])
    batch.add_edges(np.arange(10, 14), "supply", np.array(src), np.array(dst), step=2,
                    cross_border=np.array(cross), involves_sme=np.array(sme))
    assert list(batch.graph.edges(keys=True, data=True)) == list(
        one.graph.edges(keys=True, data=True))
    assert batch.edges_table().equals(one.edges_table())
    assert batch.record_metrics(1990) == one.record_metrics(1990)
    with pytest.raises(ValueError, match="exists"):
        batch.add_edges([13], "supply", [0], [2], step=3, cross_border=False,
                        involves_sme=False)
    with pytest.raises(ValueError, match="repeat"):
        batch.add_edges([20, 20], "supply", [0, 1], [2, 3], step=3, cross_border=False,
                        involves_sme=False)
    batch.end_edges(np.array([10, 12]), step=4)
    for edge in (10, 12):
        one.end_edge(edge, step=4)
    assert batch.edges_table().equals(one.edges_table())


def event_fields(rng, m):
    """Random event codes: one or two participants, optional fields mixed in."""
    has_b = rng.random(m) < 0.7
    return dict(
        step=rng.integers(0, 52, m), year=rng.integers(1988, 2001, m),
        quarter=rng.integers(1, 5, m), kind=rng.integers(0, len(KINDS), m),
        deal_id=rng.integers(-1, 1000, m), a=rng.integers(0, 500, m),
        b=np.where(has_b, rng.integers(0, 500, m), -1), size_a=rng.integers(0, 3, m),
        size_b=np.where(has_b, rng.integers(0, 3, m), -1), country_a=rng.integers(0, 3, m),
        country_b=np.where(has_b, rng.integers(0, 3, m), -1), region_a=rng.integers(0, 2, m),
        region_b=np.where(has_b, rng.integers(0, 2, m), -1), sector=rng.integers(0, 2, m),
        sector_group=rng.integers(0, 2, m), purposes=rng.integers(0, 64, m),
        joint_venture=rng.random(m) < 0.5, equity=rng.random(m) < 0.5,
        motive=rng.integers(-1, 5, m), channel=rng.integers(-1, 6, m),
        value=np.where(rng.random(m) < 0.5, rng.random(m), np.nan),
    )


def same_events(x: pa.Table, y: pa.Table) -> bool:
    """Equal event tables, NaN values counting as equal."""
    return (x.drop_columns(["value"]).equals(y.drop_columns(["value"]))
            and np.array_equal(x["value"].to_numpy(), y["value"].to_numpy(), equal_nan=True))


def new_log():
    return EventLog("run", 3, sectors=["pharma", "software"], countries=["DE", "JP", "US"],
                    regions=["western_europe", "japan"])


@given(seed=st.integers(0, 2**16), m=st.integers(0, 30))
@settings(max_examples=30, deadline=None)
def test_event_log_extend_equals_add_one_by_one(seed, m):
    fields = event_fields(np.random.default_rng(seed), m)
    one, batch = new_log(), new_log()
    for k in range(m):
        one.add(**{name: column[k].item() for name, column in fields.items()})
    batch.extend(**fields)
    assert len(one) == len(batch) == m
    assert same_events(batch.to_arrow(), one.to_arrow())
    assert all(one.count(kind) == batch.count(kind) for kind in KINDS)


def test_event_log_decodes_codes_into_the_contract():
    log = new_log()
    log.extend(step=[4, 5], year=1989, quarter=[1, 2], kind=[0, 5], deal_id=[7, -1], a=[3, 9],
               b=[8, -1], size_a=[2, 0], size_b=[0, -1], country_a=[0, 2], country_b=[1, -1],
               region_a=[0, 1], region_b=[1, -1], sector=[1, 0], sector_group=[1, 0],
               purposes=[0b101, 0], motive=[-1, -1], channel=[3, -1])
    rows = log.to_arrow().to_pylist()
    first, second = rows
    assert first["firm_ids"] == [3, 8] and second["firm_ids"] == [9]
    assert first["size_classes"] == ["large", "small"] and second["size_classes"] == ["small"]
    assert first["countries"] == ["DE", "JP"] and second["regions"] == ["japan"]
    assert first["sector"] == "software" and first["sector_group"] == "services"
    assert first["purposes"] == ["rnd", "marketing"] and second["purposes"] == []
    assert first["channel"] == "matching_service" and second["channel"] is None
    assert first["motive"] is None and first["value"] is None  # nulls, not "" or NaN
    assert first["cross_border"] and first["involves_sme"]
    assert not second["cross_border"] and second["involves_sme"]
    assert first["run_id"] == "run" and first["seed"] == 3


def test_event_record_layout():
    assert set(DEFAULTS) < set(ROW.names)
    assert DEFAULTS["b"] == -1 and np.isnan(DEFAULTS["value"])
    empty = EventLog("r", 1).to_arrow()
    assert empty.num_rows == 0 and isinstance(empty, pa.Table)


@given(st.lists(st.integers(-40_000, 40_000), max_size=200))
def test_stable_order_is_a_stable_argsort(codes):
    codes = np.array(codes, dtype=np.int64)
    assert stable_order(codes).tolist() == np.argsort(codes, kind="stable").tolist()


@given(st.lists(st.integers(-50, 50), max_size=200))
def test_distinct_and_first_of_each_equal_unique(values):
    """The run's own distinct values and first occurrences are numpy's ``unique``'s."""
    values = np.array(values, dtype=np.int64)
    unique, first = np.unique(values, return_index=True)
    assert distinct(values).tolist() == unique.tolist()
    assert first_of_each(values).tolist() == first.tolist()


@given(st.lists(st.floats(0, 1), min_size=1, max_size=4).map(sorted),
       st.lists(st.floats(-0.5, 1.5), max_size=100))
def test_bounds_reached_equals_searchsorted(bounds, values):
    """What class draws and size classes count equals numpy's binary search, ties included."""
    bounds, values = np.array(bounds), np.array(values + bounds)
    expected = np.searchsorted(bounds, values, side="right")
    assert bounds_reached(bounds, values).tolist() == expected.tolist()


@given(st.lists(st.integers(0, 30), max_size=100), st.lists(st.integers(0, 40), max_size=50))
def test_group_bounds_equal_searchsorted(values, groups):
    values = np.sort(np.array(values, dtype=np.int64))
    groups = np.array(groups, dtype=np.int64)
    start, end = _group_bounds(values, groups)
    assert start.tolist() == np.searchsorted(values, groups, side="left").tolist()
    assert end.tolist() == np.searchsorted(values, groups, side="right").tolist()


@given(st.lists(st.floats(0, 10), min_size=1, max_size=100),
       st.lists(st.floats(-1, 1000), max_size=100))
def test_search_in_key_order_equals_searchsorted(weights, keys):
    cum = np.cumsum(weights)
    keys = np.array(keys)
    assert (_search_in_key_order(cum, keys).tolist()
            == np.searchsorted(cum, keys, side="right").tolist())


@given(st.lists(st.lists(st.sampled_from([0.0, -0.0, 1e-300, -1.5, 0.1, 0.2, 3.0, 1e300]),
                        min_size=6, max_size=6), max_size=60))
def test_total_of_components_equals_row_sums(rows):
    """alliances._total adds the six component columns as numpy sums a row of six, signed
    zeros and rounding included."""
    values = np.array(rows, dtype=np.float64).reshape(-1, 6)
    columns = [np.ascontiguousarray(values[:, k]) for k in range(6)]
    assert alliances._total(columns).tobytes() == values.sum(axis=1).tobytes()


def test_agents_are_created_when_looked_at_and_match_the_active_firms():
    model = make_model(n_firms=300)
    for _ in range(6):
        model.step()
    active = set(np.flatnonzero(model.firms.active).tolist())
    assert {agent.firm_id for agent in model.agents} == active
    assert len(model.agents_by_type[Firm]) == len(active) and model.agent_types == [Firm]
    assert len({agent.unique_id for agent in model.agents}) == len(active)
    for _ in range(6):
        model.step()
    gone = [k for k in range(300) if k not in set(np.flatnonzero(model.firms.active).tolist())]
    assert gone and all(model.agent_of(k) is None for k in gone)
    assert {a.firm_id for a in model.agents} == set(np.flatnonzero(model.firms.active).tolist())


def test_static_firm_columns_are_read_only():
    model = make_model(n_firms=50)
    with pytest.raises(ValueError, match="read-only"):
        model.firms.sector[0] = 1
    order = model.firms.order_by("sector")
    assert order.tolist() == np.argsort(model.firms.sector, kind="stable").tolist()
    with pytest.raises(ValueError, match="static"):
        model.firms.order_by("employees")


@given(st.integers(1, 700), st.integers(0, 2**16))
@settings(max_examples=30, deadline=None)
def test_market_share_is_the_product_in_power_of_two_row_blocks(n, seed):
    model = make_model(n_firms=50)
    w = model.world
    flags = np.random.default_rng(seed).random((n, len(w.market_weight))) < 0.3
    rows = 256  # 8,192 matrix entries at most per product, rounded down to a power of two
    blocks = [flags[s:s + rows].astype(np.float64) @ w.market_weight for s in range(0, n, rows)]
    assert w.market_share(flags).tobytes() == np.concatenate(blocks).tobytes()


def tied_model(seed: int, viewed: bool, overrides=()):
    """A fresh model whose firms hold random alliances, supply contracts and chains of
    subsidiaries (so that acquisitions and exits have ties to end), a few steps on."""
    model, cond = fresh(overrides)
    rng = np.random.default_rng(seed)
    if viewed:
        assert len(model.agents) == N_FIRMS  # agents exist, so that removing them is exercised
    for layer in (ALLIANCE, SUPPLY):
        a, b = rng.integers(0, N_FIRMS, (2, 40))
        keep = a != b
        lifecycle.open_deals(model, cond, layer, a[keep], b[keep],
                             **{k: v[keep] for k, v in deal_values(range(40), rng).items()})
    for acquirer, target in ((1, 2), (3, 4), (0, 1), (0, 3)):  # 0 owns 1 and 3, which own 2, 4
        lifecycle.acquire(model, cond, acquirer, target, motive=1, price=2.5, channel=0)
    return model, model.world.conditions(6)


def full_state(model):
    """:func:`state` plus the firms' state, the agents and the order networkx keeps."""
    out = state(model)
    events = out.pop("events")
    f, net = model.firms, model.network
    out["firms"].update({name: getattr(f, name).tolist() for name in
                         ("employees", "knowledge", "profile", "capital", "markets", "mne",
                          "status", "owner")})
    out["adjacency"] = [(u, [(v, list(keys)) for v, keys in nbrs.items()])
                        for u, nbrs in net.graph.adj.items()]
    out["live_rows"] = list(net._row.items())
    out["agents"] = sorted(model._agents_by_firm)
    out["kinds"] = [model.events.count(kind) for kind in KINDS]
    return events, out


def same_state(x, y) -> bool:
    (events_x, rest_x), (events_y, rest_y) = full_state(x), full_state(y)
    return same_events(events_x, events_y) and rest_x == rest_y


def valid_sequence(model, pairs_):
    """The pairs that are still two active firms when their turn comes, in order."""
    active = model.firms.active.copy()
    out = []
    for a, b in pairs_:
        if active[a] and active[b]:
            out.append((a, b))
            active[b] = False
    return out


@_SETTINGS
@given(pairs=pairs, seed=st.integers(0, 2**16), viewed=st.booleans(), mne=st.booleans())
def test_acquisition_batch_equals_acquiring_one_by_one(pairs, seed, viewed, mne):
    switch = [f"acquisitions.buyer_becomes_mne={str(mne).lower()}"]
    sequence = valid_sequence(tied_model(seed, viewed, switch)[0], pairs)
    rng = np.random.default_rng(seed)
    terms = [dict(motive=int(rng.integers(0, 5)), price=float(rng.random()),
                  channel=int(rng.integers(0, 6))) for _ in sequence]
    models = []
    for batched in (False, True):
        model, cond = tied_model(seed, viewed, switch)
        batch = lifecycle.AcquisitionBatch(model, cond)
        acquire = batch.acquire if batched else partial(lifecycle.acquire, model, cond)
        ids = [acquire(acquirer, target, **terms[k])
               for k, (acquirer, target) in enumerate(sequence)]
        batch.commit()
        models.append((model, ids))
    (one, ids_one), (batch, ids_batch) = models
    assert ids_batch == ids_one
    assert same_state(batch, one)


@_SETTINGS
@given(firms=st.lists(st.integers(0, N_FIRMS - 1), unique=True, max_size=30),
       seed=st.integers(0, 2**16), viewed=st.booleans())
def test_exit_firms_equals_exiting_one_by_one(firms, seed, viewed):
    models = []
    for batched in (False, True):
        model, cond = tied_model(seed, viewed)
        leaving = [firm for firm in firms if model.firms.active[firm]]
        if batched:
            lifecycle.exit_firms(model, cond, np.array(leaving, dtype=np.int64))
        else:
            for firm in leaving:
                lifecycle.exit_firm(model, cond, firm)
        models.append(model)
    assert same_state(models[1], models[0])


def test_batches_reject_what_one_by_one_rejects():
    model, cond = tied_model(0, viewed=False)
    batch = lifecycle.AcquisitionBatch(model, cond)
    with pytest.raises(ValueError, match="itself"):
        batch.acquire(5, 5, motive=0, price=1.0, channel=0)
    with pytest.raises(ValueError, match="active"):
        batch.acquire(5, 1, motive=0, price=1.0, channel=0)  # 1 was acquired
    batch.acquire(5, 6, motive=0, price=1.0, channel=0)
    lifecycle.open_deals(model, cond, ALLIANCE, np.array([7]), np.array([8]), sector=0)
    with pytest.raises(ValueError, match="pending"):
        batch.commit()
    with pytest.raises(ValueError, match="distinct active"):
        lifecycle.exit_firms(model, cond, np.array([1]))
    with pytest.raises(ValueError, match="distinct active"):
        lifecycle.exit_firms(model, cond, np.array([9, 9]))


@given(seed=st.integers(0, 2**32 - 1), sd=st.sampled_from([0.0, 1e-300, 0.3, 0.8, 2.0]),
       m=st.integers(0, 50))
def test_scaled_standard_normal_shocks_equal_normal_shocks(seed, sd, m):
    """The export step draws its lognormal shocks as exp(sd x standard normal): the same bits
    as exp(normal(0, sd)), and the generator left in the same state."""
    one, other = np.random.default_rng(seed), np.random.default_rng(seed)
    expected = np.exp(one.normal(0.0, sd, (m, 3)))
    shock = other.standard_normal((m, 3))
    shock *= sd
    assert np.exp(shock).tobytes() == expected.tobytes()
    assert one.random() == other.random()


def test_network_add_firms_equals_add_nodes_from():
    net = NetworkTracker()
    net.add_firms([3, 1, 2])
    net.add_firms(np.array([2, 7]))
    reference = nx.MultiGraph()
    reference.add_nodes_from([3, 1, 2])
    reference.add_nodes_from([2, 7])
    assert list(net.graph.nodes(data=True)) == sorted(reference.nodes(data=True))
    assert dict(net.graph.adj) == dict(reference.adj)
    assert net.number_of_firms() == 4 and 7 in net and 5 not in net


@pytest.mark.parametrize("layer", [ALLIANCE, SUPPLY])
@_SETTINGS
@given(pairs=pairs, seed=st.integers(0, 2**16), data=st.data())
def test_renew_deals_equals_closing_and_reopening_one_by_one(layer, pairs, seed, data):
    rng = np.random.default_rng(seed)
    values = deal_values(pairs, rng)
    a, b = (np.array(side) for side in zip(*pairs, strict=True))
    ending = np.array(sorted(data.draw(st.lists(st.integers(0, len(pairs) - 1), unique=True))),
                      dtype=np.int64)
    renew = np.array(data.draw(st.lists(st.booleans(), min_size=len(ending),
                                        max_size=len(ending))), dtype=bool)
    again = {key: v[: int(renew.sum())] for key, v in deal_values(ending[renew], rng).items()}
    loads = rng.random(N_FIRMS) * 3  # supply loads that ending contracts can clip
    models = []
    for batch in (False, True):
        model, cond = fresh()
        lifecycle.open_deals(model, cond, layer, a, b, **values)
        model.firms.supply_load[:] = loads
        cond = model.world.conditions(3)
        if batch:
            lifecycle.renew_deals(model, cond, layer, ending, renew, **again)
        else:
            renewals = iter(range(int(renew.sum())))
            for deal, renewed in zip(ending.tolist(), renew.tolist(), strict=True):
                x, y = int(model.deals.a[deal]), int(model.deals.b[deal])
                lifecycle.close_deal(model, cond, deal)
                if renewed:
                    k = next(renewals)
                    lifecycle.open_deal(model, cond, layer, x, y,
                                        **{key: v[k].item() for key, v in again.items()})
        models.append(model)
    assert same_state(models[1], models[0])


@_SETTINGS
@given(seed=st.integers(0, 2**16))
def test_rnd_pressure_of_some_firms_equals_that_of_all_firms(seed):
    model, cond = fresh()
    firms = np.random.default_rng(seed).integers(0, N_FIRMS, 25)
    every = innovation.rnd_pressure(model, cond)
    assert every[firms].tobytes() == innovation.rnd_pressure(model, cond, firms).tobytes()


def test_derived_columns_follow_their_column_and_are_read_only():
    model, _ = fresh()
    f = model.firms
    calls = []

    def double(values):
        calls.append(1)
        return values * 2.0

    first = f.derived("employees", "double", double)
    assert f.derived("employees", "double", double) is first and len(calls) == 1
    with pytest.raises(ValueError):
        first[0] = 0.0
    f.employees[3] += 1.0
    assert f.derived("employees", "double", double).tolist() == (f.employees * 2.0).tolist()
    assert len(calls) == 2


def test_guarded_columns_are_written_through_writing_during_a_step():
    model, _ = fresh()
    f = model.firms
    double = partial(np.multiply, 2.0)
    with f.guarded():
        with pytest.raises(ValueError, match="read-only"):
            f.employees[0] = 5.0
        first = f.derived("employees", "double", double)
        assert f.derived("employees", "double", double) is first
        with f.writing("employees") as employees:
            employees[0] += 1.0
        assert f.derived("employees", "double", double).tolist() == (f.employees * 2.0).tolist()
        assert not f.employees.flags.writeable
    f.employees[0] += 1.0  # writable again between steps, and followed
    assert f.derived("employees", "double", double).tolist() == (f.employees * 2.0).tolist()
    model.step()
    assert f.employees.flags.writeable and f.exports.flags.writeable


@given(rows=st.integers(0, 30), width=st.integers(1, 23), seed=st.integers(0, 2**16),
       flip=st.integers(0, 10**6))
@settings(max_examples=50, deadline=None)
def test_same_bytes_finds_any_changed_byte(rows, width, seed, flip):
    rng = np.random.default_rng(seed)
    flags = rng.random((rows, width)) < 0.5
    assert same_bytes(flags, flags.copy())
    if flags.size:
        changed = flags.copy()
        changed.flat[flip % flags.size] ^= True
        assert not same_bytes(flags, changed)
    assert not same_bytes(flags, np.zeros((rows + 1, width), dtype=bool))
    values = rng.random(rows)
    assert same_bytes(values, values.copy())
    assert not same_bytes(np.zeros(3), np.array([0.0, -0.0, 0.0]))  # bits, not just values
    assert not same_bytes(np.zeros(3), np.zeros(3, dtype=np.float32))


def test_scratch_arrays_reuse_their_memory_and_grow():
    scratch = Scratch()
    a = scratch.array("x", (4, 3))
    b = scratch.array("x", (3, 3))
    assert a.shape == (4, 3) and b.shape == (3, 3) and np.shares_memory(a, b)
    c = scratch.array("x", (40, 3))
    assert c.shape == (40, 3) and not np.shares_memory(a, c)


@_SETTINGS
@given(flags=st.lists(st.tuples(st.booleans(), st.booleans()), max_size=60))
def test_share_equals_the_mean_of_the_flags(flags):
    values, among = (np.array([x[k] for x in flags], dtype=bool) for k in (0, 1))
    share = _share(values, among)
    if among.any():
        assert share == float(values[among].mean())
    else:
        assert np.isnan(share)


@_SETTINGS
@given(pairs=pairs)
def test_last_partners_equal_setting_them_deal_by_deal(pairs):
    a, b = (np.array(side, dtype=np.int64) for side in zip(*pairs, strict=True))
    batch = np.full(N_FIRMS, -1)
    lifecycle._set_last_partners(batch, a, b)
    one_by_one = np.full(N_FIRMS, -1)
    for x, y in pairs:
        one_by_one[x], one_by_one[y] = y, x
    assert batch.tolist() == one_by_one.tolist()


def test_has_tie_reads_the_live_ties_of_a_layer():
    net = NetworkTracker()
    net.add_firms([0, 1, 2])
    net.add_edges([5, 6], "supply", [0, 0], [1, 2], step=0, cross_border=False,
                  involves_sme=True)
    assert net.has_tie(0, 1, "supply") and net.has_tie(1, 0, "supply")
    assert not net.has_tie(0, 1, "alliance") and not net.has_tie(1, 2, "supply")
    assert not net.has_tie(0, 9, "supply")
    net.end_edges([5], step=2)
    assert not net.has_tie(0, 1, "supply") and net.has_tie(0, 2, "supply")


@given(ties=st.lists(st.tuples(st.integers(0, 25), st.integers(0, 25)).filter(
    lambda t: t[0] != t[1]), max_size=120), hub=st.booleans())
@settings(max_examples=60, deadline=None)
def test_network_shape_equals_networkx(ties, hub):
    if hub:  # a firm tied to many others, as multinationals are
        ties = ties + [(0, j) for j in range(1, 20)]
    src = np.array([3 * a for a, _ in ties], dtype=np.int64)
    dst = np.array([3 * b for _, b in ties], dtype=np.int64)
    clustering, giant, tied = _shape(src, dst)
    graph = nx.Graph(list(zip(src.tolist(), dst.tolist(), strict=True)))
    assert tied == graph.number_of_nodes()
    assert giant == max((len(c) for c in nx.connected_components(graph)), default=0)
    assert clustering == pytest.approx(nx.average_clustering(graph) if tied else 0.0, abs=1e-12)


@_SETTINGS
@given(seed=st.integers(0, 2**16))
def test_home_sales_reading_the_mnes_rows_alone_equals_reading_all(seed):
    model = make_model(n_firms=N_FIRMS, seed=seed)
    f = model.firms
    firms = np.flatnonzero(f.active)
    abroad = exports.affiliates(model, firms)
    weight = (exports.relative_size(model)[f.country[firms]] * abroad).sum(axis=1)
    every_row = f.base_revenue[firms] / (1.0 + weight)
    assert exports.home_sales(model, firms).tolist() == every_row.tolist()


def _exports_everywhere(model, cond, draws: np.ndarray) -> np.ndarray:
    """The export decision of every active firm worked out at every country (the rule of
    ``exports.step``, firms x countries), from standard normal ``draws`` (firms x countries)."""
    f = model.firms
    ex = model.scenario.exports
    firms = np.flatnonzero(f.active)
    exporting = f.exports[firms]
    abroad = exports.affiliates(model, firms)
    shock = np.exp(draws * ex.demand_noise)
    profit = exports.export_demand(model, cond, firms)
    profit *= exports.home_sales(model, firms)[:, None]
    profit *= shock
    profit /= ex.elasticity
    factor = exports.fixed_cost_factor(model, cond, firms)[:, None]
    serve = profit >= (ex.market_cost + ex.entry_cost / ex.payback_years) * factor
    np.greater_equal(profit, ex.market_cost * factor, out=serve, where=exporting)
    serve &= ~abroad
    serve[np.arange(len(firms)), f.country[firms]] = False
    return serve


@pytest.mark.parametrize("overrides", [
    [], ["exports.demand_noise=0"], ["exports.market_cost=0", "exports.entry_cost=0"],
    ["exports.demand_noise=4", "population.exporter_share=0.6"],
])
@pytest.mark.parametrize("seed", [1, 2])
def test_export_profit_worked_out_where_firms_may_serve_equals_everywhere(overrides, seed,
                                                                          monkeypatch):
    """The step decides from the draws that reach each firm's least draw alone: the same as
    deciding everywhere, with the draws that do not reach (below the least draw, so below any
    profitable one) as low as can be."""
    model = make_model(overrides, n_firms=400, seed=seed)
    for _ in range(5):
        model.step()
    cond = model.world.conditions(model.step_index)
    width = model.firms.exports.shape[1]
    drawn = {}

    def keep(*args):
        reach, draws = reaching(*args)
        drawn["reach"], drawn["draws"] = reach.copy(), draws.copy()  # the step scales its own
        return reach, draws

    reaching = exports._draws_reaching
    monkeypatch.setattr(exports, "_draws_reaching", keep)
    before = model.firms.exports.copy()
    state = model.export_rng.bit_generator.state
    exports.step(model, cond)
    after = model.firms.exports.copy()
    if "reach" in drawn:
        draws = np.full((int(model.firms.active.sum()), width), -np.inf)
        draws.reshape(-1)[drawn["reach"]] = drawn["draws"]
    else:  # no bound (no noise): every entry drawn, in firm order
        model.export_rng.bit_generator.state = state
        draws = model.export_rng.standard_normal((int(model.firms.active.sum()), width))
    with model.firms.writing("exports") as markets:
        markets[:] = before
    assert after[model.firms.active].tolist() == _exports_everywhere(model, cond, draws).tolist()


@pytest.mark.parametrize("least", [1.0, -0.5, 3.0])
def test_draws_reaching_the_least_draw_have_the_law_of_independent_normal_draws(least):
    """Entries reach with chance P(Z >= least), in every country alike, and their draws follow
    the normal law above ``least``: as if every entry had had its own standard normal draw."""
    rng = np.random.default_rng(7)
    n, width = 40_000, 21
    bounds = np.full(n, least)
    bounds[::4] = -np.inf  # every entry of these firms reaches
    reach, draws = exports._draws_reaching(rng, bounds, width)
    assert (np.diff(reach) > 0).all() and (draws >= bounds[reach // width]).all()
    free = reach // width % 4 == 0
    assert free.sum() == n // 4 * width
    assert abs(draws[free].mean()) < 0.01 and abs(draws[free].std() - 1.0) < 0.01
    law = stats.truncnorm(least, np.inf)
    bounded = draws[~free]
    expected = (n - n // 4) * width * stats.norm.sf(least)
    assert abs(len(bounded) - expected) < 5 * np.sqrt(expected)
    assert stats.kstest(bounded, law.cdf).pvalue > 0.001
    countries = np.bincount(reach[~free] % width, minlength=width)
    assert stats.chisquare(countries).pvalue > 0.001


@pytest.mark.parametrize("overrides", [[], ["behaviour.venture_search=3"],
                                       ["behaviour.search_rate=1", "drivers.ict_cost=0.1"]])
@pytest.mark.parametrize("seed", [1, 2])
def test_searchers_chosen_among_firms_below_the_bound_equal_those_of_every_firm(overrides, seed):
    model = make_model(overrides, n_firms=400, seed=seed)
    for _ in range(3):
        model.step()
    f, b = model.firms, model.scenario.behaviour
    cond = model.world.conditions(model.step_index)
    room, tech = search.has_room(model), innovation.tech_score(model)
    state = model.rng.bit_generator.state
    p = b.search_rate * (np.minimum(f.employees, 250.0) / 250.0) ** b.search_size_elasticity
    backed = f.is_sme & cond.venture_backed[f.sector]
    depth = model.world.venture_depth[f.country]
    venture = 1.0 + backed * (b.venture_search * cond.venture_capital) * depth * tech
    p = np.minimum(1.0, p * venture) * cond.internet[f.sector]
    units = np.maximum(f.employees / 250.0, 1.0) ** b.division_elasticity
    draw = model.rng.random(len(f))
    searches = np.where(room, np.floor(p * units) + (draw < p * units - np.floor(p * units)), 0)
    expected = np.repeat(np.arange(len(f)), searches.astype(int))
    model.rng.bit_generator.state = state
    assert search.choose_searchers(model, cond, room, tech).tolist() == expected.tolist()


@given(rows=st.integers(0, 5000), seed=st.integers(0, 2**16), scale=st.integers(-12, 12))
@settings(max_examples=50, deadline=None)
def test_cognitive_distance_sums_rows_as_numpy_does(rows, seed, scale):
    """The column-wise sum behind :func:`innovation.distance` has the bits of numpy's own
    ``sum(axis=1)`` (outputs stay byte-identical)."""
    rng = np.random.default_rng(seed)
    a = rng.dirichlet(np.full(8, 0.3), rows) * 10.0 ** scale
    b = rng.random((rows, 8))
    expected = 0.5 * np.abs(a - b).sum(axis=1)
    assert innovation.distance(a, b).tobytes() == expected.tobytes()
