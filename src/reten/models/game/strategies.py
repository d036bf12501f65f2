"""Pure strategies of both sides and the payoff between them, as arrays.

A defender pure strategy is a k-set: the sites covered that day. An attacker pure strategy
is one route of one origin; only the route's base log-survival ``L`` and the set of sites
it passes matter. The payoff of route ``r`` against k-set ``j`` is the probability the
shipment is intercepted::

    cap(j, r) = 1 - exp(-L_r) * prod_{s in S_j and s on r} (1 - p_s)
              = 1 - exp(-L_r - sum_s w_s [s in S_j] [s on r])
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


class KSets:
    """The defender's pure strategies found so far: rows of a (J, S) 0/1 matrix."""

    def __init__(self, n_sites: int) -> None:
        self.n_sites = n_sites
        self.sets: list[np.ndarray] = []
        self._keys: set[bytes] = set()

    def __len__(self) -> int:
        return len(self.sets)

    def add(self, sites: np.ndarray) -> bool:
        """Add a k-set (site indices); return False when it is already there."""
        s = np.unique(np.asarray(sites, dtype=np.int64))
        key = s.tobytes()
        if key in self._keys:
            return False
        self._keys.add(key)
        self.sets.append(s)
        return True

    def matrix(self, rows: np.ndarray | None = None) -> sp.csr_matrix:
        """Return the (J, S) 0/1 membership matrix (of ``rows`` only when given)."""
        idx = range(len(self.sets)) if rows is None else np.asarray(rows).tolist()
        sets = [self.sets[i] for i in idx]
        indptr = np.zeros(len(sets) + 1, dtype=np.int64)
        np.cumsum([s.size for s in sets], out=indptr[1:])
        data = np.ones(int(indptr[-1]))
        ind = np.concatenate(sets) if sets else np.zeros(0, np.int64)
        return sp.csr_matrix((data, ind, indptr), shape=(len(sets), self.n_sites))


class Routes:
    """The attacker's pure strategies found so far: one route of one origin each."""

    def __init__(self, n_sites: int) -> None:
        self.n_sites = n_sites
        self.origin: list[int] = []
        self.base: list[float] = []
        self.sites: list[np.ndarray] = []
        self.arcs: list[np.ndarray] = []
        self._keys: set[tuple[int, bytes, bytes]] = set()

    def __len__(self) -> int:
        return len(self.origin)

    def add(self, origin: int, base: float, sites: np.ndarray, arcs: np.ndarray) -> bool:
        """Add a route; return False when the same origin already has one with the same
        sites and a base log-survival at least as small (it would be the same strategy)."""
        s = np.unique(np.asarray(sites, dtype=np.int64))
        key = (int(origin), s.tobytes(), np.float64(round(base, 12)).tobytes())
        if key in self._keys:
            return False
        self._keys.add(key)
        self.origin.append(int(origin))
        self.base.append(float(base))
        self.sites.append(s)
        self.arcs.append(np.asarray(arcs, dtype=np.int64))
        return True

    def hits(self, rows: np.ndarray | None = None) -> sp.csr_matrix:
        """Return the (R, S) 0/1 matrix of the sites each route passes."""
        idx = range(len(self.sites)) if rows is None else np.asarray(rows).tolist()
        sets = [self.sites[i] for i in idx]
        indptr = np.zeros(len(sets) + 1, dtype=np.int64)
        np.cumsum([s.size for s in sets], out=indptr[1:])
        ind = np.concatenate(sets) if sets else np.zeros(0, np.int64)
        return sp.csr_matrix((np.ones(ind.size), ind, indptr), shape=(len(sets), self.n_sites))


def capture(
    hits: sp.csr_matrix, base: np.ndarray, logsurv: np.ndarray, ksets: sp.csr_matrix
) -> np.ndarray:
    """Return the (R, J) interception probabilities of routes against k-sets.

    Parameters
    ----------
    hits : (R, S) sparse 0/1
        Sites each route passes.
    base : (R,) float
        Base log-survival of each route.
    logsurv : (S,) float
        ``w_s``.
    ksets : (J, S) sparse 0/1
        Sites each k-set covers.

    Returns
    -------
    (R, J) float
        ``1 - exp(-base_r - sum_s w_s hits_rs ksets_js)``.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> h = sp.csr_matrix(np.array([[1.0, 1.0]]))
    >>> k = sp.csr_matrix(np.array([[1.0, 0.0], [1.0, 1.0]]))
    >>> w = -np.log1p(-np.array([0.5, 0.5]))
    >>> capture(h, np.zeros(1), w, k).round(3).tolist()
    [[0.5, 0.75]]
    """
    ls = (hits @ sp.diags(logsurv) @ ksets.T).toarray()
    return -np.expm1(-(np.asarray(base, dtype=float)[:, None] + ls))
