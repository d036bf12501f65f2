"""Build a Network from an OpenStreetMap PBF/XML file with pyosmium, streaming the input."""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Iterable

import numpy as np

from reten.errors import InputError
from reten.network.lines import network_from_split_lines
from reten.network.model import ROAD_CLASSES, Network

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
_ONEWAY_YES = {"yes", "true", "1"}


def parse_maxspeed(value: str | None) -> float:
    """Return an OSM ``maxspeed`` value in km/h, or NaN (``"50"``, ``"30 mph"``, ``"MX:urban"``)."""
    if not value:
        return float("nan")
    v = value.strip().lower().split(";")[0]
    num = ""
    for ch in v:
        if ch.isdigit() or (ch == "." and num):
            num += ch
        elif num:
            break
    if not num:
        return float("nan")
    kmh = float(num)
    return kmh * 1.609344 if "mph" in v else kmh


def _oneway(tags: dict[str, str], highway: str) -> int:
    ow = tags.get("oneway", "").strip().lower()
    if ow in _ONEWAY_YES:
        return 1
    if ow == "-1":
        return -1
    if ow == "no":
        return 0
    if tags.get("junction") in ("roundabout", "circular") or highway in ("motorway",):
        return 1
    return 0


def from_osm(
    path: str | os.PathLike[str],
    *,
    highways: Iterable[str] = DEFAULT_HIGHWAYS,
    largest_component: bool = False,
    simplify: bool = True,
    on_progress: Callable[[int], None] | None = None,
) -> Network:
    """Return a Network from the highway ways of an OSM file (PBF, XML, O5M).

    Ways whose ``highway`` tag is in ``highways`` are read in one streaming pass, with node
    locations from pyosmium's index. Ways are cut at nodes shared with another way (or used
    twice) and at their ends, so runs of degree-2 vertices inside a way become one arc with
    exact length (geodesic, m) and its geometry kept. ``oneway`` (including ``-1``,
    roundabouts and motorways) sets direction; ``maxspeed`` sets speed, else a class default.
    ``node_key`` holds OSM node ids. ``meta["osm"]`` holds the counts read. With
    ``simplify`` (default), junctions where two ways merely continue each other are then
    contracted too (:func:`reten.network.simplify.simplify_chains`).
    """
    import osmium

    p = str(path)
    if not os.path.isfile(p):
        raise InputError(f"{p}: file not found")
    keep = set(highways)
    refs = array("q")
    lons = array("d")
    lats = array("d")
    way_ids = array("q")
    counts = array("q")
    cls = array("b")
    speed = array("d")
    oneway = array("b")
    toll = array("b")
    stats = {"ways_seen": 0, "ways_missing_nodes": 0}

    class _Ways(osmium.SimpleHandler):  # type: ignore[misc]
        def way(self, w: osmium.osm.Way) -> None:
            hw = w.tags.get("highway")
            stats["ways_seen"] += 1
            if on_progress is not None and stats["ways_seen"] % 20000 == 0:
                on_progress(stats["ways_seen"])
            if hw not in keep:
                return
            k = 0
            for nd in w.nodes:
                loc = nd.location
                if loc.valid():
                    refs.append(nd.ref)
                    lons.append(loc.lon)
                    lats.append(loc.lat)
                    k += 1
            if k < len(w.nodes):
                stats["ways_missing_nodes"] += 1
            if k < 2:
                del refs[len(refs) - k :]
                del lons[len(lons) - k :]
                del lats[len(lats) - k :]
                return
            tags = {t.k: t.v for t in w.tags}
            way_ids.append(w.id)
            counts.append(k)
            cls.append(_CLASS_OF.get(hw, len(ROAD_CLASSES) - 1))
            speed.append(parse_maxspeed(tags.get("maxspeed")))
            oneway.append(_oneway(tags, hw))
            toll.append(1 if tags.get("toll", "no").lower() in _ONEWAY_YES else 0)

    try:
        _Ways().apply_file(p, locations=True, idx="flex_mem")
    except Exception as exc:  # osmium raises RuntimeError and friends for bad input
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{p}: not a readable OSM file ({msg})") from None
    if on_progress is not None:
        on_progress(stats["ways_seen"])
    if not counts:
        raise InputError(f"{p}: no highway ways of the classes {sorted(keep)}")
    ref = np.frombuffer(refs, dtype=np.int64)
    xy = np.column_stack([np.frombuffer(lons, np.float64), np.frombuffer(lats, np.float64)])
    cnt = np.frombuffer(counts, dtype=np.int64)
    vline = np.repeat(np.arange(cnt.size), cnt)
    uniq, inv, uses = np.unique(ref, return_inverse=True, return_counts=True)
    first = np.ones(ref.size, bool)
    first[1:] = vline[1:] != vline[:-1]
    last = np.ones(ref.size, bool)
    last[:-1] = vline[1:] != vline[:-1]
    node_flag = (uses[inv] >= 2) | first | last
    is_node_ref = np.zeros(uniq.size, bool)
    is_node_ref[inv[node_flag]] = True
    node_of_ref = np.full(uniq.size, -1, np.int64)
    node_of_ref[is_node_ref] = np.arange(int(is_node_ref.sum()))
    vnode = node_of_ref[inv]
    net = network_from_split_lines(
        xy,
        vline,
        vnode,
        cnt.size,
        geographic=True,
        road_class=np.frombuffer(cls, np.int8),
        speed_kmh=np.frombuffer(speed, np.float64),
        oneway=np.frombuffer(oneway, np.int8),
        toll=np.frombuffer(toll, np.int8).astype(bool),
        node_key=uniq[is_node_ref],
        meta={
            "source": p,
            "osm": {
                "ways": int(cnt.size),
                "way_nodes": int(uniq.size),
                "ways_seen": stats["ways_seen"],
                "ways_missing_nodes": stats["ways_missing_nodes"],
                "highways": sorted(keep),
            },
        },
    )
    if simplify:
        from reten.network.simplify import simplify_chains

        net = simplify_chains(net)
    if largest_component:
        from reten.network.lines import keep_largest_component

        net = keep_largest_component(net)
    return net
