"""Enforcement-optimisation benchmarks (issues 5 and 10), side by side in one script.

Grids: the Israeli & Wood (2002) family from ``bench/grids.py`` (generator and seed rules
written there): sizes 10x10, 20x20, 20x40, 20x60, budgets 2..10, seeds 1..5. reten's
``auto`` against the single-level dual MILP (Israeli & Wood's MXSP dual) in HiGHS, each
instance and method in a fresh process with the same limit (``RETEN_BENCH_GRID_LIMIT_S``,
default 120 s). The full family is 4 x 9 x 5 x 2 runs of up to 120 s (up to 12 h), so
``RETEN_BENCH_GRIDS`` picks a subset, e.g. ``"20x40:6,8"`` (sizes and budgets; ``;``
between sizes) and ``RETEN_BENCH_SEEDS`` the seeds (default ``1,2,3,4,5``). Every run is
kept in ``bench/_work/interdiction_grids.jsonl`` with the commit it ran on (a run is reused
only for the same commit), and the table states how many seeds ran.

National (``RETEN_BENCH_NATIONAL=1``): the DCW network, cost = km, every road a site (one
unit adds 50 km-equivalents of delay, p_detect 0.1): the 34 Sinaloa and Golden-Triangle
origins at K = 5, 10, 20 (300 s each); every municipality of Sinaloa, Durango, Chihuahua,
Michoacan and Jalisco at K = 5, 10 (120 s); interception on the five-state case at K = 10
(300 s); ``RETEN_BENCH_NATIONAL_CASES`` picks cases (``0,1,2``) and
``RETEN_BENCH_NATIONAL_LIMIT_S`` overrides their limits and ``RETEN_BENCH_NATIONAL_KS`` picks
budgets (``10,20``). The greedy's value and gap beside
each.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import SHARED, WORK, in_fresh_process, table  # noqa: E402

FAMILY = {"10x10": range(2, 11), "20x20": range(2, 11), "20x40": range(2, 11)}
FAMILY["20x60"] = range(2, 11)
LOG = WORK / "interdiction_grids.jsonl"
FIVE_STATES = ("25", "10", "08", "16", "14")  # Sinaloa, Durango, Chihuahua, Michoacan, Jalisco


def _grid(rows: int, cols: int, budget: int, seed: int, method: str, limit: float) -> dict:
    from grids import grid_instance, grid_sites
    from reten.models.interdiction import optimize

    net, p = grid_instance(rows, cols, seed=seed)
    sites = grid_sites(net, p)
    r = optimize(net, p, sites, budget, objective="cost", method=method, time_limit=limit)
    return {
        "size": f"{rows}x{cols}",
        "B": budget,
        "seed": seed,
        "method": method,
        "solver": r.method,
        "seconds": r.seconds,
        "status": r.status,
        "value": r.objective_value,
        "upper": r.upper_bound,
    }


def _commit() -> str:
    """The code's commit (``+dirty`` with uncommitted changes): a stored run is reused only
    for the same commit, so a re-run after a change measures the change."""
    here = os.path.dirname(os.path.abspath(__file__))
    git = ["git", "-C", here]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run([*git, "status", "--porcelain", "--", "../src"], capture_output=True)
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


COMMIT = _commit()


def _load() -> dict[tuple, dict]:
    runs: dict[tuple, dict] = {}
    if LOG.exists():
        for line in LOG.read_text().splitlines():
            r = json.loads(line)
            if r.get("commit") == COMMIT:
                runs[(r["size"], r["B"], r["seed"], r["method"], r["limit"])] = r
    return runs


def _selection() -> list[tuple[int, int, int]]:
    spec = os.environ.get("RETEN_BENCH_GRIDS", "")
    pick: dict[str, list[int]] = {}
    if spec:
        for part in spec.split(";"):
            size, budgets = part.split(":")
            pick[size] = [int(b) for b in budgets.split(",")]
    else:
        pick = {k: list(v) for k, v in FAMILY.items()}
    return [(int(s.split("x")[0]), int(s.split("x")[1]), b) for s, bs in pick.items() for b in bs]


def _peer_selection() -> set[tuple[str, int]] | None:
    """(size, budget) pairs the dual MILP runs on (``RETEN_BENCH_PEER``, same syntax as
    ``RETEN_BENCH_GRIDS``); ``None`` = every selected instance."""
    spec = os.environ.get("RETEN_BENCH_PEER", "")
    if not spec:
        return None
    out = set()
    for part in spec.split(";"):
        size, budgets = part.split(":")
        out |= {(size, int(b)) for b in budgets.split(",")}
    return out


def run_grids(limit: float) -> list[str]:
    seeds = [int(s) for s in os.environ.get("RETEN_BENCH_SEEDS", "1,2,3,4,5").split(",")]
    peer = _peer_selection()
    WORK.mkdir(parents=True, exist_ok=True)
    runs = _load()
    load = []
    for rows, cols, b in _selection():
        for seed in seeds:
            for method in ("auto", "milp"):
                key = (f"{rows}x{cols}", b, seed, method, limit)
                if key in runs:
                    continue
                if method == "milp" and peer is not None and (key[0], b) not in peer:
                    continue
                load.append(os.getloadavg()[0])
                _, peak, res = in_fresh_process(_grid, rows, cols, b, seed, method, limit)
                res["peak_mib"] = peak
                res["limit"] = limit
                res["load1"] = load[-1]
                res["commit"] = COMMIT
                runs[key] = res
                with LOG.open("a") as fh:
                    fh.write(json.dumps(res) + "\n")
                print(json.dumps(res), flush=True)
    out = []
    for rows, cols, b in _selection():
        size = f"{rows}x{cols}"
        autos = [
            runs[(size, b, s, "auto", limit)] for s in seeds if (size, b, s, "auto", limit) in runs
        ]
        if not autos:
            continue
        both = [
            (a, runs[(size, b, a["seed"], "milp", limit)])
            for a in autos
            if (size, b, a["seed"], "milp", limit) in runs
        ]
        a_ok = sum(a["status"] == "optimal" for a in autos)
        lost = [
            f"s{a['seed']}: {a['value']:g} (UB {a['upper']:.1f})"
            for a in autos
            if a["status"] != "optimal"
        ]
        if both:
            ratios = [m["seconds"] / a["seconds"] for a, m in both]
            m_ok = sum(m["status"] == "optimal" for _, m in both)
            # a ratio where the MILP was not proven is a lower bound (">=")
            unproven = any(m["status"] != "optimal" for _, m in both)
            peer = [
                f"{m_ok}/{len(both)}",
                f"{np.median([m['seconds'] for _, m in both]):.1f}",
                f"{max(m['seconds'] for _, m in both):.1f}",
                ("" if not unproven else ">= ") + f"{np.median(ratios):.1f}x",
                f"{min(ratios):.1f}x",
                f"{max(m.get('peak_mib', np.nan) for _, m in both):.0f}",
            ]
        else:
            peer = ["not run", "-", "-", "-", "-", "-"]
        out.append(
            [
                size,
                b,
                f"{len(autos)} ({','.join(str(a['seed']) for a in autos)})",
                f"{a_ok}/{len(autos)}",
                peer[0],
                f"{np.median([a['seconds'] for a in autos]):.1f}",
                f"{max(a['seconds'] for a in autos):.1f}",
                peer[1],
                peer[2],
                peer[3],
                peer[4],
                f"{max(a.get('peak_mib', np.nan) for a in autos):.0f} / {peer[5]}",
                "; ".join(lost) or "-",
                f"{np.mean([a.get('load1', 0) for a in autos]):.1f}",
            ]
        )
    return [
        f"### Israeli-Wood grids: proven within {limit:.0f} s, reten auto vs dual MILP (HiGHS)",
        "",
        table(
            [
                "grid",
                "B",
                "seeds run",
                "auto proven",
                "MILP proven",
                "auto median s",
                "auto worst s",
                "MILP median s",
                "MILP worst s",
                "median ratio MILP/auto",
                "worst ratio",
                "peak MiB auto / MILP",
                "auto unproven: value (UB)",
                "load (1-min avg)",
            ],
            out,
        ),
        "",
        "Generator: `bench/grids.py` (`numpy.random.default_rng(seed)`, seeds as listed). A "
        "MILP that is not proven counts at its limit, so its ratio is a lower bound (`>=`); an "
        "auto run that is not proven counts at its own time. Ratio = MILP s / auto s per seed "
        "(median and worst over the seeds). Peak MiB is the measuring child's resident-set "
        "growth (auto's racer processes are not included). Load is the 1-minute load average "
        "when each run started (2 cores). Only the rows above ran; the rest of the family "
        "(sizes x budgets 2..10 x 5 seeds) did not; 'not run' marks rows where only auto ran "
        "(the MILP's 120 s per unproven instance did not fit the session).",
        "",
    ]


def _national(mexico: str, which: str, ks: list[int], limit: float, objective: str) -> list:
    from bench_equilibrium import _dcw, national_labs
    from reten.models.interdiction import build_sites, optimize
    from reten.problem import Problem

    if which == "34":
        net, p, _, _ = national_labs(mexico)
    else:
        net, sinks, munis, mnodes = _dcw(mexico)
        codes = net.regions.code[munis].astype(str)
        pick = np.array([c[:2] in FIVE_STATES for c in codes]) & (mnodes >= 0)
        labs = mnodes[pick]
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
    sites = build_sites(net, p, "arcs", delay=50.0, p_detect=0.1)
    rows = []
    for k in ks:
        t = time.perf_counter()
        d = optimize(net, p, sites, k, objective=objective, method="auto", time_limit=limit)
        g = optimize(net, p, sites, k, objective=objective, method="greedy", time_limit=limit)
        rows.append(
            {
                "K": k,
                "origins": int(p.origin_node.size),
                "nodes": int(np.unique(p.origin_node).size),
                "sites": sites.size,
                "value": d.objective_value,
                "upper": d.upper_bound,
                "gap": d.gap,
                "status": d.status,
                "solver": d.method,
                "seconds": d.seconds,
                "greedy": g.objective_value,
                "greedy_gap": (d.upper_bound - g.objective_value) / max(d.upper_bound, 1e-12),
                "greedy_s": g.seconds,
                "wall": time.perf_counter() - t,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def run_national() -> list[str]:
    mexico = SHARED / "mexico"
    if not (mexico / "MEX_roads.shp").exists():
        return ["National cases skipped: ../shared/data/mexico is absent.", ""]
    out = []
    cases = [
        ("34", [5, 10, 20], 300.0, "cost", "34 Sinaloa and Golden-Triangle origins"),
        ("five", [5, 10], 120.0, "cost", "every municipality of five states"),
        ("five", [10], 300.0, "interception", "five states, interception"),
    ]
    only = os.environ.get("RETEN_BENCH_NATIONAL_CASES")
    ks_only = os.environ.get("RETEN_BENCH_NATIONAL_KS")
    for i, (which, ks, limit, obj, title) in enumerate(cases):
        if only and str(i) not in only.split(","):
            continue
        if ks_only:
            ks = [k for k in ks if str(k) in ks_only.split(",")] or ks
        limit = float(os.environ.get("RETEN_BENCH_NATIONAL_LIMIT_S", limit))
        load = os.getloadavg()[0]
        _, peak, rows = in_fresh_process(_national, str(mexico), which, ks, limit, obj)
        out += [
            f"### National DCW, {title} ({rows[0]['origins']} origins on {rows[0]['nodes']} "
            f"nodes), {obj}, {rows[0]['sites']:,} road sites, limit {limit:.0f} s "
            f"(load {load:.1f} at the start; peak {peak:.0f} MiB in the measuring process)",
            "",
            table(
                [
                    "K",
                    "value",
                    "upper bound",
                    "gap",
                    "status",
                    "s",
                    "greedy",
                    "greedy gap",
                    "greedy s",
                ],
                [
                    [
                        r["K"],
                        f"{r['value']:,.1f}",
                        f"{r['upper']:,.1f}",
                        f"{r['gap']:.3%}",
                        f"{r['status']} ({r['solver']})",
                        f"{r['seconds']:.1f}",
                        f"{r['greedy']:,.1f}",
                        f"{r['greedy_gap']:.2%}",
                        f"{r['greedy_s']:.1f}",
                    ]
                    for r in rows
                ],
            ),
            "",
        ]
    return out


def run() -> str:
    """Run the selected grid and national benchmarks; return the Markdown section."""
    limit = float(os.environ.get("RETEN_BENCH_GRID_LIMIT_S", "120"))
    up = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    from common import machine

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    out = [
        "## Enforcement optimisation (issue 10)",
        "",
        f"Machine: {machine()}. Commit `{commit}`. Load when written: `{up}`.",
        "",
    ]
    if os.environ.get("RETEN_BENCH_GRIDS_SKIP") != "1":
        out += run_grids(limit)
    if os.environ.get("RETEN_BENCH_NATIONAL") == "1":
        out += run_national()
    return "\n".join(out)


if __name__ == "__main__":
    print(run())
