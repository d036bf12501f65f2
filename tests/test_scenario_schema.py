"""The scenario schema: one table validates every key, fills defaults and writes the docs.

Also the reader's failure kinds (issue 8): wrong TOML types, deep nesting, non-UTF-8 text,
Unicode normal forms, probabilities >= 1, a setting that only breaks the report; and a
derandomised fuzz of scenario mutations through the API.
"""

from __future__ import annotations

import math
import unicodedata
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import reten
from reten.errors import InputError
from reten.scenario import Scenario, resolve
from reten.scenario.schema import BY_PATH, REQUIRED, SECTIONS, reference_markdown, update_docs
from strategies import mutated_scenarios, scenario_dict

ROOT = Path(__file__).resolve().parents[1]
NET = reten.load_network("default")
MIN = {"origins": [{"municipality": "Culiacán", "volume_kg": 100}]}


def one_line_error(data: object, path: str = "<dict>") -> str:
    with pytest.raises(InputError) as ei:
        Scenario.from_dict(data, path=path)  # type: ignore[arg-type]
    msg = str(ei.value)
    assert "\n" not in msg and msg
    return msg


# ----------------------------------------------------------------------------- one table


def _row_for(section: str) -> tuple[str, dict]:
    """A minimal valid scenario and the field prefix where ``section``'s keys live."""
    base = {"origins": [{"node": "culiacan", "volume_kg": 1.0}]}
    if section == "":
        return "", base
    if section in ("origins", "destinations"):
        row = {"node": "culiacan", "volume_kg": 1.0} if section == "origins" else {"node": "x"}
        return f"{section}[0]", {**base, section: [row]}
    if section.startswith("enforcement."):
        kind = section.split(".")[1]
        row = {
            "crackdown": {"type": kind, "regions": ["Sinaloa"], "p_detect": 0.1},
            "checkpoint": {"type": kind, "place": "Guamúchil"},
            "closure": {"type": kind, "port": "Nogales"},
            "deployment": {"type": kind, "units": 1, "p1": 0.1, "crossings": True},
        }[kind]
        return "enforcement[0]", {**base, "enforcement": [row]}
    row = {"relocation": {"candidates": "all"}, "chain": {"seaports": ["Manzanillo"]}}.get(
        section, {}
    )
    return section, {**base, section: row}


KEYS = [
    (s.path, k)
    for s in SECTIONS
    for k in s.keys
    if k.kind not in ("table", "array") and not (k.name == "type" and s.path.startswith("enf"))
]


@pytest.mark.parametrize(("section", "key"), KEYS, ids=[f"{s}:{k.name}" for s, k in KEYS])
def test_every_key_rejects_a_table_and_a_list_of_tables(section, key):
    """A table or a list of tables where a scalar or a list of names belongs: one line."""
    prefix, d = _row_for(section)
    target = d if not prefix else _target(d, prefix)
    for bad in ({"x": 1}, [{"x": 1}]):
        if key.kind == "number_map" and isinstance(bad, dict):
            continue
        target[key.name] = bad
        msg = one_line_error(d)
        field = f"{prefix}.{key.name}" if prefix else key.name
        assert f": {field}" in msg and "expected" in msg, msg


def _target(d: dict, prefix: str) -> dict:
    name, _, idx = prefix.partition("[")
    return d[name][int(idx[:-1])] if idx else d[name]


@pytest.mark.parametrize(
    ("section", "key"),
    [(s, k) for s, k in KEYS if k.kind in ("number", "integer")],
    ids=[f"{s}:{k.name}" for s, k in KEYS if k.kind in ("number", "integer")],
)
def test_every_number_checks_its_declared_range(section, key):
    """Just outside each declared bound (and NaN, inf, a bool, a string): an error."""
    prefix, d = _row_for(section)
    target = d if not prefix else _target(d, prefix)
    bad = [math.nan, math.inf, True, "1"]
    if math.isfinite(key.lo):
        bad.append(key.lo if key.lo_open else key.lo - 1e-9 * max(1, abs(key.lo)) - 1e-12)
    if math.isfinite(key.hi):
        bad.append(key.hi if key.hi_open else math.nextafter(key.hi, math.inf))
    for v in bad:
        target[key.name] = v
        msg = one_line_error(d)
        assert f"{key.name}: " in msg, (v, msg)


def test_defaults_come_from_the_table():
    sc = Scenario.from_dict({**MIN, "congestion": {}, "costs": {}})
    for section in ("", "costs", "congestion"):
        got = sc.spec if not section else sc.spec[section]
        for k in BY_PATH[section].keys:
            if k.default is not None and k.default is not REQUIRED:
                assert got[k.name] == k.default, (section, k.name)


def test_docs_reference_is_generated_from_the_table():
    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    assert update_docs(text) == text, "run: python tools/scenario_docs.py"
    ref = reference_markdown()
    for s in SECTIONS:
        for k in s.keys:
            if k.name != "type":
                assert f"| `{k.name}` |" in ref


# ----------------------------------------------------------------------------- reader kinds


def test_toml_wrong_types_name_file_line_field(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('name = "x"\norigins = 3\n')
    with pytest.raises(InputError, match=r"s\.toml:2: origins: expected a list of tables"):
        Scenario.from_toml(p)
    p.write_text(
        '[[origins]]\nnode = "culiacan"\nvolume_kg = 1\n[[enforcement]]\n'
        'type = "crackdown"\nregions = [1.5, true]\np_detect = 0.1\n'
    )
    with pytest.raises(InputError, match=r"s\.toml:6: enforcement\[0\]\.regions\[0\]: "):
        Scenario.from_toml(p)
    p.write_text('costs = true\n[[origins]]\nnode = "a"\nvolume_kg = 1\n')
    with pytest.raises(InputError, match=r"s\.toml:1: costs: expected a table, got true"):
        Scenario.from_toml(p)


@pytest.mark.parametrize("where", ["top", "measure"])
def test_arrays_nested_a_thousand_deep(tmp_path, where):
    deep = "[" * 1000 + "]" * 1000
    text = (
        f'name = "x"\nextra = {deep}\n'
        if where == "top"
        else f'[[origins]]\nnode = "a"\nvolume_kg = 1\n[[enforcement]]\ntype = "closure"\n'
        f"regions = {deep}\n"
    )
    p = tmp_path / "deep.toml"
    p.write_text(text)
    with pytest.raises(InputError) as ei:
        Scenario.from_toml(p)
    assert str(ei.value).startswith(str(p)) and "\n" not in str(ei.value)
    d: list = []
    for _ in range(1000):
        d = [d]
    one_line_error({**MIN, "enforcement": [{"type": "closure", "regions": d}]})


def test_not_utf8_names_the_line(tmp_path):
    p = tmp_path / "latin1.toml"
    p.write_bytes('name = "x"\n[[origins]]\nmunicipality = "Culiacán"\n'.encode("latin-1"))
    with pytest.raises(InputError) as ei:
        Scenario.from_toml(p)
    assert str(ei.value) == f"{p}:3: not UTF-8 text (byte 0xe1); save the scenario as UTF-8"


def test_names_compare_in_unicode_normal_form():
    """NFD and NFC spellings of a place, a node id and a port find the same thing."""
    nfd = unicodedata.normalize("NFD", "Culiacán")
    assert nfd != "Culiacán"
    a = resolve(Scenario.from_dict({"origins": [{"municipality": nfd, "volume_kg": 1}]}), NET)
    b = resolve(Scenario.from_dict(MIN), NET)
    assert a.origin_node.tolist() == b.origin_node.tolist()
    sc = Scenario.from_dict(
        {
            **MIN,
            "enforcement": [
                {
                    "type": "checkpoint",
                    "place": unicodedata.normalize("NFD", "Guamúchil"),
                    "added_cost": 5,
                }
            ],
        }
    )
    assert resolve(sc, NET).arc_cost.sum() > b.arc_cost.sum()


@pytest.mark.parametrize("p", [1, 1.0, 1.5])
def test_p_detect_of_one_or_more_is_an_error(p):
    msg = one_line_error(
        {**MIN, "enforcement": [{"type": "crackdown", "regions": ["Sinaloa"], "p_detect": p}]}
    )
    assert "enforcement[0].p_detect" in msg and "[0, 1)" in msg


def test_huge_congestion_exponent_is_one_line_error(tmp_path):
    """delta = 1000 overflows the cost curve at 500 kg on capacity 10: refused, naming it."""
    sc = Scenario.from_dict(
        {
            "origins": [{"state": "Sinaloa", "volume_kg": 500}],
            "congestion": {"crossing_capacity_kg": 10, "delta": 1000, "alpha": 500},
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(InputError, match="delta = 1000") as e:
            reten.run(sc, NET)
    assert "\n" not in str(e.value)
    assert not (tmp_path / "run").exists()


# ----------------------------------------------------------------------------- variants


def test_variants_are_new_and_checked():
    sc = Scenario.from_dict(scenario_dict(congestion=None))
    sc2 = sc.replace("enforcement[0].p_detect", 0.3)
    assert sc.spec["enforcement"][0]["p_detect"] == 0.01
    assert sc2.spec["enforcement"][0]["p_detect"] == 0.3
    assert sc2.sha256 != sc.sha256
    with pytest.raises(InputError, match=r"enforcement\[0\]\.p_detect"):
        sc.replace("enforcement[0].p_detect", 1.0)
    with pytest.raises(InputError, match="no item"):
        sc.replace("enforcement[9].p_detect", 0.1)
    three = sc.remove_enforcement(3)
    assert len(three.spec["enforcement"]) == 3 and len(sc.spec["enforcement"]) == 4
    back = three.add_enforcement(sc.data["enforcement"][3])
    assert back.data == sc.data and back.sha256 == sc.sha256
    assert sc.replace("risk_weight", None).spec["risk_weight"] == 0.0


def test_dict_and_toml_give_the_same_problem(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text(
        '[[origins]]\nmunicipality = "Culiacán"\nvolume_kg = 100\n'
        '[[enforcement]]\ntype = "crackdown"\nregions = ["Sinaloa"]\ncost_multiplier = 2\n'
    )
    a = resolve(Scenario.from_toml(p), NET)
    b = resolve(
        Scenario.from_dict(
            {
                **MIN,
                "enforcement": [
                    {"type": "crackdown", "regions": ["Sinaloa"], "cost_multiplier": 2}
                ],
            }
        ),
        NET,
    )
    assert np.array_equal(a.arc_cost, b.arc_cost) and np.array_equal(a.origin_node, b.origin_node)


# ----------------------------------------------------------------------------- fuzz


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated_scenarios())
def test_fuzz_scenario_mutations_give_a_result_or_one_line(d):
    """Any mutation: InputError with one line naming a field, or a valid result."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            res = reten.run(Scenario.from_dict(d), NET)
        except InputError as exc:
            msg = str(exc)
            assert msg and "\n" not in msg and len(msg) < 2000
            return
    o = res.origins
    assert len(o) >= 1 and (o.volume_kg >= 0).all()
    assert res.regions.region.map(type).eq(str).all()
    s = res.summary
    assert 0 <= s["seized_kg"] <= s["volume_kg"] + 1e-6


@pytest.mark.parametrize("field", ["seed", "volume_kg"])
def test_huge_integers_are_one_line_errors_and_numpy_numbers_are_numbers(field):
    """Breaker finding: 400-digit integers raised OverflowError; np.int64 was refused."""
    import numpy as np

    import reten
    from reten.errors import InputError

    origin = {"state": "Sinaloa", "volume_kg": 1}
    d = {"origins": [origin]}
    if field == "seed":
        d["seed"] = 10**400
    else:
        origin["volume_kg"] = 10**400
    with pytest.raises(InputError, match="too large") as exc:
        reten.Scenario.from_dict(d)
    assert "\n" not in str(exc.value)
    # a seed is recorded in JSON: at most 2**53 - 1, which every JSON reader holds exactly
    top = 2**53 - 1
    sc = reten.Scenario.from_dict(
        {"origins": [{"state": "Sinaloa", "volume_kg": np.int64(5)}], "seed": np.int64(top)}
    )
    assert sc.to_dict()["seed"] == top
    with pytest.raises(InputError, match=r"seed: .* \[0, 9007199254740991\]"):
        reten.Scenario.from_dict(
            {"origins": [{"state": "Sinaloa", "volume_kg": 1}], "seed": top + 1}
        )


TABLES = [k.name for k in BY_PATH[""].keys if k.kind == "table"]
ARRAYS = [k.name for k in BY_PATH[""].keys if k.kind == "array"]


@pytest.mark.parametrize("name", TABLES)
def test_a_table_written_as_an_array_of_tables_says_so(name):
    """``[[relocation]]`` for ``[relocation]``: the message names the right header, for
    every table of the schema, and the file's line."""
    text = f'[[origins]]\nnode = "culiacan"\nvolume_kg = 1\n\n[[{name}]]\nx = 1\n'
    with pytest.raises(InputError) as ei:
        reten.scenario.parse_scenario(text, "s.toml")
    msg = str(ei.value)
    assert "\n" not in msg and msg.startswith(f"s.toml:5: {name}: "), msg
    assert f"written [{name}], not [[{name}]]" in msg, msg


@pytest.mark.parametrize("name", ARRAYS)
def test_an_array_of_tables_written_as_a_table_says_so(name):
    row = 'node = "culiacan"\nvolume_kg = 1\n'
    head = "" if name == "origins" else f"[[origins]]\n{row}\n"
    text = f"{head}[{name}]\n{row}"
    with pytest.raises(InputError) as ei:
        reten.scenario.parse_scenario(text, "s.toml")
    msg = str(ei.value)
    assert "\n" not in msg and f": {name}: " in msg, msg
    assert f"written [[{name}]]" in msg and f"not [{name}]" in msg, msg
