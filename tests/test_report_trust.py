"""Reports say what they assume: assumptions box, purity, warnings, margins."""

from __future__ import annotations

import reten

ORIGINS = [{"municipality": "Culiacán", "volume_kg": 100}]


def _run(name, **kw):
    return reten.run(reten.Scenario.from_dict({"name": name, "origins": ORIGINS, **kw}))


def test_run_report_states_assumptions_and_purity(tmp_path):
    res = _run("base", purity=0.1, volume_source="UNODC 2024, table 3")
    text = (res.write(tmp_path / "r") / "report.html").read_text()
    box = text[text.index('id="assumptions"') : text.index("</section>")]
    assert "Culiacán 100" in box and "UNODC 2024, table 3" in box
    assert "purity 0.1" in box and "potentially lethal doses" in box
    assert "best and second-best crossing" in text
    # the dose figure scales with purity
    det = [{"type": "crackdown", "regions": ["Sinaloa"], "p_detect": 0.1}]
    r1 = _run("p1", enforcement=det).routes
    r5 = _run("p5", enforcement=det, purity=0.5).routes
    assert r1.lethal_doses() > 0 and abs(r5.lethal_doses() - 0.5 * r1.lethal_doses()) < 1e-6
    # without a source the volumes are called illustrative
    plain = (_run("plain").write(tmp_path / "p") / "report.html").read_text()
    assert "treat them as illustrative" in plain


def test_measure_touching_no_route_is_warned(tmp_path):
    base = _run("base")
    far = _run(
        "far",
        enforcement=[{"type": "crackdown", "regions": ["Yucatán"], "cost_multiplier": 2.0}],
    )
    near = _run(
        "near",
        enforcement=[{"type": "crackdown", "regions": ["Sinaloa"], "cost_multiplier": 2.0}],
    )
    t_far = (reten.compare(base, far).write(tmp_path / "f") / "report.html").read_text()
    t_near = (reten.compare(base, near).write(tmp_path / "n") / "report.html").read_text()
    assert "cover no road or crossing the baseline routes use" in t_far and "Yucatán" in t_far
    assert "cover no road or crossing" not in t_near
    assert 'id="assumptions"' in t_near
    assert "divided by that in the baseline" in t_near


def test_optimize_report_has_assumptions_and_named_sites(tmp_path):
    sc = reten.Scenario.from_dict({"name": "o", "origins": ORIGINS, "risk_weight": 500.0})
    opt = reten.optimize(
        sc, reten.load_network("default"), budget=1, objective="cost", sites="arcs"
    )
    text = (opt.write(tmp_path / "o") / "report.html").read_text()
    assert 'id="assumptions"' in text and "Checkpoint sites" in text
    assert "Crossings" in text and "Origins" in text
