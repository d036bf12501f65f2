"""NetworkX, GeoDataFrame, CSV and DIMACS interchange round trips."""

from __future__ import annotations

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reten.data import default_network
from reten.network.interchange import (
    from_networkx,
    read_dimacs,
    read_edge_csv,
    to_geodataframe,
    to_networkx,
)


@given(st.integers(2, 30), st.integers(0, 2**32 - 1))
@settings(max_examples=30, deadline=None)
def test_networkx_round_trip(n, seed):
    g = nx.gnm_random_graph(n, 3 * n, seed=seed, directed=True)
    rng = np.random.default_rng(seed)
    for u, v in g.edges:
        g[u][v]["length_m"] = float(rng.integers(1, 100))
        g[u][v]["delay"] = float(rng.integers(0, 5))
    net = from_networkx(g)
    back = to_networkx(net)
    assert set(back.edges) == {(u, v) for u, v in g.edges if u != v}
    for u, v in back.edges:
        assert back[u][v]["length_m"] == g[u][v]["length_m"]
        assert back[u][v]["delay"] == g[u][v]["delay"]


def test_undirected_networkx_gives_two_arcs():
    g = nx.path_graph(4)
    nx.set_edge_attributes(g, 1.0, "length_m")
    assert from_networkx(g).n_arcs == 6


def test_geodataframe_export_default():
    gdf = to_geodataframe(default_network())
    assert len(gdf) == default_network().n_arcs and gdf.crs.to_epsg() == 4326
    nodes = to_geodataframe(default_network(), what="nodes")
    assert len(nodes) == default_network().n_nodes


def test_edge_csv_keeps_numeric_columns(tmp_path):
    p = tmp_path / "e.csv"
    p.write_text("source,target,length_m,delay,p_detect\n1,2,10,3,0.1\n2,3,5,4,0.2\n")
    net = read_edge_csv(p)
    assert net.node_key.tolist() == [1, 2, 3]
    assert np.allclose(net.arc_attrs["delay"], [3, 4])
    assert np.allclose(net.arc_attrs["p_detect"], [0.1, 0.2])


def test_dimacs(tmp_path):
    p = tmp_path / "g.gr"
    p.write_text("c test\np sp 3 3\na 1 2 7\na 2 3 4\na 3 1 1\n")
    net = read_dimacs(p)
    assert net.n_nodes == 3 and net.length_m.tolist() == [7.0, 4.0, 1.0]
