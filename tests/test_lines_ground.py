"""Line lengths are ground lengths (WGS84 geodesics, pyproj) whatever the input CRS."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer
from scipy.sparse.csgraph import dijkstra

from reten.errors import InputError
from reten.network.geo import central_lon, geodesic_m, local_metric_crs, wrap_lon
from reten.network.lines import from_geodataframe, from_lines

GEOD = Geod(ellps="WGS84")


def _utm(lon: float, lat: float) -> str:
    zone = int((lon + 180) // 6) + 1
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


# (crs, lon range, lat range): each a projected CRS with the area the lines are drawn in
AREAS = [
    ("EPSG:3857", (-117.0, -86.0), (14.5, 32.7)),  # Web Mercator over Mexico
    ("EPSG:3857", (10.0, 30.0), (55.0, 65.0)),  # ... and at 60 N (scale factor 2)
    ("EPSG:2229", (-119.5, -117.7), (33.5, 34.8)),  # California zone 5, US survey feet
    ("EPSG:6372", (-117.0, -86.0), (14.5, 32.7)),  # Mexico ITRF2008 LCC
    ("UTM", (-180.0, 180.0), (-70.0, 70.0)),  # the UTM zone of the line
]


@st.composite
def projected_lines(draw):
    """Lines of 2-6 vertices in lon/lat, 50 m to 20 km steps, far apart from each other."""
    crs, (lo0, lo1), (la0, la1) = draw(st.sampled_from(AREAS))
    lon = draw(st.floats(lo0 + 0.5, lo1 - 0.5))
    lat = draw(st.floats(la0 + 0.3, la1 - 0.3))
    if crs == "UTM":
        crs = _utm(lon, lat)
    lines = []
    for k in range(draw(st.integers(1, 4))):
        x, y = lon + 0.1 * k, lat  # 0.1 degree apart: no two lines within 50 m
        pts = [(x, y)]
        for _ in range(draw(st.integers(1, 5))):
            az = draw(st.floats(0, 360))
            dist = draw(st.floats(50.0, 20_000.0))
            x2, y2, _ = GEOD.fwd(pts[-1][0], pts[-1][1], az, dist)
            pts.append((float(x2), float(y2)))
        lines.append(pts)
    return crs, lines


@given(projected_lines())
@settings(max_examples=60, deadline=None)
def test_lengths_are_geodesic_in_any_projected_crs(data):
    crs, lines = data
    tr = Transformer.from_crs(4326, crs, always_xy=True)
    geoms = []
    want = []
    for ln in lines:
        lon, lat = np.array(ln).T
        x, y = tr.transform(lon, lat)
        geoms.append(shapely.LineString(np.column_stack([x, y])))
        want.append(GEOD.line_length(lon, lat))
    # tiny snap: the random lines must not touch each other or themselves
    net = from_geodataframe(gpd.GeoDataFrame(geometry=geoms, crs=crs), snap_m=0.001)
    assert net.meta["crs"] == crs
    np.testing.assert_allclose(np.sort(net.length_m), np.sort(np.repeat(want, 2)), rtol=1e-6)


def test_web_mercator_road_at_mexicali(tmp_path):
    """Case 11: a 0.1-degree road at 32.5 N drawn in EPSG:3857 is 9,397.7 m on the ground."""
    tr = Transformer.from_crs(4326, 3857, always_xy=True)
    xy = [tr.transform(lon, 32.5) for lon in (-115.0, -114.9)]
    p = tmp_path / "road_3857.geojson"
    gpd.GeoDataFrame(geometry=[shapely.LineString(xy)], crs=3857).to_file(p)
    net = from_lines(p)
    want = GEOD.line_length([-115.0, -114.9], [32.5, 32.5])
    assert abs(want - 9397.676) < 1e-3
    np.testing.assert_allclose(net.length_m, [want, want], rtol=1e-9)
    # planar Web Mercator would say 11,131.9 m: +18.5%
    assert abs(np.hypot(*np.subtract(xy[1], xy[0])) / want - 1.1845) < 1e-3


def test_us_survey_feet_road(tmp_path):
    """Case 11: 10,000 US survey feet (EPSG:2229) is 3,048.006 m, ground length."""
    p = tmp_path / "road_ftUS.geojson"
    line = shapely.LineString([(6_500_000.0, 1_800_000.0), (6_510_000.0, 1_800_000.0)])
    gpd.GeoDataFrame(geometry=[line], crs=2229).to_file(p)
    net = from_lines(p)
    lon, lat = Transformer.from_crs(2229, 4326, always_xy=True).transform(
        [6_500_000.0, 6_510_000.0], [1_800_000.0, 1_800_000.0]
    )
    want = GEOD.line_length(lon, lat)
    assert abs(want - 10_000 * 1200 / 3937) < 0.5  # the CRS's scale factor at that place
    np.testing.assert_allclose(net.length_m, [want, want], rtol=1e-9)
    assert abs(float(net.length_m[0]) - 3048.006) < 1.0


def test_no_crs_projected_coordinates_ask_for_crs(tmp_path):
    """Case 11: a shapefile with no .prj and coordinates that are not lon/lat."""
    p = tmp_path / "road_nocrs.shp"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.LineString([(0, 0), (1000, 0)])]).to_file(p)
    assert not p.with_suffix(".prj").exists()
    with pytest.raises(InputError) as e:
        from_lines(p)
    msg = str(e.value)
    assert "road_nocrs.shp" in msg and "--crs" in msg and "\n" not in msg
    # with --crs it builds, and the length is measured in that CRS on the ground
    net = from_lines(p, crs="EPSG:32613")
    lon, lat = Transformer.from_crs(32613, 4326, always_xy=True).transform([0, 1000], [0, 0])
    np.testing.assert_allclose(net.length_m[0], GEOD.line_length(lon, lat), rtol=1e-9)


def test_no_crs_lonlat_is_assumed_and_said(tmp_path):
    p = tmp_path / "lonlat.shp"
    gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.LineString([(-100, 20), (-100.1, 20)])]).to_file(
        p
    )
    net = from_lines(p)
    assert net.meta["crs"] == "EPSG:4326" and net.meta["crs_assumed"] is True
    assert any("no CRS" in w for w in net.meta["warnings"])
    np.testing.assert_allclose(
        net.length_m[0], GEOD.line_length([-100, -100.1], [20, 20]), rtol=1e-12
    )


def test_bad_crs_option_is_one_line():
    gdf = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1, 0)])])
    with pytest.raises(InputError, match="not a coordinate reference system"):
        from_geodataframe(gdf, crs="EPSG:99999999")


def test_geographic_crs_with_projected_numbers_is_an_error():
    gdf = gpd.GeoDataFrame(geometry=[shapely.LineString([(500000, 0), (501000, 0)])], crs=4326)
    with pytest.raises(InputError, match="not longitude/latitude"):
        from_geodataframe(gdf)


def test_snapping_distance_is_ground_metres_in_web_mercator():
    """At 60 N, Web Mercator stretches by 2: ends 1.5 ground metres apart (3 map units)
    merge with snap_m=2 and stay apart with snap_m=1."""
    tr = Transformer.from_crs(4326, 3857, always_xy=True)
    x0, y0 = tr.transform(20.0, 60.0)
    lon2, lat2, _ = GEOD.fwd(20.0, 60.0, 90.0, 1.5)
    x1, y1 = tr.transform(lon2, lat2)
    assert abs((x1 - x0) - 3.0) < 0.01
    a = shapely.LineString([(x0 - 1000, y0), (x0, y0)])
    b = shapely.LineString([(x1, y1), (x1, y1 + 1000)])
    gdf = gpd.GeoDataFrame(geometry=[a, b], crs=3857)
    assert from_geodataframe(gdf, snap_m=2.0).n_nodes == 3
    assert from_geodataframe(gdf, snap_m=1.0).n_nodes == 4


# ----------------------------------------------------------------------- antimeridian
@st.composite
def antimeridian_roads(draw):
    """A chain of roads stepping across 180 E/W; vertices given as +-180-style longitudes."""
    lat = draw(st.floats(-60, 60))
    lon = draw(st.floats(179.5, 179.99))
    pts = [(lon, lat)]
    for _ in range(draw(st.integers(2, 6))):
        x2, y2, _ = GEOD.fwd(
            pts[-1][0], pts[-1][1], draw(st.floats(45, 135)), draw(st.floats(200, 8000))
        )
        pts.append((float(x2), float(y2)))
    style = draw(st.sampled_from(["wrapped", "0-360", "180-exact"]))
    return pts, style


@given(antimeridian_roads())
@settings(max_examples=40, deadline=None)
def test_roads_across_the_antimeridian(data):
    """Each consecutive pair is its own road; roads join end to end whatever longitude
    convention, and lengths are the short way round (pyproj Geod)."""
    pts, style = data
    lons = np.array([p[0] for p in pts])
    if style == "0-360":
        lons = np.where(lons < 0, lons + 360.0, lons)
    lats = np.array([p[1] for p in pts])
    geoms = []
    for i in range(len(pts) - 1):
        a, b = [lons[i], lats[i]], [lons[i + 1], lats[i + 1]]
        if style == "180-exact" and i == 0:
            b = [180.0, lats[i + 1]]  # ends exactly on 180 ...
        if style == "180-exact" and i == 1:
            a = [-180.0, lats[i]]  # ... and the next road starts on -180
        geoms.append(shapely.LineString([a, b]))
    net = from_geodataframe(gpd.GeoDataFrame(geometry=geoms, crs=4326))
    if style == "180-exact":
        lons[1] = 180.0
    want = [GEOD.line_length(lons[i : i + 2], lats[i : i + 2]) for i in range(len(pts) - 1)]
    np.testing.assert_allclose(np.sort(net.length_m), np.sort(np.repeat(want, 2)), rtol=1e-9)
    assert net.n_nodes == len(pts)
    assert ((net.node_lon >= -180) & (net.node_lon < 180)).all()
    d = dijkstra(net.csr())
    assert np.isfinite(d).all()
    assert abs(d.max() - sum(want)) <= 1e-6 * sum(want)


def test_road_crossing_180_is_not_measured_round_the_globe(tmp_path):
    p = tmp_path / "fiji.geojson"
    p.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {
                            "type": "LineString",
                            "coordinates": [[179.99, -16.5], [-179.99, -16.5]],
                        },
                    }
                ],
            }
        )
    )
    net = from_lines(p)
    want = GEOD.line_length([179.99, -179.99], [-16.5, -16.5])
    assert want < 2200
    np.testing.assert_allclose(net.length_m, [want, want], rtol=1e-12)


def test_geo_helpers_across_the_antimeridian():
    assert central_lon(np.array([179.5, -179.5, 178.0])) == pytest.approx(179.25)
    crs = local_metric_crs(np.array([179.5, -179.5]), np.array([-17.0, -16.0]))
    x, _ = Transformer.from_crs(4326, crs, always_xy=True).transform(180.0, -16.5)
    assert abs(x) < 1e-6  # centred on the antimeridian, not on Greenwich
    assert wrap_lon(np.array([540.0]))[0] == -180.0
    d = geodesic_m(np.array([180.0]), np.array([10.0]), np.array([-180.0]), np.array([10.0]))
    assert d[0] == 0.0


def test_crs_option_overrides_the_files_and_says_so():
    """Coordinates in UTM 13N mislabelled as UTM 14N: --crs puts them right."""
    line = shapely.LineString([(500_000, 2_800_000), (501_000, 2_800_000)])
    gdf = gpd.GeoDataFrame(geometry=[line], crs="EPSG:32614")
    net = from_geodataframe(gdf, crs="EPSG:32613")
    assert net.meta["crs"] == "EPSG:32613"
    assert any("overrides" in w and "EPSG:32614" in w for w in net.meta["warnings"])
    assert -106 < float(net.node_lon.min()) < -104  # zone 13's central meridian is -105
