"""Partner search: which firms look for a partner this step, and whom they consider.

An SME searches with a chance rising with its size (search has fixed costs: trade fairs, agents,
travel, which a small firm can seldom afford), a large firm through its units, each as often as a
firm of 250 employees (see below), and, for an SME of a venture-backed sector, with venture
finance and its own technology; every firm as often again as its sector's Internet boost (see
:func:`choose_searchers`).

Search never scans all pairs. Each searching firm examines a bounded sample of candidates, drawn in
one vectorised pass:

* one of its former partners, drawn at random among the firms it has allied with in alliances
  that have ended (channel ``prior_partner``), if any: firms return to partners they know
  (Gulati 1995), and a former partner's reliability is known, which saves cost (see
  :mod:`restructuring_sim.mechanisms.alliances`);
* a member of its own cluster (``cluster``), if it sits in one;
* with chance ``referral_share``, if it has live partners, a partner of one of its partners
  (``referral``): a firm asks a partner it trusts to name someone (triadic closure; common third
  parties are among the strongest predictors of new alliances: Gulati and Gargiulo 1999);
* visibility-weighted draws (``direct``): mostly from its own sector, a share from any sector;
  each draw's size class first, with the economy's expected shares of visibility, then a firm
  of that class (see :func:`class_draws`).
  Visibility is ``employees ** visibility_elasticity * (1 + reputation_weight *
  alliances_formed)``: larger firms are more visible, and so are firms known as partners
  (cumulative advantage: Powell et al. 2005). The size elasticity stays below Zipf's tail index
  of firm sizes, so that visibility has a finite mean: each firm's expected share of the
  economy's searches then does not depend on how many firms a run samples. A foreign
  candidate is only *reached* with probability ``exp(-foreign_search_cost * distance * (1 -
  trade_openness) * ict_cost)``, less the currency union discount when both countries are
  members; countries where the searcher already sells count as home; and a candidate across
  the border only outside the share of the two firms' business their groups hold
  (:func:`restructuring_sim.mechanisms.governance.group_openness`: cross-shareholdings);
* for firms registered with a matching service, contacts the service proposes from its register
  (``matching_service``), with chance ``matching_contact_rate`` a step plus the service's own
  ``proposals`` a year, whether or not the firm searches itself, reached whatever the distance;
* for a small firm that sells only at home, with chance ``demography.distributor_rate``, a
  trading company or distributor (a firm of a distributor sector selling in three or more
  countries) whose network reaches foreign markets (``distributor``), if the firm's sector sells
  goods through such intermediaries (``uses_distributors``: the manufacturers by default;
  banks or software houses find no use for a trading company).

The number of direct draws grows as ICT cost falls: ``sample_size * ict_cost ** -elasticity``.

No firm is barred from searching by its size: the cost of managing one more alliance rises with
the square of the alliances a firm already runs over its management span (see
:func:`management_span` and :func:`congestion`), so that a firm with many partners looks for more
only where a deal is worth much.

A large firm is several units that look for partners on their own (:mod:`units`): business
units and country affiliates each run their own deals, with their own managers. The number of
units grows as a power of employees (``division_elasticity``), so a firm of 25,000 employees
runs about five units. Each unit seeks a partner with chance ``search_rate`` a quarter, as a
firm of 250 employees does: a unit has a business-development function whose fixed costs are
paid, so more size means more units that search, not more searches per unit. (Were a unit's
chance to keep rising with the whole firm's size, every unit of a firm above a few hundred
employees would search every quarter, and the large firms' alliance activity, most of the
economy's, would have no level of its own: ``search_rate`` would move only the SMEs.) That is
why alliance degrees have a heavy tail that follows the firm-size law (Zipf's, through the
units' power), and not a ceiling at the chance of one search a quarter.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from restructuring_sim.columns import bounds_reached, cells, stable_order
from restructuring_sim.deals import ALLIANCE
from restructuring_sim.events import CHANNELS
from restructuring_sim.firms import SIZE_BOUNDS, same_bytes, size_class_codes
from restructuring_sim.mechanisms import innovation
from restructuring_sim.mechanisms.governance import group_openness
from restructuring_sim.mechanisms.units import divisions, of_size, repeat_by_count
from restructuring_sim.population import visibility_class_shares

DIRECT, PRIOR, CLUSTER, MATCHING, DISTRIBUTOR, REFERRAL = (
    CHANNELS.index(c)
    for c in ("direct", "prior_partner", "cluster", "matching_service", "distributor", "referral")
)
#: contacts the matching service proposes to a registered firm when it proposes any
MATCHING_CONTACTS = 1
#: employees up to which a firm's search rises with its size (the SME bound): above it a firm
#: searches through its units, each as often as a firm of this size
UNIT_SEARCH_SIZE = float(SIZE_BOUNDS[1])


@dataclass
class Candidates:
    """Candidate pairs: searcher ``i`` considers firm ``j``, met through ``channel``."""

    i: np.ndarray
    j: np.ndarray
    channel: np.ndarray

    def __len__(self) -> int:
        return len(self.i)

    def subset(self, mask: np.ndarray) -> Candidates:
        return Candidates(self.i[mask], self.j[mask], self.channel[mask])


def management_span(model) -> np.ndarray:
    """Alliances each firm's management runs at the reference cost: each of its units
    (:func:`~restructuring_sim.mechanisms.units.divisions`) runs ``1 + alliance_capacity *
    log10(employees / units)`` (read-only; computed again only once employees change)."""
    b = model.scenario.behaviour
    per_decade, beta = b.alliance_capacity, b.division_elasticity

    def span(e):
        units = of_size(e, beta)
        return units * (1 + per_decade * np.log10(np.maximum(e / units, 1)))

    return model.firms.derived("employees", ("alliance_capacity", per_decade, beta), span)


def congestion(model, firms, live) -> np.ndarray:
    """Yearly cost (value units) to each of ``firms`` of running ``live`` other alliances besides
    a new one: ``congestion_cost * (live / span) ** 2``. The marginal cost of a further alliance
    rises with the alliances already run (management attention, coordination, conflicts between
    partners), so degree is limited by value, not by a cap."""
    span = management_span(model)[firms]
    return model.scenario.behaviour.congestion_cost * (np.asarray(live) / span) ** 2


def has_room(model) -> np.ndarray:
    """Firms that may seek or accept a partner: every active firm (capacity is a cost)."""
    return model.firms.active


def choose_searchers(model, cond, room: np.ndarray, tech) -> np.ndarray:
    """Firms that look for a partner this step.

    A unit's chance (at most 1) is ``search_rate * (min(employees, 250) / 250) **
    search_size_elasticity``: it rises with an SME's size, and a unit of a large firm searches
    as a 250-employee firm does. For an SME of a venture-backed sector it rises with venture
    finance: by the factor ``1 + venture_search * venture_capital * depth * tech`` (see
    :func:`venture_lift`),
    ``tech`` being its technology score (0..1; an array over every firm or
    :class:`restructuring_sim.mechanisms.innovation.TechScores`: it is read for the few firms
    that may search alone). Investors back the SMEs with technology, and push them to find
    corporate partners who bring distribution, credibility and, in the end, a buyer.

    A firm runs ``chance * divisions * internet`` searches on average: the whole number, plus
    one more with the chance of its fraction (one draw per firm: a single-unit SME searches
    once with its chance times the boost). The sector's Internet boost multiplies searches, not
    a capped chance, so that it reaches every firm alike: the Web made each search cheaper for
    every firm. A firm appears once per search.
    """
    f = model.firms
    b = model.scenario.behaviour
    elasticity = b.search_size_elasticity
    rate = b.search_rate
    base = f.derived("employees", ("search", elasticity, rate),
                     lambda e: rate * (np.minimum(e, UNIT_SEARCH_SIZE) / UNIT_SEARCH_SIZE)
                     ** elasticity)
    draw = model.rng.random(len(f))
    # most firms are far too small to search at all: the chance is worked out only for firms
    # whose draw falls below the largest chance they could have, with the sector's largest
    # Internet boost and the largest venture factor (rounding is monotone, so the bound holds
    # for the computed chances too: ``tech`` is below 1)
    lift = 1.0 + b.venture_search * cond.venture_capital
    bound = base * cond.internet.max(initial=0.0)
    bound *= max(lift, 1.0)
    bound *= divisions(model)
    maybe = np.flatnonzero(draw < bound)
    maybe = maybe[room[maybe]]  # the few firms the bound leaves, then those with room
    sector = f.sector[maybe]
    p = np.minimum(1.0, base[maybe] * venture_lift(model, cond, maybe, tech[maybe]))
    return repeat_by_count(maybe, p * cond.internet[sector] * divisions(model)[maybe],
                           draw[maybe])


def contacted_firms(model, room: np.ndarray) -> np.ndarray:
    """Registered firms to whom the matching service proposes contacts this step.

    A registered firm hears of a partner with chance ``behaviour.matching_contact_rate`` a step
    when it consults the service itself, plus ``policy.matching_service.proposals`` a year
    (spread evenly over the steps) that the service proposes on its own: the channel's volume is
    the register (``coverage``) times this rate times the ``conversion`` of contacts to deals.
    """
    f = model.firms
    sc = model.scenario
    rate = (sc.behaviour.matching_contact_rate
            + sc.policy.matching_service.proposals / sc.simulation.steps_per_year)
    # the few firms the draw picks, then those of them with room that are registered
    picked = np.flatnonzero(model.rng.random(len(f)) < rate)
    return picked[room[picked] & f.registered[picked]]


def sample_size(model, cond) -> int:
    """Direct candidates per searcher at the current ICT cost."""
    b = model.scenario.behaviour
    m = b.sample_size * cond.ict_cost ** (-b.ict_search_elasticity)
    return int(np.clip(np.rint(m), 1, b.max_sample_size))


def visibility_draws(model, eligible, group_of_draw, any_group=None, group=None, drawer=None):
    """Draw one eligible firm per entry, weighted by visibility (employees ** elasticity),
    within the entry's group or, where ``any_group`` (default: nowhere), from all groups.

    Groups are sectors unless ``group`` gives every firm another non-negative code (e.g. its
    country-sector market). Only eligible firms enter the cumulative weights (ineligible ones
    weigh nothing and would only repeat a running sum). ``drawer``: the firm each entry draws
    for, in the entry's group; with ``behaviour.draws_exclude_drawer`` it is left out of its
    own draw (see :func:`_draw`).
    """
    return _draw(model, _draw_table(model, eligible, group), group_of_draw, any_group,
                 _excluded(model, drawer))


def _excluded(model, drawer):
    """``drawer`` where the scenario leaves a firm out of its own draws, else None."""
    return drawer if model.scenario.behaviour.draws_exclude_drawer else None


def _draw(model, table, group_of_draw, any_group=None, exclude=None):
    """One firm of ``table`` (see :func:`_draw_table`) per entry, by visibility, within the
    entry's group or, where ``any_group``, from all groups (-1 where there is none).

    ``exclude``: a firm per entry (of the entry's group, or -1) that the entry cannot draw.
    The draw is then made from the others' weights alone, with one uniform number as
    always: ``u`` falls in the range less the firm's own weight and steps over its interval.
    A firm drawing itself and losing the draw would lose more of its draws the more of its
    group's visibility it holds, which in a small sample is a large part for the largest
    firms (a firm of 10,000 employees or more drew itself in 38% of its draws among the
    large firms of its sector at 10,000 firms, 19% at 40,000): the rate of its deals would
    then rise with the sample's size.
    """
    if table is None:
        return np.full(len(group_of_draw), -1)
    chosen, cum, below, upto, last, start, end = table
    # the running weight before and at the end of each draw's group (codes above every firm's
    # stand for any such code: an empty group past the end)
    group_of_draw = np.minimum(group_of_draw, len(below) - 1)
    lo_d, hi_d = below[group_of_draw], upto[group_of_draw]
    if any_group is not None:  # those draws span every group
        lo_d = np.where(any_group, 0.0, lo_d)
        hi_d = np.where(any_group, cum[-1], hi_d)
    if exclude is not None:
        at = _positions(chosen, start, end, group_of_draw, np.asarray(exclude))
        found = at >= 0
        own = np.where(found, cum[at] - np.where(at > 0, cum[np.maximum(at - 1, 0)], 0.0), 0.0)
        begins = np.where(found, cum[at] - own, np.inf)
        hi_d = hi_d - own
    u = lo_d + model.rng.random(len(group_of_draw)) * (hi_d - lo_d)
    if exclude is not None:
        u = np.where(u >= begins, u + own, u)
    pos = _search_in_key_order(cum, u)
    # a draw at the very top of the weights (rounding) takes the last firm in group order
    drawn = np.where(pos < len(cum), chosen[np.minimum(pos, len(cum) - 1)], last)
    return np.where(hi_d > lo_d, drawn, -1)


def _positions(chosen, start, end, groups, firms) -> np.ndarray:
    """Position of each of ``firms`` among ``chosen`` (firms in group order, ascending within
    a group, ``start``/``end`` each group's bounds) within its entry's group ``groups``, or -1
    where it is not there (ineligible, of another group, or -1 itself)."""
    out = np.full(len(firms), -1, dtype=np.intp)
    wanted = np.flatnonzero(firms >= 0)
    for g in np.unique(groups[wanted]).tolist():
        these = wanted[groups[wanted] == g]
        lo, hi = int(start[g]), int(end[g])
        at = lo + np.searchsorted(chosen[lo:hi], firms[these])
        hit = (at < hi) & (chosen[np.minimum(at, len(chosen) - 1)] == firms[these])
        out[these[hit]] = at[hit]
    return out


def class_draws(model, eligible, group_of_draw, any_group=None, tech=None, drawer=None):
    """:func:`visibility_draws`, the size class of each draw first: small, medium or large with
    the economy's expected shares of visibility (:func:`restructuring_sim.population.
    visibility_class_shares`), then a firm of that class by visibility (``tech``: see
    :func:`class_shares`).

    Visibility ``employees ** visibility_elasticity`` on Zipf's tail has a finite mean but no
    finite variance: a sample's split of it between size classes depends on the few giants it
    happens to draw, so that a small sample's SMEs would draw more of the searches. Drawing the
    class from the size law gives every sample the economy's split; reputation and size still
    decide which firm within the class.
    """
    cumulative = np.cumsum(class_shares(model, tech))
    group_of_draw = np.asarray(group_of_draw)
    n = len(group_of_draw)
    cls = np.minimum(bounds_reached(cumulative, model.rng.random(n)), 2)
    tables = _class_tables(model, eligible)
    exclude = _excluded(model, drawer)
    out = np.full(n, -1)
    for c in range(3):
        sel = np.flatnonzero(cls == c)
        if len(sel):
            out[sel] = _draw(model, tables[c], group_of_draw[sel],
                             None if any_group is None else any_group[sel],
                             None if exclude is None else np.asarray(exclude)[sel])
    return out


def class_shares(model, tech=None) -> np.ndarray:
    """Chance that a draw of :func:`class_draws` is of each size class (small, medium, large):
    the class's expected share of the economy's size visibility (see
    :func:`restructuring_sim.population.visibility_class_shares`) times its venture lift, the
    ratio of its active firms' visibility with :func:`venture_lift` to without (1 for large
    firms, and for every class without venture capital). ``tech``: the current
    :class:`~restructuring_sim.mechanisms.innovation.TechScores`, if the caller has them
    (otherwise made again when the step's visibility is first worked out)."""
    shares = visibility_class_shares(model.scenario, model.world,
                                     model.scenario.behaviour.visibility_elasticity)
    shares = shares * _visibility(model, tech)[1]
    return shares / shares.sum()


#: draw tables :func:`_draw_table` and :func:`_class_tables` keep (the latest first): enough for
#: the mechanisms that alternate between a few sets of eligible firms within a step
_KEPT_TABLES = 8


def _draw_table(model, eligible, group):
    """What :func:`_draw` reads for one set of eligible firms and one grouping: the eligible
    firms in group order, the running sum of their weights, the running weight before and at
    the end of every group code (up to one past the largest code of any firm, which stands for
    the empty groups past the end) and the last firm of the whole population in group order;
    None when the eligible firms weigh nothing.

    A table is kept (in the firm table's ``memo``, see :data:`_KEPT_TABLES`) and used again
    while the weights are the same array (they are computed again, as a new array, only once
    employees change), the grouping is the same read-only array (or holds the same codes) and
    the same firms are eligible (compared byte by byte): several mechanisms draw from the same
    firms more than once a step, and tenders from the same suppliers quarter after quarter.
    """
    f = model.firms
    weight = visibility(model)
    group = f.sector if group is None else group
    kept = f.memo.setdefault("visibility_tables", [])
    count = np.count_nonzero(eligible)  # sets of eligible firms of other sizes differ at once
    for entry in kept:
        kept_weight, kept_group, kept_count, kept_eligible, table = entry
        if (kept_weight is weight and kept_count == count
                and (kept_group is group if not group.flags.writeable
                     else same_bytes(kept_group, group))
                and same_bytes(kept_eligible, eligible)):
            return table
    if group is f.sector:
        order = f.order_by("sector")
        chosen = _eligible_in_order(f, order, eligible, count)
    else:
        order = _group_order(f, group)
        chosen = (order[eligible[order]] if group.flags.writeable  # an order made for this call
                  else _eligible_in_order(f, order, eligible, count))
    table = _table_of(chosen, weight, group, order[-1], f)
    _keep(kept, (weight, group if not group.flags.writeable else group.copy(), count,
                 eligible.copy(), table))
    return table


def _class_tables(model, eligible) -> tuple:
    """The draw tables (see :func:`_draw_table`, grouped by sector) of the eligible firms of
    each size class, small, medium and large. Kept as :func:`_draw_table` keeps its tables;
    the firms they list are kept longer (see :func:`_class_members`), as the weights change
    every step and the eligible firms seldom do."""
    f = model.firms
    weight = visibility(model)
    kept = f.memo.setdefault("class_tables", [])
    count = np.count_nonzero(eligible)
    for kept_weight, kept_count, kept_eligible, tables in kept:
        if (kept_weight is weight and kept_count == count
                and same_bytes(kept_eligible, eligible)):
            return tables
    last = f.order_by("sector")[-1]
    tables = tuple(_table_of(members, weight, f.sector, last, f)
                   for members in _class_members(model, eligible, count))
    _keep(kept, (weight, count, eligible.copy(), tables))
    return tables


def _class_members(model, eligible, count: int) -> tuple[np.ndarray, ...]:
    """The eligible firms of each size class in sector order (``count`` of them in all),
    found in one pass over the firms: the eligible firms in sector order, split by class, are
    in the order a table of one class alone lists them. Kept (in the firm table's ``memo``)
    while the size classes are the same array (computed again only once employees change)
    and the same firms are eligible (compared byte by byte)."""
    f = model.firms
    size_class = f.derived("employees", "size_class", size_class_codes)
    kept = f.memo.setdefault("class_members", [])
    for kept_class, kept_count, kept_eligible, members in kept:
        if (kept_class is size_class and kept_count == count
                and same_bytes(kept_eligible, eligible)):
            return members
    chosen = _eligible_in_order(f, f.order_by("sector"), eligible, count)
    class_of = size_class[chosen]
    members = tuple(chosen[class_of == c] for c in range(3))
    _keep(kept, (size_class, count, eligible.copy(), members))
    return members


#: lists of eligible firms :func:`_eligible_in_order` keeps (the latest used first)
_KEPT_ELIGIBLE = 6


def _eligible_in_order(f, order: np.ndarray, eligible: np.ndarray, count: int) -> np.ndarray:
    """``order[eligible[order]]``: the ``count`` eligible firms in the order ``order`` (a
    read-only order kept until firms are appended, e.g. :meth:`FirmTable.order_by`).

    Kept (in the firm table's ``memo``, see :data:`_KEPT_ELIGIBLE`) and used again while the
    same firms are eligible (compared byte by byte): the firms that may be drawn change only
    when firms enter, exit, are acquired or change size, while draws from them are made every
    step, with new weights.
    """
    kept = f.memo.setdefault("eligible_in_order", [])
    for k, (kept_order, kept_count, kept_eligible, chosen) in enumerate(kept):
        if kept_order is order and kept_count == count and same_bytes(kept_eligible, eligible):
            kept.insert(0, kept.pop(k))
            return chosen
    chosen = order[eligible[order]]
    chosen.flags.writeable = False
    kept.insert(0, (order, count, eligible.copy(), chosen))
    del kept[_KEPT_ELIGIBLE:]
    return chosen


def _keep(kept: list, entry: tuple) -> None:
    """Put ``entry`` first in ``kept``, a list of entries whose first item is the array they
    were made from, and drop those made from another array (weights and size classes are
    computed again as new arrays, so older entries can never match: dropping them frees
    their memory) and those beyond :data:`_KEPT_TABLES`."""
    kept[:] = [entry] + [e for e in kept if e[0] is entry[0]][:_KEPT_TABLES - 1]


def _table_of(chosen, weight, group, last, f):
    """The draw table (see :func:`_draw_table`) of the firms ``chosen``, in group order, with
    visibility ``weight`` and group codes ``group`` (of every firm of the firm table ``f``);
    ``last`` is the last firm of the whole population in group order. None when the chosen
    firms weigh nothing."""
    cum = np.cumsum(weight[chosen])
    if not (cum.size and cum[-1] > 0):
        return None
    start, end = _bounds_of(f, chosen, group)
    below = np.where(start > 0, cum[np.maximum(start - 1, 0)], 0.0)
    upto = np.where(end > 0, cum[np.maximum(end - 1, 0)], 0.0)
    return chosen, cum, below, upto, last, start, end


def _bounds_of(f, chosen, group) -> tuple[np.ndarray, np.ndarray]:
    """First and one-past-last position of every group code (up to one past the largest)
    among the firms ``chosen`` (in group order), kept (in the firm table's ``memo``, see
    :data:`_KEPT_TABLES`) while the same array of chosen firms and the same read-only grouping
    are used: the chosen firms change only when firms enter, leave or change size, while the
    weights drawn from them change every step. The arrays of chosen firms are referred to
    weakly: a kept entry never holds one that its own memo has let go of."""
    if group.flags.writeable:  # a grouping that may change: worked out afresh
        return _group_bounds(group[chosen], np.arange(int(group.max()) + 2))
    kept = f.memo.setdefault("group_bounds", [])
    for k, (kept_chosen, kept_group, bounds) in enumerate(kept):
        if kept_chosen() is chosen and kept_group is group:
            kept.insert(0, kept.pop(k))
            return bounds
    bounds = _group_bounds(group[chosen], np.arange(int(group.max()) + 2))
    kept.insert(0, (weakref.ref(chosen), group, bounds))
    del kept[_KEPT_TABLES:]
    return bounds


def visibility(model) -> np.ndarray:
    """Every firm's visibility to searchers: ``employees ** visibility_elasticity * (1 +
    reputation_weight * alliances_formed)``, times :func:`venture_lift` for an SME of a
    venture-backed sector (the same array for a whole step: alliances formed during the step
    count from the next)."""
    return _visibility(model)[0]


def venture_lift(model, cond, firms: np.ndarray, tech) -> np.ndarray:
    """``1 + venture_search * venture_capital * depth * tech`` for each of ``firms`` that is an
    SME of a venture-backed sector, 1 for the others (``tech``: their technology scores, 0..1;
    ``depth``: its home country's ``venture_depth``, the venture money reaching its start-ups
    relative to the US, whose investment the ``venture_capital`` index follows).

    Venture investors back the SMEs with technology: they push them to find corporate partners
    (more searches, see :func:`choose_searchers`) and introduce them to the corporations they
    know, whose venturing units scout start-ups in proportion to the venture money chasing
    them (more visibility, see :func:`visibility`). Venture-backed start-ups ally more and
    sooner (Hsu 2006, "Venture capitalists and cooperative start-up commercialization
    strategy", Management Science; Lindsey 2008, "Blurring firm boundaries: the role of venture
    capital in strategic alliances", J. Finance); corporate venture investment rose and fell
    with venture capital (Dushnitsky and Lenox 2006, J. Business Venturing).
    """
    f = model.firms
    backed = (f.employees[firms] < SIZE_BOUNDS[1]) & cond.venture_backed[f.sector[firms]]
    depth = model.world.venture_depth[f.country[firms]]
    return 1.0 + backed * _venture_factor(model, cond) * depth * tech


def _venture_factor(model, cond) -> float:
    """``venture_search * venture_capital``: what :func:`venture_lift` adds per unit of a
    backed SME's technology."""
    return model.scenario.behaviour.venture_search * cond.venture_capital


def _visibility(model, tech=None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`visibility` and, per size class (small, medium, large), the ratio of its active
    firms' visibility to what it would be without the venture lift (kept for the step).
    ``tech``: the current :class:`~restructuring_sim.mechanisms.innovation.TechScores` if the
    caller holds them (knowledge, profiles and statuses unchanged since they were made: they
    read every firm, some 6 ms at a million firms), made here otherwise."""
    f = model.firms
    b = model.scenario.behaviour
    elasticity = b.visibility_elasticity
    size = f.derived("employees", ("visibility", elasticity), lambda e: e ** elasticity)
    kept = f.memo.get("visibility")
    if kept is not None and kept[0] == model.step_index and kept[1] is size:
        return kept[2], kept[3]
    weight = size
    if b.reputation_weight:  # size * (1 + reputation_weight * formed), in one new array
        weight = np.multiply(f.alliances_formed[:len(size)], b.reputation_weight)
        weight += 1.0
        weight *= size
    cond = model.conditions
    lift = np.ones(3)
    if b.venture_search and cond.venture_capital and cond.venture_backed.any():
        active = f.active
        size_class = f.derived("employees", "size_class", size_class_codes)
        backed, backed_class, depth = _backed_smes(model, cond, active, size_class)
        scores = innovation.TechScores(model) if tech is None else tech
        # venture_lift of firms known to be backed: ``1 + factor * depth * tech``, the same
        # operations on the same numbers (a backed flag of 1 times the factor is the factor)
        gain = depth * _venture_factor(model, cond)
        gain *= scores[backed]
        gain += 1.0
        # the inactive firms' weights summed in a bin past the classes': the same sums as of
        # the active firms alone (or of every firm's, the inactive ones' as zeros), without
        # gathering them
        plain = np.bincount(_class_if_active(f, active, size_class), weights=weight,
                            minlength=4)[:3]
        backed_weight = weight[backed]
        extra = np.bincount(backed_class, weights=backed_weight * (gain - 1.0), minlength=3)
        lift = np.where(plain > 0, (plain + extra) / np.maximum(plain, 1e-300), 1.0)
        weight = weight.copy() if weight is size else weight
        weight[backed] = backed_weight * gain
    f.memo["visibility"] = (model.step_index, size, weight, lift)
    return weight, lift


def _class_if_active(f, active: np.ndarray, size_class: np.ndarray) -> np.ndarray:
    """Each firm's size class (0, 1, 2), 3 for a firm no longer active; kept
    (:meth:`FirmTable.kept`) while the firms' statuses and sizes are the same, as 8-bit codes
    (a byte a firm of memory kept; ``np.bincount`` widens them as it reads them)."""
    return f.kept("class_if_active", ("status", "employees"),
                  lambda: np.where(active, size_class, 3).astype(np.int8))


def _backed_smes(model, cond, active: np.ndarray,
                 size_class: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The active SMEs of venture-backed sectors, their size classes and their home
    countries' venture depths: kept (:meth:`FirmTable.kept`) while the firms' statuses and
    sizes are the same and the same sectors are backed. Firms enter, leave and grow at few
    steps of a year, while the visibility they weight is worked out every step."""
    f = model.firms

    def find():
        backed = np.flatnonzero(active & f.is_sme & _in_backed_sector(f, cond))
        return backed, size_class[backed], model.world.venture_depth[f.country[backed]]

    return f.kept("backed_smes", ("status", "employees"), find,
                  extra=cond.venture_backed.tobytes())


def _in_backed_sector(f, cond) -> np.ndarray:
    """Whether each firm's sector is venture-backed (``cond.venture_backed``), kept until firms
    are appended for each set of backed sectors (a few over a run): sectors are static."""
    backed = cond.venture_backed
    return f.static_derived(("venture_backed", backed.tobytes()), lambda: backed[f.sector])


def _group_order(f, group) -> np.ndarray:
    """Stable order of the firms by ``group`` (kept for a read-only grouping, which cannot
    change)."""
    if group.flags.writeable:
        return stable_order(group)
    kept = f.memo.setdefault("group_orders", [])
    for codes, order in kept:
        if codes is group:
            return order
    order = stable_order(group)
    kept.append((group, order))
    return order


def _group_bounds(sorted_group: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and one-past-last position of each of ``groups`` in ``sorted_group`` (sorted
    non-negative codes): ``searchsorted`` left and right, from the first position of every code
    up to the largest (a few binary searches, where counting the codes reads them all)."""
    top = max(sorted_group[-1] if len(sorted_group) else 0, groups.max(initial=0)) + 1
    edges = np.searchsorted(sorted_group, np.arange(top + 1))
    return edges[groups], edges[groups + 1]


#: buckets of the range of a running sum by which :func:`_search_in_key_order` orders keys
#: (as many as a 16-bit code holds: numpy sorts those by radix)
_KEY_BUCKETS = 1 << 16


def _search_in_key_order(cum: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """``np.searchsorted(cum, keys, side="right")``, looking the keys up in about increasing
    order: successive searches then touch nearby memory, several times faster on large arrays.

    Any order gives each key the same position, so the order need not be exact: the keys are
    taken by the bucket of ``cum``'s range they fall in, a stable sort of 16-bit codes (a
    radix sort), which at 140,000 keys takes a tenth of the time of sorting the keys
    themselves and leaves the searches nearly as fast."""
    top = cum[-1]
    # the buckets only order the searches: a range too small for the scale to be finite (a
    # sum of subnormal weights) orders them anyhow and finds the same positions
    with np.errstate(over="ignore", invalid="ignore"):
        scale = (_KEY_BUCKETS - 1) / top if top > 0 else 0.0
        bucket = np.clip(keys * scale, 0, _KEY_BUCKETS - 1).astype(np.uint16)
    order = np.argsort(bucket, kind="stable")
    pos = np.empty(len(keys), dtype=np.intp)
    pos[order] = np.searchsorted(cum, keys[order], side="right")
    return pos


def _cluster_draws(model, searchers, eligible):
    """One random member of each searcher's cluster (-1 if the firm is in none)."""
    f = model.firms
    # eligible cluster members by cluster: the population's stable order by cluster, of the
    # firms in a cluster (clusters are fixed at entry), filtered (the same order as sorting the
    # members themselves, without a sort every step)
    order = f.order_by("cluster")
    clustered = f.static_derived("clustered_order", lambda: order[f.cluster[order] >= 0])
    members = _eligible_in_order(f, clustered, eligible, np.count_nonzero(eligible))
    if not len(members):
        return np.full(len(searchers), -1)
    edges = _cluster_edges(f, members)
    own = f.cluster[searchers]
    # where each searcher's cluster starts among the members, and its members (a firm in no
    # cluster, -1, reads the last edges: it finds no one whatever they hold)
    start = edges[own]
    count = edges[own + 1] - start
    pick = start + np.floor(model.rng.random(len(searchers)) * count).astype(np.int64)
    found = (own >= 0) & (count > 0)
    return np.where(found, members[np.minimum(pick, len(members) - 1)], -1)


def _cluster_edges(f, members: np.ndarray) -> np.ndarray:
    """First position of every cluster code among ``members`` (firms in cluster order), and
    one past the last member, for codes 0 to one past the largest: ``searchsorted`` of the
    members' codes, kept (in the firm table's ``memo``) while the same kept array of members
    is drawn from (the members change when firms enter, leave or are acquired, and are drawn
    from every step; referred to weakly, so as never to hold members no longer kept)."""
    kept = f.memo.get("cluster_edges")
    if kept is not None and kept[0]() is members:
        return kept[1]
    top = int(f.static_derived("cluster_top", lambda: np.array(f.cluster.max(initial=-1))))
    edges = np.searchsorted(f.cluster[members], np.arange(top + 2))
    f.memo["cluster_edges"] = (weakref.ref(members), edges)
    return edges


def _referral_draws(model, searchers, eligible):
    """A partner of a random live partner of each searcher (-1 where the searcher has no live
    partner, does not ask, or the partner has no other partner), with chance ``referral_share``."""
    f = model.firms
    rng = model.rng
    out = np.full(len(searchers), -1)
    asks = (f.live_alliances[searchers] > 0) & (
        rng.random(len(searchers)) < model.scenario.behaviour.referral_share)
    if not asks.any():
        return out
    d = model.deals
    live = d.live(ALLIANCE)
    a, b = d.a[live], d.b[live]
    who = searchers[asks]
    # a random partner of the searcher, then a random partner of that partner
    first = PartnerLists(len(f), a, b, who).pick(rng, who)
    second = PartnerLists(len(f), a, b, first).pick(rng, first)
    ok = (second != who) & eligible[second]
    out[np.flatnonzero(asks)[ok]] = second[ok]
    return out


class PartnerLists:
    """The partners of ``firms`` in the deals ``(a[k], b[k])``: each firm's partners in the
    deals where it is ``a``, in deal order, then those where it is ``b``.

    Only the deals of the firms asked for are sorted (a step asks for a few thousand firms'
    partners among a million firms' deals), and by each firm's rank among those asked for: the
    same order as by firm id, but with codes small enough for the radix sort of
    :func:`~restructuring_sim.columns.stable_order` (at a million firms, 116,000 entries
    sorted in an eighth of the time, the lists made in half).
    """

    def __init__(self, n: int, a: np.ndarray, b: np.ndarray, firms: np.ndarray):
        node = np.concatenate([a, b])
        other = np.concatenate([b, a])
        is_asked = np.zeros(n, dtype=bool)
        is_asked[firms] = True
        asked = np.flatnonzero(is_asked)  # in order, each once (faster than np.unique)
        rank = np.full(n, -1, dtype=np.int32)  # -1: a firm not asked for
        rank[asked] = np.arange(len(asked), dtype=np.int32)
        node_rank = rank[node]
        mine = node_rank >= 0
        order = stable_order(node_rank[mine])
        self._node = node[mine][order]
        self._partners = other[mine][order]

    def count(self, firms: np.ndarray) -> np.ndarray:
        """Partners of each of ``firms`` (which must be among the firms asked for)."""
        return (np.searchsorted(self._node, firms, side="right")
                - np.searchsorted(self._node, firms, side="left"))

    def pick(self, rng, firms: np.ndarray) -> np.ndarray:
        """One partner drawn at random for each of ``firms`` (each has at least one)."""
        start = np.searchsorted(self._node, firms, side="left")
        count = np.searchsorted(self._node, firms, side="right") - start
        pick = start + np.floor(rng.random(len(firms)) * count).astype(np.int64)
        return self._partners[np.minimum(pick, len(self._partners) - 1)]


def _former_partner_draws(model, searchers, eligible):
    """A random former partner of each searcher: a firm it was allied with in an alliance that
    has ended (-1 where it has none, or the one drawn is no longer eligible)."""
    d = model.deals
    ended = np.flatnonzero((d.layer == ALLIANCE) & ~d.alive)
    out = np.full(len(searchers), -1)
    if not len(ended):
        return out
    lists = PartnerLists(len(model.firms), d.a[ended], d.b[ended], searchers)
    has = lists.count(searchers) > 0
    former = lists.pick(model.rng, searchers[has])
    out[np.flatnonzero(has)] = np.where(eligible[former], former, -1)
    return out


def _distributor_draws(model, searchers, eligible):
    """Pairs (searcher, distributor) for non-exporting SMEs that ask a trading company."""
    f = model.firms
    rng = model.rng
    w = model.world
    sector = f.sector[searchers]
    asks = ((f.employees[searchers] < SIZE_BOUNDS[1]) & (f.n_markets_of(searchers) == 1)
            & w.uses_distributors[sector] & ~w.distributor[sector]
            & (rng.random(len(searchers)) < model.scenario.demography.distributor_rate))
    i = searchers[asks]
    if not len(i):  # nobody asks: no pool to look up
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    distributors = f.static_derived("distributors", lambda: w.distributor[f.sector])
    pool = np.flatnonzero(eligible & distributors)
    pool = pool[f.n_markets_of(pool) >= 3]
    if not len(pool):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return i, pool[rng.integers(0, len(pool), len(i))]


def reach_probability(model, cond, i, j, presence: bool = True) -> np.ndarray:
    """Chance that searcher ``i`` reaches candidate ``j``: 1 at home and, with ``presence``, in
    every country where ``i`` sells; otherwise falling with distance and trade barriers."""
    f = model.firms
    w = model.world
    b = model.scenario.behaviour
    ci, cj = f.country[i], f.country[j]
    distance, pair = cells(w.partner_distance, ci, cj)
    dist = distance[pair]
    if presence:
        markets, cell = cells(f.markets, i, cj)
        dist = dist * ~markets[cell]
    union = cond.currency_union[ci] & cond.currency_union[cj]
    barrier = b.foreign_search_cost * (1.0 - cond.trade_openness) * cond.ict_cost
    barrier = barrier * (1.0 - b.currency_union_discount * union)
    return np.exp(-barrier * dist)


def draw_candidates(model, cond, searchers: np.ndarray, eligible: np.ndarray,
                    contacted: np.ndarray, tech=None) -> Candidates:
    """The candidate sample of every searcher, and the service's contacts of ``contacted``
    (``tech``: the current technology scores, if the caller has them; see
    :func:`class_shares`)."""
    f = model.firms
    rng = model.rng
    b = model.scenario.behaviour
    m = sample_size(model, cond)
    # direct: m visibility-weighted draws per searcher
    i_dir = np.repeat(searchers, m)
    any_sector = rng.random(len(i_dir)) < b.cross_sector_share
    j_dir = class_draws(model, eligible, f.sector[i_dir], any_sector, tech, drawer=i_dir)
    ok = j_dir >= 0
    i_dir, j_dir = i_dir[ok], j_dir[ok]
    reach = reach_probability(model, cond, i_dir, j_dir)
    reached = rng.random(len(i_dir)) < reach * group_openness(model, cond, i_dir, j_dir)
    i_dir, j_dir = i_dir[reached], j_dir[reached]
    # former partner and cluster mate
    j_prior = _former_partner_draws(model, searchers, eligible)
    j_clu = _cluster_draws(model, searchers, eligible)
    j_ref = _referral_draws(model, searchers, eligible)
    # matching service contacts, proposed whether or not the firm searches itself
    pool = np.flatnonzero(eligible & (f.registered | f.mne))
    i_match = np.repeat(contacted, MATCHING_CONTACTS)
    if len(pool) and len(i_match):
        j_match = pool[rng.integers(0, len(pool), len(i_match))]
    else:
        i_match = j_match = np.zeros(0, dtype=np.int64)
    i_dist, j_dist = _distributor_draws(model, searchers, eligible)
    i = np.concatenate([i_dir, searchers, searchers, searchers, i_match, i_dist])
    j = np.concatenate([j_dir, j_prior, j_clu, j_ref, j_match, j_dist])
    channel = np.concatenate([
        np.full(len(i_dir), DIRECT), np.full(len(searchers), PRIOR),
        np.full(len(searchers), CLUSTER), np.full(len(searchers), REFERRAL),
        np.full(len(i_match), MATCHING), np.full(len(i_dist), DISTRIBUTOR),
    ]).astype(np.int8)
    valid = (j >= 0) & (j != i)
    valid[valid] &= eligible[j[valid]]
    return Candidates(i[valid], j[valid], channel[valid])
