"""Firm state: a column table (:class:`FirmTable`) and Mesa agents that view it (:class:`Firm`).

Mechanisms update the columns in vectorised passes. :class:`Firm` objects exist so that Mesa
tooling (``model.agents``, AgentSet queries, agent reporters, SolaraViz) works; they hold no state
of their own and read every attribute from the table.
"""

from __future__ import annotations

import itertools
import weakref
from contextlib import contextmanager

import numpy as np

from restructuring_sim._mesa import Agent, Model
from restructuring_sim.columns import ColumnTable, bounds_reached, stable_order
from restructuring_sim.world import SIZE_CLASSES

#: employees at which a firm becomes medium, and large (the paper's 50 and 250)
SIZE_BOUNDS = np.array([50, 250])

ACTIVE, ACQUIRED, EXITED = 0, 1, 2

#: revenue per employee of a firm of average appeal in the start year (USD million per year):
#: sets every market's demand then (see :mod:`restructuring_sim.mechanisms.market`) and the
#: capacity of suppliers
REVENUE_PER_EMPLOYEE = 0.15
#: technology fields of knowledge profiles (see :mod:`restructuring_sim.mechanisms.innovation`)
N_FIELDS = 8
STATUS_NAMES = ("active", "acquired", "exited")


def size_class_codes(employees: np.ndarray) -> np.ndarray:
    """0 = small (1-49), 1 = medium (50-249), 2 = large (250+): the number of bounds of
    :data:`SIZE_BOUNDS` a firm's employees reach (:func:`bounds_reached`: at a million firms
    some twenty times faster than a binary search per firm, the same codes)."""
    return bounds_reached(SIZE_BOUNDS, employees, np.int8)


_MEDIUM, _LARGE = (float(bound) for bound in SIZE_BOUNDS)


def size_class_code(employees: float) -> int:
    """Size-class code of one firm (scalar twin of :func:`size_class_codes`)."""
    e = float(employees)
    return (e >= _MEDIUM) + (e >= _LARGE)


def size_class_name(employees: float) -> str:
    """Size-class name of one firm: small, medium or large."""
    return SIZE_CLASSES[size_class_code(employees)]


class FirmTable(ColumnTable):
    """One row per firm that ever existed; the row index is the firm id.

    Columns (units): ``employees`` (persons), ``sector``/``country``/``region`` (codes into the
    world's name lists), ``cluster`` (-1 = none), ``mne`` (bool), ``knowledge`` (technology stock,
    index with population mean about 1), ``quality`` (0..1), ``capital`` (USD million),
    ``markets`` (n x countries, bool: countries the firm sells in), ``owner_age`` (years),
    ``capability`` (0..1: management, legal and quality skills), ``registered`` (bool: on a
    matching service), ``status`` (0 active, 1 acquired, 2 exited), ``last_partner`` (firm id, -1),
    ``live_alliances`` (count), ``alliances_formed`` (alliances the firm has formed so far: its
    reputation as a partner), ``birth_step`` (step of entry, -1 = initial population),
    ``efficiency`` and ``delivery`` (0..1: a supplier's cost competitiveness and reliability),
    ``margin_base`` (the firm's own operating margin, an AR(1) process), ``margin`` (operating
    margin including deals and price pressure, fraction of revenue), ``loss_years`` (consecutive
    years with a negative margin), ``deal_revenue`` (USD million per year from live deals),
    ``cross_border_share`` (share of revenue from cross-border activity: exports and cross-border
    deals), ``pressure`` (margin lost to buyers' price cuts, fraction of revenue), ``owner``
    (acquirer's id, -1), ``live_supply`` (live supply contracts as buyer or supplier),
    ``supply_load`` (USD million per year of live contracts as supplier), ``exports`` (n x
    countries, bool: countries the firm exports to), ``direct_exports`` (USD million per year:
    the part of the revenue from employees sold in export markets, and a manufacturing MNE's
    goods shipped to its affiliates abroad), ``export_revenue`` (USD million per year sold
    abroad: direct exports and supply contracts with foreign buyers), ``weight`` (firms of the
    economy the firm stands for, relative to the initial population's average: see
    :func:`restructuring_sim.population.design_weights`),
    ``profile`` (n x fields, rows sum to 1: shares of the knowledge stock in each technology
    field, see :mod:`restructuring_sim.mechanisms.innovation`), ``market_revenue`` (USD million
    per year: sales in the firm's product markets, see
    :mod:`restructuring_sim.mechanisms.market`), ``market_share`` (sales in the home market
    relative to the mean firm's there, 1 = average), ``unit_revenue`` (last accounts' market
    sales per employee, USD million per employee per year), ``demand_shock`` (log shift of
    the firm's demand, AR(1)).

    Static columns (:data:`STATIC`) are read-only; ``employees`` and ``exports`` are read-only
    while a model step runs (see :meth:`guarded`), when mechanisms write them through
    :meth:`write` and :meth:`writing`, and writable otherwise.
    """

    COLUMNS = {
        "employees": (np.float64, 0.0),
        "sector": (np.intp, 0),  # index-sized codes: gathers by them need no cast
        "country": (np.intp, 0),
        "region": (np.int8, 0),
        "cluster": (np.int32, -1),
        "mne": (np.bool_, False),
        "knowledge": (np.float64, 0.0),
        "quality": (np.float64, 0.0),
        "capital": (np.float64, 0.0),
        "markets": (np.bool_, False),
        "owner_age": (np.float64, 0.0),
        "capability": (np.float64, 0.0),
        "registered": (np.bool_, False),
        "status": (np.int8, ACTIVE),
        "last_partner": (np.int64, -1),
        "live_alliances": (np.int32, 0),
        "alliances_formed": (np.int32, 0),
        "birth_step": (np.int32, -1),
        "efficiency": (np.float64, 0.0),
        "delivery": (np.float64, 0.0),
        "margin_base": (np.float64, 0.0),
        "margin": (np.float64, 0.0),
        "loss_years": (np.int32, 0),
        "deal_revenue": (np.float64, 0.0),
        "cross_border_share": (np.float64, 0.0),
        "pressure": (np.float64, 0.0),
        "owner": (np.int64, -1),
        "live_supply": (np.int32, 0),
        "supply_load": (np.float64, 0.0),
        "exports": (np.bool_, False),
        "direct_exports": (np.float64, 0.0),
        "export_revenue": (np.float64, 0.0),
        "weight": (np.float64, 1.0),
        "profile": (np.float64, 0.0),
        "market_revenue": (np.float64, 0.0),
        "market_share": (np.float64, 0.0),
        "unit_revenue": (np.float64, 0.0),
        "demand_shock": (np.float64, 0.0),
    }

    #: columns fixed when a firm enters; their views are read-only, so that orderings derived
    #: from them stay valid until firms are appended (see :meth:`order_by`)
    STATIC = ("sector", "country", "region", "cluster", "weight")

    #: columns that mechanisms derive values from many times a step (see :meth:`derived`): while
    #: a step runs (see :meth:`guarded`) their views are read-only, and mechanisms write them
    #: through :meth:`writing`
    GUARDED = ("employees", "exports")

    def __init__(self, n_countries: int, capacity: int = 16):
        self._guarding = False
        self._changes = 0  # the last version number given to a column's contents
        super().__init__(capacity, widths={"markets": n_countries, "exports": n_countries,
                                              "profile": N_FIELDS})

    def _refresh(self) -> None:
        super()._refresh()
        for name in self.STATIC + (self.GUARDED if self._guarding else ()):
            self.__dict__[name].flags.writeable = False
        self.release_caches()

    def release_caches(self) -> None:
        """Forget every value kept to save work (derived values, the copies their columns are
        compared with, the mechanisms' memos): each is made again when next asked for, as
        after firms are appended. At the end of a run at a million firms they hold some
        hundreds of MB that writing the run directory can use."""
        self._static: dict[object, np.ndarray] = {}  # see static_derived
        self._derived: dict[tuple[str, object], tuple[int, np.ndarray]] = {}
        #: per column read by :meth:`derived`: a copy of its contents and their version number
        self._versions: dict[str, tuple[np.ndarray, int]] = {}
        self._trusted: set[str] = set()  # guarded columns whose version holds until written
        #: what mechanisms keep from call to call for the current rows (emptied when firms are
        #: appended); each entry checks itself that its inputs are still those it was made from
        self.memo: dict[str, object] = {}

    def derived(self, column: str, key, func) -> np.ndarray:
        """``func(column)``, kept under ``key`` and computed again only once the column changed
        (far cheaper than the powers and row counts that mechanisms and reporters take of the
        same values step after step). ``func`` must read nothing but its argument; the result is
        read-only.
        """
        version = self._version(column)
        kept = self._derived.get((column, key))
        if kept is None or kept[0] != version:
            result = func(self.__dict__[column])
            result.flags.writeable = False
            kept = self._derived[column, key] = (version, result)
        return kept[1]

    def kept(self, key: str, columns: tuple[str, ...], func, extra=None):
        """``func()``, kept in :attr:`memo` under ``key`` while every one of ``columns`` holds
        the same contents (see :meth:`_version`) and ``extra`` (any value that ``func`` reads
        besides the columns, compared with ``==``) is the same. For what mechanisms work out
        every step from firms' statuses and sizes, which change at few steps of a year: the
        columns are compared with one shared copy, not a copy per value kept."""
        versions = tuple(self._version(column) for column in columns)
        entry = self.memo.get(key)
        if entry is None or entry[0] != versions or entry[1] != extra:
            entry = self.memo[key] = (versions, extra, func())
        return entry[2]

    def _version(self, column: str) -> int:
        """A number that changes whenever the contents of ``column`` change: the column is
        compared byte by byte with its copy from the last call (see :func:`same_bytes`), except
        for a guarded column during a step once compared, until it is written."""
        kept = self._versions.get(column)
        if kept is not None and column in self._trusted:
            return kept[1]
        values = self.__dict__[column]
        if kept is None or not same_bytes(kept[0], values):
            self._changes += 1
            kept = self._versions[column] = (values.copy(), self._changes)
        if self._guarding and column in self.GUARDED:
            self._trusted.add(column)
        return kept[1]

    @contextmanager
    def guarded(self):
        """Make the guarded columns (:data:`GUARDED`) read-only for a step, so that values
        derived from them are compared with the columns once per step rather than at every
        use; mechanisms write them through :meth:`writing` meanwhile."""
        self._guarding = True
        for name in self.GUARDED:
            self.__dict__[name].flags.writeable = False
        try:
            yield
        finally:
            self._guarding = False
            for name in self.GUARDED:
                self.__dict__[name].flags.writeable = True
            self._trusted.clear()

    def write(self, column: str, index, values) -> None:
        """``column[index] = values``, even while a step guards the column (as :meth:`writing`
        does for a block, without the cost of a context manager for one write)."""
        view = self.__dict__[column]
        writeable = view.flags.writeable
        view.flags.writeable = True
        try:
            view[index] = values
        finally:
            view.flags.writeable = writeable
            self._trusted.discard(column)

    @contextmanager
    def writing(self, column: str):
        """The view of ``column``, writable for the block even while a step guards it; values
        derived from it are checked against it again afterwards."""
        view = self.__dict__[column]
        writeable = view.flags.writeable
        view.flags.writeable = True
        try:
            yield view
        finally:
            view.flags.writeable = writeable
            self._trusted.discard(column)

    def static_derived(self, key, func) -> np.ndarray:
        """``func()``, kept under ``key`` until firms are appended: for values that read only
        static columns (:data:`STATIC`), which cannot change until then. The result is
        read-only."""
        kept = self._static.get(key)
        if kept is None:
            kept = self._static[key] = func()
            kept.flags.writeable = False
        return kept

    def order_by(self, name: str) -> np.ndarray:
        """Firm ids in the stable order of a static column (computed once per population)."""
        if name not in self.STATIC:
            raise ValueError(f"{name!r} is not a static column: {self.STATIC}")
        return self.static_derived(("order", name), lambda: stable_order(self.__dict__[name]))

    def market_codes(self, n_sectors: int) -> np.ndarray:
        """Code of every firm's (country, sector) market, ``country * n_sectors + sector``
        (read-only; computed once per population, as both columns are static)."""
        return self.static_derived(("market", n_sectors),
                                   lambda: market_code(self.country, self.sector, n_sectors))

    @property
    def size_class(self) -> np.ndarray:
        """Size-class code of every firm (see :func:`size_class_codes`)."""
        return size_class_codes(self.employees)

    @property
    def active(self) -> np.ndarray:
        """Boolean mask of firms still active."""
        return self.status == ACTIVE

    @property
    def base_revenue(self) -> np.ndarray:
        """Revenue before deals and exports (USD million per year): the firm's sales in its
        product markets (``market_revenue``, see :mod:`restructuring_sim.mechanisms.market`)."""
        return self.market_revenue

    @property
    def n_markets(self) -> np.ndarray:
        """Number of countries each firm sells in."""
        return count_rows(self.markets)

    def n_markets_of(self, firms: np.ndarray) -> np.ndarray:
        """Number of countries each of ``firms`` sells in."""
        return count_rows(np.take(self.markets, firms, axis=0))

    @property
    def n_export_markets(self) -> np.ndarray:
        """Number of countries each firm exports to (read-only)."""
        return self.derived("exports", "count", count_rows)

    @property
    def is_sme(self) -> np.ndarray:
        """Boolean mask of small and medium firms (under 250 employees; read-only, computed
        again only once employees change)."""
        return self.derived("employees", "sme", _is_sme)


def market_code(country, sector, n_sectors: int) -> np.ndarray:
    """Code of the (country, sector) market of each firm: ``country * n_sectors + sector``,
    as 64-bit integers (markets are numbered so everywhere: product markets, merger control,
    clusters, the R&D cost of a market)."""
    return np.asarray(country).astype(np.int64, copy=False) * n_sectors + sector


def _is_sme(employees: np.ndarray) -> np.ndarray:
    """Whether firms of these sizes are SMEs (see ``FirmTable.is_sme``)."""
    return employees < SIZE_BOUNDS[1]


def same_bytes(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two C-contiguous arrays of one dtype and shape hold the same bytes.

    Compared as 8-byte words, then the few bytes left over: a boolean matrix is compared with
    an eighth of the comparisons and of the temporary mask that ``np.array_equal`` takes (a
    mask of a firms x countries matrix is large enough for the allocator to fetch fresh pages
    for it at every call). Equal bytes are equal values; values equal but for their bits
    (0.0 and -0.0) count as a change, so a result kept while the bytes match is exactly what
    computing it again would give.
    """
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    x, y = a.reshape(-1).view(np.uint8), b.reshape(-1).view(np.uint8)
    bulk = x.size - x.size % 8
    return (np.array_equal(x[:bulk].view(np.uint64), y[:bulk].view(np.uint64))
            and np.array_equal(x[bulk:], y[bulk:]))


def count_rows(flags: np.ndarray) -> np.ndarray:
    """True entries per row of a boolean matrix of fewer than 256 columns (einsum over the
    bytes: several times faster than a boolean sum or ``any`` over rows)."""
    return np.einsum("ij->i", flags.view(np.uint8)).astype(np.int64)


class _IdCounters(weakref.WeakKeyDictionary):
    """Per-model counters of agent ids that let a finished model be freed.

    Mesa's ``Agent._ids`` is a class-level dict keyed by model, which keeps every model ever
    built alive (about 10 MB per baseline run); sweeps and calibrations run thousands.
    """

    def __getitem__(self, model):
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = itertools.count(1)
            self[model] = counter
            return counter


class Firm(Agent):
    """A firm as a Mesa agent: a view of one row of the model's :class:`FirmTable`.

    Firms do not step themselves; the model's mechanisms update all firms at once.
    """

    _ids = _IdCounters()

    def __init__(self, model: Model, firm_id: int):
        super().__init__(model)
        self.firm_id = int(firm_id)

    def _col(self, name: str):
        return getattr(self.model.firms, name)[self.firm_id]

    @property
    def employees(self) -> float:
        return float(self._col("employees"))

    @property
    def size_class(self) -> str:
        return size_class_name(self._col("employees"))

    @property
    def sector(self) -> str:
        return self.model.world.sector_names[int(self._col("sector"))]

    @property
    def country(self) -> str:
        return self.model.world.country_names[int(self._col("country"))]

    @property
    def region(self) -> str:
        return self.model.world.region_names[int(self._col("region"))]

    @property
    def cluster(self) -> int:
        return int(self._col("cluster"))

    @property
    def is_mne(self) -> bool:
        return bool(self._col("mne"))

    @property
    def knowledge(self) -> float:
        return float(self._col("knowledge"))

    @property
    def capability(self) -> float:
        return float(self._col("capability"))

    @property
    def status(self) -> str:
        return STATUS_NAMES[int(self._col("status"))]

    @property
    def live_alliances(self) -> int:
        return int(self._col("live_alliances"))

    def __repr__(self) -> str:
        return f"Firm({self.firm_id}, {self.size_class}, {self.sector}, {self.country})"
