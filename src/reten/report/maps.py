"""Interactive, fully offline maps (Bokeh, resources inlined): place, explore, layers.

Every map draws state outlines (the embedded INEGI 2020 states for Mexican networks, else
the network's own region outlines), the roads, and labelled origins and crossings; widths,
sizes and colours have legends with numbers, and a scale bar gives distances. Layers are
toggled by clicking their legend entry; hover shows names and values; wheel zoom and pan
work, and a button switches between the first view (fitted to where the change is) and
the whole network.

Coordinates are a Mercator projection scaled by ``cos(lat0)`` (``lat0``: the centre of the
network), so the scale bar is true at the centre latitude (within a few per cent across
Mexico). With a basemap the coordinates are plain Web Mercator, as tiles require, and the
tiles carry their attribution.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import urlparse

import numpy as np

from reten.network.model import Network

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PID = re.compile(r'"p\d+"')
R_EARTH = 6378137.0
WIDTH, HEIGHT = 980, 620
FLOW_BASE = "#7f8c8d"
FLOW_SCEN = "#c0392b"
ORIGIN = "#e67e22"
CROSSING = "#8e44ad"
SITE = "#17202a"
STATE_EDGE = "#85929e"


@dataclass(frozen=True)
class Projection:
    """lon/lat -> metres: Mercator scaled by ``k`` (``k = cos(lat0)``, 1 for Web Mercator)."""

    k: float

    def __call__(self, lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
        lon = np.asarray(lon, dtype=float)
        lat = np.clip(np.asarray(lat, dtype=float), -85.0, 85.0)
        x = R_EARTH * np.radians(lon) * self.k
        y = R_EARTH * np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * self.k
        return x, y


def projection(net: Network, basemap: str | None) -> Projection:
    """Return the map projection for ``net`` (Web Mercator with a basemap)."""
    if basemap or net.n_nodes == 0:
        return Projection(1.0)
    lat0 = float(np.nanmedian(net.node_lat))
    return Projection(float(np.cos(np.radians(lat0))))


@functools.lru_cache(maxsize=1)
def _mx_states() -> list[tuple[str, str, Any]]:
    """The embedded simplified INEGI 2020 state outlines: (code, name, shapely geometry)."""
    import shapely

    text = resources.files("reten.data").joinpath("mx_states.geojson").read_text("utf-8")
    out = []
    for f in json.loads(text)["features"]:
        geom = shapely.geometry.shape(f["geometry"])
        out.append((f["properties"]["cve_ent"], f["properties"]["name"], geom))
    return out


def state_outlines(net: Network) -> tuple[list[tuple[str, Any]], str]:
    """Return ``[(name, geometry)]`` of the states to draw, and their source.

    The network's own state (or top-level) outlines when it carries them; else the
    embedded INEGI 2020 states when the network's regions are Mexican states (codes
    ``01``..``32``); else none.
    """
    import shapely

    r = net.regions
    if r.outline_wkb is not None and len(r):
        top = [i for i in range(len(r)) if r.parent[i] < 0 and r.outline_wkb[i] is not None]
        if top:
            return [(str(r.name[i]), shapely.from_wkb(r.outline_wkb[i])) for i in top], (
                "the network's own region outlines"
            )
    codes = {str(c) for c, lv in zip(r.code, r.level, strict=True) if str(lv) == "state"}
    mx = _mx_states()
    if codes and len(codes & {c for c, _, _ in mx}) >= max(1, len(codes) // 2):
        return [(n, g) for _, n, g in mx], "INEGI Marco Geoestadístico 2020 (Fuente: INEGI)"
    return [], ""


def _rings(geom: Any, proj: Projection) -> tuple[list[Any], list[Any]]:
    """Bokeh multi_polygons nesting for one (multi)polygon: [[[xs], holes...]] per polygon."""
    import shapely

    xs: list[Any] = []
    ys: list[Any] = []
    parts = getattr(geom, "geoms", [geom])
    for poly in parts:
        if not isinstance(poly, shapely.Polygon) or poly.is_empty:
            continue
        rx, ry = [], []
        for ring in [poly.exterior, *poly.interiors]:
            c = np.asarray(ring.coords)
            x, y = proj(c[:, 0], c[:, 1])
            rx.append(x.tolist())
            ry.append(y.tolist())
        xs.append(rx)
        ys.append(ry)
    return xs, ys


def _polys_source(items: list[tuple[Any, dict[str, Any]]], proj: Projection) -> Any:
    from bokeh.models import ColumnDataSource

    cols: dict[str, list[Any]] = {"xs": [], "ys": []}
    for geom, attrs in items:
        x, y = _rings(geom, proj)
        cols["xs"].append([x])
        cols["ys"].append([y])
        for k, v in attrs.items():
            cols.setdefault(k, []).append(v)
    # multi_polygons nests: polygons -> [exterior, holes] -> coords
    cols["xs"] = [c[0] for c in cols["xs"]]
    cols["ys"] = [c[0] for c in cols["ys"]]
    return ColumnDataSource(cols)


def _nice(v: float) -> float:
    """Round ``v`` down to 1, 2 or 5 times a power of ten."""
    if not v > 0:
        return 0.0
    e = 10 ** np.floor(np.log10(v))
    return float(max(m for m in (1, 2, 5, 10) if m * e <= v) * e)


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1 else f"{v:.2g}"


class MapBuilder:
    """One interactive map: call the ``add_*`` methods, then :meth:`figure`."""

    def __init__(
        self,
        net: Network,
        title: str,
        *,
        basemap: str | None = None,
        width: int = WIDTH,
        height: int = HEIGHT,
    ) -> None:
        from bokeh.plotting import figure

        self.net = net
        self.proj = projection(net, basemap)
        self.fig = figure(
            width=width,
            height=height,
            title=title,
            tools="pan,wheel_zoom,box_zoom,reset,save",
            active_scroll="wheel_zoom",
            match_aspect=True,
            sizing_mode="scale_width",
            output_backend="canvas",
        )
        self.fig.axis.visible = False
        self.fig.grid.visible = False
        self.fig.background_fill_color = "#eaf2f8"
        self.layers: list[tuple[str, list[Any]]] = []
        self.sizes: list[tuple[str, Any]] = []
        self.labels: list[Any] = []
        self.notes: list[str] = []
        self.focus: tuple[np.ndarray, np.ndarray] | None = None
        self.aspect = width / height
        x, y = self.proj(net.node_lon, net.node_lat)
        self.whole = _bounds(x, y, aspect=self.aspect)
        if basemap:
            self._basemap(basemap)

    # ------------------------------------------------------------------ context
    def _basemap(self, url: str) -> None:
        from bokeh.models import WMTSTileSource

        host = urlparse(url.replace("{", "").replace("}", "")).netloc or url
        attribution = (
            "© OpenStreetMap contributors"
            if "openstreetmap" in host
            else f"Map tiles: {host} (see the provider's terms)"
        )
        self.fig.add_tile(WMTSTileSource(url=url, attribution=attribution))
        self.notes.append(f"Basemap tiles from {host}; {attribution}.")

    def add_states(self, *, names: bool = True) -> None:
        """Draw state outlines (and with them the coast and the US border)."""
        states, source = state_outlines(self.net)
        if not states:
            return
        src = _polys_source([(g, {"name": n}) for n, g in states], self.proj)
        r = self.fig.multi_polygons(
            "xs",
            "ys",
            source=src,
            fill_color="#fdfefe",
            fill_alpha=0.9,
            line_color=STATE_EDGE,
            line_width=0.8,
        )
        self.layers.append(("States", [r]))
        self.notes.append(f"State outlines: {source}.")
        if not names:
            return
        # faint state names at a representative point of each
        import shapely

        pts = [shapely.point_on_surface(g) for _, g in states]
        x, y = self.proj([p.x for p in pts], [p.y for p in pts])
        self._labels(x, y, [n for n, _ in states], color="#a6acaf", size="8pt")

    def add_municipalities(self, rows: np.ndarray, values: np.ndarray, label: str) -> bool:
        """Fill municipality rows' outlines by ``values`` (diverging, with a numbered bar)."""
        import shapely
        from bokeh.models import ColorBar, HoverTool, LinearColorMapper
        from bokeh.palettes import RdBu11

        wkb = self.net.regions.outline_wkb
        if wkb is None or rows.size == 0 or any(wkb[i] is None for i in rows):
            return False
        r = self.net.regions
        items = [
            (
                shapely.from_wkb(wkb[i]),
                {
                    "name": str(r.name[i])
                    + (f", {r.name[r.parent[i]]}" if r.parent[i] >= 0 else ""),
                    "value": float(v),
                },
            )
            for i, v in zip(rows.tolist(), values.tolist(), strict=True)
        ]
        src = _polys_source(items, self.proj)
        lim = max(float(np.abs(values).max()) if values.size else 1.0, 1e-9)
        cmap = LinearColorMapper(palette=list(RdBu11), low=-lim, high=lim)
        rend = self.fig.multi_polygons(
            "xs",
            "ys",
            source=src,
            fill_color={"field": "value", "transform": cmap},
            fill_alpha=0.75,
            line_color="#566573",
            line_width=0.3,
        )
        self.fig.add_tools(
            HoverTool(
                renderers=[rend], tooltips=[("municipality", "@name"), (label, "@value{+0,0.0}")]
            )
        )
        self.fig.add_layout(
            ColorBar(color_mapper=cmap, title=label, width=10, location=(0, 0)), "right"
        )
        self.layers.append(("Municipalities: change", [rend]))
        return True

    def add_roads(self) -> None:
        """Draw every road as a thin grey line (one glyph)."""
        xs, ys = self._arc_lines(np.arange(self.net.n_arcs))
        if not xs:
            return
        x = np.concatenate([np.append(a, np.nan) for a in xs])
        y = np.concatenate([np.append(b, np.nan) for b in ys])
        r = self.fig.line(x, y, line_color="#b3b6b7", line_width=0.6)
        self.layers.append(("Roads", [r]))

    def _arc_lines(self, arcs: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        xs, ys = [], []
        for a in arcs.tolist():
            g = self.net.arc_geometry(a)
            x, y = self.proj(g[:, 0], g[:, 1])
            xs.append(x)
            ys.append(y)
        return xs, ys

    # ------------------------------------------------------------------ data layers
    def add_flows(
        self, flow: np.ndarray, name: str, *, color: str | None = None, scale: float | None = None
    ) -> float:
        """Draw arcs with ``flow`` (kg/month) != 0, width by |flow|; return the width scale.

        ``color=None`` colours by sign (red: more, blue: less, for a change).
        """
        from bokeh.models import ColumnDataSource, HoverTool

        keep = np.flatnonzero(np.abs(flow) > 1e-9 * max(float(np.abs(flow).max(initial=0)), 1))
        if keep.size == 0:
            return scale or 1.0
        scale = scale or float(np.abs(flow[keep]).max())
        xs, ys = self._arc_lines(keep)
        f = flow[keep]
        cols = np.where(f > 0, FLOW_SCEN, "#2e86c1") if color is None else [color] * keep.size
        src = ColumnDataSource(
            {
                "xs": [x.tolist() for x in xs],
                "ys": [y.tolist() for y in ys],
                "w": (1.0 + 7.0 * np.abs(f) / scale).tolist(),
                "flow": f.tolist(),
                "color": list(cols),
                "road": [
                    f"{_place(self.net, self.net.arc_source[a])} → "
                    f"{_place(self.net, self.net.arc_target[a])}"
                    for a in keep.tolist()
                ],
            }
        )
        r = self.fig.multi_line(
            "xs",
            "ys",
            source=src,
            line_width="w",
            line_color="color",
            line_alpha=0.8,
            line_cap="round",
        )
        fmt = "{+0,0.0}" if color is None else "{0,0.0}"
        self.fig.add_tools(
            HoverTool(
                renderers=[r],
                tooltips=[("layer", name), ("road", "@road"), ("kg/month", f"@flow{fmt}")],
                line_policy="interp",
            )
        )
        self.layers.append((name, [r]))
        self.sizes.append(("width", scale))
        pts = np.concatenate([np.column_stack([x, y]) for x, y in zip(xs, ys, strict=True)])
        if color is None:
            self.focus = (pts[:, 0], pts[:, 1])
        return scale

    def add_points(
        self,
        lon: np.ndarray,
        lat: np.ndarray,
        values: np.ndarray,
        names: list[str],
        *,
        layer: str,
        unit: str,
        color: str,
        marker: str = "circle",
        label_top: int = 8,
        max_size: float = 26.0,
        legend_at: str = "bottom_right",
    ) -> None:
        """Draw points sized by ``values`` (area), hover with name and value; label the top."""
        from bokeh.models import ColumnDataSource, HoverTool

        v = np.asarray(values, dtype=float)
        ok = np.isfinite(lon) & np.isfinite(lat)
        if not ok.any():
            return
        x, y = self.proj(lon[ok], lat[ok])
        vmax = max(float(np.abs(v[ok]).max(initial=0)), 1e-12)
        size = 6 + (max_size - 6) * np.sqrt(np.abs(v[ok]) / vmax)
        nm = [n for n, k in zip(names, ok, strict=True) if k]
        src = ColumnDataSource({"x": x, "y": y, "size": size, "value": v[ok], "name": nm})
        r = self.fig.scatter(
            "x",
            "y",
            source=src,
            size="size",
            marker=marker,
            fill_color=color,
            fill_alpha=0.8,
            line_color="white",
            line_width=1.0,
        )
        self.fig.add_tools(
            HoverTool(renderers=[r], tooltips=[(layer, "@name"), (unit, "@value{0,0.0}")])
        )
        self.layers.append((layer, [r]))
        top = np.argsort(-np.abs(v[ok]), kind="stable")[:label_top]
        top = top[np.abs(v[ok][top]) > 0]
        self._labels(x[top], y[top], [nm[i] for i in top], color="#17202a", size="9pt", bold=True)
        pos = np.abs(v[ok])
        pos = pos[pos > 0]
        vmin = float(pos.min()) if pos.size else vmax
        self._size_legend(layer, unit, vmax, max_size, color, marker, legend_at, vmin=vmin)

    def _labels(
        self, x: Any, y: Any, text: list[str], *, color: str, size: str, bold: bool = False
    ) -> None:
        from bokeh.models import ColumnDataSource, LabelSet

        if not len(text):
            return
        ls = LabelSet(
            x="x",
            y="y",
            text="text",
            source=ColumnDataSource({"x": list(x), "y": list(y), "text": text}),
            text_font_size=size,
            text_color=color,
            x_offset=6,
            y_offset=4,
            text_font_style="bold" if bold else "normal",
            background_fill_color="white" if bold else None,
            background_fill_alpha=0.6,
        )
        self.fig.add_layout(ls)
        self.labels.append(ls)

    def _size_legend(
        self,
        layer: str,
        unit: str,
        vmax: float,
        max_size: float,
        color: str,
        marker: str,
        legend_at: str = "bottom_right",
        *,
        vmin: float | None = None,
    ) -> None:
        """Add the size legend: the data's largest and smallest values (one entry when
        every point has the same value), so the legend spans what the map shows."""
        from bokeh.models import Legend, LegendItem

        items = []
        lo = vmax if vmin is None else vmin
        for v in sorted({vmax, lo}, reverse=True):
            if v <= 0 or (unit == "units" and v < 1):
                continue
            s = 6 + (max_size - 6) * np.sqrt(v / vmax)
            r = self.fig.scatter(
                [np.nan], [np.nan], size=s, marker=marker, fill_color=color, line_color="white"
            )
            items.append(LegendItem(label=f"{_fmt(v)} {unit}", renderers=[r]))
        if items:
            self.fig.add_layout(
                Legend(
                    items=items,
                    title=layer,
                    location=legend_at,
                    label_text_font_size="8pt",
                    title_text_font_size="8pt",
                    background_fill_alpha=0.7,
                ),
            )

    def width_legend(self, scale: float, unit: str = "kg/month") -> None:
        """Add a legend of line widths with numbers (routes drawn with ``scale``)."""
        from bokeh.models import Legend, LegendItem

        items = []
        for v in sorted({_nice(scale), _nice(scale / 4), _nice(scale / 20)}, reverse=True):
            if v <= 0:
                continue
            r = self.fig.line(
                [np.nan, np.nan],
                [np.nan, np.nan],
                line_width=1.0 + 7.0 * v / scale,
                line_color="#566573",
            )
            items.append(LegendItem(label=f"{_fmt(v)} {unit}", renderers=[r]))
        self.fig.add_layout(
            Legend(
                items=items,
                title="route width",
                location="bottom_left",
                label_text_font_size="8pt",
                title_text_font_size="8pt",
                background_fill_alpha=0.7,
            ),
        )

    def set_focus(self, lon: np.ndarray, lat: np.ndarray, label: str = "Where it changed") -> None:
        """Fit the first view to these points (the whole network stays one click away);
        ``label`` names the button that returns to them."""
        x, y = self.proj(lon, lat)
        self.focus = (x, y)
        self.focus_label = label

    # ------------------------------------------------------------------ output
    def figure(self, *, layer_legend: bool = True) -> Any:
        """Return the finished Bokeh layout (map, layer legend, view buttons, scale bar)."""
        from bokeh.layouts import column, row
        from bokeh.models import Button, CustomJS, Legend, LegendItem, ScaleBar

        items = [LegendItem(label=n, renderers=rs) for n, rs in self.layers]
        leg = Legend(
            items=items,
            title="layers (click to hide)",
            location="top_right",
            click_policy="hide",
            label_text_font_size="8pt",
            title_text_font_size="8pt",
            background_fill_alpha=0.8,
        )
        if layer_legend:
            self.fig.add_layout(leg)
        self.fig.add_layout(
            ScaleBar(
                range=self.fig.x_range,
                unit="m",
                location="bottom_center",
                bar_length=0.18,
                background_fill_alpha=0.7,
            )
        )
        whole = self.whole
        first = whole
        if self.focus is not None and self.focus[0].size:
            fx = _bounds(
                *self.focus, pad=0.12, min_span=150_000.0 * self.proj.k, aspect=self.aspect
            )
            # the changed area when it is clearly smaller than the network
            if (fx[1] - fx[0]) < 0.85 * (whole[1] - whole[0]):
                first = fx
        x0, x1, y0, y1 = first
        self.fig.x_range.start, self.fig.x_range.end = x0, x1
        self.fig.y_range.start, self.fig.y_range.end = y0, y1
        if first == whole:
            return self.fig
        b_all = Button(label="Whole network", width=140)
        b_first = Button(label=getattr(self, "focus_label", "Where it changed"), width=140)
        js = "xr.start=b[0];xr.end=b[1];yr.start=b[2];yr.end=b[3];"
        b_all.js_on_click(
            CustomJS(
                args={"xr": self.fig.x_range, "yr": self.fig.y_range, "b": list(whole)}, code=js
            )
        )
        b_first.js_on_click(
            CustomJS(
                args={"xr": self.fig.x_range, "yr": self.fig.y_range, "b": list(first)}, code=js
            )
        )
        return column(row(b_first, b_all), self.fig, sizing_mode="scale_width")


def _place(net: Network, node: int) -> str:
    return str(net.node_name[node] or net.node_key[node])


def _bounds(
    x: np.ndarray,
    y: np.ndarray,
    *,
    pad: float = 0.04,
    min_span: float = 0.0,
    aspect: float = WIDTH / HEIGHT,
) -> tuple[float, float, float, float]:
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return (-1.0, 1.0, -1.0, 1.0)
    x0, x1 = float(x[ok].min()), float(x[ok].max())
    y0, y1 = float(y[ok].min()), float(y[ok].max())
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hw = max((x1 - x0) * (1 + 2 * pad), min_span, 1.0) / 2
    hh = max((y1 - y0) * (1 + 2 * pad), min_span, 1.0) / 2
    # keep the map's aspect (WIDTH x HEIGHT) so match_aspect does not undo the fit
    if hw / hh < aspect:
        hw = hh * aspect
    else:
        hh = hw / aspect
    return (cx - hw, cx + hw, cy - hh, cy + hh)


def embed(*layouts: Any) -> list[str]:
    """Return one HTML fragment per layout (script + div); the page inlines BokehJS once."""
    from bokeh.embed import components

    script, divs = components(list(layouts))
    return [script + divs[0], *divs[1:]]


def stable_ids(text: str) -> str:
    """Return ``text`` with Bokeh's ids numbered in order of appearance.

    Bokeh names documents by random UUIDs and models by a counter over the process
    ("p1234"); numbering both from the start of the page makes the same result give the
    same bytes (ids stay unique within the page).
    """
    seen: dict[str, str] = {}

    def _id(m: re.Match[str]) -> str:
        return seen.setdefault(m.group(0), f"00000000-0000-4000-8000-{len(seen):012d}")

    ids: dict[str, str] = {}

    def _pid(m: re.Match[str]) -> str:
        return ids.setdefault(m.group(0), f'"p{1000 + len(ids)}"')

    return _PID.sub(_pid, _UUID.sub(_id, text))


def resources_html() -> str:
    """Return BokehJS inlined as ``<script>`` tags (no request outside the file)."""
    from bokeh.resources import Resources

    # the core and widgets bundles only (no WebGL, tables or MathJax): ~1.3 MB
    res = Resources(mode="inline", components=["bokeh", "bokeh-widgets"])
    return str(res.render_js())
