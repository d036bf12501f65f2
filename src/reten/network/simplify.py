"""Contract chains of degree-2 junctions into single arcs (exact lengths, geometry kept)."""

from __future__ import annotations

import numba
import numpy as np

from reten.network.model import NODE_KINDS, Network, reorder_nodes, spatial_order


def removable_nodes(net: Network) -> np.ndarray:
    """Return a mask of unnamed junctions that only continue one road.

    Two-way: exactly two neighbours, joined both ways. One-way: one arc in and one out, to
    two different neighbours. Both sides must share class, speed, toll and every arc
    attribute so that merged arcs keep exact attributes. O(V + E).
    """
    import pandas as pd

    junction = (net.node_kind == NODE_KINDS.index("junction")) & (net.node_name == "")
    same = [net.road_class, net.toll, net.speed_kmh, *net.arc_attrs.values()]
    codes = np.empty((net.n_arcs, len(same)), np.int64)
    for j, a in enumerate(same):
        codes[:, j] = pd.factorize(np.asarray(a), use_na_sentinel=False)[0]
    return _removable(
        net.indptr, net.arc_target, net.rev_indptr, net.rev_arc, net.arc_source, junction, codes
    )


@numba.njit(cache=True)
def _removable(
    indptr: np.ndarray,
    target: np.ndarray,
    rev_indptr: np.ndarray,
    rev_arc: np.ndarray,
    source: np.ndarray,
    junction: np.ndarray,
    codes: np.ndarray,
) -> np.ndarray:
    n = junction.shape[0]
    keep = np.zeros(n, np.bool_)
    arcs = np.empty(4, np.int64)
    for v in range(n):
        if not junction[v]:
            continue
        o0, o1 = indptr[v], indptr[v + 1]
        i0, i1 = rev_indptr[v], rev_indptr[v + 1]
        dout, din = o1 - o0, i1 - i0
        if dout == 2 and din == 2:
            s0, s1 = target[o0], target[o0 + 1]
            p0, p1 = source[rev_arc[i0]], source[rev_arc[i0 + 1]]
            if s0 == s1 or not ((s0 == p0 and s1 == p1) or (s0 == p1 and s1 == p0)):
                continue
            k = 4
        elif dout == 1 and din == 1:
            if target[o0] == source[rev_arc[i0]]:
                continue
            k = 2
        else:
            continue
        arcs[0] = o0
        arcs[1] = rev_arc[i0]
        if k == 4:
            arcs[2] = o0 + 1
            arcs[3] = rev_arc[i0 + 1]
        ok = True
        for j in range(codes.shape[1]):
            c = codes[arcs[0], j]
            for x in range(1, k):
                if codes[arcs[x], j] != c:
                    ok = False
        keep[v] = ok
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
