"""Region accounting: which regions a flow enters, where production sits, region membership.

Models return flows on arcs and volumes at nodes; this module aggregates them by region
(municipality, state) on the way out, so that no model needs to know regions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from reten.kernels.sums import wsum
from reten.network.model import NODE_KINDS, Network

if TYPE_CHECKING:
    from reten.models.routes import RouteResult


def region_entries(net: Network, arc_flow: np.ndarray, node_volume: np.ndarray) -> np.ndarray:
    """Return the volume entering (or starting in) each region row, summed over levels.

    A route is a sequence node, arc, node, ...; each place has a region (an arc without one
    takes its source node's). Volume is counted for a region each time a route enters it:
    at the origin, and at every arc or node whose region differs from the place before it.
    Parent regions (states) are counted the same way with every place mapped to its
    ancestor at that level. Works for any arc flow (a tree's or an equilibrium's); only arcs
    with flow are read.
    """
    regs = net.regions
    nreg = len(regs)
    out = np.zeros(nreg)
    if nreg == 0:
        return out
    a = np.flatnonzero(arc_flow > 0)
    v = net.arc_source[a]
    p = net.arc_target[a]
    f = arc_flow[a]
    src = np.flatnonzero(node_volume > 0)
    arc_reg = net.arc_region[a]
    arc_reg = np.where(arc_reg >= 0, arc_reg, net.node_region[v])
    for level in sorted(set(regs.level.tolist())):
        anc = regs.ancestor_table(level)
        rv, rp, ra = anc[net.node_region[v]], anc[net.node_region[p]], anc[arc_reg]
        ra = np.where(ra >= 0, ra, rv)
        rs = anc[net.node_region[src]]
        ok = rs >= 0
        out += wsum(rs[ok], weights=node_volume[src][ok], minlength=nreg)
        enter_arc = (ra != rv) & (ra >= 0)
        out += wsum(ra[enter_arc], weights=f[enter_arc], minlength=nreg)
        enter_node = (rp != ra) & (rp >= 0)
        out += wsum(rp[enter_node], weights=f[enter_node], minlength=nreg)
    return out


def region_flows(net: Network, r: RouteResult) -> np.ndarray:
    """Return the volume entering (or starting in) each region row, kg per month.

    Parameters
    ----------
    net : Network
        The network the result was solved on (``len(net.regions)`` rows).
    r : RouteResult
        Any route result (least-cost, equilibrium, relocation).

    Returns
    -------
    (len(net.regions),) float64
        See :func:`region_entries`; origins without a route are not counted.

    Examples
    --------
    >>> from reten.data import default_network
    >>> from reten.models.routes import solve_routes
    >>> from reten.scenario import Scenario, resolve
    >>> net = default_network()
    >>> sc = Scenario.from_dict({"origins": [{"municipality": "Culiacán", "volume_kg": 100}]})
    >>> f = region_flows(net, solve_routes(net, resolve(sc, net)))
    >>> f.shape == (len(net.regions),), float(f[net.regions.index()["25006"]])
    (True, 100.0)
    """
    p = r.problem
    ok = r.origin_crossing >= 0
    node_vol = wsum(p.origin_node[ok], weights=p.origin_volume_kg[ok], minlength=net.n_nodes)
    return region_entries(net, r.arc_flow_kg, node_vol)


def production_by_region(
    net: Network,
    before_node: np.ndarray,
    before_kg: np.ndarray,
    after_node: np.ndarray,
    after_kg: np.ndarray,
) -> list[tuple]:
    """Return ``(row, level, before_kg, after_kg)`` for every region with production."""
    regs = net.regions
    out = []
    for level in sorted(set(regs.level.tolist())):
        anc = regs.ancestor_table(level)
        rb, ra = anc[net.node_region[before_node]], anc[net.node_region[after_node]]
        b = wsum(rb[rb >= 0], weights=before_kg[rb >= 0], minlength=len(regs))
        a = wsum(ra[ra >= 0], weights=after_kg[ra >= 0], minlength=len(regs))
        for r in np.flatnonzero((a > 0) | (b > 0)):
            out.append((int(r), level, float(b[r]), float(a[r])))
    return out


def region_arcs_and_nodes(net: Network, rows: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Return (arc mask, node mask) of the given region rows (descendants included).

    An arc belongs to a region by its own region (midpoint) when known, else by its source
    node; a network without arc regions therefore uses node regions throughout.
    """
    arc_mask = np.zeros(net.n_arcs, bool)
    node_mask = np.zeros(net.n_nodes, bool)
    src_region = net.node_region[net.arc_source]
    arc_region = np.where(net.arc_region >= 0, net.arc_region, src_region)
    for r in rows:
        lvl = str(net.regions.level[r])
        node_mask |= net.regions.ancestor_at_level(net.node_region, lvl) == r
        arc_mask |= net.regions.ancestor_at_level(arc_region, lvl) == r
    return arc_mask, node_mask


def region_nodes(net: Network, rows: np.ndarray) -> np.ndarray:
    """Return the node standing for each region row (-1 if none), vectorised.

    Among the nodes inside a region (descendants included): places first, then nearest to
    the region's representative point, then lowest id. A region without nodes maps to the
    node nearest its point, when it has one.
    """
    rows = np.asarray(rows, dtype=np.int64)
    out = np.full(rows.size, -1, dtype=np.int64)
    if rows.size == 0 or net.n_nodes == 0:
        return out
    regs = net.regions
    place = NODE_KINDS.index("place")
    for level in sorted(set(regs.level[rows].tolist())):
        sel = np.flatnonzero(regs.level[rows] == level)
        anc = regs.ancestor_table(level)[net.node_region]
        inside = np.flatnonzero(anc >= 0)
        r = anc[inside]
        px, py = regs.lon[r], regs.lat[r]
        d2 = np.where(
            np.isfinite(px), (net.node_lon[inside] - px) ** 2 + (net.node_lat[inside] - py) ** 2, 0
        )
        order = np.lexsort((inside, d2, net.node_kind[inside] != place, r))
        first = order[np.r_[True, r[order][1:] != r[order][:-1]]]
        best = np.full(len(regs), -1, dtype=np.int64)
        best[r[first]] = inside[first]
        out[sel] = best[rows[sel]]
    missing = np.flatnonzero((out < 0) & np.isfinite(regs.lon[rows]))
    if missing.size:
        from scipy.spatial import cKDTree

        tree = cKDTree(np.column_stack([net.node_lon, net.node_lat]))
        _, k = tree.query(np.column_stack([regs.lon[rows[missing]], regs.lat[rows[missing]]]))
        out[missing] = np.asarray(k, dtype=np.int64)
    return out
