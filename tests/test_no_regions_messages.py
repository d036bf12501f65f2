"""Commands and options that work by region, on a network without regions, say so (one
line naming the option and what would be valid, exit 2, nothing written)."""

from __future__ import annotations

import pytest

from conftest import run_cli


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """A network built from an edge list, with a port and no regions, and a scenario."""
    d = tmp_path_factory.mktemp("plain")
    (d / "e.csv").write_text(
        "source,target,length_m\nA,B,1000\nB,C,1000\nC,D,1000\nB,A,1000\nC,B,1000\nD,C,1000\n"
    )
    (d / "n.csv").write_text(
        "id,lon,lat\nA,-100.5,20.5\nB,-99.5,20.5\nC,-98.5,20.5\nD,-97.5,20.5\n"
    )
    (d / "p.csv").write_text("port_name,lon,lat\nP,-97.5,20.5\n")
    proc = run_cli(
        "network", "build", "--edges", str(d / "e.csv"), "--nodes", str(d / "n.csv"),
        "--ports", str(d / "p.csv"), "-o", str(d / "net"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (d / "s.toml").write_text(
        'name = "s"\n[network]\npath = "net"\n[[origins]]\nnode = "A"\nvolume_kg = 100\n'
    )
    return d


def _one_line(proc, out, *needles):
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])
    assert not out.exists()
    return lines[0]


@pytest.mark.parametrize("policy", ["optimize", "reactive"])
def test_simulate_policy_by_region_needs_regions(plain, tmp_path, policy):
    out = tmp_path / "sim"
    proc = run_cli("simulate", str(plain / "s.toml"), "--policy", policy, "-o", str(out))
    line = _one_line(proc, out, f"--policy {policy} places units by region", "no regions")
    assert "--policy static|game" in line and "sites=" not in line


def test_simulate_game_runs_without_regions(plain, tmp_path):
    out = tmp_path / "sim"
    proc = run_cli("simulate", str(plain / "s.toml"), "--policy", "game", "--months", "2",
                   "-o", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr


def test_select_region_on_a_network_without_regions(plain, tmp_path):
    out = tmp_path / "run"
    proc = run_cli("run", str(plain / "s.toml"), "--select-region", "Sinaloa", "-o", str(out))
    line = _one_line(proc, out, "--select-region", "the network has no regions")
    assert "unknown region" not in line


def test_optimize_sites_regions_on_a_network_without_regions(plain, tmp_path):
    out = tmp_path / "opt"
    proc = run_cli(
        "optimize", str(plain / "s.toml"), "--sites", "regions", "--budget", "1", "-o", str(out)
    )
    _one_line(proc, out, "--sites regions", "no regions", "arcs, nodes or crossings")


@pytest.mark.parametrize(
    "sweep_policy, grid",
    [("reactive", ""), ("static", '[grid]\npolicy = ["static", "optimize"]\n')],
)
def test_sweep_policy_by_region_is_refused_before_any_task(plain, tmp_path, sweep_policy, grid):
    # it failed once per task, after the sweep had started and written its folder
    g = tmp_path / "g.toml"
    g.write_text(
        f'[sweep]\nscenario = "{plain / "s.toml"}"\nmonths = 2\nruns = 2\nseed = 1\n'
        f'policy = "{sweep_policy}"\n{grid}'
    )
    out = tmp_path / "sw"
    proc = run_cli("sweep", str(g), "-o", str(out))
    line = _one_line(proc, out, str(g), "places units by region", "no regions")
    assert "--policy static|game" in line
