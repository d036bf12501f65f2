"""The trafficker's best response (the follower) and the route data cuts are built from."""

from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sp

from reten.kernels.sptree import SPTree, sink_tree, tree_flows
from reten.models.interdiction.flows import capacities as capacities
from reten.models.interdiction.flows import flow_network, max_flow_value
from reten.models.interdiction.sites import Sites
from reten.network.model import Network
from reten.problem import Problem


class Follower:
    """The trafficker's best response for one objective, with the data cuts need."""

    def __init__(self, net: Network, problem: Problem, sites: Sites, objective: str) -> None:
        self.net, self.problem, self.sites, self.objective = net, problem, sites, objective
        m = net.n_arcs
        self.m = m
        rho = problem.risk_weight
        if objective == "cost":
            self.base = np.concatenate([problem.route_arc_cost(), problem.route_sink_cost()])
            self.gain = sites.delay + rho * sites.logsurv  # per unit, per covered arc
        elif objective == "interception":
            cost_ok = np.concatenate(
                [np.isfinite(problem.arc_cost), np.isfinite(problem.sink_cost)]
            )
            self.base = np.where(
                cost_ok, np.concatenate([problem.arc_logsurv, problem.sink_logsurv]), np.inf
            )
            self.gain = sites.logsurv.copy()
        else:
            self.base = np.concatenate([problem.arc_cost, problem.sink_cost])
            self.gain = np.zeros(sites.size)
        # origins that reach a crossing with no units placed; the others never count
        t0 = self._tree(np.zeros(sites.size))
        self.active = np.flatnonzero(t0.root[problem.origin_node] >= 0)
        # origins that share a node are one origin of their summed volume
        self.on, inv = np.unique(problem.origin_node[self.active], return_inverse=True)
        self.vol = np.bincount(inv, weights=problem.origin_volume_kg[self.active])
        self.evaluations = 0

    def arc_weights(self, units: np.ndarray) -> np.ndarray:
        """Return extended-arc weights under ``units`` (m + k,), never negative.

        ``units`` may be fractional (an LP master's point): it is clipped to
        ``[0, upper]`` first, since an LP solver returns values like ``-1e-12`` for zero,
        which on a zero-weight arc (a zero-length road, or every road when the objective
        weighs log-survival only) would make the arc negative.
        """
        n = np.clip(np.asarray(units, dtype=np.float64), 0.0, self.sites.upper)
        return self.base + self.sites.incidence.T @ (self.gain * n)

    def _tree(self, units: np.ndarray) -> SPTree:
        w = self.arc_weights(units)
        return sink_tree(self.net, w[: self.m], self.problem.sink_node, w[self.m :])

    def evaluate(self, units: np.ndarray) -> tuple[float, SPTree]:
        """Return the objective value of ``units`` and the best-response tree."""
        self.evaluations += 1
        if self.objective == "capacity":
            return self.max_flow(units), self._tree(np.zeros(self.sites.size))
        tree = self._tree(units)
        d = tree.dist[self.on]
        if self.objective == "cost":
            return float(self.vol @ d), tree
        return float(self.vol @ -np.expm1(-d)), tree

    def path_coefficients(self, tree: SPTree) -> tuple[np.ndarray, sp.csr_matrix]:
        """Per active origin: its route's base length and site counts (origins x sites)."""
        n = self.net.n_nodes
        rows, cols = _path_coo(
            tree.order, tree.parent, tree.parent_arc, tree.root, self.on, self.m, n
        )
        p = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(self.on.size, self.base.size))
        length = p @ np.where(np.isfinite(self.base), self.base, 0.0)
        return length, (p @ self.sites.incidence.T).tocsr()

    def max_flow(self, units: np.ndarray) -> float:
        """Maximum volume that gets from the origins through open crossings (kg), the
        units' arcs removed (:func:`reten.models.interdiction.flows.max_flow_value`)."""
        fn = flow_network(self.net, self.problem, self.sites, units)
        return max_flow_value(fn)


@numba.njit(cache=True)
def _path_coo(order, parent, parent_arc, root, origins, m, n):  # type: ignore[no-untyped-def]
    # number of extended arcs on each node's path (roads + its crossing arc)
    depth = np.zeros(n, dtype=np.int64)
    for i in range(order.shape[0]):
        v = order[i]
        p = parent[v]
        depth[v] = 1 if p < 0 else depth[p] + 1
    total = 0
    for i in range(origins.shape[0]):
        total += depth[origins[i]]
    rows = np.empty(total, dtype=np.int64)
    cols = np.empty(total, dtype=np.int64)
    k = 0
    for i in range(origins.shape[0]):
        v = origins[i]
        while parent[v] >= 0:
            rows[k] = i
            cols[k] = parent_arc[v]
            k += 1
            v = parent[v]
        rows[k] = i
        cols[k] = m + root[v]
        k += 1
    return rows[:k], cols[:k]


def route_sites(fol: Follower, sites: Sites, tree: SPTree) -> np.ndarray:
    """Sites that cover an arc or crossing used by the best response (all for capacity)."""
    if fol.objective == "capacity":
        return np.arange(sites.size)
    node_vol = np.zeros(fol.net.n_nodes)
    np.add.at(node_vol, fol.on, fol.vol)
    _, flow = tree_flows(tree, node_vol, fol.m)
    used = np.concatenate([flow > 0, np.zeros(fol.base.size - fol.m, bool)])
    used[fol.m + tree.root[fol.on]] = True
    return np.flatnonzero((sites.incidence @ used.astype(float)) > 0)


def gain_bounds(fol: Follower, sites: Sites, tree: SPTree) -> np.ndarray:
    """Return an upper bound on the gain of one more unit at each site (S,).

    Under the response ``tree``, one more unit at ``s`` raises origin ``o``'s route by at
    most ``g_s`` per covered arc on it, so the ``cost`` objective gains at most ``g_s``
    times the volume through the covered arcs; ``interception`` gains at most ``w_s``
    times the volume weighted by each origin's survival ``exp(-d_o)`` (since
    ``phi(d + x) - phi(d) <= exp(-d) x``). Sites off every route gain nothing. ``inf`` for
    ``capacity``. Lets the greedy evaluate sites best bound first and stop early (lazy
    greedy: the choice is the one a full scan makes).
    """
    if fol.objective == "capacity":
        return np.full(sites.size, np.inf)
    weight = fol.vol.copy()
    if fol.objective == "interception":
        weight = weight * np.exp(-tree.dist[fol.on])
    node_w = np.zeros(fol.net.n_nodes)
    np.add.at(node_w, fol.on, weight)
    _, flow = tree_flows(tree, node_w, fol.m)
    ext = np.concatenate([flow, np.zeros(fol.base.size - fol.m)])
    np.add.at(ext, fol.m + tree.root[fol.on], weight)
    return fol.gain * (sites.incidence @ ext)


def route_keeping_bound(fol: Follower, sites: Sites, budget: float, tree: SPTree) -> float:
    """Return an upper bound on the gain of any allocation within ``budget`` over the
    allocation ``tree`` responds to (``cost`` and ``interception``; ``inf`` for ``capacity``).

    The traffickers can always keep the routes of ``tree``: a unit at ``s`` then adds at
    most :func:`gain_bounds` ``b_s`` (exactly ``b_s`` for ``cost``; for ``interception``
    ``phi`` is concave, so ``b_s`` bounds it from above), and their best response does no
    worse for them. So the gain is at most ``max sum_s b_s n_s`` over ``resource @ n <=
    budget``, ``0 <= n <= upper``, bounded in turn by its LP relaxation (the fractional
    knapsack: sites by ``b_s / resource_s``, the last one in part). Weak, but finite and
    instant: a run stopped before any solver proved a bound still reports a gap.

    Examples
    --------
    Two sites on the only route: one unit adds at most the larger gain.

    >>> import numpy as np
    >>> from reten.network.model import Network
    >>> from reten.problem import Problem
    >>> from reten.models.interdiction import build_sites
    >>> net = Network.from_arcs(np.array([0, 1]), np.array([1, 2]), np.array([1.0, 2.0]),
    ...                         np.zeros(3), np.zeros(3))
    >>> p = Problem(net.length_m.copy(), np.zeros(2), np.array([2]), np.zeros(1),
    ...             np.zeros(1), np.array([0]), np.array([10.0]))
    >>> sites = build_sites(net, p, "arcs", delay=5.0, p_detect=0.1)
    >>> fol = Follower(net, p, sites, "cost")
    >>> base, tree = fol.evaluate(np.zeros(sites.size, np.int64))
    >>> float(route_keeping_bound(fol, sites, 1, tree))  # 10 kg x 5 delay
    50.0
    """
    if fol.objective == "capacity":
        return float("inf")
    b = gain_bounds(fol, sites, tree) / sites.resource
    order = np.argsort(-b, kind="stable")
    left, total = float(budget), 0.0
    for s in order.tolist():
        if b[s] <= 0 or left <= 0:
            break
        take = min(float(sites.upper[s]), left / float(sites.resource[s]))
        total += take * float(sites.resource[s]) * b[s]
        left -= take * float(sites.resource[s])
    return total


def through_paths(
    fol: Follower, units: np.ndarray, tree: SPTree, i: int, target: float, max_paths: int
) -> tuple[np.ndarray, sp.csr_matrix]:
    """Return near-shortest routes of origin ``fol.on[i]`` under ``units``, as cut data.

    For every arc ``e = (u, v)`` the cheapest route of the origin that uses ``e`` is the
    forward tree's route to ``u``, then ``e``, then the sink tree's (``tree``, the response
    to ``units``) route from ``v``: one Dijkstra from the origin gives them all. The routes
    whose cost under ``units`` is below ``target`` (up to ``max_paths`` of the cheapest,
    duplicates dropped) are the ones an allocation must still lengthen; each is a valid cut
    whatever the allocation (a route that repeats a node is a walk, never cheaper than the
    route it contains). Returns the routes' base lengths (p,) and site counts (p, S), as
    :meth:`Follower.path_coefficients` does for one route per origin.
    """
    from reten.kernels.sptree import source_tree

    w = fol.arc_weights(units)
    m = fol.m
    o = int(fol.on[i])
    fwd = source_tree(fol.net, w[:m], np.array([o]))
    net = fol.net
    through = fwd.dist[net.arc_source] + w[:m] + tree.dist[net.arc_target]
    cand = np.flatnonzero(through < target)
    if cand.size == 0:
        return np.zeros(0), sp.csr_matrix((0, fol.sites.size))
    cand = cand[np.argsort(through[cand], kind="stable")][: 4 * max_paths]
    rows, cols = _through_coo(
        cand,
        net.arc_source,
        net.arc_target,
        fwd.parent,
        fwd.parent_arc,
        tree.parent,
        tree.parent_arc,
        tree.root,
        m,
    )
    p = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(cand.size, fol.base.size))
    p.sum_duplicates()
    # drop repeated routes (many arcs lie on the same route)
    keys: dict[bytes, int] = {}
    for r in range(cand.size):
        key = p.indices[p.indptr[r] : p.indptr[r + 1]].tobytes()
        keys.setdefault(key, r)
        if len(keys) >= max_paths:
            break
    keep = np.fromiter(keys.values(), dtype=np.int64)
    p = p[keep]
    length = p @ np.where(np.isfinite(fol.base), fol.base, 0.0)
    return length, (p @ fol.sites.incidence.T).tocsr()


@numba.njit(cache=True)
def _through_coo(cand, src, dst, fparent, fparent_arc, bparent, bparent_arc, broot, m):  # type: ignore[no-untyped-def]
    # route r: origin ~> src[e] (forward tree), e, dst[e] ~> sink (sink tree), crossing arc
    total = 0
    for r in range(cand.shape[0]):
        e = cand[r]
        u = src[e]
        while fparent[u] >= 0:
            total += 1
            u = fparent[u]
        v = dst[e]
        while bparent[v] >= 0:
            total += 1
            v = bparent[v]
        total += 2
    rows = np.empty(total, dtype=np.int64)
    cols = np.empty(total, dtype=np.int64)
    k = 0
    for r in range(cand.shape[0]):
        e = cand[r]
        u = src[e]
        while fparent[u] >= 0:
            rows[k] = r
            cols[k] = fparent_arc[u]
            k += 1
            u = fparent[u]
        rows[k] = r
        cols[k] = e
        k += 1
        v = dst[e]
        while bparent[v] >= 0:
            rows[k] = r
            cols[k] = bparent_arc[v]
            k += 1
            v = bparent[v]
        rows[k] = r
        cols[k] = m + broot[v]
        k += 1
    return rows[:k], cols[:k]
