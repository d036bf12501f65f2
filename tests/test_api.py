"""The public API: the fixed interface, results, read_run round trips, ids and codes."""

from __future__ import annotations

import dataclasses
import json
import warnings

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

import reten
import reten.api
from reten.errors import InputError

matplotlib.use("Agg")

NET = reten.load_network("default")

BASELINE = """name = "baseline"
risk_weight = 1000.0
[network]
default = true
[[origins]]
municipality = "Culiacán"
volume_kg = 100
[[origins]]
state = "Durango"
volume_kg = 60
[costs]
mode = "length_km"
"""

CRACKDOWN = {
    "type": "crackdown",
    "label": "Sinaloa surge",
    "regions": ["Sinaloa"],
    "cost_multiplier": 3.0,
    "p_detect": 0.05,
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The fixed interface, exactly as the issue writes it."""
    tmp = tmp_path_factory.mktemp("api")
    (tmp / "baseline.toml").write_text(BASELINE)
    net = reten.load_network("default")
    sc = reten.Scenario.from_toml(tmp / "baseline.toml")
    res = reten.run(sc, net)
    sc2 = sc.add_enforcement(CRACKDOWN)
    cmp = reten.compare(res, reten.run(sc2, net))
    opt = reten.optimize(sc, net, budget=2, objective="cost", sites="arcs")
    out = res.write(tmp / "out" / "run")
    back = reten.read_run(tmp / "out" / "run")
    return {"tmp": tmp, "sc": sc, "res": res, "cmp": cmp, "opt": opt, "out": out, "back": back}


def test_fixed_interface(runs):
    res, cmp, opt = runs["res"], runs["cmp"], runs["opt"]
    for t in (res.origins, res.regions, res.crossings):
        assert isinstance(t, pd.DataFrame) and len(t)
    assert isinstance(res.arcs, gpd.GeoDataFrame) and res.arcs.crs.to_epsg() == 4326
    assert {"region", "name", "level", "delta_kg"} <= set(cmp.regions.columns)
    assert opt.lower_bound <= opt.value + 1e-9 <= opt.upper_bound + 2e-9
    assert isinstance(opt.sites, pd.DataFrame) and 1 <= len(opt.sites) <= 2
    assert opt.sites.units.sum() <= 2
    for obj in (runs["sc"], res, cmp, opt, runs["back"]):
        html = obj._repr_html_()
        assert html.startswith("<div") and "</div>" in html


def test_results_are_frozen_and_keyword_built(runs):
    for obj in (runs["res"], runs["cmp"], runs["opt"]):
        with pytest.raises(dataclasses.FrozenInstanceError):
            obj.name = "x"  # type: ignore[misc]
        params = dataclasses.fields(obj)
        assert all(f.kw_only for f in params)


def test_tables_hold_names_and_ids(runs):
    res = runs["res"]
    o, c = res.origins, res.crossings
    keys = set(map(str, NET.node_key))
    assert set(o.node) <= keys and set(o.crossing_node) - {""} <= keys and set(c.node) <= keys
    assert (o.crossing != "").all() and o.origin.str.len().gt(0).all()
    culiacan = o[o.origin == "Culiacán"]
    assert culiacan.node.item() == "culiacan"
    regs = res.regions
    assert regs.region.map(type).eq(str).all()
    assert regs.loc[regs.region == "25006", "flow_kg"].item() == 100.0
    assert "01001" in set(regs.region)
    co = runs["cmp"].origins
    assert set(co.node) <= keys and set(co.origin) == set(o.origin)


def test_read_run_round_trips_every_table(runs):
    res, back = runs["res"], runs["back"]
    for name in ("origins", "regions", "crossings"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(res, name), check_exact=True)
    assert_geodataframe_equal(back.arcs, res.arcs, check_less_precise=False)
    assert back.summary == res.summary
    text = (runs["out"] / "regions.csv").read_text()
    assert "\n01001," in text  # leading zeros in the file too
    assert back.provenance["scenario_sha256"] == res.provenance["scenario_sha256"]


@pytest.mark.parametrize(
    "extra",
    [
        {"congestion": {"crossing_capacity_kg": 40, "alpha": 200.0}},
        {"relocation": {"candidates": ["Sinaloa", "Durango"], "relocation_cost": 5.0}},
        {"chain": {"seaports": ["Manzanillo", "Mazatlán"]}},
    ],
    ids=["congestion", "relocation", "chain"],
)
def test_read_run_round_trips_model_extensions(tmp_path, extra):
    d = {"origins": [{"state": "Sinaloa", "volume_kg": 90}], "costs": {"mode": "length_km"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = reten.run(reten.Scenario.from_dict({**d, **extra}), NET)
    back = reten.read_run(res.write(tmp_path / "r"))
    for name in ("origins", "regions", "crossings", "production", "convergence"):
        a, b = getattr(res, name), getattr(back, name)
        if a is None:
            assert b is None, name
        else:
            pd.testing.assert_frame_equal(b, a, check_exact=True)
    assert (res.production is not None) == ("relocation" in extra)
    assert (res.convergence is not None) == ("congestion" in extra)


def test_crossing_ids_agree_between_run_and_comparison_files(runs, tmp_path):
    """crossings.csv and crossings_delta.csv both use the input's node ids."""
    cmp = runs["cmp"]
    out = cmp.write(tmp_path / "cmp")
    delta = pd.read_csv(out / "crossings_delta.csv", dtype=str)
    run_c = pd.read_csv(runs["out"] / "crossings.csv", dtype=str)
    assert set(delta.node) == set(run_c.node)
    by_name = dict(zip(run_c.crossing, run_c.node, strict=True))
    assert all(by_name[c] == n for c, n in zip(delta.crossing, delta.node, strict=True))


def test_comparison_matches_the_two_runs(runs):
    """Per-region deltas equal the difference of the two runs' own region tables."""
    cmp = runs["cmp"]
    b = cmp.base.regions.set_index("region").flow_kg
    s = cmp.scenario.regions.set_index("region").flow_kg
    got = cmp.regions.set_index("region").delta_kg
    assert np.allclose(got, (s - b).loc[got.index])
    assert set((s - b)[(s - b).abs() > 1e-9].index) <= set(got.index)
    assert cmp.totals["cost_increase"] > 0


def test_provenance_records_inputs_and_version(runs):
    p = runs["res"].provenance
    assert p["reten_version"] == reten.__version__
    assert len(p["scenario_sha256"]) == 64 and p["network_hash"] == NET.content_hash()
    json.dumps(runs["opt"].provenance)
    # the network named by what it was built from, besides its hash
    for prov in (p, runs["opt"].provenance):
        assert prov["network_name"] == "default"
        assert prov["network_source"] == NET.meta["source"] == NET.source()


def test_plot_and_explore_work_offline(runs, tmp_path):
    ax = runs["res"].plot()
    assert len(ax.collections) >= 2
    ax2 = runs["back"].plot()  # tables only are enough
    assert len(ax2.collections) >= 2
    assert len(runs["cmp"].plot().collections) >= 2
    m = runs["res"].explore()
    # a Bokeh map, its library inlined: no request leaves the notebook
    shown = m._repr_html_()
    assert "data-root-id" in shown and "Bokeh" in shown and "<script src=" not in shown
    assert "https://" not in m.html
    tiles = runs["res"].explore(basemap="https://t.example/{z}/{x}/{y}.png")
    assert "https://t.example/" in tiles.html and "Map tiles: t.example" in tiles.html
    assert m.save(tmp_path / "m.html").read_text().startswith("<!DOCTYPE html>")
    assert "Change (red more, blue less)" in runs["cmp"].explore()._repr_html_()


def test_read_back_results_say_what_they_cannot_do(runs):
    with pytest.raises(InputError, match="tables only"):
        reten.compare(runs["back"], runs["res"])


def test_optimize_errors_name_parameters():
    sc = reten.Scenario.from_dict({"origins": [{"state": "Sonora", "volume_kg": 5}]})
    for kwargs, needle in [
        ({"budget": 0}, "budget"),
        ({"budget": float("nan")}, "budget"),
        ({"budget": 1, "objective": "speed"}, "objective"),
        ({"budget": 1, "sites": "roads"}, "sites"),
        ({"budget": 1, "p_detect": 1.0}, "p_detect"),
        ({"budget": 1, "max_units": 0}, "max_units"),
        ({"budget": 1, "time_limit_s": -1}, "time_limit_s"),
    ]:
        with pytest.raises(InputError) as ei:
            reten.optimize(sc, NET, **kwargs)
        assert needle in str(ei.value) and "--" not in str(ei.value)


def test_load_network_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist; build a network there"):
        reten.load_network(tmp_path / "missing")
    with pytest.raises(InputError, match="not a saved reten network"):
        reten.load_network(tmp_path)


def test_validate_from_a_run_directory(runs, tmp_path):
    back = runs["back"]
    st = back.regions[back.regions.level == "state"].copy()
    obs = tmp_path / "obs.csv"
    st.assign(v=np.arange(len(st)))[["region", "v"]].to_csv(obs, index=False)
    v = reten.validate(runs["out"], obs, region_col="region", value_col="v", bootstrap=20)
    assert v.n == len(st) and -1 <= v.spearman <= 1
    assert "Spearman" in v._repr_html_()


def test_parameter_sweep_gives_monotone_costs():
    """A sweep in a loop: a stronger crackdown never lowers the traffickers' cost."""
    base = reten.Scenario.from_dict(
        {"origins": [{"state": "Sinaloa", "volume_kg": 90}], "costs": {"mode": "length_km"}}
    ).add_enforcement(CRACKDOWN)
    costs = [
        reten.run(base.replace("enforcement[0].cost_multiplier", m), NET).summary["total_cost"]
        for m in (1.0, 1.5, 2.0, 4.0)
    ]
    assert all(b >= a - 1e-9 for a, b in zip(costs, costs[1:], strict=False))


def test_validation_writes_its_files(runs, tmp_path):
    back = runs["back"]
    st = back.regions[back.regions.level == "state"]
    obs = tmp_path / "obs.csv"
    st.assign(v=st.flow_kg * 2 + 1)[["region", "v"]].to_csv(obs, index=False)
    v = reten.validate(back, obs, region_col="region", value_col="v", bootstrap=20)
    assert v.spearman == pytest.approx(1.0)
    out = v.write(tmp_path / "val")
    assert json.loads((out / "validation.json").read_text())["n_regions"] == v.n
    assert "<svg" in (out / "validation.html").read_text()
    matched = pd.read_csv(out / "matched.csv", dtype={"region": str})
    assert matched.region.str.len().eq(2).all()  # state codes keep their leading zero


def test_demo_story():
    steps = reten.api.demo(NET)
    assert [k for k, *_ in steps] == ["baseline", "sinaloa_surge", "border_surge", "both"]
    base = steps[0][2]
    for _, _, res, cmp in steps[1:]:
        assert cmp is not None and cmp.base is base and cmp.scenario is res


def test_compare_accepts_scenarios(runs):
    """Comparing two scenarios runs them first; the result equals comparing two runs."""
    sc = runs["sc"]
    sc2 = sc.add_enforcement(CRACKDOWN)
    direct = reten.compare(sc, sc2)
    pd.testing.assert_frame_equal(direct.regions, runs["cmp"].regions)
    assert direct.base.network is direct.scenario.network


def test_command_line_and_api_write_the_same_files(tmp_path):
    """`reten run` and `reten compare` write byte for byte what the API writes."""
    from conftest import run_cli

    base = tmp_path / "base.toml"
    base.write_text(BASELINE)
    surge = tmp_path / "surge.toml"
    surge.write_text(
        BASELINE.replace('name = "baseline"', 'name = "surge"')
        + '[[enforcement]]\ntype = "crackdown"\nregions = ["Sinaloa"]\ncost_multiplier = 3\n'
    )
    assert run_cli("run", str(base), "-o", str(tmp_path / "cli_run")).returncode == 0
    assert (
        run_cli("compare", str(base), str(surge), "-o", str(tmp_path / "cli_cmp")).returncode == 0
    )
    reten.run(reten.Scenario.from_toml(base)).write(tmp_path / "api_run")
    reten.compare(base, surge).write(tmp_path / "api_cmp")
    for kind in ("run", "cmp"):
        cli, api = tmp_path / f"cli_{kind}", tmp_path / f"api_{kind}"
        names = sorted(p.name for p in api.iterdir() if not p.name.startswith("."))
        assert names == sorted(p.name for p in cli.iterdir() if not p.name.startswith("."))
        for name in names:
            assert (cli / name).read_bytes() == (api / name).read_bytes(), (kind, name)


def test_run_takes_a_network_path_and_names_a_wrong_network():
    """Breaker finding: reten.run(sc, "default") raised AttributeError."""
    from reten.errors import InputError

    sc = reten.Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": 1}]})
    a = reten.run(sc, "default")
    b = reten.run(sc, reten.load_network("default"))
    assert a.origins.equals(b.origins)
    for bad in (5, {}):
        with pytest.raises(InputError, match="expected a Network"):
            reten.run(sc, bad)
