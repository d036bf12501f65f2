"""Networks whose nodes have no coordinates: an edge list without ``--nodes``, DIMACS without
``.co`` (or nodes the ``.co`` does not list), NetworkX without ``lon``/``lat``.

reten never invents a position (the old readers put every such node at 0°N 0°E, so
``optimize`` named sites "at 0.00000°N 0.00000°E" and drew maps there). Oracles: the input
itself (which nodes were given a position), GeoPandas/pyogrio reading the written files back,
and the names' own form (node ids, distinct, no position).
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import reten
from clikit import assert_one_line_error, call
from reten.models.interdiction.sites import distinct_names
from reten.network.build import summary
from reten.network.interchange import (
    from_networkx,
    read_dimacs,
    read_edge_csv,
    to_geodataframe,
    to_networkx,
)
from reten.network.model import Network
from reten.report import maps

# two-way roads a-b, b-c, a-d, d-c and a one-way a->c, c->x (x the crossing)
EDGES = (
    "source,target,length_m\n"
    "a,b,1000\nb,a,1000\nb,c,500\nc,b,500\na,d,800\nd,a,800\nd,c,900\nc,d,900\n"
    "a,c,2600\nc,x,10\n"
)
SCENARIO = """name = "nocoord"
[network]
path = "net"
[[origins]]
node = "a"
volume_kg = 10
[[destinations]]
node = "x"
label = "Port X"
[costs]
mode = "length_km"
"""
NO_COORD = "no coordinates"


@pytest.fixture
def proj(tmp_path):
    (tmp_path / "e.csv").write_text(EDGES)
    (tmp_path / "s.toml").write_text(SCENARIO)
    r = call("network", "build", "--edges", "e.csv", "-o", "net", cwd=tmp_path)
    assert r.code == 0, r.err
    assert NO_COORD in r.err  # the build says so at once
    return tmp_path


# ------------------------------------------------------------------------------ readers
def test_edge_list_without_nodes_has_nan_positions_not_zero(tmp_path):
    (tmp_path / "e.csv").write_text(EDGES)
    net = read_edge_csv(tmp_path / "e.csv")
    assert net.n_nodes == 5
    assert np.isnan(net.node_lon).all() and np.isnan(net.node_lat).all()
    assert not net.has_coordinates and not net.located.any()
    s = summary(net)
    assert s["bbox"] is None and s["nodes_without_coordinates"] == 5


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(2, 8),
    arcs=st.lists(st.tuples(st.integers(1, 8), st.integers(1, 8)), min_size=1, max_size=12),
    given_ids=st.sets(st.integers(1, 8)),
)
def test_dimacs_locates_exactly_the_nodes_its_co_file_lists(tmp_path_factory, n, arcs, given_ids):
    d = tmp_path_factory.mktemp("dimacs")
    arcs = [(u, v) for u, v in arcs if u <= n and v <= n]
    gr = d / "g.gr"
    gr.write_text(f"p sp {n} {len(arcs)}\n" + "".join(f"a {u} {v} 7\n" for u, v in arcs))
    listed = sorted(i for i in given_ids if i <= n)
    co = d / "g.co"
    co.write_text("".join(f"v {i} {-100_000_000 - i} {20_000_000 + i}\n" for i in listed))
    for net, expect in ((read_dimacs(gr), set()), (read_dimacs(gr, coordinates=str(co)), listed)):
        keys = net.node_key.tolist()
        located = {k for k, ok in zip(keys, net.located.tolist(), strict=True) if ok}
        assert located == set(expect)
        for i in expect:  # the listed position, exactly
            j = keys.index(i)
            assert net.node_lon[j] == (-100_000_000 - i) / 1e6
            assert net.node_lat[j] == (20_000_000 + i) / 1e6
        assert net.has_coordinates == (len(expect) == n)
        # arcs: geometry exactly when both ends have a position (and then the straight line)
        g = to_geodataframe(net)
        s, t = net.arc_source, net.arc_target
        both = net.located[s] & net.located[t]
        assert g.geometry.notna().to_numpy().tolist() == both.tolist()
        for e in np.flatnonzero(both).tolist():
            ends = [(net.node_lon[v], net.node_lat[v]) for v in (s[e], t[e])]
            assert shapely.equals(g.geometry.iloc[e], shapely.LineString(ends))
        pts = to_geodataframe(net, what="nodes")
        assert pts.geometry.notna().to_numpy().tolist() == net.located.tolist()


def test_networkx_without_positions_round_trips_as_unknown():
    g = nx.DiGraph()
    g.add_edge("a", "b", length_m=5.0)
    g.add_node("c", lon=-99.0, lat=19.0)
    g.add_edge("b", "c", length_m=5.0)
    net = from_networkx(g)
    keys = net.node_key.tolist()
    assert [keys[i] for i in np.flatnonzero(net.located)] == ["c"]
    back = to_networkx(net)
    assert "lon" not in back.nodes["a"] and back.nodes["c"]["lon"] == -99.0
    again = from_networkx(back)
    assert again.located.tolist() == net.located.tolist()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(["road between a and c", "junction in b", "x"]), max_size=8))
def test_names_of_unlocated_sites_are_distinct_and_carry_no_position(names):
    nan = np.full(len(names), np.nan)
    out = distinct_names(names, nan, nan).tolist()
    assert len(set(out)) == len(out)
    for raw, nm in zip(names, out, strict=True):
        assert re.fullmatch(re.escape(raw) + r"( #\d+)*", nm), (raw, nm)
        assert "°" not in nm


def test_no_map_is_ever_drawn_at_made_up_positions():
    net = Network.from_arcs(
        np.array([0]), np.array([1]), np.array([5.0]), np.full(2, np.nan), np.full(2, np.nan)
    )
    assert maps.no_map_reason(net) is not None
    with pytest.raises(ValueError, match=NO_COORD):
        maps.MapBuilder(net, "x")
    half = Network.from_arcs(
        np.array([0]), np.array([1]), np.array([5.0]), np.array([-99.0, np.nan]), np.zeros(2)
    )
    assert "1 of the network's 2 nodes" in maps.no_map_reason(half)


# ------------------------------------------------------------------------------ commands
def _no_map(report: str) -> bool:
    return 'id="no-map"' in report and '"name":"map"' not in report.replace(" ", "")


def test_optimize_names_sites_by_node_ids_and_writes_no_geometry(proj):
    r = call(
        "optimize", "s.toml", "--budget", "2", "--method", "greedy", "--no-curve",
        "--time-limit", "30", "-o", "opt", cwd=proj,
    )  # fmt: skip
    assert r.code == 0, r.err
    assert NO_COORD in r.err and "°" not in r.out + r.err
    o = proj / "opt"
    ids = {"a", "b", "c", "d", "x"}
    doc = json.loads((o / "result.json").read_text())
    assert doc["sites"]
    for s in doc["sites"]:
        m = re.fullmatch(r"road between (\S+) and (\S+)( #\d+)?", s["name"])
        assert m and {m[1], m[2]} <= ids, s["name"]
    sites = pd.read_csv(o / "sites.csv", dtype={"site": str})
    assert sites.lon.isna().all() and sites.lat.isna().all()
    assert list(sites.name) == [s["name"] for s in doc["sites"]]
    for stem in ("sites", "origin_routes"):
        for ext in ("geojson", "gpkg"):
            g = gpd.read_file(o / f"{stem}.{ext}")
            assert len(g) and g.geometry.isna().all(), (stem, ext)
    report = (o / "report.html").read_text()
    assert _no_map(report) and "°N" not in report
    assert "Black diamonds" not in report  # no legend for a map that is not there


def test_run_compare_and_game_have_no_map_and_no_geometry(proj):
    r = call("run", "s.toml", "-o", "run", "--figures", "png", cwd=proj)
    assert r.code == 0, r.err
    assert NO_COORD in r.err
    run = proj / "run"
    assert _no_map((run / "report.html").read_text())
    for f in ("routes.geojson", "origins.geojson", "origins.parquet", "arcs.parquet"):
        g = gpd.read_parquet(run / f) if f.endswith("parquet") else gpd.read_file(run / f)
        assert len(g) and g.geometry.isna().all(), f
    assert not (run / "figures").exists()  # a map figure is all a run has: none drawn
    (proj / "t.toml").write_text(
        SCENARIO.replace('"nocoord"', '"t"')
        + '[[enforcement]]\ntype = "closure"\narc = ["a", "c"]\n'
    )
    r = call("compare", "s.toml", "t.toml", "-o", "cmp", cwd=proj)
    assert r.code == 0, r.err
    assert _no_map((proj / "cmp" / "report.html").read_text())
    r = call("game", "s.toml", "--checkpoints", "1", "-o", "game", cwd=proj)
    assert r.code == 0, r.err
    report = (proj / "game" / "report.html").read_text()
    assert _no_map(report) and "°N" not in report


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "parquet", "graphml"])
def test_network_export_writes_no_made_up_geometry(proj, fmt):
    r = call("network", "export", "net", "--format", fmt, "-o", f"x.{fmt}", cwd=proj)
    assert r.code == 0, r.err
    path = proj / f"x.{fmt}"
    if fmt == "graphml":
        g = nx.read_graphml(path)
        assert g.number_of_nodes() == 5
        assert not any("lon" in d or "lat" in d for _, d in g.nodes(data=True))
        return
    assert NO_COORD in r.err
    g = gpd.read_parquet(path) if fmt == "parquet" else gpd.read_file(path, layer="arcs")
    assert len(g) == 10 and g.geometry.isna().all()


def test_placing_by_lon_lat_on_such_a_network_is_refused(proj):
    (proj / "p.csv").write_text("name,lon,lat\nPort X,-100,20\n")
    r = call("network", "build", "--edges", "e.csv", "--ports", "p.csv", "-o", "n2", cwd=proj)
    assert_one_line_error(r, "--ports", "--nodes")
    assert not (proj / "n2").exists()
    (proj / "o.toml").write_text(
        SCENARIO.replace('node = "a"\nvolume_kg', "lon = -100.0\nlat = 20.0\nvolume_kg")
    )
    r = call("run", "o.toml", "-o", "r2", cwd=proj)
    assert_one_line_error(r, "origins[0]", NO_COORD)
    assert not (proj / "r2").exists()


# ------------------------------------------------------------------- DIMACS and --nodes
GR = "p sp 3 3\na 1 2 700\na 2 3 500\na 3 1 900\n"


def test_nodes_with_dimacs_is_refused_not_ignored(tmp_path):
    # --nodes was silently ignored beside --dimacs, yet listed as an input in provenance
    (tmp_path / "g.gr").write_text(GR)
    (tmp_path / "gnodes.csv").write_text("id,lon,lat\n1,-100,20\n2,-100.1,20\n3,-100,20.1\n")
    r = call(
        "network", "build", "--dimacs", "g.gr", "--nodes", "gnodes.csv", "-o", "out", cwd=tmp_path
    )
    assert_one_line_error(r, "--nodes applies to --edges", ".co")
    assert not (tmp_path / "out").exists()


def test_dimacs_hints_name_the_co_file_and_build_reads_it(tmp_path):
    (tmp_path / "g.gr").write_text(GR)
    r = call("network", "build", "--dimacs", "g.gr", "-o", "net", cwd=tmp_path)
    assert r.code == 0, r.err
    # the warning tells a DIMACS user what gives coordinates: the .co, never --nodes
    assert NO_COORD in r.err and "g.co" in r.err and "--nodes" not in r.err
    (tmp_path / "s.toml").write_text(
        SCENARIO.replace('node = "a"', "node = 1").replace('node = "x"', "node = 3")
    )
    r = call("run", "s.toml", "-o", "run", cwd=tmp_path)
    assert r.code == 0, r.err
    assert "g.co" in r.err and "--nodes" not in r.err
    html = (tmp_path / "run" / "report.html").read_text()
    assert _no_map(html) and "g.co" in html and "--nodes" not in html
    # the .co next to the .gr is read (and recorded as an input) by the build
    co = "v 1 -100000000 20000000\nv 2 -100100000 20000000\nv 3 -100000000 20100000\n"
    (tmp_path / "g.co").write_text(co)
    r = call("network", "build", "--dimacs", "g.gr", "-o", "net2", cwd=tmp_path)
    assert r.code == 0, r.err
    assert NO_COORD not in r.err
    prov = json.loads((tmp_path / "net2" / "provenance.json").read_text())
    assert prov["inputs"]["coordinates"]["path"] == str((tmp_path / "g.co").resolve())
    got = read_dimacs(tmp_path / "g.gr", coordinates=str(tmp_path / "g.co"))
    net = reten.load_network(tmp_path / "net2")
    assert np.array_equal(net.node_lon, got.node_lon) and net.has_coordinates


def test_edge_list_hint_still_names_nodes(proj):
    r = call("run", "s.toml", "-o", "run", cwd=proj)
    assert r.code == 0, r.err
    assert "--nodes id,lon,lat" in r.err and ".co" not in r.err


def test_relocation_on_a_network_without_regions_is_refused_not_ignored(proj):
    """``[relocation]`` moves labs between regions: a network with none used to leave every
    lab where it was, silently (the breaker's finding). It is one line naming the table."""
    scen = proj / "scen.toml"
    scen.write_text(
        SCENARIO + "[relocation]\nrelocation_cost = 1.0\nwithin_km = 50\n", encoding="utf-8"
    )
    r = call("run", str(scen), "-o", str(proj / "out"), cwd=proj)
    line = assert_one_line_error(r, "relocation", "no regions")
    assert "scen.toml" in line
    assert not (proj / "out").exists()
