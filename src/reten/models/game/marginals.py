"""The LP-marginals-and-sample approximation (Tsai et al., AAAI 2010), for comparison.

The defender picks marginal coverages ``c_s`` in [0, 1] with ``sum_s c_s <= k``; a route's
interception is approximated by ``min(1, sum_{arcs e} q_e + sum_{s on P} p_s c_s)`` (``q_e``
the base detection), which over-states the true probability (a union bound). One LP finds
the best marginals (node potentials, as in the dual of a shortest-path problem); comb
(systematic) sampling then turns them into a mixed strategy over k-sets with exactly those
marginals. Its *true* value, against an exact best-responding attacker, is what the
comparison reports: Jain et al. (AAMAS 2011) show it can be arbitrarily worse than the
game's value.
"""

from __future__ import annotations

import math

import numpy as np

from reten.highs import quiet_highs
from reten.models.game.instance import GameInstance


def marginal_lp(inst: GameInstance, time_limit: float = math.inf) -> tuple[np.ndarray, float]:
    """Return (marginals c (S,), the LP's approximate value, kg/month).

    The LP value is an upper bound on the game's value (each route's approximate
    interception is at least its true expected interception under any strategy with
    these marginals). Stopped by ``time_limit`` (seconds) before optimality, it returns
    the marginals it has and the trivial bound (the total volume).
    """
    import highspy

    net, p = inst.net, inst.problem
    n = net.n_nodes
    s_cnt, o = inst.n_sites, inst.origin.size
    k = p.sink_node.size
    inf = highspy.kHighsInf
    h = quiet_highs()
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    # columns: c_s (S), pi_v (n + super-sink), z_o (O)
    n_col = s_cnt + n + 1 + o
    lo = np.concatenate([np.zeros(s_cnt), np.full(n, -inf), [0.0], np.full(o, -inf)])
    hi = np.concatenate([np.ones(s_cnt), np.full(n, inf), [0.0], np.ones(o)])
    h.addVars(n_col, lo, hi)
    cost = np.concatenate([np.zeros(s_cnt + n + 1), inst.volume])
    h.changeColsCost(n_col, np.arange(n_col, dtype=np.int32), cost)
    h.addRow(-inf, float(inst.k), s_cnt, np.arange(s_cnt, dtype=np.int32), np.ones(s_cnt))
    tails = np.concatenate([net.arc_source, p.sink_node])
    heads = np.concatenate([net.arc_target, np.full(k, n)])
    q = -np.expm1(-np.where(np.isfinite(inst.base), inst.base, 0.0))
    live = np.flatnonzero(np.isfinite(inst.base) & (tails != heads))
    site = inst.arc_site
    starts, idx, val = [0], [], []
    for e in live.tolist():
        cols = [s_cnt + int(tails[e]), s_cnt + int(heads[e])]
        coef = [1.0, -1.0]
        if site[e] >= 0:
            cols.append(int(site[e]))
            coef.append(-float(inst.p[site[e]]))
        idx.append(cols)
        val.append(coef)
        starts.append(starts[-1] + len(cols))
    # pi_tail - pi_head - p_s c_s <= q_e
    h.addRows(
        live.size,
        np.full(live.size, -inf),
        q[live],
        int(starts[-1]),
        np.array(starts[:-1], dtype=np.int32),
        np.array([c for cs in idx for c in cs], dtype=np.int32),
        np.array([v for vs in val for v in vs]),
    )
    # z_o <= pi_origin
    for i, v in enumerate(inst.origin.tolist()):
        zc = s_cnt + n + 1 + i
        h.addRow(-inf, 0.0, 2, np.array([zc, s_cnt + v], dtype=np.int32), np.array([1.0, -1.0]))
    if math.isfinite(time_limit):
        h.setOptionValue("time_limit", float(time_limit))
    h.run()
    x = np.asarray(h.getSolution().col_value)
    c = np.clip(x[:s_cnt], 0.0, 1.0) if x.size >= s_cnt else np.zeros(s_cnt)
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return c, float(inst.volume.sum())  # no proof: only the trivial bound holds
    return c, float(h.getInfo().objective_function_value)


def comb_sample(c: np.ndarray, k: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Return the k-sets of comb (systematic) sampling from marginals ``c`` and their
    probabilities: site ``s`` is in the drawn k-set with probability exactly ``c_s``.

    Examples
    --------
    >>> sets, prob = comb_sample(np.array([0.5, 0.5, 1.0]), 2)
    >>> [s.tolist() for s in sets], prob.tolist()
    ([[0, 2], [1, 2]], [0.5, 0.5])
    """
    c = np.clip(np.asarray(c, dtype=float), 0.0, 1.0)
    scale = min(1.0, k / max(c.sum(), 1e-300))
    c = c * scale if c.sum() > k else c
    on = np.flatnonzero(c > 1e-12)
    cum = np.concatenate([[0.0], np.cumsum(c[on])])
    cuts = np.unique(np.concatenate([[0.0, 1.0], np.mod(cum, 1.0)]))
    cuts = cuts[(cuts >= 0) & (cuts <= 1)]
    sets: list[np.ndarray] = []
    prob: list[float] = []
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        if b - a <= 1e-15:
            continue
        u = 0.5 * (a + b)
        pts = u + np.arange(k)
        pos = np.searchsorted(cum, pts, side="right") - 1
        pos = pos[(pos >= 0) & (pos < on.size) & (pts < cum[-1])]
        s = np.unique(on[pos])
        key = s.tobytes()
        for i, old in enumerate(sets):
            if old.tobytes() == key:
                prob[i] += b - a
                break
        else:
            sets.append(s)
            prob.append(b - a)
    pr = np.array(prob)
    return sets, pr / pr.sum()
