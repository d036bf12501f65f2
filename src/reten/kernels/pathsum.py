"""Sums of per-arc values along every tree path, in one breadth-first pass."""

from __future__ import annotations

import numba
import numpy as np

from reten.kernels.sptree import SPTree


@numba.njit(cache=True)
def _path_sum(
    order: np.ndarray,
    parent: np.ndarray,
    parent_arc: np.ndarray,
    arc_value: np.ndarray,
    base: np.ndarray,
) -> np.ndarray:
    out = np.full(parent.shape[0], np.nan)
    for i in range(order.shape[0]):
        v = order[i]
        p = parent[v]
        if p < 0:
            out[v] = base[v]
        else:
            out[v] = out[p] + arc_value[parent_arc[v]]
    return out


def path_sum(
    tree: SPTree, arc_value: np.ndarray, root_value: np.ndarray | None = None
) -> np.ndarray:
    """Return, for every node, the sum of ``arc_value`` along its tree path to (or from) its root.

    ``root_value`` (one per root given to the tree) is added once per path. Unreachable
    nodes get NaN. O(V) after the tree is built.
    """
    base = np.zeros(tree.parent.shape[0])
    if root_value is not None:
        rv = np.asarray(root_value, dtype=np.float64)
        ok = tree.root >= 0
        base[ok] = rv[tree.root[ok]]
    return _path_sum(
        tree.order, tree.parent, tree.parent_arc, np.asarray(arc_value, dtype=np.float64), base
    )
