"""Equilibrium and relocation benchmarks (issue 4).

P3: national DCW network (50 m snapping, largest component), the 2,469 municipalities as
origins (1 kg each; those in the largest component), 28 BTS ports snapped to it, every
crossing congested: t_s = alpha * x_s / cap_s with cap_s = volume / 28 and alpha = 500 km
(cost = km). Peer: Dell's scheme, Frank-Wolfe that runs one Dijkstra per origin per
iteration (SciPy's ``dijkstra`` from every origin on the graph plus a super-sink behind
the crossings at their current costs, then each origin's path walked from the predecessor
array) with the same exact line search.

Relocation: the Sinaloa and Golden-Triangle origins of the national example, every one of the
2,469 municipalities a candidate site; its model time against one route-model run.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import SHARED, in_fresh_process, table, timed  # noqa: E402

GT = [
    "10034",
    "10003",
    "10037",
    "10035",
    "10032",
    "10009",
    "10026",
    "10020",
    "08029",
    "08008",
    "08047",
    "08027",
    "08065",
    "08030",
    "08014",
    "08064",
]


def _dcw(mexico: str):
    import pandas as pd

    from reten.network.lines import from_lines
    from reten.network.regions import attach_regions, read_regions
    from reten.network.terminals import snap_points
    from reten.scenario import region_nodes

    net = from_lines(f"{mexico}/MEX_roads.shp", snap_m=50, largest_component=True)
    regs, polys = read_regions(f"{mexico}/mx_admin_2020.gpkg", layer="municipios", code="CVEGEO")
    net = attach_regions(net, regs, polys)
    ports = pd.read_csv(f"{mexico}/us_mexico_land_ports_bts.csv")
    sinks = snap_points(net, ports.lon.to_numpy(), ports.lat.to_numpy(), max_m=50_000).node
    munis = net.regions.rows_at_level("municipality")
    origins = region_nodes(net, munis)
    return net, sinks, munis, origins


def dell_fw(net, p, cong, target_gap: float, budget_s: float):
    """Frank-Wolfe with one Dijkstra per origin per iteration; returns (history, x)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    from reten.models.equilibrium import _Costs

    costs = _Costs(p, cong)
    n, m, k = net.n_nodes, net.n_arcs, p.sink_node.size
    on, vol = p.origin_node, p.origin_volume_kg
    rows = np.concatenate([net.arc_source, p.sink_node])
    cols = np.concatenate([net.arc_target, np.full(k, n)])

    # arc id of each (tail, head) pair, for walking paths back from predecessor arrays
    key = rows.astype(np.int64) * (n + 1) + cols
    order = np.argsort(key)
    skey = key[order]

    def aon(t):
        g = sp.csr_matrix((t, (rows, cols)), shape=(n + 1, n + 1))
        dist, pred = dijkstra(g, indices=on, return_predecessors=True)
        y = np.zeros(m + k)
        for i in range(on.size):  # walk each origin's path back from the super-sink
            heads, tails = [], []
            v = n
            while pred[i, v] >= 0:
                u = int(pred[i, v])
                heads.append(v)
                tails.append(u)
                v = u
            if heads:
                q = np.asarray(tails, np.int64) * (n + 1) + np.asarray(heads, np.int64)
                y[order[np.searchsorted(skey, q)]] += vol[i]
        return y, float(vol @ dist[:, n])

    t0 = time.perf_counter()
    x, _ = aon(costs.base)
    hist = []
    for it in range(1, 100000):
        t = costs.cost(x)
        y, sptt = aon(t)
        tx = float(t @ x)
        gap = (tx - sptt) / tx
        hist.append((it, gap, time.perf_counter() - t0))
        if gap <= target_gap or time.perf_counter() - t0 > budget_s:
            break
        d = y - x
        x = x + costs.line_search(x, d) * d
    return hist


def _p3(mexico: str, budget_s: float) -> dict:
    from reten.models.equilibrium import Congestion, solve_equilibrium
    from reten.problem import Problem

    net, sinks, _, origins = _dcw(mexico)
    origins = origins[origins >= 0]
    p = Problem(
        net.length_m / 1000.0,
        np.zeros(net.n_arcs),
        sinks,
        np.zeros(28),
        np.zeros(28),
        origins,
        np.ones(origins.size),
    )
    cong = Congestion(np.full(net.n_arcs, np.inf), np.full(28, origins.size / 28.0), alpha=500.0)
    solve_equilibrium(net, p, cong, target_gap=1e-3)  # compile the kernels once
    t_gp3, r3 = timed(lambda: solve_equilibrium(net, p, cong, method="gp", target_gap=1e-3), 3)
    t_gp5, r5 = timed(lambda: solve_equilibrium(net, p, cong, method="gp", target_gap=1e-5), 3)
    t_fw3, rf = timed(lambda: solve_equilibrium(net, p, cong, method="fw", target_gap=1e-3))
    t_cfw3, rc = timed(lambda: solve_equilibrium(net, p, cong, method="cfw", target_gap=1e-3))
    hist = dell_fw(net, p, cong, 1e-3, budget_s)
    dell_iters, dell_gap, dell_s = hist[-1]
    per_iter = dell_s / dell_iters
    # Dell's iterates are reten-FW's iterates (same all-or-nothing directions, same line
    # search); check the first ones agree before extrapolating
    fw_gaps = [g for _, g, _ in rf.convergence[: len(hist)]]
    agree = max(abs(a - b) for (_, a, _), b in zip(hist, fw_gaps, strict=False))
    fw_iters = len(rf.convergence)
    dell_total = dell_s if dell_gap <= 1e-3 else per_iter * fw_iters
    return {
        "origins": int(origins.size),
        "nodes": net.n_nodes,
        "arcs": net.n_arcs,
        "gp3": t_gp3,
        "gp3_it": len(r3.convergence),
        "gp5": t_gp5,
        "gp5_it": len(r5.convergence),
        "gp5_gap": r5.convergence[-1][1],
        "fw3": t_fw3,
        "fw3_it": fw_iters,
        "cfw3": t_cfw3,
        "cfw3_it": len(rc.convergence),
        "dell_iters": dell_iters,
        "dell_gap": dell_gap,
        "dell_s": dell_s,
        "dell_per_iter": per_iter,
        "dell_total": dell_total,
        "dell_measured": dell_gap <= 1e-3,
        "agree": agree,
    }


def national_labs(mexico: str):  # type: ignore[no-untyped-def]
    """The DCW network and a Problem with the Sinaloa and Golden-Triangle origins (100 kg
    each), cost = km, the 28 ports; also the municipality rows and their nodes."""
    from reten.problem import Problem

    net, sinks, munis, mnodes = _dcw(mexico)
    codes = net.regions.code[munis].astype(str)
    pick = np.array([c.startswith("25") or c in GT for c in codes])
    labs = mnodes[pick & (mnodes >= 0)]
    zeros = np.zeros(sinks.size)
    p = Problem(
        net.length_m / 1000.0,
        np.zeros(net.n_arcs),
        sinks,
        zeros,
        zeros,
        labs,
        np.full(labs.size, 100.0),
    )
    return net, p, munis, mnodes


def _relocation(mexico: str) -> dict:
    from reten.models.relocation import RelocationSpec, relocate
    from reten.models.routes import solve_routes

    net, p, munis, mnodes = national_labs(mexico)
    labs = p.origin_node
    cands = np.unique(mnodes[mnodes >= 0])
    spec = RelocationSpec(
        [cands] * labs.size, relocation_cost=50.0, node_production_cost=np.zeros(net.n_nodes)
    )
    solve_routes(net, p)
    relocate(net, p, spec)
    t_routes, _ = timed(lambda: solve_routes(net, p), 20)
    t_reloc, r = timed(lambda: relocate(net, p, spec), 20)
    return {
        "labs": int(labs.size),
        "candidates": int(cands.size),
        "munis": int(munis.size),
        "routes": t_routes,
        "reloc": t_reloc,
        "pairs": int(r.relocation.site_cost.size),
    }


def run() -> str:
    """Run P3 and the relocation benchmark; return the Markdown section."""
    mexico = SHARED / "mexico"
    if not (mexico / "MEX_roads.shp").exists():
        return "## Equilibrium and relocation (issue 4)\n\nSkipped: ../shared/data absent.\n"
    budget = float(os.environ.get("RETEN_BENCH_DELL_BUDGET_S", "120"))
    _, _, r = in_fresh_process(_p3, str(mexico), budget)
    _, _, q = in_fresh_process(_relocation, str(mexico))
    dell = (
        f"{r['dell_total']:.0f}" if r["dell_measured"] else f"~{r['dell_total']:.0f} (extrapolated)"
    )
    note = (
        ""
        if r["dell_measured"]
        else f"Dell's scheme ran {r['dell_iters']} iterations in the {budget:.0f} s budget "
        f"({r['dell_per_iter']:.2f} s each, gap {r['dell_gap']:.2e}); its iterates are "
        f"Frank-Wolfe's (largest gap difference over those iterations "
        f"{r['agree']:.1e}), which needed {r['fw3_it']} iterations to reach 1e-3, so its "
        f"time is {r['fw3_it']} x {r['dell_per_iter']:.2f} s. "
    )
    return "\n".join(
        [
            "## Equilibrium and relocation (issue 4)",
            "",
            f"### P3: national DCW network ({r['nodes']:,} nodes, {r['arcs']:,} arcs), "
            f"{r['origins']:,} origins, 28 congested crossings",
            "",
            table(
                ["method", "target gap", "iterations", "seconds", "vs Dell"],
                [
                    [
                        "Dell's scheme: Frank-Wolfe, one Dijkstra per origin per iteration",
                        "1e-3",
                        r["fw3_it"],
                        dell,
                        "1x",
                    ],
                    [
                        "reten Frank-Wolfe, one super-sink tree per iteration",
                        "1e-3",
                        r["fw3_it"],
                        f"{r['fw3']:.2f}",
                        f"{r['dell_total'] / r['fw3']:.0f}x",
                    ],
                    [
                        "reten conjugate Frank-Wolfe",
                        "1e-3",
                        r["cfw3_it"],
                        f"{r['cfw3']:.2f}",
                        f"{r['dell_total'] / r['cfw3']:.0f}x",
                    ],
                    [
                        "reten gradient projection over crossings (default)",
                        "1e-3",
                        r["gp3_it"],
                        f"{r['gp3']:.3f}",
                        f"**{r['dell_total'] / r['gp3']:.0f}x**",
                    ],
                    [
                        "reten gradient projection over crossings (default)",
                        "1e-5",
                        r["gp5_it"],
                        f"{r['gp5']:.3f}",
                        "",
                    ],
                ],
            ),
            "",
            note + "reten times are best of 3 after the Numba kernels compiled.",
            "",
            f"### Relocation: {q['labs']} labs, all {q['munis']:,} municipalities as candidates "
            f"({q['candidates']:,} distinct network nodes, {q['pairs']:,} lab-site pairs)",
            "",
            table(
                ["what", "seconds (best of 20)"],
                [
                    ["one route-model run (`solve_routes`)", f"{q['routes'] * 1000:.1f} ms"],
                    [
                        "relocation over all municipalities (`relocate`)",
                        f"{q['reloc'] * 1000:.1f} ms",
                    ],
                    ["ratio (goal <= 2x)", f"**{q['reloc'] / q['routes']:.2f}x**"],
                ],
            ),
            "",
        ]
    )


if __name__ == "__main__":
    print(run())
