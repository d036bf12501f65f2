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
from reten.report import charts, maps
from reten.report.assumptions import assumptions_box, measure_warnings

if TYPE_CHECKING:
    from reten.results import ComparisonResult, RunResult

PRECURSOR = "#16a085"

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
td:first-child,th:first-child,td.t{text-align:left}
.note{font-size:12px;color:#566573}.legend{font-size:12px;color:#34495e}
figure{margin:8px 0}.assumptions{background:#fbfcfc;border:1px solid #d5dbdb;
border-radius:6px;padding:4px 16px;font-size:12.5px;margin-top:14px}.assumptions h2{margin-top:8px}
.warn{background:#fdebd0;border-left:4px solid #e67e22;padding:6px 10px}
pre{background:#f4f6f7;padding:8px;font-size:11px;overflow:auto}
a{color:#1a5276}.tw{overflow-x:auto}
"""


def page(title: str, subtitle: str, body: list[str]) -> str:
    """Return a complete HTML document (BokehJS inlined when it holds a map)."""
    text = "".join(body)
    js = ""
    if "data-root-id" in text:
        js, text = maps.resources_html(), maps.stable_ids(text)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style>{js}</head><body>"
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>"
        f"<main>{text}</main></body></html>\n"
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


def share_text(share: float | None) -> str:
    """Return a relative change as a signed percentage, ``"n/a (baseline 0)"`` when it has
    none (None: a share of a zero baseline).

    Examples
    --------
    >>> share_text(0.125), share_text(None)
    ('+12.5%', 'n/a (baseline 0)')
    """
    return "n/a (baseline 0)" if share is None else f"{share:+.1%}"


def _num(v: float, fmt: str) -> str:
    """Return ``v`` formatted for a reader: ``∞``/``−∞``, ``—`` for NaN (no value), and no
    minus sign on a number that rounds to zero (``-0.00`` reads as a loss).

    Examples
    --------
    >>> _num(-1e-15, "{:,.2f}"), _num(float("nan"), "{:,.2f}"), _num(-2.5, "{:,.1f}")
    ('0.00', '—', '-2.5')
    """
    if np.isnan(v):
        return "—"
    if np.isinf(v):
        return "∞" if v > 0 else "−∞"
    s = fmt.format(v)
    if s.startswith("-") and not any(c in "123456789" for c in s):
        s = s[1:]
    return s


def table(df: pd.DataFrame, *, max_rows: int = 25, floatfmt: str = "{:,.1f}") -> str:
    """Return an HTML table of the first ``max_rows`` rows."""
    d = df.head(max_rows)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in d.columns)
    rows = []
    for rec in d.itertuples(index=False):
        cells = []
        for v in rec:
            if isinstance(v, float | np.floating):
                s = _num(float(v), floatfmt)
            else:
                s = str(v)
            text = not isinstance(v, int | float | np.integer | np.floating | bool | np.bool_)
            cls = ' class="t"' if text else ""
            cells.append(f"<td{cls}>{html.escape(s)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = (
        f'<p class="note">{len(df) - max_rows} more rows in the CSV files.</p>'
        if len(df) > max_rows
        else ""
    )
    return (
        f'<div class="tw"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
        f"</table></div>{more}"
    )


def _stable(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _stable(v) for k, v in x.items() if k != "seconds"}
    return x


def provenance(prov: dict[str, Any]) -> str:
    """Return the provenance block (without wall times, so reports are byte-reproducible)."""
    text = jsonio.dumps(_stable(prov), indent=2, sort_keys=True, default=str)
    return "<h2>Provenance</h2><pre>" + html.escape(text) + "</pre>"


def run_layout(
    net: Network,
    r: RouteResult,
    title: str,
    *,
    basemap: str | None = None,
    base: RouteResult | None = None,
    region_change: tuple[np.ndarray, np.ndarray, list[str]] | None = None,
    sites: tuple[np.ndarray, np.ndarray, list[str], np.ndarray] | None = None,
    sites_layer: tuple[str, str] = ("Checkpoint sites", "units"),
) -> Any:
    """Return the interactive map of a run (Bokeh layout): states, roads, routes, places.

    With ``base`` the baseline routes and the change are extra layers and the first view
    is fitted to the change; ``region_change`` is (region rows, kg/month change, labels)
    for a municipality choropleth; ``sites`` (lon, lat, names, units) are checkpoint sites,
    drawn as layer ``sites_layer[0]`` with values in ``sites_layer[1]`` (removed sites for
    the ``capacity`` objective).
    """
    m = maps.MapBuilder(net, title, basemap=basemap)
    m.add_states()
    p = r.problem
    if region_change is not None:
        rows, delta, labels = region_change
        m.add_municipalities(rows, delta, "kg/month change", names=labels)
    m.add_roads()
    scale = max(float(r.arc_flow_kg.max(initial=0)), 1e-9)
    more, less = flow_change(base, r)
    # with no route moved, the baseline lies exactly under the scenario and the change is
    # empty: neither is drawn (nor named in the caption, see flow_legend)
    if base is not None and (more or less):
        scale = max(scale, float(base.arc_flow_kg.max(initial=0)))
        m.add_flows(base.arc_flow_kg, "Baseline routes", color=maps.FLOW_BASE, scale=scale)
    m.add_flows(
        r.arc_flow_kg, "Scenario routes" if base else "Routes", color=maps.FLOW_SCEN, scale=scale
    )
    if base is not None and (more or less):
        signs = ", ".join(s for s, on in (("red more", more), ("blue less", less)) if on)
        m.add_flows(r.arc_flow_kg - base.arc_flow_kg, f"Change ({signs})", scale=scale)
    m.width_legend(scale)
    m.add_points(
        net.node_lon[p.origin_node],
        net.node_lat[p.origin_node],
        p.origin_volume_kg,
        [str(x) for x in p.origin_label],
        layer="Origins",
        unit="kg/month",
        color=maps.ORIGIN,
        marker="square",
        max_size=18,
        label_top=12,
        prio=400,
        # "Sinaloa: Ahome" (a state's volume split over its municipalities) labelled "Ahome"
        label_text=[str(x).split(": ", 1)[-1] for x in p.origin_label],
    )
    m.add_points(
        net.node_lon[p.sink_node],
        net.node_lat[p.sink_node],
        r.crossing_flow_kg,
        [str(x) for x in p.sink_label],
        layer="Crossings",
        unit="kg/month",
        color=maps.CROSSING,
        label_top=10,
        prio=200,
    )
    if sites is not None:
        lon, lat, names, units = sites
        # numbered on the map (names are long and sites cluster, as round Culiacán), named
        # in hover and in the report's table under the same number (site_numbers)
        nums = site_numbers(len(names))
        m.add_points(
            lon,
            lat,
            units,
            [f"{k}. {str(n).replace('->', ' → ')}" for k, n in zip(nums, names, strict=True)],
            layer=sites_layer[0],
            unit=sites_layer[1],
            color=maps.SITE,
            marker="diamond",
            label_top=len(names),
            max_size=16,
            prio=100,
            label_text=nums,
            group_labels=True,
        )
        m.set_focus(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return m


def site_numbers(n: int) -> list[str]:
    """Return the labels of ``n`` sites on a map: ``"1"``, ``"2"``, ... in table order.

    Site names are long (``"road within Culiacán, Sinaloa at 24.59°N 107.44°W"``) and the
    sites of one answer often lie a few kilometres apart, so the map labels each with its
    number (short enough to sit beside its marker), hover shows the name, and the report's
    table lists the names under the same numbers (:func:`numbered`).

    Examples
    --------
    >>> site_numbers(3)
    ['1', '2', '3']
    """
    return [str(k) for k in range(1, n + 1)]


def numbered(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with a first column ``map``: each row's number on the map (1, 2, ...).

    Examples
    --------
    >>> numbered(pd.DataFrame({"site": ["a", "b"]})).columns.tolist()
    ['map', 'site']
    """
    return df.reset_index(drop=True).assign(map=site_numbers(len(df)))[["map", *df.columns]]


def map_legend(net: Network, text: str) -> str:
    """Return a map's legend paragraph (``text`` is HTML), or "" when ``net`` has no map."""
    return "" if maps.no_map_reason(net) else f'<p class="legend">{text}</p>'


def flow_change(base: RouteResult | None, r: RouteResult) -> tuple[bool, bool]:
    """Return whether the map's change layer draws any arc with more flow than ``base``
    (red) and any with less (blue); ``(False, False)`` without ``base``."""
    if base is None:
        return False, False
    change = r.arc_flow_kg - base.arc_flow_kg
    shown = maps.drawn(change)
    return bool((shown & (change > 0)).any()), bool((shown & (change < 0)).any())


def flow_legend(base: RouteResult, r: RouteResult, before: str, after: str) -> str:
    """Return the caption's sentence on the flow layers of :func:`run_layout` with ``base``,
    naming only the layers and colours drawn: no grey baseline or red/blue change when no
    route moved, no red when flow only fell (a removal), no blue when it only grew.

    ``before`` and ``after`` describe the baseline (grey) and the scenario (dark red).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> a = NS(arc_flow_kg=np.array([1.0, 0.0]))
    >>> flow_legend(a, a, "the routes before", "the routes after")
    'Dark red: the routes after, the same as the routes before: no route moved.'
    >>> b = NS(arc_flow_kg=np.array([0.0, 1.0]))
    >>> flow_legend(a, b, "the routes before", "the routes after")
    'Grey: the routes before; dark red: the routes after; the change: red more flow, blue less.'
    """
    more, less = flow_change(base, r)
    if not (more or less):
        return f"Dark red: {after}, the same as {before}: no route moved."
    signs = "red more flow, blue less" if more and less else "red more flow" if more else ""
    return f"Grey: {before}; dark red: {after}; the change: {signs or 'blue less flow'}."


def route_map(
    net: Network, r: RouteResult, title: str, *, basemap: str | None = None, **kw: Any
) -> str:
    """Return the interactive map of a run as an HTML fragment (see :func:`run_layout`),
    or one paragraph saying why there is none (:func:`maps.no_map_reason`)."""
    if (none := maps.no_map_html(net)) is not None:
        return none
    m = run_layout(net, r, title, basemap=basemap, **kw)
    notes = " ".join(m.notes)
    return maps.embed(m.figure())[0] + (
        f'<p class="note">{html.escape(notes)} Drag to pan, scroll to zoom, click a legend '
        "entry to hide a layer, hover for names and figures.</p>"
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
    heads = [
        "expected seizures, kg/month",
        "potentially lethal doses seized",
        "traffickers' total cost",
    ]
    body = [
        assumptions_box(net, r, headline=heads),
        kpis(
            [
                ("volume shipped, kg/month", f"{s['volume_kg']:,.0f}"),
                ("expected seizures, kg/month", f"{s['seized_kg']:,.1f}"),
                ("share seized", f"{s['seized_share']:.1%}"),
                (
                    f"potentially lethal doses seized ({s['dose_mg']:g} mg, purity "
                    f"{s['purity']:g})",
                    f"{s['lethal_doses']:,.0f}",
                ),
                (f"traffickers' total cost, {unit}·kg", f"{r.total_cost:,.0f}"),
                ("origins with no route", f"{r.unreachable.size}"),
            ]
        ),
        "<h2>Routes</h2>",
        map_legend(
            net,
            "Red lines: trafficking routes, width by kg/month. Orange squares: origins by "
            "volume. Purple circles: ports of entry by volume. Grey: the road network.",
        ),
        f"<figure>{route_map(net, r, title, basemap=basemap)}</figure>",
        "<h2>Crossing shares</h2>",
        charts.bar_chart(
            [c["crossing"] for c in s["crossings"] if c["flow_kg"] > 0],
            {"share of volume": np.array([c["share"] for c in s["crossings"] if c["flow_kg"] > 0])},
            title="",
            colors=("#8e44ad",),
            x_label="share of the volume shipped",
        ),
    ]
    body += _extension_sections(net, r, basemap=basemap)
    from reten.analysis.skim import margins_frame

    mg = margins_frame(net, r.problem).drop(columns=["node"])
    body += [
        "<h2>Why the flow goes where it goes: each origin's best and second-best crossing</h2>",
        f'<p class="legend">Costs in {html.escape(unit)} per kg, risk included (the skim: '
        "every origin's least cost to every crossing is in skim.csv). The margin is how much "
        "dearer the best crossing must become before the origin switches; "
        "margin_share is that margin over the best cost.</p>",
        table(mg, floatfmt="{:,.2f}"),
    ]
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
            charts.gap_chart(r.convergence, title=""),
        ]
    if r.inbound is not None:
        out += [
            "<h2>The precursor leg: seaports to labs</h2>",
            map_legend(
                net,
                "Teal lines: precursor flows, width by kg/month; teal circles: entry seaports "
                "by volume, labelled with their share. The product leg is on the map above.",
            ),
            "<figure>" + _precursor_map(net, r, basemap=basemap) + "</figure>",
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


def _precursor_map(net: Network, r: RouteResult, *, basemap: str | None) -> str:
    """Return the map of the precursor leg (seaports to labs), or why there is none."""
    if (none := maps.no_map_html(net)) is not None:
        return none
    assert r.inbound is not None
    p = r.problem
    inflow = r.inbound.seaport_flow_kg
    share = inflow / max(inflow.sum(), 1e-12)
    m = maps.MapBuilder(net, "The precursor leg: seaports to labs", basemap=basemap)
    m.add_states()
    m.add_roads()
    sc = m.add_flows(r.inbound.arc_flow_kg, "Precursor flows", color=PRECURSOR)
    m.width_legend(sc)
    m.add_points(
        net.node_lon[p.source_node],
        net.node_lat[p.source_node],
        inflow,
        [f"{p.source_label[i]} {share[i]:.0%}" for i in range(p.source_node.size)],
        layer="Entry seaports",
        unit="kg/month",
        color=PRECURSOR,
        prio=200,
    )
    return str(maps.embed(m.figure())[0])


def region_change(net: Network, regions: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Return (region rows, kg/month change, names) of a comparison's regions table for the
    map: municipalities when it has them, else every level."""
    reg = regions[regions.level == "municipality"]
    if reg.empty:
        reg = regions
    rows = net.regions.index()
    ridx = np.array([rows[c] for c in reg.region], dtype=np.int64)
    return ridx, reg.delta_kg.to_numpy(dtype=float), [str(n) for n in reg.name]


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
    disp_map = route_map(
        net,
        scen,
        f"Displacement: {title}",
        basemap=basemap,
        base=base,
        region_change=region_change(net, cmp.regions),
    )
    cr = cmp.crossings
    tot_b = max(cr.flow_kg_base.sum(), 1e-12)
    tot_s = max(cr.flow_kg_scenario.sum(), 1e-12)
    used = cr[(cr.flow_kg_base > 0) | (cr.flow_kg_scenario > 0)]
    chart = charts.bar_chart(
        list(used.crossing),
        {
            "baseline": used.flow_kg_base.to_numpy() / tot_b,
            "scenario": used.flow_kg_scenario.to_numpy() / tot_s,
        },
        title="",
        x_label="share of the volume shipped",
    )
    body = [
        assumptions_box(
            net,
            scen,
            base=base,
            headline=[
                "traffickers' cost increase",
                "expected seizures, kg/month",
                "flow moved, kg·km/month",
            ],
            warnings=measure_warnings(net, base, scen),
        ),
        kpis(
            [
                ("traffickers' cost increase", share_text(t["cost_increase_share"])),
                (
                    "expected seizures, kg/month",
                    f"{t['seized_base_kg']:,.1f} → {t['seized_scenario_kg']:,.1f}",
                ),
                ("regions newly on a route", f"{t['regions_newly_on_route']}"),
                ("flow moved, kg·km/month", f"{t['arc_flow_moved_kg_km']:,.0f}"),
            ]
        ),
        "<h2>Displacement map</h2>",
        map_legend(
            net,
            html.escape(flow_legend(base, scen, "the baseline routes", "the scenario routes"))
            + " Width by kg/month. Municipalities, when the network carries their outlines, "
            "are filled by the change in volume entering them; the most-changed are labelled "
            "with that change in kg/month. Purple circles: crossings by scenario volume; "
            "orange squares: origins. "
            + (
                "The first view shows where the flow changed; "
                if any(flow_change(base, scen))
                else "The first view shows the routes; "
            )
            + "<i>Whole network</i> shows the national context.",
        ),
        f"<figure>{disp_map}</figure>",
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


def index_page(
    title: str,
    entries: list[tuple[str, str, str]],
    summary_html: str,
    *,
    story: list[str] | None = None,
) -> str:
    """Return an index page: ``story`` sections, the summary, then links.

    ``entries`` are (href, label, description).
    """
    items = "".join(
        f'<li><a href="{html.escape(h)}">{html.escape(lab)}</a> — {html.escape(d)}</li>'
        for h, lab, d in entries
    )
    return page(
        title,
        "reten demo on the embedded Mexico skeleton",
        [*(story or []), summary_html, f"<h2>The full reports</h2><ul>{items}</ul>"],
    )


def _small_change_maps(cmps: list[ComparisonResult], titles: list[str]) -> Any:
    """Return side-by-side change maps with one view (pan or zoom one, all follow) and key."""
    from bokeh.layouts import column, row
    from bokeh.models import Range1d

    scale = 1e-9
    for c in cmps:
        assert c.base.routes is not None and c.scenario.routes is not None
        scale = max(
            scale,
            float(c.base.routes.arc_flow_kg.max(initial=0)),
            float(c.scenario.routes.arc_flow_kg.max(initial=0)),
        )
    xr, yr = Range1d(0, 1), Range1d(0, 1)
    builders = []
    for cmp, title in zip(cmps, titles, strict=True):
        b, s = cmp.base, cmp.scenario
        assert b.network is not None and b.routes is not None and s.routes is not None
        m = maps.MapBuilder(
            b.network, title, width=320, height=300, x_range=xr, y_range=yr, toolbar=False
        )
        m.add_states(names=False)
        m.add_roads()
        rb, rs = b.routes, s.routes
        m.add_flows(rs.arc_flow_kg - rb.arc_flow_kg, "Change (red more, blue less)", scale=scale)
        p = rs.problem
        m.add_points(
            b.network.node_lon[p.sink_node],
            b.network.node_lat[p.sink_node],
            rs.crossing_flow_kg,
            [str(x) for x in p.sink_label],
            layer="Crossings",
            unit="kg/month",
            color=maps.CROSSING,
            label_top=4,
            max_size=18,
        )
        m.width_legend(scale)
        builders.append(m)
    view = maps.common_view(builders)
    figs = [m.figure(layer_legend=False, key=False, view=view) for m in builders]
    key = maps.key_figure(max(builders, key=lambda m: len(m.key)).key, 3 * 330)
    return column(row(*figs), key)


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
        "<h2>3. Where the flow went</h2><table><thead><tr><th>scenario</th>"
        "<th>top crossings</th><th>seized kg/month</th><th>trafficker cost</th></tr>"
        "</thead><tbody>"
        + "".join(
            f"<tr><td>{html.escape(a)}</td><td class='t'>{html.escape(b)}</td><td>{c:,.1f}</td>"
            f"<td>{d:+.1%}</td></tr>"
            for a, b, c, d in rows
        )
        + "</tbody></table>"
    )
    story: list[str] = []
    base = steps[0][2]
    if base.network is not None and base.routes is not None:
        net, rb = base.network, base.routes
        story += [
            assumptions_box(
                net,
                rb,
                headline=["expected seizures, kg/month", "traffickers' cost increase"],
            ),
            "<h2>1. The baseline: where the flow goes with no new enforcement</h2>",
            f'<p class="legend">{html.escape(steps[0][1])}</p>',
            f"<figure>{route_map(net, rb, base.name)}</figure>",
        ]
        cmps = [(res, cmp, desc) for _, desc, res, cmp in steps if cmp is not None]
        if cmps:
            layout = _small_change_maps([c for _, c, _ in cmps], [r.name for r, _, _ in cmps])
            caps = "".join(
                f'<div style="flex:1">{html.escape(d)}. '
                f"Traffickers' cost {share_text(c.totals['cost_increase_share'])}; seizures "
                f"{c.totals['seized_scenario_kg']:,.1f} kg/month"
                + ("; no route moved." if c.totals["arc_flow_moved_kg_km"] == 0 else ".")
                + "</div>"
                for r, c, d in cmps
            )
            story += [
                "<h2>2. Three measures side by side: where the flow is displaced</h2>",
                '<p class="legend">Red: roads with more flow than in the baseline, blue: '
                "less; width by kg/month. Purple circles: crossings by volume. The three "
                "maps share one view: drag to pan or scroll to zoom one and the others "
                "follow.</p>",
                f'<div style="display:flex;gap:10px;font-size:12.5px">{caps}</div>',
                "<figure>" + maps.embed(layout)[0] + "</figure>",
            ]
    return index_page("reten demo", entries, table_html, story=story), rows
