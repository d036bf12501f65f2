"""Contract chains of degree-2 junctions into single arcs (exact lengths, geometry kept)."""

from __future__ import annotations

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


def _walk(net: Network, rem: np.ndarray) -> list[tuple[int, int, list[int]]]:
    """Return ``(start, end, arcs)`` of every chain from a kept node to the next kept node."""
    out = []
    for e in range(net.n_arcs):
        u, w = int(net.arc_source[e]), int(net.arc_target[e])
        if rem[u]:
            continue  # chains are walked from a kept node
        arcs = [e]
        prev, cur = u, w
        while rem[cur] and len(arcs) <= net.n_nodes:
            row = range(int(net.indptr[cur]), int(net.indptr[cur + 1]))
            nxt = [a for a in row if int(net.arc_target[a]) != prev]
            if not nxt:
                break
            arcs.append(nxt[0])
            prev, cur = cur, int(net.arc_target[nxt[0]])
        out.append((u, cur, arcs))
    return out


def _settle(net: Network, rem: np.ndarray) -> list[tuple[int, int, list[int]]]:
    """Un-mark removable nodes until contraction creates no self-loop, no parallel arc and
    drops no arc; return the chains. ``rem`` is updated in place.

    A conflicting chain keeps its smallest interior node, which both directions of a
    two-way road share. Rings of removable nodes keep their smallest node.
    """
    while True:
        chains = _walk(net, rem)
        changed = False
        seen = np.zeros(net.n_nodes, bool)
        for _, _, arcs in chains:
            seen[net.arc_target[arcs]] = True
        ring = rem & ~seen
        if ring.any():  # a cycle of removable nodes only: keep one node per cycle
            for v in np.flatnonzero(ring).tolist():
                if rem[v] and not seen[v]:
                    rem[v] = False
                    cur, prev = v, -1
                    while True:  # mark the rest of this ring as handled
                        seen[cur] = True
                        row = range(int(net.indptr[cur]), int(net.indptr[cur + 1]))
                        nxt = [int(net.arc_target[a]) for a in row]
                        nxt = [x for x in nxt if x != prev and rem[x] and not seen[x]]
                        if not nxt:
                            break
                        prev, cur = cur, nxt[0]
            continue
        groups: dict[tuple[int, int], list[list[int]]] = {}
        for u, w, arcs in chains:
            interior = net.arc_target[arcs[:-1]].tolist()
            if u == w and interior:
                rem[min(interior)] = False
                changed = True
                continue
            groups.setdefault((u, w), []).append(interior)
        for members in groups.values():
            if len(members) < 2:
                continue
            members = sorted(members, key=lambda x: min(x) if x else -1)
            for interior in members[1:]:
                rem[min(interior)] = False
                changed = True
        if not changed:
            return chains


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
    chains = _settle(net, rem)
    if not rem.any():
        return net
    src, dst, length, first, geoms = [], [], [], [], []
    for u, w, arcs in chains:
        src.append(u)
        dst.append(w)
        length.append(float(np.sum(net.length_m[arcs])))
        first.append(arcs[0])
        parts = [net.arc_geometry(arcs[0])] + [net.arc_geometry(a)[1:] for a in arcs[1:]]
        geoms.append(np.concatenate(parts))
    kept = np.flatnonzero(~rem)
    new_id = np.full(net.n_nodes, -1, np.int64)
    new_id[kept] = np.arange(kept.size)
    fa = np.asarray(first, dtype=np.int64)
    n_rem = int(rem.sum())
    meta = dict(net.meta)
    meta["simplified_nodes"] = int(meta.get("simplified_nodes", 0)) + n_rem
    changed = dict(meta.get("changed") or {})
    changed["contracted_nodes"] = int(changed.get("contracted_nodes", 0)) + n_rem
    meta["changed"] = changed
    out = Network.from_arcs(
        new_id[np.asarray(src, dtype=np.int64)],
        new_id[np.asarray(dst, dtype=np.int64)],
        np.asarray(length, dtype=np.float64),
        net.node_lon[kept],
        net.node_lat[kept],
        road_class=net.road_class[fa],
        speed_kmh=net.speed_kmh[fa],
        toll=net.toll[fa],
        geometry=geoms,
        arc_attrs={k: np.asarray(v)[fa] for k, v in net.arc_attrs.items()},
        node_kind=net.node_kind[kept],
        node_name=net.node_name[kept],
        node_key=net.node_key[kept],
        node_attrs={k: v[kept] for k, v in net.node_attrs.items()},
        meta=meta,
    )
    return reorder_nodes(out, spatial_order(out.node_lon, out.node_lat))
