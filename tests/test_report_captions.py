"""A map's caption names only what the map draws (no grey or blue when no route moved)."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace as NS

import numpy as np
import pytest

import reten
from reten.report.html import flow_legend

NET = reten.load_network("default")
ORIGIN = {"origins": [{"municipality": "Culiacán", "volume_kg": 100}]}
COSTS = {"costs": {"mode": "length_km"}}
#: one crossing only: a unit there raises the cost but moves no route
ONE_CROSSING = {**ORIGIN, "destinations": [{"port": "Nogales"}], **COSTS}


def _legends(path) -> list[str]:
    return re.findall(r'<p class="legend">(.*?)</p>', path.read_text(encoding="utf-8"), re.S)


def _map_caption(path, starts: str) -> str:
    (got,) = [c for c in _legends(path) if c.startswith(starts)]
    return got


def test_optimize_caption_when_no_route_moved(tmp_path):
    opt = reten.optimize(reten.Scenario.from_dict(ONE_CROSSING), NET, budget=1, sites="crossings")
    assert opt.comparison.totals["arc_flow_moved_kg_km"] == 0.0  # nothing moved indeed
    out = opt.write(tmp_path / "o")
    cap = _map_caption(out / "report.html", "Black diamonds")
    assert "Grey" not in cap and "blue" not in cap and "red/blue" not in cap, cap
    assert "no route moved" in cap
    html = (out / "report.html").read_text(encoding="utf-8")
    # and the map draws neither: no baseline layer, no change layer
    assert "Baseline routes" not in html and "Change (" not in html


def test_optimize_caption_when_routes_moved(tmp_path):
    sc = reten.Scenario.from_dict({**ORIGIN, **COSTS})
    opt = reten.optimize(sc, NET, budget=1, sites="crossings")
    assert opt.comparison.totals["arc_flow_moved_kg_km"] > 0
    out = opt.write(tmp_path / "o")
    cap = _map_caption(out / "report.html", "Black diamonds")
    assert "Grey: the routes before" in cap and "red more flow, blue less" in cap, cap
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Baseline routes" in html and "Change (red more, blue less)" in html


@pytest.mark.parametrize("moved", [False, True])
def test_compare_caption_names_only_drawn_layers(tmp_path, moved):
    base = reten.run(reten.Scenario.from_dict({**ORIGIN, **COSTS}), NET)
    enf = [{"type": "closure", "port": "Nogales"}] if moved else []
    scen = reten.run(reten.Scenario.from_dict({**ORIGIN, **COSTS, "enforcement": enf}), NET)
    out = reten.compare(base, scen).write(tmp_path / "c")
    cap = _map_caption(out / "report.html", "Grey" if moved else "Dark red")
    if moved:
        assert "red more flow, blue less" in cap and "where the flow changed" in cap
    else:
        assert "grey" not in cap.lower() and "blue" not in cap and "no route moved" in cap
        assert "where the flow changed" not in cap


def test_flow_legend_names_each_sign_drawn():
    a = NS(arc_flow_kg=np.array([2.0, 0.0, 1.0]))
    noise = NS(arc_flow_kg=a.arc_flow_kg + 1e-13)  # float noise: nothing drawn
    assert "no route moved" in flow_legend(a, noise, "before", "after")
    less = NS(arc_flow_kg=np.array([1.0, 0.0, 1.0]))  # a removal: flow only falls
    got = flow_legend(a, less, "before", "after")
    assert "blue less flow" in got and "red" not in got.replace("dark red", "")
    more = NS(arc_flow_kg=np.array([2.0, 3.0, 1.0]))
    got = flow_legend(a, more, "before", "after")
    assert "red more flow" in got and "blue" not in got


def test_routes_and_more_flow_are_two_colours_as_the_caption_says(tmp_path):
    # the caption names "dark red" routes and "red" more flow: they were one colour
    from reten.report import maps

    demo = Path(reten.__file__).parent / "data" / "demo" / "baseline.toml"
    opt = reten.optimize(reten.Scenario.from_toml(demo), NET, budget=2, sites="arcs")
    html = (opt.write(tmp_path / "o") / "report.html").read_text(encoding="utf-8")
    assert "dark red" in _map_caption(tmp_path / "o" / "report.html", "Black diamonds")
    assert opt.comparison.totals["arc_flow_moved_kg_km"] > 0  # both layers are drawn
    assert maps.FLOW_SCEN.lower() != maps.FLOW_MORE.lower()
    assert maps.FLOW_SCEN in html and maps.FLOW_MORE in html
