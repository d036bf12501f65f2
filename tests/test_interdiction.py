"""Enforcement optimisation against brute force, across methods, with valid bounds."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_cli
from reten.errors import InputError
from reten.models.interdiction import brute_force, build_sites, marginal_curve, optimize
from reten.network.model import Regions
from reten.problem import Problem
from strategies import networks


@st.composite
def instances(draw, kind: str, objective: str):
    net = draw(networks(nodes=(4, 8), arcs=(4, 16), length=(1, 9), integer=True, two_way=True))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = net.n_nodes
    net = net.with_costs(capacity=rng.integers(1, 20, net.n_arcs).astype(float))
    if kind == "regions":
        nreg = 4
        regs = Regions(
            np.array([f"r{i}" for i in range(nreg)], dtype=object),
            np.array(["x"] * nreg, dtype=object),
            np.array(["municipality"] * nreg, dtype=object),
            np.full(nreg, -1, np.int32),
        )
        net = dataclasses.replace(
            net, regions=regs, node_region=rng.integers(0, nreg, net.n_nodes).astype(np.int32)
        )
    k = draw(st.integers(1, 2))
    nodes = rng.permutation(n)
    sinks, origins = nodes[:k], nodes[k : k + draw(st.integers(1, 2))]
    p = Problem(
        net.length_m.copy(),
        rng.uniform(0, 0.1, net.n_arcs),
        sinks,
        np.zeros(k),
        np.zeros(k),
        origins,
        rng.integers(1, 10, origins.size).astype(float),
        risk_weight=float(rng.uniform(0, 5)),
        sink_capacity=rng.integers(1, 30, k).astype(float),
    )
    sites = build_sites(
        net,
        p,
        kind,
        delay=float(rng.integers(1, 10)),
        p_detect=0.3,
        max_units=draw(st.integers(1, 2)),
    )
    while np.prod(sites.upper + 1.0) > 3000:
        sites = dataclasses.replace(sites, upper=np.minimum(sites.upper, 1))
        if np.prod(sites.upper + 1.0) > 3000:
            sites = sites.subset(np.arange(min(sites.size, 10)))
    budget = float(draw(st.integers(1, 3)))
    return net, p, sites, budget


def _close(a, b):
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


CASES = [
    (k, o)
    for o in ("cost", "interception", "capacity")
    for k in ("arcs", "nodes", "crossings", "regions")
]


@pytest.mark.parametrize("kind,objective", CASES)
@given(data=st.data())
@settings(max_examples=12, deadline=None)
def test_optimum_equals_brute_force(kind, objective, data):
    try:
        net, p, sites, budget = data.draw(instances(kind, objective))
    except InputError:
        return  # no candidate site covers an open road: nothing to test
    try:
        best, _ = brute_force(net, p, sites, budget, objective)
    except InputError:
        return
    for method in ("decomposition", "milp", "greedy"):
        try:
            r = optimize(net, p, sites, budget, objective=objective, method=method, time_limit=30)
        except InputError as exc:
            assert "no origin reaches" in str(exc)
            return
        # bounds always hold; exact methods reach the optimum
        assert r.lower_bound <= best + 1e-6 * max(1, abs(best))
        assert best <= r.upper_bound + 1e-6 * max(1, abs(best))
        if method != "greedy":
            assert _close(r.objective_value, best), (method, r.objective_value, best)
        # the incumbent is feasible and its value is re-evaluated
        assert sites.resource @ r.units <= budget + 1e-9
        assert (r.units <= sites.upper).all() and (r.units >= 0).all()


@given(data=st.data())
@settings(max_examples=15, deadline=None)
def test_bounds_hold_when_stopped_by_the_time_limit(data):
    net, p, sites, budget = data.draw(instances("arcs", "cost"))
    try:
        best, _ = brute_force(net, p, sites, budget, "cost")
        r = optimize(
            net, p, sites, budget, objective="cost", method="decomposition", time_limit=1e-4
        )
    except InputError:
        return
    assert (
        r.lower_bound <= best + 1e-6 * max(1, abs(best)) <= r.upper_bound + 2e-6 * max(1, abs(best))
    )


@pytest.mark.parametrize("objective", ["cost", "interception", "capacity"])
@given(data=st.data())
@settings(max_examples=10, deadline=None)
def test_objective_is_monotone_in_budget(objective, data):
    net, p, sites, _ = data.draw(instances("arcs", objective))
    try:
        curve = marginal_curve(net, p, sites, 3, objective=objective, time_limit=30)
    except InputError:
        return
    vals = [r.objective_value for r in curve]
    if objective == "capacity":
        assert all(b <= a + 1e-9 for a, b in zip(vals, vals[1:], strict=False))
    else:
        assert all(b >= a - 1e-9 for a, b in zip(vals, vals[1:], strict=False))


SCEN = """name = "opt"
[network]
default = true
[[origins]]
municipality = "Culiacán"
volume_kg = 100
[costs]
mode = "length_km"
"""


def test_cli_optimize_json(tmp_path):
    (tmp_path / "s.toml").write_text(SCEN)
    proc = run_cli(
        "optimize",
        str(tmp_path / "s.toml"),
        "--budget",
        "2",
        "--objective",
        "cost",
        "--sites",
        "arcs",
        "--json",
        "-o",
        str(tmp_path / "o"),
    )
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    for key in ("objective", "lower_bound", "upper_bound", "seconds", "sites"):
        assert key in res
    assert res["lower_bound"] <= res["objective"] <= res["upper_bound"] + 1e-9
    assert all("->" in s["site"] and s["units"] >= 1 for s in res["sites"])
    assert (tmp_path / "o" / "report.html").is_file()
    # names, baseline and % increase (issue 10)
    assert all(s["name"].startswith(("road between", "road within")) for s in res["sites"])
    assert res["baseline"] > 0
    gain = 100 * (res["objective"] - res["baseline"]) / res["baseline"]
    assert abs(res["increase_pct"] - gain) <= 1e-9 * max(1.0, abs(gain))
    import geopandas as gpd
    import pandas as pd

    for layer in ("sites.geojson", "sites.gpkg"):
        g = gpd.read_file(tmp_path / "o" / layer)
        assert g.crs.to_epsg() == 4326
        assert sorted(g.site) == sorted(s["site"] for s in res["sites"])
        assert set(g.name) == {s["name"] for s in res["sites"]}
    curve = pd.read_csv(tmp_path / "o" / "curve.csv")
    assert curve.K.tolist() == [1, 2] and "proven" in curve
    assert abs(curve.marginal[0] - (curve.objective[0] - res["baseline"])) < 1e-6
    assert abs(curve.marginal.sum() - (res["objective"] - res["baseline"])) < 1e-6
    assert curve.seconds.sum() <= res["seconds"] + 1e-6  # per K, not cumulative
    # log.csv: the old columns kept, each row names its solver, each K's rows in time order
    # and never with crossed bounds
    from reten.models.interdiction.result import LOG_SOLVERS

    log = pd.read_csv(tmp_path / "o" / "log.csv")
    assert log.columns.tolist() == [
        "K",
        "iteration",
        "lower_bound",
        "upper_bound",
        "seconds",
        "solver",
    ]
    assert set(log.K) == {1, 2} and set(log.solver) <= set(LOG_SOLVERS)
    assert (log.lower_bound <= log.upper_bound).all()
    for _, part in log.groupby("K"):
        assert part.seconds.is_monotonic_increasing
        assert part.solver.iloc[0] == "greedy"  # auto's greedy start comes first


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--budget", "0"], "--budget"),
        (["--budget", "2", "--sites", "regions", "--objective", "cost"], "no regions"),
        (["--budget", "2", "--objective", "speed"], "--objective"),
    ],
)
def test_cli_bad_budgets_and_sites(tmp_path, args, needle):
    (tmp_path / "s.toml").write_text(SCEN.replace("default = true", "default = true"))
    if "regions" in args:
        # a network without regions: an edge list
        (tmp_path / "e.csv").write_text("source,target,length_m\na,b,10\nb,a,10\nb,c,5\n")
        assert (
            run_cli(
                "network", "build", "--edges", str(tmp_path / "e.csv"), "-o", str(tmp_path / "net")
            ).returncode
            == 0
        )
        (tmp_path / "s.toml").write_text(
            'name = "x"\n[network]\npath = "net"\n[[origins]]\nnode = "a"\nvolume_kg = 1\n'
            '[[destinations]]\nnode = "c"\n[costs]\nmode = "length_km"\n'
        )
    proc = run_cli("optimize", str(tmp_path / "s.toml"), *args, "-o", str(tmp_path / "o"))
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
