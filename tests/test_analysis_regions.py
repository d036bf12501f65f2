"""Region accounting (analysis/regions.py): route entries counted by walking each path."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reten.analysis.regions import production_by_region, region_flows
from reten.models.routes import solve_routes
from reten.network.model import Regions
from test_routes import problems


@given(problems(), st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_region_flows_count_route_entries(inst, seed):
    net, p = inst
    rng = np.random.default_rng(seed)
    nreg = 4
    regions = Regions(
        np.array([f"m{i}" for i in range(nreg)] + ["s0", "s1"], dtype=object),
        np.array(["x"] * (nreg + 2), dtype=object),
        np.array(["municipality"] * nreg + ["state"] * 2, dtype=object),
        np.array([4, 4, 5, 5, -1, -1], dtype=np.int32),
    )

    node_region = rng.integers(-1, nreg, net.n_nodes).astype(np.int32)
    arc_region = rng.integers(-1, nreg, net.n_arcs).astype(np.int32)
    net = dataclasses.replace(net, regions=regions, node_region=node_region, arc_region=arc_region)
    r = solve_routes(net, p)
    ref = np.zeros(nreg + 2)
    parent = regions.parent
    for i in np.flatnonzero(r.origin_crossing >= 0):
        path = r.path(i)
        places = [node_region[p.origin_node[i]]]
        for a in path:
            places.append(arc_region[a] if arc_region[a] >= 0 else node_region[net.arc_source[a]])
            places.append(node_region[net.arc_target[a]])
        for lift in (lambda x: x, lambda x: parent[x] if x >= 0 else -1):
            seq = [lift(x) for x in places]
            prev = None
            for j, x in enumerate(seq):
                # an arc without a region takes its source node's, so it never starts an entry
                if x >= 0 and (j == 0 or x != prev):
                    ref[x] += p.origin_volume_kg[i]
                prev = x
    assert np.allclose(region_flows(net, r), ref)


@given(problems(), st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_production_by_region_sums_volumes_per_ancestor(inst, seed):
    net, p = inst
    rng = np.random.default_rng(seed)
    regions = Regions(
        np.array(["m0", "m1", "m2", "s0"], dtype=object),
        np.array(["x"] * 4, dtype=object),
        np.array(["municipality"] * 3 + ["state"], dtype=object),
        np.array([3, 3, -1, -1], dtype=np.int32),
    )
    node_region = rng.integers(-1, 3, net.n_nodes).astype(np.int32)
    net = dataclasses.replace(net, regions=regions, node_region=node_region)
    after = rng.permutation(p.origin_node)
    rows = production_by_region(net, p.origin_node, p.origin_volume_kg, after, p.origin_volume_kg)
    got = {(r, lvl): (b, a) for r, lvl, b, a in rows}
    for r in range(4):
        members = [r] if r < 3 else [0, 1, 3]
        b = p.origin_volume_kg[np.isin(node_region[p.origin_node], members)].sum()
        a = p.origin_volume_kg[np.isin(node_region[after], members)].sum()
        key = (r, str(regions.level[r]))
        if a > 0 or b > 0:
            assert np.isclose(got[key][0], b) and np.isclose(got[key][1], a)
        else:
            assert key not in got
