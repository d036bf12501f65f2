"""--overwrite never deletes a user's file: every command that writes a folder with -o.

``--overwrite`` lets a command replace a folder reten wrote for another command, or one
with no marker; it never lets it delete a name reten did not write there. The refusal is one
line naming the file, exit 2, and the folder (and everything else) byte for byte unchanged.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from clikit import assert_one_line_error, assert_valid_output_dir, call, litter, snapshot
from clikit import tiny_project as make_tiny
from reten.atomic import MARKER, OUTPUT_NAMES, foreign_entries

DEMO = resources.files("reten.data") / "demo"

GRID = """
[sweep]
scenario = "{scen}"
months = 2
runs = 1
seed = 3
[grid]
policy = ["static"]
"""


def _project(root: Path) -> Path:
    make_tiny(root)
    (root / "s2.toml").write_text((root / "s.toml").read_text().replace("tiny", "tiny2"))
    res = root / "res"
    res.mkdir()
    pd.DataFrame(
        {"region": ["01", "02", "03", "04"], "level": "state", "flow_kg": [1, 2, 3, 4], "name": "x"}
    ).to_csv(res / "regions.csv", index=False)
    (root / "obs.csv").write_text("code,value\n01,1\n02,2\n03,4\n04,3\n")
    (root / "grid.toml").write_text(GRID.format(scen=str(DEMO / "sinaloa_surge.toml")))
    return root


# (kind, argv before -o, argv after) for every command that writes a folder with -o
COMMANDS = {
    "network": (["network", "build", "--edges", "e.csv", "--nodes", "n.csv"], []),
    "run": (["run", "s.toml"], []),
    "compare": (["compare", "s.toml", "s2.toml"], []),
    "validation": (
        ["validate", "res", "--observed", "obs.csv", "--region-col", "code"],
        ["--value-col", "value"],
    ),
    "optimize": (
        ["optimize", "s.toml", "--budget", "1", "--sites", "arcs"],
        ["--time-limit", "10"],
    ),
    "game": (["game", "s.toml", "--checkpoints", "1", "--sites", "arcs"], ["--time-limit", "10"]),
    "demo": (["demo"], []),
    "simulation": (
        ["simulate", str(DEMO / "sinaloa_surge.toml"), "--months", "2", "--runs", "1"],
        [],
    ),
    "sweep": (["sweep", "grid.toml", "--workers", "1"], []),
}
# commands cheap enough to run twice here (demo and sweep start many runs or a dask cluster)
CHEAP = ["network", "run", "compare", "validation", "optimize", "game", "simulation"]


@pytest.fixture(scope="module")
def proj(tmp_path_factory):
    return _project(tmp_path_factory.mktemp("overwrite"))


def _argv(kind: str, out: str, *extra: str) -> list[str]:
    head, tail = COMMANDS[kind]
    return [*head, "-o", out, *tail, *extra]


def _fake_output(folder: Path, kind: str) -> None:
    """Write a folder as that kind's reten output would leave it (marker and one file)."""
    folder.mkdir()
    name = sorted(OUTPUT_NAMES[kind])[0]
    (folder / name).write_text("reten's")
    marker = {"written_by": "reten", "version": "0", "kind": kind, "entries": [name]}
    if kind == "sweep":  # a sweep marks its folder with sweep.json
        (folder / "sweep.json").write_text("{}")
        (folder / "tasks").mkdir(exist_ok=True)
        return
    (folder / MARKER).write_text(json.dumps(marker))


@pytest.mark.parametrize("kind", sorted(COMMANDS))
def test_overwrite_refuses_a_folder_holding_a_users_file(proj, kind):
    out = f"o_{kind}"
    _fake_output(proj / out, kind)
    (proj / out / "notes.txt").write_text("a user's notes")
    before = snapshot(proj)
    r = call(*_argv(kind, out, "--overwrite"), cwd=proj)
    assert_one_line_error(r, out, "notes.txt", "--overwrite")
    assert snapshot(proj) == before and not litter(proj)
    assert (proj / out / "notes.txt").read_text() == "a user's notes"


@pytest.mark.parametrize("kind", CHEAP)
def test_overwrite_replaces_reten_outputs_and_lists_only_known_names(proj, kind):
    """Its own output and another command's output are replaced with --overwrite; what a
    command writes is all in OUTPUT_NAMES (so a folder without its marker is recognised)."""
    out = f"own_{kind}"
    r = call(*_argv(kind, out), cwd=proj)
    assert r.code == 0, r.err
    assert_valid_output_dir(proj / out, kind)
    written = set(os.listdir(proj / out)) - {MARKER}
    assert written <= OUTPUT_NAMES[kind], written - OUTPUT_NAMES[kind]
    assert foreign_entries(proj / out, kind) == []
    # the marker lost: every name is still one this command writes, so --overwrite may
    (proj / out / MARKER).unlink()
    if kind != "network":  # a network saved before markers existed is known by meta.json
        assert_one_line_error(call(*_argv(kind, out), cwd=proj), out, "--overwrite")
    r = call(*_argv(kind, out, "--overwrite"), cwd=proj)
    assert r.code == 0, r.err
    assert_valid_output_dir(proj / out, kind)
    # another command's output (a run) is replaced only with --overwrite
    other = "validation" if kind == "run" else "run"
    out2 = f"other_{kind}"
    assert call(*_argv(other, out2), cwd=proj).code == 0
    assert_one_line_error(call(*_argv(kind, out2), cwd=proj), out2, "--overwrite")
    r = call(*_argv(kind, out2, "--overwrite"), cwd=proj)
    assert r.code == 0, r.err
    assert_valid_output_dir(proj / out2, kind)


def test_demo_names_follow_the_demo_steps():
    from reten.api import DEMO_STEPS

    keys = {k for k, _ in DEMO_STEPS}
    assert keys | {f"{k}_vs_baseline" for k in keys} | {"index.html"} == OUTPUT_NAMES["demo"]


def test_sweep_overwrite_keeps_a_users_tasks_folder(proj):
    """--overwrite on a sweep deletes tasks/: never in a folder holding anything else."""
    mine = proj / "mine_sweep"
    (mine / "tasks").mkdir(parents=True)
    (mine / "tasks" / "draft.txt").write_text("mine")
    (mine / "thesis.tex").write_text("years of work")
    before = snapshot(proj)
    for extra in ((), ("--overwrite",)):
        r = call(*_argv("sweep", "mine_sweep", *extra), cwd=proj)
        assert_one_line_error(r, "mine_sweep", "thesis.tex")
        assert snapshot(proj) == before


def test_foreign_entries_oracle(tmp_path):
    """The names refused are exactly those neither listed in the marker nor a known name."""
    d = tmp_path / "d"
    d.mkdir()
    for n in ("report.html", "curve.csv", "mine.csv", "skim.csv", ".d.reten-lock"):
        (d / n).write_text("x")
    assert foreign_entries(d, "optimize") == ["mine.csv", "skim.csv"]
    assert foreign_entries(d, "run") == ["curve.csv", "mine.csv"]
    marker = {"written_by": "reten", "version": "0", "kind": "run", "entries": ["mine.csv"]}
    (d / MARKER).write_text(json.dumps(marker))
    assert foreign_entries(d, "optimize") == ["skim.csv"]
