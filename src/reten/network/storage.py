"""Save and load a Network as one directory: Parquet tables plus JSON metadata."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from reten import __version__, jsonio
from reten.atomic import atomic_dir
from reten.errors import InputError, no_network_message
from reten.network.model import Network, Regions

FORMAT = "reten-network/1"
_NODE_COLS = ("node_lon", "node_lat", "node_kind", "node_name", "node_key", "node_region")
_ARC_COLS = (
    "arc_source",
    "arc_target",
    "length_m",
    "road_class",
    "speed_kmh",
    "toll",
    "arc_region",
)


def _table(cols: dict[str, np.ndarray]) -> pa.Table:
    arrays = {}
    for k, v in cols.items():
        v = np.asarray(v)
        arrays[k] = pa.array(v.tolist() if v.dtype == object else v)
    return pa.table(arrays)


def save(net: Network, path: str | os.PathLike[str]) -> Path:
    """Write ``net`` to directory ``path`` atomically and return the path.

    Files: ``nodes.parquet``, ``arcs.parquet``, ``rev.parquet`` (reverse CSR),
    ``regions.parquet``, ``geometry.parquet`` (when present) and ``meta.json`` (format,
    version, counts, content hash, build metadata).
    """
    path = Path(path)
    with atomic_dir(path) as tmp:
        nodes = {k: getattr(net, k) for k in _NODE_COLS}
        nodes.update({f"attr.{k}": v for k, v in net.node_attrs.items()})
        arcs = {k: getattr(net, k) for k in _ARC_COLS}
        arcs.update({f"attr.{k}": v for k, v in net.arc_attrs.items()})
        opts = {"compression": "zstd"}
        pq.write_table(_table(nodes), tmp / "nodes.parquet", **opts)
        pq.write_table(_table(arcs), tmp / "arcs.parquet", **opts)
        pq.write_table(_table({"rev_arc": net.rev_arc}), tmp / "rev.parquet", **opts)
        r = net.regions
        pq.write_table(
            _table(
                {
                    "code": r.code,
                    "name": r.name,
                    "level": r.level,
                    "parent": r.parent,
                    "lon": r.lon,
                    "lat": r.lat,
                    **({"outline_wkb": r.outline_wkb} if r.outline_wkb is not None else {}),
                }
            ),
            tmp / "regions.parquet",
        )
        if net.geom_offsets is not None and net.geom_xy is not None:
            pq.write_table(_table({"offset": net.geom_offsets}), tmp / "geometry_offsets.parquet")
            pq.write_table(
                _table({"lon": net.geom_xy[:, 0], "lat": net.geom_xy[:, 1]}),
                tmp / "geometry.parquet",
                **opts,
            )
        meta = {
            "format": FORMAT,
            "reten_version": __version__,
            "nodes": net.n_nodes,
            "arcs": net.n_arcs,
            "content_hash": net.content_hash(),
            "meta": _jsonable(dict(net.meta)),
        }
        (tmp / "meta.json").write_text(jsonio.dumps(meta, indent=2, sort_keys=True) + "\n")
    return path


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    return x


def _col(t: pa.Table, name: str) -> np.ndarray:
    c = t.column(name)
    if pa.types.is_string(c.type) or pa.types.is_large_string(c.type):
        return np.asarray(c.to_pylist(), dtype=object)
    return c.to_numpy()


def load(path: str | os.PathLike[str], *, verify: bool = False) -> Network:
    """Return the Network saved in directory ``path``.

    With ``verify`` the content hash is recomputed and compared with ``meta.json``.
    Raises ``InputError`` when the directory is not a saved network.
    """
    path = Path(path)
    mpath = path / "meta.json"
    if not mpath.is_file():
        raise InputError(no_network_message(path))
    try:
        meta = json.loads(mpath.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{mpath}: unreadable ({exc})") from None
    if meta.get("format") != FORMAT:
        raise InputError(f"{mpath}: format {meta.get('format')!r} is not {FORMAT!r}")
    try:
        nodes = pq.read_table(path / "nodes.parquet")
        arcs = pq.read_table(path / "arcs.parquet")
        rev = pq.read_table(path / "rev.parquet")
        regs = pq.read_table(path / "regions.parquet")
    except Exception as exc:  # pyarrow raises several types
        raise InputError(f"{path}: cannot read network tables ({exc})") from None
    kw: dict[str, Any] = {k: _col(nodes, k) for k in _NODE_COLS}
    kw.update({k: _col(arcs, k) for k in _ARC_COLS})
    n, m = int(meta["nodes"]), int(meta["arcs"])
    src = kw["arc_source"]
    kw["indptr"] = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=kw["indptr"][1:])
    kw["rev_arc"] = _col(rev, "rev_arc")
    kw["rev_indptr"] = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(kw["arc_target"], minlength=n), out=kw["rev_indptr"][1:])
    kw["node_attrs"] = {c[5:]: _col(nodes, c) for c in nodes.column_names if c.startswith("attr.")}
    kw["arc_attrs"] = {c[5:]: _col(arcs, c) for c in arcs.column_names if c.startswith("attr.")}
    kw["regions"] = Regions(
        code=_col(regs, "code") if regs.num_rows else np.zeros(0, object),
        name=_col(regs, "name") if regs.num_rows else np.zeros(0, object),
        level=_col(regs, "level") if regs.num_rows else np.zeros(0, object),
        parent=_col(regs, "parent").astype(np.int32),
        lon=_col(regs, "lon").astype(np.float64) if "lon" in regs.column_names else np.zeros(0),
        lat=_col(regs, "lat").astype(np.float64) if "lat" in regs.column_names else np.zeros(0),
        outline_wkb=(
            np.asarray(regs.column("outline_wkb").to_pylist(), dtype=object)
            if "outline_wkb" in regs.column_names
            else None
        ),
    )
    if (path / "geometry.parquet").is_file():
        g = pq.read_table(path / "geometry.parquet")
        kw["geom_offsets"] = _col(pq.read_table(path / "geometry_offsets.parquet"), "offset")
        kw["geom_xy"] = np.column_stack([_col(g, "lon"), _col(g, "lat")])
    kw["meta"] = dict(meta.get("meta", {}))
    net = Network(**kw)
    if net.n_arcs != m:
        raise InputError(f"{mpath}: says {m} arcs but the tables hold {net.n_arcs}")
    if verify and net.content_hash() != meta["content_hash"]:
        raise InputError(f"{path}: content hash mismatch; the files were changed after saving")
    return net
