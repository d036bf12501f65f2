"""Where to put K checkpoints: network interdiction with certified bounds.

Model
-----
A Stackelberg game: the defender commits integer units ``n_s`` on candidate sites
(``0 <= n_s <= u_s``, ``sum_s r_s n_s <= B``); the trafficker, who watches, best-responds.
Every unit at site ``s`` adds a delay ``d_s`` and a log-survival ``w_s = -ln(1 - p1)`` to each
arc the site covers, so detection on an arc with ``n`` units is ``1 - (1 - p1)^n`` and risk
stays additive along a path. Arcs here are the *extended* arcs: road arcs plus one arc per
crossing (from the crossing to the super-sink), so crossings are sites like any other.

Objectives (``v_o`` origin volume, ``P`` a route of origin ``o``):

``cost``      max_n  sum_o v_o min_P sum_{e in P} (c_e + rho w_e + (d + rho w)_e(n))
              the traffickers' least generalized cost (Israeli & Wood 2002, generalised to
              many origins through the super-sink);
``interception``  max_n  sum_o v_o (1 - exp(-min_P sum_{e in P} (w_e + w_e(n))))
              the trafficker takes the most reliable route (Morton, Pan & Saeger 2007) and
              the defender maximises the expected intercepted volume;
``capacity``  min_n  maxflow(origins -> crossings) with arcs covered by a unit removed
              (Wood 1993): a min-min problem with an exact single-level MILP.

Solvers
-------
``milp``: the single-level dual formulation (Israeli & Wood's MXSP dual: node potentials
``pi`` with ``pi_u - pi_v - sum_s g_s M_se n_s <= c_e``), in HiGHS; for ``interception`` with
tangent cuts of the concave objective refined until the bounds meet; Wood's formulation for
``capacity``. ``decomposition``: Benders / covering decomposition (Israeli & Wood 2002): a
master MILP over ``n`` with cuts ``z_o <= v_o (L(P_o) + sum_s g_s n_s |P_o cap s|)`` from the
trafficker's best-response tree at each master solution (one cut per origin, or one per
tree for many origins), plus tangent cuts for ``interception``. ``greedy``: units one at a
time by marginal value, then swaps; its bound is the LP relaxation of the dual MILP.
Every answer carries a lower and an upper bound on the optimum; the incumbent's value is
always re-evaluated by a fresh best-response solve.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numba
import numpy as np
import scipy.sparse as sp

from reten.errors import InputError
from reten.highs import quiet_highs
from reten.kernels.sptree import SPTree, sink_tree, tree_flows
from reten.network.model import Network
from reten.problem import Problem

OBJECTIVES = ("cost", "interception", "capacity")
SITE_KINDS = ("arcs", "nodes", "crossings", "regions")
METHODS = ("auto", "milp", "decomposition", "greedy")


@dataclass(frozen=True, eq=False)
class Sites:
    """Candidate sites: which extended arcs each covers and what one unit there does.

    ``incidence`` is (S, m + k) with 1 where site ``s`` covers extended arc ``e`` (road arcs
    first, then one arc per crossing). ``delay`` is in the problem's cost units per unit,
    ``logsurv`` is ``-ln(1 - p1)`` per unit, ``resource`` the budget a unit uses.
    """

    incidence: sp.csr_matrix
    resource: np.ndarray
    upper: np.ndarray
    delay: np.ndarray
    logsurv: np.ndarray
    label: np.ndarray
    kind: str = "arcs"

    @property
    def size(self) -> int:
        return int(self.resource.size)

    def subset(self, keep: np.ndarray) -> Sites:
        """Return the sites at positions ``keep``."""
        return Sites(
            self.incidence[keep],
            self.resource[keep],
            self.upper[keep],
            self.delay[keep],
            self.logsurv[keep],
            self.label[keep],
            self.kind,
        )


@dataclass(frozen=True, kw_only=True)
class InterdictionResult:
    """An allocation with its value and certified bounds.

    ``objective_value`` is the incumbent's value from a fresh best-response solve. For the
    ``cost`` and ``interception`` objectives (maximised) it is the lower bound; for
    ``capacity`` (minimised) it is the upper bound. ``log`` rows: (iteration, lower, upper,
    seconds).
    """

    objective: str
    method: str
    budget: float
    units: np.ndarray
    objective_value: float
    lower_bound: float
    upper_bound: float
    seconds: float
    status: str
    log: list[tuple[int, float, float, float]] = field(default_factory=list)
    sites: Sites | None = None

    @property
    def gap(self) -> float:
        """Relative gap between the bounds."""
        den = max(abs(self.upper_bound), abs(self.lower_bound), 1e-12)
        return (self.upper_bound - self.lower_bound) / den


# ----------------------------------------------------------------------------- sites


def build_sites(
    net: Network,
    problem: Problem,
    kind: str,
    *,
    delay: float,
    p_detect: float,
    max_units: int = 1,
    resource: float = 1.0,
    region_level: str | None = None,
) -> Sites:
    """Return the candidate sites of one kind.

    ``arcs``: each road (an arc and its reverse together; a one-way arc alone), labelled
    ``"source->target"`` in input node ids; per-arc ``delay`` and ``p_detect`` attributes of
    the network override the defaults. ``nodes``: each node, covering the arcs entering it.
    ``crossings``: each destination. ``regions``: each region of ``region_level`` (default
    the finest level), covering the arcs inside it.
    """
    if kind not in SITE_KINDS:
        raise InputError(f"sites '{kind}' unknown; valid: {', '.join(SITE_KINDS)}")
    if not 0 <= p_detect < 1:
        raise InputError(f"p_detect must be a number in [0, 1) (got {p_detect!r})")
    if delay < 0 or max_units < 1 or resource <= 0:
        raise InputError(
            f"delay must be >= 0 (got {delay!r}), max_units >= 1 (got {max_units!r}) and "
            f"resource > 0 (got {resource!r})"
        )
    m, k = net.n_arcs, problem.sink_node.size
    rows: list[np.ndarray] = []
    labels: list[str] = []
    d_site: list[float] = []
    w_site: list[float] = []
    w_default = -math.log1p(-p_detect)
    arc_delay = net.arc_attrs.get("delay")
    arc_p = net.arc_attrs.get("p_detect")
    keys = net.node_key
    if kind == "arcs":
        rev = net.arc_id(net.arc_target, net.arc_source)
        for e in range(m):
            r = int(rev[e])
            if r >= 0 and r < e:
                continue
            cover = np.array([e] if r < 0 else [e, r])
            rows.append(cover)
            labels.append(f"{keys[net.arc_source[e]]}->{keys[net.arc_target[e]]}")
            d_site.append(float(arc_delay[e]) if arc_delay is not None else delay)
            w_site.append(-math.log1p(-float(arc_p[e])) if arc_p is not None else w_default)
    elif kind == "nodes":
        for v in range(net.n_nodes):
            cover = net.rev_arc[net.rev_indptr[v] : net.rev_indptr[v + 1]].astype(np.int64)
            rows.append(cover)
            labels.append(str(keys[v]))
            d_site.append(delay)
            w_site.append(w_default)
    elif kind == "crossings":
        for j in range(k):
            rows.append(np.array([m + j]))
            labels.append(str(problem.sink_label[j] if problem.sink_label.size else j))
            d_site.append(delay)
            w_site.append(w_default)
    else:
        regs = net.regions
        if len(regs) == 0:
            raise InputError("sites='regions': the network has no regions")
        level = region_level or (
            "municipality" if (regs.level == "municipality").any() else str(regs.level[0])
        )
        src_region = net.node_region[net.arc_source]
        arc_region = np.where(net.arc_region >= 0, net.arc_region, src_region)
        anc = regs.ancestor_table(level)[arc_region]
        for r in regs.rows_at_level(level).tolist():
            rows.append(np.flatnonzero(anc == r))
            labels.append(str(regs.code[r]))
            d_site.append(delay)
            w_site.append(w_default)
    # keep sites that cover at least one live arc
    live = np.concatenate([np.isfinite(problem.arc_cost), np.isfinite(problem.sink_cost)])
    keep = [i for i, c in enumerate(rows) if c.size and live[c].any()]
    if not keep:
        raise InputError(f"sites='{kind}': no candidate site covers an open road or crossing")
    indptr = np.zeros(len(keep) + 1, dtype=np.int64)
    np.cumsum([rows[i].size for i in keep], out=indptr[1:])
    inc = sp.csr_matrix(
        (np.ones(int(indptr[-1])), np.concatenate([rows[i] for i in keep]), indptr),
        shape=(len(keep), m + k),
    )
    return Sites(
        incidence=inc,
        resource=np.full(len(keep), float(resource)),
        upper=np.full(len(keep), int(max_units), dtype=np.int64),
        delay=np.array([d_site[i] for i in keep]),
        logsurv=np.array([w_site[i] for i in keep]),
        label=np.array([labels[i] for i in keep], dtype=object),
        kind=kind,
    )


def apply_units(
    problem: Problem, sites: Sites, units: np.ndarray, *, remove: bool = False
) -> Problem:
    """Return ``problem`` with the units' delays and log-survivals added to its arcs.

    With ``remove`` (the capacity objective) a covered arc is closed instead.
    """
    from dataclasses import replace

    m = problem.arc_cost.size
    n = np.asarray(units, dtype=np.float64)
    if remove:
        hit = (sites.incidence.T @ (n > 0).astype(float)) > 0
        cost = np.concatenate([problem.arc_cost, problem.sink_cost])
        cost[hit] = np.inf
        return replace(problem, arc_cost=cost[:m], sink_cost=cost[m:])
    dc = sites.incidence.T @ (sites.delay * n)
    dw = sites.incidence.T @ (sites.logsurv * n)
    return replace(
        problem,
        arc_cost=problem.arc_cost + dc[:m],
        arc_logsurv=problem.arc_logsurv + dw[:m],
        sink_cost=problem.sink_cost + dc[m:],
        sink_logsurv=problem.sink_logsurv + dw[m:],
    )


# ----------------------------------------------------------------------------- follower


class _Follower:
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
        self.on = problem.origin_node[self.active]
        self.vol = problem.origin_volume_kg[self.active]
        self.evaluations = 0

    def arc_weights(self, units: np.ndarray) -> np.ndarray:
        return self.base + self.sites.incidence.T @ (self.gain * units)

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
        """Maximum volume that gets from the origins through open crossings (kg)."""
        from scipy.sparse.csgraph import maximum_flow

        net, p = self.net, self.problem
        k, n = p.sink_node.size, net.n_nodes
        total = float(p.origin_volume_kg.sum())
        cap = capacities(net, p)
        hit = (self.sites.incidence.T @ (np.asarray(units) > 0).astype(float)) > 0
        cap = np.where(hit, 0.0, cap)
        cap = np.where(np.isfinite(np.concatenate([p.arc_cost, p.sink_cost])), cap, 0.0)
        s, t = n, n + 1
        tail = np.concatenate([net.arc_source, p.sink_node, np.full(p.origin_node.size, s)])
        head = np.concatenate([net.arc_target, np.full(k, t), p.origin_node])
        c = np.concatenate([np.minimum(cap, total), p.origin_volume_kg])
        # integer capacities for SciPy: micro-kg while that fits comfortably in int64
        scale = 1e6 if total < 1e9 else 1.0
        ci = np.round(c * scale).astype(np.int64)
        g = sp.coo_matrix((ci, (tail, head)), shape=(n + 2, n + 2)).tocsr()
        g.sum_duplicates()
        return float(maximum_flow(g, s, t).flow_value) / scale


def capacities(net: Network, problem: Problem) -> np.ndarray:
    """Return extended-arc capacities, kg/month: road attribute ``capacity`` or
    ``capacity_kg`` (else unbounded), crossings from ``problem`` attribute if any."""
    m, k = net.n_arcs, problem.sink_node.size
    cap = np.full(m + k, np.inf)
    for name in ("capacity_kg", "capacity"):
        if name in net.arc_attrs:
            a = np.asarray(net.arc_attrs[name], dtype=float)
            cap[:m] = np.where(a > 0, a, np.inf)
            break
    if problem.sink_capacity.size == k:
        cap[m:] = problem.sink_capacity
    return cap


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


# ----------------------------------------------------------------------------- master


class _Master:
    """A HiGHS model over units n (and value variables) that grows by cuts."""

    def __init__(
        self, sites: Sites, budget: float, n_value: int, *, value_upper: float, integer: bool = True
    ) -> None:
        import highspy

        self.h = quiet_highs()
        self.hs = highspy
        self.S = sites.size
        self.n_value = n_value
        inf = highspy.kHighsInf
        h = self.h
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        for s in range(self.S):
            h.addVar(0.0, float(sites.upper[s]))
        for _ in range(n_value):
            h.addVar(-inf, value_upper)
        if integer:
            h.changeColsIntegrality(
                self.S,
                np.arange(self.S, dtype=np.int32),
                np.full(self.S, highspy.HighsVarType.kInteger),
            )
        h.addRow(
            -inf,
            float(budget),
            self.S,
            np.arange(self.S, dtype=np.int32),
            sites.resource.astype(np.float64),
        )
        self.set_objective(np.ones(n_value))

    def set_objective(self, weights: np.ndarray) -> None:
        c = np.concatenate([np.zeros(self.S), np.asarray(weights, dtype=np.float64)])
        self.h.changeColsCost(c.size, np.arange(c.size, dtype=np.int32), c)

    def set_budget(self, budget: float) -> None:
        self.h.changeRowBounds(0, -self.hs.kHighsInf, float(budget))

    def add_le(self, idx: np.ndarray, val: np.ndarray, rhs: float) -> None:
        self.h.addRow(
            -self.hs.kHighsInf,
            float(rhs),
            int(idx.size),
            idx.astype(np.int32),
            val.astype(np.float64),
        )

    def set_integer(self, integer: bool) -> None:
        kind = self.hs.HighsVarType.kInteger if integer else self.hs.HighsVarType.kContinuous
        self.h.changeColsIntegrality(
            self.S, np.arange(self.S, dtype=np.int32), np.full(self.S, kind)
        )

    def solve_relaxed(self, time_limit: float) -> tuple[np.ndarray, float, bool]:
        """Solve the LP relaxation; return (fractional units, LP bound, solved)."""
        h = self.h
        h.setOptionValue("time_limit", max(float(time_limit), 0.01))
        h.run()
        optimal = h.getModelStatus() == self.hs.HighsModelStatus.kOptimal
        x = np.asarray(h.getSolution().col_value)
        return x[: self.S].copy(), float(h.getInfo().objective_function_value), optimal

    def solve(
        self, time_limit: float, start: np.ndarray | None = None
    ) -> tuple[np.ndarray, float, bool]:
        """Return (units, upper bound, solved to optimality)."""
        h = self.h
        h.setOptionValue("time_limit", max(float(time_limit), 0.01))
        h.setOptionValue("mip_rel_gap", 1e-9)
        h.setOptionValue("mip_abs_gap", 1e-9)
        if start is not None:
            sol = self.hs.HighsSolution()
            x = np.zeros(self.S + self.n_value)
            x[: self.S] = start
            x[self.S :] = np.nan
            sol.col_value = list(np.nan_to_num(x, nan=0.0))
            h.setSolution(sol)
        h.run()
        status = h.getModelStatus()
        info = h.getInfo()
        optimal = status == self.hs.HighsModelStatus.kOptimal
        x = np.asarray(h.getSolution().col_value)
        if optimal:
            bound = float(info.objective_function_value)
        elif math.isfinite(info.mip_dual_bound):
            bound = float(info.mip_dual_bound)
        else:
            bound = math.inf
        units = np.round(x[: self.S]).astype(np.int64) if x.size else np.zeros(self.S, np.int64)
        return units, bound, optimal


# ----------------------------------------------------------------------------- solvers


def _phi(t: Any) -> Any:
    """1 - exp(-t): the interception probability of a route with log-survival t."""
    return -np.expm1(-np.asarray(t, dtype=float))


def optimize(
    net: Network,
    problem: Problem,
    sites: Sites,
    budget: float,
    *,
    objective: str = "cost",
    method: str = "auto",
    time_limit: float = 600.0,
    tol: float = 1e-6,
    warm: dict[str, Any] | None = None,
    start: np.ndarray | None = None,
) -> InterdictionResult:
    """Return the best allocation of units found, with lower and upper bounds.

    ``warm``: a dict shared by successive calls with growing budgets (the marginal-value
    curve); the decomposition stores its cuts there and reuses them. ``start``: a feasible
    allocation to start from (the previous budget's incumbent).
    """
    if objective not in OBJECTIVES:
        raise InputError(f"objective '{objective}' unknown; valid: {', '.join(OBJECTIVES)}")
    if method not in METHODS:
        raise InputError(f"method '{method}' unknown; valid: {', '.join(METHODS)}")
    if not budget > 0:
        raise InputError(f"budget must be a positive number of units (got {budget!r})")
    if (sites.resource > budget).all():
        raise InputError(f"budget {budget:g} is smaller than the cost of any single unit")
    t0 = time.perf_counter()
    fol = _Follower(net, problem, sites, objective)
    if fol.on.size == 0:
        raise InputError("no origin reaches an open crossing; nothing to interdict")
    if objective == "capacity":
        res = _wood_milp(fol, sites, budget, time_limit)
    elif method == "greedy":
        res = _greedy_with_bound(fol, sites, budget, time_limit, objective)
    elif method == "milp":
        res = _dual_milp(fol, sites, budget, time_limit, objective, tol)
    else:
        if objective == "cost":
            res = _covering(fol, sites, budget, time_limit, tol, start)
        else:
            res = _benders(fol, sites, budget, time_limit, objective, tol, warm, start)
    return replace(res, seconds=time.perf_counter() - t0, sites=sites, budget=budget)


def _route_sites(fol: _Follower, sites: Sites, tree: SPTree) -> np.ndarray:
    """Sites that cover an arc or crossing used by the best response (all for capacity)."""
    if fol.objective == "capacity":
        return np.arange(sites.size)
    node_vol = np.zeros(fol.net.n_nodes)
    np.add.at(node_vol, fol.on, fol.vol)
    _, flow = tree_flows(tree, node_vol, fol.m)
    used = np.concatenate([flow > 0, np.zeros(fol.base.size - fol.m, bool)])
    used[fol.m + tree.root[fol.on]] = True
    return np.flatnonzero((sites.incidence @ used.astype(float)) > 0)


def _greedy(
    fol: _Follower, sites: Sites, budget: float, deadline: float, start: np.ndarray | None = None
) -> tuple[np.ndarray, float, list[SPTree]]:
    """Units one at a time by best marginal value per resource, then improving swaps."""
    n = np.zeros(sites.size, np.int64) if start is None else start.copy()
    val, tree = fol.evaluate(n)
    trees = [tree]

    def candidates(tree: SPTree) -> np.ndarray:
        return _route_sites(fol, sites, tree)

    while time.perf_counter() < deadline:
        spent = float(sites.resource @ n)
        best, best_gain = -1, 0.0
        for s in candidates(tree).tolist():
            if n[s] >= sites.upper[s] or spent + sites.resource[s] > budget + 1e-9:
                continue
            n[s] += 1
            v, _ = fol.evaluate(n)
            n[s] -= 1
            gain = (v - val) / sites.resource[s]
            if gain > best_gain + 1e-12:
                best, best_gain = s, gain
        if best < 0:
            break
        n[best] += 1
        val, tree = fol.evaluate(n)
        trees.append(tree)
    # swap local search: move one unit to another candidate if it helps
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for s in np.flatnonzero(n).tolist():
            for t in candidates(tree).tolist():
                if t == s or n[t] >= sites.upper[t]:
                    continue
                if sites.resource @ n - sites.resource[s] + sites.resource[t] > budget + 1e-9:
                    continue
                n[s] -= 1
                n[t] += 1
                v, tr = fol.evaluate(n)
                if v > val + 1e-9 * max(1.0, abs(val)):
                    val, tree = v, tr
                    trees.append(tr)
                    improved = True
                    break
                n[s] += 1
                n[t] -= 1
            if improved or time.perf_counter() >= deadline:
                break
    return n, val, trees


def _greedy_with_bound(
    fol: _Follower, sites: Sites, budget: float, time_limit: float, objective: str
) -> InterdictionResult:
    t0 = time.perf_counter()
    n, val, _ = _greedy(fol, sites, budget, t0 + time_limit * 0.5)
    lp = _dual_milp(
        fol,
        sites,
        budget,
        max(time_limit - (time.perf_counter() - t0), 1.0),
        objective,
        1e-6,
        relax=True,
    )
    ub = max(lp.upper_bound, val)
    log = [(1, val, ub, time.perf_counter() - t0)]
    status = "optimal" if ub - val <= 1e-6 * max(1.0, abs(ub)) else "feasible"
    return InterdictionResult(
        objective=objective,
        method="greedy",
        budget=budget,
        units=n,
        objective_value=val,
        lower_bound=val,
        upper_bound=ub,
        seconds=0.0,
        status=status,
        log=log,
    )


def _benders(
    fol: _Follower,
    sites: Sites,
    budget: float,
    time_limit: float,
    objective: str,
    tol: float,
    warm: dict[str, Any] | None,
    start: np.ndarray | None = None,
) -> InterdictionResult:
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    o = fol.on.size
    per_origin = objective == "interception" or o <= 64
    nval = o if per_origin else 1
    vol = fol.vol
    if objective == "interception":
        # variables: units, then psi_o (value), then theta_o (log-survival)
        master = _Master(sites, budget, 2 * o, value_upper=1.0)
        master.set_objective(np.concatenate([vol, np.zeros(o)]))
        S = sites.size
        big = 50.0
        for i in range(o):  # theta_o has no natural upper bound; cap it far above use
            master.h.changeColBounds(S + o + i, 0.0, big)
        tangents: set[tuple[int, float]] = set()

        def add_tangent(i: int, t: float) -> None:
            t = round(float(t), 9)
            if (i, t) in tangents:
                return
            tangents.add((i, t))
            # psi_i <= phi(t) + phi'(t) (theta_i - t)
            slope = math.exp(-t)
            master.add_le(
                np.array([S + i, S + o + i]), np.array([1.0, -slope]), float(_phi(t)) - slope * t
            )

        for i in range(o):
            for t in (0.0, 0.05, 0.2, 0.5, 1.0, 2.0, 4.0):
                add_tangent(i, t)
    else:
        master = _Master(sites, budget, nval, value_upper=np.inf)
        master.set_objective(np.ones(nval) if per_origin else np.ones(1))
        S = sites.size
    if warm is not None and warm.get("key") == (objective, id(sites)):
        for row in warm["cuts"]:
            master.add_le(*row)
    cuts: list[tuple[np.ndarray, np.ndarray, float]] = []
    seen: set[bytes] = set()

    def add_cuts(tree: SPTree) -> None:
        length, counts = fol.path_coefficients(tree)
        for i in range(o) if nval > 1 or objective == "interception" else [0]:
            if objective == "interception":
                row = counts.getrow(i)
                idx = np.concatenate([[S + o + i], row.indices])
                val = np.concatenate([[1.0], -fol.gain[row.indices] * row.data])
                rhs = float(length[i])
            elif nval > 1:
                row = counts.getrow(i)
                idx = np.concatenate([[S + i], row.indices])
                val = np.concatenate([[1.0], -vol[i] * fol.gain[row.indices] * row.data])
                rhs = float(vol[i] * length[i])
            else:
                agg = (sp.csr_matrix(vol) @ counts).tocsr()
                idx = np.concatenate([[S], agg.indices])
                val = np.concatenate([[1.0], -fol.gain[agg.indices] * agg.data])
                rhs = float(vol @ length)
            key = idx.tobytes() + val.round(12).tobytes() + np.float64(rhs).tobytes()
            if key in seen:
                continue
            seen.add(key)
            master.add_le(idx, val, rhs)
            cuts.append((idx, val, rhs))

    # warm start: the greedy's trees give the first cuts and the first incumbent
    g_n, g_val, trees = _greedy(fol, sites, budget, t0 + min(time_limit * 0.25, 30.0), start=start)
    best_n, lb = g_n, g_val
    for tr in trees:
        add_cuts(tr)
        if objective == "interception":
            for i, d in enumerate(tr.dist[fol.on]):
                if math.isfinite(d):
                    add_tangent(i, d)
    ub = math.inf
    log: list[tuple[int, float, float, float]] = []
    status = "time_limit"
    # phase 1: Kelley's cutting planes on the LP relaxation of the master. Cuts from the
    # trafficker's response to fractional units are valid for every allocation, cheap to
    # find, and leave the integer master far fewer iterations (the "LP phase" of Benders).
    master.set_integer(False)
    lp_prev = math.inf
    for _ in range(400):
        if time.perf_counter() > t0 + 0.5 * time_limit:
            break
        x_frac, bound, optimal = master.solve_relaxed(deadline - time.perf_counter())
        if not optimal:
            break
        val, tree = fol.evaluate(x_frac)
        add_cuts(tree)
        if objective == "interception":
            for i, d in enumerate(tree.dist[fol.on]):
                if math.isfinite(d):
                    add_tangent(i, d)
        if (
            bound - val <= 1e-6 * max(1.0, abs(bound))
            or abs(lp_prev - bound) <= 1e-9 * max(1.0, abs(bound))
            and bound - val <= 1e-3 * max(1.0, abs(bound))
        ):
            break
        lp_prev = bound
    master.set_integer(True)
    it = 0
    while True:
        it += 1
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            break
        n_hat, bound, optimal = master.solve(remaining, start=best_n)
        ub = min(ub, bound) if optimal or math.isfinite(bound) else ub
        val, tree = fol.evaluate(n_hat)
        if val > lb:
            lb, best_n = val, n_hat
        log.append((it, lb, ub, time.perf_counter() - t0))
        if ub - lb <= tol * max(1.0, abs(ub)):
            status = "optimal"
            break
        if not optimal:
            break  # the master hit the time limit: its bound is still valid
        add_cuts(tree)
        if objective == "interception":
            x = np.asarray(master.h.getSolution().col_value)
            for i in range(o):
                add_tangent(i, x[S + o + i])
                d = tree.dist[fol.on[i]]
                if math.isfinite(d):
                    add_tangent(i, d)
    if warm is not None:
        warm["key"] = (objective, id(sites))
        warm.setdefault("cuts", []).extend(cuts)
    ub = max(ub, lb)
    return InterdictionResult(
        objective=objective,
        method="decomposition",
        budget=budget,
        units=best_n,
        objective_value=lb,
        lower_bound=lb,
        upper_bound=ub,
        seconds=0.0,
        status=status,
        log=log,
    )


def _covering(
    fol: _Follower,
    sites: Sites,
    budget: float,
    time_limit: float,
    tol: float,
    start: np.ndarray | None = None,
) -> InterdictionResult:
    """Israeli & Wood's covering decomposition for the ``cost`` objective.

    Given the incumbent value ``z``, the master looks for the cheapest allocation (in
    resources) whose every known route costs at least ``z + eps`` for the traffickers:
    ``sum_o v_o (L(P_o) + sum_s g_s n_s |P_o cap s|) >= z + eps`` for every stored response
    (one row per response tree, or per origin for few origins). If that needs more than
    the budget, no allocation beats ``z`` by ``eps`` and the incumbent is optimal; otherwise
    the allocation is evaluated, either improving the incumbent or adding its response.
    """
    import highspy

    t0 = time.perf_counter()
    deadline = t0 + time_limit
    S, o = sites.size, fol.on.size
    per_origin = o <= 64
    inf = highspy.kHighsInf
    h = quiet_highs()
    for s_ in range(S):
        h.addVar(0.0, float(sites.upper[s_]))
    nz = o if per_origin else 1
    for _ in range(nz):
        h.addVar(-inf, inf)
    h.changeColsIntegrality(
        S, np.arange(S, dtype=np.int32), np.full(S, highspy.HighsVarType.kInteger)
    )
    h.changeColsCost(S, np.arange(S, dtype=np.int32), sites.resource.astype(np.float64))
    # sum of value variables >= target (row 0; its bound moves with the incumbent)
    h.addRow(0.0, inf, nz, np.arange(S, S + nz, dtype=np.int32), np.ones(nz))
    seen: set[bytes] = set()

    def add_cuts(tree: SPTree) -> None:
        length, counts = fol.path_coefficients(tree)
        rows = range(o) if per_origin else [0]
        for i in rows:
            if per_origin:
                row = counts.getrow(i)
                idx = np.concatenate([[S + i], row.indices])
                val = np.concatenate([[1.0], -fol.vol[i] * fol.gain[row.indices] * row.data])
                rhs = float(fol.vol[i] * length[i])
            else:
                agg = (sp.csr_matrix(fol.vol) @ counts).tocsr()
                idx = np.concatenate([[S], agg.indices])
                val = np.concatenate([[1.0], -fol.gain[agg.indices] * agg.data])
                rhs = float(fol.vol @ length)
            key = idx.tobytes() + val.round(12).tobytes() + np.float64(rhs).tobytes()
            if key not in seen:
                seen.add(key)
                h.addRow(-inf, rhs, int(idx.size), idx.astype(np.int32), val)

    probe_limit = 60
    best_n, lb, trees = _greedy(fol, sites, budget, t0 + min(0.25 * time_limit, 30.0), start)
    for tr in trees:
        add_cuts(tr)
    # an upper bound that holds at any time: the LP relaxation of the dual MILP
    lp = _dual_milp(
        fol, sites, budget, max(min(0.1 * time_limit, 60.0), 0.1), "cost", tol, relax=True
    )
    ub = max(lp.upper_bound, lb) if math.isfinite(lp.upper_bound) else math.inf
    log = [(0, lb, ub, time.perf_counter() - t0)]
    status = "time_limit"
    it = 0
    while time.perf_counter() < deadline:
        it += 1
        eps = max(tol * max(1.0, abs(lb)), 1e-9)
        target = lb + eps
        h.changeRowBounds(0, target, inf)
        h.setOptionValue("time_limit", max(deadline - time.perf_counter(), 0.01))
        h.setOptionValue("mip_rel_gap", 0.0)
        h.run()
        st = h.getModelStatus()
        if st == highspy.HighsModelStatus.kInfeasible:
            ub = min(ub, target)
            status = "optimal"
            log.append((it, lb, ub, time.perf_counter() - t0))
            break
        if st != highspy.HighsModelStatus.kOptimal:
            break
        used = float(h.getInfo().objective_function_value)
        if used > budget + 1e-9:
            ub = min(ub, target)  # reaching the target needs more than the budget
            status = "optimal"
            log.append((it, lb, ub, time.perf_counter() - t0))
            break
        x = np.asarray(h.getSolution().col_value)
        n_hat = np.round(x[:S]).astype(np.int64)
        val, tree = fol.evaluate(n_hat)
        if val > lb:
            lb, best_n = val, n_hat
        add_cuts(tree)
        # look one unit ahead: the responses to n_hat plus one unit on a site of the current
        # response are the routes the next masters would discover one by one
        for s_ in _route_sites(fol, sites, tree)[:probe_limit].tolist():
            if n_hat[s_] >= sites.upper[s_] or time.perf_counter() >= deadline:
                continue
            n_hat[s_] += 1
            v2, t2 = fol.evaluate(n_hat)
            if v2 > lb and sites.resource @ n_hat <= budget + 1e-9:
                lb, best_n = v2, n_hat.copy()
            n_hat[s_] -= 1
            add_cuts(t2)
        log.append((it, lb, ub, time.perf_counter() - t0))
    ub = max(ub, lb)
    return InterdictionResult(
        objective="cost",
        method="decomposition",
        budget=budget,
        units=best_n,
        objective_value=lb,
        lower_bound=lb,
        upper_bound=ub,
        seconds=0.0,
        status=status,
        log=log,
    )


def _dual_milp(
    fol: _Follower,
    sites: Sites,
    budget: float,
    time_limit: float,
    objective: str,
    tol: float,
    relax: bool = False,
) -> InterdictionResult:
    """The single-level dual formulation in HiGHS (``relax``: its LP relaxation)."""
    import highspy

    t0 = time.perf_counter()
    net = fol.net
    n, S = net.n_nodes, sites.size
    k = fol.problem.sink_node.size
    o = fol.on.size
    inf = highspy.kHighsInf
    h = quiet_highs()
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    # columns: n_s (S), pi_v (n nodes + super-sink t), then for interception psi_o (o)
    for s in range(S):
        h.addVar(0.0, float(sites.upper[s]))
    for _ in range(n):
        h.addVar(-inf, inf)
    h.addVar(0.0, 0.0)  # pi_t = 0
    tcol = S + n
    if not relax:
        h.changeColsIntegrality(
            S, np.arange(S, dtype=np.int32), np.full(S, highspy.HighsVarType.kInteger)
        )
    h.addRow(-inf, float(budget), S, np.arange(S, dtype=np.int32), sites.resource)
    tail = np.concatenate([net.arc_source, fol.problem.sink_node])
    head_col = np.concatenate([S + net.arc_target, np.full(k, tcol)])
    inc_t = sites.incidence.T.tocsr()
    live = np.flatnonzero(np.isfinite(fol.base))
    # pi_u - pi_head - sum_s gain_s M_se n_s <= base_e, as one batch of rows
    starts, idx_all, val_all = [0], [], []
    for e in live.tolist():
        row = inc_t.getrow(e)
        idx = np.concatenate([[S + tail[e], head_col[e]], row.indices])
        coef = np.concatenate([[1.0, -1.0], -fol.gain[row.indices] * row.data])
        idx_all.append(idx)
        val_all.append(coef)
        starts.append(starts[-1] + idx.size)
    h.addRows(
        live.size,
        np.full(live.size, -inf),
        fol.base[live],
        int(starts[-1]),
        np.array(starts[:-1], dtype=np.int32),
        np.concatenate(idx_all).astype(np.int32),
        np.concatenate(val_all),
    )
    pi_cols = S + fol.on
    if objective == "cost":
        cost = np.zeros(S + n + 1)
        np.add.at(cost, pi_cols, fol.vol)
        h.changeColsCost(cost.size, np.arange(cost.size, dtype=np.int32), cost)
    else:
        base_cols = S + n + 1
        for _ in range(o):
            h.addVar(-inf, 1.0)
        cost = np.concatenate([np.zeros(S + n + 1), fol.vol])
        h.changeColsCost(cost.size, np.arange(cost.size, dtype=np.int32), cost)
        # pi of an origin is its log-survival distance; psi_o <= tangents of 1 - exp(-pi_o)
        for i in range(o):
            for t in (0.0, 0.05, 0.2, 0.5, 1.0, 2.0, 4.0):
                slope = math.exp(-t)
                h.addRow(
                    -inf,
                    float(_phi(t)) - slope * t,
                    2,
                    np.array([base_cols + i, pi_cols[i]], dtype=np.int32),
                    np.array([1.0, -slope]),
                )
        # potentials are bounded by the route lengths; cap pi of origins to keep it bounded
    log: list[tuple[int, float, float, float]] = []
    lb, ub, best = -math.inf, math.inf, np.zeros(S, np.int64)
    status = "time_limit"
    for it in range(1, 1000):
        remaining = time_limit - (time.perf_counter() - t0)
        if remaining <= 0:
            break
        h.setOptionValue("time_limit", remaining)
        h.setOptionValue("mip_rel_gap", 1e-9)
        h.run()
        st = h.getModelStatus()
        info = h.getInfo()
        optimal = st == highspy.HighsModelStatus.kOptimal
        x = np.asarray(h.getSolution().col_value)
        if optimal:
            bound = float(info.objective_function_value)
        elif relax:
            bound = math.inf  # an unfinished LP proves nothing
        else:
            bound = float(info.mip_dual_bound)
        if math.isfinite(bound):
            ub = min(ub, bound)
        n_hat = np.floor(x[:S] + 1e-6).astype(np.int64) if x.size else best
        if relax:
            n_hat = np.zeros(S, np.int64)
        val, _ = fol.evaluate(n_hat)
        if val > lb:
            lb, best = val, n_hat
        log.append((it, lb, ub, time.perf_counter() - t0))
        if objective == "cost" or relax or not optimal:
            if optimal and objective == "cost":
                status = "optimal"
            break
        if ub - lb <= tol * max(1.0, abs(ub)):
            status = "optimal"
            break
        # refine the tangents at the solution's potentials
        for i in range(o):
            t = float(x[pi_cols[i]])
            slope = math.exp(-t)
            h.addRow(
                -inf,
                float(_phi(t)) - slope * t,
                2,
                np.array([base_cols + i, pi_cols[i]], dtype=np.int32),
                np.array([1.0, -slope]),
            )
    ub = max(ub, lb)
    return InterdictionResult(
        objective=objective,
        method="milp" if not relax else "lp",
        budget=budget,
        units=best,
        objective_value=lb,
        lower_bound=lb,
        upper_bound=ub,
        seconds=0.0,
        status=status,
        log=log,
    )


def _wood_milp(
    fol: _Follower, sites: Sites, budget: float, time_limit: float
) -> InterdictionResult:
    """Max-flow interdiction (Wood 1993): min sum_e u_e beta_e over cuts and removals."""
    import highspy

    t0 = time.perf_counter()
    net, p = fol.net, fol.problem
    n, S, m = net.n_nodes, sites.size, fol.m
    k, o = p.sink_node.size, p.origin_node.size
    total = float(p.origin_volume_kg.sum())
    cap = np.minimum(capacities(net, p), total)
    live_ext = np.isfinite(np.concatenate([p.arc_cost, p.sink_cost]))
    inf = highspy.kHighsInf
    h = quiet_highs()
    # columns: x_s (S, binary: a unit removes the site's arcs), alpha_v (n + 2: s, t),
    # beta_e (m + k extended + o source arcs), gamma_e (m + k)
    for _ in range(S):
        h.addVar(0.0, 1.0)
    for _ in range(n + 2):
        h.addVar(0.0, 1.0)
    a_s, a_t = S + n, S + n + 1
    h.changeColBounds(a_s, 0.0, 0.0)
    h.changeColBounds(a_t, 1.0, 1.0)
    nb = m + k + o
    b0 = S + n + 2
    for _ in range(nb):
        h.addVar(0.0, 1.0)
    g0 = b0 + nb
    for _ in range(m + k):
        h.addVar(0.0, 1.0)
    h.changeColsIntegrality(
        S, np.arange(S, dtype=np.int32), np.full(S, highspy.HighsVarType.kInteger)
    )
    cost = np.zeros(g0 + m + k)
    cost[b0 : b0 + m + k] = np.where(live_ext, cap, 0.0)
    cost[b0 + m + k : b0 + nb] = p.origin_volume_kg
    h.changeColsCost(cost.size, np.arange(cost.size, dtype=np.int32), cost)
    h.addRow(-inf, float(budget), S, np.arange(S, dtype=np.int32), sites.resource)
    tail = np.concatenate([net.arc_source, p.sink_node, np.full(o, -1)])
    head = np.concatenate([net.arc_target, np.full(k, -2), p.origin_node])

    def col(v: int) -> int:
        return a_s if v == -1 else a_t if v == -2 else S + v

    for e in range(m + k + o):
        # alpha_tail - alpha_head + beta_e + gamma_e >= 0  (gamma only on interdictable arcs):
        # an arc from the source side (alpha 0) to the sink side (alpha 1) is cut or removed
        cols = [col(int(tail[e])), col(int(head[e])), b0 + e]
        coef = [1.0, -1.0, 1.0]
        if e < m + k:
            cols.append(g0 + e)
            coef.append(1.0)
        h.addRow(0.0, inf, len(cols), np.array(cols, dtype=np.int32), np.array(coef))
    inc_t = sites.incidence.T.tocsr()
    for e in range(m + k):  # gamma_e <= sum_s M_se x_s
        row = inc_t.getrow(e)
        gcols = np.concatenate([[g0 + e], row.indices]).astype(np.int32)
        h.addRow(-inf, 0.0, gcols.size, gcols, np.concatenate([[1.0], -row.data]))
    h.setOptionValue("time_limit", max(time_limit, 0.01))
    h.setOptionValue("mip_rel_gap", 1e-9)
    h.run()
    info = h.getInfo()
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    x = np.asarray(h.getSolution().col_value)
    units = np.round(x[:S]).astype(np.int64) if x.size else np.zeros(S, np.int64)
    val = fol.max_flow(units)
    lower = float(info.objective_function_value) if optimal else float(info.mip_dual_bound)
    lower = min(lower, val)
    log = [(1, lower, val, time.perf_counter() - t0)]
    status = (
        "optimal"
        if optimal and val - lower <= 1e-6 * max(1.0, val)
        else ("optimal" if optimal else "time_limit")
    )
    if optimal:
        lower = val
    return InterdictionResult(
        objective="capacity",
        method="milp",
        budget=budget,
        units=units,
        objective_value=val,
        lower_bound=lower,
        upper_bound=val,
        seconds=0.0,
        status=status,
        log=log,
    )


def marginal_curve(
    net: Network,
    problem: Problem,
    sites: Sites,
    kmax: int,
    *,
    objective: str = "cost",
    method: str = "auto",
    time_limit: float = 600.0,
) -> list[InterdictionResult]:
    """Return one result per budget K = 1..kmax, each warm-started from the previous one's
    cuts and incumbent, so the lower bounds never decrease with K."""
    warm: dict[str, Any] = {}
    out: list[InterdictionResult] = []
    start = None
    for k in range(1, kmax + 1):
        r = optimize(
            net,
            problem,
            sites,
            float(k),
            objective=objective,
            method=method,
            time_limit=time_limit / kmax,
            warm=warm,
            start=start,
        )
        out.append(r)
        start = r.units
    return out


def brute_force(
    net: Network, problem: Problem, sites: Sites, budget: float, objective: str
) -> tuple[float, np.ndarray]:
    """Return the optimum by enumerating every allocation (tiny instances only)."""
    fol = _Follower(net, problem, sites, objective)
    best_val = math.inf if objective == "capacity" else -math.inf
    best = np.zeros(sites.size, np.int64)
    for alloc in itertools.product(*[range(int(u) + 1) for u in sites.upper]):
        n = np.array(alloc, dtype=np.int64)
        if sites.resource @ n > budget + 1e-9:
            continue
        v, _ = fol.evaluate(n)
        if (v < best_val) if objective == "capacity" else (v > best_val):
            best_val, best = v, n
    return best_val, best
