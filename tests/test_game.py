"""The network security game against an independent oracle, and its certificate.

The oracle enumerates every pure strategy of both sides (every k-set of sites; every
simple path of every origin, by NetworkX on the extended graph) and solves the zero-sum
game's LP with ``scipy.optimize.linprog``: nothing of the double oracle's code path (trees,
label search, HiGHS master, MILP) is shared.
"""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from reten.errors import InputError
from reten.models.game import (
    build_instance,
    mixed_value,
    sample_schedules,
    solve_game,
    tsai_comparison,
)
from reten.models.game.marginals import comb_sample
from reten.models.interdiction import build_sites
from reten.network.model import Network
from reten.problem import Problem


def od_problem(net: Network, origin: int, sink: int) -> Problem:
    """One origin of 1 kg and one crossing, length costs, no enforcement."""
    return Problem(
        net.length_m.copy(),
        np.zeros(net.n_arcs),
        np.array([sink]),
        np.zeros(1),
        np.zeros(1),
        np.array([origin]),
        np.ones(1),
    )


def enumerate_paths(net: Network, p: Problem, sites) -> list[list[tuple[float, frozenset]]]:
    """Every simple path of every origin to any open crossing: (base log-survival, sites)."""
    m = net.n_arcs
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(net.n_nodes))
    sink = "T"
    base = np.concatenate([p.arc_logsurv, p.sink_logsurv])
    cost = np.concatenate([p.arc_cost, p.sink_cost])
    site_of = {}
    inc = sites.incidence.tocoo()
    for s, e in zip(inc.row.tolist(), inc.col.tolist(), strict=True):
        site_of[e] = s
    for e in range(m):
        if np.isfinite(cost[e]):
            g.add_edge(int(net.arc_source[e]), int(net.arc_target[e]), key=e)
    for j, v in enumerate(p.sink_node.tolist()):
        if np.isfinite(cost[m + j]):
            g.add_edge(int(v), sink, key=m + j)
    out = []
    for o in np.unique(p.origin_node).tolist():
        paths = []
        for path in nx.all_simple_edge_paths(g, o, sink):
            arcs = [key for _, _, key in path]
            paths.append(
                (float(base[arcs].sum()), frozenset(site_of[e] for e in arcs if e in site_of))
            )
        out.append(paths)
    return out


def oracle_value(net: Network, p: Problem, sites, k: int) -> tuple[float, float]:
    """The game's value (LP over all k-sets and all simple paths, scipy linprog) and the
    pure-strategy optimum (the best k-set against each origin's best path), by enumeration."""
    vol = {}
    for o, v in zip(p.origin_node.tolist(), p.origin_volume_kg.tolist(), strict=True):
        vol[o] = vol.get(o, 0.0) + v
    origins = sorted(vol)
    paths = enumerate_paths(net, p, sites)
    keep = [i for i, ps in enumerate(paths) if ps]
    w = sites.logsurv
    ksets = list(itertools.combinations(range(sites.size), min(k, sites.size)))
    nj, no = len(ksets), len(keep)
    # variables: sigma (nj), z (no); maximise sum v z
    c = np.concatenate([np.zeros(nj), -np.array([vol[origins[i]] for i in keep])])
    a_ub, b_ub = [], []
    for col, i in enumerate(keep):
        for base, hit in paths[i]:
            row = np.zeros(nj + no)
            for j, ks in enumerate(ksets):
                ls = base + sum(w[s] for s in hit if s in ks)
                row[j] = math.expm1(-ls)  # -(capture)
            row[nj + col] = 1.0
            a_ub.append(row)
            b_ub.append(0.0)
    a_eq = [np.concatenate([np.ones(nj), np.zeros(no)])]
    bounds = [(0, None)] * nj + [(None, None)] * no
    res = linprog(
        c,
        A_ub=np.array(a_ub),
        b_ub=b_ub,
        A_eq=np.array(a_eq),
        b_eq=[1.0],
        bounds=bounds,
        method="highs",
    )
    assert res.status == 0, res.message
    pure = max(
        sum(
            vol[origins[i]]
            * min(-math.expm1(-base - sum(w[s] for s in hit if s in ks)) for base, hit in paths[i])
            for i in keep
        )
        for ks in ksets
    )
    return float(-res.fun), float(pure)


@st.composite
def small_games(draw, kind: str):
    """Small random road networks: parallel roads, two-way roads, heterogeneous p, some
    base detection, one to three origins and one or two crossings."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(4, 6))
    m = draw(st.integers(n, 2 * n))
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    dup = rng.random(m) < 0.2
    src, dst = np.concatenate([src, src[dup]]), np.concatenate([dst, dst[dup]])
    two_way = rng.random(src.size) < 0.5
    src, dst = np.concatenate([src, dst[two_way]]), np.concatenate([dst, src[two_way]])
    ok = src != dst
    src, dst = src[ok], dst[ok]
    p_arc = rng.choice([0.3, 0.5, 0.8], src.size) if draw(st.booleans()) else np.full(src.size, 0.4)
    net = Network.from_arcs(
        src,
        dst,
        rng.integers(1, 5, src.size) * 1.0,
        rng.uniform(0, 1, n),
        rng.uniform(0, 1, n),
        arc_attrs={"p_detect": p_arc},
    )
    nodes = rng.permutation(n)
    ks = draw(st.integers(1, 2))
    sinks, origins = nodes[:ks], nodes[ks : ks + draw(st.integers(1, 3))]
    base = rng.uniform(0, 0.3, net.n_arcs) * (rng.random(net.n_arcs) < 0.3)
    prob = Problem(
        net.length_m.copy(),
        base,
        sinks,
        np.zeros(ks),
        np.zeros(ks),
        origins,
        rng.integers(1, 5, origins.size).astype(float),
    )
    sites = build_sites(net, prob, kind, delay=0.0, p_detect=0.5)
    if sites.size > 7:
        sites = sites.subset(np.arange(7))
    return net, prob, sites, draw(st.integers(1, 3))


@pytest.mark.parametrize("kind", ["arcs", "nodes", "crossings"])
@given(data=st.data())
@settings(max_examples=12, deadline=None)
def test_value_equals_the_lp_over_every_pure_strategy(kind, data):
    net, prob, sites, k = data.draw(small_games(kind))
    try:
        build_instance(net, prob, sites, k)
    except InputError:
        return  # no origin reaches a crossing
    best, pure = oracle_value(net, prob, sites, k)
    r = solve_game(net, prob, sites, k, gap=1e-9, time_limit=60)
    assert abs(r.pure_value - pure) <= 1e-6 * max(1.0, pure), (r.pure_value, pure)
    assert abs(r.value - best) <= 1e-6 * max(1.0, best), (r.value, best, r.log)
    assert r.lower_bound - 1e-9 <= best <= r.upper_bound + 1e-6 * max(1.0, best)
    # the returned strategy really guarantees its value (fresh exact evaluation)
    inst = build_instance(net, prob, sites, k)
    lo, hi = mixed_value(inst, r.sets, r.probability)
    assert abs(lo - r.value) <= 1e-9 * max(1.0, best) and abs(hi - lo) <= 1e-12 * max(1, best)
    # every bound row of the log is ordered, and the bounds only tighten
    log = np.array(r.log)
    assert (log[:, 1] <= log[:, 2] + 1e-12).all()
    assert (np.diff(log[:, 1]) >= -1e-12).all() and (np.diff(log[:, 2]) <= 1e-12).all()
    # the value of randomisation is never negative, the support uses k sites at most
    assert r.value_of_randomisation >= -1e-12
    assert all(s.size <= k for s in r.sets) and abs(r.probability.sum() - 1) < 1e-9
    units = sum(pr * s.size for s, pr in zip(r.sets, r.probability, strict=True))
    assert np.allclose(r.coverage.sum(), units)


@given(data=st.data())
@settings(max_examples=10, deadline=None)
def test_final_gap_is_at_most_the_gap_asked(data):
    net, prob, sites, k = data.draw(small_games("arcs"))
    try:
        build_instance(net, prob, sites, k)
    except InputError:
        return
    for gap in (1e-2, 1e-4):
        r = solve_game(net, prob, sites, k, gap=gap, time_limit=60)
        assert r.status in ("optimal", "converged")
        assert r.upper_bound - r.lower_bound <= gap * max(abs(r.upper_bound), 1e-12) + 1e-9
        log = np.array(r.log)
        assert (log[:, 1] <= log[:, 2] + 1e-12).all()


def two_routes(p_detect: float = 0.5) -> tuple[Network, Problem]:
    """Two disjoint roads from one origin to one crossing."""
    net = Network.from_arcs(
        np.array([0, 0, 1, 2]), np.array([1, 2, 3, 3]), np.ones(4), np.zeros(4), np.zeros(4)
    )
    p = od_problem(net, 0, 3)
    return net, p


def test_randomising_pays_on_two_disjoint_routes():
    net, p = two_routes()
    sites = build_sites(net, p, "arcs", delay=0.0, p_detect=0.5)
    r = solve_game(net, p, sites, 1, gap=0)
    # a fixed unit is avoided; a fair coin catches p / 2 whichever road is taken
    assert r.pure_value == pytest.approx(0.0, abs=1e-12)
    assert r.value == pytest.approx(0.25, abs=1e-9)
    assert r.value_of_randomisation == pytest.approx(0.25, abs=1e-9)
    assert sorted(r.coverage.round(9).tolist()) == [0.5, 0.5]
    # with two units both roads are covered: nothing left to randomise
    r2 = solve_game(net, p, sites, 2, gap=0)
    assert r2.value == pytest.approx(0.5) and r2.value_of_randomisation == pytest.approx(0.0)


def test_sampled_schedules_converge_to_the_marginals():
    net, p = two_routes()
    three = Network.from_arcs(
        np.array([0, 0, 0, 1, 2, 3]),
        np.array([1, 2, 3, 4, 4, 4]),
        np.array([1, 1, 1, 1, 2, 3.0]),
        np.zeros(5),
        np.zeros(5),
        arc_attrs={"p_detect": np.array([0.2, 0.5, 0.9, 0.2, 0.5, 0.9])},
    )
    p3 = od_problem(three, 0, 4)
    sites = build_sites(three, p3, "arcs", delay=0.0, p_detect=0.5)
    r = solve_game(three, p3, sites, 2, gap=0)
    assert len(r.sets) >= 2
    errs = []
    for n in (100, 10_000, 400_000):
        draws = sample_schedules(r.probability, n, np.random.default_rng(7))
        freq = np.zeros(sites.size)
        for j, cnt in enumerate(np.bincount(draws, minlength=len(r.sets))):
            freq[r.sets[j]] += cnt / n
        errs.append(np.abs(freq - r.coverage).max())
    assert errs[-1] < 0.005 and errs[-1] <= errs[0]
    # seeded: the same seed gives the same days
    a = sample_schedules(r.probability, 50, np.random.default_rng(3))
    b = sample_schedules(r.probability, 50, np.random.default_rng(3))
    assert (a == b).all()


def test_comb_sampling_has_the_marginals_and_tsai_is_bounded():
    c = np.array([0.3, 0.7, 0.5, 0.5, 1.0])
    sets, prob = comb_sample(c, 3)
    got = np.zeros(c.size)
    for s, pr in zip(sets, prob, strict=True):
        assert s.size == 3
        got[s] += pr
    assert np.allclose(got, c)
    net, p = two_routes()
    sites = build_sites(net, p, "arcs", delay=0.0, p_detect=0.5)
    inst = build_instance(net, p, sites, 1)
    t = tsai_comparison(inst)
    r = solve_game(net, p, sites, 1, gap=0)
    # the LP's estimate is optimistic; its sampled strategy guarantees no more than the game
    assert t["lp_value"] >= r.upper_bound - 1e-9
    assert t["value"] <= r.value + 1e-9


def test_bad_parameters_are_one_line_errors():
    net, p = two_routes()
    sites = build_sites(net, p, "arcs", delay=0.0, p_detect=0.5)
    for kw in ({"k": 0}, {"k": 1.5}, {"k": 1, "gap": -1}, {"k": 1, "gap": 1.0},
               {"k": 1, "time_limit": 0}):  # fmt: skip
        with pytest.raises(InputError) as e:
            solve_game(net, p, sites, **kw)
        assert "\n" not in str(e.value)
    regions = build_sites(net, p, "nodes", delay=0.0, p_detect=0.5)
    object.__setattr__(regions, "kind", "regions")
    with pytest.raises(InputError, match="sites 'regions'"):
        solve_game(net, p, regions, 1)


@given(data=st.data())
@settings(max_examples=8, deadline=None)
def test_bounds_hold_when_stopped_by_the_time_limit(data):
    net, prob, sites, k = data.draw(small_games("arcs"))
    try:
        build_instance(net, prob, sites, k)
    except InputError:
        return
    best, pure = oracle_value(net, prob, sites, k)
    for warm in (True, False):
        # the pure optimum's limit defaults to the game's: both stopped
        r = solve_game(net, prob, sites, k, gap=0.0, time_limit=1e-3, warm_start=warm)
        tol = 1e-7 * max(1.0, best)
        assert r.lower_bound - tol <= best <= r.upper_bound + tol, (
            r.lower_bound,
            best,
            r.upper_bound,
        )
        assert r.value_of_randomisation >= -1e-12
        inst = build_instance(net, prob, sites, k)
        lo, _ = mixed_value(inst, r.sets, r.probability)
        assert lo >= r.value - 1e-9 * max(1.0, best)  # the schedule guarantees its value
        # stopped bounds are certified, finite and never negative (nor -0.0)
        for x in (r.lower_bound, r.upper_bound, r.value, r.pure_value, r.pure_upper):
            assert math.isfinite(x) and x >= 0 and math.copysign(1, x) > 0
        # the game's lower bound is at least what the best fixed plan found guarantees
        assert r.lower_bound >= r.pure_value - 1e-12
        assert r.pure_value - tol <= pure <= r.pure_upper + tol
        vlo, vhi = r.value_of_randomisation_bounds
        assert 0 <= vlo <= vhi and vlo == r.value_of_randomisation
        assert vlo - tol <= max(best - pure, 0.0) <= vhi + tol
