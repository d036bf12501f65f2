"""Least-cost trafficking routes (Dell 2015) with expected seizures.

Model
-----
Following Dell (2015, *American Economic Review* 105(6), "Trafficking Networks and the
Mexican Drug War"), each origin ``o`` ships its volume ``v_o`` along the route that minimises

    C_o = min over crossings s, paths P from o to s of
          sum_{e in P} (c_e + rho * w_e) + (c_s + rho * w_s)

where ``c_e`` is the generalized cost of arc ``e`` (enforcement included), ``w_e =
-ln(1 - p_e)`` its log-survival (so that risk is additive along a path), ``rho`` the
scenario's ``risk_weight`` and ``c_s, w_s`` the crossing's own cost and log-survival. The
expected seized volume of origin ``o`` is ``v_o * (1 - prod_e (1 - p_e)) = v_o * (1 -
exp(-W_o))`` with ``W_o`` the path's total log-survival.

All origins are solved by one Dijkstra from a super-sink on the reversed graph; flows are
accumulated along the resulting tree in O(V). Ties are broken by SciPy's deterministic order.

Example
-------
>>> import numpy as np
>>> from reten.network.model import Network
>>> from reten.problem import Problem
>>> net = Network.from_arcs(np.array([0, 1, 0]), np.array([1, 2, 2]), np.array([1.0, 1.0, 3.0]),
...                         np.zeros(3), np.zeros(3))
>>> p = Problem(net.length_m, np.zeros(3), np.array([2]), np.zeros(1), np.zeros(1),
...             np.array([0]), np.array([10.0]))
>>> r = solve_routes(net, p)
>>> float(r.origin_cost[0]), r.arc_flow_kg.tolist()
(2.0, [10.0, 0.0, 10.0])
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reten.kernels.pathsum import path_sums
from reten.kernels.sptree import SPTree, sink_tree, tree_flows, tree_path
from reten.kernels.sums import wsum
from reten.network.model import Network
from reten.problem import Problem


@dataclass(frozen=True, eq=False)
class InboundLeg:
    """The precursor leg: seaports to labs (see :mod:`reten.models.chain`).

    ``origin_cost`` is the precursor cost per unit of product (ratio included);
    ``origin_seaport`` indexes the problem's sources; volumes are precursor kg per month.
    """

    arc_flow_kg: np.ndarray
    origin_cost: np.ndarray
    origin_seaport: np.ndarray
    origin_seized_kg: np.ndarray
    seaport_flow_kg: np.ndarray


@dataclass(frozen=True, eq=False)
class Relocation:
    """Where labs were and where they went (see :mod:`reten.models.relocation`).

    ``lab`` maps each new origin row to the lab (original origin row) it belongs to.
    """

    before_node: np.ndarray
    before_volume_kg: np.ndarray
    lab: np.ndarray
    site_cost: np.ndarray


@dataclass(frozen=True, eq=False)
class RouteResult:
    """Result of the least-cost route model.

    Costs are in the problem's ``cost_unit`` (risk term included in ``origin_cost``);
    volumes in kg per month. ``origin_crossing`` indexes the problem's sinks (-1:
    unreachable). Region accounting is in :mod:`reten.analysis.regions`.
    """

    origin_cost: np.ndarray
    origin_money_cost: np.ndarray
    origin_crossing: np.ndarray
    origin_seized_kg: np.ndarray
    origin_length_km: np.ndarray
    arc_flow_kg: np.ndarray
    crossing_flow_kg: np.ndarray
    crossing_seized_kg: np.ndarray
    unreachable: np.ndarray
    tree: SPTree
    problem: Problem
    provenance: dict[str, Any] = field(default_factory=dict)
    convergence: list[tuple[int, float, float]] | None = None
    inbound: InboundLeg | None = None
    relocation: Relocation | None = None

    @property
    def total_volume_kg(self) -> float:
        """Volume that reaches a crossing or is seized on the way, kg per month."""
        ok = self.origin_crossing >= 0
        return float(self.problem.origin_volume_kg[ok].sum())

    @property
    def total_seized_kg(self) -> float:
        """Expected seizures, kg per month."""
        return float(np.nansum(self.origin_seized_kg))

    @property
    def total_cost(self) -> float:
        """Volume-weighted sum of the traffickers' least generalized costs."""
        ok = self.origin_crossing >= 0
        return float((self.origin_cost[ok] * self.problem.origin_volume_kg[ok]).sum())

    def lethal_doses(self) -> float:
        """Expected seizures in potentially lethal doses (``dose_mg`` of fentanyl each).

        The seized product holds ``purity`` fentanyl by weight (1: pure, an upper bound).
        """
        return self.total_seized_kg * 1e6 * self.problem.purity / self.problem.dose_mg

    def path(self, origin: int) -> np.ndarray:
        """Return the arc ids of origin ``origin``'s route (empty if unreachable)."""
        if self.origin_crossing[origin] < 0:
            return np.zeros(0, dtype=np.int64)
        return tree_path(self.tree, int(self.problem.origin_node[origin]))


def route_tree(net: Network, problem: Problem) -> SPTree:
    """Return the super-sink tree of cheapest routes for the problem's costs (any origins)."""
    return sink_tree(net, problem.route_arc_cost(), problem.sink_node, problem.route_sink_cost())


def solve_routes(net: Network, problem: Problem, *, tree: SPTree | None = None) -> RouteResult:
    """Return every origin's least-cost route to its cheapest crossing, with flows and seizures.

    Parameters
    ----------
    net : Network
        ``n`` nodes, ``m`` arcs.
    problem : Problem
        Arc costs and log-survivals (m,), crossings (k,), origins (o,) with volumes in kg
        per month.
    tree : SPTree, optional
        The super-sink tree of :func:`route_tree` for the same costs, when already built.

    Returns
    -------
    RouteResult
        ``origin_cost`` (o,) in cost units per kg (``inf``: no route), ``origin_crossing``
        (o,) indices into the problem's crossings (-1: none), ``arc_flow_kg`` (m,),
        ``crossing_flow_kg`` and ``crossing_seized_kg`` (k,), ``origin_seized_kg`` (o,).

    Notes
    -----
    One Dijkstra on the reversed graph from a super-sink, then O(n) passes over the tree
    for flows, path costs and log-survival: O(m + n log n) for every origin at once.

    References
    ----------
    Dell, M. (2015). Trafficking Networks and the Mexican Drug War. *American Economic
    Review* 105(6), 1738-1779, section IV.

    Examples
    --------
    Two routes from node 0 to the crossing at node 2; the direct road is longer:

    >>> import numpy as np
    >>> from reten.network.model import Network
    >>> from reten.problem import Problem
    >>> net = Network.from_arcs(np.array([0, 1, 0]), np.array([1, 2, 2]),
    ...                         np.array([1.0, 1.0, 3.0]), np.zeros(3), np.zeros(3))
    >>> p = Problem(arc_cost=net.length_m, arc_logsurv=np.zeros(3), sink_node=np.array([2]),
    ...             sink_cost=np.zeros(1), sink_logsurv=np.zeros(1),
    ...             origin_node=np.array([0]), origin_volume_kg=np.array([10.0]))
    >>> r = solve_routes(net, p)
    >>> float(r.origin_cost[0]), int(r.origin_crossing[0]), float(r.crossing_flow_kg[0])
    (2.0, 0, 10.0)
    """
    t0 = time.perf_counter()
    if tree is None:
        tree = route_tree(net, problem)
    on = problem.origin_node
    vol = problem.origin_volume_kg
    crossing = tree.root[on]
    reach = crossing >= 0
    cost = np.where(reach, tree.dist[on], np.inf)
    # sums along each route; tree arcs and reached crossings are always open (finite)
    money, logs, length = (
        x[on]
        for x in path_sums(
            tree,
            [problem.arc_cost, problem.arc_logsurv, net.length_m],
            [problem.sink_cost, problem.sink_logsurv, None],
        )
    )
    length = length / 1000.0
    seized = np.where(reach, vol * -np.expm1(-np.nan_to_num(logs)), 0.0)
    node_vol = np.zeros(net.n_nodes)
    node_vol += wsum(on[reach], weights=vol[reach], minlength=net.n_nodes)
    _, flow = tree_flows(tree, node_vol, net.n_arcs)
    k = problem.sink_node.size
    crossing_flow = wsum(crossing[reach], weights=vol[reach], minlength=k)
    crossing_seized = wsum(crossing[reach], weights=seized[reach], minlength=k)
    prov = dict(problem.provenance)
    prov.update({"model": "routes (Dell 2015 least-cost)", "seconds": time.perf_counter() - t0})
    return RouteResult(
        origin_cost=cost,
        origin_money_cost=np.where(reach, money, np.inf),
        origin_crossing=crossing,
        origin_seized_kg=seized,
        origin_length_km=np.where(reach, length, np.nan),
        arc_flow_kg=flow,
        crossing_flow_kg=crossing_flow,
        crossing_seized_kg=crossing_seized,
        unreachable=np.flatnonzero(~reach),
        tree=tree,
        problem=problem,
        provenance=prov,
    )
