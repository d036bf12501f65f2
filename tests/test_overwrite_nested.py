"""Replacing an output checks every file and folder in it, at every depth, not only its
top-level names: a user's file inside ``figures/``, another reten output saved inside a
run, a note inside a demo's ``baseline/`` and a hand-made ``select.csv`` are refused (exit 2,
one line naming the first foreign path, nothing touched), with and without --overwrite.
Each case below was deleted silently by the code that checked top-level names only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from clikit import assert_one_line_error, assert_valid_output_dir, call, litter, snapshot
from clikit import tiny_project as make_tiny
from reten.atomic import MARKER, foreign_entries, read_marker


@pytest.fixture(scope="module")
def proj(tmp_path_factory):
    root = tmp_path_factory.mktemp("nested")
    make_tiny(root)
    return root


def _walk(root: Path) -> set[str]:
    """Every path under ``root`` (relative, '/'-joined), the top marker left out."""
    found = set()
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            rel = Path(d, n).relative_to(root).as_posix()
            if rel != MARKER:
                found.add(rel)
    return found


def _forget_files(folder: Path) -> None:
    """Make the marker look like one written before markers recorded every path."""
    doc = json.loads((folder / MARKER).read_text())
    del doc["files"]
    (folder / MARKER).write_text(json.dumps(doc))


def _refused(proj: Path, argv: list[str], out: str, first: str) -> None:
    """Assert ``argv`` (with and without --overwrite) is refused naming ``first`` first and
    leaves everything byte for byte as it was."""
    before = snapshot(proj)
    for extra in ((), ("--overwrite",)):
        r = call(*argv, *extra, cwd=proj)
        line = assert_one_line_error(r, f"'{out}'", "touched nothing")
        assert f"({first}" in line, line
        assert snapshot(proj) == before
        assert not litter(proj)


def test_marker_records_every_path_written(proj):
    r = call("run", "s.toml", "-o", "rec", "--figures", "png", cwd=proj)
    assert r.code == 0, r.err
    assert_valid_output_dir(proj / "rec", "run")
    marker = read_marker(proj / "rec")
    assert marker is not None
    assert set(marker["files"]) == _walk(proj / "rec")
    assert "figures" in marker["files"], marker["files"]
    assert foreign_entries(proj / "rec", "run") == []


@pytest.mark.parametrize("legacy", [False, True])
def test_a_users_file_inside_figures_is_refused(proj, legacy):
    out = f"r5_{legacy}"
    assert call("run", "s.toml", "-o", out, "--figures", "png", cwd=proj).code == 0
    assert (proj / out / "figures").is_dir()
    if legacy:
        _forget_files(proj / out)
    (proj / out / "figures" / "notes.txt").write_text("a user's notes")
    _refused(proj, ["run", "s.toml", "-o", out], out, "figures/notes.txt")
    _refused(proj, ["run", "s.toml", "-o", out, "--figures", "png"], out, "figures/notes.txt")
    assert foreign_entries(proj / out, "run") == ["figures/notes.txt"]


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("figures", [False, True])
def test_another_output_saved_inside_a_run_is_refused(proj, legacy, figures):
    out = f"r6_{legacy}_{figures}"
    extra = ["--figures", "png"] if figures else []
    assert call("run", "s.toml", "-o", out, *extra, cwd=proj).code == 0
    if legacy:
        _forget_files(proj / out)
    opt = ["optimize", "s.toml", "--budget", "1", "--sites", "arcs", "-o", f"{out}/figures"]
    r = call(*opt, *(["--overwrite"] if figures else []), "--time-limit", "10", cwd=proj)
    assert r.code == 0, r.err
    assert read_marker(proj / out / "figures")["kind"] == "optimize"
    # with a marker recording every path, the first file the optimize wrote is named;
    # with an older one, the folder holding another kind of reten output
    first = "figures" if legacy or not figures else "figures/"
    _refused(proj, ["run", "s.toml", "-o", out], out, first)
    assert (proj / out / "figures" / "report.html").exists()


@pytest.mark.parametrize("name", ["select.csv", "convergence.csv", "sites.csv"])
def test_a_hand_made_file_with_a_name_reten_uses_is_refused(proj, name):
    out = f"r7_{name}"
    assert call("run", "s.toml", "-o", out, cwd=proj).code == 0
    assert not (proj / out / name).exists()  # this run does not write it
    (proj / out / name).write_text("a user's table")
    _refused(proj, ["run", "s.toml", "-o", out], out, name)


def test_rerun_into_its_own_folder_still_works(proj):
    """The same command into its own folder, with and without figures, a validation of it
    inside, and an output from before markers recorded paths."""
    out = "own"
    for extra in ([], ["--figures", "png"], ["--figures", "png"], []):
        r = call("run", "s.toml", "-o", out, *extra, cwd=proj)
        assert r.code == 0, r.err
        assert_valid_output_dir(proj / out, "run")
        assert (proj / out / "figures").is_dir() == bool(extra)
        assert set(read_marker(proj / out)["files"]) == _walk(proj / out)
    assert call("run", "s.toml", "-o", out, "--figures", "png", cwd=proj).code == 0
    _forget_files(proj / out)
    for extra in (["--figures", "png"], []):
        r = call("run", "s.toml", "-o", out, *extra, cwd=proj)
        assert r.code == 0, r.err
        assert_valid_output_dir(proj / out, "run")


def test_a_users_folder_named_validation_is_refused(proj):
    """Only a validation reten wrote inside a run goes with it (tests/test_validate_undefined.py
    has that case); a user's folder of that name is kept."""
    out = "own_val"
    assert call("run", "s.toml", "-o", out, "--figures", "png", cwd=proj).code == 0
    (proj / out / "validation").mkdir()
    (proj / out / "validation" / "mine.txt").write_text("x")
    _refused(proj, ["run", "s.toml", "-o", out], out, "validation")


def test_demo_refuses_a_note_in_its_baseline(tmp_path):
    assert call("demo", "-o", "demo_prev", cwd=tmp_path).code == 0
    assert foreign_entries(tmp_path / "demo_prev", "demo") == []
    (tmp_path / "demo_prev" / "baseline" / "my_notes.txt").write_text("x\n")
    _refused(tmp_path, ["demo", "-o", "demo_prev"], "demo_prev", "baseline/my_notes.txt")
    _forget_files(tmp_path / "demo_prev")
    _refused(tmp_path, ["demo", "-o", "demo_prev"], "demo_prev", "baseline/my_notes.txt")
    assert (tmp_path / "demo_prev" / "baseline" / "my_notes.txt").read_text() == "x\n"
