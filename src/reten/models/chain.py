"""The precursor leg of a multi-stage chain: seaports to labs, then labs to the border.

Model
-----
Precursor chemicals enter at seaports ``q`` and travel by road to each lab ``o``; the product
then travels to the border as in :mod:`reten.models.routes`. With ``r`` kg of precursor per
kg of product, the chain cost of a lab at node ``j`` is

    C(j) = r * min_q [ d(q, j) + c_q ]  +  min_s [ d(j, s) + c_s ]

(inbound + outbound), where ``d`` is the least generalized route cost (risk included) and
``c_q``, ``c_s`` the fixed costs of entry seaports and crossings. The inbound minimum for
every node at once is one Dijkstra from a super-source joined to the seaports, the mirror
image of the outbound super-sink tree. Enforcement at a seaport enters through ``c_q`` and
its log-survival, like any other measure.
"""

from __future__ import annotations

import numpy as np

from reten.kernels.pathsum import path_sums
from reten.kernels.sptree import SPTree, source_tree, tree_flows
from reten.kernels.sums import wsum
from reten.models.routes import InboundLeg
from reten.network.model import Network
from reten.problem import Problem


def inbound_tree(net: Network, problem: Problem) -> SPTree:
    """Return the super-source tree of cheapest precursor routes from the entry seaports."""
    return source_tree(
        net, problem.route_arc_cost(), problem.source_node, problem.route_source_cost()
    )


def inbound_cost(tree: SPTree, problem: Problem) -> np.ndarray:
    """Return every node's precursor cost per unit of product: ``ratio * d_in`` (inf if none)."""
    return problem.precursor_ratio * tree.dist


def solve_inbound(net: Network, problem: Problem, tree: SPTree | None = None) -> InboundLeg:
    """Return the precursor leg for the problem's origins (labs): flows, costs, seizures.

    Parameters
    ----------
    net : Network
    problem : Problem
        With entry seaports ``source_node`` (q,), their costs and log-survivals, and
        ``precursor_ratio`` (kg of precursor per kg of product).
    tree : SPTree, optional
        The super-source tree of :func:`inbound_tree`, when already built.

    Returns
    -------
    InboundLeg
        ``arc_flow_kg`` (m,) precursor kg per month, ``origin_cost`` (o,) per kg of product
        (ratio included; ``inf``: no seaport reaches the lab), ``origin_seaport`` (o,)
        indices into the seaports (-1: none), ``origin_seized_kg`` (o,),
        ``seaport_flow_kg`` (q,).

    Examples
    --------
    >>> import numpy as np
    >>> from reten.network.model import Network
    >>> from reten.problem import Problem
    >>> net = Network.from_arcs(np.array([0, 1]), np.array([1, 2]), np.array([4.0, 1.0]),
    ...                         np.zeros(3), np.zeros(3))
    >>> p = Problem(arc_cost=net.length_m, arc_logsurv=np.zeros(2), sink_node=np.array([2]),
    ...             sink_cost=np.zeros(1), sink_logsurv=np.zeros(1),
    ...             origin_node=np.array([1]), origin_volume_kg=np.array([10.0]),
    ...             source_node=np.array([0]), source_cost=np.zeros(1),
    ...             source_logsurv=np.zeros(1), precursor_ratio=1.5)
    >>> leg = solve_inbound(net, p)
    >>> float(leg.origin_cost[0]), leg.arc_flow_kg.tolist()
    (6.0, [15.0, 0.0])
    """
    tree = tree if tree is not None else inbound_tree(net, problem)
    on, vol = problem.origin_node, problem.origin_volume_kg
    ratio = problem.precursor_ratio
    seaport = tree.root[on]
    ok = seaport >= 0
    demand = wsum(on[ok], weights=vol[ok] * ratio, minlength=net.n_nodes)
    _, flow = tree_flows(tree, demand, net.n_arcs)
    logs = path_sums(tree, [problem.arc_logsurv], [problem.source_logsurv])[0][on]
    seized = np.where(ok, vol * ratio * -np.expm1(-np.nan_to_num(logs)), 0.0)
    q = problem.source_node.size
    return InboundLeg(
        arc_flow_kg=flow,
        origin_cost=np.where(ok, ratio * tree.dist[on], np.inf),
        origin_seaport=seaport,
        origin_seized_kg=seized,
        seaport_flow_kg=wsum(seaport[ok], weights=vol[ok] * ratio, minlength=q),
    )
