"""Dynamics benchmarks (issue 13).

P7: 180 months x 30 runs of the adaptive dynamics (reactive defender, 10 units) on the
embedded network (the demo Sinaloa surge: 8 labs, 28 crossings), with 1 and 2 worker
processes; goal under 10 s on 2 cores. The same on the DCW national network (skipped
without ../shared/data/mexico). Sweep throughput on dask.distributed with 1 and 2 workers.

``python bench/bench_dynamics.py`` runs it and replaces only its section of RESULTS.md.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import ROOT, SHARED, table  # noqa: E402

DEMO = ROOT / "src" / "reten" / "data" / "demo"
HEADER = "## Dynamics and sweeps (issue 13)"


def _p7(net, prob, months: int = 180, runs: int = 30) -> list[list[str]]:
    from reten.models.dynamics import DynamicsParams
    from reten.sweep.simulate import simulate_problem

    par = DynamicsParams(units=10)
    simulate_problem(net, prob, months=2, runs=1, seed=0, policy="reactive", params=par)
    rows, ref = [], None
    for w in (1, 2):
        t = time.perf_counter()
        df = simulate_problem(
            net, prob, months=months, runs=runs, seed=1, policy="reactive", params=par, workers=w
        )
        dt = time.perf_counter() - t
        if ref is None:
            ref = df
        assert df.equals(ref)  # the same series whatever the number of workers
        steps = months * runs
        rows.append(
            [
                f"{runs} runs x {months} months, {w} worker{'s' if w > 1 else ''}",
                f"{dt:.2f}",
                f"{dt / steps * 1e3:.2f}",
                f"{df.routes_per_lab.mean():.2f}",
            ]
        )
    return rows


def _dcw():
    import pandas as pd

    from reten.network.lines import from_lines
    from reten.network.regions import attach_regions, read_regions
    from reten.network.terminals import snap_points
    from reten.problem import Problem
    from reten.scenario import base_costs, load_scenario, region_nodes

    mexico = SHARED / "mexico"
    net = from_lines(mexico / "MEX_roads.shp", snap_m=50)
    regs, polys = read_regions(mexico / "mx_admin_2020.gpkg", layer="municipios", code="CVEGEO")
    net = attach_regions(net, regs, polys)
    ports = pd.read_csv(mexico / "us_mexico_land_ports_bts.csv")
    lcc = np.flatnonzero(net.largest_component_mask())
    sinks = snap_points(
        net, ports.lon.to_numpy(), ports.lat.to_numpy(), max_m=50_000, candidates=lcc
    ).node
    sc = load_scenario(DEMO / "sinaloa_surge.toml")
    cost, _ = base_costs(net, sc.data["costs"])
    # the demo's labs: municipalities of Sinaloa (25), Durango (10) and Chihuahua (08) by name
    names = {o["municipality"].split(",")[0]: float(o["volume_kg"]) for o in sc.data["origins"]}
    code = net.regions.code.astype(str)
    rows, vols = [], []
    for r in net.regions.rows_at_level("municipality").tolist():
        if str(net.regions.name[r]) in names and code[r][:2] in ("25", "10", "08"):
            rows.append(r)
            vols.append(names.pop(str(net.regions.name[r])))
    origins = region_nodes(net, np.array(rows))
    # the Sinaloa crackdown: cost x 1.5 and detection 0.01 on Sinaloa's roads
    arc_reg = np.where(net.arc_region >= 0, net.arc_region, net.node_region[net.arc_source])
    sinaloa = np.array([str(c).startswith("25") for c in code] + [False])[arc_reg]
    cost = np.where(sinaloa, cost * 1.5, cost)
    w = np.where(sinaloa, -np.log1p(-0.01), 0.0)
    prob = Problem(
        cost,
        w,
        sinks,
        np.zeros(sinks.size),
        np.zeros(sinks.size),
        origins,
        np.array(vols),
        risk_weight=2000.0,
    )
    return net, prob


def _sweep_throughput(workers: int) -> tuple[float, int, int]:
    from reten.sweep import sweep

    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        (t / "base.toml").write_text((DEMO / "sinaloa_surge.toml").read_text())
        (t / "grid.toml").write_text(
            textwrap.dedent(
                """
                [sweep]
                scenario = "base.toml"
                months = 60
                runs = 10
                seed = [1, 2]
                policy = "reactive"
                [grid]
                units = [0, 5, 10, 20]
                """
            )
        )
        s = time.perf_counter()
        res = sweep(t / "grid.toml", t / "out", workers=workers)
        dt = time.perf_counter() - s
        return dt, res.computed, len(res.table)


def run() -> str:
    """Run P7 (embedded, DCW) and the sweep throughput; return the Markdown section."""
    from reten.sweep.simulate import prepare

    load0 = os.getloadavg()
    out = [HEADER, ""]
    _, net, prob = prepare(DEMO / "sinaloa_surge.toml")
    rows = _p7(net, prob)
    out += [
        f"### P7: embedded network ({net.n_nodes} nodes, {net.n_arcs} arcs), 8 labs, "
        "reactive defender (10 units)",
        "",
        table(["what", "seconds", "ms per run-month", "mean routes per lab"], rows),
        "",
        "Goal: under 10 s on 2 cores. One Numba heap Dijkstra to the super-sink per route "
        "alternative and month, one Numba walk of every shipment; runs split over processes "
        "give identical series (checked).",
        "",
    ]
    if (SHARED / "mexico" / "MEX_roads.shp").exists():
        t = time.perf_counter()
        dnet, dprob = _dcw()
        build = time.perf_counter() - t
        rows = _p7(dnet, dprob)
        out += [
            f"### P7 on the DCW national network ({dnet.n_nodes:,} nodes, {dnet.n_arcs:,} "
            f"arcs, {len(dnet.regions):,} regions), the same 8 labs and Sinaloa crackdown, "
            f"{dprob.sink_node.size} ports",
            "",
            table(["what", "seconds", "ms per run-month", "mean routes per lab"], rows),
            "",
            f"(Network build and region attachment, not included: {build:.1f} s.)",
            "",
        ]
    else:
        out += ["P7 on DCW skipped: ../shared/data/mexico absent.", ""]
    srows = []
    for w in (1, 2):
        dt, n, nrows = _sweep_throughput(w)
        srows.append([f"{w}", f"{n}", f"{dt:.1f}", f"{n / dt:.2f}", f"{nrows / dt:,.0f}"])
    out += [
        "### Sweep throughput: 4 variants x 2 seeds = 8 tasks of 10 runs x 60 months "
        "(LocalCluster, wall time including the cluster's start and stop)",
        "",
        table(["workers", "tasks", "seconds", "tasks/s", "run-months/s"], srows),
        "",
        f"Load average (1, 5, 15 min) when the section started: "
        f"{load0[0]:.1f}, {load0[1]:.1f}, {load0[2]:.1f}; at its end: "
        + ", ".join(f"{x:.1f}" for x in os.getloadavg())
        + ". The machine (2 cores) was shared with other jobs, so a second worker process "
        "had no idle core to run on; times are wall clock.",
    ]
    return "\n".join(out) + "\n"


def main() -> None:
    text = run()
    path = Path(__file__).with_name("RESULTS.md")
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    m = re.search(rf"(?m)^{re.escape(HEADER)}\n", old)
    if m is None:
        new = old.rstrip("\n") + "\n\n" + text
    else:  # replace only this section: up to the next '## ' heading or the end
        nxt = re.search(r"(?m)^## ", old[m.end() :])
        end = m.end() + nxt.start() if nxt else len(old)
        new = old[: m.start()] + text + ("\n" + old[end:] if nxt else "")
    path.write_text(new)
    print(text)


if __name__ == "__main__":
    main()
