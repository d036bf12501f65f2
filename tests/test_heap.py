"""The Numba heap against Python's heapq on random push/pop sequences (ties by node id)."""

from __future__ import annotations

import heapq

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reten.kernels.heap import heap_pop, heap_push

ops = st.lists(
    st.one_of(st.tuples(st.integers(0, 5).map(float), st.integers(0, 9)), st.none()),
    max_size=200,
)


@given(ops)
@settings(max_examples=200, deadline=None)
def test_heap_pops_in_heapq_order(seq):
    hk, hv = np.empty(len(seq) + 1), np.empty(len(seq) + 1, dtype=np.int64)
    size, ref = 0, []
    for op in seq:
        if op is None:
            if ref:
                key, v, size = heap_pop(hk, hv, size)
                assert (key, v) == heapq.heappop(ref)
        else:
            size = heap_push(hk, hv, size, op[0], op[1])
            heapq.heappush(ref, op)
        assert size == len(ref)
    while ref:
        key, v, size = heap_pop(hk, hv, size)
        assert (key, v) == heapq.heappop(ref)
