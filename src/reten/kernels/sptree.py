"""Shortest-path trees from a super-root, and O(V) flow accumulation along them.

Every origin's cheapest route to the nearest of many sinks is one Dijkstra from a virtual
super-sink on the reversed graph (and the mirror image, one Dijkstra from a super-source on
the forward graph, gives every node's cheapest supply). SciPy's ``csgraph.dijkstra`` does the
search; a Numba kernel turns its predecessor array into a tree and accumulates flows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from reten.network.model import Network


@dataclass(frozen=True)
class SPTree:
    """A shortest-path tree rooted at a set of roots (sinks or sources).

    Attributes
    ----------
    dist : float64 (n,)
        Cost from each node to its root (sink tree) or from its root (source tree);
        ``inf`` where unreachable.
    parent : int64 (n,)
        Next node towards the root; -1 at roots and unreachable nodes.
    parent_arc : int64 (n,)
        Network arc joining a node and its parent (``node -> parent`` in a sink tree,
        ``parent -> node`` in a source tree); -1 where ``parent`` is -1.
    root : int64 (n,)
        Index into the ``roots`` given of the root that serves each node; -1 if unreachable.
    order : int64 (k,)
        Reachable nodes in breadth-first order from the roots (parents before children).
    """

    dist: np.ndarray
    parent: np.ndarray
    parent_arc: np.ndarray
    root: np.ndarray
    order: np.ndarray


def _search(
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    n: int,
    roots: np.ndarray,
    root_cost: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Run one Dijkstra from all ``roots`` at once; return ``(dist, pred)``, pred -1 at roots.

    With every root cost zero this is SciPy's multi-source search (``min_only``); otherwise a
    virtual node ``n`` is joined to each root by an arc of its cost.
    """
    if roots.size == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    if not root_cost.any():
        g = sp.csr_matrix((data, indices, indptr), shape=(n, n))
        dist, pred, _ = dijkstra(
            g, directed=True, indices=roots, min_only=True, return_predecessors=True
        )
        pred = np.asarray(pred, dtype=np.int64)
        pred[pred < 0] = -1
        return np.asarray(dist, dtype=np.float64), pred
    m = indices.shape[0]
    k = roots.shape[0]
    aug_indptr = np.empty(n + 2, dtype=np.int64)
    aug_indptr[: n + 1] = indptr
    aug_indptr[n + 1] = m + k
    aug = sp.csr_matrix(
        (
            np.concatenate([data, root_cost]),
            np.concatenate([indices, roots.astype(indices.dtype)]),
            aug_indptr,
        ),
        shape=(n + 1, n + 1),
    )
    dist, pred = dijkstra(aug, directed=True, indices=n, return_predecessors=True)
    dist = np.asarray(dist[:n], dtype=np.float64)
    pred = np.asarray(pred[:n], dtype=np.int64)
    pred[(pred == n) | (pred < 0)] = -1
    return dist, pred


def _check_cost(net: Network, cost: np.ndarray) -> np.ndarray:
    cost = np.asarray(cost, dtype=np.float64)
    if cost.shape != (net.n_arcs,):
        raise ValueError(f"cost must have one value per arc ({net.n_arcs}), got {cost.shape}")
    if not cost.size == 0 and not cost.min() >= 0:
        raise ValueError("arc costs must be non-negative and not NaN (use inf to close an arc)")
    return cost


def _roots(roots: np.ndarray, root_cost: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    roots = np.asarray(roots, dtype=np.int64).reshape(-1)
    rc = np.zeros(roots.size) if root_cost is None else np.asarray(root_cost, dtype=np.float64)
    if rc.shape != roots.shape or not (rc >= 0).all():
        raise ValueError("root_cost must be non-negative, one per root")
    return roots, rc


def sink_tree(
    net: Network, cost: np.ndarray, sinks: np.ndarray, sink_cost: np.ndarray | None = None
) -> SPTree:
    """Return the tree of cheapest routes from every node to its cheapest sink.

    Cost of node ``v`` is ``min over sinks s of (d(v, s) + sink_cost[s])`` in the units of
    ``cost``. Arcs with ``inf`` cost are closed; a sink with ``inf`` sink cost is closed.

    Notes
    -----
    One Dijkstra on the reversed graph from a super-sink: O((V + E) log V), whatever the
    number of origins. Ties are broken by SciPy's deterministic heap order.
    """
    cost = _check_cost(net, cost)
    sinks, sc = _roots(sinks, sink_cost)
    data = cost[net.rev_arc]
    indptr, indices, data = _drop_closed(net.rev_indptr, net.rev_source, data)
    return _finish(net, sinks, sc, indptr, indices, data, reverse=True)


def source_tree(
    net: Network, cost: np.ndarray, sources: np.ndarray, source_cost: np.ndarray | None = None
) -> SPTree:
    """Return the tree of cheapest routes from the cheapest source to every node.

    The mirror image of :func:`sink_tree`: one Dijkstra on the forward graph from a
    super-source joined to ``sources`` at ``source_cost``.
    """
    cost = _check_cost(net, cost)
    sources, sc = _roots(sources, source_cost)
    indptr, indices, data = _drop_closed(net.indptr, net.arc_target, cost)
    return _finish(net, sources, sc, indptr, indices, data, reverse=False)


def _finish(
    net: Network,
    roots: np.ndarray,
    rc: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    *,
    reverse: bool,
) -> SPTree:
    open_ = np.isfinite(rc)
    # a node listed twice as a root keeps its cheapest listing (the first on ties)
    order = np.lexsort((np.arange(roots.size), rc, roots))
    keep = np.zeros(roots.size, bool)
    first = order[np.r_[True, roots[order][1:] != roots[order][:-1]]]
    keep[first] = True
    use = open_ & keep
    dist, pred = _search(indptr, indices, data, net.n_nodes, roots[use], rc[use])
    root_label = np.full(net.n_nodes, -1, dtype=np.int64)
    root_label[roots[use]] = np.flatnonzero(use)
    root, order_bfs, parent_arc = _tree(pred, root_label, net.indptr, net.arc_target, reverse)
    return SPTree(dist, pred, parent_arc, root, order_bfs)


def _drop_closed(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    live = np.isfinite(data)
    if live.all():
        return indptr, indices, data
    row = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))[live]
    new_indptr = np.zeros_like(indptr)
    np.cumsum(np.bincount(row, minlength=indptr.size - 1), out=new_indptr[1:])
    return new_indptr, indices[live], data[live]


@numba.njit(cache=True)
def _tree(
    pred: np.ndarray,
    root_label: np.ndarray,
    fwd_indptr: np.ndarray,
    fwd_target: np.ndarray,
    reverse: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (root label, breadth-first order, parent arc) of a predecessor tree; O(V + E)."""
    n = pred.shape[0]
    count = np.zeros(n + 1, dtype=np.int64)
    for v in range(n):
        p = pred[v]
        if p >= 0:
            count[p + 1] += 1
    for i in range(n):
        count[i + 1] += count[i]
    child = np.empty(count[n], dtype=np.int64)
    fill = count[:n].copy()
    for v in range(n):
        p = pred[v]
        if p >= 0:
            child[fill[p]] = v
            fill[p] += 1
    order = np.empty(n, dtype=np.int64)
    root = np.full(n, -1, dtype=np.int64)
    parent_arc = np.full(n, -1, dtype=np.int64)
    k = 0
    for v in range(n):
        if pred[v] < 0 and root_label[v] >= 0:
            order[k] = v
            root[v] = root_label[v]
            k += 1
    head = 0
    while head < k:
        v = order[head]
        head += 1
        rv = root[v]
        for j in range(count[v], count[v + 1]):
            c = child[j]
            root[c] = rv
            order[k] = c
            k += 1
    # the network arc c -> pred[c] (sink tree) or pred[c] -> c (source tree), in node order
    for c in range(n):
        p = pred[c]
        if p < 0:
            continue
        a, b = (c, p) if reverse else (p, c)
        lo = fwd_indptr[a]
        hi = fwd_indptr[a + 1]
        while lo < hi:  # arcs of a row are sorted by target
            mid = (lo + hi) // 2
            if fwd_target[mid] < b:
                lo = mid + 1
            else:
                hi = mid
        parent_arc[c] = lo
    return root, order[:k], parent_arc


@numba.njit(cache=True)
def _accumulate(
    order: np.ndarray,
    parent: np.ndarray,
    parent_arc: np.ndarray,
    node_volume: np.ndarray,
    arc_flow: np.ndarray,
) -> np.ndarray:
    through = node_volume.copy()
    for i in range(order.shape[0] - 1, -1, -1):
        v = order[i]
        p = parent[v]
        if p >= 0:
            through[p] += through[v]
            arc_flow[parent_arc[v]] = through[v]
    return through


def accumulate_tree(tree: SPTree, node_volume: np.ndarray, n_arcs: int = 0) -> np.ndarray:
    """Return the volume passing through each node when every node ships along the tree.

    ``node_volume`` is the volume starting at each node (n,). In a sink tree the result at
    ``v`` is the volume leaving ``v`` along ``parent_arc[v]``; volume at unreachable nodes
    stays where it is. O(V): one pass over the breadth-first order, children first.
    """
    m = max(n_arcs, int(tree.parent_arc.max()) + 1 if tree.parent_arc.size else 0)
    return tree_flows(tree, node_volume, m)[0]


def tree_flows(tree: SPTree, node_volume: np.ndarray, n_arcs: int) -> tuple[np.ndarray, ...]:
    """Return ``(through, arc_flow)``: node throughput and per-arc flow, in one O(V) pass."""
    flow = np.zeros(n_arcs)
    through = _accumulate(
        tree.order, tree.parent, tree.parent_arc, np.asarray(node_volume, dtype=np.float64), flow
    )
    return through, flow


def arc_flows(tree: SPTree, through: np.ndarray, n_arcs: int) -> np.ndarray:
    """Return per-arc flow (n_arcs,) from a node throughput array of the same tree."""
    flow = np.zeros(n_arcs, dtype=np.float64)
    v = np.flatnonzero(tree.parent_arc >= 0)
    flow[tree.parent_arc[v]] = through[v]
    return flow


def tree_path(tree: SPTree, node: int) -> np.ndarray:
    """Return the arc ids on the tree path from ``node`` to its root (sink tree)."""
    arcs = []
    v = int(node)
    while tree.parent[v] >= 0:
        arcs.append(int(tree.parent_arc[v]))
        v = int(tree.parent[v])
    return np.asarray(arcs, dtype=np.int64)
