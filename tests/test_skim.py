"""Skims and select-link against independent NetworkX computations on random graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oracles import nx_graph, nx_route_costs
from reten.analysis.select_link import (
    resolve_region,
    select_arcs,
    select_crossings,
    select_nodes,
)
from reten.analysis.skim import best_two, margins_frame, skim_frame, skim_matrix
from reten.errors import InputError
from reten.models.routes import solve_routes
from reten.problem import Problem
from strategies import networks


@st.composite
def problems(draw):
    """A random network with random costs, risks, origins and crossings (one maybe closed)."""
    net = draw(networks(nodes=(3, 25), arcs=(2, 90)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = net.n_nodes
    k = draw(st.integers(1, min(4, n - 1)))
    nodes = rng.permutation(n)
    sinks, origins = nodes[:k], nodes[k : k + draw(st.integers(1, n - k))]
    cost = rng.uniform(0.5, 10, net.n_arcs)
    if draw(st.booleans()):
        cost[rng.random(net.n_arcs) < 0.1] = np.inf  # closed roads
    logsurv = rng.uniform(0, 0.2, net.n_arcs) * (rng.random(net.n_arcs) < 0.4)
    sink_cost = rng.uniform(0, 5, k)
    if draw(st.booleans()):
        sink_cost[0] = np.inf
    p = Problem(
        cost,
        logsurv,
        sinks,
        sink_cost,
        rng.uniform(0, 0.1, k),
        origins,
        rng.uniform(1, 10, origins.size),
        risk_weight=draw(st.sampled_from([0.0, 50.0])),
        origin_label=np.array([f"o{i}" for i in range(origins.size)], dtype=object),
        sink_label=np.array([f"s{j}" for j in range(k)], dtype=object),
    )
    return net, p, rng


@given(problems())
@settings(max_examples=60, deadline=None)
def test_skim_equals_networkx(inst):
    net, p, _ = inst
    s = skim_matrix(net, p)
    ref = nx_route_costs(net, p)
    assert (np.isfinite(s) == np.isfinite(ref)).all()
    assert np.allclose(s[np.isfinite(s)], ref[np.isfinite(ref)])
    # the long table: one row per origin and reachable crossing, rank 1 = the cheapest
    df = skim_frame(net, p, s)
    assert len(df) == int(np.isfinite(ref).sum())
    for rec in df.itertuples():
        i, j = int(rec.origin[1:]), int(rec.crossing[1:])
        assert np.isclose(rec.cost, ref[i, j])
        assert rec.rank == 1 + int((ref[i] < ref[i, j] - 1e-9).sum()) or np.isclose(
            np.sort(ref[i])[rec.rank - 1], ref[i, j]
        )
    # best and second best and their margin, from the oracle's sorted row
    m = margins_frame(net, p, s)
    for i in range(p.origin_node.size):
        row = np.sort(ref[i])
        if not np.isfinite(row[0]):
            assert m.best_crossing[i] == "" and np.isnan(m.margin[i])
            continue
        assert np.isclose(ref[i, int(m.best_crossing[i][1:])], row[0])
        if row.size > 1 and np.isfinite(row[1]):
            assert np.isclose(ref[i, int(m.second_crossing[i][1:])], row[1])
            assert np.isclose(m.margin[i], row[1] - row[0])
        else:
            assert m.second_crossing[i] == "" and m.margin[i] == np.inf
    # the route model's choice is the skim's best
    r = solve_routes(net, p)
    ok = r.origin_crossing >= 0
    assert np.allclose(r.origin_cost[ok], s[ok].min(axis=1))


def test_best_two_ties_and_empty():
    b, s, m = best_two(np.array([[2.0, 2.0, 5.0], [np.inf, np.inf, np.inf]]))
    assert b.tolist() == [0, -1] and s.tolist() == [1, -1]
    assert m[0] == 0.0 and np.isnan(m[1])
    b, s, m = best_two(np.zeros((2, 0)))
    assert b.tolist() == [-1, -1]


def _nx_routes(net, p):
    """Per origin: the node path of its least-cost route to any crossing (None: none)."""
    g = nx_graph(net, p.route_arc_cost())
    sc = p.route_sink_cost()
    for j, s in enumerate(p.sink_node.tolist()):
        if np.isfinite(sc[j]):
            g.add_edge(s, "T", w=float(sc[j]))
    out = []
    for o in p.origin_node.tolist():
        try:
            out.append(nx.dijkstra_path(g, o, "T", weight="w")[:-1])
        except nx.NetworkXNoPath:
            out.append(None)
    return out


@given(problems())
@settings(max_examples=60, deadline=None)
def test_select_link_equals_networkx(inst):
    net, p, rng = inst
    r = solve_routes(net, p)
    paths = _nx_routes(net, p)
    nodes = np.flatnonzero(rng.random(net.n_nodes) < 0.2)
    want = [q is not None and bool(set(q) & set(nodes.tolist())) for q in paths]
    assert select_nodes(r, nodes, net.n_nodes).tolist() == want
    # by road: an arc is used when its pair is on the path and it is the cheapest parallel
    w = p.route_arc_cost()
    arcs = np.flatnonzero(rng.random(net.n_arcs) < 0.2)
    best_w: dict[tuple[int, int], float] = {}
    for e in range(net.n_arcs):
        key = (int(net.arc_source[e]), int(net.arc_target[e]))
        best_w[key] = min(best_w.get(key, np.inf), float(w[e]))
    chosen = {
        (int(net.arc_source[e]), int(net.arc_target[e]))
        for e in arcs.tolist()
        if np.isfinite(w[e]) and w[e] == best_w[(int(net.arc_source[e]), int(net.arc_target[e]))]
    }
    want = [q is not None and bool(set(zip(q[:-1], q[1:], strict=True)) & chosen) for q in paths]
    assert select_arcs(r, arcs, net.n_nodes, net.n_arcs).tolist() == want
    # by crossing: the route ends there
    want = [q is not None and q[-1] == int(p.sink_node[0]) for q in paths]
    assert select_crossings(r, np.array([0])).tolist() == want


def test_select_region_default_network():
    import reten

    net = reten.load_network("default")
    sc = reten.Scenario.from_dict(
        {
            "name": "b",
            "origins": [
                {"municipality": "Culiacán", "volume_kg": 100},
                {"state": "Michoacán", "volume_kg": 50},
            ],
        }
    )
    res = reten.run(sc, net)
    from reten.analysis.select_link import select_region

    df = select_region(res.routes, net, "Culiacán, Sinaloa")
    assert df.origin.tolist() == [res.origins.origin[0]] and df.volume_kg.tolist() == [100.0]
    with pytest.raises(InputError, match="unknown region"):
        resolve_region(net, "Atlantis")


def test_cli_run_writes_skim_margins_and_select(tmp_path):
    from conftest import ROOT, run_cli
    from reten.report.exports import read_table

    demo = ROOT / "src" / "reten" / "data" / "demo" / "baseline.toml"
    out = tmp_path / "run"
    p = run_cli("run", str(demo), "-o", str(out), "--select-region", "Culiacán, Sinaloa")
    assert p.returncode == 0, p.stderr
    sk, o, c = (read_table(out / f) for f in ("skim.csv", "origins.csv", "crossings.csv"))
    assert set(sk.origin) == set(o.origin) and set(sk.crossing) <= set(c.crossing)
    best = sk[sk["rank"] == 1].set_index("origin")
    assert (best.loc[o.origin, "crossing"].to_numpy() == o.crossing.to_numpy()).all()
    assert (best.loc[o.origin, "cost"].to_numpy() == o.cost.to_numpy()).all()
    m = read_table(out / "margins.csv")
    assert (m.best_crossing == o.crossing).all() and (m.margin >= 0).all()
    sel = read_table(out / "select.csv")
    assert sel.region.tolist() == ["25006"] * len(sel)
    assert "Culiacán" in set(sel.origin) and (sel.volume_kg > 0).all()
    bad = run_cli("run", str(demo), "-o", str(tmp_path / "bad"), "--select-region", "Atlantis")
    assert bad.returncode == 2 and "unknown region" in bad.stderr
    assert not (tmp_path / "bad").exists()
