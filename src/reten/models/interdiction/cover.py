"""A fast heuristic for the covering master: allocations that meet every stored row.

The covering decomposition asks its master, again and again, for any allocation within the
budget that meets every stored route row; each answer is refuted by the trafficker's
response, whose routes become new rows. Most of those questions have many answers, and a
MILP solve from scratch (seconds late in the run, minutes near the optimum) is a costly way
to find one. A row-weighting local search finds one in milliseconds when it is easy and in
about a second when it is hard; the MILP is asked only when the search fails, and it alone
can say that no answer exists (the proof).

The search (after Gao, Weise & Li's row-weighting local search for unicost set covering)
keeps the budget spent and moves one unit per step: it picks a random short row, takes off
the unit whose removal loses the least weighted cover (none while the budget has room),
and puts one on the site of that row that meets the most weighted shortfall; the weight of
every row still short then grows by one, so rows that stay short pull the search towards
them. The site just emptied may not be refilled, nor the one just filled emptied, at the
next step. On a 20x40 grid at B = 8 (seed 4) the plain tabu search this replaced missed
two covers a MILP then took 132 s to find; this one finds each in under 10,000 steps.

Only the search's *answers* are used (as allocations to evaluate), never its failures, so
it changes how fast the decomposition runs, not what it proves.

References
----------
Gao, C., Weise, T. & Li, J. (2015). A weighting-based local search heuristic algorithm for
the set covering problem. *IEEE Congress on Evolutionary Computation*, 826-831.
Israeli, E. & Wood, R. K. (2002). Shortest-path network interdiction. *Networks* 40(2),
97-111.
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sp

#: moves tried per call, at most (hard covers of a 20x40 grid at B = 8: 2,000 to 10,000)
STEPS = 10000
#: moves of the several-origin search per call, at most
VALUE_STEPS = 400
#: steps without a better value after which the several-origin search kicks a unit out
STALL = 20


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
    n, ok = _weighted(
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
def _weighted(rp, ri, rd, cp, ci, cd, upper, resource, budget, n, steps, seed):  # type: ignore[no-untyped-def]
    R = rp.size - 1
    S = cp.size - 1
    rng = np.array([np.uint64(seed) * np.uint64(2654435761) + np.uint64(1)], dtype=np.uint64)
    tol = 1e-9
    spent = _fit_budget(n, resource, budget)
    cov = _add_columns(cp, ci, cd, n, np.zeros(R))
    w = np.ones(R)
    # uncovered rows as a set: list + position
    unc = np.empty(R, np.int64)
    pos = -np.ones(R, np.int64)
    nu = 0
    for i in range(R):
        if cov[i] < 1.0 - tol:
            pos[i] = nu
            unc[nu] = i
            nu += 1
    age = np.zeros(S, np.int64)
    tabu_add = np.zeros(S, np.int64)
    tabu_drop = np.zeros(S, np.int64)
    for step in range(1, steps + 1):
        if nu == 0:
            return n, True
        spare = budget - spent
        # the row to meet: a random short row
        i0 = unc[_rand(rng, nu)]
        # first the unit to take off (none while the budget has room for this row's
        # cheapest site): the one whose loss, by row weight, is least
        best_s, best_t, best_v = -1, -1, -1e300
        cheapest = 1e300
        for kk in range(rp[i0], rp[i0 + 1]):
            t = ri[kk]
            if n[t] < upper[t] and resource[t] < cheapest:
                cheapest = resource[t]
        if cheapest > spare + tol:
            best_loss = 1e300
            for s in range(S):
                if n[s] == 0 or tabu_drop[s] >= step:
                    continue
                loss = 0.0
                for k in range(cp[s], cp[s + 1]):
                    i = ci[k]
                    c = cov[i]
                    loss += w[i] * (max(0.0, 1.0 - (c - cd[k])) - max(0.0, 1.0 - c))
                older = best_s >= 0 and age[s] < age[best_s]
                if loss < best_loss - 1e-12 or (loss < best_loss + 1e-12 and older):
                    best_loss, best_s = loss, s
            if best_s < 0:
                w[i0] += 1.0
                continue
            for k in range(cp[best_s], cp[best_s + 1]):
                cov[ci[k]] -= cd[k]
        free = spare + (resource[best_s] if best_s >= 0 else 0.0)
        for kk in range(rp[i0], rp[i0 + 1]):
            t = ri[kk]
            if t == best_s or n[t] >= upper[t] or tabu_add[t] >= step:
                continue
            if resource[t] > free + tol:
                continue
            g = 0.0
            for k in range(cp[t], cp[t + 1]):
                i = ci[k]
                c = cov[i]
                if c < 1.0:
                    g += w[i] * (1.0 - c - max(0.0, 1.0 - c - cd[k]))
            if g > best_v + 1e-12 or (g > best_v - 1e-12 and age[t] < age[best_t]):
                best_t, best_v = t, g
        if best_s >= 0:
            for k in range(cp[best_s], cp[best_s + 1]):
                cov[ci[k]] += cd[k]
        if best_t < 0 and not (best_s >= 0 and cheapest > free + tol):
            # nothing in this row may take a unit: the row is noted by weight and another
            # tried
            w[i0] += 1.0
            continue
        # (with a unit off and still no room for this row's cheapest site, the unit just
        # goes: the budget it frees lets a later step afford a pricier site)
        for s2, d in ((best_s, -1), (best_t, 1)):
            if s2 < 0:
                continue
            n[s2] += d
            spent += d * resource[s2]
            age[s2] = step
            for k in range(cp[s2], cp[s2 + 1]):
                i = ci[k]
                cov[i] += d * cd[k]
                short = cov[i] < 1.0 - tol
                if short and pos[i] < 0:
                    pos[i] = nu
                    unc[nu] = i
                    nu += 1
                elif not short and pos[i] >= 0:
                    j = pos[i]
                    last = unc[nu - 1]
                    unc[j] = last
                    pos[last] = j
                    pos[i] = -1
                    nu -= 1
        if best_s >= 0:
            tabu_add[best_s] = step + 1
        if best_t >= 0:
            tabu_drop[best_t] = step + 1
        for j in range(nu):
            w[unc[j]] += 1.0
    return n, nu == 0


@numba.njit(cache=True)
def _fit_budget(n, resource, budget):  # type: ignore[no-untyped-def]
    """Drop units of ``n`` (in place, lowest sites first) until it fits the budget; return
    the resource it then uses."""
    tol = 1e-9
    spent = 0.0
    for s in range(n.size):
        spent += resource[s] * n[s]
    s = 0
    while spent > budget + tol and s < n.size:
        while n[s] > 0 and spent > budget + tol:
            n[s] -= 1
            spent -= resource[s]
        s += 1
    return spent


@numba.njit(cache=True)
def _add_columns(cp, ci, cd, n, out):  # type: ignore[no-untyped-def]
    """Add ``n[s]`` times column ``s`` (CSC ``cp, ci, cd``) to ``out``; return it."""
    for s in range(cp.size - 1):
        if n[s] > 0:
            for k in range(cp[s], cp[s + 1]):
                out[ci[k]] += cd[k] * n[s]
    return out


@numba.njit(cache=True)
def _rand(state, k):  # type: ignore[no-untyped-def]
    """A uniform integer in ``[0, k)`` from a 64-bit linear congruential state (Knuth's
    MMIX constants), so the search is the same on every machine for a given seed."""
    state[0] = state[0] * np.uint64(6364136223846793005) + np.uint64(1442695040888963407)
    return int((state[0] >> np.uint64(33)) % np.uint64(k))


def value_search(
    routes: sp.csr_matrix,
    base: np.ndarray,
    origin_ptr: np.ndarray,
    upper: np.ndarray,
    resource: np.ndarray,
    budget: float,
    target: float,
    start: np.ndarray,
    seed: int,
    steps: int = VALUE_STEPS,
) -> np.ndarray | None:
    """Return an allocation whose stored-route value reaches ``target``, or ``None``.

    The covering master with several origins asks for units ``n`` within the budget with
    ``sum_o min_{r in R_o} (b_r + routes[r] @ n) >= target``: each origin's cheapest stored
    route, at its volume, summed. A tabu search with swap moves answers it: while the
    budget has room it adds the unit that raises the sum most; otherwise it takes off the
    unit whose loss is least and puts on the one whose gain is greatest, whatever the net,
    and neither may be undone for a few steps. An origin's value rises with a unit on
    ``t`` only if every one of its cheapest routes crosses ``t``; the gain is then exact
    (its cheapest route without ``t``, or with ``t``'s delay added).

    Parameters
    ----------
    routes : (R, S) sparse, non-negative
        Value added to route ``r`` by one unit on site ``s`` (volume x delay x crossings);
        the routes of origin ``o`` are rows ``origin_ptr[o]:origin_ptr[o + 1]``.
    base : (R,) float
        Each route's value with no units.
    origin_ptr : (O + 1,) int
        Row ranges of the origins (every origin has at least one route).
    upper, resource, budget
        As in :func:`cover_search`.
    target : float
        The sum to reach.
    start : (S,) int
        Where the search starts.

    Returns
    -------
    (S,) int or None
        An allocation within the budget that reaches ``target`` (checked again here), or
        ``None`` if the search found none in ``steps`` moves; ``None`` proves nothing.

    Examples
    --------
    Two origins: one route each through site 0 (value 1 + 2 n_0) and site 1
    (value 1 + 3 n_1); one unit reaches 5 only on site 1:

    >>> import numpy as np, scipy.sparse as sp
    >>> routes = sp.csr_matrix(np.array([[2.0, 0.0], [0.0, 3.0]]))
    >>> n = value_search(routes, np.ones(2), np.array([0, 1, 2]), np.ones(2, int),
    ...                  np.ones(2), 1.0, 5.0, np.array([1, 0]), 0)
    >>> n.tolist()
    [0, 1]
    """
    r = routes.tocsr()
    r.sort_indices()
    c = r.tocsc()
    c.sort_indices()
    base = np.asarray(base, dtype=np.float64)
    n, ok = _value_tabu(
        r.indptr.astype(np.int64),
        r.indices.astype(np.int64),
        r.data.astype(np.float64),
        c.indptr.astype(np.int64),
        c.indices.astype(np.int64),
        c.data.astype(np.float64),
        base,
        np.asarray(origin_ptr, dtype=np.int64),
        np.asarray(upper, dtype=np.int64),
        np.asarray(resource, dtype=np.float64),
        float(budget),
        float(target),
        np.asarray(start, dtype=np.int64).copy(),
        int(steps),
        int(seed),
    )
    if not ok or resource @ n > budget + 1e-9:
        return None
    val = base + r @ n
    total = sum(float(val[a:b].min()) for a, b in zip(origin_ptr[:-1], origin_ptr[1:], strict=True))
    return n if total >= target else None


@numba.njit(cache=True)
def _origin_of(origin_ptr, R):  # type: ignore[no-untyped-def]
    org = np.empty(R, np.int64)
    for o in range(origin_ptr.size - 1):
        for r in range(origin_ptr[o], origin_ptr[o + 1]):
            org[r] = o
    return org


@numba.njit(cache=True)
def _gains(
    rp, ri, rd, val, m, origin_ptr, cand_cnt, best_with, gain, touched, mark, plat, ptouched
):  # type: ignore[no-untyped-def]
    """Fill ``gain[t]`` (sum over origins of the rise of their least route value) for a
    unit more on each site ``t``, and ``plat[t]`` (sum over origins of the share of their
    cheapest routes ``t`` lies on: what a unit there does on a plateau, where cheapest
    routes tie and no single unit gains); return how many sites each list holds."""
    nt = 0
    npl = 0
    tol = 1e-9
    stamp = 0
    for o in range(origin_ptr.size - 1):
        a, b = origin_ptr[o], origin_ptr[o + 1]
        m1 = m[o]
        # sites on every cheapest route of o
        k = 0
        for r in range(a, b):
            if val[r] <= m1 + tol * max(1.0, abs(m1)):
                k += 1
                for q in range(rp[r], rp[r + 1]):
                    cand_cnt[ri[q]] += 1
        ncand = 0
        r0 = -1
        for r in range(a, b):
            if val[r] <= m1 + tol * max(1.0, abs(m1)):
                r0 = r
                break
        for q in range(rp[r0], rp[r0 + 1]):
            t = ri[q]
            if cand_cnt[t] == k:
                best_with[t] = 1e300
                ncand += 1
        if ncand > 0:
            for r in range(a, b):
                for q in range(rp[r], rp[r + 1]):
                    t = ri[q]
                    if cand_cnt[t] == k:
                        v = val[r] + rd[q]
                        if v < best_with[t]:
                            best_with[t] = v
            # the cheapest route without t: walk o's routes by value
            nr = b - a
            keys = np.empty(nr)
            for j in range(nr):
                keys[j] = val[a + j]
            idx = np.argsort(keys)
            unresolved = ncand
            for q in range(rp[r0], rp[r0 + 1]):
                t = ri[q]
                if cand_cnt[t] == k:
                    cand_cnt[t] = -1  # candidate not yet resolved
            for j in range(nr):
                if unresolved == 0:
                    break
                r = a + idx[j]
                stamp += 1
                for q in range(rp[r], rp[r + 1]):
                    mark[ri[q]] = stamp
                for q in range(rp[r0], rp[r0 + 1]):
                    t = ri[q]
                    if cand_cnt[t] == -1 and mark[t] != stamp:
                        cand_cnt[t] = -2  # resolved: route r lacks t
                        unresolved -= 1
                        if val[r] < best_with[t]:
                            best_with[t] = val[r]
            for q in range(rp[r0], rp[r0 + 1]):
                t = ri[q]
                if cand_cnt[t] == -1 or cand_cnt[t] == -2:
                    g = best_with[t] - m1
                    if g > 0.0:
                        if gain[t] == 0.0:
                            touched[nt] = t
                            nt += 1
                        gain[t] += g
                    cand_cnt[t] = -3  # done for this origin
        # each site's share of o's cheapest routes (candidates: all of them), and reset
        for r in range(a, b):
            if val[r] <= m1 + tol * max(1.0, abs(m1)):
                for q in range(rp[r], rp[r + 1]):
                    t = ri[q]
                    c = cand_cnt[t]
                    if c != 0:
                        if plat[t] == 0.0:
                            ptouched[npl] = t
                            npl += 1
                        plat[t] += 1.0 if c < 0 else c / k
                        cand_cnt[t] = 0
    return nt, npl


@numba.njit(cache=True)
def _value_tabu(
    rp, ri, rd, cp, ci, cd, base, origin_ptr, upper, resource, budget, target, n, steps, seed
):  # type: ignore[no-untyped-def]
    R = rp.size - 1
    S = cp.size - 1
    n_org = origin_ptr.size - 1
    rng = np.array([np.uint64(seed) * np.uint64(2654435761) + np.uint64(1)], dtype=np.uint64)
    tol = 1e-9
    org = _origin_of(origin_ptr, R)
    spent = _fit_budget(n, resource, budget)
    val = _add_columns(cp, ci, cd, n, base.copy())
    m = np.full(n_org, 1e300)
    for r in range(R):
        if val[r] < m[org[r]]:
            m[org[r]] = val[r]
    cand_cnt = np.zeros(S, np.int64)
    best_with = np.zeros(S)
    gain = np.zeros(S)
    touched = np.empty(S, np.int64)
    mark = np.zeros(S, np.int64)
    plat = np.zeros(S)
    ptouched = np.empty(S, np.int64)
    tabu_add = np.zeros(S, np.int64)
    tabu_drop = np.zeros(S, np.int64)
    newmin = np.full(n_org, 1e300)
    best_total, since = -1e300, 0
    for step in range(1, steps + 1):
        total = 0.0
        for o in range(n_org):
            total += m[o]
        if total >= target:
            return n, True
        if total > best_total + 1e-12:
            best_total, since = total, 0
        else:
            since += 1
        if since >= STALL:
            # a kick out of a cycle: a random unit goes, and may not come back soon
            ties, kick = 0, -1
            for s in range(S):
                if n[s] > 0:
                    ties += 1
                    if _rand(rng, ties) == 0:
                        kick = s
            if kick >= 0:
                _apply(kick, -1, n, cp, ci, cd, val, m, org)
                spent -= resource[kick]
                tabu_add[kick] = step + STALL
            best_total, since = -1e300, 0
            continue
        spare = budget - spent
        # take a unit off first when no site the budget affords would gain
        nt, npl = _gains(
            rp, ri, rd, val, m, origin_ptr, cand_cnt, best_with, gain, touched, mark, plat, ptouched
        )
        best_t, best_g = -1, 0.0
        for j in range(nt):
            t = touched[j]
            if n[t] < upper[t] and resource[t] <= spare + tol and gain[t] > best_g:
                best_t, best_g = t, gain[t]
        best_s = -1
        if best_t < 0:
            # no site gains alone (an origin's cheapest routes tie): with room in the
            # budget a unit goes where it lies on most cheapest routes, so a second can
            # follow
            best_t = _plateau(
                plat, ptouched, npl, n, upper, resource, spare, tabu_add, step, -1, rng
            )
        if best_t < 0:
            best_loss = 1e300
            ties = 0
            for s in range(S):
                if n[s] == 0 or tabu_drop[s] >= step:
                    continue
                # loss of one unit off s: routes through s get cheaper
                for k in range(cp[s], cp[s + 1]):
                    o = org[ci[k]]
                    v = val[ci[k]] - cd[k]
                    if v < newmin[o]:
                        newmin[o] = v
                loss = 0.0
                for k in range(cp[s], cp[s + 1]):
                    o = org[ci[k]]
                    if newmin[o] < 1e299:
                        if newmin[o] < m[o]:
                            loss += m[o] - newmin[o]
                        newmin[o] = 1e300
                if loss < best_loss - 1e-12:
                    best_loss, best_s, ties = loss, s, 1
                elif loss < best_loss + 1e-12:
                    ties += 1
                    if _rand(rng, ties) == 0:
                        best_s = s
            for j in range(nt):
                gain[touched[j]] = 0.0
            for j in range(npl):
                plat[ptouched[j]] = 0.0
            if best_s < 0:
                continue  # every unit was just placed: wait for one to leave its tabu
            _apply(best_s, -1, n, cp, ci, cd, val, m, org)
            spent -= resource[best_s]
            spare = budget - spent
            nt, npl = _gains(
                rp,
                ri,
                rd,
                val,
                m,
                origin_ptr,
                cand_cnt,
                best_with,
                gain,
                touched,
                mark,
                plat,
                ptouched,
            )
            best_g = -1.0
            for j in range(nt):
                t = touched[j]
                if t == best_s or n[t] >= upper[t] or tabu_add[t] >= step:
                    continue
                if resource[t] <= spare + tol and gain[t] > best_g:
                    best_t, best_g = t, gain[t]
            if best_t < 0:
                # no site gains: the plateau move, as above
                best_t = _plateau(
                    plat, ptouched, npl, n, upper, resource, spare, tabu_add, step, best_s, rng
                )
            tabu_add[best_s] = step + 2 + _rand(rng, 4)
        for j in range(nt):
            gain[touched[j]] = 0.0
        for j in range(npl):
            plat[ptouched[j]] = 0.0
        if best_t >= 0:
            _apply(best_t, 1, n, cp, ci, cd, val, m, org)
            spent += resource[best_t]
            tabu_drop[best_t] = step + 2 + _rand(rng, 4)
    total = 0.0
    for o in range(n_org):
        total += m[o]
    return n, total >= target


@numba.njit(cache=True)
def _plateau(plat, ptouched, npl, n, upper, resource, spare, tabu_add, step, not_s, rng):  # type: ignore[no-untyped-def]
    """The affordable, non-tabu site on the largest share of cheapest routes (ties at
    random), or -1."""
    best_t, best_p, ties = -1, 0.0, 0
    for j in range(npl):
        t = ptouched[j]
        if t == not_s or n[t] >= upper[t] or tabu_add[t] >= step:
            continue
        if resource[t] > spare + 1e-9:
            continue
        p = plat[t]
        if p > best_p + 1e-12:
            best_t, best_p, ties = t, p, 1
        elif p > best_p - 1e-12:
            ties += 1
            if _rand(rng, ties) == 0:
                best_t = t
    return best_t


@numba.njit(cache=True)
def _apply(s, d, n, cp, ci, cd, val, m, org):  # type: ignore[no-untyped-def]
    """Add ``d`` (+1 or -1) units on site ``s``; update route values and origin minima."""
    n[s] += d
    for k in range(cp[s], cp[s + 1]):
        val[ci[k]] += d * cd[k]
    m[:] = 1e300
    for r in range(val.size):
        if val[r] < m[org[r]]:
            m[org[r]] = val[r]
