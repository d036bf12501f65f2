"""Static matplotlib figures of results (``pip install 'reten[plot]'``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from reten.errors import InputError

if TYPE_CHECKING:
    from reten.results import ComparisonResult, RunResult


def _axes(ax: Any) -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the install
        raise InputError("plot() needs matplotlib: pip install 'reten[plot]'") from None
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 6))
    return ax


def _need_geometry(arcs: Any) -> None:
    """Raise InputError when no arc has a geometry: there is no map to draw."""
    if not (len(arcs) and bool(arcs.geometry.notna().any())):
        raise InputError(
            "nothing to plot: the network's nodes have no coordinates (from a node table "
            "--nodes id,lon,lat for an edge list, the .co file next to a DIMACS .gr, or "
            "lon/lat attributes of NetworkX nodes), so no road has a position"
        )


def _segments(arcs: Any, keep: np.ndarray) -> list[np.ndarray]:
    import shapely

    geoms = arcs.geometry.to_numpy()[keep]
    return [np.asarray(shapely.get_coordinates(g)) for g in geoms]


def plot_run(res: RunResult, *, ax: Any = None, max_width: float = 6.0) -> Any:
    """Draw roads (grey), routes (red, width by flow), origins and crossings; return the Axes.

    Works for a run and for a run directory read back (it uses the tables only).

    Raises
    ------
    InputError
        No arc has a geometry (a network without node coordinates): nothing to draw.
    """
    from matplotlib.collections import LineCollection

    arcs = res.arcs
    _need_geometry(arcs)
    ax = _axes(ax)
    flow = arcs.flow_kg.to_numpy(float)
    ax.add_collection(
        LineCollection(_segments(arcs, np.ones(len(arcs), bool)), colors="#c8ced3", linewidths=0.4)
    )
    used = flow > 0
    if used.any():
        w = 0.6 + max_width * flow[used] / flow[used].max()
        ax.add_collection(
            LineCollection(_segments(arcs, used), colors="#c0392b", linewidths=w, label="flow")
        )
    o = res.origins
    ax.scatter(o.lon, o.lat, s=30, marker="s", color="#f39c12", zorder=3, label="origins")
    ax.autoscale()
    ax.set_aspect(1 / np.cos(np.deg2rad(float(np.nanmean(o.lat)) if len(o) else 0.0)))
    ax.set_title(res.name)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.legend(loc="lower left", fontsize=8)
    return ax


def plot_comparison(cmp: ComparisonResult, *, ax: Any = None, max_width: float = 6.0) -> Any:
    """Draw the change in flow per arc: red where it grew, blue where it shrank."""
    from matplotlib.collections import LineCollection

    a, b = cmp.base.arcs, cmp.scenario.arcs
    _need_geometry(a)
    ax = _axes(ax)
    delta = b.flow_kg.to_numpy(float) - a.flow_kg.to_numpy(float)
    ax.add_collection(
        LineCollection(_segments(a, np.ones(len(a), bool)), colors="#c8ced3", linewidths=0.4)
    )
    top = float(np.abs(delta).max()) if delta.size else 0.0
    for mask, color, label in ((delta > 0, "#c0392b", "more"), (delta < 0, "#2471a3", "less")):
        if mask.any():
            w = 0.6 + max_width * np.abs(delta[mask]) / top
            ax.add_collection(
                LineCollection(_segments(a, mask), colors=color, linewidths=w, label=label)
            )
    ax.autoscale()
    ax.set_title(f"Displacement: {cmp.name}")
    ax.legend(loc="lower left", fontsize=8)
    return ax
