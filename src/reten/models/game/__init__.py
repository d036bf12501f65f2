"""Randomised checkpoints against traffickers who watch: a certified network security game.

Model
-----
A zero-sum game on the road network. The defender places ``k`` units on candidate sites
(arcs: a road's two directions; nodes; crossings), one per site at most, and commits to a
*mixed* strategy: a probability distribution over k-sets, drawn afresh each day. Each
origin ``o`` ships ``v_o`` kg/month along a route ``P_o`` to any open crossing, knowing the
distribution but not the day's draw. The payoff is the expected intercepted volume::

    U(S, P) = sum_o v_o (1 - exp(-L(P_o)) prod_{s in S and P_o} (1 - p_s))

with ``p_s`` the detection probability of a unit at ``s`` and ``L`` the route's base
log-survival (the scenario's own enforcement; 0 without). The pure-strategy optimum of the
same instance is :func:`reten.models.interdiction.optimize` with
``objective="interception"``; the mixed value is never below it, and the difference is the
**value of randomisation**.

Solver
------
A double oracle (Jain et al. 2011) with a SNARES-style min-cut warm start (Jain, Conitzer
& Tambe 2013), fast better responses (separable trees, greedy) and exact best responses
(a label search on the support sites' hit graph; a MILP over k-sets with log-survival
tangent cuts) that certify a lower and an upper bound on the value at every iteration.
Modules: :mod:`.instance`, :mod:`.strategies`, :mod:`.master`, :mod:`.attacker`,
:mod:`.defender`, :mod:`.warmstart`, :mod:`.double_oracle`, :mod:`.marginals` (the
LP-marginals-and-sample method of Tsai et al. 2010, for comparison), :mod:`.schedules`.

References
----------
Jain, M., Korzhyk, D., Vaněk, O., Conitzer, V., Pěchouček, M. & Tambe, M. (2011). A double
oracle algorithm for zero-sum security games on graphs. *AAMAS 2011*, 327-334.
Jain, M., Conitzer, V. & Tambe, M. (2013). Security scheduling for real-world networks.
*AAMAS 2013*, 215-222. Tsai, J., Yin, Z., Kwak, J., Kempe, D., Kiekintveld, C. & Tambe, M.
(2010). Urban security: game-theoretic resource allocation in networked physical domains.
*AAAI 2010*, 881-886. McMahan, H. B., Gordon, G. J. & Blum, A. (2003). Planning in the
presence of cost functions controlled by an adversary. *ICML 2003* (the double oracle).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from reten import clock
from reten.errors import InputError
from reten.models.game.attacker import ExactAttacker, tree_responses
from reten.models.game.double_oracle import double_oracle, pure_value
from reten.models.game.instance import GAME_SITE_KINDS, GameInstance, build_instance
from reten.models.game.marginals import comb_sample, marginal_lp
from reten.models.game.result import LOG_COLUMNS, GameSolution
from reten.models.game.schedules import sample_schedules
from reten.models.interdiction.sites import Sites
from reten.network.model import Network
from reten.problem import Problem

__all__ = [
    "GAME_SITE_KINDS",
    "LOG_COLUMNS",
    "GameInstance",
    "GameSolution",
    "build_instance",
    "mixed_value",
    "sample_schedules",
    "solve_game",
    "tsai_comparison",
]


def solve_game(
    net: Network,
    problem: Problem,
    sites: Sites,
    k: int,
    *,
    gap: float = 1e-4,
    time_limit: float = 600.0,
    pure_time_limit: float | None = None,
    pure_method: str = "auto",
    warm_start: bool = True,
) -> GameSolution:
    """Return the defender's optimal mixed schedule of ``k`` units, with certified bounds.

    Parameters
    ----------
    net : Network
    problem : Problem
        Origins, volumes, crossings and the scenario's own enforcement (base detection).
    sites : Sites
        Candidate sites of kind arcs, nodes or crossings, one unit each at most
        (:func:`reten.models.interdiction.build_sites`); ``sites.logsurv`` gives ``p``.
    k : int
        Units placed each day (>= 1).
    gap : float
        Stop when ``upper - lower <= gap * upper`` (>= 0).
    time_limit : float
        Seconds for the double oracle (> 0); the bounds hold whenever it stops. The
        pure-strategy optimum, computed after it, has its own limit.
    pure_time_limit : float, optional
        Seconds for the pure-strategy optimum (default: ``time_limit``).
    pure_method : str
        The interdiction method for the pure-strategy optimum (see
        :func:`reten.models.interdiction.optimize`).
    warm_start : bool
        Seed the defender with k-sets from a minimum site cut (SNARES).

    Returns
    -------
    GameSolution
        ``value`` (= ``lower_bound``), ``upper_bound``, ``sets``/``probability`` (the
        support), ``coverage`` (marginals), ``log``, ``pure_value`` and
        ``value_of_randomisation``.

    Raises
    ------
    InputError
        ``k``, ``gap`` or ``time_limit`` out of range, a site kind the game does not
        take, or no origin reaching an open crossing.

    Examples
    --------
    Two disjoint roads from 0 to the crossing 3, one unit that detects with p = 0.5: a
    fixed unit is avoided (value 0); a coin flip catches half the time on either road.

    >>> import numpy as np
    >>> from reten.network.model import Network
    >>> from reten.problem import Problem
    >>> from reten.models.interdiction import build_sites
    >>> net = Network.from_arcs(np.array([0, 0, 1, 2]), np.array([1, 2, 3, 3]),
    ...                         np.ones(4), np.zeros(4), np.zeros(4))
    >>> p = Problem(net.length_m.copy(), np.zeros(4), np.array([3]), np.zeros(1),
    ...             np.zeros(1), np.array([0]), np.ones(1))
    >>> r = solve_game(net, p, build_sites(net, p, "arcs", delay=0.0, p_detect=0.5), 1)
    >>> round(r.value, 6), round(r.pure_value, 6), round(r.value_of_randomisation, 6)
    (0.25, 0.0, 0.25)
    >>> sorted(np.round(r.coverage, 3).tolist())
    [0.5, 0.5]
    """
    from reten.models.interdiction import optimize

    if not (isinstance(gap, int | float) and 0 <= gap < 1):
        raise InputError(f"gap must be a number in [0, 1) (got {gap!r})")
    if not (isinstance(time_limit, int | float) and 0 < time_limit < math.inf):
        raise InputError(f"time_limit must be a positive number of seconds (got {time_limit!r})")
    if (np.asarray(sites.upper) != 1).any():
        sites = replace(sites, upper=np.ones(sites.size, dtype=np.int64))
    sites = replace(sites, resource=np.ones(sites.size))
    t0 = clock.now()
    # solved on volumes that sum to 1 and scaled back: the solvers' tolerances are then
    # relative (volumes x 1e-10 gave a false certificate and a pure optimum of 0)
    norm, scale = problem.per_unit_volume()
    inst = build_instance(net, norm, sites, k)
    res = _scaled(
        double_oracle(inst, gap=gap, time_limit=time_limit, warm_start=warm_start),
        scale,
    )
    t_game = clock.now() - t0
    # the pure optimum on the same instance, started from the best k-set of the support
    start = max(res.sets, key=lambda s: pure_value(inst, s)) if res.sets else None
    units = np.zeros(sites.size, dtype=np.int64)
    if start is not None:
        units[start] = 1
    pure = optimize(
        net,
        norm,
        sites,
        float(min(k, sites.size)),
        objective="interception",
        method=pure_method,
        time_limit=pure_time_limit if pure_time_limit is not None else time_limit,
        tol=1e-9,
        start=units,
    )
    # the pure incumbent: the best of the optimizer's plan and the k-set it started from
    # (an optimizer stopped by its time limit may return less than its start)
    cands = [np.flatnonzero(pure.units > 0)] + ([np.asarray(start)] if start is not None else [])
    vals = [pure_value(inst, c) * scale for c in cands]
    pure_sites = cands[int(np.argmax(vals))]
    p_val = max(max(vals), 0.0)
    empty = all(len(s) == 0 for s in res.sets)
    if p_val > res.lower_bound or (empty and pure_sites.size):
        # the fixed plan guarantees more than the mixed one found (a run stopped early):
        # return the fixed plan, so that randomising is never reported as a loss; and a
        # plan with no site (a run stopped at once, or p = 0 everywhere) is no schedule
        # of K units: the fixed plan then stands for it at the same value
        cov = np.zeros(sites.size)
        cov[pure_sites] = 1.0
        res = replace(
            res,
            value=max(p_val, res.lower_bound),
            lower_bound=max(p_val, res.lower_bound),
            upper_bound=max(res.upper_bound, p_val, res.lower_bound),
            sets=[pure_sites],
            probability=np.ones(1),
            coverage=cov,
        )
    # the pure optimum is a mixed strategy: it is at most the game's upper bound
    if pure.status == "optimal":
        p_up = p_val
    else:
        ub = float(pure.upper_bound) * scale
        p_up = max(min(ub if not math.isnan(ub) else math.inf, res.upper_bound), p_val)
    units = np.zeros(sites.size, dtype=np.int64)
    units[pure_sites] = 1
    notes = []
    if k >= sites.size:
        notes.append(
            f"K = {k} but only {sites.size} {sites.kind} site(s): every site covered every "
            "day, nothing to randomise"
        )
    if not (inst.p > 0).any():
        notes.append(
            "every unit detects with p = 0: checkpoints intercept nothing; the value is "
            "the scenario's own enforcement"
        )
    return replace(
        res,
        notes=tuple(notes),
        seconds=t_game,
        pure_value=p_val,
        pure_upper=p_up,
        pure_status=pure.status if p_up > p_val else "optimal",
        pure_units=units,
        pure_seconds=pure.seconds,
    )


def _scaled(res: GameSolution, scale: float) -> GameSolution:
    """Return ``res``, solved on volumes divided by ``scale``, in the input's units."""
    log = [(r[0], r[1] * scale, r[2] * scale, r[3] * scale, *r[4:]) for r in res.log]
    return replace(
        res,
        value=res.value * scale,
        lower_bound=res.lower_bound * scale,
        upper_bound=res.upper_bound * scale,
        routes_upper=res.routes_upper * scale,
        base_value=res.base_value * scale,
        origin_volume=res.origin_volume * scale,
        log=log,
    )


def mixed_value(
    inst: GameInstance, sets: list[np.ndarray], probability: np.ndarray
) -> tuple[float, float]:
    """Return (lower, upper) bounds on a mixed strategy's value against an exact attacker.

    The two are equal unless the exact search hit its label limit.
    """
    from reten.models.game.strategies import KSets

    ks = KSets(inst.n_sites)
    for s in sets:
        ks.sets.append(np.unique(np.asarray(s, dtype=np.int64)))
    mat = ks.matrix()
    prob = np.asarray(probability, dtype=float)
    resp = tree_responses(inst, mat, prob)
    best, bound, _ = ExactAttacker(inst).respond(mat, prob, resp)
    return float(inst.volume @ (1.0 - bound)), float(inst.volume @ (1.0 - best))


def tsai_comparison(inst: GameInstance) -> dict[str, float | int]:
    """Return the LP-marginals-and-sample method's figures (Tsai et al. 2010).

    Keys: ``lp_value`` (the LP's own, optimistic estimate: an upper bound on the game's
    value), ``value`` (its comb-sampled strategy against an exact attacker), ``support``
    (k-sets) and ``seconds``.
    """
    t = clock.now()
    c, lp = marginal_lp(inst)
    sets, prob = comb_sample(c, inst.k)
    value, _ = mixed_value(inst, sets, prob)
    return {
        "lp_value": lp,
        "value": value,
        "support": len(sets),
        "seconds": clock.now() - t,
    }
