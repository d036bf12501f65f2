"""The line builder against a NetworkX reference on random line sets."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from reten.network.lines import from_geodataframe

UTM = "EPSG:32613"


@st.composite
def line_sets(draw):
    """Random polylines on a 6x6 grid of 100 m cells (UTM metres), 2-4 vertices each."""
    k = draw(st.integers(1, 12))
    lines = []
    for _ in range(k):
        nv = draw(st.integers(2, 4))
        pts = draw(
            st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=nv, max_size=nv)
        )
        lines.append([(500_000 + 100 * x, 2_800_000 + 100 * y) for x, y in pts])
    jitter = draw(st.sampled_from([0.0, 3.0]))
    return lines, jitter


def reference_graph(lines, split_interior):
    """NetworkX reference: nodes at line ends (and shared vertices), planar lengths."""
    count: dict[tuple, int] = {}
    for ln in lines:
        for p in ln:
            count[p] = count.get(p, 0) + 1
    ends = {ln[0] for ln in lines} | {ln[-1] for ln in lines}
    g = nx.Graph()
    for ln in lines:
        cut = [0]
        for i in range(1, len(ln) - 1):
            if split_interior and (ln[i] in ends or count[ln[i]] >= 2):
                cut.append(i)
        cut.append(len(ln) - 1)
        for a, b in zip(cut[:-1], cut[1:], strict=True):
            u, v = ln[a], ln[b]
            w = sum(
                float(np.hypot(ln[i + 1][0] - ln[i][0], ln[i + 1][1] - ln[i][1]))
                for i in range(a, b)
            )
            if u == v or w == 0:
                continue
            if not g.has_edge(u, v) or g[u][v]["w"] > w:
                g.add_edge(u, v, w=w)
        g.add_nodes_from([ln[0], ln[-1]])
    return g


@given(line_sets(), st.booleans())
@settings(max_examples=80, deadline=None)
def test_builder_matches_networkx_reference(data, split):
    lines, jitter = data
    rng = np.random.default_rng(len(lines))
    geoms = []
    for ln in lines:
        arr = np.array(ln, dtype=float)
        arr[[0, -1]] += rng.uniform(-jitter, jitter, size=(2, 2)) / 2
        geoms.append(shapely.linestrings(arr))
    gdf = gpd.GeoDataFrame(geometry=geoms, crs=UTM)
    # 10 m snapping merges the jittered ends (|jitter| <= 1.5 m per axis) but no grid cells
    net = from_geodataframe(gdf, snap_m=10.0, split_interior=split)
    ref = reference_graph(lines, split)
    # map reten nodes to reference nodes by nearest grid point (projected coordinates)
    from pyproj import Transformer

    tr = Transformer.from_crs(4326, UTM, always_xy=True)
    x, y = tr.transform(net.node_lon, net.node_lat)
    keys = [
        (
            int(round((a - 500_000) / 100)) * 100 + 500_000,
            int(round((b - 2_800_000) / 100)) * 100 + 2_800_000,
        )
        for a, b in zip(x, y, strict=True)
    ]
    ref_nodes = [nd for nd in ref.nodes if ref.degree(nd) > 0 or True]
    # nodes added to split a parallel road (negative keys) are not grid points
    real = [i for i, k in enumerate(net.node_key.tolist()) if k >= 0]
    assert sorted(keys[i] for i in real) == sorted(ref_nodes)
    idx = {keys[i]: i for i in real}
    # same components
    comp_ref = {frozenset(c) for c in nx.connected_components(ref)}
    labels = net.components("weak")
    comp_got = {
        frozenset(keys[i] for i in real if labels[i] == c) for c in set(labels[real].tolist())
    }
    assert comp_got == comp_ref
    # same shortest-path lengths (jittered ends move lengths by at most a few metres)
    d = dijkstra(net.csr(), directed=True)
    ref_d = dict(nx.all_pairs_dijkstra_path_length(ref, weight="w"))
    tol = 1e-6 if jitter == 0 else 10.0 * max(1, len(lines))
    for u in ref.nodes:
        for v in ref.nodes:
            want = ref_d[u].get(v, np.inf)
            got = d[idx[u], idx[v]]
            if np.isinf(want):
                assert np.isinf(got)
            else:
                assert abs(got - want) <= tol, (u, v, got, want)


def test_oneway_and_toll_columns():
    gdf = gpd.GeoDataFrame(
        {
            "CIRCULA": ["Un sentido", "Dos sentidos"],
            "PEAJE": ["Si", "No"],
            "TIPO_VIAL": ["Autopista", "Calle"],
            "VELOCIDAD": ["110", ""],
        },
        geometry=[
            shapely.linestrings([[0, 0], [1000, 0]]),
            shapely.linestrings([[1000, 0], [1000, 1000]]),
        ],
        crs=UTM,
    )
    net = from_geodataframe(gdf, columns="inegi")
    assert net.n_arcs == 3
    a = int(np.flatnonzero(net.toll)[0])
    assert net.road_class[a] == 0 and net.speed_kmh[a] == 110.0
    assert abs(net.time_h[a] - 1.0 / 110.0) < 1e-12
    assert net.toll.sum() == 1
