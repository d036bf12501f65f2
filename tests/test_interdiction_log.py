"""The solve log and the bounds: never crossed, every solver named, rows in time order."""

from __future__ import annotations

import dataclasses
import math
import multiprocessing as mp
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reten.errors import InputError
from reten.models.interdiction import brute_force, build_sites, optimize, portfolio
from reten.models.interdiction import decomposition as deco
from reten.models.interdiction.follower import Follower
from reten.models.interdiction.result import (
    LOG_SOLVERS,
    InterdictionResult,
    LogRow,
    clamp_bounds,
    log_row,
)
from reten.network.model import Network
from reten.problem import Problem
from reten.report.optimize import log_frame
from test_interdiction import instances


def _two_roads():
    """Two roads from 0 to 3 (2 and 3 km); a unit adds 10 to a road: optimum 3 at K = 1."""
    net = Network.from_arcs(
        np.array([0, 0, 1, 2]),
        np.array([1, 2, 3, 3]),
        np.array([1.0, 2, 1, 1]),
        np.zeros(4),
        np.zeros(4),
    )
    p = Problem(
        net.length_m.copy(),
        np.zeros(4),
        np.array([3]),
        np.zeros(1),
        np.zeros(1),
        np.array([0]),
        np.ones(1),
    )
    return net, p, build_sites(net, p, "arcs", delay=10.0, p_detect=0.0)


def _noisy_lp(best: float):
    """A stand-in for the LP relaxation whose bound lies below the optimum by float noise
    (as HiGHS's does within its tolerance): 174.0 against an incumbent of 174.000000002."""
    noise = 1e-9 * max(1.0, abs(best))

    def fake(fol, sites, budget, time_limit, objective, tol, relax=False):
        return InterdictionResult(
            objective=objective,
            method="lp",
            budget=budget,
            units=np.zeros(sites.size, np.int64),
            objective_value=-math.inf,
            lower_bound=-math.inf,
            upper_bound=best - noise,
            seconds=0.0,
            status="time_limit",
        )

    return fake


def _no_greedy(fol, sites, budget, deadline, start, warm):
    """The greedy start replaced by no units, so the incumbent rises during the solve."""
    n = np.zeros(sites.size, np.int64) if start is None else np.asarray(start).copy()
    val, tree = fol.evaluate(n)
    return n, val, [tree]


def _check_rows(log):
    for row in log:
        # by position: the old rows were plain (iteration, lower, upper, seconds) tuples
        assert row[1] <= row[2], row
    secs = [row[3] for row in log]
    assert secs == sorted(secs)


def test_covering_log_never_crosses_a_noisy_bound(monkeypatch):
    net, p, sites = _two_roads()
    best, _ = brute_force(net, p, sites, 1.0, "cost")
    assert best == 3.0
    monkeypatch.setattr(deco, "dual_milp", _noisy_lp(best))
    monkeypatch.setattr(deco, "warm_greedy", _no_greedy)
    r = deco.decompose(Follower(net, p, sites, "cost"), sites, 1.0, 30.0, "cost", 1e-6)
    assert r.objective_value == 3.0
    assert any(row[1] == 3.0 for row in r.log)  # the incumbent rose above the noisy bound
    _check_rows(r.log)
    assert r.lower_bound <= r.upper_bound
    assert all(row.solver == "decomposition" for row in r.log)


@given(data=st.data())
@settings(max_examples=10, deadline=None)
def test_covering_log_never_crosses_on_random_instances(data):
    net, p, sites, budget = data.draw(instances("arcs", "cost"))
    try:
        best, _ = brute_force(net, p, sites, budget, "cost")
        fol = Follower(net, p, sites, "cost")
    except InputError:
        return
    if fol.on.size == 0 or not math.isfinite(best):
        return
    with pytest.MonkeyPatch.context() as mp_:
        mp_.setattr(deco, "dual_milp", _noisy_lp(best))
        mp_.setattr(deco, "warm_greedy", _no_greedy)
        r = deco.decompose(fol, sites, budget, 30.0, "cost", 1e-6)
    _check_rows(r.log)
    assert r.lower_bound <= r.upper_bound
    # clamping moved the noisy proof to the incumbent: both bounds still hold
    slack = 1e-6 * max(1, abs(best))
    assert r.lower_bound <= best + slack <= r.upper_bound + 2 * slack


def test_clamp_moves_the_proof_not_the_incumbent():
    assert clamp_bounds(174.000000002, 174.0) == (174.000000002, 174.000000002)
    assert clamp_bounds(5.0, 4.999999999, minimise=True) == (4.999999999, 4.999999999)
    # a crossing wider than float noise is a fault: left for the checks to see
    assert clamp_bounds(175.0, 174.0) == (175.0, 174.0)
    assert clamp_bounds(5.0, 4.9, minimise=True) == (5.0, 4.9)
    assert clamp_bounds(1.0, 2.0) == (1.0, 2.0)
    assert clamp_bounds(-math.inf, math.inf) == (-math.inf, math.inf)
    row = log_row(2, 174.000000002, 174.0, 1.0, "milp")
    assert row.lower_bound == row.upper_bound == 174.000000002 and row.solver == "milp"


@pytest.mark.parametrize("objective", ["cost", "interception", "capacity"])
def test_result_bounds_never_cross(objective):
    """Any result, however built or replaced (the JSON and result.json read these)."""
    r = InterdictionResult(
        objective=objective,
        method="milp",
        budget=1.0,
        units=np.zeros(1, np.int64),
        objective_value=174.000000002 if objective != "capacity" else 174.0,
        lower_bound=174.000000002,
        upper_bound=174.0,
        seconds=0.0,
        status="optimal",
    )
    assert r.lower_bound <= r.upper_bound
    # the incumbent's value stays: the other bound moves
    if objective == "capacity":
        assert r.upper_bound == 174.0 == r.lower_bound
    else:
        assert r.lower_bound == 174.000000002 == r.upper_bound
    r2 = dataclasses.replace(r, upper_bound=r.lower_bound * (1 - 1e-9))
    assert r2.lower_bound <= r2.upper_bound
    # a crossing far beyond noise is a fault: kept visible, not papered over
    r3 = dataclasses.replace(r, upper_bound=100.0, lower_bound=174.0)
    if objective != "capacity":
        assert r3.lower_bound > r3.upper_bound


def _result(log, lower, upper, status="time_limit"):
    return InterdictionResult(
        objective="cost",
        method="x",
        budget=1.0,
        units=np.zeros(1, np.int64),
        objective_value=lower,
        lower_bound=lower,
        upper_bound=upper,
        seconds=0.0,
        status=status,
        log=log,
    )


def test_auto_keeps_every_solvers_rows_in_time_order():
    first = _result(
        [LogRow(0, 1.0, math.inf, 0.5, "greedy"), LogRow(0, 1.0, 9.0, 1.0, "probe")], 1.0, 9.0
    )
    done = {
        "decomposition": _result(
            [LogRow(0, 1.0, 9.0, 2.0, "decomposition"), LogRow(1, 5.0, 5.0, 4.0, "decomposition")],
            5.0,
            5.0,
            "optimal",
        ),
        "milp": _result(
            [LogRow(1, 2.0, 8.0, 2.5, "milp"), LogRow(2, 3.0, 7.0, 3.0, "milp")], 3.0, 7.0
        ),
    }
    r = portfolio._combine(first, done, "cost", 1e-6, 4.2)
    assert [row.solver for row in r.log] == [
        "greedy",
        "probe",
        "decomposition",
        "milp",
        "milp",
        "decomposition",
    ]
    assert [row.seconds for row in r.log] == [0.5, 1.0, 2.0, 2.5, 3.0, 4.0]
    assert r.method == "auto/decomposition" and r.status == "optimal"
    frame = log_frame(r)
    assert frame.columns.tolist() == [
        "K",
        "iteration",
        "lower_bound",
        "upper_bound",
        "seconds",
        "solver",
    ]
    assert frame.solver.tolist() == [row.solver for row in r.log]


def test_racer_counts_its_seconds_from_autos_start():
    """A racer's rows are shifted to the time since ``auto`` began (another process's
    clock), so they sort with the probe's."""
    net, p, sites = _two_roads()
    recv, send = mp.Pipe(duplex=False)
    wall0 = time.time() - 100.0  # auto began 100 s ago
    portfolio._racer(
        send, "decomposition", net, p, sites, 1.0, time.time() + 30, wall0, "cost", 1e-6, None, None
    )
    res, _ = recv.recv()
    assert res.log and all(row.seconds >= 100.0 for row in res.log)
    assert all(row.solver == "decomposition" for row in res.log)


def test_auto_logs_its_greedy_and_probe():
    net, p, sites = _two_roads()
    r = optimize(net, p, sites, 1, method="auto")
    assert r.status == "optimal"  # proven by the probe: no race
    assert [row.solver for row in r.log][:2] == ["greedy", "probe"]
    assert {row.solver for row in r.log} <= set(LOG_SOLVERS)
    _check_rows(r.log)


@pytest.mark.parametrize("method", ["greedy", "milp", "decomposition"])
def test_each_method_names_itself(method):
    net, p, sites = _two_roads()
    r = optimize(net, p, sites, 1, method=method)
    assert r.log and {row.solver for row in r.log} == {method}
    _check_rows(r.log)


def test_auto_names_itself_when_its_probe_proves():
    # proven by the probe before any race: the answer is still auto's, named as such
    net, p, sites = _two_roads()
    r = optimize(net, p, sites, 1, method="auto")
    assert r.status == "optimal" and r.method == "auto/decomposition"
