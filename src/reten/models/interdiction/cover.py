"""A fast heuristic for the covering master: allocations that meet every stored row.

The covering decomposition asks its master, again and again, for any allocation within the
budget that meets every stored route row; each answer is refuted by the trafficker's
response, whose routes become new rows. Most of those questions have many answers, and a
MILP solve from scratch (seconds late in the run) is a costly way to find one. A tabu
search on the rows' total shortfall finds one in milliseconds when it is easy; the MILP is
asked only when the search fails, and it alone can say that no answer exists (the proof).

Only the search's *answers* are used (as allocations to evaluate), never its failures, so
it changes how fast the decomposition runs, not what it proves.

References
----------
Glover, F. (1989). Tabu search, part I. *ORSA Journal on Computing* 1(3), 190-206.
Israeli, E. & Wood, R. K. (2002). Shortest-path network interdiction. *Networks* 40(2),
97-111.
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sp

#: tabu moves tried per call, at most
STEPS = 3000


def cover_search(
    rows: sp.csr_matrix,
    upper: np.ndarray,
    resource: np.ndarray,
    budget: float,
    start: np.ndarray,
    seed: int,
    steps: int = STEPS,
) -> np.ndarray | None:
    """Return an allocation meeting ``rows @ n >= 1`` within the budget, or ``None``.

    Parameters
    ----------
    rows : (R, S) sparse, non-negative
        Covering rows scaled to a right-hand side of 1 (the covering master's knapsack
        rows at its target).
    upper : (S,) int
        Units allowed per site.
    resource : (S,) float
        Resource per unit; ``resource @ n <= budget``.
    start : (S,) int
        Where the search starts (it need not meet the rows or use the whole budget).
    seed : int
        Seed of the tie-breaking (the search is deterministic given it).

    Returns
    -------
    (S,) int or None
        An allocation that meets every row (checked again here), or ``None`` if the search
        found none within ``steps`` moves; ``None`` proves nothing.

    Examples
    --------
    Three routes over sites 0-3; one unit must lie on each; two units suffice:

    >>> import numpy as np, scipy.sparse as sp
    >>> rows = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1.0]]))
    >>> n = cover_search(rows, np.ones(4, int), np.ones(4), 2.0, np.zeros(4, int), 0)
    >>> bool((rows @ n >= 1).all()) and int(n.sum()) <= 2
    True
    """
    r = rows.tocsr()
    c = r.tocsc()
    n, ok = _tabu(
        r.indptr.astype(np.int64),
        r.indices.astype(np.int64),
        r.data.astype(np.float64),
        c.indptr.astype(np.int64),
        c.indices.astype(np.int64),
        c.data.astype(np.float64),
        np.asarray(upper, dtype=np.int64),
        np.asarray(resource, dtype=np.float64),
        float(budget),
        np.asarray(start, dtype=np.int64).copy(),
        int(steps),
        int(seed),
    )
    if not ok or (r @ n < 1.0 - 1e-9).any() or resource @ n > budget + 1e-9:
        return None
    return n


@numba.njit(cache=True)
def _tabu(rp, ri, rd, cp, ci, cd, upper, resource, budget, n, steps, seed):  # type: ignore[no-untyped-def]
    R = rp.size - 1
    S = cp.size - 1
    rng = np.array([np.uint64(seed) * np.uint64(2654435761) + np.uint64(1)], dtype=np.uint64)
    tol = 1e-9
    # a start over the budget loses units from its cheapest-value sites first (crudely: any)
    spent = 0.0
    for s in range(S):
        spent += resource[s] * n[s]
    s = 0
    while spent > budget + tol and s < S:
        while n[s] > 0 and spent > budget + tol:
            n[s] -= 1
            spent -= resource[s]
        s += 1
    cov = np.zeros(R)
    for s in range(S):
        if n[s] > 0:
            for k in range(cp[s], cp[s + 1]):
                cov[ci[k]] += cd[k] * n[s]
    tabu_add = np.zeros(S, np.int64)  # step until which a site may not gain a unit
    tabu_drop = np.zeros(S, np.int64)  # step until which a site may not lose one
    gain = np.zeros(S)
    touched = np.zeros(S, np.int64)
    short = np.empty(R, np.int64)
    best_short = 1e300
    for step in range(steps):
        total = 0.0
        ns = 0
        for i in range(R):
            if cov[i] < 1.0 - tol:
                total += 1.0 - cov[i]
                short[ns] = i
                ns += 1
        if ns == 0:
            return n, True
        if total < best_short - tol:
            best_short = total
        spare = budget - spent
        # move: take one unit off site s (or none, s = -1), put one on site t
        best_delta = -1e300
        best_s, best_t, ties = -2, -1, 0
        units = np.flatnonzero(n > 0)
        for a in range(-1, units.size):
            s = -1 if a < 0 else units[a]
            if s >= 0 and tabu_drop[s] > step:
                continue
            free = spare + (resource[s] if s >= 0 else 0.0)
            loss = 0.0
            if s >= 0:
                for k in range(cp[s], cp[s + 1]):
                    i = ci[k]
                    before = max(0.0, 1.0 - cov[i])
                    cov[i] -= cd[k]
                    loss += max(0.0, 1.0 - cov[i]) - before
            # gain of one more unit on t: only rows still short after the removal count
            nt = 0
            for i in range(R):
                if cov[i] < 1.0 - tol:
                    need = 1.0 - cov[i]
                    for k in range(rp[i], rp[i + 1]):
                        t = ri[k]
                        if gain[t] == 0.0:
                            touched[nt] = t
                            nt += 1
                        gain[t] += min(rd[k], need)
            for j in range(nt):
                t = touched[j]
                g = gain[t]
                gain[t] = 0.0
                if t == s or n[t] >= upper[t] or resource[t] > free + tol:
                    continue
                delta = g - loss
                if tabu_add[t] > step and total - delta > best_short - tol:
                    continue  # tabu, unless it beats the best shortfall seen (aspiration)
                if delta > best_delta + 1e-12:
                    best_delta, best_s, best_t, ties = delta, s, t, 1
                elif delta > best_delta - 1e-12:
                    ties += 1
                    if _rand(rng, ties) == 0:
                        best_s, best_t = s, t
            if s >= 0 and loss <= tol and best_delta < -1e-12:
                # a unit that meets nothing alone may simply go (it frees resource for a
                # pricier site a full budget could not otherwise afford), when no move helps
                best_delta, best_s, best_t, ties = 0.0, s, -1, 1
            if s >= 0:
                for k in range(cp[s], cp[s + 1]):
                    cov[ci[k]] += cd[k]
        if best_s == -2:
            break
        if best_s >= 0:
            n[best_s] -= 1
            spent -= resource[best_s]
            for k in range(cp[best_s], cp[best_s + 1]):
                cov[ci[k]] -= cd[k]
            tabu_add[best_s] = step + 7 + _rand(rng, 5)
        if best_t < 0:
            continue
        n[best_t] += 1
        spent += resource[best_t]
        for k in range(cp[best_t], cp[best_t + 1]):
            cov[ci[k]] += cd[k]
        tabu_drop[best_t] = step + 3 + _rand(rng, 3)
    for i in range(R):
        if cov[i] < 1.0 - tol:
            return n, False
    return n, True


@numba.njit(cache=True)
def _rand(state, k):  # type: ignore[no-untyped-def]
    """A uniform integer in ``[0, k)`` from a 64-bit linear congruential state (Knuth's
    MMIX constants), so the search is the same on every machine for a given seed."""
    state[0] = state[0] * np.uint64(6364136223846793005) + np.uint64(1442695040888963407)
    return int((state[0] >> np.uint64(33)) % np.uint64(k))
