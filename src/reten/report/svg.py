"""Inline SVG maps and bar charts drawn from the network's own geometry (no tiles, no JS)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np

from reten.network.model import Network

WIDTH = 900.0


def mercator_y(lat: Any) -> Any:
    """Web Mercator northing of latitudes, in radians of the projected sphere."""
    phi = np.radians(np.clip(np.asarray(lat, dtype=float), -85.0, 85.0))
    return np.log(np.tan(np.pi / 4 + phi / 2))


@dataclass(frozen=True)
class Frame:
    """A Web Mercator projection of a lon/lat box onto an SVG canvas (so that an optional
    tile basemap lines up with the network)."""

    lon0: float
    lat1: float
    kx: float
    ky: float
    width: float
    height: float

    @classmethod
    def fit(cls, lon: np.ndarray, lat: np.ndarray, width: float = WIDTH) -> Frame:
        lo0, lo1 = float(np.nanmin(lon)), float(np.nanmax(lon))
        la0, la1 = float(np.nanmin(lat)), float(np.nanmax(lat))
        pad_x = max((lo1 - lo0) * 0.03, 0.01)
        pad_y = max((la1 - la0) * 0.03, 0.01)
        lo0, lo1, la0, la1 = lo0 - pad_x, lo1 + pad_x, la0 - pad_y, la1 + pad_y
        kx = width / (lo1 - lo0)  # pixels per degree of longitude
        ky = kx * 180.0 / np.pi  # pixels per unit of Mercator northing
        height = float((mercator_y(la1) - mercator_y(la0)) * ky)
        return cls(lo0, la1, kx, ky, width, height)

    def xy(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = (np.asarray(lon) - self.lon0) * self.kx
        y = (mercator_y(self.lat1) - mercator_y(lat)) * self.ky
        return x, y

    @property
    def lon1(self) -> float:
        return self.lon0 + self.width / self.kx

    @property
    def lat0(self) -> float:
        y = mercator_y(self.lat1) - self.height / self.ky
        return float(np.degrees(2 * np.arctan(np.exp(y)) - np.pi / 2))


def basemap_layer(frame: Frame, url_template: str, max_tiles: int = 64) -> str:
    """Return ``<image>`` tiles from an XYZ tile server (``{z}/{x}/{y}`` in the template).

    Only used when a person asks for it: it makes the report fetch tiles when opened.
    """
    span = frame.lon1 - frame.lon0
    z = int(np.clip(np.floor(np.log2(frame.width / 256.0 * 360.0 / span)), 0, 18))
    while True:
        n = 2**z
        x0 = int(np.floor((frame.lon0 + 180) / 360 * n))
        x1 = int(np.floor((frame.lon1 + 180) / 360 * n))

        def ty(lat: float, n: int = n) -> int:
            return int(np.floor((1 - float(mercator_y(lat)) / np.pi) / 2 * n))

        y0, y1 = ty(frame.lat1), ty(frame.lat0)
        if (x1 - x0 + 1) * (y1 - y0 + 1) <= max_tiles or z == 0:
            break
        z -= 1
    parts = ['<g class="basemap" opacity="0.55">']
    for tx in range(x0, x1 + 1):
        for tyy in range(y0, y1 + 1):
            lon_a = tx / n * 360 - 180
            lon_b = (tx + 1) / n * 360 - 180
            lat_a = float(np.degrees(np.arctan(np.sinh(np.pi * (1 - 2 * tyy / n)))))
            lat_b = float(np.degrees(np.arctan(np.sinh(np.pi * (1 - 2 * (tyy + 1) / n)))))
            xa, ya = frame.xy(np.array([lon_a]), np.array([lat_a]))
            xb, yb = frame.xy(np.array([lon_b]), np.array([lat_b]))
            href = html.escape(url_template.format(z=z, x=tx, y=tyy))
            parts.append(
                f'<image href="{href}" x="{xa[0]:.1f}" y="{ya[0]:.1f}" '
                f'width="{xb[0] - xa[0]:.1f}" height="{yb[0] - ya[0]:.1f}" '
                'preserveAspectRatio="none"/>'
            )
    parts.append("</g>")
    return "".join(parts)


def _poly(frame: Frame, pts: np.ndarray) -> str:
    x, y = frame.xy(pts[:, 0], pts[:, 1])
    return "M" + "L".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y, strict=True))


def network_frame(net: Network) -> Frame:
    """Return the frame that fits the whole network."""
    return Frame.fit(net.node_lon, net.node_lat)


def roads_layer(net: Network, frame: Frame) -> str:
    """Return one grey path with every road once (an arc and its reverse drawn once)."""
    rev = net.arc_id(net.arc_target, net.arc_source)
    once = (rev < 0) | (np.arange(net.n_arcs) < rev)
    d = "".join(_poly(frame, net.arc_geometry(int(e))) for e in np.flatnonzero(once))
    return f'<path class="roads" d="{d}" fill="none" stroke="#c8c8c8" stroke-width="0.8"/>'


def flow_layer(
    net: Network, frame: Frame, flow: np.ndarray, *, color: str, label: str, unit: str = "kg"
) -> str:
    """Return paths for arcs with non-zero ``flow``, width by flow (both directions summed)."""
    rev = net.arc_id(net.arc_target, net.arc_source)
    both = flow + np.where(rev >= 0, flow[np.maximum(rev, 0)], 0.0)
    once = (rev < 0) | (np.arange(net.n_arcs) < rev)
    sel = np.flatnonzero(once & (np.abs(both) > 1e-9))
    if sel.size == 0:
        return ""
    top = float(np.abs(both[sel]).max())
    parts = [f'<g class="flows" data-layer="{html.escape(label)}">']
    for e in sel[np.argsort(np.abs(both[sel]), kind="stable")]:
        w = 1.0 + 9.0 * np.sqrt(abs(both[e]) / top)
        c = color if color != "delta" else ("#c0392b" if both[e] > 0 else "#2e86c1")
        parts.append(
            f'<path d="{_poly(frame, net.arc_geometry(int(e)))}" fill="none" stroke="{c}" '
            f'stroke-width="{w:.2f}" stroke-linecap="round" stroke-opacity="0.85">'
            f"<title>{both[e]:+,.1f} {unit}</title></path>"
        )
    parts.append("</g>")
    return "".join(parts)


def points_layer(
    frame: Frame,
    lon: np.ndarray,
    lat: np.ndarray,
    size: np.ndarray,
    labels: list[str],
    *,
    color: str,
    cls: str,
    max_r: float = 14.0,
    square: bool = False,
) -> str:
    """Return circles (or squares) sized by ``size`` (area proportional), with tooltips."""
    if len(labels) == 0:
        return ""
    x, y = frame.xy(lon, lat)
    s = np.abs(np.asarray(size, dtype=float))
    top = float(s.max()) if s.size and s.max() > 0 else 1.0
    out = [f'<g class="{cls}">']
    for i in np.argsort(-s, kind="stable"):
        r = 2.0 + max_r * np.sqrt(s[i] / top)
        c = color if color != "delta" else ("#c0392b" if size[i] > 0 else "#2e86c1")
        t = html.escape(labels[i])
        if square:
            out.append(
                f'<rect x="{x[i] - r / 2:.1f}" y="{y[i] - r / 2:.1f}" width="{r:.1f}" '
                f'height="{r:.1f}" fill="{c}" stroke="#222" stroke-width="0.5">'
                f"<title>{t}</title></rect>"
            )
        else:
            out.append(
                f'<circle cx="{x[i]:.1f}" cy="{y[i]:.1f}" r="{r:.1f}" fill="{c}" '
                f'fill-opacity="0.75" stroke="#222" stroke-width="0.6">'
                f"<title>{t}</title></circle>"
            )
    out.append("</g>")
    return "".join(out)


def svg(frame: Frame, layers: list[str], title: str, *, basemap: str | None = None) -> str:
    """Return a complete ``<svg class="map">`` element.

    ``basemap``: an XYZ tile URL template drawn under the layers (None: offline, no tiles).
    """
    if basemap:
        layers = [basemap_layer(frame, basemap), *layers]
    return (
        f'<svg class="map" role="img" aria-label="{html.escape(title)}" '
        f'viewBox="0 0 {frame.width:.0f} {frame.height:.0f}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg"><rect width="100%" height="100%" '
        f'fill="#f7f9fb"/>{"".join(layers)}</svg>'
    )


def bar_chart(
    categories: list[str],
    series: dict[str, np.ndarray],
    *,
    title: str,
    fmt: str = "{:.0%}",
    colors: tuple[str, ...] = ("#7f8c8d", "#c0392b"),
) -> str:
    """Return a horizontal grouped bar chart as ``<svg class="chart">``."""
    n = len(categories)
    k = len(series)
    bar_h, gap, left, width = 9.0, 6.0, 190.0, 640.0
    row_h = k * bar_h + gap
    h = 30 + n * row_h + 20
    vals = np.array([np.asarray(v, float) for v in series.values()]) if k else np.zeros((0, n))
    top = float(vals.max()) if vals.size and vals.max() > 0 else 1.0
    out = [
        f'<svg class="chart" role="img" aria-label="{html.escape(title)}" '
        f'viewBox="0 0 {left + width + 80:.0f} {h:.0f}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    for j, name in enumerate(series):
        out.append(
            f'<rect x="{left + j * 120:.0f}" y="4" width="10" height="10" '
            f'fill="{colors[j % len(colors)]}"/><text x="{left + 14 + j * 120:.0f}" y="13" '
            f'font-size="11">{html.escape(name)}</text>'
        )
    for i, cat in enumerate(categories):
        y0 = 30 + i * row_h
        out.append(
            f'<text x="{left - 6:.0f}" y="{y0 + k * bar_h / 2 + 4:.1f}" font-size="11" '
            f'text-anchor="end">{html.escape(cat)}</text>'
        )
        for j in range(k):
            v = float(vals[j, i])
            w = width * v / top
            out.append(
                f'<rect class="bar" x="{left:.0f}" y="{y0 + j * bar_h:.1f}" '
                f'width="{max(w, 0.5):.1f}" height="{bar_h - 1:.1f}" '
                f'fill="{colors[j % len(colors)]}"><title>{html.escape(cat)}: '
                f"{fmt.format(v)}</title></rect>"
                f'<text x="{left + w + 4:.1f}" y="{y0 + j * bar_h + bar_h - 2:.1f}" '
                f'font-size="9">{fmt.format(v)}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def gap_chart(history: list[tuple[int, float, float]], *, title: str) -> str:
    """Return a line chart of log10(relative gap) against iteration as ``<svg class="chart">``."""
    w, h, pad = 640.0, 300.0, 50.0
    rows = [(i, g) for i, g, _ in history if np.isfinite(g)]
    if not rows:
        return (
            f'<svg class="chart convergence" role="img" aria-label="{html.escape(title)}" '
            f'viewBox="0 0 {w:.0f} 40" width="100%" xmlns="http://www.w3.org/2000/svg">'
            '<text x="10" y="24" font-size="12">no finite gap to draw (the cost curve '
            "overflowed: see the convergence table)</text></svg>"
        )
    it = np.array([r[0] for r in rows], dtype=float)
    lg = np.log10(np.maximum([r[1] for r in rows], 1e-16))
    lo, hi = float(np.floor(lg.min())), float(np.ceil(lg.max())) if lg.size else 0.0
    hi = max(hi, lo + 1)
    x1 = max(float(it.max()) if it.size else 1.0, 2.0)
    xs = pad + (it - 1) / (x1 - 1) * (w - pad - 10)
    ys = 10 + (hi - lg) / (hi - lo) * (h - pad - 10)
    pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys, strict=True))
    ticks = "".join(
        f'<text x="{pad - 6:.0f}" y="{10 + (hi - e) / (hi - lo) * (h - pad - 10) + 4:.1f}" '
        f'font-size="10" text-anchor="end">1e{int(e)}</text>'
        for e in np.arange(lo, hi + 1)
    )
    return (
        f'<svg class="chart convergence" role="img" aria-label="{html.escape(title)}" '
        f'viewBox="0 0 {w:.0f} {h:.0f}" width="100%" xmlns="http://www.w3.org/2000/svg">'
        f'<line x1="{pad}" y1="{h - pad}" x2="{w - 10}" y2="{h - pad}" stroke="#555"/>'
        f'<line x1="{pad}" y1="10" x2="{pad}" y2="{h - pad}" stroke="#555"/>{ticks}'
        f'<polyline class="bar" points="{pts}" fill="none" stroke="#c0392b" '
        f'stroke-width="2"/><text x="{w / 2:.0f}" y="{h - 15:.0f}" font-size="11" '
        f'text-anchor="middle">iteration (last: {int(x1)})</text></svg>'
    )


def _ring_path(frame: Frame, ring: Any) -> str:
    xy = np.asarray(ring.coords)
    return _poly(frame, xy) + "Z"


def _geom_path(frame: Frame, wkb: bytes) -> str:
    import shapely

    g = shapely.from_wkb(wkb)
    parts = []
    for poly in getattr(g, "geoms", [g]):
        if poly.is_empty:
            continue
        parts.append(_ring_path(frame, poly.exterior))
        parts.extend(_ring_path(frame, r) for r in poly.interiors)
    return "".join(parts)


def outline_layer(frame: Frame, wkbs: np.ndarray) -> str:
    """Return the region outlines as one light path (context under the roads)."""
    d = "".join(_geom_path(frame, b) for b in wkbs if b is not None)
    return f'<path class="outlines" d="{d}" fill="none" stroke="#d5dbdb" stroke-width="0.4"/>'


def choropleth_layer(frame: Frame, wkbs: np.ndarray, values: np.ndarray, labels: list[str]) -> str:
    """Return regions filled by value: red above zero, blue below, opacity by size."""
    vals = np.asarray(values, dtype=float)
    top = float(np.abs(vals).max()) if vals.size and np.abs(vals).max() > 0 else 1.0
    out = ['<g class="choropleth">']
    for b, v, lab in zip(wkbs, vals, labels, strict=True):
        if b is None or v == 0:
            continue
        c = "#c0392b" if v > 0 else "#2e86c1"
        op = 0.15 + 0.75 * np.sqrt(abs(v) / top)
        out.append(
            f'<path d="{_geom_path(frame, b)}" fill="{c}" fill-opacity="{op:.2f}" '
            f'fill-rule="evenodd" stroke="#7f8c8d" stroke-width="0.3">'
            f"<title>{html.escape(lab)}</title></path>"
        )
    out.append("</g>")
    return "".join(out)
