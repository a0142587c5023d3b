"""The evolving network of firms (networkx), with a temporal edge list and yearly metrics.

One :class:`networkx.MultiGraph` holds the live ties: nodes are active firms (node = firm id) and
each edge is one deal, keyed by its deal id, with ``layer`` one of ``alliance``, ``supply``,
``ownership``. The tracker is updated incrementally as deals form and end; the history is kept as a
temporal edge list (start and end step per edge) written to ``network_edges.parquet``.
"""

from __future__ import annotations

import operator
from pathlib import Path

import networkx as nx
import numpy as np
import pyarrow as pa
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from restructuring_sim.io import write_parquet

LAYERS = ("alliance", "supply", "ownership")

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

METRIC_SCHEMA = pa.schema(
    [("year", pa.int32()), ("nodes", pa.int64()), ("tied_nodes", pa.int64())]
    + [(f"edges_{layer}", pa.int64()) for layer in LAYERS]
    + [
        ("edges", pa.int64()),
        ("density", pa.float64()),
        ("mean_degree", pa.float64()),
        ("clustering", pa.float64()),
        ("giant_component_share", pa.float64()),
        ("sme_tie_share", pa.float64()),
        ("cross_border_share", pa.float64()),
    ]
)


class NetworkTracker:
    """Live multigraph of firms and deals, its history, and yearly metrics.

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

    def __init__(self):
        self.graph = nx.MultiGraph()
        self._edges: dict[str, list] = {name: [] for name in EDGE_SCHEMA.names}
        self._flags: dict[str, list[bool]] = {"cross_border": [], "involves_sme": []}
        self._row: dict[int, int] = {}  # live edge id -> its row of the history
        self._metrics: dict[str, list] = {name: [] for name in METRIC_SCHEMA.names}

    def add_firms(self, firm_ids) -> None:
        """Add active firms as nodes (as networkx's ``add_nodes_from`` does, written into its
        node and adjacency dicts directly: several times faster for thousands of firms)."""
        graph = self.graph
        nodes, adjacency = graph._node, graph._adj
        new = [firm for firm in np.asarray(firm_ids, dtype=np.int64).tolist()
               if firm not in nodes]
        new = list(dict.fromkeys(new))  # a firm given twice is added once
        adjacency.update(zip(new, [{} for _ in new], strict=True))
        nodes.update(zip(new, [{} for _ in new], strict=True))
        nx._clear_cache(graph)

    def remove_firm(self, firm_id: int) -> None:
        """Remove a firm that left; its live edges must have been ended first."""
        if self.graph.degree(firm_id):
            raise ValueError(f"firm {firm_id} still has live ties")
        self.graph.remove_node(firm_id)

    def remove_firms(self, firm_ids) -> None:
        """Remove firms that left, as :meth:`remove_firm` would one after the other."""
        firm_ids = np.asarray(firm_ids, dtype=np.int64).tolist()
        graph = self.graph
        nodes, adjacency = graph._node, graph._adj  # networkx's dicts: a plain lookup per firm
        tied = [firm for firm in firm_ids if adjacency[firm]]
        if tied:
            raise ValueError(f"firm {tied[0]} still has live ties")
        # untied firms have no neighbours to update: networkx's remove_nodes_from comes down to
        # dropping their entries
        for firm in firm_ids:
            nodes.pop(firm, None)
            adjacency.pop(firm, None)
        nx._clear_cache(graph)

    def add_edge(self, edge_id: int, layer: str, source: int, target: int, *, step: int,
                 cross_border: bool, involves_sme: bool) -> None:
        """Start a tie ``edge_id`` (a deal id) between two existing firms."""
        self._check_new(layer, ((edge_id, source, target),))
        self.graph.add_edge(source, target, key=edge_id, layer=layer,
                            cross_border=cross_border, involves_sme=involves_sme)
        edges = self._edges
        self._row[edge_id] = len(edges["edge_id"])
        edges["edge_id"].append(edge_id)
        edges["layer"].append(layer)
        edges["source"].append(source)
        edges["target"].append(target)
        edges["start_step"].append(step)
        edges["end_step"].append(None)
        self._flags["cross_border"].append(bool(cross_border))
        self._flags["involves_sme"].append(bool(involves_sme))

    def add_edges(self, edge_ids, layer: str, sources, targets, *, step: int, cross_border,
                  involves_sme) -> None:
        """Start ties of one layer, one per entry of the arrays, as :meth:`add_edge` would one
        after the other."""
        ids, src, dst = (np.asarray(x, dtype=np.int64).tolist()
                         for x in (edge_ids, sources, targets))
        cross, sme = (_flag_list(flag, len(ids)) for flag in (cross_border, involves_sme))
        if layer not in LAYERS or not self._all_new(ids, src, dst):
            self._check_new(layer, zip(ids, src, dst, strict=True))  # names the first bad tie
        if len(set(ids)) != len(ids):
            raise ValueError("edge ids repeat")
        adjacency = self.graph._adj
        for u, v, key, c, s in zip(src, dst, ids, cross, sme, strict=True):
            # :meth:`_tie`, written out: the loop runs for every tie a step makes
            ties = adjacency[u].get(v)
            if ties is None:
                ties = adjacency[u][v] = adjacency[v][u] = {}
            ties[key] = {"layer": layer, "cross_border": c, "involves_sme": s}
        nx._clear_cache(self.graph)
        self._record(ids, layer, src, dst, step, cross, sme)

    def renew_edges(self, edge_ids, renew, new_ids, layer: str, *, step: int, cross_border,
                    involves_sme) -> None:
        """End live ties of ``layer`` and, right after each one where ``renew`` holds, start
        the next of ``new_ids`` between the same firms, as :meth:`end_edge` and
        :meth:`add_edge` would one after the other (networkx then keeps a pair of firms in
        its place when a renewal follows the end of the pair's last tie)."""
        ended = np.asarray(edge_ids, dtype=np.int64).tolist()
        again = np.asarray(renew, dtype=bool).tolist()
        ids = np.asarray(new_ids, dtype=np.int64).tolist()
        cross, sme = (_flag_list(flag, len(ids)) for flag in (cross_border, involves_sme))
        if sum(again) != len(ids):
            raise ValueError(f"{sum(again)} renewals but {len(ids)} new edge ids")
        if len(set(ids)) != len(ids) or not self._row.keys().isdisjoint(ids):
            raise ValueError("new edge ids repeat or exist already")
        renewals = iter(zip(ids, cross, sme, strict=True))
        src, dst = [], []
        for edge_id, renewed in zip(ended, again, strict=True):
            u, v = self._untie(edge_id, step)
            if renewed:
                key, c, s = next(renewals)
                self._tie(u, v, key, layer, c, s)
                src.append(u)
                dst.append(v)
        nx._clear_cache(self.graph)
        self._record(ids, layer, src, dst, step, cross, sme)

    def _tie(self, u: int, v: int, key: int, layer: str, cross_border: bool,
             involves_sme: bool) -> None:
        """Put a new tie into networkx's adjacency dicts as its ``add_edge`` does (the firms
        exist, the key is new): a third of the time of an ``add_edge`` call."""
        adjacency = self.graph._adj
        ties = adjacency[u].get(v)
        if ties is None:
            ties = adjacency[u][v] = adjacency[v][u] = {}
        ties[key] = {"layer": layer, "cross_border": cross_border, "involves_sme": involves_sme}

    def _untie(self, edge_id: int, step: int) -> tuple[int, int]:
        """End a live tie in the history and take it out of networkx's adjacency dicts as its
        ``remove_edge`` does (the key from the pair's shared key dict, the pair once no key is
        left); return the tie's firms."""
        row = self._row.pop(edge_id)
        u, v = self._edges["source"][row], self._edges["target"][row]
        adjacency = self.graph._adj
        ties = adjacency[u][v]
        del ties[edge_id]
        if not ties:
            del adjacency[u][v]
            del adjacency[v][u]  # ties never join a firm to itself
        self._edges["end_step"][row] = step
        return u, v

    def _record(self, ids: list[int], layer: str, src: list[int], dst: list[int], step: int,
                cross: list[bool], sme: list[bool]) -> None:
        """Append new ties to the history."""
        first = len(self._edges["edge_id"])
        self._row.update(zip(ids, range(first, first + len(ids)), strict=True))
        for name, values in zip(EDGE_SCHEMA.names, (ids, [layer] * len(ids), src, dst,
                                                    [step] * len(ids), [None] * len(ids)),
                                strict=True):
            self._edges[name].extend(values)
        self._flags["cross_border"].extend(cross)
        self._flags["involves_sme"].extend(sme)

    def _all_new(self, ids: list[int], sources: list[int], targets: list[int]) -> bool:
        """Whether every tie can start as a new one: the checks of :meth:`_check_new` as set
        operations, several times faster than a lookup per tie."""
        nodes = self.graph._node.keys()
        return (not any(map(operator.eq, sources, targets)) and nodes >= set(sources)
                and nodes >= set(targets) and self._row.keys().isdisjoint(ids))

    def _check_new(self, layer: str, edges) -> None:
        """Raise unless every ``(edge_id, source, target)`` can start as a new tie."""
        if layer not in LAYERS:
            raise ValueError(f"layer {layer!r} is not one of {LAYERS}")
        nodes = self.graph._node  # networkx's node dict: a plain lookup per firm
        for edge_id, source, target in edges:
            if source == target:
                raise ValueError(f"edge {edge_id}: a firm cannot tie with itself ({source})")
            for node in (source, target):
                if node not in nodes:
                    raise ValueError(f"edge {edge_id}: firm {node} is not in the network")
            if edge_id in self._row:
                raise ValueError(f"edge {edge_id} exists already")

    def is_live(self, edge_id: int) -> bool:
        """Whether the tie is live now."""
        return edge_id in self._row

    def end_edge(self, edge_id: int, step: int) -> None:
        """End a live tie."""
        row = self._row.pop(edge_id)
        self.graph.remove_edge(self._edges["source"][row], self._edges["target"][row],
                               key=edge_id)
        self._edges["end_step"][row] = step

    def end_edges(self, edge_ids, step: int) -> None:
        """End live ties, as :meth:`end_edge` would one after the other (a third of the time
        of one networkx ``remove_edge`` call per tie)."""
        for edge_id in np.asarray(edge_ids, dtype=np.int64).tolist():
            self._untie(edge_id, step)
        nx._clear_cache(self.graph)

    def has_tie(self, a: int, b: int, layer: str) -> bool:
        """Whether firms ``a`` and ``b`` have a live tie of ``layer`` (a firm not in the network
        has none)."""
        # networkx's adjacency dict read directly: get_edge_data's work without its call layers
        ties = self.graph._adj.get(a, {}).get(b)
        return bool(ties) and any(data["layer"] == layer for data in ties.values())

    def is_tied(self, firm_id: int) -> bool:
        """Whether a firm has any live tie (networkx's adjacency dict read directly)."""
        return bool(self.graph._adj[firm_id])

    def live_edges_of(self, firm_id: int) -> list[tuple[int, str]]:
        """``(edge_id, layer)`` of every live tie of a firm (in the order of ``graph.edges``)."""
        # networkx's adjacency dict (neighbour -> edge key -> data) read directly: several
        # times faster than an edge view, and most firms that leave have no ties at all
        return [(key, data["layer"]) for ties in self.graph._adj[firm_id].values()
                for key, data in ties.items()]

    def record_metrics(self, year: int) -> dict[str, float]:
        """Compute and store the network metrics at the end of ``year``.

        ``nodes`` counts active firms, ``tied_nodes`` those with a live tie. ``density`` and
        ``mean_degree`` count every live tie over active firms. ``clustering`` (average local
        clustering) and ``giant_component_share`` (largest component / tied firms) are computed on
        the simple graph of tied firms, so that the mass of untied small firms does not swamp them.
        ``sme_tie_share`` and ``cross_border_share`` are shares of live ties.
        """
        n = self.graph.number_of_nodes()
        rows = list(self._row.values())  # the live ties' rows of the history
        e = len(rows)
        layer = _pick(self._edges["layer"], rows)
        per_layer = {name: layer.count(name) for name in LAYERS}
        src, dst = (np.array(_pick(self._edges[side], rows), dtype=np.int64)
                    for side in ("source", "target"))
        clustering, giant, tied = _shape(src, dst)
        # shares of live ties as ratios of counts: the means of the flags, exactly
        sme, cross = (sum(_pick(self._flags[flag], rows)) for flag in ("involves_sme",
                                                                        "cross_border"))
        row = dict(
            year=year, nodes=n, tied_nodes=tied,
            **{f"edges_{name}": per_layer[name] for name in LAYERS},
            edges=e,
            density=2.0 * e / (n * (n - 1)) if n > 1 else 0.0,
            mean_degree=2.0 * e / n if n else 0.0,
            clustering=clustering,
            giant_component_share=giant / tied if tied else 0.0,
            sme_tie_share=sme / e if e else 0.0,
            cross_border_share=cross / e if e else 0.0,
        )
        for name, value in row.items():
            self._metrics[name].append(value)
        return row

    def edges_table(self) -> pa.Table:
        """The temporal edge list (one row per tie that ever existed)."""
        return pa.table(self._edges, schema=EDGE_SCHEMA)

    def metrics_table(self) -> pa.Table:
        """Yearly metrics recorded so far."""
        return pa.table(self._metrics, schema=METRIC_SCHEMA)

    def write(self, directory: str | Path) -> None:
        """Write ``network_edges.parquet`` and ``network_metrics.parquet`` into ``directory``."""
        directory = Path(directory)
        write_parquet(self.edges_table(), directory / "network_edges.parquet")
        write_parquet(self.metrics_table(), directory / "network_metrics.parquet")


def _pick(values: list, rows: list[int]) -> list:
    """``values[row]`` for every row, in order (one itemgetter call: the loop runs in C, and
    only the rows are read, not the whole history)."""
    if len(rows) < 2:
        return [values[row] for row in rows]
    return list(operator.itemgetter(*rows)(values))


def _flag_list(flag, n: int) -> list[bool]:
    """``n`` booleans from an array of them or from one for all."""
    flag = np.asarray(flag, dtype=bool)
    return [bool(flag)] * n if flag.ndim == 0 else flag.tolist()


def _shape(src: np.ndarray, dst: np.ndarray) -> tuple[float, int, int]:
    """Average clustering, largest component size and node count of the simple graph of ties.

    Computed with sparse matrices (triangles = diag(A^3) / 2) so that yearly metrics stay cheap
    on networks of 100,000 firms; equal to networkx's ``average_clustering`` and
    ``connected_components`` on the same graph. Firms with a single neighbour close no triangle,
    so triangles are counted on the graph of the others only.
    """
    if not len(src):
        return 0.0, 0, 0
    nodes, inverse = np.unique(np.concatenate([src, dst]), return_inverse=True)
    k = len(nodes)
    u, v = inverse[: len(src)], inverse[len(src):]
    adj = sparse.csr_matrix((np.ones(2 * len(u), dtype=np.int32), (np.r_[u, v], np.r_[v, u])),
                            shape=(k, k))
    adj.data[:] = 1  # repeated ties between two firms count once
    degree = np.diff(adj.indptr).astype(np.float64)
    core = np.flatnonzero(degree > 1)
    sub = adj[core][:, core]
    triangles = np.zeros(k)
    triangles[core] = np.asarray(sub.multiply(sub @ sub).sum(axis=1)).ravel() / 2.0
    pairs = degree * (degree - 1) / 2.0
    local = np.divide(triangles, pairs, out=np.zeros(k), where=pairs > 0)
    _, labels = connected_components(adj, directed=False)
    return float(local.mean()), int(np.bincount(labels).max()), k
