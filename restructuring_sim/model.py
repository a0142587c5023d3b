"""RestructuringModel: the world, the firms, their mechanisms, the event log and the network.

One step is one period (a quarter by default). Mechanisms run in a fixed order over the firm
table (each module documents its rule):

1. start of each year: ``demography.entry`` (start-ups and spin-offs), ``divestment.step``
   (multinationals divest affiliates abroad, offered for sale in ``acquisitions.step``),
   ``exports.step`` (firms enter and leave export markets), ``acquisitions.step``
   (technology, market, succession, distress and consolidation deals, and the divested
   affiliates' sales),
   ``supply.price_cut`` (a scenario's price-cut shock, in its year);
   ``market.settle_entrants`` (after entry: the product markets are cleared again);
2. ``innovation.step``: knowledge grows with R&D funding, SME capabilities and quality rise;
3. ``alliances.learn``: partners in R&D and licensing alliances learn from each other;
   ``innovation.recombine``: live R&D alliances may yield new combinations;
4. ``alliances.review`` and ``supply.review``: deals whose term ended, or (yearly) alliances
   that lost their value, end; supply contracts of qualifying suppliers are renewed;
5. ``alliances.form`` and ``supply.tender``: searching firms form alliances, buyers sign
   suppliers;
6. end of each year: ``demography.accounts`` (product markets cleared; market, deal and
   export revenue, margins, growth),
   ``demography.exits``, ``demography.cluster_learning``, ``demography.register``; then network
   metrics and a snapshot of every firm.

Every random draw comes from ``model.rng`` (one numpy Generator seeded from the scenario) or,
for the export mechanism, from ``model.export_rng``, a child spawned from it; so the same
scenario and seed give the same events.
"""

from __future__ import annotations

import contextlib
import gc
import json
import sys
import threading

import numpy as np
import pyarrow as pa

from restructuring_sim._mesa import Agent, AgentSet, Model
from restructuring_sim._version import __version__
from restructuring_sim.columns import Scratch, arrow_array, arrow_strings
from restructuring_sim.deals import ALLIANCE, SUPPLY, DealTable
from restructuring_sim.events import EventLog
from restructuring_sim.firms import STATUS_NAMES, Firm, size_class_codes
from restructuring_sim.mechanisms import (
    acquisitions,
    alliances,
    demography,
    divestment,
    exports,
    innovation,
    market,
    supply,
)
from restructuring_sim.network import NetworkTracker
from restructuring_sim.observer import PressObserver
from restructuring_sim.population import generate
from restructuring_sim.scenario import Scenario
from restructuring_sim.world import SECTOR_GROUPS, SIZE_CLASSES, World

#: per-step counters reported by the DataCollector (reset every step)
COUNTERS = ("alliances_formed", "alliances_dissolved", "supply_signed", "supply_ended",
            "acquisitions", "acquisitions_blocked", "entries", "exits", "matching_contacts")


class RestructuringModel(Model):
    """Agent-based model of firms restructuring through alliances, supply contracts,
    acquisitions, entry and exit.

    Parameters
    ----------
    scenario : Scenario, optional
        The validated scenario; the embedded baseline when omitted.
    seed : int, optional
        Replaces ``scenario.simulation.seed``.
    population : dict, optional
        Start from these firms instead of a drawn population (see
        :func:`restructuring_sim.population.generate`).

    Examples
    --------
    >>> from restructuring_sim import RestructuringModel, load_scenario
    >>> model = RestructuringModel(load_scenario(overrides=["simulation.n_firms=200"]), seed=3)
    >>> model.run()
    >>> events = model.events.to_pandas()
    """

    def __init__(self, scenario: Scenario | None = None, seed: int | None = None,
                 population: dict | None = None):
        scenario = scenario if scenario is not None else Scenario()
        if seed is not None:
            scenario = scenario.model_copy(
                update={"simulation": scenario.simulation.model_copy(update={"seed": int(seed)})}
            )
        super().__init__(rng=scenario.simulation.seed)
        self.scenario = scenario
        self.seed_value = scenario.simulation.seed
        self.run_id = f"{scenario.config_hash()[:12]}-s{self.seed_value}"
        self.world = World(scenario)
        with _fewer_collections():
            self._build(scenario, population)
        #: draws of the export mechanism, a child of ``rng``: exports leave the other channels'
        #: draws as they were
        self.export_rng = self.rng.spawn(1)[0]
        #: work arrays of the mechanisms, kept from step to step (see :class:`Scratch`)
        self.scratch = Scratch()
        self.deals = DealTable(capacity=max(64, scenario.simulation.n_firms))
        #: which deals the paper's press-based database would report (its own child generator)
        self.observer = PressObserver.from_scenario(scenario, self.rng)
        self.events = EventLog(self.run_id, self.seed_value, sectors=self.world.sector_names,
                               countries=self.world.country_names,
                               regions=self.world.region_names, observer=self.observer)
        self._agents_by_firm: dict[int, Firm] = {}
        self._viewed = 0  # firms below this id have had their agents created (if active then)
        self.n_steps = scenario.simulation.n_steps
        self.dt = 1.0 / scenario.simulation.steps_per_year
        self.step_index = 0
        self.conditions = self.world.conditions(0)
        #: the product markets (demand, and their latest clearing)
        self.market = market.ProductMarket(self)
        market.settle_entrants(self, self.conditions)
        self.counters = dict.fromkeys(COUNTERS, 0)
        #: the firm panel, one table per year ended (unless streamed: see stream_firms)
        self._firm_years: list[pa.Table] = []
        self._panel = None
        self._fixed = _FixedColumns()  # the panel's columns that never change for a firm
        #: the model-level reporters, collected every step into ``_model_vars`` (one list per
        #: reporter; Mesa's DataCollector reads the same lists, see :attr:`datacollector`)
        self._model_reporters = {
            "year": lambda m: m.conditions.year,
            "quarter": lambda m: m.conditions.quarter,
            "active_firms": lambda m: int(np.count_nonzero(m._shared("active"))),
            "live_alliances": lambda m: int(len(m.deals.live(ALLIANCE))),
            "live_supply_contracts": lambda m: int(len(m.deals.live(SUPPLY))),
            **{name: _counter(name) for name in COUNTERS},
            "sme_share_of_firms": lambda m: _share(m._shared("sme"), m._shared("active")),
            "ict_cost": lambda m: m.conditions.ict_cost,
            "trade_openness": lambda m: m.conditions.trade_openness,
            "mean_knowledge": lambda m: _mean(m.firms.knowledge[m._shared("active")]),
            "mean_sme_capability": lambda m: _mean(
                m.firms.capability[m._shared("active_sme")]
            ),
            "registered_smes": lambda m: int(np.count_nonzero(
                m.firms.registered & m._shared("active_sme")
            )),
            "exporting_sme_share": lambda m: _share(
                m._shared("export_markets") > 0, m._shared("active_sme")
            ),
            "mean_export_markets": lambda m: _mean_export_markets(
                m._shared("export_markets"), m._shared("active")
            ),
        }
        self._model_vars: dict[str, list] = {name: [] for name in self._model_reporters}
        self._datacollector = None
        #: firm masks the reporters share while the step's data are collected (None otherwise)
        self._reports: dict[str, np.ndarray] | None = None

    def _build(self, scenario: Scenario, population: dict | None) -> None:
        """The initial firms and their network nodes (the bulk of the model's objects)."""
        self.firms = generate(scenario, self.world, self.rng, population)
        #: the network; its child generator draws only the sampled path-length sources
        self.network = NetworkTracker(rng=self.rng.spawn(1)[0])
        self.network.add_firms(range(len(self.firms)))

    # ------------------------------------------------------------------ agents
    # A Firm agent is a view of one row of the firm table and holds no state, so it is created
    # when Mesa tooling first looks at the agents (``agents``, ``agents_by_type``,
    # ``agent_types``, ``agent_of``) rather than when the firm enters: a run nobody watches
    # builds no agents at all. Whenever looked at, the agent set holds exactly the active firms.

    @property
    def agents(self) -> AgentSet:
        """Every active firm's agent (Mesa's ``Model.agents``)."""
        self._view_new_firms()
        return super().agents

    @property
    def agents_by_type(self) -> dict[type[Agent], AgentSet]:
        """Agents by class (Mesa's ``Model.agents_by_type``)."""
        self._view_new_firms()
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        """Agent classes present (Mesa's ``Model.agent_types``)."""
        self._view_new_firms()
        return super().agent_types

    def _view_new_firms(self) -> None:
        """Create the agents of firms that entered since the agents were last looked at and are
        still active, in firm order."""
        n = len(self.firms)
        if self._viewed == n:
            return
        new = self._viewed + np.flatnonzero(self.firms.active[self._viewed:])
        self._viewed = n
        for firm_id in new.tolist():
            self._agents_by_firm[firm_id] = Firm(self, firm_id)

    def remove_agent_of(self, firm_id: int) -> None:
        """Remove the agent of a firm that was acquired or exited (if it had one yet)."""
        if firm_id < self._viewed:
            self._agents_by_firm.pop(firm_id).remove()

    def agent_of(self, firm_id: int) -> Firm | None:
        """The Mesa agent of an active firm (None once it is acquired or exited)."""
        self._view_new_firms()
        return self._agents_by_firm.get(firm_id)

    @property
    def finished(self) -> bool:
        """Whether every step of the scenario has run."""
        return self.step_index >= self.n_steps

    def step(self) -> None:
        """Advance one period."""
        if self.finished:
            raise RuntimeError("the run is complete: every step of the scenario has run")
        with self.firms.guarded(), _fewer_collections():
            self._step()
        self.step_index += 1
        self.running = not self.finished  # Mesa's convention: controls stop at the end

    def _step(self) -> None:
        """The mechanisms of one period, in their order, and the period's data."""
        cond = self.conditions = self.world.conditions(self.step_index)
        before = {k: self.events.count(k) for k in _EVENT_COUNTERS}
        self.counters = dict.fromkeys(COUNTERS, 0)
        if cond.quarter == 1:
            demography.entry(self, cond)
            divested = divestment.step(self, cond)
            market.settle_entrants(self, cond)
            exports.step(self, cond)
            blocked = acquisitions.step(self, cond, divested)["blocked"]
            self.counters["acquisitions_blocked"] = blocked
            supply.price_cut(self, cond)
        innovation.step(self, cond, self.dt)
        alliances.learn(self, self.dt)
        innovation.recombine(self, cond, self.dt)
        valuation = alliances.Valuation(self, cond)
        alliances.review(self, cond, valuation)
        supply.review(self, cond)
        alliances.form(self, cond, valuation)  # reviews change no input of deal values
        supply.tender(self, cond)
        if cond.quarter == self.scenario.simulation.steps_per_year:
            demography.accounts(self, cond)
            demography.exits(self, cond)
            demography.cluster_learning(self, 1.0)
            demography.register(self, cond)
            self._end_year(cond.year)
        for kind, name in _EVENT_COUNTERS.items():
            self.counters[name] = self.events.count(kind) - before[kind]
        self._reports = {}
        try:
            if self._datacollector is not None:
                self._datacollector.collect(self)
            else:  # what DataCollector.collect records of reporters that give numbers
                for name, reporter in self._model_reporters.items():
                    self._model_vars[name].append(reporter(self))
        finally:
            self._reports = None

    @property
    def datacollector(self):
        """Mesa's ``DataCollector`` of the model-level reporters, holding every step's values
        so far (made when first asked for: Mesa's data collection imports pandas, which a run
        that nobody watches does not need; from then on it collects the steps itself)."""
        if self._datacollector is None:
            from mesa.datacollection import DataCollector

            collector = DataCollector(model_reporters=self._model_reporters)
            collector.model_vars = self._model_vars  # the same lists
            self._datacollector = collector
        return self._datacollector

    def _shared(self, name: str) -> np.ndarray:
        """A firm mask or count several reporters read (see :data:`_SHARED`): computed once
        while a step's data are collected, afresh when a reporter is called otherwise."""
        if self._reports is None:
            return _SHARED[name](self.firms)
        if name not in self._reports:
            self._reports[name] = _SHARED[name](self.firms)
        return self._reports[name]

    def run(self, progress=None) -> None:
        """Run every remaining step; ``progress(step)`` is called after each when given."""
        while not self.finished:
            self.step()
            if progress is not None:
                progress(self.step_index)

    def _end_year(self, year: int) -> None:
        f = self.firms
        self.network.record_metrics(year)
        f.owner_age[f.active] += 1.0
        if self._panel is not None:
            self._wait_for_panel()
            self._panel.write(self._year_table(year))
        else:
            self._firm_years.append(self._year_table(year))

    def _wait_for_panel(self) -> None:
        """Wait until the stream has taken in the last year's table (if it can say so, as
        :meth:`restructuring_sim.panel.ParquetStream.wait` does) before building the next: at a
        million firms a year's table is some 300 MB, and two of them at once would be the
        largest item of a run's memory."""
        wait = getattr(self._panel, "wait", None)
        if wait is not None:
            wait()

    def _year_table(self, year: int) -> pa.Table:
        """The rows of the firm table for ``year``: every firm that ever existed, as it is at
        the end of the year (copies: the model steps on while the table waits to be written;
        the columns fixed when a firm enters are shared by the years, see
        :class:`_FixedColumns`)."""
        w = self.world
        f = self.firms
        n = len(f)
        employees = f.employees.copy()
        fixed = self._fixed.columns(self, n)
        cols = dict(
            firm_id=fixed["firm_id"],
            year=np.full(n, year, dtype=np.int32),
            employees=employees,
            size_class=_labels(size_class_codes(employees), SIZE_CLASSES),
            sector=_labels(fixed["sector"], w.sector_names),
            sector_group=_labels(fixed["sector_group"], SECTOR_GROUPS),
            country=_labels(fixed["country"], w.country_names),
            region=_labels(fixed["region"], w.region_names),
            cluster=fixed["cluster"],
            mne=f.mne.copy(),
            knowledge=f.knowledge.copy(),
            capability=f.capability.copy(),
            quality=f.quality.copy(),
            capital=f.capital.copy(),
            n_markets=f.n_markets.astype(np.int32),
            live_alliances=f.live_alliances.copy(),
            live_supply_contracts=f.live_supply.copy(),
            revenue=f.base_revenue + f.deal_revenue,
            market_revenue=f.market_revenue.copy(),
            market_share=f.market_share.copy(),
            deal_revenue=f.deal_revenue.copy(),
            export_revenue=f.export_revenue.copy(),
            export_markets=f.n_export_markets.astype(np.int32),
            cross_border_revenue_share=f.cross_border_share.copy(),
            margin=f.margin.copy(),
            registered=f.registered.copy(),
            owner=f.owner.copy(),
            birth_step=f.birth_step.copy(),
            status=_labels(f.status, STATUS_NAMES),
            weight=fixed["weight"],
        )
        # numpy columns as Arrow arrays of their own types (see columns.arrow_array)
        return pa.table({name: arrow_array(value) if isinstance(value, np.ndarray) else value
                         for name, value in cols.items()})

    def stream_firms(self, stream) -> None:
        """Hand each year's rows of the firm table to ``stream.write`` (e.g. a
        :class:`restructuring_sim.panel.ParquetStream`) as the year ends, instead of keeping
        them for :meth:`firms_table`: a long or large run then holds one year of the panel in
        memory, not all of them. Call before the first year ends."""
        if self._firm_years:
            raise RuntimeError("the firm panel already holds years: stream it from the start")
        self._panel = stream

    @property
    def firm_years(self) -> tuple[pa.Table, ...]:
        """The firm panel's tables kept so far, one per year ended (none when streamed: see
        :meth:`stream_firms`)."""
        return tuple(self._firm_years)

    @property
    def streamed_firms(self):
        """The stream the firm panel goes to (see :meth:`stream_firms`), None if kept."""
        return self._panel

    # ------------------------------------------------------------------ outputs

    def firms_table(self) -> pa.Table:
        """One row per firm per simulated year (end-of-year state); read back from its file
        when the panel was streamed to one (see :meth:`stream_firms`) and the file is complete."""
        if self._panel is not None:
            path = getattr(self._panel, "path", None)
            if path is None or not getattr(self._panel, "closed", False):
                raise RuntimeError("the firm panel is streamed to a file that is not complete "
                                   "yet (see stream_firms)")
            import pyarrow.parquet as pq

            return pq.read_table(path)
        if not self._firm_years:
            return pa.table({})
        return pa.concat_tables(self._firm_years).combine_chunks()

    def timeseries_table(self) -> pa.Table:
        """Model-level reporters per step (from the DataCollector)."""
        steps = len(next(iter(self._model_vars.values()), ()))
        if "pandas" in sys.modules or not steps:  # pandas's own table, as it is here
            df = self.datacollector.get_model_vars_dataframe().reset_index(names="step")
            return pa.Table.from_pandas(df, preserve_index=False)
        return _table_as_from_pandas({"step": np.arange(steps, dtype=np.int64),
                                      **{name: np.asarray(values)
                                         for name, values in self._model_vars.items()}})

    def release_caches(self) -> None:
        """Forget what the model keeps only to save work in later steps (the firm table's
        derived values and memos, the fit scores, work arrays, the panel's fixed columns):
        each is made again when next asked for, so nothing the model gives changes; at the end
        of a run at a million firms this frees some hundreds of MB for writing its files."""
        self.firms.release_caches()
        self.__dict__.pop("_fit_cache", None)
        self.scratch = Scratch()
        self._fixed = _FixedColumns()

    def manifest(self) -> dict:
        """What was run: scenario, seed, version, hash, counts."""
        return {
            "run_id": self.run_id,
            "seed": self.seed_value,
            "package_version": __version__,
            "config_hash": self.scenario.config_hash(),
            "scenario": self.scenario.to_dict(),
            "steps": self.step_index,
            "events": len(self.events),
        }


_EVENT_COUNTERS = {
    "alliance_formed": "alliances_formed", "alliance_dissolved": "alliances_dissolved",
    "supply_contract_signed": "supply_signed", "supply_contract_ended": "supply_ended",
    "acquisition": "acquisitions", "firm_entered": "entries", "firm_exited": "exits",
}


def _mean(values: np.ndarray) -> float:
    """Mean of an array, NaN when it is empty (e.g. no SME left)."""
    return float(values.mean()) if len(values) else float("nan")


def _share(flags: np.ndarray, among: np.ndarray) -> float:
    """Share of the firms of ``among`` for whom ``flags`` holds, NaN when there are none: the
    mean of the flags over those firms as a ratio of two counts (a sum of ones is exact, so
    the number is the same), without gathering them."""
    n = np.count_nonzero(among)
    return np.count_nonzero(flags & among) / n if n else float("nan")


def _mean_export_markets(markets: np.ndarray, active: np.ndarray) -> float:
    """Mean number of export markets (``markets``, per firm) of active exporters."""
    return _mean(markets[active & (markets > 0)])


#: what several reporters read of the firms, computed once per step (see ``_shared``)
_SHARED = {
    "active": lambda f: f.active,
    "sme": lambda f: f.is_sme,
    "active_sme": lambda f: f.active & f.is_sme,
    "export_markets": lambda f: f.n_export_markets,
}


#: objects allocated between two young-generation collections while a step runs (Python's
#: default is 700)
_STEP_GC_THRESHOLD = 200_000
_gc_lock = threading.Lock()
_gc_state = {"depth": 0, "saved": None}


@contextlib.contextmanager
def _fewer_collections():
    """Let Python's cyclic garbage collector run far less often while a step runs.

    A step allocates many short-lived objects (the network's ties, lists of ids); at the
    default threshold the collector runs thousands of times a run and each time walks the
    young objects, which at a million firms took about a fifth of the run's time. The model
    makes little cyclic garbage, so collecting it later costs no memory that matters. The
    thresholds are the process's: the first of concurrent steps (threads of a Dask worker, say)
    raises them, the last to finish restores them.
    """
    with _gc_lock:
        if _gc_state["depth"] == 0:
            _gc_state["saved"] = gc.get_threshold()
            first, *rest = _gc_state["saved"]
            gc.set_threshold(max(first, _STEP_GC_THRESHOLD), *rest)
        _gc_state["depth"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_state["depth"] -= 1
            if _gc_state["depth"] == 0:
                gc.set_threshold(*_gc_state["saved"])


def _counter(name: str):
    return lambda m: m.counters[name]


class _FixedColumns:
    """The firm panel's columns that are fixed when a firm enters (id, sector, country, their
    groups, cluster, design weight), in the types the panel stores them, kept from year to year
    and extended as firms enter: every year's table takes its rows without a copy (at a million
    firms that spares some 50 MB of each year's table and the time to convert them)."""

    def __init__(self):
        self._arrays: dict[str, np.ndarray] = {}
        self._rows = 0  # rows filled

    def columns(self, model, n: int) -> dict[str, np.ndarray]:
        """The first ``n`` rows of each column (read-only; firms appended since the last call
        are converted now)."""
        if n > self._rows or not self._arrays:
            self._extend(model, n)
        views = {name: array[:n] for name, array in self._arrays.items()}
        for view in views.values():
            view.flags.writeable = False
        return views

    def _extend(self, model, n: int) -> None:
        """Convert the rows of firms ``_rows`` to ``n``; a column that is full moves to a new
        array of twice the size (tables already built keep the old one, which is never
        written again)."""
        f, w = model.firms, model.world
        new = slice(self._rows, n)
        sector, country = f.sector[new], f.country[new]
        values = {
            "firm_id": np.arange(self._rows, n, dtype=np.int64),
            "sector": sector.astype(np.int32),
            "sector_group": w.sector_group[sector].astype(np.int32),
            "country": country.astype(np.int32),
            "region": w.country_region[country].astype(np.int32),
            "cluster": f.cluster[new].astype(np.int32),
            "weight": f.weight[new].astype(np.float64),
        }
        for name, rows in values.items():
            array = self._arrays.get(name)
            if array is None or len(array) < n:
                grown = np.empty(max(n, 2 * len(array) if array is not None else n),
                                 dtype=rows.dtype)
                grown[:self._rows] = array[:self._rows] if array is not None else rows[:0]
                array = self._arrays[name] = grown
            array[new] = rows
        self._rows = n


def _labels(codes: np.ndarray, names) -> pa.Array:
    """Dictionary-encoded string column from integer codes."""
    return pa.DictionaryArray.from_arrays(
        arrow_array(np.asarray(codes, dtype=np.int32)), arrow_strings(names)
    )


def _table_as_from_pandas(columns: dict[str, np.ndarray]) -> pa.Table:
    """The table ``pa.Table.from_pandas(pd.DataFrame(columns), preserve_index=False)`` gives
    for columns of int64, float64 or bool (NaN a null, as pandas has it), its pandas metadata
    included, without importing pandas (about 0.2 s of a run's start)."""
    from importlib.metadata import version

    arrays, described = {}, []
    for name, values in columns.items():
        kind = values.dtype.name
        if kind not in ("int64", "float64", "bool"):
            raise TypeError(f"{name}: {kind} column")
        arrays[name] = arrow_array(values, mask=np.isnan(values) if kind == "float64" else None)
        described.append({"name": name, "field_name": name, "pandas_type": kind,
                          "numpy_type": kind, "metadata": None})
    metadata = {"index_columns": [], "column_indexes": [], "columns": described,
                "attributes": {}, "creator": {"library": "pyarrow", "version": pa.__version__},
                "pandas_version": version("pandas")}
    return pa.table(arrays).replace_schema_metadata(
        {b"pandas": json.dumps(metadata).encode("utf8")})
