"""Benders and covering decompositions (Israeli & Wood 2002) with certified bounds."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse as sp

from reten import clock
from reten.highs import exact_highs
from reten.kernels.sptree import SPTree
from reten.models.interdiction.cover import STEPS, VALUE_STEPS, cover_search, value_search
from reten.models.interdiction.follower import Follower, route_sites, through_paths
from reten.models.interdiction.greedy import greedy_allocation
from reten.models.interdiction.master import Master
from reten.models.interdiction.milp import dual_milp
from reten.models.interdiction.result import (
    InterdictionResult,
    LogRow,
    _phi,
    bounds_met,
    log_row,
)
from reten.models.interdiction.sites import Sites

#: the name of this module's log rows (:data:`.result.LOG_SOLVERS`)
SOLVER = "decomposition"
#: seconds the covering decomposition spends completing each master allocation greedily
FILL_S = 1.0
#: near-shortest routes added per origin and master iteration (covering decomposition)
NEAR_ROUTES = 20
PROBE = 60
#: a failed search is tried again this many times as long before the MILP master (a failed
#: search costs ~1 s per 10,000 steps on a 20x40 grid master: it is paid at every proof)
LONG_SEARCH = 3
#: the covering master drops dominated sites when their pairwise count is at most this
DOMINANCE_MAX_PAIRS = 20_000_000
#: origins up to which the covering master has per-origin rows / near routes are added
PER_ORIGIN_MAX = 64
BENDERS_PER_ORIGIN_MAX = 5000
#: near routes per origin and iteration in the Benders decomposition (cost objective)
BENDERS_NEAR = 5
NEAR_ORIGINS_MAX = 64


def benders(
    fol: Follower,
    sites: Sites,
    budget: float,
    time_limit: float,
    objective: str,
    tol: float,
    warm: dict[str, Any] | None,
    start: np.ndarray | None = None,
) -> InterdictionResult:
    t0 = clock.now()
    deadline = t0 + time_limit
    o = fol.on.size
    per_origin = objective == "interception" or o <= BENDERS_PER_ORIGIN_MAX
    nval = o if per_origin else 1
    vol = fol.vol
    tangents: set[tuple[int, float]] = set()
    if objective == "interception":
        # variables: units, then psi_o (value), then theta_o (log-survival)
        master = Master(sites, budget, 2 * o, value_upper=1.0)
        master.set_objective(np.concatenate([vol, np.zeros(o)]))
        S = sites.size
        big = 50.0
        for i in range(o):  # theta_o has no natural upper bound; cap it far above use
            master.h.changeColBounds(S + o + i, 0.0, big)

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
        master = Master(sites, budget, nval, value_upper=np.inf)
        master.set_objective(np.ones(nval) if per_origin else np.ones(1))
        S = sites.size
    # cuts are valid for any budget; the key is a digest of the problem (not ``id``), so
    # they also carry over from the auto probe to its racing process
    key = (objective, _signature(fol, sites)) if warm is not None else None
    if warm is not None and warm.get("key") == key:
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

    gmax = float(fol.gain.max()) if fol.gain.size else 0.0

    def add_near(units: np.ndarray, tree: SPTree) -> None:
        # each origin's cheapest routes through every arc, within one unit's gain of its
        # best: the routes it would turn to when more units are placed
        if objective != "cost" or not per_origin:
            return
        d = tree.dist[fol.on]
        for i in range(o):
            if clock.now() >= deadline:
                return
            length, counts = through_paths(fol, units, tree, i, d[i] + gmax, BENDERS_NEAR)
            for r in range(length.size):
                row = counts.getrow(r)
                idx = np.concatenate([[S + i], row.indices])
                val = np.concatenate([[1.0], -vol[i] * fol.gain[row.indices] * row.data])
                rhs = float(vol[i] * length[r])
                key = idx.tobytes() + val.round(12).tobytes() + np.float64(rhs).tobytes()
                if key not in seen:
                    seen.add(key)
                    master.add_le(idx, val, rhs)
                    cuts.append((idx, val, rhs))

    # warm start: the greedy's trees give the first cuts and the first incumbent
    g_n, g_val, trees = warm_greedy(
        fol, sites, budget, t0 + min(time_limit * 0.25, 30.0), start, warm
    )
    best_n, lb = g_n, g_val
    for tr in trees:
        add_cuts(tr)
        if objective == "interception":
            for i, d in enumerate(tr.dist[fol.on]):
                if math.isfinite(d):
                    add_tangent(i, d)
    ub = math.inf
    log: list[LogRow] = []
    status = "time_limit"
    # phase 1: Kelley's cutting planes on the LP relaxation of the master. Cuts from the
    # trafficker's response to fractional units are valid for every allocation, cheap to
    # find, and leave the integer master far fewer iterations (the "LP phase" of Benders).
    master.set_integer(False)
    lp_prev = math.inf
    for _ in range(400):
        if clock.now() > t0 + 0.5 * time_limit:
            break
        x_frac, bound, optimal = master.solve_relaxed(deadline - clock.now())
        if not optimal:
            break
        val, tree = fol.evaluate(x_frac)
        add_cuts(tree)
        add_near(x_frac, tree)
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
        remaining = deadline - clock.now()
        if remaining <= 0:
            break
        n_hat, bound, optimal = master.solve(remaining, start=best_n)
        ub = min(ub, bound) if optimal or math.isfinite(bound) else ub
        val, tree = fol.evaluate(n_hat)
        if val > lb:
            lb, best_n = val, n_hat
        log.append(log_row(it, lb, ub, clock.now() - t0, SOLVER))
        if bounds_met(lb, ub, tol):
            status = "optimal"
            break
        if not optimal:
            break  # the master hit the time limit: its bound is still valid
        known = len(cuts) + (len(tangents) if objective == "interception" else 0)
        add_cuts(tree)
        add_near(n_hat, tree)
        if objective == "interception":
            x = np.asarray(master.h.getSolution().col_value)
            for i in range(o):
                add_tangent(i, x[S + o + i])
                d = tree.dist[fol.on[i]]
                if math.isfinite(d):
                    add_tangent(i, d)
        if len(cuts) + (len(tangents) if objective == "interception" else 0) == known:
            # the master's allocation already has all its cuts, so the master's bound is
            # its value up to the solver's tolerance; another solve would return it again
            break
    if warm is not None:
        if warm.get("key") != key:
            warm["cuts"] = []
        warm["key"] = key
        warm["cuts"].extend(cuts)
    return InterdictionResult.incumbent(
        objective=objective,
        method="decomposition",
        budget=budget,
        units=best_n,
        lower_bound=lb,
        upper_bound=ub,
        status=status,
        log=log,
    )


def covering(
    fol: Follower,
    sites: Sites,
    budget: float,
    time_limit: float,
    tol: float,
    start: np.ndarray | None = None,
    warm: dict[str, Any] | None = None,
) -> InterdictionResult:
    """Israeli & Wood's covering decomposition for the ``cost`` objective.

    Given the incumbent value ``z``, the master looks for an allocation within the budget
    whose every known route costs the traffickers at least ``T = z + eps``. A stored
    response tree ``t`` (one route per origin) gives the knapsack row
    ``sum_s a_ts n_s >= T - C_t`` with ``C_t = sum_o v_o L(P_o)`` and
    ``a_ts = sum_o v_o g_s |P_o cap s|``, strengthened by coefficient tightening to
    ``min(a_ts, T - C_t)`` (valid for integer units; with one origin and long delays it is
    Israeli & Wood's covering row ``sum_{e in P} x_e >= 1``). With 2 to 64 origins the
    per-origin rows ``z_o <= v_o (L(P_o) + sum_s g_s n_s |P_o cap s|)``, ``sum_o z_o >= T``
    are added too, so routes of different trees combine. The rows depend on ``T``, so the
    master is rebuilt when the incumbent improves; each row is scaled to a right-hand side
    of 1 and the master's feasibility tolerance is far below ``eps``.

    The master's question (any allocation within the budget meeting every row) is first put
    to a tabu search over the stored knapsack rows (:func:`~reten.models.interdiction.cover.
    cover_search`); its answers are only allocations to evaluate, so it speeds the search up
    without changing what is proved. When it finds none, the MILP master minimises the
    resource that meets every row: if that least resource (or the MILP's dual bound on it,
    when stopped) exceeds the budget, no allocation beats ``z`` by ``eps`` and the incumbent
    is optimal. An objective gives the solver a bound to prune with; the pure feasibility
    model it replaces left the proof on a 20x40 grid at B = 8 unfinished after 120 s, where
    this one took 44 s. Otherwise the allocation is evaluated, completed greedily to the
    budget (more units never lower the value), and every route it leaves cheaper than ``T``
    is added at once: with up to 64 origins, the cheapest route through each arc
    (:func:`~reten.models.interdiction.follower.through_paths`, one forward Dijkstra per
    origin on top of the response tree), not only the response itself.

    References
    ----------
    Israeli, E. & Wood, R. K. (2002). Shortest-path network interdiction. *Networks* 40(2),
    97-111.
    """
    import highspy

    t0 = clock.now()
    deadline = t0 + time_limit
    S, o = sites.size, fol.on.size
    per_origin = 1 < o <= PER_ORIGIN_MAX
    inf = highspy.kHighsInf
    # stored routes: aggregated knapsack rows (C_t, a_t) and per-origin rows
    knap_c: list[float] = []
    knap_a: list[sp.csr_matrix] = []
    z_rows: list[tuple[np.ndarray, np.ndarray, float]] = []
    seen: set[bytes] = set()
    vol_row = sp.csr_matrix(fol.vol)
    # stored routes are valid whatever the budget and target: with ``warm`` they carry over
    # from the auto probe to its racer and from one budget of a curve to the next
    stored: tuple[list, list, list] = ([], [], [])
    if warm is not None:
        sig = _signature(fol, sites)
        if warm.get("cover_sig") != sig:
            warm["cover_sig"] = sig
            warm["cover_rows"] = ([], [], [])
        stored = warm["cover_rows"]

    def add_knapsack(c: float, agg: sp.csr_matrix, record: bool = True) -> None:
        key = agg.indices.tobytes() + agg.data.round(9).tobytes() + np.float64(c).tobytes()
        if key not in seen:
            seen.add(key)
            knap_c.append(c)
            knap_a.append(agg)
            if record:
                stored[0].append(c)
                stored[1].append(agg)

    def add_route(
        i: int, length: float, ind: np.ndarray, dat: np.ndarray, record: bool = True
    ) -> None:
        # origin i's route: its sites ``ind`` crossed ``dat`` times, base cost ``length``
        idx = np.concatenate([[S + i], ind])
        val = np.concatenate([[1.0], -fol.vol[i] * fol.gain[ind] * dat])
        rhs = float(fol.vol[i] * length)
        key = b"z" + idx.tobytes() + val.round(12).tobytes() + np.float64(rhs).tobytes()
        if key not in seen:
            seen.add(key)
            z_rows.append((idx, val, rhs))
            if record:
                stored[2].append((i, length, ind, dat))

    def add_routes(length: np.ndarray, counts: sp.csr_matrix, origin: np.ndarray) -> None:
        # one route per row of ``counts`` (rows sliced directly: getrow is slow)
        counts = counts.tocsr()
        ptr = counts.indptr
        for r in range(length.size):
            a, b = ptr[r], ptr[r + 1]
            add_route(int(origin[r]), float(length[r]), counts.indices[a:b], counts.data[a:b])

    def add_cuts(tree: SPTree) -> None:
        length, counts = fol.path_coefficients(tree)
        agg = (vol_row @ counts).tocsr()
        agg.data = agg.data * fol.gain[agg.indices]
        add_knapsack(float(fol.vol @ length), agg)
        if per_origin:
            add_routes(length, counts, np.arange(o))

    def add_near_routes(units: np.ndarray, tree: SPTree, val: float, target: float) -> None:
        # every route the allocation leaves cheaper than needed, at once
        if o > NEAR_ORIGINS_MAX:
            return
        d = tree.dist[fol.on]
        deficit = max(target - val, 0.0)
        for i in range(o):
            if clock.now() >= deadline:
                return
            limit = d[i] + deficit / fol.vol[i]
            length, counts = through_paths(fol, units, tree, i, limit, NEAR_ROUTES)
            if o > 1:
                add_routes(length, counts, np.full(length.size, i))
                continue
            for r in range(length.size):
                agg = counts.getrow(r).copy()
                agg.data = agg.data * fol.vol[0] * fol.gain[agg.indices]
                add_knapsack(float(fol.vol[0] * length[r]), agg)

    def master(target: float) -> Any:
        # Rows are scaled so that each right-hand side is 1: a knapsack row
        # sum_s a_ts n_s >= r_t = T - C_t becomes sum_s min(a_ts / r_t, 1) n_s >= 1, and the
        # per-origin values are in units of T (z_o = T z'_o). Unscaled, a row whose r_t is
        # at the solver's feasibility tolerance (a baseline of 0 on zero-length roads gives
        # T = 1e-6) is met by n = 0, and the master returns allocations that miss the target.
        h = exact_highs()
        nz = o if per_origin else 0
        lower = np.zeros(S + nz)
        upper = np.concatenate([sites.upper.astype(np.float64), np.full(nz, inf)])
        lower[S:] = -inf
        h.addVars(S + nz, lower, upper)
        h.changeColsIntegrality(
            S, np.arange(S, dtype=np.int32), np.full(S, highspy.HighsVarType.kInteger)
        )
        # the least resource that meets every row, rather than any allocation within the
        # budget: the same question (the target is out of reach iff that least resource
        # exceeds the budget), but the objective's bound prunes the search tree, which a
        # pure feasibility model lacks (the proof on a 20x40 grid at B = 8: 44 s, against
        # no proof in 120 s)
        h.changeColsCost(S, np.arange(S, dtype=np.int32), sites.resource.astype(np.float64))
        h.setOptionValue("mip_rel_gap", 0.0)  # the proof is the dual bound above the budget
        # but any allocation within the budget answers the question: stop at the first one
        # rather than prove it least (on a 20x40 grid at B = 8, 37 s instead of 45 s)
        h.setOptionValue("objective_target", float(budget) + 1e-9 * max(1.0, budget))
        knap = _knapsack_rows(knap_c, knap_a, target, S)
        if not per_origin:
            # with knapsack rows only, dominated sites go (on a 20x40 grid at B = 8, 470
            # of the 682 sites in a row; the proof's MILP ~25% faster)
            gone = np.flatnonzero(_dominated(knap, sites.resource, sites.upper))
            if gone.size:
                h.changeColsBounds(
                    gone.size, gone.astype(np.int32), np.zeros(gone.size), np.zeros(gone.size)
                )
        starts = [0, *knap.indptr[1:].tolist()]
        idx_all, val_all = [knap.indices], [knap.data]
        lo_all, up_all = [1.0] * knap.shape[0], [inf] * knap.shape[0]
        if per_origin:
            idx_all.append(np.arange(S, S + o))
            val_all.append(np.ones(o))
            lo_all.append(1.0)
            up_all.append(inf)
            starts.append(starts[-1] + o)
            for idx, val, rhs in z_rows:
                idx_all.append(idx)
                val_all.append(np.concatenate([val[:1], val[1:] / target]))
                lo_all.append(-inf)
                up_all.append(rhs / target)
                starts.append(starts[-1] + idx.size)
        if lo_all:
            h.addRows(
                len(lo_all),
                np.array(lo_all),
                np.array(up_all),
                int(starts[-1]),
                np.array(starts[:-1], dtype=np.int32),
                np.concatenate(idx_all).astype(np.int32),
                np.concatenate(val_all).astype(np.float64),
            )
        return h

    for c, agg in zip(stored[0], stored[1], strict=True):  # routes stored by earlier runs
        add_knapsack(c, agg, record=False)
    if per_origin:
        for i, length, ind, dat in stored[2]:
            add_route(i, length, ind, dat, record=False)
    best_n, lb, trees = warm_greedy(
        fol, sites, budget, t0 + min(0.25 * time_limit, 30.0), start, warm
    )
    for tr in trees:
        add_cuts(tr)
    # an upper bound that holds at any time: the LP relaxation of the dual MILP
    lp = dual_milp(
        fol, sites, budget, max(min(0.1 * time_limit, 60.0), 0.1), "cost", tol, relax=True
    )
    ub = max(lp.upper_bound, lb) if math.isfinite(lp.upper_bound) else math.inf
    log = [log_row(0, lb, ub, clock.now() - t0, SOLVER)]
    status = "time_limit"
    it = 0
    # a search answers the master's question before the MILP is asked: with one origin
    # the knapsack rows' cover search; with several the value search over the per-origin
    # rows (the knapsack rows alone are easy to meet and their covers taught little:
    # national, 34 origins, K = 10: not proven in 150 s with them, in 9 masters without)
    search = True

    def value_answer(
        target: float, start_n: np.ndarray, seed: int, steps: int
    ) -> np.ndarray | None:
        # the per-origin rows as routes: base value and value per unit on each site
        org = np.array([int(idx[0]) - S for idx, _, _ in z_rows], dtype=np.int64)
        if org.size == 0 or np.bincount(org, minlength=o).min() == 0:
            return None  # an origin with no stored route: its value is unbounded
        order = np.argsort(org, kind="stable")
        sizes = np.array([z_rows[j][0].size - 1 for j in order], dtype=np.int64)
        routes = sp.csr_matrix(
            (
                np.concatenate([-z_rows[j][1][1:] for j in order]),
                np.concatenate([z_rows[j][0][1:] for j in order]),
                np.concatenate([[0], np.cumsum(sizes)]),
            ),
            shape=(org.size, S),
        )
        base = np.array([z_rows[j][2] for j in order])
        ptr = np.concatenate([[0], np.cumsum(np.bincount(org, minlength=o))])
        return value_search(
            routes, base, ptr, sites.upper, sites.resource, budget, target, start_n, seed, steps
        )

    use_search, last = search, best_n.copy()
    while clock.now() < deadline:
        it += 1
        eps = max(tol * max(1.0, abs(lb)), 1e-9)
        target = lb + eps
        rows_before, lb_before = len(seen), lb
        # a cheap answer to the master's question first (any allocation meeting every
        # stored knapsack row); the MILP is asked when the search finds none, or when the
        # search's answer taught nothing new last time
        n_hat, from_search = None, False
        if use_search and per_origin:
            n_hat = value_answer(target, last, it, VALUE_STEPS)
            if n_hat is None and deadline - clock.now() > 10.0:
                n_hat = value_answer(target, last, it + 1_000_003, LONG_SEARCH * VALUE_STEPS)
        elif use_search and knap_c:
            rows_t = _knapsack_rows(knap_c, knap_a, target, S)
            n_hat = cover_search(rows_t, sites.upper, sites.resource, budget, last, seed=it)
            if n_hat is None and deadline - clock.now() > 10.0:
                # a hard cover: a longer search still costs seconds where the
                # MILP takes minutes to find one (20x40 grid, B = 8, seed 4: 132 s); it is
                # wasted on the master that proves the target out of reach (once per run)
                # and when it misses a cover the MILP then finds
                n_hat = cover_search(
                    rows_t,
                    sites.upper,
                    sites.resource,
                    budget,
                    last,
                    seed=it + 1_000_003,
                    steps=LONG_SEARCH * STEPS,
                )
        if n_hat is None:
            h = master(target)
            h.setOptionValue("time_limit", max(deadline - clock.now(), 0.01))
            h.run()
            st = h.getModelStatus()
            info = h.getInfo()
            found = st in (
                highspy.HighsModelStatus.kOptimal,
                highspy.HighsModelStatus.kObjectiveTarget,
            )
            least = info.objective_function_value if found else None
            out_of_reach = st == highspy.HighsModelStatus.kInfeasible or (
                # proven (optimal, or stopped with a dual bound) to need more than the budget
                info.mip_dual_bound > budget + 1e-9 * max(1.0, budget)
            )
            if out_of_reach:
                ub = min(ub, target)  # reaching the target needs more than the budget
                status = "optimal"
                log.append(log_row(it, lb, ub, clock.now() - t0, SOLVER))
                break
            if least is None or least > budget + 1e-9 * max(1.0, budget):
                break  # stopped by the time limit with neither a cover nor a proof
            x = np.asarray(h.getSolution().col_value)
            n_hat = np.round(x[:S]).astype(np.int64)
        else:
            from_search = True
        last = n_hat.copy()
        val, tree = fol.evaluate(n_hat)
        if val > lb:
            lb, best_n = val, n_hat
        add_cuts(tree)
        add_near_routes(n_hat, tree, val, target)
        # look one unit ahead: the responses to n_hat plus one unit on a site of the current
        # response are the routes the next masters would discover one by one
        for s_ in route_sites(fol, sites, tree)[:PROBE].tolist():
            if n_hat[s_] >= sites.upper[s_] or clock.now() >= deadline:
                continue
            n_hat[s_] += 1
            v2, t2 = fol.evaluate(n_hat)
            if v2 > lb and sites.resource @ n_hat <= budget + 1e-9:
                lb, best_n = v2, n_hat.copy()
            n_hat[s_] -= 1
            add_cuts(t2)
        # complete the master's allocation to the budget greedily; more units never lower
        # the value, and the responses met on the way become rows too
        if sites.resource @ n_hat < budget - 1e-9 and clock.now() < deadline:
            fill_n, fill_v, fill_trees = greedy_allocation(
                fol, sites, budget, min(deadline, clock.now() + FILL_S), n_hat
            )
            if fill_v > lb:
                lb, best_n = fill_v, fill_n
            for tr in fill_trees:
                add_cuts(tr)
        log.append(log_row(it, lb, ub, clock.now() - t0, SOLVER))
        if len(seen) == rows_before and lb == lb_before and from_search:
            use_search = False  # the search's answer added nothing: ask the MILP next
            continue
        use_search = search
        if len(seen) == rows_before and lb == lb_before:
            # the master's allocation meets every stored row yet misses the target: only
            # numerical trouble does that; finish with the dual MILP rather than loop
            rest = deadline - clock.now()
            if rest > 0:
                mi = dual_milp(fol, sites, budget, rest, "cost", tol)
                if mi.lower_bound > lb:
                    lb, best_n = mi.lower_bound, mi.units
                ub = min(ub, mi.upper_bound)
                if bounds_met(lb, max(ub, lb), tol):
                    status = "optimal"
                log.append(log_row(it + 1, lb, ub, clock.now() - t0, SOLVER))
            break
    return InterdictionResult.incumbent(
        objective="cost",
        method="decomposition",
        budget=budget,
        units=best_n,
        lower_bound=lb,
        upper_bound=ub,
        status=status,
        log=log,
    )


def decompose(
    fol: Follower,
    sites: Sites,
    budget: float,
    time_limit: float,
    objective: str,
    tol: float,
    warm: dict[str, Any] | None = None,
    start: np.ndarray | None = None,
) -> InterdictionResult:
    """Run the decomposition for ``objective``.

    ``cost`` with up to ``PER_ORIGIN_MAX`` origin nodes: the covering decomposition (its
    master rows are strong for few origins; with hundreds of origins it stalls at the
    greedy's value, measured on the national five-state case). Otherwise Benders with one
    value variable per origin and, for ``cost``, near-shortest routes as extra cuts.
    """
    if objective == "cost" and fol.on.size <= PER_ORIGIN_MAX:
        return covering(fol, sites, budget, time_limit, tol, start, warm)
    return benders(fol, sites, budget, time_limit, objective, tol, warm, start)


def warm_greedy(
    fol: Follower,
    sites: Sites,
    budget: float,
    deadline: float,
    start: np.ndarray | None,
    warm: dict[str, Any] | None,
) -> tuple[np.ndarray, float, list[SPTree]]:
    """:func:`greedy_allocation`, or its answer stored in ``warm`` for the same problem,
    budget and start (``auto`` runs the greedy once, with more time than a short probe
    leaves it, and hands it to the probe and the racers)."""
    key = None
    if warm is not None:
        st = b"" if start is None else np.asarray(start, np.int64).tobytes()
        key = (_signature(fol, sites), float(budget), st)
        got = warm.get("greedy")
        if got is not None and got[0] == key:
            n, val, trees = got[1]
            return n.copy(), val, list(trees)
    n, val, trees = greedy_allocation(fol, sites, budget, deadline, start)
    if warm is not None:
        warm["greedy"] = (key, (n.copy(), val, list(trees)))
    return n, val, trees


def _knapsack_rows(
    knap_c: list[float], knap_a: list[sp.csr_matrix], target: float, n_sites: int
) -> sp.csr_matrix:
    """The stored knapsack rows at ``target`` as the master scales them,
    ``sum_s min(a_ts / r_t, 1) n_s >= 1`` with ``r_t = target - C_t``; routes that already
    reach the target (``r_t <= 0``) are left out, as the master leaves them out."""
    r = target - np.asarray(knap_c, dtype=np.float64)
    live = np.flatnonzero(r > 0)
    if live.size == 0:
        return sp.csr_matrix((0, n_sites))
    idx = np.concatenate([knap_a[i].indices for i in live])
    val = np.concatenate([np.minimum(knap_a[i].data / r[i], 1.0) for i in live])
    sizes = np.array([knap_a[i].indices.size for i in live], dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(sizes)])
    return sp.csr_matrix((val, idx, indptr), shape=(live.size, n_sites))


def _dominated(rows: sp.csr_matrix, resource: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Sites the covering master may leave out: (S,) bool.

    Site ``j`` is dominated by a kept site ``k`` with ``resource[k] <= resource[j]`` and
    ``upper[k] >= 1`` when one unit on ``k`` alone meets every row ``j`` is in (scaled
    coefficient 1). Any allocation meeting the rows then has one that leaves ``j`` empty:
    ``j``'s units move to an empty ``k`` (within the budget), or go when ``k`` holds one,
    whose rows ``j`` added nothing to. Each site left out has a kept dominator when it is
    dropped, and dominance chains (``k`` later dropped for ``l``, which meets every row of
    ``k``), so the master's answer, and its proof that none exists, are unchanged.
    Returns no site when the pairwise count would be large (over ``DOMINANCE_MAX_PAIRS``).
    """
    S = rows.shape[1]
    out = np.zeros(S, dtype=bool)
    supp = rows.copy()
    supp.data = np.ones_like(supp.data)
    sizes = np.diff(supp.indptr)
    if int(sizes @ sizes) > DOMINANCE_MAX_PAIRS:
        return out
    full = rows.copy()
    full.data = (full.data >= 1.0 - 1e-12).astype(np.float64)
    full.eliminate_zeros()
    cnt = (supp.T.tocsr() @ full).tocsr()  # cnt[j, k]: rows of j that k alone meets
    need = np.asarray(supp.sum(axis=0)).ravel()
    ok_dom = upper >= 1
    for j in np.flatnonzero(need > 0):
        a, b = cnt.indptr[j], cnt.indptr[j + 1]
        ks = cnt.indices[a:b][cnt.data[a:b] >= need[j] - 0.5]
        ks = ks[(ks != j) & ~out[ks] & ok_dom[ks] & (resource[ks] <= resource[j])]
        if ks.size:
            out[j] = True
    return out


def _signature(fol: Follower, sites: Sites) -> str:
    """A digest of what a stored route row depends on (base costs, gains, origins, volumes,
    the sites' incidence), equal across processes for the same problem."""
    import hashlib

    h = hashlib.blake2b(digest_size=16)
    inc = sites.incidence.tocsr()
    for a in (fol.base, fol.gain, fol.on, fol.vol, inc.indptr, inc.indices, inc.data):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()
