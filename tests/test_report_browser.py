"""Reports in a real browser: drawn, explorable, no console errors, no network request.

Needs Debian's ``chromium`` (``make browser`` installs it; ``make test`` does so first and
sets RETEN_REQUIRE_BROWSER=1 so that a missing browser fails instead of skipping). The
national comparison needs ``../shared/data`` and skips with the reason when it is absent.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import reten
from conftest import MEXICO, ROOT, need, run_cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DEMO = Path(reten.__file__).parent / "data" / "demo"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _need_browser():
    if CHROMIUM is None:
        if os.environ.get("RETEN_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is not installed (run `make browser`)")
        pytest.skip("chromium is not installed (run `make browser`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright (Python) is not installed; `pip install -e .[dev]`")
    return sync_playwright


@pytest.fixture(scope="module")
def browser():
    sync_playwright = _need_browser()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


class Opened:
    """A report opened in a page, with the console errors and every request it made."""

    def __init__(self, browser, path: Path):
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page(viewport={"width": 1300, "height": 1000})
        pg = self.page
        pg.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: self.errors.append(str(e)))
        pg.on("request", lambda r: self.requests.append(r.url))
        pg.goto(path.as_uri())
        pg.wait_for_load_state("load")
        if "data-root-id" in path.read_text(encoding="utf-8"):
            pg.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0")
            pg.wait_for_timeout(500)

    def offline_and_clean(self) -> None:
        assert self.page.locator("#assumptions").count() == 1
        assert self.errors == []
        assert all(u.startswith("file://") for u in self.requests), self.requests

    def close(self) -> None:
        self.page.close()


# every Bokeh model of the page named NAME (maps, keys, charts), as BokehJS sees it
_FIND = """(name) => {
    const out = [];
    const walk = (m) => {
        if (!m || typeof m !== "object") return;
        if (Array.isArray(m)) { m.forEach(walk); return; }
        if (m.name === name) out.push(m);
        if (m.children) walk(m.children);
        if (m.child) walk(m.child);
    };
    for (const d of Bokeh.documents) d.roots().forEach(walk);
    return out;
}"""

_MAP_MODEL = """(i) => {
    const fig = (FIND)("map")[i];
    const ann = fig.center.concat(fig.right, fig.left, fig.above, fig.below);
    const sets = ann.filter(a => a.type === "LabelSet");
    const shown = sets.map(s => s.source.data.text.filter((t, j) => s.source.data.a[j] > 0))
        .flat();
    return {
        glyphs: fig.renderers.map(r => r.glyph ? r.glyph.type : r.type),
        polygons: fig.renderers.filter(r => r.glyph && r.glyph.type === "MultiPolygons")
            .map(r => r.data_source.data.xs.length),
        labels: sets.map(s => s.source.data.text).flat(),
        shown,
        x0: fig.x_range.start, x1: fig.x_range.end, y0: fig.y_range.start, y1: fig.y_range.end,
        iw: fig.inner_width, ih: fig.inner_height,
        colorbar: ann.some(a => a.type === "ColorBar"),
        legends: ann.filter(a => a.type === "Legend").map(l => l.items.map(i => i.label.value))
            .flat(),
        scalebar: ann.some(a => a.type === "ScaleBar"),
    };
}""".replace("FIND", _FIND)

# the boxes of the shown labels, measured in the browser's font (screen pixels, y down)
_LABEL_BOXES = """(i) => {
    const fig = (FIND)("map")[i];
    const ctx = document.createElement("canvas").getContext("2d");
    const fw = fig.inner_width, fh = fig.inner_height;
    const [x0, x1, y0, y1] = [fig.x_range.start, fig.x_range.end, fig.y_range.start,
                              fig.y_range.end];
    const boxes = [];
    for (const s of fig.center.filter(a => a.type === "LabelSet")) {
        const d = s.source.data;
        for (let j = 0; j < d.x.length; j++) {
            if (!(d.a[j] > 0)) continue;
            ctx.font = d.font[j];
            const w = ctx.measureText(d.text[j]).width, h = d.fs[j];
            const sx = (d.x[j] - x0) / (x1 - x0) * fw + d.xo[j];
            const sy = (y1 - d.y[j]) / (y1 - y0) * fh - d.yo[j];
            const left = d.align[j] === "left" ? sx : sx - w;
            const top = d.base[j] === "bottom" ? sy - h : sy;
            boxes.push([d.text[j], left, top, left + w, top + h]);
        }
    }
    return boxes;
}""".replace("FIND", _FIND)


def _overlaps(boxes) -> list[tuple[str, str]]:
    out = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if min(a[3], b[3]) - max(a[1], b[1]) > 0.5 and min(a[4], b[4]) - max(a[2], b[2]) > 0.5:
                out.append((a[0], b[0]))
    return out


def _frame_origin(page, i: int = 0) -> tuple[float, float]:
    """The i-th map's frame: its top-left corner in the viewport (CSS pixels)."""
    page.evaluate("(i) => Bokeh.index.find_one((" + _FIND + ")('map')[i]).el.scrollIntoView()", i)
    page.wait_for_timeout(200)
    return tuple(
        page.evaluate(
            "(i) => { const v = Bokeh.index.find_one((" + _FIND + ")('map')[i]); "
            "const r = v.el.getBoundingClientRect(); "
            "return [r.left + v.frame.bbox.left, r.top + v.frame.bbox.top]; }",
            i,
        )
    )


def _check_map(page, *, state_name: str, crossing_word: str = "crossing"):
    """A map renders with outlines, labels, a key and a scale bar; zoom and hover work."""
    m = page.evaluate(_MAP_MODEL, 0)
    assert "MultiPolygons" in m["glyphs"]  # state outlines
    assert "MultiLine" in m["glyphs"]  # routes
    assert state_name in m["labels"]
    assert any(crossing_word in t for t in m["shown"]), m["shown"]
    assert m["scalebar"] and "States" in m["legends"]
    # one metre is as many pixels across as up: the map is not stretched
    mx, my = (m["x1"] - m["x0"]) / m["iw"], (m["y1"] - m["y0"]) / m["ih"]
    assert abs(mx / my - 1) < 0.01, (mx, my)
    boxes = page.evaluate(_LABEL_BOXES, 0)
    assert len(boxes) >= 3 and _overlaps(boxes) == []
    # the key under the map: sizes and widths with numbers
    keys = page.evaluate(
        "(f) => (" + _FIND + ")('key').map(k => k.renderers.map(r => r.glyph.type))", None
    )
    assert keys and "Scatter" in keys[0] and "Segment" in keys[0]
    return m


def _zoom_and_hover(page, m, *, hover_at=None, expect: str | None = None):
    """Wheel zoom narrows the x range and keeps labels apart; hover shows a tooltip."""
    left, top = _frame_origin(page)
    cx, cy = left + m["iw"] / 2, top + m["ih"] / 2
    page.mouse.move(cx, cy)
    page.mouse.wheel(0, -400)
    page.wait_for_timeout(500)
    z = page.evaluate(_MAP_MODEL, 0)
    assert z["x1"] - z["x0"] < m["x1"] - m["x0"]
    assert _overlaps(page.evaluate(_LABEL_BOXES, 0)) == []  # labels re-placed after zooming
    page.mouse.wheel(0, 400)  # back out
    page.wait_for_timeout(400)
    z = page.evaluate(_MAP_MODEL, 0)
    probe = (
        "() => [...document.querySelectorAll('*')].filter(e => e.shadowRoot)"
        ".map(e => [...e.shadowRoot.querySelectorAll('.bk-tooltip-content')]).flat()"
        ".map(t => t.innerText).join(' | ')"
    )
    if hover_at is not None:
        # hover over a named place: the tooltip names it
        x, y = hover_at
        sx = left + (x - z["x0"]) / (z["x1"] - z["x0"]) * z["iw"]
        sy = top + (z["y1"] - y) / (z["y1"] - z["y0"]) * z["ih"]
        page.mouse.move(sx + 3, sy + 3)
        page.mouse.move(sx, sy)
        page.wait_for_timeout(300)
        text = page.evaluate(probe)
        assert expect in text, text
        return
    for dy in range(int(-m["ih"] / 2) + 20, int(m["ih"] / 2) - 20, 30):
        for dx in range(int(-m["iw"] / 2) + 20, int(m["iw"] / 2) - 20, 30):
            page.mouse.move(cx + dx, cy + dy)
            page.wait_for_timeout(30)
            if "kg/month" in page.evaluate(probe):
                return
    pytest.fail("no tooltip appeared over the map")


# ------------------------------------------------------------------ the demo and every kind


@pytest.fixture(scope="module")
def demo_dir(demo_output):
    return demo_output[0]  # `reten demo`, run once per test process (conftest.py)


@pytest.fixture(scope="module")
def reports(demo_dir, tmp_path_factory):
    """One report of every kind: run, compare, optimize, validate, dynamics, demo index."""
    root = tmp_path_factory.mktemp("kinds")
    # in-process (the CLI's own report writers; the demo above covers the CLI)
    opt = reten.optimize(str(DEMO / "baseline.toml"), budget=2).write(root / "opt")
    obs = root / "observed.csv"
    rng = np.random.default_rng(0)
    obs.write_text(
        "cve_ent,rate\n" + "".join(f"{i:02d},{rng.uniform(1, 50):.2f}\n" for i in range(1, 33))
    )
    val = reten.validate(
        str(demo_dir / "baseline"), obs, region_col="cve_ent", value_col="rate", level="state"
    ).write(root / "val")
    from reten.sweep import simulate, write_simulation

    sim = write_simulation(
        simulate(str(DEMO / "sinaloa_surge.toml"), months=3, runs=2, seed=1), root / "sim"
    )
    cc = root / "cc.toml"  # congestion (the convergence chart) and the precursor leg (a map)
    cc.write_text(
        (DEMO / "baseline.toml").read_text(encoding="utf-8")
        + "\n[congestion]\nalpha = 500.0\ncrossing_capacity_kg = 300\n"
        + '\n[chain]\nseaports = ["Manzanillo", "Lázaro Cárdenas"]\n',
        encoding="utf-8",
    )
    reten.run(str(cc)).write(root / "cc")
    return {
        "run": demo_dir / "baseline" / "report.html",
        "run (congestion, chain)": root / "cc" / "report.html",
        "compare": demo_dir / "both_vs_baseline" / "report.html",
        "optimize": opt / "report.html",
        "validate": val / "validation.html",
        "dynamics": sim / "report.html",
        "demo index": demo_dir / "index.html",
    }


KINDS = [
    "run",
    "run (congestion, chain)",
    "compare",
    "optimize",
    "validate",
    "dynamics",
    "demo index",
]


@pytest.mark.parametrize("kind", KINDS)
def test_every_report_kind_opens_offline(browser, reports, kind):
    """Assumptions box, charts drawn with data, no console error, no request off file://."""
    o = Opened(browser, reports[kind])
    o.offline_and_clean()
    # every chart has drawn data (bars, points or lines)
    n = o.page.evaluate(
        "() => (" + _FIND + ")('chart').map(f => f.renderers.filter(r => r.data_source && "
        "Object.values(r.data_source.data)[0] && Object.values(r.data_source.data)[0].length "
        "> 0).length)"
    )
    assert all(k > 0 for k in n), n
    expected = {"run": 1, "run (congestion, chain)": 2, "compare": 1, "optimize": 2}
    assert len(n) >= expected.get(kind, 0) + (4 if kind == "dynamics" else 0)
    if kind == "run (congestion, chain)":  # the precursor leg is a second map
        assert o.page.evaluate("() => (" + _FIND + ")('map').length") == 2
    o.close()


@pytest.mark.parametrize("page_path", ["baseline/report.html", "both_vs_baseline/report.html"])
def test_demo_maps_render_zoom_and_hover(browser, demo_dir, page_path):
    o = Opened(browser, demo_dir / page_path)
    m = _check_map(o.page, state_name="Sinaloa")
    _zoom_and_hover(o.page, m)
    o.offline_and_clean()
    o.close()


def test_demo_index_tells_the_story(browser, demo_dir):
    """The baseline map, three linked change maps with one key, the table, the links."""
    o = Opened(browser, demo_dir / "index.html")
    maps = o.page.evaluate("() => (" + _FIND + ")('map').map(f => f.x_range.id)")
    assert len(maps) == 4 and len(set(maps[1:])) == 1  # the three small maps share one view
    assert o.page.evaluate("() => (" + _FIND + ")('key').length") == 2
    assert o.page.eval_on_selector_all("a", "els => els.length") >= 7
    for i in range(4):
        assert _overlaps(o.page.evaluate(_LABEL_BOXES, i)) == []
    o.offline_and_clean()
    o.close()


# ------------------------------------------------------------------ the national comparison


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    """The national example's comparison (DCW roads, INEGI municipalities), built once."""
    need(MEXICO / "MEX_roads.shp")
    root = tmp_path_factory.mktemp("national")
    net = root / "network"
    p = run_cli(
        "network",
        "build",
        "--lines",
        str(MEXICO / "MEX_roads.shp"),
        "--snap-m",
        "50",
        "--largest-component",
        "--regions",
        str(need(MEXICO / "mx_admin_2020.gpkg")),
        "--regions-layer",
        "municipios",
        "--regions-code",
        "CVEGEO",
        "--ports",
        str(need(MEXICO / "us_mexico_land_ports_bts.csv")),
        "--terminal-max-km",
        "50",
        "-o",
        str(net),
    )
    assert p.returncode == 0, p.stderr
    ex = ROOT / "examples" / "mexico_national"
    tomls = []
    for name in ("baseline.toml", "crackdown.toml"):
        text = (ex / name).read_text(encoding="utf-8")
        text = text.replace('path = "../../out/mexico_national/network"', f'path = "{net}"')
        (root / name).write_text(text, encoding="utf-8")
        tomls.append(root / name)
    cmp = reten.compare(str(tomls[0]), str(tomls[1]))
    cmp.write(root / "compare")
    return root / "compare" / "report.html", reten.load_network(str(net))


def test_national_comparison_in_browser(browser, national):
    """Outlines, labels where the change is, colour scale, zoom and hover over Canelas."""
    path, net = national
    o = Opened(browser, path)
    m = _check_map(o.page, state_name="Durango", crossing_word="")
    # state outlines and a municipality choropleth with a numbered colour bar
    assert len(m["polygons"]) >= 2 and max(m["polygons"]) >= 20 and m["colorbar"]
    # the first view is where the change is: Canelas (Durango) inside, and far smaller
    # than the country (the national context is one click away)
    rows = net.regions.index()
    canelas = rows["10002"]
    import shapely

    from reten.report.maps import projection

    pt = shapely.point_on_surface(shapely.from_wkb(net.regions.outline_wkb[canelas]))
    cx, cy = projection(net, None)(pt.x, pt.y)
    assert m["x0"] < cx < m["x1"] and m["y0"] < cy < m["y1"]
    nx, _ = projection(net, None)(net.node_lon, net.node_lat)
    assert (m["x1"] - m["x0"]) < 0.6 * (nx.max() - nx.min())
    assert any(t.startswith("Canelas +") for t in m["shown"]), m["shown"]
    assert o.page.get_by_role("button", name="Whole network").count() == 1
    # hover over Canelas names it
    _zoom_and_hover(o.page, m, hover_at=(float(cx), float(cy)), expect="Canelas")
    o.offline_and_clean()
    o.close()
