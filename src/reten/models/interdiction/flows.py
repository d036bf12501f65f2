"""Maximum flow under capacities and removals: the ``capacity`` objective's value and the
traffickers' flows it implies.

The flow network is the extended network (roads, one arc per crossing to a super-sink
``t``) plus one arc per origin from a super-source ``s`` with the origin's volume as its
capacity. A road's capacity is its ``capacity_kg`` (or ``capacity``) attribute, a
crossing's the scenario's ``capacity_kg``; an arc without one is unbounded (capped at the
total volume). An arc covered by a unit, or closed in the scenario, carries nothing.

References
----------
Wood, R. K. (1993). Deterministic network interdiction. *Mathematical and Computer
Modelling* 17(2), 1-18. Ahuja, R. K., Magnanti, T. L. & Orlin, J. B. (1993). *Network
Flows*, chapter 3.5 (flow decomposition).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from reten.models.interdiction.sites import Sites
from reten.models.routes import RouteResult
from reten.network.attributes import check_arc_values
from reten.network.model import Network
from reten.problem import Problem


@dataclass(frozen=True)
class FlowNetwork:
    """Arcs of the flow network: road arcs (m), crossing arcs (k), source arcs (o).

    ``tail``/``head`` index nodes ``0..n-1`` plus ``s = n`` and ``t = n + 1``; ``cap`` is
    in kg/month (finite: an unbounded arc is capped at the total volume).
    """

    tail: np.ndarray
    head: np.ndarray
    cap: np.ndarray
    n: int
    m: int
    k: int


def capacities(net: Network, problem: Problem) -> np.ndarray:
    """Return extended-arc capacities, kg/month: road attribute ``capacity_kg`` or
    ``capacity`` (else unbounded), crossings from the scenario's ``capacity_kg`` (else
    unbounded), as an (m + k,) array with ``inf`` for unbounded arcs.

    Examples
    --------
    >>> import numpy as np
    >>> from reten.network.model import Network
    >>> from reten.problem import Problem
    >>> net = Network.from_arcs(np.array([0]), np.array([1]), np.ones(1), np.zeros(2),
    ...                         np.zeros(2))
    >>> p = Problem(np.ones(1), np.zeros(1), np.array([1]), np.zeros(1), np.zeros(1),
    ...             np.array([0]), np.ones(1), sink_capacity=np.array([5.0]))
    >>> capacities(net, p).tolist()
    [inf, 5.0]
    """
    m, k = net.n_arcs, problem.sink_node.size
    cap = np.full(m + k, np.inf)
    for name in ("capacity_kg", "capacity"):
        if name in net.arc_attrs:
            check_arc_values(net, name, net.arc_attrs[name])
            a = np.asarray(net.arc_attrs[name], dtype=float)
            cap[:m] = np.where(a > 0, a, np.inf)
            break
    if problem.sink_capacity.size == k:
        cap[m:] = problem.sink_capacity
    return cap


def flow_network(net: Network, problem: Problem, sites: Sites, units: np.ndarray) -> FlowNetwork:
    """Return the flow network with the arcs covered by ``units`` (S,) removed."""
    n, m, k = net.n_nodes, net.n_arcs, problem.sink_node.size
    total = math.fsum(problem.origin_volume_kg)
    cap = capacities(net, problem)
    hit = (sites.incidence.T @ (np.asarray(units) > 0).astype(float)) > 0
    open_ = np.isfinite(np.concatenate([problem.arc_cost, problem.sink_cost])) & ~hit
    cap = np.where(open_, np.minimum(cap, total), 0.0)
    o = problem.origin_node.size
    return FlowNetwork(
        tail=np.concatenate([net.arc_source, problem.sink_node, np.full(o, n)]).astype(np.int64),
        head=np.concatenate([net.arc_target, np.full(k, n + 1), problem.origin_node]).astype(
            np.int64
        ),
        cap=np.concatenate([cap, np.asarray(problem.origin_volume_kg, dtype=float)]),
        n=n,
        m=m,
        k=k,
    )


def max_flow_value(fn: FlowNetwork) -> float:
    """Return the maximum flow from ``s`` to ``t`` (kg/month), without rounding noise.

    SciPy's max flow needs integer capacities, so it runs at micro-kg; the value returned
    is the capacity of the minimum cut that flow finds, summed (``math.fsum``) from the
    capacities as given. Any cut's capacity bounds the maximum flow from above, and this
    cut is minimum for the rounded capacities, so the value is exact whenever the
    minimum cut is unique and otherwise within the rounding (``0.5e-6`` kg per cut arc).

    Examples
    --------
    >>> import numpy as np
    >>> fn = FlowNetwork(np.array([2, 0, 1]), np.array([0, 1, 3]),
    ...                  np.array([0.1, 0.7, 0.2]), 2, 1, 1)
    >>> max_flow_value(fn)
    0.1
    """
    from scipy.sparse.csgraph import breadth_first_order, maximum_flow

    s, t, size = fn.n, fn.n + 1, fn.n + 2
    total = float(fn.cap.sum())
    scale = 1e6 if total < 1e9 else 1.0
    ci = np.round(fn.cap * scale).astype(np.int64)
    g = sp.csr_matrix((ci, (fn.tail, fn.head)), shape=(size, size))
    g.sum_duplicates()
    res = maximum_flow(g, s, t)
    # the source side of a minimum cut: nodes reachable from s in the residual graph
    resid = (g - res.flow).tocsr()
    resid.data = (resid.data > 0).astype(np.int8)
    resid.eliminate_zeros()
    reach = np.zeros(size, dtype=bool)
    reach[breadth_first_order(resid, s, directed=True, return_predecessors=False)] = True
    cut = reach[fn.tail] & ~reach[fn.head]
    return math.fsum(fn.cap[cut])


@dataclass(frozen=True)
class FlowResponse:
    """A maximum flow of least cost and its decomposition into origin-to-crossing paths.

    ``arc_flow`` (m + k + o,) kg/month on the arcs of :class:`FlowNetwork`; per origin
    (o,): ``shipped`` kg/month, ``cost``, ``money``, ``logsurv_seized`` (expected seizures,
    kg/month), ``length_km`` (flow-weighted means per kg), ``crossing`` (the crossing that
    takes most of its flow, -1 if none); ``crossing_seized`` (k,).
    """

    value: float
    arc_flow: np.ndarray
    shipped: np.ndarray
    cost: np.ndarray
    money: np.ndarray
    seized: np.ndarray
    length_km: np.ndarray
    crossing: np.ndarray
    crossing_seized: np.ndarray


def min_cost_max_flow(net: Network, problem: Problem, fn: FlowNetwork) -> FlowResponse:
    """Return a maximum flow of least total cost (HiGHS LP, two phases) and its paths.

    Phase 1 maximises the flow; phase 2 keeps it at the maximum and
    minimises ``sum_e f_e (c_e + rho w_e)``: the traffickers ship as much as the capacities
    let through, by the cheapest routes that do so. The flow is then decomposed into paths
    (cycles cancelled), which give each origin's volume, crossing, cost and seizures.
    """
    import highspy

    from reten.highs import quiet_highs

    m, k = fn.m, fn.k
    o = fn.cap.size - m - k
    size = fn.n + 2
    ncol = fn.cap.size
    h = quiet_highs()
    h.addVars(ncol, np.zeros(ncol), fn.cap)
    # conservation at every real node: inflow - outflow = 0
    rows = np.concatenate([fn.head, fn.tail])
    cols = np.concatenate([np.arange(ncol), np.arange(ncol)])
    vals = np.concatenate([np.ones(ncol), -np.ones(ncol)])
    keep = rows < fn.n
    a = sp.csr_matrix((vals[keep], (rows[keep], cols[keep])), shape=(fn.n, ncol))
    a.sum_duplicates()
    h.addRows(
        fn.n,
        np.zeros(fn.n),
        np.zeros(fn.n),
        a.nnz,
        a.indptr[:-1].astype(np.int32),
        a.indices.astype(np.int32),
        a.data,
    )
    src = np.arange(m + k, ncol, dtype=np.int32)
    h.changeColsCost(o, src, -np.ones(o))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"HiGHS max flow: {h.modelStatusToString(h.getModelStatus())}")
    value = -float(h.getInfo().objective_function_value)
    ext_cost = np.concatenate([problem.route_arc_cost(), problem.route_sink_cost()])
    ext_cost = np.where(np.isfinite(ext_cost), ext_cost, 0.0)
    h.changeColsCost(o, src, np.zeros(o))
    h.changeColsCost(m + k, np.arange(m + k, dtype=np.int32), ext_cost)
    h.addRow(value, highspy.kHighsInf, o, src, np.ones(o))
    h.run()
    if h.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
        # phase 1's value is feasible to HiGHS's tolerance only: relax it by that much
        h.changeRowBounds(fn.n, value - 1e-7 * max(value, 1.0), highspy.kHighsInf)
        h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"HiGHS min-cost flow: {h.modelStatusToString(h.getModelStatus())}")
    f = np.clip(np.asarray(h.getSolution().col_value, dtype=float), 0.0, fn.cap)
    return _decompose(net, problem, fn, f, size)


def _decompose(
    net: Network, problem: Problem, fn: FlowNetwork, f: np.ndarray, size: int
) -> FlowResponse:
    m, k = fn.m, fn.k
    o = fn.cap.size - m - k
    eps = 1e-9 * max(float(f[m + k :].sum()), 1.0)
    f = np.where(f > eps, f, 0.0)
    cost = np.concatenate([problem.route_arc_cost(), problem.route_sink_cost()])
    money = np.concatenate([problem.arc_cost, problem.sink_cost])
    logs = np.concatenate([problem.arc_logsurv, problem.sink_logsurv])
    length = np.concatenate([net.length_m / 1000.0, np.zeros(k)])
    # out-arcs of each node in the flow's support
    order = np.argsort(fn.tail, kind="stable")
    indptr = np.searchsorted(fn.tail[order], np.arange(size + 1))
    rem = f.copy()
    ptr = indptr[:-1].copy()
    s, t = fn.n, fn.n + 1
    cancelled = np.zeros(fn.cap.size)
    shipped = np.zeros(o)
    c_sum, m_sum, l_sum, seized = (np.zeros(o) for _ in range(4))
    to_cross = np.zeros((o, k))
    cr_seized = np.zeros(k)

    def next_arc(v: int) -> int:
        while ptr[v] < indptr[v + 1]:
            e = int(order[ptr[v]])
            if rem[e] > eps:
                return e
            ptr[v] += 1
        return -1

    while True:
        e0 = next_arc(s)
        if e0 < 0:
            break
        path = [e0]
        pos = {s: 0, int(fn.head[e0]): 1}
        v = int(fn.head[e0])
        while v != t:
            e = next_arc(v)
            if e < 0:  # flow conservation violated by rounding: drop the remainder
                break
            w = int(fn.head[e])
            if w in pos:  # a cycle: cancel it and go on from where it began
                i0 = pos[w]
                cyc = np.array([*path[i0:], e], dtype=np.int64)
                c = rem[cyc].min()
                rem[cyc] -= c
                cancelled[cyc] += c
                for a_ in path[i0:]:
                    pos.pop(int(fn.head[a_]), None)
                path = path[:i0]
                v = w
                continue
            path.append(e)
            pos[w] = len(path)
            v = w
        arr = np.array(path, dtype=np.int64)
        x = float(rem[arr].min())
        rem[arr] -= x
        if v != t:  # a remainder that conservation (to rounding) does not carry on
            cancelled[arr] += x
            continue
        i = int(arr[0]) - m - k
        ext = arr[1:]
        shipped[i] += x
        c_sum[i] += x * float(cost[ext].sum())
        m_sum[i] += x * float(money[ext].sum())
        l_sum[i] += x * float(length[ext].sum())
        sz = x * -math.expm1(-float(logs[ext].sum()))
        seized[i] += sz
        j = int(arr[-1]) - m
        to_cross[i, j] += x
        cr_seized[j] += sz
    ok = shipped > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = lambda a: np.where(ok, a / np.where(ok, shipped, 1.0), np.inf)  # noqa: E731
        return FlowResponse(
            value=float(shipped.sum()),
            arc_flow=np.maximum(f - cancelled, 0.0),
            shipped=shipped,
            cost=mean(c_sum),
            money=mean(m_sum),
            seized=seized,
            length_km=np.where(ok, l_sum / np.where(ok, shipped, 1.0), np.nan),
            crossing=np.where(ok, to_cross.argmax(axis=1) if k else -1, -1),
            crossing_seized=cr_seized,
        )


def capacity_response(
    net: Network, problem: Problem, sites: Sites, units: np.ndarray
) -> tuple[float, RouteResult]:
    """Return the maximum flow under ``units`` and the traffickers' flows as a RouteResult.

    The value is :func:`max_flow_value` (the objective the solvers use); the flows are a
    least-cost maximum flow (:func:`min_cost_max_flow`), so every arc and crossing carries
    at most its capacity. In the RouteResult, ``problem.origin_volume_kg`` is the volume
    each origin gets through (the rest is stopped by the capacities and removals),
    ``origin_crossing`` the crossing taking most of it (-1: none) and ``origin_cost`` its
    flow-weighted cost per kg; ``tree`` holds the uncapacitated least-cost routes of the
    open network (what :meth:`RouteResult.path` follows).
    """
    import time

    from reten.models.interdiction.sites import apply_units
    from reten.models.routes import route_tree

    t0 = time.perf_counter()
    fn = flow_network(net, problem, sites, units)
    value = max_flow_value(fn)
    r = min_cost_max_flow(net, problem, fn)
    m, k = fn.m, fn.k
    shown = replace(problem, origin_volume_kg=r.shipped)
    closed = apply_units(problem, sites, units, remove=True)
    prov = dict(problem.provenance)
    prov.update(
        {
            "model": "capacity response (least-cost maximum flow, Wood 1993)",
            "seconds": time.perf_counter() - t0,
        }
    )
    route = RouteResult(
        origin_cost=r.cost,
        origin_money_cost=r.money,
        origin_crossing=r.crossing.astype(np.int64),
        origin_seized_kg=r.seized,
        origin_length_km=r.length_km,
        arc_flow_kg=r.arc_flow[:m],
        crossing_flow_kg=r.arc_flow[m : m + k],
        crossing_seized_kg=r.crossing_seized,
        unreachable=np.flatnonzero(r.crossing < 0),
        tree=route_tree(net, closed),
        problem=shown,
        provenance=prov,
    )
    return value, route
