"""Upper limits of the scenario's magnitudes (breaker finding: a volume of 1e300 was accepted
and ``reten optimize`` printed numpy overflow warnings).

Every volume, capacity, cost, risk weight, factor, distance and time limit has a documented
upper limit (reten.scenario.schema: MAX_KG, MAX_COST, ...). Above it: the standard one-line
InputError naming the file, the field and the valid range, exit 2. At the limits: the demo
runs through ``run``, ``optimize`` and ``game`` with no warning and finite figures.
"""

from __future__ import annotations

import math
import re
import warnings
from importlib import resources
from pathlib import Path

import pytest

from clikit import assert_one_line_error, call, strict_json
from reten.errors import InputError
from reten.scenario import Scenario
from reten.scenario.schema import MAX_COST, MAX_FACTOR, MAX_KG, SECTIONS
from test_scenario_schema import _row_for

DEMO = resources.files("reten.data") / "demo" / "baseline.toml"

# numbers bounded by nature (degrees, probabilities, a share, a gap) or not magnitudes (seed)
NATURAL = {"lon", "lat", "p_detect", "p1", "purity", "target_gap", "seed"}
NUMERIC = [
    (s.path, k)
    for s in SECTIONS
    for k in s.keys
    if k.kind in ("number", "integer", "number_map") and k.name not in NATURAL
]


def test_every_magnitude_has_a_finite_upper_limit():
    for section, k in NUMERIC:
        assert math.isfinite(k.hi), (section, k.name)
        assert k.hi <= 1e15, (section, k.name, k.hi)


@pytest.mark.parametrize(("section", "key"), NUMERIC, ids=[f"{s}.{k.name}" for s, k in NUMERIC])
def test_a_value_above_the_limit_is_one_line_naming_field_and_range(section, key):
    prefix, data = _row_for(section)
    value: object = {"local": 1e300} if key.kind == "number_map" else 1e300
    if key.kind == "integer":
        value = 10**18
    if section == "":
        data = {**data, key.name: value}
    elif prefix.endswith("[0]"):
        arr = prefix[:-3]
        data = {**data, arr: [{**data[arr][0], key.name: value}]}
    else:
        data = {**data, section: {**data.get(section, {}), key.name: value}}
    if key.name == "production_cost_factor":
        data[section][key.name] = {"Sinaloa": 1e300}
    with pytest.raises(InputError) as ei:
        Scenario.from_dict(data, path="s.toml")
    msg = str(ei.value)
    field = f"{prefix}.{key.name}" if prefix else key.name
    assert "\n" not in msg and msg.startswith("s.toml"), msg
    assert field in msg and key.range_text() in msg, (field, key.range_text(), msg)


def _demo_with(tmp_path: Path, edit) -> str:
    text = edit(DEMO.read_text(encoding="utf-8"))
    (tmp_path / "s.toml").write_text(text, encoding="utf-8")
    return "s.toml"


COMMANDS = [
    ["run"],
    ["optimize", "--budget", "2", "--time-limit", "30"],
    ["game", "--checkpoints", "2", "--time-limit", "30"],
]


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize(
    ("find", "put", "field"),
    [
        ("volume_kg = 400", "volume_kg = 1e300", "origins[0].volume_kg"),
        ("per_km = 0.5 ", "per_km = 1e300 ", "costs.per_km"),
        ("risk_weight = 2000.0", "risk_weight = 1e300", "risk_weight"),
        ("local = 1.6", "local = 1e300", "costs.class_factor.local"),
    ],
)
def test_absurd_values_in_the_demo_are_refused_before_any_work(tmp_path, cmd, find, put, field):
    scen = _demo_with(tmp_path, lambda t: t.replace(find, put, 1))
    r = call(cmd[0], scen, "-o", "out", *cmd[1:], cwd=tmp_path)
    line = assert_one_line_error(r, "s.toml:", field, "1e+300", "expected a number in ", ", 1e+")
    assert "Warning" not in r.err, line
    assert not (tmp_path / "out").exists()


def _at_the_limits(text: str) -> str:
    """The demo with every magnitude at its upper limit (and a class factor near 0)."""
    text = re.sub(r"volume_kg = \d+", f"volume_kg = {MAX_KG:g}", text)
    text = text.replace("risk_weight = 2000.0", f"risk_weight = {MAX_COST:g}\ndose_mg = 1e-6")
    for key in ("value_of_time_per_h", "per_km", "toll_per_km"):
        text = re.sub(rf"^{key} = [0-9.]+", f"{key} = {MAX_COST:g}", text, flags=re.M)
    text = text.replace("local = 1.6", f"local = {MAX_FACTOR:g}, primary = 1e-300")
    return text + (
        "\n[[enforcement]]\n"
        'type = "crackdown"\nregions = ["Sinaloa"]\n'
        f"cost_multiplier = {MAX_FACTOR:g}\np_detect = 0.9999999999999999\n"
        "\n[[enforcement]]\n"
        f'type = "checkpoint"\nplace = "Culiacán"\nadded_cost = {MAX_COST:g}\np_detect = 0.5\n'
        "\n[[enforcement]]\n"
        f'type = "deployment"\nunits = {MAX_FACTOR:g}\ncrossings = true\np1 = 0.5\n'
        f"cost_per_unit = {MAX_COST:g}\n"
    )


def _congested(text: str) -> str:
    return _at_the_limits(text) + (
        f"\n[congestion]\nalpha = {MAX_COST:g}\ndelta = 4\ncrossing_capacity_kg = 1e-6\n"
    )


def _relocating(text: str) -> str:
    return _at_the_limits(text) + (
        f"\n[relocation]\nwithin_km = 2e4\nrelocation_cost = {MAX_COST:g}\n"
        f"production_cost = {MAX_COST:g}\nloss_value = {MAX_COST:g}\nlogit_scale = 1e-6\n"
        'rule = "logit"\n'
    )


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("edit", [_at_the_limits, _congested, _relocating])
def test_the_demo_at_the_limits_runs_without_overflow(tmp_path, cmd, edit):
    """The limits are safe: every command finishes with finite figures and no warning (a
    RuntimeWarning is an error here)."""
    scen = _demo_with(tmp_path, edit)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        r = call(cmd[0], scen, "-o", "out", *cmd[1:], cwd=tmp_path)
    assert r.code == 0, r.err
    assert "Warning" not in r.err and "overflow" not in r.err, r.err
    for p in (tmp_path / "out").rglob("*.json"):
        strict_json(p.read_text())  # NaN or Infinity would be refused
