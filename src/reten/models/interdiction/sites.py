"""Candidate sites: which extended arcs each covers, what one unit there does, its name."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from reten.errors import InputError
from reten.network.attributes import check_arc_values
from reten.network.model import Network
from reten.problem import Problem

SITE_KINDS = ("arcs", "nodes", "crossings", "regions")


@dataclass(frozen=True, eq=False)
class Sites:
    """Candidate sites: which extended arcs each covers and what one unit there does.

    ``incidence`` is (S, m + k) with 1 where site ``s`` covers extended arc ``e`` (road arcs
    first, then one arc per crossing). ``delay`` is in the problem's cost units per unit,
    ``logsurv`` is ``-ln(1 - p1)`` per unit, ``resource`` the budget a unit uses.
    """

    incidence: sp.csr_matrix
    resource: np.ndarray
    upper: np.ndarray
    delay: np.ndarray
    logsurv: np.ndarray
    label: np.ndarray
    kind: str = "arcs"
    anchor: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))

    @property
    def size(self) -> int:
        return int(self.resource.size)

    def subset(self, keep: np.ndarray) -> Sites:
        """Return the sites at positions ``keep``."""
        return replace(
            self,
            incidence=self.incidence[keep],
            resource=self.resource[keep],
            upper=self.upper[keep],
            delay=self.delay[keep],
            logsurv=self.logsurv[keep],
            label=self.label[keep],
            anchor=self.anchor[keep] if len(self.anchor) else self.anchor,
        )


#: the largest delay one unit may add (cost units): beyond it the traffickers' costs, summed
#: over routes and volumes, leave the range in which the solvers' arithmetic is exact; a
#: road that should be closed is the ``capacity`` objective's removal
MAX_DELAY = 1e12


def _number(x: object) -> bool:
    return isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool)


#: units one site can hold at most (as ``--max-units`` and the budget's own limit)
MAX_UNITS_PER_SITE = 1_000_000


def check_site_parameters(
    *, delay: float, max_units: int, resource: float = 1.0, p_detect: float = 0.0
) -> None:
    """Raise InputError naming the first parameter of a site that is out of range.

    ``delay`` a number in [0, 1e12] (:data:`MAX_DELAY`), ``p_detect`` in [0, 1),
    ``max_units`` an integer in [1, 1e6], ``resource`` a finite number > 0.

    Examples
    --------
    >>> check_site_parameters(delay=50.0, max_units=1)
    >>> check_site_parameters(delay=50.0, max_units=1.5)
    Traceback (most recent call last):
    ...
    reten.errors.InputError: max_units must be a whole number of units from 1 to 1,000,000 (got 1.5)
    """
    if not _number(delay) or not 0 <= delay <= MAX_DELAY:
        raise InputError(
            f"delay must be a number of cost units in [0, {MAX_DELAY:.0e}] (got {delay!r}); "
            "to close roads instead, use objective='capacity'"
        )
    if not _number(p_detect) or not 0 <= p_detect < 1:
        raise InputError(f"p_detect must be a number in [0, 1) (got {p_detect!r})")
    if (
        not _number(max_units)
        or not float(max_units).is_integer()
        or not 1 <= max_units <= MAX_UNITS_PER_SITE
    ):
        raise InputError(
            f"max_units must be a whole number of units from 1 to {MAX_UNITS_PER_SITE:,} "
            f"(got {max_units!r})"
        )
    if not _number(resource) or not 0 < resource < math.inf:
        raise InputError(f"resource must be a finite number > 0 (got {resource!r})")


def build_sites(
    net: Network,
    problem: Problem,
    kind: str,
    *,
    delay: float,
    p_detect: float,
    max_units: int = 1,
    resource: float = 1.0,
    region_level: str | None = None,
) -> Sites:
    """Return the candidate sites of one kind.

    ``arcs``: each road (an arc and its reverse together; a one-way arc alone), labelled
    ``"source->target"`` in input node ids; per-arc ``delay`` and ``p_detect`` attributes of
    the network override the defaults. ``nodes``: each node (labelled by its input id),
    covering the arcs entering it. ``crossings``: each destination, labelled by its node's
    input id as in ``crossings_delta.csv`` (its port's name is :func:`site_table`'s
    ``name``). ``regions``: each region of ``region_level`` (default the finest level),
    labelled by its code, covering the arcs inside it.
    """
    kind = kind.lower() if isinstance(kind, str) else kind  # as the CLI: any letter case
    if kind not in SITE_KINDS:
        raise InputError(f"sites '{kind}' unknown; valid: {', '.join(SITE_KINDS)}")
    check_site_parameters(delay=delay, max_units=max_units, resource=resource, p_detect=p_detect)
    m, k = net.n_arcs, problem.sink_node.size
    rows: list[np.ndarray] = []
    labels: list[str] = []
    anchors: list[tuple[int, int]] = []
    d_site: list[float] = []
    w_site: list[float] = []
    w_default = -math.log1p(-p_detect)
    arc_delay = net.arc_attrs.get("delay")
    arc_p = net.arc_attrs.get("p_detect")
    keys = net.node_key
    check_arc_values(net, "p_detect", arc_p)
    check_arc_values(net, "delay", arc_delay)
    if kind == "arcs":
        rev = net.arc_id(net.arc_target, net.arc_source)
        # what a unit does on each arc: a road's arcs share one site only when they agree
        given = [a for a in (arc_delay, arc_p) if a is not None]
        attr = np.column_stack(given) if given else np.zeros((m, 0))
        keep_arc, end_a, end_b = _road_representatives(net, problem, attr)

        def add(cover: list[int], a: int, b: int, e: int) -> None:
            rows.append(np.array(cover))
            labels.append(f"{keys[a]}->{keys[b]}")
            anchors.append((int(a), int(b)))
            d_site.append(float(arc_delay[e]) if arc_delay is not None else delay)
            w_site.append(-math.log1p(-float(arc_p[e])) if arc_p is not None else w_default)

        for e in range(m):
            r = int(rev[e])
            if (r >= 0 and r < e) or not keep_arc[e]:
                continue
            if r >= 0 and not np.array_equal(attr[e], attr[r]):
                # the two directions detect or delay differently: one site each, named by
                # its direction (one number per site would give both the first one's)
                add([e], end_a[e], end_b[e], e)
                add([r], end_b[e], end_a[e], r)
            else:
                add([e] if r < 0 else [e, r], end_a[e], end_b[e], e)
    elif kind == "nodes":
        for v in range(net.n_nodes):
            cover = net.rev_arc[net.rev_indptr[v] : net.rev_indptr[v + 1]].astype(np.int64)
            rows.append(cover)
            labels.append(str(keys[v]))
            anchors.append((v, -1))
            d_site.append(delay)
            w_site.append(w_default)
    elif kind == "crossings":
        # one site per crossing node: two destinations there (one port listed twice, or two
        # ports the build joined, as Calexico and Calexico East on the DCW network) are one
        # place, and a site each split a unit's worth between them
        for v in dict.fromkeys(problem.sink_node.tolist()):
            rows.append(m + np.flatnonzero(problem.sink_node == v))
            labels.append(str(keys[v]))
            anchors.append((int(v), -1))
            d_site.append(delay)
            w_site.append(w_default)
    else:
        regs = net.regions
        if len(regs) == 0:
            raise InputError(
                "sites='regions' (--sites regions) places units by region, but the network "
                "has no regions; use a network with regions (built with 'reten network "
                "build ... --regions FILE --regions-code COLUMN') or sites arcs, nodes or "
                "crossings"
            )
        level = region_level or (
            "municipality" if (regs.level == "municipality").any() else str(regs.level[0])
        )
        src_region = net.node_region[net.arc_source]
        arc_region = np.where(net.arc_region >= 0, net.arc_region, src_region)
        anc = regs.ancestor_table(level)[arc_region]
        for r in regs.rows_at_level(level).tolist():
            rows.append(np.flatnonzero(anc == r))
            labels.append(str(regs.code[r]))
            anchors.append((-1, r))
            d_site.append(delay)
            w_site.append(w_default)
    # keep sites that cover at least one live arc
    live = np.concatenate([np.isfinite(problem.arc_cost), np.isfinite(problem.sink_cost)])
    keep = [i for i, c in enumerate(rows) if c.size and live[c].any()]
    if not keep:
        raise InputError(f"sites='{kind}': no candidate site covers an open road or crossing")
    indptr = np.zeros(len(keep) + 1, dtype=np.int64)
    np.cumsum([rows[i].size for i in keep], out=indptr[1:])
    inc = sp.csr_matrix(
        (np.ones(int(indptr[-1])), np.concatenate([rows[i] for i in keep]), indptr),
        shape=(len(keep), m + k),
    )
    return Sites(
        incidence=inc,
        resource=np.full(len(keep), float(resource)),
        upper=np.full(len(keep), int(max_units), dtype=np.int64),
        delay=np.array([d_site[i] for i in keep]),
        logsurv=np.array([w_site[i] for i in keep]),
        label=_unique_labels([labels[i] for i in keep]),
        kind=kind,
        anchor=np.array([anchors[i] for i in keep], dtype=np.int64).reshape(-1, 2),
    )


def _unique_labels(labels: list[str]) -> np.ndarray:
    """Return the labels with ``#2``, ``#3``, ... added to repeats (parallel roads)."""
    count: dict[str, int] = {}
    out = []
    for lab in labels:
        count[lab] = count.get(lab, 0) + 1
        out.append(lab if count[lab] == 1 else f"{lab}#{count[lab]}")
    return np.array(out, dtype=object)


def _road_representatives(
    net: Network, problem: Problem, attr: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return, per arc, whether it stands for its road, and the road's end nodes.

    A road between two junctions may pass through nodes of degree 2 (two neighbours), such
    as the node that splits a parallel road in two (``Network.from_arcs``). Every route
    through such a node uses one arc on each side, so one unit on any of the road's pieces
    does the same; a site on every piece would count the road several times. The road's
    first arc (lowest id) stands for it, labelled by the road's end junctions. Origins and
    destinations are never passed through (a route may start or end there).

    ``attr`` (m, j) holds what a unit does on each arc (its ``delay`` and ``p_detect``
    attributes): a road whose pieces do not agree in one direction is not merged, and
    each of its arcs stands for itself (one unit on the best piece is then the solver's
    choice); two directions that differ, each uniform, keep the road and become a site
    each (:func:`build_sites`).
    """
    m, n = net.n_arcs, net.n_nodes
    src, dst = net.arc_source, net.arc_target
    a = np.minimum(src, dst)
    b = np.maximum(src, dst)
    pairs = np.unique(np.stack([a, b], axis=1)[a != b], axis=0)
    deg = np.bincount(pairs.ravel(), minlength=n)
    inner = deg == 2
    inner[problem.sink_node] = False
    inner[problem.origin_node] = False
    keep = np.ones(m, bool)
    end_a, end_b = src.copy(), dst.copy()
    if not inner.any():
        return keep, end_a, end_b
    nbr: dict[int, list[int]] = {}
    for u, v in pairs.tolist():
        if inner[u]:
            nbr.setdefault(u, []).append(v)
        if inner[v]:
            nbr.setdefault(v, []).append(u)

    def walk(prev: int, v: int) -> tuple[int, int]:
        seen = {prev}
        while inner[v] and v not in seen:
            seen.add(v)
            nxt = [w for w in nbr[v] if w != prev]
            prev, v = v, nxt[0] if nxt else prev
        return prev, v

    # group arcs by road: the road of an arc is found by walking to junctions both ways
    group: dict[tuple[int, ...], int] = {}
    members: dict[Any, list[int]] = {}
    for e in range(m):
        u, v = int(src[e]), int(dst[e])
        if not (inner[u] or inner[v]) or u == v:
            continue
        pu, ju = walk(v, u)  # backwards from u to the junction behind
        pv, jv = walk(u, v)  # forwards from v to the junction ahead
        key = tuple(sorted([(ju, pu), (jv, pv)]))
        first = group.setdefault(key, e)  # type: ignore[arg-type]
        keep[e] = first == e or (src[first] == v and dst[first] == u)
        end_a[e], end_b[e] = ju, jv
        members.setdefault(key, []).append(e)
    if attr is not None and attr.shape[1]:
        for arcs in members.values():
            ways: dict[tuple[int, int], list[int]] = {}
            for e in arcs:  # a road's pieces by direction (its two ways may differ)
                ways.setdefault((int(end_a[e]), int(end_b[e])), []).append(e)
            if any(not (attr[w] == attr[w[0]]).all() for w in ways.values()):
                keep[arcs] = True
                end_a[arcs], end_b[arcs] = src[arcs], dst[arcs]
    return keep, end_a, end_b


def apply_units(
    problem: Problem, sites: Sites, units: np.ndarray, *, remove: bool = False
) -> Problem:
    """Return ``problem`` with the units' delays and log-survivals added to its arcs.

    With ``remove`` (the capacity objective) a covered arc is closed instead.
    """

    m = problem.arc_cost.size
    n = np.asarray(units, dtype=np.float64)
    if remove:
        hit = (sites.incidence.T @ (n > 0).astype(float)) > 0
        cost = np.concatenate([problem.arc_cost, problem.sink_cost])
        cost[hit] = np.inf
        return replace(problem, arc_cost=cost[:m], sink_cost=cost[m:])
    dc = sites.incidence.T @ (sites.delay * n)
    dw = sites.incidence.T @ (sites.logsurv * n)
    return replace(
        problem,
        arc_cost=problem.arc_cost + dc[:m],
        arc_logsurv=problem.arc_logsurv + dw[:m],
        sink_cost=problem.sink_cost + dc[m:],
        sink_logsurv=problem.sink_logsurv + dw[m:],
    )


def place_names(net: Network, nodes: np.ndarray) -> np.ndarray:
    """Return a human name for each node: its own name (a port, a town) if it has one, else
    the municipality (finest region) it lies in or nearest to, with its state.

    Parameters
    ----------
    net : Network
    nodes : (k,) int
        Node indices; -1 gives ``""``.

    Returns
    -------
    (k,) object array of str

    Examples
    --------
    >>> net = Network.from_arcs(np.array([0]), np.array([1]), np.array([5.0]),
    ...                         np.zeros(2), np.zeros(2), node_name=np.array(["Nogales", ""]))
    >>> place_names(net, np.array([0, 1])).tolist()
    ['Nogales', '1']
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    out = np.empty(nodes.size, dtype=object)
    regs = net.regions
    for i, v in enumerate(nodes.tolist()):
        if v < 0:
            out[i] = ""
            continue
        own = str(net.node_name[v]) if net.node_name.size else ""
        if own and own != "nan":
            out[i] = own
        elif len(regs) and net.node_region[v] >= 0:
            out[i] = region_name(net, int(net.node_region[v]))
        else:
            out[i] = str(net.node_key[v])
    return out


def region_name(net: Network, row: int) -> str:
    """Return a region's name followed by its ancestors' (``"Culiacán, Sinaloa"``)."""
    regs = net.regions
    parts: list[str] = []
    r = int(row)
    while r >= 0 and len(parts) < 4:
        parts.append(str(regs.name[r]))
        r = int(regs.parent[r])
    return ", ".join(parts)


def site_table(net: Network, problem: Problem, sites: Sites) -> pd.DataFrame:
    """Return every site in human terms: ``site`` (its id), ``name`` and ``lon``/``lat``.

    Roads are named by the places at their two ends (``"road between Culiacán, Sinaloa
    and Navolato, Sinaloa"``, or ``"road within ..."`` when both ends are in one place),
    nodes as ``"junction in ..."``, crossings by their port (``"Nogales crossing"``),
    regions by name and state (``"Escuinapa, Sinaloa"``). ``lon``/``lat`` (EPSG:4326) is the
    mean of the midpoints of the arcs the site covers.

    Every name is distinct: when several candidate sites would share a name, each of them
    gets its position, ``"road within Escuinapa, Sinaloa at 22.80°N 105.84°W"``, with as many
    decimals (2 to 5: about 1 km to 1 m) as tell them apart, then ``#2``, ``#3``, ... for
    sites at the same point. The names depend only on the candidate set, so one site has one
    name in every output.

    Examples
    --------
    >>> net = Network.from_arcs(np.array([0, 1]), np.array([1, 2]), np.array([5.0, 5.0]),
    ...                         np.array([0.0, 1.0, 2.0]), np.zeros(3))
    >>> p = Problem(net.length_m.copy(), np.zeros(2), np.array([2]), np.zeros(1),
    ...             np.zeros(1), np.array([0]), np.ones(1))
    >>> t = site_table(net, p, build_sites(net, p, "arcs", delay=1.0, p_detect=0.1))
    >>> t[["site", "name", "lon"]].values.tolist()
    [['0->2', 'road between 0 and 2', 0.5]]
    """
    from reten.network.regions import arc_midpoints

    mlon, mlat = arc_midpoints(net)
    k = problem.sink_node.size
    lon = np.concatenate([mlon, net.node_lon[problem.sink_node]]) if k else mlon
    lat = np.concatenate([mlat, net.node_lat[problem.sink_node]]) if k else mlat
    inc = sites.incidence
    cnt = np.maximum(np.asarray(inc.sum(axis=1)).ravel(), 1)
    anchor = sites.anchor if len(sites.anchor) == sites.size else np.full((sites.size, 2), -1)
    a = place_names(net, anchor[:, 0])
    if sites.kind == "arcs":
        b = place_names(net, anchor[:, 1])
        names = [
            f"road within {x}" if x == y else f"road between {x} and {y}"
            for x, y in zip(a, b, strict=True)
        ]
    elif sites.kind == "nodes":
        names = [f"junction in {x}" for x in a]
    elif sites.kind == "crossings":
        # a crossing site covers its crossing's arc alone (m + j): its port names it
        j = inc.indices[inc.indptr[:-1]] - net.n_arcs
        ports = problem.sink_label[j] if problem.sink_label.size else a
        names = [crossing_name(str(x)) for x in ports]
    else:
        names = [
            region_name(net, int(r)) if r >= 0 else str(c)
            for r, c in zip(anchor[:, 1], sites.label, strict=True)
        ]
    slon, slat = (inc @ lon) / cnt, (inc @ lat) / cnt
    return pd.DataFrame(
        {
            "site": sites.label.astype(str),
            "name": distinct_names(names, slon, slat),
            "lon": slon,
            "lat": slat,
        }
    )


def crossing_name(label: str) -> str:
    """Return a crossing's name: its port's label, with ``" crossing"`` added unless the
    label already says it is a crossing or a port.

    Examples
    --------
    >>> crossing_name("Nogales"), crossing_name("Nogales crossing")
    ('Nogales crossing', 'Nogales crossing')
    """
    low = label.lower()
    if any(w in low for w in ("crossing", "port", "bridge", "puente", "garita", "aduana")):
        return label
    return f"{label} crossing"


def _position(lon: float, lat: float, decimals: int) -> str:
    """Return ``"22.80°N 105.84°W"`` (degrees rounded to ``decimals``)."""
    if not (np.isfinite(lon) and np.isfinite(lat)):
        return "at an unknown position"
    ns = "N" if lat >= 0 else "S"
    ew = "E" if lon >= 0 else "W"
    return f"at {abs(lat):.{decimals}f}°{ns} {abs(lon):.{decimals}f}°{ew}"


def distinct_names(names: list[str], lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Return ``names`` made distinct: each name shared by several sites gets the site's
    position (2 to 5 decimals of a degree, as few as tell the sites apart), then ``#2``,
    ``#3``, ... for sites at the same position. Unique names are kept as they are. A site
    whose position is unknown (NaN: a network without node coordinates) gets no position,
    only its number: ``"road between a and c #2"``.

    Examples
    --------
    >>> lon, lat = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 1.0])
    >>> distinct_names(["a", "b", "a"], lon, lat).tolist()
    ['a at 1.00°N 0.00°E', 'b', 'a at 1.00°N 2.00°E']
    >>> distinct_names(["a", "b", "a"], np.full(3, np.nan), np.full(3, np.nan)).tolist()
    ['a', 'b', 'a #2']
    """
    out = np.array(names, dtype=object)
    groups: dict[str, list[int]] = {}
    for i, nm in enumerate(names):
        groups.setdefault(nm, []).append(i)
    for nm, rows in groups.items():
        if len(rows) < 2:
            continue
        for dec in range(2, 6):
            cand = [
                f"{nm} {_position(float(lon[i]), float(lat[i]), dec)}"
                if np.isfinite(lon[i]) and np.isfinite(lat[i])
                else nm
                for i in rows
            ]
            if len(set(cand)) == len(cand):
                break
        seen: dict[str, int] = {}
        for i, c in zip(rows, cand, strict=True):
            seen[c] = seen.get(c, 0) + 1
            out[i] = c if seen[c] == 1 else f"{c} #{seen[c]}"
    # a qualified name may equal another site's plain name: number the later one
    final: dict[str, int] = {}
    for i, nm in enumerate(out.tolist()):
        final[nm] = final.get(nm, 0) + 1
        if final[nm] > 1:
            out[i] = f"{nm} #{final[nm]}"
    return out
