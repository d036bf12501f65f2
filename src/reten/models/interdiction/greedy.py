"""The greedy heuristic: units one at a time by marginal value, then swaps."""

from __future__ import annotations

import numpy as np

from reten import clock
from reten.kernels.sptree import SPTree
from reten.models.interdiction.follower import Follower, gain_bounds
from reten.models.interdiction.milp import dual_milp
from reten.models.interdiction.result import InterdictionResult, bounds_met, log_row
from reten.models.interdiction.sites import Sites


def greedy_allocation(
    fol: Follower, sites: Sites, budget: float, deadline: float, start: np.ndarray | None = None
) -> tuple[np.ndarray, float, list[SPTree]]:
    """Units one at a time by best marginal value per resource, then improving swaps.

    Sites are tried in order of an upper bound on their gain (:func:`gain_bounds`), and
    the scan stops when no remaining bound beats the best gain found.
    """
    n = np.zeros(sites.size, np.int64) if start is None else start.copy()
    val, tree = fol.evaluate(n)
    trees = [tree]

    while clock.now() < deadline:
        spent = float(sites.resource @ n)
        best, best_gain = -1, 0.0
        bound = gain_bounds(fol, sites, tree) / sites.resource
        order = np.flatnonzero(bound > 0)
        order = order[np.argsort(-bound[order], kind="stable")]
        for s in order.tolist():
            if bound[s] <= best_gain + 1e-12 or clock.now() >= deadline:
                break  # no later site can beat the best found (lazy greedy)
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
    # swap local search: move one unit to another site if that helps. After taking the
    # unit off ``s``, a site ``t`` can only help if its gain bound under the response to
    # the reduced allocation beats the value lost, so sites are tried best bound first and
    # the scan stops at the first bound that cannot (the lazy greedy's rule, for swaps)
    improved = True
    while improved and clock.now() < deadline:
        improved = False
        for s in np.flatnonzero(n).tolist():
            n[s] -= 1
            v_minus, t_minus = fol.evaluate(n)
            need = val - v_minus + 1e-9 * max(1.0, abs(val))
            free = budget - float(sites.resource @ n) + 1e-9
            bound = gain_bounds(fol, sites, t_minus)
            order = np.flatnonzero(bound > need)
            order = order[np.argsort(-bound[order], kind="stable")]
            for t in order.tolist():
                if clock.now() >= deadline:
                    break
                if t == s or n[t] >= sites.upper[t] or sites.resource[t] > free:
                    continue
                n[t] += 1
                v, tr = fol.evaluate(n)
                if v > val + 1e-9 * max(1.0, abs(val)):
                    val, tree = v, tr
                    trees.append(tr)
                    improved = True
                    break
                n[t] -= 1
            if improved:
                break
            n[s] += 1
            if clock.now() >= deadline:
                break
    return n, val, trees


def greedy_with_bound(
    fol: Follower, sites: Sites, budget: float, time_limit: float, objective: str
) -> InterdictionResult:
    t0 = clock.now()
    n, val, _ = greedy_allocation(fol, sites, budget, t0 + time_limit * 0.5)
    lp = dual_milp(
        fol,
        sites,
        budget,
        max(time_limit - (clock.now() - t0), 1.0),
        objective,
        1e-6,
        relax=True,
    )
    ub = max(lp.upper_bound, val)
    log = [log_row(1, val, ub, clock.now() - t0, "greedy")]
    status = "optimal" if bounds_met(val, ub, 1e-6) else "feasible"
    return InterdictionResult.incumbent(
        objective=objective,
        method="greedy",
        budget=budget,
        units=n,
        lower_bound=val,
        upper_bound=ub,
        status=status,
        log=log,
    )
