"""The assumptions box every report opens with: what was assumed and what each figure means."""

from __future__ import annotations

import html
import json
from typing import Any

import numpy as np

from reten.models.routes import RouteResult
from reten.network.model import Network

DEFINITIONS = {
    "traffickers' cost increase": (
        "the traffickers' total cost in the scenario divided by that in the baseline, minus "
        "one: the volume-weighted sum of every origin's least generalized cost (money, time "
        "and risk, cost units per kg) to reach a US crossing, each run over its origins "
        "that reach one"
    ),
    "traffickers' total cost": (
        "the volume-weighted sum of every origin's least generalized cost, cost units·kg per month"
    ),
    "expected seizures, kg/month": (
        "the sum over origins of volume × (1 − probability the shipment survives every "
        "detection point on its route), per month of shipments"
    ),
    "flow moved, kg·km/month": "sum over roads of |scenario − baseline flow| × road length",
}


def _measure(e: dict[str, Any]) -> str:
    kind = str(e.get("type", "measure"))
    rest = {k: v for k, v in e.items() if k != "type"}
    return f"{kind}: " + ", ".join(
        f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in rest.items()
    )


def touched_flow(base: RouteResult, scen_arc_cost: np.ndarray, scen_logsurv: np.ndarray) -> bool:
    """True when the scenario's costs differ from the baseline's on a road the baseline uses."""
    p = base.problem
    used = base.arc_flow_kg > 0
    changed = (scen_arc_cost != p.arc_cost) | (scen_logsurv != p.arc_logsurv)
    return bool((used & changed).any())


def measure_warnings(net: Network, base: RouteResult, scen: RouteResult) -> list[str]:
    """Return warnings for measures that touch no baseline flow (roads and crossings)."""
    pb, ps = base.problem, scen.problem
    out: list[str] = []
    if pb.arc_cost.shape != ps.arc_cost.shape:
        return out
    road = touched_flow(base, ps.arc_cost, ps.arc_logsurv)
    cross = False
    if pb.sink_node.size == ps.sink_node.size and (pb.sink_node == ps.sink_node).all():
        changed = (pb.sink_cost != ps.sink_cost) | (pb.sink_logsurv != ps.sink_logsurv)
        cross = bool((changed & (base.crossing_flow_kg > 0)).any())
    if not road and not cross:
        enf = ps.provenance.get("enforcement") or []
        what = "; ".join(_measure(e) for e in enf) or "the scenario's measures"
        out.append(
            f"The scenario's measures ({what}) cover no road or crossing the baseline routes "
            "use: the traffickers' routes and costs cannot change."
        )
    return out


def unreached(r: RouteResult) -> list[tuple[str, float]]:
    """Return (label, kg/month) of each origin that reaches no open crossing: the models
    leave it out (it ships nothing and nothing of it can be intercepted)."""
    p = r.problem
    bad = np.asarray(r.origin_crossing) < 0
    return [
        (str(lab), float(v))
        for lab, v in zip(p.origin_label[bad], p.origin_volume_kg[bad], strict=True)
    ]


def unreached_warning(r: RouteResult) -> str | None:
    """Return the one-line warning naming the origins left out, or None."""
    u = unreached(r)
    if not u:
        return None
    names = ", ".join(f"{lab} ({v:,.0f} kg/month)" for lab, v in u)
    return (
        f"{len(u)} origin(s) reach no open crossing and are left out "
        f"({sum(v for _, v in u):,.0f} kg/month): {names}"
    )


def uncongested_warning(r: RouteResult) -> str | None:
    """Return the one-line warning for a congestion run where no arc has a capacity, or None.

    ``[congestion]`` without ``crossing_capacity_kg``, a destination's ``capacity_kg`` or an
    ``arc_capacity_attr`` that gives some road a capacity cannot congest anything: the
    equilibrium is the uncongested routes, which the user did not ask for.
    """
    if r.provenance.get("congested_arcs", 1) != 0:
        return None
    return (
        "[congestion] gives no crossing or road a capacity, so nothing can congest and these "
        "are the uncongested routes; set crossing_capacity_kg, capacity_kg on [[destinations]] "
        "or arc_capacity_attr"
    )


def unconverged_warning(r: RouteResult) -> str | None:
    """Return the one-line warning for a congestion equilibrium stopped above its target gap
    (by ``max_iterations`` or ``time_limit_s``), or None."""
    prov = r.provenance
    gap, target = prov.get("final_gap"), prov.get("target_gap")
    if gap is None or target is None or not float(gap) > float(target):
        return None
    # ``iterations`` counts the gap measurements: one more than the steps taken
    steps = max(int(prov.get("iterations") or 1) - 1, 0)
    return (
        f"the congestion equilibrium stopped at relative gap {float(gap):.3g}, above its "
        f"target {float(target):.3g}, after {steps:,} step(s): the flows are not at "
        "equilibrium; raise [congestion] max_iterations or time_limit_s"
    )


def assumptions_box(
    net: Network,
    r: RouteResult,
    *,
    headline: list[str],
    warnings: list[str] | None = None,
    base: RouteResult | None = None,
    routes_note: str | None = None,
) -> str:
    """Return the ``id="assumptions"`` box: network, origins and volumes, measures, costs.

    ``headline`` names the figures shown at the top of the report; each is defined here.
    ``routes_note`` replaces the description of how traffickers route (default: least
    generalized cost, Dell 2015), e.g. for the security game.
    """
    p = r.problem
    prov = r.provenance
    meta = getattr(net, "meta", {}) or {}
    src = meta.get("source") or meta.get("name") or prov.get("network") or "see provenance"
    net_line = (
        f"{net.n_nodes:,} junctions, {net.n_arcs:,} road arcs, {len(net.regions):,} regions; "
        f"source: {src}; network hash {str(prov.get('network_hash', ''))[:12]}"
    )
    vol_src = prov.get("volume_source")
    playing = np.asarray(r.origin_crossing) >= 0
    vols = ", ".join(
        f"{lab} {v:,.0f}"
        for lab, v in zip(p.origin_label[playing], p.origin_volume_kg[playing], strict=True)
    )
    left_out = unreached_warning(r)
    own = [w for w in (left_out, uncongested_warning(r), unconverged_warning(r)) if w]
    own += [str(w) for w in r.provenance.get("ignored", [])]
    warnings = own + list(warnings or [])
    vol_note = (
        f"Source of the volumes: {vol_src}."
        if vol_src
        else "No source is given for these volumes: treat them as illustrative, not estimates."
    )
    enf = prov.get("enforcement") or []
    measures = (
        "".join(f"<li>{html.escape(_measure(e))}</li>" for e in enf) or "<li>none (baseline)</li>"
    )
    costs = prov.get("costs") or {}
    cost_line = (
        ", ".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in costs.items())
        or "defaults (see docs/scenarios.md)"
    )
    rho = prov.get("risk_weight", p.risk_weight)
    purity = float(getattr(p, "purity", 1.0))
    cost_unit = str(getattr(p, "cost_unit", "") or "cost units")
    defs = {k: v.replace("cost units", cost_unit) for k, v in DEFINITIONS.items()}
    defs[f"potentially lethal doses seized ({p.dose_mg:g} mg)"] = (
        f"expected seizures × purity {purity:g} (fentanyl share by weight"
        f"{', an upper bound' if purity == 1 else ''}) ÷ {p.dose_mg:g} mg, the DEA's "
        "potentially lethal dose; per month"
    )
    shown = "".join(
        f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>"
        for k, v in defs.items()
        if any(k.split(" (")[0] in h for h in headline)
    )
    warn = "".join(f'<p class="warn">⚠ {html.escape(w)}</p>' for w in warnings or [])
    base_line = (
        f"<li><b>Baseline</b>: {html.escape(str(base.provenance.get('scenario_name', '')))} — "
        "every change is scenario minus baseline.</li>"
        if base is not None
        else ""
    )
    return (
        '<section id="assumptions" class="assumptions"><h2>What this report assumes</h2>'
        + warn
        + "<ul>"
        + f"<li><b>Network</b>: {html.escape(net_line)}</li>"
        + base_line
        + f"<li><b>Origins and volumes</b> (kg/month): {html.escape(vols)}. "
        + f"{html.escape(vol_note)}</li>"
        + (
            f"<li><b>Left out</b>: {html.escape(left_out)}; no route, so no flow, cost or "
            "seizure of theirs is counted.</li>"
            if left_out
            else ""
        )
        + f"<li><b>Destinations</b>: {p.sink_node.size} US ports of entry.</li>"
        + f"<li><b>Measures</b>:<ul>{measures}</ul></li>"
        + f"<li><b>Costs</b>: {html.escape(cost_line)}; risk weight {rho:g} "
        + f"{html.escape(cost_unit)} per unit of −ln(survival). "
        + html.escape(routes_note or "Routes are least-cost (Dell 2015).")
        + "</li>"
        + "</ul>"
        + (f"<p><b>Figures</b></p><ul>{shown}</ul>" if shown else "")
        + "</section>"
    )
