"""Attach region polygons (municipalities, states) to nodes and arcs with an STRtree."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import numpy as np
import shapely

from reten.errors import InputError
from reten.network.geo import local_metric_crs, looks_like_lonlat, to_metric
from reten.network.model import Network, Regions, repeated_codes

DEFAULT_NEAREST_M = 20_000.0
"""Nodes outside every polygon take the nearest one within this distance (metres)."""

# Known column layouts: code column -> (name column, parent code column, parent name column)
_KNOWN: dict[str, tuple[str, str | None, str | None]] = {
    "CVEGEO": ("municipio_name", "CVE_ENT", "state_name"),
    "CVE_ENT": ("state_name", None, None),
}
_LEVEL = {"CVEGEO": "municipality", "CVE_ENT": "state"}


def read_regions(
    path: str | os.PathLike[str],
    *,
    layer: str | None,
    code: str,
    name: str | None = None,
    parent: str | None = None,
    parent_name: str | None = None,
    level: str | None = None,
    parent_level: str = "state",
) -> tuple[Regions, Any]:
    """Return ``(Regions, polygons)`` read from a polygon file.

    The Regions table lists the polygon regions first (level ``level``) then their parents,
    if a parent code column is given or known (INEGI ``CVEGEO`` -> ``CVE_ENT``). ``polygons``
    is an array of shapely geometries in EPSG:4326, one per leaf region.

    Raises
    ------
    InputError
        A missing column, a code that several polygons share (dissolve them first, e.g.
        ``gdf.dissolve(by=code)``), a parent code equal to a region code, a polygon-less
        feature or a CRS that cannot be read; one line naming the file.
    """
    from reten.network.lines import read_vector_file

    p = f"{path}" + (f" layer {layer}" if layer else "")
    gdf = read_vector_file(
        path,
        layer,
        want="polygon",
        layer_option="--regions-layer",
        no_geometry="--regions takes polygons (municipalities or states) in a vector file: "
        "a shapefile, GeoPackage or GeoJSON",
    )
    if code not in gdf.columns:
        cols = ", ".join(c for c in gdf.columns if c != gdf.geometry.name)
        raise InputError(f"{p}: region code column '{code}' not found; columns: {cols}")
    rep = repeated_codes(gdf[code].astype(str).to_numpy(dtype=object))
    if rep:
        raise InputError(
            f"{p}: region code column '{code}' repeats {rep.replace('times', 'polygons')}; "
            "every polygon needs its own code: use a column with one code per polygon, "
            f"or dissolve the polygons by code first (GeoPandas: gdf.dissolve(by='{code}'))"
        )
    known = _KNOWN.get(code, (None, None, None))
    name = name or (known[0] if known[0] in gdf.columns else None)
    parent = parent or (known[1] if known[1] in gdf.columns else None)
    parent_name = parent_name or (known[2] if known[2] in gdf.columns else None)
    for col in (name, parent, parent_name):
        if col is not None and col not in gdf.columns:
            raise InputError(f"{p}: column '{col}' not found")
    gtype = set(gdf.geometry.geom_type.dropna())
    if not gtype <= {"Polygon", "MultiPolygon"}:
        raise InputError(f"{p}: regions must be Polygon/MultiPolygon, found {sorted(gtype)}")
    missing = np.flatnonzero(gdf.geometry.isna().to_numpy() | gdf.geometry.is_empty.to_numpy())
    if missing.size:
        raise InputError(
            f"{p}: feature {int(missing[0])} (0-based) has no valid polygon "
            f"({missing.size} such features); every region needs one"
        )
    if len(gdf) == 0:
        raise InputError(f"{p}: the layer has no regions")
    xy = shapely.get_coordinates(gdf.geometry.to_numpy())
    if gdf.crs is None and not looks_like_lonlat(xy[:, 0], xy[:, 1]):
        raise InputError(
            f"{p}: the regions have no CRS and their coordinates are not longitude/latitude; "
            "add the CRS to the file (e.g. a .prj) or reproject it to EPSG:4326"
        )
    if gdf.crs is None:
        gdf = gdf.set_crs(4326)
    elif gdf.crs.is_geographic and not looks_like_lonlat(xy[:, 0], xy[:, 1]):
        raise InputError(
            f"{p}: the CRS is geographic but the coordinates are not longitude/latitude; "
            "fix the file's CRS"
        )
    try:
        gdf = gdf.to_crs(4326)
    except Exception as exc:  # pyproj raises several types
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(
            f"{p}: cannot transform the regions to longitude/latitude ({msg})"
        ) from None

    rep = shapely.point_on_surface(gdf.geometry.to_numpy())
    # outlines for maps: simplified to about 500 m, kept as WKB
    outlines = shapely.to_wkb(
        shapely.simplify(gdf.geometry.to_numpy(), 0.005, preserve_topology=True)
    )
    rlon, rlat = shapely.get_x(rep), shapely.get_y(rep)
    codes = gdf[code].astype(str).to_numpy(dtype=object)
    names = gdf[name].astype(str).to_numpy(dtype=object) if name else codes.copy()
    n = codes.size
    lvl = level or _LEVEL.get(code, "region")
    if parent:
        pcodes_all = gdf[parent].astype(str).to_numpy(dtype=object)
        pcodes, first = np.unique(pcodes_all, return_index=True)
        pnames = (
            gdf[parent_name].astype(str).to_numpy(dtype=object)[first]
            if parent_name
            else pcodes.copy()
        )
        both = repeated_codes(np.concatenate([codes, pcodes.astype(object)]))
        if both:
            raise InputError(
                f"{p}: code(s) {both.replace(' (2 times)', '')} are in both the region column "
                f"'{code}' and the parent column '{parent}'; a code names one region: "
                "give the parents codes of their own (e.g. a prefix)"
            )
        parent_row = n + np.searchsorted(pcodes, pcodes_all)
        # a parent's point: the member point nearest the mean of its members' points
        plon = np.full(pcodes.size, np.nan)
        plat = np.full(pcodes.size, np.nan)
        for j in range(pcodes.size):
            members = np.flatnonzero(parent_row == n + j)
            mx, my = rlon[members].mean(), rlat[members].mean()
            k = members[np.argmin((rlon[members] - mx) ** 2 + (rlat[members] - my) ** 2)]
            plon[j], plat[j] = rlon[k], rlat[k]
        regions = Regions(
            code=np.concatenate([codes, pcodes.astype(object)]),
            name=np.concatenate([names, pnames]),
            level=np.array([lvl] * n + [parent_level] * pcodes.size, dtype=object),
            parent=np.concatenate([parent_row, np.full(pcodes.size, -1)]).astype(np.int32),
            lon=np.concatenate([rlon, plon]),
            lat=np.concatenate([rlat, plat]),
            outline_wkb=np.concatenate([outlines, np.full(pcodes.size, None, dtype=object)]),
        )
    else:
        regions = Regions(
            codes,
            names,
            np.array([lvl] * n, dtype=object),
            np.full(n, -1, np.int32),
            rlon,
            rlat,
            outlines.astype(object),
        )
    return regions, gdf.geometry.to_numpy()


def assign_points(
    lon: np.ndarray,
    lat: np.ndarray,
    polygons: np.ndarray,
    *,
    nearest_m: float = DEFAULT_NEAREST_M,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(region_row, distance_m)`` for each point.

    A point inside a polygon gets it (distance 0; the lowest row on ties); a point outside
    every polygon gets the nearest polygon within ``nearest_m`` metres, else -1 (distance
    NaN). Distances are measured in a local azimuthal-equidistant projection.
    """
    n = np.asarray(lon).size
    pts = shapely.points(np.asarray(lon, np.float64), np.asarray(lat, np.float64))
    tree = shapely.STRtree(polygons)
    pi, gi = tree.query(pts, predicate="intersects")
    row = np.full(n, -1, np.int64)
    order = np.lexsort((gi, pi))
    pi, gi = pi[order], gi[order]
    firsts = np.ones(pi.size, bool)
    firsts[1:] = pi[1:] != pi[:-1]
    row[pi[firsts]] = gi[firsts]
    dist = np.where(row >= 0, 0.0, np.nan)
    miss = np.flatnonzero(row < 0)
    if miss.size and nearest_m > 0:
        crs = local_metric_crs(np.asarray(lon)[miss], np.asarray(lat)[miss])
        # project only the candidate polygons near the missing points: a search radius in
        # degrees of latitude, widened for longitude by 1 / cos(latitude)
        coslat = np.cos(np.radians(np.clip(np.asarray(lat, np.float64)[miss], -89.0, 89.0)))
        deg = nearest_m / 111_000.0 * 2.0 / coslat + 0.01
        boxes = shapely.buffer(pts[miss], deg)
        bi, cand = tree.query(boxes, predicate="intersects")
        if cand.size:
            ucand = np.unique(cand)
            import geopandas as gpd

            proj = gpd.GeoSeries(polygons[ucand], crs=4326).to_crs(crs).to_numpy()
            xy = to_metric(np.asarray(lon)[miss], np.asarray(lat)[miss], crs)
            mpts = shapely.points(xy)
            d = shapely.distance(mpts[bi], proj[np.searchsorted(ucand, cand)])
            best = np.full(miss.size, np.inf)
            best_row = np.full(miss.size, -1, np.int64)
            # vectorised argmin per point (first in (distance, row) order)
            o = np.lexsort((cand, d, bi))
            b_sorted = bi[o]
            f = np.ones(o.size, bool)
            f[1:] = b_sorted[1:] != b_sorted[:-1]
            best[b_sorted[f]] = d[o][f]
            best_row[b_sorted[f]] = cand[o][f]
            ok = best <= nearest_m
            row[miss[ok]] = best_row[ok]
            dist[miss[ok]] = best[ok]
    return row, dist


def attach_regions(
    net: Network,
    regions: Regions,
    polygons: np.ndarray,
    *,
    nearest_m: float = DEFAULT_NEAREST_M,
) -> Network:
    """Return ``net`` with ``node_region`` and ``arc_region`` set from leaf polygons.

    Nodes are placed by their coordinate, arcs by the midpoint of their geometry (by length).
    ``node_attrs["region_dist_m"]`` records, per node, how far outside its region it lay
    (0 inside; NaN unassigned). Coverage figures go to ``meta["regions"]``.
    """
    if net.n_nodes and not net.located.any():
        raise InputError(
            "regions are placed by longitude/latitude, but the network's nodes have no "
            "coordinates (build it with a node table, --nodes id,lon,lat)"
        )
    nrow, ndist = assign_points(net.node_lon, net.node_lat, polygons, nearest_m=nearest_m)
    mlon, mlat = arc_midpoints(net)
    arow, _ = assign_points(mlon, mlat, polygons, nearest_m=nearest_m)
    attrs = dict(net.node_attrs)
    attrs["region_dist_m"] = ndist
    meta = dict(net.meta)
    meta["regions"] = {
        "count": len(regions),
        "node_coverage": float((nrow >= 0).mean()) if nrow.size else 0.0,
        "nodes_inside": int((ndist == 0).sum()),
        "nodes_by_nearest": int(((nrow >= 0) & (ndist > 0)).sum()),
        "nearest_max_m": nearest_m,
        "arc_coverage": float((arow >= 0).mean()) if arow.size else 0.0,
    }
    return dataclasses.replace(
        net,
        regions=regions,
        node_region=nrow.astype(np.int32),
        arc_region=arow.astype(np.int32),
        node_attrs=attrs,
        meta=meta,
    )


def arc_midpoints(net: Network) -> tuple[np.ndarray, np.ndarray]:
    """Return lon/lat arrays of each arc's midpoint along its geometry (straight if none)."""
    if net.geom_offsets is None or net.geom_xy is None:
        s, t = net.arc_source, net.arc_target
        return (net.node_lon[s] + net.node_lon[t]) / 2, (net.node_lat[s] + net.node_lat[t]) / 2
    off = net.geom_offsets
    lines = shapely.linestrings(net.geom_xy, indices=np.repeat(np.arange(net.n_arcs), np.diff(off)))
    mid = shapely.line_interpolate_point(lines, 0.5, normalized=True)
    return shapely.get_x(mid), shapely.get_y(mid)
