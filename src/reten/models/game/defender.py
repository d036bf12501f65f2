"""The defender's best response to a mixed attacker: greedy, then an exact MILP.

Against the attacker's routes ``r`` taken with weights ``beta_r`` (volume times
probability), a k-set ``S`` intercepts ``sum_r beta_r (1 - exp(-L_r - t_r(S)))`` with
``t_r(S) = sum_{s in S on r} w_s``. This is a weighted coverage function: monotone and
submodular in ``S``, so the greedy is within ``1 - 1/e`` (and usually optimal).

The MILP minimises the expected survival ``sum_r beta_r exp(-L_r) y_r`` over binary
``x_s`` (``sum_s x_s <= k``): each route's survival ``y_r`` is followed site by site with
two linear inequalities per site that are exact on binary ``x`` (see
:func:`best_response_milp`), and bounded below by tangents of the convex ``exp(-t)`` at
``t_r = sum_s w_s x_s`` (the log-survival linearisation the interception objective uses,
Morton, Pan & Saeger 2007). Every bound HiGHS proves is an upper bound on the
interception, whenever it stops.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from reten import clock
from reten.highs import quiet_highs


def interception(
    hits: sp.csr_matrix, base: np.ndarray, beta: np.ndarray, logsurv: np.ndarray, sites: np.ndarray
) -> float:
    """Return ``sum_r beta_r (1 - exp(-L_r - t_r(S)))`` for the k-set ``sites``."""
    x = np.zeros(hits.shape[1])
    x[np.asarray(sites, dtype=np.int64)] = logsurv[np.asarray(sites, dtype=np.int64)]
    return float(beta @ -np.expm1(-(base + hits @ x)))


def greedy(
    hits: sp.csr_matrix, base: np.ndarray, beta: np.ndarray, logsurv: np.ndarray, k: int
) -> tuple[np.ndarray, float]:
    """Return a k-set by greedy marginal interception, then improving swaps, and its value.

    Parameters
    ----------
    hits : (R, S) sparse 0/1
    base : (R,) float
    beta : (R,) float
        Weight of each route (kg/month on it).
    logsurv : (S,) float
    k : int

    Returns
    -------
    sites : (<= k,) int
    value : float
    """
    p = -np.expm1(-logsurv)
    hc = hits.tocsc()
    surv = beta * np.exp(-base)
    chosen: list[int] = []
    for _ in range(k):
        gain = p * (hc.T @ surv)
        if chosen:
            gain[chosen] = -1.0
        s = int(np.argmax(gain))
        if gain[s] <= 0:
            break
        chosen.append(s)
        col = hc[:, s]
        surv[col.indices] *= 1.0 - p[s]
    value = float(beta.sum() - surv.sum())
    # swaps: drop one site, add the best other; repeat while it helps
    improved = True
    rounds = 0
    while improved and rounds < 4 * max(k, 1):
        improved = False
        rounds += 1
        for i in range(len(chosen)):
            s = chosen[i]
            col = hc[:, s]
            surv_wo = surv.copy()
            surv_wo[col.indices] /= 1.0 - p[s]
            gain = p * (hc.T @ surv_wo)
            gain[chosen] = -1.0
            t = int(np.argmax(gain))
            old_gain = p[s] * float(surv_wo[col.indices].sum())
            if gain[t] > old_gain * (1 + 1e-12) + 1e-15:
                chosen[i] = t
                surv = surv_wo
                surv[hc[:, t].indices] *= 1.0 - p[t]
                value = float(beta.sum() - surv.sum())
                improved = True
    return np.array(sorted(chosen), dtype=np.int64), value


def best_response_milp(
    hits: sp.csr_matrix,
    base: np.ndarray,
    beta: np.ndarray,
    logsurv: np.ndarray,
    k: int,
    *,
    start: np.ndarray | None = None,
    time_limit: float = 60.0,
) -> tuple[np.ndarray, float, float]:
    """Return (k-set, its interception, upper bound on the best interception) by MILP.

    Parameters
    ----------
    hits, base, beta, logsurv, k
        As for :func:`greedy`.
    start : (<= k,) int, optional
        A k-set given to HiGHS as a starting solution (the greedy's).
    time_limit : float
        Seconds; the bound returned is valid whenever it stops.

    Returns
    -------
    sites : (<= k,) int
    value : float
        The k-set's exact interception.
    upper : float
        ``>= max_S interception(S)``.

    Notes
    -----
    Route ``r``'s survival is followed site by site along it: ``y_0 = 1`` and, for its
    ``i``-th candidate site ``s``, ``y_i >= (1 - p_s) y_{i-1}`` and
    ``y_i >= y_{i-1} - p_s x_s`` (a McCormick bound with ``y <= 1``), which on binary ``x``
    force ``y_i >= y_{i-1}`` when ``s`` is not chosen and ``y_i >= (1 - p_s) y_{i-1}``
    when it is: the least ``y`` is the exact product, so the MILP is exact in one solve.
    Tangent cuts of ``exp(-t_r)`` at the values ``t_r = sum_s w_s x_s`` can take (the
    log-survival linearisation of the interception objective) tighten its relaxation.
    """
    import highspy

    t0 = clock.now()
    keep = np.flatnonzero(beta > 0)
    h_r = hits[keep].tocsr()
    cand = np.unique(h_r.indices)
    total = float(beta[keep].sum())
    if cand.size <= k:
        v = interception(hits, base, beta, logsurv, cand)
        return cand, v, v
    col = np.full(hits.shape[1], -1, dtype=np.int64)
    col[cand] = np.arange(cand.size)
    hr = sp.csr_matrix((h_r.data, col[h_r.indices], h_r.indptr), shape=(keep.size, cand.size))
    hr.sort_indices()
    w = logsurv[cand]
    p = -np.expm1(-w)
    coef = beta[keep] * np.exp(-base[keep])
    n_x, n_r = cand.size, keep.size
    # columns: x (n_x), then per route its chain y_1..y_len (the last is the survival)
    lens = np.diff(hr.indptr)
    y0 = n_x + np.concatenate([[0], np.cumsum(lens)[:-1]])
    last = y0 + lens - 1
    n_col = n_x + int(lens.sum())
    inf = highspy.kHighsInf
    h = quiet_highs()
    h.setOptionValue("mip_rel_gap", 1e-10)
    h.setOptionValue("mip_abs_gap", 1e-12 * max(1.0, total))
    # a route that passes no candidate site survives with exp(-base) whatever is chosen:
    # a constant of the objective, with no chain (its "last" would be another column)
    chained = lens > 0
    fixed = float(coef[~chained].sum())
    cost = np.zeros(n_col)
    cost[last[chained]] = coef[chained]
    h.addVars(n_col, np.zeros(n_col), np.ones(n_col))
    h.changeColsCost(n_col, np.arange(n_col, dtype=np.int32), cost)
    h.changeColsIntegrality(
        n_x, np.arange(n_x, dtype=np.int32), np.full(n_x, highspy.HighsVarType.kInteger)
    )
    h.addRow(-inf, float(k), n_x, np.arange(n_x, dtype=np.int32), np.ones(n_x))
    rows_i: list[list[int]] = []
    rows_v: list[list[float]] = []
    rows_lo: list[float] = []
    for r in np.flatnonzero(chained).tolist():
        xs = hr.indices[hr.indptr[r] : hr.indptr[r + 1]]
        for i, s in enumerate(xs.tolist()):
            y = int(y0[r] + i)
            if i == 0:  # y_1 >= 1 - p, y_1 >= 1 - p x
                rows_i += [[y], [y, s]]
                rows_v += [[1.0], [1.0, float(p[s])]]
                rows_lo += [1.0 - float(p[s]), 1.0]
            else:
                rows_i += [[y, y - 1], [y, y - 1, s]]
                rows_v += [[1.0, -(1.0 - float(p[s]))], [1.0, -1.0, float(p[s])]]
                rows_lo += [0.0, 0.0]
        # tangents of exp(-t) at the values t can take: y_last + e^-a sum w x >= e^-a (1 + a)
        ws = np.sort(w[xs])
        nmax = min(k, ws.size)
        if ws.size and ws[-1] - ws[0] <= 1e-12 * ws[-1]:
            pts = [c * float(ws[0]) for c in range(nmax + 1)]
        else:
            pts = sorted(
                {0.0, *np.cumsum(ws)[:nmax].tolist(), *np.cumsum(ws[::-1])[:nmax].tolist()}
            )
        for a in pts:
            ea = math.exp(-a)
            rows_i.append([int(last[r]), *xs.tolist()])
            rows_v.append([1.0, *(ea * w[xs]).tolist()])
            rows_lo.append(ea * (1.0 + a))
    starts = np.concatenate([[0], np.cumsum([len(x) for x in rows_i])[:-1]]).astype(np.int32)
    h.addRows(
        len(rows_i),
        np.array(rows_lo),
        np.full(len(rows_i), inf),
        int(sum(len(x) for x in rows_i)),
        starts,
        np.array([c for x in rows_i for c in x], dtype=np.int32),
        np.array([v for x in rows_v for v in x]),
    )
    if start is not None and len(start):
        xs0 = np.zeros(n_col)
        pos = col[np.asarray(start, dtype=np.int64)]
        xs0[pos[pos >= 0]] = 1.0
        for r in range(n_r):
            sl = hr.indices[hr.indptr[r] : hr.indptr[r + 1]]
            xs0[y0[r] : y0[r] + lens[r]] = np.cumprod(1.0 - p[sl] * xs0[sl])
        sol = highspy.HighsSolution()
        sol.col_value = xs0.tolist()
        sol.value_valid = True
        h.setSolution(sol)
    best_sites = np.asarray(start if start is not None else np.zeros(0), dtype=np.int64)
    best_val = interception(hits, base, beta, logsurv, best_sites) if best_sites.size else 0.0
    h.setOptionValue("time_limit", max(time_limit - (clock.now() - t0), 0.05))
    h.run()
    info = h.getInfo()
    st = h.getModelStatus()
    bound = float(info.mip_dual_bound)
    if st == highspy.HighsModelStatus.kOptimal:
        bound = min(bound, float(info.objective_function_value))
    up = total - (bound + fixed) if math.isfinite(bound) else math.inf
    x = np.asarray(h.getSolution().col_value)
    if x.size >= n_x:
        chosen = cand[np.flatnonzero(x[:n_x] > 0.5)]
        val = interception(hits, base, beta, logsurv, chosen)
        if val > best_val:
            best_val, best_sites = val, chosen
    up = max(up, best_val)
    return np.sort(best_sites), best_val, up


def swap_neighbours(
    hits: sp.csr_matrix,
    base: np.ndarray,
    beta: np.ndarray,
    logsurv: np.ndarray,
    sites: np.ndarray,
    top: int,
) -> list[tuple[float, np.ndarray]]:
    """Return up to ``top`` k-sets one swap away from ``sites`` (one site out, one in),
    best interception first, as (value, sites).

    Adding several good columns per iteration counters the master LP's degenerate duals,
    which otherwise let one new k-set be cancelled by a shift of the attacker's mix.
    """
    p = -np.expm1(-logsurv)
    hc = hits.tocsc()
    x = np.zeros(hits.shape[1])
    sites = np.asarray(sites, dtype=np.int64)
    x[sites] = logsurv[sites]
    surv = beta * np.exp(-(base + hits @ x))
    total = float(beta.sum())
    cands: list[tuple[float, np.ndarray]] = []
    for s in sites.tolist():
        wo = surv.copy()
        col = hc[:, s]
        wo[col.indices] /= 1.0 - p[s]
        gain = p * (hc.T @ wo)
        gain[sites] = -1.0
        order = np.argsort(-gain, kind="stable")[:top]
        base_val = total - float(wo.sum())
        for t in order.tolist():
            if gain[t] <= 0:
                break
            new = np.sort(np.concatenate([sites[sites != s], [t]]))
            cands.append((base_val + float(gain[t]), new))
    cands.sort(key=lambda c: -c[0])
    return cands[:top]
