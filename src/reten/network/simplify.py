"""Contract chains of degree-2 junctions into single arcs (exact lengths, geometry kept)."""

from __future__ import annotations

import numba
import numpy as np

from reten.network.model import NODE_KINDS, Network, reorder_nodes, spatial_order


def removable_nodes(net: Network) -> np.ndarray:
    """Return a mask of unnamed junctions that only continue one road.

    Two-way: exactly two neighbours, joined both ways. One-way: one arc in and one out, to
    two different neighbours. Both sides must share class, speed, toll and every arc
    attribute so that merged arcs keep exact attributes.
    """
    n = net.n_nodes
    outdeg = np.diff(net.indptr)
    indeg = np.diff(net.rev_indptr)
    junction = (net.node_kind == NODE_KINDS.index("junction")) & (net.node_name == "")
    cand = np.flatnonzero(
        junction & (((outdeg == 2) & (indeg == 2)) | ((outdeg == 1) & (indeg == 1)))
    )
    same = [net.road_class, net.toll, net.speed_kmh, *net.arc_attrs.values()]
    keep = np.zeros(n, bool)
    for v in cand.tolist():
        outs = np.arange(net.indptr[v], net.indptr[v + 1])
        ins = net.rev_arc[net.rev_indptr[v] : net.rev_indptr[v + 1]]
        succ = set(net.arc_target[outs].tolist())
        pred = set(net.arc_source[ins].tolist())
        if v in succ:
            continue
        if outs.size == 2 and not (succ == pred and len(succ) == 2):
            continue
        if outs.size == 1 and succ == pred:
            continue
        arcs = np.concatenate([outs, ins])
        if all(np.unique(np.asarray(a)[arcs]).size == 1 for a in same):
            keep[v] = True
    return keep


@numba.njit(cache=True)
def _walk(
    indptr: np.ndarray, source: np.ndarray, target: np.ndarray, rem: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Walk every chain from a kept node to the next kept node.

    Returns ``(start, end, offset, smallest interior node or -1, arcs)``: chain ``c`` is
    ``arcs[offset[c]:offset[c + 1]]``. O(V + E).
    """
    n = rem.shape[0]
    m = target.shape[0]
    arcs = np.empty(m, np.int64)
    start = np.empty(m, np.int64)
    end = np.empty(m, np.int64)
    low = np.empty(m, np.int64)
    offset = np.zeros(m + 1, np.int64)
    k = 0
    pos = 0
    for e in range(m):
        u = source[e]
        if rem[u]:
            continue  # chains are walked from a kept node
        arcs[pos] = e
        pos += 1
        prev = u
        cur = target[e]
        mn = -1
        steps = 0
        while rem[cur] and steps <= n and pos < m:
            if mn < 0 or cur < mn:
                mn = cur
            nxt = -1
            for a in range(indptr[cur], indptr[cur + 1]):
                if target[a] != prev:
                    nxt = a
                    break
            if nxt < 0:
                break
            arcs[pos] = nxt
            pos += 1
            prev = cur
            cur = target[nxt]
            steps += 1
        start[k] = u
        end[k] = cur
        low[k] = mn
        k += 1
        offset[k] = pos
    return start[:k], end[:k], offset[: k + 1], low[:k], arcs[:pos]


def _settle(net: Network, rem: np.ndarray) -> tuple[np.ndarray, ...]:
    """Un-mark removable nodes until contraction creates no self-loop, no parallel arc and
    drops no arc; return the chains (see :func:`_walk`). ``rem`` is updated in place.

    A conflicting chain keeps its smallest interior node, which both directions of a
    two-way road share. A ring of removable nodes keeps its smallest node.
    """
    n = net.n_nodes
    while True:
        start, end, offset, low, arcs = _walk(net.indptr, net.arc_source, net.arc_target, rem)
        last = np.zeros(arcs.size, bool)
        last[offset[1:] - 1] = True
        seen = np.zeros(n, bool)
        seen[net.arc_target[arcs[~last]]] = True
        ring = np.flatnonzero(rem & ~seen)
        if ring.size:  # cycles of removable nodes only: keep the smallest node of each
            _break_rings(net, rem, seen, ring)
            continue
        drop = low[(start == end) & (low >= 0)]  # a chain back to its start: a self-loop
        key = start * np.int64(n) + end
        order = np.lexsort((low, key))  # direct arcs (low = -1) first in each pair
        ks = key[order]
        again = np.zeros(order.size, bool)
        again[1:] = ks[1:] == ks[:-1]
        drop = np.concatenate([drop, low[order[again]]])
        drop = drop[drop >= 0]
        if drop.size == 0:
            return start, end, offset, arcs
        rem[drop] = False


def _break_rings(net: Network, rem: np.ndarray, seen: np.ndarray, ring: np.ndarray) -> None:
    for v in ring.tolist():
        if not rem[v] or seen[v]:
            continue
        rem[v] = False
        cur, prev = v, -1
        while True:  # mark the rest of this ring as handled
            seen[cur] = True
            row = net.arc_target[net.indptr[cur] : net.indptr[cur + 1]].tolist()
            nxt = [x for x in row if x != prev and rem[x] and not seen[x]]
            if not nxt:
                break
            prev, cur = cur, nxt[0]


def simplify_chains(net: Network) -> Network:
    """Return ``net`` with every chain of removable degree-2 junctions merged into one arc.

    Lengths are summed exactly, geometries concatenated and attributes kept; nodes kept
    retain their keys. A junction is kept when contracting it would create a self-loop, a
    parallel arc (two roads between the same two junctions) or leave a ring with no node,
    so every road survives. ``meta["simplified_nodes"]`` and
    ``meta["changed"]["contracted_nodes"]`` add the number of nodes removed to any earlier
    count.
    """
    rem = removable_nodes(net)
    if not rem.any():
        return net
    start, end, offset, arcs = _settle(net, rem)
    if not rem.any():
        return net
    n_chains = start.size
    first = arcs[offset[:-1]]
    length = np.add.reduceat(net.length_m[arcs], offset[:-1]) if n_chains else np.zeros(0)
    # geometry: each arc's vertices, the first one skipped after a chain's first arc
    if net.geom_offsets is not None and net.geom_xy is not None:
        g_off, g_xy = net.geom_offsets, net.geom_xy
    else:
        s, t = net.arc_source, net.arc_target
        g_off = np.arange(0, 2 * net.n_arcs + 1, 2, dtype=np.int64)
        g_xy = np.empty((2 * net.n_arcs, 2))
        g_xy[0::2, 0], g_xy[0::2, 1] = net.node_lon[s], net.node_lat[s]
        g_xy[1::2, 0], g_xy[1::2, 1] = net.node_lon[t], net.node_lat[t]
    is_first = np.zeros(arcs.size, bool)
    is_first[offset[:-1]] = True
    lo = g_off[arcs] + np.where(is_first, 0, 1)
    hi = g_off[arcs + 1]
    nv = np.maximum(hi - lo, 0)
    take = np.repeat(lo - np.concatenate([[0], np.cumsum(nv)[:-1]]), nv) + np.arange(nv.sum())
    xy = g_xy[take]
    per_chain = np.add.reduceat(nv, offset[:-1]) if n_chains else np.zeros(0, np.int64)
    geoms = np.split(xy, np.cumsum(per_chain)[:-1]) if n_chains else []
    kept = np.flatnonzero(~rem)
    new_id = np.full(net.n_nodes, -1, np.int64)
    new_id[kept] = np.arange(kept.size)
    n_rem = int(rem.sum())
    meta = dict(net.meta)
    meta["simplified_nodes"] = int(meta.get("simplified_nodes", 0)) + n_rem
    changed = dict(meta.get("changed") or {})
    changed["contracted_nodes"] = int(changed.get("contracted_nodes", 0)) + n_rem
    meta["changed"] = changed
    out = Network.from_arcs(
        new_id[start],
        new_id[end],
        length,
        net.node_lon[kept],
        net.node_lat[kept],
        road_class=net.road_class[first],
        speed_kmh=net.speed_kmh[first],
        toll=net.toll[first],
        geometry=geoms,
        arc_attrs={k: np.asarray(v)[first] for k, v in net.arc_attrs.items()},
        node_kind=net.node_kind[kept],
        node_name=net.node_name[kept],
        node_key=net.node_key[kept],
        node_attrs={k: v[kept] for k, v in net.node_attrs.items()},
        meta=meta,
    )
    return reorder_nodes(out, spatial_order(out.node_lon, out.node_lat))
