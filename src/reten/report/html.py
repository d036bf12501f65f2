"""Self-contained HTML reports: inline SVG and CSS, no script, no network request."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from reten import jsonio
from reten.analysis.displacement import Comparison
from reten.analysis.seizures import seizure_summary
from reten.models.routes import RouteResult
from reten.network.model import Network
from reten.report import svg

if TYPE_CHECKING:
    from reten.results import ComparisonResult, RunResult

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1b2631}
header{background:#1b2631;color:#fff;padding:14px 24px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#d5dbdb;font-size:13px}
main{max-width:1100px;margin:0 auto;padding:12px 24px 40px}
h2{font-size:18px;border-bottom:1px solid #d5dbdb;padding-bottom:4px;margin-top:28px}
.kpis{display:flex;flex-wrap:wrap;gap:12px}.kpi{background:#f4f6f7;border-radius:6px;
padding:8px 14px;min-width:150px}.kpi b{display:block;font-size:20px}.kpi span{font-size:12px;
color:#566573}
table{border-collapse:collapse;font-size:12.5px;margin:6px 0}th,td{padding:3px 8px;
border-bottom:1px solid #eaeded;text-align:right}th{background:#f4f6f7}
td:first-child,th:first-child{text-align:left}
.note{font-size:12px;color:#566573}.legend{font-size:12px;color:#34495e}
figure{margin:8px 0}pre{background:#f4f6f7;padding:8px;font-size:11px;overflow:auto}
a{color:#1a5276}
"""


def page(title: str, subtitle: str, body: list[str]) -> str:
    """Return a complete HTML document."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>"
        f"<main>{''.join(body)}</main></body></html>\n"
    )


def kpis(items: list[tuple[str, str]]) -> str:
    """Return a row of key figures."""
    return (
        '<div class="kpis">'
        + "".join(
            f'<div class="kpi"><b>{html.escape(v)}</b><span>{html.escape(k)}</span></div>'
            for k, v in items
        )
        + "</div>"
    )


def table(df: pd.DataFrame, *, max_rows: int = 25, floatfmt: str = "{:,.1f}") -> str:
    """Return an HTML table of the first ``max_rows`` rows."""
    d = df.head(max_rows)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in d.columns)
    rows = []
    for rec in d.itertuples(index=False):
        cells = []
        for v in rec:
            if isinstance(v, float | np.floating):
                s = "∞" if np.isinf(v) else floatfmt.format(v)
            else:
                s = str(v)
            cells.append(f"<td>{html.escape(s)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = (
        f'<p class="note">{len(df) - max_rows} more rows in the CSV files.</p>'
        if len(df) > max_rows
        else ""
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


def _stable(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _stable(v) for k, v in x.items() if k != "seconds"}
    return x


def provenance(prov: dict[str, Any]) -> str:
    """Return the provenance block (without wall times, so reports are byte-reproducible)."""
    text = jsonio.dumps(_stable(prov), indent=2, sort_keys=True, default=str)
    return "<h2>Provenance</h2><pre>" + html.escape(text) + "</pre>"


def _sinks_layer(net: Network, frame: svg.Frame, r: RouteResult) -> str:
    p = r.problem
    share = r.crossing_flow_kg / max(r.crossing_flow_kg.sum(), 1e-12)
    labels = [f"{p.sink_label[i]}: {share[i]:.0%} of volume" for i in range(p.sink_node.size)]
    return svg.points_layer(
        frame,
        net.node_lon[p.sink_node],
        net.node_lat[p.sink_node],
        share + 1e-3,
        labels,
        color="#8e44ad",
        cls="crossings",
    )


def _origins_layer(net: Network, frame: svg.Frame, r: RouteResult) -> str:
    p = r.problem
    labels = [
        f"{p.origin_label[i]}: {p.origin_volume_kg[i]:,.0f} kg/month"
        for i in range(p.origin_node.size)
    ]
    return svg.points_layer(
        frame,
        net.node_lon[p.origin_node],
        net.node_lat[p.origin_node],
        p.origin_volume_kg,
        labels,
        color="#f39c12",
        cls="origins",
        max_r=8,
        square=True,
    )


def _outlines(net: Network, frame: svg.Frame) -> list[str]:
    wkb = net.regions.outline_wkb
    return [svg.outline_layer(frame, wkb)] if wkb is not None else []


def route_map(net: Network, r: RouteResult, title: str, *, basemap: str | None = None) -> str:
    """Return the SVG map of a run: roads, routes (width by flow), crossings by share."""
    frame = svg.network_frame(net)
    return svg.svg(
        frame,
        [
            *_outlines(net, frame),
            svg.roads_layer(net, frame),
            svg.flow_layer(net, frame, r.arc_flow_kg, color="#c0392b", label="flow"),
            _origins_layer(net, frame, r),
            _sinks_layer(net, frame, r),
        ],
        title,
        basemap=basemap,
    )


def run_report(
    net: Network,
    r: RouteResult,
    title: str,
    tables: dict[str, pd.DataFrame],
    *,
    basemap: str | None = None,
) -> str:
    """Return the HTML report of one run (``basemap``: XYZ tile template, None: offline)."""
    s = seizure_summary(r)
    unit = r.problem.cost_unit
    body = [
        kpis(
            [
                ("volume shipped, kg/month", f"{s['volume_kg']:,.0f}"),
                ("expected seizures, kg/month", f"{s['seized_kg']:,.1f}"),
                ("share seized", f"{s['seized_share']:.1%}"),
                (
                    f"potentially lethal doses seized ({s['dose_mg']:g} mg)",
                    f"{s['lethal_doses']:,.0f}",
                ),
                (f"traffickers' total cost, {unit}·kg", f"{r.total_cost:,.0f}"),
                ("origins with no route", f"{r.unreachable.size}"),
            ]
        ),
        "<h2>Routes</h2>",
        '<p class="legend">Red lines: trafficking routes, width by flow. Orange squares: '
        "origins. Purple circles: ports of entry, area by share of volume. Grey: the road "
        "network. Hover for figures.</p>",
        f"<figure>{route_map(net, r, title, basemap=basemap)}</figure>",
        "<h2>Crossing shares</h2>",
        svg.bar_chart(
            [c["crossing"] for c in s["crossings"] if c["flow_kg"] > 0],
            {"share of volume": np.array([c["share"] for c in s["crossings"] if c["flow_kg"] > 0])},
            title="Share of volume by crossing",
            colors=("#8e44ad",),
        ),
    ]
    body += _extension_sections(net, r, basemap=basemap)
    for name, df in tables.items():
        body += [f"<h2>{html.escape(name)}</h2>", table(df)]
    body.append(f'<p class="note">Doses: {html.escape(s["dose_source"])}</p>')
    body.append(provenance(r.provenance))
    return page(title, "reten route model (Dell 2015 least-cost routes)", body)


def _extension_sections(net: Network, r: RouteResult, *, basemap: str | None) -> list[str]:
    """Sections for congestion (convergence), the precursor leg and relocation."""
    out: list[str] = []
    if r.convergence:
        last = r.convergence[-1]
        out += [
            "<h2>Congestion equilibrium: convergence</h2>",
            f'<p class="legend">Relative gap per iteration; final gap {last[1]:.2e} after '
            f"{last[0]} iteration(s), {last[2]:.2f} s ({r.provenance.get('method', '')})."
            "</p>",
            svg.gap_chart(r.convergence, title="relative gap per iteration"),
        ]
    if r.inbound is not None:
        frame = svg.network_frame(net)
        p = r.problem
        share = r.inbound.seaport_flow_kg / max(r.inbound.seaport_flow_kg.sum(), 1e-12)
        out += [
            "<h2>The precursor leg: seaports to labs</h2>",
            '<p class="legend">Teal lines: precursor flows, width by kg/month; teal '
            "circles: entry seaports by share. The product leg is on the map above.</p>",
            "<figure>"
            + svg.svg(
                frame,
                [
                    svg.roads_layer(net, frame),
                    svg.flow_layer(
                        net, frame, r.inbound.arc_flow_kg, color="#16a085", label="precursor"
                    ),
                    svg.points_layer(
                        frame,
                        net.node_lon[p.source_node],
                        net.node_lat[p.source_node],
                        share + 1e-3,
                        [f"{p.source_label[i]}: {share[i]:.0%}" for i in range(p.source_node.size)],
                        color="#16a085",
                        cls="seaports",
                    ),
                ],
                "precursor leg",
                basemap=basemap,
            )
            + "</figure>",
        ]
    if r.relocation is not None:
        from reten.report.exports import production_frame

        prod = production_frame(net, r)
        st = prod[prod.level == "state"].assign(
            delta=lambda d: d.volume_after_kg - d.volume_before_kg
        )
        lost = st[st.delta < 0].sort_values("delta")
        gained = st[st.delta > 0].sort_values("delta", ascending=False)
        if len(lost) or len(gained):
            sentence = f"Production moved from {', '.join(lost.name)} to {', '.join(gained.name)}."
        else:
            sentence = "No lab moved to another state."
        out += [
            "<h2>Production relocation</h2>",
            f"<p>{html.escape(sentence)}</p>",
            table(prod, max_rows=40),
        ]
    return out


def compare_report(
    net: Network,
    base: RouteResult,
    scen: RouteResult,
    cmp: Comparison,
    title: str,
    *,
    basemap: str | None = None,
) -> str:
    """Return the HTML report of a comparison: displacement map, share charts, ranked tables."""
    t = cmp.totals
    frame = svg.network_frame(net)
    delta = scen.arc_flow_kg - base.arc_flow_kg
    reg = cmp.regions[cmp.regions.level == "municipality"]
    if reg.empty:
        reg = cmp.regions
    rows = net.regions.index()
    ridx = np.array([rows[c] for c in reg.region], dtype=np.int64)
    have = np.isfinite(net.regions.lon[ridx]) if ridx.size else np.zeros(0, bool)
    labels = [
        f"{n}: {d:+,.1f} kg/month{' (new on a route)' if s else ''}"
        for n, d, s in zip(reg.name, reg.delta_kg, reg.spillover, strict=True)
    ]
    outlines = net.regions.outline_wkb
    if outlines is not None and ridx.size and all(outlines[i] is not None for i in ridx):
        # a choropleth of the change in volume entering each municipality
        choropleth = [
            svg.outline_layer(frame, outlines),
            svg.choropleth_layer(frame, outlines[ridx], reg.delta_kg.to_numpy(), labels),
        ]
    else:
        choropleth = []
    region_layer = (
        ""
        if choropleth
        else svg.points_layer(
            frame,
            net.regions.lon[ridx][have],
            net.regions.lat[ridx][have],
            reg.delta_kg.to_numpy()[have] + 0.0,
            [
                f"{n}: {d:+,.1f} kg/month{' (new on a route)' if s else ''}"
                for n, d, s in zip(
                    reg.name[have], reg.delta_kg[have], reg.spillover[have], strict=True
                )
            ],
            color="delta",
            cls="displacement",
            max_r=12,
        )
    )
    disp_map = svg.svg(
        frame,
        [
            *choropleth,
            svg.roads_layer(net, frame),
            svg.flow_layer(net, frame, delta, color="delta", label="delta"),
            region_layer,
            _sinks_layer(net, frame, scen),
        ],
        f"Displacement: {title}",
        basemap=basemap,
    )
    cr = cmp.crossings
    tot_b = max(cr.flow_kg_base.sum(), 1e-12)
    tot_s = max(cr.flow_kg_scenario.sum(), 1e-12)
    used = cr[(cr.flow_kg_base > 0) | (cr.flow_kg_scenario > 0)]
    chart = svg.bar_chart(
        list(used.crossing),
        {
            "baseline": used.flow_kg_base.to_numpy() / tot_b,
            "scenario": used.flow_kg_scenario.to_numpy() / tot_s,
        },
        title="Crossing shares before and after",
    )
    body = [
        kpis(
            [
                ("traffickers' cost increase", f"{t['cost_increase_share']:+.1%}"),
                (
                    "seizures, kg/month",
                    f"{t['seized_base_kg']:,.1f} → {t['seized_scenario_kg']:,.1f}",
                ),
                ("regions newly on a route", f"{t['regions_newly_on_route']}"),
                ("flow moved, kg·km/month", f"{t['arc_flow_moved_kg_km']:,.0f}"),
            ]
        ),
        "<h2>Displacement map</h2>",
        '<p class="legend">Red: more flow than in the baseline; blue: less. Municipalities '
        "(filled, when the network carries their outlines; else circles by size of change): "
        "change in volume entering them. Purple: scenario crossing shares.</p>",
        f"<figure>{disp_map}</figure>",
        "<h2>Scenario routes</h2>",
        f"<figure>{route_map(net, scen, title, basemap=basemap)}</figure>",
        "<h2>Crossing shares before and after</h2>",
        chart,
        "<h2>Regions by change in flow (kg/month)</h2>",
        table(cmp.regions),
        "<h2>Crossings</h2>",
        table(cmp.crossings),
        "<h2>Origins: increase in the traffickers' cost (Dell's key quantity)</h2>",
        table(cmp.origins),
        *_extension_sections(net, scen, basemap=basemap),
        provenance({"baseline": base.provenance, "scenario": scen.provenance}),
    ]
    return page(title, "reten displacement analysis: baseline vs scenario", body)


def index_page(title: str, entries: list[tuple[str, str, str]], summary_html: str) -> str:
    """Return an index linking reports: ``entries`` are (href, label, description)."""
    items = "".join(
        f'<li><a href="{html.escape(h)}">{html.escape(lab)}</a> — {html.escape(d)}</li>'
        for h, lab, d in entries
    )
    return page(
        title,
        "reten demo on the embedded Mexico skeleton",
        [f"<h2>Reports</h2><ul>{items}</ul>", summary_html],
    )


def demo_index(
    steps: list[tuple[str, str, RunResult, ComparisonResult | None]],
) -> tuple[str, list[tuple[str, str, float, float]]]:
    """Return the demo's index page and its summary rows.

    ``steps`` are :func:`reten.api.demo`'s (key, description, run, comparison); rows are
    (scenario, top three crossings with shares, seized kg/month, change in the traffickers'
    total cost relative to the first scenario).
    """
    entries: list[tuple[str, str, str]] = []
    rows: list[tuple[str, str, float, float]] = []
    base_cost = None
    for key, desc, res, cmp in steps:
        entries.append((f"{key}/report.html", res.name, desc))
        if cmp is not None:
            entries.append(
                (
                    f"{key}_vs_baseline/report.html",
                    f"{res.name} vs Baseline",
                    "displacement map and tables",
                )
            )
        cr = res.crossings
        flow = cr.flow_kg.to_numpy()
        cf = flow / flow.sum()
        order = [i for i in cf.argsort(kind="stable")[::-1] if cf[i] > 0][:3]
        tops = ", ".join(f"{cr.crossing.iloc[i]} {cf[i]:.0%}" for i in order)
        s = res.summary
        base_cost = base_cost or s["total_cost"]
        rows.append((res.name, tops, s["seized_kg"], s["total_cost"] / base_cost - 1))
    table_html = (
        "<h2>Where the flow went</h2><table><thead><tr><th>scenario</th>"
        "<th>top crossings</th><th>seized kg/month</th><th>trafficker cost</th></tr>"
        "</thead><tbody>"
        + "".join(
            f"<tr><td>{html.escape(a)}</td><td>{html.escape(b)}</td><td>{c:,.1f}</td>"
            f"<td>{d:+.1%}</td></tr>"
            for a, b, c, d in rows
        )
        + "</tbody></table>"
    )
    return index_page("reten demo", entries, table_html), rows
