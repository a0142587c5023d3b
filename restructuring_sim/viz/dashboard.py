"""The interactive dashboard: a Mesa SolaraViz app (``restructuring-sim dashboard``).

Served with ``solara run restructuring_sim.viz.dashboard`` (the command does it, bound to
127.0.0.1). The scenario comes from the environment variable ``RESTRUCTURING_SIM_SCENARIO`` (a
TOML path; the embedded baseline when unset).

* **Sliders** move the policy levers. SolaraViz builds models from keyword parameters, so
  :class:`DashboardModel` maps them onto the scenario with ``load_scenario(..., overrides)``: each
  slider gives a lever's value in the scenario's last year, and a time path is scaled so that it
  ends there (its shape kept); the slider's default is the scenario's own value, so an untouched
  dashboard runs the scenario as written. ``Reset`` builds a new model with the sliders' values.
* **Play/step/reset** are Mesa's controls; a step is one quarter.
* **The network** is drawn from the live model's graph by its own component (the graph evolves,
  so Mesa's space drawing, which lays out once, does not fit): tied firms only, each drawing's
  spring layout starting from the last one's positions (seeded with the run's seed, never
  drawing on the model's generator), at most :data:`MAX_NODES` nodes.
* **Live series**: deals per year by kind, the SME share and the cross-border share of
  alliances formed per year.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from restructuring_sim.model import RestructuringModel
from restructuring_sim.scenario import Scenario, load_scenario
from restructuring_sim.viz.common import KIND_COLORS, LAYER_COLORS, SIZE_COLORS
from restructuring_sim.viz.dashboard_server import DEFAULT_FIRMS, size_note
from restructuring_sim.world import SIZE_CLASSES

#: environment variable naming the scenario file the dashboard starts from
SCENARIO_ENV = "RESTRUCTURING_SIM_SCENARIO"
#: most tied firms drawn in the network view
MAX_NODES = 400



def _values_shown(slider):
    """``slider`` (a Solara slider component) with its value always on its thumb: Mesa's
    parameter panel draws sliders without one, so a slider's value could not be read."""

    @functools.wraps(slider)
    def shown(*args, **kwargs):
        kwargs.setdefault("thumb_label", "always")
        return slider(*args, **kwargs)

    shown.values_shown = True
    return shown


# the panel looks the sliders up in solara when it draws them; this module runs in the
# dashboard's own server process, which serves nothing else
if not getattr(solara.SliderFloat, "values_shown", False):
    solara.SliderFloat = _values_shown(solara.SliderFloat)
    solara.SliderInt = _values_shown(solara.SliderInt)


#: slider name -> (dotted scenario key, label, min, max, step)
LEVERS = {
    "trade_openness": ("policy.trade_openness", "Trade openness", 0.0, 1.0, 0.05),
    "fdi_openness": ("policy.fdi_openness", "FDI openness", 0.0, 1.0, 0.05),
    "ict_cost": ("drivers.ict_cost", "ICT cost (1988 = 1)", 0.05, 1.5, 0.05),
    "sme_capability": ("policy.sme_capability", "SME capability programmes", 0.0, 1.0, 0.05),
    "ipr_protection": ("policy.ipr_protection", "IPR protection", 0.0, 1.0, 0.05),
    "competition_strictness": ("policy.competition_strictness", "Competition policy", 0.0,
                               1.0, 0.05),
    "b2b_exclusivity": ("policy.b2b_exclusivity", "Exclusive B2B exchanges", 0.0, 1.0, 0.05),
    "matching_coverage": ("policy.matching_service.coverage", "Matching service coverage",
                          0.0, 1.0, 0.05),
    "safety_net": ("policy.safety_net", "Social safety net", 0.0, 1.0, 0.05),
}


def base_scenario() -> Scenario:
    """The scenario the dashboard starts from (``RESTRUCTURING_SIM_SCENARIO`` or the baseline)."""
    path = os.environ.get(SCENARIO_ENV)
    return load_scenario(Path(path) if path else None)


def _lookup(data: dict, key: str):
    node = data
    for part in key.split("."):
        node = node[part]
    return node


def final_value(value) -> float:
    """A lever's value in the last year: the last point of a time path, or the constant."""
    if isinstance(value, dict):
        return float(value[max(value, key=float)])
    return float(value)


def lever_override(key: str, current, target: float) -> str:
    """A ``--set`` override that makes lever ``key`` end at ``target``: a constant is replaced,
    a time path is scaled to end there (clipped to [0, 1] for shares)."""
    target = float(target)
    if not isinstance(current, dict):
        return f"{key}={target!r}"
    last = final_value(current)
    bounded = not key.startswith("drivers.")
    points = {}
    for year, value in sorted(current.items(), key=lambda kv: float(kv[0])):
        scaled = float(value) * target / last if last > 0 else float(value)
        points[year] = min(max(scaled, 0.0), 1.0) if bounded else max(scaled, 1e-6)
    points[max(current, key=float)] = target
    body = ", ".join(f"{int(float(y))} = {v!r}" for y, v in points.items())
    return f"{key}={{{body}}}"


def defaults(scenario: Scenario | None = None) -> dict[str, float]:
    """Each slider's default: the scenario's own value of the lever in its last year."""
    data = (scenario or base_scenario()).to_dict()
    return {name: round(final_value(_lookup(data, key)), 4) for name, (key, *_)
            in LEVERS.items()}


class DashboardModel(RestructuringModel):
    """:class:`RestructuringModel` built from keyword parameters, as SolaraViz needs.

    Every lever of :data:`LEVERS` is a keyword (its value in the scenario's last year; None keeps
    the scenario's value), plus ``n_firms`` and ``seed``. The scenario is
    :func:`base_scenario`. Stepping past the end stops the run (``running`` becomes False)
    instead of raising.
    """

    def __init__(self, n_firms: int = DEFAULT_FIRMS, seed: int = 1,
                 trade_openness: float | None = None, fdi_openness: float | None = None,
                 ict_cost: float | None = None, sme_capability: float | None = None,
                 ipr_protection: float | None = None,
                 competition_strictness: float | None = None,
                 b2b_exclusivity: float | None = None, matching_coverage: float | None = None,
                 safety_net: float | None = None):
        levers = dict(trade_openness=trade_openness, fdi_openness=fdi_openness,
                      ict_cost=ict_cost, sme_capability=sme_capability,
                      ipr_protection=ipr_protection,
                      competition_strictness=competition_strictness,
                      b2b_exclusivity=b2b_exclusivity, matching_coverage=matching_coverage,
                      safety_net=safety_net)
        base = base_scenario()
        data = base.to_dict()
        overrides = [f"simulation.n_firms={int(n_firms)}"]
        for name, value in levers.items():
            if value is None:
                continue
            key = LEVERS[name][0]
            overrides.append(lever_override(key, _lookup(data, key), value))
        path = os.environ.get(SCENARIO_ENV)
        scenario = load_scenario(Path(path) if path else None, overrides)
        super().__init__(scenario, seed=int(seed))
        self.lever_values = {name: final_value(_lookup(scenario.to_dict(), LEVERS[name][0]))
                             for name in LEVERS}
        self.positions: dict[int, tuple[float, float]] = {}

    def step(self) -> None:
        """One quarter; at the end of the scenario, stop instead of raising."""
        if self.finished:
            self.running = False
            return
        super().step()
        if self.finished:
            self.running = False


def model_params(scenario: Scenario | None = None) -> dict:
    """The SolaraViz parameter panel: a slider per lever, firms and seed."""
    values = defaults(scenario)
    params = {
        "n_firms": {"type": "SliderInt", "value": DEFAULT_FIRMS, "label": "Firms at the start",
                    "min": 100, "max": 2000, "step": 100},
        "seed": {"type": "InputText", "value": 1, "label": "Seed"},
    }
    for name, (_, label, low, high, step) in LEVERS.items():
        params[name] = {"type": "SliderFloat", "value": values[name], "label": label,
                        "min": low, "max": max(high, values[name]), "step": step}
    return params


# ------------------------------------------------------------------------------ drawing


def update_positions(model: DashboardModel, graph: nx.Graph) -> dict[int, tuple[float, float]]:
    """Positions of ``graph``'s nodes, continued from the previous drawing: a short spring
    layout started from the last positions (new firms start at seeded random places), so the
    picture moves smoothly as ties form and end instead of jumping. Seeded with the run's seed;
    the model's generator is never touched."""
    known = {n: model.positions[n] for n in graph if n in model.positions}
    k = 1.6 / np.sqrt(max(graph.number_of_nodes(), 1))
    pos = nx.spring_layout(graph, pos=known or None, k=k, iterations=15 if known else 60,
                           seed=int(model.seed_value))
    model.positions.update({int(n): (float(p[0]), float(p[1])) for n, p in pos.items()})
    return {n: model.positions[n] for n in graph}


def network_figure(model: DashboardModel) -> Figure:
    """The live network: tied firms coloured by size class and sized by ties, edges by layer."""
    g = model.network.graph
    tied = [n for n, d in g.degree() if d > 0]
    if len(tied) > MAX_NODES:
        degree = dict(g.degree(tied))
        tied = sorted(tied, key=lambda n: (-degree[n], n))[:MAX_NODES]
    simple = nx.Graph()
    simple.add_nodes_from(sorted(tied))
    keep = set(tied)
    layers: dict[str, list] = {layer: [] for layer in LAYER_COLORS}
    for u, v, data in g.edges(data=True):
        if u in keep and v in keep:
            simple.add_edge(u, v)
            layers[data["layer"]].append((u, v))
    fig = Figure(figsize=(6.5, 6.0), dpi=90)
    ax = fig.add_axes((0.01, 0.08, 0.98, 0.86))
    ax.set_axis_off()
    cond = model.conditions
    fig.suptitle(f"{cond.year} Q{cond.quarter}: {g.number_of_edges()} live ties, "
                 f"{len(tied)} tied firms", fontsize=11)
    if not tied:
        ax.text(0.5, 0.5, "no ties yet: press Step or Play", ha="center", va="center")
        return fig
    pos = update_positions(model, simple)
    for layer, pairs in layers.items():
        if pairs:
            nx.draw_networkx_edges(simple, pos, edgelist=pairs, ax=ax, width=0.8, alpha=0.7,
                                   edge_color=LAYER_COLORS[layer])
    nodes = list(simple)
    sizes = np.array([g.degree(n) for n in nodes], dtype=float)
    classes = model.firms.size_class[np.array(nodes, dtype=np.int64)]
    colors = [SIZE_COLORS[SIZE_CLASSES[int(c)]] for c in classes]
    nx.draw_networkx_nodes(simple, pos, nodelist=nodes, ax=ax, node_size=8 + 10 * sizes ** 0.85,
                           node_color=colors, edgecolors="white", linewidths=0.3)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=c, lw=2, label=f"{k} tie") for k, c in LAYER_COLORS.items()]
    handles += [Line2D([], [], marker="o", ls="", color=c, label=k)
                for k, c in SIZE_COLORS.items()]
    fig.legend(handles=handles, loc="lower center", ncol=6, fontsize=7, frameon=False)
    return fig


def yearly_series(model: DashboardModel) -> pd.DataFrame:
    """Per year so far: deals by kind, and the SME and cross-border shares of alliances formed."""
    events = model.events.to_pandas()
    years = range(model.scenario.simulation.start_year, model.conditions.year + 1)
    out = pd.DataFrame(index=pd.Index(years, name="year"))
    for kind in ("alliance_formed", "supply_contract_signed", "acquisition", "firm_entered",
                 "firm_exited"):
        out[kind] = events.loc[events["kind"] == kind].groupby("year").size()
    out = out.fillna(0).astype(int)
    formed = events.loc[events["kind"] == "alliance_formed"]
    out["sme_share"] = formed.groupby("year")["involves_sme"].mean()
    out["cross_border_share"] = formed.groupby("year")["cross_border"].mean()
    return out


def series_figure(model: DashboardModel) -> Figure:
    """Deals per year by kind, and the shares of alliances formed involving SMEs / crossing
    borders."""
    data = yearly_series(model)
    fig = Figure(figsize=(6.5, 6.0), dpi=90)
    ax, bx = fig.subplots(2, 1)
    fig.subplots_adjust(left=0.12, right=0.97, top=0.93, bottom=0.08, hspace=0.35)
    years = data.index.to_numpy()
    for kind in ("alliance_formed", "supply_contract_signed", "acquisition", "firm_entered",
                 "firm_exited"):
        ax.plot(years, data[kind], marker="o", ms=3, color=KIND_COLORS[kind],
                label=kind.replace("_", " "))
    ax.set_title("Deals per year by kind (current year so far)", fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    bx.plot(years, data["sme_share"], marker="o", ms=3, color=SIZE_COLORS["medium"],
            label="involving an SME")
    bx.plot(years, data["cross_border_share"], marker="o", ms=3, color="#CC79A7",
            label="cross-border")
    bx.set_ylim(-0.02, 1.02)
    bx.set_title("Shares of alliances formed per year", fontsize=10)
    bx.legend(fontsize=7)
    for axis in (ax, bx):
        axis.set_xlim(model.scenario.simulation.start_year - 0.5,
                      model.scenario.simulation.end_year + 0.5)
    return fig


@solara.component
def NetworkView(model):  # noqa: N802 (Solara components are capitalised)
    """The live network (redrawn after every step)."""
    update_counter.get()
    solara.FigureMatplotlib(network_figure(model), format="png")


@solara.component
def SeriesView(model):  # noqa: N802
    """Live series: deals by kind, SME share, cross-border share."""
    update_counter.get()
    solara.FigureMatplotlib(series_figure(model), format="png")


@solara.component
def StatusView(model):  # noqa: N802
    """Numbers in text: the current quarter, deals so far, and the levers the model runs with."""
    update_counter.get()
    cond = model.conditions
    events = model.events
    formed = events.count("alliance_formed")
    levers = ", ".join(f"{name} = {value:.2f}" for name, value in model.lever_values.items())
    solara.Markdown(
        f"**Quarter:** <span id='rs-quarter'>{cond.year} Q{cond.quarter}</span> · "
        f"**steps run:** <span id='rs-steps'>{model.step_index}</span> · "
        f"**alliances formed:** <span id='rs-alliances'>{formed}</span> · "
        f"**firms:** {len(model.firms):,} (started with "
        f"{model.scenario.simulation.n_firms:,})\n\n"
        f"**Levers in {model.scenario.simulation.end_year}:** "
        f"<span id='rs-levers'>{levers}</span>"
    )


@solara.component
def Page():  # noqa: N802 (the name ``solara run`` looks for)
    """The SolaraViz page for the scenario of :func:`base_scenario`.

    Each browser session gets its own model (built once per session), so one visitor's steps
    never show up in another's page.
    """
    scenario = solara.use_memo(base_scenario, [])
    model = solara.use_memo(DashboardModel, [])
    params = solara.use_memo(lambda: model_params(scenario), [])
    return SolaraViz(model, components=[(StatusView, 0), (NetworkView, 0), (SeriesView, 0)],
                     model_params=params,
                     name=f"Restructuring and small firms: {scenario.name}, "
                          f"{size_note(scenario)}", play_interval=150)
