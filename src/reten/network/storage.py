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
from reten.network.model import Network, Regions, repeated_codes

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

#: ``Network.meta`` key: the folder :func:`load` read the network from, so that a result's
#: ``write`` never goes inside it (:func:`reten.atomic.check_not_an_input`); never saved
LOADED_FROM = "loaded_from"


def _table(cols: dict[str, np.ndarray]) -> pa.Table:
    arrays = {}
    for k, v in cols.items():
        v = np.asarray(v)
        arrays[k] = pa.array(v.tolist() if v.dtype == object else v)
    return pa.table(arrays)


def save(net: Network, path: str | os.PathLike[str]) -> Path:
    """Write ``net`` to directory ``path`` atomically and return the path.

    Files: ``nodes.parquet``, ``arcs.parquet``, ``rev.parquet`` (reverse CSR),
    ``regions.parquet``, ``geometry.parquet`` (when present), ``meta.json`` (format,
    version, counts, content hash, build metadata) and ``provenance.json``
    (:func:`provenance`: the inputs with their SHA-256, the parameters, reten's version).
    """
    path = Path(path)
    with atomic_dir(path, kind="network") as tmp:
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
            # where a network was loaded from is not part of it (a copy saved elsewhere
            # would name the old folder)
            "meta": _jsonable({k: v for k, v in net.meta.items() if k != LOADED_FROM}),
        }
        (tmp / "meta.json").write_text(jsonio.dumps(meta, indent=2, sort_keys=True) + "\n")
        (tmp / "provenance.json").write_text(
            jsonio.dumps(provenance(net), indent=2, sort_keys=True) + "\n"
        )
    return path


def provenance(net: Network) -> dict[str, Any]:
    """Return what ``provenance.json`` of a saved network holds, as every reten output's
    does: ``network_hash`` (:meth:`Network.content_hash`), ``network_source``
    (:meth:`Network.source`), ``network_name`` (the embedded network's name, such as
    ``"default"``; absent otherwise), ``reten_version``, ``nodes``, ``arcs`` and, for a network
    :func:`reten.build_network` built, ``inputs`` (role -> ``path``, ``sha256``) and
    ``parameters`` (empty otherwise).

    Examples
    --------
    >>> from reten.data import default_network
    >>> p = provenance(default_network())
    >>> p["network_name"], p["inputs"], len(p["network_hash"])
    ('default', {}, 64)
    """
    build = dict(net.meta.get("build") or {})
    return {
        "network_hash": net.content_hash(),
        "network_source": net.source(),
        **({"network_name": str(net.meta["name"])} if net.meta.get("name") else {}),
        "reten_version": __version__,
        "nodes": net.n_nodes,
        "arcs": net.n_arcs,
        "inputs": _jsonable(build.get("inputs", {})),
        "parameters": _jsonable(build.get("parameters", {})),
    }


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

    Every table is checked against ``meta.json`` and the arrays against each other (row
    counts, node ids in range, arcs sorted without parallels, the reverse index, geometry
    offsets, region rows, finite non-negative lengths). With ``verify`` the content hash
    is recomputed and compared with ``meta.json``.

    Raises
    ------
    InputError
        One line naming the directory or file: not a saved network, a missing or damaged
        file, counts that disagree with the arrays, a changed content hash.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(
            f"{path}: no such network directory; build one with 'reten network build ... -o {path}'"
        )
    mpath = path / "meta.json"
    if not mpath.is_file():
        raise InputError(no_network_message(path))
    try:
        meta = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{mpath}: unreadable ({str(exc).splitlines()[0]})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        got = meta.get("format") if isinstance(meta, dict) else None
        raise InputError(f"{mpath}: format {got!r} is not {FORMAT!r}")
    n, m = meta.get("nodes"), meta.get("arcs")
    if not (isinstance(n, int) and isinstance(m, int) and n >= 0 and m >= 0):
        raise InputError(f"{mpath}: 'nodes' and 'arcs' must be counts (integers >= 0)")
    tables = {}
    for name in ("nodes", "arcs", "rev", "regions"):
        tables[name] = _read(path / f"{name}.parquet")
    nodes, arcs, rev, regs = (tables[k] for k in ("nodes", "arcs", "rev", "regions"))
    for name, t, want in (("nodes", nodes, n), ("arcs", arcs, m), ("rev", rev, m)):
        if t.num_rows != want:
            raise InputError(
                f"{path / (name + '.parquet')}: holds {t.num_rows} rows but {mpath} says {want}"
            )
    for name, t, cols in (
        ("nodes", nodes, _NODE_COLS),
        ("arcs", arcs, _ARC_COLS),
        ("rev", rev, ("rev_arc",)),
    ):
        lack = [c for c in cols if c not in t.column_names]
        if lack:
            raise InputError(f"{path / (name + '.parquet')}: lacks column(s) {', '.join(lack)}")
    kw: dict[str, Any] = {k: _col(nodes, k) for k in _NODE_COLS}
    kw.update({k: _col(arcs, k) for k in _ARC_COLS})
    kw["rev_arc"] = _col(rev, "rev_arc")
    try:
        _check_arcs(path, kw, n, m)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{path}: damaged network ({str(exc).splitlines()[0]})") from None
    kw["indptr"] = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(kw["arc_source"], minlength=n), out=kw["indptr"][1:])
    kw["rev_indptr"] = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(kw["arc_target"], minlength=n), out=kw["rev_indptr"][1:])
    kw["node_attrs"] = {c[5:]: _col(nodes, c) for c in nodes.column_names if c.startswith("attr.")}
    kw["arc_attrs"] = {c[5:]: _col(arcs, c) for c in arcs.column_names if c.startswith("attr.")}
    rep = repeated_codes(_col(regs, "code")) if "code" in regs.column_names else ""
    if rep:
        raise InputError(
            f"{path / 'regions.parquet'}: region code(s) {rep} name several regions; "
            "rebuild the network with a regions file whose code column has one code per "
            "polygon (or dissolve the polygons by code first)"
        )
    try:
        kw["regions"] = _regions(regs)
    except (KeyError, ValueError, TypeError) as exc:
        raise InputError(f"{path / 'regions.parquet'}: damaged ({exc})") from None
    r = len(kw["regions"])
    for k in ("node_region", "arc_region"):
        v = kw[k]
        if v.size and (v.min() < -1 or v.max() >= r):
            raise InputError(f"{path}: {k} points outside the {r} regions of regions.parquet")
    if r and (kw["regions"].parent.min() < -1 or kw["regions"].parent.max() >= r):
        raise InputError(f"{path / 'regions.parquet'}: a parent row is outside the table")
    gpath = path / "geometry.parquet"
    opath = path / "geometry_offsets.parquet"
    if gpath.is_file() or opath.is_file():
        g, o = _read(gpath), _read(opath)
        if "offset" not in o.column_names or not {"lon", "lat"} <= set(g.column_names):
            raise InputError(f"{path}: a geometry table lacks its columns (offset; lon, lat)")
        try:
            off = _col(o, "offset").astype(np.int64)
            xy = np.column_stack([_col(g, "lon"), _col(g, "lat")]).astype(np.float64)
        except (ValueError, TypeError) as exc:
            raise InputError(f"{path}: damaged geometry ({exc})") from None
        if (
            off.shape[0] != m + 1
            or (off.size and (off[0] != 0 or off[-1] != xy.shape[0]))
            or (np.diff(off) < 0).any()
        ):
            raise InputError(
                f"{opath}: offsets do not match {m} arcs and {xy.shape[0]} geometry points"
            )
        kw["geom_offsets"], kw["geom_xy"] = off, xy
    kw["meta"] = {**dict(meta.get("meta") or {}), LOADED_FROM: str(path.resolve())}
    try:
        net = Network(**kw)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{path}: damaged network ({str(exc).splitlines()[0]})") from None
    if verify and net.content_hash() != meta.get("content_hash"):
        raise InputError(f"{path}: content hash mismatch; the files were changed after saving")
    return net


def _read(p: Path) -> pa.Table:
    if not p.is_file():
        raise InputError(f"{p}: missing; the saved network is incomplete (build it again)")
    try:
        return pq.read_table(p)
    except Exception as exc:  # pyarrow raises several types
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{p}: cannot read ({msg})") from None


def _check_arcs(path: Path, kw: dict[str, Any], n: int, m: int) -> None:
    """Raise InputError unless the arc arrays are a valid CSR of ``n`` nodes, ``m`` arcs."""
    for k in _NODE_COLS:
        if kw[k].shape[0] != n:
            raise InputError(f"{path}: nodes.parquet column {k} has {kw[k].shape[0]} values")
    s, t = kw["arc_source"], kw["arc_target"]
    for k, v in (("arc_source", s), ("arc_target", t), ("rev_arc", kw["rev_arc"])):
        if v.dtype.kind not in "iu":
            raise InputError(f"{path}: {k} is not an integer column")
    if m and (min(s.min(), t.min()) < 0 or max(s.max(), t.max()) >= n):
        raise InputError(f"{path / 'arcs.parquet'}: an arc end is not a node in 0..{n - 1}")
    key = s.astype(np.int64) * max(n, 1) + t
    if m and (not (np.diff(key) > 0).all() or (s == t).any()):
        raise InputError(
            f"{path / 'arcs.parquet'}: arcs are not sorted by (source, target) without "
            "repeats or self-loops"
        )
    rev = kw["rev_arc"].astype(np.int64)
    if m and (
        rev.min() < 0
        or rev.max() >= m
        or np.bincount(rev, minlength=m).max() != 1
        or (np.diff(t[rev]) < 0).any()
    ):
        raise InputError(f"{path / 'rev.parquet'}: the reverse index does not match the arcs")
    length = np.asarray(kw["length_m"], dtype=np.float64)
    if m and not (np.isfinite(length) & (length >= 0)).all():
        raise InputError(f"{path / 'arcs.parquet'}: length_m holds a negative or non-finite value")


def _regions(regs: pa.Table) -> Regions:
    return Regions(
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
