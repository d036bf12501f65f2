"""Each part of the security game's solver against an independent oracle (issue 12 audit).

The end-to-end tests of ``test_game`` compare the value with the LP over every pure
strategy, but on their small random graphs the separable trees are already exact
attackers and the greedy already an exact defender: an exact oracle broken or removed
went unnoticed (mutation experiments). Here each part meets brute force where it has to
do the work:

* the exact attacker (label search) on layered graphs whose routes pass several support
  sites, where the trees miss the best route; the oracle enumerates every simple path with
  NetworkX (``test_game.enumerate_paths``);
* the defender MILP against every k-set;
* the double oracle with a deliberately poor greedy, so that only the MILP can find the
  improving k-sets and certify the upper bound;
* every logged bound (not only the last) against the enumerated LP value;
* the SNARES warm start's cut against the smallest separating site set, by enumeration;
* the stopping rule on grids whose bounds close over several iterations;
* the per-arc ``p_detect`` attribute against a closed form.
"""

from __future__ import annotations

import itertools
import math
import sys

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from reten.errors import InputError
from reten.models.game import build_instance, solve_game
from reten.models.game.attacker import ExactAttacker, tree_responses
from reten.models.game.defender import best_response_milp
from reten.models.game.strategies import KSets
from reten.models.game.warmstart import min_site_cut
from reten.models.interdiction import build_sites
from reten.network.model import Network
from reten.problem import Problem
from test_game import enumerate_paths, od_problem, oracle_value, small_games


def layered(seed: int, kind: str = "arcs") -> tuple[Network, Problem, object, int]:
    """One origin, two or three stages of parallel roads (arcs) or junctions (nodes) in
    series, crossings at the last stage: every route passes one site per stage."""
    rng = np.random.default_rng(seed)
    stages = int(rng.integers(2, 4))
    src: list[int] = []
    dst: list[int] = []
    prev, nxt = [0], 1
    for _ in range(stages):
        here = list(range(nxt, nxt + (int(rng.integers(1, 3)) if kind == "nodes" else 1)))
        nxt += len(here)
        width = int(rng.integers(2, 4)) if kind == "arcs" else 1
        for u in prev:
            for v in here:
                src += [u] * width
                dst += [v] * width
        prev = here
    n = nxt
    net = Network.from_arcs(
        np.array(src),
        np.array(dst),
        np.ones(len(src)),
        np.zeros(n),
        np.zeros(n),
        arc_attrs={"p_detect": rng.choice([0.3, 0.5, 0.7, 0.9], len(src))},
    )
    sinks = np.array(prev)
    z = np.zeros(sinks.size)
    prob = Problem(
        net.length_m.copy(), np.zeros(net.n_arcs), sinks, z, z, np.array([0]), np.ones(1)
    )
    return net, prob, build_sites(net, prob, kind, delay=0.0, p_detect=0.5), int(rng.integers(2, 4))


def best_survival(paths, logsurv, sets, sigma) -> float:
    """Brute force: the most a route keeps against the mixed strategy (every simple path)."""
    members = [set(np.asarray(s).tolist()) for s in sets]
    return max(
        math.exp(-base)
        * sum(
            pr * math.exp(-sum(logsurv[s] for s in hit if s in members[j]))
            for j, pr in enumerate(sigma)
        )
        for base, hit in paths
    )


def random_strategies(seed: int, kind: str, count: int):
    """(instance, its paths, k-sets matrix, the k-sets, sigma) for random mixed strategies."""
    net, prob, sites, k = layered(seed, kind)
    inst = build_instance(net, prob, sites, k)
    paths = enumerate_paths(net, prob, sites)[0]
    allsets = list(itertools.combinations(range(inst.n_sites), min(k, inst.n_sites)))
    rng = np.random.default_rng(seed)
    for _ in range(count):
        ks = KSets(inst.n_sites)
        for j in rng.choice(len(allsets), int(rng.integers(2, min(6, len(allsets)) + 1)), False):
            ks.add(np.array(allsets[j]))
        sigma = rng.dirichlet(np.full(len(ks), 0.5))
        yield inst, paths, ks.matrix(), ks.sets, sigma


def test_the_exact_attacker_finds_the_best_route_where_the_trees_do_not():
    missed_by_trees = 0
    for seed in range(15):
        for inst, paths, mat, sets, sigma in random_strategies(seed, "arcs", 20):
            f_star = best_survival(paths, inst.logsurv, sets, sigma)
            resp = tree_responses(inst, mat, sigma)
            assert resp[0][0] <= f_star + 1e-12  # a tree's route is a real route
            missed_by_trees += resp[0][0] < f_star - 1e-9
            best, bound, better = ExactAttacker(inst).respond(mat, sigma, resp)
            assert best[0] == pytest.approx(f_star, abs=1e-10), (seed, best, f_star)
            assert bound[0] == pytest.approx(f_star, abs=1e-10)
            if better[0] is not None:  # the route it returns keeps what it says
                f, base, hit, _ = better[0]
                assert f == pytest.approx(best_survival([(base, hit)], inst.logsurv, sets, sigma))
    # the instances do exercise the search: the trees miss the best route on some of them
    assert missed_by_trees >= 5


def test_a_search_stopped_by_its_label_limit_still_bounds_the_best_route():
    for seed in (33, 51, 53):
        for inst, paths, mat, sets, sigma in random_strategies(seed, "arcs", 40):
            f_star = best_survival(paths, inst.logsurv, sets, sigma)
            resp = tree_responses(inst, mat, sigma)
            for limit in (1, 2, 3, 4, 6):
                _, bound, _ = ExactAttacker(inst, max_labels=limit).respond(mat, sigma, resp)
                assert bound[0] >= f_star - 1e-12, (seed, limit, bound[0], f_star)


def brute_defender(hits, base, beta, logsurv, k) -> float:
    s = hits.shape[1]
    h = hits.toarray() > 0
    best = 0.0
    for c in itertools.combinations(range(s), min(k, s)):
        x = np.zeros(s)
        x[list(c)] = logsurv[list(c)]
        best = max(best, float(beta @ -np.expm1(-(base + h @ x))))
    return best


def test_the_defender_milp_is_exact_against_every_k_set():
    rng = np.random.default_rng(5)
    for _ in range(60):
        r, s, k = int(rng.integers(2, 9)), int(rng.integers(3, 8)), int(rng.integers(1, 4))
        h = rng.random((r, s)) < 0.4
        h[np.arange(r), rng.integers(0, s, r)] = True  # every route passes a site
        hits = sp.csr_matrix(h.astype(float))
        base = rng.uniform(0, 0.5, r) * (rng.random(r) < 0.5)
        beta = rng.choice([0.0, 0.5, 1.0, 3.0], r)
        logsurv = -np.log1p(-rng.choice([0.2, 0.5, 0.9], s))
        want = brute_defender(hits, base, beta, logsurv, k)
        sites, val, up = best_response_milp(hits, base, beta, logsurv, k)
        assert sites.size <= k
        assert val == pytest.approx(want, abs=1e-9)
        assert want - 1e-9 <= up <= want + 1e-6 * max(1.0, want)


@pytest.mark.parametrize(
    "rows,beta",
    [([[0, 0], [1, 0], [0, 1]], [1.0, 10.0, 1.0]), ([[1, 1, 0], [0, 0, 0], [0, 0, 1]], [5, 1, 1])],
)
def test_the_defender_milp_with_a_route_that_passes_no_site(rows, beta):
    hits = sp.csr_matrix(np.array(rows, dtype=float))
    logsurv = -np.log1p(-np.full(hits.shape[1], 0.5))
    base, beta = np.zeros(hits.shape[0]), np.array(beta, dtype=float)
    want = brute_defender(hits, base, beta, logsurv, 1)
    _, val, up = best_response_milp(hits, base, beta, logsurv, 1)
    assert val == pytest.approx(want) and up == pytest.approx(want, rel=1e-6)


def first_k(hits, base, beta, logsurv, k):
    """A poor 'greedy': always the first k sites (only the MILP can do better)."""
    from reten.models.game.defender import interception

    s = np.arange(min(k, hits.shape[1]))
    return s, interception(hits, base, beta, logsurv, s)


def check_log(r, best: float) -> None:
    tol = 1e-7 * max(1.0, best)
    log = np.array(r.log)
    assert (log[:, 1] <= best + tol).all(), (best, log[:, 1])  # every lower bound
    assert (log[:, 2] >= best - tol).all(), (best, log[:, 2])  # every upper bound


@given(data=st.data())
@settings(max_examples=10, deadline=None)
def test_the_milp_finds_and_certifies_what_a_poor_greedy_misses(data):
    net, prob, sites, k = data.draw(small_games(data.draw(st.sampled_from(["arcs", "nodes"]))))
    try:
        build_instance(net, prob, sites, k)
    except InputError:
        return
    best, _ = oracle_value(net, prob, sites, k)
    do = sys.modules["reten.models.game.double_oracle"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(do, "greedy", first_k)
        mp.setattr(do, "swap_neighbours", lambda *a, **kw: [])
        r = solve_game(net, prob, sites, k, gap=1e-9, time_limit=60, warm_start=False)
    assert r.value == pytest.approx(best, abs=1e-6 * max(1.0, best)), (r.value, best, r.log)
    check_log(r, best)


def schedule_value(net, prob, sites, sets, probability) -> float:
    """Brute force: what a mixed schedule guarantees against every simple path."""
    vol: dict[int, float] = {}
    for o, v in zip(prob.origin_node.tolist(), prob.origin_volume_kg.tolist(), strict=True):
        vol[o] = vol.get(o, 0.0) + v
    paths = enumerate_paths(net, prob, sites)
    return sum(
        vol[o] * (1.0 - best_survival(ps, sites.logsurv, sets, probability))
        for o, ps in zip(sorted(vol), paths, strict=True)
        if ps
    )


@pytest.mark.parametrize("kind", ["arcs", "nodes"])
@given(data=st.data())
@settings(max_examples=10, deadline=None)
def test_every_logged_bound_brackets_the_value_and_the_schedule_keeps_it(kind, data):
    net, prob, sites, k = data.draw(small_games(kind))
    try:
        build_instance(net, prob, sites, k)
    except InputError:
        return
    best, _ = oracle_value(net, prob, sites, k)
    for warm in (True, False):
        r = solve_game(net, prob, sites, k, gap=1e-9, time_limit=60, warm_start=warm)
        check_log(r, best)
        kept = schedule_value(net, prob, sites, r.sets, r.probability)
        assert kept >= r.value - 1e-9 * max(1.0, best)


def test_layered_games_equal_the_lp_over_every_pure_strategy():
    for seed in range(8):
        net, prob, sites, k = layered(seed, "arcs")
        best, _ = oracle_value(net, prob, sites, k)
        r = solve_game(net, prob, sites, k, gap=1e-9, time_limit=60)
        assert r.value == pytest.approx(best, abs=1e-6 * max(1.0, best))
        check_log(r, best)


def smallest_separating_sites(net: Network, prob: Problem, sites) -> int:
    """Brute force: the fewest sites whose arcs, removed, leave no origin a crossing."""
    m = net.n_arcs
    inc = sites.incidence.tocsr()
    cost = np.concatenate([prob.arc_cost, prob.sink_cost])
    arcs = [e for e in range(m + prob.sink_node.size) if np.isfinite(cost[e])]

    def separated(chosen) -> bool:
        gone = set(inc[list(chosen)].indices.tolist()) if chosen else set()
        g = nx.DiGraph()
        g.add_nodes_from(range(net.n_nodes))
        g.add_node("T")
        for e in arcs:
            if e in gone:
                continue
            if e < m:
                g.add_edge(int(net.arc_source[e]), int(net.arc_target[e]))
            else:
                g.add_edge(int(prob.sink_node[e - m]), "T")
        return not any(nx.has_path(g, int(o), "T") for o in prob.origin_node)

    for size in range(sites.size + 1):
        for chosen in itertools.combinations(range(sites.size), size):
            if separated(chosen):
                return size
    return -1  # no cut: some route passes no site


@pytest.mark.parametrize("kind", ["arcs", "nodes", "crossings"])
@given(data=st.data())
@settings(max_examples=10, deadline=None)
def test_the_warm_start_cut_is_a_minimum_site_cut(kind, data):
    net, prob, sites, k = data.draw(small_games(kind))
    try:
        inst = build_instance(net, prob, sites, k)
    except InputError:
        return
    want = smallest_separating_sites(net, prob, sites)
    cut = min_site_cut(inst)
    if want < 0:
        assert cut.size == 0
    else:
        assert cut.size == want and smallest_separating_sites(net, prob, sites.subset(cut)) >= 0


def grid(rows: int, cols: int, seed: int) -> tuple[Network, Problem, object]:
    """An Israeli-Wood grid: arcs forward along rows and both ways between rows, a source
    joined to the first column and the last column joined to the sink (those arcs carry
    no site); detection U[0.1, 0.5] on each grid arc."""
    rng = np.random.default_rng(seed)
    nid = np.arange(rows * cols).reshape(rows, cols)
    src: list[int] = []
    dst: list[int] = []
    for r in range(rows):
        for c in range(cols - 1):
            src.append(int(nid[r, c]))
            dst.append(int(nid[r, c + 1]))
    for r in range(rows - 1):
        for c in range(cols):
            src += [int(nid[r, c]), int(nid[r + 1, c])]
            dst += [int(nid[r + 1, c]), int(nid[r, c])]
    inner = len(src)
    s, t = rows * cols, rows * cols + 1
    src += [s] * rows + nid[:, -1].tolist()
    dst += nid[:, 0].tolist() + [t] * rows
    length = np.concatenate([rng.integers(1, 11, inner).astype(float), np.full(2 * rows, 1e-9)])
    p_arc = np.concatenate([rng.uniform(0.1, 0.5, inner), np.zeros(2 * rows)])
    net = Network.from_arcs(
        np.array(src),
        np.array(dst),
        length,
        np.zeros(rows * cols + 2),
        np.zeros(rows * cols + 2),
        arc_attrs={"p_detect": p_arc},
    )
    prob = od_problem(net, s, t)
    sites = build_sites(net, prob, "arcs", delay=0.0, p_detect=0.0)
    return net, prob, sites.subset(np.flatnonzero(sites.logsurv > 0))


@pytest.mark.parametrize("rows,cols,k,seed,gap", [(3, 4, 3, 3, 0.005), (3, 5, 3, 1, 0.01)])
def test_the_gap_asked_is_met_where_the_bounds_close_over_several_iterations(
    rows, cols, k, seed, gap
):
    net, prob, sites = grid(rows, cols, seed)
    r = solve_game(net, prob, sites, k, gap=gap, time_limit=60)
    assert r.status in ("optimal", "converged")
    assert r.upper_bound - r.lower_bound <= gap * r.upper_bound + 1e-12
    first = r.log[0]
    assert first[2] - first[1] > gap * first[2]  # the first bounds were not yet within gap


def test_each_roads_own_p_detect_sets_its_detection():
    # two disjoint roads with p1 = 0.2 and p2 = 0.8 (the network's attribute), one unit:
    # the traffickers equalise p_i c_i, so the value is p1 p2 / (p1 + p2) = 0.16 (with
    # --p-detect 0.5 on both it would be 0.25)
    net = Network.from_arcs(
        np.array([0, 0, 1, 2]),
        np.array([1, 2, 3, 3]),
        np.ones(4),
        np.zeros(4),
        np.zeros(4),
        arc_attrs={"p_detect": np.array([0.2, 0.8, 0.2, 0.8])},
    )
    prob = od_problem(net, 0, 3)
    sites = build_sites(net, prob, "arcs", delay=0.0, p_detect=0.5)
    r = solve_game(net, prob, sites, 1, gap=0)
    assert r.value == pytest.approx(0.16, abs=1e-9)
    assert sorted(np.round(r.coverage, 9).tolist()) == [0.2, 0.8]  # c_i ~ 1 / p_i


def test_an_origin_on_a_crossing_is_certified_within_the_gap():
    # origins 3 and 0 (10 kg each), crossings 3 and 4: origin 3 ships at its own crossing
    src = np.array([0, 0, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5])
    dst = np.array([3, 5, 4, 3, 4, 0, 2, 4, 5, 1, 2, 3, 0, 3])
    p_arc = np.array([0.8, 0.8, 0.5, 0.8, 0.8, 0.8, 0.8, 0.8, 0.2, 0.8, 0.8, 0.2, 0.2, 0.8])
    net = Network.from_arcs(
        src, dst, np.ones(14), np.zeros(6), np.zeros(6), arc_attrs={"p_detect": p_arc}
    )
    assert net.n_arcs == 14
    base = np.zeros(14)
    base[[2, 3, 6, 7, 11, 13]] = [0.2389, 0.3964, 0.0633, 0.4814, 0.3117, 0.0393]
    prob = Problem(
        net.length_m.copy(),
        base,
        np.array([3, 4]),
        np.zeros(2),
        np.zeros(2),
        np.array([3, 0]),
        np.array([10.0, 10.0]),
    )
    sites = build_sites(net, prob, "arcs", delay=0.0, p_detect=0.5)
    best, _ = oracle_value(net, prob, sites, 1)
    r = solve_game(net, prob, sites, 1, gap=1e-6, time_limit=60)
    assert r.value == pytest.approx(best, abs=1e-6)
    assert r.upper_bound - r.lower_bound <= 1e-6 * r.upper_bound
