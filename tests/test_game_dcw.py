"""The security game on the national DCW network (skips without ../shared/data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import MEXICO, need
from reten.models.game import build_instance, mixed_value, solve_game
from reten.models.interdiction import build_sites
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
    origins = []
    for r in [i for i, c in enumerate(codes) if len(c) == 5 and c.startswith(STATES)]:
        nodes = np.flatnonzero(net.node_region == r)
        if nodes.size:
            origins.append(nodes[0])
    origins = np.array(origins)
    zeros = np.zeros(sinks.size)
    p = Problem(
        net.length_m / 1000.0,
        np.zeros(net.n_arcs),
        sinks,
        zeros,
        zeros,
        origins,
        np.full(origins.size, 10.0),
    )
    return net, p


@pytest.mark.parametrize("kind,k", [("arcs", 4), ("nodes", 3)])
def test_game_is_certified_on_the_national_network(national, kind, k):
    net, p = national
    assert p.origin_node.size >= 40
    sites = build_sites(net, p, kind, delay=0.0, p_detect=0.2)
    r = solve_game(net, p, sites, k, gap=1e-4, time_limit=120, pure_time_limit=10)
    assert r.status == "optimal", (r.status, r.lower_bound, r.upper_bound)
    assert r.upper_bound - r.lower_bound <= 1e-4 * r.upper_bound + 1e-9
    log = np.array(r.log)
    assert (log[:, 1] <= log[:, 2] + 1e-9).all()
    assert r.value_of_randomisation >= 0
    assert all(s.size <= k for s in r.sets) and abs(r.probability.sum() - 1) < 1e-9
    # the schedule's value, re-evaluated by a fresh exact attacker
    inst = build_instance(net, p, sites, k)
    lo, hi = mixed_value(inst, r.sets, r.probability)
    assert abs(lo - r.value) <= 1e-9 * r.value and hi - lo <= 1e-9 * r.value
    assert r.value <= p.origin_volume_kg.sum()
