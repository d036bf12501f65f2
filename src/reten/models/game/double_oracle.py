"""The double oracle with certified bounds (Jain et al., AAMAS 2011, RUGGED).

Each iteration solves the restricted master LP (:mod:`.master`) over the pure strategies
found so far, then asks each side for a better response:

* attacker: each origin's route from the separable trees (:func:`.attacker.tree_responses`);
* defender: the greedy k-set against the attacker's mixed routes (:func:`.defender.greedy`).

When neither improves on the master, the exact oracles run: the label search
(:class:`.attacker.ExactAttacker`) gives every origin's best route against the defender's
mixed strategy, so the strategy's guaranteed value, the **lower bound**; the MILP
(:func:`.defender.best_response_milp`) gives the best k-set against the attacker's mixed
strategy, so the **upper bound**. Their improving responses enter the master, and the loop
stops when the bounds meet within ``gap``, when nothing improves, or at the time limit.
The bounds kept are the best so far, each with the strategy that earns it.
"""

from __future__ import annotations

import math

import numpy as np

from reten import clock
from reten.models.game.attacker import ExactAttacker, tree_responses
from reten.models.game.defender import best_response_milp, greedy, swap_neighbours
from reten.models.game.instance import GameInstance
from reten.models.game.marginals import comb_sample, marginal_lp
from reten.models.game.master import Master
from reten.models.game.result import GameSolution, _nonneg
from reten.models.game.strategies import KSets, Routes, capture
from reten.models.game.warmstart import cut_ksets

ROUTES_EXTRA_S = 5.0
"""Seconds into a run after which a certified value stops the run even when the attacker's
routes do not yet certify it themselves (they are then reported with what they concede)."""

#: relative optimality tolerance of HiGHS's LP, added to the marginal LP's value when it
#: serves as an upper bound
LP_TOL = 1e-7


def pure_value(inst: GameInstance, sites: np.ndarray) -> float:
    """Return the interception a fixed k-set guarantees (kg/month): every origin takes its
    most reliable route given the units (exact: a pure strategy's survival is a product)."""
    w = np.zeros(inst.n_sites)
    w[np.asarray(sites, dtype=np.int64)] = inst.logsurv[np.asarray(sites, dtype=np.int64)]
    d = inst.tree(w).dist[inst.origin]
    return float(inst.volume @ -np.expm1(-d))


def double_oracle(
    inst: GameInstance,
    *,
    gap: float = 1e-4,
    time_limit: float = 600.0,
    start_sets: list[np.ndarray] | None = None,
    warm_start: bool = True,
    max_labels: int = 2_000_000,
    exact_every: int = 5,
    columns: int = 24,
) -> GameSolution:
    """Solve the game; see the module notes. ``start_sets`` seed the defender's side."""
    t0 = clock.now()
    deadline = t0 + time_limit
    k, w = inst.k, inst.logsurv
    total = float(inst.volume.sum())
    tol = 1e-10
    ex = ExactAttacker(inst, max_labels=max_labels, deadline=deadline + 0.1 * time_limit)
    K, R = KSets(inst.n_sites), Routes(inst.n_sites)
    master = Master(inst.volume)

    # the empty schedule guarantees the scenario's own interception (>= 0): a valid start
    base_value = max(pure_value(inst, np.zeros(0, np.int64)), 0.0)
    best_lb, best_sets, best_prob = (
        base_value,
        [np.zeros(0, np.int64)],
        np.ones(1),
    )
    best_ub = total
    # the least upper bound certified by an attacker's mixed strategy (a master's duals
    # against an exact defender best response): the run stops only when this one meets
    # the lower bound, so that the routes reported are an equilibrium strategy
    routes_ub = math.inf
    for s in start_sets or []:
        K.add(s)
        v = pure_value(inst, s)
        if v > best_lb:
            best_lb, best_sets, best_prob = v, [np.unique(s)], np.ones(1)
    if warm_start:
        for s in cut_ksets(inst):
            K.add(s)
    if warm_start and clock.now() < deadline:
        # the LP over marginals (Tsai et al. 2010): its value bounds the game's from above,
        # and comb sampling of its marginals gives k-sets, often the equilibrium's support
        c, lp = marginal_lp(inst, time_limit=max(deadline - clock.now(), 1e-3))
        best_ub = min(best_ub, lp * (1 + LP_TOL) + LP_TOL)
        comb_sets, comb_prob = comb_sample(c, k)
        for s in comb_sets:
            K.add(s)
        # the comb-sampled strategy itself, against an exact attacker
        tmp = KSets(inst.n_sites)
        tmp.sets = list(comb_sets)
        mat = tmp.matrix()
        _, bound, _ = ex.respond(mat, comb_prob, tree_responses(inst, mat, comb_prob))
        lb = float(inst.volume @ (1.0 - bound))
        if lb > best_lb:
            best_lb, best_sets, best_prob = lb, list(comb_sets), comb_prob
    # every origin's most reliable route with no unit placed, and against the start sets
    r0 = tree_responses(inst, K.matrix() if len(K) else _empty(inst), _uniform(len(K)))
    for i, (_, base, sites, arcs) in enumerate(r0):
        R.add(i, base, sites, arcs)
    for i, arcs in enumerate(inst.routes(inst.tree(np.zeros(inst.n_sites)))):
        R.add(i, inst.route_base(arcs), inst.route_sites(arcs), arcs)
    if len(K) == 0:
        g_sites, _ = greedy(R.hits(), np.array(R.base), inst.volume[R.origin], w, k)
        K.add(g_sites)
    for s in K.sets:  # each start set, played every day, guarantees its pure value
        v = pure_value(inst, s)
        if v > best_lb:
            best_lb, best_sets, best_prob = v, [s], np.ones(1)
    master.add_sets(np.zeros((0, len(K))))
    master.add_routes(np.array(R.origin), capture(R.hits(), np.array(R.base), w, K.matrix()))
    best_y_rows = np.arange(len(R))
    best_y = np.zeros(len(R))
    log: list[tuple[float, ...]] = []
    status = "time_limit"
    exact_calls = 0
    it = 0
    while True:
        it += 1
        value, sigma, z, y = master.solve()
        ks = K.matrix()
        hits, base_r = R.hits(), np.array(R.base)
        new_routes: list[int] = []
        new_sets: list[int] = []
        resp = tree_responses(inst, ks, sigma)
        for i, (f, base, sites, arcs) in enumerate(resp):
            if 1.0 - f < z[i] - tol and R.add(i, base, sites, arcs):
                new_routes.append(len(R) - 1)
        g_sites, g_val = greedy(hits, base_r, y, w, k)
        if g_val > value + tol * max(1.0, total) and K.add(g_sites):
            new_sets.append(len(K) - 1)
        if new_sets and columns > 1:
            for v_n, s_n in swap_neighbours(hits, base_r, y, w, g_sites, columns - 1):
                if v_n > value + tol * max(1.0, total) and K.add(s_n):
                    new_sets.append(len(K) - 1)
        if (not new_routes and not new_sets) or it % exact_every == 0:
            exact_calls += 1
            _, bound, better = ex.respond(ks, sigma, resp)
            lb = float(inst.volume @ (1.0 - bound))
            if lb > best_lb:
                on = np.flatnonzero(sigma > 0)
                best_lb, best_sets, best_prob = lb, [K.sets[j] for j in on], sigma[on]
            for i, b in enumerate(better):
                if b is not None and 1.0 - b[0] < z[i] - tol and R.add(i, b[1], b[2], b[3]):
                    new_routes.append(len(R) - 1)
            remaining = max(deadline - clock.now(), 0.05)
            m_sites, m_val, up = best_response_milp(
                hits, base_r, y, w, k, start=g_sites, time_limit=remaining
            )
            if up < routes_ub:
                routes_ub, best_y, best_y_rows = up, y.copy(), np.arange(len(y))
            best_ub = min(best_ub, up)
            if m_val > value + tol * max(1.0, total) and K.add(m_sites):
                new_sets.append(len(K) - 1)
            exact_round = True
        else:
            exact_round = False
        best_ub = max(best_ub, best_lb)  # both bounds hold; numerical noise aside
        log.append(
            (
                it,
                best_lb,
                best_ub,
                value,
                len(K),
                len(R),
                exact_calls,
                clock.now() - t0,
            )
        )
        # the value is certified when the bounds meet; the routes' own certificate
        # (routes_ub) is then sought only while a little of the budget remains
        value_met = best_ub - best_lb <= gap * max(abs(best_ub), 1e-12)
        routes_met = max(routes_ub, best_lb) - best_lb <= gap * max(abs(best_ub), 1e-12)
        if value_met and (routes_met or clock.now() - t0 >= ROUTES_EXTRA_S):
            status = "optimal"
            break
        if clock.now() >= deadline:
            break  # an oracle cut short by the limit proves nothing more
        if exact_round and not new_routes and not new_sets:
            status = "converged"  # nothing improves: the bounds meet up to LP tolerances
            break
        if new_sets:
            cols = capture(hits, base_r, w, K.matrix(np.array(new_sets)))
            master.add_sets(cols)
        if new_routes:
            rows = np.array(new_routes)
            cap = capture(R.hits(rows), np.array(R.base)[rows], w, K.matrix())
            master.add_routes(np.array(R.origin)[rows], cap)
    cov = np.zeros(inst.n_sites)
    for s, pr in zip(best_sets, best_prob, strict=True):
        cov[s] += pr
    routes_upper = routes_ub
    if not best_y.any():
        # the upper bound came from the marginal LP (e.g. a run of one iteration): report
        # the last master's attacker strategy, and certify what it concedes with an exact
        # defender best response (a valid upper bound on the game too)
        best_y, best_y_rows = y, np.arange(y.size)
        # y prices the master's rows: the routes found before its last solve
        hits, base_r = R.hits(best_y_rows), np.array(R.base)[best_y_rows]
        g_sites, _ = greedy(hits, base_r, y, w, k)
        remaining = max(deadline - clock.now(), 0.05)
        _, _, routes_upper = best_response_milp(
            hits, base_r, y, w, k, start=g_sites, time_limit=remaining
        )
        if routes_upper < best_ub:
            best_ub = max(routes_upper, best_lb)
    # the status says what the bounds say: met within the gap asked is 'optimal' also when
    # the time limit (or the routes' own certificate) ran on after it; 'converged' (no
    # side improves) with bounds apart is not a proof
    if best_ub - best_lb <= gap * max(abs(best_ub), 1e-12):
        status = "optimal"
    keep = np.flatnonzero(best_y > 0)
    rows = best_y_rows[keep]
    r_orig = np.array(R.origin, dtype=np.int64)[rows] if rows.size else np.zeros(0, np.int64)
    r_prob = best_y[keep] / inst.volume[r_orig] if rows.size else np.zeros(0)
    order = np.argsort(-best_prob, kind="stable")
    return GameSolution(
        k=k,
        value=_nonneg(best_lb),
        lower_bound=_nonneg(best_lb),
        upper_bound=_nonneg(best_ub),
        status=status,
        seconds=clock.now() - t0,
        iterations=it,
        sets=[best_sets[i] for i in order],
        probability=best_prob[order],
        coverage=cov,
        origin_node=inst.origin,
        origin_volume=inst.volume,
        routes_origin=r_orig,
        routes_probability=r_prob,
        routes_arcs=[R.arcs[r] for r in rows.tolist()],
        routes_sites=[R.sites[r] for r in rows.tolist()],
        routes_upper=_nonneg(max(routes_upper, best_lb)),
        base_value=_nonneg(base_value),
        log=log,
        sites=inst.sites,
    )


def _uniform(n: int) -> np.ndarray:
    return np.ones(max(n, 1)) / max(n, 1)


def _empty(inst: GameInstance):  # type: ignore[no-untyped-def]
    import scipy.sparse as sp

    return sp.csr_matrix((1, inst.n_sites))
