"""Build a Network from an OpenStreetMap PBF/XML file with pyosmium, streaming the input.

Two passes over the file, all results in NumPy arrays (no Python object per node or arc):

1. the ways: node references and tags of the highway ways kept;
2. the nodes: libosmium writes every node location to a file-backed sparse index (C++,
   no Python per node), which is then read in chunks and matched against the sorted
   referenced ids.

Then :mod:`reten.network.osm_graph` cuts ways at gaps and junctions, merges chains of
degree-2 nodes, splits parallel roads and gathers each arc's geometry.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
import warnings
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from reten.errors import InputError
from reten.network import osm_graph as og
from reten.network.model import CLASS_SPEED_KMH, ROAD_CLASSES, Network, spatial_order

DEFAULT_HIGHWAYS: tuple[str, ...] = (
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
)
"""Highway values kept by default: the drivable network without service roads and tracks."""

_CLASS_OF = {
    "motorway": 0,
    "motorway_link": 0,
    "trunk": 1,
    "trunk_link": 1,
    "primary": 2,
    "primary_link": 2,
    "secondary": 3,
    "secondary_link": 3,
    "tertiary": 4,
    "tertiary_link": 4,
}
_YES = {"yes", "true", "1"}
_NO = {"no", "false", "0"}
_REVERSE = {"-1", "reverse"}
_TIME_DEPENDENT = {"reversible", "alternating"}
_IMPLIED_ONEWAY_HIGHWAY = {"motorway"}
_IMPLIED_ONEWAY_JUNCTION = {"roundabout", "circular"}
_SPEED_RE = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(km/h|kmh|kph|mph|knots)?$")
_UNIT = {None: 1.0, "km/h": 1.0, "kmh": 1.0, "kph": 1.0, "mph": 1.609344, "knots": 1.852}
_IMPLICIT_RE = re.compile(r"^[a-z]{2}(-[a-z0-9]+)?:[a-z_0-9:]+$")
_MAX_KMH = 300.0
_INVALID = 2**31 - 1  # libosmium's undefined coordinate
_LOC_DTYPE = np.dtype([("id", "<u8"), ("x", "<i4"), ("y", "<i4")])


def parse_maxspeed_kind(value: str | None) -> tuple[float, str]:
    """Return ``(km/h, kind)`` for an OSM ``maxspeed`` value.

    ``kind`` is ``"ok"`` (a number, with km/h, mph or knots), ``"absent"``, ``"implicit"``
    (``MX:urban``, ``signals``, ``walk``, ...), ``"none"`` (no limit) or ``"bad"``; the
    speed is NaN unless ``ok``, so the road class default applies. In a list (``"50;60"``)
    the first valid value is taken. Numbers outside (0, 300] km/h are ``bad``.

    Examples
    --------
    >>> parse_maxspeed_kind("30 mph")
    (48.28032, 'ok')
    >>> parse_maxspeed_kind("MX:urban")
    (nan, 'implicit')
    >>> parse_maxspeed_kind("fast")
    (nan, 'bad')
    """
    if value is None or not value.strip():
        return float("nan"), "absent"
    kinds = []
    for part in value.strip().lower().split(";"):
        p = part.strip()
        m = _SPEED_RE.match(p)
        if m:
            kmh = float(m.group(1).replace(",", ".")) * _UNIT[m.group(2)]
            if 0.0 < kmh <= _MAX_KMH:
                return kmh, "ok"
            kinds.append("bad")
        elif p == "none":
            kinds.append("none")
        elif p in ("signals", "variable", "walk", "living_street") or _IMPLICIT_RE.match(p):
            kinds.append("implicit")
        else:
            kinds.append("bad")
    for k in ("none", "implicit"):
        if k in kinds:
            return float("nan"), k
    return float("nan"), "bad"


def parse_maxspeed(value: str | None) -> float:
    """Return an OSM ``maxspeed`` value in km/h, or NaN (``"50"``, ``"30 mph"``, ``"MX:urban"``).

    Examples
    --------
    >>> parse_maxspeed("50"), parse_maxspeed("none") != parse_maxspeed("none")
    (50.0, True)
    """
    return parse_maxspeed_kind(value)[0]


def parse_oneway(value: str | None, highway: str, junction: str | None = None) -> tuple[int, str]:
    """Return ``(direction, kind)`` for an OSM way: 1 along its nodes, -1 against, 0 both.

    ``yes/true/1`` and ``-1/reverse`` are one-way, ``no/false/0`` two-way. Without a tag,
    ``highway=motorway`` and ``junction=roundabout/circular`` are one-way, as the OSM wiki
    documents (``kind`` ``"implied"``). ``reversible`` and ``alternating`` (direction by time
    of day) and any unknown value are two-way unless implied, and reported by ``kind``
    (``"time_dependent"``, ``"unknown"``), never guessed.

    Examples
    --------
    >>> parse_oneway("-1", "residential"), parse_oneway(None, "motorway")
    ((-1, 'tagged'), (1, 'implied'))
    >>> parse_oneway("sí", "primary")
    (0, 'unknown')
    """
    implied = (
        1 if (highway in _IMPLIED_ONEWAY_HIGHWAY or junction in _IMPLIED_ONEWAY_JUNCTION) else 0
    )
    if value is None:
        return implied, "implied" if implied else "absent"
    v = value.strip().lower()
    if v in _YES:
        return 1, "tagged"
    if v in _REVERSE:
        return -1, "tagged"
    if v in _NO:
        return 0, "tagged"
    if v in _TIME_DEPENDENT:
        return implied, "time_dependent"
    return implied, "unknown"


def from_osm(
    path: str | os.PathLike[str],
    *,
    highways: Iterable[str] = DEFAULT_HIGHWAYS,
    largest_component: bool = False,
    simplify: bool = True,
    on_progress: Callable[[int], None] | None = None,
) -> Network:
    """Return a Network from the highway ways of an OSM file (PBF, XML, O5M).

    Every road is kept. Ways are cut at nodes shared with another way (or used twice) and
    at their ends; with ``simplify`` (default) a junction that only joins two roads of the
    same class, speed, toll and direction is then removed and the two merged, exactly
    (lengths summed, geometry concatenated). Two roads joining the same two junctions are
    both kept: the longer one (or, of equals, the later) is split at a middle vertex of its
    own, or at its geodesic midpoint when it has none, so arcs stay unique per node pair.
    Nodes referenced by a way but absent from the file (an extract cut at a boundary) cut
    the way there: its located runs are kept and nothing is drawn across the gap.

    Lengths are WGS84 geodesic metres. ``oneway`` sets direction (:func:`parse_oneway`),
    ``maxspeed`` the speed (:func:`parse_maxspeed_kind`), else the class default.

    Parameters
    ----------
    path : path to an ``.osm.pbf``, ``.osm`` or ``.o5m`` file.
    highways : ``highway`` values kept (default :data:`DEFAULT_HIGHWAYS`).
    largest_component : keep only the largest strongly connected component.
    simplify : merge chains of degree-2 junctions.
    on_progress : called with the number of highway ways read so far.

    Returns
    -------
    Network
        ``node_key`` holds OSM node ids (negative for midpoints added to split a parallel
        road). ``meta["osm"]`` holds what was read and found (tag value kinds, unknown
        one-way and bad maxspeed values with their counts). ``meta["dropped"]`` counts
        ``missing_node_refs``, ``ways_without_located_segment`` and ``self_loops``;
        ``meta["changed"]`` counts ``ways_cut_at_missing_nodes``, ``contracted_nodes``,
        ``parallel_split`` (roads split) and ``split_nodes``, ``loop_roads_split``,
        ``oneway_unknown`` (ways read as two-way) and ``maxspeed_unparsed`` (class speed
        used). Later passes add to these counts, never overwrite them.

    Raises
    ------
    InputError
        The file is missing, unreadable or holds no highway ways of those classes.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = pathlib.Path(d) / "x.osm"
    ...     _ = f.write_text(
    ...         '<osm version="0.6"><node id="1" lat="0" lon="0"/>'
    ...         '<node id="2" lat="0" lon="0.01"/><way id="5"><nd ref="1"/><nd ref="2"/>'
    ...         '<tag k="highway" v="primary"/></way></osm>')
    ...     net = from_osm(f)
    >>> net.n_nodes, net.n_arcs, round(float(net.length_m[0]), 1)
    (2, 2, 1113.2)
    """
    p = str(path)
    if not os.path.isfile(p):
        raise InputError(f"{p}: file not found")
    _return_large_frees_to_os()
    keep = frozenset(highways)
    ways = _read_ways(p, keep, on_progress)
    if ways["ptr"].size <= 1:
        raise InputError(f"{p}: no highway ways of the classes {sorted(keep)}")
    refs = ways.pop("refs")
    uniq, inv = np.unique(refs, return_inverse=True)
    del refs
    inv = inv.astype(np.int32 if uniq.size < 2**31 else np.int64)
    x, y, found = _read_locations(p, uniq)
    ref_node = np.where(found[inv], inv, -1)
    del inv, found
    lines = og.split_lines(ref_node, ways["ptr"])
    del ref_node
    n_lines = lines.ptr.size - 1
    if n_lines == 0:
        raise InputError(f"{p}: no highway way has two located nodes in a row")
    lw = lines.way
    ow_line = ways["oneway"][lw]
    og.reverse_lines(lines, ow_line == -1)
    ow_line = (ow_line != 0).astype(np.int8)
    cls_line = ways["cls"][lw]
    spd_way = ways["speed"]
    spd_way = np.where(np.isfinite(spd_way), spd_way, np.asarray(CLASS_SPEED_KMH)[ways["cls"]])
    spd_line = spd_way[lw].astype(np.float32)
    toll_line = ways["toll"][lw]
    # one integer per line for "same attributes" (class, speed, toll, one-way)
    _, attr_key = np.unique(
        np.column_stack([cls_line, spd_line.view(np.int32), toll_line, ow_line]).astype(np.int64),
        axis=0,
        return_inverse=True,
    )
    lon = x * 1e-7
    lat = y * 1e-7
    del x, y
    roads = og.junction_roads(
        lines,
        uniq.size,
        attrs=attr_key.ravel(),
        oneway=ow_line,
        contract=simplify,
    )
    vnode = lines.vnode
    rv, r_start, r_end, r_line = roads.rv, roads.start, roads.end, roads.line
    node_id = uniq  # public id per node row (OSM id)
    cum = og.segment_cumlen(rv, vnode, lon, lat)
    u = vnode[rv[r_start]].astype(np.int64)
    v = vnode[rv[r_end - 1]].astype(np.int64)
    # a road back to its own start (a loop street, a closed way, a spur drawn out and
    # back) is cut at its inner vertices, in three when it has two or more, else in two
    # (the parallel pass below then splits the second), so every road stays
    loop = u == v
    nvert = r_end - r_start
    tri = np.flatnonzero(loop & (nvert >= 4))
    two = np.flatnonzero(loop & (nvert == 3))
    n_loops = int(loop.sum()) - tri.size - two.size
    if tri.size or two.size:
        s0, e0 = r_start[tri], r_end[tri]
        a = s0 + (nvert[tri] - 1) // 3
        b = s0 + 2 * (nvert[tri] - 1) // 3
        m = r_start[two] + 1
        e2 = r_end[two]
        r_end = r_end.copy()
        r_end[tri] = a + 1
        r_end[two] = m + 1
        r_start = np.concatenate([r_start, a, b, m])
        r_end = np.concatenate([r_end, b + 1, e0, e2])
        r_line = np.concatenate([r_line, r_line[tri], r_line[tri], r_line[two]])
        loop = np.concatenate([loop, np.zeros(2 * tri.size + two.size, bool)])
        loop[tri] = False
        loop[two] = False
    if loop.any():
        ok = ~loop
        r_start, r_end, r_line = r_start[ok], r_end[ok], r_line[ok]
    u = vnode[rv[r_start]].astype(np.int64)
    v = vnode[rv[r_end - 1]].astype(np.int64)
    length = cum[r_end - 1] - cum[r_start]
    two_way = ow_line[r_line] == 0
    # parallel roads: split each extra one at a vertex of its own
    dup = og.duplicate_roads(u, v, two_way, length)
    n_mid = 0
    if dup.size:
        nvert = r_end[dup] - r_start[dup]
        inner = dup[nvert >= 3]
        flat = dup[nvert < 3]
        mid = r_start[inner] + (r_end[inner] - r_start[inner] - 1) // 2
        r_start, r_end = r_start.copy(), r_end.copy()
        add_start, add_end, add_line = [mid], [r_end[inner]], [r_line[inner]]
        length = length.copy()
        add_len = [cum[r_end[inner] - 1] - cum[mid]]
        length[inner] = cum[mid] - cum[r_start[inner]]
        r_end[inner] = mid + 1
        if flat.size:
            # a straight duplicate: add a node at its geodesic midpoint
            n_mid = int(flat.size)
            a_pos = rv[r_start[flat]]
            b_pos = rv[r_end[flat] - 1]
            na, nb = vnode[a_pos], vnode[b_pos]
            mlon, mlat = og.geodesic_midpoint(lon[na], lat[na], lon[nb], lat[nb])
            new_rows = uniq.size + np.arange(n_mid)
            lon = np.concatenate([lon, mlon])
            lat = np.concatenate([lat, mlat])
            node_id = np.concatenate([uniq, -(np.arange(n_mid, dtype=np.int64) + 1)])
            new_vpos = vnode.size + np.arange(n_mid)
            vnode = np.concatenate([vnode, new_rows.astype(vnode.dtype)])
            base = rv.size
            trip = np.column_stack([a_pos, new_vpos, new_vpos, b_pos]).ravel()
            rv = np.concatenate([rv, trip.astype(rv.dtype)])
            r_start[flat] = base + 4 * np.arange(n_mid)
            r_end[flat] = r_start[flat] + 2
            add_start.append(r_start[flat] + 2)
            add_end.append(r_start[flat] + 4)
            add_line.append(r_line[flat])
            length[flat] /= 2.0  # the geodesic midpoint halves the geodesic
            add_len.append(length[flat])
        r_start = np.concatenate([r_start, *add_start])
        r_end = np.concatenate([r_end, *add_end])
        r_line = np.concatenate([r_line, *add_line])
        u = vnode[rv[r_start]].astype(np.int64)
        v = vnode[rv[r_end - 1]].astype(np.int64)
        length = np.concatenate([length, *add_len])
        two_way = ow_line[r_line] == 0
    del cum
    # nodes: road ends, numbered along a space-filling curve
    rows = np.unique(np.concatenate([u, v]))
    order = spatial_order(lon[rows], lat[rows])
    rows = rows[order]
    new_of_row = np.full(node_id.size, -1, np.int64)
    new_of_row[rows] = np.arange(rows.size)
    src, dst, road, forward = og.directed_arcs(new_of_row[u], new_of_row[v], two_way)
    del new_of_row, u, v
    o = np.lexsort((dst, src))
    src, dst, road, forward = src[o], dst[o], road[o], forward[o]
    counts: dict[str, Any] = {
        "ways": _n_distinct(lw, int(ways["ptr"].size - 1)),
        "way_nodes": _n_distinct(lines.vnode, uniq.size),
        "way_node_refs": int(ways["n_refs"]),
        "ways_seen": int(ways["seen"]),
        "highways": sorted(keep),
        **lines.counts,
        "oneway": dict(sorted(ways["oneway_kinds"].items())),
        "oneway_unknown_values": dict(ways["oneway_unknown"].most_common(20)),
        "maxspeed": dict(sorted(ways["maxspeed_kinds"].items())),
        "maxspeed_bad_values": dict(ways["maxspeed_bad"].most_common(20)),
        "contracted_nodes": int(roads.counts.get("contracted_nodes", 0)),
        "parallel_roads_split": int(dup.size),
        "loop_roads_split": int(tri.size + two.size),
        "midpoint_nodes_added": n_mid,
        "roads": int(r_start.size),
    }
    meta: dict[str, Any] = {
        "source": str(Path(p).resolve()),
        "osm": counts,
        "simplified_nodes": counts["contracted_nodes"],
        "dropped": {
            "missing_node_refs": lines.counts["missing_node_refs"],
            "ways_without_located_segment": lines.counts["ways_without_located_segment"],
            "self_loops": n_loops,
        },
        "changed": {
            "ways_cut_at_missing_nodes": lines.counts["ways_cut_at_missing_nodes"],
            "contracted_nodes": counts["contracted_nodes"],
            "parallel_split": int(dup.size),
            "split_nodes": int(dup.size),
            "loop_roads_split": int(tri.size + two.size),
            "oneway_unknown": int(ways["oneway_kinds"].get("unknown", 0)),
            "maxspeed_unparsed": int(ways["maxspeed_kinds"].get("bad", 0)),
        },
    }
    net = Network.from_arcs(
        src,
        dst,
        length[road],
        lon[rows],
        lat[rows],
        road_class=cls_line[r_line[road]],
        speed_kmh=np.asarray(spd_line[r_line[road]], np.float64),
        toll=toll_line[r_line[road]],
        node_key=node_id[rows],
        meta=meta,
        road=road,
    )
    del uniq, node_id, rows, order, length
    # geometry in the network's arc order (arcs are unique per node pair)
    pos = net.arc_id(src, dst)
    if net.n_arcs != src.size or (pos < 0).any():
        raise RuntimeError("internal: the network did not keep the OSM arcs as given")
    inp = np.empty(net.n_arcs, np.int64)
    inp[pos] = np.arange(src.size)
    rd, fw = road[inp], forward[inp]
    offsets, xy = og.gather_geometry(rv, r_start[rd], r_end[rd], fw, vnode, lon, lat)
    net = dataclasses.replace(net, geom_offsets=offsets, geom_xy=xy)
    if largest_component:
        from reten.network.lines import keep_largest_component

        net = keep_largest_component(net)
    return net


def _n_distinct(values: np.ndarray, n: int) -> int:
    """Return how many distinct values in ``[0, n)`` occur in ``values``."""
    seen = np.zeros(n, bool)
    seen[values] = True
    return int(seen.sum())


def _return_large_frees_to_os() -> None:
    """Make glibc give every large freed array back to the OS at once.

    glibc raises its mmap threshold after a large block is freed, so later arrays of up to
    32 MB come from the heap and their pages stay resident after they are freed: on a
    5 M-reference extract that was a quarter of the peak. A fixed threshold (128 KiB, the
    default before any adjustment) keeps the peak at what is alive. No effect elsewhere.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


_READ_WITH = {
    "--edges": "a CSV edge list",
    "--lines": "road lines in a vector file",
    "--dimacs": "a DIMACS graph",
}


def _read_error(p: str, exc: BaseException) -> InputError:
    """Return the one-line error for a file osmium cannot read: a data file of another
    kind (a CSV edge list, a shapefile) is named with the option that reads it."""
    from reten.errors import BUILD_OPTIONS, build_command

    option = BUILD_OPTIONS.get(os.path.splitext(p)[1].lower())
    if option is not None and option != "--osm":
        return InputError(
            f"{p}: not an OpenStreetMap extract (.osm.pbf or .osm); {_READ_WITH[option]} "
            f"is read with {option}: {build_command(p)}"
        )
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return InputError(f"{p}: not a readable OSM file ({msg})")


def _read_ways(
    p: str, keep: frozenset[str], on_progress: Callable[[int], None] | None
) -> dict[str, Any]:
    """Pass 1: node references and attributes of the kept highway ways.

    libosmium writes the ways that have a ``highway`` tag as OPL text (C++, no Python per
    node reference); the text is read back a block of ways at a time, the tags parsed per
    way and the node ids of a block parsed by NumPy at once. The temporary file is
    unlinked as soon as it is opened.
    """
    import osmium

    refs: list[np.ndarray] = []
    ptr = array("q", [0])
    cls = array("b")
    speed = array("d")
    oneway = array("b")
    toll = array("b")
    state = {"seen": 0, "n": 0}
    ow_kinds: Counter[str] = Counter()
    ow_unknown: Counter[str] = Counter()
    sp_kinds: Counter[str] = Counter()
    sp_bad: Counter[str] = Counter()
    ow_cache: dict[tuple[str | None, str, str | None], tuple[int, str]] = {}
    sp_cache: dict[str | None, tuple[float, str]] = {}
    local = len(ROAD_CLASSES) - 1
    tmp_dir = tempfile.mkdtemp(prefix="reten-osm-")
    tmp = os.path.join(tmp_dir, "ways.opl")
    try:
        try:
            writer = osmium.SimpleWriter(osmium.io.File(tmp, "opl,add_metadata=false"))
            try:
                reader = osmium.io.Reader(p, osmium.osm.WAY)
                try:
                    osmium.apply(reader, osmium.filter.KeyFilter("highway"), writer)
                finally:
                    reader.close()
            finally:
                writer.close()
        except Exception as exc:  # osmium raises RuntimeError and friends for bad input
            raise _read_error(p, exc) from None
        fh = open(tmp, "rb")  # noqa: SIM115 - closed below; unlinked while open
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
        os.rmdir(tmp_dir)
    block: list[bytes] = []
    n_block = 0

    def flush() -> None:
        nonlocal n_block
        if not block:
            return
        text = b",".join(block).replace(b"n", b"")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ids = np.fromstring(text, dtype=np.int64, sep=",")  # type: ignore[call-overload]
        if ids.size != n_block:
            raise InputError(f"{p}: way node references could not be read")
        refs.append(ids)
        block.clear()
        n_block = 0

    with fh:
        for line in fh:
            nd = tg = b""
            for field in line.rstrip(b"\n").split(b" "):
                if field[:1] == b"N":
                    nd = field[1:]
                elif field[:1] == b"T":
                    tg = field[1:]
            tags = _opl_tags(tg)
            hw = tags.get("highway")
            state["seen"] += 1
            if on_progress is not None and state["seen"] % 50000 == 0:
                on_progress(state["seen"])
            if hw not in keep or not nd:
                continue
            k = nd.count(b",") + 1
            if k < 2:
                continue
            block.append(nd)
            n_block += k
            state["n"] += k
            ptr.append(state["n"])
            cls.append(_CLASS_OF.get(hw, local))
            ms = tags.get("maxspeed")
            sp = sp_cache.get(ms)
            if sp is None:
                sp = sp_cache[ms] = parse_maxspeed_kind(ms)
            speed.append(sp[0])
            sp_kinds[sp[1]] += 1
            if sp[1] == "bad":
                sp_bad[str(ms)[:40]] += 1
            key = (tags.get("oneway"), hw, tags.get("junction"))
            ow = ow_cache.get(key)
            if ow is None:
                ow = ow_cache[key] = parse_oneway(*key)
            oneway.append(ow[0])
            ow_kinds[ow[1]] += 1
            if ow[1] == "unknown":
                ow_unknown[str(key[0])[:40]] += 1
            toll.append(1 if tags.get("toll", "no").strip().lower() in _YES else 0)
            if n_block >= 4_000_000:
                flush()
        flush()
    if on_progress is not None:
        on_progress(state["seen"])
    return {
        "refs": np.concatenate(refs) if refs else np.zeros(0, np.int64),
        "ptr": np.frombuffer(ptr, np.int64),
        "cls": np.frombuffer(cls, np.int8),
        "speed": np.frombuffer(speed, np.float64),
        "oneway": np.frombuffer(oneway, np.int8),
        "toll": np.frombuffer(toll, np.int8).astype(bool),
        "seen": state["seen"],
        "n_refs": state["n"],
        "oneway_kinds": ow_kinds,
        "oneway_unknown": ow_unknown,
        "maxspeed_kinds": sp_kinds,
        "maxspeed_bad": sp_bad,
    }


_OPL_ESCAPE = re.compile(r"%([0-9a-fA-F]+)%")


def _opl_tags(field: bytes) -> dict[str, str]:
    """Return the tags of an OPL ``T`` field (``k=v,k=v``, with ``%hex%`` escapes)."""
    out: dict[str, str] = {}
    if not field:
        return out
    for kv in field.decode("utf-8", "replace").split(","):
        k, _, v = kv.partition("=")
        if "%" in kv:
            k = _OPL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), k)
            v = _OPL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), v)
        out[k] = v
    return out


def _read_locations(p: str, uniq: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pass 2: locations (1e-7 degree units, int32) of the sorted node ids ``uniq``.

    libosmium stores every node's location in a file-backed sparse array (16 bytes per
    node, no Python per node). The file is unlinked at once, so nothing is left behind
    even if the process is killed; it is read back through its descriptor in chunks.
    """
    import osmium

    x = np.zeros(uniq.size, np.int32)
    y = np.zeros(uniq.size, np.int32)
    found = np.zeros(uniq.size, bool)
    fd_dir = tempfile.mkdtemp(prefix="reten-osm-")
    tmp = os.path.join(fd_dir, "locations")
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        index = osmium.index.create_map(f"sparse_file_array,{tmp}")
        os.unlink(tmp)
        os.rmdir(fd_dir)
        handler = osmium.NodeLocationsForWays(index)
        try:
            reader = osmium.io.Reader(p, osmium.osm.NODE)
            try:
                osmium.apply(reader, handler)
            finally:
                reader.close()
        except Exception as exc:
            raise _read_error(p, exc) from None
        n = index.used_memory() // _LOC_DTYPE.itemsize
        del handler, index
        chunk = 4_000_000
        with os.fdopen(os.dup(fd), "rb") as fh:
            for s in range(0, n, chunk):
                a = np.fromfile(fh, dtype=_LOC_DTYPE, count=min(chunk, n - s))
                ids = a["id"].view(np.int64)
                pos = np.searchsorted(uniq, ids)
                pos_c = np.minimum(pos, uniq.size - 1)
                hit = (uniq[pos_c] == ids) & (a["x"] != _INVALID) & (a["y"] != _INVALID)
                x[pos_c[hit]] = a["x"][hit]
                y[pos_c[hit]] = a["y"][hit]
                found[pos_c[hit]] = True
    finally:
        os.close(fd)
        if os.path.exists(tmp):
            os.unlink(tmp)
        if os.path.isdir(fd_dir):
            os.rmdir(fd_dir)
    return x, y, found
