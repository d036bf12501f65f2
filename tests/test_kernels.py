"""Shortest-path trees and flow accumulation against NetworkX on random graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reten.kernels.sptree import accumulate_tree, arc_flows, sink_tree, source_tree, tree_path
from reten.network.model import Network


@st.composite
def instances(draw):
    n = draw(st.integers(2, 25))
    m = draw(st.integers(1, 80))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    w = rng.integers(1, 20, m).astype(float) + rng.random(m) * draw(st.sampled_from([0.0, 1e-3]))
    net = Network.from_arcs(src, dst, w, np.zeros(n), np.zeros(n))
    k = draw(st.integers(1, min(4, n)))
    sinks = rng.choice(n, k, replace=False)
    sink_cost = rng.integers(0, 5, k).astype(float)
    vol = rng.integers(0, 4, net.n_nodes).astype(float)
    return net, sinks, sink_cost, vol


def nx_graph(net):
    g = nx.DiGraph()
    g.add_nodes_from(range(net.n_nodes))
    for e in range(net.n_arcs):
        g.add_edge(int(net.arc_source[e]), int(net.arc_target[e]), w=float(net.length_m[e]))
    return g


@given(instances())
@settings(max_examples=80, deadline=None)
def test_sink_tree_costs_match_networkx(inst):
    net, sinks, sc, _ = inst
    tree = sink_tree(net, net.length_m, sinks, sc)
    rev = nx_graph(net).reverse()
    best = np.full(net.n_nodes, np.inf)
    for s, c in zip(sinks.tolist(), sc.tolist(), strict=True):
        d = nx.single_source_dijkstra_path_length(rev, s, weight="w")
        for v, dv in d.items():
            best[v] = min(best[v], dv + c)
    assert np.allclose(tree.dist, best, equal_nan=False) or np.array_equal(
        np.isinf(tree.dist), np.isinf(best)
    )
    fin = np.isfinite(best)
    assert np.allclose(tree.dist[fin], best[fin])
    assert (np.isinf(tree.dist) == ~fin).all()
    # the path to the labelled root costs exactly dist
    for v in np.flatnonzero(fin):
        path = tree_path(tree, v)
        root_node = sinks[tree.root[v]]
        end = v if path.size == 0 else int(net.arc_target[path[-1]])
        assert end == root_node
        assert np.isclose(net.length_m[path].sum() + sc[tree.root[v]], tree.dist[v])


@given(instances())
@settings(max_examples=80, deadline=None)
def test_tree_flows_equal_sum_of_paths(inst):
    net, sinks, sc, vol = inst
    tree = sink_tree(net, net.length_m, sinks, sc)
    flow = arc_flows(tree, accumulate_tree(tree, vol), net.n_arcs)
    ref = np.zeros(net.n_arcs)
    for v in np.flatnonzero(np.isfinite(tree.dist)):
        ref[tree_path(tree, v)] += vol[v]
    assert np.allclose(flow, ref)


@given(instances())
@settings(max_examples=50, deadline=None)
def test_source_tree_matches_networkx(inst):
    net, sources, sc, _ = inst
    tree = source_tree(net, net.length_m, sources, sc)
    g = nx_graph(net)
    best = np.full(net.n_nodes, np.inf)
    for s, c in zip(sources.tolist(), sc.tolist(), strict=True):
        for v, dv in nx.single_source_dijkstra_path_length(g, s, weight="w").items():
            best[v] = min(best[v], dv + c)
    fin = np.isfinite(best)
    assert np.allclose(tree.dist[fin], best[fin]) and (np.isinf(tree.dist) == ~fin).all()


def test_closed_arcs_and_sinks():
    net = Network.from_arcs(
        np.array([0, 1, 0]),
        np.array([1, 2, 2]),
        np.array([1.0, 1.0, 5.0]),
        np.zeros(3),
        np.zeros(3),
    )
    cost = net.length_m.copy()
    cost[net.arc_id(np.array([1]), np.array([2]))] = np.inf
    tree = sink_tree(net, cost, np.array([2]))
    assert tree.dist[0] == 5.0 and np.isinf(tree.dist[1])
    closed = sink_tree(net, net.length_m, np.array([2]), np.array([np.inf]))
    assert np.isinf(closed.dist).all() and (closed.root == -1).all()
