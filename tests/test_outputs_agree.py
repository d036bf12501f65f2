"""What a command writes says the same thing everywhere (issue 10, a newcomer's leftovers):
the capacity objective speaks of removals and shows no delay or detection, numbers keep
their type across result.json, provenance.json and --json, ids read back as the JSON's,
a crossing's id is its node's, a null percentage says why, errors give no line that is not
the field's, and provenance names the scenario file by its absolute path."""

from __future__ import annotations

import dataclasses
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import reten
from clikit import assert_one_line_error, call
from reten.errors import InputError
from reten.models.interdiction.sites import crossing_name
from reten.network.model import Network

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
# Chihuahua's codes start with a zero ("08..."): the ids a plain CSV reader loses
TWO_STATES = {
    "name": "Two states",
    "origins": [
        {"state": "Chihuahua", "volume_kg": 50},
        {"state": "Sinaloa", "volume_kg": 50},
    ],
}


def _html_text(path) -> str:
    """The report's visible text and chart labels (no inlined library code)."""
    t = path.read_text()
    t = re.sub(r"<style.*?</style>", " ", t, flags=re.S)
    t = re.sub(r"/\* BEGIN .*?/\* END [^*]*\*/", " ", t, flags=re.S)
    return t


@pytest.fixture(scope="module")
def capacity(tmp_path_factory):
    """A proven capacity optimisation (Wood's MILP, three crossings), written."""
    opt = reten.optimize(CAP, NET, budget=2, objective="capacity", sites="crossings")
    return opt, opt.write(tmp_path_factory.mktemp("cap") / "o")


@pytest.fixture(scope="module")
def cost(tmp_path_factory):
    """A cost optimisation on crossings, with the budget as the command line passes it."""
    opt = reten.optimize(
        TWO_STATES, NET, budget=2.0, sites="crossings", method="greedy", curve=False
    )
    return opt, opt.write(tmp_path_factory.mktemp("cost") / "o")


# --------------------------------------------------------------------------- 1. capacity


def test_capacity_outputs_show_removals_not_checkpoint_parameters(capacity, capsys):
    opt, out = capacity
    assert opt.status == "optimal" and len(opt.sites) == 2
    # no delay or detection anywhere: a removal closes its site
    for cols in (
        opt.sites.columns,
        reten.read_csv(out / "sites.csv").columns,
        gpd.read_file(out / "sites.geojson").columns,
        gpd.read_file(out / "sites.gpkg").columns,
    ):
        assert {"site", "name", "units"} <= set(cols)
        assert not {"p_detect", "delay"} & set(cols), list(cols)
    for prov in (
        opt.provenance,
        json.loads((out / "provenance.json").read_text()),
        json.loads((out / "result.json").read_text())["provenance"],
    ):
        assert prov["objective"] == "capacity"
        assert not {"p_detect", "delay", "max_units"} & set(prov), sorted(prov)
    doc = json.loads((out / "result.json").read_text())
    assert doc["units_are"] == "removals" == opt.summary["units_are"]
    report = _html_text(out / "report.html")
    assert "checkpoint" not in report.lower()
    assert "Which 2 sites to remove: Capacity test" in report
    assert "Sites removed" in report and "removals available (K)" in report
    assert "baseline (nothing removed)" in report
    assert "checkpoint" not in opt._repr_html_().lower()
    assert "Which 2 sites to remove" in opt._repr_html_()
    from reten.cli import _print_optimize

    _print_optimize(opt, opt.summary)
    term = capsys.readouterr().out
    assert term.splitlines()[0] == "Which 2 sites to remove: Capacity test"
    assert "checkpoint" not in term.lower() and "baseline (nothing removed)" in term
    header = next(ln for ln in term.splitlines() if "site" in ln and "name" in ln)
    assert "removed" in header and "units" not in header  # the table's header


def test_cost_outputs_keep_their_checkpoint_parameters(cost):
    """The contrast: delay and detection do act for ``cost``, so they are shown."""
    opt, out = cost
    assert {"p_detect", "delay"} <= set(opt.sites.columns)
    assert {"p_detect", "delay"} <= set(reten.read_csv(out / "sites.csv").columns)
    prov = json.loads((out / "provenance.json").read_text())
    assert {"p_detect", "delay", "max_units"} <= set(prov)
    assert opt.summary["units_are"] == "checkpoints"
    assert "Where 2 checkpoints go: Two states" in _html_text(out / "report.html")


def test_capacity_notes_speak_of_removals(capacity, tmp_path):
    from reten.api import _curve_plan
    from reten.report.optimize import no_site_reason, unused_units_note

    opt, _ = capacity
    k, note = _curve_plan(True, 40, 35, "capacity")
    assert k == 0 and "35 sites that can be removed" in note and "units" not in note
    assert "usable units" in _curve_plan(True, 40, 35, "cost")[1]
    none = dataclasses.replace(opt.raw, units=np.zeros_like(opt.raw.units))
    assert no_site_reason(none).startswith("No site was removed")
    one = opt.raw.units.copy()
    one[np.flatnonzero(one)[0]] = 0
    short = dataclasses.replace(opt.raw, units=one)
    assert unused_units_note(short).startswith("Removals not used: 1 of 2")
    # the command line's effective-budget note: more removals asked than sites exist
    f = tmp_path / "cap.toml"
    f.write_text(
        'name = "c"\n[[origins]]\nstate = "Sinaloa"\nvolume_kg = 600\n'
        '[[destinations]]\nport = "Nogales"\ncapacity_kg = 300\n'
        '[[destinations]]\nport = "Douglas"\ncapacity_kg = 200\n'
    )
    r = call(
        "optimize", str(f), "--budget", "5", "--objective", "capacity", "--sites",
        "crossings", "--no-curve", "-o", str(tmp_path / "o"),
    )  # fmt: skip
    assert r.code == 0, r.err
    assert "Which 5 sites to remove: c" in r.out
    assert "solved with 2 removals (the effective budget)" in r.err + r.out
    assert "checkpoint" not in (r.out + r.err).lower() and "units" not in r.err


# --------------------------------------------------------------------------- 2. numbers


@pytest.mark.parametrize("which", ["capacity", "cost"])
def test_budgets_are_the_same_number_in_every_output(which, capacity, cost):
    opt, out = capacity if which == "capacity" else cost
    doc = json.loads((out / "result.json").read_text())
    prov = json.loads((out / "provenance.json").read_text())
    printed = json.loads(opt.to_json())
    for d in (doc, prov, doc["provenance"], printed):
        for key in ("budget", "effective_budget"):
            assert type(d[key]) is int and d[key] == 2, (key, d[key])
    assert doc["provenance"] == prov
    # a number in both documents has one type (3 is never 3.0 in the other)
    for key in set(doc) & set(prov):
        a, b = doc[key], prov[key]
        if all(isinstance(x, int | float) and not isinstance(x, bool) for x in (a, b)):
            assert type(a) is type(b), (key, a, b)
    assert {k: v for k, v in doc.items() if k not in ("provenance", "seconds")} == {
        k: v for k, v in printed.items() if k != "seconds"
    }
    assert type(opt.budget) is int and type(opt.effective_budget) is int
    assert all(type(row["K"]) is int for row in doc["curve"])


# --------------------------------------------------------------------------- 3, 4. ids


@pytest.fixture(scope="module")
def numeric():
    """A network whose input node ids are numbers: 101 -> 102 -> 104, 101 -> 103 -> 105."""
    src = np.array([0, 1, 0, 2, 1, 1, 3, 2, 4, 2])
    dst = np.array([1, 3, 2, 4, 2, 0, 1, 0, 2, 1])
    length = np.array([5.0, 5, 6, 6, 1, 5, 5, 6, 6, 1]) * 1000
    lon = np.array([-105.0, -105.1, -104.9, -105.2, -104.8])
    lat = np.array([25.0, 25.5, 25.5, 26.0, 26.0])
    net = Network.from_arcs(
        src, dst, length, lon, lat,
        node_key=np.array([101, 102, 103, 104, 105]),
    )  # fmt: skip
    sc = {
        "name": "numeric",
        "origins": [{"node": "101", "volume_kg": 10}],
        "destinations": [{"node": "104"}, {"node": "105"}],
        "costs": {"mode": "length_km"},
    }
    return net, sc


def test_region_codes_read_back_as_the_json_ids(tmp_path):
    opt = reten.optimize(TWO_STATES, NET, budget=2, sites="regions", method="greedy", curve=False)
    out = opt.write(tmp_path / "o")
    ids = [s["site"] for s in json.loads((out / "result.json").read_text())["sites"]]
    assert ids and all(isinstance(i, str) for i in ids)
    assert reten.read_csv(out / "sites.csv").site.tolist() == ids == opt.sites.site.tolist()
    assert pd.read_csv(out / "sites.csv", dtype={"site": str}).site.tolist() == ids
    assert gpd.read_file(out / "sites.geojson").site.tolist() == ids
    # the region tables: codes with a leading zero come back whole
    back = reten.read_csv(out / "regions_delta.csv")
    assert back.region.tolist() == opt.comparison.regions.region.tolist()
    assert back.region.str.startswith("0").any()


def test_numeric_node_ids_read_back_as_the_json_ids(numeric, tmp_path):
    net, sc = numeric
    for kind in ("nodes", "crossings"):
        opt = reten.optimize(sc, net, budget=1, sites=kind, delay=100.0, curve=False)
        out = opt.write(tmp_path / kind)
        ids = [s["site"] for s in json.loads((out / "result.json").read_text())["sites"]]
        assert ids and set(ids) <= {"102", "103", "104", "105"}, ids
        assert reten.read_csv(out / "sites.csv").site.tolist() == ids
    g = reten.game(sc, net, checkpoints=1, sites="nodes", p_detect=0.5, schedules=2)
    out = g.write(tmp_path / "game")
    doc = json.loads((out / "result.json").read_text())
    cov = reten.read_csv(out / "coverage.csv")
    assert cov.site.tolist() == g.coverage.site.tolist() == [c["site"] for c in doc["coverage"]]
    sup = reten.read_csv(out / "support.csv")
    assert sup.sites.tolist() == [";".join(s["sites"]) for s in doc["support"]]
    assert all(isinstance(x, str) for x in [*cov.site, *sup.sites])
    sched = reten.read_csv(out / "schedules.csv")
    assert set(sched.sites) <= set(sup.sites)


def test_crossing_sites_are_keyed_by_node_id_as_crossings_delta(cost):
    opt, out = cost
    delta = reten.read_csv(out / "crossings_delta.csv")
    name_of = {n: crossing_name(c) for n, c in zip(delta.node, delta.crossing, strict=True)}
    doc = json.loads((out / "result.json").read_text())
    assert doc["sites"]
    for s in doc["sites"]:
        assert s["site"] in name_of, (s, sorted(name_of))  # the node id, not the label
        assert s["name"] == name_of[s["site"]]
    csv = reten.read_csv(out / "sites.csv")
    assert csv.site.tolist() == [s["site"] for s in doc["sites"]]
    assert csv.name.tolist() == [s["name"] for s in doc["sites"]]
    # the game names its crossing sites the same way
    g = reten.game(TWO_STATES, NET, checkpoints=1, sites="crossings", p_detect=0.5)
    for site, name in zip(g.coverage.site, g.coverage.name, strict=True):
        assert name_of.get(site, name) == name and site.startswith("x_"), (site, name)


# --------------------------------------------------------------------------- 5. status


def test_increase_pct_status_says_why_it_is_null(capacity, tmp_path):
    opt, out = capacity
    for d in (json.loads((out / "result.json").read_text()), json.loads(opt.to_json())):
        # 600 kg/month cross with nothing removed (capacities 750 in all)
        assert d["increase_pct"] == pytest.approx(100 * (opt.value - 600) / 600)
        assert d["increase_pct_status"] == "ok"
    # interception with no enforcement yet: the baseline is 0
    zero = reten.optimize(
        TWO_STATES, NET, budget=1, sites="crossings", objective="interception", curve=False
    )
    assert zero.raw.baseline == 0
    out = zero.write(tmp_path / "z")
    for d in (json.loads((out / "result.json").read_text()), json.loads(zero.to_json())):
        assert d["increase_pct"] is None and d["increase_pct_status"] == "baseline_zero"


def test_comparison_share_of_a_zero_cost_is_null_with_a_status(tmp_path):
    """Every origin at its crossing costs nothing: a % increase over it is no number."""
    sc = {"name": "at the line", "origins": [{"node": "x_nogales", "volume_kg": 5}],
          "costs": {"mode": "length_km"}}  # fmt: skip
    base = reten.run(sc, NET)
    assert base.summary["total_cost"] == 0
    cmp = reten.compare(base, reten.run(sc, NET))
    assert cmp.totals["cost_increase_share"] is None
    assert cmp.totals["cost_increase_share_status"] == "baseline_zero"
    out = cmp.write(tmp_path / "c")
    totals = json.loads((out / "totals.json").read_text())
    assert totals["cost_increase_share"] is None
    assert totals["cost_increase_share_status"] == "baseline_zero"
    assert "n/a (baseline 0)" in (out / "report.html").read_text() and "n/a" in repr(cmp)
    far = reten.compare(reten.run(TWO_STATES, NET), reten.run(TWO_STATES, NET))
    assert far.totals["cost_increase_share"] == 0.0
    assert far.totals["cost_increase_share_status"] == "ok"


# --------------------------------------------------------------------------- 6, 7. files


def test_missing_field_error_has_no_made_up_line(tmp_path):
    f = tmp_path / "nocap.toml"
    f.write_text('name = "n"\n[[origins]]\nstate = "Sinaloa"\nvolume_kg = 600\n')
    with pytest.raises(InputError) as e:
        reten.optimize(str(f), NET, budget=1, objective="capacity", sites="crossings")
    msg = str(e.value)
    assert msg.startswith(f"{f}: destinations: ") and "capacity_kg" in msg, msg
    r = call(
        "optimize", str(f), "--budget", "1", "--objective", "capacity", "--sites",
        "crossings", "-o", str(tmp_path / "o"),
    )  # fmt: skip
    assert_one_line_error(r, "nocap.toml: destinations:", "capacity_kg")
    assert "nocap.toml:1" not in r.err
    # written in the file: its real line
    f.write_text(f.read_text() + '[[destinations]]\nport = "Nogales"\n')
    with pytest.raises(InputError, match=r"nocap\.toml:5: destinations: "):
        reten.optimize(str(f), NET, budget=1, objective="capacity", sites="crossings")


def test_provenance_names_the_scenario_by_its_absolute_path(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    f = tmp_path / "sub" / "s.toml"
    f.write_text('name = "p"\n[[origins]]\nstate = "Sinaloa"\nvolume_kg = 10\n')
    monkeypatch.chdir(tmp_path)
    sc = reten.Scenario.from_toml("sub/../sub/s.toml")
    want = str(f.resolve())
    res = reten.run(sc, NET)
    assert res.provenance["scenario"] == want
    assert len(res.provenance["scenario_sha256"]) == 64
    out = res.write("run")
    assert json.loads((out / "provenance.json").read_text())["scenario"] == want
    opt = reten.optimize(sc, NET, budget=1, sites="crossings", method="greedy", curve=False)
    assert opt.provenance["scenario"] == want
    assert reten.Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": 1}]}).source == (
        "<dict>"
    )


def test_network_sources_are_recorded_as_absolute_paths(tmp_path, monkeypatch):
    # a network built from a relative path names its file wherever the build ran from,
    # for every file reader (edge CSV, DIMACS, vector lines)
    from shapely.geometry import LineString

    from reten.network.interchange import read_dimacs, read_edge_csv
    from reten.network.lines import from_lines

    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.csv").write_text("source,target,length_m\na,b,10\nb,c,5\n")
    (tmp_path / "g.gr").write_text("p sp 2 1\na 1 2 7\n")
    gpd.GeoDataFrame(
        {"geometry": [LineString([(-107.4, 24.8), (-107.3, 24.8)])]}, crs="EPSG:4326"
    ).to_file(tmp_path / "r.gpkg")
    for net, name in (
        (read_edge_csv("e.csv"), "e.csv"),
        (read_dimacs("g.gr"), "g.gr"),
        (from_lines("r.gpkg"), "r.gpkg"),
    ):
        assert net.meta["source"] == str(tmp_path.resolve() / name)
