"""The line builder's topology against independent references (shapely, pyproj, NetworkX).

Rule under test (module docstring of reten.network.lines): nodes at line ends (snapped),
T-junctions where a line end lies on another line, shared interior vertices only with
``split_interior``, crossings never joined; every piece kept; geodesic lengths.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer
from scipy.sparse.csgraph import dijkstra

from reten.network.lines import from_geodataframe

UTM = "EPSG:32613"
X0, Y0, CELL = 500_000, 2_800_000, 100
GEOD = Geod(ellps="WGS84")
TO_LONLAT = Transformer.from_crs(UTM, 4326, always_xy=True)
TO_UTM = Transformer.from_crs(4326, UTM, always_xy=True)


def geodesic_length(xy: np.ndarray) -> float:
    """Oracle: WGS84 geodesic length of a polyline given in UTM metres (pyproj)."""
    lon, lat = TO_LONLAT.transform(xy[:, 0], xy[:, 1])
    return float(GEOD.line_length(lon, lat))


@st.composite
def monotone_lines(draw):
    """Random simple polylines on a 7x7 grid (cell 100 m): each is monotone in x or in y."""
    k = draw(st.integers(1, 10))
    lines = []
    for _ in range(k):
        axis = draw(st.integers(0, 1))
        a = draw(st.integers(0, 4))
        b = draw(st.integers(0, 6))
        pts = [(a, b)]
        for _ in range(draw(st.integers(1, 3))):
            step = draw(st.integers(1, 2))
            side = draw(st.integers(-2, 2))
            x, y = pts[-1]
            nxt = (x + step, min(6, max(0, y + side)))
            if nxt[0] > 6:
                break
            pts.append(nxt)
        if len(pts) < 2:
            pts.append((pts[0][0] + 1, pts[0][1]))
        if axis:
            pts = [(y, x) for x, y in pts]
        lines.append([(X0 + CELL * x, Y0 + CELL * y) for x, y in pts])
    return lines


def reference_graph(lines, split_interior):
    """NetworkX MultiGraph built by the documented rule with shapely (planar, exact grid).

    Cut points of each line: its ends; every other line's end lying on it (a T-junction);
    with ``split_interior`` its interior vertices that are vertices of another line.
    Piece lengths are geodesic (pyproj) between the cut points.
    """
    geoms = [shapely.LineString(ln) for ln in lines]
    ends = [p for ln in lines for p in (ln[0], ln[-1])]
    g = nx.MultiGraph()
    for i, (ln, geom) in enumerate(zip(lines, geoms, strict=True)):
        cuts = {0.0, geom.length}
        for p in ends:
            if p in (ln[0], ln[-1]):
                continue
            if geom.distance(shapely.Point(p)) == 0:
                cuts.add(geom.project(shapely.Point(p)))
        if split_interior:
            others = {q for j, o in enumerate(lines) if j != i for q in o}
            for q in ln[1:-1]:
                if q in others:
                    cuts.add(geom.project(shapely.Point(q)))
        cuts_s = sorted(cuts)
        for a, b in zip(cuts_s[:-1], cuts_s[1:], strict=True):
            piece = shapely.ops.substring(geom, a, b)
            xy = np.asarray(piece.coords)
            u = tuple(int(round(c)) for c in xy[0])
            v = tuple(int(round(c)) for c in xy[-1])
            g.add_nodes_from([u, v])
            if u != v:
                g.add_edge(u, v, w=geodesic_length(xy))
    return g


def _node_keys(net):
    x, y = TO_UTM.transform(net.node_lon, net.node_lat)
    return [(int(round(a)), int(round(b))) for a, b in zip(x, y, strict=True)]


@given(monotone_lines(), st.booleans(), st.sampled_from([0.0, 3.0]))
@settings(max_examples=80, deadline=None)
def test_builder_matches_shapely_networkx_reference(lines, split, jitter):
    import shapely.ops  # noqa: F401  (substring)

    rng = np.random.default_rng(len(lines))
    geoms = []
    for ln in lines:
        arr = np.array(ln, dtype=float)
        arr[[0, -1]] += rng.uniform(-jitter, jitter, size=(2, 2)) / 2
        geoms.append(shapely.linestrings(arr))
    gdf = gpd.GeoDataFrame(geometry=geoms, crs=UTM)
    # 10 m snapping merges the jittered ends (|jitter| <= 1.5 m per axis) but no grid cells
    # (a grid point off a segment is at least 44 m from it)
    net = from_geodataframe(gdf, snap_m=10.0, split_interior=split)
    ref = reference_graph(lines, split)
    keys = [
        (int(round((a - X0) / CELL)) * CELL + X0, int(round((b - Y0) / CELL)) * CELL + Y0)
        for a, b in zip(*TO_UTM.transform(net.node_lon, net.node_lat), strict=True)
    ]
    # nodes added to split a parallel road (negative keys) are not junctions of the data
    real = np.asarray(net.node_key) >= 0
    assert int((~real).sum()) == net.meta["changed"]["split_nodes"]
    assert sorted(k for k, r in zip(keys, real, strict=True) if r) == sorted(ref.nodes)
    if jitter == 0:  # exact: every junction node is on its grid point
        x, y = TO_UTM.transform(net.node_lon[real], net.node_lat[real])
        assert np.allclose(x, np.round(x), atol=1e-5) and np.allclose(y, np.round(y), atol=1e-5)
    idx = {k: i for i, (k, r) in enumerate(zip(keys, real, strict=True)) if r}
    comp_ref = {frozenset(c) for c in nx.connected_components(ref)}
    labels = net.components("weak")
    comp_got = {
        frozenset(k for k, lab, r in zip(keys, labels, real, strict=True) if lab == c and r)
        for c in set(labels[real].tolist())
    }
    assert comp_got == comp_ref
    # every piece survives (parallel roads too): the total length is the reference's
    total_ref = 2 * sum(w for _, _, w in ref.edges(data="w"))
    tol_len = 1e-6 * total_ref if jitter == 0 else 5.0 * max(1, ref.number_of_edges())
    assert abs(float(net.length_m.sum()) - total_ref) <= tol_len + 1e-6
    d = dijkstra(net.csr(), directed=True)
    ref_d = dict(nx.all_pairs_dijkstra_path_length(ref, weight="w"))
    for u in ref.nodes:
        for v in ref.nodes:
            want = ref_d[u].get(v, np.inf)
            got = d[idx[u], idx[v]]
            if np.isinf(want):
                assert np.isinf(got), (u, v)
            else:
                tol = 1e-6 * want + 1e-6 if jitter == 0 else 10.0 * len(lines)
                assert abs(got - want) <= tol, (u, v, got, want)


@st.composite
def t_instances(draw):
    """Through roads and branch ends placed near a random point of one of them."""
    n_roads = draw(st.integers(1, 3))
    roads = []
    for r in range(n_roads):
        y = Y0 + 1000.0 * r
        xs = sorted(draw(st.lists(st.floats(0, 2000), min_size=2, max_size=4, unique=True)))
        ys = [y + draw(st.floats(-150, 150)) for _ in xs]
        roads.append(np.column_stack([X0 + np.array(xs), ys]))
    branches = []
    for _ in range(draw(st.integers(1, 4))):
        r = draw(st.integers(0, n_roads - 1))
        frac = draw(st.floats(0.05, 0.95))
        off = draw(st.one_of(st.floats(0.0, 0.8), st.floats(1.25, 3.0)))
        side = draw(st.sampled_from([-1.0, 1.0]))
        branches.append((r, frac, off * side))
    return roads, branches


@given(t_instances())
@settings(max_examples=60, deadline=None)
def test_t_junctions_against_shapely(data):
    """A branch end within snap_m of a road joins it at shapely's nearest point; else not."""
    import shapely.ops

    roads, branches = data
    snap = 2.0
    road_geoms = [shapely.LineString(r) for r in roads]
    lines = [r.copy() for r in roads]
    expect = []  # (branch line index, road index or None, position along road)
    for r, frac, off in branches:
        g = road_geoms[r]
        p = g.interpolate(frac, normalized=True)
        q = g.interpolate(min(g.length, frac * g.length + 1.0))
        t = np.array([q.x - p.x, q.y - p.y])
        t /= np.hypot(*t)
        normal = np.array([-t[1], t[0]])
        end = np.array([p.x, p.y]) + off * snap * normal
        start = end + 300.0 * normal * (1 if off >= 0 else -1)
        lines.append(np.vstack([start, end]))
    # the oracle (shapely, planar UTM): which roads each branch end is within snap of
    ends = [shapely.Point(ln[-1]) for ln in lines[len(roads) :]]
    starts = [shapely.Point(ln[0]) for ln in lines[len(roads) :]]
    all_geoms = [shapely.LineString(ln) for ln in lines]
    for bi, pt in enumerate(ends):
        dists = [g.distance(pt) for g in road_geoms]
        # ambiguous draws (within 10% of the tolerance, or ends near each other) are skipped
        assume(all(abs(dd - snap) > 0.1 * snap for dd in dists))
        assume(all(pt.distance(o) > 3 * snap for j, o in enumerate(ends) if j != bi))
        assume(all(pt.distance(s) > 3 * snap for s in starts))
        assume(all(pt.distance(shapely.Point(r[k])) > 3 * snap for r in roads for k in (0, -1)))
        assume(
            all(
                g.distance(starts[bi]) > 3 * snap
                for g in all_geoms
                if g is not all_geoms[len(roads) + bi]
            )
        )
        for ri, dd in enumerate(dists):
            if dd <= snap:
                expect.append((bi, ri, road_geoms[ri].project(pt)))
    for bi in range(len(ends)):
        for bj in range(len(ends)):
            if bi != bj:
                assume(
                    all_geoms[len(roads) + bi].distance(all_geoms[len(roads) + bj]) > 3 * snap
                    or bi > bj
                )
    gdf = gpd.GeoDataFrame(geometry=[shapely.LineString(ln) for ln in lines], crs=UTM)
    net = from_geodataframe(gdf, snap_m=snap)
    assert net.meta["t_junctions"] == len(expect)
    # reten's nodes nearest to each branch end and to each road's start
    nx_, ny_ = TO_UTM.transform(net.node_lon, net.node_lat)
    nodes_xy = np.column_stack([nx_, ny_])

    def node_at(p):
        dd = np.hypot(*(nodes_xy - np.asarray(p)).T)
        assert dd.min() <= snap
        return int(np.argmin(dd))

    d = dijkstra(net.csr(), directed=True)
    for bi, pt in enumerate(ends):
        joined = {ri: pos for b, ri, pos in expect if b == bi}
        for ri, road in enumerate(roads):
            a = node_at(road[0])
            got = d[node_at((pt.x, pt.y)), a]
            if ri in joined:
                # along the road from its start to the join (oracle: geodesic of the substring)
                sub = shapely.ops.substring(road_geoms[ri], 0, joined[ri])
                want = geodesic_length(np.asarray(sub.coords))
                assert abs(got - want) <= snap + 1e-3, (bi, ri, got, want)
            else:
                # not joined to this road, nor to any road joined to it via another branch
                others = {r for b, r, _ in expect if b == bi}
                if not others:
                    assert np.isinf(got), (bi, ri, got)


def test_crossing_without_shared_vertex_stays_apart():
    """A bridge: two roads crossing mid-segment are not joined, with or without split."""
    a = shapely.LineString([(X0, Y0), (X0 + 1000, Y0)])
    b = shapely.LineString([(X0 + 500, Y0 - 500), (X0 + 500, Y0 + 500)])
    for split in (False, True):
        net = from_geodataframe(gpd.GeoDataFrame(geometry=[a, b], crs=UTM), split_interior=split)
        assert net.n_nodes == 4 and net.n_arcs == 4
        assert net.components("weak").max() == 1


def test_shared_interior_vertex_joins_only_with_split_interior():
    a = shapely.LineString([(X0, Y0), (X0 + 500, Y0), (X0 + 1000, Y0)])
    b = shapely.LineString([(X0 + 500, Y0 - 500), (X0 + 500, Y0), (X0 + 500, Y0 + 500)])
    gdf = gpd.GeoDataFrame(geometry=[a, b], crs=UTM)
    assert from_geodataframe(gdf).n_nodes == 4
    net = from_geodataframe(gdf, split_interior=True)
    assert net.n_nodes == 5 and net.n_arcs == 8


def test_end_on_vertex_is_a_junction_without_split_interior():
    """A road ending at another road's interior vertex joins it (the common T-junction)."""
    a = shapely.LineString([(X0, Y0), (X0 + 500, Y0), (X0 + 1000, Y0)])
    b = shapely.LineString([(X0 + 500, Y0), (X0 + 500, Y0 + 500)])
    net = from_geodataframe(gpd.GeoDataFrame(geometry=[a, b], crs=UTM))
    assert net.n_nodes == 4 and net.n_arcs == 6
    assert net.components("weak").max() == 0


def test_parallel_roads_between_same_junctions_all_kept():
    """Case 01 (lines): the longer motorway bypass survives next to the short slow road.

    Oracle: NetworkX on a MultiDiGraph of the three roads, geodesic lengths (pyproj).
    """
    feats = [
        ([(0.0, 0.0), (0.1, 0.0)], "residential", "30"),
        ([(0.0, 0.0), (0.05, 0.02), (0.1, 0.0)], "motorway", "120"),
        ([(0.1, 0.0), (0.2, 0.0)], "residential", "30"),
    ]
    gdf = gpd.GeoDataFrame(
        {"highway": [f[1] for f in feats], "maxspeed": [f[2] for f in feats]},
        geometry=[shapely.LineString(f[0]) for f in feats],
        crs=4326,
    )
    net = from_geodataframe(gdf, columns="osm")
    g = nx.MultiDiGraph()
    for xy, _, kmh in feats:
        lon, lat = zip(*xy, strict=True)
        h = GEOD.line_length(lon, lat) / 1000 / float(kmh)
        g.add_edge(xy[0], xy[-1], h=h)
        g.add_edge(xy[-1], xy[0], h=h)
    want = nx.shortest_path_length(g, (0.0, 0.0), (0.2, 0.0), weight="h")
    assert abs(want - 0.470885) < 1e-6
    src = int(np.argmin(np.hypot(net.node_lon - 0.0, net.node_lat)))
    dst = int(np.argmin(np.hypot(net.node_lon - 0.2, net.node_lat)))
    got = dijkstra(net.csr(net.time_h), indices=src)[dst]
    assert abs(got - want) < 1e-9
    # every road's length survives: total = 2 x the three roads
    total = 2 * sum(GEOD.line_length(*zip(*f[0], strict=True)) for f in feats)
    assert abs(float(net.length_m.sum()) - total) < 1e-6


def test_two_t_junctions_at_one_point_stay_connected():
    """Two branch ends 2 m apart join a road at the same point from both sides (snap 1.5 m):
    two nodes, 1 m apart once each end is averaged with its join point, and a route across.
    """
    road = shapely.LineString([(X0, Y0), (X0 + 1000, Y0)])
    up = shapely.LineString([(X0 + 500, Y0 + 300), (X0 + 500, Y0 + 1.0)])
    down = shapely.LineString([(X0 + 500, Y0 - 300), (X0 + 500, Y0 - 1.0)])
    net = from_geodataframe(gpd.GeoDataFrame(geometry=[road, up, down], crs=UTM), snap_m=1.5)
    assert net.meta["t_junctions"] == 2
    assert net.n_nodes == 6
    a = _node_keys(net).index((X0 + 500, Y0 + 300))
    b = _node_keys(net).index((X0 + 500, Y0 - 300))
    got = dijkstra(net.csr(), indices=a)[b]
    want = geodesic_length(np.array([[X0 + 500, Y0 + 300], [X0 + 500, Y0 - 300]]))
    assert abs(got - want) < 1e-3


def test_line_through_its_own_vertex_splits_only_with_split_interior():
    """A loop that comes back through its own vertex V: a junction with split_interior
    (the loop itself is then a self-loop and goes, counted), an overpass without."""
    pts = [(0, 0), (500, 0), (1000, 0), (1000, 500), (500, 500), (500, 0), (500, -500)]
    xy = np.array([(X0 + x, Y0 + y) for x, y in pts], dtype=float)
    gdf = gpd.GeoDataFrame(geometry=[shapely.LineString(xy)], crs=UTM)
    whole = geodesic_length(xy)
    net = from_geodataframe(gdf)
    assert net.n_nodes == 2 and np.allclose(net.length_m, whole, rtol=1e-12)
    net = from_geodataframe(gdf, split_interior=True)
    assert net.n_nodes == 3 and net.meta["dropped"]["self_loops"] == 2
    a = _node_keys(net).index((X0, Y0))
    b = _node_keys(net).index((X0 + 500, Y0 - 500))
    want = geodesic_length(xy[[0, 1]]) + geodesic_length(xy[[5, 6]])
    assert abs(dijkstra(net.csr(), indices=a)[b] - want) <= 1e-6 * want
