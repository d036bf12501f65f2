"""Dominated sites the covering master leaves out (``_dominated``) against brute force.

Leaving them out must change neither answer the master gives: the least resource of an
allocation meeting every row (so neither "a cover within the budget exists" nor the
proof that none does). The oracle enumerates every allocation ``0 <= n <= upper``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from reten.models.interdiction.decomposition import _dominated


def _least(a: np.ndarray, upper: np.ndarray, resource: np.ndarray) -> float:
    axes = [np.arange(int(u) + 1) for u in upper]
    every = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, upper.size)
    ok = (every @ a.T >= 1.0 - 1e-9).all(axis=1) if a.shape[0] else np.ones(len(every), bool)
    return float((every[ok] @ resource).min()) if ok.any() else np.inf


@given(data=st.data())
@settings(max_examples=300, deadline=None)
def test_leaving_dominated_sites_out_keeps_the_least_cover(data):
    S = data.draw(st.integers(1, 7))
    R = data.draw(st.integers(0, 8))
    a = np.zeros((R, S))
    for i in range(R):
        for s in data.draw(st.lists(st.integers(0, S - 1), min_size=1, max_size=5, unique=True)):
            a[i, s] = data.draw(st.sampled_from([1.0, 1.0, 0.5, 0.34, 0.7]))
    upper = np.array(data.draw(st.lists(st.integers(0, 2), min_size=S, max_size=S)), np.int64)
    resource = np.array(data.draw(st.lists(st.integers(1, 3), min_size=S, max_size=S)), float)
    gone = _dominated(sp.csr_matrix(a), resource, upper)
    kept_upper = np.where(gone, 0, upper)
    assert _least(a, kept_upper, resource) == _least(a, upper, resource), (a, upper, gone)


def test_identical_sites_keep_one_and_a_pricier_dominator_does_not_count():
    """Sites 0 and 1 meet the same rows alone: one of them goes, never both. Site 2 meets
    every row of site 3 but costs more, so site 3 stays."""
    a = np.array([[1.0, 1.0, 1.0, 0.0], [1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.5]])
    gone = _dominated(sp.csr_matrix(a), np.array([1.0, 1.0, 2.0, 1.0]), np.ones(4, np.int64))
    assert gone[:2].sum() == 1 and not gone[2] and not gone[3]
