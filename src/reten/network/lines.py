"""Build a Network from line files (Shapefile, GeoPackage, GeoJSON, FlatGeobuf, ...).

How line features become a network
----------------------------------
1. **Ground coordinates.** Every vertex is transformed to WGS84 longitude/latitude first,
   whatever the file's CRS (geographic, projected in metres or feet, Web Mercator).
   A file with no CRS is read as EPSG:4326 when all its coordinates fit longitude/latitude
   (``meta["crs_assumed"]`` says so); otherwise the build stops and asks for ``--crs``.
   Longitudes are wrapped to [-180, 180), so 180 and -180 are the same meridian.
2. **Features skipped, and counted.** Null or empty geometries, parts with NaN or infinite
   coordinates (or outside the CRS's area), LineStrings with fewer than two vertices, and
   roads of non-motorised classes (footway, path, steps, cycleway, bridleway, pedestrian,
   corridor, platform, proposed, construction, ...) are left out. Each kind is counted in
   ``meta["dropped"]`` and ``meta["warnings"]`` names the first feature (0-based row).
   MultiLineStrings are exploded into their parts, which share the feature's attributes.
   Other geometry types (points, polygons) stop the build with an error.
3. **Nodes (junctions).** Line ends closer than ``snap_m`` ground metres are merged into
   one node (single linkage, on geocentric chords). A line end that lies within ``snap_m``
   of another line's interior (a vertex or the middle of a segment) joins that line there:
   the line is split at its nearest point (a **T-junction**; a line end may also join its
   own line, when the point is farther along the line than twice ``snap_m``, as a loop
   closing on itself). One end joins a given line once, at its nearest point. Two lines
   that cross, or that pass through a shared vertex, without either ending there, are
   **not** joined: bridges and overpasses stay apart. With ``split_interior``
   (``--split-interior``), lines are also joined at every interior vertex they share
   (within ``snap_m``), and a line that passes twice through the same vertex is split
   there: the right setting for data whose junctions are shared vertices of unsplit lines
   (for example OSM-derived shapefiles).
   Crossings without a shared vertex are never joined.
4. **Arcs.** Lines are cut at nodes. Each piece keeps its geometry (with its end vertices
   moved onto their nodes, so a snap changes a length by about the gap it closed) and its
   length is the sum of geodesic (WGS84) segment lengths. Every piece is passed on: two
   roads between the same two junctions are both kept, and pieces of length 0 between
   distinct nodes are kept; only self-loops go (counted). Each piece is one road id
   (``road=``), shared by its two directions.
5. **Attributes.** Road class words (OSM ``highway``/``fclass``, INEGI ``TIPO_VIAL``) map to
   :data:`reten.network.model.ROAD_CLASSES`; an empty class, or a word outside the known
   ones, becomes ``local`` and is counted in ``meta["warnings"]``. Speeds are km/h numbers
   (``"50 mph"`` is converted); 0, empty or non-numbers take the class's default speed.
   One-way codes (case-insensitive): along the digitised direction ``yes``, ``true``,
   ``1``, ``F`` (Geofabrik: from-to), ``FT``, ``Un sentido``; against it ``-1``,
   ``reverse``, ``T`` (Geofabrik: to-from), ``TF``; both ways ``no``, ``false``, ``0``,
   ``B``, ``Dos sentidos``; an empty value is both ways. Any other code is read as both
   ways **and** reported with its count in ``meta["warnings"]``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from reten.errors import InputError
from reten.network.geo import (
    describe_crs,
    ecef,
    geodesic_m,
    geodesic_point,
    source_crs,
    to_lonlat,
    wrap_lon,
)
from reten.network.model import ROAD_CLASSES, Network, add_counts, reorder_nodes, spatial_order

Columns = str | tuple[str, ...] | None


@dataclass(frozen=True)
class ColumnMap:
    """Which attribute columns hold road class, speed (km/h), one-way and toll flags.

    A string names a column that must exist; a tuple lists alternatives of which the first
    present is used, and none need be (as in the presets).
    """

    road_class: Columns = None
    speed_kmh: Columns = None
    oneway: Columns = None
    toll: Columns = None


PRESETS: dict[str, ColumnMap] = {
    # INEGI Red Nacional de Caminos (RNC), layer red_vial
    "inegi": ColumnMap(
        road_class=("TIPO_VIAL",),
        speed_kmh=("VELOCIDAD",),
        oneway=("CIRCULA",),
        toll=("PEAJE",),
    ),
    # OSM tags, and the common OSM-derived shapefile layout (Geofabrik: fclass, oneway F/T/B,
    # maxspeed with 0 = unknown); columns that a layout lacks are simply not used
    "osm": ColumnMap(
        road_class=("highway", "fclass"),
        speed_kmh=("maxspeed",),
        oneway=("oneway",),
        toll=("toll",),
    ),
}

_CLASS_WORDS: dict[str, str] = {
    # OSM highway=* and Geofabrik fclass
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
    "road": "local",
    **{f"track_grade{i}": "local" for i in range(1, 6)},
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
NON_MOTOR_CLASSES: frozenset[str] = frozenset(
    {
        "footway",
        "path",
        "steps",
        "cycleway",
        "bridleway",
        "pedestrian",
        "corridor",
        "elevator",
        "escalator",
        "platform",
        "via_ferrata",
        "proposed",
        "construction",
        "abandoned",
        "razed",
    }
)
"""Class words of ways that are not roads for motor vehicles: such lines are left out."""

_MISSING = {"", "nan", "none", "null", "<na>", "nat"}
_ONEWAY: dict[str, int] = {
    **dict.fromkeys(["yes", "true", "1", "y", "f", "ft", "fwd", "forward", "si", "sí", "s"], 1),
    **dict.fromkeys(["un sentido", "one way", "oneway", "one-way"], 1),
    **dict.fromkeys(["-1", "reverse", "t", "tf", "backward"], -1),
    **dict.fromkeys(["no", "false", "0", "n", "b", "both", "two way", "two-way"], 0),
    **dict.fromkeys(["dos sentidos", "doble sentido", "ambos"], 0),
}
"""One-way code -> +1 (along the digitised direction), -1 (against it), 0 (both ways)."""
_TOLL: dict[str, bool] = {
    **dict.fromkeys(["yes", "true", "1", "y", "t", "si", "sí", "s", "cuota"], True),
    **dict.fromkeys(["no", "false", "0", "n", "f", "libre"], False),
}


def _codes(values: pd.Series) -> pd.Series:
    """Return values as lower-case stripped strings ("" when missing); whole numbers as ints."""

    def one(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, bool | np.bool_):
            return "true" if v else "false"
        if isinstance(v, int | float | np.integer | np.floating):
            f = float(v)
            if not np.isfinite(f):
                return ""
            return str(int(f)) if f.is_integer() else repr(f)
        return str(v).strip().lower()

    s = pd.Series(values).astype(object)
    idx, uniq = pd.factorize(s, use_na_sentinel=True)
    lut = np.array([one(u) for u in uniq] + [""], dtype=object)
    return pd.Series(lut[idx], index=s.index, dtype=object).astype(str)


def _report(kind: str, values: pd.Series, bad: np.ndarray, what: str) -> list[str]:
    """Return a one-item list naming the unrecognised values (as written) and their counts."""
    if not bad.any():
        return []
    shown_vals = pd.Series(values).astype(object)[bad].map(lambda v: str(v).strip())
    vc = shown_vals.value_counts()
    shown = ", ".join(f"'{k}' ({int(c)})" for k, c in vc.head(8).items())
    more = f" and {len(vc) - 8} more" if len(vc) > 8 else ""
    return [f"{kind}: {int(bad.sum())} values not recognised, {what}: {shown}{more}"]


def parse_road_class(values: pd.Series) -> np.ndarray:
    """Return road-class indices (int8) for OSM or INEGI class words; others are local.

    Example
    -------
    >>> parse_road_class(pd.Series(["Motorway_link", "Calle", "zzz"])).tolist()
    [0, 5, 5]
    """
    return _parse_road_class(values)[0]


def _parse_road_class(values: pd.Series) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Return ``(class index, warnings, non-motor mask)``."""
    lut = {w: ROAD_CLASSES.index(c) for w, c in _CLASS_WORDS.items()}
    local = len(ROAD_CLASSES) - 1
    low = _codes(values)
    out = np.array([lut.get(v, local) for v in low], dtype=np.int8)
    non_motor = low.isin(NON_MOTOR_CLASSES).to_numpy()
    missing = low.isin(_MISSING).to_numpy()
    unknown = ~low.isin(list(lut)).to_numpy() & ~non_motor & ~missing
    notes = _report("road class", values, unknown, "read as 'local'")
    if missing.any():
        notes.append(f"road class: {int(missing.sum())} lines have no class, read as 'local'")
    return out, notes, non_motor


def parse_oneway(values: pd.Series) -> np.ndarray:
    """Return +1 (one way along the line), -1 (against it) or 0 (both ways) per value.

    Codes are listed in the module docstring; unknown codes give 0 (see ``from_lines`` for
    how they are reported).

    Example
    -------
    >>> parse_oneway(pd.Series(["F", "t", "B", "yes", "-1", None, 1.0])).tolist()
    [1, -1, 0, 1, -1, 0, 1]
    """
    return _parse_oneway(values)[0]


def _parse_oneway(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    low = _codes(values)
    out = np.array([_ONEWAY.get(v, 0) for v in low], dtype=np.int8)
    unknown = ~low.isin(list(_ONEWAY)).to_numpy() & ~low.isin(_MISSING).to_numpy()
    return out, _report("one-way", values, unknown, "read as two-way")


def parse_toll(values: pd.Series) -> np.ndarray:
    """Return True where a toll column says the road is tolled (yes/true/1/t/sí/cuota).

    Example
    -------
    >>> parse_toll(pd.Series(["Si", "No", "T", None])).tolist()
    [True, False, True, False]
    """
    return _parse_toll(values)[0]


def _parse_toll(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    low = _codes(values)
    out = np.array([_TOLL.get(v, False) for v in low], dtype=bool)
    unknown = ~low.isin(list(_TOLL)).to_numpy() & ~low.isin(_MISSING).to_numpy()
    return out, _report("toll", values, unknown, "read as no toll")


def parse_speed_kmh(values: pd.Series) -> np.ndarray:
    """Return speeds in km/h (NaN where unparsable); '50 mph' is converted.

    Example
    -------
    >>> parse_speed_kmh(pd.Series(["50", "30 mph", "none", 0])).round(3).tolist()
    [50.0, 48.28, nan, 0.0]
    """
    s = _codes(values)
    num = pd.to_numeric(s.str.extract(r"([0-9]+(?:\.[0-9]+)?)")[0], errors="coerce").to_numpy()
    mph = s.str.contains("mph").to_numpy()
    kmh = np.where(mph, num * 1.609344, num).astype(np.float64)
    # above 1,000 km/h no road speed: unparsable (the class default, counted), as in --edges
    kmh[kmh > 1000.0] = np.nan
    return kmh


_GEOMETRY_FAMILY = {
    "line": ("LineString", "MultiLineString"),
    "polygon": ("Polygon", "MultiPolygon"),
}


def _family(gtype: Any) -> str | None:
    """Return ``line``, ``polygon`` or ``point`` for an OGR geometry type name, else None."""
    g = str(gtype or "").replace(" Z", "").replace(" M", "").removeprefix("3D ")
    for fam, names in _GEOMETRY_FAMILY.items():
        if g in names:
            return fam
    return "point" if g in ("Point", "MultiPoint") else None


def read_vector_file(
    path: str | os.PathLike[str],
    layer: str | None = None,
    *,
    want: str = "line",
    layer_option: str = "--layer",
    no_geometry: str | None = None,
) -> Any:
    """Return a GeoDataFrame of the features in ``path`` (any format pyogrio reads).

    Geometries GEOS cannot hold (a LineString with one vertex) come back as ``None``; their
    rows are listed in ``gdf.attrs["invalid_geometry_rows"]``. No warning of pyogrio or
    GDAL reaches the caller: what they say that matters is an ``InputError``.

    Parameters
    ----------
    path : path
        A vector file or folder (shapefile, GeoPackage, GeoJSON, FlatGeobuf, File
        Geodatabase...).
    layer : str, optional
        The layer to read; required when the file has more than one.
    want : {"line", "polygon"}
        The geometry the caller needs: named in messages, and used to point at the layers
        that hold it.
    layer_option : str
        The option that picks a layer (``--layer``, ``--regions-layer``), for messages.
    no_geometry : str, optional
        What to do with a table that has no geometry (a CSV): the end of that message.

    Raises
    ------
    InputError
        A missing or unreadable file; an unknown layer; a file of several layers and no
        ``layer`` (the message names each layer and its geometry and how to pick one); a
        table without geometry.
    """
    import geopandas as gpd
    import pyogrio

    p = str(path)
    if not os.path.exists(p):
        raise InputError(f"{p}: file not found")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pyogrio/GDAL notes: what matters is raised below
            listed = pyogrio.list_layers(p)
            layers = [(str(row[0]), row[1]) for row in listed]
            if layer is not None and layer not in [n for n, _ in layers]:
                raise InputError(
                    f"{p}: no layer '{layer}'; layers are: {', '.join(n for n, _ in layers)}"
                )
            if layer is None and len(layers) > 1:
                fits = [n for n, g in layers if _family(g) == want]
                shown = ", ".join(f"{n} ({g or 'no geometry'})" for n, g in layers)
                pick = f"e.g. {layer_option} {fits[0]}" if fits else f"none of them holds {want}s"
                raise InputError(
                    f"{p}: {len(layers)} layers: {shown}; choose one with {layer_option} NAME "
                    f"({pick})"
                )
            gdf = gpd.read_file(p, layer=layer, engine="pyogrio", on_invalid="ignore")
            if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
                raise InputError(
                    f"{p}: a table without geometry, not a vector file of {want}s"
                    + (f"; {no_geometry}" if no_geometry else "")
                )
            invalid = np.zeros(0, np.int64)
            if len(gdf) and gdf.geometry.isna().any():
                _, _, wkb, _ = pyogrio.raw.read(p, layer=layer, columns=[])
                has_wkb = np.array([w is not None for w in wkb], dtype=bool)
                invalid = np.flatnonzero(has_wkb & gdf.geometry.isna().to_numpy())
    except InputError:
        raise
    except Exception as exc:  # pyogrio/GDAL raise many types
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{p}: cannot read as a vector file ({msg})") from None
    gdf.attrs["invalid_geometry_rows"] = invalid
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

    See the module docstring for the rules and :func:`from_geodataframe` for the options;
    ``columns`` is a ColumnMap or a preset name (``"inegi"``, ``"osm"``).
    """
    from reten.errors import fresh_folder

    edge_list = (
        "an edge list (source,target,length_m) is read with --edges: "
        f"reten network build --edges {path} -o {fresh_folder(path)}"
    )
    gdf = read_vector_file(path, layer, want="line", no_geometry=edge_list)
    return from_geodataframe(
        gdf,
        snap_m=snap_m,
        split_interior=split_interior,
        largest_component=largest_component,
        columns=columns,
        crs=crs,
        where=str(path) + (f" layer {layer}" if layer else ""),
        # the record names the file wherever the build ran from (errors keep the path as given)
        source=str(Path(path).resolve()) + (f" layer {layer}" if layer else ""),
    )


def _find_column(gdf: Any, want: Columns, role: str, where: str) -> str | None:
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    if want is None:
        return None
    if isinstance(want, str):
        if want in cols:
            return want
        low = [c for c in cols if str(c).lower() == want.lower()]
        if len(low) == 1:
            return str(low[0])
        raise InputError(
            f"{where}: mapped column '{want}' ({role}) not found; "
            f"columns: {', '.join(map(str, cols)) or '(none)'}"
        )
    for w in want:
        hit = [c for c in cols if str(c).lower() == w.lower()]
        if hit:
            return str(hit[0])
    return None


def resolve_columns(gdf: Any, columns: ColumnMap | str | None, where: str) -> dict[str, str | None]:
    """Return the column used for each attribute (``None``: not used).

    Raises ``InputError`` for an unknown preset, a named column that is missing, or a
    preset none of whose columns is in the data.
    """
    preset = None
    if isinstance(columns, str):
        if columns not in PRESETS:
            raise InputError(f"column preset '{columns}' unknown; valid: {', '.join(PRESETS)}")
        preset, columns = columns, PRESETS[columns]
    cm = columns or ColumnMap()
    out = {
        role: _find_column(gdf, getattr(cm, role), role, where)
        for role in ("road_class", "speed_kmh", "oneway", "toll")
    }
    wanted = [getattr(cm, r) for r in out]
    if any(w is not None for w in wanted) and all(v is None for v in out.values()):
        names = "; ".join("/".join(w) if isinstance(w, tuple) else w for w in wanted if w)
        cols = ", ".join(str(c) for c in gdf.columns if c != gdf.geometry.name) or "(none)"
        label = f"--columns {preset}" if preset else "the column map"
        raise InputError(
            f"{where}: none of the columns of {label} ({names}) found; columns: {cols}"
        )
    return out


def from_geodataframe(
    gdf: Any,
    *,
    snap_m: float = 1.0,
    split_interior: bool = False,
    largest_component: bool = False,
    columns: ColumnMap | str | None = None,
    crs: str | None = None,
    where: str = "GeoDataFrame",
    source: str | None = None,
) -> Network:
    """Return a Network from a GeoDataFrame of (multi)line strings.

    Parameters
    ----------
    gdf : GeoDataFrame
        Line features; any CRS (a missing CRS is EPSG:4326 when the coordinates fit).
    snap_m : float
        Ground distance (metres) within which line ends merge and a line end joins the
        line it touches (a T-junction).
    split_interior : bool
        Also join lines at shared interior vertices (see the module docstring).
    largest_component : bool
        Keep only the largest strongly connected component.
    columns : ColumnMap or str or None
        Attribute columns, or a preset name (``"inegi"``, ``"osm"``).
    crs : str or None
        The CRS of the coordinates, overriding the data's own.
    where : str
        How to name the data in messages.
    source : str or None
        What ``meta["source"]`` records (default: ``where``).

    Returns
    -------
    Network
        Lengths are WGS84 geodesic metres; ``meta`` holds ``crs``, ``dropped`` counts,
        ``warnings`` and the ``columns`` used.

    Raises
    ------
    InputError
        Bad columns, CRS, geometry types, snapping distance, or no usable line.

    Example
    -------
    >>> import geopandas as gpd
    >>> gdf = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (10000, 0)])],
    ...                        crs="EPSG:3857")
    >>> net = from_geodataframe(gdf)
    >>> net.n_arcs, round(float(net.length_m[0]), 3)
    (2, 10000.0)
    """
    cols = resolve_columns(gdf, columns, where)
    try:
        snap_m = float(snap_m)
    except (TypeError, ValueError):
        snap_m = float("nan")
    if not np.isfinite(snap_m) or snap_m < 0:
        raise InputError(f"{where}: snap tolerance must be a non-negative number of metres")
    meta: dict[str, Any] = {"source": where if source is None else source, "snap_m": float(snap_m)}
    meta["split_interior"] = bool(split_interior)
    meta["columns"] = {k: v for k, v in cols.items() if v is not None}
    notes: list[str] = []
    dropped: dict[str, int] = {}
    n_rows = len(gdf)
    if n_rows == 0:
        raise InputError(f"{where}: the layer has no line features")
    geoms = np.asarray(gdf.geometry.to_numpy(), dtype=object)
    gtypes = shapely.get_type_id(geoms)
    bad = ~np.isin(gtypes, [1, 2, 5, -1]) & ~shapely.is_empty(geoms)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{where}: feature {i} (0-based) is a {geoms[i].geom_type}; "
            "valid geometry types: LineString, MultiLineString"
        )
    keep_row = np.ones(n_rows, dtype=bool)

    def skip(mask: np.ndarray, key: str, what: str) -> None:
        mask = mask & keep_row
        if mask.any():
            dropped[key] = dropped.get(key, 0) + int(mask.sum())
            notes.append(
                f"{int(mask.sum())} features skipped: {what} (first: feature "
                f"{int(np.flatnonzero(mask)[0])}, 0-based)"
            )
            keep_row[mask] = False

    invalid = np.zeros(n_rows, dtype=bool)
    inv_rows = np.asarray(gdf.attrs.get("invalid_geometry_rows", []), dtype=np.int64)
    invalid[inv_rows[inv_rows < n_rows]] = True
    skip(invalid, "invalid_geometry", "invalid geometry (a LineString with one vertex?)")
    skip((gtypes == -1) | shapely.is_empty(geoms), "empty_geometry", "no geometry")
    attrs, attr_notes, non_motor = _line_attributes(gdf, cols)
    skip(non_motor, "non_motor_class", "class of ways closed to motor vehicles")
    rows = np.flatnonzero(keep_row)
    parts, pidx = shapely.get_parts(geoms[rows], return_index=True)
    part_row = rows[pidx]
    ok = ~shapely.is_empty(parts)
    parts, part_row = parts[ok], part_row[ok]
    xy, vpart = shapely.get_coordinates(parts, return_index=True)
    if parts.size == 0 or xy.size == 0:
        raise InputError(
            f"{where}: the layer has no line features" + (f" ({'; '.join(notes)})" if notes else "")
        )
    declared = None if crs else gdf.crs
    src, note = source_crs(declared, crs, xy[:, 0], xy[:, 1], where)
    meta["crs"] = describe_crs(src)
    meta["crs_assumed"] = note is not None
    if crs and gdf.crs is not None and not CRS(gdf.crs).equals(src):
        notes.append(f"--crs {meta['crs']} overrides the data's CRS {describe_crs(CRS(gdf.crs))}")
    if note:
        notes.append(note)
    lon, lat = to_lonlat(src, xy[:, 0], xy[:, 1], where)
    # parts with a vertex that is not finite (in the file or after the transformation)
    part_ok = np.ones(parts.size, dtype=bool)
    part_ok[vpart[~np.isfinite(lon)]] = False
    # and parts with fewer than two vertices
    part_ok &= np.bincount(vpart, minlength=parts.size) >= 2
    row_bad_coord = np.zeros(n_rows, dtype=bool)
    row_bad_coord[part_row[~part_ok]] = True
    if row_bad_coord.any():
        skip(
            row_bad_coord,
            "bad_coordinates",
            "NaN, infinite or out-of-area coordinates, or fewer than two vertices",
        )
        part_ok &= keep_row[part_row]
        vkeep = part_ok[vpart]
        parts, part_row = parts[part_ok], part_row[part_ok]
        lon, lat, vpart = lon[vkeep], lat[vkeep], vpart[vkeep]
        vpart = np.cumsum(np.r_[0, np.diff(vpart) != 0]) if vpart.size else vpart
    if parts.size == 0:
        raise InputError(f"{where}: the layer has no line features ({'; '.join(notes)})")
    notes.extend(attr_notes)
    meta["dropped"] = dropped
    meta["warnings"] = notes
    meta["features"] = int(n_rows)
    net = build_from_vertices(
        np.column_stack([lon, lat]),
        np.asarray(vpart, dtype=np.int64),
        int(parts.size),
        snap_m=float(snap_m),
        split_interior=split_interior,
        road_class=attrs["road_class"][part_row],
        speed_kmh=attrs["speed_kmh"][part_row],
        oneway=attrs["oneway"][part_row],
        toll=attrs["toll"][part_row],
        meta=meta,
    )
    if largest_component:
        net = keep_largest_component(net)
    return net


def _line_attributes(
    gdf: Any, cols: Mapping[str, str | None]
) -> tuple[dict[str, np.ndarray], list[str], np.ndarray]:
    n = len(gdf)
    out: dict[str, np.ndarray] = {
        "road_class": np.full(n, len(ROAD_CLASSES) - 1, np.int8),
        "speed_kmh": np.full(n, np.nan),
        "oneway": np.zeros(n, np.int8),
        "toll": np.zeros(n, bool),
    }
    notes: list[str] = []
    non_motor = np.zeros(n, dtype=bool)
    if cols.get("road_class"):
        out["road_class"], w, non_motor = _parse_road_class(gdf[cols["road_class"]])
        notes += w
    if cols.get("speed_kmh"):
        out["speed_kmh"] = parse_speed_kmh(gdf[cols["speed_kmh"]])
        low = _codes(gdf[cols["speed_kmh"]])
        bad = np.isnan(out["speed_kmh"]) & ~low.isin(_MISSING).to_numpy()
        notes += _report("speed", gdf[cols["speed_kmh"]], bad, "class default speed used")
    if cols.get("oneway"):
        out["oneway"], w = _parse_oneway(gdf[cols["oneway"]])
        notes += w
    if cols.get("toll"):
        out["toll"], w = _parse_toll(gdf[cols["toll"]])
        notes += w
    return out, notes, non_motor


def build_from_vertices(
    lonlat: np.ndarray,
    vline: np.ndarray,
    n_lines: int,
    *,
    snap_m: float,
    split_interior: bool,
    road_class: np.ndarray | None = None,
    speed_kmh: np.ndarray | None = None,
    oneway: np.ndarray | None = None,
    toll: np.ndarray | None = None,
    meta: dict[str, Any] | None = None,
) -> Network:
    """Return a Network from line vertices (WGS84 lon/lat, grouped by ``vline``).

    Nodes are found as the module docstring says (ends snapped within ``snap_m`` ground
    metres, T-junctions, and with ``split_interior`` shared interior vertices). ``oneway``
    per line: 1 forward only, -1 backward only, 0 both ways.
    """
    lonlat = np.asarray(lonlat, dtype=np.float64)
    vline = np.asarray(vline, dtype=np.int64)
    nv = lonlat.shape[0]
    tol = max(float(snap_m), 1e-6)  # a micrometre absorbs the rounding of transformations
    first = np.ones(nv, dtype=bool)
    first[1:] = vline[1:] != vline[:-1]
    last = np.ones(nv, dtype=bool)
    last[:-1] = vline[1:] != vline[:-1]
    endpoint = first | last
    pts = ecef(lonlat[:, 0], lonlat[:, 1])
    cand = np.arange(nv) if split_interior else np.flatnonzero(endpoint)
    cluster = _cluster(pts[cand], tol)
    n_clusters = int(cluster.max()) + 1 if cluster.size else 0
    if split_interior:
        # a cluster is a node if it holds a line end, vertices of two or more lines, or a
        # line that comes back to it (two separate visits)
        has_end = np.zeros(n_clusters, bool)
        has_end[cluster[endpoint[cand]]] = True
        pair = np.unique(np.column_stack([cluster, vline[cand]]), axis=0)
        multi = np.bincount(pair[:, 0], minlength=n_clusters) >= 2
        visit = np.ones(nv, dtype=bool)
        visit[1:] = (cluster[1:] != cluster[:-1]) | first[1:]
        visits = np.bincount(cluster[visit], minlength=n_clusters)
        lines_at = np.bincount(pair[:, 0], minlength=n_clusters)
        is_node = has_end | multi | (visits > lines_at)
    else:
        is_node = np.ones(n_clusters, dtype=bool)
    vcl = np.full(nv, -1, np.int64)
    vcl[cand] = cluster
    seg_g, seg_t, seg_c = _t_junctions(pts, vline, first, last, vcl, endpoint, tol)
    n_t = int(seg_g.size)
    if n_t:
        is_node[seg_c] = True
        nlon, nlat = geodesic_point(
            lonlat[seg_g, 0], lonlat[seg_g, 1], lonlat[seg_g + 1, 0], lonlat[seg_g + 1, 1], seg_t
        )
        key_g = np.concatenate([np.arange(nv), seg_g])
        key_t = np.concatenate([np.full(nv, -1.0), seg_t])
        order = np.lexsort((key_t, key_g))
        lonlat = np.vstack([lonlat, np.column_stack([nlon, nlat])])[order]
        vline = np.concatenate([vline, vline[seg_g]])[order]
        vcl = np.concatenate([vcl, seg_c])[order]
    node_of_cluster = np.full(n_clusters + 1, -1, np.int64)
    node_of_cluster[:n_clusters][is_node] = np.arange(int(is_node.sum()))
    vnode = node_of_cluster[vcl]  # vcl == -1 picks the trailing -1
    m = dict(meta or {})
    m["t_junctions"] = n_t
    return network_from_split_lines(
        lonlat,
        vline,
        vnode,
        n_lines,
        road_class=road_class,
        speed_kmh=speed_kmh,
        oneway=oneway,
        toll=toll,
        meta=m,
    )


def _t_junctions(
    pts: np.ndarray,
    vline: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    vcl: np.ndarray,
    endpoint: np.ndarray,
    tol: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(segment, fraction, cluster)`` of each point where a line end joins a line.

    ``pts`` are geocentric vertices; segment ``g`` joins vertex ``g`` and ``g + 1``. For every
    cluster of line ends and every other line within ``tol`` metres of it (not already
    holding a vertex of the cluster), the nearest point of that line is returned.
    """
    empty = (np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))
    seg = np.flatnonzero(~last)
    ends = np.flatnonzero(endpoint)
    if seg.size == 0 or ends.size == 0:
        return empty
    a, b = pts[seg], pts[seg + 1]
    chord = np.linalg.norm(b - a, axis=1)
    # sample every segment at most `step` apart (on the surface); an end within tol of a
    # segment is then within tol + step / 2 of one of its samples
    step = max(4.0 * tol, float(np.median(chord)))
    k = np.maximum(1, np.ceil(chord / step)).astype(np.int64)
    s_seg = np.repeat(np.arange(seg.size), k)
    j = np.arange(s_seg.size) - np.repeat(np.cumsum(k) - k, k)
    f = (j + 0.5) / k[s_seg]
    samp = a[s_seg] + f[:, None] * (b - a)[s_seg]
    ra, rb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    rad = (1 - f) * ra[s_seg] + f * rb[s_seg]
    samp *= (rad / np.linalg.norm(samp, axis=1))[:, None]
    r = tol + step / 2 * (1 + 1e-6) + 1e-6
    pairs = cKDTree(pts[ends]).sparse_distance_matrix(cKDTree(samp), r, output_type="ndarray")
    if pairs.size == 0:
        return empty
    cand = np.unique(np.column_stack([pairs["i"], s_seg[pairs["j"]]]), axis=0)
    e = ends[cand[:, 0]]
    gi = cand[:, 1]
    g = seg[gi]
    ok = (g != e) & (g + 1 != e)  # not the segment the end belongs to
    e, gi, g = e[ok], gi[ok], g[ok]
    # the line already holds a vertex of the end's cluster (ends snapped together, or a
    # shared vertex under split_interior): joined already
    n_l = int(vline.max()) + 1
    have = np.flatnonzero(vcl >= 0)
    held = np.unique(vcl[have] * n_l + vline[have])
    ok = ~np.isin(vcl[e] * n_l + vline[g], held)
    e, gi, g = e[ok], gi[ok], g[ok]
    if e.size == 0:
        return empty
    # foot of the end on the segment's geodesic: angle fraction in the plane of A, B, O
    p, a_, b_ = pts[e], a[gi], b[gi]
    nrm = np.cross(a_, b_)
    nn = np.linalg.norm(nrm, axis=1)
    safe = nn > 0
    unit = np.zeros_like(nrm)
    unit[safe] = nrm[safe] / nn[safe, None]
    p_pl = p - np.sum(p * unit, axis=1)[:, None] * unit
    th_p = np.arctan2(np.sum(np.cross(a_, p_pl) * unit, axis=1), np.sum(a_ * p_pl, axis=1))
    th_b = np.arctan2(nn, np.sum(a_ * b_, axis=1))
    t = np.where(safe & (th_b > 0), np.clip(th_p / np.where(th_b > 0, th_b, 1.0), 0.0, 1.0), 0.0)
    # distance to the foot, on a chord
    foot = a_ + t[:, None] * (b_ - a_)
    rad_f = (1 - t) * np.linalg.norm(a_, axis=1) + t * np.linalg.norm(b_, axis=1)
    fn = np.linalg.norm(foot, axis=1)
    foot *= np.where(fn > 0, rad_f / np.where(fn > 0, fn, 1.0), 1.0)[:, None]
    d = np.linalg.norm(p - foot, axis=1)
    ok = d <= tol
    # on the end's own line, the point must be well away along the line (a loop closing
    # on itself), not the line's own wiggle next to its end
    same = vline[e] == vline[g]
    if same.any():
        cum = np.zeros(vline.size)
        seglen = np.zeros(vline.size)
        seglen[seg] = chord
        cs = np.cumsum(np.r_[0.0, seglen[:-1]])
        cum = cs - cs[np.flatnonzero(first)][vline]
        along = np.abs(cum[g] + t * chord[gi] - cum[e])
        ok &= ~same | (along > 2 * tol + d)
    e, g, t, d = e[ok], g[ok], t[ok], d[ok]
    if e.size == 0:
        return empty
    # one join per (cluster, line): the nearest (ties: first segment, smallest fraction)
    c = vcl[e]
    ln = vline[g]
    order = np.lexsort((t, g, d, ln, c))
    c, ln, g, t = c[order], ln[order], g[order], t[order]
    firsts = np.ones(c.size, dtype=bool)
    firsts[1:] = (c[1:] != c[:-1]) | (ln[1:] != ln[:-1])
    return g[firsts], t[firsts], c[firsts]


def network_from_split_lines(
    xy: np.ndarray,
    vline: np.ndarray,
    vnode: np.ndarray,
    n_lines: int,
    *,
    geographic: bool = True,
    crs: CRS | None = None,
    road_class: np.ndarray | None = None,
    speed_kmh: np.ndarray | None = None,
    oneway: np.ndarray | None = None,
    toll: np.ndarray | None = None,
    meta: dict[str, Any] | None = None,
    node_key: np.ndarray | None = None,
) -> Network:
    """Return a Network from line vertices where ``vnode[i] >= 0`` marks vertex ``i`` as node.

    ``xy`` is WGS84 lon/lat (``geographic``), or coordinates in ``crs``, which are
    transformed to lon/lat first. Every line's first and last vertex must be nodes. Lines
    are cut at node vertices into pieces whose length is the sum of geodesic segment
    lengths and whose geometry is kept; a node sits at the mean of its vertices (across the
    antimeridian too) and those vertices are moved onto it. Every piece is passed to
    :meth:`Network.from_arcs` (parallel and zero-length pieces included) with its road id.
    ``node_key`` gives a public id per node.
    """
    xy = np.asarray(xy, dtype=np.float64)
    if not geographic:
        if crs is None:
            raise ValueError("projected coordinates need their crs")
        lo, la = to_lonlat(crs, xy[:, 0], xy[:, 1], "lines")
        xy = np.column_stack([lo, la])
    else:
        xy = np.column_stack([wrap_lon(xy[:, 0]), xy[:, 1]])
    nv = xy.shape[0]
    last = np.ones(nv, dtype=bool)
    last[:-1] = vline[1:] != vline[:-1]
    n_nodes = int(vnode.max()) + 1 if nv else 0
    isnode = vnode >= 0
    node_pos = np.flatnonzero(isnode)
    # one vertex per node (its first) as the reference for averaging across +-180
    first_vertex = np.full(n_nodes, -1, np.int64)
    first_vertex[vnode[node_pos][::-1]] = node_pos[::-1]
    ref_lon = xy[first_vertex, 0]
    vn = vnode[isnode]
    cnt = np.bincount(vn, minlength=n_nodes).astype(np.float64)
    dlon = wrap_lon(xy[isnode, 0] - ref_lon[vn])
    node_lon = wrap_lon(ref_lon + np.bincount(vn, weights=dlon, minlength=n_nodes) / cnt)
    node_lat = np.bincount(vn, weights=xy[isnode, 1], minlength=n_nodes) / cnt
    exact = cnt == 1  # a node of one vertex keeps its coordinates bit for bit
    node_lon[exact] = xy[first_vertex[exact], 0]
    node_lat[exact] = xy[first_vertex[exact], 1]
    xy = xy.copy()
    xy[isnode, 0] = node_lon[vn]
    xy[isnode, 1] = node_lat[vn]
    # segments and pieces
    seg = ~last  # segment i joins vertex i and i+1
    start = isnode & seg
    piece_of_vertex = np.cumsum(start) - 1
    seg_idx = np.flatnonzero(seg)
    seg_piece = piece_of_vertex[seg_idx]
    seg_len = geodesic_m(xy[seg_idx, 0], xy[seg_idx, 1], xy[seg_idx + 1, 0], xy[seg_idx + 1, 1])
    n_pieces = int(start.sum())
    piece_len = np.bincount(seg_piece, weights=seg_len, minlength=n_pieces)
    p_start = np.flatnonzero(start)
    # the end vertex of a piece is the first node vertex after its start
    p_end = node_pos[np.searchsorted(node_pos, p_start, side="right")]
    p_line = vline[p_start]
    u, v = vnode[p_start], vnode[p_end]
    geom = [xy[a : b + 1] for a, b in zip(p_start.tolist(), p_end.tolist(), strict=True)]
    ow = np.zeros(n_lines, np.int8) if oneway is None else np.asarray(oneway)
    ow_p = ow[p_line]
    fwd = ow_p >= 0
    bwd = ow_p <= 0
    src = np.concatenate([u[fwd], v[bwd]])
    dst = np.concatenate([v[fwd], u[bwd]])
    pieces = np.concatenate([np.flatnonzero(fwd), np.flatnonzero(bwd)])
    geometry = [geom[i] for i in np.flatnonzero(fwd)] + [geom[i][::-1] for i in np.flatnonzero(bwd)]

    def per_arc(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else np.asarray(a)[p_line][pieces]

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
        road=pieces,
    )
    # number nodes along a space-filling curve: nearby nodes get nearby ids (faster Dijkstra)
    return reorder_nodes(net, spatial_order(net.node_lon, net.node_lat))


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
    meta["dropped"] = add_counts(
        net.meta.get("dropped"),
        {
            "outside_largest_component_nodes": int((~mask).sum()),
            "outside_largest_component_arcs": int(net.n_arcs - sub.n_arcs),
        },
    )
    import dataclasses

    return dataclasses.replace(sub, meta=meta)
