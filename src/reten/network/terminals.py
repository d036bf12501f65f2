"""Snap named points (ports of entry, seaports, centroids) to the nearest network node."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from scipy.spatial import cKDTree

from reten.errors import InputError
from reten.network.geo import geodesic_m, local_metric_crs, to_metric
from reten.network.model import NODE_KINDS, Network


@dataclasses.dataclass(frozen=True)
class Snapped:
    """The node each point snapped to and how far it moved (metres)."""

    node: np.ndarray
    distance_m: np.ndarray


def snap_points(
    net: Network,
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    names: Sequence[str] | None = None,
    max_m: float = 10_000.0,
    candidates: np.ndarray | None = None,
    where: str = "points",
) -> Snapped:
    """Return the nearest node (among ``candidates``, default all) of each point.

    Distances are ellipsoidal metres. Nodes whose position is unknown (NaN) are never
    snapped to. Raises ``InputError`` listing every point farther than ``max_m`` from the
    network, or when no candidate node has a position.
    """
    lon = np.asarray(lon, np.float64)
    lat = np.asarray(lat, np.float64)
    cand = np.arange(net.n_nodes) if candidates is None else np.asarray(candidates, np.int64)
    if cand.size == 0:
        raise InputError(f"{where}: the network has no nodes to snap to")
    cand = cand[net.located[cand]]
    if cand.size == 0:
        raise InputError(
            f"{where}: the network's nodes have no coordinates, so points cannot be snapped "
            "to them (build it with a node table, --nodes id,lon,lat)"
        )
    crs = local_metric_crs(
        np.concatenate([net.node_lon[cand], lon]), np.concatenate([net.node_lat[cand], lat])
    )
    tree = cKDTree(to_metric(net.node_lon[cand], net.node_lat[cand], crs))
    _, k = tree.query(to_metric(lon, lat, crs), k=1)
    node = cand[np.asarray(k, np.int64)]
    dist = geodesic_m(lon, lat, net.node_lon[node], net.node_lat[node])
    far = np.flatnonzero(~(dist <= max_m))
    if far.size:
        labels = [
            f"{names[i] if names is not None else i} "
            f"({lon[i]:.4f},{lat[i]:.4f}: {dist[i] / 1000:.1f} km)"
            for i in far.tolist()
        ]
        raise InputError(
            f"{where}: {far.size} point(s) farther than {max_m / 1000:g} km from the network "
            "(raise --terminal-max-km, or check the coordinates): " + "; ".join(labels)
        )
    return Snapped(node=node, distance_m=dist)


def mark_terminals(
    net: Network,
    nodes: np.ndarray,
    *,
    kind: str,
    names: Sequence[str],
    attrs: dict[str, Sequence[object]] | None = None,
) -> Network:
    """Return ``net`` with the given nodes marked as ``kind`` and named.

    ``attrs`` adds node attributes (for example ``port_code``); other nodes get "" for them.
    """
    if kind not in NODE_KINDS:
        raise InputError(f"node kind '{kind}' unknown; valid: {', '.join(NODE_KINDS)}")
    nodes = np.asarray(nodes, np.int64)
    node_kind = net.node_kind.copy()
    node_kind[nodes] = NODE_KINDS.index(kind)
    node_name = net.node_name.copy()
    # several points on one node (e.g. Calexico and Calexico East) share it: join their names
    joined: dict[int, list[str]] = {}
    for node, nm in zip(nodes.tolist(), names, strict=True):
        joined.setdefault(node, []).append(str(nm))
    for node, nms in joined.items():
        node_name[node] = " / ".join(dict.fromkeys(nms))
    node_attrs = dict(net.node_attrs)
    for key, vals in (attrs or {}).items():
        col = (
            node_attrs[key].astype(object).copy()
            if key in node_attrs
            else np.full(net.n_nodes, "", dtype=object)
        )
        per: dict[int, list[str]] = {}
        for node, v in zip(nodes.tolist(), vals, strict=True):
            per.setdefault(node, []).append(str(v))
        for node, vs in per.items():
            col[node] = " / ".join(dict.fromkeys(vs))
        node_attrs[key] = col
    return dataclasses.replace(net, node_kind=node_kind, node_name=node_name, node_attrs=node_attrs)
