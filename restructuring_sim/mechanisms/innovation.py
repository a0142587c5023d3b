"""Innovation: R&D spending against the sector's R&D cost, knowledge, SME capabilities, quality.

A firm spends ``rnd_intensity`` of its revenue on R&D. The sector's R&D cost (USD million per year
for a frontier programme) grows with ``drivers.rnd_cost_growth`` and with the wages of
researchers (its home market's wage index, see :mod:`restructuring_sim.mechanisms.market`). The
share of that programme a firm cannot fund alone is its *R&D pressure*: the stronger it is, the
more a partner who shares the cost is worth (see :mod:`restructuring_sim.mechanisms.alliances`).
Knowledge grows with the funded share of the programme and depreciates with obsolescence. SME
capability programmes close part of the SMEs' capability gap each year, and capable SMEs upgrade
their quality.

**Knowledge profiles** (after the kenes of SKIN: Gilbert, Pyka and Ahrweiler 2001). Besides its
knowledge stock (``knowledge``), a firm holds a *profile*: the shares of that stock in each of
:data:`FIELDS` technology fields (``profile`` column, rows sum to 1). Each sector draws on the
fields in the mix :data:`SECTOR_FIELDS` (stated judgement); a firm's profile is drawn around its
sector's mix with a Dirichlet concentration ``knowledge.concentration x (1 + log10
employees) ** 2``, so that small firms hold narrow niche profiles and large firms broad,
typical ones (Granstrand, Patel and Pavitt 1997). ``tech_score`` reads the stock where it
counts for the firm's sector: ``knowledge x fit`` with ``fit = profile . mix_s / (mix_s .
mix_s)`` (1 for a typical profile), relative to the sector's mean.

**Complementarity** (Nooteboom 2000; Nooteboom et al. 2007). The cognitive distance of two firms
is the share of their profiles not held in common, ``d = 0.5 x sum_k |p_ik - p_jk|`` (0..1): the
part of the partner's knowledge lying in fields where the firm is weaker. Novelty rises with
``d`` and the firm's capacity to absorb it falls, so the value of combining them is an inverted
U, ``c = x (2 - x)`` with ``x = d / knowledge.optimal_distance``, clipped to 0..1: nothing new
at ``d = 0``, most at the optimum, nothing absorbable from twice the optimum. A large firm whose
profile lacks a field where an SME is strong finds it complementary (see
:func:`rnd_complementarity`; it scales the R&D component of alliance values).

**New combinations** (:func:`recombine`). A live R&D alliance yields an innovation with a yearly
chance ``knowledge.innovation_rate x c x cycle_s`` (the technology cycle: more before the
sector's dominant design): both partners' quality closes ``innovation_quality`` of its gap to
1 (which raises their appeal and market share, see :mod:`restructuring_sim.mechanisms.market`),
their knowledge grows by ``innovation_knowledge``, and their profiles move ``recombination`` of
the way toward each other, so that repeated joint R&D exhausts its novelty. In a large firm of
several units (:mod:`restructuring_sim.mechanisms.units`) the innovation is the unit's that runs
the alliance: the firm's quality, knowledge and profile move by ``1 / units`` of that.
"""

from __future__ import annotations

import numpy as np

from restructuring_sim.columns import distinct
from restructuring_sim.deals import ALLIANCE, purpose_mask
from restructuring_sim.firms import N_FIELDS
from restructuring_sim.mechanisms.units import divisions

#: technology fields of knowledge profiles (``profile`` columns, in this order)
FIELDS = ("biochemistry", "materials", "electronics", "software", "networks", "production",
          "logistics", "finance")
assert len(FIELDS) == N_FIELDS

#: the fields each default sector draws on (stated judgement from the sectors' technologies);
#: the rest of a mix, to 1, is spread evenly over all fields; a sector not listed draws on
#: every field alike
SECTOR_FIELDS = {
    "automotive": {"production": 0.45, "materials": 0.25, "electronics": 0.2},
    "computer_services": {"software": 0.45, "networks": 0.3, "electronics": 0.1},
    "electronics": {"electronics": 0.5, "materials": 0.15, "software": 0.15,
                    "production": 0.1},
    "finance": {"finance": 0.6, "software": 0.2, "networks": 0.1},
    "pharma": {"biochemistry": 0.65, "materials": 0.15, "production": 0.1},
    "software": {"software": 0.6, "networks": 0.15, "electronics": 0.1},
    "telecom": {"networks": 0.5, "electronics": 0.25, "software": 0.15},
    "wholesale": {"logistics": 0.6, "networks": 0.15, "finance": 0.15},
}


def sector_mix(sector_names) -> np.ndarray:
    """Field mix of every sector (sectors x fields, rows sum to 1; see :data:`SECTOR_FIELDS`)."""
    out = np.zeros((len(sector_names), N_FIELDS))
    for s, name in enumerate(sector_names):
        listed = SECTOR_FIELDS.get(name, {})
        for field, share in listed.items():
            out[s, FIELDS.index(field)] = share
        out[s] += (1.0 - sum(listed.values())) / N_FIELDS
    return out


def draw_profiles(employees: np.ndarray, sector: np.ndarray, world, scenario,
                  rng: np.random.Generator) -> np.ndarray:
    """Knowledge profiles of new firms (firms x fields, rows sum to 1): Dirichlet around their
    sector's mix, more concentrated (broader, more typical) the larger the firm."""
    mix = sector_mix(world.sector_names)[sector]
    breadth = 1.0 + np.log10(np.maximum(employees, 1.0))
    spread = scenario.knowledge.concentration * breadth ** 2
    draws = rng.standard_gamma(spread[:, None] * mix)
    draws += 1e-12  # no all-zero row
    return draws / draws.sum(axis=1, keepdims=True)


def fit(model) -> np.ndarray:
    """How well each firm's profile fits its sector's mix (1 = typical; see the module
    docstring); read-only.

    Kept on the model (see :class:`_FitCache`) and computed again only for the rows whose
    profiles changed (see :func:`profiles_changed`) and for firms appended since: a step's
    acquisitions and joint innovations touch a few thousand of a million profiles, and the
    scores are read every step.
    """
    cache = model.__dict__.get("_fit_cache")
    if cache is None:
        cache = model._fit_cache = _FitCache()
    return cache.values(model)


class _FitCache:
    """Every firm's :func:`fit`, brought up to date row by row.

    Each row is computed on its own by the same product as over the whole table (``einsum``
    sums a row's fields in the same order whatever the number of rows), so the values are
    those a computation over every firm would give.
    """

    def __init__(self):
        self._fit = np.zeros(0)
        #: rows whose profiles changed since the last read: arrays of them, and single rows
        #: (an acquisition changes one profile at a time)
        self._stale: list[np.ndarray] = []
        self._stale_rows: list[int] = []
        self._all_stale = True

    def mark(self, firms=None) -> None:
        """Mark the rows of ``firms`` (a firm id or an array of them; every row when None) as
        changed."""
        if firms is None:
            self._all_stale = True
        elif self._all_stale:  # every row is computed at the next read anyway
            return
        elif np.ndim(firms) == 0:
            self.mark_one(int(firms))
        else:
            self._stale.append(np.asarray(firms, dtype=np.intp).reshape(-1))

    def mark_one(self, firm: int) -> None:
        """Mark the row of one firm as changed (:meth:`mark` for one firm id, without its
        checks: acquisitions come one at a time)."""
        if not self._all_stale:
            self._stale_rows.append(firm)

    def values(self, model) -> np.ndarray:
        """The scores of every firm, computed again where they are stale or missing."""
        f = model.firms
        n = len(f)
        if self._all_stale:
            self._fit = _fit_rows(model, slice(None))
            self._all_stale = False
        elif len(self._fit) < n:  # firms appended: their rows are new
            self._fit = np.concatenate([self._fit, _fit_rows(model, slice(len(self._fit), n))])
        if self._stale or self._stale_rows:
            rows = distinct(np.concatenate(self._stale + [np.array(self._stale_rows, np.intp)]))
            self._fit[rows] = _fit_rows(model, rows)
        self._stale.clear()
        self._stale_rows.clear()
        out = self._fit.view()
        out.flags.writeable = False
        return out


def _fit_rows(model, rows) -> np.ndarray:
    """:func:`fit` of the firms in ``rows`` (an index array or a slice)."""
    f = model.firms
    scaled = model.__dict__.get("_scaled_mix")
    if scaled is None:  # each sector's mix over its own square norm
        mix = sector_mix(model.world.sector_names)
        scaled = model._scaled_mix = mix / np.einsum("ij,ij->i", mix, mix)[:, None]
    return np.einsum("ij,ij->i", f.profile[rows], scaled[f.sector[rows]])


def profiles_changed(model, firms=None) -> None:
    """Mark the profiles of ``firms`` (firm ids; every firm when None) as changed: values
    derived from them are computed again for those rows."""
    cache = model.__dict__.get("_fit_cache")
    if cache is not None:
        cache.mark(firms)


def distance(profile_i: np.ndarray, profile_j: np.ndarray) -> np.ndarray:
    """Cognitive distance of pairs of profiles: the share not held in common (0..1)."""
    gap = np.subtract(profile_i, profile_j)
    total = _row_sums(np.abs(gap, out=gap))
    total *= 0.5
    return total


def _row_sums(values: np.ndarray) -> np.ndarray:
    """``values.sum(axis=1)``, bit for bit, for an array of rows of eight values
    (:data:`N_FIELDS`): numpy sums a row of eight pairwise, ``((v0 + v1) + (v2 + v3)) + ((v4 +
    v5) + (v6 + v7))``, and adding neighbouring columns in that order, halving the width each
    time (eight to four to two to one), is several times faster than reducing row by row on
    the hundreds of thousands of pairs a step values, and reads and makes half the memory of
    adding the eight columns one by one. Other widths are left to numpy."""
    if values.shape[1] != 8:
        return values.sum(axis=1)
    fours = values[:, 0::2] + values[:, 1::2]
    twos = fours[:, 0::2] + fours[:, 1::2]
    return twos[:, 0] + twos[:, 1]


def complementarity(model, profile_i: np.ndarray, profile_j: np.ndarray) -> np.ndarray:
    """Inverted-U value (0..1) of combining pairs of profiles (see the module docstring)."""
    return complementarity_of_distance(model, distance(profile_i, profile_j))


def complementarity_of_distance(model, d: np.ndarray) -> np.ndarray:
    """:func:`complementarity` of pairs whose cognitive :func:`distance` is ``d`` (0..1)."""
    x = d / model.scenario.knowledge.optimal_distance
    return np.clip(x * (2.0 - x), 0.0, 1.0)


def rnd_complementarity(model, i, j) -> np.ndarray:
    """Complementarity (0..1) of the knowledge of firms ``i`` and ``j``, pair by pair."""
    p = model.firms.profile
    return complementarity(model, np.take(p, i, axis=0), np.take(p, j, axis=0))


def rnd_value_factor(model, profile_i: np.ndarray, profile_j: np.ndarray) -> np.ndarray:
    """Multiplier on the R&D value of an alliance: ``1 - w + w x complementarity`` with ``w``
    the ``knowledge.complementarity_weight``."""
    return rnd_value_factor_of_distance(model, distance(profile_i, profile_j))


def rnd_value_factor_of_distance(model, d: np.ndarray) -> np.ndarray:
    """:func:`rnd_value_factor` of pairs whose cognitive :func:`distance` is ``d`` (0..1)."""
    w = model.scenario.knowledge.complementarity_weight
    return (1.0 - w) + w * complementarity_of_distance(model, d)


def recombine(model, cond, dt: float) -> int:
    """Live R&D alliances yield new combinations (see the module docstring); return how
    many did this step."""
    d = model.deals
    live = d.live(ALLIANCE)
    live = live[(d.purposes[live] & purpose_mask(["rnd"])) > 0]
    if not len(live):
        return 0
    kn = model.scenario.knowledge
    f = model.firms
    a, b = d.a[live], d.b[live]
    c = rnd_complementarity(model, a, b)
    chance = np.minimum(1.0, kn.innovation_rate * c * cond.cycle[d.sector[live]] * dt)
    hit = model.rng.random(len(live)) < chance
    if not hit.any():
        return 0
    a, b = a[hit], b[hit]
    firms = np.concatenate([a, b])
    p = f.profile
    mean = 0.5 * (p[a] + p[b])
    # the combination is the unit's that runs the alliance: the firm's averages move by its share
    share = 1.0 / divisions(model)[firms]
    shift = kn.recombination * share[:, None] * (np.concatenate([mean, mean]) - p[firms])
    quality_gain = kn.innovation_quality * share * (1.0 - f.quality[firms])
    knowledge_gain = kn.innovation_knowledge * share * f.knowledge[firms]
    np.add.at(p, firms, shift)
    # only these rows moved: every other profile is non-negative already
    moved = np.maximum(p[firms], 0.0)
    p[firms] = moved / moved.sum(axis=1, keepdims=True)
    np.add.at(f.quality, firms, quality_gain)
    np.minimum(f.quality, 1.0, out=f.quality)
    np.add.at(f.knowledge, firms, knowledge_gain)
    profiles_changed(model, firms)
    return int(hit.sum())


def absorb_profile(model, acquirer: int, target: int) -> None:
    """An acquirer's profile after taking over a target: the knowledge-weighted mix of both.

    Worked out on Python floats (the same double-precision operations as numpy's, field by
    field): acquisitions come one at a time, where numpy's per-call cost would exceed the
    arithmetic on eight fields."""
    f = model.firms
    ka, kt = float(f.knowledge[acquirer]), float(f.knowledge[target])
    total = max(ka + kt, 1e-300)
    f.profile[acquirer] = [(ka * a + kt * t) / total
                           for a, t in zip(f.profile[acquirer].tolist(),
                                           f.profile[target].tolist(), strict=True)]
    cache = model.__dict__.get("_fit_cache")
    if cache is not None:
        cache.mark_one(int(acquirer))


def rnd_budget(model) -> np.ndarray:
    """Yearly R&D budget of every firm (USD million per year)."""
    f = model.firms
    intensity = f.static_derived("rnd_intensity", lambda: model.world.rnd_intensity[f.sector])
    return intensity * f.base_revenue


def rnd_pressure(model, cond, firms=None, sector=None, market=None) -> np.ndarray:
    """Share of the sector's frontier R&D programme a firm cannot fund alone (0..1), for every
    firm or for ``firms`` (value by value the same numbers, from their rows alone); ``sector``
    and ``market``: the firms' sectors and market codes (``FirmTable.market_codes``), if the
    caller has them."""
    f = model.firms
    rows = slice(None) if firms is None else firms
    if market is None:
        market = f.market_codes(model.world.n_sectors)[rows]
    if sector is None:
        sector = f.sector[rows]
    cost = market_rnd_cost(model, cond)[market]
    budget = model.world.rnd_intensity[sector] * f.market_revenue[rows]
    return cost / (cost + budget)


def market_rnd_cost(model, cond) -> np.ndarray:
    """Cost of the sector's frontier R&D programme at the wages of each (country, sector)
    market (``rnd_cost`` of the sector times the market's wage index; markets numbered as
    ``FirmTable.market_codes``): the same for every firm of a market, so worked out per
    market and read by firm (one gather of a small table rather than two, and no product, per
    firm)."""
    mk = model.market
    sector = np.arange(len(mk.per_capacity)) % mk.n_sectors
    return cond.rnd_cost[sector] * mk.market_wage_index()


def tech_score(model) -> np.ndarray:
    """Technology of every firm relative to its sector's mean among active firms (0..1): its
    knowledge in the fields its sector draws on (``knowledge x fit``, see :func:`fit`)."""
    return TechScores(model).every_firm()


class TechScores:
    """:func:`tech_score` of the firms asked for: ``scores[firms]`` gives the scores of those
    firms alone (the same numbers as ``tech_score(model)[firms]``).

    The sector means read every firm and are worked out once, when the object is made; the
    scores themselves are worked out only for the firms a caller reads (a step values deals
    among a few thousand of a million firms).
    """

    def __init__(self, model):
        f = model.firms
        active = f.active
        n_s = model.world.n_sectors
        self._sector = f.sector
        self._stock = stock = f.knowledge * fit(model)
        # sums over every firm in firm order, the inactive firms' stocks to a bin past the
        # sectors': the sums of the active firms' knowledge (positive) without gathering them
        # (the same numbers as the inactive firms adding zero to their sectors' sums)
        total = np.bincount(_sector_if_active(model, active, n_s), weights=stock,
                            minlength=n_s + 1)[:n_s]
        count = _active_count(model, active, n_s)
        self._mean = np.where(count > 0, total / np.maximum(count, 1), 1.0)

    def __getitem__(self, firms) -> np.ndarray:
        return self.of(firms, self._sector[firms])

    def of(self, firms, sector: np.ndarray) -> np.ndarray:
        """The scores of ``firms`` whose sectors the caller has read (``sector``)."""
        stock = self._stock[firms]
        return stock / (stock + self._mean[sector])

    def every_firm(self) -> np.ndarray:
        """The scores of every firm."""
        return self[slice(None)]


def _sector_if_active(model, active: np.ndarray, n_sectors: int) -> np.ndarray:
    """Each firm's sector, ``n_sectors`` for a firm no longer active; kept
    (:meth:`FirmTable.kept`) while the firms' statuses are the same, as 16-bit codes (2 bytes a
    firm of memory kept rather than 8; ``np.bincount`` widens them as it reads them)."""
    f = model.firms
    return f.kept("sector_if_active", ("status",),
                  lambda: np.where(active, f.sector, n_sectors).astype(np.int16))


def _active_count(model, active: np.ndarray, n_sectors: int) -> np.ndarray:
    """Active firms in each sector (as floats), kept (:meth:`FirmTable.kept`) while the firms'
    statuses are the same: firms enter, exit and are acquired at few steps of a year, and the
    scores are read several times a step."""
    f = model.firms
    return f.kept("active_count", ("status",),
                  lambda: np.bincount(f.sector, weights=active, minlength=n_sectors))


def step(model, cond, dt: float) -> None:
    """Grow or depreciate knowledge, raise SME capabilities and quality, for ``dt`` years."""
    f = model.firms
    b = model.scenario.behaviour
    act = f.active
    # each term worked out in place, in the order of the formula (products of two numbers
    # are the same either way round): one firm-sized array in all rather than one per term
    rate = rnd_budget(model)
    rate /= market_rnd_cost(model, cond)[f.market_codes(model.world.n_sectors)]
    np.minimum(rate, 1.0, out=rate)  # the share of the programme funded
    np.sqrt(rate, out=rate)
    rate *= b.knowledge_growth
    rate -= b.knowledge_depreciation
    rate *= dt
    # whole-column passes, no gather and scatter of the subsets, and none restricted with
    # ``where=`` either (its inner loop runs once per stretch of active firms, several times
    # slower): the growth factor of every firm, then 1 for the inactive ones (their knowledge
    # times 1 is the same number)
    np.exp(rate, out=rate)
    np.putmask(rate, ~act, 1.0)
    f.knowledge *= rate
    sme = act & f.is_sme
    cap, quality = f.capability, f.quality
    gain = np.subtract(1.0, cap, out=rate)
    gain *= b.capability_uptake * cond.sme_capability
    gain *= dt
    gain += cap  # the SMEs' new capabilities (a sum is the same either way round)
    np.putmask(cap, sme, gain)
    upgrade = np.multiply(cap, model.scenario.supply.quality_upgrading)
    gain = np.subtract(1.0, quality, out=gain)
    gain *= upgrade
    gain *= dt
    gain += quality
    np.putmask(quality, sme, gain)
