"""Outputs never destroy data: -o rules, --overwrite, locks, sweeps, swaps, umask, strict JSON."""

from __future__ import annotations

import doctest
import json
import math
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import reten.atomic
import reten.errors
import reten.jsonio
from clikit import (
    NODES,
    assert_one_line_error,
    assert_valid_output_dir,
    call,
    litter,
    snapshot,
    strict_json,
    tiny_project,
)


@pytest.fixture
def proj(tmp_path):
    tiny_project(tmp_path)
    return tmp_path


def run(proj: Path, out: str, *extra: str):
    return call("run", "s.toml", "-o", out, *extra, cwd=proj)


# --- what -o may replace --------------------------------------------------------------------


def test_new_output_is_complete_and_marked(proj):
    r = run(proj, "out/run")
    assert r.code == 0, r.err
    assert_valid_output_dir(proj / "out" / "run", "run")
    assert not litter(proj)


def test_refuses_a_folder_reten_did_not_write_even_with_overwrite(proj):
    mine = proj / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    before = snapshot(proj)
    for extra in ((), ("--overwrite",)):
        assert_one_line_error(run(proj, "mine", *extra), "mine", "thesis.tex", "did not write")
        assert snapshot(proj) == before and not litter(proj)


def test_overwrite_replaces_a_folder_of_only_output_names_without_a_marker(proj):
    """A folder with no marker (written before markers, or the marker lost) is replaced with
    --overwrite when everything in it is a name a run writes."""
    old = proj / "old"
    old.mkdir()
    (old / "report.html").write_text("old report")
    (old / "origins.csv").write_text("origin\n")
    before = snapshot(proj)
    assert_one_line_error(run(proj, "old"), "old", "reten did not write", "--overwrite")
    assert snapshot(proj) == before
    r = run(proj, "old", "--overwrite")
    assert r.code == 0, r.err
    assert (old / "report.html").read_text() != "old report"
    assert_valid_output_dir(old, "run")


def test_replaces_its_own_output_of_the_same_kind(proj):
    assert run(proj, "o").code == 0
    (proj / "o" / "report.html").write_text("old")
    r = run(proj, "o")
    assert r.code == 0, r.err
    assert (proj / "o" / "report.html").read_text() != "old"
    assert_valid_output_dir(proj / "o", "run")


def test_refuses_its_own_output_holding_a_users_file(proj):
    assert run(proj, "o").code == 0
    (proj / "o" / "notes.txt").write_text("mine")
    before = snapshot(proj)
    assert_one_line_error(run(proj, "o"), "notes.txt", "--overwrite")
    assert snapshot(proj) == before


def test_refuses_another_kind_of_reten_output(proj):
    # a run must never silently replace a saved network (which may have taken an hour)
    assert call("network", "build", "--edges", "e.csv", "-o", "net2", cwd=proj).code == 0
    before = snapshot(proj)
    assert_one_line_error(run(proj, "net2"), "network", "--overwrite")
    assert snapshot(proj) == before
    # not even with --overwrite: only a network build replaces a saved network
    assert_one_line_error(run(proj, "net2", "--overwrite"), "saved reten network")
    assert snapshot(proj) == before
    assert (
        call("network", "build", "--edges", "e.csv", "-o", "net2", "--overwrite", cwd=proj).code
        == 0
    )


def test_a_reten_output_inside_another_is_kept(proj):
    """A run saved inside a network (or run) folder is never deleted by rebuilding it."""
    assert call("network", "build", "--edges", "e.csv", "-o", "netY", cwd=proj).code == 0
    assert run(proj, "o").code == 0
    assert run(proj, "o/inner").code == 0
    before = snapshot(proj)
    assert_one_line_error(run(proj, "o"), "inner", "--overwrite")
    assert snapshot(proj) == before
    assert run(proj, "netY/baseline").code == 0
    before = snapshot(proj)
    r = call("network", "build", "--edges", "e.csv", "-o", "netY", cwd=proj)
    assert_one_line_error(r, "baseline", "--overwrite")
    assert snapshot(proj) == before
    # not even with --overwrite: the inner output is not this one's to delete
    before = snapshot(proj)
    assert_one_line_error(run(proj, "o", "--overwrite"), "inner", "another reten output")
    assert snapshot(proj) == before


@pytest.mark.parametrize(
    "out,needle",
    [
        ("s.toml", "input"),  # the scenario itself
        (".", "new folder name"),  # the folder holding the scenario
        ("net", "input"),  # the network the scenario reads
        ("net/arcs.parquet", "inside the input network"),  # a file inside an input
    ],
)
def test_never_replaces_an_input_even_with_overwrite(proj, out, needle):
    before = snapshot(proj)
    assert_one_line_error(run(proj, out, "--overwrite"), needle)
    assert snapshot(proj) == before and not litter(proj)


def test_never_replaces_the_folder_holding_an_input(proj, tmp_path):
    before = snapshot(proj)
    r = call("run", str(proj / "s.toml"), "-o", str(proj), "--overwrite", cwd=tmp_path.parent)
    assert_one_line_error(r, "input")
    assert snapshot(proj) == before


@pytest.mark.parametrize(
    "out,needle",
    [
        (".", "new folder name"),
        ("..", "new folder name"),
        ("/", "new folder name"),
        ("", "is empty; give a new folder or file name"),  # never shown as -o '.'
        ("sub/..", "new folder name"),
        ("a\nb", "control character"),
        ("tab\there", "control character"),
        ("x" * 300, "300 bytes"),
        ("e.csv", "not a folder"),
        ("e.csv/sub", "not a folder"),
        ("dangling", "does not exist"),
    ],
)
def test_unusable_output_paths_are_one_line_errors(proj, out, needle):
    (proj / "dangling").symlink_to("nowhere")
    before = snapshot(proj)
    for extra in ((), ("--overwrite",)):
        r = run(proj, out, *extra)
        assert_one_line_error(r, needle)
        assert snapshot(proj) == before and not litter(proj)


def test_current_and_home_folders_are_refused(proj, monkeypatch):
    sub = proj / "work"
    sub.mkdir()
    r = call("run", "../s.toml", "-o", str(proj), "--overwrite", cwd=sub)
    assert_one_line_error(r)
    monkeypatch.setenv("HOME", str(proj / "home"))
    (proj / "home").mkdir()
    assert_one_line_error(run(proj, "home", "--overwrite"), "home")


def test_symlink_to_a_folder_writes_the_real_folder(proj):
    assert run(proj, "real").code == 0
    (proj / "link").symlink_to("real")
    assert run(proj, "link").code == 0
    assert (proj / "link").is_symlink() and (proj / "real" / "report.html").is_file()


def test_missing_parents_are_created_and_removed_again_on_failure(proj):
    (proj / "bad.toml").write_text("name = 3\n")
    r = call("run", "bad.toml", "-o", "a/b/c", cwd=proj)
    assert r.code == 2 and not (proj / "a").exists() and not litter(proj)


def test_failure_midway_keeps_the_previous_output(proj, monkeypatch):
    assert run(proj, "o").code == 0
    before = snapshot(proj / "o")
    import reten.report.exports as ex

    real = ex.write_run

    def half(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ex, "write_run", half)
    r = run(proj, "o")
    assert_one_line_error(r, "RuntimeError: disk on fire", "--debug", code=1)
    assert snapshot(proj / "o") == before and not litter(proj)


def test_demo_is_atomic_as_a_whole(tmp_path, monkeypatch):
    from reten.results import ComparisonResult

    calls = []
    real = ComparisonResult.write

    def second_fails(*a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return real(*a, **k)

    # the second comparison the demo writes fails: nothing of the demo may remain
    monkeypatch.setattr(ComparisonResult, "write", second_fails)
    r = call("demo", "-o", "demo", cwd=tmp_path)
    assert r.code == 1 and len(r.err_lines) == 1
    assert sorted(os.listdir(tmp_path)) == []


def test_swap_without_renameat2_falls_back_to_two_renames(proj, monkeypatch):
    monkeypatch.setattr(reten.atomic, "_rename2", lambda src, dst, flags: False)
    assert run(proj, "o").code == 0
    (proj / "o" / "report.html").write_text("old")
    assert run(proj, "o").code == 0
    assert (proj / "o" / "report.html").read_text() != "old"
    assert_valid_output_dir(proj / "o", "run")
    assert not litter(proj)


# --- locks and sweeps -----------------------------------------------------------------------


def test_a_second_writer_gets_a_clear_error(proj):
    """A live writer's lock makes another command writing the same folder stop at once."""
    target = (proj / "o").resolve()
    lock, fd = reten.atomic._acquire(target)
    try:
        exe = Path(sys.executable).with_name("reten")
        cmd = [str(exe)] if exe.is_file() else [sys.executable, "-m", "reten"]
        p = subprocess.run(
            [*cmd, "run", "s.toml", "-o", "o"], cwd=proj, capture_output=True, text=True
        )
        assert p.returncode == 2 and "another reten process" in p.stderr, p.stderr
        assert str(os.getpid()) in p.stderr
        assert len(p.stderr.strip().splitlines()) == 1
        assert not (proj / "o").exists()
    finally:
        reten.atomic._unlock(lock, fd)
    assert run(proj, "o").code == 0 and not litter(proj)


def test_orphans_of_killed_runs_are_swept(proj):
    # what SIGKILL leaves: a temporary folder and a lock file nobody holds
    (proj / ".o.reten-tmp-0badc0de").mkdir()
    (proj / ".o.reten-tmp-0badc0de" / "arcs.parquet").write_bytes(b"half")
    (proj / ".o.reten-lock").write_text("99999999\n")
    (proj / ".other.reten-tmp-12345678").mkdir()
    (proj / ".notes.reten-tmp-backup").write_text("a user's file of a similar name")
    assert run(proj, "o").code == 0
    assert litter(proj) == [".notes.reten-tmp-backup"]


def test_a_live_writers_temporary_folder_is_left_alone(proj):
    target = (proj / "busy").resolve()
    lock, fd = reten.atomic._acquire(target)
    try:
        (proj / ".busy.reten-tmp-aaaaaaaa").mkdir()
        assert run(proj, "o").code == 0
        assert (proj / ".busy.reten-tmp-aaaaaaaa").is_dir()
    finally:
        reten.atomic._unlock(lock, fd)
        (proj / ".busy.reten-tmp-aaaaaaaa").rmdir()


def test_an_output_parked_by_a_cut_swap_is_put_back(proj):
    assert run(proj, "o").code == 0
    before = snapshot(proj / "o")
    os.rename(proj / "o", proj / ".o.reten-old-feedbeef")  # killed between the two renames
    assert run(proj, "other").code == 0  # any write into the same folder sweeps
    assert snapshot(proj / "o") == before and not litter(proj)


# --- permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_outputs_follow_the_umask(proj, mask):
    old = os.umask(mask)
    try:
        assert run(proj, "o").code == 0
        r = call("network", "export", "net", "--format", "gpkg", "-o", "x.gpkg", cwd=proj)
        assert r.code == 0, r.err
    finally:
        os.umask(old)
    assert stat.S_IMODE((proj / "o").stat().st_mode) == 0o777 & ~mask
    for p in (proj / "o").iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~mask, p
    assert stat.S_IMODE((proj / "x.gpkg").stat().st_mode) == 0o666 & ~mask


# --- file outputs -----------------------------------------------------------------------------


def test_export_never_replaces_a_file_without_overwrite(proj):
    (proj / "x.geojson").write_text("my map")
    args = ("network", "export", "net", "--format", "geojson", "-o", "x.geojson")
    assert_one_line_error(call(*args, cwd=proj), "--overwrite")
    assert (proj / "x.geojson").read_text() == "my map"
    assert call(*args, "--overwrite", cwd=proj).code == 0
    assert strict_json((proj / "x.geojson").read_text())
    assert_one_line_error(
        call("network", "export", "net", "--format", "gpkg", "-o", "net", cwd=proj), "folder"
    )
    assert not litter(proj)


# --- option ranges ----------------------------------------------------------------------------


OPT = ("optimize", "s.toml", "-o", "opt", "--budget", "1")


@pytest.mark.parametrize(
    "args,needle",
    [
        (("optimize", "s.toml", "-o", "opt", "--budget", "0"), "--budget"),
        (("optimize", "s.toml", "-o", "opt", "--budget", "-1"), "--budget"),
        (("optimize", "s.toml", "-o", "opt", "--budget", "nan"), "--budget"),
        (("optimize", "s.toml", "-o", "opt", "--budget", "inf"), "--budget"),
        ((*OPT, "--delay", "-1"), "--delay"),
        ((*OPT, "--delay", "nan"), "--delay"),
        ((*OPT, "--delay", "1e999"), "--delay"),
        ((*OPT, "--p-detect", "1"), "--p-detect"),
        ((*OPT, "--p-detect", "-0.1"), "--p-detect"),
        ((*OPT, "--p-detect", "nan"), "--p-detect"),
        ((*OPT, "--max-units", "0"), "--max-units"),
        ((*OPT, "--time-limit", "0"), "--time-limit"),
        ((*OPT, "--time-limit", "inf"), "--time-limit"),
        ((*OPT, "--objective", "profit"), "--objective"),
        ((*OPT, "--sites", "roads"), "--sites"),
        ((*OPT, "--method", "magic"), "--method"),
        (("network", "build", "--edges", "e.csv", "-o", "n", "--snap-m", "-1"), "--snap-m"),
        (("network", "build", "--edges", "e.csv", "-o", "n", "--snap-m", "inf"), "--snap-m"),
        (("network", "build", "--edges", "e.csv", "-o", "n", "--terminal-max-km", "0"), "km"),
        (("network", "build", "--edges", "e.csv", "-o", "n", "--regions-nearest-m", "nan"), "m"),
        (("network", "build", "--edges", "e.csv", "-o", "n", "--columns", "x"), "--columns"),
        (("network", "export", "net", "--format", "shp", "-o", "x.shp"), "--format"),
        (("run", "s.toml", "-o", "r", "--basemap", "https://x/y.png"), "{z}"),
        (("validate", "r", "--observed", "o.csv", "--region-col", "a", "--value-col", "b",
          "--bootstrap", "0"), "--bootstrap"),
        (("validate", "r", "--observed", "o.csv", "--region-col", "a", "--value-col", "b",
          "--seed", "-1"), "--seed"),
        (("validate", "r", "--observed", "o.csv", "--region-col", "a", "--value-col", "b",
          "--agg", "max"), "--agg"),
    ],
)  # fmt: skip
def test_out_of_range_options_are_one_line_errors(proj, args, needle):
    before = snapshot(proj)
    assert_one_line_error(call(*args, cwd=proj), needle)
    assert snapshot(proj) == before


@pytest.mark.parametrize(
    "extra",
    [("--p-detect", "0"), ("--p-detect", "0.999"), ("--delay", "0"), ("--max-units", "3")],
)
def test_options_at_the_edges_of_their_ranges_run(proj, extra):
    r = call(*OPT, *extra, "--json", cwd=proj)
    assert r.code == 0, r.err
    out = strict_json(r.out)
    assert isinstance(out, dict) and out["lower_bound"] <= out["upper_bound"] + 1e-9
    assert_valid_output_dir(proj / "opt", "optimize")


# --- hints ------------------------------------------------------------------------------------


def test_missing_network_folder_says_how_to_build_one(tmp_path):
    line = assert_one_line_error(call("network", "info", "nosuch", cwd=tmp_path))
    assert "does not exist" in line or "no such" in line
    assert "reten network build" in line and "-o nosuch" in line
    (tmp_path / "s.toml").write_text(
        '[network]\npath = "gone"\n[[origins]]\nnode = "a"\nvolume_kg = 1\n'
    )
    line = assert_one_line_error(call("run", "s.toml", "-o", "o", cwd=tmp_path))
    assert ("does not exist" in line or "no such" in line) and "reten network build" in line


def test_no_border_nodes_points_to_ports(tmp_path):
    (tmp_path / "e.csv").write_text("source,target,length_m\na,b,1000\n")
    (tmp_path / "n.csv").write_text(NODES.replace("border", "junction"))
    assert call("network", "build", "--edges", "e.csv", "-o", "net", cwd=tmp_path).code == 0
    (tmp_path / "s.toml").write_text(
        '[network]\npath = "net"\n[[origins]]\nnode = "a"\nvolume_kg = 1\n'
    )
    assert_one_line_error(call("run", "s.toml", "-o", "o", cwd=tmp_path), "--ports")


def test_far_ports_point_to_terminal_max_km(tmp_path):
    (tmp_path / "e.csv").write_text("source,target,length_m\na,b,1000\n")
    (tmp_path / "n.csv").write_text("id,lon,lat\na,-100,20\nb,-100.01,20\n")
    (tmp_path / "p.csv").write_text("port_name,lat,lon\nFar,21,-100\n")
    r = call(
        "network", "build", "--edges", "e.csv", "--nodes", "n.csv", "--ports", "p.csv",
        "-o", "net", cwd=tmp_path,
    )  # fmt: skip
    assert_one_line_error(r, "--terminal-max-km", "Far")
    assert sorted(os.listdir(tmp_path)) == ["e.csv", "n.csv", "p.csv"]


# --- strict JSON ------------------------------------------------------------------------------


def test_doctests_of_the_output_modules():
    for mod in (reten.jsonio, reten.atomic, reten.errors):
        res = doctest.testmod(mod)
        assert res.attempted > 0 and res.failed == 0, mod


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=5), kids, max_size=4)
    ),
    max_leaves=20,
)


def _same(a, b) -> bool:
    """Return True when ``b`` is ``a`` with non-finite floats as None (statuses aside)."""
    if isinstance(a, float):
        return b is None if not math.isfinite(a) else b == a
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return all(_same(v, b[k]) for k, v in a.items())
    return a == b


@given(json_values)
def test_jsonio_writes_strict_json_and_keeps_finite_values(value):
    text = reten.jsonio.dumps(value, sort_keys=True)
    back = strict_json(text)
    assert _same(value, back)
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, float) and not math.isfinite(v) and f"{k}_status" not in value:
                assert back[f"{k}_status"] in ("nan", "inf", "-inf")


def test_jsonio_numpy_values():
    import numpy as np

    doc = {"a": np.float64("inf"), "b": np.array([1.0, np.nan]), "c": np.int64(3)}
    assert json.loads(reten.jsonio.dumps(doc, sort_keys=True)) == {
        "a": None,
        "a_status": "inf",
        "b": [1.0, None],
        "c": 3,
    }


def test_api_writers_never_replace_a_network_or_write_inside_one(proj):
    """Breaker findings: export into the input network, RunResult.write over a network."""
    import reten
    from reten.errors import InputError

    assert call("network", "build", "--edges", "e.csv", "-o", "netA", cwd=proj).code == 0
    before = snapshot(proj)
    r = call(
        "network",
        "export",
        "netA",
        "--format",
        "geojson",
        "-o",
        "netA/meta.json",
        "--overwrite",
        cwd=proj,
    )
    assert_one_line_error(r, "inside the input network")
    assert snapshot(proj) == before
    net = reten.load_network(proj / "netA")
    assert run(proj, "r_ok").code == 0
    before = snapshot(proj)
    with pytest.raises(InputError, match="network"):
        reten.save_network(net, proj / "r_ok")
    res = reten.read_run(proj / "r_ok")
    assert snapshot(proj) == before
    del res


def test_geojson_export_is_the_same_bytes_twice(proj):
    """Breaker finding: the GeoJSON 'name' member was the temporary file's name."""
    for name in ("a.geojson", "b.geojson"):
        args = ("network", "export", "net", "--format", "geojson", "-o", name)
        assert call(*args, cwd=proj).code == 0
    assert (proj / "a.geojson").read_bytes() == (proj / "b.geojson").read_bytes()
    assert '"name": "arcs"' in (proj / "a.geojson").read_text()


@pytest.mark.parametrize("mode", [0o700, 0o750, 0o755])
def test_a_replaced_folder_keeps_its_permissions(tmp_path, mode):
    # a folder the user made private stays private when reten writes its output there
    from reten.atomic import output_dir

    target = tmp_path / "private"
    target.mkdir()
    target.chmod(mode)
    with output_dir(target) as tmp:
        (tmp / "result.json").write_text("{}")
    assert (target / "result.json").exists()
    assert target.stat().st_mode & 0o777 == mode
