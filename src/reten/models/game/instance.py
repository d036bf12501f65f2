"""The game's arrays: extended arcs, sites, origins, and the routes a tree gives each origin."""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp

from reten.errors import InputError
from reten.kernels.sptree import SPTree, sink_tree
from reten.models.interdiction.follower import Follower
from reten.models.interdiction.sites import Sites
from reten.network.model import Network
from reten.problem import Problem

GAME_SITE_KINDS = ("arcs", "nodes", "crossings")


@dataclass(frozen=True, eq=False)
class GameInstance:
    """Arrays of one network security game.

    Extended arcs are the road arcs (``m``) followed by one arc per crossing (from the
    crossing to a super-sink), as in :mod:`reten.models.interdiction`.

    Attributes
    ----------
    net : Network
    problem : Problem
    sites : Sites
        Candidate sites; each covers extended arcs (``sites.incidence``, S x (m + k)).
    base : (m + k,) float
        Log-survival of each extended arc before any unit (``-ln(1 - p)`` of the scenario's
        own enforcement); ``inf`` where the arc is closed.
    logsurv : (S,) float
        ``w_s = -ln(1 - p_s)``: one unit at site ``s`` detects with probability ``p_s``.
    p : (S,) float
        ``p_s``.
    origin : (O,) int
        Distinct origin nodes that reach an open crossing (origins sharing a node merged).
    volume : (O,) float
        Their volume (kg/month).
    k : int
        Units (checkpoints) the defender places each day, one per site at most.
    arc_site : (m + k,) int
        The site covering each extended arc, -1 if none (sites of one kind are disjoint).
    """

    net: Network
    problem: Problem
    sites: Sites
    base: np.ndarray
    logsurv: np.ndarray
    p: np.ndarray
    origin: np.ndarray
    volume: np.ndarray
    k: int
    arc_site: np.ndarray

    @property
    def m(self) -> int:
        """Road arcs."""
        return int(self.net.n_arcs)

    @property
    def n_sites(self) -> int:
        return int(self.sites.size)

    def tree(self, site_weight: np.ndarray) -> SPTree:
        """Return the most reliable routes when site ``s`` adds ``site_weight[s]`` to the
        log-survival of each arc it covers (one tree from the super-sink)."""
        w = self.base + self.sites.incidence.T @ np.asarray(site_weight, dtype=float)
        w = np.where(np.isnan(w), np.inf, w)
        return sink_tree(self.net, w[: self.m], self.problem.sink_node, w[self.m :])

    def tree_closed(self, closed_sites: np.ndarray) -> SPTree:
        """Return the most reliable routes on base weights with the arcs of
        ``closed_sites`` (indices) removed."""
        w = self.base.copy()
        if len(closed_sites):
            cols = self.sites.incidence[np.asarray(closed_sites, dtype=np.int64)].indices
            w[cols] = np.inf
        return sink_tree(self.net, w[: self.m], self.problem.sink_node, w[self.m :])

    def routes(self, tree: SPTree, which: np.ndarray | None = None) -> list[np.ndarray]:
        """Return the extended arcs of each origin's route in ``tree`` (origin first)."""
        idx = np.arange(self.origin.size) if which is None else np.asarray(which)
        out = []
        for i in idx.tolist():
            out.append(_route(int(self.origin[i]), tree.parent, tree.parent_arc, tree.root, self.m))
        return out

    def route_sites(self, arcs: np.ndarray) -> np.ndarray:
        """Return the sorted distinct sites a route's extended arcs pass."""
        s = self.arc_site[arcs]
        return np.unique(s[s >= 0])

    def route_base(self, arcs: np.ndarray) -> float:
        """Return the base log-survival of a route."""
        return float(self.base[arcs].sum())


@numba.njit(cache=True)
def _route(v, parent, parent_arc, root, m):  # type: ignore[no-untyped-def]
    n = 0
    u = v
    while parent[u] >= 0:
        n += 1
        u = parent[u]
    out = np.empty(n + 1, dtype=np.int64)
    u = v
    i = 0
    while parent[u] >= 0:
        out[i] = parent_arc[u]
        i += 1
        u = parent[u]
    out[i] = m + root[u]
    return out


def build_instance(net: Network, problem: Problem, sites: Sites, k: int) -> GameInstance:
    """Return the game's arrays; raise InputError when it has no content.

    Raises
    ------
    InputError
        ``k`` not a positive whole number, a site kind other than arcs, nodes or crossings,
        sites that overlap, or no origin that reaches an open crossing.
    """
    if isinstance(k, bool) or int(k) != k or k < 1:
        raise InputError(f"checkpoints must be a whole number >= 1 (got {k!r})")
    if sites.kind not in GAME_SITE_KINDS:
        raise InputError(
            f"sites '{sites.kind}' unknown for the game; valid: {', '.join(GAME_SITE_KINDS)}"
        )
    inc = sp.csr_matrix(sites.incidence)
    cover = np.asarray(inc.sum(axis=0)).ravel()
    if (cover > 1).any():
        raise InputError("game sites must not overlap: each road or crossing in one site at most")
    fol = Follower(net, problem, sites, "interception")
    if fol.on.size == 0:
        raise InputError("no origin reaches an open crossing; there is no game to play")
    arc_site = np.full(inc.shape[1], -1, dtype=np.int64)
    rows = np.repeat(np.arange(inc.shape[0]), np.diff(inc.indptr))
    arc_site[inc.indices] = rows
    w = np.asarray(sites.logsurv, dtype=float)
    return GameInstance(
        net=net,
        problem=problem,
        sites=sites,
        base=np.asarray(fol.base, dtype=float),
        logsurv=w,
        p=-np.expm1(-w),
        origin=np.asarray(fol.on, dtype=np.int64),
        volume=np.asarray(fol.vol, dtype=float),
        k=int(k),
        arc_site=arc_site,
    )
