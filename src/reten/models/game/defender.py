"""The defender's best response to a mixed attacker: greedy, then an exact MILP.

Against the attacker's routes ``r`` taken with weights ``beta_r`` (volume times
probability), a k-set ``S`` intercepts ``sum_r beta_r (1 - exp(-L_r - t_r(S)))`` with
``t_r(S) = sum_{s in S on r} w_s``. This is a weighted coverage function: monotone and
submodular in ``S``, so the greedy is within ``1 - 1/e`` (and usually optimal).

The MILP minimises the expected survival ``sum_r beta_r exp(-L_r) u_r`` over binary
``x_s`` (``sum_s x_s <= k``) with ``u_r`` above tangents of the convex ``exp(-t)`` at
``t_r = sum_s w_s x_s`` (the log-survival linearisation the interception objective uses,
Morton, Pan & Saeger 2007). Tangents under-estimate ``exp(-t)``, so every MILP bound is an
upper bound on the interception. Tangents sit at every value ``t_r`` can take when the
``w_s`` on a route are equal (``0, w, 2w, ...``), which makes the MILP exact in one solve;
otherwise tangents are added at the solution's ``t_r`` until the MILP's value and the true
one meet (finitely many values of ``t_r``).
"""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.sparse as sp

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
    """
    import highspy

    t0 = time.perf_counter()
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
    w = logsurv[cand]
    coef = beta[keep] * np.exp(-base[keep])
    n_x, n_r = cand.size, keep.size
    inf = highspy.kHighsInf
    h = quiet_highs()
    h.setOptionValue("mip_rel_gap", 1e-10)
    h.setOptionValue("mip_abs_gap", 1e-12 * max(1.0, total))
    lower = np.zeros(n_x + n_r)
    upper = np.concatenate([np.ones(n_x), np.full(n_r, 1.0)])
    cost = np.concatenate([np.zeros(n_x), coef])
    h.addVars(n_x + n_r, lower, upper)
    h.changeColsCost(n_x + n_r, np.arange(n_x + n_r, dtype=np.int32), cost)
    h.changeColsIntegrality(
        n_x, np.arange(n_x, dtype=np.int32), np.full(n_x, highspy.HighsVarType.kInteger)
    )
    h.addRow(-inf, float(k), n_x, np.arange(n_x, dtype=np.int32), np.ones(n_x))

    def tangents(points: list[tuple[int, float]]) -> None:
        # u_r + e^{-a} sum_s w_s x_s >= e^{-a} (1 + a)
        starts, idx, val, lo = [0], [], [], []
        for r, a in points:
            sl = slice(hr.indptr[r], hr.indptr[r + 1])
            xs = hr.indices[sl]
            ea = math.exp(-a)
            idx.append(np.concatenate([[n_x + r], xs]))
            val.append(np.concatenate([[1.0], ea * w[xs]]))
            lo.append(ea * (1.0 + a))
            starts.append(starts[-1] + xs.size + 1)
        if not points:
            return
        h.addRows(
            len(points),
            np.array(lo),
            np.full(len(points), inf),
            int(starts[-1]),
            np.array(starts[:-1], dtype=np.int32),
            np.concatenate(idx).astype(np.int32),
            np.concatenate(val),
        )

    init: list[tuple[int, float]] = []
    for r in range(n_r):
        ws = np.sort(w[hr.indices[hr.indptr[r] : hr.indptr[r + 1]]])
        nmax = min(k, ws.size)
        if ws.size and ws[-1] - ws[0] <= 1e-12 * ws[-1]:
            pts = [c * float(ws[0]) for c in range(nmax + 1)]
        else:  # unequal weights: the smallest and largest sums of each count
            pts = sorted({0.0, *np.cumsum(ws)[:nmax].tolist(), *np.cumsum(ws[::-1])[:nmax].tolist()})
        init += [(r, a) for a in pts]
    tangents(init)
    if start is not None and len(start):
        xs = np.zeros(n_x + n_r)
        pos = col[np.asarray(start, dtype=np.int64)]
        pos = pos[pos >= 0]
        xs[pos] = 1.0
        xs[n_x:] = np.exp(-(hr @ (xs[:n_x] * w)))
        sol = highspy.HighsSolution()
        sol.col_value = xs.tolist()
        sol.value_valid = True
        h.setSolution(sol)
    best_sites = np.asarray(start if start is not None else np.zeros(0), dtype=np.int64)
    best_val = interception(hits, base, beta, logsurv, best_sites) if best_sites.size else 0.0
    up = math.inf
    for _ in range(50):
        remaining = time_limit - (time.perf_counter() - t0)
        if remaining <= 0:
            break
        h.setOptionValue("time_limit", remaining)
        h.run()
        info = h.getInfo()
        st = h.getModelStatus()
        bound = float(info.mip_dual_bound)
        if st == highspy.HighsModelStatus.kOptimal:
            bound = min(bound, float(info.objective_function_value))
        if math.isfinite(bound):
            up = min(up, total - bound)
        x = np.asarray(h.getSolution().col_value)
        if x.size < n_x:
            break
        chosen = cand[np.flatnonzero(x[:n_x] > 0.5)]
        val = interception(hits, base, beta, logsurv, chosen)
        if val > best_val:
            best_val, best_sites = val, chosen
        if st != highspy.HighsModelStatus.kOptimal:
            break
        t = hr @ (np.round(x[:n_x]) * w)
        true_u = np.exp(-t)
        short = np.flatnonzero(true_u - x[n_x:] > 1e-12)
        if up - best_val <= 1e-10 * max(1.0, total) or short.size == 0:
            break
        tangents([(int(r), float(t[r])) for r in short])
    up = max(up, best_val)
    return np.sort(best_sites), best_val, up
