"""Geodata of an enforcement optimisation: site geometries and each origin's route.

Sites get their own shape: a road site its road (the arcs' stored geometry, or the straight
segment between their end nodes), a node or crossing site its point, a region site its
outline when the network stores one (the union of its sub-regions' outlines for a parent
region) and a point otherwise. Routes are one LineString per origin, before the units (the
baseline) and after them (the traffickers' best response), the paths the report's map
draws. Everything is EPSG:4326 and written with GeoPandas through pyogrio.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from reten.models.interdiction import Sites
from reten.models.routes import RouteResult
from reten.network.geo import null_unlocated
from reten.network.model import Network

#: geometry families; a GeoPackage layer holds one (see :func:`write_layers`)
_FAMILY = {
    "Point": "point",
    "MultiPoint": "point",
    "LineString": "line",
    "MultiLineString": "line",
    "Polygon": "polygon",
    "MultiPolygon": "polygon",
}


def _neighbours(net: Network, v: int) -> set[int]:
    """Return the nodes joined to ``v`` by an arc in either direction."""
    out = net.arc_target[net.indptr[v] : net.indptr[v + 1]]
    inn = net.arc_source[net.rev_arc[net.rev_indptr[v] : net.rev_indptr[v + 1]]]
    return {int(w) for w in np.concatenate([out, inn]).tolist()} - {v}


def _extend(net: Network, prev: int, v: int, end: int) -> list[int]:
    """Return the nodes after ``v`` on the road leaving ``prev -> v``, up to node ``end``.

    The road goes on through nodes with exactly two neighbours; it stops at ``end``, at any
    other node, or where it would come back on itself.
    """
    nodes: list[int] = []
    seen = {prev, v}
    while v != end:
        nxt = _neighbours(net, v) - {prev}
        if len(nxt) != 1:
            break
        w = nxt.pop()
        if w in seen:
            break
        nodes.append(w)
        seen.add(w)
        prev, v = v, w
    return nodes


def _leg(net: Network, u: int, w: int) -> np.ndarray:
    """Return the lon/lat polyline from node ``u`` to node ``w`` along the arc joining them."""
    e = int(net.arc_id(np.array([u]), np.array([w]))[0])
    if e >= 0:
        return net.arc_geometry(e)
    e = int(net.arc_id(np.array([w]), np.array([u]))[0])
    if e >= 0:
        return net.arc_geometry(e)[::-1]
    return np.array([[net.node_lon[u], net.node_lat[u]], [net.node_lon[w], net.node_lat[w]]])


def _join(parts: list[np.ndarray]) -> Any:
    """Return one LineString through the polylines ``parts`` (shared joints kept once), or
    None when a point of it has no known position (NaN)."""
    xy = [np.asarray(parts[0], np.float64).reshape(-1, 2)]
    for p in parts[1:]:
        p = np.asarray(p, np.float64).reshape(-1, 2)
        xy.append(p[1:] if len(p) and np.array_equal(p[0], xy[-1][-1]) else p)
    coords = np.concatenate(xy)
    if not np.isfinite(coords).all():
        return None
    if len(coords) == 1:
        coords = np.vstack([coords, coords])
    return shapely.linestrings(coords)


def road_line(net: Network, arc: int, end_a: int = -1, end_b: int = -1) -> Any:
    """Return the LineString of the road holding ``arc``, from junction ``end_a`` to ``end_b``.

    A road site stands for a road between two junctions that may pass through nodes with two
    neighbours (such as the node that splits a parallel road); its line runs along every
    piece, each piece's stored geometry (or the straight segment between its end nodes).
    With ``end_a``/``end_b`` of -1 the line is the arc's own.

    Examples
    --------
    >>> net = Network.from_arcs(np.array([0, 1]), np.array([1, 2]), np.array([5.0, 5.0]),
    ...                         np.array([0.0, 1.0, 2.0]), np.zeros(3))
    >>> road_line(net, 0, 0, 2).wkt
    'LINESTRING (0 0, 1 0, 2 0)'
    >>> road_line(net, 0).wkt
    'LINESTRING (0 0, 1 0)'
    """
    s, t = int(net.arc_source[arc]), int(net.arc_target[arc])
    before = _extend(net, t, s, end_a) if end_a >= 0 else []
    after = _extend(net, s, t, end_b) if end_b >= 0 else []
    nodes = [*before[::-1], s, t, *after]
    parts = [
        net.arc_geometry(arc) if (u, w) == (s, t) else _leg(net, u, w)
        for u, w in zip(nodes[:-1], nodes[1:], strict=True)
    ]
    return _join(parts)


def _region_shape(net: Network, row: int) -> Any:
    """Return region ``row``'s outline, its sub-regions' union, or None when neither exists."""
    regs = net.regions
    wkb = regs.outline_wkb
    if wkb is None:
        return None
    if wkb[row] is not None:
        return shapely.from_wkb(wkb[row])
    kids = [i for i in range(len(regs)) if wkb[i] is not None and _descends(regs.parent, i, row)]
    if not kids:
        return None
    return shapely.union_all(shapely.from_wkb(np.asarray([wkb[i] for i in kids], dtype=object)))


def _descends(parent: np.ndarray, i: int, row: int) -> bool:
    r = int(parent[i])
    for _ in range(8):
        if r < 0:
            return False
        if r == row:
            return True
        r = int(parent[r])
    return False


def site_geometries(
    net: Network, sites: Sites, rows: np.ndarray, lon: np.ndarray, lat: np.ndarray
) -> np.ndarray:
    """Return the shape of each site at positions ``rows`` (shapely geometries, EPSG:4326).

    Parameters
    ----------
    net : Network
    sites : Sites
        The candidate sites (``anchor`` gives each site's nodes or region row).
    rows : (k,) int
        Positions of the sites wanted.
    lon, lat : (k,) float
        Each site's representative point, used for a region with no outline.

    Returns
    -------
    (k,) object array of shapely geometries
        ``arcs``: LineString of the road (:func:`road_line`); ``nodes`` and ``crossings``:
        Point at the node; ``regions``: Polygon or MultiPolygon of the region's outline
        (simplified to about 500 m when the regions were read), or a Point at ``lon``/
        ``lat`` when the network stores no outline for it. None (no geometry) where a
        node of the shape has no known position.

    Examples
    --------
    >>> from reten.problem import Problem
    >>> from reten.models.interdiction import build_sites
    >>> net = Network.from_arcs(np.array([0, 1]), np.array([1, 2]), np.array([5.0, 5.0]),
    ...                         np.array([0.0, 1.0, 2.0]), np.zeros(3))
    >>> p = Problem(net.length_m.copy(), np.zeros(2), np.array([2]), np.zeros(1),
    ...             np.zeros(1), np.array([0]), np.ones(1))
    >>> s = build_sites(net, p, "nodes", delay=1.0, p_detect=0.1)
    >>> s.label.tolist()  # node 0 has no road entering it: no site
    ['1', '2']
    >>> [g.wkt for g in site_geometries(net, s, np.arange(2), np.zeros(2), np.zeros(2))]
    ['POINT (1 0)', 'POINT (2 0)']
    """
    rows = np.asarray(rows, dtype=np.int64)
    out = np.empty(rows.size, dtype=object)
    anchor = sites.anchor if len(sites.anchor) == sites.size else np.full((sites.size, 2), -1)
    for i, s in enumerate(rows.tolist()):
        cover = sites.incidence.indices[sites.incidence.indptr[s] : sites.incidence.indptr[s + 1]]
        a, b = (int(x) for x in anchor[s])
        if sites.kind == "arcs":
            out[i] = road_line(net, int(cover.min()), a, b)
        elif sites.kind in ("nodes", "crossings") and a >= 0:
            out[i] = _point(float(net.node_lon[a]), float(net.node_lat[a]))
        elif sites.kind == "regions" and b >= 0 and (shape := _region_shape(net, b)) is not None:
            out[i] = shape
        else:
            out[i] = _point(float(lon[i]), float(lat[i]))
    return out


def _point(lon: float, lat: float) -> Any:
    """Return a Point, or None when the position is unknown (NaN)."""
    return shapely.Point(lon, lat) if np.isfinite(lon) and np.isfinite(lat) else None


def representative_points(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return a lon/lat point on each geometry: a Point itself, a line's point halfway along
    it (in lon/lat), a polygon's :func:`shapely.point_on_surface` (inside it); NaN for a
    missing geometry.

    Examples
    --------
    >>> g = np.array([shapely.Point(1, 2), shapely.LineString([(0, 0), (2, 0), (2, 2)]),
    ...               shapely.box(0, 0, 2, 2)], dtype=object)
    >>> [(float(x), float(y)) for x, y in zip(*representative_points(g))]
    [(1.0, 2.0), (2.0, 0.0), (1.0, 1.0)]
    """
    g = np.asarray(geoms, dtype=object)
    kind = shapely.get_type_id(g)
    lines = np.isin(kind, (1, 5))  # LineString, MultiLineString
    pts = shapely.point_on_surface(g)
    pts[lines] = shapely.line_interpolate_point(g[lines], 0.5, normalized=True)
    return shapely.get_x(pts), shapely.get_y(pts)


def sites_geoframe(net: Network, sites: Sites, rows: np.ndarray, table: pd.DataFrame) -> Any:
    """Return ``table`` (one row per site at ``rows``, with ``lon``/``lat``) as a
    GeoDataFrame in EPSG:4326 with each site's shape (:func:`site_geometries`)."""
    import geopandas as gpd

    geom = site_geometries(net, sites, rows, table.lon.to_numpy(float), table.lat.to_numpy(float))
    return gpd.GeoDataFrame(table.reset_index(drop=True), geometry=list(geom), crs="EPSG:4326")


def route_line(net: Network, r: RouteResult, origin: int) -> Any:
    """Return origin ``origin``'s route in ``r`` as a LineString from the origin to its
    crossing, or None when it has no route, starts at its crossing or passes a node whose
    position is unknown."""
    arcs = r.path(origin)
    if arcs.size == 0:
        return None
    return _join([net.arc_geometry(int(e)) for e in arcs])


def routes_geoframe(net: Network, base: RouteResult, response: RouteResult) -> Any:
    """Return each origin's route before and after the units as a GeoDataFrame (EPSG:4326).

    Two rows per origin: ``scenario`` ``baseline`` (no units) and ``response`` (the
    traffickers' best response to the chosen sites), then the columns of ``origins.csv``
    (``origin``, ``node``, ``volume_kg``, ``cost`` per kg, ``crossing``, ``seized_kg``,
    ``money_cost``, ``length_km``, the origin's ``lon``/``lat``, ``crossing_node``) and
    ``changed`` (True when the origin's path differs between the two). The geometry is the
    route's LineString, empty (null) for an origin with no route or one at its crossing.
    """
    import geopandas as gpd

    from reten.report.exports import origins_frame

    n = base.problem.origin_node.size
    changed = np.array(
        [not np.array_equal(base.path(o), response.path(o)) for o in range(n)], dtype=bool
    )
    frames, geoms = [], []
    for name, r in (("baseline", base), ("response", response)):
        df = origins_frame(net, r)
        df.insert(1, "scenario", name)
        df["changed"] = changed
        frames.append(df)
        geoms += [route_line(net, r, o) for o in range(n)]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry=geoms, crs="EPSG:4326")


def finite_or_null(gdf: Any) -> Any:
    """Return ``gdf`` with NaN and infinite floats as missing values (nullable ``Float64``).

    GeoJSON has no NaN or Infinity: GDAL would drop such a field with a warning. A missing
    value is written as ``null`` (GeoJSON) or NULL (GeoPackage); an origin with no route has
    a null ``cost``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> g = gpd.GeoDataFrame({"cost": [1.0, np.inf]}, geometry=[None, None])
    >>> finite_or_null(g).cost.tolist()
    [1.0, <NA>]
    """
    out = gdf.copy()
    for c in out.columns:
        if c != out.geometry.name and pd.api.types.is_float_dtype(out[c].dtype):
            v = out[c].to_numpy(dtype=np.float64, na_value=np.nan)
            if not np.isfinite(v).all():
                out[c] = pd.array(np.where(np.isfinite(v), v, np.nan), dtype="Float64")
    return out


def write_layers(gdf: Any, folder: Path, stem: str) -> list[str]:
    """Write ``gdf`` to ``folder/STEM.geojson`` and ``folder/STEM.gpkg``; return the GPKG's
    layer names.

    GeoJSON holds every feature, whatever its geometry type. A GeoPackage layer holds one
    geometry type (GDAL would declare a mixed layer as the generic ``GEOMETRY``, which GIS
    tools draw badly): the layer is named ``STEM`` when the rows share one family (points,
    lines or polygons, single and multi parts together as multi), and otherwise there is one
    layer per family, ``STEM_point``, ``STEM_line`` and ``STEM_polygon`` (rows with no
    geometry go with the first). NaN and infinite values are written as null
    (:func:`finite_or_null`), and so is a geometry through a node whose position is unknown
    (:func:`reten.network.geo.null_unlocated`).
    """
    gdf = finite_or_null(gdf)
    gdf = gdf.set_geometry(list(null_unlocated(gdf.geometry.to_numpy())[0]), crs=gdf.crs)
    gdf.to_file(folder / f"{stem}.geojson", driver="GeoJSON", engine="pyogrio")
    fam = gdf.geometry.geom_type.map(_FAMILY)
    present = sorted(set(fam.dropna()))
    if len(present) <= 1:
        gdf.to_file(folder / f"{stem}.gpkg", driver="GPKG", layer=stem, engine="pyogrio")
        return [stem]
    layers = []
    for j, f in enumerate(present):
        layer = f"{stem}_{f}"
        rows = (fam == f) | (fam.isna() & (j == 0))
        gdf[rows].to_file(folder / f"{stem}.gpkg", driver="GPKG", layer=layer, engine="pyogrio")
        layers.append(layer)
    return layers
