"""Contract chains of degree-2 junctions into single arcs (exact lengths, geometry kept)."""

from __future__ import annotations

import numpy as np

from reten.network.model import NODE_KINDS, Network, reorder_nodes, spatial_order


def removable_nodes(net: Network) -> np.ndarray:
    """Return a mask of unnamed junctions that only continue one road.

    Two-way: exactly two neighbours, joined both ways. One-way: one arc in and one out, to
    two different neighbours. Both sides must share class, speed and toll so that merged
    arcs keep exact attributes.
    """
    n = net.n_nodes
    outdeg = np.diff(net.indptr)
    indeg = np.diff(net.rev_indptr)
    junction = (net.node_kind == NODE_KINDS.index("junction")) & (net.node_name == "")
    cand = np.flatnonzero(
        junction & (((outdeg == 2) & (indeg == 2)) | ((outdeg == 1) & (indeg == 1)))
    )
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
        if (
            np.unique(net.road_class[arcs]).size == 1
            and np.unique(net.toll[arcs]).size == 1
            and np.unique(net.speed_kmh[arcs]).size == 1
        ):
            keep[v] = True
    return keep


def simplify_chains(net: Network) -> Network:
    """Return ``net`` with every chain of removable degree-2 junctions merged into one arc.

    Lengths are summed exactly and geometries concatenated; nodes kept retain their keys.
    ``meta["simplified_nodes"]`` records how many nodes were removed.
    """
    rem = removable_nodes(net)
    if not rem.any():
        return net
    src, dst, length, rc, spd, toll, geoms = [], [], [], [], [], [], []
    for e in range(net.n_arcs):
        u, w = int(net.arc_source[e]), int(net.arc_target[e])
        if rem[u]:
            continue  # chains are walked from a kept node
        total = float(net.length_m[e])
        parts = [net.arc_geometry(e)]
        prev, cur = u, w
        steps = 0
        while rem[cur] and steps <= net.n_nodes:
            row = np.arange(net.indptr[cur], net.indptr[cur + 1])
            nxt = [a for a in row.tolist() if int(net.arc_target[a]) != prev]
            if not nxt:
                break
            a = nxt[0]
            total += float(net.length_m[a])
            parts.append(net.arc_geometry(a)[1:])
            prev, cur = cur, int(net.arc_target[a])
            steps += 1
        if rem[cur]:
            continue
        src.append(u)
        dst.append(cur)
        length.append(total)
        rc.append(net.road_class[e])
        spd.append(net.speed_kmh[e])
        toll.append(net.toll[e])
        geoms.append(np.concatenate(parts))
    kept = np.flatnonzero(~rem)
    new_id = np.full(net.n_nodes, -1, np.int64)
    new_id[kept] = np.arange(kept.size)
    meta = dict(net.meta)
    meta["simplified_nodes"] = int(rem.sum())
    out = Network.from_arcs(
        new_id[np.array(src, dtype=np.int64)],
        new_id[np.array(dst, dtype=np.int64)],
        np.array(length),
        net.node_lon[kept],
        net.node_lat[kept],
        road_class=np.array(rc),
        speed_kmh=np.array(spd),
        toll=np.array(toll),
        geometry=geoms,
        node_kind=net.node_kind[kept],
        node_name=net.node_name[kept],
        node_key=net.node_key[kept],
        node_attrs={k: v[kept] for k, v in net.node_attrs.items()},
        meta=meta,
    )
    return reorder_nodes(out, spatial_order(out.node_lon, out.node_lat))
