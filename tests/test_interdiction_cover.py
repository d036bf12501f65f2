"""The covering master's tabu search (``cover_search``) against brute force.

``cover_search`` is a heuristic: an allocation it returns must be a valid cover (within
``upper``, non-negative, within the budget, every row met), but its ``None`` proves
nothing. The oracle is brute force over every allocation ``0 <= n <= upper`` (at most
4^8 of them here), evaluated with NumPy, sharing no code with the search.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from reten.models.interdiction.cover import cover_search

TOL = 1e-9

#: coefficients that make a row need 2 or 3 units (0.5, 0.4, 0.34), besides 1 and any
COEF = st.one_of(
    st.sampled_from([1.0, 0.5, 0.4, 0.34]),
    st.floats(min_value=0.05, max_value=1.0, exclude_min=True),
)


def _allocations(upper: np.ndarray) -> np.ndarray:
    """Every integer allocation ``0 <= n <= upper``, one a row: (prod(upper + 1), S)."""
    axes = [np.arange(int(u) + 1) for u in upper]
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, upper.size)


def _brute_covers(a: np.ndarray, upper: np.ndarray, resource: np.ndarray, budget: float):
    """All allocations within the budget that meet every row of the dense ``a``."""
    every = _allocations(upper)
    ok = every @ resource <= budget + TOL
    if a.shape[0]:
        ok &= (every @ a.T >= 1.0 - TOL).all(axis=1)
    return every[ok]


def _assert_valid(n, a, upper, resource, budget) -> None:
    """``n`` is an allocation the covering master may use."""
    assert n.shape == upper.shape
    assert np.issubdtype(n.dtype, np.integer)
    assert (n >= 0).all(), n
    assert (n <= upper).all(), (n, upper)
    assert resource @ n <= budget + TOL, (n, resource @ n, budget)
    assert (a @ n >= 1.0 - TOL).all(), (n, a @ n)


@st.composite
def instances(draw, max_rows: int = 12, max_sites: int = 8):
    """A small covering instance: dense rows (R, S) with entries in (0, 1], upper bounds
    1..3, resources 1..3, a budget from 0 to everything, and a start within the upper
    bounds that may be over the budget and may miss rows."""
    S = draw(st.integers(1, max_sites))
    R = draw(st.integers(0, max_rows))
    a = np.zeros((R, S))
    for i in range(R):
        sites = draw(st.lists(st.integers(0, S - 1), min_size=1, max_size=4, unique=True))
        for s in sites:
            a[i, s] = draw(COEF)
    upper = np.array(draw(st.lists(st.integers(1, 3), min_size=S, max_size=S)), np.int64)
    resource = np.array(draw(st.lists(st.integers(1, 3), min_size=S, max_size=S)), float)
    budget = float(draw(st.integers(0, int(resource @ upper))))
    start = np.array([draw(st.integers(0, int(u))) for u in upper], np.int64)
    return a, upper, resource, budget, start


def _random_instance(rng: np.random.Generator):
    """The same family as :func:`instances`, drawn from a NumPy generator (for a fixed,
    seeded family of a few hundred instances without hypothesis' search)."""
    S = int(rng.integers(1, 9))
    R = int(rng.integers(1, 13))
    a = np.zeros((R, S))
    for i in range(R):
        k = int(rng.integers(1, min(S, 4) + 1))
        cols = rng.choice(S, k, replace=False)
        if rng.random() < 0.5:
            a[i, cols] = rng.choice([1.0, 0.5, 0.4, 0.34], k)
        else:
            a[i, cols] = rng.uniform(0.05, 1.0, k)
    upper = rng.integers(1, 4, S)
    resource = rng.integers(1, 4, S).astype(float)
    budget = float(rng.integers(0, int(resource @ upper) + 1))
    start = np.array([rng.integers(0, u + 1) for u in upper], np.int64)
    return a, upper, resource, budget, start


@given(inst=instances(), seed=st.integers(0, 2**31 - 1), fmt=st.sampled_from(["csr", "csc"]))
@settings(max_examples=150, deadline=None)
def test_answers_are_valid_covers_inputs_untouched_and_deterministic(inst, seed, fmt):
    """Whatever the search returns is a valid cover; it never writes into its inputs;
    the same seed gives the same answer; and with no cover in reach it returns None."""
    a, upper, resource, budget, start = inst
    rows = sp.csr_matrix(a) if fmt == "csr" else sp.csc_matrix(a)
    kept = (rows.copy(), upper.copy(), resource.copy(), start.copy())
    n = cover_search(rows, upper, resource, budget, start, seed)
    np.testing.assert_array_equal(start, kept[3])
    np.testing.assert_array_equal(upper, kept[1])
    np.testing.assert_array_equal(resource, kept[2])
    assert (rows != kept[0]).nnz == 0
    if n is not None:
        _assert_valid(n, a, upper, resource, budget)
        assert n is not start
    elif a.shape[0] == 0:
        # no rows: any allocation within the budget meets them, and n = 0 always is one
        pytest.fail("no rows to meet, yet no allocation returned")
    again = cover_search(rows, upper, resource, budget, start, seed)
    if n is None:
        assert again is None
    else:
        np.testing.assert_array_equal(again, n)
    if _brute_covers(a, upper, resource, budget).shape[0] == 0:
        assert n is None


def test_finds_a_cover_on_most_instances_that_have_one():
    """Over a fixed seeded family of 200 small instances where brute force finds a cover,
    the search finds one in at least 95 %; where brute force finds none it returns None.
    A heuristic may miss some: the threshold is a floor on how useful it is, not exactness.
    """
    rng = np.random.default_rng(20261129)
    have = found = without = 0
    misses = []
    while have < 200:
        a, upper, resource, budget, start = _random_instance(rng)
        seed = int(rng.integers(0, 2**31 - 1))
        n = cover_search(sp.csr_matrix(a), upper, resource, budget, start, seed)
        if _brute_covers(a, upper, resource, budget).shape[0] == 0:
            without += 1
            assert n is None, (a, upper, resource, budget, start, n)
            continue
        have += 1
        if n is None:
            misses.append((a.shape, budget, start))
        else:
            _assert_valid(n, a, upper, resource, budget)
            found += 1
    rate = found / have
    assert rate >= 0.95, (
        f"found a cover in {found} of {have} instances that have one ({rate:.1%}); "
        f"{without} had none; misses (shape, budget, start): {misses}"
    )


def test_moves_every_unit_off_sites_that_meet_no_row():
    """Start: the whole budget on sites 4-7, which are in no row; every cover needs units
    on sites 0-3 (row i is 0.5 on sites i and i + 1 mod 4, so it needs two units there).
    Each unit meets at most two rows: a cover needs all four units of the budget, so the
    search must move every unit of the start (resources are equal: one swap each)."""
    a = np.zeros((4, 8))
    for i in range(4):
        a[i, i] = 0.5
        a[i, (i + 1) % 4] = 0.5
    upper = np.full(8, 2, np.int64)
    resource = np.ones(8)
    budget = 4.0  # e.g. one unit on each of sites 0-3, or two on sites 0 and 2
    start = np.array([0, 0, 0, 0, 1, 1, 1, 1], np.int64)
    assert _brute_covers(a, upper, resource, budget).shape[0] > 0
    for seed in range(5):
        n = cover_search(sp.csr_matrix(a), upper, resource, budget, start, seed)
        assert n is not None, seed
        _assert_valid(n, a, upper, resource, budget)
        assert n[4:].sum() == 0 and n[:4].sum() == 4  # every unit moved
    np.testing.assert_array_equal(start, [0, 0, 0, 0, 1, 1, 1, 1])


def test_moves_units_to_a_pricier_site_from_a_full_budget():
    """Start: both budget units on sites 0 and 1 (resource 1, in no row); the only row
    needs site 2 (resource 2). The cover n = (0, 0, 1) is within the budget."""
    a = np.array([[0.0, 0.0, 1.0]])
    upper, resource = np.ones(3, np.int64), np.array([1.0, 1.0, 2.0])
    start = np.array([1, 1, 0], np.int64)
    assert _brute_covers(a, upper, resource, 2.0).shape[0] > 0
    n = cover_search(sp.csr_matrix(a), upper, resource, 2.0, start, 0)
    assert n is not None
    _assert_valid(n, a, upper, resource, 2.0)


@given(
    S=st.integers(0, 6),
    data=st.data(),
    seed=st.integers(0, 2**31 - 1),
)
@settings(max_examples=40, deadline=None)
def test_no_rows_gives_an_allocation_within_the_budget(S, data, seed):
    """With R = 0 every allocation meets the rows; the search returns a valid one (its
    start with units dropped until it fits the budget), or None only if even n = 0 does
    not fit (a negative budget)."""
    upper = np.array(data.draw(st.lists(st.integers(1, 3), min_size=S, max_size=S)), np.int64)
    resource = np.array(data.draw(st.lists(st.integers(1, 3), min_size=S, max_size=S)), float)
    start = np.array([data.draw(st.integers(0, int(u))) for u in upper], np.int64)
    budget = float(data.draw(st.integers(-1, int(resource @ upper) + 1)))
    a = np.zeros((0, S))
    n = cover_search(sp.csr_matrix(a), upper, resource, budget, start, seed)
    if budget < 0:
        assert n is None
        return
    assert n is not None
    _assert_valid(n, a, upper, resource, budget)
    assert (n <= start).all()  # only units of the start dropped to fit the budget
    if resource @ start <= budget:
        np.testing.assert_array_equal(n, start)


def test_a_row_with_no_entries_can_never_be_met():
    """A row with no non-zeros is unreachable: the search returns None, whatever the
    budget, and still finds covers when that row is absent."""
    a = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.5], [0.0, 0.0, 0.0]])
    upper, resource = np.array([2, 2, 2]), np.array([1.0, 2.0, 3.0])
    for budget in (0.0, 3.0, 100.0):
        for start in (np.zeros(3, np.int64), np.array([2, 2, 2])):
            assert cover_search(sp.csr_matrix(a), upper, resource, budget, start, 1) is None
    n = cover_search(sp.csr_matrix(a[1:2]), upper, resource, 3.0, np.zeros(3, np.int64), 1)
    assert n is not None
    _assert_valid(n, a[1:2], upper, resource, 3.0)
