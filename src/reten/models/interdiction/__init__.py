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
from dataclasses import replace
from typing import Any

import numpy as np

from reten.errors import InputError
from reten.models.interdiction.decomposition import benders, covering
from reten.models.interdiction.follower import Follower, capacities
from reten.models.interdiction.greedy import greedy_with_bound
from reten.models.interdiction.milp import dual_milp, wood_milp
from reten.models.interdiction.result import InterdictionResult
from reten.models.interdiction.sites import SITE_KINDS, Sites, apply_units, build_sites
from reten.network.model import Network
from reten.problem import Problem

OBJECTIVES = ("cost", "interception", "capacity")
METHODS = ("auto", "milp", "decomposition", "greedy")

__all__ = [
    "METHODS",
    "OBJECTIVES",
    "SITE_KINDS",
    "InterdictionResult",
    "Sites",
    "apply_units",
    "brute_force",
    "build_sites",
    "capacities",
    "marginal_curve",
    "optimize",
]


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
    fol = Follower(net, problem, sites, objective)
    if fol.on.size == 0:
        raise InputError("no origin reaches an open crossing; nothing to interdict")
    if objective == "capacity":
        res = wood_milp(fol, sites, budget, time_limit)
    elif method == "greedy":
        res = greedy_with_bound(fol, sites, budget, time_limit, objective)
    elif method == "milp":
        res = dual_milp(fol, sites, budget, time_limit, objective, tol)
    else:
        if objective == "cost":
            res = covering(fol, sites, budget, time_limit, tol, start)
        else:
            res = benders(fol, sites, budget, time_limit, objective, tol, warm, start)
    return replace(res, seconds=time.perf_counter() - t0, sites=sites, budget=budget)


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
    fol = Follower(net, problem, sites, objective)
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
