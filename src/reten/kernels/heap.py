"""A binary min-heap on two parallel arrays (keys, node ids), for Numba kernels.

Ties break on the smaller node id, so searches that use it are deterministic. The caller
owns the arrays (capacity: every push it can make) and the size.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, inline="always")
def heap_push(hk: np.ndarray, hv: np.ndarray, size: int, key: float, v: int) -> int:
    """Push ``(key, v)``; return the new size.

    Examples
    --------
    >>> hk, hv = np.empty(4), np.empty(4, dtype=np.int64)
    >>> n = heap_push(hk, hv, 0, 3.0, 7)
    >>> n = heap_push(hk, hv, n, 1.0, 9)
    >>> float(hk[0]), int(hv[0]), n
    (1.0, 9, 2)
    """
    i = size
    while i > 0:
        up = (i - 1) >> 1
        if hk[up] < key or (hk[up] == key and hv[up] <= v):
            break
        hk[i] = hk[up]
        hv[i] = hv[up]
        i = up
    hk[i] = key
    hv[i] = v
    return size + 1


@numba.njit(cache=True, inline="always")
def heap_pop(hk: np.ndarray, hv: np.ndarray, size: int) -> tuple[float, int, int]:
    """Pop the smallest ``(key, v)``; return ``(key, v, new size)`` (size must be > 0).

    Examples
    --------
    >>> hk, hv = np.array([1.0, 3.0]), np.array([9, 7])
    >>> heap_pop(hk, hv, 2)
    (1.0, 9, 1)
    """
    key = hk[0]
    v = hv[0]
    size -= 1
    lk = hk[size]
    lv = hv[size]
    i = 0
    while True:
        ch = 2 * i + 1
        if ch >= size:
            break
        if ch + 1 < size and (
            hk[ch + 1] < hk[ch] or (hk[ch + 1] == hk[ch] and hv[ch + 1] < hv[ch])
        ):
            ch += 1
        if lk < hk[ch] or (lk == hk[ch] and lv <= hv[ch]):
            break
        hk[i] = hk[ch]
        hv[i] = hv[ch]
        i = ch
    hk[i] = lk
    hv[i] = lv
    return key, v, size
