"""Report and files of an enforcement optimisation: chosen sites, bounds, curve, displacement."""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reten import jsonio
from reten.analysis.displacement import Comparison
from reten.atomic import atomic_dir
from reten.models.interdiction import InterdictionResult, Sites, site_table
from reten.models.interdiction import curve_frame as interdiction_curve_frame
from reten.models.interdiction.result import LogRow
from reten.models.routes import RouteResult
from reten.network.model import Network
from reten.report import charts
from reten.report.assumptions import assumptions_box
from reten.report.exports import write_csv
from reten.report.geodata import (
    representative_points,
    routes_geoframe,
    site_geometries,
    sites_geoframe,
    write_layers,
)
from reten.report.html import _num, kpis, map_legend, numbered, page, table
from reten.report.html import provenance as prov_block


def site_points(net: Network, problem: Any, sites: Sites) -> tuple[np.ndarray, np.ndarray]:
    """Return a lon/lat point for every site (mean of its arcs' midpoints)."""
    from reten.network.regions import arc_midpoints

    mlon, mlat = arc_midpoints(net)
    k = problem.sink_node.size
    lon = np.concatenate([mlon, net.node_lon[problem.sink_node]]) if k else mlon
    lat = np.concatenate([mlat, net.node_lat[problem.sink_node]]) if k else mlat
    inc = sites.incidence
    cnt = np.maximum(np.asarray(inc.sum(axis=1)).ravel(), 1)
    return (inc @ lon) / cnt, (inc @ lat) / cnt


def sites_frame(res: InterdictionResult, net: Network, problem: Any) -> pd.DataFrame:
    """Return the chosen sites: id, name (the road between two named places, the junction,
    crossing or region), units, detection per covered arc, delay, lon/lat (EPSG:4326).

    For the ``capacity`` objective a unit removes its site, so there is no ``p_detect`` or
    ``delay`` column (they play no part in it).

    ``lon``/``lat`` is a point on the site's shape (:func:`reten.report.geodata.
    site_geometries`): the node, the point halfway along the road, a point inside the
    region (the mean of its roads' midpoints when the network has no outline for it).
    """
    s = res.sites
    assert s is not None
    chosen = np.flatnonzero(res.units > 0)
    named = site_table(net, problem, s).iloc[chosen].reset_index(drop=True)
    geom = site_geometries(net, s, chosen, named.lon.to_numpy(float), named.lat.to_numpy(float))
    named["lon"], named["lat"] = representative_points(geom)
    cols: dict[str, Any] = {
        "site": s.label[chosen].astype(str),
        "name": named.name.to_numpy(dtype=object),
        "units": res.units[chosen],
    }
    if res.objective != "capacity":  # a removal closes its site: no delay, no detection
        cols["p_detect"] = -np.expm1(-s.logsurv[chosen] * res.units[chosen])
        cols["delay"] = s.delay[chosen] * res.units[chosen]
    return pd.DataFrame(cols | {"lon": named.lon.to_numpy(), "lat": named.lat.to_numpy()})


def increase_pct(res: InterdictionResult) -> float | None:
    """Return the objective's change over the baseline in percent, or None when the
    baseline is 0 (or not finite): a percentage of nothing is not a number."""
    base = float(res.baseline)
    if not math.isfinite(base) or base == 0 or not math.isfinite(res.objective_value):
        return None
    return float(res.increase_pct)


def increase_status(res: InterdictionResult) -> str:
    """Return why :func:`increase_pct` is what it is: ``"ok"`` (a number),
    ``"baseline_zero"`` (a percentage of nothing), ``"baseline_not_finite"`` or
    ``"objective_not_finite"``.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> increase_status(NS(baseline=0.0, objective_value=5.0, increase_pct=float("nan")))
    'baseline_zero'
    >>> increase_status(NS(baseline=8.0, objective_value=10.0, increase_pct=25.0))
    'ok'
    """
    base = float(res.baseline)
    if not math.isfinite(base):
        return "baseline_not_finite"
    if base == 0:
        return "baseline_zero"
    if not math.isfinite(res.objective_value):
        return "objective_not_finite"
    return "ok"


def increase_text(res: InterdictionResult) -> str:
    """Return the % change over the baseline as text, ``"n/a (baseline 0)"`` when it has none.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> increase_text(NS(baseline=0.0, objective_value=5.0, increase_pct=float("nan")))
    'n/a (baseline 0)'
    >>> increase_text(NS(baseline=8.0, objective_value=10.0, increase_pct=25.0))
    '+25.00%'
    """
    pct = increase_pct(res)
    if pct is None:
        return "n/a (baseline 0)" if float(res.baseline) == 0 else "n/a"
    return f"{pct:+.2f}%"


def gap_text(res: Any) -> str:
    """Return the relative gap as a percentage, ``"n/a (no finite upper bound yet)"`` when
    the solve stopped before it had one.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> gap_text(NS(gap=0.0123)), gap_text(NS(gap=float("nan")))
    ('1.23%', 'n/a (no finite upper bound yet)')
    """
    g = float(res.gap)
    return _num(100 * g, "{:.2f}") + "%" if math.isfinite(g) else "n/a (no finite upper bound yet)"


def objective_unit(objective: str, cost_unit: str | None = None) -> str:
    """Return the unit of an objective's value: the scenario's cost unit times kg per month
    for ``cost``, kg per month otherwise.

    Examples
    --------
    >>> objective_unit("cost", "USD"), objective_unit("interception")
    ('USD·kg/month', 'kg/month')
    """
    if objective == "cost":
        return f"{cost_unit or 'cost units'}·kg/month"
    return "kg/month"


def objective_label(objective: str) -> str:
    """Return what the objective's value measures, in words."""
    return {
        "cost": "traffickers' total least cost",
        "interception": "expected interception",
        "capacity": "volume that can still cross",
    }.get(objective, objective)


def unit_noun(objective: str, n: float = 2) -> str:
    """Return what the units are called: checkpoints, or removals for ``capacity`` (whose
    unit removes its site: the roads it covers are closed).

    Examples
    --------
    >>> unit_noun("cost"), unit_noun("capacity"), unit_noun("capacity", 1)
    ('checkpoints', 'removals', 'removal')
    """
    word = "removal" if objective == "capacity" else "checkpoint"
    return word if float(n) == 1 else f"{word}s"


def baseline_label(objective: str) -> str:
    """Return the baseline's label: no units placed, or nothing removed for ``capacity``.

    Examples
    --------
    >>> baseline_label("cost"), baseline_label("capacity")
    ('baseline (no units)', 'baseline (nothing removed)')
    """
    return "baseline (nothing removed)" if objective == "capacity" else "baseline (no units)"


def no_site_reason(res: InterdictionResult) -> str | None:
    """Return why no site was chosen (a sentence), or None when some were."""
    if (res.units > 0).any():
        return None
    if res.objective == "capacity":
        if res.status != "optimal":
            return (
                f"No site was removed: the solve stopped ({res.status}) before it found "
                "removals that lower the volume that can still cross; give a longer time limit."
            )
        return (
            f"No site was removed: no removal of up to {float(res.budget):g} sites lowers the "
            "volume that can still cross (the flow has enough other ways round any of them)."
        )
    if res.status != "optimal":
        return (
            f"No site was chosen: the solve stopped ({res.status}) before it found an "
            "allocation better than none; give a longer time limit."
        )
    return (
        "No site was chosen: no allocation of the units changes the objective (every "
        "candidate site's marginal value is 0), for example because the units' delay and "
        "detection touch no route the traffickers use or could switch to."
    )


def unused_units_note(res: InterdictionResult) -> str | None:
    """Return why fewer units are placed than the budget allows (a sentence), or None.

    Extra units never lower the value, so a method leaves a unit out only when no site
    adds anything with it (proven when the status is optimal).
    """
    if not (res.units > 0).any() or res.sites is None:
        return None
    spent = float(res.sites.resource @ res.units)
    left = float(res.budget) - spent
    if left <= 1e-9 * max(1.0, float(res.budget)):
        return None
    if res.objective == "capacity":
        why = (
            "no further removal lowers the volume that can still cross"
            if res.status == "optimal"
            else f"the best removals found gain nothing from them (the solve stopped, "
            f"{res.status}, before proving that no further removal would)"
        )
        return f"Removals not used: {left:g} of {float(res.budget):g}; {why}."
    if res.status == "optimal":
        why = "no site adds anything with them: placed anywhere, they leave the value as it is"
    else:
        why = (
            f"the best allocation found gains nothing from them (the solve stopped, "
            f"{res.status}, before proving that no site would)"
        )
    return f"Units not placed: {left:g} of {float(res.budget):g}; {why}."


def report_title(scenario_name: str, budget: float, objective: str = "cost") -> str:
    """Return the report's title: the question it answers (for ``capacity``, which sites
    to remove).

    Examples
    --------
    >>> report_title("Baseline", 3), report_title("Baseline", 1)
    ('Where 3 checkpoints go: Baseline', 'Where 1 checkpoint goes: Baseline')
    >>> report_title("Base", 3, "capacity"), report_title("Base", 1, "capacity")
    ('Which 3 sites to remove: Base', 'Which site to remove: Base')
    """
    one = float(budget) == 1
    if objective == "capacity":
        return f"Which {'site' if one else f'{budget:g} sites'} to remove: {scenario_name}"
    return (
        f"Where {budget:g} checkpoint{'' if one else 's'} go{'es' if one else ''}: {scenario_name}"
    )


def subtitle(res: InterdictionResult) -> str:
    """Return the report's subtitle: the objective, the candidate sites and the method."""
    goal = {
        "cost": "maximise the traffickers' least cost",
        "interception": "maximise expected interception",
        "capacity": "minimise the volume that can still cross",
    }.get(res.objective, res.objective)
    kind = res.sites.kind if res.sites is not None else ""
    budget = f"{res.budget:g} removals" if res.objective == "capacity" else f"{res.budget:g}"
    return (
        f"reten enforcement optimisation (network interdiction): {goal}; candidate sites: "
        f"{kind}; budget {budget}; method {res.method}"
    )


def result_json(res: InterdictionResult, net: Network, problem: Any) -> dict[str, Any]:
    """Return the fixed JSON summary of a result, each site with its human name.

    The keys ``objective``, ``lower_bound``, ``upper_bound``, ``seconds`` and ``sites``
    (``{"site": id, "units": n, "name": ...}``) are the fixed interface; ``increase_pct``
    is null when the baseline is 0, and ``increase_pct_status`` says why
    (:func:`increase_status`: ``"ok"`` when it is a number). ``units_are`` names what a
    unit is (``"checkpoints"``, or ``"removals"`` for ``capacity``). A whole budget is an
    integer, as in ``provenance.json``.
    """
    s = res.sites
    assert s is not None
    chosen = np.flatnonzero(res.units > 0)
    names = site_table(net, problem, s).name.to_numpy()[chosen]
    return {
        "objective": res.objective_value,
        "lower_bound": res.lower_bound,
        "upper_bound": res.upper_bound,
        "seconds": res.seconds,
        "sites": [
            {"site": str(s.label[i]), "units": int(res.units[i]), "name": str(nm)}
            for i, nm in zip(chosen, names, strict=True)
        ],
        "baseline": res.baseline,
        "increase_pct": increase_pct(res),
        "increase_pct_status": increase_status(res),
        "objective_name": res.objective,
        "unit": objective_unit(res.objective, getattr(problem, "cost_unit", None)),
        "units_are": unit_noun(res.objective),
        "method": res.method,
        "budget": whole(res.budget),
        "status": res.status,
        "gap": res.gap,
        "site_kind": s.kind,
    }


def whole(x: float) -> float | int:
    """Return ``x`` as an int when it is a whole number (a budget of 3 is ``3`` in every
    output, never ``3.0`` in one and ``3`` in another), else unchanged.

    Examples
    --------
    >>> whole(3.0), whole(2.5), whole(float("inf"))
    (3, 2.5, inf)
    """
    f = float(x)
    return int(f) if f.is_integer() else x


def curve_frame(curve: list[InterdictionResult]) -> pd.DataFrame:
    """Return the marginal-value curve (see :func:`reten.models.interdiction.curve_frame`)."""
    return interdiction_curve_frame(list(curve))


def log_frame(curve: InterdictionResult | list[InterdictionResult]) -> pd.DataFrame:
    """Return the solve log of every K solved: K, iteration, lower_bound, upper_bound,
    seconds, solver.

    ``curve`` is the results of the marginal-value curve, K = 1..B (or one result). Each
    row is one step of that K's solve, the rows of a K in the order of ``seconds`` (the
    time since that K's solve began). ``solver`` names the solver that logged the row
    (:data:`reten.models.interdiction.result.LOG_SOLVERS`: ``greedy``, ``probe``,
    ``decomposition``, ``milp``; ``auto`` logs its greedy start, its probe and both
    racers) and ``iteration`` counts that solver's steps (from 0 or 1 for each K and
    each solver). ``lower_bound``/``upper_bound`` are that solver's bounds on that K's
    optimum then (``inf`` before the first bound), ``lower_bound <= upper_bound``.

    Examples
    --------
    >>> log_frame([]).columns.tolist()
    ['K', 'iteration', 'lower_bound', 'upper_bound', 'seconds', 'solver']
    """
    results = [curve] if isinstance(curve, InterdictionResult) else list(curve)
    cols = list(LogRow._fields)
    parts = []
    for r in results:
        part = pd.DataFrame(r.log, columns=cols)
        part.insert(0, "K", int(r.budget) if float(r.budget).is_integer() else r.budget)
        parts.append(part)
    if not parts:
        empty = {c: pd.Series(dtype=float) for c in ["K", *cols]}
        empty["solver"] = pd.Series(dtype=object)
        return pd.DataFrame(empty)
    return pd.concat(parts, ignore_index=True)


def curve_chart(
    curve: list[InterdictionResult], start: float | None = None, cost_unit: str | None = None
) -> str:
    """Return the marginal-value curve: value and certified upper bound against K.

    ``cost_unit`` names the scenario's cost unit (the y axis of the ``cost`` objective).
    ``start`` is the objective with no unit (K = 0), when known, for the first marginal
    value (a result's own ``baseline`` when it carries one). A point stopped by its time
    limit (``proven`` false, when results carry it) is drawn hollow: its value is "at
    least", its bound "at most".
    """
    b = np.array([float(r.budget) for r in curve])
    v = np.array([r.objective_value for r in curve])
    u = np.array([r.upper_bound for r in curve])
    proven = np.array([bool(getattr(r, "proven", True)) for r in curve])
    base0 = getattr(curve[0], "baseline", None) if curve else None
    if start is None and base0 is not None:
        start = float(base0)
    if start is not None:
        b, v, u = np.r_[0.0, b], np.r_[start, v], np.r_[start, u]
        proven = np.r_[True, proven]
    obj = curve[0].objective if curve else "cost"
    unit = f"{objective_label(obj)}, {objective_unit(obj, cost_unit)}"
    noun = unit_noun(obj, 1)
    return charts.value_curve(
        b,
        v,
        u,
        title=f"Value of the best allocation of K {noun}s",
        unit=unit,
        proven=proven,
        noun=noun,
    )


def _displacement(cmp: Comparison, objective: str = "cost") -> list[str]:
    """Regions whose flow changed and crossings in use, or a sentence when no route moved."""
    reg = cmp.regions[cmp.regions.delta_kg != 0]
    cr = cmp.crossings
    cr = cr[(cr.flow_kg_base > 0) | (cr.flow_kg_scenario > 0)]
    cap = objective == "capacity"
    out = [
        '<p class="legend">Baseline: the least-cost maximum flow with nothing removed; '
        "scenario: with the chosen sites removed. All rows are in regions_delta.csv and "
        "crossings_delta.csv.</p>"
        if cap
        else '<p class="legend">Baseline: the scenario without the chosen sites; scenario: '
        "with them. All rows are in regions_delta.csv and crossings_delta.csv.</p>"
    ]
    if reg.empty:
        out.append(
            "<p>No route moved: the removals leave the flow through every region as it was.</p>"
            if cap
            else "<p>No route moved: the chosen sites raise the traffickers' cost or seize "
            "shipments without diverting flow to other regions.</p>"
        )
    else:
        out += ["<h3>Regions whose flow changed (kg/month)</h3>", table(reg)]
    return [*out, "<h3>Crossings in use</h3>", table(cr)]


def write_optimize(
    out: str | Path,
    net: Network,
    problem: Any,
    res: InterdictionResult,
    curve: list[InterdictionResult],
    base: RouteResult,
    response: RouteResult,
    cmp: Comparison,
    title: str,
    *,
    basemap: str | None = None,
    summary: dict[str, Any] | None = None,
    provenance: dict[str, Any] | None = None,
    curve_note: str = "",
) -> Path:
    """Write report.html, sites.csv, sites.geojson|gpkg (each site's shape),
    origin_routes.geojson|gpkg (each origin's route before and after), curve.csv, log.csv,
    result.json, provenance.json and the displacement (regions_delta.csv,
    crossings_delta.csv) into folder ``out``, atomically.

    ``summary`` is result.json's content (default :func:`result_json`); ``provenance``
    (input hashes, parameters, reten version; default the baseline's) is written into it
    under ``provenance`` and, as for ``reten run`` and ``reten game``, to
    provenance.json. ``curve_note`` says in the report why the curve was not computed.
    """
    sites = sites_frame(res, net, problem)
    from reten.report.html import flow_legend, route_map

    cap = res.objective == "capacity"  # a unit removes its site: say removal, not checkpoint

    m = route_map(
        net,
        response,
        "Removed sites and the maximum flow after the removals"
        if cap
        else "Chosen sites and the traffickers' best response",
        basemap=basemap,
        base=base,
        sites=(
            sites.lon.to_numpy(float),
            sites.lat.to_numpy(float),
            [str(x) for x in sites.name],
            sites.units.to_numpy(float),
        ),
        sites_layer=("Removed sites", "removed") if cap else ("Checkpoint sites", "units"),
    )
    curve_df = curve_frame(curve)
    log_df = log_frame(curve)
    cost_unit = getattr(problem, "cost_unit", None)
    unit = objective_unit(res.objective, cost_unit)
    why_none = no_site_reason(res)
    unused = unused_units_note(res)
    body = [
        assumptions_box(
            net,
            base,
            headline=["expected seizures, kg/month", "traffickers' total cost"],
        ),
        kpis(
            [
                (f"{objective_label(res.objective)}, {unit}", _num(res.objective_value, "{:,.1f}")),
                ("lower bound", _num(res.lower_bound, "{:,.1f}")),
                ("upper bound", _num(res.upper_bound, "{:,.1f}")),
                ("gap", gap_text(res)),
                ("status", res.status),
                (
                    "budget (effective: sites that can be removed)"
                    if cap
                    else "budget (effective: units the sites can take)",
                    _budget_text(res.budget, (summary or {}).get("budget", res.budget)),
                ),
                (f"{baseline_label(res.objective)}, {unit}", f"{res.baseline:,.1f}"),
                ("change over the baseline", increase_text(res)),
                ("seconds", f"{res.seconds:.1f}"),
            ]
        ),
        *(
            [
                "<h2>Removed sites and the maximum flow after the removals</h2>",
                map_legend(
                    net,
                    "Black diamonds: the removed sites, numbered as in the table below "
                    "(hover for the name). "
                    + html.escape(
                        flow_legend(
                            base,
                            response,
                            "the least-cost maximum flow before",
                            "after the removals",
                        )
                    )
                    + " Orange squares: origins; purple circles: crossings.",
                ),
            ]
            if cap
            else [
                "<h2>Chosen sites and the traffickers' re-routed best response</h2>",
                map_legend(
                    net,
                    "Black diamonds: the chosen checkpoint sites, numbered as in the table "
                    "below (hover for the name), size by units. "
                    + html.escape(
                        flow_legend(
                            base,
                            response,
                            "the routes before",
                            "the traffickers' best response to the sites",
                        )
                    )
                    + " Orange squares: origins; purple circles: crossings.",
                ),
            ]
        ),
        f"<figure>{m}</figure>",
        "<h2>Sites removed</h2>" if cap else "<h2>Sites</h2>",
        # every site, numbered as on the map (when there is one)
        table(
            numbered(sites) if net.has_coordinates else sites,
            max_rows=max(25, len(sites)),
            floatfmt="{:,.4f}",
        )
        if why_none is None
        else f"<p>{html.escape(why_none)}</p>",
        *([f"<p>{html.escape(unused)}</p>"] if unused else []),
    ]
    prov = (
        dict(provenance)
        if provenance is not None
        else {
            "method": res.method,
            "objective": res.objective,
            "budget": whole(res.budget),
            **{k: v for k, v in base.provenance.items() if k != "seconds"},
        }
    )
    prov = {k: v for k, v in prov.items() if k != "seconds"}
    if len(curve) > 1:
        body += [
            f"<h2>Marginal value: what each extra {unit_noun(res.objective, 1)} buys</h2>",
            curve_chart(
                curve, base.total_cost if res.objective == "cost" else None, cost_unit=cost_unit
            ),
            table(curve_df, floatfmt="{:,.2f}"),
        ]
    elif curve_note:
        body += [
            "<h2>Marginal value</h2>",
            f'<p class="note">Not computed: {html.escape(curve_note)}.</p>',
        ]
    body += [
        "<h2>Displacement caused by the removals</h2>"
        if cap
        else "<h2>Displacement caused by the chosen sites</h2>",
        *_displacement(cmp, res.objective),
        "<h2>Solve log</h2>",
        table(log_df, max_rows=200, floatfmt="{:,.3f}"),
        prov_block(prov),
    ]
    doc = dict(summary) if summary is not None else result_json(res, net, problem)
    doc["provenance"] = prov
    with atomic_dir(out, kind="optimize") as tmp:
        (tmp / "report.html").write_text(
            page(title, subtitle(res), body),
            encoding="utf-8",
        )
        write_csv(sites, tmp / "sites.csv")
        assert res.sites is not None
        chosen = np.flatnonzero(res.units > 0)
        write_layers(sites_geoframe(net, res.sites, chosen, sites), tmp, "sites")
        write_layers(routes_geoframe(net, base, response), tmp, "origin_routes")
        write_csv(curve_df, tmp / "curve.csv")
        write_csv(log_df, tmp / "log.csv")
        write_csv(cmp.regions, tmp / "regions_delta.csv")
        write_csv(cmp.crossings, tmp / "crossings_delta.csv")
        (tmp / "result.json").write_text(jsonio.dumps(doc, indent=2, default=str) + "\n")
        (tmp / "provenance.json").write_text(
            jsonio.dumps(prov, indent=2, sort_keys=True, default=str) + "\n"
        )
    return Path(out)


def _budget_text(effective: float, asked: float) -> str:
    """``"3"``, or ``"1e+12 (effective 28)"`` when the budget asked exceeds what is usable."""
    return f"{asked:g}" if asked == effective else f"{asked:g} (effective {effective:,.0f})"
