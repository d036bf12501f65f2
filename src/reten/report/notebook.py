"""Results in Jupyter: ``_repr_html_`` summaries and offline interactive maps.

Maps are the reports' self-contained SVG (hover any route, origin or crossing for its
figures): no script and no network request, so they work offline and in any notebook
viewer. A ``basemap`` XYZ template adds online tiles under them, on request only.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reten.report.html import kpis, share_text, table

if TYPE_CHECKING:
    from reten.results import ComparisonResult, OptimizeResult, RunResult, ValidationResult
    from reten.scenario import Scenario

_STYLE = (
    "<style>.reten .kpis{display:flex;flex-wrap:wrap;gap:10px}.reten .kpi{background:#f4f6f7;"
    "border-radius:6px;padding:6px 12px}.reten .kpi b{display:block;font-size:17px}"
    ".reten .kpi span{font-size:11px;color:#566573}.reten .note{font-size:11px;color:#566573}"
    "</style>"
)


def _box(title: str, parts: list[str]) -> str:
    return (
        f'<div class="reten">{_STYLE}<h3 style="margin:4px 0">{html.escape(title)}</h3>'
        + "".join(parts)
        + "</div>"
    )


def scenario_html(sc: Scenario) -> str:
    """Return a short HTML summary of a scenario (origins, measures, models)."""
    s = sc.spec
    models: list[str] = [k for k in ("congestion", "relocation", "chain") if k in s]
    measures = ", ".join(
        f"{e['type']}{' (' + html.escape(str(e['label'])) + ')' if 'label' in e else ''}"
        for e in s.get("enforcement", [])
    )
    vol = sum(float(o["volume_kg"]) for o in s["origins"])
    return _box(
        f"Scenario: {sc.name}",
        [
            kpis(
                [
                    ("origins", str(len(s["origins"]))),
                    ("volume, kg/month", f"{vol:,.0f}"),
                    ("measures", str(len(s.get("enforcement", [])))),
                    ("models", ", ".join(models) or "routes"),
                ]
            ),
            f"<p>{html.escape(measures) if measures else 'No enforcement.'}</p>",
        ],
    )


def run_html(res: RunResult) -> str:
    """Return the HTML summary of a run: key figures and the busiest crossings."""
    s = res.summary
    cr = res.crossings
    cr = cr[cr.flow_kg > 0].sort_values(["flow_kg", "crossing"], ascending=[False, True])
    return _box(
        f"Run: {res.name}",
        [
            kpis(
                [
                    ("volume shipped, kg/month", f"{s['volume_kg']:,.0f}"),
                    ("expected seizures, kg/month", f"{s['seized_kg']:,.1f}"),
                    ("share seized", f"{s['seized_share']:.1%}"),
                    ("origins with no route", str(s["origins_without_route"])),
                ]
            ),
            table(cr, max_rows=8),
            '<p class="note">Tables: .origins, .regions, .crossings, .arcs; map: '
            ".explore(); figure: .plot(); files: .write(dir).</p>",
        ],
    )


def comparison_html(cmp: ComparisonResult) -> str:
    """Return the HTML summary of a comparison: totals and the largest regional changes."""
    t = cmp.totals
    return _box(
        f"Comparison: {cmp.name}",
        [
            kpis(
                [
                    ("traffickers' cost increase", share_text(t["cost_increase_share"])),
                    (
                        "seizures, kg/month",
                        f"{t['seized_base_kg']:,.1f} → {t['seized_scenario_kg']:,.1f}",
                    ),
                    ("regions newly on a route", f"{int(t['regions_newly_on_route'])}"),
                ]
            ),
            table(cmp.regions, max_rows=10),
        ],
    )


def optimize_html(opt: OptimizeResult) -> str:
    """Return the HTML summary of an optimisation: bounds and chosen sites."""
    from reten.report.optimize import (
        baseline_label,
        gap_text,
        increase_text,
        no_site_reason,
        objective_unit,
        report_title,
    )

    unit = objective_unit(opt.objective, _cost_unit(opt))
    why_none = no_site_reason(opt.raw)
    return _box(
        report_title(opt.baseline.name, opt.budget, opt.objective),
        [
            kpis(
                [
                    (f"value ({opt.objective}), {unit}", f"{opt.value:,.1f}"),
                    ("lower bound", f"{opt.lower_bound:,.1f}"),
                    ("upper bound", f"{opt.upper_bound:,.1f}"),
                    ("gap", gap_text(opt)),
                    ("status", opt.status),
                    (f"{baseline_label(opt.objective)}, {unit}", f"{opt.raw.baseline:,.1f}"),
                    ("change over the baseline", increase_text(opt.raw)),
                ]
            ),
            table(opt.sites, floatfmt="{:,.4f}")
            if why_none is None
            else f"<p>{html.escape(why_none)}</p>",
        ],
    )


def _cost_unit(opt: OptimizeResult) -> str | None:
    """Return the scenario's cost unit of an optimisation (None when not known)."""
    routes = getattr(opt.baseline, "routes", None)
    return getattr(getattr(routes, "problem", None), "cost_unit", None)


def validation_html(v: ValidationResult) -> str:
    """Return the HTML summary of a validation."""
    from reten.report.validation import statistic_html

    return _box(
        "Validation",
        [
            statistic_html(v),
            table(v.table, max_rows=10, floatfmt="{:,.3f}"),
        ],
    )


@dataclass(frozen=True)
class Map:
    """An offline interactive map (Bokeh): displays in Jupyter, saves as a standalone page.

    ``html`` is the map's HTML fragment; BokehJS is inlined when displayed or saved, so no
    request leaves the notebook or the file.
    """

    title: str
    html: str

    def _repr_html_(self) -> str:
        from reten.report.maps import resources_html, stable_ids

        return f'<div class="reten-map">{resources_html()}{stable_ids(self.html)}</div>'

    def save(self, path: str | Path) -> Path:
        """Write the map as a standalone HTML page and return its path."""
        from reten.report.html import page

        p = Path(path)
        p.write_text(page(self.title, "reten map", [f"<figure>{self.html}</figure>"]), "utf-8")
        return p


def run_map(res: RunResult, *, basemap: str | None = None) -> Map:
    """Return the route map of a run (width by flow; hover for figures)."""
    from reten.report.html import route_map

    net, r = res._need("explore")
    return Map(res.name, route_map(net, r, res.name, basemap=basemap))


def comparison_map(cmp: ComparisonResult, *, basemap: str | None = None) -> Map:
    """Return the displacement map: baseline, scenario and change layers (red more, blue less),
    and the change by municipality (filled when the network has outlines, else marked)."""
    from reten.report.html import region_change, route_map

    net, rb = cmp.base._need("explore")
    _, rs = cmp.scenario._need("explore")
    title = f"Displacement: {cmp.name}"
    change = region_change(net, cmp.regions)
    return Map(cmp.name, route_map(net, rs, title, basemap=basemap, base=rb, region_change=change))


def game_html(g: Any) -> str:
    """Return the HTML summary of a security game: bounds, value of randomisation, coverage."""
    from reten.report.game import key_figures

    return _box(
        f"Security game: {g.checkpoints} randomised checkpoints on {g.site_kind}",
        [
            kpis(key_figures(g.raw)),
            table(g.coverage, floatfmt="{:,.4f}"),
        ],
    )
