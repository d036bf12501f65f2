"""Interchange: NetworkX graphs, GeoDataFrames, CSV edge lists and DIMACS ``.gr`` files."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from reten.errors import InputError
from reten.network.model import NODE_KINDS, ROAD_CLASSES, Network

_ARC_FIELDS = ("length_m", "road_class", "speed_kmh", "time_h", "toll", "arc_region")


def to_networkx(net: Network, *, attrs: tuple[str, ...] = _ARC_FIELDS) -> Any:
    """Return a ``networkx.DiGraph`` with node keys as node ids and arc fields as attributes.

    Node attributes: ``lon``, ``lat``, ``kind`` (a name from NODE_KINDS), ``name``.
    """
    import networkx as nx

    g = nx.DiGraph()
    keys = net.node_key.tolist()
    kinds = [NODE_KINDS[k] for k in net.node_kind.tolist()]
    for i, k in enumerate(keys):
        g.add_node(
            k,
            lon=float(net.node_lon[i]),
            lat=float(net.node_lat[i]),
            kind=kinds[i],
            name=str(net.node_name[i]),
        )
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

    Node attributes ``lon``/``lat`` (or ``x``/``y``) give coordinates (0 if absent). The
    edge attribute ``length`` (metres) is required unless ``default_length`` is given.
    Other numeric edge attributes are kept in ``arc_attrs``.
    """
    nodes = list(g.nodes)
    index = {k: i for i, k in enumerate(nodes)}
    lon = np.array([float(g.nodes[k].get("lon", g.nodes[k].get("x", 0.0))) for k in nodes])
    lat = np.array([float(g.nodes[k].get("lat", g.nodes[k].get("y", 0.0))) for k in nodes])
    edges = list(g.edges(data=True))
    if not g.is_directed():
        edges = edges + [(v, u, d) for u, v, d in edges]
    src = np.array([index[u] for u, _, _ in edges], dtype=np.int64)
    dst = np.array([index[v] for _, v, _ in edges], dtype=np.int64)
    lens = []
    for u, v, d in edges:
        if length in d:
            lens.append(float(d[length]))
        elif default_length is not None:
            lens.append(default_length)
        else:
            raise InputError(f"edge ({u}, {v}) has no '{length}' attribute")
    extra: dict[str, list[float]] = {}
    skip = set(_ARC_FIELDS) | {length}
    names = {k for _, _, d in edges for k in d} - skip
    for k in sorted(names):
        vals = [d.get(k) for _, _, d in edges]
        if all(isinstance(x, int | float | np.number) for x in vals):
            extra[k] = [float(x) for x in vals]  # type: ignore[arg-type]
    rc = None
    if edges and all("road_class" in d for _, _, d in edges):
        rc = np.array([int(d["road_class"]) for _, _, d in edges])
    kind = np.array([NODE_KINDS.index(g.nodes[k].get("kind", "junction")) for k in nodes])
    name = np.array([str(g.nodes[k].get("name", "")) for k in nodes], dtype=object)
    key = np.array(nodes, dtype=object)
    if key.size and all(isinstance(k, int | np.integer) for k in nodes):
        key = key.astype(np.int64)
    return Network.from_arcs(
        src,
        dst,
        np.array(lens),
        lon,
        lat,
        road_class=rc,
        arc_attrs={k: np.array(v) for k, v in extra.items()},
        node_kind=kind,
        node_name=name,
        node_key=key,
        meta={"source": "networkx"},
    )


def to_geodataframe(net: Network, *, what: str = "arcs") -> Any:
    """Return a GeoDataFrame (EPSG:4326) of the network's ``arcs`` or ``nodes``."""
    import geopandas as gpd
    import shapely

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
        return gpd.GeoDataFrame(df, geometry=shapely.points(net.node_lon, net.node_lat), crs=4326)
    if net.geom_offsets is not None and net.geom_xy is not None:
        idx = np.repeat(np.arange(net.n_arcs), np.diff(net.geom_offsets))
        geom = shapely.linestrings(net.geom_xy, indices=idx)
    else:
        s, t = net.arc_source, net.arc_target
        xy = np.stack(
            [
                np.column_stack([net.node_lon[s], net.node_lat[s]]),
                np.column_stack([net.node_lon[t], net.node_lat[t]]),
            ],
            axis=1,
        )
        geom = shapely.linestrings(xy)
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
    return gpd.GeoDataFrame(df, geometry=geom, crs=4326)


def _region_codes(net: Network, rows: np.ndarray) -> np.ndarray:
    codes = np.append(net.regions.code.astype(object), "")
    return codes[np.where(rows >= 0, rows, len(net.regions))]


def from_geodataframe(gdf: Any, **kwargs: Any) -> Network:
    """Return a Network from a GeoDataFrame of lines.

    See :func:`reten.network.lines.from_geodataframe` for the options.
    """
    from reten.network.lines import from_geodataframe as _from_gdf

    return _from_gdf(gdf, **kwargs)


def read_edge_csv(
    edges: str | os.PathLike[str], nodes: str | os.PathLike[str] | None = None
) -> Network:
    """Return a Network from a CSV edge list (and optional node table).

    ``EDGES.csv`` columns: ``source,target,length_m`` plus any numeric columns, kept as arc
    attributes (``road_class``, ``speed_kmh`` and ``toll`` fill the named fields). Rows are
    directed arcs. ``NODES.csv``: ``id,lon,lat``. Node keys are the ids as written.
    """
    ep = str(edges)
    df = _read_csv(ep)
    for col in ("source", "target", "length_m"):
        if col not in df.columns:
            raise InputError(f"{ep}: missing column '{col}'; need source,target,length_m")
    lengths = pd.to_numeric(df["length_m"], errors="coerce").to_numpy(np.float64)
    bad = np.flatnonzero(~np.isfinite(lengths) | (lengths < 0))
    if bad.size:
        raise InputError(
            f"{ep}: line {bad[0] + 2}, field length_m: '{df['length_m'].iloc[bad[0]]}' is not a "
            "non-negative number"
        )
    src_keys = df["source"].astype(str).to_numpy()
    dst_keys = df["target"].astype(str).to_numpy()
    if nodes is not None:
        np_ = str(nodes)
        nd = _read_csv(np_)
        for col in ("id", "lon", "lat"):
            if col not in nd.columns:
                raise InputError(f"{np_}: missing column '{col}'; need id,lon,lat")
        keys = nd["id"].astype(str).to_numpy()
        lon = pd.to_numeric(nd["lon"], errors="coerce").to_numpy(np.float64)
        lat = pd.to_numeric(nd["lat"], errors="coerce").to_numpy(np.float64)
        badc = np.flatnonzero(~(np.abs(lon) <= 180) | ~(np.abs(lat) <= 90))
        if badc.size:
            raise InputError(f"{np_}: line {badc[0] + 2}: lon/lat must be degrees in range")
        _, first = np.unique(keys, return_index=True)
        if first.size != keys.size:
            raise InputError(f"{np_}: duplicate node ids")
        index = {k: i for i, k in enumerate(keys)}
        unknown = [k for k in sorted(set(src_keys) | set(dst_keys)) if k not in index]
        if unknown:
            raise InputError(f"{ep}: node ids not in {np_}: {', '.join(unknown[:10])}")
    else:
        keys = np.array(list(dict.fromkeys(np.concatenate([src_keys, dst_keys]).tolist())))
        index = {k: i for i, k in enumerate(keys)}
        lon = np.zeros(keys.size)
        lat = np.zeros(keys.size)
    src = np.array([index[k] for k in src_keys], dtype=np.int64)
    dst = np.array([index[k] for k in dst_keys], dtype=np.int64)
    extra: dict[str, np.ndarray] = {}
    for col in df.columns:
        if col in ("source", "target", "length_m"):
            continue
        vals = pd.to_numeric(df[col], errors="coerce")
        if vals.notna().all():
            extra[col] = vals.to_numpy(np.float64)
    rc = extra.pop("road_class", None)
    spd = extra.pop("speed_kmh", None)
    toll = extra.pop("toll", None)
    node_key: np.ndarray = keys.astype(object)
    try:
        as_int = keys.astype(np.int64)
        if (as_int.astype(str) == keys).all():
            node_key = as_int
    except ValueError:
        pass
    return Network.from_arcs(
        src,
        dst,
        lengths,
        lon,
        lat,
        road_class=None if rc is None else rc.astype(np.int8),
        speed_kmh=spd,
        toll=None if toll is None else toll.astype(bool),
        arc_attrs=extra,
        node_key=node_key,
        meta={"source": ep},
    )


def _read_csv(path: str) -> pd.DataFrame:
    if not os.path.isfile(path):
        raise InputError(f"{path}: file not found")
    try:
        return pd.read_csv(path, dtype=str, skipinitialspace=True)
    except Exception as exc:
        raise InputError(f"{path}: cannot read as CSV ({str(exc).splitlines()[0]})") from None


def read_dimacs(path: str | os.PathLike[str], *, coordinates: str | None = None) -> Network:
    """Return a Network from a DIMACS shortest-path ``.gr`` file (arc lines ``a u v w``).

    Weights are taken as metres. An optional ``.co`` file (``v id x y``, in millionths of a
    degree as in the 9th DIMACS challenge) gives coordinates.
    """
    p = str(path)
    if not os.path.isfile(p):
        raise InputError(f"{p}: file not found")
    n = 0
    src, dst, w = [], [], []
    with open(p) as fh:
        for lineno, line in enumerate(fh, 1):
            if line.startswith("p"):
                parts = line.split()
                n = int(parts[2])
            elif line.startswith("a"):
                parts = line.split()
                if len(parts) != 4:
                    raise InputError(f"{p}: line {lineno}: arc lines are 'a u v w'")
                src.append(int(parts[1]) - 1)
                dst.append(int(parts[2]) - 1)
                w.append(float(parts[3]))
    if n == 0:
        raise InputError(f"{p}: no 'p sp N M' problem line")
    lon = np.zeros(n)
    lat = np.zeros(n)
    if coordinates is not None:
        with open(coordinates) as fh:
            for line in fh:
                if line.startswith("v"):
                    _, i, x, y = line.split()
                    lon[int(i) - 1] = int(x) / 1e6
                    lat[int(i) - 1] = int(y) / 1e6
    return Network.from_arcs(
        np.array(src),
        np.array(dst),
        np.array(w),
        lon,
        lat,
        node_key=np.arange(1, n + 1, dtype=np.int64),
        meta={"source": p},
    )
