"""Production relocation: mobile labs move to the site that minimises their total cost.

Model
-----
Each lab ``i`` (an origin with volume ``v_i`` at node ``c_i``) may stay or move to a candidate
site ``j`` in ``J_i``. Its cost per unit of product at ``j`` is

    K_i(j) = p * f(j)                       production cost times the site's region factor
           + R * [j != c_i]                 relocation cost
           + D(j)                           least route cost to the border (risk included)
           + L * (1 - exp(-W(j)))           expected loss: value L times seizure probability
           + r * D_in(j)                    precursor leg, when a chain is given

where ``D`` and ``W`` come from the same single super-sink tree used by the route model (one
Dijkstra for every candidate of every lab) and ``D_in`` from one super-source tree from the
seaports. The deterministic rule moves the whole volume to ``argmin_j K_i(j)`` (ties: stay,
then the lowest node id); the logit rule (McFadden 1974) splits it with shares
``exp(-K_i(j) / s) / sum_k exp(-K_i(k) / s)`` for a scale ``s`` in cost units. This is the
"balloon effect" of production: labs dismantled in one state re-open where the sum of
production, transport and risk costs is lowest.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from reten.errors import InputError
from reten.kernels.pathsum import path_sums
from reten.kernels.sptree import SPTree
from reten.kernels.sums import wsum
from reten.models.routes import Relocation, RouteResult, route_tree, solve_routes
from reten.network.model import Network
from reten.problem import Problem

RULES = ("deterministic", "logit")


@dataclass(frozen=True, eq=False)
class RelocationSpec:
    """Candidate sites per lab and the cost terms of the choice (units: cost per kg)."""

    lab_candidates: list[np.ndarray]
    relocation_cost: float = 0.0
    node_production_cost: np.ndarray | None = None
    rule: str = "deterministic"
    logit_scale: float = 1.0
    loss_value: float = 0.0


def site_costs(
    net: Network, problem: Problem, spec: RelocationSpec
) -> tuple[np.ndarray, np.ndarray, np.ndarray, SPTree]:
    """Return ``(lab, site, cost, tree)``: every (lab, candidate site) pair and its cost.

    The current site comes first for each lab. Costs are ``inf`` where the site has no route.
    """
    tree = route_tree(net, problem)
    n = net.n_nodes
    prod = np.zeros(n) if spec.node_production_cost is None else spec.node_production_cost
    labs, sites = [], []
    for i, cand in enumerate(spec.lab_candidates):
        cur = int(problem.origin_node[i])
        c = np.asarray(cand, dtype=np.int64)
        s = np.concatenate([[cur], c[c != cur]])
        labs.append(np.full(s.size, i))
        sites.append(s)
    lab = np.concatenate(labs) if labs else np.zeros(0, np.int64)
    site = np.concatenate(sites) if sites else np.zeros(0, np.int64)
    moved = site != problem.origin_node[lab]
    cost = prod[site] + spec.relocation_cost * moved + tree.dist[site]
    if spec.loss_value > 0:
        w = path_sums(tree, [problem.arc_logsurv], [problem.sink_logsurv])[0]
        cost = cost + spec.loss_value * -np.expm1(-np.nan_to_num(w[site], nan=np.inf))
    if problem.source_node.size:
        from reten.models.chain import inbound_tree

        itree = inbound_tree(net, problem)
        cost = cost + problem.precursor_ratio * itree.dist[site]
    return lab, site, cost, tree


def relocate(net: Network, problem: Problem, spec: RelocationSpec) -> RouteResult:
    """Return the route result after every lab has chosen its site (production moved).

    The result's origins are the new sites (one row per lab for the deterministic rule, one
    per (lab, site) with a positive share for the logit rule); ``relocation`` records the
    sites before. Reuses one route tree for the choice and the flows.

    Parameters
    ----------
    net : Network
    problem : Problem
        The labs are the problem's origins (o,).
    spec : RelocationSpec
        ``lab_candidates``: one array of candidate nodes per lab; cost terms in cost units
        per kg; ``rule`` ``"deterministic"`` or ``"logit"``.

    Returns
    -------
    RouteResult
        Routes from the chosen sites, with ``relocation`` (sites before, lab of each new
        origin row, site costs).

    Raises
    ------
    InputError
        An unknown ``rule``.

    References
    ----------
    McFadden, D. (1974). Conditional logit analysis of qualitative choice behavior.

    Examples
    --------
    A lab at node 0 may move to node 1, one road closer to the crossing at node 2:

    >>> import numpy as np
    >>> from reten.network.model import Network
    >>> from reten.problem import Problem
    >>> net = Network.from_arcs(np.array([0, 1]), np.array([1, 2]), np.array([5.0, 1.0]),
    ...                         np.zeros(3), np.zeros(3))
    >>> p = Problem(arc_cost=net.length_m, arc_logsurv=np.zeros(2), sink_node=np.array([2]),
    ...             sink_cost=np.zeros(1), sink_logsurv=np.zeros(1),
    ...             origin_node=np.array([0]), origin_volume_kg=np.array([10.0]))
    >>> spec = RelocationSpec(lab_candidates=[np.array([1])], relocation_cost=2.0)
    >>> relocate(net, p, spec).problem.origin_node.tolist()
    [1]
    """
    if spec.rule not in RULES:
        raise InputError(f"relocation rule '{spec.rule}' unknown; valid: {', '.join(RULES)}")
    t0 = time.perf_counter()
    lab, site, cost, tree = site_costs(net, problem, spec)
    n_labs = problem.origin_node.size
    vol = problem.origin_volume_kg
    if spec.rule == "deterministic":
        # per lab: lowest cost, then the current site (listed first), then lowest node id;
        # pairs are grouped by lab, so segment minima do it in O(pairs)
        starts = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]])
        c = np.where(np.isnan(cost), np.inf, cost)
        seg_min = np.minimum.reduceat(c, starts)
        seg_of = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, lab.size]))
        tie = c == seg_min[seg_of]
        prio = np.where(tie, site.astype(np.float64), np.inf)
        prio[starts] = np.where(tie[starts], -1.0, np.inf)  # the current site wins ties
        best = np.minimum.reduceat(prio, starts)
        pick = np.flatnonzero(prio == best[seg_of])
        pick = pick[np.r_[True, seg_of[pick][1:] != seg_of[pick][:-1]]]
        new_lab, new_site, share = lab[pick], site[pick], np.ones(pick.size)
    else:
        finite = np.isfinite(cost)
        best = np.full(n_labs, np.inf)
        np.minimum.at(best, lab[finite], cost[finite])
        z = np.where(finite, np.exp(-(cost - best[lab]) / spec.logit_scale), 0.0)
        tot = wsum(lab, weights=z, minlength=n_labs)
        share = np.divide(z, tot[lab], out=np.zeros_like(z), where=tot[lab] > 0)
        keep = share > 1e-12
        new_lab, new_site, share = lab[keep], site[keep], share[keep]
        # labs with no finite site stay where they are (and are reported unreachable)
        stuck = np.flatnonzero(tot == 0)
        new_lab = np.concatenate([new_lab, stuck])
        new_site = np.concatenate([new_site, problem.origin_node[stuck]])
        share = np.concatenate([share, np.ones(stuck.size)])
        o = np.lexsort((new_site, new_lab))
        new_lab, new_site, share = new_lab[o], new_site[o], share[o]
    labels = problem.origin_label[new_lab] if problem.origin_label.size else None
    moved = replace(
        problem,
        origin_node=new_site,
        origin_volume_kg=vol[new_lab] * share,
        origin_label=np.asarray(
            [
                f"{labels[k]} -> {net.node_name[s] or net.node_key[s]}"
                if s != problem.origin_node[new_lab[k]]
                else str(labels[k])
                for k, s in enumerate(new_site.tolist())
            ],
            dtype=object,
        )
        if labels is not None
        else problem.origin_label,
    )
    result = solve_routes(net, moved, tree=tree)
    inbound = None
    if problem.source_node.size:
        from reten.models.chain import solve_inbound

        inbound = solve_inbound(net, moved)
    prov = dict(result.provenance)
    prov.update(
        {
            "relocation": {
                "rule": spec.rule,
                "relocation_cost": spec.relocation_cost,
                "logit_scale": spec.logit_scale,
                "loss_value": spec.loss_value,
                "candidate_pairs": int(site.size),
            },
            "seconds": time.perf_counter() - t0,
        }
    )
    return replace(
        result,
        provenance=prov,
        inbound=inbound,
        relocation=Relocation(problem.origin_node, vol, new_lab, cost),
    )
