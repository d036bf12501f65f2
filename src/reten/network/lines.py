"""Build a Network from line geometries: snap endpoints, split, map attributes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from reten.errors import InputError
from reten.network.geo import WGS84, geodesic_m, local_metric_crs, metres_per_unit
from reten.network.model import ROAD_CLASSES, Network, reorder_nodes, spatial_order


@dataclass(frozen=True)
class ColumnMap:
    """Which attribute columns hold road class, speed (km/h), one-way and toll flags."""

    road_class: str | None = None
    speed_kmh: str | None = None
    oneway: str | None = None
    toll: str | None = None


PRESETS: dict[str, ColumnMap] = {
    # INEGI Red Nacional de Caminos (RNC), layer red_vial
    "inegi": ColumnMap(
        road_class="TIPO_VIAL", speed_kmh="VELOCIDAD", oneway="CIRCULA", toll="PEAJE"
    ),
    "osm": ColumnMap(road_class="highway", speed_kmh="maxspeed", oneway="oneway", toll="toll"),
}

_CLASS_WORDS: dict[str, str] = {
    # OSM
    **{c: c for c in ROAD_CLASSES},
    "motorway_link": "motorway",
    "trunk_link": "trunk",
    "primary_link": "primary",
    "secondary_link": "secondary",
    "tertiary_link": "tertiary",
    "residential": "local",
    "unclassified": "local",
    "service": "local",
    "living_street": "local",
    "track": "local",
    # INEGI RNC TIPO_VIAL (and federal-road wording)
    "autopista": "motorway",
    "carretera": "trunk",
    "federal": "trunk",
    "libre": "primary",
    "cuota": "motorway",
    "boulevard": "secondary",
    "bulevar": "secondary",
    "avenida": "secondary",
    "periferico": "secondary",
    "periférico": "secondary",
    "calzada": "secondary",
    "viaducto": "secondary",
    "circuito": "secondary",
    "enlace": "tertiary",
    "glorieta": "tertiary",
    "retorno": "tertiary",
    "calle": "local",
    "camino": "local",
    "privada": "local",
    "cerrada": "local",
    "andador": "local",
    "brecha": "local",
    "vereda": "local",
    "terraceria": "local",
    "terracería": "local",
}
_TRUE = {"1", "true", "yes", "y", "si", "sí", "s", "t", "un sentido", "one way", "oneway"}
_REVERSE = {"-1", "reverse"}


def parse_road_class(values: pd.Series) -> np.ndarray:
    """Return road-class indices (int8) for OSM or INEGI class words; unknown words are local."""
    lut = {w: ROAD_CLASSES.index(c) for w, c in _CLASS_WORDS.items()}
    local = len(ROAD_CLASSES) - 1
    low = values.astype(str).str.strip().str.lower()
    return np.array([lut.get(v, local) for v in low], dtype=np.int8)


def parse_flag(values: pd.Series) -> np.ndarray:
    """Return +1 (true), -1 (reverse, OSM one-way only) or 0 for each value."""
    low = values.astype(str).str.strip().str.lower()
    return np.where(low.isin(list(_TRUE)), 1, np.where(low.isin(list(_REVERSE)), -1, 0)).astype(
        np.int8
    )


def parse_speed_kmh(values: pd.Series) -> np.ndarray:
    """Return speeds in km/h (NaN where unparsable); '50 mph' is converted."""
    s = values.astype(str).str.strip().str.lower()
    num = pd.to_numeric(s.str.extract(r"([0-9]+(?:\.[0-9]+)?)")[0], errors="coerce").to_numpy()
    mph = s.str.contains("mph").to_numpy()
    return np.where(mph, num * 1.609344, num).astype(np.float64)


def read_vector_file(path: str | os.PathLike[str], layer: str | None = None) -> Any:
    """Return a GeoDataFrame of the line features in ``path`` (any format pyogrio reads).

    Raises ``InputError`` for a missing or unreadable file, an unknown layer, or no lines.
    """
    import geopandas as gpd
    import pyogrio

    p = str(path)
    if not os.path.exists(p):
        raise InputError(f"{p}: file not found")
    try:
        if layer is not None:
            layers = [str(n) for n in pyogrio.list_layers(p)[:, 0]]
            if layer not in layers:
                raise InputError(f"{p}: no layer '{layer}'; layers are: {', '.join(layers)}")
        gdf = gpd.read_file(p, layer=layer, engine="pyogrio")
    except InputError:
        raise
    except Exception as exc:  # pyogrio/GDAL raise many types
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{p}: cannot read as a vector file ({msg})") from None
    return gdf


def from_lines(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    snap_m: float = 1.0,
    split_interior: bool = False,
    largest_component: bool = False,
    columns: ColumnMap | str | None = None,
    crs: str | None = None,
) -> Network:
    """Return a Network built from the line features of a vector file.

    See :func:`from_geodataframe` for the steps; ``columns`` is a ColumnMap or a preset name
    (``"inegi"``, ``"osm"``).
    """
    gdf = read_vector_file(path, layer)
    return from_geodataframe(
        gdf,
        snap_m=snap_m,
        split_interior=split_interior,
        largest_component=largest_component,
        columns=columns,
        crs=crs,
        where=str(path) + (f" layer {layer}" if layer else ""),
    )


def from_geodataframe(
    gdf: Any,
    *,
    snap_m: float = 1.0,
    split_interior: bool = False,
    largest_component: bool = False,
    columns: ColumnMap | str | None = None,
    crs: str | None = None,
    where: str = "GeoDataFrame",
) -> Network:
    """Return a Network from a GeoDataFrame of (multi)line strings.

    Steps: endpoints (and, with ``split_interior``, interior vertices shared by two or more
    lines) closer than ``snap_m`` metres are merged into one node, measured in a local
    azimuthal-equidistant projection; lines are cut at nodes; arc lengths are geodesic for
    geographic data and planar for projected data; zero-length and duplicate arcs are
    dropped; each line becomes two arcs unless its one-way column says otherwise. With
    ``largest_component`` only the largest strongly connected component is kept and
    ``meta["dropped"]`` records what was removed.
    """
    if isinstance(columns, str):
        if columns not in PRESETS:
            raise InputError(f"column preset '{columns}' unknown; valid: {', '.join(PRESETS)}")
        columns = PRESETS[columns]
    columns = columns or ColumnMap()
    for fld in ("road_class", "speed_kmh", "oneway", "toll"):
        col = getattr(columns, fld)
        if col is not None and col not in gdf.columns:
            avail = ", ".join(c for c in gdf.columns if c != gdf.geometry.name) or "(none)"
            raise InputError(f"{where}: mapped column '{col}' ({fld}) not found; columns: {avail}")
    if not np.isfinite(snap_m) or snap_m < 0:
        raise InputError(f"{where}: snap tolerance must be a non-negative number of metres")
    src_crs = CRS.from_user_input(crs) if crs else gdf.crs
    unit_m = metres_per_unit(src_crs, where)
    geoms = gdf.geometry.to_numpy()
    gtypes = shapely.get_type_id(geoms)
    bad = ~np.isin(gtypes, [1, 5, -1]) & ~shapely.is_empty(geoms)
    if bad.any():
        kinds = sorted(
            {
                shapely.get_geometry(g, 0).geom_type if g is not None else "None"
                for g in geoms[bad][:5]
            }
            | {geoms[bad][0].geom_type}
        )
        raise InputError(
            f"{where}: unsupported geometry type {', '.join(kinds)}; "
            "valid: LineString, MultiLineString"
        )
    parts, part_row = shapely.get_parts(geoms, return_index=True)
    parts_ok = ~shapely.is_empty(parts)
    parts, part_row = parts[parts_ok], part_row[parts_ok]
    if parts.size == 0:
        raise InputError(f"{where}: the layer has no line features")
    xy, vline = shapely.get_coordinates(parts, return_index=True)
    if src_crs is not None and not src_crs.equals(WGS84) and unit_m is None:
        tr = Transformer.from_crs(src_crs, WGS84, always_xy=True)
        lon, lat = tr.transform(xy[:, 0], xy[:, 1])
        xy = np.column_stack([lon, lat])
        geographic = True
    else:
        geographic = unit_m is None
    n_lines = parts.size
    attrs = _line_attributes(gdf, columns, part_row)
    net = build_from_vertices(
        xy,
        vline,
        n_lines,
        snap_m=snap_m,
        split_interior=split_interior,
        geographic=geographic,
        unit_m=unit_m or 1.0,
        crs=src_crs,
        road_class=attrs["road_class"],
        speed_kmh=attrs["speed_kmh"],
        oneway=attrs["oneway"],
        toll=attrs["toll"],
        meta={"source": where, "snap_m": snap_m, "split_interior": split_interior},
    )
    if largest_component:
        net = keep_largest_component(net)
    return net


def _line_attributes(gdf: Any, cm: ColumnMap, part_row: np.ndarray) -> dict[str, np.ndarray]:
    n = part_row.size
    out: dict[str, np.ndarray] = {
        "road_class": np.full(n, len(ROAD_CLASSES) - 1, np.int8),
        "speed_kmh": np.full(n, np.nan),
        "oneway": np.zeros(n, np.int8),
        "toll": np.zeros(n, bool),
    }
    if cm.road_class:
        out["road_class"] = parse_road_class(gdf[cm.road_class])[part_row]
    if cm.speed_kmh:
        out["speed_kmh"] = parse_speed_kmh(gdf[cm.speed_kmh])[part_row]
    if cm.oneway:
        out["oneway"] = parse_flag(gdf[cm.oneway])[part_row]
    if cm.toll:
        out["toll"] = (parse_flag(gdf[cm.toll]) == 1)[part_row]
    return out


def build_from_vertices(
    xy: np.ndarray,
    vline: np.ndarray,
    n_lines: int,
    *,
    snap_m: float,
    split_interior: bool,
    geographic: bool,
    unit_m: float = 1.0,
    crs: CRS | None = None,
    road_class: np.ndarray | None = None,
    speed_kmh: np.ndarray | None = None,
    oneway: np.ndarray | None = None,
    toll: np.ndarray | None = None,
    meta: dict[str, Any] | None = None,
) -> Network:
    """Return a Network from line vertices ``xy`` (grouped by ``vline``, the line of each).

    ``xy`` is lon/lat when ``geographic`` else projected coordinates in units of ``unit_m``
    metres in ``crs``. ``oneway`` per line: 1 forward only, -1 backward only, 0 both ways.
    """
    nv = xy.shape[0]
    first = np.ones(nv, dtype=bool)
    first[1:] = vline[1:] != vline[:-1]
    last = np.ones(nv, dtype=bool)
    last[:-1] = vline[1:] != vline[:-1]
    endpoint = first | last
    if geographic:
        metric = _project(xy[:, 0], xy[:, 1], local_metric_crs(xy[:, 0], xy[:, 1]))
    else:
        metric = xy * unit_m
    cand = np.flatnonzero(endpoint) if not split_interior else np.arange(nv)
    cluster = _cluster(metric[cand], snap_m)
    n_clusters = int(cluster.max()) + 1 if cluster.size else 0
    if split_interior:
        # a cluster is a node if it holds an endpoint or vertices of two or more lines
        has_end = np.zeros(n_clusters, bool)
        has_end[cluster[endpoint[cand]]] = True
        pair = np.unique(np.column_stack([cluster, vline[cand]]), axis=0)
        multi = np.bincount(pair[:, 0], minlength=n_clusters) >= 2
        repeat = np.bincount(cluster, minlength=n_clusters) > np.bincount(
            pair[:, 0], minlength=n_clusters
        )
        is_node_cluster = has_end | multi | repeat
        node_of_cluster = np.full(n_clusters, -1, np.int64)
        node_of_cluster[is_node_cluster] = np.arange(int(is_node_cluster.sum()))
        vnode = np.full(nv, -1, np.int64)
        vnode[cand] = node_of_cluster[cluster]
    else:
        vnode = np.full(nv, -1, np.int64)
        vnode[cand] = cluster
    return network_from_split_lines(
        xy,
        vline,
        vnode,
        n_lines,
        geographic=geographic,
        unit_m=unit_m,
        crs=crs,
        road_class=road_class,
        speed_kmh=speed_kmh,
        oneway=oneway,
        toll=toll,
        meta=meta,
    )


def network_from_split_lines(
    xy: np.ndarray,
    vline: np.ndarray,
    vnode: np.ndarray,
    n_lines: int,
    *,
    geographic: bool,
    unit_m: float = 1.0,
    crs: CRS | None = None,
    road_class: np.ndarray | None = None,
    speed_kmh: np.ndarray | None = None,
    oneway: np.ndarray | None = None,
    toll: np.ndarray | None = None,
    meta: dict[str, Any] | None = None,
    node_key: np.ndarray | None = None,
) -> Network:
    """Return a Network from line vertices where ``vnode[i] >= 0`` marks vertex ``i`` as node.

    Every line's first and last vertex must be nodes. Lines are cut at node vertices into
    arcs whose length is the sum of their segments (geodesic when ``geographic``) and whose
    geometry is kept. ``node_key`` gives a public id per node.
    """
    nv = xy.shape[0]
    last = np.ones(nv, dtype=bool)
    last[:-1] = vline[1:] != vline[:-1]
    n_nodes = int(vnode.max()) + 1 if nv else 0
    isnode = vnode >= 0
    # node coordinate: mean of its vertices (in input coordinates)
    cnt = np.bincount(vnode[isnode], minlength=n_nodes).astype(np.float64)
    nx_ = np.bincount(vnode[isnode], weights=xy[isnode, 0], minlength=n_nodes) / cnt
    ny_ = np.bincount(vnode[isnode], weights=xy[isnode, 1], minlength=n_nodes) / cnt
    xy = xy.copy()
    xy[isnode, 0] = nx_[vnode[isnode]]
    xy[isnode, 1] = ny_[vnode[isnode]]
    # segments and pieces
    seg = ~last  # segment i joins vertex i and i+1
    start = isnode & seg
    piece_of_vertex = np.cumsum(start) - 1
    seg_idx = np.flatnonzero(seg)
    seg_piece = piece_of_vertex[seg_idx]
    if geographic:
        seg_len = geodesic_m(xy[seg_idx, 0], xy[seg_idx, 1], xy[seg_idx + 1, 0], xy[seg_idx + 1, 1])
    else:
        d = xy[seg_idx + 1] - xy[seg_idx]
        seg_len = np.hypot(d[:, 0], d[:, 1]) * unit_m
    n_pieces = int(start.sum())
    piece_len = np.bincount(seg_piece, weights=seg_len, minlength=n_pieces)
    p_start = np.flatnonzero(start)
    # the end vertex of a piece is the first node vertex after its start
    node_pos = np.flatnonzero(isnode)
    p_end = node_pos[np.searchsorted(node_pos, p_start, side="right")]
    p_line = vline[p_start]
    u, v = vnode[p_start], vnode[p_end]
    if geographic:
        lonlat = xy
    else:
        tr = Transformer.from_crs(crs, WGS84, always_xy=True)
        lo, la = tr.transform(xy[:, 0], xy[:, 1])
        lonlat = np.column_stack([lo, la])
    geom = [lonlat[a : b + 1] for a, b in zip(p_start.tolist(), p_end.tolist(), strict=True)]
    ow = np.zeros(n_lines, np.int8) if oneway is None else oneway
    ow_p = ow[p_line]
    fwd = ow_p >= 0
    bwd = ow_p <= 0
    src = np.concatenate([u[fwd], v[bwd]])
    dst = np.concatenate([v[fwd], u[bwd]])
    pieces = np.concatenate([np.flatnonzero(fwd), np.flatnonzero(bwd)])
    geometry = [geom[i] for i in np.flatnonzero(fwd)] + [geom[i][::-1] for i in np.flatnonzero(bwd)]

    def per_arc(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else a[p_line][pieces]

    # node_pos lists vertices in order; pick one vertex per node for its coordinate
    first_vertex = np.full(n_nodes, -1, np.int64)
    first_vertex[vnode[node_pos][::-1]] = node_pos[::-1]
    node_lon = lonlat[first_vertex, 0]
    node_lat = lonlat[first_vertex, 1]
    m = dict(meta or {})
    m["lines"] = int(n_lines)
    net = Network.from_arcs(
        src,
        dst,
        piece_len[pieces],
        node_lon,
        node_lat,
        road_class=per_arc(road_class),
        speed_kmh=per_arc(speed_kmh),
        toll=per_arc(toll),
        geometry=geometry,
        node_key=node_key,
        meta=m,
    )
    # number nodes along a space-filling curve: nearby nodes get nearby ids (faster Dijkstra)
    return reorder_nodes(net, spatial_order(net.node_lon, net.node_lat))


def _project(lon: np.ndarray, lat: np.ndarray, crs: CRS) -> np.ndarray:
    tr = Transformer.from_crs(WGS84, crs, always_xy=True)
    x, y = tr.transform(lon, lat)
    return np.column_stack([x, y])


def _cluster(points: np.ndarray, tol: float) -> np.ndarray:
    """Label points so that any two within ``tol`` share a label (single linkage), int64.

    Labels are numbered in order of first appearance, so results are deterministic.
    """
    n = points.shape[0]
    if n == 0:
        return np.zeros(0, np.int64)
    tree = cKDTree(points)
    pairs = tree.query_pairs(r=max(tol, 0.0) + 1e-9, output_type="ndarray")
    g = coo_matrix((np.ones(pairs.shape[0]), (pairs[:, 0], pairs[:, 1])), shape=(n, n)).tocsr()
    _, labels = connected_components(g, directed=False)
    # renumber by first appearance
    _, first_idx = np.unique(labels, return_index=True)
    order = np.argsort(first_idx)
    remap = np.empty_like(order)
    remap[order] = np.arange(order.size)
    return remap[labels].astype(np.int64)


def keep_largest_component(net: Network) -> Network:
    """Return the largest strongly connected component; ``meta['dropped']`` says what went."""
    mask = net.largest_component_mask("strong")
    sub = net.subgraph(mask)
    meta = dict(sub.meta)
    meta["dropped"] = {
        **dict(net.meta.get("dropped", {})),
        "outside_largest_component_nodes": int((~mask).sum()),
        "outside_largest_component_arcs": int(net.n_arcs - sub.n_arcs),
    }
    import dataclasses

    return dataclasses.replace(sub, meta=meta)
