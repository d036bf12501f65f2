"""`reten validate`: an undefined correlation is explained, not warned about; only a run or a
comparison is validated; a validation inside a run never blocks --overwrite of the run."""

from __future__ import annotations

import json
import math
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clikit import assert_one_line_error, call, snapshot, strict_json
from reten.analysis.validate import NO_CORRELATION, validate
from reten.atomic import MARKER, OUTPUT_NAMES, foreign_entries

HOMICIDES = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "mexico"
    / "mexico-state-month-homicide-rates-2000-2022.csv"
)


def _frames(pred: list[float], obs: list[float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    codes = [f"{i:02d}" for i in range(1, len(pred) + 1)]
    return (
        pd.DataFrame({"region": codes, "predicted": pred}),
        pd.DataFrame({"region": codes, "observed": obs}),
    )


values = st.lists(st.integers(0, 5).map(float), min_size=3, max_size=12)


@given(values, st.floats(-5, 5), st.integers(1, 60))
def test_constant_prediction_says_why_without_warnings(obs, level, bootstrap):
    pred, ob = _frames([level] * len(obs), obs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        v = validate(pred, ob, bootstrap=bootstrap)
    assert not caught, [str(w.message) for w in caught]
    assert v.status == "constant_prediction" and v.note == NO_CORRELATION[v.status]
    assert all(math.isnan(x) for x in (v.spearman, v.ci_low, v.ci_high, v.p_value))
    assert v.summary()["spearman_status"] == "constant_prediction"


@given(values, st.integers(1, 60))
def test_correlation_matches_pandas_or_says_why(pred, bootstrap):
    """Oracle: pandas' rank correlation; NaN exactly when one side is constant."""
    rng = np.random.default_rng(len(pred) + bootstrap)
    obs = rng.integers(0, 4, len(pred)).astype(float).tolist()
    p, o = _frames(pred, obs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        v = validate(p, o, bootstrap=bootstrap)
    assert not caught, [str(w.message) for w in caught]
    if len(set(pred)) == 1:
        assert v.status == "constant_prediction"
    elif len(set(obs)) == 1:
        assert v.status == "constant_observation" and math.isnan(v.spearman)
    else:
        assert v.status == "ok" and v.note is None
        assert v.spearman == pytest.approx(pd.Series(pred).corr(pd.Series(obs), "spearman"))
        assert math.isnan(v.ci_low) or -1 - 1e-12 <= v.ci_low <= v.ci_high <= 1 + 1e-12


def _folder(path: Path, kind: str, table: str, frame: pd.DataFrame, marker: bool = True) -> None:
    path.mkdir()
    frame.to_csv(path / table, index=False)
    (path / "report.html").write_text("<html></html>")
    if marker:
        entries = sorted(p.name for p in path.iterdir())
        doc = {"written_by": "reten", "version": "0", "kind": kind, "entries": entries}
        (path / MARKER).write_text(json.dumps(doc))


@pytest.fixture
def proj(tmp_path):
    codes = ["01", "02", "03", "04"]
    same = pd.DataFrame({"region": codes, "level": "state", "delta_kg": 0.0, "name": "x"})
    _folder(tmp_path / "cmp", "compare", "regions_delta.csv", same)
    (tmp_path / "obs.csv").write_text("code|rate\n1|1.5\n2|2.5\n3|0.5\n4|3.5\n")
    return tmp_path


def _validate(cwd: Path, result: str, *extra: str):
    argv = ["validate", result, "--observed", "obs.csv", "--region-col", "code"]
    return call(*argv, "--value-col", "rate", *extra, cwd=cwd)


def test_cli_comparison_with_itself_explains_no_correlation(proj):
    r = _validate(proj, "cmp", "-o", "out")
    assert r.code == 0, r.err
    assert "Warning" not in r.err and "All-NaN" not in r.err, r.err
    notes = [ln for ln in r.err_lines if ln.startswith("note:")]
    assert notes == [f"note: {NO_CORRELATION['constant_prediction']}"], r.err
    printed = strict_json(r.out)
    assert isinstance(printed, dict)
    assert printed["spearman"] is None and printed["spearman_status"] == "constant_prediction"
    saved = strict_json((proj / "out" / "validation.json").read_text())
    assert isinstance(saved, dict) and saved["spearman_status"] == "constant_prediction"
    assert saved["note"] == NO_CORRELATION["constant_prediction"]
    page = (proj / "out" / "validation.html").read_text()
    assert "No Spearman rank correlation" in page
    assert "+nan" not in page and "p = nan" not in page


@pytest.mark.skipif(not HOMICIDES.is_file(), reason=f"shared data absent: {HOMICIDES}")
def test_real_comparison_with_itself_on_state_homicides():
    """The reported case: a scenario compared with itself against the homicide rates."""
    import reten

    sc = reten.Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": 90}]})
    res = reten.run(sc, reten.load_network("default"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        v = reten.validate(
            reten.compare(res, res),
            HOMICIDES,
            region_col="cve_ent",
            value_col="homicide_rate",
            bootstrap=200,
        )
    assert not caught, [str(w.message) for w in caught]
    assert v.n == 32 and v.spearman_status == "constant_prediction" and math.isnan(v.spearman)
    assert v.note == NO_CORRELATION["constant_prediction"]
    assert "No Spearman rank correlation" in v._repr_html_() and "+nan" not in v._repr_html_()


@pytest.mark.parametrize("kind", ["optimize", "game", "validation", "simulation"])
@pytest.mark.parametrize("marker", [True, False])
def test_cli_refuses_what_is_not_a_run_or_comparison(proj, kind, marker):
    """An optimize folder holds regions_delta.csv too: still refused, one line, exit 2."""
    delta = pd.DataFrame({"region": ["01", "02", "03", "04"], "level": "state"})
    delta = delta.assign(delta_kg=[1.0, -2.0, 3.0, 0.0], name="x")
    folder = proj / f"o_{kind}"
    _folder(folder, kind, "regions_delta.csv", delta, marker=marker)
    if not marker:  # known by the files only that kind writes
        only = sorted(OUTPUT_NAMES[kind] - OUTPUT_NAMES["run"] - OUTPUT_NAMES["compare"])
        (folder / only[0]).write_text("x")
    before = snapshot(proj)
    r = _validate(proj, folder.name, "-o", "out")
    assert_one_line_error(r, folder.name, "not a run or comparison directory", kind)
    assert snapshot(proj) == before


def test_cli_missing_result_folder_is_refused_before_any_folder_is_made(proj):
    before = snapshot(proj)
    r = _validate(proj, "nothere")
    assert_one_line_error(r, "nothere", "not a run or comparison directory", "no such folder")
    assert snapshot(proj) == before


def test_cli_accepts_a_run_and_a_comparison_without_marker(proj):
    """Folders reten wrote before markers existed (only run or comparison files) still work."""
    runs = pd.DataFrame({"region": ["01", "02", "03", "04"], "level": "state"})
    _folder(proj / "run", "run", "regions.csv", runs.assign(flow_kg=[1, 2, 0, 4]), marker=False)
    r = _validate(proj, "run", "-o", "out")
    assert r.code == 0, r.err
    assert strict_json(r.out)["spearman_status"] == "ok"  # type: ignore[index]


def _run_with_validation(proj: Path) -> Path:
    runs = pd.DataFrame({"region": ["01", "02", "03", "04"], "level": "state"})
    _folder(proj / "run", "run", "regions.csv", runs.assign(flow_kg=[1, 2, 0, 4]))
    assert _validate(proj, "run").code == 0  # no -o: run/validation
    assert (proj / "run" / "validation" / "validation.html").is_file()
    return proj / "run"


def test_own_validation_inside_a_run_is_reten_output(proj):
    run = _run_with_validation(proj)
    assert foreign_entries(run, "run") == []
    assert foreign_entries(proj / "cmp", "compare") == []
    # not for a kind that validate never reads, nor once a user's file sits inside it
    shutil.copytree(run / "validation", proj / "cmp" / "validation")
    assert foreign_entries(proj / "cmp", "compare") == []
    assert foreign_entries(run, "optimize") == ["validation"]
    (run / "validation" / "notes.txt").write_text("mine")
    assert foreign_entries(run, "run") == ["validation"]


def test_run_overwrite_replaces_its_validation(tmp_path):
    """The reported case: validate without -o, then `reten run -o RUN --overwrite`."""
    from clikit import tiny_project

    tiny_project(tmp_path)
    assert call("run", "s.toml", "-o", "run", cwd=tmp_path).code == 0
    (tmp_path / "run" / "validation").mkdir()
    (tmp_path / "run" / "validation" / "validation.html").write_text("reten's")
    doc = {"written_by": "reten", "version": "0", "kind": "validation", "entries": []}
    (tmp_path / "run" / "validation" / MARKER).write_text(json.dumps(doc))
    r = call("run", "s.toml", "-o", "run", "--overwrite", cwd=tmp_path)
    assert r.code == 0, r.err
    assert not (tmp_path / "run" / "validation").exists()
    # a user's file inside the validation still stops it, one line, nothing touched
    (tmp_path / "run" / "validation").mkdir()
    (tmp_path / "run" / "validation" / MARKER).write_text(json.dumps(doc))
    (tmp_path / "run" / "validation" / "notes.txt").write_text("mine")
    before = snapshot(tmp_path)
    r = call("run", "s.toml", "-o", "run", "--overwrite", cwd=tmp_path)
    assert_one_line_error(r, "validation", "--overwrite")
    assert snapshot(tmp_path) == before


@settings(max_examples=25, deadline=None)
@given(
    st.integers(min_value=3, max_value=6).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(0, 4), min_size=n, max_size=n),
            st.lists(st.integers(0, 4), min_size=n, max_size=n),
        )
    )
)
def test_p_value_is_the_exact_permutation_test_on_small_tables(xy):
    """Against every pairing enumerated, with scipy's spearmanr as the statistic."""
    import itertools

    from scipy import stats

    xs, ys = (np.array(v, dtype=float) for v in xy)
    if np.ptp(xs) == 0 or np.ptp(ys) == 0:
        return
    regions = [f"{i:02d}" for i in range(len(xs))]
    v = validate(
        pd.DataFrame({"region": regions, "predicted": xs}),
        pd.DataFrame({"region": regions, "observed": ys}),
        bootstrap=1000,
    )
    rho = abs(stats.spearmanr(xs, ys)[0])
    perms = [
        abs(stats.spearmanr(xs, ys[list(q)])[0]) for q in itertools.permutations(range(len(ys)))
    ]
    exact = np.mean([r >= rho - 1e-9 for r in perms])
    assert v.p_value == pytest.approx(exact, abs=1e-9)
