"""Line attributes: one-way codes, road classes, speeds, column presets, skipped features."""

from __future__ import annotations

import json

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from pyproj import Geod
from scipy.sparse.csgraph import dijkstra

from reten.errors import InputError
from reten.network.lines import from_geodataframe, from_lines
from reten.network.model import CLASS_SPEED_KMH, ROAD_CLASSES

GEOD = Geod(ellps="WGS84")

# code -> allowed directions relative to the digitised direction: (along, against)
ONEWAY_TABLE = {
    "yes": (True, False),
    "Yes": (True, False),
    "true": (True, False),
    "1": (True, False),
    "F": (True, False),
    "f": (True, False),
    "FT": (True, False),
    "Un sentido": (True, False),
    "-1": (False, True),
    "reverse": (False, True),
    "T": (False, True),
    "t": (False, True),
    "TF": (False, True),
    "no": (True, True),
    "false": (True, True),
    "0": (True, True),
    "B": (True, True),
    "b": (True, True),
    "Dos sentidos": (True, True),
    "": (True, True),
}


def _one_road(code, **extra):
    return gpd.GeoDataFrame(
        {"oneway": [code], **{k: [v] for k, v in extra.items()}},
        geometry=[shapely.LineString([(0.0, 0.0), (0.01, 0.0)])],
        crs=4326,
    )


@pytest.mark.parametrize("code", list(ONEWAY_TABLE))
def test_oneway_codes_table(code):
    net = from_geodataframe(_one_road(code), columns="osm")
    start = int(np.argmin(net.node_lon))  # the digitised start is the western node
    along = bool((net.arc_source == start).any())
    against = bool((net.arc_target == start).any())
    assert (along, against) == ONEWAY_TABLE[code]
    assert not any("one-way" in w for w in net.meta["warnings"])


@pytest.mark.parametrize("value", [1, 0, -1, 1.0, True, False, None])
def test_oneway_numeric_and_boolean_columns(value):
    want = {1: (True, False), 0: (True, True), -1: (False, True), None: (True, True)}
    net = from_geodataframe(_one_road(value), columns="osm")
    start = int(np.argmin(net.node_lon))
    got = (bool((net.arc_source == start).any()), bool((net.arc_target == start).any()))
    assert got == want[None if value is None else int(value)]


def test_unknown_oneway_codes_are_reported_with_counts():
    gdf = gpd.GeoDataFrame(
        {"oneway": ["alternating", "alternating", "reversible", "yes"]},
        geometry=[shapely.LineString([(0.0, 0.01 * i), (0.01, 0.01 * i)]) for i in range(4)],
        crs=4326,
    )
    net = from_geodataframe(gdf, columns="osm")
    (w,) = [w for w in net.meta["warnings"] if w.startswith("one-way")]
    assert "3 values" in w and "'alternating' (2)" in w and "'reversible' (1)" in w
    assert "two-way" in w
    assert net.n_arcs == 2 * 3 + 1  # read as two-way, as documented and reported


def test_geofabrik_ftb_case_06(tmp_path):
    """Case 06: F with the line, T against it, B both; route 22.2639 km (NetworkX oracle)."""
    feats = [
        ([(0.0, 0.0), (0.1, 0.0)], "F"),
        ([(0.2, 0.0), (0.1, 0.0)], "T"),
        ([(0.0, 0.0), (0.1, 0.1), (0.2, 0.0)], "B"),
    ]
    p = tmp_path / "roads.geojson"
    gpd.GeoDataFrame(
        {
            "osm_id": ["101", "102", "103"],
            "fclass": ["primary"] * 3,
            "oneway": [f[1] for f in feats],
            "maxspeed": [0, 0, 0],
        },
        geometry=[shapely.LineString(f[0]) for f in feats],
        crs=4326,
    ).to_file(p)
    net = from_lines(p, columns="osm")
    straight = sorted(
        (round(float(g[0, 0]), 3), round(float(g[-1, 0]), 3))
        for g in (net.arc_geometry(e) for e in range(net.n_arcs))
        if len(g) == 2  # the F and T roads (the B detour has 3 vertices)
    )
    assert straight == [(0.0, 0.1), (0.1, 0.2)]
    g = nx.DiGraph()
    for xy, ow in feats:
        km = GEOD.line_length(*zip(*xy, strict=True)) / 1000
        if ow in ("F", "B"):
            g.add_edge(xy[0], xy[-1], km=km)
        if ow in ("T", "B"):
            g.add_edge(xy[-1], xy[0], km=km)
    want = nx.shortest_path_length(g, (0.0, 0.0), (0.2, 0.0), weight="km")
    assert abs(want - 22.263898) < 1e-6
    w = int(np.argmin(np.hypot(net.node_lon - 0.0, net.node_lat)))
    e = int(np.argmin(np.hypot(net.node_lon - 0.2, net.node_lat)))
    assert abs(dijkstra(net.csr(), indices=w)[e] / 1000 - want) < 1e-9
    # maxspeed 0 = unknown: the class default speed
    assert np.all(net.speed_kmh == CLASS_SPEED_KMH[ROAD_CLASSES.index("primary")])


def test_osm_preset_on_geofabrik_layout_without_optional_columns():
    gdf = gpd.GeoDataFrame(
        {
            "osm_id": ["1", "2"],
            "code": [5113, 5122],
            "fclass": ["primary", "residential"],
            "oneway": ["B", "F"],
            "maxspeed": [60, 0],
        },
        geometry=[
            shapely.LineString([(0.0, 0.0), (0.01, 0.0)]),
            shapely.LineString([(0.01, 0.0), (0.02, 0.0)]),
        ],
        crs=4326,
    )
    net = from_geodataframe(gdf, columns="osm")
    assert net.meta["columns"] == {
        "road_class": "fclass",
        "speed_kmh": "maxspeed",
        "oneway": "oneway",
    }
    assert net.n_arcs == 3
    spd = {ROAD_CLASSES[c]: float(s) for c, s in zip(net.road_class, net.speed_kmh, strict=True)}
    assert spd == {"primary": 60.0, "local": CLASS_SPEED_KMH[-1]}


def test_preset_with_none_of_its_columns_is_one_line():
    gdf = gpd.GeoDataFrame(
        {"foo": [1]}, geometry=[shapely.LineString([(0, 0), (0.01, 0)])], crs=4326
    )
    with pytest.raises(InputError, match="--columns osm") as e:
        from_geodataframe(gdf, columns="osm")
    assert "highway/fclass" in str(e.value) and "foo" in str(e.value)


def test_unknown_and_missing_road_classes_reported_non_motor_skipped():
    classes = ["primary", "zzz_road", "zzz_road", None, "footway", "cycleway", "track_grade2"]
    gdf = gpd.GeoDataFrame(
        {"highway": classes},
        geometry=[shapely.LineString([(0.0, 0.01 * i), (0.01, 0.01 * i)]) for i in range(7)],
        crs=4326,
    )
    net = from_geodataframe(gdf, columns="osm")
    ws = net.meta["warnings"]
    assert any("'zzz_road' (2)" in w and "'local'" in w for w in ws)
    assert any("1 lines have no class" in w for w in ws)
    assert net.meta["dropped"]["non_motor_class"] == 2
    assert any("2 features skipped" in w and "feature 4" in w for w in ws)
    assert net.n_arcs == 2 * 5
    assert (net.road_class == ROAD_CLASSES.index("local")).sum() == 2 * 4


def test_bad_features_skipped_and_counted_with_first_index(tmp_path):
    feats = [
        {"type": "LineString", "coordinates": [[0.0, 0.0], [0.01, 0.0]]},
        {"type": "LineString", "coordinates": [[0.0, 0.01]]},  # one vertex
        None,  # no geometry
        {"type": "LineString", "coordinates": []},  # empty
        {"type": "LineString", "coordinates": [[0.0, 0.02], ["NaN", 0.02]]},
        {
            "type": "MultiLineString",
            "coordinates": [[[0.0, 0.03], [0.01, 0.03]], [[0.0, 0.04], [0.01, 0.04]]],
        },
    ]
    text = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"i": i}, "geometry": g}
                for i, g in enumerate(feats)
            ],
        }
    ).replace('"NaN"', "NaN")
    p = tmp_path / "bad.geojson"
    p.write_text(text)
    net = from_lines(p)
    dropped = net.meta["dropped"]
    assert dropped["invalid_geometry"] == 1
    assert dropped["empty_geometry"] == 2
    assert dropped["bad_coordinates"] == 1
    ws = " | ".join(net.meta["warnings"])
    assert "feature 1," in ws and "feature 2," in ws and "feature 4," in ws
    # the good line and both parts of the MultiLineString
    assert net.n_arcs == 2 * 3 and net.meta["lines"] == 3


def test_all_features_bad_is_one_line_error():
    gdf = gpd.GeoDataFrame(geometry=[shapely.LineString([(0.0, 0.0), (np.nan, 1.0)])], crs=4326)
    with pytest.raises(InputError, match="no line features"):
        from_geodataframe(gdf)


def test_points_are_refused_naming_the_feature():
    gdf = gpd.GeoDataFrame(
        geometry=[shapely.LineString([(0, 0), (0.01, 0)]), shapely.Point(0, 0)], crs=4326
    )
    with pytest.raises(InputError, match="feature 1 .*Point"):
        from_geodataframe(gdf)


def test_named_column_must_exist_case_insensitive_match_allowed():
    gdf = gpd.GeoDataFrame(
        {"FCLASS": ["motorway"]}, geometry=[shapely.LineString([(0, 0), (0.01, 0)])], crs=4326
    )
    from reten.network.lines import ColumnMap

    net = from_geodataframe(gdf, columns=ColumnMap(road_class="fclass"))
    assert net.road_class.tolist() == [0, 0]
    with pytest.raises(InputError, match="'kind'"):
        from_geodataframe(gdf, columns=ColumnMap(road_class="kind"))


def test_inegi_columns_and_toll():
    gdf = gpd.GeoDataFrame(
        {
            "CIRCULA": ["Un sentido", "Dos sentidos"],
            "PEAJE": ["Si", "No"],
            "TIPO_VIAL": ["Autopista", "Calle"],
            "VELOCIDAD": ["110", ""],
        },
        geometry=[
            shapely.LineString([[0, 0], [1000, 0]]),
            shapely.LineString([[1000, 0], [1000, 1000]]),
        ],
        crs="EPSG:32613",
    )
    net = from_geodataframe(gdf, columns="inegi")
    assert net.n_arcs == 3
    a = int(np.flatnonzero(net.toll)[0])
    assert net.road_class[a] == 0 and net.speed_kmh[a] == 110.0
    assert abs(net.time_h[a] - net.length_m[a] / 1000 / 110.0) < 1e-12
    assert net.toll.sum() == 1
    assert net.speed_kmh[net.road_class == 5].tolist() == [CLASS_SPEED_KMH[5]] * 2
