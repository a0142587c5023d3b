"""Deal and firm life cycles: the one place where deals open and close and firms come and go.

Every mechanism goes through these functions, so that the deal table, the firms' counters, the
event log and the network always agree:

* :func:`open_deal` / :func:`close_deal` for alliances, supply contracts and ownership ties;
* :func:`acquire`: the target's live alliances and supply contracts **end** (they were contracts
  of an independent firm; the acquirer may form new ones itself), an ownership tie from acquirer to
  target is added, the acquirer absorbs the target's employees, knowledge, capital and markets,
  and the target stays in the network as a subsidiary that takes part in nothing afterwards;
* :func:`add_firms` and :func:`exit_firm`: entrants join the population, the network and the Mesa
  agent set; a firm that exits ends its deals, leaves the network with its subsidiaries, and
  its agent is removed.
"""

from __future__ import annotations

import math

import numpy as np

from restructuring_sim.deals import ALLIANCE, LAYER_NAMES, OWNERSHIP, SUPPLY, purpose_names
from restructuring_sim.events import CHANNELS, MOTIVES
from restructuring_sim.firms import ACQUIRED, ACTIVE, EXITED, SIZE_BOUNDS, size_class_name
from restructuring_sim.world import SECTOR_GROUPS

_OPENED = {ALLIANCE: "alliance_formed", SUPPLY: "supply_contract_signed", OWNERSHIP: "acquisition"}
_CLOSED = {ALLIANCE: "alliance_dissolved", SUPPLY: "supply_contract_ended"}


def log_event(model, cond, kind: str, ids: list[int], sector: int, *, deal: int = -1,
              purposes: int = 0, joint_venture: bool = False, equity: bool = False,
              motive: int = -1, channel: int = -1, value: float = math.nan) -> None:
    """Record one event; participants' size class, country and region are taken as they are now.

    ``deal`` is -1 for events about a firm (entry, exit) rather than a deal.
    """
    f = model.firms
    w = model.world
    employees, country, region = f.employees, f.country, f.region
    model.events.record(
        step=cond.step, year=cond.year, quarter=cond.quarter, kind=kind, deal_id=deal,
        firm_ids=ids, size_classes=[size_class_name(employees[k]) for k in ids],
        countries=[w.country_names[country[k]] for k in ids],
        regions=[w.region_names[region[k]] for k in ids],
        sector=w.sector_names[sector], sector_group=SECTOR_GROUPS[w.sector_group[sector]],
        purposes=purpose_names(purposes), joint_venture=joint_venture, equity=equity,
        motive=MOTIVES[motive] if motive >= 0 else "",
        channel=CHANNELS[channel] if channel >= 0 else "", value=value,
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
    log_event(model, cond, _OPENED[layer], [a, b], sector, deal=deal, purposes=purposes,
              joint_venture=joint_venture, equity=equity, motive=motive, channel=channel,
              value=value)
    model.network.add_edge(
        deal, LAYER_NAMES[layer], a, b, step=cond.step,
        cross_border=bool(f.country[a] != f.country[b]),
        involves_sme=bool(min(f.employees[a], f.employees[b]) < SIZE_BOUNDS[1]),
    )
    return deal


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
        log_event(model, cond, _CLOSED[layer], [a, b], int(d.sector[deal]), deal=deal,
                  purposes=int(d.purposes[deal]), joint_venture=bool(d.joint_venture[deal]),
                  equity=bool(d.equity[deal]), channel=int(d.channel[deal]),
                  value=float(d.value[deal]))
    model.network.end_edge(deal, cond.step)


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
    log_event(model, cond, "firm_exited", [firm], int(f.sector[firm]))
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
    """Append entrants, give them nodes and agents, and log ``firm_entered`` for each.

    ``parents`` holds the parent firm of a spin-off, or -1 for a start-up; the event lists
    ``[entrant]`` or ``[entrant, parent]``.
    """
    ids = model.firms.append(**columns, birth_step=np.full(len(parents), cond.step))
    model.network.add_firms(ids)
    for firm, parent in zip(ids.tolist(), parents.tolist(), strict=True):
        model.add_agent_for(firm)
        log_event(model, cond, "firm_entered", [firm] if parent < 0 else [firm, parent],
                  int(model.firms.sector[firm]))
    return ids

