"""How hard the last step of a 20x40 grid proof is, for every open solver (issue 10).

reten's covering decomposition ends by proving that no allocation within the budget meets
every stored route's row at the target ``T = z* + eps``: a set-cover-like MILP (for the
Israeli & Wood grid 20x40, B = 8, seed 4: ~2,700 rows, ~1,500 sites). This script rebuilds
that final master from the decomposition's own stored routes (``optimize(..., warm=...)``)
and hands the same question to:

- HiGHS (what reten uses), as reten asks it, under three random seeds;
- SCIP (``pyscipopt``) and OR-Tools CP-SAT (``ortools``), when installed (they are not
  reten dependencies: ``pip install pyscipopt ortools`` to include them);

and reports the LP bounds that any LP-based proof starts from:

- the LP relaxation of the final master (its stored routes);
- the LP over **every** route shorter than ``T``, with every cover inequality of every
  route's knapsack row: the resource-expanded ("layered") network whose states are
  (node, integer cost so far), which only integer data allow. Its 0-1 reachability
  formulation is exact, so its LP is the strongest bound a route-based covering master can
  have.

When every bound sits far below the least cover, the proof must branch, whatever the
master's rows; the times say how long the open solvers take to do so on this machine.
``RETEN_BENCH_CERT`` picks the instance (``"20x40:8:4"``: size, budget, seed) and
``RETEN_BENCH_CERT_LIMIT_S`` the limit of each solver (default 200 s).
"""

from __future__ import annotations

import math
import os
import sys
import time
from typing import Any

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, os.path.dirname(__file__))
from common import in_fresh_process, table  # noqa: E402


def _final_master(rows: int, cols: int, budget: int, seed: int) -> dict[str, Any]:
    """Solve the grid by the decomposition and return its final covering master's rows."""
    from grids import grid_instance, grid_sites
    from reten.models.interdiction import optimize
    from reten.models.interdiction.decomposition import _dominated, _knapsack_rows

    net, p = grid_instance(rows, cols, seed=seed)
    sites = grid_sites(net, p)
    warm: dict[str, Any] = {}
    t0 = time.perf_counter()
    r = optimize(
        net, p, sites, budget, objective="cost", method="decomposition", time_limit=600, warm=warm
    )
    seconds = time.perf_counter() - t0
    knap_c, knap_a, _ = warm["cover_rows"]
    z = float(r.objective_value)
    target = z + max(1e-6 * max(1.0, abs(z)), 1e-9)  # as the decomposition asks
    m = _knapsack_rows(knap_c, knap_a, target, sites.size)
    keep = ~_dominated(m, sites.resource, sites.upper)
    return {
        "status": r.status,
        "value": z,
        "upper": float(r.upper_bound),
        "seconds": seconds,
        "target": target,
        "rows": m,
        "keep": keep,
        "resource": sites.resource.astype(np.float64),
        "upper_units": sites.upper.astype(np.float64),
        "delay": sites.delay.astype(np.float64),
    }


def _highs(master: dict[str, Any], budget: int, limit: float, seed: int, lp: bool) -> dict:
    """reten's question to HiGHS: the least resource meeting every row (stop within budget)."""
    import highspy

    from reten.highs import exact_highs

    m: sp.csr_matrix = master["rows"]
    S = m.shape[1]
    h = exact_highs()
    up = np.where(master["keep"], master["upper_units"], 0.0)
    h.addVars(S, np.zeros(S), up)
    if not lp:
        h.changeColsIntegrality(
            S, np.arange(S, dtype=np.int32), np.full(S, highspy.HighsVarType.kInteger)
        )
    h.changeColsCost(S, np.arange(S, dtype=np.int32), master["resource"])
    h.addRows(
        m.shape[0],
        np.ones(m.shape[0]),
        np.full(m.shape[0], highspy.kHighsInf),
        m.nnz,
        m.indptr[:-1].astype(np.int32),
        m.indices.astype(np.int32),
        m.data,
    )
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("objective_target", float(budget) + 1e-9)
    h.setOptionValue("random_seed", seed)
    h.setOptionValue("time_limit", limit)
    t = time.perf_counter()
    h.run()
    info = h.getInfo()
    st = h.getModelStatus()
    proven = st == highspy.HighsModelStatus.kInfeasible or info.mip_dual_bound > budget + 1e-9
    return {
        "seconds": time.perf_counter() - t,
        "proven": bool(proven) and not lp,
        "bound": info.objective_function_value if lp else info.mip_dual_bound,
        "nodes": int(info.mip_node_count) if not lp else 0,
    }


def _integer_rows(master: dict[str, Any]) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """The rows with integer data: ``sum_s min(d_s, R) n_s >= R``, ``R = ceil(T - C)``."""
    m: sp.csr_matrix = master["rows"]
    d = master["delay"]
    out = []
    for i in range(m.shape[0]):
        ind = m.indices[m.indptr[i] : m.indptr[i + 1]]
        val = m.data[m.indptr[i] : m.indptr[i + 1]]
        frac = val < 1 - 1e-12
        if not frac.any():
            out.append((ind, np.ones(ind.size, np.int64), 1))
            continue
        r = float(np.median(d[ind[frac]] / val[frac]))  # T - C of the row
        big_r = math.ceil(r - 1e-6)  # integer data: the next integer (s, t arcs: 1e-9)
        out.append((ind, np.minimum(d[ind].astype(np.int64), big_r), big_r))
    return out


def _scip(master: dict[str, Any], budget: int, limit: float) -> dict:
    from pyscipopt import Model, quicksum

    rows = _integer_rows(master)
    S = master["rows"].shape[1]
    mdl = Model()
    mdl.hideOutput(True)
    x = [mdl.addVar(vtype="B", ub=float(master["keep"][j])) for j in range(S)]
    mdl.setObjective(quicksum(x), "minimize")
    for ind, coef, big_r in rows:
        mdl.addCons(quicksum(int(c) * x[j] for j, c in zip(ind, coef, strict=True)) >= big_r)
    mdl.setObjlimit(budget + 0.5)  # only allocations within the budget are of interest
    mdl.setParam("limits/time", limit)
    t = time.perf_counter()
    mdl.optimize()
    return {
        "seconds": time.perf_counter() - t,
        "proven": mdl.getStatus() == "infeasible",
        "bound": mdl.getDualbound(),
        "nodes": int(mdl.getNNodes()),
    }


def _cpsat(master: dict[str, Any], budget: int, limit: float) -> dict:
    from ortools.sat.python import cp_model

    rows = _integer_rows(master)
    S = master["rows"].shape[1]
    mdl = cp_model.CpModel()
    x = [mdl.NewBoolVar(f"x{j}") for j in range(S)]
    for j in np.flatnonzero(~master["keep"]).tolist():
        mdl.Add(x[j] == 0)
    mdl.Add(sum(x) <= budget)
    for ind, coef, big_r in rows:
        mdl.Add(sum(int(c) * x[j] for j, c in zip(ind, coef, strict=True)) >= big_r)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = os.cpu_count() or 1
    solver.parameters.max_time_in_seconds = limit
    t = time.perf_counter()
    st = solver.Solve(mdl)
    return {
        "seconds": time.perf_counter() - t,
        "proven": st == cp_model.INFEASIBLE,
        "bound": float("nan"),
        "nodes": int(solver.NumBranches()),
    }


def _layered_lp(rows: int, cols: int, seed: int, target: float, integer: bool = False) -> dict:
    """The LP over every route cheaper than the target, in the resource-expanded network.

    Variables ``r[v, tau]`` (node ``v`` reachable at integer cost ``<= tau``) and ``n[a]``;
    ``r[s, 0] = 1``, ``r[v, tau + 1] >= r[v, tau]``, ``r[j, tau + c_a] >= r[i, tau] - n[a]``
    (an arc used unhindered), ``r[j, tau + c_a + d_a] >= r[i, tau]`` (used with its unit),
    and ``t`` unreachable below ``T``. Only states with ``ds(v) <= tau <= T - 1 - dt(v)``
    matter. With integer ``n`` it is the interdiction problem; its LP is the covering LP
    over every route with every cover inequality of its knapsack row.
    """
    import highspy
    from scipy.sparse.csgraph import dijkstra

    from grids import grid_instance, grid_sites
    from reten.highs import quiet_highs

    net, p = grid_instance(rows, cols, seed=seed)
    sites = grid_sites(net, p)
    src, dst = net.arc_source, net.arc_target
    length = np.round(net.length_m).astype(np.int64)  # integers (the s, t arcs: 0)
    delay = np.zeros(net.n_arcs, np.int64)
    site_of = np.full(net.n_arcs, -1)
    inc = sites.incidence.tocsr()
    for s_ in range(sites.size):
        a = inc.indices[inc.indptr[s_] : inc.indptr[s_ + 1]]
        site_of[a] = s_
        delay[a] = int(round(sites.delay[s_]))
    s, t = int(p.origin_node[0]), int(p.sink_node[0])
    n = net.n_nodes
    g = sp.csr_matrix((length + 1e-9, (src, dst)), shape=(n, n))
    ds = np.round(dijkstra(g, indices=s)).astype(np.int64)
    dt = np.round(dijkstra(g.T.tocsr(), indices=t)).astype(np.int64)
    big_t = math.ceil(target - 1e-6)  # integer lengths (the s and t arcs: 1e-9)
    lo = np.minimum(ds, big_t)
    hi = big_t - 1 - dt  # states (v, tau) with lo <= tau <= hi
    width = np.maximum(hi - lo + 1, 0)
    first = np.concatenate([[0], np.cumsum(width)])
    nstates = int(first[-1])

    def state(v: np.ndarray, tau: np.ndarray) -> np.ndarray:
        ok = (tau >= lo[v]) & (tau <= hi[v])
        return np.where(ok, first[v] + tau - lo[v], -1)

    ncols = nstates + sites.size
    r_i, c_i, v_i, rlo = [], [], [], []
    nrow = 0

    def add(cols_: list[np.ndarray], vals: list[float], lower: np.ndarray) -> None:
        nonlocal nrow
        k = lower.size
        for c_, v_ in zip(cols_, vals, strict=True):
            live = c_ >= 0
            r_i.append(nrow + np.flatnonzero(live))
            c_i.append(c_[live])
            v_i.append(np.full(int(live.sum()), v_))
        rlo.append(lower)
        nrow += k

    # monotone in tau
    v_all = np.repeat(np.arange(n), width)
    tau_all = np.concatenate([np.arange(lo[v], hi[v] + 1) for v in range(n) if width[v]])
    nxt = state(v_all, tau_all + 1)
    here = state(v_all, tau_all)
    ok = nxt >= 0
    add([nxt[ok], here[ok]], [1.0, -1.0], np.zeros(int(ok.sum())))
    # arcs: each state of the tail
    col_lo = np.zeros(ncols)
    col_hi = np.ones(ncols)
    for a in range(net.n_arcs):
        i, j = int(src[a]), int(dst[a])
        if not width[i]:
            continue
        taus = np.arange(lo[i], hi[i] + 1)
        ri = state(np.full(taus.size, i), taus)
        for tau_j, uses_unit in ((taus + length[a], False), (taus + length[a] + delay[a], True)):
            if uses_unit and site_of[a] < 0:
                continue
            if j == t:
                dead = ri[tau_j <= big_t - 1]
                if uses_unit or site_of[a] < 0:
                    col_hi[dead] = 0.0  # t reached below T whatever is placed
                else:
                    col = np.full(dead.size, nstates + site_of[a])
                    add([col, dead], [1.0, -1.0], np.zeros(dead.size))
                continue
            rj = state(np.full(taus.size, j), tau_j)
            # a state beyond the window cannot reach t below T: no row
            inside = rj >= 0
            if not uses_unit and site_of[a] >= 0:
                col = np.full(int(inside.sum()), nstates + site_of[a])
                add([rj[inside], ri[inside], col], [1.0, -1.0, 1.0], np.zeros(int(inside.sum())))
            else:
                add([rj[inside], ri[inside]], [1.0, -1.0], np.zeros(int(inside.sum())))
    col_lo[state(np.array([s]), np.array([0]))[0]] = 1.0
    m = sp.csr_matrix(
        (np.concatenate(v_i), (np.concatenate(r_i), np.concatenate(c_i))), shape=(nrow, ncols)
    )
    h = quiet_highs()
    h.addVars(ncols, col_lo, col_hi)
    h.changeColsCost(
        sites.size, np.arange(nstates, ncols, dtype=np.int32), sites.resource.astype(np.float64)
    )
    h.addRows(
        nrow,
        np.concatenate(rlo),
        np.full(nrow, highspy.kHighsInf),
        m.nnz,
        m.indptr[:-1].astype(np.int32),
        m.indices.astype(np.int32),
        m.data,
    )
    if integer:  # the exact problem (a check of the formulation on small grids)
        h.changeColsIntegrality(
            sites.size,
            np.arange(nstates, ncols, dtype=np.int32),
            np.full(sites.size, highspy.HighsVarType.kInteger),
        )
    t0 = time.perf_counter()
    h.run()
    return {
        "seconds": time.perf_counter() - t0,
        "bound": h.getInfo().objective_function_value,
        "states": nstates,
        "rows": nrow,
    }


def _have(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def run() -> str:
    """Return the Markdown section (runs every solver in its own process)."""
    size, b, sd = os.environ.get("RETEN_BENCH_CERT", "20x40:8:4").split(":")
    rows, cols = map(int, size.split("x"))
    budget, seed = int(b), int(sd)
    limit = float(os.environ.get("RETEN_BENCH_CERT_LIMIT_S", "200"))
    _, _, master = in_fresh_process(_final_master, rows, cols, budget, seed)
    m = master["rows"]
    lines = [
        f"## Issue 10: the final certificate of a {size} grid, B = {budget}, seed {seed}",
        "",
        f"Decomposition: {master['status']} in {master['seconds']:.1f} s, value "
        f"{master['value']:g} (upper bound {master['upper']:g}). Its final covering master at "
        f"T = {master['target']:.6f}: {m.shape[0]:,} rows, {int(master['keep'].sum()):,} of "
        f"{m.shape[1]:,} sites after dominance. Question: does any allocation of at most "
        f"{budget} units meet every row? (Each solver in a fresh process, limit {limit:.0f} s, "
        f"{os.cpu_count()} cores.)",
        "",
    ]
    out = []
    lp = in_fresh_process(_highs, master, budget, limit, 0, True)[2]
    out.append(["HiGHS LP relaxation of the final master", f"{lp['bound']:.2f}", "", "", ""])
    lay = in_fresh_process(_layered_lp, rows, cols, seed, master["target"])[2]
    out.append(
        [
            f"HiGHS LP over every route below T ({lay['states']:,} states, {lay['rows']:,} rows)",
            f"{lay['bound']:.2f}",
            "",
            "",
            f"{lay['seconds']:.1f}",
        ]
    )
    for hs in (0, 1, 2):
        wall, mib, r = in_fresh_process(_highs, master, budget, limit, hs, False)
        out.append(
            [
                f"HiGHS MILP (reten's master), random_seed {hs}",
                f"{r['bound']:.2f}",
                "yes" if r["proven"] else "no",
                f"{r['nodes']:,}",
                f"{r['seconds']:.1f}",
            ]
        )
    for name, fn, mod in (("SCIP (pyscipopt), 1 thread", _scip, "pyscipopt"),):
        if not _have(mod):
            out.append([name, "not installed", "", "", ""])
            continue
        r = in_fresh_process(fn, master, budget, limit)[2]
        out.append(
            [
                name,
                f"> {budget} (cutoff)" if r["proven"] else f"{r['bound']:.2f}",
                "yes" if r["proven"] else "no",
                f"{r['nodes']:,}",
                f"{r['seconds']:.1f}",
            ]
        )
    if _have("ortools"):
        r = in_fresh_process(_cpsat, master, budget, limit)[2]
        out.append(
            [
                f"OR-Tools CP-SAT, {os.cpu_count()} workers",
                "",
                "yes" if r["proven"] else "no",
                f"{r['nodes']:,} branches",
                f"{r['seconds']:.1f}",
            ]
        )
    else:
        out.append(["OR-Tools CP-SAT", "not installed", "", "", ""])
    lines.append(
        table(["solver", "bound on the least cover", "proven > B", "nodes", "seconds"], out)
    )
    lines += [
        "",
        f"The least cover is {budget + 1} or more (the decomposition's proof): every LP bound "
        "above is far below it, so each proof branches.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run())
