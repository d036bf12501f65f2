"""The Network array model: CSR invariants, views, storage round trips."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reten.network import storage
from reten.network.model import Network


@st.composite
def arc_lists(draw, max_nodes=12, max_arcs=40):
    n = draw(st.integers(1, max_nodes))
    m = draw(st.integers(0, max_arcs))
    src = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    dst = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    length = draw(st.lists(st.sampled_from([0.0, 1.0, 2.5, 7.0, 10.0]), min_size=m, max_size=m))
    return n, np.array(src, int), np.array(dst, int), np.array(length)


@given(arc_lists())
@settings(max_examples=60, deadline=None)
def test_from_arcs_keeps_shortest_parallel_and_drops_loops(data):
    n, src, dst, length = data
    net = Network.from_arcs(src, dst, length, np.zeros(n), np.zeros(n))
    # reference: shortest positive arc per ordered pair, no loops
    best: dict[tuple[int, int], float] = {}
    for u, v, w in zip(src, dst, length, strict=True):
        if u != v and w > 0:
            best[(u, v)] = min(best.get((u, v), np.inf), w)
    got = {
        (int(u), int(v)): float(w)
        for u, v, w in zip(net.arc_source, net.arc_target, net.length_m, strict=True)
    }
    assert got == best
    # forward CSR rows hold each node's out-arcs; reverse CSR each node's in-arcs
    for v in range(n):
        out = set(range(net.indptr[v], net.indptr[v + 1]))
        assert out == set(np.flatnonzero(net.arc_source == v).tolist())
        inn = set(net.rev_arc[net.rev_indptr[v] : net.rev_indptr[v + 1]].tolist())
        assert inn == set(np.flatnonzero(net.arc_target == v).tolist())
    ids = net.arc_id(net.arc_source, net.arc_target)
    assert (ids == np.arange(net.n_arcs)).all()


def test_arrays_are_immutable():
    net = Network.from_arcs(np.array([0]), np.array([1]), np.array([5.0]), np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError):
        net.length_m[0] = 1.0


@given(arc_lists(), st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_subgraph_matches_networkx(data, seed):
    n, src, dst, length = data
    net = Network.from_arcs(src, dst, length, np.zeros(n), np.zeros(n))
    mask = np.random.default_rng(seed).random(n) < 0.6
    sub = net.subgraph(mask)
    g = nx.DiGraph()
    g.add_edges_from((int(u), int(v)) for u, v in zip(net.arc_source, net.arc_target, strict=True))
    ref = g.subgraph(np.flatnonzero(mask).tolist())
    parent = sub.node_attrs["parent_node"]
    got = {
        (int(parent[u]), int(parent[v]))
        for u, v in zip(sub.arc_source, sub.arc_target, strict=True)
    }
    assert got == set(ref.edges)


def test_with_costs_shares_arrays_and_checks_length():
    net = Network.from_arcs(
        np.array([0, 1]), np.array([1, 0]), np.array([5.0, 6.0]), np.zeros(2), np.zeros(2)
    )
    v = net.with_costs(cost=np.array([1.0, 2.0]))
    assert v.length_m is net.length_m and v.arc_attrs["cost"][1] == 2.0
    with pytest.raises(ValueError):
        net.with_costs(cost=np.array([1.0]))


@given(arc_lists(max_nodes=30, max_arcs=80))
@settings(max_examples=20, deadline=None)
def test_storage_round_trip_is_bit_identical(tmp_path_factory, data):
    n, src, dst, length = data
    rng = np.random.default_rng(n)
    net = Network.from_arcs(
        src,
        dst,
        length,
        rng.random(n),
        rng.random(n),
        node_name=np.array([f"n{i}" for i in range(n)], dtype=object),
        geometry=[np.array([[0.0, 0.0], [1.0, 1.0]])] * src.size,
    )
    d = tmp_path_factory.mktemp("net") / "saved"
    storage.save(net, d)
    back = storage.load(d, verify=True)
    assert back.content_hash() == net.content_hash()
    for name, arr in net._hashable_arrays().items():
        b = back._hashable_arrays()[name]
        assert np.asarray(arr).dtype == np.asarray(b).dtype or arr.dtype == object, name
        assert np.array_equal(arr, b), name
