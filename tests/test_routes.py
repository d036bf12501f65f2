"""The Dell route model against independent NetworkX computations."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import MEXICO, need
from reten.analysis.regions import region_flows
from reten.models.routes import solve_routes
from reten.network.model import Network, Regions
from reten.network.terminals import snap_points
from reten.problem import Problem


@st.composite
def problems(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(3, 25))
    m = draw(st.integers(2, 90))
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    net = Network.from_arcs(src, dst, rng.uniform(1, 100, m), rng.random(n), rng.random(n))
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


def nx_costs(net, p):
    """Per origin: cost to each sink by NetworkX Dijkstra (reversed graph), shape (o, k)."""
    g = nx.DiGraph()
    g.add_nodes_from(range(net.n_nodes))
    w = p.arc_cost + p.risk_weight * p.arc_logsurv
    for e in range(net.n_arcs):
        g.add_edge(int(net.arc_target[e]), int(net.arc_source[e]), w=float(w[e]))
    out = np.full((p.origin_node.size, p.sink_node.size), np.inf)
    for j, s in enumerate(p.sink_node.tolist()):
        d = nx.single_source_dijkstra_path_length(g, s, weight="w")
        sc = p.sink_cost[j] + p.risk_weight * p.sink_logsurv[j]
        for i, o in enumerate(p.origin_node.tolist()):
            out[i, j] = d.get(o, np.inf) + sc
    return out


@given(problems())
@settings(max_examples=80, deadline=None)
def test_costs_and_crossings_match_networkx(inst):
    net, p = inst
    r = solve_routes(net, p)
    ref = nx_costs(net, p)
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


@given(problems(), st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_region_flows_count_route_entries(inst, seed):
    net, p = inst
    rng = np.random.default_rng(seed)
    nreg = 4
    regions = Regions(
        np.array([f"m{i}" for i in range(nreg)] + ["s0", "s1"], dtype=object),
        np.array(["x"] * (nreg + 2), dtype=object),
        np.array(["municipality"] * nreg + ["state"] * 2, dtype=object),
        np.array([4, 4, 5, 5, -1, -1], dtype=np.int32),
    )
    import dataclasses

    node_region = rng.integers(-1, nreg, net.n_nodes).astype(np.int32)
    arc_region = rng.integers(-1, nreg, net.n_arcs).astype(np.int32)
    net = dataclasses.replace(net, regions=regions, node_region=node_region, arc_region=arc_region)
    r = solve_routes(net, p)
    ref = np.zeros(nreg + 2)
    parent = regions.parent
    for i in np.flatnonzero(r.origin_crossing >= 0):
        path = r.path(i)
        places = [node_region[p.origin_node[i]]]
        for a in path:
            places.append(arc_region[a] if arc_region[a] >= 0 else node_region[net.arc_source[a]])
            places.append(node_region[net.arc_target[a]])
        for lift in (lambda x: x, lambda x: parent[x] if x >= 0 else -1):
            seq = [lift(x) for x in places]
            prev = None
            for j, x in enumerate(seq):
                # an arc without a region takes its source node's, so it never starts an entry
                if x >= 0 and (j == 0 or x != prev):
                    ref[x] += p.origin_volume_kg[i]
                prev = x
    assert np.allclose(region_flows(net, r), ref)


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
    g = nx.DiGraph()
    for e in range(net.n_arcs):
        g.add_edge(int(net.arc_target[e]), int(net.arc_source[e]), w=float(cost[e]))
    per_sink = [nx.single_source_dijkstra_path_length(g, int(s), weight="w") for s in sinks]
    for i, o in enumerate(origins.tolist()):
        d = np.array([ps.get(o, np.inf) for ps in per_sink])
        if np.isinf(d.min()):
            assert r.origin_crossing[i] == -1
        else:
            assert np.isclose(r.origin_cost[i], d.min())
            assert np.isclose(d[r.origin_crossing[i]], d.min())
