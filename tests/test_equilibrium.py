"""Congestion equilibrium: analytic two-route case, Wardrop's condition, an independent solver."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from reten.kernels.sptree import sink_tree
from reten.models.equilibrium import Congestion, solve_equilibrium
from reten.network.model import Network
from reten.problem import Problem
from strategies import networks


@pytest.mark.parametrize("method", ["gp", "fw", "cfw", "qp"])
@pytest.mark.parametrize(
    "a1,a2,c1,c2,alpha,vol",
    [(10, 12, 50, 100, 10, 100), (5, 30, 20, 80, 40, 60), (10, 10.5, 1000, 30, 3, 90)],
)
def test_two_routes_match_the_analytic_equilibrium(method, a1, a2, c1, c2, alpha, vol):
    # origin 0 reaches crossing 1 at cost a1 and crossing 2 at cost a2; t_s = a_s + alpha x/c_s
    net = Network.from_arcs(
        np.array([0, 0]), np.array([1, 2]), np.array([a1, a2], float), np.zeros(3), np.zeros(3)
    )
    p = Problem(
        net.length_m,
        np.zeros(2),
        np.array([1, 2]),
        np.zeros(2),
        np.zeros(2),
        np.array([0]),
        np.array([float(vol)]),
    )
    cong = Congestion(np.full(2, np.inf), np.array([c1, c2], float), alpha=alpha, delta=1.0)
    r = solve_equilibrium(net, p, cong, method=method, target_gap=1e-12, max_iterations=20000)
    b1, b2 = alpha / c1, alpha / c2
    x1 = (a2 - a1 + b2 * vol) / (b1 + b2)
    x1 = min(max(x1, 0.0), vol)
    assert abs(r.crossing_flow_kg[0] - x1) < 1e-6
    assert abs(r.crossing_flow_kg[1] - (vol - x1)) < 1e-6


@st.composite
def instances(draw, arc_capacity: bool):
    net = draw(networks(nodes=(4, 7), arcs=(4, 14), length=(1.0, 10.0), two_way=True))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = net.n_nodes
    k = draw(st.integers(1, 3))
    nodes = rng.permutation(n)
    sinks, origins = nodes[:k], nodes[k : k + draw(st.integers(1, min(3, n - k)))]
    p = Problem(
        net.length_m.copy(),
        np.zeros(net.n_arcs),
        sinks,
        rng.uniform(0, 3, k),
        np.zeros(k),
        origins,
        rng.uniform(1, 20, origins.size),
    )
    arc_cap = np.full(net.n_arcs, np.inf)
    if arc_capacity:
        some = rng.random(net.n_arcs) < 0.5
        arc_cap[some] = rng.uniform(2, 20, some.sum())
    cong = Congestion(
        arc_cap,
        rng.uniform(2, 30, k),
        alpha=float(rng.uniform(1, 20)),
        delta=float(draw(st.sampled_from([1.0, 2.0]))),
    )
    return net, p, cong


def _reduced_costs(net, p, cong, r):
    """Per used extended arc: t_e + d(head) - d(tail) at equilibrium costs (>= 0)."""
    m = net.n_arcs
    x = np.concatenate([r.arc_flow_kg, r.crossing_flow_kg])
    cap = cong.vector()
    base = np.concatenate([p.arc_cost, p.sink_cost])
    t = base + np.where(
        np.isfinite(cap), cong.alpha * (x / np.where(np.isfinite(cap), cap, 1)) ** cong.delta, 0.0
    )
    tree = sink_tree(net, t[:m], p.sink_node, t[m:])
    d = tree.dist
    with np.errstate(invalid="ignore"):
        red_arcs = t[:m] + d[net.arc_target] - d[net.arc_source]
    red_sinks = t[m:] - d[p.sink_node]
    return np.concatenate([red_arcs, red_sinks]), x, d


@given(instances(arc_capacity=True))
@settings(max_examples=40, deadline=None)
def test_wardrop_condition_on_random_networks(inst):
    net, p, cong = inst
    method = "qp" if cong.delta == 1.0 else "cfw"
    r = solve_equilibrium(net, p, cong, method=method, target_gap=1e-9, max_iterations=50000)
    if r.convergence[-1][1] > 1e-9:
        pytest.skip("did not reach the target gap within the iteration limit")
    red, x, d = _reduced_costs(net, p, cong, r)
    scale = float(np.nanmax(d[np.isfinite(d)])) or 1.0
    used = x > 1e-3 * p.origin_volume_kg.sum()
    # every arc that carries flow lies on a cheapest route: a used route costs its origin's least
    assert (red[used] <= 1e-4 * scale).all()
    # and flow is conserved: all volume reaches the crossings
    reach = r.origin_crossing >= 0
    assert np.isclose(r.crossing_flow_kg.sum(), p.origin_volume_kg[reach].sum())


@given(instances(arc_capacity=False))
@settings(max_examples=40, deadline=None)
def test_gp_used_crossings_cost_the_least(inst):
    net, p, cong = inst
    r = solve_equilibrium(net, p, cong, method="gp", target_gap=1e-12, max_iterations=20000)
    red, x, d = _reduced_costs(net, p, cong, r)
    scale = float(np.nanmax(d[np.isfinite(d)])) or 1.0
    used = x > 1e-6
    assert (red[used] <= 1e-6 * scale).all()


def beckmann(x_ext, base, cap, alpha, delta):
    fin = np.isfinite(cap)
    r = x_ext[fin] / cap[fin]
    return float(base @ x_ext + (alpha * cap[fin] / (delta + 1) * r ** (delta + 1)).sum())


@given(instances(arc_capacity=True))
@settings(max_examples=25, deadline=None)
def test_agrees_with_scipy_minimize_on_path_flows(inst):
    net, p, cong = inst
    m, k = net.n_arcs, p.sink_node.size
    g = nx.DiGraph()
    for e in range(m):
        g.add_edge(int(net.arc_source[e]), int(net.arc_target[e]), e=e)
    paths, owner = [], []
    for i, o in enumerate(p.origin_node.tolist()):
        for j, s in enumerate(p.sink_node.tolist()):
            if o == s:
                found = [[o]]
            elif o in g and s in g:
                found = itertools.islice(nx.all_simple_paths(g, o, s), 3000)
            else:
                found = []
            for path in found:
                arcs = [g[a][b]["e"] for a, b in itertools.pairwise(path)]
                paths.append((arcs, m + j))
                owner.append(i)
    if not paths:
        return
    owner = np.array(owner)
    if not all((owner == i).any() for i in range(p.origin_node.size)):
        return  # some origin cannot reach a crossing; the models report it instead
    inc = np.zeros((m + k, len(paths)))
    for c, (arcs, sink_col) in enumerate(paths):
        inc[arcs, c] = 1.0
        inc[sink_col, c] = 1.0
    base = np.concatenate([p.arc_cost, p.sink_cost])
    cap = cong.vector()
    vol = p.origin_volume_kg

    def fun(h):
        return beckmann(inc @ h, base, cap, cong.alpha, cong.delta)

    cons = [
        {"type": "eq", "fun": (lambda h, i=i: h[owner == i].sum() - vol[i])}
        for i in range(vol.size)
    ]
    h0 = np.array([vol[i] / (owner == i).sum() for i in owner])
    ref = minimize(
        fun,
        h0,
        bounds=[(0, None)] * len(paths),
        constraints=cons,
        method="SLSQP",
        options={"ftol": 1e-12, "maxiter": 2000},
    )
    method = "qp" if cong.delta == 1.0 else "cfw"
    r = solve_equilibrium(net, p, cong, method=method, target_gap=1e-9, max_iterations=20000)
    if r.convergence[-1][1] > 1e-9:
        pytest.skip("did not reach the target gap within the iteration limit")
    z = beckmann(
        np.concatenate([r.arc_flow_kg, r.crossing_flow_kg]), base, cap, cong.alpha, cong.delta
    )
    # reten's optimum is at least as good as SciPy's (up to tolerance) and within 1e-5 of it
    assert z <= ref.fun * (1 + 1e-6) + 1e-6
    assert z >= ref.fun * (1 - 1e-5) - 1e-6 or not ref.success


@pytest.mark.parametrize("method", ["gp", "fw", "cfw"])
def test_the_last_gap_reported_is_the_gap_of_the_flows_returned(method):
    """Breaker, stop 21: stopped by max_iterations, the run reported the gap measured before
    its last step (0.995 beside flows already at equilibrium). Oracle: the same method run
    one iteration longer measures the flows after that step at its next row."""
    import reten

    def conv(k: int) -> list[float]:
        d = {
            "name": "two",
            "network": {"default": True},
            "origins": [{"municipality": "Culiacán", "volume_kg": 400}],
            "congestion": {
                "crossing_capacity_kg": 60,
                "alpha": 500.0,
                "method": method,
                "max_iterations": k,
                "target_gap": 1e-12,
            },
        }
        return reten.run(d).convergence.relative_gap.tolist()

    one, two = conv(1), conv(2)
    assert len(one) == 2 and len(two) == 3, (one, two)
    assert one[-1] == pytest.approx(two[1], rel=1e-9, abs=1e-12)
    assert one[-1] < one[0]  # the step helped: the stale figure was the first one


def test_an_unconverged_equilibrium_is_a_warning(tmp_path):
    """Breaker, stop 21: stopped above its target gap, the run exited 0 with the gap only in
    provenance.json and the report; the terminal now says so, and the report's box too."""
    from clikit import call

    (tmp_path / "s.toml").write_text(
        'name = "jam"\n[network]\ndefault = true\n[[origins]]\nmunicipality = "Culiacán"\n'
        "volume_kg = 400\n[congestion]\ncrossing_capacity_kg = 60\nalpha = 500\n"
        "max_iterations = 1\ntarget_gap = 1e-9\n",
        encoding="utf-8",
    )
    r = call("run", "s.toml", "-o", "o", cwd=tmp_path)
    assert r.code == 0, r.err
    assert "not at equilibrium" in r.err and "max_iterations" in r.err
    assert "after 1 step(s)" in r.err  # max_iterations = 1: one step (it said 2 iterations)
    assert "not at equilibrium" in (tmp_path / "o" / "report.html").read_text()
    (tmp_path / "t.toml").write_text(
        (tmp_path / "s.toml")
        .read_text()
        .replace("max_iterations = 1", "max_iterations = 500")
        .replace("target_gap = 1e-9", "target_gap = 1e-4")
    )
    r = call("run", "t.toml", "-o", "p", cwd=tmp_path)
    assert r.code == 0 and "not at equilibrium" not in r.err


def test_qp_with_a_nonlinear_curve_names_the_file_and_field(tmp_path):
    from clikit import assert_one_line_error, call

    (tmp_path / "s.toml").write_text(
        'name = "q"\n[network]\ndefault = true\n[[origins]]\nmunicipality = "Culiacán"\n'
        'volume_kg = 400\n[congestion]\ncrossing_capacity_kg = 60\ndelta = 3\nmethod = "qp"\n',
        encoding="utf-8",
    )
    r = call("run", "s.toml", "-o", "o", cwd=tmp_path)
    assert_one_line_error(r, "s.toml:10:", "congestion.method", "delta = 1")
