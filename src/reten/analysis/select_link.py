"""Select-link analysis: which origins' routes use a given road, region or crossing.

A transport modeller's *select-link* query keeps the demand whose assigned paths pass a
chosen link. Here it follows each origin's route in the result's shortest-path tree (the
route the least-cost model assigns; for a congestion equilibrium, the last iteration's
routes), so every answer is one O(V) pass down the tree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reten.errors import InputError
from reten.models.routes import RouteResult
from reten.network.model import Network


def _down_tree(r: RouteResult, node_hit: np.ndarray, arc_hit: np.ndarray | None) -> np.ndarray:
    """For every node: does its route to the root touch a marked node or a marked arc?"""
    t = r.tree
    hit = node_hit.copy()
    # ``order`` lists parents before children, so one pass propagates from the roots down
    for v in t.order.tolist():
        p = t.parent[v]
        if p < 0:
            continue
        if hit[p] or (arc_hit is not None and arc_hit[t.parent_arc[v]]):
            hit[v] = True
    return hit


def _origins(r: RouteResult, hit: np.ndarray) -> np.ndarray:
    reached = r.origin_crossing >= 0
    return reached & hit[r.problem.origin_node]


def select_nodes(r: RouteResult, nodes: np.ndarray, n_nodes: int) -> np.ndarray:
    """Return a mask over origins: the route passes through any of ``nodes`` (origin included).

    Parameters
    ----------
    r : RouteResult
    nodes : ndarray of int
        Node indices.
    n_nodes : int
        The network's number of nodes.

    Returns
    -------
    ndarray, bool, shape (o,)

    Examples
    --------
    >>> import numpy as np
    >>> from reten.network.model import Network
    >>> from reten.problem import Problem
    >>> from reten.models.routes import solve_routes
    >>> net = Network.from_arcs(np.array([0, 1, 3]), np.array([1, 2, 2]),
    ...                         np.array([1.0, 1.0, 1.0]), np.zeros(4), np.zeros(4))
    >>> p = Problem(net.length_m, np.zeros(3), np.array([2]), np.zeros(1), np.zeros(1),
    ...             np.array([0, 3]), np.array([10.0, 5.0]))
    >>> select_nodes(solve_routes(net, p), np.array([1]), 4).tolist()
    [True, False]
    """
    mark = np.zeros(n_nodes, dtype=bool)
    mark[np.asarray(nodes, dtype=np.int64)] = True
    return _origins(r, _down_tree(r, mark, None))


def select_arcs(r: RouteResult, arcs: np.ndarray, n_nodes: int, n_arcs: int) -> np.ndarray:
    """Return a mask over origins: the route uses any of ``arcs`` (arc indices)."""
    mark = np.zeros(n_arcs, dtype=bool)
    mark[np.asarray(arcs, dtype=np.int64)] = True
    return _origins(r, _down_tree(r, np.zeros(n_nodes, dtype=bool), mark))


def select_crossings(r: RouteResult, crossings: np.ndarray) -> np.ndarray:
    """Return a mask over origins: the route ends at any of ``crossings`` (sink indices)."""
    return np.isin(r.origin_crossing, np.asarray(crossings, dtype=np.int64))


def resolve_region(net: Network, name: str) -> int:
    """Return the region row named ``name``: a code, a name, or ``"Name, Parent name"``.

    A bare name that is both a top-level region and a lower one (the state and the
    municipality of Sinaloa) means the top-level one.

    Raises
    ------
    InputError
        When the network has no regions, or no region or several regions match (the
        message lists candidates).
    """
    from reten.scenario.names import nfc, norm

    r = net.regions
    if not len(r):
        raise InputError(
            f"region to select {name!r} (select_region, --select-region): the network has no "
            "regions; use a network with regions (built with 'reten network build ... "
            "--regions FILE --regions-code COLUMN') or select by crossing or road instead"
        )
    codes = {nfc(c): i for i, c in enumerate(r.code)}
    if nfc(name) in codes:
        return codes[nfc(name)]
    head, _, parent = (x.strip() for x in str(name).partition(","))
    rows = [i for i in range(len(r)) if norm(r.name[i]) == norm(head)]
    if parent:
        rows = [i for i in rows if r.parent[i] >= 0 and norm(r.name[r.parent[i]]) == norm(parent)]
    if len(rows) > 1 and not parent:
        # "Sinaloa" is the state; the municipality of that name is "Sinaloa, Sinaloa"
        top = [i for i in rows if r.parent[i] < 0]
        rows = top if len(top) == 1 else rows
    if len(rows) == 1:
        return rows[0]
    if not rows:
        raise InputError(
            f"region to select (select_region, --select-region): unknown region {name!r}; give "
            "a region code, a name, or 'Municipality, State'"
        )
    opts = ", ".join(
        f"{r.name[i]}, {r.name[r.parent[i]]}" if r.parent[i] >= 0 else f"{r.name[i]} ({r.level[i]})"
        for i in rows[:6]
    )
    raise InputError(
        f"region to select (select_region, --select-region): {name!r} names {len(rows)} "
        f"regions ({opts}); be specific"
    )


def select_frame(r: RouteResult, net: Network, mask: np.ndarray) -> pd.DataFrame:
    """Return the selected origins: ``origin``, ``node``, ``volume_kg``, ``crossing``, ``cost``.

    Volumes are kg per month, ordered largest first.
    """
    p = r.problem
    idx = np.flatnonzero(mask)
    lab = np.append(p.sink_label.astype(str), "")
    df = pd.DataFrame(
        {
            "origin": p.origin_label.astype(str)[idx] if idx.size else np.zeros(0, str),
            "node": np.asarray([str(k) for k in net.node_key[p.origin_node[idx]]], dtype=object),
            "volume_kg": p.origin_volume_kg[idx],
            "crossing": lab[r.origin_crossing[idx]],
            "cost": r.origin_cost[idx],
        }
    )
    return df.sort_values("volume_kg", ascending=False, kind="stable").reset_index(drop=True)


def select_region(r: RouteResult, net: Network, region: str | int) -> pd.DataFrame:
    """Return the origins whose routes enter a region, and their volumes (kg/month).

    Parameters
    ----------
    r : RouteResult
    net : Network
    region : str or int
        A region code, name, ``"Municipality, State"``, or a row of ``net.regions``.

    Returns
    -------
    DataFrame
        See :func:`select_frame`.

    Examples
    --------
    >>> import reten
    >>> sc = reten.Scenario.from_dict({"name": "b",
    ...     "origins": [{"municipality": "Culiacán", "volume_kg": 100}]})
    >>> res = reten.run(sc, reten.load_network("default"))
    >>> select_region(res.routes, res.network, "Sinaloa").volume_kg.tolist()
    [100.0]
    """
    row = resolve_region(net, region) if isinstance(region, str) else int(region)
    return select_region_frame(r, net, row)


def select_region_frame(r: RouteResult, net: Network, row: int) -> pd.DataFrame:
    """Return :func:`select_frame` for region row ``row`` (with a ``region`` column)."""
    df = select_frame(r, net, select_nodes(r, net.region_nodes(row), net.n_nodes))
    df.insert(0, "region", str(net.regions.code[row]))
    return df
