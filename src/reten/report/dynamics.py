"""The simulation report: monthly series with bands over runs (Bokeh, inlined)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import pandas as pd

from reten.report.html import kpis, page, provenance

if TYPE_CHECKING:
    from reten.sweep.simulate import Simulation

LABELS = {
    "volume_kg": "Volume shipped, kg/month",
    "seized_kg": "Seized, kg/month",
    "delivered_kg": "Delivered, kg/month",
    "trafficker_cost": "Trafficker cost (cost unit x kg)",
    "active_regions": "Active regions (footprint)",
    "new_regions": "Regions active that were not at month 0",
    "displaced_kg": "Flow displaced from month 0, kg",
    "routes_per_lab": "Routes per lab (fragmentation)",
}


def band_chart(df: pd.DataFrame, column: str, *, title: str, w: int = 520, h: int = 220) -> Any:
    """Return a Bokeh chart of ``column``'s median over runs with 5-95% and 25-75% bands."""
    from bokeh.models import ColumnDataSource, HoverTool, NumeralTickFormatter
    from bokeh.plotting import figure

    q = df.groupby("month")[column].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    src = ColumnDataSource(
        {
            "month": q.index.to_numpy(dtype=float),
            "q05": q[0.05].to_numpy(float),
            "q25": q[0.25].to_numpy(float),
            "q50": q[0.5].to_numpy(float),
            "q75": q[0.75].to_numpy(float),
            "q95": q[0.95].to_numpy(float),
        }
    )
    fig = figure(
        width=w,
        height=h,
        title=title,
        tools="pan,wheel_zoom,box_zoom,reset,save",
        x_axis_label="month",
        name="chart",
    )
    fig.toolbar.logo = None
    fig.title.text_font_size = "10pt"
    fig.varea("month", "q05", "q95", source=src, fill_color="#d6eaf8")
    fig.varea("month", "q25", "q75", source=src, fill_color="#85c1e9")
    r = fig.line("month", "q50", source=src, line_color="#1a5276", line_width=2)
    fig.add_tools(
        HoverTool(
            renderers=[r],
            mode="vline",
            tooltips=[
                ("month", "@month"),
                ("median", "@q50{0,0.[00]}"),
                ("25-75%", "@q25{0,0.[00]} to @q75{0,0.[00]}"),
                ("5-95%", "@q05{0,0.[00]} to @q95{0,0.[00]}"),
            ],
        )
    )
    fig.yaxis.formatter = NumeralTickFormatter(format="0,0.[00]")
    # every series is a magnitude (kg, cost, counts): from zero, so that a constant series
    # (the volume shipped) is not drawn as noise between 1,149 and 1,151
    fig.y_range.start = 0
    return fig


def _assumptions(p: dict[str, Any]) -> str:
    """The ``id="assumptions"`` box of a simulation: scenario, measures, costs, runs."""
    import json

    from reten.report.assumptions import _measure

    enf = p.get("enforcement") or []
    measures = (
        "".join(f"<li>{html.escape(_measure(e))}</li>" for e in enf) or "<li>none (baseline)</li>"
    )
    costs = ", ".join(
        f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in (p.get("costs") or {}).items()
    )
    vol = p.get("volume_source")
    vol_note = (
        f"Source of the volumes: {vol}."
        if vol
        else "No source is given for the scenario's volumes: treat them as illustrative, "
        "not estimates."
    )
    items = [
        f"<b>Scenario</b>: {html.escape(str(p.get('scenario_name', '')))} "
        f"({html.escape(str(p.get('scenario', '')))}); network hash "
        f"{html.escape(str(p.get('network_hash', ''))[:12])}. {html.escape(vol_note)}",
        f"<b>Measures</b>:<ul>{measures}</ul>",
        f"<b>Costs</b>: {html.escape(costs or 'defaults')}; risk weight "
        f"{p.get('risk_weight', '')}.",
        f"<b>Simulation</b>: {p.get('runs')} runs × {p.get('months')} months, enforcement "
        f"policy {html.escape(str(p.get('policy')))}, seed {p.get('seed')} "
        f"({html.escape(str(p.get('seed_rule', '')))}); labs relocate: "
        f"{'yes' if p.get('relocation') else 'no'}. Behavioural parameters are in the "
        "table below.",
    ]
    defs = [
        "<b>seized, kg/month</b>: shipments stopped at detection points in that month",
        "<b>footprint</b>: regions that more than the active threshold of kg/month enters",
        "<b>displaced</b>: kg/month of the volume whose traffic runs through other "
        "municipalities than in month 0 (the volume times the total-variation distance "
        "between the two months' shares of municipality traffic; at most the volume)",
        "<b>bands</b>: over runs, the median (line), 25-75% and 5-95% of the runs",
    ]
    warn = "".join(f'<p class="warn">⚠ {html.escape(str(w))}</p>' for w in p.get("ignored") or [])
    return (
        '<section id="assumptions" class="assumptions"><h2>What this report assumes</h2>'
        + warn
        + "<ul>"
        + "".join(f"<li>{x}</li>" for x in items)
        + "</ul><p><b>Figures</b></p><ul>"
        + "".join(f"<li>{x}</li>" for x in defs)
        + "</ul></section>"
    )


def _params_table(values: dict[str, Any]) -> str:
    from reten.models.dynamics import PARAMETERS

    rows = "".join(
        f"<tr><td>{x.name}</td><td>{html.escape(str(values.get(x.name, x.default)))}</td>"
        f"<td>{x.default:g}</td><td>{html.escape(x.doc)}</td><td>{html.escape(x.source)}</td></tr>"
        for x in PARAMETERS
    )
    return (
        "<table><thead><tr><th>parameter</th><th>value</th><th>default</th><th>meaning</th>"
        f"<th>source</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def simulation_html(sim: Simulation) -> str:
    """Return the self-contained HTML report of a simulation."""
    df = sim.series
    p: dict[str, Any] = sim.provenance
    last = df[df.month == df.month.max()]
    first = df[df.month == 0]
    items = [
        ("runs x months", f"{p.get('runs')} x {p.get('months')}"),
        ("policy", str(p.get("policy"))),
        ("seized, last month (median)", f"{last.seized_kg.median():,.1f} kg"),
        (
            "footprint month 0 -> last (median)",
            f"{first.active_regions.median():g} -> {last.active_regions.median():g} regions",
        ),
        ("displaced, last month (median)", f"{last.displaced_kg.median():,.1f} kg"),
    ]
    from bokeh.layouts import gridplot

    from reten.report.maps import embed

    figs = [band_chart(df, c, title=LABELS[c]) for c in LABELS if c in df.columns]
    charts = [embed(gridplot(figs, ncols=2, toolbar_location="right"))[0]] if figs else []
    body = [
        _assumptions(p),
        kpis(items),
        "<h2>Monthly series over runs</h2>",
        '<p class="note">Line: median over runs; dark band: 25-75%; light band: 5-95%.</p>',
        *charts,
        "<h2>Parameters</h2>",
        _params_table(p.get("params", {})),
        provenance(p),
    ]
    return page(
        f"Dynamics: {p.get('scenario_name', '')}",
        "Adaptive trafficking after NarcoLogic (Magliocca et al. 2019, PNAS)",
        body,
    )
