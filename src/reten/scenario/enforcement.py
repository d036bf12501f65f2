"""Enforcement measures: which roads, crossings and seaports a measure hits, and how.

A crackdown multiplies cost and adds detection on the arcs of regions; a checkpoint adds
cost and detection at a place, node, arc or port; a closure makes them impassable; a
deployment spreads units evenly over its sites with detection ``1 - (1 - p1)^u``. Detection
enters as log-survival ``-ln(1 - p)``, so independent measures add.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from reten.analysis.regions import region_arcs_and_nodes
from reten.network.model import Network
from reten.scenario.names import Names

if TYPE_CHECKING:
    from reten.scenario.read import Scenario


@dataclasses.dataclass
class Ends:
    """Crossings (sinks) and entry seaports (sources) with their mutable costs."""

    sink_node: np.ndarray
    sink_cost: np.ndarray
    sink_logsurv: np.ndarray
    source_node: np.ndarray
    source_cost: np.ndarray
    source_logsurv: np.ndarray


def measure_sites(
    sc: Scenario, f: str, e: dict[str, Any], net: Network, names: Names, ends: Ends
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (arc mask, sink mask, source mask) a measure applies to."""
    sink_node = ends.sink_node
    arcs = np.zeros(net.n_arcs, bool)
    nodes = np.zeros(net.n_nodes, bool)
    sinks = np.zeros(sink_node.size, bool)
    sources = np.zeros(ends.source_node.size, bool)
    if "regions" in e:
        regs = e["regions"] if isinstance(e["regions"], list) else [e["regions"]]
        rows = [names.region(sc, f"{f}.regions", r) for r in regs]
        a, _ = region_arcs_and_nodes(net, rows)
        arcs |= a
    for key in ("port", "ports"):
        if key in e:
            vals = e[key] if isinstance(e[key], list) else [e[key]]
            for v in vals:
                n = names.port(sc, f"{f}.{key}", v)
                hit = sink_node == n
                if not hit.any():
                    raise sc.err(f"{f}.{key}", f"port '{v}' is not among the destinations")
                sinks |= hit
    if e.get("crossings") is True:
        sinks[:] = True
    if "place" in e:
        nodes[names.place(sc, f"{f}.place", e["place"])] = True
    if "node" in e:
        nodes[names.node(sc, f"{f}.node", e["node"])] = True
    if "lon" in e:
        nodes[names.snap(sc, f, float(e["lon"]), float(e["lat"]), float(e["max_snap_km"]))] = True
    if "arc" in e:
        arcs[names.arc(sc, f"{f}.arc", e["arc"])] = True
    # a node measure applies to the crossing or entry seaport it is, else to the arcs
    # entering the node
    for n in np.flatnonzero(nodes).tolist():
        if (sink_node == n).any() or (ends.source_node == n).any():
            sinks |= sink_node == n
            sources |= ends.source_node == n
        else:
            arcs[net.rev_arc[net.rev_indptr[n] : net.rev_indptr[n + 1]]] = True
    if not (arcs.any() or sinks.any() or sources.any()):
        raise sc.err(f, "the measure applies to no road, crossing or seaport")
    return arcs, sinks, sources


def apply_measure(
    sc: Scenario,
    f: str,
    e: dict[str, Any],
    net: Network,
    names: Names,
    cost: np.ndarray,
    logsurv: np.ndarray,
    ends: Ends,
) -> None:
    """Apply measure ``e`` (checked, defaults filled) in place to the cost arrays."""
    kind = e["type"]
    arcs, sinks, sources = measure_sites(sc, f, e, net, names, ends)
    ec = [
        (ends.sink_cost, ends.sink_logsurv, sinks),
        (ends.source_cost, ends.source_logsurv, sources),
    ]
    if kind == "crackdown":
        mult = float(e["cost_multiplier"])
        w = -math.log1p(-float(e["p_detect"]))
        cost[arcs] *= mult
        logsurv[arcs] += w
        for c, ls, m in ec:
            c[m] *= mult
            ls[m] += w
    elif kind == "checkpoint":
        w = -math.log1p(-float(e["p_detect"]))
        add = float(e["added_cost"])
        cost[arcs] += add
        logsurv[arcs] += w
        for c, ls, m in ec:
            c[m] += add
            ls[m] += w
    elif kind == "closure":
        cost[arcs] = np.inf
        for c, _, m in ec:
            c[m] = np.inf
    else:  # deployment: units spread evenly over the sites; detection 1 - (1 - p1)^u
        n_sites = int(arcs.sum() + sinks.sum() + sources.sum())
        u = float(e["units"]) / n_sites
        w = -u * math.log1p(-float(e["p1"]))
        added = u * float(e["cost_per_unit"])
        logsurv[arcs] += w
        cost[arcs] += added
        for c, ls, m in ec:
            ls[m] += w
            c[m] += added
