"""Skims: every origin's least route cost to every crossing, and its best two crossings.

In transport modelling a *skim* is the matrix of least generalized costs between zones.
Here the rows are a problem's origins and the columns its crossings (the problem's sinks):
``skim[o, s] = min over paths P from o to s of sum_{e in P}(c_e + rho * w_e) + c_s + rho
* w_s``, the same cost the route model (Dell 2015) minimises over ``s``. It explains why
flow goes where it goes: the margin between an origin's best and second-best crossing is
how much enforcement it takes to move that origin.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reten.kernels.sptree import sink_tree
from reten.network.model import Network
from reten.problem import Problem


def skim_matrix(net: Network, problem: Problem) -> np.ndarray:
    """Return the least route cost from every origin to every crossing.

    Parameters
    ----------
    net : Network
    problem : Problem
        Its ``route_arc_cost`` and ``route_sink_cost`` (risk included) are the costs.

    Returns
    -------
    ndarray, float64, shape (o, k)
        Cost units per kg (the problem's ``cost_unit``); ``inf`` where a crossing is closed
        or not reachable from the origin.

    Notes
    -----
    One Dijkstra per crossing on the reversed graph: O(k (V + E) log V).

    Examples
    --------
    >>> import numpy as np
    >>> from reten.network.model import Network
    >>> net = Network.from_arcs(np.array([0, 0]), np.array([1, 2]), np.array([1.0, 3.0]),
    ...                         np.zeros(3), np.zeros(3))
    >>> p = Problem(net.length_m, np.zeros(2), np.array([1, 2]), np.zeros(2), np.zeros(2),
    ...             np.array([0]), np.array([10.0]))
    >>> skim_matrix(net, p).tolist()
    [[1.0, 3.0]]
    """
    cost = problem.route_arc_cost()
    sink_cost = problem.route_sink_cost()
    out = np.full((problem.origin_node.size, problem.sink_node.size), np.inf)
    for j in range(problem.sink_node.size):
        if not np.isfinite(sink_cost[j]):
            continue
        tree = sink_tree(net, cost, problem.sink_node[j : j + 1], sink_cost[j : j + 1])
        out[:, j] = tree.dist[problem.origin_node]
    return out


def best_two(skim: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return each origin's best and second-best crossing and the margin between them.

    Parameters
    ----------
    skim : ndarray, shape (o, k)
        From :func:`skim_matrix`.

    Returns
    -------
    best, second : ndarray, int64, shape (o,)
        Column of the cheapest and the second cheapest reachable crossing (-1: none).
        Ties go to the lower column.
    margin : ndarray, float64, shape (o,)
        ``cost(second) - cost(best)`` (``inf`` when fewer than two crossings are reachable,
        ``nan`` when none is).

    Examples
    --------
    >>> best_two(np.array([[3.0, 1.0, 2.5], [np.inf, 4.0, np.inf]]))[2].tolist()
    [1.5, inf]
    """
    o, k = skim.shape
    order = np.argsort(skim, axis=1, kind="stable")
    rows = np.arange(o)
    best = np.full(o, -1, dtype=np.int64)
    second = np.full(o, -1, dtype=np.int64)
    margin = np.full(o, np.nan)
    if k == 0:
        return best, second, margin
    c1 = skim[rows, order[:, 0]]
    ok1 = np.isfinite(c1)
    best[ok1] = order[ok1, 0]
    if k > 1:
        c2 = skim[rows, order[:, 1]]
        ok2 = ok1 & np.isfinite(c2)
        second[ok2] = order[ok2, 1]
        margin[ok1] = np.where(ok2[ok1], c2[ok1] - c1[ok1], np.inf)
    else:
        margin[ok1] = np.inf
    return best, second, margin


def _keys(net: Network, nodes: np.ndarray) -> np.ndarray:
    return np.asarray([str(k) for k in net.node_key[nodes]], dtype=object)


def skim_frame(net: Network, problem: Problem, skim: np.ndarray | None = None) -> pd.DataFrame:
    """Return the skim as a long table: one row per origin and reachable crossing.

    Columns ``origin``, ``node`` (origin's input id), ``crossing``, ``crossing_node``,
    ``cost`` (cost units per kg, risk included), ``rank`` (1: the origin's cheapest); names
    as in ``origins.csv`` and ``crossings.csv``.
    """
    s = skim_matrix(net, problem) if skim is None else skim
    oi, cj = np.nonzero(np.isfinite(s))
    rank = np.argsort(np.argsort(s, axis=1, kind="stable"), axis=1, kind="stable") + 1
    order = np.lexsort((rank[oi, cj], oi))  # by origin, cheapest crossing first
    oi, cj = oi[order], cj[order]
    return pd.DataFrame(
        {
            "origin": problem.origin_label.astype(str)[oi] if oi.size else np.zeros(0, str),
            "node": _keys(net, problem.origin_node)[oi],
            "crossing": problem.sink_label.astype(str)[cj] if cj.size else np.zeros(0, str),
            "crossing_node": _keys(net, problem.sink_node)[cj],
            "cost": s[oi, cj],
            "rank": rank[oi, cj].astype(np.int64),
        }
    )


def margins_frame(net: Network, problem: Problem, skim: np.ndarray | None = None) -> pd.DataFrame:
    """Return each origin's best and second-best crossing and the cost margin between them.

    Columns ``origin``, ``node``, ``best_crossing``, ``best_cost``, ``second_crossing``,
    ``second_cost``, ``margin`` (cost units per kg; ``inf`` with one reachable crossing) and
    ``margin_share`` (margin / best cost: how much dearer, as a share, the best crossing must
    become before the origin switches). Empty names where no crossing is reachable.
    """
    s = skim_matrix(net, problem) if skim is None else skim
    best, second, margin = best_two(s)
    lab = np.append(problem.sink_label.astype(str), "")
    o = np.arange(s.shape[0])
    b_cost = np.where(best >= 0, s[o, np.maximum(best, 0)] if s.shape[1] else np.nan, np.nan)
    s_cost = np.where(second >= 0, s[o, np.maximum(second, 0)] if s.shape[1] else np.nan, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(b_cost > 0, margin / b_cost, np.nan)
    return pd.DataFrame(
        {
            "origin": problem.origin_label.astype(str),
            "node": _keys(net, problem.origin_node),
            "best_crossing": lab[best],
            "best_cost": b_cost,
            "second_crossing": lab[second],
            "second_cost": s_cost,
            "margin": margin,
            "margin_share": share,
        }
    )
