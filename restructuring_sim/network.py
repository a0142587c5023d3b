"""The evolving network of firms: live ties, their history, yearly metrics per layer.

Nodes are the firms in the network: every active firm, and every acquired firm still held by a
live ownership tie (a *subsidiary*, which takes part in nothing else). Each tie is one deal,
keyed by its deal id, with ``layer`` one of ``alliance``, ``supply``, ``ownership``. The tracker
is updated incrementally as deals form and end and keeps the live ties in plain dicts (firm ->
partner -> deal id -> layer), so that a step costs a few dict operations per tie whatever the
number of firms; the history is a temporal edge list (start and end step per tie) written to
``network_edges.parquet``.

:attr:`NetworkTracker.graph` gives the live network as a :class:`networkx.MultiGraph`, built
through networkx's public API when asked for (a fresh copy: changing it changes nothing here).

Yearly metrics (``network_metrics.parquet``) are computed from the tie columns with numpy (the
simple graph of a layer's ties as partner lists), one row per layer (``alliance``, ``supply``,
``ownership``) and one for ``all`` layers together; ``network_degrees.parquet`` holds the degree
histogram of active firms per year and layer. :data:`METRIC_COLUMNS` says what each column means.
"""

from __future__ import annotations

import operator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from restructuring_sim.columns import (
    ColumnTable,
    arrow_array,
    arrow_rows,
    arrow_strings,
    arrow_table,
    arrow_take,
    distinct,
)
from restructuring_sim.io import write_parquet

if TYPE_CHECKING:
    import networkx as nx

LAYERS = ("alliance", "supply", "ownership")
#: the rows of each year in ``network_metrics.parquet``: every layer, then all of them together
METRIC_LAYERS = ("all", *LAYERS)
_CODE = {layer: code for code, layer in enumerate(LAYERS)}
_OWNERSHIP = _CODE["ownership"]

#: breadth-first searches behind ``mean_path_length``: every node of the largest component is a
#: source when it has at most this many nodes, else this many sources drawn without replacement
PATH_SOURCES = 64

EDGE_SCHEMA = pa.schema(
    [
        ("edge_id", pa.int64()),
        ("layer", pa.string()),
        ("source", pa.int64()),
        ("target", pa.int64()),
        ("start_step", pa.int32()),
        ("end_step", pa.int32()),  # null while the tie is live at the end of the run
    ]
)

#: columns of ``network_metrics.parquet``: (name, Arrow type, meaning). Node counts name active
#: firms and subsidiaries apart; ``nodes`` equals the active firms of ``firms.parquet``.
METRIC_COLUMNS = (
    ("year", pa.int32(), "calendar year; metrics at its end"),
    ("layer", pa.string(), "alliance, supply, ownership, or all (every layer together)"),
    ("nodes", pa.int64(), "active firms (the same on every layer's row)"),
    ("subsidiaries", pa.int64(),
     "acquired firms still in the network, held by a live ownership tie (every row)"),
    ("tied_nodes", pa.int64(), "active firms with at least one live tie of the layer"),
    ("edges_alliance", pa.int64(), "live alliances counted in this row (0 on other layers)"),
    ("edges_supply", pa.int64(), "live supply contracts counted in this row"),
    ("edges_ownership", pa.int64(), "live ownership ties counted in this row"),
    ("edges", pa.int64(), "live ties of the layer"),
    ("density", pa.float64(),
     "edges / (N (N - 1) / 2), N = nodes + subsidiaries (every firm in the network)"),
    ("mean_degree", pa.float64(), "2 edges / N"),
    ("max_degree", pa.int64(), "most distinct partners of one firm in the layer"),
    ("clustering", pa.float64(),
     "average local clustering of the simple graph of the layer's tied firms (subsidiaries "
     "included)"),
    ("transitivity", pa.float64(), "3 triangles / connected triples of that graph"),
    ("random_clustering", pa.float64(),
     "expected clustering of a G(n, p) random graph of the same size and density: its density"),
    ("clustering_ratio", pa.float64(), "clustering / random_clustering (null without ties)"),
    ("giant_component", pa.int64(), "firms in the largest connected component of that graph"),
    ("giant_component_share", pa.float64(), "giant_component / the layer's tied firms"),
    ("mean_path_length", pa.float64(),
     "mean shortest path (ties) between firms of the largest component; from path_sources "
     "breadth-first searches"),
    ("path_sources", pa.int64(),
     "sources of those searches: the whole component when it has at most PATH_SOURCES firms "
     "(exact), else PATH_SOURCES drawn at random (a sample)"),
    ("sme_tie_share", pa.float64(), "share of the layer's live ties involving an SME"),
    ("cross_border_share", pa.float64(), "share of the layer's live ties across borders"),
    ("new_ties", pa.int64(), "ties of the layer started during the year"),
    ("triangle_closure_share", pa.float64(),
     "share of new_ties whose firms had a common partner in the layer when the tie started "
     "(null without new ties)"),
    ("repeat_partner_share", pa.float64(),
     "share of new_ties between firms tied before in the layer (renewals included; null "
     "without new ties)"),
)
METRIC_SCHEMA = pa.schema([(name, kind) for name, kind, _ in METRIC_COLUMNS])

#: ``network_degrees.parquet``: how many active firms have each number of distinct partners
DEGREE_SCHEMA = pa.schema(
    [("year", pa.int32()), ("layer", pa.string()), ("degree", pa.int64()),
     ("count", pa.int64())]
)

#: per-tie flags kept beside the history: the first two for the tie's life, the rest as the tie
#: started (in its layer, and in the network of every layer)
_FLAGS = ("cross_border", "involves_sme", "closes", "repeats", "closes_any", "repeats_any")


class NetworkTracker:
    """Live ties between firms, their history, and yearly metrics.

    Parameters
    ----------
    rng : numpy.random.Generator, optional
        Draws the sampled sources of ``mean_path_length`` and nothing else (the model passes a
        child of its generator, so that the other draws stay as they were). A fixed default.

    Examples
    --------
    >>> net = NetworkTracker()
    >>> net.add_firms([0, 1, 2])
    >>> net.add_edge(7, "alliance", 0, 1, step=3, cross_border=True, involves_sme=True)
    >>> net.graph.number_of_edges(), net.is_live(7)
    (1, True)
    >>> net.end_edge(7, step=9)
    >>> net.graph.number_of_edges(), net.is_live(7)
    (0, False)
    """

    def __init__(self, rng: np.random.Generator | None = None):
        self._rng = rng if rng is not None else np.random.default_rng(0)
        self._member = np.zeros(0, dtype=bool)  # firm id -> in the network
        #: live ties of tied firms only: firm -> partner -> deal id -> layer code
        self._adj: dict[int, dict[int, dict[int, int]]] = {}
        #: the history: one row per tie that ever started, in order (see :class:`_History`)
        self._history = _History()
        self._row: dict[int, int] = {}  # live edge id -> its row of the history
        #: pairs of firms ever tied, per layer and in any layer, as ``low << 32 | high`` (one
        #: int per pair rather than a tuple of ints: a third of the memory)
        self._pairs: tuple[set[int], ...] = tuple(set() for _ in LAYERS)
        self._partnered: set[int] = set()
        self._year_start = 0  # first row of the history started in the current year
        self._metrics: list[dict] = []
        self._degrees: dict[str, list] = {name: [] for name in DEGREE_SCHEMA.names}

    # ------------------------------------------------------------------ firms

    def __contains__(self, firm_id) -> bool:
        firm = int(firm_id)
        return 0 <= firm < len(self._member) and bool(self._member[firm])

    def number_of_firms(self) -> int:
        """Firms in the network (active firms and subsidiaries)."""
        return int(np.count_nonzero(self._member))

    def add_firms(self, firm_ids) -> None:
        """Add firms as nodes (a firm in the network already, or given twice, is added once)."""
        if isinstance(firm_ids, range):  # the whole first population: no list in between
            firm_ids = np.arange(firm_ids.start, firm_ids.stop, firm_ids.step)
        ids = np.asarray(firm_ids, dtype=np.int64).ravel()
        if not len(ids):
            return
        if ids.min() < 0 or ids.max() >= 2**32:
            bad = int(ids.min()) if ids.min() < 0 else int(ids.max())
            raise ValueError(f"firm id {bad} is not in 0 .. 2**32 - 1")
        top = int(ids.max()) + 1
        if top > len(self._member):
            grown = np.zeros(max(top, 2 * len(self._member)), dtype=bool)
            grown[: len(self._member)] = self._member
            self._member = grown
        self._member[ids] = True

    def remove_firm(self, firm_id: int) -> None:
        """Remove a firm that left; its live edges must have been ended first."""
        self.remove_firms([firm_id])

    def remove_firms(self, firm_ids) -> None:
        """Remove firms that left (each must be in the network, with no live tie)."""
        ids = np.asarray(firm_ids, dtype=np.int64).ravel()
        if not len(ids):
            return
        tied = [firm for firm in ids.tolist() if firm in self._adj]
        if tied:
            raise ValueError(f"firm {tied[0]} still has live ties")
        inside = (ids >= 0) & (ids < len(self._member))
        inside[inside] = self._member[ids[inside]]
        if not inside.all():
            raise ValueError(f"firm {ids[~inside][0]} is not in the network")
        self._member[ids] = False

    # ------------------------------------------------------------------ ties

    def add_edge(self, edge_id: int, layer: str, source: int, target: int, *, step: int,
                 cross_border: bool, involves_sme: bool) -> None:
        """Start a tie ``edge_id`` (a deal id) between two firms in the network."""
        self.add_edges([edge_id], layer, [source], [target], step=step,
                       cross_border=cross_border, involves_sme=involves_sme)

    def add_edges(self, edge_ids, layer: str, sources, targets, *, step: int, cross_border,
                  involves_sme) -> None:
        """Start ties of one layer, one per entry of the arrays, as :meth:`add_edge` would one
        after the other."""
        ids, src, dst = (np.asarray(x, dtype=np.int64).ravel().tolist()
                         for x in (edge_ids, sources, targets))
        cross, sme = (_flag_list(flag, len(ids)) for flag in (cross_border, involves_sme))
        self._check_new(layer, ids, src, dst)
        if len(set(ids)) != len(ids):
            raise ValueError("edge ids repeat")
        code = _CODE[layer]
        shape = self._tie(zip(src, dst, ids, strict=True), code)
        self._record(ids, layer, src, dst, step, cross, sme, shape)

    def renew_edges(self, edge_ids, renew, new_ids, layer: str, *, step: int, cross_border,
                    involves_sme) -> None:
        """End live ties of ``layer`` and, right after each one where ``renew`` holds, start
        the next of ``new_ids`` between the same firms, as :meth:`end_edge` and
        :meth:`add_edge` would one after the other."""
        ended = np.asarray(edge_ids, dtype=np.int64).tolist()
        again = np.asarray(renew, dtype=bool).tolist()
        ids = np.asarray(new_ids, dtype=np.int64).tolist()
        cross, sme = (_flag_list(flag, len(ids)) for flag in (cross_border, involves_sme))
        if sum(again) != len(ids):
            raise ValueError(f"{sum(again)} renewals but {len(ids)} new edge ids")
        if len(set(ids)) != len(ids) or not self._row.keys().isdisjoint(ids):
            raise ValueError("new edge ids repeat or exist already")
        code = _CODE[layer]
        renewals = iter(ids)
        src, dst = [], []

        def untie_then_renew():
            """End each tie and, where renewed, yield the renewal's firms and key, to be tied
            before the next tie ends."""
            for edge_id, renewed in zip(ended, again, strict=True):
                u, v = self._untie(edge_id, step)
                if renewed:
                    src.append(u)
                    dst.append(v)
                    yield u, v, next(renewals)

        shape = self._tie(untie_then_renew(), code)
        self._record(ids, layer, src, dst, step, cross, sme, shape)

    def end_edge(self, edge_id: int, step: int) -> None:
        """End a live tie."""
        self._untie(int(edge_id), step)

    def end_edges(self, edge_ids, step: int) -> None:
        """End live ties, as :meth:`end_edge` would one after the other (their rows of the
        history read and written at once: at a million firms a year ends some 50,000 ties)."""
        ids = np.asarray(edge_ids, dtype=np.int64).tolist()
        rows = [self._row.pop(edge_id) for edge_id in ids]
        history = self._history
        history.end_step[rows] = step
        self._drop(zip(ids, history.source[rows].tolist(), history.target[rows].tolist(),
                       strict=True))

    def _tie(self, ties, code: int) -> list[tuple[bool, bool, bool, bool]]:
        """Add live ties of layer ``code``, ``(u, v, key)`` each, one after the other (the
        firms exist, the keys are new), and say of each whether it closes a triangle and
        repeats a partner, in its layer and in the whole network, as it starts. One loop for
        all (not a call per tie): at a million firms a run adds some 450,000 ties."""
        adj = self._adj
        in_layer, partnered = self._pairs[code], self._partnered
        shape = []
        for u, v, key in ties:
            nu, nv = adj.get(u), adj.get(v)
            closes = closes_any = False
            if nu and nv:
                # the common partners, found in C (most pairs of tied firms have none)
                common = nu.keys() & nv.keys()
                if common:
                    closes_any = True
                    closes = any(code in nu[w].values() and code in nv[w].values()
                                 for w in common)
            # one int for the unordered pair (firm ids are below 2**32), worked out inline
            pair = u << 32 | v if u < v else v << 32 | u
            repeats = pair in in_layer
            repeats_any = repeats or pair in partnered
            if not repeats:
                in_layer.add(pair)
                partnered.add(pair)
            if nu is None:
                nu = adj[u] = {}
            if nv is None:
                nv = adj[v] = {}
            tied = nu.get(v)
            if tied is None:
                tied = nu[v] = nv[u] = {}
            tied[key] = code
            shape.append((closes, repeats, closes_any, repeats_any))
        return shape

    def _untie(self, edge_id: int, step: int) -> tuple[int, int]:
        """End a live tie in the history and take it out of the live ties; return its firms."""
        row = self._row.pop(edge_id)
        history = self._history
        u, v = int(history.source[row]), int(history.target[row])
        self._drop(((edge_id, u, v),))
        history.end_step[row] = step
        return u, v

    def _drop(self, ties) -> None:
        """Take ties, ``(edge_id, u, v)`` each, out of the live ties (one loop for all)."""
        adj = self._adj
        for edge_id, u, v in ties:
            nu, nv = adj[u], adj[v]
            keys = nu[v]
            del keys[edge_id]
            if not keys:
                del nu[v]
                del nv[u]  # ties never join a firm to itself
                if not nu:
                    del adj[u]
                if not nv:
                    del adj[v]

    def _record(self, ids: list[int], layer: str, src: list[int], dst: list[int], step: int,
                cross: list[bool], sme: list[bool], shape: list[tuple]) -> None:
        """Append new ties to the history."""
        if not ids:
            return
        first = len(self._history)
        self._row.update(zip(ids, range(first, first + len(ids)), strict=True))
        self._history.append(
            edge_id=np.array(ids, dtype=np.int64), code=_CODE[layer],
            source=np.array(src, dtype=np.int64), target=np.array(dst, dtype=np.int64),
            start_step=step, cross_border=np.array(cross, dtype=bool),
            involves_sme=np.array(sme, dtype=bool),
            **{name: np.array(values, dtype=bool)
               for name, values in zip(_FLAGS[2:], zip(*shape, strict=True), strict=True)},
        )

    def _check_new(self, layer: str, ids: list[int], sources: list[int],
                   targets: list[int]) -> None:
        """Raise unless every ``(edge_id, source, target)`` can start as a new tie (the first
        bad one is named)."""
        if layer not in LAYERS:
            raise ValueError(f"layer {layer!r} is not one of {LAYERS}")
        member = self._member
        ends = np.asarray(sources + targets, dtype=np.int64)
        inside = ((ends >= 0) & (ends < len(member))).all() and member[ends].all()
        if (inside and not any(map(operator.eq, sources, targets))
                and self._row.keys().isdisjoint(ids)):
            return
        for edge_id, source, target in zip(ids, sources, targets, strict=True):
            if source == target:
                raise ValueError(f"edge {edge_id}: a firm cannot tie with itself ({source})")
            for node in (source, target):
                if node not in self:
                    raise ValueError(f"edge {edge_id}: firm {node} is not in the network")
            if edge_id in self._row:
                raise ValueError(f"edge {edge_id} exists already")

    # ------------------------------------------------------------------ queries

    def is_live(self, edge_id: int) -> bool:
        """Whether the tie is live now."""
        return edge_id in self._row

    def has_tie(self, a: int, b: int, layer: str) -> bool:
        """Whether firms ``a`` and ``b`` have a live tie of ``layer`` (a firm not in the network
        has none)."""
        ties = self._adj.get(a, {}).get(b)
        return bool(ties) and _CODE[layer] in ties.values()

    def is_tied(self, firm_id: int) -> bool:
        """Whether a firm has any live tie."""
        return firm_id in self._adj

    def live_edges_of(self, firm_id: int) -> list[tuple[int, str]]:
        """``(edge_id, layer)`` of every live tie of a firm (by partner, then by start)."""
        return [(key, LAYERS[code]) for ties in self._adj.get(firm_id, {}).values()
                for key, code in ties.items()]

    @property
    def graph(self) -> nx.MultiGraph:
        """The live network as a :class:`networkx.MultiGraph`: nodes are the firms in the
        network in id order, edges the live ties in the order they started, keyed by deal id,
        with their ``layer``, ``cross_border`` and ``involves_sme``. Built through networkx's
        public API at every call (a copy: changing it changes nothing here; keep it while you
        read it rather than asking again)."""
        import networkx as nx  # only when a graph is asked for

        graph = nx.MultiGraph()
        graph.add_nodes_from(np.flatnonzero(self._member).tolist())
        h = self._history
        rows = self._live_rows()
        graph.add_edges_from(
            (u, v, key, {"layer": LAYERS[code], "cross_border": cross, "involves_sme": sme})
            for u, v, key, code, cross, sme in zip(
                *(column[rows].tolist() for column in (h.source, h.target, h.edge_id, h.code,
                                                       h.cross_border, h.involves_sme)),
                strict=True)
        )
        return graph

    def _live_rows(self) -> np.ndarray:
        """Rows of the history of the live ties, in the order they started: those without an
        end step (one pass over a column rather than sorting the live ties' rows)."""
        return np.flatnonzero(self._history.end_step < 0)

    # ------------------------------------------------------------------ metrics

    def record_metrics(self, year: int) -> dict[str, dict[str, float]]:
        """Compute and store the network metrics at the end of ``year``: one row per entry of
        :data:`METRIC_LAYERS` (see :data:`METRIC_COLUMNS`), and the degree histogram of active
        firms per layer. Returns the rows by layer."""
        h = self._history
        rows = self._live_rows()
        code, src, dst, sme, cross = (column[rows] for column in (
            h.code, h.source, h.target, h.involves_sme, h.cross_border))
        owned = np.zeros(len(self._member), dtype=bool)  # firm id -> held as a subsidiary
        owned[dst[code == _OWNERSHIP]] = True
        subsidiaries = int(np.count_nonzero(owned))
        everyone = self.number_of_firms()
        active = everyone - subsidiaries
        new = slice(self._year_start, len(h))
        new_code = h.code[new]
        new_flags = {name: getattr(h, name)[new] for name in _FLAGS[2:]}
        out = {}
        for layer in METRIC_LAYERS:
            keep = slice(None) if layer == "all" else code == _CODE[layer]
            s, d = src[keep], dst[keep]
            edges = len(s)
            shape = _structure(s, d, owned, self._rng)
            if layer == "all":
                started = np.ones(len(new_code), dtype=bool)
                closes, repeats = new_flags["closes_any"], new_flags["repeats_any"]
            else:
                started = new_code == _CODE[layer]
                closes, repeats = new_flags["closes"], new_flags["repeats"]
            n_new = int(started.sum())
            per_layer = {name: int(np.count_nonzero(code == c)) if layer in ("all", name) else 0
                         for c, name in enumerate(LAYERS)}
            row = dict(
                year=year, layer=layer, nodes=active, subsidiaries=subsidiaries,
                tied_nodes=shape["tied_active"],
                **{f"edges_{name}": per_layer[name] for name in LAYERS},
                edges=edges,
                density=2.0 * edges / (everyone * (everyone - 1)) if everyone > 1 else 0.0,
                mean_degree=2.0 * edges / everyone if everyone else 0.0,
                max_degree=shape["max_degree"],
                clustering=shape["clustering"],
                transitivity=shape["transitivity"],
                random_clustering=shape["random_clustering"],
                clustering_ratio=(shape["clustering"] / shape["random_clustering"]
                                  if shape["random_clustering"] > 0 else None),
                giant_component=shape["giant"],
                giant_component_share=shape["giant"] / shape["tied"] if shape["tied"] else 0.0,
                mean_path_length=shape["path_length"],
                path_sources=shape["path_sources"],
                sme_tie_share=int(np.count_nonzero(sme[keep])) / edges if edges else 0.0,
                cross_border_share=int(np.count_nonzero(cross[keep])) / edges if edges else 0.0,
                new_ties=n_new,
                triangle_closure_share=(int(np.count_nonzero(closes[started])) / n_new
                                        if n_new else None),
                repeat_partner_share=(int(np.count_nonzero(repeats[started])) / n_new
                                      if n_new else None),
            )
            self._metrics.append(row)
            out[layer] = row
            histogram = shape["degree_counts"]
            histogram[0] += active - shape["tied_active"]  # active firms without a tie
            degrees = np.flatnonzero(histogram)
            self._degrees["year"].extend([year] * len(degrees))
            self._degrees["layer"].extend([layer] * len(degrees))
            self._degrees["degree"].extend(degrees.tolist())
            self._degrees["count"].extend(histogram[degrees].tolist())
        self._year_start = len(h)
        return out

    def edges_table(self) -> pa.Table:
        """The temporal edge list (one row per tie that ever existed)."""
        h = self._history
        return arrow_table({
            "edge_id": h.edge_id, "layer": arrow_take(arrow_strings(LAYERS), arrow_array(h.code)),
            "source": h.source, "target": h.target, "start_step": h.start_step,
            "end_step": arrow_array(h.end_step, pa.int32(), mask=h.end_step < 0),
        }, EDGE_SCHEMA)

    def metrics_table(self) -> pa.Table:
        """Yearly metrics recorded so far (see :data:`METRIC_COLUMNS`)."""
        return arrow_rows(self._metrics, METRIC_SCHEMA)

    def degrees_table(self) -> pa.Table:
        """Degree histograms recorded so far: per year and layer, the number of active firms
        (``count``) with each number of distinct partners (``degree``; zero included)."""
        return arrow_table(self._degrees, DEGREE_SCHEMA)

    def write(self, directory: str | Path) -> None:
        """Write ``network_edges.parquet``, ``network_metrics.parquet`` and
        ``network_degrees.parquet`` into ``directory``."""
        directory = Path(directory)
        write_parquet(self.edges_table(), directory / "network_edges.parquet")
        write_parquet(self.metrics_table(), directory / "network_metrics.parquet")
        write_parquet(self.degrees_table(), directory / "network_degrees.parquet")


class _History(ColumnTable):
    """The ties that ever started, one row each in the order they started: deal id, layer code,
    firms, start and end step (-1 while live), and the flags of :data:`_FLAGS`. Numpy columns
    rather than lists of Python ints (a fifth of the memory: at a million firms some 400,000
    ties)."""

    COLUMNS = {
        "edge_id": (np.int64, 0), "code": (np.int8, 0), "source": (np.int64, 0),
        "target": (np.int64, 0), "start_step": (np.int32, 0), "end_step": (np.int32, -1),
        **{name: (np.bool_, False) for name in _FLAGS},
    }


def _flag_list(flag, n: int) -> list[bool]:
    """``n`` booleans from an array of them or from one for all."""
    flag = np.asarray(flag, dtype=bool)
    return [bool(flag)] * n if flag.ndim == 0 else flag.tolist()


def _shape(src: np.ndarray, dst: np.ndarray) -> tuple[float, int, int]:
    """Average clustering, largest component size and node count of the simple graph of ties
    (see :func:`_structure`)."""
    shape = _structure(src, dst, None, np.random.default_rng(0))
    return shape["clustering"], shape["giant"], shape["tied"]


def _structure(src: np.ndarray, dst: np.ndarray, owned: np.ndarray | None,
               rng: np.random.Generator) -> dict:
    """Shape of the simple graph of ties between firms ``src`` and ``dst`` (repeated ties count
    once).

    Computed with numpy on the graph's partner lists (see :func:`_simple_graph`), in time about
    proportional to the number of ties, so that yearly metrics stay cheap on networks of a
    million firms; ``clustering`` and ``giant`` equal networkx's ``average_clustering`` and
    largest ``connected_components`` on the same graph (of equal components, that of the lowest
    firm id). ``owned`` (a mask over firm ids, or None for none) marks subsidiaries, left out of
    ``tied_active`` and of the degree histogram; ``rng`` draws the sources of the path-length
    searches when the largest component is large.
    """
    if not len(src):
        return dict(clustering=0.0, transitivity=0.0, random_clustering=0.0, giant=0, tied=0,
                    tied_active=0, max_degree=0, path_length=None, path_sources=0,
                    degree_counts=np.zeros(1, dtype=np.int64))
    top = int(max(src.max(), dst.max())) + 1
    tied = np.zeros(top, dtype=bool)  # firm ids to node numbers without sorting the ties
    tied[src] = True
    tied[dst] = True
    nodes = np.flatnonzero(tied)
    k = len(nodes)
    number = np.empty(top, dtype=np.int64)
    number[nodes] = np.arange(k)
    starts, partners = _simple_graph(number[src], number[dst], k)
    degree = np.diff(starts)
    triangles = _triangles(starts, partners).astype(np.float64)
    pairs = degree * (degree - 1) / 2.0
    local = np.divide(triangles, pairs, out=np.zeros(k), where=pairs > 0)
    root = _components(starts, partners)
    sizes = np.bincount(root, minlength=k)
    largest = int(sizes.argmax())  # the lowest node of the first of the largest components
    path_length, sources = _mean_path(starts, partners, root == largest, rng)
    owned = owned[nodes] if owned is not None else np.zeros(k, dtype=bool)
    simple_edges = len(partners) // 2
    return dict(
        clustering=float(local.mean()),
        transitivity=float(triangles.sum() / pairs.sum()) if pairs.sum() else 0.0,
        random_clustering=2.0 * simple_edges / (k * (k - 1)),  # k >= 2 once there is a tie
        giant=int(sizes[largest]), tied=k, tied_active=int(k - owned.sum()),
        max_degree=int(degree.max()), path_length=path_length, path_sources=sources,
        degree_counts=np.bincount(degree[~owned], minlength=1).astype(np.int64),
    )


def _simple_graph(u: np.ndarray, v: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The simple graph of the ties ``u``-``v`` between nodes ``0 .. k - 1`` (a tie repeated,
    in either direction, once) as partner lists: node ``i``'s partners, in increasing order,
    are ``partners[starts[i]:starts[i + 1]]`` (``starts`` has ``k + 1`` entries)."""
    pairs = distinct(np.concatenate((u * k + v, v * k + u)))  # each tie from both ends
    node = pairs // k
    partners = pairs - node * k
    starts = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(np.bincount(node, minlength=k), out=starts[1:])
    return starts, partners


def _triangles(starts: np.ndarray, partners: np.ndarray) -> np.ndarray:
    """Triangles each node of a simple graph (partner lists, see :func:`_simple_graph`) is in.

    Firms with a single partner close no triangle, so only ties between the others count. Each
    is kept once, from the node of lower (degree, number) rank to the other, so that a triangle
    ``a < b < c`` in that rank is found exactly once: as the path ``a b c`` whose ends are tied
    (``a c``). The paths are those from each kept tie ``a b`` on along ``b``'s kept ties; a
    firm's ties lead only to firms of higher rank, so that hubs (firms with thousands of ties)
    do not cost the square of their degree.
    """
    k = len(starts) - 1
    degree = np.diff(starts)
    rank = np.empty(k, dtype=np.int64)
    rank[np.lexsort((np.arange(k), degree))] = np.arange(k)
    node = np.repeat(np.arange(k), degree)
    up = (rank[node] < rank[partners]) & (degree[node] > 1) & (degree[partners] > 1)
    a, b = node[up], partners[up]  # the kept ties, in (a, b) order
    ties = a * k + b  # increasing
    ahead = np.zeros(k + 1, dtype=np.int64)  # a node's kept ties: ahead[n]:ahead[n + 1]
    np.cumsum(np.bincount(a, minlength=k), out=ahead[1:])
    fan = ahead[b + 1] - ahead[b]  # paths a b c from each kept tie a b
    n_paths = int(fan.sum())
    if not n_paths:
        return np.zeros(k, dtype=np.int64)
    first = np.cumsum(fan) - fan  # each kept tie's first path
    c = b[np.repeat(ahead[b] - first, fan) + np.arange(n_paths)]
    a, b = np.repeat(a, fan), np.repeat(b, fan)
    closing = a * k + c
    closed = ties[np.minimum(np.searchsorted(ties, closing), len(ties) - 1)] == closing
    return (np.bincount(a[closed], minlength=k) + np.bincount(b[closed], minlength=k)
            + np.bincount(c[closed], minlength=k))


def _components(starts: np.ndarray, partners: np.ndarray) -> np.ndarray:
    """Each node's connected component of a simple graph (partner lists, see
    :func:`_simple_graph`; every node has a partner), named by its lowest node.

    Each node starts with the lowest name of itself and its partners. Then, in rounds, names
    are followed until each node holds one that names itself (a name only ever points to a
    lower node), and each such name takes the lowest name held by a partner of a node that
    holds it; rounds go on until no tie joins two names.
    """
    k = len(starts) - 1
    first = starts[:-1]
    root = np.minimum(np.arange(k), np.minimum.reduceat(partners, first))
    while True:
        while not np.array_equal(followed := root[root], root):
            root = followed
        lowest = np.minimum.reduceat(root[partners], first)
        if not (lowest < root).any():
            return root
        np.minimum.at(root, root, lowest)


def _mean_path(starts: np.ndarray, partners: np.ndarray, component: np.ndarray,
               rng: np.random.Generator) -> tuple[float | None, int]:
    """Mean shortest-path length (in ties) between distinct firms of one connected
    ``component`` (a mask over the nodes of a simple graph's partner lists, see
    :func:`_simple_graph`), and how many breadth-first searches gave it: one from every firm
    when there are at most :data:`PATH_SOURCES`, else from that many drawn without replacement
    (each search averages over every other firm of the component).

    The searches run together, one bit of a 64-bit word per source: each level ORs the
    frontier words of every firm's partners (one pass over the ties), so the cost is the
    number of levels (the component's diameter at most) times the number of ties.
    """
    members = np.flatnonzero(component)
    g = len(members)
    if g < 2:
        return None, 0
    degree = np.diff(starts)[members]
    number = np.zeros(len(component), dtype=np.int64)
    number[members] = np.arange(g)
    partners = number[partners[np.repeat(component, np.diff(starts))]]
    starts = np.cumsum(degree) - degree  # every firm has a partner: no empty list
    if g <= PATH_SOURCES:
        sources = np.arange(g)
    else:
        sources = np.sort(rng.choice(g, PATH_SOURCES, replace=False))
    frontier = np.zeros(g, dtype=np.uint64)
    frontier[sources] = np.left_shift(np.uint64(1), np.arange(len(sources), dtype=np.uint64))
    seen = frontier.copy()
    total, level = 0, 0
    while True:
        level += 1
        reached = np.bitwise_or.reduceat(frontier[partners], starts)
        reached &= ~seen
        count = int(np.bitwise_count(reached).sum())
        if not count:
            break
        total += level * count
        seen |= reached
        frontier = reached
    return total / (len(sources) * (g - 1)), len(sources)


def layer_rows(metrics, layer: str = "all"):
    """The rows of one layer of a ``network_metrics`` DataFrame, in year order (a table from
    before the layers were recorded apart, without a ``layer`` column, is all layers)."""
    if "layer" in metrics:
        metrics = metrics[metrics["layer"] == layer]
    return metrics.sort_values("year", kind="stable").reset_index(drop=True)
