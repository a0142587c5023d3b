"""The world firms live in: countries, regions, sectors and the drivers' values at a given time.

:class:`World` turns the scenario's profiles into arrays indexed by country and sector code, and
:meth:`World.conditions` evaluates every time path for one step, so that mechanisms read plain
numbers and arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from restructuring_sim.scenario import REGIONS, Scenario

SIZE_CLASSES = ("small", "medium", "large")
#: matrix entries of a product OpenBLAS computes on one thread (its threshold is 9,216)
_ONE_THREAD_PRODUCT = 8192
SECTOR_GROUPS = ("manufacturing", "services")


@dataclass(frozen=True)
class Conditions:
    """Drivers and levers in force during one step (all levers 0..1 unless stated)."""

    step: int
    year: int
    quarter: int
    t: float  #: fractional calendar year at the middle of the step
    ict_cost: float  #: index, 1 = 1988 level
    trade_openness: float
    fdi_openness: float
    ipr_protection: float
    matching_coverage: float
    matching_conversion: float
    sme_capability: float
    competition_strictness: float
    b2b_exclusivity: float
    safety_net: float
    rnd_cost: np.ndarray  #: per sector, USD million per year
    cycle: np.ndarray  #: per sector, multiplier on R&D-alliance value (technology cycle)
    internet: np.ndarray  #: per sector, multiplier on search (Internet boost)
    venture_capital: float  #: index, 1995 = 1
    venture_backed: np.ndarray  #: per sector, bool: venture investors back its start-ups
    access: np.ndarray  #: per sector, market access of foreign entrants (1 = deregulated)
    deregulated: np.ndarray  #: per sector, bool: foreign entry was deregulated by now
    currency_union: np.ndarray  #: per country, bool: member of the currency union by now
    cross_shareholding: np.ndarray  #: per country, share of market value in cross-holdings


def relative_cultural_distance(scores: list[tuple[float, ...] | None]) -> np.ndarray:
    """Kogut and Singh's (1988) cultural distance between every two countries over its mean
    among pairs of distinct countries (countries x countries; 0 on the diagonal).

    The index of countries ``i`` and ``j`` is the mean over Hofstede's dimensions ``k`` of
    ``(I_ki - I_kj) ** 2 / V_k``, ``V_k`` the dimension's variance among the countries scored.
    A country without scores (``None``) is at distance 1 from every other, as are all countries
    where fewer than two have scores.
    """
    n = len(scores)
    out = np.ones((n, n))
    known = np.array([s is not None for s in scores])
    if known.sum() >= 2:
        table = np.array([s for s in scores if s is not None], dtype=float)
        variance = table.var(axis=0, ddof=1)
        variance[variance == 0] = 1.0
        index = (((table[:, None, :] - table[None, :, :]) ** 2) / variance).mean(axis=2)
        pairs = ~np.eye(len(table), dtype=bool)
        mean = index[pairs].mean()
        if mean > 0:
            out[np.ix_(known, known)] = index / mean
    np.fill_diagonal(out, 0.0)
    return out


class World:
    """Static geography and sector structure of a scenario, plus time-dependent conditions."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        #: arrays worked out once from the scenario by other modules (e.g. the countries' size
        #: laws and shares of firms, :mod:`restructuring_sim.population`), read-only
        self.derived: dict[object, np.ndarray] = {}
        # codes follow sorted names, so that equal scenarios (equal config hashes) run alike
        # whatever order their tables were written in
        self.sector_names = sorted(scenario.sectors)
        self.country_names = sorted(scenario.countries)
        self.region_names = list(REGIONS)
        sectors = [scenario.sectors[s] for s in self.sector_names]
        countries = [scenario.countries[c] for c in self.country_names]
        self.sector_group = np.array(
            [SECTOR_GROUPS.index(s.group) for s in sectors], dtype=np.int8
        )
        self.is_manufacturing = self.sector_group == 0
        self.rnd_intensity = np.array([s.rnd_intensity for s in sectors])
        self.venture_backed = np.array([s.venture_backed for s in sectors])
        #: per sector: its firms act as trading companies; its goods go through them
        self.distributor = np.array([s.distributor for s in sectors])
        self.uses_distributors = np.array([s.uses_distributors for s in sectors])
        self.standard_year = np.array(
            [np.inf if s.standard_year is None else s.standard_year for s in sectors]
        )
        self.deregulation_year = np.array(
            [-np.inf if s.deregulation_year is None else s.deregulation_year for s in sectors]
        )
        #: per sector: the characteristics deal motives follow from (see ``Sector``)
        self.ip_reliance = np.array([s.ip_reliance for s in sectors])
        self.local_presence = np.array([s.local_presence for s in sectors])
        self.distribution_weight = np.array([s.distribution_weight for s in sectors])
        self.outsourced_production = np.array([s.outsourced_production for s in sectors])
        self.country_region = np.array(
            [REGIONS.index(c.region) for c in countries], dtype=np.int8
        )
        #: per country: venture money reaching its start-ups relative to the US (0..1)
        self.venture_depth = np.array([c.venture_depth for c in countries])
        size = np.array([c.market_size for c in countries])
        self.market_weight = size / size.sum()
        self.currency_union_year = np.array(
            [np.inf if c.currency_union_year is None else c.currency_union_year
             for c in countries]
        )
        # distance in "region steps": 0 same country, 1 same region, 2 other region
        same_region = self.country_region[:, None] == self.country_region[None, :]
        self.distance = np.where(same_region, 1.0, 2.0)
        np.fill_diagonal(self.distance, 0.0)
        #: distance between partners' home countries as search and deal costs read it: region
        #: steps scaled by the pair's cultural distance (``behaviour.cultural_distance_weight``)
        weight = scenario.behaviour.cultural_distance_weight
        self.partner_distance = self.distance * (
            1.0 - weight + weight * relative_cultural_distance([c.culture for c in countries]))
        self._path_table: dict[str, np.ndarray] | None = None  # see _paths_at

    @property
    def n_sectors(self) -> int:
        return len(self.sector_names)

    @property
    def n_countries(self) -> int:
        return len(self.country_names)

    def market_share(self, flags: np.ndarray) -> np.ndarray:
        """Size-weighted share of world markets in each row of ``flags`` (rows x countries).

        The product runs in blocks of rows small enough for OpenBLAS to use one thread: a
        threaded product splits the rows between threads and rounds a few of them differently,
        so results would depend on the machine's number of cores. Blocks hold a power of two of
        rows, so that each row meets the kernel's row groups as in one product of the whole
        matrix on one thread, and the sums are the same. Small blocks also stay in cache, which
        makes this faster than one product for large arrays.
        """
        out = np.empty(len(flags))
        rows = 1 << max(4, (_ONE_THREAD_PRODUCT // max(1, flags.shape[1])).bit_length() - 1)
        for start in range(0, len(flags), rows):
            block = flags[start:start + rows].astype(np.float64)
            out[start:start + rows] = block @ self.market_weight
        return out

    def conditions(self, step: int) -> Conditions:
        """Evaluate every driver and lever for ``step`` (0 = first quarter of start_year)."""
        sc = self.scenario
        spy = sc.simulation.steps_per_year
        year = sc.simulation.start_year + step // spy
        t = _mid_step(sc, step)
        elapsed = t - sc.simulation.start_year
        growth = (1.0 + sc.drivers.rnd_cost_growth) ** elapsed
        b = sc.behaviour
        pre = 1.0 + b.pre_standard_bonus
        # ferment before a sector's dominant design, its ordinary value (1) where no design
        # contest is stated
        cycle = np.where(np.isfinite(self.standard_year),
                         np.where(t >= self.standard_year, b.post_standard_factor, pre), 1.0)
        deregulated = t >= self.deregulation_year
        paths = self._paths_at(step, t)
        return Conditions(
            step=step,
            year=year,
            quarter=step % spy + 1,
            t=t,
            **{name: value for name, value in paths.items() if name not in _ARRAY_PATHS},
            matching_conversion=sc.policy.matching_service.conversion,
            rnd_cost=paths["rnd_cost"] * growth,
            cycle=cycle,
            internet=paths["internet"],
            venture_backed=self.venture_backed,
            access=np.where(deregulated, 1.0, b.regulated_access),
            deregulated=deregulated,
            currency_union=t >= self.currency_union_year,
            cross_shareholding=paths["cross_shareholding"],
        )

    def _paths(self) -> dict[str, list]:
        """The time paths of the conditions: one per lever, one per sector for R&D cost and
        Internet boost, one per country for cross-shareholdings."""
        sc = self.scenario
        pol = sc.policy
        sectors = [sc.sectors[s] for s in self.sector_names]
        levels = dict(
            ict_cost=sc.drivers.ict_cost, trade_openness=pol.trade_openness,
            fdi_openness=pol.fdi_openness, ipr_protection=pol.ipr_protection,
            matching_coverage=pol.matching_service.coverage, sme_capability=pol.sme_capability,
            competition_strictness=pol.competition_strictness,
            b2b_exclusivity=pol.b2b_exclusivity, safety_net=pol.safety_net,
            venture_capital=sc.drivers.venture_capital,
        )
        return {**{name: [path] for name, path in levels.items()},
                "rnd_cost": [s.rnd_cost for s in sectors],  # the _ARRAY_PATHS
                "internet": [s.internet_boost for s in sectors],
                "cross_shareholding": [sc.countries[c].cross_shareholding
                                       for c in self.country_names]}

    def _paths_at(self, step: int, t: float) -> dict[str, float | np.ndarray]:
        """Every time path at ``t``, the middle of ``step``: read from a table of the run's
        steps, made once with one interpolation per path for all steps (the same numbers as
        one at a time), or interpolated at ``t`` for a step outside the run."""
        if self._path_table is None:
            steps = range(self.scenario.simulation.n_steps)
            times = np.array([_mid_step(self.scenario, k) for k in steps])
            self._path_table = {name: np.stack([path.at(times) for path in paths], axis=1)
                                for name, paths in self._paths().items()}
        table = self._path_table
        if 0 <= step < len(table["ict_cost"]):
            values = {name: column[step] for name, column in table.items()}
        else:
            values = {name: np.array([path(t) for path in paths])
                      for name, paths in self._paths().items()}
        return {name: row.copy() if name in _ARRAY_PATHS else float(row[0])
                for name, row in values.items()}


#: conditions read from one time path per sector or per country (the others are one number for
#: the economy)
_ARRAY_PATHS = ("rnd_cost", "internet", "cross_shareholding")


def _mid_step(scenario: Scenario, step: int) -> float:
    """Fractional calendar year at the middle of ``step``."""
    spy = scenario.simulation.steps_per_year
    year = scenario.simulation.start_year + step // spy
    return year + (step % spy + 0.5) / spy
