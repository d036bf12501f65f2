"""The attacker's best response to a mixed defender: a fast tree and an exact search.

Against a mixed strategy ``sigma`` over k-sets ``S_j``, origin ``o``'s route ``P`` is
intercepted with probability ``1 - f(P)`` where::

    f(P) = exp(-L(P)) * g(T(P)),   g(T) = sum_j sigma_j prod_{s in S_j and T} (1 - p_s)

``L`` is the route's base log-survival and ``T(P)`` the support sites it passes (the sites
of the k-sets with ``sigma_j > 0``). ``g`` is not a product over sites when the support
has more than one k-set, so no single tree finds the best route in general.

* :func:`tree_responses` (fast, a *better* response): trees on the separable weights
  ``-ln(1 - p_s c_s)`` (``c_s`` the marginal coverage, exact for routes passing one support
  site) and ``c_s w_s`` (Jensen: ``g(T) >= exp(-sum_{s in T} c_s w_s)``), each route's ``f``
  evaluated exactly.
* :class:`ExactAttacker` (exact): a best-first label search on the *hit graph*. Its nodes
  are the origin and the exits of support sites; the edge from ``a`` to a site ``s`` is the
  most reliable route from ``a`` to an arc of ``s`` that passes no other support site
  (Dijkstra on the network without the support sites' arcs). A label is a walk's ``(L, T)``;
  ``(L', T')`` dominates ``(L, T)`` at the same place when ``L' <= L`` and ``T' <= T``
  (``g`` only decreases as ``T`` grows). The bound ``exp(-L - h(v)) g(T)``, with ``h`` the
  base log-survival from ``v`` to the nearest crossing, is admissible, so the first
  complete walk taken from the queue is optimal (A*). A walk may repeat nodes, but cutting
  a loop only lowers ``L`` and shrinks ``T``, so the best walk's value is the best simple
  route's. The route returned is the most reliable route on the network with every support
  site outside the optimal ``T`` closed: it passes no site outside ``T`` and no more base
  log-survival, so it is optimal too, and simple.
"""

from __future__ import annotations

import heapq
import itertools
import math

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from reten import clock
from reten.models.game.instance import GameInstance


def support(
    ksets: sp.csr_matrix, sigma: np.ndarray
) -> tuple[np.ndarray, sp.csr_matrix, np.ndarray]:
    """Return (support sites U, (J+, |U|) membership of the support k-sets, sigma_J+)."""
    on = np.flatnonzero(sigma > 0)
    d = ksets[on]
    u = np.unique(d.indices)
    col = np.full(ksets.shape[1], -1, dtype=np.int64)
    col[u] = np.arange(u.size)
    dd = sp.csr_matrix((d.data, col[d.indices], d.indptr), shape=(on.size, u.size))
    return u, dd, sigma[on]


def route_survival(
    inst: GameInstance, sites: np.ndarray, base: float, ksets: sp.csr_matrix, sigma: np.ndarray
) -> float:
    """Return ``f(P) = exp(-L) sum_j sigma_j prod_{s in S_j and P} (1 - p_s)`` of one route."""
    x = np.zeros(inst.n_sites)
    x[sites] = inst.logsurv[sites]
    return float(sigma @ np.exp(-base - ksets @ x))


def tree_responses(
    inst: GameInstance, ksets: sp.csr_matrix, sigma: np.ndarray
) -> list[tuple[float, float, np.ndarray, np.ndarray]]:
    """Return each origin's best route among the separable-weight trees' routes.

    Returns
    -------
    list of (f, L, sites, arcs), one per origin
        ``f`` the exact survival of the route against ``sigma``.
    """
    c = ksets.T @ sigma
    weights = [-np.log1p(-np.minimum(inst.p * c, 1.0 - 1e-16)), c * inst.logsurv]
    best: list[tuple[float, float, np.ndarray, np.ndarray]] = [
        (-1.0, 0.0, np.zeros(0, np.int64), np.zeros(0, np.int64))
    ] * inst.origin.size
    for w in weights:
        tree = inst.tree(w)
        for i, arcs in enumerate(inst.routes(tree)):
            sites = inst.route_sites(arcs)
            base = inst.route_base(arcs)
            f = route_survival(inst, sites, base, ksets, sigma)
            if f > best[i][0]:
                best[i] = (f, base, sites, arcs)
    return best


class ExactAttacker:
    """Exact best responses against mixed strategies (see the module notes).

    Parameters
    ----------
    inst : GameInstance
    max_labels : int
        Labels one origin's search may create before it stops; the bound it returns then
        is still valid (the best bound left in the queue), only not attained.
    deadline : float
        ``clock.now()`` value after which searches stop the same way.
    """

    def __init__(
        self, inst: GameInstance, max_labels: int = 2_000_000, deadline: float = math.inf
    ) -> None:
        self.inst = inst
        self.max_labels = max_labels
        self.deadline = deadline
        net = inst.net
        # h(v): base log-survival from v to the nearest open crossing (admissible bound)
        self.h = inst.tree_closed(np.zeros(0, np.int64)).dist
        self.src = net.arc_source
        self.dst = net.arc_target
        self.n = net.n_nodes
        self.labels_created = 0

    def respond(
        self,
        ksets: sp.csr_matrix,
        sigma: np.ndarray,
        incumbent: list[tuple[float, float, np.ndarray, np.ndarray]],
    ) -> tuple[np.ndarray, np.ndarray, list[tuple[float, float, np.ndarray, np.ndarray] | None]]:
        """Return each origin's best survival ``f*`` (exact), an upper bound on it, and the
        routes better than ``incumbent`` (None where the incumbent is optimal).

        Returns
        -------
        best : (O,) float
            The best survival found (attained by the incumbent or the new route).
        bound : (O,) float
            ``>= f*`` (equal to ``best`` unless the label limit stopped the search).
        routes : list
            ``(f, L, sites, arcs)`` or None per origin.
        """
        inst = self.inst
        u, dd, sig = support(ksets, sigma)
        ctx = _Context(self, u, dd, sig)
        best = np.array([inc[0] for inc in incumbent])
        bound = best.copy()
        out: list[tuple[float, float, np.ndarray, np.ndarray] | None] = [None] * inst.origin.size
        for i, v in enumerate(inst.origin.tolist()):
            f_inc = float(incumbent[i][0])
            val, tmask, ub = ctx.search(int(v), f_inc)
            bound[i] = max(ub, f_inc)
            if tmask is None or val <= f_inc * (1 + 1e-12) + 1e-15:
                continue
            closed = u[[j for j in range(u.size) if not (tmask >> j) & 1]]
            tree = inst.tree_closed(closed)
            arcs = inst.routes(tree, np.array([i]))[0]
            sites = inst.route_sites(arcs)
            base = inst.route_base(arcs)
            f = route_survival(inst, sites, base, ksets, sigma)
            if f < val * (1 - 1e-9) - 1e-12:
                raise AssertionError(f"exact attacker: route {f} below its label {val}")
            out[i] = (f, base, sites, arcs)
            best[i] = f
            bound[i] = max(bound[i], f)
        return best, bound, out


class _Context:
    """One call's hit graph: support sites, their ports, lazily computed Dijkstra rows."""

    def __init__(self, ex: ExactAttacker, u: np.ndarray, dd: sp.csr_matrix, sig: np.ndarray):
        inst = ex.inst
        self.ex, self.inst = ex, inst
        self.u, self.sig = u, sig
        m = inst.m
        # survival factor of each support k-set when a site j of U is passed
        w_u = inst.logsurv[u]
        self.factor = np.exp(-(dd.toarray() * w_u[None, :]))  # (J+, |U|)
        # ports: (site position in U, exit node or -1 for the super-sink), their arcs
        inc = inst.sites.incidence[u]
        port_of: dict[tuple[int, int], int] = {}
        p_arc: list[int] = []
        p_id: list[int] = []
        self.port_site: list[int] = []
        self.port_exit: list[int] = []
        for j in range(u.size):
            for e in inc.indices[inc.indptr[j] : inc.indptr[j + 1]].tolist():
                if not np.isfinite(inst.base[e]):
                    continue
                ex_node = int(ex.dst[e]) if e < m else -1
                key = (j, ex_node)
                if key not in port_of:
                    port_of[key] = len(self.port_site)
                    self.port_site.append(j)
                    self.port_exit.append(ex_node)
                p_arc.append(e)
                p_id.append(port_of[key])
        order = np.argsort(np.array(p_id, dtype=np.int64), kind="stable")
        self.p_arc = np.array(p_arc, dtype=np.int64)[order]
        pid = np.array(p_id, dtype=np.int64)[order]
        self.n_ports = len(self.port_site)
        self.p_start = np.searchsorted(pid, np.arange(self.n_ports))
        sink = inst.problem.sink_node
        self.p_tail = np.where(
            self.p_arc < m,
            ex.src[np.minimum(self.p_arc, m - 1)],
            sink[np.maximum(self.p_arc - m, 0)],
        )
        self.p_cost = inst.base[self.p_arc]
        # the network without the support sites' arcs (G')
        w = inst.base.copy()
        w[inc.indices] = np.inf
        road = np.isfinite(w[:m])
        self.g = sp.csr_matrix((w[:m][road], (ex.src[road], ex.dst[road])), shape=(ex.n, ex.n))
        # csr_matrix sums duplicates: parallel arcs would add up; keep the minimum instead
        if self.g.nnz < int(road.sum()):
            self.g = _min_graph(ex.src[road], ex.dst[road], w[:m][road], ex.n)
        self.direct_sink = sink
        self.direct_cost = w[m:]  # inf for closed and support crossings
        self.rows: dict[int, tuple[np.ndarray, float]] = {}

    def reach(self, a: int) -> tuple[np.ndarray, float]:
        """Return (cost to each port, cost to the super-sink without a support site) from a."""
        got = self.rows.get(a)
        if got is not None:
            return got
        d = dijkstra(self.g, directed=True, indices=a)
        via = d[self.p_tail] + self.p_cost
        to_port = np.minimum.reduceat(via, self.p_start) if self.n_ports else np.zeros(0)
        direct = float(np.min(d[self.direct_sink] + self.direct_cost, initial=math.inf))
        self.rows[a] = (to_port, direct)
        return to_port, direct

    def search(self, origin: int, f_inc: float) -> tuple[float, int | None, float]:
        """Return (best value, its support-site bitmask or None, upper bound) for one origin."""
        h = self.ex.h
        sig = self.sig
        tick = itertools.count()
        # label: (neg bound, tie, terminal flag, L, T, survival vector, place)
        start = np.ones(sig.size)
        heap: list[tuple[float, int, int, float, int, np.ndarray, int]] = []
        heapq.heappush(heap, (-math.exp(-h[origin]), 1, next(tick), 0.0, 0, start, origin))
        seen: dict[int, list[tuple[float, int]]] = {}
        created = 0
        thr = f_inc * (1 + 1e-12) + 1e-15
        while heap:
            nb, term, _, L, T, surv, place = heapq.heappop(heap)
            if -nb <= thr:
                return f_inc, None, f_inc
            if term == 0:
                return -nb, T, -nb
            to_port, direct = self.reach(place)
            g_now = float(sig @ surv)
            if math.isfinite(direct):
                val = math.exp(-(L + direct)) * g_now
                if val > thr:
                    heapq.heappush(heap, (-val, 0, next(tick), L + direct, T, surv, -1))
            for pi in np.flatnonzero(np.isfinite(to_port)).tolist():
                j = self.port_site[pi]
                L2 = L + float(to_port[pi])
                if (T >> j) & 1:
                    T2, s2 = T, surv
                else:
                    T2, s2 = T | (1 << j), surv * self.factor[:, j]
                g2 = float(sig @ s2)
                exit_node = self.port_exit[pi]
                if exit_node < 0:  # a support crossing: the route ends here
                    val = math.exp(-L2) * g2
                    if val > thr:
                        heapq.heappush(heap, (-val, 0, next(tick), L2, T2, s2, -1))
                    continue
                bnd = math.exp(-(L2 + h[exit_node])) * g2
                if bnd <= thr or not _keep(seen, exit_node, L2, T2):
                    continue
                created += 1
                if created > self.ex.max_labels or (
                    created % 512 == 0 and clock.now() > self.ex.deadline
                ):
                    # stop: the label being expanded bounds the queue and its own children,
                    # also those not pushed yet (the queue's top and this child did not)
                    top = max(-nb, f_inc)
                    return f_inc, None, top
                heapq.heappush(heap, (-bnd, 1, next(tick), L2, T2, s2, exit_node))
        return f_inc, None, f_inc


def _keep(seen: dict[int, list[tuple[float, int]]], place: int, L: float, T: int) -> bool:
    """Record label (L, T) at ``place`` unless a label there dominates it."""
    lst = seen.setdefault(place, [])
    for L0, T0 in lst:
        if L0 <= L + 1e-15 and (T0 & ~T) == 0:
            return False
    lst[:] = [(L0, T0) for L0, T0 in lst if not (L <= L0 + 1e-15 and (T & ~T0) == 0)]
    lst.append((L, T))
    return True


def _min_graph(src: np.ndarray, dst: np.ndarray, w: np.ndarray, n: int) -> sp.csr_matrix:
    """Return the CSR graph keeping the cheapest of parallel arcs."""
    order = np.lexsort((w, dst, src))
    s, d, c = src[order], dst[order], w[order]
    first = np.r_[True, (s[1:] != s[:-1]) | (d[1:] != d[:-1])]
    return sp.csr_matrix((c[first], (s[first], d[first])), shape=(n, n))
