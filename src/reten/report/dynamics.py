"""The simulation report: monthly series with bands over runs, as inline SVG."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np
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


def band_chart(df: pd.DataFrame, column: str, *, title: str, w: int = 520, h: int = 200) -> str:
    """Return an SVG line chart of ``column``'s median over runs with 5-95% and 25-75% bands."""
    q = df.groupby("month")[column].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    x = q.index.to_numpy(dtype=float)
    lo, hi = float(np.nanmin(q.to_numpy())), float(np.nanmax(q.to_numpy()))
    if not np.isfinite(lo):
        lo, hi = 0.0, 1.0
    if hi - lo < 1e-12:
        lo, hi = lo - 1.0, hi + 1.0
    left, right, top, bottom = 56, 10, 22, 26
    x0, x1 = float(x.min()), float(max(x.max(), x.min() + 1))

    def px(v: np.ndarray) -> np.ndarray:
        return left + (v - x0) / (x1 - x0) * (w - left - right)

    def py(v: np.ndarray) -> np.ndarray:
        return h - bottom - (v - lo) / (hi - lo) * (h - top - bottom)

    def area(a: float, b: float, fill: str) -> str:
        xs = np.concatenate([px(x), px(x[::-1])])
        ys = np.concatenate([py(q[a].to_numpy()), py(q[b].to_numpy()[::-1])])
        pts = " ".join(f"{u:.1f},{v:.1f}" for u, v in zip(xs, ys, strict=True))
        return f'<polygon points="{pts}" fill="{fill}" stroke="none"/>'

    med = " ".join(f"{u:.1f},{v:.1f}" for u, v in zip(px(x), py(q[0.5].to_numpy()), strict=True))
    ticks = "".join(
        f'<text x="{left - 4}" y="{py(np.array([v]))[0] + 4:.1f}" text-anchor="end" '
        f'font-size="10">{v:,.4g}</text>'
        for v in (lo, (lo + hi) / 2, hi)
    )
    return (
        f'<figure><svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" role="img" aria-label="{html.escape(title)}">'
        f'<text x="{left}" y="14" font-size="12" font-weight="bold">{html.escape(title)}</text>'
        + area(0.05, 0.95, "#d6eaf8")
        + area(0.25, 0.75, "#85c1e9")
        + f'<polyline points="{med}" fill="none" stroke="#1a5276" stroke-width="1.6"/>'
        + f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}" '
        'stroke="#566573"/>'
        + ticks
        + f'<text x="{left}" y="{h - 8}" font-size="10">month {x0:g}</text>'
        f'<text x="{w - right}" y="{h - 8}" font-size="10" text-anchor="end">month {x1:g}'
        "</text></svg></figure>"
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
    charts = [band_chart(df, c, title=LABELS[c]) for c in LABELS if c in df.columns]
    body = [
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
