"""The Dell route model against independent NetworkX computations."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import MEXICO, need
from oracles import nx_graph, nx_route_costs
from reten.models.routes import solve_routes
from reten.network.terminals import snap_points
from reten.problem import Problem
from strategies import networks


@st.composite
def problems(draw):
    """A random network (the shared strategy) with random costs, risks, origins, crossings."""
    net = draw(networks(nodes=(3, 25), arcs=(2, 90)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = net.n_nodes
    k = draw(st.integers(1, min(4, n - 1)))
    nodes = rng.permutation(n)
    sinks, origins = nodes[:k], nodes[k : k + draw(st.integers(1, n - k))]
    rho = draw(st.sampled_from([0.0, 50.0]))
    cost = rng.uniform(0.5, 10, net.n_arcs)
    logsurv = rng.uniform(0, 0.2, net.n_arcs) * (rng.random(net.n_arcs) < 0.4)
    sink_cost = rng.uniform(0, 5, k)
    if draw(st.booleans()):  # close a crossing
        sink_cost[0] = np.inf
    p = Problem(
        cost,
        logsurv,
        sinks,
        sink_cost,
        rng.uniform(0, 0.1, k),
        origins,
        rng.uniform(1, 10, origins.size),
        risk_weight=rho,
    )
    return net, p


@given(problems())
@settings(max_examples=80, deadline=None)
def test_costs_and_crossings_match_networkx(inst):
    net, p = inst
    r = solve_routes(net, p)
    ref = nx_route_costs(net, p)
    best = ref.min(axis=1)
    fin = np.isfinite(best)
    assert (r.origin_crossing >= 0).tolist() == fin.tolist()
    assert np.allclose(r.origin_cost[fin], best[fin])
    for i in np.flatnonzero(fin):
        c = r.origin_crossing[i]
        assert np.isclose(ref[i, c], best[i])
        srt = np.sort(ref[i])
        if srt.size == 1 or srt[1] - srt[0] > 1e-9:  # unique argmin: must be the same crossing
            assert c == int(np.argmin(ref[i]))


@given(problems())
@settings(max_examples=60, deadline=None)
def test_flows_and_seizures_equal_path_sums(inst):
    net, p = inst
    r = solve_routes(net, p)
    flow = np.zeros(net.n_arcs)
    for i in range(p.origin_node.size):
        path = r.path(i)
        flow[path] += p.origin_volume_kg[i] if r.origin_crossing[i] >= 0 else 0.0
        if r.origin_crossing[i] >= 0:
            surv = np.prod(np.exp(-p.arc_logsurv[path])) * np.exp(
                -p.sink_logsurv[r.origin_crossing[i]]
            )
            assert np.isclose(r.origin_seized_kg[i], p.origin_volume_kg[i] * (1 - surv))
            # the path starts at the origin and ends at the crossing
            end = net.arc_target[path[-1]] if path.size else p.origin_node[i]
            assert end == p.sink_node[r.origin_crossing[i]]
    assert np.allclose(r.arc_flow_kg, flow)
    assert np.isclose(r.crossing_flow_kg.sum(), p.origin_volume_kg[r.origin_crossing >= 0].sum())
    closed = ~np.isfinite(p.sink_cost)
    assert (r.crossing_flow_kg[closed] == 0).all()


@given(problems(), st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_crackdown_never_lowers_cost(inst, seed):
    net, p = inst
    rng = np.random.default_rng(seed)
    hit = rng.random(net.n_arcs) < 0.3
    mult = np.where(hit, rng.uniform(1, 3, net.n_arcs), 1.0)
    cost2 = p.arc_cost * mult
    ls2 = p.arc_logsurv + np.where(hit, rng.uniform(0, 0.3, net.n_arcs), 0.0)
    sc2 = p.sink_cost.copy()
    sc2[rng.integers(0, sc2.size)] = np.inf  # and close a crossing
    p2 = Problem(
        cost2,
        ls2,
        p.sink_node,
        sc2,
        p.sink_logsurv,
        p.origin_node,
        p.origin_volume_kg,
        risk_weight=p.risk_weight,
    )
    r1, r2 = solve_routes(net, p), solve_routes(net, p2)
    assert (r2.origin_cost >= r1.origin_cost - 1e-9).all()
    assert (r2.crossing_flow_kg[~np.isfinite(sc2)] == 0).all()


def test_dcw_random_origins_match_networkx(dcw_network):
    net = dcw_network
    ports = pd.read_csv(need(MEXICO / "us_mexico_land_ports_bts.csv"))
    lcc = np.flatnonzero(net.largest_component_mask())
    sinks = np.unique(
        snap_points(
            net, ports.lon.to_numpy(), ports.lat.to_numpy(), max_m=50_000, candidates=lcc
        ).node
    )
    rng = np.random.default_rng(7)
    origins = rng.choice(net.n_nodes, 40, replace=False)
    cost = net.length_m / 1000.0
    p = Problem(
        cost,
        np.zeros(net.n_arcs),
        sinks,
        np.zeros(sinks.size),
        np.zeros(sinks.size),
        origins,
        np.ones(origins.size),
    )
    r = solve_routes(net, p)
    g = nx_graph(net, cost, reverse=True)
    per_sink = [nx.single_source_dijkstra_path_length(g, int(s), weight="w") for s in sinks]
    for i, o in enumerate(origins.tolist()):
        d = np.array([ps.get(o, np.inf) for ps in per_sink])
        if np.isinf(d.min()):
            assert r.origin_crossing[i] == -1
        else:
            assert np.isclose(r.origin_cost[i], d.min())
            assert np.isclose(d[r.origin_crossing[i]], d.min())
