"""Turn OSM way-node arrays into roads and arcs: gaps, junctions, chains, parallel roads.

Everything here works on flat NumPy arrays, one entry per way-node reference, per node or
per road, with no Python object per node or arc, so that a country extract (tens of millions
of references) fits in a few gigabytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

from reten.network.geo import _GEOD

_CHUNK = 2_000_000


@dataclass
class Lines:
    """Runs of located, consecutive node references: one or more per way.

    ``vnode[i]`` is the node (row of the node table) of vertex ``i``; the vertices of line
    ``k`` are ``vnode[ptr[k]:ptr[k + 1]]``; ``way[k]`` is the way it came from.
    """

    vnode: np.ndarray
    ptr: np.ndarray
    way: np.ndarray
    counts: dict[str, int] = field(default_factory=dict)


def split_lines(ref_node: np.ndarray, way_ptr: np.ndarray) -> Lines:
    """Return the lines of each way, cut where node references are missing (``-1``).

    A way whose nodes are partly outside the file (an extract cut at a boundary) is split
    at each gap: the runs of two or more located nodes are kept and no segment is drawn
    across missing nodes. A node repeated consecutively is kept once.

    Parameters
    ----------
    ref_node : (R,) int array
        Node row of every way-node reference, -1 where the node is missing.
    way_ptr : (W + 1,) int64 array
        References of way ``w`` are ``ref_node[way_ptr[w]:way_ptr[w + 1]]``.

    Returns
    -------
    Lines
        With ``counts``: ``missing_node_refs``, ``ways_with_missing_nodes``,
        ``ways_cut_at_missing_nodes`` (ways kept in two or more pieces),
        ``ways_without_located_segment`` (ways dropped: no two consecutive located nodes),
        ``repeated_node_refs``.

    Examples
    --------
    Way 0 misses its third node and is cut in two; way 1 repeats one node and keeps no
    segment, so it is dropped:

    >>> lines = split_lines(np.array([0, 1, -1, 2, 3, 4, 4]), np.array([0, 5, 7]))
    >>> lines.vnode.tolist(), lines.ptr.tolist(), lines.way.tolist()
    ([0, 1, 2, 3], [0, 2, 4], [0, 0])
    >>> lines.counts["ways_cut_at_missing_nodes"], lines.counts["ways_without_located_segment"]
    (1, 1)
    """
    ref_node = np.asarray(ref_node)
    way_ptr = np.asarray(way_ptr, dtype=np.int64)
    n_ways = way_ptr.size - 1
    counts_w = np.diff(way_ptr)
    way_of = np.repeat(np.arange(n_ways, dtype=np.int32), counts_w)
    ok = ref_node >= 0
    missing = ~ok
    n_missing = int(missing.sum())
    ways_missing = np.zeros(n_ways, bool)
    kn = ref_node[ok]
    kw = way_of[ok]
    del way_of
    start = np.ones(kn.size, bool)
    start[1:] = kw[1:] != kw[:-1]
    if n_missing:
        ways_missing[np.repeat(np.arange(n_ways, dtype=np.int32), counts_w)[missing]] = True
        kg = np.cumsum(missing, dtype=np.int64)[ok]
        start[1:] |= kg[1:] != kg[:-1]
        del kg
    del ok, missing
    # the same node twice in a row within a run: keep it once
    rep = np.zeros(kn.size, bool)
    rep[1:] = ~start[1:] & (kn[1:] == kn[:-1])
    if rep.any():
        keep_v = ~rep
        kn, kw, start = kn[keep_v], kw[keep_v], start[keep_v]
    line_of = np.cumsum(start, dtype=np.int32 if kn.size < 2**31 else np.int64) - 1
    n_lines = int(start.sum())
    size = np.bincount(line_of, minlength=n_lines)
    good = size >= 2
    line_way = kw[start]
    keep_v = good[line_of]
    vnode = kn[keep_v]
    size = size[good]
    ptr = np.zeros(size.size + 1, np.int64)
    np.cumsum(size, out=ptr[1:])
    way = line_way[good]
    lines_per_way = np.bincount(way, minlength=n_ways)
    return Lines(
        vnode=vnode,
        ptr=ptr,
        way=way.astype(np.int32),
        counts={
            "missing_node_refs": n_missing,
            "ways_with_missing_nodes": int(ways_missing.sum()),
            "ways_cut_at_missing_nodes": int((ways_missing & (lines_per_way >= 2)).sum()),
            "ways_without_located_segment": int((lines_per_way == 0).sum()),
            "repeated_node_refs": int(rep.sum()),
        },
    )


def reverse_lines(lines: Lines, flip: np.ndarray) -> None:
    """Reverse, in place, the vertex order of the lines where ``flip`` is true."""
    if not flip.any():
        return
    size = np.diff(lines.ptr)
    line_of = np.repeat(np.arange(size.size), size)
    pos = np.arange(lines.vnode.size, dtype=np.int64)
    f = flip[line_of]
    pos[f] = lines.ptr[line_of[f]] + lines.ptr[line_of[f] + 1] - 1 - pos[f]
    lines.vnode = lines.vnode[pos]


@dataclass
class Roads:
    """Roads between junctions: vertex ranges ``rv[start[r]:end[r]]`` (vertex positions)."""

    rv: np.ndarray
    start: np.ndarray
    end: np.ndarray
    line: np.ndarray
    counts: dict[str, int] = field(default_factory=dict)


def junction_roads(
    lines: Lines,
    n_nodes: int,
    *,
    attrs: np.ndarray,
    oneway: np.ndarray,
    contract: bool,
) -> Roads:
    """Return the roads of ``lines``: cut at junctions, chains of degree-2 nodes merged.

    A node is a junction when two or more references use it or it ends a line. With
    ``contract``, a junction met by exactly two roads of equal ``attrs`` (one integer key
    per line: class, speed, toll and one-way together) and a consistent direction (both
    two-way, or one entering and one leaving) is removed and its two roads merged, as
    :func:`reten.network.simplify.simplify_chains` does, but in arrays. A ring of such nodes
    keeps its lowest node. ``oneway`` per line is 1 (along the vertex order) or 0.
    """
    vnode = lines.vnode
    nv = vnode.size
    last = np.zeros(nv, bool)
    last[lines.ptr[1:] - 1] = True
    first = np.zeros(nv, bool)
    first[lines.ptr[:-1]] = True
    uses = np.bincount(vnode, minlength=n_nodes)
    is_node = (uses[vnode] >= 2) | first | last
    del uses
    node_pos = np.flatnonzero(is_node)
    a = node_pos[~last[node_pos]]
    b = node_pos[np.searchsorted(node_pos, a, side="right")]
    del node_pos, is_node, first
    line_of_a = np.searchsorted(lines.ptr, a, side="right") - 1
    u = vnode[a].astype(np.int64)
    v = vnode[b].astype(np.int64)
    n_p = a.size
    key = attrs[line_of_a]
    ow = oneway[line_of_a]
    rem = np.zeros(n_nodes, bool)
    counts: dict[str, int] = {}
    if contract and n_p:
        ends = np.concatenate([u, v])
        piece = np.concatenate([np.arange(n_p), np.arange(n_p)])
        side = np.concatenate([np.zeros(n_p, np.int8), np.ones(n_p, np.int8)])
        order = np.argsort(ends, kind="stable")
        ends, piece, side = ends[order], piece[order], side[order]
        deg = np.bincount(ends, minlength=n_nodes)
        firsts = np.searchsorted(ends, np.flatnonzero(deg == 2))
        n = ends[firsts]
        p, q = piece[firsts], piece[firsts + 1]
        sp_, sq = side[firsts], side[firsts + 1]
        ok = (p != q) & (key[p] == key[q]) & (ow[p] == ow[q])
        ok &= (ow[p] == 0) | (sp_ != sq)  # one-way: one enters (side 1) and one leaves
        rem[n[ok]] = True
        pairs = np.column_stack([p[ok], q[ok], n[ok]])
        del ends, piece, side, order, deg
        # rings: every node of a component removable -> keep its lowest node
        comp = _components(pairs[:, 0], pairs[:, 1], n_p)
        n_piece = np.bincount(comp, minlength=comp.max() + 1 if n_p else 0)
        n_rem = np.bincount(comp[pairs[:, 0]], minlength=n_piece.size)
        ring = np.flatnonzero(n_rem == n_piece)
        if ring.size:
            rc = comp[pairs[:, 0]]
            is_ring = np.isin(rc, ring)
            idx = np.flatnonzero(is_ring)
            # lowest node of each ring
            o = np.lexsort((pairs[idx, 2], rc[idx]))
            idx = idx[o]
            head = np.ones(idx.size, bool)
            head[1:] = rc[idx][1:] != rc[idx][:-1]
            drop = idx[head]
            rem[pairs[drop, 2]] = False
            keep_pair = np.ones(pairs.shape[0], bool)
            keep_pair[drop] = False
            pairs = pairs[keep_pair]
            comp = _components(pairs[:, 0], pairs[:, 1], n_p)
        counts["contracted_nodes"] = int(rem.sum())
        # one start piece per chain: its first node is not removable (one-way: the entry)
        starts_ok = ~rem[u] | ~rem[v]
        cand = np.flatnonzero(starts_ok)
        # prefer, per component, a piece whose u is kept (so one-way chains run forward)
        o = np.lexsort((cand, rem[u[cand]], comp[cand]))
        cand = cand[o]
        head = np.ones(cand.size, bool)
        head[1:] = comp[cand][1:] != comp[cand][:-1]
        chain_start = cand[head]
        root = n_p
        rows = np.concatenate([pairs[:, 0], pairs[:, 1], np.full(chain_start.size, root)])
        cols = np.concatenate([pairs[:, 1], pairs[:, 0], chain_start])
        g = coo_matrix(
            (np.ones(rows.size, np.int8), (rows, cols)), shape=(n_p + 1, n_p + 1)
        ).tocsr()
        # breadth-first from a root above every chain start gives each piece its
        # predecessor on its chain (linear time, unlike a depth-first walk from a root of
        # high degree); pointer jumping then ranks pieces along their chain
        pred = breadth_first_order(g, root, directed=True, return_predecessors=True)[1][:n_p]
        del g, rows, cols
        if (pred < 0).any():  # pragma: no cover - every piece is on a chain
            raise RuntimeError("chain walk did not reach every road piece")
        head_mask = pred == root
        jump = np.where(head_mask, np.arange(n_p), pred)
        rank = (~head_mask).astype(np.int64)
        while True:
            nxt = jump[jump]
            if np.array_equal(nxt, jump):
                break
            rank += rank[jump] * (jump != nxt)
            jump = nxt
        order_p = np.lexsort((rank, comp))
        is_head = head_mask[order_p]
    else:
        order_p = np.arange(n_p)
        is_head = np.ones(n_p, bool)
    uo, vo = u[order_p], v[order_p]
    fwd = np.ones(n_p, bool)
    # head: forward when its first node is kept; others: forward when entered at u
    fwd[is_head] = ~rem[uo[is_head]]
    prev_u = np.roll(uo, 1)
    prev_v = np.roll(vo, 1)
    nh = ~is_head
    fwd[nh] = rem[uo[nh]] & ((uo[nh] == prev_u[nh]) | (uo[nh] == prev_v[nh]))
    ao, bo = a[order_p], b[order_p]
    del a, b
    skip = (~is_head).astype(np.int64)
    cnt = bo - ao + 1 - skip
    st = np.where(fwd, ao + skip, bo - skip)
    del ao, bo, skip
    off = np.zeros(n_p + 1, np.int64)
    np.cumsum(cnt, out=off[1:])
    rv = np.empty(int(off[-1]), np.int32 if nv < 2**31 else np.int64)
    k = 0
    while k < n_p:  # in chunks of about _CHUNK vertices: no vertex-sized temporaries
        k2 = int(np.searchsorted(off, off[k] + _CHUNK, side="right"))
        k2 = min(max(k2 - 1, k + 1), n_p)
        c = cnt[k:k2]
        within = np.arange(int(off[k2] - off[k]), dtype=np.int64) - np.repeat(off[k:k2] - off[k], c)
        rv[off[k] : off[k2]] = np.where(
            np.repeat(fwd[k:k2], c),
            np.repeat(st[k:k2], c) + within,
            np.repeat(st[k:k2], c) - within,
        )
        k = k2
    chain_first = np.flatnonzero(is_head)
    r_start = off[chain_first]
    r_end = np.append(off[chain_first[1:]], off[-1])
    return Roads(
        rv=rv,
        start=r_start,
        end=r_end,
        line=line_of_a[order_p][chain_first].astype(np.int32),
        counts=counts,
    )


def _components(p: np.ndarray, q: np.ndarray, n: int) -> np.ndarray:
    g = coo_matrix((np.ones(p.size, np.int8), (p, q)), shape=(n, n))
    return connected_components(g, directed=False)[1]


def segment_cumlen(
    rv: np.ndarray, vnode: np.ndarray, lon: np.ndarray, lat: np.ndarray
) -> np.ndarray:
    """Return ``C`` with ``C[k]`` the geodesic length (m) from ``rv[0]`` to ``rv[k]``.

    The length of the vertex range ``rv[s:e]`` is ``C[e - 1] - C[s]``. Computed in chunks
    with pyproj's WGS84 geodesic.
    """
    n = rv.size
    c = np.zeros(n, np.float64)
    for s in range(0, max(n - 1, 0), _CHUNK):
        e = min(n - 1, s + _CHUNK)
        n1 = vnode[rv[s:e]]
        n2 = vnode[rv[s + 1 : e + 1]]
        _, _, d = _GEOD.inv(lon[n1], lat[n1], lon[n2], lat[n2])
        c[s + 1 : e + 1] = d
    np.cumsum(c, out=c)
    return c


def directed_arcs(
    u: np.ndarray, v: np.ndarray, two_way: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(src, dst, road, forward)``: one arc per road, and a reverse arc when two-way."""
    r = np.arange(u.size)
    tw = np.flatnonzero(two_way)
    src = np.concatenate([u, v[tw]])
    dst = np.concatenate([v, u[tw]])
    road = np.concatenate([r, tw])
    forward = np.concatenate([np.ones(u.size, bool), np.zeros(tw.size, bool)])
    return src, dst, road, forward


def duplicate_roads(
    u: np.ndarray, v: np.ndarray, two_way: np.ndarray, length: np.ndarray
) -> np.ndarray:
    """Return the roads to split so that no two arcs join the same ordered pair of nodes.

    Of the arcs between one ordered pair, the shortest (then the lowest road) stays; the
    road of every other one is returned (sorted, unique).
    """
    src, dst, road, _ = directed_arcs(u, v, two_way)
    o = np.lexsort((road, length[road], dst, src))
    s, t = src[o], dst[o]
    dup = np.zeros(o.size, bool)
    dup[1:] = (s[1:] == s[:-1]) & (t[1:] == t[:-1])
    return np.unique(road[o][dup])


def gather_geometry(
    rv: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    forward: np.ndarray,
    vnode: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(offsets, xy)``: the lon/lat polyline of each arc, reversed where not forward.

    Arc ``k`` covers ``rv[start[k]:end[k]]``. ``xy`` is ``(sum of lengths, 2)`` float64.
    """
    cnt = (end - start).astype(np.int64)
    offsets = np.zeros(cnt.size + 1, np.int64)
    np.cumsum(cnt, out=offsets[1:])
    xy = np.empty((int(offsets[-1]), 2), np.float64)
    k = 0
    m = cnt.size
    while k < m:
        k2 = int(np.searchsorted(offsets, offsets[k] + _CHUNK, side="right"))
        k2 = min(max(k2 - 1, k + 1), m)
        c = cnt[k:k2]
        base = offsets[k:k2] - offsets[k]
        within = np.arange(int(c.sum()), dtype=np.int64) - np.repeat(base, c)
        fw = np.repeat(forward[k:k2], c)
        pos = np.where(fw, np.repeat(start[k:k2], c) + within, np.repeat(end[k:k2] - 1, c) - within)
        nodes = vnode[rv[pos]]
        xy[offsets[k] : offsets[k2], 0] = lon[nodes]
        xy[offsets[k] : offsets[k2], 1] = lat[nodes]
        k = k2
    return offsets, xy


def geodesic_midpoint(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return the lon/lat of the points halfway along the WGS84 geodesics."""
    az, _, d = _GEOD.inv(lon1, lat1, lon2, lat2)
    lo, la, _ = _GEOD.fwd(lon1, lat1, az, np.asarray(d) / 2.0)
    return np.asarray(lo, np.float64), np.asarray(la, np.float64)


def split_counts(counts: dict[str, Any], extra: dict[str, int]) -> dict[str, Any]:
    """Return ``counts`` with ``extra`` added key by key (never overwritten)."""
    out = dict(counts)
    for k, val in extra.items():
        out[k] = int(out.get(k, 0)) + int(val)
    return out
