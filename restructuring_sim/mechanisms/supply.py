"""Supply contracts: large manufacturers source components from specialised suppliers.

Buyers are active large firms of a supply-chain sector (``sectors.<name>.supply_chain``) with
fewer live contracts than their supplier slots (``supply.slots_per_decade`` per decade of size).
Each step a buyer with a free slot runs a tender with chance ``supply.sourcing_rate``:

* candidates are SMEs of the buyer's sector, drawn by visibility; with chance
  ``policy.b2b_exclusivity`` the tender runs on the buyers' exclusive B2B exchange, where only
  members take part (``channel = b2b_exchange``); an SME joins when the expected gain from
  exchange orders (``supply.b2b_benefit * b2b_exclusivity * revenue``) exceeds the yearly joining
  cost ``supply.b2b_join_cost``, which small firms rarely recover;
* suppliers in the buyer's production countries (where it sells) are always reached; others only
  with the search reach of :func:`restructuring_sim.mechanisms.search.reach_probability`, cut by
  ``supply.local_content``, except suppliers under price pressure, who seek foreign buyers;
  and a supplier across the border, wherever it is, only outside the share of the two firms'
  business their groups hold (:func:`restructuring_sim.mechanisms.governance.group_openness`:
  keiretsu-style supply ties, loosening as cross-shareholdings unwind);
* a candidate qualifies if its quality meets the floor, which rises by
  ``supply.quality_floor_growth`` a year, and if the order (``supply.order_share`` of the buyer's
  revenue) fits its capacity (``supply.capacity_share`` of its revenue, less its other contracts);
  a small firm in a cluster may pool its cluster's capacity to take an order too large for it
  alone (``channel = cluster``);
* the buyer signs with the qualifying candidate of the best score: quality + efficiency +
  ``w_delivery`` x delivery.

At the end of its term a contract ends; the buyer renews it (a new contract with the same
supplier, ``channel = prior_partner``) if the supplier still meets the quality floor.

Buyers squeeze their suppliers' prices. Every year the buyers of every supply-chain sector cut
the price of their live contracts by ``supply.price_pressure`` (a path: the cost-cutting drives
of car and electronics makers in the 1990s), and a price-cut shock
(``shocks.supplier_price_cut``) makes every buyer of one sector cut by ``cut`` in its year.
Contract values fall by the cut and each supplier's margin falls by the cut times the share of
its revenue on those contracts (its ``pressure``, which fades by half a year); medium suppliers
under pressure merge with peers (:mod:`restructuring_sim.mechanisms.acquisitions`), small ones
may close when their margin turns negative. The paper (Sakai 2002, on specialised suppliers):
MNE restructuring can cut suppliers loose or demand price cuts; "one carmaker demanded 20%
price cuts" of its suppliers, after which small suppliers closed and medium ones merged with
peers or went abroad.
"""

from __future__ import annotations

import numpy as np

from restructuring_sim import lifecycle
from restructuring_sim.deals import SUPPLY, purpose_mask
from restructuring_sim.events import CHANNELS
from restructuring_sim.firms import ACTIVE, REVENUE_PER_EMPLOYEE
from restructuring_sim.mechanisms.governance import group_openness
from restructuring_sim.mechanisms.search import reach_probability, visibility_draws

DIRECT, PRIOR, CLUSTER, B2B = (CHANNELS.index(c) for c in
                               ("direct", "prior_partner", "cluster", "b2b_exchange"))
_SUPPLY_PURPOSE = purpose_mask(["supply"])


def supply_chain_sectors(model) -> np.ndarray:
    """Boolean per sector: large firms source on supply contracts."""
    return np.array([model.scenario.sectors[s].supply_chain for s in model.world.sector_names])


def quality_floor(model, cond) -> float:
    """Minimum supplier quality in force (0..1)."""
    sup = model.scenario.supply
    return sup.quality_floor + sup.quality_floor_growth * (cond.t - model.scenario.simulation
                                                            .start_year)


def _chain_firms(model) -> np.ndarray:
    """Firms of a supply-chain sector (read-only; sectors are fixed at entry)."""
    f = model.firms
    return f.static_derived("supply_chain_firms", lambda: supply_chain_sectors(model)[f.sector])


def _chain_roles(model) -> tuple[np.ndarray, np.ndarray]:
    """The large active firms of the supply chains (who may buy on contracts), in firm order,
    and whether each firm is an active SME of the chains (who may supply): kept
    (:meth:`FirmTable.kept`) while the firms' statuses and sizes are the same, as they are at
    most steps of a year."""
    f = model.firms

    def find():
        in_chain = f.active & _chain_firms(model)  # active firms of the chains
        roles = (np.flatnonzero(in_chain & ~f.is_sme), in_chain & f.is_sme)
        roles[1].flags.writeable = False
        return roles

    return f.kept("chain_roles", ("status", "employees"), find)


def b2b_members(model, cond) -> np.ndarray:
    """Firms for whom joining the exclusive B2B exchange pays."""
    sup = model.scenario.supply
    rate = sup.b2b_benefit * cond.b2b_exclusivity
    if rate == 0.0:  # no exchange to speak of: every firm gains nothing (revenue is finite)
        return np.full(len(model.firms), sup.b2b_join_cost < 0.0)
    return rate * model.firms.base_revenue > sup.b2b_join_cost


def slots(model) -> np.ndarray:
    """Supplier slots of every firm as a buyer (read-only; computed again only once employees
    change)."""
    per_decade = model.scenario.supply.slots_per_decade
    return model.firms.derived("employees", ("supplier_slots", per_decade),
                               lambda e: np.ceil(per_decade * np.log10(np.maximum(e, 1))))


def _cluster_capacity(model, firms: np.ndarray) -> np.ndarray:
    """Free capacity of the cluster of each of ``firms`` (its own for a firm outside clusters):
    a supplier's free capacity is ``capacity_share x revenue - load`` (at least 0), and a
    cluster's is that of its active SMEs summed in firm order. Worked out for the members and
    ``firms`` alone (a tender asks for a few suppliers' clusters among a million firms).

    A run holds a sample of each cluster's firms (``simulation.sampling_fraction`` of them):
    the pooled capacity of the economy's cluster is the sampled members' sum over that fraction.
    """
    f = model.firms
    share = model.scenario.supply.capacity_share

    def free(rows):
        return np.maximum(share * f.base_revenue[rows] - f.supply_load[rows], 0.0)

    pooled = free(firms)
    members = _cluster_smes(f)
    if len(members):
        sums = np.bincount(f.cluster[members], weights=free(members))
        inside = (f.cluster[firms] >= 0) & (f.status[firms] == ACTIVE) & f.is_sme[firms]
        fraction = model.scenario.simulation.sampling_fraction
        pooled[inside] = sums[f.cluster[firms[inside]]] / fraction
    return pooled


def _cluster_smes(f) -> np.ndarray:
    """The active SMEs in clusters, kept (:meth:`FirmTable.kept`) while the firms' statuses
    and sizes are the same."""
    return f.kept("cluster_smes", ("status", "employees"),
                  lambda: np.flatnonzero((f.cluster >= 0) & f.active & f.is_sme))


def tender(model, cond) -> int:
    """Buyers with free slots run tenders; return the number of contracts signed."""
    f = model.firms
    rng = model.rng
    sup = model.scenario.supply
    large, suppliers = _chain_roles(model)
    draw = rng.random(len(f))
    # the large firms with a free slot whose draw runs a tender, in firm order
    buyers = large[(f.live_supply[large] < slots(model)[large])
                   & (draw[large] < sup.sourcing_rate)]
    if not len(buyers):
        return 0
    on_exchange = rng.random(len(buyers)) < cond.b2b_exclusivity
    members = suppliers & b2b_members(model, cond)
    k = sup.tender_candidates
    i = np.repeat(buyers, k)
    exch = np.repeat(on_exchange, k)
    j_open = visibility_draws(model, suppliers, f.sector[i])
    j_exch = visibility_draws(model, members, f.sector[i])
    j = np.where(exch, j_exch, j_open)
    ok = j >= 0
    i, j, exch = i[ok], j[ok], exch[ok]
    # reach: production countries always; elsewhere search reach less local content; across
    # borders only outside the business the two sides' groups hold
    home = f.markets[i, f.country[j]]
    reach = reach_probability(model, cond, i, j) * (1.0 - sup.local_content)
    reach = np.where(home | (f.pressure[j] > 0), 1.0, reach)
    reached = rng.random(len(i)) < reach * group_openness(model, cond, i, j)
    i, j, exch = i[reached], j[reached], exch[reached]
    # orders and the suppliers' free capacity, from the candidates' rows alone (revenue is
    # employees x revenue per employee, firm by firm)
    order = sup.order_share * (f.employees[i] * REVENUE_PER_EMPLOYEE)
    free = np.maximum(sup.capacity_share * (f.employees[j] * REVENUE_PER_EMPLOYEE)
                      - f.supply_load[j], 0.0)
    alone = order <= free
    # an order too large for a clustered supplier may fit its cluster's pooled capacity (worked
    # out only when some order needs it)
    pooled = ~alone & (f.cluster[j] >= 0)
    if pooled.any():
        pooled[pooled] = order[pooled] <= _cluster_capacity(model, j[pooled])
    qualifies = (f.quality[j] >= quality_floor(model, cond)) & (alone | pooled)
    if not qualifies.any():
        return 0
    i, j, exch, order, pooled = (x[qualifies] for x in (i, j, exch, order, pooled))
    score = f.quality[j] + f.efficiency[j] + sup.w_delivery * f.delivery[j]
    first = np.lexsort((rng.random(len(i)), -score, i))
    keep = np.ones(len(first), dtype=bool)
    keep[1:] = i[first][1:] != i[first][:-1]
    rows = first[keep]
    has_tie = model.network.has_tie
    rows = rows[[not has_tie(x, y, "supply") for x, y in zip(i[rows].tolist(), j[rows].tolist(),
                                                              strict=True)]]
    channel = np.where(exch[rows], B2B, np.where(pooled[rows], CLUSTER, DIRECT))
    lifecycle.open_deals(
        model, cond, SUPPLY, i[rows], j[rows], sector=f.sector[i[rows]],
        purposes=_SUPPLY_PURPOSE, channel=channel, term_steps=_terms(model, len(rows)),
        value=order[rows],
    )
    return len(rows)


def _terms(model, m: int) -> np.ndarray:
    """Terms (steps, at least one) of ``m`` new contracts."""
    sup = model.scenario.supply
    spy = model.scenario.simulation.steps_per_year
    term = model.rng.uniform(sup.term_years_min, sup.term_years_max, m)
    return np.maximum(1, np.rint(term * spy)).astype(np.int64)


def review(model, cond) -> int:
    """End contracts whose term is over; renew those whose supplier still qualifies."""
    d = model.deals
    f = model.firms
    live = d.live(SUPPLY)
    due = live[d.end_step[live] <= cond.step]
    buyer, supplier = d.a[due], d.b[due]
    renew = ((f.quality[supplier] >= quality_floor(model, cond)) & (f.status[buyer] == ACTIVE)
             & (f.status[supplier] == ACTIVE))
    lifecycle.renew_deals(
        model, cond, SUPPLY, due, renew, sector=f.sector[buyer[renew]],
        purposes=_SUPPLY_PURPOSE, channel=PRIOR, term_steps=_terms(model, int(renew.sum())),
        value=d.value[due[renew]],
    )
    return len(due)


def price_cut(model, cond) -> int:
    """Apply the year's price pressure of every supply-chain sector and the scenario's
    price-cut shock in its year (both at the start of the year); return the contracts cut."""
    if cond.quarter != 1:
        return 0
    d = model.deals
    f = model.firms
    live = d.live(SUPPLY)
    buyer_sector = f.sector[d.a[live]]
    cuts = np.zeros(model.world.n_sectors)
    cuts[supply_chain_sectors(model)] = model.scenario.supply.price_pressure(cond.t)
    shock = model.scenario.shocks.supplier_price_cut
    if shock is not None and cond.year == shock.year:
        sector = model.world.sector_names.index(shock.sector)
        cuts[sector] = 1.0 - (1.0 - cuts[sector]) * (1.0 - shock.cut)
    cut = cuts[buyer_sector]
    hit, cut = live[cut > 0], cut[cut > 0]
    if not len(hit):
        return 0
    suppliers = d.b[hit]
    lost = d.value[hit] * cut
    d.value[hit] -= lost
    np.subtract.at(f.supply_load, suppliers, lost)
    np.add.at(f.pressure, suppliers, lost / np.maximum(f.base_revenue[suppliers], 1e-9))
    return len(hit)
