"""Sites and routes of `reten optimize` as geodata: each site's own shape, each origin's route.

Oracles: the road polylines and region polygons given as input (a site's line or polygon
must be the same point set), the network's node coordinates, the problem's arc costs (a
route's line, walked back through the network, costs what the model reports), and pyproj's
geodesic length of the exported lines against the network's measured lengths (DCW).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import reten
from conftest import MEXICO, need
from reten.models.interdiction import apply_units, build_sites
from reten.models.interdiction import optimize as interdict
from reten.models.routes import solve_routes
from reten.network.model import Network
from reten.network.regions import attach_regions, read_regions
from reten.problem import Problem
from reten.report.exports import read_table
from reten.report.geodata import routes_geoframe, site_geometries, sites_geoframe, write_layers
from reten.report.optimize import sites_frame

TOL = 1e-9


def _same(a, b) -> bool:
    """True when two geometries are the same point set (to rounding)."""
    return float(shapely.hausdorff_distance(a, b)) < TOL


def _problem(net: Network, origins, sinks) -> Problem:
    o, k = np.asarray(origins), np.asarray(sinks)
    z = np.zeros(k.size)
    return Problem(
        net.length_m / 1000,
        np.zeros(net.n_arcs),
        k,
        z,
        z,
        o,
        np.full(o.size, 10.0),
        origin_label=np.array([f"o{v}" for v in o], dtype=object),
        sink_label=np.array([f"x{v}" for v in k], dtype=object),
    )


# --- road sites: the road's own line ----------------------------------------------------------

coord = st.floats(-1.0, 1.0, allow_nan=False, allow_infinity=False)
bends = st.lists(st.tuples(coord, coord), min_size=0, max_size=3)


@settings(max_examples=40, deadline=None)
@given(p1=bends, p2=bends, p3=bends, p4=bends)
def test_road_site_lines_are_the_input_roads(p1, p2, p3, p4):
    """Two parallel roads 0-1 (one is split in two by the builder), and a road 1-2 given as
    two pieces through node 3 (degree 2): each site's line is its whole input road."""
    xy = np.array([[0.0, 0.0], [3.0, 0.0], [6.0, 0.0], [4.5, 2.0]])
    roads = [  # (a, b, polyline a..b)
        (0, 1, np.array([xy[0], *p1, xy[1]])),
        (0, 1, np.array([xy[0], *[(x, y + 3) for x, y in p2], xy[1]])),
        (1, 3, np.array([xy[1], *[(x + 3, y + 1) for x, y in p3], xy[3]])),
        (3, 2, np.array([xy[3], *[(x + 5, y + 1) for x, y in p4], xy[2]])),
    ]
    src, dst, geo, rid = [], [], [], []
    for i, (a, b, line) in enumerate(roads):
        src += [a, b]
        dst += [b, a]
        geo += [line, line[::-1]]
        rid += [i, i]
    net = Network.from_arcs(
        np.array(src),
        np.array(dst),
        np.array([1000.0, 1000.0, 2000.0, 2000.0, 500.0, 500.0, 500.0, 500.0]),
        xy[:, 0],
        xy[:, 1],
        geometry=geo,
        road=np.array(rid),
    )
    p = _problem(net, [0], [2])
    sites = build_sites(net, p, "arcs", delay=1.0, p_detect=0.1)
    lines = site_geometries(net, sites, np.arange(sites.size), np.zeros(3), np.zeros(3))
    expected = [
        shapely.LineString(roads[0][2]),
        shapely.LineString(roads[1][2]),
        shapely.LineString(np.vstack([roads[2][2], roads[3][2][1:]])),
    ]
    assert sites.size == 3
    # the builder splits one parallel road at a new node (placed on the geodesic): a site's
    # line is its input road's vertices, in order, plus at most that node
    split = {(float(x), float(y)) for x, y in zip(net.node_lon[4:], net.node_lat[4:], strict=True)}

    def matches(g, e) -> bool:
        c = [tuple(map(float, v)) for v in g.coords]
        want = [tuple(map(float, v)) for v in e.coords]
        for cand in (c, c[::-1]):
            kept = [v for v in cand if v not in split or v in want]
            if kept == want and len(cand) - len(kept) <= 1:
                return True
        return False

    left = list(expected)
    for g in lines:
        assert g.geom_type == "LineString"
        hit = [i for i, e in enumerate(left) if matches(g, e)]
        assert hit, (g.wkt, [e.wkt for e in left])
        left.pop(hit[0])


# --- region sites: the region's polygon --------------------------------------------------------


@pytest.fixture(scope="module")
def two_squares(tmp_path_factory):
    """Two municipalities (squares) of one state, a road network inside them."""
    d = tmp_path_factory.mktemp("regions")
    sq = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]
    gdf = gpd.GeoDataFrame(
        {"mun": ["01001", "01002"], "nm": ["Uno", "Dos"], "st": ["01", "01"]},
        geometry=sq,
        crs="EPSG:4326",
    )
    gdf.to_file(d / "r.gpkg", layer="m", driver="GPKG")
    regs, polys = read_regions(d / "r.gpkg", layer="m", code="mun", name="nm", parent="st")
    lon = np.array([0.2, 0.8, 1.2, 1.8])
    lat = np.array([0.5, 0.5, 0.5, 0.5])
    net = Network.from_arcs(
        np.array([0, 1, 1, 2, 2, 3]),
        np.array([1, 0, 2, 1, 3, 2]),
        np.full(6, 60_000.0),
        lon,
        lat,
    )
    return attach_regions(net, regs, polys), sq


def test_region_sites_are_their_outlines(two_squares, tmp_path):
    net, sq = two_squares
    p = _problem(net, [0], [3])
    s = build_sites(net, p, "regions", delay=1.0, p_detect=0.1)
    assert sorted(s.label) == ["01001", "01002"]
    geo = site_geometries(net, s, np.arange(s.size), np.zeros(2), np.zeros(2))
    for lab, g in zip(s.label, geo, strict=True):
        assert _same(g, sq[0] if lab == "01001" else sq[1])
    # a parent region (the state) stores no outline: the union of its municipalities
    st_sites = build_sites(net, p, "regions", delay=1.0, p_detect=0.1, region_level="state")
    (g,) = site_geometries(net, st_sites, np.arange(1), np.zeros(1), np.zeros(1))
    assert _same(g, shapely.box(0, 0, 2, 1))
    # written and read back: one polygon layer, EPSG:4326
    table = pd.DataFrame({"site": s.label.astype(str), "lon": [0.5, 1.5], "lat": [0.5, 0.5]})
    assert write_layers(sites_geoframe(net, s, np.arange(2), table), tmp_path, "sites") == ["sites"]
    for f in ("sites.gpkg", "sites.geojson"):
        back = gpd.read_file(tmp_path / f)
        assert back.crs.to_epsg() == 4326
        assert set(back.geom_type) <= {"Polygon", "MultiPolygon"}
        assert back.site.tolist() == table.site.tolist()


def test_mixed_geometries_get_one_gpkg_layer_per_family(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"site": ["a", "b", "c", "d"]},
        geometry=[
            shapely.box(0, 0, 1, 1),
            shapely.Point(2, 2),
            shapely.MultiPolygon([shapely.box(3, 3, 4, 4), shapely.box(5, 5, 6, 6)]),
            None,
        ],
        crs="EPSG:4326",
    )
    assert write_layers(gdf, tmp_path, "sites") == ["sites_point", "sites_polygon"]
    layers = dict(pyogrio.list_layers(tmp_path / "sites.gpkg").tolist())
    assert layers == {"sites_point": "Point", "sites_polygon": "MultiPolygon"}
    pts = gpd.read_file(tmp_path / "sites.gpkg", layer="sites_point")
    assert sorted(pts.site) == ["b", "d"]  # the row with no geometry goes with the first
    pol = gpd.read_file(tmp_path / "sites.gpkg", layer="sites_polygon")
    assert sorted(pol.site) == ["a", "c"] and pol.crs.to_epsg() == 4326
    js = gpd.read_file(tmp_path / "sites.geojson")
    assert sorted(js.site) == ["a", "b", "c", "d"]


def test_an_origin_with_no_route_is_a_null_row_without_warnings(tmp_path):
    net = Network.from_arcs(
        np.array([0, 1]), np.array([1, 0]), np.full(2, 1000.0), np.array([0.0, 1, 5]), np.zeros(3)
    )
    p = _problem(net, [0, 2], [1])
    base = solve_routes(net, p)
    assert base.origin_crossing.tolist() == [0, -1]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_layers(routes_geoframe(net, base, base), tmp_path, "origin_routes")
    text = (tmp_path / "origin_routes.geojson").read_text()
    assert "NaN" not in text and "Infinity" not in text
    for f in ("origin_routes.geojson", "origin_routes.gpkg"):
        g = gpd.read_file(tmp_path / f)
        assert g.origin.tolist() == ["o0", "o2", "o0", "o2"]
        assert g.geometry.isna().tolist() == [False, True, False, True]
        assert g.cost.isna().tolist() == [False, True, False, True]
        assert g.geometry[0].coords[:] == [(0.0, 0.0), (1.0, 0.0)]


# --- reten optimize, end to end on the embedded network ----------------------------------------


@pytest.fixture(scope="module")
def default_net():
    return reten.load_network("default")


def _node_of(net: Network) -> dict[tuple[float, float], int]:
    return {
        (float(x), float(y)): i
        for i, (x, y) in enumerate(zip(net.node_lon, net.node_lat, strict=True))
    }


@pytest.mark.parametrize("kind", ["arcs", "nodes", "regions"])
def test_optimize_writes_sites_and_routes_as_geodata(default_net, tmp_path, kind):
    net = default_net
    sc = reten.Scenario.from_toml(reten.__path__[0] + "/data/demo/baseline.toml")
    opt = reten.optimize(sc, net, budget=2, objective="cost", sites=kind, time_limit_s=10)
    out = opt.write(tmp_path / "o")
    csv = read_table(out / "sites.csv")
    key = {str(k): i for i, k in enumerate(net.node_key)}
    want = {"arcs": {"LineString"}, "nodes": {"Point"}, "regions": {"Point"}}[kind]
    for f in ("sites.gpkg", "sites.geojson"):
        g = gpd.read_file(out / f)
        assert g.crs.to_epsg() == 4326
        assert set(g.geom_type) == want  # the embedded regions carry no outline: points
        assert g.site.tolist() == csv.site.tolist() and g.name.tolist() == csv.name.tolist()
        assert np.allclose(g.lon, csv.lon) and np.allclose(g.lat, csv.lat)
        for site, geom, x, y in zip(g.site, g.geometry, g.lon, g.lat, strict=True):
            assert geom.distance(shapely.Point(x, y)) < TOL  # lon/lat is a point on the shape
            if kind == "arcs":  # the road runs between the two nodes its id names
                a, b = (key[x] for x in site.split("#")[0].split("->"))
                ends = {geom.coords[0], geom.coords[-1]}
                assert ends == {(net.node_lon[v], net.node_lat[v]) for v in (a, b)}
            elif kind == "nodes":
                assert (geom.x, geom.y) == (net.node_lon[key[site]], net.node_lat[key[site]])
    assert pyogrio.list_layers(out / "sites.gpkg")[:, 0].tolist() == ["sites"]
    # each origin's route, before and after: a path through the network costing what the
    # model reports, from the origin's node to its crossing's
    node_of = _node_of(net)
    rts = gpd.read_file(out / "origin_routes.gpkg", layer="origin_routes")
    assert rts.crs.to_epsg() == 4326
    n = opt.baseline.routes.problem.origin_node.size
    assert rts.scenario.tolist() == ["baseline"] * n + ["response"] * n
    walks = {}
    for r in rts.itertuples():
        run = opt.baseline if r.scenario == "baseline" else opt.response
        p = run.routes.problem
        nodes = [node_of[(float(x), float(y))] for x, y in r.geometry.coords]
        arcs = net.arc_id(np.array(nodes[:-1]), np.array(nodes[1:]))
        assert (arcs >= 0).all()
        j = list(p.sink_label.astype(str)).index(r.crossing)
        cost = p.route_arc_cost()[arcs].sum() + p.route_sink_cost()[j]
        assert abs(cost - r.cost) <= 1e-9 * max(1.0, abs(cost))
        assert nodes[0] == key[r.node] and nodes[-1] == key[r.crossing_node]
        walks[(r.scenario, r.origin)] = nodes
    for r in rts.itertuples():
        assert r.changed == (walks[("baseline", r.origin)] != walks[("response", r.origin)])
    js = gpd.read_file(out / "origin_routes.geojson")
    assert len(js) == 2 * n and js.crs.to_epsg() == 4326
    # log.csv: every K of the curve, each K's own log
    log = pd.read_csv(out / "log.csv")
    curve = pd.read_csv(out / "curve.csv")
    assert log.K.unique().tolist() == curve.K.tolist() == [1, 2]
    for k, raw in zip(curve.K, opt.curve_raw, strict=True):
        part = log[log.K == k]
        num = ["iteration", "lower_bound", "upper_bound", "seconds"]
        raw_num = np.array([row[:4] for row in raw.log], float)
        np.testing.assert_allclose(part[num].to_numpy(float), raw_num, rtol=1e-15)
        assert part.solver.tolist() == [row.solver for row in raw.log]
    pd.testing.assert_frame_equal(opt.log.reset_index(drop=True), log, check_dtype=False)


# --- national DCW roads: real geometry and municipal outlines ---------------------------------


@pytest.fixture(scope="module")
def national(dcw_network):
    net = dcw_network
    ports = pd.read_csv(need(MEXICO / "us_mexico_land_ports_bts.csv"))
    from reten.network.terminals import snap_points

    sinks = snap_points(net, ports.lon.to_numpy(), ports.lat.to_numpy(), max_m=50_000).node
    sinks = np.unique(sinks[sinks >= 0])
    codes = net.regions.code.astype(str)
    origins = []
    for r in [i for i, c in enumerate(codes) if len(c) == 5 and c.startswith("25")]:
        nodes = np.flatnonzero(net.node_region == r)
        if nodes.size:
            origins.append(nodes[0])
    return net, _problem(net, origins, sinks)


@pytest.mark.parametrize("kind", ["arcs", "regions"])
def test_dcw_sites_and_routes_are_real_shapes(national, tmp_path, kind):
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    net, p = national
    sites = build_sites(net, p, kind, delay=50.0, p_detect=0.1)
    res = interdict(net, p, sites, 3, objective="cost", method="greedy", time_limit=20)
    chosen = np.flatnonzero(res.units > 0)
    table = sites_frame(res, net, p)
    write_layers(sites_geoframe(net, sites, chosen, table), tmp_path, "sites")
    g = gpd.read_file(tmp_path / "sites.gpkg", layer="sites")
    assert g.crs.to_epsg() == 4326 and len(g) == chosen.size
    assert g.site.tolist() == table.site.tolist() and g.name.tolist() == table.name.tolist()
    for geom, x, y in zip(g.geometry, g.lon, g.lat, strict=True):
        assert geom.distance(shapely.Point(x, y)) < TOL  # on the road, inside the region
    if kind == "arcs":
        assert set(g.geom_type) == {"LineString"}
        for s, geom in zip(chosen, g.geometry, strict=True):
            # the road's line measures what the builder measured for the road
            e = int(sites.incidence.indices[sites.incidence.indptr[s]])
            assert geod.geometry_length(geom) >= net.length_m[e] * (1 - 1e-6)
            assert len(geom.coords) >= 2
    else:
        assert set(g.geom_type) <= {"Polygon", "MultiPolygon"}
        for r, geom in zip(sites.anchor[chosen, 1], g.geometry, strict=True):
            assert _same(geom, shapely.from_wkb(net.regions.outline_wkb[r]))
    base = solve_routes(net, p)
    resp = solve_routes(net, apply_units(p, sites, res.units))
    write_layers(routes_geoframe(net, base, resp), tmp_path, "origin_routes")
    rts = gpd.read_file(tmp_path / "origin_routes.gpkg")
    assert set(rts.geom_type.dropna()) == {"LineString"}
    ok = rts.geometry.notna()
    assert ok.sum() >= p.origin_node.size  # every Sinaloa origin reaches a crossing
    # costs are kilometres here: each route's line is as long as its least cost
    km = np.array([geod.geometry_length(x) for x in rts.geometry[ok]]) / 1000
    assert np.allclose(km, rts.length_km[ok], rtol=1e-6)
