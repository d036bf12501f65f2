"""``reten optimize`` in human terms (issue 10, deliverable 5): one distinct name per site in
every output, honest percentages and units, readable charts, plain messages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import reten
from clikit import call
from conftest import run_cli
from reten.models.interdiction import build_sites, site_table
from reten.models.interdiction.sites import distinct_names
from reten.network.model import Network
from reten.problem import Problem
from reten.report.charts import axis_range, value_curve

ORIGINS = [{"state": "Sinaloa", "volume_kg": 90}, {"state": "Durango", "volume_kg": 30}]


@pytest.fixture(scope="module")
def net():
    return reten.load_network("default")


def _all_names(opt, folder):
    """Return {site id: [name in each output]} over every place a site's name appears."""
    out = opt.write(folder)
    found: dict[str, list[str]] = {}

    def add(site, name):
        found.setdefault(str(site), []).append(str(name))

    for r in json.loads((out / "result.json").read_text())["sites"]:
        add(r["site"], r["name"])
    for r in json.loads(opt.to_json())["sites"]:
        add(r["site"], r["name"])
    for df in (
        pd.read_csv(out / "sites.csv", dtype={"site": str}),
        gpd.read_file(out / "sites.geojson"),
        gpd.read_file(out / "sites.gpkg"),
        opt.sites,
    ):
        for s, n in zip(df.site, df.name, strict=True):
            add(s, n)
    return found, (out / "report.html").read_text()


def _expected_place(net, key):
    """A node's place, worked out here from the network's own tables."""
    v = int(np.flatnonzero(net.node_key.astype(str) == key)[0])
    own = str(net.node_name[v]) if net.node_name.size else ""
    if own and own != "nan":
        return own
    r = int(net.node_region[v])
    regs = net.regions
    return f"{regs.name[r]}, {regs.name[regs.parent[r]]}" if regs.parent[r] >= 0 else regs.name[r]


@pytest.mark.parametrize("kind", ["crossings", "arcs", "nodes", "regions"])
def test_every_output_carries_the_same_human_name(net, tmp_path, kind):
    sc = reten.Scenario.from_dict({"name": "t", "origins": ORIGINS})
    opt = reten.optimize(
        sc, net, budget=2, sites=kind, method="greedy", time_limit_s=20, curve=False
    )
    found, report = _all_names(opt, tmp_path / kind)
    assert found, "the run chose no site"
    for site, names in found.items():
        assert len(names) == 6 and len(set(names)) == 1, (site, names)
        name = names[0]
        assert "->" not in name and (name != site or kind == "crossings")
        assert name in report  # the sites table and the map's labels
        if kind == "crossings":
            assert name.count("crossing") == 1 and name.endswith("crossing")
        elif kind == "arcs":
            a, b = site.split("->")
            pa, pb = _expected_place(net, a), _expected_place(net, b)
            want = f"road within {pa}" if pa == pb else f"road between {pa} and {pb}"
            assert name.startswith(want)
        elif kind == "regions":
            regs = net.regions
            r = int(np.flatnonzero(regs.code.astype(str) == site)[0])
            assert name == f"{regs.name[r]}, {regs.name[regs.parent[r]]}"
        else:
            assert name.startswith("junction in ")
    # the map labels show names, never raw ids with an arrow
    assert " → " not in report


@given(
    st.lists(st.sampled_from(["road within A", "road within B", "junction in C"]), max_size=30),
    st.integers(0, 2**31 - 1),
)
def test_distinct_names_tell_every_site_apart(names, seed):
    rng = np.random.default_rng(seed)
    n = len(names)
    lon = rng.choice([-105.1, -105.10001, -104.0], n)  # some sites at one point
    lat = rng.choice([22.5, 22.50001], n)
    out = distinct_names(names, lon, lat).tolist()
    assert len(set(out)) == n
    for nm, o in zip(names, out, strict=True):
        assert o.startswith(nm)
        if names.count(nm) == 1:
            assert o == nm


def test_roads_in_one_municipality_get_distinct_names():
    """A grid whose nodes all lie in one place: every road would be "road within P"."""
    k = 4
    idx = np.arange(k * k).reshape(k, k)
    src = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    dst = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    s, t = np.r_[src, dst], np.r_[dst, src]
    net = Network.from_arcs(
        s,
        t,
        np.full(s.size, 1000.0),
        np.tile(np.arange(k) * 0.01, k),
        np.repeat(np.arange(k) * 0.01, k),
        node_name=np.array(["P"] * (k * k)),
    )
    p = Problem(
        net.length_m.copy(),
        np.zeros(net.n_arcs),
        np.array([k * k - 1]),
        np.zeros(1),
        np.zeros(1),
        np.array([0]),
        np.ones(1),
    )
    t = site_table(net, p, build_sites(net, p, "arcs", delay=1.0, p_detect=0.1))
    assert len(t) >= 20  # corner nodes of degree 2 join two arcs into one road
    assert t.name.is_unique and t.name.str.startswith("road within P").all()


def test_zero_baseline_has_no_percentage(net, tmp_path):
    """Interception with no enforcement yet: the baseline is 0, so there is no % increase."""
    sc = reten.Scenario.from_dict({"name": "z", "origins": ORIGINS})
    opt = reten.optimize(
        sc, net, budget=2, sites="nodes", objective="interception", time_limit_s=20
    )
    assert opt.raw.baseline == 0
    doc = json.loads(opt.to_json())
    assert doc["increase_pct"] is None and doc["increase_pct_status"] == "baseline_zero"
    out = opt.write(tmp_path / "z")
    assert json.loads((out / "result.json").read_text())["increase_pct"] is None
    report = (out / "report.html").read_text()
    assert "n/a (baseline 0)" in report and "nan%" not in report
    assert "n/a (baseline 0)" in opt._repr_html_()
    assert "kg/month" in report


def _ticks(lo, hi):
    """Bokeh-like ticks: multiples of 1, 2 or 5 x 10^k, the step nearest (hi - lo) / 5."""
    span = hi - lo
    cands = [m * 10.0**e for e in range(-8, 9) for m in (1, 2, 5)]
    step = min(cands, key=lambda c: abs(span / c - 5))
    return np.arange(np.ceil(lo / step), np.floor(hi / step) + 1) * step


def _fmt(x, fmt):
    decimals = len(fmt.split(".")[1]) if "." in fmt else 0
    return f"{x:,.{decimals}f}"


@given(st.floats(-1e7, 1e7, allow_nan=False), st.lists(st.floats(0, 1e-12), max_size=6))
def test_flat_series_get_ticks_that_read_differently(value, noise):
    vals = np.array([value, *[value + value * e for e in noise]])
    lo, hi, fmt = axis_range(vals)
    assert lo < vals.min() and hi > vals.max()
    labels = [_fmt(t, fmt) for t in _ticks(lo, hi)]
    assert len(labels) >= 3 and len(set(labels)) == len(labels), labels


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=8))
def test_any_series_gets_ticks_that_read_differently(vals):
    lo, hi, fmt = axis_range(np.array(vals), include_zero=True)
    assert lo <= min(0.0, *vals) and hi >= max(0.0, *vals)
    labels = [_fmt(t, fmt) for t in _ticks(lo, hi)]
    assert len(set(labels)) == len(labels), labels


def test_no_whisker_where_the_bound_is_the_value():
    k = np.array([0.0, 1, 2, 3])
    v = np.full(4, 38.0)
    flat = value_curve(k, v, v + 3e-13, title="t", unit="kg/month")
    assert "Whisker" not in flat and "upper bound (where above the value)" not in flat
    spread = value_curve(k, v, v + np.array([0, 0, 5.0, 0]), title="t", unit="kg/month")
    assert "Whisker" in spread


def test_terminal_says_the_question_baseline_change_and_unit(tmp_path):
    (tmp_path / "s.toml").write_text(
        'name = "Two states"\n[network]\ndefault = true\n'
        '[[origins]]\nstate = "Sinaloa"\nvolume_kg = 90\n[costs]\nunit = "MXN"\n'
    )
    proc = run_cli(
        "optimize", str(tmp_path / "s.toml"), "--budget", "2", "--sites", "Regions",
        "--method", "GREEDY", "--time-limit", "20", "-o", str(tmp_path / "o"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "Where 2 checkpoints go: Two states"
    doc = json.loads((tmp_path / "o" / "result.json").read_text())
    assert doc["unit"] == "MXN·kg/month"
    assert "MXN·kg/month" in lines[1] and "baseline (no units)" in proc.stdout
    pct = f"{doc['increase_pct']:+.2f}%"
    assert pct in proc.stdout
    for s in doc["sites"]:  # region codes with their names and states
        assert re.search(rf"{s['site']}\s+│\s+{re.escape(s['name'])}", proc.stdout)
        assert ", Sinaloa" in s["name"] or ", " in s["name"]
    report = (tmp_path / "o" / "report.html").read_text()
    assert "Where 2 checkpoints go: Two states" in report
    assert "MXN·kg/month" in report and "cost units·kg" not in report


def test_no_useful_site_is_explained(tmp_path):
    """Units that neither delay nor detect change nothing: say so instead of an empty table."""
    (tmp_path / "s.toml").write_text(
        'name = "n"\n[network]\ndefault = true\n[[origins]]\nstate = "Sinaloa"\nvolume_kg = 9\n'
    )
    proc = run_cli(
        "optimize", str(tmp_path / "s.toml"), "--budget", "2", "--sites", "crossings",
        "--delay", "0", "--p-detect", "0", "--time-limit", "20", "-o", str(tmp_path / "o"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "o" / "result.json").read_text())
    if doc["sites"]:
        pytest.fail(f"a unit with no delay and no detection was placed: {doc['sites']}")
    assert "No site was chosen" in proc.stdout and "┏" not in proc.stdout
    assert "No site was chosen" in (tmp_path / "o" / "report.html").read_text()


SCEN = '[network]\ndefault = true\n[[origins]]\nstate = "Sinaloa"\nvolume_kg = 9\n'


def test_messages_name_the_problem(tmp_path):
    # in this process (clikit.call, cwd tmp_path): `reten optimize` in a process of its own
    # is tested above and below
    (tmp_path / "s.toml").write_text(SCEN)
    s = str(tmp_path / "s.toml")
    assert call("run", s, "-o", str(tmp_path / "r")).code == 0
    opt = ("optimize", s, "--budget", "1", "--sites", "crossings", "--no-curve")
    p = call(*opt, "-o", str(tmp_path / "r"))
    assert p.code == 2 and "not an optimize output" in p.err
    p = call(*opt, "-o", "")
    assert p.code == 2 and "'-o' / '--out': is empty" in p.err and "'.'" not in p.err
    (tmp_path / "roads.shp").write_bytes(b"\x00\x00\x27\x0a\xe8" * 20)
    p = call("optimize", str(tmp_path / "roads.shp"), "--budget", "1", "-o", "x", cwd=tmp_path)
    assert p.code == 2 and "a shapefile, not a scenario TOML file" in p.err
    (tmp_path / "blob").write_bytes(b"\x00\xe8binary")
    p = call("optimize", str(tmp_path / "blob"), "--budget", "1", "-o", "x", cwd=tmp_path)
    assert p.code == 2 and "binary content, not a scenario TOML file" in p.err
    assert not (tmp_path / "x").exists()


def test_unwritable_parent_is_named(tmp_path):
    import os

    if not os.path.isdir("/proc/self"):
        pytest.skip("no /proc on this system")
    (tmp_path / "s.toml").write_text(SCEN)
    p = run_cli("optimize", str(tmp_path / "s.toml"), "--budget", "1", "-o", "/proc/x")
    assert p.returncode == 2, p.stderr
    assert "cannot write into its parent folder '/proc'" in p.stderr
    assert ".reten-lock" not in p.stderr


def test_choices_ignore_letter_case():
    from reten.cli import _choice

    check = _choice("arcs", "nodes", "crossings", "regions")
    assert check("Crossings") == "crossings" and check("ARCS") == "arcs"
    import typer

    with pytest.raises(typer.BadParameter):
        check("crossing")


def test_parallel_roads_site_ids_are_as_the_readme_says(tmp_path):
    """Breaker finding: the README named only the split nodes' ids (-1, -2 / split:A:B:k),
    while arc sites of parallel roads are 'A->B#2'. Three two-way roads join 007 and 0999:
    their sites are 007->0999, 007->0999#2 and 007->0999#3 (the split nodes are walked
    over), and the README gives that form."""
    from reten.scenario import Scenario, resolve

    rows = ["source,target,length_m"]
    for length in (1000, 1500, 2000):
        rows += [f"007,0999,{length}", f"0999,007,{length}"]
    rows += ["0999,x,500"]
    (tmp_path / "e.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "n.csv").write_text(
        "id,lon,lat,kind\n007,-100,20,junction\n0999,-100.01,20,junction\nx,-100.02,20,border\n"
    )
    r = call("network", "build", "--edges", "e.csv", "--nodes", "n.csv", "-o", "net", cwd=tmp_path)
    assert r.code == 0, r.err
    net = reten.load_network(tmp_path / "net")
    sc = Scenario.from_dict(
        {
            "network": {"path": str(tmp_path / "net")},
            "origins": [{"node": "007", "volume_kg": 1}],
            "destinations": [{"node": "x"}],
            "costs": {"mode": "length_km"},
        }
    )
    prob = resolve(sc, net)
    labels = set(build_sites(net, prob, "arcs", delay=1.0, p_detect=0.1).label.tolist())
    assert labels == {"007->0999", "007->0999#2", "007->0999#3", "0999->x"}
    nodes = set(build_sites(net, prob, "nodes", delay=1.0, p_detect=0.1).label.tolist())
    assert {"-1", "-2"} & nodes or any(n.startswith("split:007:0999:") for n in nodes), nodes
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    text = " ".join(readme.split())
    assert "`A->B#2`, `A->B#3`" in text and "`007->0999#2`" in text
    assert re.search(r"split nodes' own ids `-1, -2, \.\.\.` or `split:A:B:k`", text)


def test_written_tables_hold_no_negative_zero(tmp_path):
    """Newcomer finding: interception on crossings (no site helps) wrote -0.0 in curve.csv."""
    from reten.report.exports import read_table

    sc = reten.Scenario.from_toml(Path(reten.__path__[0]) / "data" / "demo" / "baseline.toml")
    opt = reten.optimize(sc, budget=2, objective="interception", sites="crossings", time_limit_s=30)
    out = opt.write(tmp_path / "o")
    for name in ("curve.csv", "log.csv", "sites.csv"):
        text = (out / name).read_text()
        assert "-0.0," not in text and not text.rstrip().endswith("-0.0"), name
        read_table(out / name)  # and it still reads back
