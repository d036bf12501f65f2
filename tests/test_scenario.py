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
