"""RestructuringModel: the world, the firms, their mechanisms, the event log and the network.

One step is one period (a quarter by default). Mechanisms run in a fixed order over the firm
table:

1. ``innovation``: knowledge grows with R&D funding, SME capabilities rise with policy;
2. ``alliances.learn``: partners in R&D and licensing alliances learn from each other;
3. ``alliances.review``: alliances whose term ended, or (yearly) that lost their value, dissolve;
4. ``alliances.form``: searching firms sample candidates and form mutually valuable alliances;
5. at the end of each year: network metrics and a snapshot of every firm.

Every random draw comes from ``model.rng`` (one numpy Generator seeded from the scenario), so the
same scenario and seed give the same events.
"""

from __future__ import annotations

import mesa
import numpy as np
import pyarrow as pa

from restructuring_sim import __version__
from restructuring_sim.deals import LAYER_NAMES, DealTable, purpose_names
from restructuring_sim.events import CHANNELS, EventLog
from restructuring_sim.firms import STATUS_NAMES, Firm
from restructuring_sim.mechanisms import alliances, innovation
from restructuring_sim.network import NetworkTracker
from restructuring_sim.population import generate
from restructuring_sim.scenario import Scenario
from restructuring_sim.world import SECTOR_GROUPS, SIZE_CLASSES, World

_ENDING = {"alliance_dissolved", "supply_contract_ended"}


class RestructuringModel(mesa.Model):
    """Agent-based model of firms restructuring through alliances (and, later, other channels).

    Parameters
    ----------
    scenario : Scenario, optional
        The validated scenario; the embedded baseline when omitted.
    seed : int, optional
        Replaces ``scenario.simulation.seed``.

    Examples
    --------
    >>> from restructuring_sim import RestructuringModel, load_scenario
    >>> model = RestructuringModel(load_scenario(overrides=["simulation.n_firms=200"]), seed=3)
    >>> model.run()
    >>> events = model.events.to_pandas()
    """

    def __init__(self, scenario: Scenario | None = None, seed: int | None = None):
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
        self.firms = generate(scenario, self.world, self.rng)
        self.deals = DealTable(capacity=max(64, scenario.simulation.n_firms))
        self.events = EventLog(self.run_id, self.seed_value)
        self.network = NetworkTracker()
        self.network.add_firms(range(len(self.firms)))
        for firm_id in range(len(self.firms)):
            Firm(self, firm_id)
        self.n_steps = scenario.simulation.n_steps
        self.dt = 1.0 / scenario.simulation.steps_per_year
        self.step_index = 0
        self.conditions = self.world.conditions(0)
        self._step_counts = {"formed": 0, "dissolved": 0}
        self._firm_years: list[dict[str, np.ndarray]] = []
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "year": lambda m: m.conditions.year,
                "quarter": lambda m: m.conditions.quarter,
                "active_firms": lambda m: int(m.firms.active.sum()),
                "live_alliances": lambda m: int(len(m.deals.live(0))),
                "alliances_formed": lambda m: m._step_counts["formed"],
                "alliances_dissolved": lambda m: m._step_counts["dissolved"],
                "sme_share_of_firms": lambda m: float(m.firms.is_sme[m.firms.active].mean()),
                "ict_cost": lambda m: m.conditions.ict_cost,
                "trade_openness": lambda m: m.conditions.trade_openness,
                "mean_knowledge": lambda m: float(m.firms.knowledge[m.firms.active].mean()),
                "mean_sme_capability": lambda m: float(
                    m.firms.capability[m.firms.active & m.firms.is_sme].mean()
                ),
            }
        )

    @property
    def finished(self) -> bool:
        """Whether every step of the scenario has run."""
        return self.step_index >= self.n_steps

    def step(self) -> None:
        """Advance one period."""
        if self.finished:
            raise RuntimeError("the run is complete: every step of the scenario has run")
        cond = self.conditions = self.world.conditions(self.step_index)
        innovation.step(self, cond, self.dt)
        alliances.learn(self, self.dt)
        valuation = alliances.Valuation(self, cond)
        dissolved = alliances.review(self, cond, valuation)
        formed = alliances.form(self, cond, valuation)
        self._step_counts = {"formed": formed, "dissolved": dissolved}
        if cond.quarter == self.scenario.simulation.steps_per_year:
            self._end_year(cond.year)
        self.datacollector.collect(self)
        self.step_index += 1

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
        self._firm_years.append(
            dict(
                firm_id=np.arange(len(f), dtype=np.int64),
                year=np.full(len(f), year, dtype=np.int32),
                employees=f.employees.copy(),
                size_class=f.size_class.copy(),
                sector=f.sector.copy(),
                country=f.country.copy(),
                cluster=f.cluster.astype(np.int32),
                mne=f.mne.copy(),
                knowledge=f.knowledge.copy(),
                capability=f.capability.copy(),
                capital=f.capital.copy(),
                n_markets=f.markets.sum(axis=1).astype(np.int32),
                live_alliances=f.live_alliances.copy(),
                status=f.status.copy(),
            )
        )

    # ------------------------------------------------------------------ events and network

    def log_deal(self, kind: str, deal: int, cond) -> None:
        """Record an event about ``deal`` and update the network to match."""
        d = self.deals
        a, b = int(d.a[deal]), int(d.b[deal])
        layer = LAYER_NAMES[d.layer[deal]]
        ids = [a, b]
        f = self.firms
        w = self.world
        sizes = [SIZE_CLASSES[c] for c in f.size_class[ids]]
        countries = [w.country_names[c] for c in f.country[ids]]
        sector = int(d.sector[deal])
        self.events.record(
            step=cond.step, year=cond.year, quarter=cond.quarter, kind=kind, deal_id=deal,
            firm_ids=ids, size_classes=sizes, countries=countries,
            regions=[w.region_names[r] for r in f.region[ids]],
            sector=w.sector_names[sector],
            sector_group=SECTOR_GROUPS[w.sector_group[sector]],
            purposes=purpose_names(int(d.purposes[deal])),
            joint_venture=bool(d.joint_venture[deal]), equity=bool(d.equity[deal]),
            channel=CHANNELS[d.channel[deal]], value=float(d.value[deal]),
        )
        if kind in _ENDING:
            self.network.end_edge(deal, cond.step)
        else:
            self.network.add_edge(
                deal, layer, a, b, step=cond.step, cross_border=countries[0] != countries[1],
                involves_sme=sizes.count("large") < len(sizes),
            )

    # ------------------------------------------------------------------ outputs

    def firms_table(self) -> pa.Table:
        """One row per firm per simulated year (end-of-year state)."""
        w = self.world
        cols = {
            k: np.concatenate([y[k] for y in self._firm_years]) for k in self._firm_years[0]
        } if self._firm_years else {}
        if not cols:
            return pa.table({})
        table = {
            "firm_id": cols["firm_id"],
            "year": cols["year"],
            "employees": cols["employees"],
            "size_class": _labels(cols["size_class"], SIZE_CLASSES),
            "sector": _labels(cols["sector"], w.sector_names),
            "sector_group": _labels(w.sector_group[cols["sector"]], SECTOR_GROUPS),
            "country": _labels(cols["country"], w.country_names),
            "region": _labels(w.country_region[cols["country"]], w.region_names),
            "cluster": cols["cluster"],
            "mne": cols["mne"],
            "knowledge": cols["knowledge"],
            "capability": cols["capability"],
            "capital": cols["capital"],
            "n_markets": cols["n_markets"],
            "live_alliances": cols["live_alliances"],
            "status": _labels(cols["status"], STATUS_NAMES),
        }
        return pa.table(table)

    def timeseries_table(self) -> pa.Table:
        """Model-level reporters per step (from the DataCollector)."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(names="step")
        return pa.Table.from_pandas(df, preserve_index=False)

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


def _labels(codes: np.ndarray, names) -> pa.Array:
    """Dictionary-encoded string column from integer codes."""
    return pa.DictionaryArray.from_arrays(
        pa.array(np.asarray(codes, dtype=np.int32)), pa.array(list(names), pa.string())
    )
