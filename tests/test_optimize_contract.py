"""reten.optimize as an analyst meets it: capacity flows that respect capacities (NetworkX
max flow and min-cost flow as oracles), the curve's marginals, parameters named in errors,
provenance in the output, and the read-back message."""

from __future__ import annotations

import dataclasses
import json
import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import reten
from clikit import assert_one_line_error, call
from reten.errors import InputError
from reten.models.interdiction import build_sites, curve_frame, optimize
from reten.models.interdiction.flows import capacities, capacity_response, flow_network
from reten.models.interdiction.follower import Follower
from reten.models.interdiction.result import InterdictionResult
from reten.problem import Problem
from reten.scenario import resolve
from strategies import networks

NET = reten.load_network("default")
CAP = {
    "name": "Capacity test",
    "origins": [{"state": "Sinaloa", "volume_kg": 600}],
    "destinations": [
        {"port": "Nogales", "capacity_kg": 300},
        {"port": "Douglas", "capacity_kg": 200},
        {"port": "El Paso", "capacity_kg": 250},
    ],
}
NO_CAP = {"name": "no capacities", "origins": [{"state": "Sinaloa", "volume_kg": 600}]}


# --------------------------------------------------------------------------- oracles


def nx_graph(net, p: Problem, removed: np.ndarray) -> nx.DiGraph:
    """The flow network in NetworkX: s -> origins (volume), roads, crossings -> t."""
    cap = capacities(net, p)
    g = nx.DiGraph()

    def add(u, v, c, w):
        if g.has_edge(u, v):  # parallel arcs: a middle node keeps them apart
            mid = ("mid", u, v, g.number_of_edges())
            g.add_edge(u, mid, capacity=c, weight=w)
            g.add_edge(mid, v, weight=0)
        else:
            g.add_edge(u, v, capacity=c, weight=w)

    m = net.n_arcs
    for e in range(m):
        if not removed[e] and math.isfinite(p.arc_cost[e]):
            add(int(net.arc_source[e]), int(net.arc_target[e]), cap[e], p.route_arc_cost()[e])
    for j, v in enumerate(p.sink_node):
        if not removed[m + j]:
            add(int(v), "t", cap[m + j], p.route_sink_cost()[j])
    for i, v in enumerate(p.origin_node):
        add(("o", i), int(v), float(p.origin_volume_kg[i]), 0)
        add("s", ("o", i), float(p.origin_volume_kg[i]), 0)
    g.add_node("s")
    g.add_node("t")
    return g


def removed_arcs(sites, units) -> np.ndarray:
    return (sites.incidence.T @ (np.asarray(units) > 0).astype(float)) > 0


@st.composite
def capacity_instances(draw):
    net = draw(networks(nodes=(4, 9), arcs=(4, 18), length=(1, 9), integer=True, two_way=True))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = net.n_nodes
    net = net.with_costs(capacity=rng.integers(1, 20, net.n_arcs).astype(float))
    k = draw(st.integers(1, 3))
    nodes = rng.permutation(n)
    sinks, origins = nodes[:k], nodes[k : k + draw(st.integers(1, 3))]
    p = Problem(
        net.length_m.copy(),
        np.zeros(net.n_arcs),
        sinks,
        rng.integers(0, 5, k).astype(float),
        np.zeros(k),
        origins,
        rng.integers(1, 15, origins.size).astype(float),
        sink_capacity=rng.integers(1, 30, k).astype(float),
    )
    kind = draw(st.sampled_from(["arcs", "nodes", "crossings"]))
    sites = build_sites(net, p, kind, delay=1.0, p_detect=0.0)
    units = (rng.random(sites.size) < 0.3).astype(np.int64)
    return net, p, sites, units


# --------------------------------------------------------------------------- capacity


@given(capacity_instances())
@settings(max_examples=40, deadline=None)
def test_capacity_value_and_flows_against_networkx(inst):
    """The value is NetworkX's max flow; the flows shown are a feasible max flow of
    NetworkX's least cost: within every capacity, conserved, nothing through a removal."""
    net, p, sites, units = inst
    g = nx_graph(net, p, removed_arcs(sites, units))
    want = nx.maximum_flow_value(g, "s", "t")
    fol = Follower(net, p, sites, "capacity")
    assert fol.max_flow(units) == pytest.approx(want, abs=1e-9)
    value, r = capacity_response(net, p, sites, units)
    assert value == pytest.approx(want, abs=1e-9)
    assert r.crossing_flow_kg.sum() == pytest.approx(want, abs=1e-6)
    cap = capacities(net, p)
    ext = np.concatenate([r.arc_flow_kg, r.crossing_flow_kg])
    assert (ext <= cap + 1e-6).all() and (ext >= 0).all()
    assert (ext[removed_arcs(sites, units)] <= 1e-9).all()
    # conservation: what enters a node (roads + the volume it ships) leaves it
    inflow = np.bincount(net.arc_target, r.arc_flow_kg, net.n_nodes)
    inflow += np.bincount(p.origin_node, r.problem.origin_volume_kg, net.n_nodes)
    outflow = np.bincount(net.arc_source, r.arc_flow_kg, net.n_nodes)
    outflow += np.bincount(p.sink_node, r.crossing_flow_kg, net.n_nodes)
    assert np.allclose(inflow, outflow, atol=1e-6)
    # least cost among maximum flows (NetworkX's min-cost max flow, integer data)
    flow = nx.max_flow_min_cost(g, "s", "t")
    nx_cost = nx.cost_of_flow(g, flow)
    m = net.n_arcs
    cost = r.arc_flow_kg @ np.where(ext[:m] > 0, p.route_arc_cost(), 0.0)
    cost += r.crossing_flow_kg @ p.route_sink_cost()
    assert cost == pytest.approx(nx_cost, abs=1e-6)
    # each origin ships no more than its volume, and the shipped volumes are the flow
    assert (r.problem.origin_volume_kg <= p.origin_volume_kg + 1e-9).all()
    assert r.problem.origin_volume_kg.sum() == pytest.approx(want, abs=1e-6)


@given(capacity_instances(), st.integers(1, 3))
@settings(max_examples=25, deadline=None)
def test_capacity_allocation_has_no_useless_removal(inst, budget):
    """Every site the capacity objective reports cuts volume: without it the max flow
    (NetworkX) is larger. The value is NetworkX's max flow under the removals."""
    net, p, sites, _ = inst
    assume(Follower(net, p, sites, "capacity").on.size > 0)  # else: nothing to interdict
    res = optimize(net, p, sites, float(budget), objective="capacity", time_limit=20)
    removed = removed_arcs(sites, res.units)
    assert res.objective_value == pytest.approx(
        nx.maximum_flow_value(nx_graph(net, p, removed), "s", "t"), abs=1e-9
    )
    for s in np.flatnonzero(res.units):
        fewer = res.units.copy()
        fewer[s] = 0
        without = nx.maximum_flow_value(nx_graph(net, p, removed_arcs(sites, fewer)), "s", "t")
        assert without > res.objective_value + 1e-9


def test_capacity_response_respects_capacities_before_and_after():
    """The tester's case: bounds 600 -> 450 -> 200; no crossing ever above its capacity,
    the value and the flows shown agree, and the numbers are clean (no micro-kg noise)."""
    sc = reten.Scenario.from_dict(CAP)
    opt = reten.optimize(sc, NET, budget=2, objective="capacity", sites="crossings")
    cap = {"Nogales crossing": 300.0, "Douglas crossing": 200.0, "El Paso crossing": 250.0}
    cr = opt.comparison.crossings.set_index("crossing")
    for col in ("flow_kg_base", "flow_kg_scenario"):
        for name, c in cap.items():
            assert cr.loc[name, col] <= c + 1e-9, (col, name)
    assert cr.flow_kg_base.sum() == pytest.approx(opt.raw.baseline, abs=1e-9)
    assert cr.flow_kg_scenario.sum() == pytest.approx(opt.value, abs=1e-9)
    # the oracle: NetworkX on the same network, K = 1 by brute force over the crossings
    res = opt.curve_raw[0]
    p = resolve(sc, NET)
    s = res.sites
    base_nx = nx.maximum_flow_value(
        nx_graph(NET, p, np.zeros(s.incidence.shape[1], bool)), "s", "t"
    )
    assert opt.raw.baseline == base_nx == 600.0
    best1 = min(
        nx.maximum_flow_value(nx_graph(NET, p, removed_arcs(s, np.eye(s.size)[i])), "s", "t")
        for i in range(s.size)
    )
    assert list(opt.curve.objective) == [best1, opt.value]
    assert list(opt.curve.marginal) == [best1 - 600.0, opt.value - best1]
    assert (opt.curve.marginal <= 0).all()


def test_capacity_without_capacities_is_bad_input(tmp_path):
    """No capacity anywhere: one line naming the scenario's field and what to set, exit 2."""
    with pytest.raises(InputError, match=r"destinations.*capacity_kg"):
        reten.optimize(NO_CAP, NET, budget=3, objective="capacity", sites="crossings")
    f = tmp_path / "nocap.toml"
    f.write_text('name = "n"\n[[origins]]\nstate = "Sinaloa"\nvolume_kg = 600\n')
    r = call(
        "optimize",
        str(f),
        "--budget",
        "3",
        "--objective",
        "capacity",
        "--sites",
        "crossings",
        "-o",
        str(tmp_path / "o"),
    )
    assert_one_line_error(r, "nocap.toml", "capacity_kg")
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- the curve


def _res(k: float, value: float, baseline: float = 10.0) -> InterdictionResult:
    return InterdictionResult(
        objective="cost",
        method="milp",
        budget=k,
        units=np.zeros(1, np.int64),
        objective_value=value,
        lower_bound=value,
        upper_bound=value,
        seconds=0.0,
        status="optimal",
        baseline=baseline,
    )


def test_curve_marginal_is_over_k_minus_one_only():
    """K = 1 is over the baseline; a row whose K - 1 is not in the table has no marginal."""
    full = curve_frame([_res(1, 12.0), _res(2, 15.0), _res(3, 15.5)])
    assert full.marginal.tolist() == [2.0, 3.0, 0.5]
    assert full.marginal.sum() == pytest.approx(15.5 - 10.0)
    one = curve_frame([_res(3, 15.5)])
    assert math.isnan(one.marginal.iloc[0])
    assert curve_frame([_res(1, 12.0)]).marginal.tolist() == [2.0]


def test_no_curve_and_large_budget_say_why_and_report_effective_budget():
    sc = reten.Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": 90}]})
    kw = dict(objective="cost", sites="crossings", method="greedy", time_limit_s=10)
    opt = reten.optimize(sc, NET, budget=2, curve=False, **kw)
    assert len(opt.curve) == 1 and math.isnan(opt.curve.marginal.iloc[0])
    assert "curve=False" in opt.curve_note
    big = reten.optimize(sc, NET, budget=1e6, curve=False, **kw)  # the largest budget taken
    s = big.raw.sites
    assert big.effective_budget == s.size == len(big.baseline.crossings) < 1e6
    assert big.summary["effective_budget"] == s.size and big.summary["budget"] == 1e6
    arcs = reten.optimize(
        sc, NET, budget=31, objective="cost", sites="arcs", method="greedy", time_limit_s=10
    )
    assert len(arcs.curve) == 1 and math.isnan(arcs.curve.marginal.iloc[0])
    assert "up to K = 30" in arcs.curve_note and arcs.summary["curve_note"] == arcs.curve_note


def test_fractional_budget_is_rejected(tmp_path):
    with pytest.raises(InputError, match=r"^budget must be a whole number .*2\.5"):
        reten.optimize(NO_CAP, NET, budget=2.5, sites="crossings")
    f = tmp_path / "s.toml"
    f.write_text('name = "n"\n[[origins]]\nstate = "Sinaloa"\nvolume_kg = 600\n')
    r = call("optimize", str(f), "--budget", "2.5", "-o", str(tmp_path / "o"))
    assert_one_line_error(r, "budget", "2.5")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("budget", ["1000001", "1e12", "99999999999999999999999"])
def test_budget_above_the_documented_bound_is_rejected(tmp_path, budget):
    # a huge budget was rounded to a float and reported as "Where 1e+23 checkpoints go"
    with pytest.raises(InputError, match=r"^budget must be a whole number from 1 to 1,000,000"):
        reten.optimize(NO_CAP, NET, budget=int(budget) if "e" not in budget else float(budget))
    f = tmp_path / "s.toml"
    f.write_text('name = "n"\n[[origins]]\nstate = "Sinaloa"\nvolume_kg = 600\n')
    r = call("optimize", str(f), "--budget", budget, "-o", str(tmp_path / "o"))
    assert_one_line_error(r, "--budget", "<= 1000000", budget)
    assert not (tmp_path / "o").exists()
    assert reten.api.MAX_BUDGET == 1_000_000


# --------------------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    "kw,name",
    [
        ({"delay": 1e308}, "delay"),
        ({"delay": float("inf")}, "delay"),
        ({"delay": float("nan")}, "delay"),
        ({"delay": -1.0}, "delay"),
        ({"max_units": 0}, "max_units"),
        ({"max_units": 1.5}, "max_units"),
        ({"max_units": True}, "max_units"),
        ({"p_detect": 1.0}, "p_detect"),
        ({"time_limit_s": 0}, "time_limit_s"),
    ],
)
def test_parameter_errors_name_only_the_parameter_at_fault(kw, name):
    with pytest.raises(InputError) as exc:
        reten.optimize(NO_CAP, NET, budget=2, sites="crossings", **kw)
    msg = str(exc.value)
    assert msg.startswith(f"{name} must"), msg
    others = {"delay", "max_units", "p_detect", "time_limit_s", "resource"} - {name}
    assert not any(o in msg for o in others), msg
    assert "--" not in msg  # parameters, not CLI flags


def test_cli_huge_delay_one_line_no_warnings(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('name = "n"\n[[origins]]\nstate = "Sinaloa"\nvolume_kg = 600\n')
    r = call(
        "optimize",
        str(f),
        "--budget",
        "2",
        "--sites",
        "crossings",
        "--delay",
        "1e308",
        "-o",
        str(tmp_path / "o"),
    )
    assert_one_line_error(r, "delay")
    assert "RuntimeWarning" not in r.err + r.out and not (tmp_path / "o").exists()


def test_unknown_keyword_suggests_time_limit_s():
    with pytest.raises(TypeError, match="did you mean 'time_limit_s'"):
        reten.optimize(NO_CAP, NET, budget=2, time_limit=10)  # type: ignore[call-arg]


# --------------------------------------------------------------------------- provenance


def test_output_records_provenance_curve_and_reads_back_helpfully(tmp_path):
    sc = reten.Scenario.from_dict(CAP)
    opt = reten.optimize(
        sc, NET, budget=2, objective="capacity", sites="crossings", time_limit_s=10
    )
    out = opt.write(tmp_path / "opt")
    doc = json.loads((out / "result.json").read_text())
    prov = json.loads((out / "provenance.json").read_text())
    assert doc["provenance"] == prov
    assert prov["scenario_sha256"] == sc.sha256
    assert prov["network_hash"] == NET.content_hash()
    # the network named by what it was built from, besides its hash
    assert prov["network_name"] == "default" and prov["network_source"] == NET.meta["source"]
    assert prov["reten_version"] == reten.__version__
    for k, v in {
        "objective": "capacity",
        "sites": "crossings",
        "budget": 2,
        "effective_budget": 2,
        "time_limit_s": 10,
        "method_asked": "auto",  # the default, recorded as asked
        "method": opt.method,  # and what answered
    }.items():
        assert prov[k] == v, k
    # a capacity unit removes its site: units per site, delay and detection play no part
    assert not {"max_units", "delay", "p_detect"} & set(prov)
    for k in (
        "objective",
        "lower_bound",
        "upper_bound",
        "seconds",
        "sites",
        "baseline",
        "increase_pct",
    ):
        assert k in doc
    assert [row["K"] for row in doc["curve"]] == [1, 2]
    assert doc["curve"] == json.loads(opt.to_json())["curve"]
    with pytest.raises(InputError, match="optimize output.*result.json"):
        reten.read_run(out)


def test_explore_and_plot_draw_the_displacement():
    sc = reten.Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": 90}]})
    opt = reten.optimize(sc, NET, budget=1, sites="crossings", time_limit_s=10)
    assert opt.explore() is not None
    pytest.importorskip("matplotlib", reason="reten[plot] not installed")
    import matplotlib

    matplotlib.use("Agg")
    ax = opt.plot()
    assert any(c.get_label() == "chosen sites" for c in ax.collections)


def test_flow_network_caps_unbounded_arcs_at_the_volume():
    sc = reten.Scenario.from_dict(CAP)
    p = resolve(sc, NET)
    sites = build_sites(NET, p, "crossings", delay=1.0, p_detect=0.0)
    fn = flow_network(NET, p, sites, np.zeros(sites.size))
    assert fn.cap.max() <= 600.0 + 1e-9


def test_python_choices_take_any_letter_case_as_the_cli_does():
    # the CLI accepts --sites Crossings; the API must follow the same rule
    import reten

    sc = reten.Scenario.from_dict({"seed": 3, "origins": [{"state": "Sinaloa", "volume_kg": 90}]})
    a = reten.optimize(sc, budget=1, sites="Crossings", objective="Cost", method="GREEDY")
    b = reten.optimize(sc, budget=1, sites="crossings", objective="cost", method="greedy")
    assert a.sites.site.tolist() == b.sites.site.tolist() and a.value == b.value
    g = reten.game(sc, checkpoints=1, sites="Crossings", p_detect=0.5)
    assert g.value > 0
    with pytest.raises(reten.InputError, match="valid"):
        reten.optimize(sc, budget=1, sites="crossing")


def test_units_left_unplaced_are_explained_in_terminal_and_report(tmp_path):
    # interception on the demo: the traffickers route around crossings, so a unit may add
    # nothing; the outputs must say why fewer units are placed than the budget
    import reten
    from reten.report.optimize import unused_units_note

    sc = reten.Scenario.from_dict({"seed": 3, "origins": [{"state": "Sinaloa", "volume_kg": 90}]})
    opt = reten.optimize(sc, budget=3, objective="interception", sites="arcs", curve=False)
    placed = int(opt.raw.units.sum())
    note = unused_units_note(opt.raw)
    assert (note is None) == (placed in (0, 3))
    if note is not None:
        assert note.startswith(f"Units not placed: {3 - placed:g} of 3")
        opt.write(tmp_path / "o")
        assert "Units not placed" in (tmp_path / "o" / "report.html").read_text()
    none = dataclasses.replace(opt.raw, units=np.zeros_like(opt.raw.units))
    assert unused_units_note(none) is None  # no site at all: no_site_reason speaks instead
    one = np.zeros_like(opt.raw.units)
    one[int(np.argmax(opt.raw.units))] = 1
    short = dataclasses.replace(opt.raw, units=one)
    assert unused_units_note(short).startswith("Units not placed: 2 of 3; no site adds")
    stopped = dataclasses.replace(short, status="time_limit")
    assert "before proving" in unused_units_note(stopped)


@pytest.mark.parametrize("factor", [1e-10, 1e10])
def test_the_interception_optimum_scales_with_the_volumes(factor):
    # interception is linear in the volumes; at 1e-10 kg the solvers' absolute tolerances
    # gave 0.033 of the volume, 'optimal', where the optimum is 0.18 (stop 22)
    import reten

    def solve(v: float):
        sc = reten.Scenario.from_dict(
            {"origins": [{"state": "Sinaloa", "volume_kg": v},
                         {"state": "Durango", "volume_kg": 2 * v}]}
        )  # fmt: skip
        o = reten.optimize(sc, budget=2, objective="interception", sites="arcs", p_detect=0.3)
        assert o.status == "optimal"
        return o.value / v, o.upper_bound / v, (o.curve.objective / v).tolist()

    base, scaled = solve(90.0), solve(90.0 * factor)
    assert scaled[0] == pytest.approx(base[0], rel=1e-9)
    assert scaled[1] == pytest.approx(base[1], rel=1e-9)
    assert scaled[2] == pytest.approx(base[2], rel=1e-9)
