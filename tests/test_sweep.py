"""Sweeps: grids and key paths, sweep equals a serial loop of simulate, failures recorded,
killed workers and a killed sweep lose nothing and recompute nothing finished."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from reten.errors import InputError
from reten.models.dynamics import SERIES_COLUMNS
from reten.sweep import read_grid, scenario_variant, set_key_path, simulate, sweep

DEMO = resources.files("reten.data").joinpath("demo")


def write_grid(tmp: Path, body: str, name: str = "grid.toml") -> Path:
    (tmp / "base.toml").write_text(DEMO.joinpath("sinaloa_surge.toml").read_text())
    p = tmp / name
    p.write_text(textwrap.dedent(body))
    return p


GRID = """
[sweep]
scenario = "base.toml"
months = 6
runs = 2
seed = 3
[grid]
policy = ["static", "reactive"]
"enforcement[0].p_detect" = [0.01, 0.05]
"""


@pytest.mark.parametrize("bom, eol", [(b"", "\n"), (b"\xef\xbb\xbf", "\n"), (b"", "\r\n")])
def test_grid_sha256_is_the_hash_of_the_file_bytes(tmp_path, bom, eol):
    # the grid was hashed after reading as text (line ends translated): a CRLF grid's
    # grid_sha256 matched no file; a BOM grid did not parse
    p = write_grid(tmp_path, GRID)
    raw = bom + textwrap.dedent(GRID).replace("\n", eol).encode()
    p.write_bytes(raw)
    g = read_grid(p)
    assert g.text_hash == hashlib.sha256(raw).hexdigest() and len(g.tasks) == 4


def serial(grid: Path) -> pd.DataFrame:
    """The oracle: a plain loop of simulate over the grid's variants."""
    g = read_grid(grid)
    from reten.scenario import load_scenario

    base = load_scenario(g.scenario)
    parts = []
    for v, values in enumerate(g.variants()):
        changes = {k: x for k, x in values.items() if k not in ("policy", "seed", "units")}
        params = {k: x for k, x in values.items() if k == "units"}
        for seed in [values["seed"]] if "seed" in values else g.seeds:
            sim = simulate(
                scenario_variant(base, changes),
                months=g.months,
                runs=g.runs,
                seed=seed,
                policy=values.get("policy", g.policy),
                params={**g.params, **params},
            )
            df = sim.series.copy()
            df.insert(0, "variant", v)
            df.insert(1, "seed", seed)
            for i, (k, x) in enumerate((k, x) for k, x in values.items() if k != "seed"):
                df.insert(2 + i, k, x)
            parts.append(df)
    return pd.concat(parts, ignore_index=True)


def test_key_paths_and_grid_errors(tmp_path):
    d = {"enforcement": [{"type": "crackdown", "p_detect": 0.01}], "costs": {}}
    assert set_key_path(d, "costs.class_factor.local", 2.0)["costs"]["class_factor"] == {
        "local": 2.0
    }
    with pytest.raises(InputError, match=r"enforcement\[3\] does not exist"):
        set_key_path(d, "enforcement[3].p_detect", 0.1)
    g = read_grid(write_grid(tmp_path, GRID))
    assert len(g.tasks) == 4 and g.keys == ("policy", "enforcement[0].p_detect")
    bad = {
        '"enforcement[0].p_detect" = [1.5]': r"enforcement\[0\].p_detect\" = 1.5: .*p_detect",
        '"enforcment[0].p_detect" = [0.1]': r'"enforcment\[0\].p_detect" = 0.1: .*enforcment',
        "risk_wieght = [1.0]": "unknown key.*a grid key is policy, seed, a dynamics parameter",
        'policy = ["gme"]': "policy 'gme' unknown",
        "units = [-1]": "units",
        'risk_weight = "high"': "non-empty list",
    }
    for line, msg in bad.items():
        p = write_grid(tmp_path, GRID.split("[grid]")[0] + "[grid]\n" + line + "\n", "bad.toml")
        with pytest.raises(InputError, match=msg) as exc:
            read_grid(p)
        assert "bad.toml" in str(exc.value) and "\n" not in str(exc.value)
    # outputs: never into a folder reten did not write (unless asked), never over an input
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="--overwrite"):
        sweep(tmp_path / "grid.toml", tmp_path / "mine")
    with pytest.raises(InputError):
        sweep(tmp_path / "grid.toml", tmp_path)
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["notes.txt"]


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import LocalCluster

    c = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    yield c
    c.close()


def test_sweep_equals_serial_loop_and_rerun_skips(tmp_path, cluster):
    grid = write_grid(tmp_path, GRID)
    res = sweep(grid, tmp_path / "out", scheduler=cluster.scheduler_address)
    assert (res.computed, res.skipped, res.failed) == (4, 0, 0)
    table = pd.read_parquet(tmp_path / "out" / "sweep.parquet")
    assert list(table.columns) == [
        "variant",
        "seed",
        "policy",
        "enforcement[0].p_detect",
        *SERIES_COLUMNS,
    ]
    pd.testing.assert_frame_equal(table, serial(grid), check_dtype=False)
    files = sorted((tmp_path / "out" / "tasks").glob("*.parquet"))
    assert len(files) == 4
    mtimes = [f.stat().st_mtime_ns for f in files]
    again = sweep(grid, tmp_path / "out", scheduler=cluster.scheduler_address)
    assert (again.computed, again.skipped) == (0, 4)
    assert [f.stat().st_mtime_ns for f in files] == mtimes
    pd.testing.assert_frame_equal(again.table, table)


def test_relative_paths_are_recorded_resolved(tmp_path, cluster, monkeypatch):
    """A grid given relative to the current folder (not the workers'): the sweep records
    the grid and scenario by absolute path beside their hashes, and the tasks find them."""
    body = GRID.replace("months = 6", "months = 1").replace("runs = 2", "runs = 1")
    write_grid(tmp_path, body.split("[grid]")[0] + '[grid]\npolicy = ["static"]\n')
    monkeypatch.chdir(tmp_path)
    res = sweep("grid.toml", "out", scheduler=cluster.scheduler_address)
    assert (res.computed, res.failed) == (1, 0)
    prov = json.loads((tmp_path / "out" / "sweep.json").read_text())
    assert prov["grid"] == str(tmp_path.resolve() / "grid.toml")
    assert prov["scenario"] == str(tmp_path.resolve() / "base.toml")
    assert len(prov["grid_sha256"]) == len(prov["scenario_sha256"]) == 64


def test_failing_task_is_recorded_and_does_not_stop_the_sweep(tmp_path, cluster):
    body = (
        GRID.split("[grid]")[0] + '[grid]\n"origins[0].municipality" = ["Culiacán", "Atlantis"]\n'
    )
    grid = write_grid(tmp_path, body)
    res = sweep(grid, tmp_path / "out", scheduler=cluster.scheduler_address)
    assert (res.computed, res.failed) == (1, 1)
    assert set(res.table["origins[0].municipality"]) == {"Culiacán"}
    fails = pd.read_parquet(tmp_path / "out" / "failures.parquet")
    assert len(fails) == 1 and "Atlantis" in fails.error[0] and fails.error_type[0] == "InputError"
    # a rerun retries only the failed task (and records it again)
    again = sweep(grid, tmp_path / "out", scheduler=cluster.scheduler_address)
    assert (again.computed, again.skipped, again.failed) == (0, 1, 1)


def test_a_killed_worker_loses_no_task(tmp_path, cluster):
    from dask.distributed import Client

    body = GRID.replace("months = 6", "months = 40").replace(
        "runs = 2", "runs = 4\nruns_per_task = 1"
    )
    grid = write_grid(tmp_path, body)
    with Client(cluster.scheduler_address) as client:
        pids = list(client.run(os.getpid).values())
    tasks = tmp_path / "out" / "tasks"
    killed: list[int] = []

    def killer() -> None:
        t0 = time.time()
        while time.time() - t0 < 120:
            if tasks.exists() and len(list(tasks.glob("*.parquet"))) >= 1:
                killed.append(len(list(tasks.glob("*.parquet"))))
                os.kill(pids[0], signal.SIGKILL)
                return
            time.sleep(0.02)

    th = threading.Thread(target=killer)
    th.start()
    res = sweep(grid, tmp_path / "out", scheduler=cluster.scheduler_address)
    th.join()
    assert killed and killed[0] < 16, "the worker was killed only after the sweep ended"
    assert (res.failed, len(res.table)) == (0, 16 * 40)
    pd.testing.assert_frame_equal(res.table, serial(grid), check_dtype=False)


def test_killed_sweep_resumes_without_recomputing(tmp_path):
    body = GRID.replace("months = 6", "months = 60").replace(
        "runs = 2", "runs = 3\nruns_per_task = 1"
    )
    grid = write_grid(tmp_path, body)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "reten", "sweep", str(grid), "-o", str(out), "--workers", "1"]
    proc = subprocess.Popen(cmd, start_new_session=True, stderr=subprocess.DEVNULL)
    tasks = out / "tasks"
    t0 = time.time()
    while time.time() - t0 < 180 and len(list(tasks.glob("*.parquet"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = {f.name: f.stat().st_mtime_ns for f in tasks.glob("*.parquet")}
    assert 2 <= len(done) < 12
    assert not list(tasks.glob(".*")) or all(f.suffix != ".parquet" for f in tasks.glob(".*"))
    from conftest import run_cli

    p = run_cli("sweep", str(grid), "-o", str(out), "--workers", "1", "--json")
    assert p.returncode == 0, p.stderr
    said = json.loads(p.stdout)
    assert (said["computed"], said["reused"], said["failed"]) == (12 - len(done), len(done), 0)
    res = sweep(grid, out, workers=1)
    assert res.skipped == 12 and res.computed == 0 and res.failed == 0
    assert {f.name: f.stat().st_mtime_ns for f in tasks.glob("*.parquet") if f.name in done} == done
    pd.testing.assert_frame_equal(res.table, serial(grid), check_dtype=False)
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["tasks"] == 12 and meta["grid_sha256"]


@pytest.mark.parametrize("table", ["sweep", "params", "grid"])
def test_a_grid_table_written_as_an_array_of_tables_says_so(tmp_path, table):
    body = GRID.replace(f"[{table}]", f"[[{table}]]") if table != "params" else GRID
    if table == "params":
        body += "[[params]]\nx = 1\n"
    with pytest.raises(InputError) as exc:
        read_grid(write_grid(tmp_path, body))
    msg = str(exc.value)
    assert "grid.toml" in msg and "\n" not in msg
    assert f"written [{table}], not [[{table}]]" in msg, msg
