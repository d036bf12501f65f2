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
        if page_path != "index.html":
            maps = page.eval_on_selector_all(
                "svg.map", "els => els.map(e => e.getBoundingClientRect().width)"
            )
            assert maps and min(maps) > 100
            drawn = page.eval_on_selector_all("svg.map g.flows path", "els => els.length")
            assert drawn > 0
            bars = page.eval_on_selector_all(
                "svg.chart rect.bar", "els => els.filter(e => e.getBBox().width > 0).length"
            )
            assert bars > 0
        else:
            assert page.eval_on_selector_all("a", "els => els.length") >= 7
        browser.close()
    assert errors == []
    assert all(u.startswith("file://") for u in requests), requests
