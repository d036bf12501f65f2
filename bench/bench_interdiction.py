"""Enforcement-optimisation benchmarks (issue 5).

Grids: Israeli & Wood (2002) instances from ``bench/grids.py`` (seed 1 for every size):
reten's covering decomposition against the single-level dual MILP (Israeli & Wood's MXSP
formulation) in HiGHS, each with the same time limit per instance
(``RETEN_BENCH_GRID_LIMIT_S``, default 120 s; the issue's 10-minute limit is
``RETEN_BENCH_GRID_LIMIT_S=600``).

National: the DCW network with the Sinaloa and Golden-Triangle municipalities as origins
(100 kg each), cost = km, every road a candidate site (one unit adds 50 km-equivalents of
delay), K = 5, 10, 20; the greedy heuristic's value and bound beside the decomposition.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import SHARED, in_fresh_process, table  # noqa: E402

GRID_CASES = [
    (10, 10, 2),
    (10, 10, 4),
    (10, 10, 6),
    (10, 20, 6),
    (20, 20, 6),
    (20, 40, 4),
    (20, 40, 6),
    (20, 40, 8),
    (20, 60, 6),
    (20, 60, 10),
]


def _grid(rows: int, cols: int, budget: int, limit: float) -> dict:
    from grids import grid_instance, grid_sites
    from reten.models.interdiction import optimize

    net, p = grid_instance(rows, cols, seed=1)
    sites = grid_sites(net, p)
    out = {}
    for method in ("decomposition", "milp"):
        r = optimize(net, p, sites, budget, objective="cost", method=method, time_limit=limit)
        out[method] = (r.seconds, r.status, r.objective_value, r.upper_bound)
    return out


def _national(mexico: str, limit: float) -> list[dict]:
    from bench_equilibrium import national_labs
    from reten.models.interdiction import build_sites, optimize

    net, p, _, _ = national_labs(mexico)
    labs = p.origin_node
    sites = build_sites(net, p, "arcs", delay=50.0, p_detect=0.1)
    rows = []
    for k in (5, 10, 20):
        g = optimize(net, p, sites, k, objective="cost", method="greedy", time_limit=limit)
        d = optimize(net, p, sites, k, objective="cost", method="decomposition", time_limit=limit)
        rows.append({"K": k, "sites": sites.size, "labs": int(labs.size), "d": d, "g": g})
    return rows


def run() -> str:
    """Run the grid and national benchmarks; return the Markdown section."""
    limit = float(os.environ.get("RETEN_BENCH_GRID_LIMIT_S", "120"))
    rows = []
    for r_, c_, b in GRID_CASES:
        _, _, res = in_fresh_process(_grid, r_, c_, b, limit)
        ds, dst, dv, dub = res["decomposition"]
        ms, mst, mv, mub = res["milp"]
        ratio = f"**{ms / ds:.0f}x**" if mst == "optimal" else f">= {ms / ds:.0f}x"
        rows.append(
            [
                f"{r_}x{c_}",
                b,
                f"{dv:g}" + ("" if dst == "optimal" else f" (UB {dub:.1f})"),
                f"{ds:.1f} ({dst})",
                f"{ms:.1f} ({mst}" + ("" if mst == "optimal" else f", UB {mub:.1f}") + ")",
                ratio if dst == "optimal" else "n/a",
            ]
        )
    out = [
        "## Enforcement optimisation (issue 5)",
        "",
        f"### Israeli-Wood grids: time to proven optimum (limit {limit:.0f} s each)",
        "",
        table(
            [
                "grid",
                "B",
                "reten best value (optimum where proven)",
                "reten decomposition, s",
                "dual MILP (HiGHS), s",
                "MILP / reten",
            ],
            rows,
        ),
        "",
        "Generator and seeds: `bench/grids.py` (seed 1). A ratio written `>=` means the "
        "MILP did not prove optimality within the limit.",
        "",
    ]
    mexico = SHARED / "mexico"
    if (mexico / "MEX_roads.shp").exists():
        _, _, nat = in_fresh_process(_national, str(mexico), 300.0)
        trs = [
            [
                r["K"],
                f"{r['d'].objective_value:,.0f}",
                f"{r['d'].upper_bound:,.0f}",
                f"{r['d'].gap:.4%}",
                r["d"].status,
                f"{r['d'].seconds:.1f}",
                f"{r['g'].objective_value:,.0f}",
                f"{r['g'].gap:.2%}",
                f"{r['g'].seconds:.1f}",
            ]
            for r in nat
        ]
        out += [
            f"### National DCW network: {nat[0]['labs']} Sinaloa and Golden-Triangle "
            f"origins, {nat[0]['sites']:,} road sites (time limit 300 s)",
            "",
            table(
                [
                    "K",
                    "decomposition value",
                    "upper bound",
                    "gap",
                    "status",
                    "s",
                    "greedy value",
                    "greedy gap to its LP bound",
                    "greedy s",
                ],
                trs,
            ),
            "",
        ]
    return "\n".join(out)


if __name__ == "__main__":
    print(run())
