"""Route-model benchmarks (issue 3).

P1: national DCW network (50 m snapping, INEGI municipalities), every one of the 2,469
municipalities as an origin, the 28 BTS land ports as destinations, cost = km. Peer: the same
model as a typical OSMnx/NetworkX user writes it: one ``nx.shortest_path_length`` search per
origin on the graph, minimum over the ports.

P2: 1M-node Delaunay graph (bench_network's generator), 2,469 random origins, 28 random
sinks, nodes grouped into a 50 x 50 grid of regions under 25 parent regions. Reten's total
model time (tree, flows, seizures, region aggregation) against one plain
``scipy.sparse.csgraph.dijkstra`` tree on the same graph.
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import SHARED, in_fresh_process, table, timed  # noqa: E402


def _p1(mexico: str) -> dict:
    import networkx as nx
    import pandas as pd

    from reten.models.routes import solve_routes
    from reten.network.lines import from_lines
    from reten.network.regions import attach_regions, read_regions
    from reten.network.terminals import snap_points
    from reten.problem import Problem
    from reten.scenario import _region_node

    net = from_lines(f"{mexico}/MEX_roads.shp", snap_m=50)
    regs, polys = read_regions(f"{mexico}/mx_admin_2020.gpkg", layer="municipios", code="CVEGEO")
    net = attach_regions(net, regs, polys)
    ports = pd.read_csv(f"{mexico}/us_mexico_land_ports_bts.csv")
    lcc = np.flatnonzero(net.largest_component_mask())
    sinks = snap_points(
        net, ports.lon.to_numpy(), ports.lat.to_numpy(), max_m=50_000, candidates=lcc
    ).node
    munis = net.regions.rows_at_level("municipality")
    origins = np.array([_region_node(None, "", net, int(m)) for m in munis])
    origins = np.where(origins >= 0, origins, 0)
    km = net.length_m / 1000.0
    p = Problem(
        km,
        np.zeros(net.n_arcs),
        sinks,
        np.zeros(sinks.size),
        np.zeros(sinks.size),
        origins,
        np.ones(origins.size),
    )
    solve_routes(net, p)  # warm the Numba kernels
    t_reten, r = timed(lambda: solve_routes(net, p), repeat=5)
    g = nx.DiGraph()
    g.add_weighted_edges_from(
        zip(net.arc_source.tolist(), net.arc_target.tolist(), km.tolist(), strict=True), weight="km"
    )
    g.add_nodes_from(range(net.n_nodes))
    port_nodes = sinks.tolist()

    def peer():
        best = np.full(origins.size, np.inf)
        for i, o in enumerate(origins.tolist()):
            d = nx.shortest_path_length(g, source=o, weight="km")
            best[i] = min((d.get(s, np.inf) for s in port_nodes), default=np.inf)
        return best

    t_peer, best = timed(peer)
    ok = np.isfinite(best)
    assert np.allclose(best[ok], r.origin_cost[ok]) and (np.isfinite(r.origin_cost) == ok).all()
    return {
        "reten": t_reten,
        "peer": t_peer,
        "origins": int(origins.size),
        "nodes": net.n_nodes,
        "arcs": net.n_arcs,
        "reached": int(ok.sum()),
    }


def _p2(path: str) -> dict:
    import dataclasses

    from scipy.sparse.csgraph import dijkstra

    from bench_network import load_delaunay
    from reten.models.routes import solve_routes
    from reten.network.model import Regions
    from reten.problem import Problem

    net = load_delaunay(path)
    gx = np.clip(((net.node_lon + 105) / 10 * 50).astype(int), 0, 49)
    gy = np.clip(((net.node_lat - 18) / 10 * 50).astype(int), 0, 49)
    cell = gy * 50 + gx
    parent = 2500 + (gy // 10) * 5 + gx // 10
    pr = np.zeros(2500, np.int32)
    pr[cell] = parent[np.arange(cell.size)]
    regions = Regions(
        np.array([f"m{i}" for i in range(2500)] + [f"s{i}" for i in range(25)], dtype=object),
        np.array([""] * 2525, dtype=object),
        np.array(["municipality"] * 2500 + ["state"] * 25, dtype=object),
        np.concatenate([pr, np.full(25, -1)]).astype(np.int32),
    )
    net = dataclasses.replace(net, regions=regions, node_region=cell.astype(np.int32))
    rng = np.random.default_rng(3)
    origins = rng.choice(net.n_nodes, 2469, replace=False)
    sinks = rng.choice(net.n_nodes, 28, replace=False)
    w = net.length_m / 1000.0
    p = Problem(
        w,
        np.full(net.n_arcs, 1e-4),
        sinks,
        np.zeros(28),
        np.zeros(28),
        origins,
        np.ones(origins.size),
    )
    solve_routes(net, p)
    t_model, _ = timed(lambda: solve_routes(net, p), repeat=3)
    csr = net.csr(w)
    t_tree, _ = timed(lambda: dijkstra(csr, indices=int(sinks[0])), repeat=3)
    rcsr = net.reverse_csr(w)
    t_multi, _ = timed(lambda: dijkstra(rcsr, indices=sinks, min_only=True), repeat=3)
    return {
        "model": t_model,
        "tree": t_tree,
        "multi": t_multi,
        "nodes": net.n_nodes,
        "arcs": net.n_arcs,
    }


def run() -> str:
    """Run P1 and P2 and return the Markdown section."""
    out = ["## Route model (issue 3)", ""]
    mexico = SHARED / "mexico"
    if (mexico / "MEX_roads.shp").exists():
        _, mem, r = in_fresh_process(_p1, str(mexico))
        out += [
            f"### P1: national DCW network ({r['nodes']:,} nodes, {r['arcs']:,} arcs), "
            f"{r['origins']:,} municipality origins, 28 ports",
            "",
            table(
                ["method", "seconds", "ratio"],
                [
                    [
                        "reten `solve_routes` (one super-sink tree; best of 5)",
                        f"{r['reten']:.3f}",
                        "1x",
                    ],
                    [
                        "NetworkX: `nx.shortest_path_length` per origin, min over ports",
                        f"{r['peer']:.1f}",
                        f"**{r['peer'] / r['reten']:.0f}x**",
                    ],
                ],
            ),
            "",
            f"Both give the same least costs for the {r['reached']:,} origins that reach a "
            "port (checked in the benchmark).",
            "",
        ]
    else:
        out += ["P1 skipped: ../shared/data/mexico absent.", ""]
    from bench_network import N, delaunay_arcs

    _, _, r2 = in_fresh_process(_p2, delaunay_arcs(N))
    out += [
        f"### P2: synthetic graph ({r2['nodes']:,} nodes, {r2['arcs']:,} arcs), 2,469 "
        "origins, 28 sinks, 2,500 + 25 regions",
        "",
        table(
            ["what", "seconds"],
            [
                [
                    "reten total model time (tree, flows, seizures, region aggregation)",
                    f"{r2['model']:.2f}",
                ],
                [
                    "one plain `scipy.sparse.csgraph.dijkstra` tree (single source)",
                    f"{r2['tree']:.2f}",
                ],
                [
                    "ratio to the single-source tree (goal <= 2x)",
                    f"**{r2['model'] / r2['tree']:.2f}x**",
                ],
                [
                    "SciPy's own search from the 28 sinks at once (`min_only=True`, no flows)",
                    f"{r2['multi']:.2f}",
                ],
                ["ratio to that search", f"{r2['model'] / r2['multi']:.2f}x"],
            ],
        ),
        "",
    ]
    return "\n".join(out)


if __name__ == "__main__":
    print(run())
