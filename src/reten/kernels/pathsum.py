"""Sums of per-arc values along every tree path, in one breadth-first pass."""

from __future__ import annotations

from collections.abc import Sequence

import numba
import numpy as np

from reten.kernels.sptree import SPTree


@numba.njit(cache=True)
def _path_sums3(
    order: np.ndarray,
    parent: np.ndarray,
    parent_arc: np.ndarray,
    a0: np.ndarray,
    a1: np.ndarray,
    a2: np.ndarray,
    base: np.ndarray,
) -> np.ndarray:
    n = parent.shape[0]
    out = np.full((3, n), np.nan)
    for i in range(order.shape[0]):
        v = order[i]
        p = parent[v]
        if p < 0:
            out[0, v] = base[0, v]
            out[1, v] = base[1, v]
            out[2, v] = base[2, v]
        else:
            e = parent_arc[v]
            out[0, v] = out[0, p] + a0[e]
            out[1, v] = out[1, p] + a1[e]
            out[2, v] = out[2, p] + a2[e]
    return out


def path_sums(
    tree: SPTree,
    arc_values: Sequence[np.ndarray],
    root_values: Sequence[np.ndarray | None] | None = None,
) -> list[np.ndarray]:
    """Return, per array, every node's sum of that per-arc array along its tree path.

    Up to three arrays are summed in one pass over the tree's breadth-first order (parents
    before children). ``root_values[j]`` (one value per root given to the tree, or None) is
    added once per path. Unreachable nodes get NaN. O(V) after the tree is built; arcs off
    the tree are never read, so closed (infinite) arcs do no harm.
    """
    k = len(arc_values)
    if not 1 <= k <= 3:
        raise ValueError("path_sums takes one to three arrays")
    n = tree.parent.shape[0]
    base = np.zeros((3, n))
    ok = tree.root >= 0
    for j, rv in enumerate(root_values or []):
        if rv is not None:
            base[j, ok] = np.asarray(rv, dtype=np.float64)[tree.root[ok]]
    arrs = [np.asarray(a, dtype=np.float64) for a in arc_values]
    while len(arrs) < 3:
        arrs.append(arrs[0])
    out = _path_sums3(tree.order, tree.parent, tree.parent_arc, arrs[0], arrs[1], arrs[2], base)
    return [out[j] for j in range(k)]


def path_sum(
    tree: SPTree, arc_value: np.ndarray, root_value: np.ndarray | None = None
) -> np.ndarray:
    """Return every node's sum of ``arc_value`` along its tree path (see :func:`path_sums`)."""
    return path_sums(tree, [arc_value], [root_value])[0]
