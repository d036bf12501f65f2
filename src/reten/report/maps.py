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
WIDTH, HEIGHT = 760, 540
FLOW_BASE = "#7f8c8d"
#: routes (a run's, a scenario's) in dark red; a change in flow in red (more) and blue (less):
#: two shades apart, as the captions name them (they were one colour before)
FLOW_SCEN = "#78281f"
FLOW_MORE = "#e74c3c"
FLOW_LESS = "#2e86c1"
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


def no_map_reason(net: Network) -> str | None:
    """Return why ``net`` cannot be mapped (one sentence), or None when every node has a
    position.

    A network built from an edge list without a node table (or DIMACS without ``.co``)
    knows no node's position: reten draws no map of it rather than one at made-up places.

    Examples
    --------
    >>> net = Network.from_arcs(np.array([0]), np.array([1]), np.array([5.0]),
    ...                         np.full(2, np.nan), np.full(2, np.nan))
    >>> no_map_reason(net)[:48]
    "No map: the network's nodes have no coordinates;"
    """
    if net.has_coordinates:
        return None
    missing = int(net.n_nodes - net.located.sum())
    if missing == net.n_nodes:
        what = "the network's nodes have no coordinates"
    else:
        what = f"{missing:,} of the network's {net.n_nodes:,} nodes have no coordinates"
    hint = net.coordinates_hint()
    return (
        f"No map: {what}; the tables and files hold every figure. For maps: "
        f"{hint[0].lower()}{hint[1:]}."
    )


def no_map_html(net: Network) -> str | None:
    """Return :func:`no_map_reason` as a report paragraph, or None when a map can be drawn."""
    import html

    why = no_map_reason(net)
    return None if why is None else f'<p class="note" id="no-map">{html.escape(why)}</p>'


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
    return float(max(m for m in (1, 2, 5, 10) if m * e <= v * (1 + 1e-9)) * e)


def _colour_limit(v: float) -> float:
    """Round ``v`` up to a colour-scale end whose half is a round number too."""
    if not v > 0:
        return 1.0
    e = 10 ** np.floor(np.log10(v))
    return float(min(m for m in (1, 2, 3, 4, 5, 6, 8, 10) if m * e >= v * (1 - 1e-9)) * e)


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1 else f"{v:.2g}"


def drawn(flow: Any) -> np.ndarray:
    """Return which arcs a flow layer draws: (m,) bool, ``|flow|`` above float noise
    (``1e-9`` of the largest, at least ``1e-9`` kg/month).

    Examples
    --------
    >>> drawn(np.array([0.0, 5.0, -1e-12, -2.0])).tolist()
    [False, True, False, True]
    """
    f = np.abs(np.asarray(flow, dtype=float))
    return f > 1e-9 * max(float(f.max(initial=0)), 1)


def marker_size(value: Any, vmax: float, max_size: float) -> Any:
    """Marker diameter in screen pixels: 6 px plus a part growing as ``sqrt(|value|)``.

    ``max_size`` at ``vmax``; the map and its key use this one rule.

    Examples
    --------
    >>> float(marker_size(100.0, 100.0, 26.0)), float(marker_size(25.0, 100.0, 26.0))
    (26.0, 16.0)
    """
    return 6.0 + (max_size - 6.0) * np.sqrt(np.abs(value) / max(vmax, 1e-12))


def line_width(value: Any, scale: float) -> Any:
    """Route width in screen pixels: 1 px at 0, 8 px at ``scale``, linear in ``|value|``.

    Examples
    --------
    >>> float(line_width(-500.0, 1000.0))
    4.5
    """
    return 1.0 + 7.0 * np.abs(value) / max(scale, 1e-12)


# label styles: font size (pt), colour, bold, background alpha
_STYLES = {
    "state": (8.0, "#99a3a4", False, 0.0),
    "bold": (9.0, "#17202a", True, 0.7),
    "change": (8.5, "#1b2631", True, 0.7),
    "plain": (8.5, "#1b2631", False, 0.7),
}

# label positions tried in order: (x_offset, y_offset, text_align, text_baseline); the box
# of a label at a point (sx, sy) in screen pixels (y down) follows from its sign
_SPOTS = [(6, 4, "left", "bottom"), (-6, 4, "right", "bottom"), (6, -4, "left", "top"),
          (-6, -4, "right", "top")]  # fmt: skip

# re-place the labels when the map is laid out and whenever the view changes: the rule of
# _thin(), with each label's width measured in the browser's own font
_THIN_JS = """
let fw, fh;
try {
  fw = fig.inner_width;
  fh = fig.inner_height;
} catch (e) {
  return;  // not laid out yet: the layout's own change of inner_width calls again
}
if (!(fw > 0 && fh > 0)) return;
const x0 = xr.start, x1 = xr.end, y0 = yr.start, y1 = yr.end;
const ctx = document.createElement("canvas").getContext("2d");
const rows = [];
for (const s of sources) {
  const d = s.data;
  for (let i = 0; i < d.x.length; i++) rows.push([d.prio[i], s, i]);
}
rows.sort((a, b) => a[0] - b[0]);
const kept = [];
const out = new Map(sources.map(s => [s, new Array(s.data.x.length).fill(-1)]));
for (const [p, s, i] of rows) {
  const d = s.data;
  const sx = (d.x[i] - x0) / (x1 - x0) * fw, sy = (y1 - d.y[i]) / (y1 - y0) * fh;
  if (!(sx >= 0 && sx <= fw && sy >= 0 && sy <= fh)) continue;
  ctx.font = d.font[i];
  const w = ctx.measureText(d.text[i]).width, h = 1.3 * d.fs[i];
  for (let k = 0; k < spots.length; k++) {
    const [xo, yo] = spots[k];
    const bx0 = xo > 0 ? sx + 4 : sx - 10 - w, by0 = yo > 0 ? sy - 6 - h : sy + 2;
    const b = [bx0, by0, bx0 + w + 6, by0 + h + 4];
    if (b[0] < 0 || b[2] > fw || b[1] < 0 || b[3] > fh) continue;
    if (kept.some(q => b[0] < q[2] && q[0] < b[2] && b[1] < q[3] && q[1] < b[3])) continue;
    kept.push(b);
    out.get(s)[i] = k;
    break;
  }
}
for (const s of sources) {
  const k = out.get(s), d = s.data;
  const pick = (j, c) => spots[Math.max(k[j], 0)][c];
  s.data = Object.assign({}, d, {
    a: k.map(v => (v >= 0 ? 1 : 0)),
    ba: k.map((v, j) => (v >= 0 ? d.bg[j] : 0)),
    xo: k.map((v, j) => pick(j, 0)),
    yo: k.map((v, j) => pick(j, 1)),
    align: k.map((v, j) => pick(j, 2)),
    base: k.map((v, j) => pick(j, 3)),
  });
}
"""


def _thin(
    x: np.ndarray,
    y: np.ndarray,
    text: list[str],
    fs: np.ndarray,
    prio: np.ndarray,
    view: tuple[float, float, float, float],
    frame: tuple[int, int],
) -> np.ndarray:
    """Return where to put each label in ``view``: an index into ``_SPOTS``, -1 for hidden.

    In priority order, each label takes the first of the four spots around its point whose
    box (estimated from its length and font size, in pixels) lies inside the frame and
    overlaps no label placed before; labels whose point is outside the view are hidden.
    The browser re-runs this rule with measured text widths (``_THIN_JS``) once the map is
    laid out and whenever the view changes; the estimate (0.6 em a character) is wider
    than common sans-serif fonts, so the saved page never shows overlapping labels.
    """
    x0, x1, y0, y1 = view
    fw, fh = frame
    spot = np.full(len(text), -1, dtype=np.int64)
    kept: list[tuple[float, float, float, float]] = []
    for i in np.argsort(prio, kind="stable").tolist():
        sx = (x[i] - x0) / (x1 - x0) * fw
        sy = (y1 - y[i]) / (y1 - y0) * fh
        if not (0 <= sx <= fw and 0 <= sy <= fh):
            continue
        w, h = len(text[i]) * 0.6 * fs[i], 1.3 * fs[i]
        for k, (xo, yo, _, _) in enumerate(_SPOTS):
            bx0 = sx + 4 if xo > 0 else sx - 10 - w
            by0 = sy - 6 - h if yo > 0 else sy + 2
            b = (bx0, by0, bx0 + w + 6, by0 + h + 4)
            if b[0] < 0 or b[2] > fw or b[1] < 0 or b[3] > fh:
                continue
            if any(b[0] < q[2] and q[0] < b[2] and b[1] < q[3] and q[1] < b[3] for q in kept):
                continue
            kept.append(b)
            spot[i] = k
            break
    return spot


@dataclass
class _KeyGroup:
    """One group of the map's key: a title and (kind, pixels, colour, marker, text) items."""

    title: str
    items: list[tuple[str, float, str, str, str]]


class MapBuilder:
    """One interactive map: call the ``add_*`` methods, then :meth:`figure`.

    ``width`` and ``height`` are the map frame in screen pixels; the frame is fixed so that
    one metre is the same number of pixels across and up (no distortion), label thinning
    knows the frame, and marker sizes in the key equal those on the map. ``x_range`` and
    ``y_range`` shared between maps link their views; ``toolbar=False`` hides the toolbar
    (drag still pans and the wheel still zooms).
    """

    def __init__(
        self,
        net: Network,
        title: str,
        *,
        basemap: str | None = None,
        width: int = WIDTH,
        height: int = HEIGHT,
        x_range: Any = None,
        y_range: Any = None,
        toolbar: bool = True,
    ) -> None:
        from bokeh.models import (
            BoxZoomTool,
            PanTool,
            Range1d,
            ResetTool,
            SaveTool,
            WheelZoomTool,
        )
        from bokeh.plotting import figure

        why = no_map_reason(net)
        if why is not None:
            raise ValueError(why)  # callers check no_map_html() first: never a map at NaN
        self.net = net
        self.proj = projection(net, basemap)
        wheel = WheelZoomTool()
        self.fig = figure(
            frame_width=width,
            frame_height=height,
            title=title,
            x_range=x_range if x_range is not None else Range1d(0, 1),
            y_range=y_range if y_range is not None else Range1d(0, 1),
            tools=[PanTool(), wheel, BoxZoomTool(match_aspect=True), ResetTool(), SaveTool()],
            active_scroll=wheel,
            toolbar_location="above" if toolbar else None,
            output_backend="canvas",
            name="map",
        )
        self.fig.axis.visible = False
        self.fig.grid.visible = False
        self.fig.background_fill_color = "#eaf2f8"
        self.fig.min_border_right = 8
        self.frame = (width, height)
        self.layers: list[tuple[str, list[Any]]] = []
        self.key: list[_KeyGroup] = []
        self.label_rows: list[tuple[float, float, str, float, str]] = []
        # short labels (site numbers) that share one label where their points crowd
        self.group_rows: list[tuple[float, float, str, float, str]] = []
        self.notes: list[str] = []
        self.focus_pts: list[tuple[np.ndarray, np.ndarray]] = []
        self.change_pts: list[tuple[np.ndarray, np.ndarray]] = []
        self.extent_pts: list[tuple[np.ndarray, np.ndarray]] = []
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
        # faint state names at a representative point of each (the lowest label priority)
        import shapely

        pts = [shapely.point_on_surface(g) for _, g in states]
        x, y = self.proj([p.x for p in pts], [p.y for p in pts])
        self._labels(x, y, [n for n, _ in states], prio=900, style="state")
        if source.startswith("INEGI"):
            ux, uy = self.proj([-108.0], [32.6])
            self._labels(ux, uy, ["UNITED STATES"], prio=950, style="state")

    def add_municipalities(
        self, rows: np.ndarray, values: np.ndarray, label: str, *, names: list[str] | None = None
    ) -> bool:
        """Fill municipality rows' outlines by ``values`` (diverging, with a numbered bar).

        The colour scale is fitted to the change: symmetric about zero, up to a round number
        at or above the 98th percentile of the non-zero ``|values|`` (larger values take the
        end colour). ``names`` label the most-changed municipalities with their value.
        """
        import shapely
        from bokeh.models import (
            ColorBar,
            FixedTicker,
            HoverTool,
            LinearColorMapper,
            NumeralTickFormatter,
        )
        from bokeh.palettes import RdBu11

        wkb = self.net.regions.outline_wkb
        values = np.asarray(values, dtype=float)
        nz = np.abs(values[values != 0])
        if wkb is None or rows.size == 0 or any(wkb[i] is None for i in rows):
            self._change_points(rows, values, label)
            self._change_labels(rows, values, names)
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
        lim = _colour_limit(float(np.percentile(nz, 98))) if nz.size else 1.0
        cmap = LinearColorMapper(palette=list(RdBu11), low=-lim, high=lim)
        rend = self.fig.multi_polygons(
            "xs",
            "ys",
            source=src,
            fill_color={"field": "value", "transform": cmap},
            fill_alpha=0.75,
            line_color="#566573",
            line_width=0.4,
        )
        self.fig.add_tools(
            HoverTool(
                renderers=[rend], tooltips=[("municipality", "@name"), (label, "@value{+0,0.0}")]
            )
        )
        self.fig.add_layout(
            ColorBar(
                color_mapper=cmap,
                title=label,
                title_text_font_size="8pt",
                major_label_text_font_size="8pt",
                ticker=FixedTicker(ticks=[-lim, -lim / 2, 0.0, lim / 2, lim]),
                formatter=NumeralTickFormatter(format="+0,0"),
                width=12,
                location=(0, 0),
            ),
            "right",
        )
        self.layers.append(("Municipalities: change", [rend]))
        changed = rows[values != 0]
        if changed.size:
            ctr = [shapely.from_wkb(wkb[i]).centroid for i in changed.tolist()]
            self.change_pts.append(self.proj([c.x for c in ctr], [c.y for c in ctr]))
        self._change_labels(rows, values, names)
        return True

    def _change_points(self, rows: np.ndarray, values: np.ndarray, label: str) -> None:
        """Mark changed regions that have no outline with a dot at their point (red/blue)."""
        from bokeh.models import ColumnDataSource, HoverTool

        r = self.net.regions
        ch = rows[values != 0] if rows.size else rows
        if ch.size == 0:
            return
        v = values[values != 0]
        x, y = self.proj(r.lon[ch], r.lat[ch])
        ok = np.isfinite(x) & np.isfinite(y)
        src = ColumnDataSource(
            {
                "x": x[ok],
                "y": y[ok],
                "value": v[ok],
                "name": [str(r.name[i]) for i in ch[ok].tolist()],
                "color": [FLOW_MORE if t > 0 else FLOW_LESS for t in v[ok]],
            }
        )
        rend = self.fig.scatter(
            "x", "y", source=src, size=7, fill_color="color", line_color="white", line_width=1
        )
        self.fig.add_tools(
            HoverTool(renderers=[rend], tooltips=[("region", "@name"), (label, "@value{+0,0.0}")])
        )
        self.layers.append(("Regions: change", [rend]))

    def _change_labels(self, rows: np.ndarray, values: np.ndarray, names: list[str] | None) -> None:
        """Label the most-changed regions with their name and signed change."""
        if names is None or rows.size == 0:
            return
        r = self.net.regions
        top = np.argsort(-np.abs(values), kind="stable")[:15]
        top = top[np.abs(values[top]) > 0]
        if top.size:
            x, y = self.proj(r.lon[rows[top]], r.lat[rows[top]])
            text = [f"{names[i]} {values[i]:+,.0f}" for i in top.tolist()]
            self._labels(x, y, text, prio=300, style="change")
            self.change_pts.append((x, y))

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

        ``color=None`` colours by sign (red: more, blue: less, for a change) and makes these
        arcs the first view's focus.
        """
        from bokeh.models import ColumnDataSource, HoverTool

        keep = np.flatnonzero(drawn(flow))
        if keep.size == 0:
            return scale or 1.0
        scale = scale or float(np.abs(flow[keep]).max())
        xs, ys = self._arc_lines(keep)
        f = flow[keep]
        cols = np.where(f > 0, FLOW_MORE, FLOW_LESS) if color is None else [color] * keep.size
        src = ColumnDataSource(
            {
                "xs": [x.tolist() for x in xs],
                "ys": [y.tolist() for y in ys],
                "w": line_width(f, scale).tolist(),
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
        pts = np.concatenate([np.column_stack([x, y]) for x, y in zip(xs, ys, strict=True)])
        if color is None:
            self.change_pts.append((pts[:, 0], pts[:, 1]))
            # only the signs drawn: a change that only removes flow has no red
            entries: list[Any] = []
            if (f > 0).any():
                entries.append(("line", 4.0, FLOW_MORE, "", "more than baseline"))
            if (f < 0).any():
                entries.append(("line", 4.0, FLOW_LESS, "", "less than baseline"))
            self.key.append(_KeyGroup("Change in flow", entries))
        else:
            self.extent_pts.append((pts[:, 0], pts[:, 1]))
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
        prio: float = 200,
        legend_at: str | None = None,
        label_text: list[str] | None = None,
        group_labels: bool = False,
    ) -> None:
        """Draw points sized by ``values`` (area), hover with name and value; label the top.

        Up to ``label_top`` of the largest are label candidates at priority ``prio`` (lower
        first); labels that would overlap a higher-priority one are hidden until zoomed.
        ``legend_at`` is ignored (sizes are shown in the key under the map). ``label_text``
        (one per point) replaces ``names`` on the map labels; hover shows ``names``. With
        ``group_labels`` (short labels such as site numbers), points closer than
        ``GROUP_PX`` pixels in the first view share one label listing theirs
        (:func:`group_labels`), so a crowded town shows every number.
        """
        from bokeh.models import ColumnDataSource, HoverTool

        v = np.asarray(values, dtype=float)
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        ok = np.isfinite(lon) & np.isfinite(lat)
        if not ok.any():
            return
        x, y = self.proj(lon[ok], lat[ok])
        vmax = max(float(np.abs(v[ok]).max(initial=0)), 1e-12)
        size = marker_size(v[ok], vmax, max_size)
        nm = [n for n, k in zip(names, ok, strict=True) if k]
        src = ColumnDataSource({"x": x, "y": y, "size": size, "value": v[ok], "name": nm})
        r = self.fig.scatter(
            "x",
            "y",
            source=src,
            size="size",
            marker=marker,
            fill_color=color,
            fill_alpha=0.85,
            line_color="white",
            line_width=1.0,
        )
        self.fig.add_tools(
            HoverTool(renderers=[r], tooltips=[(layer, "@name"), (unit, "@value{0,0.0}")])
        )
        self.layers.append((layer, [r]))
        top = np.argsort(-np.abs(v[ok]), kind="stable")[:label_top]
        top = top[np.abs(v[ok][top]) > 0]
        lt = nm if label_text is None else [n for n, k in zip(label_text, ok, strict=True) if k]
        self._labels(x[top], y[top], [lt[i] for i in top], prio=prio, grouped=group_labels)
        used = np.abs(v[ok]) > 0
        if used.any():
            self.extent_pts.append((x[used], y[used]))
        items = []
        # the key spans the data: its largest and smallest values (one entry when every
        # point has the same value)
        pos = np.abs(v[ok])
        pos = pos[pos > 0]
        vmin = float(pos.min()) if pos.size else vmax
        shown: set[str] = set()
        for val in sorted({float(vmax), vmin}, reverse=True):
            if val <= 0 or (unit == "units" and val < 1) or _fmt(val) in shown:
                continue  # two values that print alike (0.75 and 0.7500001) are one entry
            shown.add(_fmt(val))
            items.append(
                ("marker", float(marker_size(val, vmax, max_size)), color, marker, _fmt(val))
            )
        if items:
            self.key.append(_KeyGroup(f"{layer}, {unit}", items))

    def _labels(
        self,
        x: Any,
        y: Any,
        text: list[str],
        *,
        prio: float,
        style: str = "bold",
        grouped: bool = False,
    ) -> None:
        """Add label candidates (priority ``prio``, then their order; lower shows first)."""
        rows = self.group_rows if grouped else self.label_rows
        for k, (xi, yi, t) in enumerate(zip(list(x), list(y), text, strict=True)):
            rows.append((float(xi), float(yi), str(t), prio + k / 1000, style))

    def width_legend(self, scale: float, unit: str = "kg/month") -> None:
        """Add route widths with numbers to the key (routes drawn with ``scale``)."""
        items = [
            ("line", float(line_width(v, scale)), "#566573", "", _fmt(v))
            for v in sorted({_nice(scale), _nice(scale / 4), _nice(scale / 20)}, reverse=True)
            if v > 0
        ]
        if items:
            self.key.insert(0, _KeyGroup(f"Route width, {unit}", items))

    def set_focus(self, lon: np.ndarray, lat: np.ndarray, label: str | None = None) -> None:
        """Fit the first view to these points too (the whole network stays one click away);
        ``label`` names the button that returns to them (default: what the view shows)."""
        self.focus_pts.append(self.proj(lon, lat))
        if label is not None:
            self.focus_label = label

    # ------------------------------------------------------------------ output
    def focus_points(self) -> tuple[np.ndarray, np.ndarray, str]:
        """Return the points the first view fits, and what they are."""
        pts = self.change_pts + self.focus_pts
        what = "Where it changed" if self.change_pts else "Where the flow goes"
        what = getattr(self, "focus_label", None) or what
        if not self.change_pts:
            pts = pts + self.extent_pts
        if not pts:
            return np.zeros(0), np.zeros(0), "Whole network"
        x = np.concatenate([np.asarray(p[0], dtype=float) for p in pts])
        y = np.concatenate([np.asarray(p[1], dtype=float) for p in pts])
        return x, y, what

    def first_view(self) -> tuple[tuple[float, float, float, float], str]:
        """Return the first view's (x0, x1, y0, y1) and what it shows.

        Where the change is (changed routes and municipalities, and any points given to
        :meth:`set_focus`); with no change, where the flow is (routes, origins, used
        crossings, and the :meth:`set_focus` points); the whole network when that is not
        clearly smaller.
        """
        x, y, what = self.focus_points()
        if x.size == 0:
            return self.whole, "Whole network"
        fx = _bounds(x, y, pad=0.08, min_span=150_000.0 * self.proj.k, aspect=self.aspect)
        if (fx[1] - fx[0]) < 0.85 * (self.whole[1] - self.whole[0]):
            return fx, what
        return self.whole, "Whole network"

    def _label_sets(self, view: tuple[float, float, float, float]) -> list[Any]:
        rows = self.label_rows + group_labels(self.group_rows, view, self.frame)
        return label_layer(self.fig, rows, frame=self.frame, view=view)

    def key_figure(self, width: int | None = None) -> Any:
        """Return the map's key (Bokeh figure): widths, sizes and colours with numbers.

        Markers and lines are drawn at the map's own pixel sizes for the values shown.
        """
        return key_figure(self.key, width or self.frame[0])

    def figure(
        self,
        *,
        layer_legend: bool = True,
        key: bool = True,
        view: tuple[float, float, float, float] | None = None,
    ) -> Any:
        """Return the finished Bokeh layout: view buttons, the map, its key.

        ``view`` (x0, x1, y0, y1) replaces the first view and drops the view buttons (maps
        side by side sharing one view).
        """
        from bokeh.layouts import column, row
        from bokeh.models import Button, CustomJS, Legend, LegendItem, ScaleBar

        if layer_legend and self.layers:
            items = [LegendItem(label=n, renderers=rs) for n, rs in self.layers]
            self.fig.add_layout(
                Legend(
                    items=items,
                    title="Layers (click to hide)",
                    click_policy="hide",
                    label_text_font_size="8pt",
                    title_text_font_size="8pt",
                    location="top_left",
                ),
                "right",
            )
        self.fig.add_layout(
            ScaleBar(
                range=self.fig.x_range,
                unit="m",
                location="bottom_left",
                bar_length=0.2,
                background_fill_alpha=0.75,
                label_text_font_size="8pt",
            )
        )
        first, what = self.first_view() if view is None else (view, "")
        x0, x1, y0, y1 = first
        self.fig.x_range.start, self.fig.x_range.end = x0, x1
        self.fig.y_range.start, self.fig.y_range.end = y0, y1
        self.fig.x_range.reset_start, self.fig.x_range.reset_end = x0, x1
        self.fig.y_range.reset_start, self.fig.y_range.reset_end = y0, y1
        self._label_sets(first)
        parts: list[Any] = []
        if view is None and first != self.whole:
            b_first = Button(label=what, width=170)
            b_all = Button(label="Whole network", width=150)
            js = "xr.start=b[0];xr.end=b[1];yr.start=b[2];yr.end=b[3];"
            for b, bounds in ((b_first, first), (b_all, self.whole)):
                b.js_on_click(
                    CustomJS(
                        args={"xr": self.fig.x_range, "yr": self.fig.y_range, "b": list(bounds)},
                        code=js,
                    )
                )
            parts.append(row(b_first, b_all))
        parts.append(self.fig)
        if key and self.key:
            parts.append(self.key_figure())
        return column(*parts) if len(parts) > 1 else self.fig


GROUP_PX = 16.0
"""Points of grouped labels closer than this (pixels, first view) share one label."""


def group_labels(
    rows: list[tuple[float, float, str, float, str]],
    view: tuple[float, float, float, float],
    frame: tuple[int, int],
) -> list[tuple[float, float, str, float, str]]:
    """Return label rows with those whose points lie within ``GROUP_PX`` pixels of each
    other in ``view`` (single linkage) merged into one: their texts joined by ``", "`` in
    their order, at the point and priority of the first of them.

    Site numbers round a town are a few pixels apart in a national view: one label
    ``"2, 3, 4, 6"`` beside them shows every number where four would hide each other.

    Examples
    --------
    >>> rows = [(0.0, 0.0, "1", 100.0, "bold"), (5.0, 0.0, "2", 100.001, "bold"),
    ...         (500.0, 0.0, "3", 100.002, "bold")]
    >>> [r[2] for r in group_labels(rows, (0.0, 1000.0, -500.0, 500.0), (1000, 1000))]
    ['1, 2', '3']
    """
    if len(rows) < 2:
        return list(rows)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    x0, x1, y0, y1 = view
    px = np.column_stack(
        [
            [(r[0] - x0) / (x1 - x0) * frame[0] for r in rows],
            [(y1 - r[1]) / (y1 - y0) * frame[1] for r in rows],
        ]
    )
    pairs = cKDTree(px).query_pairs(r=GROUP_PX, output_type="ndarray")
    n = len(rows)
    g = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, comp = connected_components(g, directed=False)
    out = []
    for c in dict.fromkeys(comp.tolist()):  # in order of each group's first member
        members = [i for i in range(n) if comp[i] == c]
        first = rows[members[0]]
        out.append((first[0], first[1], ", ".join(rows[i][2] for i in members), *first[3:]))
    return out


def label_layer(
    fig: Any,
    rows: list[tuple[float, float, str, float, str]],
    *,
    frame: tuple[int, int],
    view: tuple[float, float, float, float] | None = None,
) -> list[Any]:
    """Add labels to a Bokeh figure, placed by priority so that none overlaps another.

    ``rows`` are (x, y, text, priority, style) in data units (lower priority shows first;
    style: a key of ``_STYLES``). With ``view`` (x0, x1, y0, y1) and the ``frame`` size in
    pixels the page is saved with the labels already placed (:func:`_thin`); the browser
    places them again, with measured text widths, once the figure is laid out and on every
    pan or zoom. Returns the labels' data sources.
    """
    from bokeh.models import ColumnDataSource, CustomJS, LabelSet

    if not rows:
        return []
    x = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows])
    text = [r[2] for r in rows]
    prio = np.array([r[3] for r in rows])
    fs = np.array([_STYLES[r[4]][0] * 4 / 3 for r in rows])
    spot = (
        _thin(x, y, text, fs, prio, view, frame)
        if view is not None
        else np.zeros(len(rows), dtype=np.int64)
    )
    sources = []
    for style, (pt, color, bold, bg) in _STYLES.items():
        idx = [i for i, r in enumerate(rows) if r[4] == style]
        if not idx:
            continue
        k = spot[idx]
        a = (k >= 0).astype(float)
        at = [_SPOTS[max(int(j), 0)] for j in k]
        src = ColumnDataSource(
            {
                "x": x[idx].tolist(),
                "y": y[idx].tolist(),
                "text": [text[i] for i in idx],
                "prio": prio[idx].tolist(),
                "fs": fs[idx].tolist(),
                "bg": [bg] * len(idx),
                "font": [f"{'bold ' if bold else ''}{pt * 4 / 3:g}px helvetica"] * len(idx),
                "a": a.tolist(),
                "ba": (a * bg).tolist(),
                "xo": [t[0] for t in at],
                "yo": [t[1] for t in at],
                "align": [t[2] for t in at],
                "base": [t[3] for t in at],
            }
        )
        fig.add_layout(
            LabelSet(
                x="x",
                y="y",
                text="text",
                source=src,
                text_font_size=f"{pt}pt",
                text_color=color,
                text_alpha="a",
                x_offset="xo",
                y_offset="yo",
                text_align="align",
                text_baseline="base",
                text_font_style="bold" if bold else "normal",
                background_fill_color="white",
                background_fill_alpha="ba",
                name=f"labels-{style}",
            )
        )
        sources.append(src)
    cb = CustomJS(
        args={
            "sources": sources,
            "xr": fig.x_range,
            "yr": fig.y_range,
            "fig": fig,
            "spots": [list(t) for t in _SPOTS],
        },
        code=_THIN_JS,
    )
    for rng in (fig.x_range, fig.y_range):
        rng.js_on_change("start", cb)
        rng.js_on_change("end", cb)
    fig.js_on_change("inner_width", cb)
    fig.js_on_change("inner_height", cb)
    return sources


def common_view(builders: list[MapBuilder]) -> tuple[float, float, float, float]:
    """Return one first view for maps shown side by side: fitted to all their focus points."""
    pts = [m.focus_points()[:2] for m in builders]
    x = np.concatenate([p[0] for p in pts])
    y = np.concatenate([p[1] for p in pts])
    m0 = builders[0]
    if x.size == 0:
        return m0.whole
    fx = _bounds(x, y, pad=0.08, min_span=150_000.0 * m0.proj.k, aspect=m0.aspect)
    return fx if (fx[1] - fx[0]) < 0.85 * (m0.whole[1] - m0.whole[0]) else m0.whole


def key_figure(groups: list[_KeyGroup], width: int) -> Any:
    """Return a key strip: groups side by side (wrapping), each a title over its items."""
    from bokeh.plotting import figure

    char, bold = 6.0, 7.2  # pixels per character at 8pt (regular, bold titles): estimates
    blocks = []
    for g in groups:
        glyph_w = max([it[1] if it[0] == "marker" else 28.0 for it in g.items] + [14.0])
        row_h = [max(it[1] + 4 if it[0] == "marker" else 14.0, 16.0) for it in g.items]
        gw = max(
            len(g.title) * bold, max(glyph_w, 28.0) + 6 + max(len(it[4]) for it in g.items) * char
        )
        blocks.append((g, glyph_w, row_h, gw + 28, 18 + sum(row_h)))
    x, y, line_h, placed = 6.0, 4.0, 0.0, []
    for g, glyph_w, row_h, bw, bh in blocks:
        if x + bw > width and x > 6.0:
            x, y, line_h = 6.0, y + line_h + 6, 0.0
        placed.append((g, glyph_w, row_h, x, y))
        x += bw
        line_h = max(line_h, bh)
    height = int(y + line_h + 6)
    fig = figure(
        frame_width=width,
        frame_height=max(height, 30),
        x_range=(0, width),
        y_range=(max(height, 30), 0),
        toolbar_location=None,
        tools="",
        name="key",
        min_border=0,
        outline_line_color=None,
    )
    fig.axis.visible = False
    fig.grid.visible = False
    tx: list[float] = []
    ty: list[float] = []
    tt: list[str] = []
    bold_x: list[float] = []
    bold_y: list[float] = []
    bold_t: list[str] = []
    for g, glyph_w, row_h, gx, gy in placed:
        bold_x.append(gx)
        bold_y.append(gy + 7)
        bold_t.append(g.title)
        cy = gy + 18
        for (kind, px, color, marker, text), h in zip(g.items, row_h, strict=True):
            mid = cy + h / 2
            cx = gx + glyph_w / 2
            if kind == "line":
                fig.segment(
                    [gx], [mid], [gx + 28], [mid], line_width=px, line_color=color, line_cap="round"
                )
            else:
                fig.scatter(
                    [cx],
                    [mid],
                    size=px,
                    marker=marker,
                    fill_color=color,
                    fill_alpha=0.85,
                    line_color="white",
                )
            tx.append(gx + max(glyph_w, 28.0) + 6)
            ty.append(mid)
            tt.append(text)
            cy += h
    fig.text(tx, ty, tt, text_font_size="8pt", text_baseline="middle", text_color="#34495e")
    fig.text(
        bold_x,
        bold_y,
        bold_t,
        text_font_size="8pt",
        text_font_style="bold",
        text_baseline="middle",
        text_color="#1b2631",
    )
    return fig


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
