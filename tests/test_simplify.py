"""Chain contraction keeps every road: no parallel arc, no self-loop, true counts."""

from __future__ import annotations

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reten.network.model import Network
from reten.network.simplify import simplify_chains


@st.composite
def chainy(draw):
    """Junctions joined by roads that are chains of degree-2 nodes (some parallel, rings)."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    hubs = draw(st.integers(1, 5))
    roads = draw(st.integers(1, 8))
    n = hubs
    src, dst, w = [], [], []
    for _ in range(roads):
        a, b = (int(x) for x in rng.integers(0, hubs, 2))
        k = int(rng.integers(0, 4))  # interior nodes
        chain = [a, *range(n, n + k), b]
        n += k
        two_way = rng.random() < 0.7
        for u, v in zip(chain[:-1], chain[1:], strict=True):
            x = float(rng.choice([0.0, 1.0, 2.5, 4.0]))
            src.append(u)
            dst.append(v)
            w.append(x)
            if two_way:
                src.append(v)
                dst.append(u)
                w.append(x)
    return n, np.array(src), np.array(dst), np.array(w)


@given(chainy())
@settings(max_examples=120, deadline=None)
def test_simplify_keeps_distances_roads_and_counts(inst):
    from scipy.sparse.csgraph import dijkstra

    n, src, dst, w = inst
    raw = Network.from_arcs(src, dst, w, np.arange(n, dtype=float), np.zeros(n))
    simple = simplify_chains(raw)
    # no parallel arcs, no self-loops, nothing dropped, every metre of road kept
    pairs = set(zip(simple.arc_source.tolist(), simple.arc_target.tolist(), strict=True))
    assert len(pairs) == simple.n_arcs and not (simple.arc_source == simple.arc_target).any()
    assert simple.meta["dropped"]["self_loops"] == raw.meta["dropped"]["self_loops"]
    assert simple.meta["changed"]["parallel_split"] == raw.meta["changed"]["parallel_split"]
    assert np.isclose(simple.length_m.sum(), raw.length_m.sum(), rtol=0, atol=1e-9)
    removed = raw.n_nodes - simple.n_nodes
    assert simple.meta.get("simplified_nodes", 0) == removed
    assert simple.meta["changed"].get("contracted_nodes", 0) == removed
    # distances between kept nodes equal NetworkX's on the raw graph
    g = nx.DiGraph()
    g.add_nodes_from(range(raw.n_nodes))
    for e in range(raw.n_arcs):
        g.add_edge(int(raw.arc_source[e]), int(raw.arc_target[e]), w=float(raw.length_m[e]))
    raw_of = {k: i for i, k in enumerate(raw.node_key.tolist())}
    d = dijkstra(simple.csr(), indices=np.arange(simple.n_nodes))
    for s in range(simple.n_nodes):
        ref = nx.single_source_dijkstra_path_length(g, raw_of[simple.node_key[s]], weight="w")
        for t in range(simple.n_nodes):
            want = ref.get(raw_of[simple.node_key[t]], np.inf)
            assert d[s, t] == want or np.isclose(d[s, t], want)
    # a second pass (contraction can make new degree-2 nodes) keeps the counts true
    again = simplify_chains(simple)
    assert again.meta.get("simplified_nodes", 0) == raw.n_nodes - again.n_nodes
    assert np.isclose(again.length_m.sum(), raw.length_m.sum(), rtol=0, atol=1e-9)


def test_ring_of_degree_two_nodes_survives():
    # a two-way ring 0-1-2-3-0 with nothing else: every road must survive
    src = np.array([0, 1, 1, 2, 2, 3, 3, 0])
    dst = np.array([1, 0, 2, 1, 3, 2, 0, 3])
    raw = Network.from_arcs(src, dst, np.ones(8), np.arange(4.0), np.zeros(4))
    simple = simplify_chains(raw)
    assert simple.length_m.sum() == 8.0
    assert simple.n_nodes == 3  # a triangle is the smallest ring without parallel arcs


def test_counts_add_up_over_passes():
    raw = Network.from_arcs(
        np.array([0, 1, 1, 2]),
        np.array([1, 0, 2, 1]),
        np.ones(4),
        np.arange(3.0),
        np.zeros(3),
        meta={"simplified_nodes": 5, "changed": {"contracted_nodes": 5}},
    )
    simple = simplify_chains(raw)
    assert simple.n_nodes == 2
    assert simple.meta["simplified_nodes"] == 6 and simple.meta["changed"]["contracted_nodes"] == 6


def test_merged_geometry_is_the_chain_in_order():
    # two-way road 0 - 1 - 2 with bent geometry; node 1 is a plain degree-2 junction
    g01 = np.array([[0.0, 0.0], [0.5, 0.2], [1.0, 0.0]])
    g12 = np.array([[1.0, 0.0], [1.5, -0.2], [2.0, 0.0]])
    raw = Network.from_arcs(
        np.array([0, 1, 1, 2]),
        np.array([1, 0, 2, 1]),
        np.array([3.0, 3.0, 4.0, 4.0]),
        np.array([0.0, 1.0, 2.0]),
        np.zeros(3),
        geometry=[g01, g01[::-1], g12, g12[::-1]],
        arc_attrs={"p_detect": np.full(4, 0.1)},
    )
    simple = simplify_chains(raw)
    assert simple.n_nodes == 2 and simple.n_arcs == 2
    ix = simple.node_index()
    e = int(simple.arc_id(np.array([ix[0]]), np.array([ix[2]]))[0])
    want = np.vstack([g01, g12[1:]])
    assert np.array_equal(simple.arc_geometry(e), want)
    r = int(simple.arc_id(np.array([ix[2]]), np.array([ix[0]]))[0])
    assert np.array_equal(simple.arc_geometry(r), want[::-1])
    assert simple.length_m[e] == 7.0 and simple.arc_attrs["p_detect"][e] == 0.1


def _removable_reference(net):
    """The rule written out node by node with Python sets."""
    out = np.zeros(net.n_nodes, bool)
    for v in range(net.n_nodes):
        if net.node_kind[v] != 0 or net.node_name[v] != "":
            continue
        outs = list(range(net.indptr[v], net.indptr[v + 1]))
        ins = net.rev_arc[net.rev_indptr[v] : net.rev_indptr[v + 1]].tolist()
        succ = {int(net.arc_target[a]) for a in outs}
        pred = {int(net.arc_source[a]) for a in ins}
        if len(outs) == 2 and len(ins) == 2:
            ok = succ == pred and len(succ) == 2
        elif len(outs) == 1 and len(ins) == 1:
            ok = succ != pred
        else:
            ok = False
        arcs = outs + ins
        for a in (net.road_class, net.toll, net.speed_kmh, *net.arc_attrs.values()):
            ok = ok and len({np.asarray(a)[x] for x in arcs}) == 1
        out[v] = ok
    return out


@given(chainy(), st.integers(0, 2**32 - 1))
@settings(max_examples=80, deadline=None)
def test_removable_nodes_follow_the_rule(inst, seed):
    from reten.network.simplify import removable_nodes

    n, src, dst, w = inst
    rng = np.random.default_rng(seed)
    m = src.size
    net = Network.from_arcs(
        src,
        dst,
        w,
        np.arange(n, dtype=float),
        np.zeros(n),
        speed_kmh=rng.choice([50.0, 80.0], m),
        toll=rng.random(m) < 0.2,
        arc_attrs={"name": rng.choice(np.array(["a", "b"], dtype=object), m)},
        node_name=np.where(rng.random(n) < 0.1, "x", "").astype(object),
    )
    assert np.array_equal(removable_nodes(net), _removable_reference(net))
