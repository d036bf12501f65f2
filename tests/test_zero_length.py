"""Zero-length arcs (connectors, split nodes, Braess links) in every consumer; field case 03."""

from __future__ import annotations

import dataclasses

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reten.errors import InputError
from reten.kernels.sptree import sink_tree, source_tree
from reten.models.interdiction import brute_force, build_sites, optimize
from reten.network.model import Network
from reten.problem import Problem


@st.composite
def zero_heavy(draw):
    """Random networks where about half the arcs have length 0, parallels included."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(2, 9))
    m = draw(st.integers(1, 3 * n))
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    w = np.where(rng.random(m) < 0.5, 0.0, rng.integers(1, 10, m).astype(float))
    return n, src, dst, w, rng


def _nx(n, src, dst, w):
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(n))
    for u, v, x in zip(src.tolist(), dst.tolist(), w.tolist(), strict=True):
        g.add_edge(u, v, w=x)
    return g


@given(zero_heavy(), st.integers(1, 3))
@settings(max_examples=80, deadline=None)
def test_trees_and_components_with_zero_length_arcs_match_networkx(inst, k):
    n, src, dst, w, rng = inst
    net = Network.from_arcs(src, dst, w, np.zeros(n), np.zeros(n))
    g = _nx(n, src, dst, w)
    sinks = rng.choice(n, size=min(k, n), replace=False)
    tree = sink_tree(net, net.length_m, sinks)
    ref = nx.multi_source_dijkstra_path_length(
        g.reverse(copy=True), set(sinks.tolist()), weight="w"
    )
    for v in range(n):
        assert tree.dist[v] == ref.get(v, np.inf)
        # the tree path is made of network arcs whose lengths sum to the distance
        if np.isfinite(tree.dist[v]):
            total, x = 0.0, v
            while tree.parent[x] >= 0:
                e = tree.parent_arc[x]
                assert net.arc_source[e] == x and net.arc_target[e] == tree.parent[x]
                total += net.length_m[e]
                x = tree.parent[x]
            assert x in sinks.tolist() and total == tree.dist[v]
    fwd = source_tree(net, net.length_m, sinks)
    ref_f = nx.multi_source_dijkstra_path_length(g, set(sinks.tolist()), weight="w")
    assert all(fwd.dist[v] == ref_f.get(v, np.inf) for v in range(n))
    # components: zero-length arcs join nodes like any other arc
    labels = net.components("strong")[:n]
    for comp in nx.strongly_connected_components(g):
        assert len({int(labels[v]) for v in comp}) == 1
    assert len(set(labels.tolist())) == nx.number_strongly_connected_components(g)


@pytest.mark.parametrize("objective", ["cost", "interception"])
@given(data=st.data())
@settings(max_examples=20, deadline=None)
def test_interdiction_with_zero_length_arcs_equals_brute_force(objective, data):
    n, src, dst, w, rng = data.draw(zero_heavy())
    src, dst, w = np.concatenate([src, dst]), np.concatenate([dst, src]), np.concatenate([w, w])
    net = Network.from_arcs(src, dst, w, np.zeros(n), np.zeros(n))
    if n < 3:
        return
    nodes = rng.permutation(n)
    p = Problem(
        net.length_m.copy(),
        np.zeros(net.n_arcs),
        nodes[:1],
        np.zeros(1),
        np.zeros(1),
        nodes[1:3],
        np.array([3.0, 5.0]),
        risk_weight=1.0,
        sink_capacity=np.array([10.0]),
    )
    try:
        sites = build_sites(net, p, "arcs", delay=2.0, p_detect=0.3, max_units=1)
        sites = sites.subset(np.arange(min(sites.size, 8)))
        best, _ = brute_force(net, p, sites, 2.0, objective)
        r = optimize(net, p, sites, 2.0, objective=objective, method="milp", time_limit=30)
    except InputError:
        return  # no origin reaches the crossing, or no site on an open road
    assert abs(r.objective_value - best) <= 1e-6 * max(1.0, abs(best))


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def _build(tmp_path, edges_text, name="net"):
    from reten.network import storage
    from reten.network.interchange import read_edge_csv

    net = read_edge_csv(_write(tmp_path, f"{name}.csv", edges_text))
    storage.save(net, tmp_path / name)
    return net


def test_case03_zero_length_connector_route_is_5_km(tmp_path):
    from reten.api import run

    net = _build(
        tmp_path,
        "source,target,length_m\nlab,gate,0\ngate,lab,0\ngate,border,5000\nborder,gate,5000\n",
    )
    assert net.n_arcs == 4  # both connectors kept
    sc = _write(
        tmp_path,
        "s.toml",
        'name = "c"\n[network]\npath = "net"\n[costs]\nmode = "length_km"\n'
        '[[origins]]\nnode = "lab"\nvolume_kg = 10\n[[destinations]]\nnode = "border"\n',
    )
    r = run(sc).routes
    g = nx.DiGraph()
    for u, v, km in [
        ("lab", "gate", 0),
        ("gate", "lab", 0),
        ("gate", "border", 5),
        ("border", "gate", 5),
    ]:
        g.add_edge(u, v, km=km)
    want = nx.shortest_path_length(g, "lab", "border", weight="km")
    assert want == 5.0 and r.origin_cost[0] == pytest.approx(want, abs=1e-9)
    assert r.origin_length_km[0] == pytest.approx(5.0, abs=1e-9)


@pytest.mark.parametrize("method", ["fw", "cfw", "qp"])
def test_case03_braess_equilibrium_cost_is_80(tmp_path, method):
    from reten.api import run

    net = _build(
        tmp_path,
        "source,target,length_m,capacity_kg\nO,A,0,100\nA,D,45000,0\nO,B,45000,0\n"
        "B,D,0,100\nA,B,0,0\n",
        "net_braess",
    )
    assert net.n_arcs == 5
    sc = _write(
        tmp_path,
        "b.toml",
        'name = "b"\n[network]\npath = "net_braess"\n[costs]\nmode = "length_km"\n'
        '[congestion]\nalpha = 1.0\ndelta = 1.0\narc_capacity_attr = "capacity_kg"\n'
        f'method = "{method}"\ntarget_gap = 1e-9\n'
        '[[origins]]\nnode = "O"\nvolume_kg = 4000\n[[destinations]]\nnode = "D"\n',
    )
    res = run(sc)
    net, r = res.network, res.routes
    # Braess (1968): all 4000 on O-A-B-D costs 40 + 0 + 40 = 80; O-A-D and O-B-D cost 85
    assert r.origin_cost[0] == pytest.approx(80.0, abs=1e-3)
    ab = int(net.arc_id(np.array([net.node_index()["A"]]), np.array([net.node_index()["B"]]))[0])
    assert r.arc_flow_kg[ab] == pytest.approx(4000.0, rel=1e-4)


@pytest.mark.parametrize("method", ["fw", "qp"])
def test_congested_parallel_roads_split_as_the_analytic_equilibrium(tmp_path, method):
    # two parallel roads O->D: t1 = 10 + x1/100 (10 km), t2 = 20 + x2/50 (20 km); 3000 kg.
    # Wardrop: 10 + x1/100 = 20 + (3000 - x1)/50 -> x1 = 2333.33, cost 33.33 on both.
    from reten.api import run

    net = _build(
        tmp_path,
        "source,target,length_m,capacity_kg\nO,D,10000,100\nO,D,20000,50\n",
    )
    assert net.meta["changed"]["parallel_split"] == 1
    sc = _write(
        tmp_path,
        "p.toml",
        'name = "p"\n[network]\npath = "net"\n[costs]\nmode = "length_km"\n'
        '[congestion]\nalpha = 1.0\ndelta = 1.0\narc_capacity_attr = "capacity_kg"\n'
        f'method = "{method}"\ntarget_gap = 1e-10\n'
        '[[origins]]\nnode = "O"\nvolume_kg = 3000\n[[destinations]]\nnode = "D"\n',
    )
    res = run(sc)
    net, r = res.network, res.routes
    x1 = (20 - 10 + 3000 / 50) / (1 / 100 + 1 / 50)
    assert r.origin_cost[0] == pytest.approx(10 + x1 / 100, abs=1e-3)
    direct = int(net.arc_id(np.array([0]), np.array([1]))[0])
    assert r.arc_flow_kg[direct] == pytest.approx(x1, rel=1e-3)


def test_build_summary_says_what_changed_and_why():
    from reten.network.build import summary

    net = Network.from_arcs(
        np.array([0, 0, 1, 1]),
        np.array([1, 1, 1, 0]),
        np.array([1.0, 2.0, 1.0, 0.0]),
        np.zeros(2),
        np.zeros(2),
    )
    s = summary(net)
    assert s["dropped"] == {"self_loops": 1}
    assert s["changed"] == {"parallel_split": 1, "split_nodes": 1}
    assert set(s["why"]) == {"self_loops", "parallel_split", "split_nodes"}
    assert all(s["why"].values())
    net2 = dataclasses.replace(net, meta={})
    assert summary(net2)["dropped"] == {} and summary(net2)["why"] == {}
