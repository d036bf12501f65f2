"""`reten game` and `reten.game`: the fixed interface, usage errors, outputs, determinism."""

from __future__ import annotations

import json

import numpy as np
import pytest

import reten
from reten.errors import InputError
from test_cli_usage import assert_usage_error
from test_cli_usage import reten as reten_cli

SCENARIO = """name = "sonora"
seed = 4
[[origins]]
state = "Sonora"
volume_kg = 40
[[origins]]
municipality = "Culiacán"
volume_kg = 60
"""


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    d = tmp_path_factory.mktemp("game")
    p = d / "sc.toml"
    p.write_text(SCENARIO, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "extra,needle",
    [
        (["--checkpoints", "0"], "--checkpoints"),
        (["--checkpoints", "abc"], "--checkpoints"),
        (["--checkpoints", "2", "--sites", "regions"], "--sites"),
        (["--checkpoints", "2", "--gap", "-1"], "--gap"),
        (["--checkpoints", "2", "--gap", "1"], "< 1"),  # any bounds would count as proven
        (["--checkpoints", "2", "--time-limit", "0"], "--time-limit"),
        (["--checkpoints", "2", "--schedules", "-3"], "--schedules"),
        (["--checkpoints", "2", "--p-detect", "1"], "--p-detect"),
        (["--checkpoints", "2", "--seed", "-1"], "--seed"),
        ([], "--checkpoints"),
    ],
)
def test_usage_errors_exit_2_in_one_line(scenario, tmp_path, extra, needle):
    proc = reten_cli("game", str(scenario), *extra, "-o", str(tmp_path / "out"))
    assert_usage_error(proc, needle)
    assert not (tmp_path / "out").exists()


def test_a_scenario_error_is_one_line_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[origins]]\nstate = "Atlantis"\nvolume_kg = 1\n', encoding="utf-8")
    proc = reten_cli("game", str(bad), "--checkpoints", "2", "-o", str(tmp_path / "out"))
    assert_usage_error(proc, "Atlantis")
    assert not (tmp_path / "out").exists()


def test_json_report_and_files(scenario, tmp_path):
    out = tmp_path / "g"
    proc = reten_cli(
        "game",
        str(scenario),
        "--checkpoints",
        "2",
        "--sites",
        "arcs",
        "--gap",
        "1e-6",
        "--schedules",
        "20",
        "--p-detect",
        "0.4",
        "--time-limit",
        "60",
        "--json",
        "-o",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    for key in (
        "value",
        "lower_bound",
        "upper_bound",
        "pure_value",
        "value_of_randomisation",
        "seconds",
        "iterations",
        "coverage",
    ):
        assert key in doc, key
    assert doc["lower_bound"] <= doc["upper_bound"] + 1e-9
    assert doc["upper_bound"] - doc["lower_bound"] <= 1e-6 * doc["upper_bound"] + 1e-9
    assert doc["value_of_randomisation"] >= 0
    assert abs(doc["value"] - doc["pure_value"] - doc["value_of_randomisation"]) < 1e-9
    keys = {str(k) for k in reten.load_network("default").node_key}
    total = 0.0
    for c in doc["coverage"]:
        a, b = c["site"].split("->")
        assert a in keys and b in keys  # input node ids, not internal indices
        assert 0 < c["probability"] <= 1 + 1e-12
        total += c["probability"]
    assert total <= 2 + 1e-9  # two units a day
    # the days are in schedules.csv only; the JSON gives their count and file
    assert "schedules" not in doc and doc["schedules_count"] == 20
    assert doc["schedules_file"] == "schedules.csv"
    days = (out / "schedules.csv").read_text(encoding="utf-8").splitlines()
    assert len(days) == 21 and all(len(d.split(",")[2].split(";")) <= 2 for d in days[1:])
    saved = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert saved["schedules_count"] == 20 and "schedules" not in saved
    for f in (
        "report.html",
        "coverage.csv",
        "coverage.geojson",
        "support.csv",
        "schedules.csv",
        "routes.csv",
        "log.csv",
        "result.json",
        "provenance.json",
    ):
        assert (out / f).is_file(), f
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="assumptions"' in html and "<script src=" not in html
    assert "not positions of real forces" in html
    log = np.genfromtxt(out / "log.csv", delimiter=",", names=True)
    assert (np.atleast_1d(log["lower_bound"]) <= np.atleast_1d(log["upper_bound"]) + 1e-9).all()
    # a folder reten did not write is never replaced without --overwrite
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep", encoding="utf-8")
    again = reten_cli("game", str(scenario), "--checkpoints", "1", "-o", str(mine))
    assert_usage_error(again)
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "keep"


def test_api_names_sites_and_schedules_are_seeded():
    sc = reten.Scenario.from_dict({"seed": 11, "origins": [{"state": "Sinaloa", "volume_kg": 90}]})
    net = reten.load_network("default")
    a = reten.game(sc, net, checkpoints=2, sites="crossings", p_detect=0.5, schedules=200)
    b = reten.game(sc, net, checkpoints=2, sites="crossings", p_detect=0.5, schedules=200)
    assert a.schedules.equals(b.schedules) and len(a.schedules) == 200
    c = reten.game(sc, net, checkpoints=2, sites="crossings", p_detect=0.5, schedules=200, seed=1)
    assert not c.schedules.sites.equals(a.schedules.sites) or len(a.support) == 1
    assert a.provenance["seed"] == 11 and "network_hash" in a.provenance
    assert a.provenance["network_name"] == "default"
    assert a.provenance["network_source"] == net.meta["source"]
    assert a.coverage.name.str.endswith(" crossing").all()
    assert a.lower_bound <= a.upper_bound + 1e-9 and a.value_of_randomisation >= 0
    assert "GameResult(2 checkpoints" in repr(a) and "value" in a._repr_html_()


def test_api_errors_name_the_parameter():
    sc = {"origins": [{"state": "Sinaloa", "volume_kg": 90}]}
    for kw, name in (
        ({"checkpoints": 0}, "checkpoints"),
        ({"checkpoints": 2, "sites": "regions"}, "sites"),
        ({"checkpoints": 2, "gap": -0.1}, "gap"),
        ({"checkpoints": 2, "time_limit_s": 0}, "time_limit_s"),
        ({"checkpoints": 2, "schedules": -1}, "schedules"),
        ({"checkpoints": 2, "p_detect": 1.0}, "p_detect"),
    ):
        with pytest.raises(InputError, match=name):
            reten.game(sc, **kw)


def test_docs_game_md_code_runs():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "game.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    ns: dict = {}
    for code in blocks:
        exec(compile(code, "docs/game.md", "exec"), ns)
    assert ns["g"].value_of_randomisation >= 0 and len(ns["g"].schedules) == 5


@pytest.mark.parametrize(
    "command, given, meant",
    [("game", "--budget", "--checkpoints"), ("optimize", "--checkpoints", "--budget")],
)
def test_the_other_commands_option_names_this_ones(scenario, tmp_path, command, given, meant):
    # click guessed by spelling: 'No such option: --budget (Possible options: --out)'
    from conftest import run_cli

    proc = run_cli(command, str(scenario), given, "2", "-o", str(tmp_path / "o"))
    assert proc.returncode == 2 and f"this command's is {meant}" in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path / "o").exists()


def test_compare_tsai_takes_a_numpy_bool():
    import numpy as np

    from reten.checks import flag

    assert flag("compare_tsai", np.bool_(True)) is True
    assert flag("compare_tsai", np.bool_(False)) is False
