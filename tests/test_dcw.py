"""Acceptance on the real DCW national roads (skipped when ../shared/data is absent)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from conftest import MEXICO, need
from reten.kernels.sptree import source_tree
from reten.network import storage
from reten.network.terminals import snap_points


def test_dcw_node_count_and_component(dcw_network):
    net = dcw_network
    assert 7000 <= net.n_nodes <= 8000
    assert net.largest_component_mask("strong").mean() >= 0.97


def test_dcw_municipality_coverage(dcw_network):
    net = dcw_network
    assert (net.node_region >= 0).mean() >= 0.99
    codes = net.regions.code[net.node_region[net.node_region >= 0]]
    assert all(len(c) == 5 for c in codes)  # CVEGEO
    # every municipality row has its state as parent
    munis = net.regions.rows_at_level("municipality")
    parents = net.regions.parent[munis]
    assert (net.regions.level[parents] == "state").all()
    assert all(
        str(net.regions.code[p]) == str(net.regions.code[m])[:2]
        for m, p in zip(munis, parents, strict=True)
    )


def test_culiacan_reaches_all_28_ports(dcw_network):
    net = dcw_network
    ports = pd.read_csv(need(MEXICO / "us_mexico_land_ports_bts.csv"))
    assert len(ports) == 28
    lcc = np.flatnonzero(net.largest_component_mask("strong"))
    pn = snap_points(
        net,
        ports.lon.to_numpy(),
        ports.lat.to_numpy(),
        max_m=50_000,
        candidates=lcc,
        names=ports.port_name.tolist(),
    ).node
    cul = snap_points(net, np.array([-107.3940]), np.array([24.8091]), max_m=10_000).node
    tree = source_tree(net, net.length_m, cul)
    assert np.isfinite(tree.dist[pn]).all()
    # and the route lengths are plausible road distances (km), e.g. Culiacán -> Nogales ~ 1,000
    nog = int(np.flatnonzero(ports.port_name == "Nogales")[0])
    assert 800 < tree.dist[pn[nog]] / 1000 < 1300


def test_dcw_save_load_bit_identical(dcw_network, tmp_path):
    net = dcw_network
    storage.save(net, tmp_path / "dcw")
    back = storage.load(tmp_path / "dcw", verify=True)
    assert back.content_hash() == net.content_hash()
    for name, arr in net._hashable_arrays().items():
        assert np.array_equal(arr, back._hashable_arrays()[name], equal_nan=arr.dtype != object), (
            name
        )
