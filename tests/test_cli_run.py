"""`reten run|compare|demo`: fixed outputs, determinism, no-route errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from clikit import call
from conftest import run_cli

SCEN = """name = "{name}"
risk_weight = 1000.0
[network]
default = true
[[origins]]
municipality = "Culiacán"
volume_kg = 100
[[origins]]
municipality = "Badiraguato"
volume_kg = 50
[costs]
mode = "length_km"
{extra}
"""


def write(tmp: Path, name: str, extra: str = "") -> Path:
    p = tmp / f"{name}.toml"
    p.write_text(SCEN.format(name=name, extra=extra))
    return p


def test_run_writes_fixed_files(tmp_path):
    out = tmp_path / "run"
    proc = run_cli("run", str(write(tmp_path, "base")), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    for f in ("report.html", "origins.csv", "regions.csv", "arcs.parquet"):
        assert (out / f).is_file(), f
    o = pd.read_csv(out / "origins.csv")
    assert list(o.columns[:6]) == ["origin", "node", "volume_kg", "cost", "crossing", "seized_kg"]
    assert o.crossing.str.contains("crossing").all()
    r = pd.read_csv(out / "regions.csv", dtype={"region": str})
    assert list(r.columns[:3]) == ["region", "level", "flow_kg"]
    assert r.loc[r.region == "25006", "flow_kg"].item() == 100.0  # Culiacán


def test_exports_are_byte_identical(tmp_path):
    scen = write(
        tmp_path,
        "base",
        '[[enforcement]]\ntype = "checkpoint"\nplace = "Guamúchil"\n'
        "added_cost = 50\np_detect = 0.2\n",
    )
    a, b = tmp_path / "a", tmp_path / "b"
    assert run_cli("run", str(scen), "-o", str(a)).returncode == 0
    assert run_cli("run", str(scen), "-o", str(b)).returncode == 0
    for f in sorted(p.name for p in a.iterdir()):
        assert (a / f).read_bytes() == (b / f).read_bytes(), f


def test_compare_writes_regions_delta(tmp_path):
    base = write(tmp_path, "base")
    scen = write(
        tmp_path,
        "surge",
        '[[enforcement]]\ntype = "crackdown"\nregions = ["Sinaloa"]\ncost_multiplier = 3\n',
    )
    out = tmp_path / "cmp"
    proc = run_cli("compare", str(base), str(scen), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    d = pd.read_csv(out / "regions_delta.csv", dtype={"region": str})
    assert list(d.columns[:5]) == [
        "region",
        "level",
        "flow_base_kg",
        "flow_scenario_kg",
        "delta_kg",
    ]
    assert (d.delta_kg == d.flow_scenario_kg - d.flow_base_kg).all()
    assert (out / "report.html").is_file()


def test_all_crossings_closed_is_a_clear_error(tmp_path):
    scen = write(
        tmp_path,
        "closed",
        '[[enforcement]]\ntype = "deployment"\nunits = 1\n'
        'crossings = true\np1 = 0.1\n[[enforcement]]\ntype = "closure"\n'
        'port = "Nogales"\n',
    )
    # close every crossing by listing one destination and closing it
    text = scen.read_text().replace("[costs]", '[[destinations]]\nport = "Nogales"\n[costs]')
    scen.write_text(text)
    out = tmp_path / "o"
    proc = run_cli("run", str(scen), "-o", str(out))
    assert proc.returncode == 2
    assert "no route" in proc.stderr and "Culiacán" in proc.stderr and "Badiraguato" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_bad_scenario_exit_2(tmp_path):
    scen = write(tmp_path, "bad").read_text().replace("volume_kg = 50", "volume_kg = -50")
    p = tmp_path / "bad2.toml"
    p.write_text(scen)
    proc = run_cli("run", str(p), "-o", str(tmp_path / "o"))
    assert proc.returncode == 2 and "bad2.toml:10: origins[1].volume_kg" in proc.stderr


def test_demo_under_a_minute(demo_output):
    demo, seconds = demo_output  # `reten demo -o DIR` in a process of its own, timed
    assert seconds < 60
    index = (demo / "index.html").read_text()
    for key in ("baseline", "sinaloa_surge", "border_surge", "both"):
        assert f"{key}/report.html" in index
        assert (demo / key / "report.html").is_file()


def test_basemap_is_opt_in(tmp_path):
    # in this process (clikit.call): `reten run` in a process of its own is tested above
    scen = write(tmp_path, "base")
    plain = tmp_path / "plain"
    assert call("run", str(scen), "-o", str(plain)).code == 0
    assert "tiles.example.org" not in (plain / "report.html").read_text()
    tiles = tmp_path / "tiles"
    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    assert call("run", str(scen), "-o", str(tiles), "--basemap", url).code == 0
    text = (tiles / "report.html").read_text()
    # the tiles and the attribution the provider requires
    assert "https://tiles.example.org/{z}/{x}/{y}.png" in text
    assert "Map tiles: tiles.example.org" in text
    bad = call("run", str(scen), "-o", str(tmp_path / "bad"), "--basemap", "https://x/y.png")
    assert bad.code == 2 and "{z}" in bad.err


def test_answers_go_to_standard_output_and_messages_to_standard_error(tmp_path):
    """``reten run ... > table.txt`` kept nothing: run and compare printed their tables to
    standard error (newcomer, stop 20), unlike optimize, game and demo. The answer is on
    standard output, the 'wrote' line on standard error."""
    from clikit import call, tiny_project

    tiny_project(tmp_path)
    (tmp_path / "s2.toml").write_text(
        (tmp_path / "s.toml").read_text().replace("volume_kg = 10", "volume_kg = 20")
    )
    r = call("run", "s.toml", "-o", "o", cwd=tmp_path)
    assert r.code == 0, r.err
    assert "where the flow goes" in r.out and "where the flow goes" not in r.err
    assert "wrote" in r.err and "wrote" not in r.out
    r = call("compare", "s.toml", "s2.toml", "-o", "c", cwd=tmp_path)
    assert r.code == 0, r.err
    assert "Displacement" in r.out and "Displacement" not in r.err
    assert "wrote" in r.err


def test_congestion_without_any_capacity_says_nothing_can_congest(tmp_path):
    """``[congestion]`` with no capacity anywhere ran the uncongested routes and the report
    named a 'congestion equilibrium' (newcomer, stop 21). It still runs, but says so on the
    terminal and in the report; with a capacity there is no such warning."""
    from clikit import call

    base = (
        'name = "jam"\n[network]\ndefault = true\n[[origins]]\nmunicipality = "Culiacán"\n'
        "volume_kg = 400\n\n[congestion]\nalpha = 500\n"
    )
    (tmp_path / "none.toml").write_text(base, encoding="utf-8")
    (tmp_path / "cap.toml").write_text(base + "crossing_capacity_kg = 100\n", encoding="utf-8")
    r = call("run", "none.toml", "-o", "a", cwd=tmp_path)
    assert r.code == 0, r.err
    assert "nothing can congest" in r.err and "[congestion]" in r.err
    assert "nothing can congest" in (tmp_path / "a" / "report.html").read_text()
    r = call("run", "cap.toml", "-o", "b", cwd=tmp_path)
    assert r.code == 0, r.err
    assert "nothing can congest" not in r.err
    assert "nothing can congest" not in (tmp_path / "b" / "report.html").read_text()


@pytest.mark.parametrize("table", ["congestion", "relocation"])
def test_optimize_game_and_simulate_say_which_tables_they_do_not_model(tmp_path, table):
    """Breaker, stop 21: optimize and game dropped [congestion] and [relocation], simulate
    dropped [congestion], silently: the baseline was not run's. Each says so on the terminal
    (and keeps it in provenance as ``ignored``); the reports show it."""
    import json

    from clikit import call

    extra = {
        "congestion": "[congestion]\ncrossing_capacity_kg = 60\nalpha = 500\n",
        "relocation": "[relocation]\nrelocation_cost = 1.0\nwithin_km = 50\n",
    }[table]
    (tmp_path / "s.toml").write_text(
        'name = "x"\n[network]\ndefault = true\n[[origins]]\nmunicipality = "Culiacán"\n'
        "volume_kg = 400\n" + extra,
        encoding="utf-8",
    )
    runs = {
        "optimize": ["optimize", "s.toml", "--budget", "1", "--time-limit", "10"],
        "game": ["game", "s.toml", "--checkpoints", "1", "--time-limit", "10"],
        "simulate": ["simulate", "s.toml", "--months", "2", "--runs", "1"],
    }
    for cmd, args in runs.items():
        r = call(*args, "-o", cmd, cwd=tmp_path)
        assert r.code == 0, r.err
        says = f"{cmd} does not model [{table}]" in r.err
        models_it = cmd == "simulate" and table == "relocation"  # labs move in simulate
        assert says != models_it, (cmd, r.err)
        prov = json.loads((tmp_path / cmd / "provenance.json").read_text())
        assert bool(prov.get("ignored")) == says
        if says:
            assert f"does not model [{table}]" in (tmp_path / cmd / "report.html").read_text()
