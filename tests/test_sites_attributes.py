"""Sites do what the network says a unit does on each arc, and one place is one site.

Breaker, stop 22: a road's two directions shared the ``p_detect`` (and ``delay``) of
whichever arc came first, so swapping two rows of an edge list changed the game's value
(0.3214 against 0.0833) and ``optimize --objective interception`` (0.5 against 0.1); one
crossing listed twice (by name and by CBP code) became two crossing sites, which split a
unit between them (16.67 against 25.0).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reten
from reten.models.game import solve_game
from reten.models.interdiction import build_sites
from reten.network.model import Network
from reten.problem import Problem


@st.composite
def networks(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(3, 7))
    m = draw(st.integers(n, 3 * n))
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    two_way = rng.random(m) < 0.6
    src, dst = np.concatenate([src, dst[two_way]]), np.concatenate([dst, src[two_way]])
    ok = src != dst
    src, dst = src[ok], dst[ok]
    p = rng.choice([0.1, 0.5, 0.9], src.size)
    delay = rng.choice([5.0, 20.0], src.size)
    return src, dst, p, delay, n, rng


def _net(src, dst, p, delay, n, order):
    return Network.from_arcs(
        src[order],
        dst[order],
        np.ones(src.size),
        np.linspace(0, 1, n),
        np.linspace(0, 1, n) ** 2,
        arc_attrs={"p_detect": p[order], "delay": delay[order]},
    )


@given(case=networks(), with_chain=st.booleans())
@settings(max_examples=80, deadline=None)
def test_every_arc_a_site_covers_detects_and_delays_with_its_own_attributes(case, with_chain):
    src, dst, p, delay, n, rng = case
    if with_chain:  # a degree-2 node in the middle of a road: pieces that may differ
        src = np.concatenate([src, [0, n, n, 1]])
        dst = np.concatenate([dst, [n, 1, 0, n]])
        p = np.concatenate([p, rng.choice([0.1, 0.9], 4)])
        delay = np.concatenate([delay, [5.0, 5.0, 5.0, 5.0]])
        n += 1
    net = _net(src, dst, p, delay, n, np.arange(src.size))
    prob = Problem(
        net.length_m.copy(), np.zeros(net.n_arcs), np.array([1]), np.zeros(1), np.zeros(1),
        np.array([0]), np.ones(1),
    )  # fmt: skip
    sites = build_sites(net, prob, "arcs", delay=1.0, p_detect=0.3)
    inc = sites.incidence.tocoo()
    arc_p, arc_d = net.arc_attrs["p_detect"], net.arc_attrs["delay"]
    for s, e in zip(inc.row.tolist(), inc.col.tolist(), strict=True):
        assert sites.logsurv[s] == pytest.approx(-math.log1p(-arc_p[e])), (s, e)
        assert sites.delay[s] == arc_d[e], (s, e)


@given(case=networks(), k=st.integers(1, 2))
@settings(max_examples=25, deadline=None)
def test_the_game_value_does_not_depend_on_the_order_of_the_edge_rows(case, k):
    src, dst, p, delay, n, rng = case
    values = []
    for order in (np.arange(src.size), rng.permutation(src.size)):
        net = _net(src, dst, p, delay, n, order)
        prob = Problem(
            net.length_m.copy(), np.zeros(net.n_arcs), np.array([n - 1]), np.zeros(1),
            np.zeros(1), np.array([0]), np.ones(1),
        )  # fmt: skip
        if not np.isfinite(net.length_m).any():
            return
        try:
            sites = build_sites(net, prob, "arcs", delay=0.0, p_detect=0.3)
            values.append(solve_game(net, prob, sites, k, gap=1e-9, time_limit=30).value)
        except reten.errors.InputError:  # no route from the origin: nothing to compare
            return
    assert values[0] == pytest.approx(values[1], abs=1e-7)


def test_edge_rows_swapped_give_the_same_game_and_optimum(tmp_path):
    values = []
    for rows in (["o,x,1000,0.9", "x,o,1000,0.1"], ["x,o,1000,0.1", "o,x,1000,0.9"]):
        edges = tmp_path / f"e{len(values)}.csv"
        edges.write_text("\n".join(["source,target,length_m,p_detect", *rows, "o,y,1000,0.5"]))
        net = reten.build_network(edges=edges)
        sc = reten.Scenario.from_dict(
            {"origins": [{"node": "o", "volume_kg": 1}],
             "destinations": [{"node": "x"}, {"node": "y"}]}
        )  # fmt: skip
        g = reten.game(sc, net, checkpoints=1, sites="arcs")
        o = reten.optimize(sc, net, budget=2, objective="interception", sites="arcs")
        values.append((g.value, o.value))
    # 1 / (1/0.9 + 1/0.5): the shipment to x passes o->x, whose p_detect is 0.9
    assert values[0] == pytest.approx(values[1])
    assert values[0] == pytest.approx((1 / (1 / 0.9 + 1 / 0.5), 0.5))


def test_one_crossing_listed_twice_is_one_crossing_site():
    net = reten.load_network("default")
    values = []
    for ports in (["Nogales", "San Luis"], ["Nogales", "2604", "San Luis"]):
        sc = reten.Scenario.from_dict(
            {"origins": [{"state": "Sonora", "volume_kg": 100}],
             "destinations": [{"port": x} for x in ports]}
        )  # fmt: skip
        g = reten.game(sc, net, checkpoints=1, sites="crossings", p_detect=0.5)
        values.append((g.value, sorted(g.coverage["site"])))
    # two crossings, one unit of p = 0.5: a fair coin catches 0.25 of the volume
    assert values[0] == values[1] == (pytest.approx(25.0), ["x_nogales", "x_sanluis"])


@pytest.mark.parametrize("name, bad", [("p_detect", math.nan), ("p_detect", 1.0),
                                       ("p_detect", -0.5), ("delay", math.inf)])  # fmt: skip
def test_an_arc_attribute_out_of_range_is_one_line_naming_the_arc(tmp_path, name, bad):
    # a network made from arrays (or saved by another tool) skips the edge-list reader's
    # checks: NaN or 1.0 surfaced as 'math domain error' with exit 1
    values = np.array([bad, 0.5, 0.5, 0.5])
    net = Network.from_arcs(
        np.array([0, 0, 1, 2]), np.array([1, 2, 3, 3]), np.full(4, 1000.0),
        np.zeros(4), np.zeros(4), arc_attrs={name: values},
    )  # fmt: skip
    sc = {"origins": [{"node": 0, "volume_kg": 1}], "destinations": [{"node": 3}]}
    for call in (
        lambda: reten.game(sc, net, checkpoints=1),
        lambda: reten.optimize(sc, net, budget=1, objective="interception"),
    ):
        with pytest.raises(reten.InputError) as exc:
            call()
        msg = str(exc.value)
        assert "\n" not in msg and msg.startswith(f"arc 0->1: {name} {bad!r}"), msg


def test_parallel_roads_whose_directions_differ_keep_their_road_names(tmp_path):
    # re-check, stop 22: a parallel road (split in two by a node of its own) whose two
    # directions detect differently was named by its split node ('split:o:x:1->x'),
    # differently for each row order
    got = []
    for i, rows in enumerate(
        [
            ["o,x,1000,0.9", "x,o,1000,0.1", "o,x,2000,0.3", "x,o,2000,0.6", "o,y,1000,0.5"],
            ["x,o,2000,0.6", "o,x,2000,0.3", "x,o,1000,0.1", "o,y,1000,0.5", "o,x,1000,0.9"],
        ]
    ):
        (tmp_path / f"e{i}.csv").write_text("\n".join(["source,target,length_m,p_detect", *rows]))
        net = reten.build_network(edges=tmp_path / f"e{i}.csv")
        sc = reten.Scenario.from_dict(
            {"origins": [{"node": "o", "volume_kg": 1}],
             "destinations": [{"node": "x"}, {"node": "y"}]}
        )  # fmt: skip
        g = reten.game(sc, net, checkpoints=1)
        got.append((g.value, sorted(g.raw.sites.label.tolist())))
    # three routes o->x (0.9), o->x#2 (0.3), o->y (0.5): 1 / (1/0.9 + 1/0.3 + 1/0.5)
    assert got[0][0] == pytest.approx(1 / (1 / 0.9 + 1 / 0.3 + 1 / 0.5))
    assert got[0] == (pytest.approx(got[1][0]), got[1][1])
    assert got[0][1] == ["o->x", "o->x#2", "o->y", "x->o", "x->o#2"]


@pytest.mark.parametrize("bad", [-5.0, math.nan, 1e-9])
def test_a_capacity_out_of_range_is_refused_by_every_model_that_reads_it(bad):
    # re-check, stop 22: capacity_kg -5 from Network.from_arcs counted as no limit in
    # optimize --objective capacity (an edge list refuses it)
    net = Network.from_arcs(
        np.array([0, 0, 1, 2]), np.array([1, 2, 3, 3]), np.full(4, 1000.0),
        np.zeros(4), np.zeros(4), arc_attrs={"capacity_kg": np.array([0.5, 0.5, 0.5, bad])},
    )  # fmt: skip
    sc = {"origins": [{"node": 0, "volume_kg": 1}], "destinations": [{"node": 3}]}
    with pytest.raises(reten.InputError, match=r"^arc 2->3: capacity_kg "):
        reten.optimize(sc, net, budget=1, objective="capacity")
    cong = {**sc, "congestion": {"arc_capacity_attr": "capacity_kg"}}
    with pytest.raises(reten.InputError, match="congestion.arc_capacity_attr.*arc 2->3"):
        reten.run(cong, net)
