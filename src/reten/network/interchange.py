"""Interchange: NetworkX graphs, GeoDataFrames, CSV edge lists and DIMACS ``.gr`` files."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reten.errors import InputError, fresh_folder, wrong_file_hints
from reten.memory import check_network_fits
from reten.network.model import NODE_KINDS, ROAD_CLASSES, Network
from reten.tabular import Table, read_table, read_text

_ARC_FIELDS = ("length_m", "road_class", "speed_kmh", "time_h", "toll", "arc_region")

#: Magnitude limits of arc values read from an edge list, a DIMACS file or a NetworkX
#: graph, consistent with the scenario's (docs/scenarios.md: distances at most 20,000 km,
#: costs at most 1e12) and the CLI's ``--delay``/``--p-detect``: a value outside is refused
#: with its file, line and column, never carried into a model as an overflow.
MAX_LENGTH_M = 2e7  # 20,000 km: half the Equator, longer than any road
MIN_SPEED_KMH = 1e-3
MAX_SPEED_KMH = 1000.0
MAX_DELAY = 1e12  # cost units, as reten.models.interdiction.sites.MAX_DELAY
MAX_CAPACITY_KG = 1e12
MIN_CAPACITY_KG = 1e-6  # as the scenario's capacities (reten.scenario.schema)
CAPACITY_VALID = (
    f"a capacity in kg: 0 or empty (no limit), or in [{MIN_CAPACITY_KG:g}, {MAX_CAPACITY_KG:g}]"
)
LENGTH_VALID = "a length in metres in [0, 2e+07] (20,000 km)"


def to_networkx(net: Network, *, attrs: tuple[str, ...] = _ARC_FIELDS) -> Any:
    """Return a ``networkx.DiGraph`` with node keys as node ids and arc fields as attributes.

    Node attributes: ``lon``, ``lat`` (absent for a node whose position is unknown),
    ``kind`` (a name from NODE_KINDS), ``name``.
    """
    import networkx as nx

    g = nx.DiGraph()
    keys = net.node_key.tolist()
    kinds = [NODE_KINDS[k] for k in net.node_kind.tolist()]
    located = net.located.tolist()
    for i, k in enumerate(keys):
        where = {"lon": float(net.node_lon[i]), "lat": float(net.node_lat[i])} if located[i] else {}
        g.add_node(k, **where, kind=kinds[i], name=str(net.node_name[i]))
    cols = {a: getattr(net, a).tolist() for a in attrs}
    cols.update({k: v.tolist() for k, v in net.arc_attrs.items()})
    src = net.arc_source.tolist()
    dst = net.arc_target.tolist()
    for e in range(net.n_arcs):
        g.add_edge(keys[src[e]], keys[dst[e]], **{a: c[e] for a, c in cols.items()})
    return g


def from_networkx(
    g: Any, *, length: str = "length_m", default_length: float | None = None
) -> Network:
    """Return a Network from a NetworkX graph; undirected graphs give two arcs per edge.

    Every edge is kept, parallel edges of a ``MultiGraph``/``MultiDiGraph`` included (see
    :meth:`Network.from_arcs` for how parallel roads are stored); self-loops are dropped
    and counted. Node attributes ``lon``/``lat`` (or ``x``/``y``) give coordinates (NaN,
    unknown, if absent). The edge attribute ``length`` (metres, finite, ``>= 0``) is required unless
    ``default_length`` is given. Other numeric edge attributes are kept in ``arc_attrs``;
    ``p_detect``, ``delay`` and ``capacity_kg``, which reten's models read, must then be on
    every edge, each a number in its range. Node ids that are neither integers nor strings
    (tuples, say) become their ``str``.

    Raises
    ------
    InputError
        An edge without a length, or with a length that is not a finite number >= 0; an
        edge without ``p_detect``, ``delay`` or ``capacity_kg`` when another has it, or
        with a value out of its range.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.MultiGraph()
    >>> _ = g.add_edge("a", "b", length_m=100.0)
    >>> _ = g.add_edge("a", "b", length_m=250.0)
    >>> net = from_networkx(g)
    >>> net.n_arcs, round(float(net.length_m.sum()), 1)
    (6, 700.0)
    """
    nodes = list(g.nodes)
    index = {k: i for i, k in enumerate(nodes)}
    lon = np.array([_coord(g.nodes[k], "lon", "x") for k in nodes], dtype=np.float64)
    lat = np.array([_coord(g.nodes[k], "lat", "y") for k in nodes], dtype=np.float64)
    edges = list(g.edges(data=True))
    road = None  # directed: opposite arcs of equal length are paired as one road
    if not g.is_directed():
        road = np.tile(np.arange(len(edges), dtype=np.int64), 2)
        edges = edges + [(v, u, d) for u, v, d in edges]
    src = np.array([index[u] for u, _, _ in edges], dtype=np.int64)
    dst = np.array([index[v] for _, v, _ in edges], dtype=np.int64)
    lens = []
    for u, v, d in edges:
        if length in d:
            x = d[length]
        elif default_length is not None:
            x = default_length
        else:
            raise InputError(f"edge ({u}, {v}) has no '{length}' attribute (metres)")
        try:
            xf = float(x)
        except (TypeError, ValueError):
            xf = math.nan
        if not (math.isfinite(xf) and 0 <= xf <= MAX_LENGTH_M):
            raise InputError(
                f"edge ({u}, {v}): {length} {x!r} is not {LENGTH_VALID.removeprefix('a ')}"
            )
        lens.append(xf)
    extra: dict[str, list[float]] = {}
    skip = set(_ARC_FIELDS) | {length}
    names = {k for _, _, d in edges for k in d} - skip
    for k in sorted(names, key=str):
        vals = [d.get(k) for _, _, d in edges]
        lim = _ATTR_LIMITS.get(str(k).lower())
        if lim is not None:
            # an attribute reten reads (p_detect, delay, capacity) is not dropped for one
            # edge without it or with text: the game then fell back to --p-detect silently
            for (u, v, d), x in zip(edges, vals, strict=True):
                if k not in d or not isinstance(x, int | float | np.number) or isinstance(x, bool):
                    got = "has none" if k not in d else f"is {x!r}"
                    raise InputError(
                        f"edge ({u}, {v}): {k} {got}; give every edge {lim[3]}, or no edge "
                        f"a '{k}' attribute"
                    )
        if all(isinstance(x, int | float | np.number) and not isinstance(x, bool) for x in vals):
            extra[str(k)] = [float(x) for x in vals]  # type: ignore[arg-type]
            lim = _ATTR_LIMITS.get(str(k).lower())
            if lim is not None:
                lo, hi, hi_open, what = lim
                for (u, v, _), x in zip(edges, extra[str(k)], strict=True):
                    bad = not (math.isfinite(x) and lo <= x and (x < hi if hi_open else x <= hi))
                    if bad or (what == CAPACITY_VALID and 0 < x < MIN_CAPACITY_KG):
                        raise InputError(f"edge ({u}, {v}): {k} {x!r} is not {what}")
    rc = None
    if edges and all("road_class" in d for _, _, d in edges):
        rc = np.array([int(d["road_class"]) for _, _, d in edges])
    kind = np.array([NODE_KINDS.index(g.nodes[k].get("kind", "junction")) for k in nodes])
    name = np.array([str(g.nodes[k].get("name", "")) for k in nodes], dtype=object)
    key = np.empty(len(nodes), dtype=object)
    key[:] = [k if isinstance(k, str | int | np.integer) else str(k) for k in nodes]
    if key.size and all(isinstance(k, int | np.integer) for k in nodes):
        key = key.astype(np.int64)
    elif key.size:
        key[:] = [str(k) for k in key]
    return Network.from_arcs(
        src,
        dst,
        np.array(lens, dtype=np.float64),
        lon,
        lat,
        road=road,
        road_class=rc,
        arc_attrs={k: np.array(v) for k, v in extra.items()},
        node_kind=kind,
        node_name=name,
        node_key=key,
        meta={"source": "networkx"},
    )


#: NetworkX edge attributes checked as the edge list's columns: (lo, hi, hi open, valid)
_ATTR_LIMITS = {
    "p_detect": (0.0, 1.0, True, "a probability in [0, 1)"),
    "delay": (0.0, MAX_DELAY, False, f"a delay in cost units in [0, {MAX_DELAY:g}]"),
    "capacity_kg": (0.0, MAX_CAPACITY_KG, False, CAPACITY_VALID),
    "capacity": (0.0, MAX_CAPACITY_KG, False, CAPACITY_VALID),
}


def _coord(d: Any, a: str, b: str) -> float:
    try:
        return float(d.get(a, d.get(b, math.nan)))
    except (TypeError, ValueError):
        return math.nan


def to_geodataframe(net: Network, *, what: str = "arcs") -> Any:
    """Return a GeoDataFrame (EPSG:4326) of the network's ``arcs`` or ``nodes``.

    A node whose position is unknown (NaN ``lon``/``lat``), and an arc with such an end
    (without stored geometry), has no geometry (None): never a made-up position.
    """
    import geopandas as gpd
    import shapely

    from reten.network.geo import null_unlocated

    if what == "nodes":
        df = pd.DataFrame(
            {
                "node": np.arange(net.n_nodes),
                "key": net.node_key,
                "kind": [NODE_KINDS[k] for k in net.node_kind],
                "name": net.node_name,
                "region": _region_codes(net, net.node_region),
                **{k: v for k, v in net.node_attrs.items()},
            }
        )
        pts = np.full(net.n_nodes, None, dtype=object)
        ok = net.located
        pts[ok] = shapely.points(net.node_lon[ok], net.node_lat[ok])
        return gpd.GeoDataFrame(df, geometry=pts, crs=4326)
    if net.geom_offsets is not None and net.geom_xy is not None:
        idx = np.repeat(np.arange(net.n_arcs), np.diff(net.geom_offsets))
        geom = shapely.linestrings(net.geom_xy, indices=idx)
    else:
        ok = net.located[net.arc_source] & net.located[net.arc_target]
        s, t = net.arc_source[ok], net.arc_target[ok]
        xy = np.stack(
            [
                np.column_stack([net.node_lon[s], net.node_lat[s]]),
                np.column_stack([net.node_lon[t], net.node_lat[t]]),
            ],
            axis=1,
        )
        geom = np.full(net.n_arcs, None, dtype=object)
        geom[ok] = shapely.linestrings(xy.reshape(-1, 2, 2))
    df = pd.DataFrame(
        {
            "arc": np.arange(net.n_arcs),
            "source": net.node_key[net.arc_source],
            "target": net.node_key[net.arc_target],
            "length_m": net.length_m,
            "road_class": [ROAD_CLASSES[c] for c in net.road_class],
            "speed_kmh": net.speed_kmh,
            "time_h": net.time_h,
            "toll": net.toll,
            "region": _region_codes(net, net.arc_region),
            **{k: v for k, v in net.arc_attrs.items()},
        }
    )
    return gpd.GeoDataFrame(df, geometry=null_unlocated(geom)[0], crs=4326)


def _region_codes(net: Network, rows: np.ndarray) -> np.ndarray:
    codes = np.append(net.regions.code.astype(object), "")
    return codes[np.where(rows >= 0, rows, len(net.regions))]


def from_geodataframe(gdf: Any, **kwargs: Any) -> Network:
    """Return a Network from a GeoDataFrame of lines.

    See :func:`reten.network.lines.from_geodataframe` for the options.
    """
    from reten.network.lines import from_geodataframe as _from_gdf

    return _from_gdf(gdf, **kwargs)


_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f", ""}


def read_edge_csv(
    edges: str | os.PathLike[str], nodes: str | os.PathLike[str] | None = None
) -> Network:
    """Return a Network from a CSV edge list (and optional node table).

    ``EDGES.csv`` columns: ``source,target,length_m`` (metres in [0, 2e7]: 20,000 km; 0
    is a connector) plus optional ones: ``road_class`` (a name of :data:`ROAD_CLASSES` or
    its index; empty: local), ``speed_kmh`` (in [0.001, 1000]; empty: the class default),
    ``toll`` (0/1, yes/no, true/false), ``p_detect`` (in [0, 1)),
    ``capacity_kg``/``capacity`` (kg in [0, 1e12]; 0 or empty: no limit), ``delay`` (cost
    units in [0, 1e12], as ``--delay``), and any other column whose cells are all numbers
    (kept as an arc attribute). Each row is one directed arc; every row is kept, parallel roads and
    zero-length arcs included, self-loops are dropped and counted. ``NODES.csv``:
    ``id,lon,lat`` in degrees. Without ``NODES.csv`` every node's ``lon``/``lat`` is NaN
    (unknown: :attr:`Network.has_coordinates` is False; reports have no maps and geodata no
    geometry). Node keys are the ids as written (integers when every id is one), compared
    in Unicode NFC. Spreadsheet dialects are read (:mod:`reten.tabular`).

    Raises
    ------
    InputError
        One line naming the file, line and field: a missing column, a value that is not a
        valid number or class, an empty/NULL/duplicate id, an edge end not in the node table.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "e.csv").write_text("source;target;length_m\\na;b;1000\\nb;c;2000,5\\n")
    >>> round(float(read_edge_csv(d / "e.csv").length_m.sum()), 1)
    3000.5
    """
    ep = str(edges)
    t = read_table(
        ep,
        what="edge list",
        hints=wrong_file_hints(ep, "--edges", "a CSV edge list (source,target,length_m)"),
    )
    sc, tc, lc = t.require("source", "target", "length_m", example="source,target,length_m")
    if len(t) == 0:
        raise InputError(f"{ep}: no edges below the header")
    lengths = t.numbers(lc, lo=0.0, hi=MAX_LENGTH_M, valid=LENGTH_VALID)
    src_keys = t.ids(sc)
    dst_keys = t.ids(tc)
    if nodes is not None:
        np_ = str(nodes)
        nt = read_table(
            np_,
            what="node table",
            hints=wrong_file_hints(
                np_,
                "--nodes",
                "a CSV node table (id,lon,lat)",
                vector="road lines in a vector file are read with --lines instead of "
                f"--edges and --nodes: reten network build --lines {np_} -o "
                f"{fresh_folder(np_)}",
            ),
        )
        ic, xc, yc = nt.require("id", "lon", "lat", example="id,lon,lat")
        keys = nt.ids(ic, unique=True)
        lon = nt.numbers(xc, lo=-180.0, hi=180.0, valid="a longitude in degrees, -180 to 180")
        lat = nt.numbers(yc, lo=-90.0, hi=90.0, valid="a latitude in degrees, -90 to 90")
        index = {k: i for i, k in enumerate(keys)}
        for col, ks in ((sc, src_keys), (tc, dst_keys)):
            for i, k in enumerate(ks):
                if k not in index:
                    raise InputError(
                        f"{t.where(i, col)}: node {k!r} is not an id of {np_}; "
                        "every edge end must be listed there"
                    )
    else:
        keys = list(dict.fromkeys(src_keys + dst_keys))
        index = {k: i for i, k in enumerate(keys)}
        lon = np.full(len(keys), np.nan)  # no node table: positions unknown, never 0,0
        lat = np.full(len(keys), np.nan)
    src = np.array([index[k] for k in src_keys], dtype=np.int64)
    dst = np.array([index[k] for k in dst_keys], dtype=np.int64)
    rc = spd = toll = None
    extra: dict[str, np.ndarray] = {}
    for col in t.columns:
        low = col.lower()
        if col in (sc, tc, lc):
            continue
        if low == "road_class":
            rc = _road_classes(t, col)
        elif low == "speed_kmh":
            spd = t.numbers(
                col,
                lo=MIN_SPEED_KMH,
                hi=MAX_SPEED_KMH,
                empty=math.nan,
                valid=f"a speed in km/h in [{MIN_SPEED_KMH:g}, {MAX_SPEED_KMH:g}] (empty: the "
                "class default)",
            )
        elif low == "toll":
            toll = _flags(t, col)
        elif low == "p_detect":
            extra[low] = t.numbers(
                col, lo=0.0, hi=1.0, hi_open=True, valid="a probability in [0, 1)"
            )
        elif low in ("capacity_kg", "capacity"):
            extra[low] = t.numbers(
                col,
                lo=0.0,
                hi=MAX_CAPACITY_KG,
                empty=0.0,
                valid=CAPACITY_VALID,
            )
            tiny = np.flatnonzero((extra[low] > 0) & (extra[low] < MIN_CAPACITY_KG))
            if tiny.size:  # as a scenario's capacities: a 1e-300 kg road overflows any curve
                i = int(tiny[0])
                raise InputError(f"{t.where(i, col)}: {t.cells[col][i]!r} is not {CAPACITY_VALID}")
        elif low == "delay":
            extra[low] = t.numbers(
                col, lo=0.0, hi=MAX_DELAY, valid=f"a delay in cost units in [0, {MAX_DELAY:g}]"
            )
        else:
            vals = t.try_numbers(col)
            if vals is not None:
                extra[col] = vals
    return Network.from_arcs(
        src,
        dst,
        lengths,
        lon,
        lat,
        road_class=rc,
        speed_kmh=spd,
        toll=toll,
        arc_attrs=extra,
        node_key=_public_keys(keys),
        meta={"source": str(Path(ep).resolve())},
    )


def _public_keys(keys: list[str]) -> np.ndarray:
    """Return ids as int64 when every one is a plain integer as written, else as strings."""
    if keys and all(re.fullmatch(r"-?[1-9][0-9]{0,17}|0", k) for k in keys):
        return np.array([int(k) for k in keys], dtype=np.int64)
    out = np.empty(len(keys), dtype=object)
    out[:] = keys
    return out


def _road_classes(t: Table, col: str) -> np.ndarray:
    by_name = {c: i for i, c in enumerate(ROAD_CLASSES)}
    out = np.empty(len(t), dtype=np.int8)
    for i, v in enumerate(t.cells[col]):
        low = v.lower()
        if low == "":
            out[i] = len(ROAD_CLASSES) - 1
        elif low in by_name:
            out[i] = by_name[low]
        elif re.fullmatch(r"[0-9]+(\.0*)?", low) and int(float(low)) < len(ROAD_CLASSES):
            out[i] = int(float(low))
        else:
            raise InputError(
                f"{t.where(i, col)}: {v!r} is not a road class; valid: "
                f"{', '.join(ROAD_CLASSES)} (or 0-{len(ROAD_CLASSES) - 1})"
            )
    return out


def _flags(t: Table, col: str) -> np.ndarray:
    out = np.empty(len(t), dtype=bool)
    for i, v in enumerate(t.cells[col]):
        low = v.lower()
        if low in _TRUE:
            out[i] = True
        elif low in _FALSE:
            out[i] = False
        else:
            raise InputError(f"{t.where(i, col)}: {v!r} is not a flag; valid: 0/1, yes/no")
    return out


def read_dimacs(path: str | os.PathLike[str], *, coordinates: str | None = None) -> Network:
    """Return a Network from a DIMACS shortest-path ``.gr`` file (9th DIMACS challenge).

    Lines: ``c`` comments, one problem line ``p sp N M`` before the arcs, and ``M`` arc
    lines ``a U V W`` with node ids ``1..N`` and a weight ``W >= 0`` taken as metres (an
    integer, or a decimal number). Every arc is kept, parallel and zero-weight arcs
    included; self-loops are dropped and counted. An optional ``.co`` file (``v ID X Y``,
    millionths of a degree) gives coordinates; nodes it does not list (all of them without
    one) have NaN ``lon``/``lat`` (unknown).

    Raises
    ------
    InputError
        One line naming the file and line: no or a repeated problem line, a malformed
        line, a negative or non-numeric weight, a node id outside ``1..N``, an arc count
        different from ``M``, a file that is not UTF-8.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.gr"
    >>> _ = p.write_text("p sp 3 3\\na 1 2 7\\na 1 2 3\\na 2 3 0\\n")
    >>> net = read_dimacs(p)
    >>> net.n_arcs, float(net.length_m.sum())
    (4, 10.0)
    """
    p = str(path)
    text = read_text(
        p, what="DIMACS file", hints=wrong_file_hints(p, "--dimacs", "a DIMACS .gr text file")
    )
    n = -1
    m_decl = 0
    p_line = 0
    src: list[int] = []
    dst: list[int] = []
    w: list[float] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts or parts[0] == "c":
            continue
        tag = parts[0]
        if tag == "p":
            if p_line:
                raise InputError(f"{p}: line {lineno}: a second problem line (first: {p_line})")
            if len(parts) != 4 or parts[1] != "sp" or not all(_is_count(x) for x in parts[2:]):
                raise InputError(
                    f"{p}: line {lineno}: the problem line must be 'p sp N M' "
                    f"(N nodes, M arcs: integers >= 0), got {line.strip()[:60]!r}"
                )
            n, m_decl, p_line = int(parts[2]), int(parts[3]), lineno
            if n > np.iinfo(np.int32).max:
                raise InputError(
                    f"{p}: line {lineno}: {n} nodes is more than reten's node ids hold "
                    f"(at most {np.iinfo(np.int32).max:,})"
                )
            check_network_fits(f"{p}: line {lineno}", n, m_decl)
        elif tag == "a":
            if not p_line:
                raise InputError(f"{p}: line {lineno}: arc before the problem line 'p sp N M'")
            if len(parts) != 4:
                raise InputError(
                    f"{p}: line {lineno}: arc lines are 'a U V W' (4 fields), got {len(parts)}"
                )
            ends = []
            for field, x in (("U", parts[1]), ("V", parts[2])):
                if not re.fullmatch(r"[0-9]+", x) or not 1 <= int(x) <= n:
                    raise InputError(
                        f"{p}: line {lineno}, field {field}: node {x!r} is not an integer "
                        f"in 1..{n} (the problem line declares {n} nodes)"
                    )
                ends.append(int(x) - 1)
            wx = _float(parts[3])
            if wx is None or not math.isfinite(wx) or not 0 <= wx <= MAX_LENGTH_M:
                why = (
                    "negative"
                    if wx is not None and wx < 0
                    else "too large"
                    if wx is not None and math.isfinite(wx)
                    else "not a finite number"
                )
                raise InputError(
                    f"{p}: line {lineno}, field W: weight {parts[3]!r} is {why}; "
                    f"arc weights must be metres in [0, {MAX_LENGTH_M:g}] (20,000 km)"
                )
            src.append(ends[0])
            dst.append(ends[1])
            w.append(wx)
        else:
            raise InputError(
                f"{p}: line {lineno}: unknown line type {tag[:20]!r}; "
                "DIMACS .gr lines start with c, p or a"
            )
    if not p_line:
        raise InputError(f"{p}: no problem line 'p sp N M'; is this a DIMACS .gr file?")
    if len(src) != m_decl:
        raise InputError(
            f"{p}: line {p_line}: the problem line declares {m_decl} arcs but the file "
            f"holds {len(src)}"
        )
    lon = np.full(n, np.nan)  # positions unknown unless the .co file gives them
    lat = np.full(n, np.nan)
    if coordinates is not None:
        _read_dimacs_coordinates(str(coordinates), n, lon, lat)
    return Network.from_arcs(
        np.array(src, dtype=np.int64),
        np.array(dst, dtype=np.int64),
        np.array(w, dtype=np.float64),
        lon,
        lat,
        node_key=np.arange(1, n + 1, dtype=np.int64),
        meta={"source": str(Path(p).resolve())},
    )


def _is_count(x: str) -> bool:
    return bool(re.fullmatch(r"[0-9]{1,12}", x))


def _float(x: str) -> float | None:
    if "_" in x:
        return None
    try:
        return float(x)
    except ValueError:
        return None


def _read_dimacs_coordinates(path: str, n: int, lon: np.ndarray, lat: np.ndarray) -> None:
    text = read_text(path, what="DIMACS coordinate file")
    for lineno, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts or parts[0] in ("c", "p"):
            continue
        if parts[0] != "v" or len(parts) != 4:
            raise InputError(f"{path}: line {lineno}: coordinate lines are 'v ID X Y'")
        if not re.fullmatch(r"[0-9]+", parts[1]) or not 1 <= int(parts[1]) <= n:
            raise InputError(f"{path}: line {lineno}, field ID: not a node id in 1..{n}")
        x, y = _float(parts[2]), _float(parts[3])
        if x is None or y is None or not (abs(x) <= 180e6 and abs(y) <= 90e6):
            raise InputError(
                f"{path}: line {lineno}: X Y must be millionths of a degree "
                "(|X| <= 180e6, |Y| <= 90e6)"
            )
        lon[int(parts[1]) - 1] = x / 1e6
        lat[int(parts[1]) - 1] = y / 1e6
