"""Independent oracles: NetworkX shortest paths on the same arcs, built arc by arc.

Parallel arcs (two roads between the same junctions) keep their cheapest weight, as a
shortest path would; closed arcs (``inf``) are left out.
"""

from __future__ import annotations

import networkx as nx
import numpy as np


def nx_graph(net, weight=None, *, reverse: bool = False) -> nx.DiGraph:
    """Return the network as a NetworkX DiGraph with edge attribute ``w``.

    ``weight`` is a per-arc array (default ``net.length_m``); ``reverse`` flips every arc.
    """
    w = net.length_m if weight is None else np.asarray(weight, float)
    g = nx.DiGraph()
    g.add_nodes_from(range(net.n_nodes))
    for e in range(net.n_arcs):
        if not np.isfinite(w[e]):
            continue
        u, v = int(net.arc_source[e]), int(net.arc_target[e])
        if reverse:
            u, v = v, u
        if not g.has_edge(u, v) or g[u][v]["w"] > w[e]:
            g.add_edge(u, v, w=float(w[e]))
    return g


def nx_root_distances(net, weight, roots, root_cost=None, *, reverse: bool) -> np.ndarray:
    """Least ``cost(root) + path`` from every node to its best root (``reverse``) or from
    the best root to every node (forward); ``inf`` where no root reaches."""
    g = nx_graph(net, weight, reverse=reverse)
    roots = np.asarray(roots, dtype=np.int64)
    rc = np.zeros(roots.size) if root_cost is None else np.asarray(root_cost, float)
    best = np.full(net.n_nodes, np.inf)
    for r, c in zip(roots.tolist(), rc.tolist(), strict=True):
        if not np.isfinite(c):
            continue
        for node, d in nx.single_source_dijkstra_path_length(g, r, weight="w").items():
            best[node] = min(best[node], d + c)
    return best


def nx_route_costs(net, problem) -> np.ndarray:
    """Per origin and destination: the least route cost (risk included), shape (o, k)."""
    w = problem.arc_cost + problem.risk_weight * problem.arc_logsurv
    g = nx_graph(net, w, reverse=True)
    sink = problem.sink_cost + problem.risk_weight * problem.sink_logsurv
    out = np.full((problem.origin_node.size, problem.sink_node.size), np.inf)
    for j, s in enumerate(problem.sink_node.tolist()):
        d = nx.single_source_dijkstra_path_length(g, s, weight="w")
        for i, o in enumerate(problem.origin_node.tolist()):
            out[i, j] = d.get(o, np.inf) + sink[j]
    return out
