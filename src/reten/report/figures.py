"""Static figures for papers: the main maps and charts as PNG, SVG or PDF (matplotlib).

Each map has the state outlines (the coast and the US border with them), labelled origins,
crossings and most-changed municipalities, a legend of line widths with numbers and a
scale bar; files are written at 300 dpi.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from reten.atomic import atomic_dir
from reten.errors import InputError
from reten.report.maps import _nice, state_outlines

if TYPE_CHECKING:
    from reten.network.model import Network
    from reten.results import ComparisonResult, RunResult

FORMATS = ("png", "svg", "pdf")
DPI = 300


def _check(fmt: str) -> None:
    if fmt not in FORMATS:
        # named for both callers: fmt= in Python, --figures on the command line
        raise InputError(
            f"figure format {fmt!r} (fmt, --figures): give one of {', '.join(FORMATS)}"
        )


def _states(ax: Any, net: Network | None) -> str:
    if net is None:
        return ""
    import shapely

    states, source = state_outlines(net)
    for _, g in states:
        for poly in getattr(g, "geoms", [g]):
            if isinstance(poly, shapely.Polygon):
                x, y = poly.exterior.xy
                ax.fill(x, y, facecolor="#fbfcfc", edgecolor="#909497", linewidth=0.4, zorder=0)
    return source


def _scale_bar(ax: Any) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    lat = (y0 + y1) / 2
    km_per_deg = 111.32 * np.cos(np.radians(lat))
    km = _nice((x1 - x0) * km_per_deg / 5)
    deg = km / km_per_deg
    xs, ys = x0 + 0.04 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    ax.plot([xs, xs + deg], [ys, ys], color="black", linewidth=2.5, zorder=6)
    ax.text(
        xs + deg / 2, ys + 0.015 * (y1 - y0), f"{km:,.0f} km", ha="center", fontsize=7, zorder=6
    )


def _width_legend(ax: Any, top: float, max_width: float, title: str) -> None:
    from matplotlib.lines import Line2D

    vals = sorted({_nice(top), _nice(top / 4), _nice(top / 20)} - {0.0}, reverse=True)
    handles = [
        Line2D(
            [], [], color="#566573", linewidth=0.6 + max_width * v / top, label=f"{v:,.0f} kg/month"
        )
        for v in vals
    ]
    leg = ax.legend(
        handles=handles,
        title=title,
        loc="lower right",
        fontsize=7,
        title_fontsize=7,
        framealpha=0.85,
    )
    ax.add_artist(leg)


def _label(ax: Any, x: Any, y: Any, text: list[str], **kw: Any) -> None:
    for xi, yi, t in zip(x, y, text, strict=True):
        if np.isfinite(xi) and np.isfinite(yi):
            ax.annotate(
                t, (xi, yi), xytext=(4, 3), textcoords="offset points", fontsize=6.5, zorder=7, **kw
            )


def _finish(ax: Any, lat: float, source: str) -> None:
    ax.set_aspect(1 / np.cos(np.radians(lat)))
    ax.set_xticks([])
    ax.set_yticks([])
    _scale_bar(ax)
    if source:
        ax.text(
            0.99,
            0.99,
            f"State outlines: {source}",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=5.5,
            color="#566573",
        )


def run_figure(res: RunResult, *, max_width: float = 6.0) -> Any:
    """Return the routes map of a run as a matplotlib Figure."""
    import matplotlib.pyplot as plt

    from reten.report.plot import plot_run

    fig, ax = plt.subplots(figsize=(8, 6.2))
    source = _states(ax, res.network)
    plot_run(res, ax=ax, max_width=max_width)
    cr, o = res.crossings, res.origins
    top = float(res.arcs.flow_kg.max()) if len(res.arcs) else 0.0
    if top > 0:
        _width_legend(ax, top, max_width, "route width")
    if res.network is not None:
        net = res.network
        idx = net.node_index()
        used = cr[cr.flow_kg > 0]
        nodes = np.array([idx[k] for k in used.node], dtype=np.int64)
        ax.scatter(
            net.node_lon[nodes],
            net.node_lat[nodes],
            s=20 + 200 * used.share,
            color="#8e44ad",
            zorder=4,
            label="crossings",
        )
        _label(ax, net.node_lon[nodes], net.node_lat[nodes], list(used.crossing), weight="bold")
    big = o.nlargest(4, "volume_kg")
    _label(ax, big.lon.to_numpy(), big.lat.to_numpy(), list(big.origin))
    _finish(ax, float(np.nanmean(o.lat)) if len(o) else 0.0, source)
    return fig


def comparison_figure(cmp: ComparisonResult, *, max_width: float = 6.0) -> Any:
    """Return the displacement map of a comparison as a matplotlib Figure."""
    import matplotlib.pyplot as plt

    from reten.report.plot import plot_comparison

    fig, ax = plt.subplots(figsize=(8, 6.2))
    net = cmp.base.network
    source = _states(ax, net)
    plot_comparison(cmp, ax=ax, max_width=max_width)
    delta = cmp.scenario.arcs.flow_kg.to_numpy(float) - cmp.base.arcs.flow_kg.to_numpy(float)
    top = float(np.abs(delta).max()) if delta.size else 0.0
    if top > 0:
        _width_legend(ax, top, max_width, "change in flow")
    if net is not None:
        reg = cmp.regions
        reg = reg[(reg.level == "municipality") & (reg.delta_kg != 0)]
        reg = reg.reindex(reg.delta_kg.abs().sort_values(ascending=False).index).head(6)
        rows = net.regions.index()
        r = np.array([rows[c] for c in reg.region], dtype=np.int64)
        _label(
            ax,
            net.regions.lon[r],
            net.regions.lat[r],
            [f"{n} {d:+,.0f}" for n, d in zip(reg.name, reg.delta_kg, strict=True)],
        )
    o = cmp.base.origins
    _finish(ax, float(np.nanmean(o.lat)) if len(o) else 0.0, source)
    return fig


def crossings_figure(cmp: ComparisonResult) -> Any:
    """Return the crossing shares before and after as a horizontal bar chart."""
    import matplotlib.pyplot as plt

    c = cmp.crossings
    used = c[(c.flow_kg_base > 0) | (c.flow_kg_scenario > 0)]
    b = used.flow_kg_base / max(float(c.flow_kg_base.sum()), 1e-12)
    s = used.flow_kg_scenario / max(float(c.flow_kg_scenario.sum()), 1e-12)
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * len(used)))
    y = np.arange(len(used))
    ax.barh(y - 0.2, b, height=0.4, color="#7f8c8d", label="baseline")
    ax.barh(y + 0.2, s, height=0.4, color="#c0392b", label="scenario")
    ax.set_yticks(y, list(used.crossing), fontsize=8)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel("share of volume")
    ax.set_title(f"Crossing shares: {cmp.name}", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def write_figures(result: RunResult | ComparisonResult, out: str | Path, fmt: str = "png") -> Path:
    """Write a result's main figures into directory ``out`` (atomically); return it.

    A run gives ``routes.FMT``; a comparison ``displacement.FMT``, ``crossings.FMT`` and
    the scenario's ``routes.FMT``. The maps (``routes``, ``displacement``) are left out
    when no road has a position (a network without node coordinates); a run then has no
    figure and ``out`` is not written.

    Raises
    ------
    InputError
        An unknown format.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from reten.results import ComparisonResult

    _check(fmt)
    figs: dict[str, Any] = {}
    run = result.scenario if isinstance(result, ComparisonResult) else result
    mappable = bool(run.arcs.geometry.notna().any()) if len(run.arcs) else False
    if isinstance(result, ComparisonResult):
        if mappable:
            figs["displacement"] = comparison_figure(result)
        figs["crossings"] = crossings_figure(result)
    if mappable:
        figs["routes"] = run_figure(run)
    if not figs:
        return Path(out)
    meta = {"Creator": "reten"} if fmt == "pdf" else ({"Date": None} if fmt == "svg" else {})
    with atomic_dir(out) as tmp:
        for name, fig in figs.items():
            fig.savefig(tmp / f"{name}.{fmt}", dpi=DPI, bbox_inches="tight", metadata=meta or None)
            plt.close(fig)
    return Path(out)
