"""Interception on the national DCW network with many origins (skips without ../shared/data).

Before the fix, the decomposition's LP phase handed the follower fractional units such as
``-1e-12``; with every road's log-survival 0 (no enforcement yet), that made arcs
negative and Dijkstra refused them (``ValueError: arc costs must be non-negative``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import MEXICO, need
from reten.kernels.sptree import sink_tree
from reten.models.interdiction import apply_units, build_sites, optimize
from reten.network.terminals import snap_points
from reten.problem import Problem

STATES = ("25", "10")  # Sinaloa, Durango: every municipality an origin


@pytest.fixture(scope="module")
def national(dcw_network):
    net = dcw_network
    ports = pd.read_csv(need(MEXICO / "us_mexico_land_ports_bts.csv"))
    sinks = np.unique(
        snap_points(net, ports.lon.to_numpy(), ports.lat.to_numpy(), max_m=50_000).node
    )
    sinks = sinks[sinks >= 0]
    codes = net.regions.code.astype(str)
    munis = [i for i, c in enumerate(codes) if len(c) == 5 and c.startswith(STATES)]
    origins = []
    for r in munis:
        nodes = np.flatnonzero(net.node_region == r)
        if nodes.size:
            origins.append(nodes[0])
    origins = np.array(origins)
    p = Problem(
        net.length_m / 1000.0,
        np.zeros(net.n_arcs),
        sinks,
        np.zeros(sinks.size),
        np.zeros(sinks.size),
        origins,
        np.full(origins.size, 10.0),
        risk_weight=0.0,
    )
    return net, p


@pytest.mark.parametrize("kind", ["arcs", "nodes", "regions"])
def test_interception_runs_on_dcw_with_many_origins(national, kind):
    net, p = national
    assert p.origin_node.size >= 40
    sites = build_sites(net, p, kind, delay=0.0, p_detect=0.2)
    r = optimize(net, p, sites, 3, objective="interception", method="decomposition", time_limit=10)
    assert 0 <= r.lower_bound <= r.upper_bound + 1e-9
    assert r.upper_bound <= p.origin_volume_kg.sum() + 1e-6
    assert sites.resource @ r.units <= 3 + 1e-9
    # the value, recomputed: the most reliable route of each origin under the units
    q = apply_units(p, sites, r.units)
    cost_ok = np.isfinite(q.arc_cost)
    tree = sink_tree(net, np.where(cost_ok, q.arc_logsurv, np.inf), q.sink_node, q.sink_logsurv)
    d = tree.dist[p.origin_node]
    reach = np.isfinite(d)
    value = float(p.origin_volume_kg[reach] @ -np.expm1(-d[reach]))
    assert abs(value - r.objective_value) <= 1e-6 * max(1.0, value)
