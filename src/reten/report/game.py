"""Report and files of a network security game: coverage, support, schedules, bounds."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reten import jsonio
from reten.atomic import atomic_dir
from reten.models.game import LOG_COLUMNS, GameSolution
from reten.models.interdiction import Sites
from reten.models.routes import RouteResult
from reten.network.model import Network
from reten.report import maps
from reten.report.assumptions import assumptions_box
from reten.report.exports import write_csv
from reten.report.html import kpis, map_legend, numbered, page, provenance, table

PLANNING_NOTE = (
    "Coverage probabilities and sampled schedules are a planning output over model sites "
    "(roads, junctions or crossings of the network), aggregate probabilities of a "
    "randomised plan: they are not positions of real forces."
)


def headline(sol: GameSolution) -> str:
    """Return the one-line summary of the value, the best fixed plan and what randomising
    adds; any figure that is not proven says so and is given as a range."""
    lo_vr, hi_vr = sol.value_of_randomisation_bounds
    if sol.proven:
        game = f"value {sol.value:,.2f} kg/month (bounds {sol.lower_bound:,.2f} .. "
        game += f"{sol.upper_bound:,.2f}, {sol.status})"
    else:
        game = f"value >= {sol.value:,.2f} kg/month (NOT PROVEN, {sol.status}: the game's "
        game += f"value is in {sol.lower_bound:,.2f} .. {sol.upper_bound:,.2f})"
    if sol.pure_proven:
        pure = f"best fixed plan {sol.pure_value:,.2f}"
    else:
        pure = f"best fixed plan NOT PROVEN ({sol.pure_status}): in {sol.pure_value:,.2f} .. "
        pure += f"{sol.pure_upper:,.2f}"
    if sol.proven and sol.pure_proven:
        adds = f"randomising adds {sol.value_of_randomisation:+,.2f}"
    else:
        adds = f"randomising adds at least {lo_vr:+,.2f} (certified range {lo_vr:,.2f} .. "
        adds += f"{hi_vr:,.2f})"
    return f"{game}; {pure}; {adds}"


def key_figures(sol: GameSolution) -> list[tuple[str, str]]:
    """Return the report's key figures (label, value); unproven ones as ranges."""
    lo_vr, hi_vr = sol.value_of_randomisation_bounds
    both = sol.proven and sol.pure_proven
    return [
        (
            "value: expected interception, kg/month" + ("" if sol.proven else " (NOT PROVEN)"),
            f"{sol.value:,.2f}" if sol.proven else f">= {sol.value:,.2f}",
        ),
        ("lower bound", f"{sol.lower_bound:,.2f}"),
        ("upper bound", f"{sol.upper_bound:,.2f}"),
        ("gap", f"{sol.gap:.2e}"),
        ("status", sol.status),
        (
            "best fixed plan (pure optimum), kg/month"
            + ("" if sol.pure_proven else f" (NOT PROVEN: {sol.pure_status})"),
            f"{sol.pure_value:,.2f}"
            if sol.pure_proven
            else f"{sol.pure_value:,.2f} .. {sol.pure_upper:,.2f}",
        ),
        (
            "value of randomisation, kg/month" + ("" if both else " (certified range)"),
            f"{sol.value_of_randomisation:+,.2f}" if both else f"{lo_vr:,.2f} .. {hi_vr:,.2f}",
        ),
    ]


def _num(x: float) -> float:
    """Return ``x`` as a float, ``-0.0`` as ``0.0``."""
    return float(x) + 0.0


def routes_note(net: Network, sol: GameSolution, prov: dict[str, Any]) -> str:
    """Return how traffickers route in the game, K, the detection per unit and its source,
    and the share of the value due to the scenario's own enforcement."""
    s = sol.sites
    n_sites = s.size if s is not None else 0
    p = prov.get("p_detect")
    detects = f"each unit detects with p = {p} (--p-detect)"
    if "p_detect" in getattr(net, "arc_attrs", {}) and s is not None and s.kind == "arcs":
        q = -np.expm1(-np.asarray(s.logsurv, dtype=float))
        detects = (
            "each unit detects with its road's own p_detect, the network's per-arc attribute "
            f"({q.min():.3g} to {q.max():.3g}; --p-detect {p} is not used)"
        )
    share = sol.base_value / sol.value if sol.value > 0 else 0.0
    road = (
        " A road site is the road between two junctions (both directions, unless they detect "
        "differently), named by its end junctions."
        if s is not None and s.kind == "arcs"
        else ""
    )
    return (
        "In this game each shipment takes the route with the least expected interception "
        "(the most reliable route against the schedule's probabilities; costs do not "
        f"choose it). K = {sol.k} units a day on {n_sites} candidate sites "
        f"({s.kind if s is not None else ''}), one per site at most; {detects}.{road} "
        f"The value includes {sol.base_value:,.2f} kg/month "
        f"({share:.0%}) seized by the scenario's own enforcement with no unit placed."
    )


def coverage_frame(sol: GameSolution, named: pd.DataFrame) -> pd.DataFrame:
    """Return every site with positive coverage: ``site`` (id), ``name``, ``probability``
    (marginal coverage), ``p_detect`` (of one unit there), ``lon``, ``lat``; most covered
    first."""
    s = sol.sites
    assert s is not None
    on = np.flatnonzero(sol.coverage > 1e-12)
    order = on[np.lexsort((s.label[on].astype(str), -sol.coverage[on]))]
    return pd.DataFrame(
        {
            "site": s.label[order].astype(str),
            "name": named.name.to_numpy(dtype=object)[order],
            "probability": sol.coverage[order],
            "p_detect": -np.expm1(-s.logsurv[order]),
            "lon": named.lon.to_numpy()[order],
            "lat": named.lat.to_numpy()[order],
        }
    )


def support_frame(sol: GameSolution) -> pd.DataFrame:
    """Return the support: ``strategy`` (1..J), ``probability`` and ``sites`` (ids, ``;``)."""
    s = sol.sites
    assert s is not None
    return pd.DataFrame(
        {
            "strategy": np.arange(1, len(sol.sets) + 1),
            "probability": sol.probability,
            "sites": [";".join(s.label[x].astype(str)) for x in sol.sets],
        }
    )


def schedules_frame(sol: GameSolution, draws: np.ndarray) -> pd.DataFrame:
    """Return sampled days: ``day`` (1..N), ``strategy`` (support row) and ``sites``."""
    s = sol.sites
    assert s is not None
    return pd.DataFrame(
        {
            "day": np.arange(1, draws.size + 1),
            "strategy": draws + 1,
            "sites": [";".join(s.label[sol.sets[j]].astype(str)) for j in draws.tolist()],
        }
    )


def routes_frame(sol: GameSolution, net: Network, problem: Any) -> pd.DataFrame:
    """Return the attacker's mixed strategy: ``origin`` (input node id), ``origin_name``
    (the scenario's labels of the origins there), ``probability``,
    ``crossing`` (name), ``sites_in_route_order`` (ids of the candidate sites passed,
    ``;``, from the origin to the crossing), ``n_road_arcs`` (road arcs on the route)."""
    s = sol.sites
    assert s is not None
    m = net.n_arcs
    names: dict[int, list[str]] = {}
    for v, lab in zip(problem.origin_node.tolist(), problem.origin_label.tolist(), strict=False):
        names.setdefault(int(v), []).append(str(lab))
    rows = []
    for o, pr, arcs, st in zip(
        sol.routes_origin, sol.routes_probability, sol.routes_arcs, sol.routes_sites, strict=True
    ):
        j = int(arcs[-1]) - m
        rows.append(
            (
                str(net.node_key[sol.origin_node[o]]),
                " / ".join(dict.fromkeys(names.get(int(sol.origin_node[o]), []))),
                float(pr),
                str(problem.sink_label[j]) if problem.sink_label.size else str(j),
                ";".join(s.label[_in_route_order(arcs, st, s)].astype(str)),
                int(arcs.size - 1),
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "origin",
            "origin_name",
            "probability",
            "crossing",
            "sites_in_route_order",
            "n_road_arcs",
        ],
    )


def _in_route_order(arcs: np.ndarray, sites: np.ndarray, s: Sites) -> np.ndarray:
    """Return ``sites`` ordered as the route (extended ``arcs``, origin first) passes them."""
    inc = s.incidence.tocsc()
    order: list[int] = []
    want = set(np.asarray(sites).tolist())
    for e in np.asarray(arcs).tolist():
        for j in inc.indices[inc.indptr[e] : inc.indptr[e + 1]].tolist():
            if j in want and j not in order:
                order.append(j)
    order += [j for j in np.asarray(sites).tolist() if j not in order]
    return np.array(order, dtype=np.int64)


def log_frame(sol: GameSolution) -> pd.DataFrame:
    """Return the iteration log (:data:`reten.models.game.LOG_COLUMNS`)."""
    return pd.DataFrame(sol.log, columns=list(LOG_COLUMNS))


def expected_flow(sol: GameSolution, m: int) -> np.ndarray:
    """Return each road arc's expected flow under the attacker's mixed strategy (kg/month)."""
    flow = np.zeros(m)
    for o, pr, arcs in zip(sol.routes_origin, sol.routes_probability, sol.routes_arcs, strict=True):
        road = arcs[arcs < m]
        np.add.at(flow, road, pr * sol.origin_volume[o])
    return flow


def result_json(
    sol: GameSolution, coverage: pd.DataFrame, draws: np.ndarray | None, tsai: dict | None
) -> dict[str, Any]:
    """Return the fixed JSON summary (as ``reten game --json`` prints it)."""
    s = sol.sites
    assert s is not None
    lo_vr, hi_vr = sol.value_of_randomisation_bounds
    out: dict[str, Any] = {
        "value": _num(sol.value),
        "lower_bound": _num(sol.lower_bound),
        "upper_bound": _num(sol.upper_bound),
        "gap": _num(sol.gap),
        "status": sol.status,
        "proven": sol.proven,
        "pure_value": _num(sol.pure_value),
        "pure_upper_bound": _num(sol.pure_upper),
        "pure_status": sol.pure_status,
        "pure_proven": sol.pure_proven,
        "value_of_randomisation": _num(sol.value_of_randomisation),
        "value_of_randomisation_bounds": [_num(lo_vr), _num(hi_vr)],
        "value_of_randomisation_lower": _num(lo_vr),
        "value_of_randomisation_upper": _num(hi_vr),
        "value_of_randomisation_proven": sol.proven and sol.pure_proven,
        "routes_upper_bound": _num(sol.routes_upper),
        "notes": list(sol.notes),
        "seconds": sol.seconds,
        "pure_seconds": sol.pure_seconds,
        "iterations": sol.iterations,
        "checkpoints": sol.k,
        "site_kind": s.kind,
        "coverage": [
            {"site": str(r.site), "probability": float(r.probability), "name": str(r.name)}
            for r in coverage.itertuples()
        ],
        "support": [
            {"probability": float(p), "sites": [str(x) for x in s.label[st]]}
            for st, p in zip(sol.sets, sol.probability, strict=True)
        ],
    }
    if draws is not None:
        # the days themselves are in schedules.csv (a million days would be ~100 MB here)
        out["schedules_count"] = int(draws.size)
        out["schedules_file"] = "schedules.csv"
    if tsai:
        out["tsai"] = dict(tsai)
    return out


def game_map(
    net: Network,
    base: RouteResult,
    sol: GameSolution,
    coverage: pd.DataFrame,
    *,
    basemap: str | None = None,
) -> str:
    """Return the map: the attacker's equilibrium routes (expected kg/month), origins,
    crossings, and each site's coverage probability (diamonds sized by probability); one
    paragraph instead when the network has no node coordinates."""
    if (none := maps.no_map_html(net)) is not None:
        return none
    p = base.problem
    mb = maps.MapBuilder(
        net, "Coverage probabilities and the traffickers' mixed routes", basemap=basemap
    )
    mb.add_states()
    mb.add_roads()
    flow = expected_flow(sol, net.n_arcs)
    scale = max(float(flow.max(initial=0)), float(base.arc_flow_kg.max(initial=0)), 1e-9)
    mb.add_flows(
        base.arc_flow_kg, "Least-cost routes (no checkpoint)", color=maps.FLOW_BASE, scale=scale
    )
    mb.add_flows(flow, "Mixed routes against the schedule", color=maps.FLOW_SCEN, scale=scale)
    mb.width_legend(scale)
    on = np.asarray(base.origin_crossing) >= 0  # origins left out do not play
    mb.add_points(
        net.node_lon[p.origin_node[on]],
        net.node_lat[p.origin_node[on]],
        p.origin_volume_kg[on],
        [str(x) for x in p.origin_label[on]],
        layer="Origins",
        unit="kg/month",
        color=maps.ORIGIN,
        marker="square",
        max_size=18,
        label_top=4,
        legend_at="top_left",
    )
    cross = np.zeros(p.sink_node.size)
    for o, pr, arcs in zip(sol.routes_origin, sol.routes_probability, sol.routes_arcs, strict=True):
        cross[int(arcs[-1]) - net.n_arcs] += pr * sol.origin_volume[o]
    mb.add_points(
        net.node_lon[p.sink_node],
        net.node_lat[p.sink_node],
        cross,
        [str(x) for x in p.sink_label],
        layer="Crossings",
        unit="kg/month (mixed routes)",
        color=maps.CROSSING,
        label_top=4,
    )
    if len(coverage):
        mb.add_points(
            coverage.lon.to_numpy(float),
            coverage.lat.to_numpy(float),
            coverage.probability.to_numpy(float),
            [f"{a} ({b})" for a, b in zip(coverage.name, coverage.site, strict=True)],
            layer="Sites",
            unit="coverage probability",
            color=maps.SITE,
            marker="diamond",
            legend_at="center_left",
            label_top=40,
            max_size=18,
            # numbered as in the table under the map (names are long and sites cluster);
            # hover gives the name
            label_text=[str(i) for i in range(1, len(coverage) + 1)],
            group_labels=True,
            prio=100,  # before origins' and crossings' names, which hid three of ten
        )
        mb.set_focus(coverage.lon.to_numpy(float), coverage.lat.to_numpy(float), "Covered sites")
    notes = " ".join(mb.notes)
    return maps.embed(mb.figure())[0] + (
        f'<p class="note">{html.escape(notes)} Drag to pan, scroll to zoom, click a legend '
        "entry to hide a layer, hover for names and figures.</p>"
    )


def write_game(
    out: str | Path,
    net: Network,
    base: RouteResult,
    sol: GameSolution,
    named: pd.DataFrame,
    draws: np.ndarray | None,
    tsai: dict | None,
    title: str,
    prov: dict[str, Any],
    *,
    basemap: str | None = None,
) -> Path:
    """Write report.html, coverage.csv/.geojson, support.csv, schedules.csv, routes.csv,
    log.csv and result.json into ``out`` (atomically)."""
    import geopandas as gpd

    cov = coverage_frame(sol, named)
    sup = support_frame(sol)
    rts = routes_frame(sol, net, base.problem)
    log = log_frame(sol)
    sched = schedules_frame(sol, draws) if draws is not None else None
    lo_vr, hi_vr = sol.value_of_randomisation_bounds
    figures = key_figures(sol) + [
        ("support (pure strategies)", f"{len(sol.sets)}"),
        ("iterations", f"{sol.iterations}"),
        ("seconds (game; pure optimum)", f"{sol.seconds:.1f}; {sol.pure_seconds:.1f}"),
    ]
    body = [
        assumptions_box(
            net,
            base,
            headline=["expected seizures, kg/month"],
            routes_note=routes_note(net, sol, prov),
        ),
        f'<p class="warn">{html.escape(PLANNING_NOTE)}</p>',
        *(f'<p class="warn">{html.escape(n)}</p>' for n in sol.notes),
        kpis(figures),
        *(
            []
            if sol.proven and sol.pure_proven
            else [f'<p class="warn">{html.escape(headline(sol))}</p>']
        ),
        '<p class="note">The value is what the randomised schedule guarantees whatever '
        "routes the traffickers take, knowing the schedule's probabilities but not the "
        "day's draw; the upper bound is the least of two certificates: what the "
        "traffickers' mixed routes concede at most against any schedule (the routes table "
        "below), and the LP over coverage marginals (Tsai et al. 2010), which no schedule "
        "can beat. The pure optimum is the best fixed plan "
        "(<code>reten optimize --objective interception</code> on the same sites and "
        f"detection); the true value of randomisation lies in [{lo_vr:,.2f}, "
        f"{hi_vr:,.2f}] kg/month.</p>",
        "<h2>Where and how often: coverage probability of each site</h2>",
        map_legend(
            net,
            "Black diamonds: sites, sized by coverage probability and numbered as in the "
            "table below (hover for the name). Dark red: the traffickers' mixed routes "
            "against the schedule (expected kg/month); grey: their least-cost routes with no "
            "checkpoint. Orange squares: origins; purple circles: crossings.",
        ),
        f"<figure>{game_map(net, base, sol, cov, basemap=basemap)}</figure>",
        table(numbered(cov) if net.has_coordinates else cov, max_rows=40, floatfmt="{:,.4f}"),
        "<h2>The mixed strategy: pure strategies and their probabilities</h2>",
        table(sup, max_rows=40, floatfmt="{:,.4f}"),
    ]
    if sched is not None:
        body += [
            f"<h2>Sampled daily schedules ({len(sched)} days, seeded)</h2>",
            table(sched, max_rows=14, floatfmt="{:,.4f}"),
        ]
    if tsai:
        body += [
            "<h2>LP marginals and sampling (Tsai et al. 2010) against the exact value</h2>",
            kpis(
                [
                    ("its LP's own estimate, kg/month", f"{tsai['lp_value']:,.2f}"),
                    ("its sampled strategy's true value", f"{tsai['value']:,.2f}"),
                    ("exact value (this report)", f"{sol.value:,.2f}"),
                ]
            ),
        ]
    body += [
        "<h2>The traffickers' mixed routes (the certificate's other side)</h2>",
        '<p class="note">Each origin\'s routes and the probability it takes each: against '
        f"this mix no schedule intercepts more than {sol.routes_upper:,.2f} kg/month.</p>",
        table(rts, max_rows=30, floatfmt="{:,.4f}"),
        "<h2>Iteration log (best bounds so far)</h2>",
        table(log, max_rows=200, floatfmt="{:,.4f}"),
        provenance(prov),
    ]
    summary = result_json(sol, cov, draws, tsai)
    with atomic_dir(out, kind="game") as tmp:
        (tmp / "report.html").write_text(
            page(title, "reten randomised checkpoints (network security game)", body),
            encoding="utf-8",
        )
        write_csv(cov, tmp / "coverage.csv")
        gdf = gpd.GeoDataFrame(cov, geometry=gpd.points_from_xy(cov.lon, cov.lat), crs="EPSG:4326")
        gdf.to_file(tmp / "coverage.geojson", driver="GeoJSON", layer="coverage")
        write_csv(sup, tmp / "support.csv")
        if sched is not None:
            write_csv(sched, tmp / "schedules.csv")
        write_csv(rts, tmp / "routes.csv")
        write_csv(log, tmp / "log.csv")
        (tmp / "result.json").write_text(jsonio.dumps(summary, indent=2) + "\n")
        (tmp / "provenance.json").write_text(
            jsonio.dumps(prov, indent=2, sort_keys=True, default=str) + "\n"
        )
    return Path(out)


def sites_named(
    net: Network, problem: Any, sites: Sites, rows: np.ndarray | None = None
) -> pd.DataFrame:
    """Return the site table with names (see :func:`reten.models.interdiction.site_table`);
    the sites at ``rows`` (those a schedule covers) get ``lon``/``lat`` on their shape, as
    optimize's sites do: the node, or the point halfway along the whole road (the table's
    own is the middle of the road's first piece)."""
    from reten.models.interdiction import site_table
    from reten.report.geodata import representative_points, site_geometries

    named = site_table(net, problem, sites)
    if rows is not None and len(rows) and net.has_coordinates:
        rows = np.asarray(rows, dtype=np.int64)
        lon, lat = named.lon.to_numpy(float, copy=True), named.lat.to_numpy(float, copy=True)
        x, y = representative_points(site_geometries(net, sites, rows, lon[rows], lat[rows]))
        lon[rows], lat[rows] = x, y
        named = named.assign(lon=lon, lat=lat)
    return named
