"""The Python API's arguments as a Jupyter user passes them (breaker findings, stop 21).

NumPy scalars are numbers, ``True`` never is, a fraction is never rounded into a whole
number, a path is a str or ``os.PathLike`` and every refusal is one ``InputError`` line
naming the parameter, never a TypeError/ValueError/AttributeError from deep inside.
"""

from __future__ import annotations

import json
import math
import os
import textwrap
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import reten
from clikit import assert_one_line_error, call, snapshot
from reten.checks import real_number, whole_number
from reten.errors import InputError
from reten.sweep import read_grid

NET = reten.load_network("default")
SC = reten.Scenario.from_dict({"origins": [{"state": "Sonora", "volume_kg": 10}]})
DEMO = resources.files("reten.data").joinpath("demo")
# the documented limits (docs/dynamics.md), checked against reten.models.dynamics below
MAX_MONTHS, MAX_RUNS, MAX_RUN_MONTHS = 1_200, 100_000, 10_000_000


def one_line(exc: pytest.ExceptionInfo[InputError], *needles: str) -> str:
    msg = str(exc.value)
    assert "\n" not in msg, msg
    for n in needles:
        assert n in msg, msg
    return msg


# --------------------------------------------------------------------- the shared helpers

NUMPY_INTS = (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)
NUMPY_FLOATS = (np.float16, np.float32, np.float64)


@st.composite
def any_value(draw: st.DrawFn) -> object:
    kind = draw(st.sampled_from(["int", "float", "bool", "npint", "npfloat", "npbool", "str"]))
    if kind == "int":
        return draw(st.integers(-(10**30), 10**30))
    if kind == "float":
        return draw(st.floats(allow_nan=True, allow_infinity=True))
    if kind == "bool":
        return draw(st.booleans())
    if kind == "npint":
        t = draw(st.sampled_from(NUMPY_INTS))
        info = np.iinfo(t)
        return t(draw(st.integers(int(info.min), int(info.max))))
    if kind == "npfloat":
        t = draw(st.sampled_from(NUMPY_FLOATS))
        return t(draw(st.floats(-1e4, 1e4, allow_nan=False, width=16)))
    if kind == "npbool":
        return np.bool_(draw(st.booleans()))
    return draw(st.sampled_from(["3", "", "abc"]))


@given(any_value(), st.integers(-5, 5), st.integers(0, 20))
def test_whole_number_takes_exactly_the_whole_numbers_in_range(v, lo, width):
    hi = lo + width
    # oracle: a real number (not a truth value) whose value is an integer within [lo, hi]
    is_bool = isinstance(v, bool | np.bool_)
    is_real = isinstance(v, int | float | np.integer | np.floating) and not is_bool
    ok = is_real and math.isfinite(float(v)) and float(v) == int(v) and lo <= int(v) <= hi
    if ok:
        got = whole_number("n", v, lo=lo, hi=hi)
        assert type(got) is int and got == int(v)
    else:
        with pytest.raises(InputError, match=r"^n must be a whole number from"):
            whole_number("n", v, lo=lo, hi=hi)


@given(any_value())
def test_real_number_takes_every_finite_real_but_no_bool(v):
    is_bool = isinstance(v, bool | np.bool_)
    is_real = isinstance(v, int | float | np.integer | np.floating) and not is_bool
    if is_real and abs(float(v)) < 1e300 and math.isfinite(float(v)):
        assert real_number("x", v) == float(v)
    elif not is_real or not math.isfinite(float(v)):
        with pytest.raises(InputError, match=r"^x must be a finite number"):
            real_number("x", v)


# --------------------------------------------------------------- NumPy scalars, bools, fractions


def test_numpy_scalars_are_taken_by_optimize_game_and_simulate():
    kw = dict(sites="crossings", method="greedy", curve=False)
    a = reten.optimize(SC, NET, budget=np.int64(1), time_limit_s=np.float32(5), **kw)
    b = reten.optimize(SC, NET, budget=1, time_limit_s=5, **kw)
    assert a.budget == 1 and type(a.budget) is int
    assert a.sites.site.tolist() == b.sites.site.tolist()
    assert type(a.provenance["time_limit_s"]) is float
    g = reten.game(
        SC,
        NET,
        checkpoints=np.int64(1),
        sites="crossings",
        time_limit_s=np.int64(5),
        pure_time_limit_s=np.float32(5),
        schedules=np.uint16(2),
        seed=np.int32(4),
        p_detect=np.float64(0.5),
        gap=np.float32(0),
    )
    assert g.checkpoints == 1 and len(g.schedules) == 2 and g.provenance["seed"] == 4
    s = reten.simulate(SC, NET, months=np.int64(2), runs=np.int32(2), seed=np.uint8(3))
    t = reten.simulate(SC, NET, months=2, runs=2, seed=3)
    pd.testing.assert_frame_equal(s.series, t.series)
    assert s.provenance["months"] == 2 and type(s.provenance["months"]) is int


BOOLS_AND_FRACTIONS = [
    (reten.optimize, {"budget": True}, "budget"),
    (reten.optimize, {"budget": 1, "time_limit_s": True}, "time_limit_s"),
    (reten.optimize, {"budget": 1, "time_limit_s": np.bool_(True)}, "time_limit_s"),
    (reten.optimize, {"budget": 1.5}, "budget"),
    (reten.optimize, {"budget": 1, "max_units": 1.5}, "max_units"),
    (reten.game, {"checkpoints": True}, "checkpoints"),
    (reten.game, {"checkpoints": 1.5}, "checkpoints"),
    (reten.game, {"checkpoints": 1, "time_limit_s": True}, "time_limit_s"),
    (reten.game, {"checkpoints": 1, "pure_time_limit_s": False}, "pure_time_limit_s"),
    (reten.game, {"checkpoints": 1, "gap": True}, "gap"),
    (reten.game, {"checkpoints": 1, "gap": 1.0}, "gap"),
    (reten.game, {"checkpoints": 1, "schedules": 2.5}, "schedules"),
    (reten.game, {"checkpoints": 1, "seed": 1.5}, "seed"),
    (reten.game, {"checkpoints": 1, "p_detect": True}, "p_detect"),
    (reten.simulate, {"months": True}, "months"),
    (reten.simulate, {"months": 1.5}, "months"),
    (reten.simulate, {"runs": np.float64(2.5)}, "runs"),
    (reten.simulate, {"seed": True}, "seed"),
]


@pytest.mark.parametrize("func,kw,name", BOOLS_AND_FRACTIONS)
def test_bool_is_never_a_number_and_a_fraction_never_a_whole_number(func, kw, name):
    with pytest.raises(InputError) as exc:
        func(SC, NET, **kw)
    assert one_line(exc).startswith(f"{name} must be"), str(exc.value)


def test_validate_checks_bootstrap_and_seed(tmp_path):
    res = reten.run(SC, NET)
    obs = tmp_path / "obs.csv"
    obs.write_text("code,v\n26,1\n")
    for kw, name in (({"bootstrap": True}, "bootstrap"), ({"seed": -1}, "seed")):
        with pytest.raises(InputError) as exc:
            reten.validate(res, obs, region_col="code", value_col="v", **kw)
        assert one_line(exc).startswith(f"{name} must be")
    with pytest.raises(InputError) as exc:
        reten.validate(res, None, region_col="code", value_col="v")
    assert one_line(exc).startswith("observed must be")


# ----------------------------------------------------------------------------- simulate


@pytest.mark.parametrize(
    "kw,name",
    [
        ({"seed": -1}, "seed"),
        ({"seed": "abc"}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"workers": "2"}, "workers"),
        ({"workers": None}, "workers"),
        ({"workers": 0}, "workers"),
        ({"params": [1]}, "params"),
    ],
)
def test_simulate_refuses_what_game_refuses(kw, name):
    with pytest.raises(InputError) as exc:
        reten.simulate(SC, NET, months=1, **kw)
    assert one_line(exc).startswith(f"{name} must be"), str(exc.value)


def test_simulate_takes_a_network_path_as_run_does(tmp_path):
    small = reten.build_network(edges=_edges(tmp_path))
    saved = reten.save_network(small, tmp_path / "net")
    sc = {"origins": [{"node": "a", "volume_kg": 5}], "destinations": [{"node": "c"}]}
    for net in (str(saved), saved):
        sim = reten.simulate(sc, net, months=2)
        assert sim.series.volume_kg.tolist() == [5.0, 5.0]
    with pytest.raises(InputError) as exc:
        reten.simulate(sc, str(tmp_path / "some" / "dir"), months=1)
    one_line(exc, "does not exist")


def _edges(tmp: Path) -> Path:
    p = tmp / "e.csv"
    p.write_text("source,target,length_m\na,b,10\nb,c,5\n")
    return p


# -------------------------------------------------------------------------------- limits


@pytest.mark.parametrize(
    "kw,name",
    [
        ({"months": MAX_MONTHS + 1}, "months"),
        ({"months": 10**9}, "months"),
        ({"runs": MAX_RUNS + 1}, "runs"),
        ({"months": MAX_MONTHS, "runs": MAX_RUN_MONTHS // MAX_MONTHS + 1}, "runs x months"),
    ],
)
def test_simulate_refuses_sizes_beyond_the_documented_limits(kw, name):
    with pytest.raises(InputError) as exc:
        reten.simulate(SC, NET, **kw)
    assert one_line(exc).startswith(f"{name} must be"), str(exc.value)


def test_limits_are_documented_next_to_the_parameters():
    doc = (Path(__file__).parents[1] / "docs" / "dynamics.md").read_text()
    for n in (MAX_MONTHS, MAX_RUNS, MAX_RUN_MONTHS):
        assert f"{n:,}" in doc, n
    from reten.models import dynamics

    assert (dynamics.MAX_MONTHS, dynamics.MAX_RUNS, dynamics.MAX_RUN_MONTHS) == (
        MAX_MONTHS,
        MAX_RUNS,
        MAX_RUN_MONTHS,
    )


def test_cli_simulate_refuses_months_beyond_the_limit(tmp_path):
    s = tmp_path / "s.toml"
    s.write_text(DEMO.joinpath("sinaloa_surge.toml").read_text())
    r = call("simulate", str(s), "--months", "1000000000", "-o", str(tmp_path / "o"))
    assert_one_line_error(r, "--months", "1200")
    r = call("simulate", str(s), "--runs", "100001", "-o", str(tmp_path / "o"))
    assert_one_line_error(r, "--runs", "100000")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("key,value", [("months", MAX_MONTHS + 1), ("runs", MAX_RUNS + 1)])
def test_sweep_grid_refuses_sizes_beyond_the_limits(tmp_path, key, value):
    (tmp_path / "base.toml").write_text(DEMO.joinpath("sinaloa_surge.toml").read_text())
    body = {"months": 6, "runs": 2, key: value}
    g = tmp_path / "grid.toml"
    g.write_text(
        textwrap.dedent(
            f"""
            [sweep]
            scenario = "base.toml"
            months = {body["months"]}
            runs = {body["runs"]}
            seed = 1
            [grid]
            "params.units" = [1, 2]
            """
        )
    )
    with pytest.raises(InputError) as exc:
        read_grid(g)
    one_line(exc, f"sweep.{key} must be a whole number from 1 to", str(value))


# --------------------------------------------------------------------- paths, codes, tables


def test_paths_that_are_not_paths_are_refused_in_one_line(tmp_path):
    res = reten.run(SC, NET)
    cases = [
        (lambda: res.write(None), "out must be"),
        (lambda: res.figures(None), "out must be"),
        (lambda: reten.load_network(None), "source must be"),
        (lambda: reten.read_run(None), "path must be"),
        (lambda: reten.read_csv(None), "path must be"),
        (lambda: reten.read_csv(tmp_path / "nope.csv"), "nope.csv: does not exist"),
        (lambda: reten.read_csv(tmp_path), "is a folder"),
    ]
    for f, needle in cases:
        with pytest.raises(InputError) as exc:
            f()
        one_line(exc, needle)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00garbage\n\x00\x01")
    with pytest.raises(InputError) as exc:
        reten.read_csv(bad)
    one_line(exc, "bad.csv")


def test_basemap_follows_the_command_line_rule(tmp_path):
    res = reten.run(SC, NET)
    cmp = reten.compare(res, res)
    for f in (
        lambda: res.write(tmp_path / "r", basemap="nope"),
        lambda: cmp.write(tmp_path / "c", basemap="nope"),
        lambda: res.explore(basemap="nope"),
    ):
        with pytest.raises(InputError) as exc:
            f()
        one_line(exc, "basemap 'nope'", "{z}")
    assert list(tmp_path.iterdir()) == []
    r = call("run", "x.toml", "-o", str(tmp_path / "o"), "--basemap", "nope")
    assert_one_line_error(r, "--basemap", "{z}")


def test_select_region_takes_codes_as_text_and_refuses_an_int():
    sc = reten.Scenario.from_dict({"origins": [{"municipality": "Culiacán", "volume_kg": 100}]})
    res = reten.run(sc, NET)
    assert res.select_region("25").volume_kg.tolist() == [100.0]  # Sinaloa's state code
    for v in (25, 25.0, None):
        with pytest.raises(InputError) as exc:
            res.select_region(v)
        one_line(exc, "select_region", "'25'", repr(v))


@pytest.mark.parametrize(
    "value",
    [
        pd.DataFrame({"state": ["Sonora"], "volume_kg": [1.0]}),
        pd.Series([1, 2]),
        np.array([1, 2]),
    ],
)
@pytest.mark.parametrize("key", ["origins", "destinations"])
def test_scenario_tables_given_as_dataframes_are_refused_in_one_line(key, value):
    d = {"origins": [{"state": "Sonora", "volume_kg": 1}], key: value}
    with pytest.raises(InputError) as exc:
        reten.Scenario.from_dict(d)
    one_line(exc, key, "expected a list of tables", type(value).__name__)


# ---------------------------------------------------------------- writing into a network


def test_api_writes_never_go_inside_the_input_network(tmp_path):
    """reten.run("s.toml").write("net/sub") is refused as ``reten run s.toml -o net/sub``."""
    small = reten.build_network(edges=_edges(tmp_path))
    net_dir = reten.save_network(small, tmp_path / "net")
    s = tmp_path / "s.toml"
    s.write_text(
        '[network]\npath = "net"\n[[origins]]\nnode = "a"\nvolume_kg = 5\n'
        '[[destinations]]\nnode = "c"\n'
    )
    res = reten.run(str(s))
    cmp = reten.compare(res, res)
    before = snapshot(tmp_path)
    for f in (
        lambda: res.write(net_dir / "sub"),
        lambda: res.write(os.path.join(str(net_dir), "a", "b")),
        lambda: res.figures(net_dir / "fig"),
        lambda: cmp.write(net_dir / "cmp"),
        lambda: res.write(tmp_path),  # holds the scenario
    ):
        with pytest.raises(InputError) as exc:
            f()
        one_line(exc, "out '")
        assert "inside the input network" in str(exc.value) or "an input" in str(exc.value)
    assert snapshot(tmp_path) == before
    assert reten.load_network(net_dir).n_arcs == small.n_arcs
    assert res.write(tmp_path / "ok").is_dir()  # beside it is fine
    r = call("run", str(s), "-o", str(net_dir / "sub"))
    assert_one_line_error(r, "inside the input network")


def test_a_network_loaded_from_a_folder_and_given_as_net_is_an_input_too(tmp_path):
    """The scenario names no network folder; ``net=reten.load_network(dir)`` does."""
    small = reten.build_network(edges=_edges(tmp_path))
    net_dir = reten.save_network(small, tmp_path / "net")
    net = reten.load_network(net_dir)
    sc = reten.Scenario.from_dict(
        {"origins": [{"node": "a", "volume_kg": 5}], "destinations": [{"node": "c"}]}
    )
    res = reten.run(sc, net)
    opt = reten.optimize(sc, net, budget=1, sites="arcs")
    before = snapshot(tmp_path)
    for f in (lambda: res.write(net_dir / "sub"), lambda: opt.write(net_dir / "o")):
        with pytest.raises(InputError) as exc:
            f()
        one_line(exc, "out '", "inside the input network")
    assert snapshot(tmp_path) == before
    assert res.write(tmp_path / "ok").is_dir()
    # where it was loaded from is not part of the network: saved elsewhere, not carried
    again = reten.load_network(reten.save_network(net, tmp_path / "copy"))
    assert again.content_hash() == net.content_hash() == small.content_hash()
    meta = json.loads((tmp_path / "copy" / "meta.json").read_text())
    assert str(net_dir) not in json.dumps(meta)


def test_stop21_breaker_api_findings():
    """Breaker, stop 21 (second pass): a huge max_units overflowed a C long (the CLI refused
    it); curve='no' counted as true; a Simulation had no write(); messages from Python named
    CLI options only."""
    import reten
    from reten.errors import InputError

    sc = reten.Scenario.from_dict({"origins": [{"state": "Sonora", "volume_kg": 10}]})
    with pytest.raises(InputError, match="max_units must be a whole number of units from 1"):
        reten.optimize(sc, budget=1, max_units=10**20, time_limit_s=5)
    for name, kw in (("curve", {"curve": "no"}), ("curve", {"curve": None})):
        with pytest.raises(InputError, match=f"{name} must be True or False"):
            reten.optimize(sc, budget=1, time_limit_s=5, **kw)
    with pytest.raises(InputError, match="compare_tsai must be True or False"):
        reten.game(sc, checkpoints=1, time_limit_s=5, compare_tsai="yes")
    run = reten.run(sc)
    with pytest.raises(InputError, match=r"figure format 'exe' \(fmt, --figures\)"):
        run.figures("unused_dir", fmt="exe")
    with pytest.raises(InputError, match=r"select_region, --select-region"):
        run.select_region("Nowhere at all")


def test_a_simulation_writes_itself_as_the_cli_does(tmp_path):
    import reten
    from reten.sweep import read_simulation

    sim = reten.simulate(
        reten.Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": 100}]}),
        months=2,
        runs=1,
        seed=3,
    )
    out = sim.write(tmp_path / "sim")
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "provenance.json",
        "report.html",
        "series.parquet",
    ]
    assert read_simulation(out).series.equals(sim.series)
