"""The synthetic firm population at the start of a run.

Sizes follow a discrete Pareto law (heavy-tailed: most firms are small, a few very large), so that
SMEs are well over 95% of firms; above 250 employees the tail thins to Zipf's law of firm sizes
(``large_tail_index``), so that the sample can hold enough large firms for SMEs to partner with
without their sizes, and their share of jobs and sales, growing out of proportion. Each firm
carries a design weight (:func:`design_weights`) that turns the sample back into the economy for
aggregates such as the SMEs' share of exports; a country may have its own size law (its SME
share of jobs sets how many large firms it has per SME, :func:`country_densities`), and a sector
its own structure (:func:`cell_densities`). Sectors and countries are drawn from the scenario's
mixes (and the countries' specialisation, :func:`country_sector_shares`); a share of firms sits
in local clusters of their (country, sector) market.
Large firms are MNEs with a given probability and then sell in several countries across regions
(through affiliates); SMEs sell at home and a few export to one country
(``population.exporter_share``), which they keep or leave by the rule of
:mod:`restructuring_sim.mechanisms.exports`. Knowledge is independent of size up to a small
premium for large firms, so that some small firms hold valuable niche technology.
"""

from __future__ import annotations

import functools

import numpy as np

from restructuring_sim.firms import SIZE_BOUNDS, FirmTable, market_code
from restructuring_sim.mechanisms.innovation import draw_profiles
from restructuring_sim.scenario import Population, Scenario
from restructuring_sim.world import World


def draw_employees(n: int, tail_index: float, size_max: int, rng: np.random.Generator,
                   large_tail_index: float | None = None):
    """Employees of ``n`` firms: ``x = U ** (-1 / tail_index)``, floored and capped at
    ``size_max``; above 250 employees the tail falls with ``large_tail_index`` instead
    (``250 * (x / 250) ** (tail_index / large_tail_index)``: as many firms above 250).

    The two indices play two parts: ``tail_index`` sets how many firms of the sample are
    large (enough partners for SMEs in a sample of a few thousand firms), ``large_tail_index``
    how large they are (Zipf's law), and with them the SMEs' share of jobs and sales.

    ``U`` is stratified (Cochran 1977, ch. 5): one draw in each of ``n`` equal slices of (0, 1],
    the slices dealt to the firms in random order. A sample then holds the law's expected
    number of firms above any size, give or take one, rather than a Poisson number: the few
    giants, which make a large part of the economy's sales and most of its exports (Bernard et
    al. 2007), come in proportion to the sample's size, so that sums over firms (exports,
    employment) vary far less from sample to sample and a small sample's shares match a large
    one's.

    The top slice, ``U`` in (0, 1 / n], is the exception: its firm takes the slice's mean size
    (:func:`top_slice_mean`) rather than a draw. Above 250 employees sizes follow Zipf's law,
    whose variance is infinite: a draw from the top slice is usually far below the slice's mean
    and now and then the largest firm of the economy, so a small sample's sums over firms
    (employment, sales, exports) would usually fall short of the economy's share and its
    size-weighted shares would move with the sample's size. The slice's mean gives every sample
    its expected share of the giants' mass (at 10,000 firms a largest firm of about 113,000
    employees, against a median draw of 74,000); from about 100,000 firms on the slice lies
    wholly at ``size_max`` and nothing changes. The count of firms above any size stays within
    one of its expectation.
    """
    rank, u = stratified_quantiles(n, rng)
    return sizes_at(u, rank, tail_index, size_max, large_tail_index)


def stratified_quantiles(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The stratified upper-tail quantiles of :func:`draw_employees`: each firm's slice (its
    ``rank``, 0 to ``n - 1``, ``n - 1`` the top slice) and its quantile ``u`` in (0, 1]."""
    rank = rng.permutation(n)
    return rank, 1.0 - (rank + rng.random(n)) / n


def sizes_at(u: np.ndarray, rank: np.ndarray, tail_index: float, size_max: int,
             large_tail_index: float | None = None,
             density: np.ndarray | None = None) -> np.ndarray:
    """Employees at the stratified quantiles ``u`` (:func:`stratified_quantiles`), floored and
    capped, the top slice's firm at the slice's mean size. ``density`` (per firm: its
    country's and sector's, :func:`cell_densities`) multiplies the law's chance of 250
    employees or more against the chances below (:func:`large_quantiles`); sizes within each
    part keep their law."""
    n = len(u)
    tail = np.full(u.shape, float(tail_index))
    scale = None  # per firm, the factor by which its large part's quantiles shrink
    if density is not None:
        u, scale = large_quantiles(u, tail_index, density)
    x = np.minimum(np.floor(_size_at(u, tail, large_tail_index)), size_max)
    top = rank == n - 1
    if np.any(top):
        # the top slice (0, 1 / n] of u is (0, scale / n] of the law's own quantile
        shrink = 1.0 if scale is None else float(scale[top][0])
        x[top] = np.round(top_slice_mean(n / shrink, tail_index, size_max, large_tail_index))
    return x.astype(np.float64)


def _large_chance(tail_index: float) -> float:
    """``q = 250 ** -tail_index``: the chance of 250 employees or more under a Pareto law of
    ``tail_index`` below 250."""
    return float(SIZE_BOUNDS[1]) ** -tail_index


def _total_chance(tail_index: float, density: np.ndarray | float) -> np.ndarray | float:
    """``1 - q + d q``: the total chance of that law once its large firms' chance is multiplied
    by ``density`` (the law's normalisation)."""
    q = _large_chance(tail_index)
    return 1.0 - q + density * q


def large_share(tail_index: float, density: np.ndarray | float) -> np.ndarray | float:
    """Chance of 250 employees or more under the Pareto law of ``tail_index`` below 250 when
    that chance is multiplied by ``density`` against the chances below and the law renormalised
    (``d q / (1 - q + d q)``, ``q = 250 ** -tail_index``)."""
    return density * _large_chance(tail_index) / _total_chance(tail_index, density)


def large_quantiles(u: np.ndarray, tail_index: float,
                    density: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The law's own upper-tail quantiles for quantiles ``u`` of the law with its large firms'
    chance multiplied by ``density`` (per firm): ``u`` below that law's chance of 250 or more,
    ``p``, maps linearly onto the law's ``(0, q]`` and the rest onto ``(q, 1]``, so that a firm
    is large with chance ``p`` and sizes within each part keep their law. Also returns the
    factor ``q / p`` by which the large part's quantiles shrink."""
    q = _large_chance(tail_index)
    p = large_share(tail_index, density)
    large = u <= p
    mapped = np.where(large, u * (q / p), q + (u - p) * ((1.0 - q) / (1.0 - p)))
    return mapped, q / p


def _size_at(u: np.ndarray, tail_index: np.ndarray, large_tail_index: float | None) -> np.ndarray:
    """Employees (before flooring and the cap) at the upper-tail quantile ``u``."""
    x = u ** (-1.0 / tail_index)
    if large_tail_index is not None:
        large = x >= SIZE_BOUNDS[1]
        x[large] = SIZE_BOUNDS[1] * (x[large] / SIZE_BOUNDS[1]) ** (
            tail_index[large] / large_tail_index)
    return x


def top_slice_mean(n: int, tail_index: float, size_max: int,
                   large_tail_index: float | None = None) -> float:
    """Mean of ``min(size_max, x(U))`` over the top slice ``U`` in (0, 1 / n] of
    :func:`draw_employees`' law (employees; flooring ignored): the cap's share of the slice at
    ``size_max``, and each power-law piece, ``k * U ** -b``, integrated in closed form."""
    a_large = tail_index if large_tail_index is None else large_tail_index
    bound = float(SIZE_BOUNDS[1])
    p = bound ** -tail_index  # U below which firms are large
    pieces = [(bound ** (1.0 - tail_index / a_large), 1.0 / a_large, 0.0, p),
              (1.0, 1.0 / tail_index, p, 1.0)]
    top = 1.0 / n
    total = 0.0
    for k, b, lo, hi in pieces:
        u_cap = min(max((k / size_max) ** (1.0 / b), lo), hi)  # x(U) >= size_max below it
        lo_c, hi_c = min(lo, top), min(hi, top)
        capped = max(min(u_cap, hi_c) - lo_c, 0.0)
        total += size_max * capped
        a, z = max(u_cap, lo_c), hi_c
        if z > a:
            total += k * (z ** (1.0 - b) - a ** (1.0 - b)) / (1.0 - b)
    return total * n


def size_law(pop: Population) -> tuple[np.ndarray, np.ndarray]:
    """The economy's firm-size law, as :func:`draw_employees` draws it: ``(sizes, chances)``
    over every whole number of employees from 1 to ``size_max`` (the cap takes the tail's
    mass).

    Each piece of the survival function is worked out on its own sizes only (the law has a
    row per whole number up to ``size_max``, 300,000 in the baseline: a run's first step
    spent some 0.01 s on powers of both pieces at every size)."""
    a_s, a_l = pop.size_tail_index, pop.large_tail_index
    k = np.arange(1, pop.size_max + 1, dtype=np.float64)
    bound = float(SIZE_BOUNDS[1])
    small = int(np.count_nonzero(k < bound))  # sizes below 250 employees (the first)
    survival = np.empty_like(k)  # P(X >= k)
    np.power(k[:small], -a_s, out=survival[:small])
    survival[small:] = bound ** -a_s * (k[small:] / bound) ** -a_l
    chances = np.empty_like(k)  # P(X >= k) - P(X >= k + 1), the cap holding the rest
    np.subtract(survival[:-1], survival[1:], out=chances[:-1])
    chances[-1] = survival[-1]
    return k, chances


def _once(world: World, key, func) -> np.ndarray:
    """``func()``, worked out once per world (kept read-only in ``world.derived``): the
    values below read only the scenario, and searches ask for some of them every step."""
    kept = world.derived.get(key)
    if kept is None:
        kept = world.derived[key] = np.asarray(func())
        kept.flags.writeable = False
    return kept


def visibility_class_shares(scenario: Scenario, world: World, elasticity: float) -> np.ndarray:
    """Expected share of the economy's size visibility (``employees ** elasticity``) held by
    each size class (small, medium, large), from the size law: what a sample of any size would
    hold on average, where a small sample's own split depends on the few giants it draws.
    Where countries' or sectors' laws differ (:func:`cell_densities`), the laws' visibility per
    firm is mixed by the (country, sector) cells' shares of firms."""
    return _once(world, ("visibility_class_shares", float(elasticity)),
                 lambda: _visibility_class_shares(scenario, world, float(elasticity)))


def _visibility_class_shares(scenario: Scenario, world: World, elasticity: float) -> np.ndarray:
    pop = scenario.population
    mass = _class_mass(pop.size_tail_index, pop.large_tail_index, pop.size_max, float(elasticity))
    density = cell_densities(scenario, world).ravel()
    if np.any(density != 1.0):
        # a (country, sector) cell's law: the large class's chance times its density, then
        # renormalised; the cells mixed by their shares of firms
        joint = country_sector_shares(scenario, world)
        firms = (np.outer(country_shares(scenario, world), sector_shares(scenario, world))
                 if joint is None else joint).ravel()
        per_firm = firms / _total_chance(pop.size_tail_index, density)
        mass = mass * np.array([per_firm.sum(), per_firm.sum(), per_firm @ density])
    return mass / mass.sum()


@functools.lru_cache(maxsize=64)
def _class_mass(size_tail_index: float, large_tail_index: float, size_max: int,
                elasticity: float) -> np.ndarray:
    """Expected visibility per firm in each size class under one size law (computed once per
    law: the law has a row per whole number of employees up to ``size_max``; read-only)."""
    pop = Population(size_tail_index=size_tail_index, large_tail_index=large_tail_index,
                     size_max=size_max)
    k, p = size_law(pop)
    mass = p * k ** elasticity
    cls = np.searchsorted(np.asarray(SIZE_BOUNDS, dtype=np.float64), k, side="right")
    out = np.bincount(cls, weights=mass, minlength=3)[:3]
    out.flags.writeable = False
    return out


def sme_job_share(density: float, large_tail_index: float, size_max: int) -> float:
    """Share of an economy's jobs in firms of fewer than 250 employees when its firm sizes
    follow Zipf's law (``large_tail_index``, capped at ``size_max`` employees) with the chance
    of 250 employees or more multiplied by ``density`` against the chances below (share; falls
    with ``density``; 1 gives Zipf's law throughout)."""
    small, large = _jobs(large_tail_index, size_max)
    return small / (small + density * large)


def large_firm_density(share: float, large_tail_index: float, size_max: int) -> float:
    """The density of large firms at which :func:`sme_job_share` equals ``share``: how many
    firms of 250 employees or more an economy has per SME, relative to Zipf's law."""
    small, large = _jobs(large_tail_index, size_max)
    return small * (1.0 - share) / (share * large)


def mean_employees(density: float, large_tail_index: float, size_max: int) -> float:
    """Mean employees of the economy's firms under the law of :func:`sme_job_share`."""
    small, large = _jobs(large_tail_index, size_max)
    return (small + density * large) / _total_chance(large_tail_index, density)


@functools.lru_cache(maxsize=8)
def _jobs(large_tail_index: float, size_max: int) -> tuple[float, float]:
    """Expected employees per firm of Zipf's law (``large_tail_index`` at every size, capped at
    ``size_max``) in firms below 250 employees, ``sum(P(k <= X < 250))`` over ``k`` from 1 to
    249, and in firms of 250 or more, ``P(X >= 250)`` times their mean size."""
    k = np.arange(1.0, SIZE_BOUNDS[1])
    bound = float(SIZE_BOUNDS[1])
    small = float(np.sum(k ** -large_tail_index - bound ** -large_tail_index))
    return small, bound ** -large_tail_index * _large_mean(large_tail_index, size_max)


@functools.lru_cache(maxsize=8)
def _large_mean(large_tail_index: float, size_max: int) -> float:
    """Mean employees of firms of 250 or more: ``249 + sum(P(X >= k | X >= 250))`` over every
    size up to the cap."""
    k = np.arange(SIZE_BOUNDS[1], size_max + 1, dtype=np.float64)
    return float(SIZE_BOUNDS[1] - 1 + np.sum((k / SIZE_BOUNDS[1]) ** -large_tail_index))


def country_densities(scenario: Scenario, world: World) -> np.ndarray:
    """Density of large firms of every country's economy (world order): 1 (Zipf's law
    throughout) where the country gives no ``sme_job_share``, else
    :func:`large_firm_density` of its share. Below 250 employees and above it sizes follow
    Zipf's law everywhere; a country with more of its jobs in SMEs has fewer large firms per
    SME, and so more micro, small and medium firms alike, as Western Europe and East Asia have
    against the United States (European Observatory for SMEs 1997: firms of 1-49 and of 50-249
    employees hold jobs in about the same ratio, some three to one, across the member states,
    while the large firms' share runs from about a fifth to nearly half)."""
    pop = scenario.population
    return _once(world, "country_densities", lambda: [
        1.0 if country.sme_job_share is None
        else large_firm_density(country.sme_job_share, pop.large_tail_index, pop.size_max)
        for country in (scenario.countries[name] for name in world.country_names)])


def sector_density_factors(scenario: Scenario, world: World) -> np.ndarray:
    """Multiplier of every country's density of large firms in each sector (world order): the
    sector's odds of a job in a large firm, ``(1 - s) / s`` of its ``sme_job_share``, against
    the economy's, ``population.sme_job_share_reference`` (1 where a sector gives none). Under
    the density law the odds are proportional to the density (:func:`sme_job_share`), so a
    sector whose share in the reference economy is ``s`` has that share in any economy with the
    reference's density; in Italy's, more."""
    ref = scenario.population.sme_job_share_reference
    return _once(world, "sector_density_factors", lambda: [
        1.0 if s is None else (1.0 - s) / s * ref / (1.0 - ref)
        for s in (scenario.sectors[name].sme_job_share for name in world.sector_names)])


def cell_densities(scenario: Scenario, world: World) -> np.ndarray:
    """Density of large firms in every country (rows) and sector (columns):
    :func:`country_densities` times :func:`sector_density_factors`."""
    return _once(world, "cell_densities", lambda: np.outer(
        country_densities(scenario, world), sector_density_factors(scenario, world)))


def _cell_probability(k: np.ndarray, tail_index: float) -> np.ndarray:
    """Chance that ``floor(U ** (-1 / tail_index))`` equals ``k`` (a discrete Pareto cell)."""
    return k ** -tail_index - (k + 1.0) ** -tail_index


def design_weights(employees: np.ndarray, pop: Population, below: float | None = None,
                   density: np.ndarray | float = 1.0) -> np.ndarray:
    """Firms of the economy each drawn firm stands for (1 = the initial population's average).

    The economy's firm sizes follow Zipf's law (``pop.large_tail_index``), with the chance of
    250 employees or more multiplied by ``density`` (per firm, its country's and sector's:
    :func:`cell_densities`), while the sample is drawn with the heavier
    ``pop.size_tail_index`` below 250 employees, its large firms' chance multiplied by the same
    density, so that it holds more large firms than the economy would (enough partners for SMEs
    in a sample of thousands). A firm's weight is the ratio of the two laws at its drawn size
    (importance weights, mean 1 over the sample's law in every country): above 1 for the
    smallest firms, falling through the medium class to ``250 ** (size_tail_index -
    large_tail_index)`` for every large firm, times the ratio of the two laws' normalisations
    where the density is not 1. Shares of jobs, sales and exports in the economy are weighted
    sums.

    With ``below`` (50 for start-ups), both laws are taken conditional on fewer employees than
    that (the density then plays no part), and the weights have mean 1 among such firms.
    """
    a_sample, a_economy = pop.size_tail_index, pop.large_tail_index
    k = np.floor(employees)
    small = k < SIZE_BOUNDS[1]
    cell = np.maximum(k, 1.0)
    ratio = _cell_probability(cell, a_economy) / _cell_probability(cell, a_sample)
    weight = np.where(small, ratio, float(SIZE_BOUNDS[1]) ** (a_sample - a_economy))
    if below is not None:
        return weight * ((1.0 - below ** -a_sample) / (1.0 - below ** -a_economy))
    if np.all(np.asarray(density) == 1.0):
        return weight
    return weight * (_total_chance(a_sample, density) / _total_chance(a_economy, density))


def _weights(mix: dict[str, float], names: list[str], default: np.ndarray) -> np.ndarray:
    w = np.array([mix.get(name, 0.0) for name in names]) if mix else default.copy()
    return w / w.sum()


def country_shares(scenario: Scenario, world: World) -> np.ndarray:
    """Chance that a firm of the economy is at home in each country: the population's country
    mix, by default the countries' market sizes over the mean firm size of their economies
    (:func:`cell_densities`, over the economy's sector mix), so that jobs are in proportion to
    market size where SMEs hold more of them (more, smaller firms)."""
    return _once(world, "country_shares", lambda: _country_shares(scenario, world))


def _country_shares(scenario: Scenario, world: World) -> np.ndarray:
    default = world.market_weight
    pop = scenario.population
    law = (pop.large_tail_index, pop.size_max)
    density = cell_densities(scenario, world)
    if np.any(density != 1.0):
        # mean firm size of each country's economy over the economy's sector mix
        size = np.array([[mean_employees(d, *law) for d in row] for row in density])
        size = size @ sector_shares(scenario, world)
        default = default * (mean_employees(1.0, *law) / size)
    return _weights(pop.country_mix, world.country_names, default)


def sector_shares(scenario: Scenario, world: World) -> np.ndarray:
    """Chance that a firm of the economy is in each sector (the population's sector mix)."""
    return _weights(scenario.population.sector_mix, world.sector_names,
                    np.ones(world.n_sectors))


def specialisation(scenario: Scenario, world: World) -> np.ndarray | None:
    """The countries' sector specialisation (countries x sectors odds, 1 where a country gives
    none), or None when no country gives any."""
    odds = np.ones((world.n_countries, world.n_sectors))
    for i, name in enumerate(world.country_names):
        for sector, value in scenario.countries[name].specialisation.items():
            odds[i, world.sector_names.index(sector)] = value
    return None if np.all(odds == 1.0) else odds


def country_sector_shares(scenario: Scenario, world: World) -> np.ndarray | None:
    """Chance that a firm of the economy is at home in each country and in each sector
    (countries x sectors, summing to 1), or None when sectors are independent of countries
    (no country has a ``specialisation``).

    The table keeps both mixes as its margins (:func:`country_shares`, :func:`sector_shares`)
    and takes the countries' specialisation as its odds ratios: iterative proportional fitting
    (Deming and Stephan 1940) of ``country x sector x odds`` to the two margins, the table
    closest to the odds (in Kullback-Leibler divergence) with those margins."""
    odds = specialisation(scenario, world)
    if odds is None:
        return None
    rows, cols = country_shares(scenario, world), sector_shares(scenario, world)
    table = rows[:, None] * cols[None, :] * odds
    for _ in range(10_000):
        table *= _scaling(rows, table.sum(axis=1))[:, None]
        table *= _scaling(cols, table.sum(axis=0))
        if np.allclose(table.sum(axis=1), rows, rtol=0, atol=1e-14):
            break
    return table / table.sum()


def _scaling(target: np.ndarray, current: np.ndarray) -> np.ndarray:
    """``target / current``, 0 where a country or sector holds no firms (a mix that leaves it
    out: its row or column stays empty)."""
    return np.divide(target, current, out=np.zeros_like(target), where=current > 0)


def draw_sectors_countries(n: int, scenario: Scenario, world: World, rng: np.random.Generator):
    """Sector and country codes of ``n`` new firms, from the population's mixes (and the
    countries' specialisation, :func:`country_sector_shares`)."""
    joint = country_sector_shares(scenario, world)
    if joint is None:
        return (rng.choice(world.n_sectors, size=n, p=sector_shares(scenario, world)),
                rng.choice(world.n_countries, size=n, p=country_shares(scenario, world)))
    country, sector = np.divmod(rng.choice(joint.size, size=n, p=joint.ravel()),
                                world.n_sectors)
    return sector, country


def home_countries_by_sector(scenario: Scenario, world: World) -> np.ndarray:
    """Chance that a firm of each sector is at home in each country (countries x sectors,
    columns summing to 1): :func:`country_shares` in every sector unless countries specialise."""
    joint = country_sector_shares(scenario, world)
    countries = np.repeat(country_shares(scenario, world)[:, None], world.n_sectors, axis=1)
    if joint is None:
        return countries
    # a sector the mix leaves out has no firms: its column takes the country mix
    totals = joint.sum(axis=0)
    return np.divide(joint, totals, out=countries, where=totals > 0)


def home_countries_of_large_firms(scenario: Scenario, world: World) -> np.ndarray:
    """Chance that a large firm (250 employees or more) of the economy's sector is at home in
    each country (countries x sectors, columns summing to 1): :func:`home_countries_by_sector`
    where every (country, sector) cell has the same density of large firms, else weighted by
    each cell's chance of a large firm under its law (:func:`cell_densities`)."""
    by_sector = home_countries_by_sector(scenario, world)
    density = cell_densities(scenario, world)
    if np.all(density == 1.0):
        return by_sector
    pop = scenario.population
    large = by_sector * large_share(pop.large_tail_index, density)
    return large / large.sum(axis=0)


def draw_markets(home: np.ndarray, mne: np.ndarray, exporter: np.ndarray, world: World,
                 rng: np.random.Generator) -> np.ndarray:
    """Countries each firm sells in: home always; MNEs in several regions; exporters in one more."""
    n, c = len(home), world.n_countries
    markets = np.zeros((n, c), dtype=bool)
    markets[np.arange(n), home] = True
    # MNEs: each other country with probability rising in its market size
    p = np.clip(0.25 + 3.0 * world.market_weight, 0, 0.95)
    mne_idx = np.flatnonzero(mne)
    markets[mne_idx] |= rng.random((len(mne_idx), c)) < p
    # exporters: one foreign market, drawn by market size
    exp_idx = np.flatnonzero(exporter)
    if len(exp_idx):
        dest = rng.choice(c, size=len(exp_idx), p=world.market_weight)
        markets[exp_idx, dest] = True
    return markets


def generate(scenario: Scenario, world: World, rng: np.random.Generator,
             given: dict | None = None) -> FirmTable:
    """The initial population: ``scenario.simulation.n_firms`` drawn firms, or the firms given.

    ``given`` maps firm columns (see :class:`FirmTable`) to one value per firm; it must hold
    ``employees``, and ``sector``/``country`` as names; other columns are drawn as for any firm
    and then replaced by those given (a given firm weighs 1 unless ``weight`` is given). It
    lets users and tests start from a known population.
    """
    pop = scenario.population
    if given is None:
        n = scenario.simulation.n_firms
        rank, u = stratified_quantiles(n, rng)
        sector, country = draw_sectors_countries(n, scenario, world, rng)
        density = cell_densities(scenario, world)
        density = density[country, sector] if np.any(density != 1.0) else None
        employees = sizes_at(u, rank, pop.size_tail_index, pop.size_max, pop.large_tail_index,
                             density)
        new = new_firm_columns(employees, scenario, world, rng, sector=sector, country=country)
        new["weight"] = design_weights(employees, pop,
                                       density=1.0 if density is None else density)
    else:
        new = _given_columns(given, scenario, world, rng)
    # room for as many entrants as firms: a run of a decade or two never grows the table (which
    # copies every column); reserved rows of zero-filled columns take no memory until written
    # (see ``columns.filled``)
    table = FirmTable(world.n_countries, capacity=2 * len(new["employees"]) + 16)
    table.append(**new)
    return table


def _given_columns(given: dict, scenario: Scenario, world: World, rng) -> dict:
    given = dict(given)
    if "employees" not in given:
        raise ValueError("a given population needs an 'employees' column")
    employees = np.asarray(given.pop("employees"), dtype=np.float64)
    n = len(employees)
    sector = given.pop("sector", None)
    country = given.pop("country", None)
    codes = {}
    for key, value, names in (("sector", sector, world.sector_names),
                              ("country", country, world.country_names)):
        if value is not None:
            unknown = sorted(set(value) - set(names))
            if unknown:
                raise ValueError(f"{key}: unknown {unknown}; allowed: {', '.join(names)}")
            codes[key] = np.array([names.index(v) for v in value])
    drawn_sector, drawn_country = draw_sectors_countries(n, scenario, world, rng)
    cols = new_firm_columns(employees, scenario, world, rng,
                            sector=codes.get("sector", drawn_sector),
                            country=codes.get("country", drawn_country))
    for key, value in given.items():
        if key not in FirmTable.COLUMNS:
            raise ValueError(f"unknown firm column {key!r}")
        cols[key] = np.asarray(value)
    return cols


def new_firm_columns(employees: np.ndarray, scenario: Scenario, world: World,
                     rng: np.random.Generator, sector: np.ndarray | None = None,
                     country: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Attributes for firms of the given sizes (used at start and for entrants)."""
    pop = scenario.population
    n = len(employees)
    if sector is None or country is None:
        sector, country = draw_sectors_countries(n, scenario, world, rng)
    large = employees >= SIZE_BOUNDS[1]
    mne = large & (rng.random(n) < pop.mne_share)
    exporter = ~large & (rng.random(n) < pop.exporter_share)
    in_cluster = rng.random(n) < pop.cluster_share
    market_id = market_code(country, sector, world.n_sectors)
    cluster = np.where(
        in_cluster,
        market_id * pop.clusters_per_market + rng.integers(0, pop.clusters_per_market, n),
        -1,
    )
    # technology stock: lognormal around 1, higher in R&D-intensive sectors, small size premium
    intensity = world.rnd_intensity[sector]
    log_k = rng.normal(0.0, 0.6, n) + 2.0 * (intensity - world.rnd_intensity.mean())
    log_k += 0.08 * np.log10(employees)
    dem = scenario.demography
    age = np.clip(rng.normal(pop.owner_age_mean, pop.owner_age_sd, n), 25, 85)
    capability = np.where(large, 0.9, rng.beta(2.0, 5.0, n))
    cols = dict(
        employees=employees,
        sector=sector,
        country=country,
        region=world.country_region[country],
        cluster=cluster,
        mne=mne,
        knowledge=np.exp(log_k),
        quality=rng.beta(4.0, 3.0, n),
        capital=employees * 0.05 * rng.lognormal(0.0, 0.5, n),
        markets=draw_markets(country, mne, exporter, world, rng),
        owner_age=age,
        capability=capability,
        registered=~large & (rng.random(n) < scenario.policy.matching_service.coverage(
            scenario.simulation.start_year)),
        efficiency=rng.beta(3.0, 3.0, n),
        delivery=rng.beta(4.0, 2.0, n),
        margin_base=rng.normal(dem.margin_mean, dem.margin_sd, n),
        profile=draw_profiles(employees, sector, world, scenario, rng),
    )
    cols["exports"] = cols["markets"] & exporter[:, None]
    cols["exports"][np.arange(n), country] = False
    return cols
