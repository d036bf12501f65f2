"""Write a synthetic OpenStreetMap PBF: a road lattice of a given number of way-node references.

The lattice has ``g x g`` junctions about 550 m apart (south-west corner at 105 W, 18 N).
Every row and column is a street; between two neighbouring junctions a street has 0 to
``2 * shape`` degree-2 shape vertices, so junction-to-junction roads are chains as in real
data. Streets are cut into ways of 1 to 30 blocks, some of them at a shape vertex (a chain
that continues across two ways), and a few change ``maxspeed`` there (a node that must stay).
Tags follow OSM practice: every 50th line a motorway (implied one-way), every 10th a
primary, every 5th a secondary, the rest tertiary or residential, with one-way
residentials (``yes`` and ``-1``) and ``maxspeed`` values in the forms found in Mexico's
extract (``"60"``, ``"40 mph"``, ``"MX:urban"``, ``"none"``, ``"50;60"`` and a few bad ones).
About 0.5% of blocks get a second, parallel road (a bulge between the same two
junctions), and buildings (closed ``building=yes`` ways of 4 nodes) add nodes and ways that
a road importer must skip: about one building per 10 road references.

Nodes are written first, in id order, then ways, as a PBF written by pyosmium. The output
depends only on ``refs``, ``seed`` and ``shape``.

Usage: ``python bench/make_synthetic_pbf.py REFS OUT.osm.pbf [--seed 0] [--shape 8]``
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np

STEP = 0.005  # degrees between junctions
LON0, LAT0 = -105.0, 18.0
_MAXSPEED = ["60", "40 mph", "MX:urban", "none", "50;60", "80", "fast", "30"]


def lattice_size(refs: int, shape: int) -> int:
    """Return the side ``g`` of the junction lattice for about ``refs`` road references."""
    return max(3, round(math.sqrt(refs / (2.0 * (shape + 1.0)))))


def _line_tags(k: int, rng: np.random.Generator) -> dict[str, str]:
    if k % 50 == 0:
        return {"highway": "motorway", "maxspeed": "110"}
    if k % 10 == 0:
        return {"highway": "primary", "maxspeed": _MAXSPEED[int(rng.integers(0, 3)) * 2 % 8]}
    if k % 5 == 0:
        return {"highway": "secondary"}
    tags = {"highway": "tertiary" if k % 3 == 0 else "residential"}
    if k % 7 == 3:
        tags["oneway"] = "yes"
    elif k % 7 == 4:
        tags["oneway"] = "-1"
    elif k % 7 == 5:
        tags["maxspeed"] = _MAXSPEED[int(rng.integers(0, len(_MAXSPEED)))]
    return tags


def write(refs: int, out: str, *, seed: int = 0, shape: int = 8) -> dict[str, int]:
    """Write the lattice PBF to ``out`` and return its counts (nodes, ways, road refs)."""
    import osmium
    from osmium.osm.mutable import Node, Way

    rng = np.random.default_rng(seed)
    g = lattice_size(refs, shape)
    # shape vertices per block: horizontal blocks (g rows x g-1), vertical (g-1 x g cols)
    nh = rng.integers(0, 2 * shape + 1, size=(g, g - 1))
    nv = rng.integers(0, 2 * shape + 1, size=(g - 1, g))
    jx = LON0 + np.arange(g)[None, :] * STEP + rng.normal(0, STEP / 20, (g, g))
    jy = LAT0 + np.arange(g)[:, None] * STEP + rng.normal(0, STEP / 20, (g, g))
    jid = 1 + 2 * np.arange(g * g, dtype=np.int64).reshape(g, g)  # odd ids, gaps like OSM's
    # shape vertex ids follow the junctions, block by block
    next_id = int(jid.max()) + 2
    h_off = next_id + 2 * np.concatenate([[0], np.cumsum(nh.ravel())])
    next_id = int(h_off[-1])
    v_off = next_id + 2 * np.concatenate([[0], np.cumsum(nv.ravel())])
    next_id = int(v_off[-1])
    n_build = int(refs // 10 // 5)
    tmp = out + ".tmp.osm.pbf"
    if os.path.exists(tmp):
        os.remove(tmp)
    writer = osmium.SimpleWriter(osmium.io.File(tmp, "pbf"))
    n_nodes = n_ways = n_refs = 0
    try:
        for i in range(g):
            for j in range(g):
                writer.add_node(Node(id=int(jid[i, j]), location=(jx[i, j], jy[i, j])))
        n_nodes += g * g

        def shape_pts(ax: float, ay: float, bx: float, by: float, k: int) -> np.ndarray:
            t = (np.arange(1, k + 1) / (k + 1))[:, None]
            p = np.array([ax, ay]) * (1 - t) + np.array([bx, by]) * t
            return p + rng.normal(0, STEP / 200, p.shape)

        for blocks, off, horiz in ((nh, h_off, True), (nv, v_off, False)):
            flat = blocks.ravel()
            for b in range(flat.size):
                k = int(flat[b])
                if not k:
                    continue
                r, c = divmod(b, blocks.shape[1])
                a = (r, c)
                e = (r, c + 1) if horiz else (r + 1, c)
                pts = shape_pts(jx[a], jy[a], jx[e], jy[e], k)
                base = int(off[b])
                for m in range(k):
                    writer.add_node(Node(id=base + 2 * m, location=(pts[m, 0], pts[m, 1])))
                n_nodes += k
        # parallel bulges and buildings get their own nodes
        bulge_nodes = next_id
        bulges = []
        for i in range(g):
            for j in range(g - 1):
                if rng.random() < 0.005:
                    mx = (jx[i, j] + jx[i, j + 1]) / 2
                    my = (jy[i, j] + jy[i, j + 1]) / 2 + STEP / 10
                    writer.add_node(Node(id=bulge_nodes, location=(mx, my)))
                    bulges.append((int(jid[i, j]), bulge_nodes, int(jid[i, j + 1])))
                    bulge_nodes += 2
                    n_nodes += 1
        build_base = bulge_nodes
        bx = LON0 + rng.random(n_build) * STEP * (g - 1)
        by = LAT0 + rng.random(n_build) * STEP * (g - 1)
        d = STEP / 50
        for q in range(n_build):
            for corner, (ox, oy) in enumerate(((0, 0), (d, 0), (d, d), (0, d))):
                writer.add_node(
                    Node(id=build_base + 2 * (4 * q + corner), location=(bx[q] + ox, by[q] + oy))
                )
        n_nodes += 4 * n_build
        # ways
        way_id = 1

        def street(line: int, horiz: bool) -> tuple[list[int], list[int]]:
            """Return the node ids along a street and the indices of its junctions."""
            ids: list[int] = []
            junction_pos: list[int] = []
            for m in range(g):
                junction_pos.append(len(ids))
                ids.append(int(jid[line, m] if horiz else jid[m, line]))
                if m == g - 1:
                    break
                if horiz:
                    k, base = int(nh[line, m]), int(h_off[line * (g - 1) + m])
                else:
                    k, base = int(nv[m, line]), int(v_off[m * g + line])
                ids.extend(base + 2 * q for q in range(k))
            return ids, junction_pos

        for horiz in (True, False):
            for line in range(g):
                tags = _line_tags(line, rng)
                ids, jpos = street(line, horiz)
                m = 0
                while m < g - 1:
                    span = int(rng.integers(1, 31))
                    end = min(g - 1, m + span)
                    a, b = jpos[m], jpos[end]
                    # sometimes cut inside the last block, at a shape vertex
                    cut = None
                    if end < g - 1 and jpos[end] - jpos[end - 1] > 2 and rng.random() < 0.3:
                        cut = jpos[end - 1] + 1
                    pieces = [(a, b)] if cut is None else [(a, cut), (cut, b)]
                    for pi, (s, t) in enumerate(pieces):
                        tg = dict(tags)
                        if pi == 1 and rng.random() < 0.2:
                            tg["maxspeed"] = "40"
                        nodes = ids[s : t + 1]
                        writer.add_way(Way(id=way_id, nodes=nodes, tags=tg))
                        way_id += 1
                        n_ways += 1
                        n_refs += len(nodes)
                    m = end
        for a, mid, b in bulges:
            writer.add_way(Way(id=way_id, nodes=[a, mid, b], tags={"highway": "unclassified"}))
            way_id += 1
            n_ways += 1
            n_refs += 3
        for q in range(n_build):
            c = [build_base + 2 * (4 * q + k) for k in range(4)]
            writer.add_way(Way(id=way_id, nodes=[*c, c[0]], tags={"building": "yes"}))
            way_id += 1
        writer.close()
    except BaseException:
        writer.close()
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    os.replace(tmp, out)
    return {
        "lattice": g,
        "junctions": g * g,
        "nodes": n_nodes,
        "road_ways": n_ways,
        "road_refs": n_refs,
        "buildings": n_build,
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("refs", type=float, help="target number of road way-node references")
    ap.add_argument("out", help="output .osm.pbf")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shape", type=int, default=8, help="mean shape vertices per block")
    a = ap.parse_args(argv)
    t = time.perf_counter()
    counts = write(int(a.refs), a.out, seed=a.seed, shape=a.shape)
    counts["seconds"] = round(time.perf_counter() - t)
    print(counts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
