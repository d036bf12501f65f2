"""Relocation (brute-force argmin, crackdown direction), the precursor chain, validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_cli
from oracles import nx_root_distances
from reten.analysis.validate import validate
from reten.errors import InputError
from reten.models.chain import solve_inbound
from reten.models.relocation import RelocationSpec, relocate
from reten.models.routes import solve_routes
from reten.network.model import Network
from reten.problem import Problem
from strategies import networks


@st.composite
def instances(draw):
    net = draw(networks(nodes=(4, 14), arcs=(4, 42), length=(1.0, 10.0)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = net.n_nodes
    k = draw(st.integers(1, 3))
    sinks = rng.choice(n, k, replace=False)
    labs = rng.choice(n, draw(st.integers(1, 4)))
    q = draw(st.integers(1, 2))
    seaports = rng.choice(n, q, replace=False)
    chain = draw(st.booleans())
    p = Problem(
        net.length_m * rng.uniform(0.5, 2, net.n_arcs),
        rng.uniform(0, 0.1, net.n_arcs),
        sinks,
        rng.uniform(0, 5, k),
        np.zeros(k),
        labs,
        rng.uniform(1, 10, labs.size),
        risk_weight=float(rng.uniform(0, 20)),
        source_node=seaports if chain else np.zeros(0, np.int64),
        source_cost=rng.uniform(0, 3, q) if chain else np.zeros(0),
        source_logsurv=np.zeros(q) if chain else np.zeros(0),
        precursor_ratio=float(rng.uniform(0.5, 2)) if chain else 0.0,
    )
    cands = [rng.choice(n, rng.integers(1, n + 1), replace=False) for _ in labs]
    spec = RelocationSpec(
        cands,
        relocation_cost=float(rng.uniform(0, 10)),
        node_production_cost=rng.uniform(0, 10, net.n_nodes),
        loss_value=float(rng.uniform(0, 30)) * draw(st.sampled_from([0, 1])),
    )
    return net, p, spec


def nx_dist(net, weight, roots, root_cost, reverse):
    """Least cost from every node to the roots (reverse) or from the roots (forward)."""
    return nx_root_distances(net, weight, roots, root_cost, reverse=reverse)


@given(instances())
@settings(max_examples=60, deadline=None)
def test_chosen_site_is_the_brute_force_argmin(inst):
    net, p, spec = inst
    r = relocate(net, p, spec)
    rho = p.risk_weight
    out = nx_dist(net, p.arc_cost + rho * p.arc_logsurv, p.sink_node, p.sink_cost, True)
    # survival along the cheapest route, for the expected-loss term (same tree as reten's)
    from reten.kernels.pathsum import path_sum
    from reten.models.routes import route_tree

    w = path_sum(route_tree(net, p), p.arc_logsurv, p.sink_logsurv)
    inn = (
        p.precursor_ratio
        * nx_dist(net, p.arc_cost + rho * p.arc_logsurv, p.source_node, p.source_cost, False)
        if p.source_node.size
        else np.zeros(net.n_nodes)
    )
    for i, cand in enumerate(spec.lab_candidates):
        cur = int(p.origin_node[i])
        sites = [cur] + [int(c) for c in cand if c != cur]
        costs = [
            spec.node_production_cost[s]
            + spec.relocation_cost * (s != cur)
            + out[s]
            + spec.loss_value * (1 - np.exp(-w[s])) * (spec.loss_value > 0)
            + inn[s]
            for s in sites
        ]
        best = np.nanmin(np.where(np.isfinite(costs), costs, np.inf))
        chosen = int(r.problem.origin_node[r.relocation.lab == i][0])
        if np.isfinite(best):
            assert np.isclose(costs[sites.index(chosen)], best, rtol=1e-9, atol=1e-9)
        else:
            assert chosen == cur


@given(instances(), st.integers(0, 2**32 - 1), st.floats(1.0, 5.0))
@settings(max_examples=60, deadline=None)
def test_production_crackdown_never_moves_production_into_it(inst, seed, mult):
    net, p, spec = inst
    region = np.random.default_rng(seed).random(net.n_nodes) < 0.4
    before = relocate(net, p, spec)
    cracked = RelocationSpec(
        spec.lab_candidates,
        spec.relocation_cost,
        np.where(region, spec.node_production_cost * mult + 1.0, spec.node_production_cost),
        spec.rule,
        spec.logit_scale,
        spec.loss_value,
    )
    after = relocate(net, p, cracked)
    for lab in range(p.origin_node.size):
        b = before.problem.origin_node[before.relocation.lab == lab][0]
        a = after.problem.origin_node[after.relocation.lab == lab][0]
        # a lab whose site was outside the crackdown never moves into it
        assert region[a] <= region[b] or a == b
    vol_in = [
        x.problem.origin_volume_kg[region[x.problem.origin_node]].sum() for x in (before, after)
    ]
    assert vol_in[1] <= vol_in[0] + 1e-9


@given(instances())
@settings(max_examples=60, deadline=None)
def test_chain_cost_is_the_two_legs(inst):
    net, p, _ = inst
    if not p.source_node.size:
        return
    w = p.arc_cost + p.risk_weight * p.arc_logsurv
    out = nx_dist(net, w, p.sink_node, p.sink_cost, True)
    inn = nx_dist(net, w, p.source_node, p.source_cost, False)
    r = solve_routes(net, p)
    leg = solve_inbound(net, p)
    o = p.origin_node
    ok = np.isfinite(out[o]) & np.isfinite(inn[o])
    assert np.allclose(
        (r.origin_cost + leg.origin_cost)[ok], (out[o] + p.precursor_ratio * inn[o])[ok]
    )
    # precursor flows: every lab's precursor volume leaves its seaport
    reach = leg.origin_seaport >= 0
    assert np.isclose(
        leg.seaport_flow_kg.sum(), (p.origin_volume_kg * p.precursor_ratio)[reach].sum()
    )


def test_logit_shares_sum_to_volume():
    net = Network.from_arcs(
        np.array([0, 1, 2]),
        np.array([3, 3, 3]),
        np.array([5.0, 6.0, 7.0]),
        np.zeros(4),
        np.zeros(4),
    )
    p = Problem(
        net.length_m,
        np.zeros(3),
        np.array([3]),
        np.zeros(1),
        np.zeros(1),
        np.array([0]),
        np.array([10.0]),
    )
    spec = RelocationSpec([np.array([1, 2])], rule="logit", logit_scale=1.0)
    r = relocate(net, p, spec)
    shares = r.problem.origin_volume_kg / 10.0
    want = np.exp(-np.array([5.0, 6.0, 7.0]))
    assert np.allclose(np.sort(shares)[::-1], want / want.sum())


def test_validate_recovers_a_known_rank_correlation():
    rng = np.random.default_rng(0)
    n, r = 4000, 0.6
    z = rng.multivariate_normal([0, 0], [[1, r], [r, 1]], size=n)
    codes = [f"{i:05d}" for i in range(n)]
    pred = pd.DataFrame({"region": codes, "predicted": np.exp(z[:, 0])})
    obs = pd.DataFrame({"region": codes, "observed": z[:, 1] ** 3})
    v = validate(pred, obs, bootstrap=300, seed=1)
    expected = 6 / np.pi * np.arcsin(r / 2)  # Spearman of a bivariate normal
    assert v.ci_low <= expected <= v.ci_high
    assert abs(v.spearman - expected) < 0.03
    v2 = validate(pred, obs.assign(observed=-np.exp(z[:, 0])), bootstrap=50)
    assert v2.spearman == pytest.approx(-1.0)


def test_validate_unmatched_codes_are_listed():
    pred = pd.DataFrame({"region": ["01", "02", "03"], "predicted": [1.0, 2.0, 3.0]})
    obs = pd.DataFrame({"region": ["1", "2", "99", "XX"], "observed": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(InputError, match="99, XX"):
        validate(pred, obs)


def test_validate_cli_exit_2_on_mismatch(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    pd.DataFrame(
        {"region": ["01", "02", "03", "04"], "level": "state", "flow_kg": [1, 2, 3, 4], "name": "x"}
    ).to_csv(run / "regions.csv", index=False)
    (tmp_path / "obs.csv").write_text("code|value\n01|1\n02|2\n77|3\n")
    proc = run_cli(
        "validate",
        str(run),
        "--observed",
        str(tmp_path / "obs.csv"),
        "--region-col",
        "code",
        "--value-col",
        "value",
    )
    assert proc.returncode == 2 and "77" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    (tmp_path / "obs.csv").write_text("code|value\n01|1\n02|2\n03|3\n04|4\n")
    proc = run_cli(
        "validate",
        str(run),
        "--observed",
        str(tmp_path / "obs.csv"),
        "--region-col",
        "code",
        "--value-col",
        "value",
        "-o",
        str(tmp_path / "v"),
    )
    assert proc.returncode == 0, proc.stderr
    assert '"spearman": 1.0' in proc.stdout
    assert (tmp_path / "v" / "validation.html").is_file()
