"""Unproven figures of the game are never presented as exact (issue 12 review).

The pure-strategy optimum or the game itself may stop at a time limit; then every
output (console line, report, JSON) says so, the value of randomisation is a certified
range, and the game's lower bound is never below what a fixed plan (or no plan) already
guarantees. Checked against the enumeration oracle of ``test_game``.
"""

from __future__ import annotations

import functools
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reten
import reten.models.interdiction as interdiction
from reten.errors import InputError
from reten.models.game import build_instance, solve_game
from reten.models.interdiction import build_sites
from reten.models.interdiction.result import InterdictionResult
from reten.report.game import headline, result_json
from test_game import oracle_value, small_games, two_routes


def _stopped_optimizer(monkeypatch):
    """Make the pure optimum stop at its time limit with nothing found (as a 0.01 s run
    on the demo does): no units, status time_limit, no finite upper bound."""
    real = interdiction.optimize

    def stopped(net, problem, sites, budget, **kw):
        r = real(net, problem, sites, budget, **kw)
        return InterdictionResult(
            objective=r.objective,
            method=r.method,
            budget=r.budget,
            units=np.zeros_like(r.units),
            objective_value=0.0,
            lower_bound=0.0,
            upper_bound=math.inf,
            seconds=r.seconds,
            status="time_limit",
            sites=r.sites,
        )

    monkeypatch.setattr(interdiction, "optimize", stopped)


def three_routes():
    """Three disjoint roads of unequal detection from one origin to one crossing: the
    best fixed unit (k=1) is avoided, so the pure optimum is 0 and the game's value > 0."""
    net = reten.network.model.Network.from_arcs(
        np.array([0, 0, 0, 1, 2, 3]),
        np.array([1, 2, 3, 4, 4, 4]),
        np.ones(6),
        np.zeros(5),
        np.zeros(5),
    )
    p = reten.problem.Problem(
        net.length_m.copy(),
        np.zeros(6),
        np.array([4]),
        np.zeros(1),
        np.zeros(1),
        np.array([0]),
        np.ones(1),
    )
    return net, p


def test_an_unproven_pure_optimum_is_a_range_everywhere(monkeypatch):
    _stopped_optimizer(monkeypatch)
    net, p = two_routes()
    sites = build_sites(net, p, "arcs", delay=0.0, p_detect=0.5)
    r = solve_game(net, p, sites, 2, gap=0)
    # two units cover both roads: the game is 0.5 and the support's k-set is a fixed plan
    # that guarantees it, so the pure incumbent is not the optimizer's empty answer
    assert r.pure_value == pytest.approx(0.5)
    assert r.value_of_randomisation == pytest.approx(0.0, abs=1e-12)
    r1 = solve_game(net, p, sites, 1, gap=0)
    assert r1.proven and not r1.pure_proven and r1.pure_status == "time_limit"
    # the pure optimum is at most the game's value: its upper bound is finite
    assert r1.pure_upper == pytest.approx(0.25)
    lo, hi = r1.value_of_randomisation_bounds
    assert lo == 0.0 and hi == pytest.approx(0.25) and r1.value_of_randomisation == 0.0
    line = headline(r1)
    assert "NOT PROVEN" in line and "0.00 .. 0.25" in line and "adds +0.25" not in line
    doc = result_json(r1, pd_coverage(r1), None, None)
    assert doc["pure_proven"] is False and doc["value_of_randomisation_proven"] is False
    assert doc["value_of_randomisation_lower"] == 0.0
    assert doc["value_of_randomisation_upper"] == pytest.approx(0.25)
    json.dumps(doc, allow_nan=False)  # no inf, no NaN


def pd_coverage(sol):
    import pandas as pd

    return pd.DataFrame({"site": [], "probability": [], "name": []})


def test_the_api_report_and_json_say_not_proven(monkeypatch, tmp_path):
    _stopped_optimizer(monkeypatch)
    sc = reten.Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": 90}]})
    g = reten.game(sc, checkpoints=1, sites="crossings", p_detect=0.5)
    assert g.pure_status == "time_limit"
    out = g.write(tmp_path / "g")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "NOT PROVEN" in html and "certified range" in html
    doc = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert doc["pure_proven"] is False
    lo, hi = doc["value_of_randomisation_bounds"]
    assert 0 <= lo == doc["value_of_randomisation"] <= hi
    assert doc["pure_upper_bound"] <= doc["upper_bound"] + 1e-9


@given(data=st.data())
@settings(max_examples=10, deadline=None)
def test_the_attackers_mixed_routes_are_always_reported_and_certify(data):
    import itertools

    from reten.models.game.defender import interception
    from reten.models.game.strategies import Routes

    net, prob, sites, k = data.draw(small_games(data.draw(st.sampled_from(["arcs", "nodes"]))))
    try:
        inst = build_instance(net, prob, sites, k)
    except InputError:
        return
    best, _ = oracle_value(net, prob, sites, k)
    for tl in (60.0, 1e-3):
        r = solve_game(net, prob, sites, k, gap=1e-9, time_limit=tl)
        # every origin that plays has routes, with probabilities summing to 1
        tot = np.bincount(r.routes_origin, weights=r.routes_probability, minlength=inst.origin.size)
        assert np.allclose(tot, 1.0), (tot, r.iterations)
        # what the routes concede, by brute force over every k-set (not the MILP)
        rt = Routes(inst.n_sites)
        for o, s, a in zip(r.routes_origin, r.routes_sites, r.routes_arcs, strict=True):
            rt.add(int(o), inst.route_base(a), s, a)
        beta = r.routes_probability * inst.volume[r.routes_origin]
        base = np.array([inst.route_base(a) for a in r.routes_arcs])
        conc = max(
            interception(rt.hits(), base, beta, inst.logsurv, np.array(c, dtype=np.int64))
            for c in itertools.combinations(range(inst.n_sites), min(k, inst.n_sites))
        )
        tol = 1e-7 * max(1.0, best)
        assert best - tol <= conc <= r.routes_upper + tol
        assert r.upper_bound <= r.routes_upper + tol


def test_a_one_iteration_run_reports_the_routes():
    sc = reten.Scenario.from_toml(
        reten.__path__[0] + "/data/demo/baseline.toml"  # type: ignore[attr-defined]
    )
    g = reten.game(sc, checkpoints=3)
    assert g.raw.iterations >= 1 and len(g.routes) > 0
    assert set(g.raw.routes_origin.tolist()) == set(range(g.raw.origin_node.size))
    assert g.raw.routes_upper >= g.upper_bound - 1e-9


CUT = """name = "cut"
seed = 1
[network]
default = true
[[origins]]
municipality = "Culiacán"
volume_kg = 400
[[origins]]
municipality = "Badiraguato"
volume_kg = 200
[[enforcement]]
type = "closure"
arc = ["badiraguato", "culiacan"]
[[enforcement]]
type = "closure"
arc = ["badiraguato", "mocorito"]
[[enforcement]]
type = "closure"
arc = ["badiraguato", "gpecalvo"]
"""


@pytest.mark.parametrize("command", ["game", "optimize"])
def test_an_origin_left_out_is_named_in_one_line_and_in_the_report(tmp_path, command):
    import os
    import subprocess
    import sys

    sc = tmp_path / "cut.toml"
    sc.write_text(CUT, encoding="utf-8")
    out = tmp_path / "o"
    args = ["--checkpoints", "2"] if command == "game" else ["--budget", "1", "--no-curve"]
    env = {**os.environ, "PYTHONWARNINGS": "error::RuntimeWarning"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "reten",
            command,
            str(sc),
            *args,
            "--time-limit",
            "3",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if "left out" in ln]
    assert len(lines) == 1 and "Badiraguato (200 kg/month)" in lines[0], proc.stderr
    assert "Warning" not in proc.stderr and "invalid value" not in proc.stderr
    html = (out / "report.html").read_text(encoding="utf-8")
    box = html[html.index('id="assumptions"') : html.index("</section>")]
    assert "Left out" in box and "Badiraguato" in box
    played = box[box.index("Origins and volumes") : box.index("Left out")]
    assert "Badiraguato" not in played and "Culiacán" in played


def test_the_game_report_states_its_own_trafficker_model(tmp_path):
    # analytic: two roads with own enforcement 0.2 and 0.1 -> 0.1 seized with no unit
    net, p = two_routes()
    p.arc_logsurv[:] = [-math.log(0.8), -math.log(0.9), 0.0, 0.0]
    sites = build_sites(net, p, "arcs", delay=0.0, p_detect=0.5)
    r = solve_game(net, p, sites, 1, gap=0)
    assert r.base_value == pytest.approx(0.1)
    sc = reten.Scenario.from_dict(
        {
            "origins": [{"state": "Sinaloa", "volume_kg": 90}],
            "enforcement": [{"type": "crackdown", "regions": ["Sinaloa"], "p_detect": 0.3}],
        }
    )
    g = reten.game(sc, checkpoints=2, sites="crossings", p_detect=0.5)
    # what the scenario's own enforcement seizes with no unit, kg/month: the empty
    # schedule's interception, computed apart from the solver (it was given as a share
    # of the volume once the solver worked on volumes scaled to 1)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    net, p0 = g.baseline.network, g.baseline.routes.problem
    n = net.n_nodes
    keep = np.isfinite(p0.arc_cost)
    src = np.concatenate([net.arc_source[keep], p0.sink_node])
    dst = np.concatenate([net.arc_target[keep], np.full(p0.sink_node.size, n)])
    w = np.concatenate([p0.arc_logsurv[keep], p0.sink_logsurv]) + 1e-15  # 0 is an edge
    ok = np.concatenate([np.ones(int(keep.sum()), bool), np.isfinite(p0.sink_cost)])
    graph = coo_matrix((w[ok], (src[ok], dst[ok])), shape=(n + 1, n + 1)).tocsr()
    surv = np.exp(-dijkstra(graph, indices=p0.origin_node)[:, n])  # the most reliable route
    want = float(p0.origin_volume_kg @ (1.0 - surv))
    assert g.raw.base_value == pytest.approx(want, rel=1e-9, abs=1e-9)
    assert g.raw.base_value > 1.0  # kg of the 90 shipped, not a share
    html = (g.write(tmp_path / "g") / "report.html").read_text(encoding="utf-8")
    box = html[html.index('id="assumptions"') : html.index("</section>")]
    assert "least expected interception" in box and "least-cost (Dell 2015)" not in box
    assert "K = 2 units" in box and "p = 0.5 (--p-detect)" in box
    assert f"{g.raw.base_value:,.2f} kg/month" in box and "own enforcement" in box


def test_more_units_than_sites_or_no_detection_is_said_and_limits_match_the_cli():
    net, p = two_routes()
    sites = build_sites(net, p, "arcs", delay=0.0, p_detect=0.5)
    r = solve_game(net, p, sites, 30, gap=0)
    assert r.notes == (
        "K = 30 but only 2 arcs site(s): every site covered every day, nothing to randomise",
    )
    assert r.value == pytest.approx(0.5) and r.value_of_randomisation == 0.0
    doc = result_json(r, pd_coverage(r), None, None)
    assert doc["notes"] == list(r.notes)
    zero = solve_game(net, p, build_sites(net, p, "arcs", delay=0.0, p_detect=0.0), 1)
    assert any("p = 0" in n for n in zero.notes) and zero.value == 0.0
    assert solve_game(net, p, sites, 1).notes == ()
    sc = {"origins": [{"state": "Sinaloa", "volume_kg": 90}]}
    for kw in (
        {"checkpoints": 10**9},
        {"checkpoints": 1001},
        {"checkpoints": 1, "schedules": 10**7},
    ):
        with pytest.raises(
            InputError, match=next(iter(kw)) if "schedules" not in kw else "schedules"
        ):
            reten.game(sc, **kw)


def test_summary_is_a_dict_and_to_json_is_its_text():
    sc = reten.Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": 90}]})
    g = reten.game(sc, checkpoints=1, sites="crossings", p_detect=0.5, schedules=1000)
    assert isinstance(g.summary, dict) and json.loads(g.to_json()) == json.loads(
        json.dumps(g.summary)
    )
    assert g.summary["schedules_count"] == 1000 and len(g.to_json()) < 20_000
    opt = reten.optimize(sc, budget=1, sites="crossings", curve=False)
    assert isinstance(opt.summary, dict) and json.loads(opt.to_json())["status"]


def test_provenance_records_the_effective_pure_time_limit():
    sc = reten.Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": 90}]})
    g = reten.game(sc, checkpoints=1, sites="crossings", p_detect=0.5, time_limit_s=30)
    assert g.provenance["pure_time_limit_s"] == 30.0
    h = reten.game(sc, checkpoints=1, sites="crossings", p_detect=0.5, pure_time_limit_s=7)
    assert h.provenance["pure_time_limit_s"] == 7.0


def test_the_gap_asked_and_the_gap_reached_have_their_own_names():
    # provenance records the parameter (``gap_asked``); the result's ``gap`` is the one
    # reached, from the bounds
    sc = reten.Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": 90}]})
    g = reten.game(sc, checkpoints=1, sites="crossings", p_detect=0.5, gap=0.25)
    assert g.provenance["gap_asked"] == 0.25 and "gap" not in g.provenance
    ub, lb = g.upper_bound, g.lower_bound
    assert g.gap == pytest.approx((ub - lb) / max(abs(ub), abs(lb), 1e-12), abs=1e-12)
    assert json.loads(g.to_json())["gap"] == pytest.approx(g.gap)


def test_a_stopped_marginal_lp_gives_only_the_trivial_bound():
    from reten.models.game.marginals import marginal_lp

    net, p = two_routes()
    inst = build_instance(net, p, build_sites(net, p, "arcs", delay=0.0, p_detect=0.5), 1)
    c, lp = marginal_lp(inst)
    assert lp == pytest.approx(0.25) and c.sum() <= 1 + 1e-9  # p / 2 on either road
    _, stopped = marginal_lp(inst, time_limit=1e-12)
    assert stopped in (pytest.approx(0.25), 1.0)  # solved at once, or the trivial bound


def test_report_cosmetics_legends_span_the_data_and_routes_are_ordered(tmp_path):
    import pandas as pd

    from reten.report.maps import _fmt

    sc = reten.Scenario.from_dict(
        {
            "origins": [
                {"municipality": "Culiacán", "volume_kg": 400},
                {"municipality": "Badiraguato", "volume_kg": 50},
            ]
        }
    )
    g = reten.game(sc, checkpoints=2, sites="arcs", p_detect=0.5, time_limit_s=5)
    out = g.write(tmp_path / "g")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Where it changed" not in html  # nothing changes in a game
    # the map's key (labels drawn in the figure's data) spans the data: max and min
    assert '"400"' in html and '"50"' in html  # origins, kg/month
    cov = g.coverage.probability
    assert f'"{_fmt(float(cov.max()))}"' in html
    assert f'"{_fmt(float(cov.min()))}"' in html
    rts = pd.read_csv(out / "routes.csv", dtype=str, keep_default_na=False)
    assert list(rts.columns) == [
        "origin",
        "origin_name",
        "probability",
        "crossing",
        "sites_in_route_order",
        "n_road_arcs",
    ]
    inst_sites = g.raw.sites
    for row, arcs in zip(rts.itertuples(), g.raw.routes_arcs, strict=True):
        # independent order: the route's arcs walked from the origin, each arc's site
        inc = inst_sites.incidence.tocoo()
        site_of = dict(zip(inc.col.tolist(), inc.row.tolist(), strict=True))
        seen: list[str] = []
        for e in arcs.tolist():
            if e in site_of and str(inst_sites.label[site_of[e]]) not in seen:
                seen.append(str(inst_sites.label[site_of[e]]))
        assert row.sites_in_route_order == ";".join(seen)
        assert int(row.n_road_arcs) == arcs.size - 1
        # the origin's name is the scenario's label of the origin at that node
        p = g.baseline.routes.problem
        at = [str(lab) for v, lab in zip(p.origin_node, p.origin_label, strict=True)
              if str(g.baseline.network.node_key[v]) == row.origin]  # fmt: skip
        assert row.origin_name == " / ".join(dict.fromkeys(at)) and row.origin_name


@functools.cache
def _scaled_game(v: float) -> tuple[float, float]:
    sc = reten.Scenario.from_dict(
        {
            "origins": [
                {"state": "Sinaloa", "volume_kg": v},
                {"state": "Durango", "volume_kg": 2 * v},
            ]
        }
    )
    g = reten.game(sc, checkpoints=2, sites="arcs", p_detect=0.3, time_limit_s=60)
    assert g.status == "optimal" and g.lower_bound <= g.upper_bound
    return g.value, g.gap


@pytest.mark.parametrize("factor", [1e-12, 1e-6, 1e7, 1e12])
def test_the_game_value_scales_with_the_volumes(factor):
    # the payoff is linear in the volumes: scaled volumes give the same value scaled (it
    # once ended in "master LP: HiGHS status Not Set" from 1e7 kg on; and at 1e-10 the
    # solvers' absolute tolerances gave a false certificate and a pure optimum of 0)
    base, _ = _scaled_game(90.0)
    big, gap = _scaled_game(90.0 * factor)
    assert big == pytest.approx(base * factor, rel=1e-4 + gap)
    pure = _scaled_pure(90.0)
    assert _scaled_pure(90.0 * factor) == pytest.approx(pure * factor, rel=1e-6)


@functools.cache
def _scaled_pure(v: float) -> float:
    sc = reten.Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": v}]})
    return float(reten.game(sc, checkpoints=2, sites="crossings", p_detect=0.3).pure_value)


def test_the_report_names_the_detection_used_and_the_map_is_explorable(tmp_path):
    # newcomer and breaker, stop 22: an arcs game on a network with p_detect said "each
    # unit detects with p = 0.3" (the --p-detect given, which no site used); GameResult
    # had no explore() though every other result has one
    edges = tmp_path / "e.csv"
    edges.write_text("source,target,length_m,p_detect\no,x,1000,0.9\no,y,1000,0.5\n")
    net = reten.build_network(edges=edges)
    sc = reten.Scenario.from_dict(
        {"origins": [{"node": "o", "volume_kg": 1}], "destinations": [{"node": "x"}, {"node": "y"}]}
    )
    g = reten.game(sc, net, checkpoints=1, sites="arcs", p_detect=0.3)
    html = (g.write(tmp_path / "g") / "report.html").read_text(encoding="utf-8")
    box = html[html.index('id="assumptions"') : html.index("</section>")]
    assert "its road&#x27;s own p_detect" in box and "0.5 to 0.9" in box, box
    assert "--p-detect 0.3 is not used" in box and "p = 0.3" not in box
    g2 = reten.game(sc, net, checkpoints=1, sites="nodes", p_detect=0.3)
    box2 = (g2.write(tmp_path / "g2") / "report.html").read_text(encoding="utf-8")
    assert "p = 0.3 (--p-detect)" in box2  # node sites: the attribute is per arc
    m = reten.game(reten.Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": 9}]}),
                   checkpoints=2, sites="crossings").explore()  # fmt: skip
    assert "Coverage probabilities" in m.html
    assert m.save(tmp_path / "map.html").stat().st_size > 10_000


def test_pure_time_limit_is_a_command_line_option(tmp_path):
    from conftest import run_cli

    sc = tmp_path / "s.toml"
    sc.write_text('[[origins]]\nstate = "Sinaloa"\nvolume_kg = 9\n')
    out = tmp_path / "g"
    proc = run_cli("game", str(sc), "--checkpoints", "1", "--sites", "crossings",
                   "--pure-time-limit", "7", "-o", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["pure_time_limit_s"] == 7.0
    bad = run_cli("game", str(sc), "--checkpoints", "1", "--pure-time-limit", "0",
                  "-o", str(tmp_path / "b"))  # fmt: skip
    assert bad.returncode == 2 and "--pure-time-limit" in bad.stderr


def test_no_origin_reaching_a_crossing_names_the_scenario_and_origins(tmp_path):
    # breaker, stop 22: game and optimize said "no origin reaches an open crossing" with
    # no file or origin named, where run names both
    edges = tmp_path / "u.csv"
    edges.write_text("source,target,length_m\no,x,1000\nc,d,1000\n")
    net = reten.build_network(edges=edges)
    s = tmp_path / "u.toml"
    s.write_text('[[origins]]\nnode = "c"\nvolume_kg = 1\n[[destinations]]\nnode = "x"\n')
    sc = reten.Scenario.from_toml(s)
    for call in (
        lambda: reten.game(sc, net, checkpoints=1),
        lambda: reten.optimize(sc, net, budget=1),
    ):
        with pytest.raises(InputError) as exc:
            call()
        assert str(exc.value).startswith(
            f"{s}: no route from any origin"
        ) and "(origins: c)" in str(exc.value)


def test_a_road_sites_position_is_halfway_along_the_whole_road(tmp_path):
    # re-check, stop 22: the game placed a merged road o-n-y at the middle of its first
    # piece (-106, 27); optimize, and the README, put it halfway along the road
    (tmp_path / "e.csv").write_text("source,target,length_m\no,n,400000\nn,y,300000\no,x,900000\n")
    (tmp_path / "n.csv").write_text("id,lon,lat\no,-108,27\nn,-104,27\ny,-101,27\nx,-108,31\n")
    net = reten.build_network(edges=tmp_path / "e.csv", nodes=tmp_path / "n.csv")
    sc = reten.Scenario.from_dict(
        {"origins": [{"node": "o", "volume_kg": 1}], "destinations": [{"node": "x"}, {"node": "y"}]}
    )
    g = reten.game(sc, net, checkpoints=1).coverage.set_index("site")
    o = reten.optimize(sc, net, budget=2, objective="interception").sites.set_index("site")
    # halfway along o (-108) - n (-104) - y (-101), in lon/lat as the site's shape is drawn
    assert (g.loc["o->y", "lon"], g.loc["o->y", "lat"]) == pytest.approx((-104.5, 27.0))
    for site in g.index:
        assert (g.loc[site, "lon"], g.loc[site, "lat"]) == pytest.approx(
            (o.loc[site, "lon"], o.loc[site, "lat"])
        )


@pytest.mark.parametrize("factor", [1e-10, 1e10])
def test_the_tsai_comparison_scales_with_the_volumes(factor):
    # at 1e-10 kg Tsai's LP and its sampled strategy came out 0 (absolute tolerances)
    def tsai(v: float) -> tuple[float, float]:
        sc = reten.Scenario.from_dict(
            {"origins": [{"state": "Sinaloa", "volume_kg": v},
                         {"state": "Durango", "volume_kg": 2 * v}]}
        )  # fmt: skip
        g = reten.game(sc, checkpoints=3, sites="arcs", p_detect=0.3, compare_tsai=True)
        return g.tsai["lp_value"] / v, g.tsai["value"] / v

    assert tsai(90.0 * factor) == pytest.approx(tsai(90.0), rel=1e-6)
