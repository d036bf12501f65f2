"""One entry point from the CLI's build options to a Network with regions and terminals."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from reten.errors import InputError
from reten.network.model import Network, add_counts


@dataclass
class TerminalSpec:
    """A CSV of named points to snap: which kind they are and how far they may move (m)."""

    path: str
    kind: str
    max_m: float = 10_000.0


@dataclass
class BuildSpec:
    """What ``reten network build`` was asked to do."""

    lines: str | None = None
    layer: str | None = None
    snap_m: float = 1.0
    split_interior: bool = False
    columns: str | None = None
    class_col: str | None = None
    speed_col: str | None = None
    oneway_col: str | None = None
    toll_col: str | None = None
    crs: str | None = None
    osm: str | None = None
    edges: str | None = None
    nodes: str | None = None
    dimacs: str | None = None
    #: the DIMACS .co file read with ``dimacs``: found next to the .gr (same name) by build
    coordinates: str | None = None
    largest_component: bool = False
    regions: str | None = None
    regions_layer: str | None = None
    regions_code: str | None = None
    regions_nearest_m: float = 20_000.0
    terminals: list[TerminalSpec] = field(default_factory=list)


def build(spec: BuildSpec, *, on_progress: Any = None) -> Network:
    """Return the Network described by ``spec`` (source, then regions, then terminals)."""
    sources = [s for s in (spec.lines, spec.osm, spec.edges, spec.dimacs) if s]
    if len(sources) != 1:
        raise InputError("give exactly one of --lines, --osm, --edges, --dimacs")
    if spec.nodes and not spec.edges:
        raise InputError(
            "--nodes applies to --edges (a node table id,lon,lat for an edge list)"
            + (
                "; a DIMACS .gr takes its coordinates from the .co file of the same name next to it"
                if spec.dimacs
                else ""
            )
        )
    if spec.dimacs and spec.coordinates is None:
        co = Path(spec.dimacs).with_suffix(".co")
        if co.is_file():  # the challenge's pair: USA-road-d.NY.gr beside USA-road-d.NY.co
            spec = dataclasses.replace(spec, coordinates=str(co))
    if spec.lines:
        from reten.network.lines import PRESETS, ColumnMap, from_lines

        cm: ColumnMap | str | None
        if spec.columns and any((spec.class_col, spec.speed_col, spec.oneway_col, spec.toll_col)):
            base = PRESETS.get(spec.columns)
            if base is None:
                raise InputError(f"--columns '{spec.columns}' unknown; valid: {', '.join(PRESETS)}")
        else:
            base = None
        if any((spec.class_col, spec.speed_col, spec.oneway_col, spec.toll_col)):
            b = base or ColumnMap()
            cm = ColumnMap(
                road_class=spec.class_col or b.road_class,
                speed_kmh=spec.speed_col or b.speed_kmh,
                oneway=spec.oneway_col or b.oneway,
                toll=spec.toll_col or b.toll,
            )
        else:
            cm = spec.columns
        net = from_lines(
            spec.lines,
            layer=spec.layer,
            snap_m=spec.snap_m,
            split_interior=spec.split_interior,
            largest_component=spec.largest_component,
            columns=cm,
            crs=spec.crs,
        )
    elif spec.osm:
        from reten.network.osm import from_osm

        net = from_osm(spec.osm, largest_component=spec.largest_component, on_progress=on_progress)
    elif spec.edges:
        from reten.network.interchange import read_edge_csv
        from reten.network.lines import keep_largest_component

        net = read_edge_csv(spec.edges, spec.nodes)
        if spec.largest_component:
            net = keep_largest_component(net)
    else:
        from reten.network.interchange import read_dimacs
        from reten.network.lines import keep_largest_component

        net = read_dimacs(str(spec.dimacs), coordinates=spec.coordinates)
        if spec.largest_component:
            net = keep_largest_component(net)
    if (spec.regions or spec.terminals) and not net.located.any():
        what = "--regions" if spec.regions else f"--{_TERMINAL_OPTION[spec.terminals[0].kind]}"
        raise InputError(
            f"{what} places things by longitude/latitude, but the network's nodes have no "
            "coordinates; "
            + (
                f"put the DIMACS .co file ({Path(spec.dimacs).with_suffix('.co').name}, "
                "v ID X Y) next to the .gr"
                if spec.dimacs
                else "give the edge list a node table (--nodes id,lon,lat)"
            )
        )
    if spec.regions:
        from reten.network.regions import attach_regions, read_regions

        if not spec.regions_code:
            raise InputError("--regions needs --regions-code COLUMN (e.g. CVEGEO)")
        regs, polys = read_regions(spec.regions, layer=spec.regions_layer, code=spec.regions_code)
        net = attach_regions(net, regs, polys, nearest_m=spec.regions_nearest_m)
    for t in spec.terminals:
        net = add_terminals(net, t)
    meta = dict(net.meta)
    meta["build"] = build_record(spec)
    return dataclasses.replace(net, meta=meta)


_INPUT_ROLES = ("lines", "osm", "edges", "nodes", "dimacs", "coordinates", "regions")


def build_record(spec: BuildSpec) -> dict[str, Any]:
    """Return what a build read and how: ``inputs`` (role -> ``path``, ``sha256``) and
    ``parameters`` (every other option), for ``provenance.json``.

    A terminal file's role is its kind (``border``: ``--ports``, ``seaport``, ``place``);
    a directory input (a File Geodatabase) is hashed over its files' names and contents.
    """
    inputs: dict[str, dict[str, str]] = {}
    for role in _INPUT_ROLES:
        p = getattr(spec, role)
        if p:
            inputs[role] = {"path": str(Path(p).resolve()), "sha256": input_sha256(p)}
    for t in spec.terminals:
        inputs[t.kind] = {"path": str(Path(t.path).resolve()), "sha256": input_sha256(t.path)}
    params = {
        f.name: getattr(spec, f.name)
        for f in dataclasses.fields(spec)
        if f.name not in _INPUT_ROLES and f.name != "terminals"
    }
    if spec.terminals:
        params["terminal_max_km"] = spec.terminals[0].max_m / 1000.0
    return {"inputs": inputs, "parameters": params}


def input_sha256(path: str | os.PathLike[str]) -> str:
    """Return the SHA-256 hex digest of a file, or of a directory's files (sorted relative
    names and contents).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "e.csv"
    >>> _ = f.write_text("abc")
    >>> input_sha256(f)[:16]
    'ba7816bf8f01cfea'
    """
    p = Path(path)
    files = [p] if p.is_file() else sorted(q for q in p.rglob("*") if q.is_file())
    h = hashlib.sha256()
    for q in files:
        if p.is_dir():
            h.update(f"{q.relative_to(p).as_posix()}\0{q.stat().st_size}\0".encode())
        with q.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


_TERMINAL_OPTION = {"border": "ports", "seaport": "seaports", "place": "places"}

_NAME_COLS = ("name", "port_name", "main port name", "nombre")
_LON_COLS = ("lon", "longitude", "long", "x")
_LAT_COLS = ("lat", "latitude", "y")
_CODE_COLS = ("code", "port_code", "un/locode", "cvegeo")


def read_points(
    path: str, option: str = "--ports"
) -> tuple[list[str], np.ndarray, np.ndarray, list[str]]:
    """Return ``(names, lon, lat, codes)`` from a CSV of named points (ports, places).

    ``option`` names the option the file was given to (``--ports``, ``--seaports``,
    ``--places``) in the message for a data file that is not a CSV table.

    Accepted column names (any case): name/port_name/Main Port Name, lon/longitude,
    lat/latitude, and optionally code/port_code/UN/LOCODE. Spreadsheet dialects are read
    (:mod:`reten.tabular`: BOM, CRLF, ``;`` with decimal commas, tab, ``|``); names are
    NFC-normalised.

    Raises
    ------
    InputError
        One line naming the file, line and field: missing columns, an empty name, a
        coordinate that is not a finite number in degrees.
    """
    from reten.errors import wrong_file_hints
    from reten.tabular import read_table

    takes = "a CSV table of named points (name,lon,lat)"
    export = (
        "export the points with their coordinates as CSV, e.g. "
        f"ogr2ogr -f CSV -lco GEOMETRY=AS_XY points.csv {path}, and rename X,Y to lon,lat"
    )
    t = read_table(
        path, what="points file", hints=wrong_file_hints(path, option, takes, vector=export)
    )
    name_c, lon_c, lat_c = t.find(*_NAME_COLS), t.find(*_LON_COLS), t.find(*_LAT_COLS)
    if not (name_c and lon_c and lat_c):
        raise InputError(
            f"{path}: need name, lon and lat columns (e.g. port_name,lon,lat); "
            f"found {', '.join(t.columns) or 'none'}"
        )
    if len(t) == 0:
        raise InputError(f"{path}: no points below the header")
    names = t.cells[name_c]
    for i, nm in enumerate(names):
        if not nm:
            raise InputError(f"{t.where(i, name_c)}: the name is empty; every point needs one")
    lon = t.numbers(lon_c, lo=-180.0, hi=180.0, valid="a longitude in degrees, -180 to 180")
    lat = t.numbers(lat_c, lo=-90.0, hi=90.0, valid="a latitude in degrees, -90 to 90")
    code_c = t.find(*_CODE_COLS)
    codes = list(t.cells[code_c]) if code_c else [""] * len(t)
    return list(names), lon, lat, codes


def add_terminals(net: Network, spec: TerminalSpec) -> Network:
    """Return ``net`` with the points of ``spec`` snapped and marked (kind, name, code)."""
    from reten.network.terminals import mark_terminals, snap_points

    names, lon, lat, codes = read_points(spec.path, f"--{_TERMINAL_OPTION[spec.kind]}")
    snapped = snap_points(net, lon, lat, names=names, max_m=spec.max_m, where=spec.path)
    prefix = "port" if spec.kind == "border" else spec.kind
    net = mark_terminals(
        net,
        snapped.node,
        kind=spec.kind,
        names=names,
        attrs={
            f"{prefix}_code": codes,
            f"{prefix}_snap_m": [f"{d:.1f}" for d in snapped.distance_m],
        },
    )
    # points snapped onto a node another point of the file holds act as one terminal
    shared = int(len(snapped.node) - np.unique(snapped.node).size)
    if shared:
        meta = dict(net.meta)
        meta["changed"] = add_counts(
            meta.get("changed"), {f"{spec.kind}_points_sharing_a_node": shared}
        )
        net = dataclasses.replace(net, meta=meta)
    return net


WHY: dict[str, str] = {
    "self_loops": "arcs that start and end at the same node (never on a shortest route)",
    "border_points_sharing_a_node": (
        "port points snapped to a node another port already holds (e.g. Calexico and Calexico "
        "East): their names are joined with ' / ' and they act as one crossing"
    ),
    "seaport_points_sharing_a_node": (
        "seaport points snapped to a node another seaport already holds: one seaport"
    ),
    "place_points_sharing_a_node": "place points snapped to a node another place holds",
    "parallel_split": (
        "arcs of a second road between the same two junctions, kept by splitting each in "
        "two at a new junction at its midpoint"
    ),
    "split_nodes": "junctions added at the midpoint of those parallel roads",
    "contracted_nodes": (
        "junctions that only continued one road, merged into longer arcs (lengths summed)"
    ),
    "outside_largest_component_nodes": "nodes outside the largest strongly connected part",
    "outside_largest_component_arcs": "arcs outside the largest strongly connected part",
    "invalid_geometry": "line features whose geometry is invalid (a LineString with one vertex?)",
    "empty_geometry": "line features with no geometry",
    "non_motor_class": "ways of a class closed to motor vehicles (footway, path, cycleway...)",
    "bad_coordinates": (
        "line parts with NaN, infinite or out-of-area coordinates, or fewer than two vertices"
    ),
    "missing_node_refs": "way node references whose node is not in the file (extract boundary)",
    "ways_without_located_segment": "ways with no two consecutive nodes present in the file",
    "ways_cut_at_missing_nodes": (
        "ways split where their nodes are missing from the file; no segment is drawn across the gap"
    ),
    "loop_roads_split": "roads that return to their start, cut at their own vertices and kept",
    "oneway_unknown": "ways with a oneway value OSM does not define, read as two-way",
    "maxspeed_unparsed": "ways whose maxspeed could not be read; the class speed is used",
}
"""Why each count of ``summary()["dropped"]`` / ``["changed"]`` was dropped or changed."""


def summary(net: Network) -> dict[str, Any]:
    """Return a JSON-able summary: counts, components, region coverage, bounding box.

    ``bbox`` (``[lon_min, lat_min, lon_max, lat_max]``) spans the nodes with a known
    position, None when no node has one; ``nodes_without_coordinates`` counts the others
    (an edge list built without ``--nodes``: all of them).

    ``dropped`` and ``changed`` give the non-zero counts of what the build removed or
    altered (``meta["dropped"]``, ``meta["changed"]``) and ``why`` says why, per count.
    """
    from scipy.sparse.csgraph import connected_components

    from reten.network.model import NODE_KINDS

    n_strong, labels = connected_components(net.csr(), directed=True, connection="strong")
    n_weak, _ = connected_components(net.csr(), directed=True, connection="weak")
    share = float(np.bincount(labels).max() / net.n_nodes) if net.n_nodes else 0.0
    kinds = np.bincount(net.node_kind, minlength=len(NODE_KINDS))
    lv = net.regions.level
    located = net.located
    dropped = {k: v for k, v in dict(net.meta.get("dropped", {})).items() if v}
    changed = {k: v for k, v in dict(net.meta.get("changed", {})).items() if v}
    return {
        "nodes": net.n_nodes,
        "arcs": net.n_arcs,
        "components": int(n_strong),
        "weak_components": int(n_weak),
        "largest_component_share": round(share, 6),
        "region_coverage": round(float((net.node_region >= 0).mean()) if net.n_nodes else 0.0, 6),
        "arc_region_coverage": round(float((net.arc_region >= 0).mean()) if net.n_arcs else 0.0, 6),
        "regions": {str(k): int((lv == k).sum()) for k in sorted(set(lv.tolist()))},
        "node_kinds": {NODE_KINDS[i]: int(c) for i, c in enumerate(kinds) if c},
        "length_km": round(float(net.length_m.sum()) / 1000.0, 3),
        "bbox": [
            round(float(net.node_lon[located].min()), 6),
            round(float(net.node_lat[located].min()), 6),
            round(float(net.node_lon[located].max()), 6),
            round(float(net.node_lat[located].max()), 6),
        ]
        if located.any()
        else None,
        "nodes_without_coordinates": int(net.n_nodes - located.sum()),
        "geometry": net.geom_offsets is not None,
        "dropped": dropped,
        "changed": changed,
        "why": {k: WHY.get(k, "") for k in (*dropped, *changed) if k in WHY},
    }
