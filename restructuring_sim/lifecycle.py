"""Deal and firm life cycles: the one place where deals open and close and firms come and go.

Every mechanism goes through these functions, so that the deal table, the firms' counters, the
event log and the network always agree:

* :func:`open_deal` / :func:`close_deal` for alliances, supply contracts and ownership ties, and
  :func:`open_deals` / :func:`close_deals` for many at once (the same as opening or closing them
  one by one, in order);
* :func:`acquire`: the target's live alliances and supply contracts **end** (they were contracts
  of an independent firm; the acquirer may form new ones itself), an ownership tie from acquirer to
  target is added, the acquirer absorbs the target's employees, knowledge, capital and markets,
  and the target stays in the network as a subsidiary that takes part in nothing afterwards;
* :func:`add_firms` and :func:`exit_firm`: entrants join the population and the network (and
  the Mesa agent set); a firm that exits ends its deals, leaves the network with its
  subsidiaries, and its agent is removed.
"""

from __future__ import annotations

import math

import numpy as np

from restructuring_sim.deals import ALLIANCE, LAYER_NAMES, OWNERSHIP, SUPPLY
from restructuring_sim.events import KINDS
from restructuring_sim.firms import (
    ACQUIRED,
    ACTIVE,
    EXITED,
    SIZE_BOUNDS,
    size_class_code,
    size_class_codes,
)

_KIND = {kind: code for code, kind in enumerate(KINDS)}
_OPENED = {ALLIANCE: "alliance_formed", SUPPLY: "supply_contract_signed", OWNERSHIP: "acquisition"}
_CLOSED = {ALLIANCE: "alliance_dissolved", SUPPLY: "supply_contract_ended"}


def log_event(model, cond, kind: str, a: int, b: int, sector: int, **fields) -> None:
    """Record one event about firm ``a`` and, unless ``b`` is -1, firm ``b``; participants' size
    classes, countries and regions are taken as they are now.

    ``fields`` are further codes of the event (``deal_id``, ``purposes``, ``joint_venture``,
    ``equity``, ``motive``, ``channel``, ``value``; see :data:`restructuring_sim.events.ROW`).
    """
    f = model.firms
    employees, country, region = f.employees, f.country, f.region
    if b >= 0:
        fields.update(b=b, size_b=size_class_code(employees[b]), country_b=country[b],
                      region_b=region[b])
    model.events.add(
        step=cond.step, year=cond.year, quarter=cond.quarter, kind=_KIND[kind], a=a,
        size_a=size_class_code(employees[a]), country_a=country[a], region_a=region[a],
        sector=sector, sector_group=model.world.sector_group[sector], **fields,
    )


def log_events(model, cond, kind: str, a: np.ndarray, b: np.ndarray, sector: np.ndarray,
               **fields) -> None:
    """Record one event per entry of ``a`` (array twin of :func:`log_event`; ``b`` holds -1
    where an event has one participant, and ``fields`` may be arrays or scalars)."""
    f = model.firms
    has_b = b >= 0
    other = np.where(has_b, b, a)
    model.events.extend(
        step=cond.step, year=cond.year, quarter=cond.quarter, kind=_KIND[kind], a=a,
        size_a=size_class_codes(f.employees[a]), country_a=f.country[a], region_a=f.region[a],
        b=b, size_b=np.where(has_b, size_class_codes(f.employees[other]), -1),
        country_b=np.where(has_b, f.country[other], -1),
        region_b=np.where(has_b, f.region[other], -1),
        sector=sector, sector_group=model.world.sector_group[sector], **fields,
    )


def open_deal(model, cond, layer: int, a: int, b: int, *, sector: int, purposes: int = 0,
              channel: int = 0, joint_venture: bool = False, equity: bool = False,
              term_steps: int = 0, value: float = math.nan, value_a: float = 0.0,
              value_b: float = 0.0, motive: int = -1) -> int:
    """Open a deal between active firms ``a`` and ``b``, log it and add its network tie."""
    f = model.firms
    if a == b:
        raise ValueError(f"firm {a} cannot make a deal with itself")
    if f.status[a] != ACTIVE or (f.status[b] != ACTIVE):
        raise ValueError(f"deal between {a} and {b}: both firms must be active")
    deal = model.deals.append_row(
        a=a, b=b, layer=layer, sector=sector, purposes=purposes, channel=channel,
        joint_venture=joint_venture, equity=equity, start_step=cond.step,
        end_step=cond.step + term_steps, alive=True, value=value, value_a=value_a,
        value_b=value_b, motive=motive,
    )
    if layer == ALLIANCE:
        live = f.live_alliances
        live[a] += 1
        live[b] += 1
        f.last_partner[a], f.last_partner[b] = b, a
    elif layer == SUPPLY:
        live = f.live_supply
        live[a] += 1
        live[b] += 1
        f.supply_load[b] += value
    log_event(model, cond, _OPENED[layer], a, b, sector, deal_id=deal, purposes=purposes,
              joint_venture=joint_venture, equity=equity, motive=motive, channel=channel,
              value=value)
    model.network.add_edge(
        deal, LAYER_NAMES[layer], a, b, step=cond.step,
        cross_border=bool(f.country[a] != f.country[b]),
        involves_sme=bool(min(f.employees[a], f.employees[b]) < SIZE_BOUNDS[1]),
    )
    return deal


def open_deals(model, cond, layer: int, a: np.ndarray, b: np.ndarray, *, sector, purposes=0,
               channel=0, joint_venture=False, equity=False, term_steps=0, value=math.nan,
               value_a=0.0, value_b=0.0, motive=-1) -> np.ndarray:
    """Open one deal per pair ``(a[k], b[k])`` of active firms, as :func:`open_deal` would one
    after the other; every keyword may be an array (one value per deal) or a scalar.

    Returns the new deal ids.
    """
    f = model.firms
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    if not len(a):
        return np.zeros(0, dtype=np.int64)
    if (a == b).any():
        raise ValueError(f"firm {a[a == b][0]} cannot make a deal with itself")
    if ((f.status[a] != ACTIVE) | (f.status[b] != ACTIVE)).any():
        raise ValueError("deals between inactive firms: both firms must be active")
    deals = model.deals.append(
        a=a, b=b, layer=layer, sector=sector, purposes=purposes, channel=channel,
        joint_venture=joint_venture, equity=equity, start_step=cond.step,
        end_step=cond.step + np.asarray(term_steps), alive=True, value=value, value_a=value_a,
        value_b=value_b, motive=motive,
    )
    if layer == ALLIANCE:
        _count_live(f.live_alliances, a, b, +1)
        _set_last_partners(f.last_partner, a, b)
    elif layer == SUPPLY:
        _count_live(f.live_supply, a, b, +1)
        np.add.at(f.supply_load, b, np.broadcast_to(value, b.shape))
    log_events(model, cond, _OPENED[layer], a, b, sector, deal_id=deals, purposes=purposes,
               joint_venture=joint_venture, equity=equity, motive=motive, channel=channel,
               value=value)
    model.network.add_edges(
        deals, LAYER_NAMES[layer], a, b, step=cond.step, cross_border=f.country[a] != f.country[b],
        involves_sme=np.minimum(f.employees[a], f.employees[b]) < SIZE_BOUNDS[1],
    )
    return deals


def _count_live(live: np.ndarray, a: np.ndarray, b: np.ndarray, change: int) -> None:
    """Add ``change`` to the live-deal count of both sides of every deal."""
    np.add.at(live, a, change)
    np.add.at(live, b, change)


def _set_last_partners(last_partner: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    """Each firm's last partner becomes its partner in the last of these deals it is in."""
    firm = np.stack([a, b], axis=1).ravel()
    partner = np.stack([b, a], axis=1).ravel()
    firms, first_from_end = np.unique(firm[::-1], return_index=True)
    last_partner[firms] = partner[len(firm) - 1 - first_from_end]


def close_deal(model, cond, deal: int) -> None:
    """End a live deal: log it (alliances, supply contracts) and end its network tie."""
    d = model.deals
    f = model.firms
    if not d.alive[deal]:
        raise ValueError(f"deal {deal} is not live")
    d.alive[deal] = False
    a, b, layer = int(d.a[deal]), int(d.b[deal]), int(d.layer[deal])
    if layer in _CLOSED:  # alliances and supply contracts (ownership ties are not logged)
        live = f.live_alliances if layer == ALLIANCE else f.live_supply
        live[a] -= 1
        live[b] -= 1
        if layer == SUPPLY:
            f.supply_load[b] = max(0.0, f.supply_load[b] - d.value[deal])
        log_event(model, cond, _CLOSED[layer], a, b, int(d.sector[deal]), deal_id=deal,
                  purposes=d.purposes[deal], joint_venture=d.joint_venture[deal],
                  equity=d.equity[deal], channel=d.channel[deal], value=d.value[deal])
    model.network.end_edge(deal, cond.step)


def close_deals(model, cond, layer: int, deals: np.ndarray) -> None:
    """End live alliances or supply contracts of ``layer``, as :func:`close_deal` would one
    after the other."""
    d = model.deals
    f = model.firms
    deals = np.asarray(deals, dtype=np.int64)
    if not len(deals):
        return
    if not d.alive[deals].all() or (d.layer[deals] != layer).any() or layer not in _CLOSED:
        raise ValueError(f"deals to close must be live {LAYER_NAMES[layer]} deals")
    d.alive[deals] = False
    a, b = d.a[deals], d.b[deals]
    if layer == ALLIANCE:
        _count_live(f.live_alliances, a, b, -1)
    else:  # contract values are positive, so clipping once equals clipping after each
        _count_live(f.live_supply, a, b, -1)
        np.subtract.at(f.supply_load, b, d.value[deals])
        f.supply_load[b] = np.maximum(0.0, f.supply_load[b])
    log_events(model, cond, _CLOSED[layer], a, b, d.sector[deals], deal_id=deals,
               purposes=d.purposes[deals], joint_venture=d.joint_venture[deals],
               equity=d.equity[deals], channel=d.channel[deals], value=d.value[deals])
    model.network.end_edges(deals, cond.step)


def end_contracts(model, cond, firm: int) -> None:
    """End every live alliance and supply contract of ``firm``."""
    for deal, layer in sorted(model.network.live_edges_of(firm)):
        if layer != "ownership":
            close_deal(model, cond, deal)


def acquire(model, cond, acquirer: int, target: int, *, motive: int, price: float,
            channel: int) -> int:
    """``acquirer`` buys ``target`` (see the module docstring for what happens to its deals)."""
    f = model.firms
    end_contracts(model, cond, target)
    deal = open_deal(model, cond, OWNERSHIP, acquirer, target, sector=int(f.sector[target]),
                     channel=channel, value=price, motive=motive)
    f.employees[acquirer] += f.employees[target]
    f.knowledge[acquirer] = max(f.knowledge[acquirer], f.knowledge[target])
    f.capital[acquirer] += f.capital[target]
    f.markets[acquirer] |= f.markets[target]
    f.status[target] = ACQUIRED
    f.owner[target] = acquirer
    model.remove_agent_of(target)
    return deal


def exit_firm(model, cond, firm: int) -> None:
    """Close ``firm``: end its deals, log its exit, drop it and its subsidiaries from the net."""
    f = model.firms
    end_contracts(model, cond, firm)
    log_event(model, cond, "firm_exited", firm, -1, int(f.sector[firm]))
    f.status[firm] = EXITED
    model.remove_agent_of(firm)
    _leave_network(model, cond, firm)


def _leave_network(model, cond, firm: int) -> None:
    for deal, layer in sorted(model.network.live_edges_of(firm)):
        if layer != "ownership":
            raise ValueError(f"firm {firm} leaves with live deal {deal}")
        close_deal(model, cond, deal)
        subsidiary = int(model.deals.b[deal])
        if subsidiary != firm:
            _leave_network(model, cond, subsidiary)
    model.network.remove_firm(firm)


def add_firms(model, cond, columns: dict[str, np.ndarray], parents: np.ndarray) -> np.ndarray:
    """Append entrants, give them nodes, and log ``firm_entered`` for each (their Mesa agents
    are created when the agents are next looked at, see ``RestructuringModel.agents``).

    ``parents`` holds the parent firm of a spin-off, or -1 for a start-up; the event lists
    ``[entrant]`` or ``[entrant, parent]``.
    """
    ids = model.firms.append(**columns, birth_step=np.full(len(parents), cond.step))
    model.network.add_firms(ids)
    log_events(model, cond, "firm_entered", ids, np.asarray(parents, dtype=np.int64),
               model.firms.sector[ids])
    return ids
