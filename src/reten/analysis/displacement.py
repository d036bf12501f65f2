"""Displacement (the balloon effect): what a crackdown changes, relative to a baseline.

Dell (2015) measures a crackdown's effect by the predicted diversion of routes and by the
increase in traffickers' least costs; this module computes both, by region and crossing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reten.analysis.regions import region_flows
from reten.errors import InputError
from reten.models.routes import RouteResult
from reten.network.model import Network


@dataclass(frozen=True)
class Comparison:
    """Ranked tables of change between a baseline and a scenario Result on one network."""

    regions: pd.DataFrame
    crossings: pd.DataFrame
    origins: pd.DataFrame
    totals: dict[str, Any]


def compare(net: Network, base: RouteResult, scen: RouteResult) -> Comparison:
    """Return per-region, per-crossing and per-origin changes, ranked by size of change.

    ``regions``: region, level, name, flow_base_kg, flow_scenario_kg, delta_kg, spillover
    (on a route only in the scenario). ``origins``: cost increase, Dell's key quantity.
    """
    if base.arc_flow_kg.shape != scen.arc_flow_kg.shape:
        raise InputError("the baseline and the scenario were run on different networks")
    regs = net.regions
    fb, fs = region_flows(net, base), region_flows(net, scen)
    regions = pd.DataFrame(
        {
            "region": regs.code.astype(str),
            "level": regs.level.astype(str),
            "flow_base_kg": fb,
            "flow_scenario_kg": fs,
            "delta_kg": fs - fb,
            "name": regs.name.astype(str),
            "spillover": (fb <= 1e-9) & (fs > 1e-9),
        }
    )
    regions = regions[(regions.flow_base_kg > 0) | (regions.flow_scenario_kg > 0)]
    regions = regions.iloc[
        np.lexsort((regions.region.to_numpy(), -np.abs(regions.delta_kg.to_numpy())))
    ]
    # crossings are matched by node so that scenarios may list different destinations
    cb = _crossings(net, base)
    cs = _crossings(net, scen)
    crossings = cb.merge(cs, on=["node", "crossing"], how="outer", suffixes=("_base", "_scenario"))
    crossings = crossings.fillna(0.0)
    crossings["delta_kg"] = crossings.flow_kg_scenario - crossings.flow_kg_base
    crossings = crossings.iloc[
        np.lexsort((crossings.crossing.to_numpy(), -np.abs(crossings.delta_kg.to_numpy())))
    ]
    if not np.array_equal(base.problem.origin_node, scen.problem.origin_node):
        origins = pd.DataFrame(
            columns=["origin", "node", "cost_base", "cost_scenario", "cost_increase"]
        )
    else:
        with np.errstate(invalid="ignore"):  # inf - inf: an origin with no route in both
            increase = scen.origin_cost - base.origin_cost
        origins = pd.DataFrame(
            {
                "origin": base.problem.origin_label.astype(str),
                "node": _keys(net, base.problem.origin_node),
                "volume_kg": base.problem.origin_volume_kg,
                "cost_base": base.origin_cost,
                "cost_scenario": scen.origin_cost,
                "cost_increase": increase,
                "crossing_base": _labels(base),
                "crossing_scenario": _labels(scen),
                "seized_base_kg": base.origin_seized_kg,
                "seized_scenario_kg": scen.origin_seized_kg,
            }
        )
        origins = origins.iloc[
            np.lexsort((origins.origin.to_numpy(), -origins.cost_increase.to_numpy()))
        ]
    totals = {
        "cost_base": base.total_cost,
        "cost_scenario": scen.total_cost,
        "cost_increase": scen.total_cost - base.total_cost,
        # a share of a zero cost is no number: null, and the status says why
        "cost_increase_share": (scen.total_cost / base.total_cost - 1.0)
        if base.total_cost
        else None,
        "cost_increase_share_status": "ok" if base.total_cost else "baseline_zero",
        "seized_base_kg": base.total_seized_kg,
        "seized_scenario_kg": scen.total_seized_kg,
        "regions_newly_on_route": int(regions.spillover.sum()),
        "arc_flow_moved_kg_km": float(
            0.5 * np.abs(scen.arc_flow_kg - base.arc_flow_kg) @ (net.length_m / 1000.0)
        ),
    }
    return Comparison(
        regions.reset_index(drop=True),
        crossings.reset_index(drop=True),
        origins.reset_index(drop=True),
        totals,
    )


def _keys(net: Network, nodes: np.ndarray) -> np.ndarray:
    """The input's public ids of ``nodes``, as strings."""
    return np.asarray([str(k) for k in net.node_key[nodes]], dtype=object)


def _labels(r: RouteResult) -> np.ndarray:
    lab = np.append(r.problem.sink_label.astype(str), "(no route)")
    return lab[np.where(r.origin_crossing >= 0, r.origin_crossing, lab.size - 1)]


def _crossings(net: Network, r: RouteResult) -> pd.DataFrame:
    """Per-crossing flows keyed by the input's public node id (as in crossings.csv)."""
    return (
        pd.DataFrame(
            {
                "node": _keys(net, r.problem.sink_node),
                "crossing": r.problem.sink_label.astype(str),
                "flow_kg": r.crossing_flow_kg,
                "seized_kg": r.crossing_seized_kg,
            }
        )
        .groupby(["node", "crossing"], as_index=False)
        .sum()
    )
