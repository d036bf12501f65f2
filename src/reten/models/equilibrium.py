"""Congestion equilibrium at the crossings (Dell 2015's extension): Wardrop user equilibrium.

Model
-----
Crossings, and optionally any arc with a capacity, cost

    t_e(x_e) = c_e + alpha * (x_e / cap_e) ** delta          (delta >= 1)

where ``c_e`` is the free-flow generalized cost (risk term included) and ``x_e`` the volume
on ``e``. Every shipment takes a cheapest route given the others (Wardrop 1952). With all
routes ending at one super-sink behind the crossings, the equilibrium arc flows minimise the
Beckmann objective

    Z(x) = sum_e [ c_e x_e + alpha cap_e / (delta + 1) * (x_e / cap_e) ** (delta + 1) ]

over flows that ship every origin's volume to the super-sink (Beckmann, McGuire & Winsten
1956; Dell 2015, section IV.C, solves the same program at the US ports of entry).

Solvers
-------
``fw``: Frank–Wolfe with an exact line search (bisection to machine precision on the
derivative of Z along the direction); every iteration is one shortest-path tree from the
super-sink, not one per origin. ``cfw``: conjugate Frank–Wolfe (Mitradjieva & Lindberg 2013,
*Transportation Science* 47(2)), the same tree per iteration with a direction conjugate to
the previous one under the Hessian of Z. ``qp``: with ``delta = 1`` Z is a convex quadratic
and the program is solved by HiGHS, then polished by conjugate steps. ``gp`` (the default when
only crossings are congested): network arcs then cost the same whatever the flow, so each
origin's route to crossing ``s`` is fixed (one reverse tree per crossing, computed once) and
the equilibrium is a choice among crossings; it is solved by path-based gradient projection
with Newton steps, origin by origin (Jayakrishnan, Tsai, Prashker & Rajadhyaksha 1994,
*Transportation Research Record* 1443), an O(origins x crossings) sweep per iteration.
The relative gap reported per iteration is

    gap = (sum_e t_e x_e - sum_o v_o d_o(t)) / sum_e t_e x_e

with ``d_o(t)`` the origin's least route cost at the current costs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numba
import numpy as np

from reten.errors import InputError
from reten.highs import quiet_highs
from reten.kernels.sptree import SPTree, sink_tree, tree_flows
from reten.kernels.sums import wsum
from reten.models.routes import RouteResult, solve_routes
from reten.network.model import Network
from reten.problem import Problem

METHODS = ("auto", "gp", "fw", "cfw", "qp")


@dataclass(frozen=True)
class Congestion:
    """Capacities (volume per month; ``inf``: no congestion) and the cost-curve parameters."""

    arc_capacity: np.ndarray
    sink_capacity: np.ndarray
    alpha: float = 1.0
    delta: float = 1.0

    def vector(self) -> np.ndarray:
        """Capacities of the extended arc set: network arcs, then crossing arcs."""
        return np.concatenate([self.arc_capacity, self.sink_capacity]).astype(np.float64)

    def congested(self, problem: Problem) -> np.ndarray:
        """Indices (into :meth:`vector`) of the arcs that can congest: a finite capacity
        > 0 on an arc a route may use (finite cost in ``problem``)."""
        cap = self.vector()
        live = np.isfinite(np.concatenate([problem.route_arc_cost(), problem.route_sink_cost()]))
        return np.flatnonzero(np.isfinite(cap) & live & (cap > 0))

    def overflow(self, problem: Problem) -> str:
        """Return why this curve overflows float64 on ``problem`` ("" when it does not;
        :func:`curve_overflow` on the arcs that can congest)."""
        cap = self.vector()[self.congested(problem)]
        return curve_overflow(cap, self.alpha, self.delta, problem.origin_volume_kg)


def curve_overflow(cap: np.ndarray, alpha: float, delta: float, volume_kg: np.ndarray) -> str:
    """Return why the cost curve overflows float64 ("" when it does not).

    The whole volume on the tightest congested arc bounds every cost and the Beckmann
    objective, so a curve finite there is finite everywhere.

    Parameters
    ----------
    cap : (c,) float
        Capacities of the congested arcs, kg per month (finite, > 0).
    alpha, delta : float
        The curve's scale (cost units) and exponent.
    volume_kg : (o,) float
        Origin volumes, kg per month.

    Examples
    --------
    >>> import numpy as np
    >>> curve_overflow(np.array([100.0]), 500.0, 1.0, np.array([90.0]))
    ''
    >>> curve_overflow(np.array([1e-6]), 1e12, 1000.0, np.array([90.0]))[:12]
    'alpha = 1e+1'
    """
    cap = np.asarray(cap, dtype=np.float64)
    if not cap.size:
        return ""
    vmax = float(np.sum(volume_kg))
    with np.errstate(over="ignore", invalid="ignore"):
        r = np.float64(max(vmax / float(cap.min()), 1.0))
        worst = alpha * np.power(r, delta + 1) * max(vmax, 1.0)
    if np.isfinite(worst):
        return ""
    return (
        f"alpha = {alpha:g} and delta = {delta:g} with a capacity of {float(cap.min()):g} "
        f"overflow the cost curve at {vmax:g} kg; use a smaller delta or alpha, or larger "
        "capacities"
    )


class _Costs:
    """Cost functions over the extended arc set (network arcs then crossing arcs)."""

    def __init__(self, problem: Problem, cong: Congestion) -> None:
        self.base = np.concatenate([problem.route_arc_cost(), problem.route_sink_cost()])
        self.live = np.isfinite(self.base)
        self.cong = cong.congested(problem)
        self.cap = cong.vector()[self.cong]
        self.alpha = float(cong.alpha)
        self.delta = float(cong.delta)
        if self.delta < 1:
            raise InputError("congestion delta must be >= 1")
        why = cong.overflow(problem)
        if why:
            raise InputError(f"congestion: {why}")

    def only_sinks(self, m: int) -> bool:
        """True when no network arc is congested (only crossing arcs are)."""
        return bool((self.cong >= m).all())

    def cost(self, x: np.ndarray) -> np.ndarray:
        t = self.base.copy()
        t[self.cong] += self.alpha * (x[self.cong] / self.cap) ** self.delta
        return t

    def objective(self, x: np.ndarray) -> float:
        lin = float(self.base[self.live] @ x[self.live])
        r = x[self.cong] / self.cap
        return lin + float((self.alpha * self.cap / (self.delta + 1) * r ** (self.delta + 1)).sum())

    def hessian_diag(self, x: np.ndarray) -> np.ndarray:
        h = np.zeros_like(x)
        d = self.delta
        h[self.cong] = self.alpha * d * (x[self.cong] / self.cap) ** (d - 1) / self.cap
        return h

    def line_search(self, x: np.ndarray, d: np.ndarray) -> float:
        """Return the exact minimiser of Z(x + s d) over s in [0, 1] (bisection on Z')."""
        live = self.live
        lin = float(self.base[live] @ d[live])
        xc, dc = x[self.cong], d[self.cong]

        def deriv(s: float) -> float:
            return lin + float((self.alpha * ((xc + s * dc) / self.cap) ** self.delta * dc).sum())

        if deriv(1.0) <= 0:
            return 1.0
        if deriv(0.0) >= 0:
            return 0.0
        if self.delta == 1.0:  # Z' is linear in s
            a, b = deriv(0.0), deriv(1.0)
            return float(min(max(-a / (b - a), 0.0), 1.0))
        lo, hi = 0.0, 1.0
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if deriv(mid) > 0:
                hi = mid
            else:
                lo = mid
        return 0.5 * (lo + hi)


def _all_or_nothing(
    net: Network, problem: Problem, t: np.ndarray
) -> tuple[np.ndarray, SPTree, float]:
    """Return (extended flow vector, tree, sum of volume x least cost) at costs ``t``."""
    m = net.n_arcs
    tree = sink_tree(net, t[:m], problem.sink_node, t[m:])
    on, vol = problem.origin_node, problem.origin_volume_kg
    root = tree.root[on]
    ok = root >= 0
    node_vol = wsum(on[ok], weights=vol[ok], minlength=net.n_nodes)
    y = np.zeros(m + problem.sink_node.size)
    y[:m] = tree_flows(tree, node_vol, m)[1]
    y[m:] = wsum(root[ok], weights=vol[ok], minlength=problem.sink_node.size)
    return y, tree, float(vol[ok] @ tree.dist[on[ok]])


def solve_equilibrium(
    net: Network,
    problem: Problem,
    congestion: Congestion,
    *,
    method: str = "auto",
    target_gap: float = 1e-5,
    max_iterations: int = 10_000,
    time_limit_s: float = 600.0,
) -> RouteResult:
    """Return the Wardrop equilibrium as a RouteResult with ``convergence`` filled in.

    ``convergence`` lists ``(iteration, relative_gap, seconds)``. Per-origin costs and
    crossings are those of the cheapest routes at equilibrium costs (every used route of an
    origin costs the same, within the gap); expected seizures use that route.
    ``method="auto"`` uses ``gp`` when only crossings have capacities and ``cfw`` otherwise.

    Parameters
    ----------
    net : Network
    problem : Problem
    congestion : Congestion
        Capacities (m,) and (k,) in kg per month (``inf``: uncongested), ``alpha`` in cost
        units, ``delta`` >= 1.
    method : {"auto", "gp", "fw", "cfw", "qp"}
    target_gap : float
        Relative gap at which to stop.
    max_iterations : int
    time_limit_s : float
        Seconds; the run stops after the first iteration past it.

    Returns
    -------
    RouteResult
        Equilibrium ``arc_flow_kg`` (m,) and ``crossing_flow_kg`` (k,); ``convergence``.

    Raises
    ------
    InputError
        An unknown ``method``, ``delta`` < 1, or ``qp`` with ``delta`` != 1.

    References
    ----------
    Beckmann, McGuire & Winsten (1956). *Studies in the Economics of Transportation*.
    Dell (2015), section IV.C. Mitradjieva & Lindberg (2013), *Transportation Science* 47(2).

    Examples
    --------
    Two crossings of capacity 10 and equal free cost: 30 kg split evenly.

    >>> import numpy as np
    >>> from reten.network.model import Network
    >>> from reten.problem import Problem
    >>> net = Network.from_arcs(np.array([0, 0]), np.array([1, 2]), np.array([1.0, 1.0]),
    ...                         np.zeros(3), np.zeros(3))
    >>> p = Problem(arc_cost=net.length_m, arc_logsurv=np.zeros(2),
    ...             sink_node=np.array([1, 2]), sink_cost=np.zeros(2), sink_logsurv=np.zeros(2),
    ...             origin_node=np.array([0]), origin_volume_kg=np.array([30.0]))
    >>> cg = Congestion(np.full(2, np.inf), np.array([10.0, 10.0]), alpha=5.0)
    >>> r = solve_equilibrium(net, p, cg)
    >>> np.round(r.crossing_flow_kg, 3).tolist()
    [15.0, 15.0]
    """
    if method not in METHODS:
        raise InputError(f"equilibrium method '{method}' unknown; valid: {', '.join(METHODS)}")
    t0 = time.perf_counter()
    costs = _Costs(problem, congestion)
    if method == "auto":
        method = "gp" if costs.only_sinks(net.n_arcs) else "cfw"
    if method == "gp":
        return _solve_gp(
            net, problem, congestion, costs, target_gap, max_iterations, time_limit_s, t0
        )
    history: list[tuple[int, float, float]] = []
    if method == "qp":
        if costs.delta != 1.0:
            raise InputError("method 'qp' needs delta = 1 (a quadratic Beckmann objective)")
        # HiGHS solves the quadratic program; conjugate Frank-Wolfe steps then polish it to
        # the target gap (HiGHS's own tolerances stop near 1e-7 relative)
        x = _solve_qp(net, problem, costs)
    else:
        x, _, _ = _all_or_nothing(net, problem, costs.base)
    s_prev: np.ndarray | None = None

    def measure(x: np.ndarray) -> tuple[float, np.ndarray]:
        # the relative gap of flows x, and the all-or-nothing flows at their costs
        t = costs.cost(x)
        y, _, sptt = _all_or_nothing(net, problem, t)
        tx = float(t[costs.live] @ x[costs.live])
        return (max((tx - sptt) / tx, 0.0) if tx > 0 else 0.0), y

    for it in range(1, max_iterations + 1):
        gap, y = measure(x)
        history.append((it, gap, time.perf_counter() - t0))
        # a NaN gap: the cost curve overflowed (a huge delta); iterating cannot help
        if not gap > target_gap or time.perf_counter() - t0 > time_limit_s:
            break
        if method != "fw" and s_prev is not None:
            h = costs.hessian_diag(x)
            db = s_prev - x
            num = float(db @ (h * (y - x)))
            den = float(db @ (h * (y - s_prev)))
            a = num / den if den != 0 else 0.0
            a = min(max(a, 0.0), 0.99)
            s = a * s_prev + (1 - a) * y
        else:
            s = y
        d = s - x
        step = costs.line_search(x, d)
        x = x + step * d
        s_prev = s
    else:
        # max_iterations used up: the last step's flows have not been measured yet (the
        # gap reported must be the gap of the flows returned)
        history.append((max_iterations + 1, measure(x)[0], time.perf_counter() - t0))
    return _finish(net, problem, congestion, costs, x, method, history, target_gap, t0)


def _finish(
    net: Network,
    problem: Problem,
    congestion: Congestion,
    costs: _Costs,
    x: np.ndarray,
    method: str,
    history: list[tuple[int, float, float]],
    target_gap: float,
    t0: float,
) -> RouteResult:
    m = net.n_arcs
    t = costs.cost(x)
    at_eq = replace(
        problem,
        arc_cost=t[:m] - problem.risk_weight * problem.arc_logsurv,
        sink_cost=t[m:] - problem.risk_weight * problem.sink_logsurv,
    )
    routes = solve_routes(net, at_eq)
    prov = dict(problem.provenance)
    prov.update(
        {
            "model": f"congestion equilibrium ({method}), Dell 2015 IV.C",
            "alpha": congestion.alpha,
            "delta": congestion.delta,
            "method": method,
            "target_gap": target_gap,
            "iterations": len(history),
            # road and crossing arcs with a capacity: 0 means nothing could congest
            "congested_arcs": int(costs.cong.size),
            "final_gap": history[-1][1] if history else None,
            "seconds": time.perf_counter() - t0,
        }
    )
    seized_share = np.divide(
        routes.crossing_seized_kg,
        routes.crossing_flow_kg,
        out=np.zeros_like(routes.crossing_flow_kg),
        where=routes.crossing_flow_kg > 0,
    )
    return replace(
        routes,
        arc_flow_kg=x[:m],
        crossing_flow_kg=x[m:],
        crossing_seized_kg=x[m:] * seized_share,
        problem=problem,
        provenance=prov,
        convergence=history,
    )


def _solve_gp(
    net: Network,
    problem: Problem,
    congestion: Congestion,
    costs: _Costs,
    target_gap: float,
    max_iterations: int,
    time_limit_s: float,
    t0: float,
) -> RouteResult:
    m, k = net.n_arcs, problem.sink_node.size
    on, vol = problem.origin_node, problem.origin_volume_kg
    arc_cost = costs.base[:m]
    # one reverse tree per crossing: the fixed route cost from every origin to it
    trees = [sink_tree(net, arc_cost, problem.sink_node[s : s + 1]) for s in range(k)]
    dmat = np.column_stack([tr.dist[on] for tr in trees]) if k else np.zeros((on.size, 0))
    sink_base = costs.base[m:].copy()
    closed = ~np.isfinite(sink_base)
    dmat[:, closed] = np.inf
    sink_base[closed] = 0.0
    cap = np.full(k, np.inf)
    sink_cong = costs.cong[costs.cong >= m] - m
    cap[sink_cong] = congestion.sink_capacity[sink_cong]
    alpha = float(costs.alpha) if sink_cong.size else 0.0
    capv = cap  # an infinite capacity: (x / inf) ** delta = 0, never 0 * inf
    alpha_v = np.where(np.isfinite(cap), alpha, 0.0)
    # start all-or-nothing at free-flow costs
    reach = np.isfinite(dmat).any(axis=1) if k else np.zeros(on.size, bool)
    f = np.zeros((on.size, k))
    first = np.argmin(np.where(np.isfinite(dmat), dmat + sink_base, np.inf), axis=1) if k else []
    f[np.flatnonzero(reach), np.asarray(first)[reach]] = vol[reach]
    xs = f.sum(axis=0)
    history: list[tuple[int, float, float]] = []

    def gap() -> float:
        c = np.where(
            np.isfinite(dmat), dmat + sink_base + alpha_v * (xs / capv) ** costs.delta, np.inf
        )
        tx = float(np.nansum(np.where(f > 0, c, 0.0) * f))
        sptt = float((vol[reach] * c[reach].min(axis=1)).sum())
        return max((tx - sptt) / tx, 0.0) if tx > 0 else 0.0

    # _gp_sweeps treats an infinite cap as uncongested: alpha_v = 0 and x / cap = 0
    for it in range(1, max_iterations + 1):
        g = gap()
        history.append((it, g, time.perf_counter() - t0))
        # a NaN gap: the cost curve overflowed (a huge delta); iterating cannot help
        if not g > target_gap or time.perf_counter() - t0 > time_limit_s:
            break
        _gp_sweeps_v(dmat, f, xs, sink_base, capv, alpha_v, costs.delta)
    else:  # max_iterations used up: measure the flows returned (see the Frank-Wolfe loop)
        history.append((max_iterations + 1, gap(), time.perf_counter() - t0))
    # arc flows: each crossing's share accumulated along its own tree
    x = np.zeros(m + k)
    for s in range(k):
        node_vol = wsum(on, weights=f[:, s], minlength=net.n_nodes)
        x[:m] += tree_flows(trees[s], node_vol, m)[1]
    x[m:] = xs
    return _finish(net, problem, congestion, costs, x, "gp", history, target_gap, t0)


@numba.njit(cache=True)
def _gp_sweeps_v(
    dmat: np.ndarray,
    f: np.ndarray,
    xs: np.ndarray,
    base: np.ndarray,
    cap: np.ndarray,
    alpha: np.ndarray,
    delta: float,
) -> None:
    """One Gauss-Seidel sweep of Newton-step gradient projection over all origins."""
    o, k = dmat.shape
    c = np.empty(k)
    for i in range(o):
        best = -1
        cbest = np.inf
        for s in range(k):
            c[s] = dmat[i, s] + base[s] + alpha[s] * (xs[s] / cap[s]) ** delta
            if c[s] < cbest:
                cbest = c[s]
                best = s
        if best < 0 or not np.isfinite(cbest):
            continue
        for s in range(k):
            if s == best or f[i, s] <= 0.0:
                continue
            cs = dmat[i, s] + base[s] + alpha[s] * (xs[s] / cap[s]) ** delta
            cb = dmat[i, best] + base[best] + alpha[best] * (xs[best] / cap[best]) ** delta
            diff = cs - cb
            if diff <= 0.0:
                continue
            h = (
                alpha[s] * delta * (xs[s] / cap[s]) ** (delta - 1.0) / cap[s]
                + alpha[best] * delta * (xs[best] / cap[best]) ** (delta - 1.0) / cap[best]
            )
            step = f[i, s] if h <= 0.0 else min(f[i, s], diff / h)
            f[i, s] -= step
            f[i, best] += step
            xs[s] -= step
            xs[best] += step


def _solve_qp(net: Network, problem: Problem, costs: _Costs) -> np.ndarray:
    """Solve the delta = 1 Beckmann program exactly with HiGHS; return the extended flows."""
    import highspy
    import scipy.sparse as sp

    m, k, n = net.n_arcs, problem.sink_node.size, net.n_nodes
    live = np.flatnonzero(costs.live)
    # columns: live extended arcs; rows: node balance out - in = supply (super-sink implicit)
    tail = np.concatenate([net.arc_source, problem.sink_node])[live]
    head = np.concatenate([net.arc_target, np.full(k, -1)])[live]
    ncol = live.size
    rows = np.concatenate([tail, head[head >= 0]])
    cols = np.concatenate([np.arange(ncol), np.flatnonzero(head >= 0)])
    vals = np.concatenate([np.ones(ncol), -np.ones(int((head >= 0).sum()))])
    a = sp.csc_matrix((vals, (rows, cols)), shape=(n, ncol))
    # origins that reach no open crossing ship nothing (they are reported as unreachable)
    free = sink_tree(net, costs.base[:m], problem.sink_node, costs.base[m:])
    reach = free.root[problem.origin_node] >= 0
    supply = wsum(problem.origin_node[reach], weights=problem.origin_volume_kg[reach], minlength=n)
    h = quiet_highs()
    lp = highspy.HighsLp()
    lp.num_col_ = ncol
    lp.num_row_ = n
    lp.col_cost_ = costs.base[live]
    lp.col_lower_ = np.zeros(ncol)
    lp.col_upper_ = np.full(ncol, highspy.kHighsInf)
    lp.row_lower_ = supply.astype(np.float64)
    lp.row_upper_ = supply.astype(np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data
    h.passModel(lp)
    q = np.zeros(ncol)
    pos = np.searchsorted(live, costs.cong)
    q[pos] = costs.alpha / costs.cap
    hs = highspy.HighsHessian()
    hs.dim_ = ncol
    hs.format_ = highspy.HessianFormat.kTriangular
    nz = np.flatnonzero(q)
    start = np.zeros(ncol + 1, dtype=np.int32)
    np.cumsum(q != 0, out=start[1:])
    hs.start_ = start
    hs.index_ = nz.astype(np.int32)
    hs.value_ = q[nz]
    h.passHessian(hs)
    h.setOptionValue("primal_feasibility_tolerance", 1e-9)
    h.setOptionValue("dual_feasibility_tolerance", 1e-9)
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise InputError(
            f"the equilibrium QP did not solve ({h.modelStatusToString(status)}); "
            "check that every origin can reach an open crossing"
        )
    x = np.zeros(m + k)
    x[live] = np.asarray(h.getSolution().col_value)
    return np.maximum(x, 0.0)
