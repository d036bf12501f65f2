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
a road importer must skip: about one building per 50 road references.

The nodes are formatted with NumPy into OSM's OPL text format and libosmium (through
pyosmium) converts the text to PBF, so that 50 M references take minutes, not an hour.
The output depends only on ``refs``, ``seed`` and ``shape``.

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
_OPL_SAFE = set(map(chr, range(0x21, 0x7F))) - set("%,=@")


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


def _esc(s: str) -> str:
    return "".join(c if c in _OPL_SAFE else f"%{ord(c):x}%" for c in s)


def _digits(out: np.ndarray, col: int, val: np.ndarray, width: int) -> None:
    v = val.copy()
    for k in range(width - 1, -1, -1):
        out[:, col + k] = 48 + (v % 10)
        v //= 10


def _node_opl(ids: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> bytes:
    """Return OPL lines ``n<id> x<lon> y<lat>`` (fixed width, 1e-7 degrees) for the nodes."""
    a = np.empty((ids.size, 41), np.uint8)
    a[:, 0] = ord("n")
    _digits(a, 1, ids, 12)
    for col, tag, deg, w in ((13, "x", lon, 3), (27, "y", lat, 2)):
        a[:, col] = ord(" ")
        a[:, col + 1] = ord(tag)
        fx = np.rint(deg * 1e7).astype(np.int64)
        a[:, col + 2] = np.where(fx < 0, ord("-"), ord("0"))
        fx = np.abs(fx)
        c = col + 3
        _digits(a, c, fx // 10**7, w)
        a[:, c + w] = ord(".")
        _digits(a, c + w + 1, fx % 10**7, 7)
    a[:, 40] = ord("\n")
    return a.tobytes()


def _shape_vertices(
    blocks: np.ndarray, off: np.ndarray, jx: np.ndarray, jy: np.ndarray, horiz: bool, rng
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    flat = blocks.ravel()
    b = np.repeat(np.arange(flat.size), flat)
    start = np.concatenate([[0], np.cumsum(flat)])[:-1]
    m = np.arange(b.size) - start[b]
    r, c = np.divmod(b, blocks.shape[1])
    r2, c2 = (r, c + 1) if horiz else (r + 1, c)
    t = (m + 1) / (flat[b] + 1)
    x = jx[r, c] * (1 - t) + jx[r2, c2] * t + rng.normal(0, STEP / 200, b.size)
    y = jy[r, c] * (1 - t) + jy[r2, c2] * t + rng.normal(0, STEP / 200, b.size)
    return off[b] + 2 * m, x, y


def write(refs: int, out: str, *, seed: int = 0, shape: int = 8) -> dict[str, int]:
    """Write the lattice PBF to ``out`` and return its counts (nodes, ways, road refs)."""
    import osmium

    rng = np.random.default_rng(seed)
    g = lattice_size(refs, shape)
    nh = rng.integers(0, 2 * shape + 1, size=(g, g - 1))
    nv = rng.integers(0, 2 * shape + 1, size=(g - 1, g))
    jx = LON0 + np.arange(g)[None, :] * STEP + rng.normal(0, STEP / 20, (g, g))
    jy = LAT0 + np.arange(g)[:, None] * STEP + rng.normal(0, STEP / 20, (g, g))
    jid = 1 + 2 * np.arange(g * g, dtype=np.int64).reshape(g, g)  # odd ids, gaps like OSM's
    next_id = int(jid.max()) + 2
    h_off = next_id + 2 * np.concatenate([[0], np.cumsum(nh.ravel())])
    next_id = int(h_off[-1])
    v_off = next_id + 2 * np.concatenate([[0], np.cumsum(nv.ravel())])
    next_id = int(v_off[-1])
    hs = _shape_vertices(nh, h_off, jx, jy, True, rng)
    vs = _shape_vertices(nv, v_off, jx, jy, False, rng)
    bi, bj = np.nonzero(rng.random((g, g - 1)) < 0.005)
    bulge_id = next_id + 2 * np.arange(bi.size)
    bulge_x = (jx[bi, bj] + jx[bi, bj + 1]) / 2
    bulge_y = (jy[bi, bj] + jy[bi, bj + 1]) / 2 + STEP / 10
    next_id += 2 * bi.size
    n_build = int(refs // 50)
    bx = LON0 + rng.random(n_build) * STEP * (g - 1)
    by = LAT0 + rng.random(n_build) * STEP * (g - 1)
    d = STEP / 50
    build_id = next_id + 2 * np.arange(4 * n_build)
    ox = np.tile([0.0, d, d, 0.0], n_build)
    oy = np.tile([0.0, 0.0, d, d], n_build)
    build_x = np.repeat(bx, 4) + ox
    build_y = np.repeat(by, 4) + oy
    opl = out + ".tmp.opl"
    tmp = out + ".tmp.osm.pbf"
    n_ways = n_refs = 0
    try:
        with open(opl, "wb") as fh:
            for ids, x, y in (
                (jid.ravel(), jx.ravel(), jy.ravel()),
                hs,
                vs,
                (bulge_id, bulge_x, bulge_y),
                (build_id, build_x, build_y),
            ):
                for s in range(0, ids.size, 2_000_000):
                    e = s + 2_000_000
                    fh.write(_node_opl(ids[s:e], x[s:e], y[s:e]))
            n_nodes = g * g + hs[0].size + vs[0].size + bi.size + 4 * n_build
            way_id = 1

            def street(line: int, horiz: bool) -> tuple[np.ndarray, np.ndarray]:
                """Return the node ids along a street and the positions of its junctions."""
                if horiz:
                    k = nh[line]
                    base = h_off[line * (g - 1) : (line + 1) * (g - 1)]
                    junc = jid[line]
                else:
                    k = nv[:, line]
                    base = v_off[np.arange(g - 1) * g + line]
                    junc = jid[:, line]
                size = np.concatenate([k + 1, [1]])
                pos = np.concatenate([[0], np.cumsum(size)])[:-1]
                ids = np.empty(int(size.sum()), np.int64)
                ids[pos] = junc
                blk = np.repeat(np.arange(g - 1), k)
                within = np.arange(blk.size) - np.concatenate([[0], np.cumsum(k)])[:-1][blk]
                ids[pos[blk] + 1 + within] = base[blk] + 2 * within
                return ids, pos

            for horiz in (True, False):
                for line in range(g):
                    tags = _line_tags(line, rng)
                    ids, jpos = street(line, horiz)
                    m = 0
                    while m < g - 1:
                        span = int(rng.integers(1, 31))
                        end = min(g - 1, m + span)
                        a, b = int(jpos[m]), int(jpos[end])
                        cut = None
                        if end < g - 1 and jpos[end] - jpos[end - 1] > 2 and rng.random() < 0.3:
                            cut = int(jpos[end - 1]) + 1
                        pieces = [(a, b)] if cut is None else [(a, cut), (cut, b)]
                        for pi, (s, t) in enumerate(pieces):
                            tg = dict(tags)
                            if pi == 1 and rng.random() < 0.2:
                                tg["maxspeed"] = "40"
                            nodes = ids[s : t + 1]
                            tag_s = ",".join(f"{_esc(k)}={_esc(v)}" for k, v in tg.items())
                            nd = "n" + ",n".join(map(str, nodes.tolist()))
                            fh.write(f"w{way_id} T{tag_s} N{nd}\n".encode())
                            way_id += 1
                            n_ways += 1
                            n_refs += nodes.size
                        m = end
            for q in range(bi.size):
                a, b = int(jid[bi[q], bj[q]]), int(jid[bi[q], bj[q] + 1])
                fh.write(f"w{way_id} Thighway=unclassified Nn{a},n{bulge_id[q]},n{b}\n".encode())
                way_id += 1
                n_ways += 1
                n_refs += 3
            for q in range(n_build):
                c = build_id[4 * q : 4 * q + 4].tolist()
                fh.write(
                    f"w{way_id} Tbuilding=yes Nn{c[0]},n{c[1]},n{c[2]},n{c[3]},n{c[0]}\n".encode()
                )
                way_id += 1
        if os.path.exists(tmp):
            os.remove(tmp)
        writer = osmium.SimpleWriter(osmium.io.File(tmp, "pbf"))
        reader = osmium.io.Reader(osmium.io.File(opl, "opl"))
        try:
            osmium.apply(reader, writer)
        finally:
            reader.close()
            writer.close()
        os.replace(tmp, out)
    finally:
        for f in (opl, tmp):
            if os.path.exists(f):
                os.remove(f)
    return {
        "lattice": g,
        "junctions": g * g,
        "nodes": int(n_nodes),
        "road_ways": n_ways,
        "road_refs": int(n_refs),
        "buildings": n_build,
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
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
