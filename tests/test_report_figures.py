"""Static figures: the files a paper needs, at print resolution, and a clear error otherwise."""

from __future__ import annotations

import pytest

import reten
from conftest import ROOT, run_cli
from reten.errors import InputError

DEMO = ROOT / "src" / "reten" / "data" / "demo"


def test_figures_from_the_api(tmp_path):
    net = reten.load_network("default")
    base = reten.run(reten.Scenario.from_toml(DEMO / "baseline.toml"), net)
    surge = reten.run(reten.Scenario.from_toml(DEMO / "sinaloa_surge.toml"), net)
    cmp = reten.compare(base, surge)
    out = cmp.figures(tmp_path / "f", "png")
    names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert names == ["crossings.png", "displacement.png", "routes.png"]
    from PIL import Image

    w, h = Image.open(out / "displacement.png").size
    assert w >= 1800 and h >= 1000  # 300 dpi
    svg = base.figures(tmp_path / "s", "svg") / "routes.svg"
    text = svg.read_text()
    assert "Nogales crossing" in text and "km" in text and "kg/month" in text
    assert "Fuente: INEGI" in text
    with pytest.raises(InputError, match="png, svg, pdf"):
        base.figures(tmp_path / "x", "gif")
    assert not (tmp_path / "x").exists()


def test_figures_option(tmp_path):
    p = run_cli("run", str(DEMO / "baseline.toml"), "-o", str(tmp_path / "r"), "--figures", "pdf")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "r" / "figures" / "routes.pdf").read_bytes().startswith(b"%PDF")
