"""Region polygons: CRS checks and the nearest-region fallback at high latitude."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from reten.errors import InputError
from reten.network.regions import assign_points, read_regions

GEOD = Geod(ellps="WGS84")


def _write(tmp_path, polys, crs, name="regs.shp"):
    p = tmp_path / name
    gdf = gpd.GeoDataFrame({"CODE": [str(i) for i in range(len(polys))]}, geometry=polys)
    if crs is not None:
        gdf = gdf.set_crs(crs)
    gdf.to_file(p)
    return p


def test_regions_without_crs_lonlat_are_read(tmp_path):
    p = _write(tmp_path, [shapely.box(-100, 20, -99, 21)], None)
    regs, polys = read_regions(p, layer=None, code="CODE")
    assert len(regs) == 1 and abs(regs.lon[0] + 99.5) < 0.5


def test_regions_without_crs_projected_is_one_line(tmp_path):
    p = _write(tmp_path, [shapely.box(500_000, 2_000_000, 510_000, 2_010_000)], None)
    with pytest.raises(InputError, match="no CRS") as e:
        read_regions(p, layer=None, code="CODE")
    assert "regs.shp" in str(e.value) and "\n" not in str(e.value)


def test_nearest_region_found_at_high_latitude():
    """A point 15 km east of a polygon at 75 N (0.52 degrees of longitude) takes it within
    a 20 km fallback; the distance is the ground distance (pyproj, to within 1%)."""
    poly = shapely.box(10.0, 74.5, 11.0, 75.5)
    lon, _, _ = GEOD.fwd(11.0, 75.0, 90.0, 15_000.0)
    row, dist = assign_points(np.array([lon]), np.array([75.0]), np.array([poly]), nearest_m=20_000)
    assert row.tolist() == [0]
    # the nearest point of the edge lon = 11 (oracle: geodesic to points along it)
    lats = np.linspace(74.9, 75.1, 2001)
    want = min(
        GEOD.inv(np.full_like(lats, lon), np.full_like(lats, 75.0), np.full_like(lats, 11.0), lats)[
            2
        ]
    )
    assert abs(dist[0] - want) <= 0.01 * want
