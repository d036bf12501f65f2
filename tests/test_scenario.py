"""Scenario validation: one-line errors with file, line and field; name resolution."""

from __future__ import annotations

import numpy as np
import pytest

from reten.data import default_network
from reten.errors import InputError
from reten.scenario import parse_scenario, resolve

BASE = """name = "t"
[network]
default = true

[[origins]]
municipality = "Culiacán"
volume_kg = 100

[costs]
mode = "length_km"
"""


def err(text: str) -> str:
    with pytest.raises(InputError) as ei:
        sc = parse_scenario(text, "s.toml")
        resolve(sc, default_network())
    msg = str(ei.value)
    assert "\n" not in msg
    return msg


def test_valid_scenario_resolves():
    p = resolve(parse_scenario(BASE, "s.toml"), default_network())
    assert p.origin_volume_kg.tolist() == [100.0]
    assert p.sink_node.size == 28  # every border node by default
    net = default_network()
    assert net.node_name[p.origin_node[0]] == "Culiacán"


def test_unknown_key_names_line_and_field():
    msg = err(BASE.replace("volume_kg = 100", "volume_kg = 100\nvolumen = 3"))
    assert msg.startswith("s.toml:8: origins[0].volumen: unknown key")


def test_unknown_place_suggests_closest():
    msg = err(
        BASE.replace('"Culiacán"', '"Culiacan Rosales"').replace(
            'municipality = "Culiacan Rosales"', 'municipality = "Culiacn"'
        )
    )
    assert "s.toml:6: origins[0].municipality" in msg and "'Culiacán, Sinaloa'" in msg


def test_unknown_port_suggests():
    msg = err(BASE + '\n[[destinations]]\nport = "Nogals"\n')
    assert "destinations[0].port" in msg and "'Nogales crossing'" in msg


@pytest.mark.parametrize("value", ["-5", "nan", "inf", '"ten"'])
def test_bad_volumes(value):
    msg = err(BASE.replace("volume_kg = 100", f"volume_kg = {value}"))
    assert msg.startswith("s.toml:7: origins[0].volume_kg:")


def test_empty_origins():
    msg = err('name = "x"\n[costs]\nmode = "length_km"\n')
    assert "origins" in msg and "no origins" in msg


def test_bad_probability_and_type():
    msg = err(
        BASE + '\n[[enforcement]]\ntype = "crackdown"\nregions = ["Sinaloa"]\np_detect = 1.5\n'
    )
    assert "enforcement[0].p_detect" in msg and "s.toml:15" in msg
    msg = err(BASE + '\n[[enforcement]]\ntype = "raid"\n')
    assert "enforcement[0].type" in msg and "crackdown" in msg


def test_ambiguous_municipality_lists_states():
    net = default_network()
    names = [str(n) for n in net.regions.name]
    assert names.count("Guadalupe y Calvo") == 1
    # 'Sinaloa' is a state and a municipality: plain regions mean the state
    sc = parse_scenario(
        BASE + '\n[[enforcement]]\ntype = "crackdown"\nregions = ["Sinaloa"]\n'
        "cost_multiplier = 2\n",
        "s.toml",
    )
    p = resolve(sc, net)
    base = resolve(parse_scenario(BASE, "s.toml"), net)
    doubled = np.isclose(p.arc_cost, 2 * base.arc_cost) & (base.arc_cost > 0)
    st = net.regions.index()["25"]
    in_sinaloa = net.regions.ancestor_at_level(net.node_region[net.arc_source], "state") == st
    assert (doubled == in_sinaloa).all()


def test_state_origin_spreads_over_municipalities():
    text = BASE.replace('municipality = "Culiacán"', 'state = "Sinaloa"')
    p = resolve(parse_scenario(text, "s.toml"), default_network())
    assert p.origin_node.size == 18 and np.isclose(p.origin_volume_kg.sum(), 100)


def test_deployment_form():
    text = BASE + (
        '\n[[enforcement]]\ntype = "deployment"\nunits = 280\ncrossings = true\np1 = 0.01\n'
    )
    p = resolve(parse_scenario(text, "s.toml"), default_network())
    # 280 units over 28 crossings: 10 each, detection 1 - 0.99**10
    assert np.allclose(-np.expm1(-p.sink_logsurv), 1 - 0.99**10)


def _relocation(table: str):
    from reten.scenario.resolution import resolve_relocation

    text = BASE + f'\n[relocation]\ncandidates = "all"\nproduction_cost = 10\n{table}\n'
    sc = parse_scenario(text, "s.toml")
    net = default_network()
    return resolve_relocation(sc, net, resolve(sc, net))


@pytest.mark.parametrize("state", ["Sinaloa", "Sonora", "Jalisco"])
def test_production_cost_factor_refuses_two_keys_for_one_region(state):
    """A state's code and its name are one region: two factors for it are refused (the
    answer would depend on key order), in either order, naming both keys and the line."""
    net = default_network()
    row = int(np.flatnonzero((net.regions.name == state) & (net.regions.level == "state"))[0])
    code = str(net.regions.code[row])
    for a, b in ((code, state), (state, code)):
        table = f'production_cost_factor = {{Guerrero = 3, "{a}" = 1, "{b}" = 100}}'
        with pytest.raises(InputError) as ei:
            _relocation(table)
        msg = str(ei.value)
        assert "\n" not in msg and msg.startswith("s.toml:15: relocation.production_cost_factor")
        assert f"'{a}' and '{b}'" in msg and "same region" in msg


def test_production_cost_factor_distinct_regions_do_not_depend_on_order():
    a = _relocation('production_cost_factor = {Guerrero = 3, "25" = 2}')
    b = _relocation('production_cost_factor = {"25" = 2, Guerrero = 3}')
    np.testing.assert_array_equal(a.node_production_cost, b.node_production_cost)
    net = default_network()
    assert set(np.unique(a.node_production_cost).tolist()) == {10.0, 20.0, 30.0}
    sinaloa = net.regions.ancestor_at_level(net.node_region, "state")
    in_sinaloa = net.regions.code[np.maximum(sinaloa, 0)] == "25"
    in_sinaloa &= sinaloa >= 0
    assert (a.node_production_cost[in_sinaloa] == 20.0).all()


@pytest.mark.parametrize("cand", ['"ALL"', '["all"]', '"All"'])
def test_relocation_candidates_all_spelled_otherwise_gets_a_hint(cand):
    from reten.scenario.resolution import resolve_relocation

    sc = parse_scenario(BASE + f"\n[relocation]\ncandidates = {cand}\n", "s.toml")
    net = default_network()
    with pytest.raises(InputError) as ei:
        resolve_relocation(sc, net, resolve(sc, net))
    msg = str(ei.value)
    assert "\n" not in msg and msg.startswith("s.toml:13: relocation.candidates")
    assert msg.endswith('(did you mean candidates = "all"?)'), msg
    # the documented spelling works
    ok = parse_scenario(BASE + '\n[relocation]\ncandidates = "all"\n', "s.toml")
    assert resolve_relocation(ok, net, resolve(ok, net)) is not None
