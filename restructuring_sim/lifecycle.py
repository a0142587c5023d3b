"""Deal and firm life cycles: the one place where deals open and close and firms come and go.

Every mechanism goes through these functions, so that the deal table, the firms' counters, the
event log and the network always agree:

* :func:`open_deal` / :func:`close_deal` for alliances, supply contracts and ownership ties, and
  :func:`open_deals` / :func:`close_deals` for many at once (the same as opening or closing them
  one by one, in order), and :func:`renew_deals` to end deals and open some of them again;
* :func:`acquire`: the target's live alliances and supply contracts **end** (they were contracts
  of an independent firm; the acquirer may form new ones itself), an ownership tie from acquirer to
  target is added, the acquirer absorbs the target's employees, knowledge, capital and markets,
  and the target stays in the network as a subsidiary that takes part in nothing afterwards;
  :class:`AcquisitionBatch` makes many acquisitions one after the other the same way and writes
  their deals, events and ties at once;
* :func:`add_firms` and :func:`exit_firm`: entrants join the population and the network (and
  the Mesa agent set); a firm that exits ends its deals, leaves the network with its
  subsidiaries, and its agent is removed; :func:`exit_firms` closes many firms at once, as
  :func:`exit_firm` would one after the other.
"""

from __future__ import annotations

import math

import numpy as np

from restructuring_sim.columns import distinct
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
from restructuring_sim.mechanisms.innovation import absorb_profile, profiles_changed

_KIND = {kind: code for code, kind in enumerate(KINDS)}
_OPENED = {ALLIANCE: "alliance_formed", SUPPLY: "supply_contract_signed", OWNERSHIP: "acquisition"}
_CLOSED = {ALLIANCE: "alliance_dissolved", SUPPLY: "supply_contract_ended"}
#: kind code of the event logged about a deal, by whether it is opened (row 0: ended, 1:
#: opened) and by layer (ownership ties that end are not logged)
_LOGGED_KIND = np.array([[_KIND[_CLOSED[layer]] if layer in _CLOSED else -1 for layer in _OPENED],
                         [_KIND[_OPENED[layer]] for layer in _OPENED]])


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
        f.alliances_formed[a] += 1
        f.alliances_formed[b] += 1
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
        _count_live(f.alliances_formed, a, b, +1)
        _set_last_partners(f.last_partner, a, b)
    elif layer == SUPPLY:
        _count_live(f.live_supply, a, b, +1)
        np.add.at(f.supply_load, b, value)  # a value for all is repeated by ``at`` itself
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
    last: dict[int, int] = {}  # a few deals a step: a dict is quicker than sorting firms
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        last[x] = y
        last[y] = x
    if last:
        last_partner[list(last)] = list(last.values())


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
    _release(f, d, deals)
    a, b = d.a[deals], d.b[deals]
    log_events(model, cond, _CLOSED[layer], a, b, d.sector[deals], deal_id=deals,
               purposes=d.purposes[deals], joint_venture=d.joint_venture[deals],
               equity=d.equity[deals], channel=d.channel[deals], value=d.value[deals])
    model.network.end_edges(deals, cond.step)


def renew_deals(model, cond, layer: int, deals: np.ndarray, renew: np.ndarray,
                **terms) -> np.ndarray:
    """End live alliances or supply contracts of ``layer`` and, right after each one where
    ``renew`` holds, open a new deal between the same firms, as :func:`close_deal` and then
    :func:`open_deal` would one deal after the other; ``terms`` are the keywords of
    :func:`open_deals`, one value per renewal or one for all.

    Returns the ids of the new deals.
    """
    f = model.firms
    d = model.deals
    deals = np.asarray(deals, dtype=np.int64)
    renew = np.asarray(renew, dtype=bool)
    if not len(deals):
        return np.zeros(0, dtype=np.int64)
    if not d.alive[deals].all() or (d.layer[deals] != layer).any() or layer not in _CLOSED:
        raise ValueError(f"deals to renew must be live {LAYER_NAMES[layer]} deals")
    a, b = d.a[deals], d.b[deals]
    if ((f.status[a[renew]] != ACTIVE) | (f.status[b[renew]] != ACTIVE)).any():
        raise ValueError("renewals between inactive firms: both firms must be active")
    if layer == SUPPLY:
        value = np.broadcast_to(np.asarray(terms.get("value", math.nan), dtype=np.float64),
                                (int(renew.sum()),))
        _reload_suppliers(f.supply_load, b, d.value[deals], renew, value)
    d.alive[deals] = False
    live = f.live_alliances if layer == ALLIANCE else f.live_supply
    _count_live(live, a, b, -1)
    new = d.append(a=a[renew], b=b[renew], layer=layer, start_step=cond.step,
                   end_step=cond.step + np.asarray(terms.pop("term_steps", 0)), alive=True,
                   **terms)
    _count_live(live, a[renew], b[renew], +1)
    if layer == ALLIANCE:
        _set_last_partners(f.last_partner, a[renew], b[renew])
    # events: each ending, followed by its renewal
    logged = np.empty(len(deals) + len(new), dtype=np.int64)
    opened = np.zeros(len(logged), dtype=bool)
    at = np.arange(len(deals)) + np.concatenate([[0], np.cumsum(renew)[:-1]])
    logged[at] = deals
    opened[at[renew] + 1] = True
    logged[opened] = new
    _log_deal_events(model, cond, logged, opened, np.full(len(logged), -1))
    a, b = a[renew], b[renew]
    model.network.renew_edges(
        deals, renew, new, LAYER_NAMES[layer], step=cond.step,
        cross_border=f.country[a] != f.country[b],
        involves_sme=np.minimum(f.employees[a], f.employees[b]) < SIZE_BOUNDS[1],
    )
    return new


def _reload_suppliers(load: np.ndarray, suppliers: np.ndarray, ended: np.ndarray,
                      renew: np.ndarray, renewed: np.ndarray) -> None:
    """Suppliers' loads after each contract ends (less its value, clipped at zero) and, where
    renewed, is signed again (plus the new value), in the order of the contracts: the float
    arithmetic of ending and renewing one contract after the other."""
    values = iter(renewed.tolist())
    for supplier, value, again in zip(suppliers.tolist(), ended.tolist(), renew.tolist(),
                                      strict=True):
        load[supplier] = max(0.0, load[supplier] - value)
        if again:
            load[supplier] += next(values)


def _release(f, d, deals: np.ndarray) -> None:
    """Take ended alliances and supply contracts (``deals``, in the order they ended) off their
    firms' live counts, and supply contracts off their suppliers' loads."""
    layer = d.layer[deals]
    for code, live in ((ALLIANCE, f.live_alliances), (SUPPLY, f.live_supply)):
        these = deals[layer == code]
        _count_live(live, d.a[these], d.b[these], -1)
    supply = deals[layer == SUPPLY]
    suppliers = d.b[supply]
    # contract values are positive, so clipping once equals clipping after each
    np.subtract.at(f.supply_load, suppliers, d.value[supply])
    f.supply_load[suppliers] = np.maximum(0.0, f.supply_load[suppliers])


def _contracts(model, firm: int) -> list[int]:
    """Ids of the live alliances and supply contracts of ``firm``, in increasing order."""
    if not model.network.is_tied(firm):  # most firms have no ties at all
        return []
    alive = model.deals.alive
    return sorted(deal for deal, layer in model.network.live_edges_of(firm)
                  if layer != "ownership" and alive[deal])


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
    absorb(model, acquirer, target)
    return deal


def absorb(model, acquirer: int, target: int) -> None:
    """``acquirer`` takes over ``target``'s employees, knowledge, capital and markets; the
    target becomes its acquired subsidiary and leaves the agents."""
    f = model.firms
    f.write("employees", acquirer, f.employees[acquirer] + f.employees[target])
    absorb_profile(model, acquirer, target)
    f.knowledge[acquirer] = max(f.knowledge[acquirer], f.knowledge[target])
    f.capital[acquirer] += f.capital[target]
    f.markets[acquirer] |= f.markets[target]
    if model.scenario.acquisitions.buyer_becomes_mne:
        f.mne[acquirer] |= _abroad(f, acquirer, target)
    f.status[target] = ACQUIRED
    f.owner[target] = acquirer
    model.remove_agent_of(target)


def _abroad(f, acquirers, targets):
    """Whether buying ``targets`` makes ``acquirers`` multinationals: the target is based in
    another country, or is a multinational (its affiliates become the buyer's)."""
    return (f.country[targets] != f.country[acquirers]) | f.mne[targets]


def _absorb_at_once(f, acquirers: np.ndarray, targets: np.ndarray, mne: bool) -> None:
    """:func:`absorb`'s knowledge, profile, capital, markets, multinational status (with
    ``mne``, ``acquisitions.buyer_becomes_mne``) and owner for acquisitions that share no firm
    (array twin; the profile is mixed as
    :func:`restructuring_sim.mechanisms.innovation.absorb_profile` mixes it, on the knowledge
    before the acquisition)."""
    ka, kt = f.knowledge[acquirers], f.knowledge[targets]
    f.profile[acquirers] = ((ka[:, None] * f.profile[acquirers] + kt[:, None] * f.profile[targets])
                            / np.maximum(ka + kt, 1e-300)[:, None])
    f.knowledge[acquirers] = np.where(kt > ka, kt, ka)  # max(ka, kt), as Python's max picks
    f.capital[acquirers] += f.capital[targets]
    f.markets[acquirers] |= f.markets[targets]
    if mne:
        f.mne[acquirers] |= _abroad(f, acquirers, targets)
    f.owner[targets] = acquirers


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


def exit_firms(model, cond, firms) -> None:
    """Close active ``firms``, as :func:`exit_firm` would one after the other: the same events in
    the same order, deal states, counters and network, with the log, deal counters and network
    updated once for all."""
    f = model.firms
    d = model.deals
    firms = np.asarray(firms, dtype=np.int64)
    if not len(firms):
        return
    if (f.status[firms] != ACTIVE).any() or len(distinct(firms)) != len(firms):
        raise ValueError("firms to close must be distinct active firms")
    logged: list[int] = []  # deal id of each event, -1 for a firm's exit
    about: list[int] = []  # the firm each event is logged for
    ended: list[int] = []  # every deal that ends, contracts and ownership ties
    leaving: list[int] = []  # firms that leave the network, in the order they leave
    is_tied = model.network.is_tied
    for firm in firms.tolist():
        model.remove_agent_of(firm)
        if not is_tied(firm):  # most firms that exit have no ties at all
            logged.append(-1)
            about.append(firm)
            leaving.append(firm)
            continue
        contracts = _contracts(model, firm)
        d.alive[contracts] = False
        ended += contracts
        logged += [*contracts, -1]
        about += [firm] * (len(contracts) + 1)
        _collect_leavers(model, firm, ended, leaving)
    f.status[firms] = EXITED
    ended = np.array(ended, dtype=np.int64)
    _release(f, d, ended[d.layer[ended] != OWNERSHIP])
    logged = np.array(logged, dtype=np.int64)
    _log_deal_events(model, cond, logged, np.zeros(len(logged), dtype=bool),
                     np.array(about, dtype=np.int64))
    model.network.end_edges(ended, cond.step)
    model.network.remove_firms(leaving)


def _collect_leavers(model, firm: int, ended: list[int], leaving: list[int]) -> None:
    """Mark the live ownership ties of ``firm`` and, recursively, of its subsidiaries as ended
    (appending them to ``ended``) and append the firms to ``leaving``, in the order
    :func:`_leave_network` ends and removes them."""
    d = model.deals
    for deal, layer in sorted(model.network.live_edges_of(firm)):
        if not d.alive[deal]:
            continue  # ended earlier in the same batch
        if layer != "ownership":
            raise ValueError(f"firm {firm} leaves with live deal {deal}")
        d.alive[deal] = False
        ended.append(deal)
        subsidiary = int(d.b[deal])
        if subsidiary != firm:
            _collect_leavers(model, subsidiary, ended, leaving)
    leaving.append(firm)


def _log_deal_events(model, cond, deals: np.ndarray, opened: np.ndarray, firms: np.ndarray,
                     sizes: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """Log one event per entry of ``deals``: the opening of the deal where ``opened``, else
    the end of an alliance or supply contract, or, where the deal is -1, the exit of the firm
    in ``firms`` (read only there). Participants, sector and terms come from the deal table, as
    :func:`close_deal` and :func:`open_deal` log them; the participants' size classes are
    ``sizes`` (a, b) when given, else taken as they are now."""
    f = model.firms
    d = model.deals
    has_deal = deals >= 0
    rows = deals[has_deal]

    def term(column: np.ndarray, default) -> np.ndarray:
        """A deal column per event, ``default`` for exits."""
        out = np.full(len(deals), default, dtype=column.dtype)
        out[has_deal] = column[rows]
        return out

    kind = np.full(len(deals), _KIND["firm_exited"])
    kind[has_deal] = _LOGGED_KIND[opened[has_deal].astype(np.intp), d.layer[rows]]
    a, b = term(d.a, firms), term(d.b, -1)
    has_b = b >= 0
    other = np.where(has_b, b, a)
    if sizes is None:
        sizes = (size_class_codes(f.employees[a]),
                 np.where(has_b, size_class_codes(f.employees[other]), -1))
    sector = term(d.sector, f.sector[a])
    motive = term(d.motive, -1)
    motive[~opened] = -1  # ended deals are logged without a motive
    model.events.extend(
        step=cond.step, year=cond.year, quarter=cond.quarter, kind=kind, deal_id=deals, a=a,
        size_a=sizes[0], country_a=f.country[a], region_a=f.region[a], b=b, size_b=sizes[1],
        country_b=np.where(has_b, f.country[other], -1),
        region_b=np.where(has_b, f.region[other], -1),
        sector=sector, sector_group=model.world.sector_group[sector],
        purposes=term(d.purposes, 0), joint_venture=term(d.joint_venture, False),
        equity=term(d.equity, False), motive=motive, channel=term(d.channel, -1),
        value=term(d.value, math.nan),
    )


class AcquisitionBatch:
    """Acquisitions made one after the other, as :func:`acquire` makes them, whose deal rows,
    events and network ties are written at once by :meth:`commit`.

    Each :meth:`acquire` changes at once what the next acquisition is decided on (the acquirer's
    size, the target's status), so that a mechanism can decide it on the state the earlier ones
    left; the rest waits for :meth:`commit`, which must come before any other deal opens or
    closes and before the firms' knowledge, profiles, capital, markets or owners are read: the
    bookkeeping, and what the acquirers absorb (see :meth:`_absorb`). After it, deals, events,
    firms and network are those of the same calls to :func:`acquire`.
    """

    def __init__(self, model, cond):
        self.model = model
        self.cond = cond
        self._clear()

    def _clear(self) -> None:
        """Start with no acquisition pending."""
        self._first = len(self.model.deals)  # id of the first ownership deal of the batch
        #: (acquirer, target, motive, price, channel) of each acquisition, in order
        self._owners: list[tuple[int, int, int, float, int]] = []
        self._ended: list[int] = []  # contracts of the targets, in the order they end
        #: (deal id, participants' employees then) of each event, in log order
        self._logged: list[tuple[int, float, float]] = []
        #: wave of each acquisition (see :meth:`_absorb`), and the last wave of every firm in one
        self._waves: list[int] = []
        self._last_wave: dict[int, int] = {}

    def acquire(self, acquirer: int, target: int, *, motive: int, price: float,
                channel: int) -> int:
        """``acquirer`` buys ``target`` now; return the id the ownership deal will have."""
        model = self.model
        f = model.firms
        if acquirer == target:
            raise ValueError(f"firm {acquirer} cannot make a deal with itself")
        status = f.status
        if status[acquirer] != ACTIVE or status[target] != ACTIVE:
            raise ValueError(f"deal between {acquirer} and {target}: both firms must be active")
        with f.writing("employees") as employees:
            return self.take(acquirer, target, motive, price, channel, employees)

    def take(self, acquirer: int, target: int, motive: int, price: float, channel: int,
             employees: np.ndarray) -> int:
        """:meth:`acquire` for two firms known to be distinct and active, with the firms'
        employees column made writable by the caller (``firms.writing("employees")``): for a
        mechanism making many acquisitions in one loop."""
        model = self.model
        contracts = _contracts(model, target)
        if contracts:
            d = model.deals
            d.alive[contracts] = False
            self._logged += [(deal, employees[d.a[deal]], employees[d.b[deal]])
                             for deal in contracts]
            self._ended += contracts
        owners = self._owners
        deal = self._first + len(owners)
        owners.append((acquirer, target, motive, price, channel))
        e_a, e_t = employees[acquirer], employees[target]
        self._logged.append((deal, e_a, e_t))
        # now: what the next acquisitions are decided on; the rest of absorb at commit
        employees[acquirer] = e_a + e_t
        model.firms.status[target] = ACQUIRED
        last = self._last_wave
        wave = max(last.get(acquirer, -1), last.get(target, -1)) + 1
        last[acquirer] = last[target] = wave
        self._waves.append(wave)
        return deal

    def _absorb(self, acquirers: np.ndarray, targets: np.ndarray) -> None:
        """What :func:`absorb` does besides the acquirer's employees and the target's status
        (done by :meth:`acquire`), for every acquisition of the batch, with the same numbers.

        Each acquisition is in a *wave*: one after the last wave of an earlier acquisition of
        either of its firms. The acquisitions of a wave share no firm, so they are made at
        once, and every firm goes through its acquisitions in their order, as one by one (a
        firm that bought others and is then bought passes on what it absorbed).
        """
        model = self.model
        f = model.firms
        mne = model.scenario.acquisitions.buyer_becomes_mne
        waves = np.array(self._waves, dtype=np.int64)
        order = np.argsort(waves, kind="stable")
        bounds = np.searchsorted(waves[order], np.arange(waves.max() + 2))
        for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            at = order[lo:hi]
            _absorb_at_once(f, acquirers[at], targets[at], mne)
        profiles_changed(model, acquirers)  # only the acquirers' profiles change
        for target in targets.tolist():
            model.remove_agent_of(target)

    def commit(self) -> None:
        """Write the deals, events and network ties of the acquisitions made so far."""
        model, cond = self.model, self.cond
        f = model.firms
        d = model.deals
        if not self._logged:
            return
        if len(d) != self._first:
            raise ValueError("deals were opened while acquisitions were pending")
        a, b, motive, value, channel = zip(*self._owners, strict=True)
        a, b = np.array(a, dtype=np.int64), np.array(b, dtype=np.int64)
        self._absorb(a, b)
        deals = d.append(
            a=a, b=b, layer=OWNERSHIP, sector=f.sector[b], purposes=0, channel=np.array(channel),
            joint_venture=False, equity=False, start_step=cond.step, end_step=cond.step,
            alive=True, value=np.array(value), value_a=0.0, value_b=0.0,
            motive=np.array(motive),
        )
        ended = np.array(self._ended, dtype=np.int64)
        _release(f, d, ended)
        logged, employees_a, employees_b = zip(*self._logged, strict=True)
        logged = np.array(logged, dtype=np.int64)
        employees_a, employees_b = (np.array(sizes, dtype=np.float64)
                                    for sizes in (employees_a, employees_b))
        owned = logged >= self._first
        _log_deal_events(model, cond, logged, owned, np.full(len(logged), -1),
                         (size_class_codes(employees_a), size_class_codes(employees_b)))
        model.network.end_edges(ended, cond.step)
        model.network.add_edges(
            deals, LAYER_NAMES[OWNERSHIP], a, b, step=cond.step,
            cross_border=f.country[a] != f.country[b],
            involves_sme=np.minimum(employees_a[owned], employees_b[owned]) < SIZE_BOUNDS[1],
        )
        self._clear()


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


#: firm columns a unit split off starts with as its seller has them (the rest take their fill
#: values, as an entrant's do; employees and the extensive columns are set apart)
UNIT_KEEPS = ("sector", "country", "region", "cluster", "knowledge", "quality", "owner_age",
              "capability", "efficiency", "delivery", "margin_base", "margin", "weight",
              "profile", "unit_revenue", "demand_shock")
#: firm columns a unit takes its share of from its seller (stocks and flows in USD million)
UNIT_SPLITS = ("capital", "market_revenue", "market_share")


def split_off(model, cond, sellers: np.ndarray, share: np.ndarray, employees: np.ndarray,
              country: np.ndarray | None = None) -> np.ndarray:
    """Split a unit off each of ``sellers`` as a firm of its own; return the new firms' ids.

    The unit enters as a spin-off of its seller (``firm_entered``, the seller as parent) with
    ``employees`` (already taken off the seller), ``share`` of the seller's capital and sales
    (the seller keeps the rest), the seller's technology, profile and costs, and one market:
    the seller's home, or ``country`` (an affiliate abroad, outside any cluster). The seller
    keeps its deals."""
    f = model.firms
    cols = {name: getattr(f, name)[sellers] for name in UNIT_KEEPS}
    for name in UNIT_SPLITS:
        column = getattr(f, name)
        cols[name] = column[sellers] * share
        column[sellers] = column[sellers] * (1.0 - share)
    cols["employees"] = employees.astype(np.float64)
    if country is not None:
        cols["country"] = country.astype(cols["country"].dtype)
        cols["region"] = model.world.country_region[country].astype(cols["region"].dtype)
        cols["cluster"] = np.full(len(sellers), -1, dtype=cols["cluster"].dtype)
    markets = np.zeros((len(sellers), model.world.n_countries), dtype=bool)
    markets[np.arange(len(sellers)), cols["country"]] = True
    cols["markets"] = markets
    return add_firms(model, cond, cols, sellers)
