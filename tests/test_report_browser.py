"""The demo report in a real browser: drawn, no console errors, no network request.

Needs Debian's ``chromium`` (``make browser`` installs it; ``make test`` does so first and
sets RETEN_REQUIRE_BROWSER=1 so that a missing browser fails instead of skipping).
"""

from __future__ import annotations

import os
import shutil

import pytest

from conftest import run_cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


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
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "demo"
    proc = run_cli("demo", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize(
    "page_path", ["index.html", "baseline/report.html", "both_vs_baseline/report.html"]
)
def test_report_renders_offline(demo_dir, page_path):
    sync_playwright = _need_browser()
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto((demo_dir / page_path).as_uri())
        page.wait_for_load_state("load")
        assert page.locator("#assumptions").count() == 1
        if page_path != "index.html":
            _check_map(page)
            bars = page.eval_on_selector_all(
                "svg.chart rect.bar", "els => els.filter(e => e.getBBox().width > 0).length"
            )
            assert bars > 0
        else:
            assert page.eval_on_selector_all("a", "els => els.length") >= 7
        browser.close()
    assert errors == []
    assert all(u.startswith("file://") for u in requests), requests


def _map_model(page):
    """The first Bokeh map's figure as seen by BokehJS: renderers, labels, ranges."""
    return page.evaluate(
        """() => {
        const doc = Bokeh.documents[0];
        const fig = doc.roots().map(r => r.children ? r.children.map(c => c[0] || c)
                                          : [r]).flat().find(m => m.x_range);
        const glyphs = fig.renderers.map(r => r.glyph ? r.glyph.type : r.type);
        const labels = fig.center.concat(fig.right, fig.left)
            .filter(a => a.type === "LabelSet")
            .map(a => a.source.data.text).flat();
        return {glyphs, labels, x0: fig.x_range.start, x1: fig.x_range.end,
                legends: fig.center.filter(a => a.type === "Legend")
                   .map(l => l.items.map(i => i.label.value)).flat(),
                scalebar: fig.center.concat(fig.below).some(a => a.type === "ScaleBar")};
    }"""
    )


def _check_map(page):
    """A map renders with outlines and labels; wheel zoom and hover work."""
    page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0")
    page.wait_for_selector("div.bk-Figure, div[class*=bk-Figure], .bk-root, div[data-root-id]")
    m = _map_model(page)
    assert "MultiPolygons" in m["glyphs"]  # state outlines
    assert "MultiLine" in m["glyphs"]  # routes
    assert any("crossing" in t for t in m["labels"])  # top crossings labelled
    assert "Sinaloa" in m["labels"]  # state names
    assert "Crossings" in m["legends"] and any("kg/month" in t for t in m["legends"])
    assert m["scalebar"]
    canvas = page.locator("canvas").first
    canvas.scroll_into_view_if_needed()
    page.wait_for_timeout(200)
    box = canvas.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 200
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    # zoom: the wheel narrows the x range
    page.mouse.move(cx, cy)
    page.mouse.wheel(0, -400)
    page.wait_for_timeout(400)
    z = _map_model(page)
    assert z["x1"] - z["x0"] < m["x1"] - m["x0"]
    # hover: moving over the map shows a tooltip (over a route, an origin or a crossing)
    probe = (
        "() => [...document.querySelectorAll('*')].some(e => e.shadowRoot && "
        "e.shadowRoot.querySelector('.bk-tooltip-row-label, .bk-tooltip-content'))"
    )
    shown = False
    for dy in range(int(-box["height"] / 2) + 20, int(box["height"] / 2) - 20, 30):
        for dx in range(int(-box["width"] / 2) + 20, int(box["width"] / 2) - 20, 30):
            page.mouse.move(cx + dx, cy + dy)
            page.wait_for_timeout(30)
            if page.evaluate(probe):
                shown = True
                break
        if shown:
            break
    assert shown, "no tooltip appeared over the map"
