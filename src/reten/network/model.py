"""The ``Network``: an immutable road graph held as flat NumPy arrays in CSR form."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
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


def repeated_codes(codes: Sequence[Any] | np.ndarray, limit: int = 5) -> str:
    """Return the codes that occur more than once, as ``'25' (3 times), ...``; ``""`` if none.

    Codes are compared as strings; at most ``limit`` are listed, then how many more.
    """
    c = np.asarray([str(x) for x in np.asarray(codes, dtype=object).ravel()], dtype=object)
    if c.size < 2:
        return ""
    u, counts = np.unique(c.astype(str), return_counts=True)
    dup = np.flatnonzero(counts > 1)
    if not dup.size:
        return ""
    parts = [f"'{u[i]}' ({int(counts[i])} times)" for i in dup[:limit]]
    more = f" and {dup.size - limit} more" if dup.size > limit else ""
    return ", ".join(parts) + more


@dataclass(frozen=True, eq=False)
class Regions:
    """A table of regions (for example municipalities and their states).

    ``code``, ``name`` and ``level`` are object arrays of strings; ``parent`` holds the row of
    the parent region or -1.

    Raises
    ------
    ValueError
        Two rows share a code: a code names one region (scenarios select regions by code
        and results are keyed by it). Readers check their files first and raise
        ``InputError`` naming the file.

    Examples
    --------
    >>> import numpy as np
    >>> o = lambda *v: np.array(v, dtype=object)
    >>> len(Regions(o("25", "26"), o("Sinaloa", "Sonora"), o("state", "state"), np.array([-1, -1])))
    2
    >>> Regions(o("25", "25"), o("a", "b"), o("state", "state"), np.array([-1, -1]))
    Traceback (most recent call last):
    ...
    ValueError: region codes must be unique (one row per region): '25' (2 times); ...
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
        rep = repeated_codes(self.code)
        if rep:
            raise ValueError(
                f"region codes must be unique (one row per region): {rep}; "
                "give each region its own code"
            )
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
    Region indices point into ``regions`` (-1: none). ``node_lon``/``node_lat`` are degrees
    (EPSG:4326), NaN for a node whose position is not known (an edge list read without a
    node table, a DIMACS file without ``.co``): reten never invents a coordinate.
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
    def located(self) -> np.ndarray:
        """Bool per node: True where the node has a finite longitude and latitude.

        Examples
        --------
        >>> net = Network.from_arcs(np.array([0]), np.array([1]), np.array([5.0]),
        ...                         np.array([-100.0, np.nan]), np.array([20.0, np.nan]))
        >>> net.located.tolist(), net.has_coordinates
        ([True, False], False)
        """
        return np.isfinite(self.node_lon) & np.isfinite(self.node_lat)

    @property
    def has_coordinates(self) -> bool:
        """True when every node has a position (``located``); maps need it."""
        return bool(self.n_nodes) and bool(self.located.all())

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
        road: np.ndarray | None = None,
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
        """Return a Network from directed arc arrays, keeping every real road.

        Parameters
        ----------
        source, target : int (m,)
            Arc end nodes, indices into the node arrays.
        length_m : float (m,)
            Arc lengths, metres; finite and ``>= 0``. Arcs of length 0 between two distinct
            nodes (connectors, Braess links) are kept.
        node_lon, node_lat : float (n,)
            Node coordinates, degrees; NaN where unknown (a split node on a road between
            two such nodes is then NaN too).
        road : int (m,), optional
            Road id of each arc (any hashable values): the two directions of one undirected
            road share it; arcs of one id between different pairs of nodes are different
            roads. Without it, opposite arcs ``(s, t)`` and ``(t, s)`` of equal length are
            taken as one road.
        road_class, speed_kmh, toll, geometry, arc_attrs
            Per-arc attributes; ``geometry`` is one ``(k, 2)`` lon/lat array per arc.
        node_kind, node_name, node_key, node_attrs
            Per-node attributes; ``node_key`` defaults to ``0..n-1``.
        meta : mapping, optional
            Build metadata. Counts already in ``meta["dropped"]`` and ``meta["changed"]``
            are added to, never overwritten.

        Returns
        -------
        Network
            Arcs sorted by ``(source, target)``, free of self-loops and parallel arcs.

        Raises
        ------
        ValueError
            A length that is negative, NaN or infinite; an end node out of range; per-arc
            arrays of different lengths. (Readers check their files first and raise
            ``InputError`` naming the file and line.)

        Notes
        -----
        Self-loops are dropped and counted in ``meta["dropped"]["self_loops"]``.

        Parallel arcs (one ordered pair of nodes, several roads) are all kept. Per pair, the
        shortest road (ties: the first given) stays whole and every other road is split in
        two at a new degree-2 junction placed at the midpoint, by length, of its geometry
        (of the geodesic between its end nodes when it has none). Each half carries the
        road's attributes and half its length (the halves sum exactly to the original); the
        arcs of one road (its two directions) share the split node, so each half has its
        reverse. Attributes whose name starts with ``capacity`` are bottlenecks met once per
        road: the second half gets 0 (no limit), so congestion costs and maximum flows are
        unchanged. ``meta["changed"]["parallel_split"]`` counts the arcs split and
        ``meta["changed"]["split_nodes"]`` the nodes added.

        Split nodes are appended after the input nodes, ordered by their road's end nodes.
        Their public key cannot collide with an input key: with integer keys (and by
        default) the ``j``-th split node gets ``min(0, min key) - 1 - j`` (``-1, -2, ...``
        for non-negative keys); with other keys the string ``"split:{a}:{b}:{k}"``, where
        ``a`` and ``b`` are the keys of the road's end nodes (in the direction first given)
        and ``k`` = 1, 2, ... counts the splits of that pair, prefixed with ``~`` as many
        times as needed to differ from every input key.

        Examples
        --------
        Two roads from node 0 to node 1 (10 m and 4 m) and a self-loop:

        >>> import numpy as np
        >>> net = Network.from_arcs(np.array([0, 0, 1]), np.array([1, 1, 1]),
        ...                         np.array([10.0, 4.0, 3.0]), np.zeros(2), np.zeros(2))
        >>> net.n_nodes, net.n_arcs, net.length_m.tolist(), net.node_key.tolist()
        (3, 3, [4.0, 5.0, 5.0], [0, 1, -1])
        >>> net.meta["dropped"]["self_loops"], net.meta["changed"]["parallel_split"]
        (1, 1)
        """
        n = int(np.asarray(node_lon).shape[0])
        src = np.asarray(source).astype(np.int64, copy=False).reshape(-1)
        dst = np.asarray(target).astype(np.int64, copy=False).reshape(-1)
        length = np.asarray(length_m, dtype=np.float64).reshape(-1)
        m_in = src.shape[0]
        if dst.shape[0] != m_in or length.shape[0] != m_in:
            raise ValueError("source, target and length_m must have one value per arc")
        if np.asarray(node_lat).shape[0] != n:
            raise ValueError("node_lon and node_lat must have one value per node")
        if m_in and (src.min() < 0 or dst.min() < 0 or src.max() >= n or dst.max() >= n):
            raise ValueError("arc endpoints must be node indices in [0, n_nodes)")
        bad = np.flatnonzero(~(np.isfinite(length) & (length >= 0)))
        if bad.size:
            raise ValueError(
                f"arc {bad[0]}: length_m {length[bad[0]]!r} is not a finite number >= 0 "
                f"({bad.size} such arc(s))"
            )
        length = length + 0.0  # -0.0 -> 0.0
        lon0 = np.asarray(node_lon, dtype=np.float64)
        lat0 = np.asarray(node_lat, dtype=np.float64)
        loops = src == dst
        idx = np.flatnonzero(~loops)
        road_ids = None if road is None else np.asarray(road).reshape(-1)
        if road_ids is not None and road_ids.shape[0] != m_in:
            raise ValueError("road must have one value per arc")
        split_roads = _plan_parallel(
            src[idx], dst[idx], length[idx], n, None if road_ids is None else road_ids[idx]
        )
        # every output arc: input arc ``orig`` and part 0 (whole), 1 (first half), 2 (second)
        part = np.zeros(idx.size, np.int8)
        mid_node = np.full(idx.size, -1, np.int64)
        node_xy = np.zeros((len(split_roads), 2))
        geoms: dict[int, tuple[np.ndarray, np.ndarray]] | None = None
        if geometry is not None:
            if len(geometry) != m_in:
                raise ValueError("geometry must have one polyline per arc")
            geoms = {}
        for j, arcs_pos in enumerate(split_roads):
            first = idx[arcs_pos[0]]
            line = (
                np.asarray(geometry[first], np.float64).reshape(-1, 2)
                if geometry is not None
                else np.array(
                    [[lon0[src[first]], lat0[src[first]]], [lon0[dst[first]], lat0[dst[first]]]]
                )
            )
            node_xy[j] = _polyline_midpoint(line)
            for p in arcs_pos:
                part[p] = 1
                mid_node[p] = n + j
                if geoms is not None:
                    a = idx[p]
                    g = np.asarray(geometry[a], np.float64).reshape(-1, 2)  # type: ignore[index]
                    geoms[a] = _split_polyline(g, node_xy[j])
        halves = np.flatnonzero(part == 1)
        orig = np.concatenate([idx, idx[halves]])
        piece = np.concatenate([part, np.full(halves.size, 2, np.int8)])
        mids = np.concatenate([mid_node, mid_node[halves]])
        s_out = src[orig].copy()
        t_out = dst[orig].copy()
        s_out[piece == 2] = mids[piece == 2]
        t_out[piece == 1] = mids[piece == 1]
        len_out = length[orig].copy()
        len_out[piece == 1] = length[orig][piece == 1] * 0.5
        len_out[piece == 2] = length[orig][piece == 2] - length[orig][piece == 2] * 0.5
        order = np.lexsort((t_out, s_out))
        orig, piece, s_out, t_out, len_out = (
            orig[order],
            piece[order],
            s_out[order],
            t_out[order],
            len_out[order],
        )
        m = orig.size
        k_new = len(split_roads)
        n_all = n + k_new

        def pick(a: np.ndarray | None, default: Any, dtype: Any, name: str) -> np.ndarray:
            if a is None:
                return np.full(m, default, dtype=dtype)
            arr = np.asarray(a)
            if arr.shape[0] != m_in:
                raise ValueError(f"{name} must have one value per arc")
            return arr.astype(dtype, copy=False)[orig]

        rc = pick(road_class, len(ROAD_CLASSES) - 1, np.int8, "road_class")
        default_speed = np.asarray(CLASS_SPEED_KMH, dtype=np.float64)[rc]
        spd = pick(speed_kmh, np.nan, np.float64, "speed_kmh")
        spd = np.where(np.isfinite(spd) & (spd > 0), spd, default_speed).astype(np.float32)
        geom_offsets = geom_xy = None
        if geometry is not None:
            parts = []
            for a, pc in zip(orig.tolist(), piece.tolist(), strict=True):
                if pc == 0:
                    parts.append(np.asarray(geometry[a], dtype=np.float64).reshape(-1, 2))
                else:
                    parts.append(geoms[a][pc - 1])  # type: ignore[index]
            counts = np.fromiter((p.shape[0] for p in parts), dtype=np.int64, count=m)
            geom_offsets = np.zeros(m + 1, dtype=np.int64)
            np.cumsum(counts, out=geom_offsets[1:])
            geom_xy = np.concatenate(parts) if parts else np.zeros((0, 2))
        attrs = {}
        for k, v in (arc_attrs or {}).items():
            col = pick(v, None, np.asarray(v).dtype, f"arc_attrs[{k!r}]").copy()
            if str(k).startswith("capacity") and (piece == 2).any():
                col[piece == 2] = 0
            attrs[k] = col
        a_src = s_out.astype(np.int32)
        a_dst = t_out.astype(np.int32)
        indptr, rev_indptr, rev_arc = _csr_index(a_src, a_dst, n_all)
        keys = np.arange(n, dtype=np.int64) if node_key is None else _key_array(node_key)
        if keys.shape[0] != n:
            raise ValueError("node_key must have one value per node")
        if k_new:
            keys = _with_split_keys(keys, [(idx[r[0]]) for r in split_roads], src, dst)
        meta = dict(meta or {})
        meta["dropped"] = add_counts(meta.get("dropped"), {"self_loops": int(loops.sum())})
        meta["changed"] = add_counts(
            meta.get("changed"), {"parallel_split": int(halves.size), "split_nodes": k_new}
        )
        n_kind = np.zeros(n, np.int8) if node_kind is None else np.asarray(node_kind, np.int8)
        n_name = (
            np.full(n, "", dtype=object) if node_name is None else np.asarray(node_name, object)
        )
        return cls(
            node_lon=np.concatenate([lon0, node_xy[:, 0]]),
            node_lat=np.concatenate([lat0, node_xy[:, 1]]),
            node_kind=_extend(n_kind, k_new),
            node_name=_extend(n_name, k_new),
            node_key=keys,
            node_region=np.full(n_all, -1, dtype=np.int32),
            arc_source=a_src,
            arc_target=a_dst,
            indptr=indptr,
            rev_indptr=rev_indptr,
            rev_arc=rev_arc,
            length_m=len_out,
            road_class=rc,
            speed_kmh=spd,
            toll=pick(toll, False, bool, "toll"),
            arc_region=np.full(m, -1, dtype=np.int32),
            geom_offsets=geom_offsets,
            geom_xy=geom_xy,
            node_attrs={k: _extend(np.asarray(v), k_new) for k, v in (node_attrs or {}).items()},
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
        """Return a dict from public node key to node index.

        Each key is entered as given, as ``str`` and in Unicode NFC, so ``1``, ``"1"`` and
        differently normalised spellings of one name all find the node.
        """
        keys = self.node_key.tolist()
        out: dict[Any, int] = {}
        for i, k in enumerate(keys):
            out[k] = i
            out[str(k)] = i
        for i, k in enumerate(keys):  # aliases never displace a key as written
            out.setdefault(unicodedata.normalize("NFC", str(k)), i)
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

    def source(self) -> str | None:
        """Return what the network was built from, as provenance names it: ``meta["source"]``
        (the input file, "networkx", the embedded skeleton's description), else the
        embedded name ``meta["name"]``, else None (arrays given directly).

        Examples
        --------
        >>> import numpy as np
        >>> net = Network.from_arcs(np.array([0]), np.array([1]), np.ones(1),
        ...                         np.zeros(2), np.zeros(2), meta={"source": "roads.shp"})
        >>> net.source()
        'roads.shp'
        """
        for key in ("source", "name"):
            got = self.meta.get(key)
            if got:
                return str(got)
        return None

    def coordinates_hint(self) -> str:
        """Return how this network's nodes get coordinates, for the way it was built.

        An edge list takes a node table (``--nodes id,lon,lat``), a DIMACS ``.gr`` the
        ``.co`` file of the same name next to it, a NetworkX graph ``lon``/``lat`` node
        attributes; a network of unknown origin gets the list of all three.

        Examples
        --------
        >>> import numpy as np
        >>> net = Network.from_arcs(np.array([0]), np.array([1]), np.ones(1),
        ...                         np.full(2, np.nan), np.full(2, np.nan),
        ...                         meta={"source": "/data/USA-road-d.NY.gr"})
        >>> net.coordinates_hint()
        'the DIMACS .co file next to the .gr (USA-road-d.NY.co, v ID X Y) gives coordinates'
        """
        inputs = (self.meta.get("build") or {}).get("inputs") or {}
        src = str(self.meta.get("source") or "")
        if "dimacs" in inputs or (not inputs and src.lower().endswith(".gr")):
            gr = str((inputs.get("dimacs") or {}).get("path") or src)
            co = Path(gr).with_suffix(".co").name if gr else "same name, .co"
            return f"the DIMACS .co file next to the .gr ({co}, v ID X Y) gives coordinates"
        if "edges" in inputs:
            return "rebuild with a node table (--nodes id,lon,lat) for coordinates"
        if src == "networkx":
            return "give the graph's nodes lon/lat attributes for coordinates"
        return (
            "coordinates come from a node table (--nodes id,lon,lat) for an edge list, the "
            ".co file next to a DIMACS .gr, or lon/lat attributes of NetworkX nodes"
        )

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
    if lon.size == 0 or not (np.isfinite(lon).any() and np.isfinite(lat).any()):
        return np.arange(lon.size, dtype=np.int64)  # nothing to order by: keep the order

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


def add_counts(old: Any, new: Mapping[str, int]) -> dict[str, Any]:
    """Return ``old`` (a dict of counts, or None) with ``new`` added key by key."""
    out = dict(old or {})
    for k, v in new.items():
        out[k] = int(out.get(k, 0)) + int(v)
    return out


def _key_array(keys: Any) -> np.ndarray:
    """Return node keys as a 1-d int64 array, or a 1-d object array (tuples stay whole)."""
    arr = np.asarray(keys)
    if arr.ndim == 1 and arr.dtype != object:
        if np.issubdtype(arr.dtype, np.integer):
            return arr.astype(np.int64)
        return arr.astype(object)
    lst = list(keys)
    out = np.empty(len(lst), dtype=object)
    for i, k in enumerate(lst):
        out[i] = k
    return out


def _with_split_keys(
    keys: np.ndarray, first_arcs: list[int], src: np.ndarray, dst: np.ndarray
) -> np.ndarray:
    """Return ``keys`` followed by one public key per split node (see ``from_arcs``)."""
    k = len(first_arcs)
    if keys.dtype != object:
        base = min(0, int(keys.min())) if keys.size else 0
        return np.concatenate([keys, base - 1 - np.arange(k, dtype=np.int64)])
    taken = {str(x) for x in keys.tolist()}
    count: dict[tuple[int, int], int] = {}
    new = []
    for a in first_arcs:
        pair = (int(src[a]), int(dst[a]))
        count[pair] = count.get(pair, 0) + 1
        new.append(f"split:{keys[pair[0]]}:{keys[pair[1]]}:{count[pair]}")
    prefix = ""
    while any(prefix + x in taken for x in new):
        prefix += "~"
    out = np.empty(keys.size + k, dtype=object)
    out[: keys.size] = keys
    out[keys.size :] = [prefix + x for x in new]
    return out


def _extend(a: np.ndarray, k: int) -> np.ndarray:
    """Return node array ``a`` followed by ``k`` neutral values ("" / NaN / -1 / False)."""
    if k == 0:
        return a
    if a.dtype == object:
        fill: Any = ""
    elif a.dtype == bool:
        fill = False
    elif np.issubdtype(a.dtype, np.floating):
        fill = np.nan
    elif np.issubdtype(a.dtype, np.integer):
        fill = 0 if a.dtype == np.int8 else -1  # int8: node kind "junction"
    else:
        fill = ""
    return np.concatenate([a, np.full(k, fill, dtype=a.dtype)])


def _plan_parallel(
    s: np.ndarray, t: np.ndarray, length: np.ndarray, n: int, road: np.ndarray | None
) -> list[list[int]]:
    """Return the roads to split: per road, its arc positions (input order).

    Arcs of one road share ``road`` (or, without it, are opposite arcs of equal length) and
    the same unordered pair of end nodes; the k-th arc of each direction of a group forms
    road k. Per unordered pair, roads are taken shortest first (ties: first given) and kept
    whole while none of their directions is already used; the others are split.
    """
    if s.size < 2:
        return []
    key = s * np.int64(n) + t
    sk = np.sort(key)
    dup_keys = np.unique(sk[1:][sk[1:] == sk[:-1]])
    if dup_keys.size == 0:
        return []
    lo, hi = np.minimum(s, t), np.maximum(s, t)
    ukey = lo * np.int64(n) + hi
    bad_u = np.unique(
        np.minimum(dup_keys // n, dup_keys % n) * np.int64(n)
        + np.maximum(dup_keys // n, dup_keys % n)
    )
    pos = np.flatnonzero(np.isin(ukey, bad_u))
    groups: dict[tuple[Any, ...], list[int]] = {}
    rank: dict[tuple[Any, ...], int] = {}
    for p in pos.tolist():
        if road is not None:
            g = road[p]
            g = g.item() if isinstance(g, np.generic) else g
        else:
            g = float(length[p])
        d = bool(s[p] > t[p])
        gk = (g, int(ukey[p]), d)
        r = rank.get(gk, 0)
        rank[gk] = r + 1
        groups.setdefault((g, int(ukey[p]), r), []).append(p)
    by_pair: dict[int, list[list[int]]] = {}
    for arcs in groups.values():
        by_pair.setdefault(int(ukey[arcs[0]]), []).append(arcs)
    out: list[list[int]] = []
    for u in sorted(by_pair):
        roads = sorted(by_pair[u], key=lambda a: (min(float(length[p]) for p in a), a[0]))
        used: set[bool] = set()
        for arcs in roads:
            dirs = {bool(s[p] > t[p]) for p in arcs}
            if dirs & used:
                out.append(arcs)
            else:
                used |= dirs
    return out


_GEOD: Any = None


def _geod() -> Any:
    global _GEOD
    if _GEOD is None:
        from pyproj import Geod

        _GEOD = Geod(ellps="WGS84")
    return _GEOD


def _segment_lengths(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Return (segment lengths, forward azimuths, geographic?) of a polyline."""
    x, y = xy[:, 0], xy[:, 1]
    geographic = bool(np.isfinite(xy).all() and (np.abs(y) <= 90).all())
    if geographic:
        az, _, d = _geod().inv(x[:-1], y[:-1], x[1:], y[1:])
        return np.asarray(d, np.float64), np.asarray(az, np.float64), True
    return np.hypot(np.diff(x), np.diff(y)), np.zeros(max(x.size - 1, 0)), False


def _polyline_midpoint(xy: np.ndarray) -> np.ndarray:
    """Return the point halfway along a lon/lat polyline (geodesic lengths; planar fallback)."""
    if xy.shape[0] == 0:
        return np.array([np.nan, np.nan])
    if xy.shape[0] == 1:
        return xy[0].copy()
    d, az, geographic = _segment_lengths(xy)
    total = float(d.sum())
    if not total > 0:
        return xy[0].copy()
    cum = np.concatenate([[0.0], np.cumsum(d)])
    half = total * 0.5
    i = min(int(np.searchsorted(cum, half, side="right")) - 1, d.size - 1)
    rem = half - cum[i]
    if geographic:
        lon, lat, _ = _geod().fwd(xy[i, 0], xy[i, 1], az[i], rem)
        return np.array([float(lon), float(lat)])
    f = rem / d[i] if d[i] > 0 else 0.0
    return xy[i] + f * (xy[i + 1] - xy[i])


def _split_polyline(xy: np.ndarray, joint: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the two halves (by length) of a polyline, both ending/starting at ``joint``."""
    joint = np.asarray(joint, np.float64).reshape(1, 2)
    if xy.shape[0] < 2:
        a = xy if xy.shape[0] else joint
        return np.vstack([a[:1], joint]), np.vstack([joint, a[-1:]])
    d, _, _ = _segment_lengths(xy)
    cum = np.concatenate([[0.0], np.cumsum(d)])
    half = float(cum[-1]) * 0.5
    i = min(max(int(np.searchsorted(cum, half, side="right")) - 1, 0), d.size - 1)
    head, tail = xy[: i + 1], xy[i + 1 :]
    if head.shape[0] > 1 and np.allclose(head[-1], joint[0], rtol=0, atol=1e-12):
        head = head[:-1]  # the joint is this vertex: do not repeat it
    if tail.shape[0] > 1 and np.allclose(tail[0], joint[0], rtol=0, atol=1e-12):
        tail = tail[1:]
    return np.vstack([head, joint]), np.vstack([joint, tail])


def _csr_index(src: np.ndarray, dst: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
    """Return ``(indptr, rev_indptr, rev_arc)`` for arcs already sorted by (src, dst)."""
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    rev_dtype = np.int32 if src.size < 2**31 else np.int64
    rev_arc = np.argsort(dst, kind="stable").astype(rev_dtype)
    rev_indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(dst, minlength=n), out=rev_indptr[1:])
    return indptr, rev_indptr, rev_arc
