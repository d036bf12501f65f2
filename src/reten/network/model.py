"""The ``Network``: an immutable road graph held as flat NumPy arrays in CSR form."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

NODE_KINDS: tuple[str, ...] = ("junction", "border", "seaport", "place")
"""Node kinds; ``Network.node_kind`` holds indices into this tuple."""

ROAD_CLASSES: tuple[str, ...] = ("motorway", "trunk", "primary", "secondary", "tertiary", "local")
"""Road classes; ``Network.road_class`` holds indices into this tuple."""

CLASS_SPEED_KMH: tuple[float, ...] = (100.0, 90.0, 80.0, 70.0, 60.0, 40.0)
"""Default free-flow speed per road class, km/h, used when a source gives none."""

EMPTY_I32 = np.zeros(0, dtype=np.int32)


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    if a.flags.writeable and a.base is None:
        a.flags.writeable = False
    elif a.flags.writeable:
        a = a.view()
        a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class Regions:
    """A table of regions (for example municipalities and their states).

    ``code``, ``name`` and ``level`` are object arrays of strings; ``parent`` holds the row of
    the parent region or -1.
    """

    code: np.ndarray
    name: np.ndarray
    level: np.ndarray
    parent: np.ndarray
    lon: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lat: np.ndarray = field(default_factory=lambda: np.zeros(0))
    outline_wkb: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = self.code.shape[0]
        object.__setattr__(self, "_anc_cache", {})
        for k in ("lon", "lat"):
            v = getattr(self, k)
            if v is None or np.asarray(v).shape[0] != n:
                object.__setattr__(self, k, np.full(n, np.nan))

    @classmethod
    def empty(cls) -> Regions:
        """Return a table with no regions."""
        o = np.zeros(0, dtype=object)
        return cls(o, o.copy(), o.copy(), EMPTY_I32.copy())

    def __len__(self) -> int:
        return int(self.code.shape[0])

    def index(self) -> dict[str, int]:
        """Return a dict from region code to row."""
        return {str(c): i for i, c in enumerate(self.code)}

    def rows_at_level(self, level: str) -> np.ndarray:
        """Return the rows whose level is ``level`` (int64 array)."""
        return np.flatnonzero(self.level == level)

    def ancestor_table(self, level: str) -> np.ndarray:
        """Return, for every region row, its ancestor (or itself) at ``level``, -1 if none.

        The table has one extra entry at the end (-1) so that ``table[rows]`` maps row -1
        to -1.
        """
        cache: dict[str, np.ndarray] = self.__dict__["_anc_cache"]
        if level not in cache:
            rows = np.arange(len(self), dtype=np.int64)
            cache[level] = _frozen(np.append(self._ancestor_loop(rows, level), -1))
        return cache[level]

    def ancestor_at_level(self, rows: np.ndarray, level: str) -> np.ndarray:
        """Map region rows to their ancestor (or themselves) at ``level``; -1 where none."""
        return self.ancestor_table(level)[np.asarray(rows, dtype=np.int64)]

    def _ancestor_loop(self, rows: np.ndarray, level: str) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        out = np.full(rows.shape, -1, dtype=np.int64)
        cur = rows.copy()
        for _ in range(8):
            ok = cur >= 0
            hit = ok & (out < 0)
            hit[ok] &= self.level[cur[ok]] == level
            out[hit] = cur[hit]
            nxt = np.full_like(cur, -1)
            nxt[ok] = self.parent[cur[ok]]
            cur = nxt
            if not (cur >= 0).any():
                break
        return out


@dataclass(frozen=True, eq=False)
class Network:
    """A directed road network held as NumPy arrays.

    Arcs are sorted by ``(arc_source, arc_target)`` with no self-loops and no parallel arcs,
    so the forward CSR is ``(indptr, arc_target)`` and arc ``e`` is row entry ``e``. The
    reverse CSR lists, for each node, the ids of the arcs entering it:
    ``rev_arc[rev_indptr[v]:rev_indptr[v + 1]]``. Undirected roads are two arcs.

    Units are in the names: ``length_m`` metres, ``speed_kmh`` km/h, ``time_h`` hours.
    Region indices point into ``regions`` (-1: none).
    """

    node_lon: np.ndarray
    node_lat: np.ndarray
    node_kind: np.ndarray
    node_name: np.ndarray
    node_key: np.ndarray
    node_region: np.ndarray
    arc_source: np.ndarray
    arc_target: np.ndarray
    indptr: np.ndarray
    rev_indptr: np.ndarray
    rev_arc: np.ndarray
    length_m: np.ndarray
    road_class: np.ndarray
    speed_kmh: np.ndarray
    toll: np.ndarray
    arc_region: np.ndarray
    regions: Regions = field(default_factory=Regions.empty)
    geom_offsets: np.ndarray | None = None
    geom_xy: np.ndarray | None = None
    node_attrs: Mapping[str, np.ndarray] = field(default_factory=dict)
    arc_attrs: Mapping[str, np.ndarray] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                object.__setattr__(self, f.name, _frozen(v))
        for d in (self.node_attrs, self.arc_attrs):
            for k in list(d):
                d[k] = _frozen(d[k])  # type: ignore[index]

    # ------------------------------------------------------------------ sizes
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_lon.shape[0])

    @property
    def n_arcs(self) -> int:
        """Number of directed arcs."""
        return int(self.arc_source.shape[0])

    @property
    def time_h(self) -> np.ndarray:
        """Free-flow travel time of each arc, hours (``length_m / 1000 / speed_kmh``).

        Derived on demand rather than stored, to keep a national network small.
        """
        return self.length_m / 1000.0 / self.speed_kmh.astype(np.float64)

    def __repr__(self) -> str:
        return (
            f"Network(nodes={self.n_nodes}, arcs={self.n_arcs}, regions={len(self.regions)}, "
            f"geometry={'yes' if self.geom_offsets is not None else 'no'})"
        )

    # ------------------------------------------------------------ constructor
    @classmethod
    def from_arcs(
        cls,
        source: np.ndarray,
        target: np.ndarray,
        length_m: np.ndarray,
        node_lon: np.ndarray,
        node_lat: np.ndarray,
        *,
        road_class: np.ndarray | None = None,
        speed_kmh: np.ndarray | None = None,
        toll: np.ndarray | None = None,
        geometry: Sequence[np.ndarray] | None = None,
        arc_attrs: Mapping[str, np.ndarray] | None = None,
        node_kind: np.ndarray | None = None,
        node_name: np.ndarray | None = None,
        node_key: np.ndarray | None = None,
        node_attrs: Mapping[str, np.ndarray] | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> Network:
        """Return a Network from directed arc arrays.

        Self-loops and arcs of zero length are dropped; of parallel arcs between the same
        ordered pair the shortest is kept (ties: the first given). ``geometry`` is one
        ``(k, 2)`` lon/lat array per input arc. The counts dropped are in ``meta["dropped"]``.
        """
        n = int(np.asarray(node_lon).shape[0])
        src = np.asarray(source, dtype=np.int64)
        dst = np.asarray(target, dtype=np.int64)
        length = np.asarray(length_m, dtype=np.float64)
        m_in = src.shape[0]
        if m_in and (src.min() < 0 or dst.min() < 0 or src.max() >= n or dst.max() >= n):
            raise ValueError("arc endpoints must be node indices in [0, n_nodes)")
        keep = (src != dst) & (length > 0) & np.isfinite(length)
        n_loops = int((src == dst).sum())
        n_zero = int((~keep).sum()) - n_loops
        idx = np.flatnonzero(keep)
        # sort by (source, target, length, input order) and keep the first of each pair
        order = np.lexsort((idx, length[idx], dst[idx], src[idx]))
        idx = idx[order]
        if idx.size:
            s, t = src[idx], dst[idx]
            first = np.ones(idx.size, dtype=bool)
            first[1:] = (s[1:] != s[:-1]) | (t[1:] != t[:-1])
            n_dup = int((~first).sum())
            idx = idx[first]
        else:
            n_dup = 0
        m = idx.size

        def pick(a: np.ndarray | None, default: Any, dtype: Any) -> np.ndarray:
            if a is None:
                return np.full(m, default, dtype=dtype)
            return np.asarray(a, dtype=dtype)[idx]

        rc = pick(road_class, len(ROAD_CLASSES) - 1, np.int8)
        default_speed = np.asarray(CLASS_SPEED_KMH, dtype=np.float64)[rc]
        spd = pick(speed_kmh, np.nan, np.float64)
        spd = np.where(np.isfinite(spd) & (spd > 0), spd, default_speed).astype(np.float32)
        geom_offsets = geom_xy = None
        if geometry is not None:
            parts = [np.asarray(geometry[i], dtype=np.float64).reshape(-1, 2) for i in idx.tolist()]
            counts = np.fromiter((p.shape[0] for p in parts), dtype=np.int64, count=m)
            geom_offsets = np.zeros(m + 1, dtype=np.int64)
            np.cumsum(counts, out=geom_offsets[1:])
            geom_xy = np.concatenate(parts) if parts else np.zeros((0, 2))
        attrs = {k: np.asarray(v)[idx] for k, v in (arc_attrs or {}).items()}
        a_src = src[idx].astype(np.int32)
        a_dst = dst[idx].astype(np.int32)
        indptr, rev_indptr, rev_arc = _csr_index(a_src, a_dst, n)
        meta = dict(meta or {})
        meta.setdefault("dropped", {})
        meta["dropped"] = {
            **meta["dropped"],
            "self_loops": n_loops,
            "zero_length": n_zero,
            "duplicates": n_dup,
        }
        lengths = length[idx]
        return cls(
            node_lon=np.asarray(node_lon, dtype=np.float64),
            node_lat=np.asarray(node_lat, dtype=np.float64),
            node_kind=(
                np.zeros(n, dtype=np.int8)
                if node_kind is None
                else np.asarray(node_kind, dtype=np.int8)
            ),
            node_name=(
                np.full(n, "", dtype=object) if node_name is None else np.asarray(node_name, object)
            ),
            node_key=(np.arange(n, dtype=np.int64) if node_key is None else np.asarray(node_key)),
            node_region=np.full(n, -1, dtype=np.int32),
            arc_source=a_src,
            arc_target=a_dst,
            indptr=indptr,
            rev_indptr=rev_indptr,
            rev_arc=rev_arc,
            length_m=lengths,
            road_class=rc,
            speed_kmh=spd,
            toll=pick(toll, False, bool),
            arc_region=np.full(m, -1, dtype=np.int32),
            geom_offsets=geom_offsets,
            geom_xy=geom_xy,
            node_attrs=dict(node_attrs or {}),
            arc_attrs=attrs,
            meta=meta,
        )

    # ------------------------------------------------------------ graph views
    @functools.cached_property
    def rev_source(self) -> np.ndarray:
        """Source node of each arc in reverse-CSR order (the reversed graph's column indices)."""
        return _frozen(self.arc_source[self.rev_arc])

    def csr(self, weight: np.ndarray | None = None) -> sp.csr_matrix:
        """Return the forward graph as a SciPy CSR matrix whose data is ``weight`` (per arc).

        ``weight`` defaults to ``length_m``. Entry ``e`` of the data is arc ``e``.
        """
        w = self.length_m if weight is None else np.asarray(weight, dtype=np.float64)
        return sp.csr_matrix((w, self.arc_target, self.indptr), shape=(self.n_nodes,) * 2)

    def reverse_csr(self, weight: np.ndarray | None = None) -> sp.csr_matrix:
        """Return the reversed graph as CSR; entry ``i`` of its data is arc ``rev_arc[i]``."""
        w = self.length_m if weight is None else np.asarray(weight, dtype=np.float64)
        return sp.csr_matrix(
            (w[self.rev_arc], self.rev_source, self.rev_indptr),
            shape=(self.n_nodes,) * 2,
        )

    def arc_id(self, source: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Return the arc id of each ``(source, target)`` pair, or -1 where no such arc exists."""
        source = np.asarray(source, dtype=np.int64)
        target = np.asarray(target, dtype=np.int64)
        keys = self.arc_source.astype(np.int64) * self.n_nodes + self.arc_target
        q = source * self.n_nodes + target
        pos = np.searchsorted(keys, q)
        pos_c = np.minimum(pos, max(keys.size - 1, 0))
        ok = (pos < keys.size) & (keys[pos_c] == q) if keys.size else np.zeros(q.shape, bool)
        return np.where(ok, pos_c, -1)

    def arc_geometry(self, arc: int) -> np.ndarray:
        """Return the ``(k, 2)`` lon/lat polyline of an arc (its end nodes if none is stored)."""
        if self.geom_offsets is None or self.geom_xy is None:
            s, t = self.arc_source[arc], self.arc_target[arc]
            return np.array(
                [[self.node_lon[s], self.node_lat[s]], [self.node_lon[t], self.node_lat[t]]]
            )
        return self.geom_xy[self.geom_offsets[arc] : self.geom_offsets[arc + 1]]

    def components(self, connection: str = "strong") -> np.ndarray:
        """Return a component label per node (int32), for ``strong`` or ``weak`` connection."""
        from scipy.sparse.csgraph import connected_components

        _, labels = connected_components(self.csr(), directed=True, connection=connection)
        return labels.astype(np.int32)

    def largest_component_mask(self, connection: str = "strong") -> np.ndarray:
        """Return a boolean node mask of the largest strongly (or weakly) connected component."""
        labels = self.components(connection)
        if labels.size == 0:
            return np.zeros(0, dtype=bool)
        return labels == np.bincount(labels).argmax()

    def with_costs(self, **arc_arrays: np.ndarray) -> Network:
        """Return a view sharing every array, with the given per-arc arrays set in ``arc_attrs``.

        Example: ``net.with_costs(cost=net.time_h * 50.0)``. Each array must have ``n_arcs``
        entries.
        """
        attrs = dict(self.arc_attrs)
        for k, v in arc_arrays.items():
            v = np.asarray(v)
            if v.shape[0] != self.n_arcs:
                raise ValueError(f"{k}: expected {self.n_arcs} values, got {v.shape[0]}")
            attrs[k] = v
        return dataclasses.replace(self, arc_attrs=attrs)

    def subgraph(self, node_mask: np.ndarray) -> Network:
        """Return the network induced by the nodes where ``node_mask`` is true.

        Node order and arc order are preserved; ``meta["parent_node"]`` is not kept, but
        ``node_attrs["parent_node"]`` maps each new node to its index in this network.
        """
        node_mask = np.asarray(node_mask, dtype=bool)
        new_id = np.full(self.n_nodes, -1, dtype=np.int64)
        new_id[node_mask] = np.arange(int(node_mask.sum()))
        arc_keep = node_mask[self.arc_source] & node_mask[self.arc_target]
        arcs = np.flatnonzero(arc_keep)
        src = new_id[self.arc_source[arcs]].astype(np.int32)
        dst = new_id[self.arc_target[arcs]].astype(np.int32)
        nattrs = {k: v[node_mask] for k, v in self.node_attrs.items()}
        nattrs["parent_node"] = np.flatnonzero(node_mask)
        return _rebuild(self, np.flatnonzero(node_mask), arcs, src, dst, nattrs)

    # ------------------------------------------------------------ lookups
    def node_index(self) -> dict[Any, int]:
        """Return a dict from public node key (as written in the input) to node index."""
        keys = self.node_key.tolist()
        out: dict[Any, int] = {}
        for i, k in enumerate(keys):
            out[k] = i
            out[str(k)] = i
        return out

    def region_nodes(self, region: int) -> np.ndarray:
        """Return the nodes of a region row, including those of its descendants."""
        return np.flatnonzero(self._in_region(self.node_region, region))

    def region_arcs(self, region: int) -> np.ndarray:
        """Return the arcs of a region row (by arc midpoint), including descendants'."""
        return np.flatnonzero(self._in_region(self.arc_region, region))

    def _in_region(self, rows: np.ndarray, region: int) -> np.ndarray:
        level = self.regions.level[region]
        anc = self.regions.ancestor_at_level(rows, str(level))
        return anc == region

    def content_hash(self) -> str:
        """Return a SHA-256 hex digest over every array, table and attribute of the network."""
        h = hashlib.sha256()
        for name, arr in sorted(self._hashable_arrays().items()):
            h.update(name.encode())
            a = np.asarray(arr)
            if a.dtype == object:
                h.update("\x1f".join(map(str, a.tolist())).encode())
            else:
                h.update(str(a.dtype).encode())
                h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()

    def _hashable_arrays(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                out[f.name] = v
        for k, v in self.node_attrs.items():
            out[f"node_attrs.{k}"] = v
        for k, v in self.arc_attrs.items():
            out[f"arc_attrs.{k}"] = v
        for k in ("code", "name", "level", "parent", "lon", "lat"):
            out[f"regions.{k}"] = getattr(self.regions, k)
        if self.regions.outline_wkb is not None:
            out["regions.outline_wkb"] = np.asarray(
                [b.hex() if b is not None else "" for b in self.regions.outline_wkb], dtype=object
            )
        return out


def spatial_order(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Return a node order along a Z-order (Morton) curve of the coordinates (int64 array).

    Nearby nodes get nearby ids, which keeps Dijkstra's memory accesses local: on a 1M-node
    Delaunay graph it halved SciPy's time (bench/RESULTS.md).
    """
    lon = np.asarray(lon, np.float64)
    lat = np.asarray(lat, np.float64)
    if lon.size == 0:
        return np.zeros(0, np.int64)

    def scale(a: np.ndarray) -> np.ndarray:
        lo, hi = np.nanmin(a), np.nanmax(a)
        span = hi - lo if hi > lo else 1.0
        return np.nan_to_num((a - lo) / span * 65535.0).astype(np.uint64)

    x, y = scale(lon), scale(lat)

    def spread(v: np.ndarray) -> np.ndarray:
        v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
        v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
        v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
        return (v | (v << np.uint64(1))) & np.uint64(0x55555555)

    key = spread(x) | (spread(y) << np.uint64(1))
    return np.argsort(key, kind="stable").astype(np.int64)


def reorder_nodes(net: Network, order: np.ndarray) -> Network:
    """Return ``net`` with node ``order[i]`` renumbered ``i``; arcs re-sorted to match.

    Public node keys, names and attributes travel with their nodes, so lookups by key are
    unchanged; only the internal dense ids move.
    """
    order = np.asarray(order, np.int64)
    new_id = np.empty(net.n_nodes, np.int64)
    new_id[order] = np.arange(net.n_nodes)
    src = new_id[net.arc_source]
    dst = new_id[net.arc_target]
    arcs = np.lexsort((dst, src))
    return _rebuild(
        net, order, arcs, src[arcs], dst[arcs], {k: v[order] for k, v in net.node_attrs.items()}
    )


def _rebuild(
    net: Network,
    nodes: np.ndarray,
    arcs: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    node_attrs: dict[str, np.ndarray],
) -> Network:
    """Return ``net`` restricted to ``nodes`` (in that order) and ``arcs`` (sorted by the new
    ``(src, dst)``, given in new node ids), with geometry and attributes carried along."""
    a_src = np.asarray(src).astype(np.int32)
    a_dst = np.asarray(dst).astype(np.int32)
    indptr, rev_indptr, rev_arc = _csr_index(a_src, a_dst, int(nodes.size))
    geom_offsets = geom_xy = None
    if net.geom_offsets is not None and net.geom_xy is not None:
        starts, ends = net.geom_offsets[arcs], net.geom_offsets[arcs + 1]
        counts = ends - starts
        geom_offsets = np.zeros(arcs.size + 1, dtype=np.int64)
        np.cumsum(counts, out=geom_offsets[1:])
        take = np.repeat(starts - geom_offsets[:-1], counts) + np.arange(geom_offsets[-1])
        geom_xy = net.geom_xy[take]
    return dataclasses.replace(
        net,
        node_lon=net.node_lon[nodes],
        node_lat=net.node_lat[nodes],
        node_kind=net.node_kind[nodes],
        node_name=net.node_name[nodes],
        node_key=net.node_key[nodes],
        node_region=net.node_region[nodes],
        arc_source=a_src,
        arc_target=a_dst,
        indptr=indptr,
        rev_indptr=rev_indptr,
        rev_arc=rev_arc,
        length_m=net.length_m[arcs],
        road_class=net.road_class[arcs],
        speed_kmh=net.speed_kmh[arcs],
        toll=net.toll[arcs],
        arc_region=net.arc_region[arcs],
        geom_offsets=geom_offsets,
        geom_xy=geom_xy,
        node_attrs=node_attrs,
        arc_attrs={k: v[arcs] for k, v in net.arc_attrs.items()},
        meta=dict(net.meta),
    )


def _csr_index(src: np.ndarray, dst: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
    """Return ``(indptr, rev_indptr, rev_arc)`` for arcs already sorted by (src, dst)."""
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    rev_dtype = np.int32 if src.size < 2**31 else np.int64
    rev_arc = np.argsort(dst, kind="stable").astype(rev_dtype)
    rev_indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(dst, minlength=n), out=rev_indptr[1:])
    return indptr, rev_indptr, rev_arc
