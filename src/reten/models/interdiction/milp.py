"""Single-level MILPs: Israeli & Wood's dual (MXSP) formulation and Wood's max-flow one."""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from reten import clock
from reten.highs import EXACT_TOL, quiet_highs
from reten.models.interdiction.follower import Follower, capacities
from reten.models.interdiction.result import InterdictionResult, LogRow, _phi, bounds_met, log_row
from reten.models.interdiction.sites import Sites


def dual_milp(
    fol: Follower,
    sites: Sites,
    budget: float,
    time_limit: float,
    objective: str,
    tol: float,
    relax: bool = False,
) -> InterdictionResult:
    """The single-level dual formulation in HiGHS (``relax``: its LP relaxation)."""
    import highspy

    t0 = clock.now()
    net = fol.net
    n, S = net.n_nodes, sites.size
    k = fol.problem.sink_node.size
    o = fol.on.size
    inf = highspy.kHighsInf
    h = quiet_highs()
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    # columns: n_s (S), pi_v (n nodes + super-sink t), then for interception psi_o (o)
    h.addVars(
        S + n + 1,
        np.concatenate([np.zeros(S), np.full(n, -inf), [0.0]]),
        np.concatenate([sites.upper.astype(np.float64), np.full(n, inf), [0.0]]),
    )  # pi_t = 0
    tcol = S + n
    if not relax:
        h.changeColsIntegrality(
            S, np.arange(S, dtype=np.int32), np.full(S, highspy.HighsVarType.kInteger)
        )
    h.addRow(-inf, float(budget), S, np.arange(S, dtype=np.int32), sites.resource)
    tail = np.concatenate([net.arc_source, fol.problem.sink_node])
    head_col = np.concatenate([S + net.arc_target, np.full(k, tcol)])
    live = np.flatnonzero(np.isfinite(fol.base))
    # pi_u - pi_head - sum_s gain_s M_se n_s <= base_e, one row per live extended arc,
    # built as one sparse matrix (columns: units, then potentials)
    ncol = S + n + 1
    inc_t = (sites.incidence.T.tocsr()[live] @ sp.diags(-fol.gain)).tocsr()
    pot = sp.csr_matrix(
        (
            np.tile([1.0, -1.0], live.size),
            np.stack([S + tail[live], head_col[live]], axis=1).ravel(),
            np.arange(0, 2 * live.size + 1, 2),
        ),
        shape=(live.size, ncol),
    )
    rows_m = (sp.hstack([inc_t, sp.csr_matrix((live.size, ncol - S))]) + pot).tocsr()
    rows_m.sum_duplicates()
    rows_m.eliminate_zeros()
    h.addRows(
        live.size,
        np.full(live.size, -inf),
        fol.base[live],
        int(rows_m.nnz),
        rows_m.indptr[:-1].astype(np.int32),
        rows_m.indices.astype(np.int32),
        rows_m.data.astype(np.float64),
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
    log: list[LogRow] = []
    lb, ub, best = -math.inf, math.inf, np.zeros(S, np.int64)
    status = "time_limit"
    exact = False
    for it in range(1, 1000):
        remaining = time_limit - (clock.now() - t0)
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
            if not relax and math.isfinite(info.mip_dual_bound):
                bound = max(bound, float(info.mip_dual_bound))
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
        log.append(log_row(it, lb, ub, clock.now() - t0, "milp" if not relax else "lp"))
        if bounds_met(lb, ub, tol) and optimal and not relax:
            status = "optimal"
            break
        if relax or not optimal:
            break
        if not exact:
            # HiGHS's optimum and the incumbent's re-evaluated value differ by more than
            # the tolerance: rows met only within HiGHS's default feasibility tolerance
            # (1e-6, absolute) made a wrong allocation look best (roads of length 0, costs
            # at the scale of the tolerance). Solve again with tolerances far below it.
            h.setOptionValue("primal_feasibility_tolerance", EXACT_TOL)
            h.setOptionValue("mip_feasibility_tolerance", EXACT_TOL)
            exact = True
            continue
        if objective == "cost":
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
    return InterdictionResult.incumbent(
        objective=objective,
        method="milp" if not relax else "lp",
        budget=budget,
        units=best,
        lower_bound=lb,
        upper_bound=ub,
        status=status,
        log=log,
    )


def wood_milp(fol: Follower, sites: Sites, budget: float, time_limit: float) -> InterdictionResult:
    """Max-flow interdiction (Wood 1993): min sum_e u_e beta_e over cuts and removals."""
    import highspy

    t0 = clock.now()
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
    h.setOptionValue("mip_rel_gap", 1e-9)
    for exact in (False, True):
        if exact:
            # HiGHS's optimum and the allocation's max flow differ by more than the
            # tolerance: solve again with feasibility tolerances far below it
            h.setOptionValue("primal_feasibility_tolerance", EXACT_TOL)
            h.setOptionValue("mip_feasibility_tolerance", EXACT_TOL)
        h.setOptionValue("time_limit", max(time_limit - (clock.now() - t0), 0.01))
        h.run()
        info = h.getInfo()
        optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        x = np.asarray(h.getSolution().col_value)
        units = np.round(x[:S]).astype(np.int64) if x.size else np.zeros(S, np.int64)
        val = fol.max_flow(units)
        lower = float(info.mip_dual_bound) if math.isfinite(info.mip_dual_bound) else 0.0
        if optimal:
            lower = min(lower, float(info.objective_function_value))
        lower = max(min(lower, val), 0.0)
        if not optimal or bounds_met(lower, val, 1e-6):
            break
    log = [log_row(1, lower, val, clock.now() - t0, "milp", minimise=True)]
    status = "optimal" if optimal and bounds_met(lower, val, 1e-6) else "time_limit"
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
