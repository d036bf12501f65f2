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
``capacity``. ``decomposition``: for ``cost`` with up to 64 origin nodes, Israeli & Wood's
(2002) covering decomposition (a master finds an allocation that makes every known route
cost at least the incumbent plus ``eps``; each iteration adds the response and the cheapest
route through every arc that is still too cheap). Most of the master's questions are
answered by a tabu search over the stored rows (:mod:`.cover`, milliseconds); the MILP
master, which minimises the resource that meets every row, is asked only when the search
fails, and its dual bound above the budget is the proof. Stored routes carry over from the
``auto`` probe to its racer and between the budgets of a curve. Otherwise Benders: a master
MILP over ``n`` with cuts ``z_o <= v_o (L(P_o) + sum_s g_s n_s |P_o cap s|)`` from the trafficker's
best-response tree at each master solution and near-shortest routes (one value per
origin), plus tangent cuts for ``interception``. Masters certify bounds, so their rows are
scaled to a right-hand side of 1 and solved at a feasibility tolerance of 1e-9.
``greedy``: units one at a time by marginal value (lazily, best bound first), then swaps
(lazily too); its bound is the LP relaxation of the dual MILP. ``auto``: the decomposition
alone for a short probe, then a race of the decomposition and the dual MILP on two
processes (:mod:`.portfolio`).
Every answer carries a lower and an upper bound on the optimum; the incumbent's value is
always re-evaluated by a fresh best-response solve.

Modules: :mod:`.sites` (candidate sites, their names), :mod:`.follower` (the trafficker's
best response), :mod:`.master`, :mod:`.milp`, :mod:`.decomposition`, :mod:`.cover`,
:mod:`.greedy`,
:mod:`.portfolio`, :mod:`.result`; :func:`optimize` is the one front door and dispatches on
``method`` (as ``networkx.algorithms.flow.maximum_flow`` does on ``flow_func``).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from typing import Any

import numpy as np

from reten import clock
from reten.errors import InputError
from reten.models.interdiction.decomposition import decompose
from reten.models.interdiction.follower import Follower, capacities, route_keeping_bound
from reten.models.interdiction.greedy import greedy_with_bound
from reten.models.interdiction.milp import dual_milp, wood_milp
from reten.models.interdiction.portfolio import solve_auto
from reten.models.interdiction.result import InterdictionResult, bounds_met, curve_frame
from reten.models.interdiction.sites import (
    SITE_KINDS,
    Sites,
    apply_units,
    build_sites,
    place_names,
    site_table,
)
from reten.network.model import Network
from reten.problem import Problem

OBJECTIVES = ("cost", "interception", "capacity")
#: the one-line error of ``objective="capacity"`` on a scenario without any capacity
NO_CAPACITY = (
    "objective 'capacity' needs capacities and the scenario gives none: set capacity_kg on "
    "[[destinations]] (or [congestion] crossing_capacity_kg), or use a network with a "
    "capacity_kg road attribute"
)
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
    "curve_frame",
    "marginal_curve",
    "optimize",
    "place_names",
    "site_table",
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

    Parameters
    ----------
    net : Network
    problem : Problem
        Arrays of the scenario (its own enforcement is the starting state).
    sites : Sites
        Candidate sites (:func:`build_sites`).
    budget : float
        Resource available (> 0); each unit at site ``s`` uses ``sites.resource[s]``.
    objective : {"cost", "interception", "capacity"}
        Maximise the traffickers' least generalized cost (cost units x kg), maximise the
        expected intercepted volume (kg), or minimise the volume that can still cross (kg).
    method : {"auto", "milp", "decomposition", "greedy"}
        ``capacity`` always uses Wood's MILP.
    time_limit : float
        Seconds for this budget (the bounds hold whenever it stops).
    tol : float
        Relative gap at which the bounds count as met.
    warm : dict, optional
        Shared by successive calls with growing budgets (the marginal-value curve); the
        Benders decomposition stores its cuts there and reuses them.
    start : (S,) int, optional
        A feasible allocation (the previous budget's incumbent); the answer is never worse.

    Returns
    -------
    InterdictionResult
        ``units`` (S,), ``objective_value`` (re-evaluated by a fresh best response),
        ``lower_bound <= optimum <= upper_bound``, ``status`` ("optimal" when they meet),
        ``baseline`` (no units), ``seconds``.

    Raises
    ------
    InputError
        ``objective``, ``method``, ``budget`` or ``start`` invalid, no origin reaches a
        crossing, or ``objective="capacity"`` with no capacity on any road or crossing
        (the only volume it could stop is the volume cut off from every crossing, which is
        rarely what is meant; give the crossings a large ``capacity_kg`` to ask for that).

    References
    ----------
    Israeli, E. & Wood, R. K. (2002). Shortest-path network interdiction. *Networks*
    40(2), 97-111. Morton, D. P., Pan, F. & Saeger, K. J. (2007). Models for nuclear
    smuggling interdiction. *IIE Transactions* 39(1), 3-14. Wood, R. K. (1993).
    Deterministic network interdiction. *Math. Comput. Modelling* 17(2), 1-18.

    Examples
    --------
    Two roads from 0 to 3 (2 and 3 km); one checkpoint adding 10 on the shorter one sends
    the traffickers to the longer one:

    >>> import numpy as np
    >>> from reten.network.model import Network
    >>> from reten.problem import Problem
    >>> net = Network.from_arcs(
    ...     np.array([0, 0, 1, 2]), np.array([1, 2, 3, 3]), np.array([1.0, 2, 1, 1]),
    ...     np.zeros(4), np.zeros(4))
    >>> p = Problem(net.length_m.copy(), np.zeros(4), np.array([3]), np.zeros(1),
    ...             np.zeros(1), np.array([0]), np.ones(1))
    >>> sites = build_sites(net, p, "arcs", delay=10.0, p_detect=0.0)
    >>> r = optimize(net, p, sites, 1)
    >>> r.baseline, r.objective_value, r.status, round(r.increase_pct, 1)
    (2.0, 3.0, 'optimal', 50.0)
    """
    # choices in any letter case, as the CLI takes them
    objective = objective.lower() if isinstance(objective, str) else objective
    method = method.lower() if isinstance(method, str) else method
    if objective not in OBJECTIVES:
        raise InputError(f"objective '{objective}' unknown; valid: {', '.join(OBJECTIVES)}")
    if method not in METHODS:
        raise InputError(f"method '{method}' unknown; valid: {', '.join(METHODS)}")
    if not budget > 0:
        raise InputError(f"budget must be a positive number of units (got {budget!r})")
    if (sites.resource > budget).all():
        raise InputError(f"budget {budget:g} is smaller than the cost of any single unit")
    if start is not None:
        start = np.asarray(start, dtype=np.int64)
        if (
            start.shape != (sites.size,)
            or (start < 0).any()
            or (start > sites.upper).any()
            or sites.resource @ start > budget + 1e-9
        ):
            raise InputError(
                "start must be a feasible allocation: one count per site, within each "
                "site's upper bound and the budget"
            )
    if objective == "capacity" and not np.isfinite(capacities(net, problem)).any():
        raise InputError(NO_CAPACITY)
    t0 = clock.now()
    scale = 1.0
    if objective == "interception":
        # solved on volumes that sum to 1 and scaled back: the solvers' tolerances are
        # then relative (volumes x 1e-10 kg gave 0.033 of the volume, "optimal", for 0.18)
        problem, scale = problem.per_unit_volume()
    fol = Follower(net, problem, sites, objective)
    if fol.on.size == 0:
        raise InputError("no origin reaches an open crossing; nothing to interdict")
    baseline, tree0 = fol.evaluate(np.zeros(sites.size, np.int64))
    if objective == "capacity":
        res = wood_milp(fol, sites, budget, time_limit)
    elif method == "greedy":
        res = greedy_with_bound(fol, sites, budget, time_limit, objective)
    elif method == "milp":
        res = dual_milp(fol, sites, budget, time_limit, objective, tol)
    elif method == "auto":
        res = solve_auto(fol, sites, budget, time_limit, objective, tol, warm, start)
    else:
        res = decompose(fol, sites, budget, time_limit, objective, tol, warm, start)
    if start is not None:
        res = _keep_start(fol, res, start)
    if objective == "capacity":
        res = replace(res, units=_drop_useless(fol, res.units, res.objective_value))
    else:
        # a bound that holds however early the solvers stopped: the routes of no units kept
        keep = baseline + route_keeping_bound(fol, sites, budget, tree0)
        if keep < res.upper_bound:
            up = max(keep, res.lower_bound)
            met = bounds_met(res.lower_bound, up, tol)
            res = replace(res, upper_bound=up, status="optimal" if met else res.status)
    if scale != 1.0:
        res = replace(
            res,
            objective_value=res.objective_value * scale,
            lower_bound=res.lower_bound * scale,
            upper_bound=res.upper_bound * scale,
            log=[
                row._replace(
                    lower_bound=row.lower_bound * scale, upper_bound=row.upper_bound * scale
                )
                for row in res.log
            ],
        )
    return replace(
        res, seconds=clock.now() - t0, sites=sites, budget=budget, baseline=baseline * scale
    )


def _drop_useless(fol: Follower, units: np.ndarray, value: float) -> np.ndarray:
    """Return ``units`` without the removals that do not lower the maximum flow.

    Wood's MILP may spend budget it does not need (any allocation of the same value is
    optimal to it); a removal that changes nothing is dropped, one at a time, so no site is
    reported as chosen when it cuts no volume. The value is unchanged.
    """
    out = np.asarray(units, dtype=np.int64).copy()
    for s in np.flatnonzero(out > 0)[::-1]:
        trial = out.copy()
        trial[s] = 0
        if fol.max_flow(trial) <= value + 1e-9 * max(1.0, abs(value)):
            out = trial
    return out


def _keep_start(fol: Follower, res: InterdictionResult, start: np.ndarray) -> InterdictionResult:
    """Return ``res`` with ``start`` as its incumbent if ``start`` is better.

    This makes the incumbent's value (the lower bound of a maximisation, the upper bound of
    ``capacity``) monotone along a curve whatever the method and the time limit.
    """
    val, _ = fol.evaluate(start)
    if fol.objective == "capacity":
        if val < res.objective_value:
            lo = min(res.lower_bound, val)
            return replace(res, units=start, objective_value=val, upper_bound=val, lower_bound=lo)
        return res
    if val > res.objective_value:
        up = max(res.upper_bound, val)
        return replace(res, units=start, objective_value=val, lower_bound=val, upper_bound=up)
    return res


def marginal_curve(
    net: Network,
    problem: Problem,
    sites: Sites,
    kmax: int,
    *,
    objective: str = "cost",
    method: str = "auto",
    time_limit: float = 600.0,
    tol: float = 1e-6,
) -> list[InterdictionResult]:
    """Return one result per budget K = 1, ..., ``kmax`` (the marginal-value curve).

    Parameters
    ----------
    net, problem, sites
        As for :func:`optimize`.
    kmax : int
        The largest budget (units of resource 1 each; K counts units).
    objective, method, tol
        As for :func:`optimize`.
    time_limit : float
        Seconds **per K**: each budget gets the same limit, so the point for a given K is
        the same whatever ``kmax`` the curve runs to (the total time is up to
        ``kmax * time_limit``).

    Returns
    -------
    list of InterdictionResult
        One per K, each with its own ``status``, bounds and ``seconds``;
        :func:`curve_frame` turns it into a table with the marginals and a ``proven`` flag.

    Notes
    -----
    K starts from K - 1's incumbent (and, for the decomposition, its cuts), which is
    feasible for K, so the incumbent values never decrease with K (never increase for
    ``capacity``) even when a K stops at its time limit. Since the optimum itself is
    monotone in K, each K's other bound is tightened by the later K's: for a maximisation
    ``upper_bound[K] <= upper_bound[K + 1]`` is enforced as ``min`` over later K.

    Examples
    --------
    >>> import numpy as np
    >>> from reten.network.model import Network
    >>> from reten.problem import Problem
    >>> net = Network.from_arcs(
    ...     np.array([0, 0, 1, 2]), np.array([1, 2, 3, 3]), np.array([1.0, 2, 1, 1]),
    ...     np.zeros(4), np.zeros(4))
    >>> p = Problem(net.length_m.copy(), np.zeros(4), np.array([3]), np.zeros(1),
    ...             np.zeros(1), np.array([0]), np.ones(1))
    >>> sites = build_sites(net, p, "arcs", delay=10.0, p_detect=0.0)
    >>> [round(r.objective_value, 6) for r in marginal_curve(net, p, sites, 2)]
    [3.0, 12.0]
    """
    warm: dict[str, Any] = {}
    out: list[InterdictionResult] = []
    start = None
    for k in range(1, int(kmax) + 1):
        r = optimize(
            net,
            problem,
            sites,
            float(k),
            objective=objective,
            method=method,
            time_limit=time_limit,
            tol=tol,
            warm=warm,
            start=start,
        )
        out.append(r)
        start = r.units
    return _tighten(out, objective, tol)


def _tighten(
    curve: list[InterdictionResult], objective: str, tol: float
) -> list[InterdictionResult]:
    """Tighten each K's bound that is not the incumbent's by the later K's (the optimum is
    monotone in K), and mark points whose bounds then meet as optimal."""
    out = list(curve)
    for i in range(len(out) - 2, -1, -1):
        r, nxt = out[i], out[i + 1]
        if objective == "capacity":
            lo = max(r.lower_bound, nxt.lower_bound)
            lo = min(lo, r.upper_bound)
            r = replace(r, lower_bound=lo)
        else:
            up = min(r.upper_bound, nxt.upper_bound)
            up = max(up, r.lower_bound)
            r = replace(r, upper_bound=up)
        if r.status != "optimal" and bounds_met(r.lower_bound, r.upper_bound, tol):
            r = replace(r, status="optimal")
        out[i] = r
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
