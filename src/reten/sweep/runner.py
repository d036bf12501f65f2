"""Sweeps on dask.distributed: one Parquet file per task, resumable, failures recorded."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from reten import __version__
from reten.errors import InputError
from reten.models.dynamics import SERIES_COLUMNS, DynamicsParams
from reten.sweep.grid import Grid, Task, read_grid, scenario_variant, split_values
from reten.sweep.simulate import fingerprint, simulate_problem, write_parquet

MARKER = "sweep.json"


@dataclass(frozen=True, eq=False)
class SweepResult:
    """What a sweep produced: the combined table, failures and task counts.

    ``table`` has one column per grid key, ``variant``, ``seed`` and the series columns.

    Examples
    --------
    >>> r = SweepResult(Path("out"), pd.DataFrame(), pd.DataFrame(), 0, 8, 0)
    >>> r.skipped, r.failed
    (8, 0)
    """

    path: Path
    table: pd.DataFrame
    failures: pd.DataFrame
    computed: int
    skipped: int
    failed: int
    provenance: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"SweepResult({self.path}, rows={len(self.table)}, computed={self.computed}, "
            f"skipped={self.skipped}, failed={self.failed})"
        )


# ----------------------------------------------------------------------------- the task


@lru_cache(maxsize=4)
def _network(scenario_path: str, network_spec: str) -> Any:
    """Load (once per worker process) the network a scenario names."""
    from reten.api import scenario_network
    from reten.scenario import load_scenario

    return scenario_network(load_scenario(scenario_path))


def run_task(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one task and write its Parquet file atomically; never raises.

    ``spec`` holds the scenario path, the changes, policy, params, months, seed, runs, the
    output stem and the grid values. A failure is written to ``STEM.error.json`` and
    returned as ``{"status": "failed", ...}``.
    """
    from reten.scenario import load_scenario, resolve, resolve_relocation

    stem = Path(spec["stem"])
    t0 = time.perf_counter()
    try:
        base = load_scenario(spec["scenario"])
        sc = scenario_variant(base, spec["changes"])
        net = _network(spec["scenario"], json.dumps(base.data.get("network", {}), sort_keys=True))
        problem = resolve(sc, net)
        reloc = resolve_relocation(sc, net, problem)
        df = simulate_problem(
            net,
            problem,
            months=spec["months"],
            runs=list(spec["runs"]),
            seed=spec["seed"],
            policy=spec["policy"],
            params=DynamicsParams.from_dict(spec["params"]),
            relocation=reloc,
        )
        front = pd.DataFrame({"variant": spec["variant"], "seed": spec["seed"]}, index=df.index)
        for k, v in spec["values"].items():
            if k != "seed":
                front[k] = v
        out = pd.concat([front, df], axis=1)
        write_parquet(out, stem.with_suffix(".parquet"), {"task": spec["name"]})
        with contextlib.suppress(FileNotFoundError):
            stem.with_suffix(".error.json").unlink()
        return {"status": "done", "name": spec["name"], "seconds": time.perf_counter() - t0}
    except Exception as exc:  # a failing task is recorded and does not stop the sweep
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        rec = {
            "task": spec["name"],
            "variant": spec["variant"],
            "seed": spec["seed"],
            "runs": f"{spec['runs'][0]}-{spec['runs'][-1]}",
            "values": json.dumps(spec["values"], sort_keys=True, default=str),
            "error_type": type(exc).__name__,
            "error": msg,
            "traceback": "" if isinstance(exc, InputError) else traceback.format_exc(),
        }
        from reten.atomic import atomic_write_bytes

        atomic_write_bytes(
            stem.with_suffix(".error.json"), json.dumps(rec, sort_keys=True).encode()
        )
        return {"status": "failed", **rec}


# ----------------------------------------------------------------------------- the sweep


def _specs(g: Grid, tasks_dir: Path, network_hash: str) -> list[dict[str, Any]]:
    specs = []
    for t in g.tasks:
        policy, params, changes = split_values(g, t.values)
        key = {
            "scenario_sha256": _sha(g.scenario),
            "network": network_hash,
            "changes": changes,
            "policy": policy,
            "params": DynamicsParams.from_dict(params).as_dict(),
            "months": g.months,
            "seed": t.seed,
            "runs": list(t.runs),
            "version": __version__,
            "columns": list(SERIES_COLUMNS),
        }
        fp = fingerprint(key)
        specs.append(
            {
                "name": t.name,
                "stem": str(tasks_dir / f"{t.name}-{fp}"),
                "scenario": str(g.scenario.resolve()),
                "changes": changes,
                "policy": policy,
                "params": params,
                "months": g.months,
                "seed": t.seed,
                "runs": list(t.runs),
                "variant": t.variant,
                "values": dict(t.values),
            }
        )
    return specs


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _client(workers: int, scheduler: str | None) -> tuple[Any, Any]:
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout="20s"), None
        except (OSError, TimeoutError) as exc:
            raise InputError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
    import warnings

    with warnings.catch_warnings():  # "port 8787 is in use": the health server moves on
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
    return Client(cluster), cluster


def sweep(
    grid: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    workers: int = 2,
    scheduler: str | None = None,
    overwrite: bool = False,
    progress: bool | Callable[[int, int, int], None] = False,
) -> SweepResult:
    """Run every task of a sweep grid on dask.distributed and combine the results.

    Parameters
    ----------
    grid : path
        A ``GRID.toml`` (see :func:`reten.sweep.grid.read_grid`).
    out : path
        Output directory: ``tasks/`` (one Parquet file per task, written atomically;
        ``*.error.json`` for failed tasks), ``sweep.parquet`` (one column per grid key,
        ``variant``, ``seed`` and the series columns), ``failures.parquet`` when a task
        failed, and ``sweep.json`` (the grid and provenance). Rerunning on the same
        directory skips finished tasks and retries failed ones.
    workers : int
        Worker processes of the LocalCluster started when no ``scheduler`` is given (1 to
        1,024).
    scheduler : str, optional
        Address of a running dask scheduler (for example one started by dask-jobqueue).
    overwrite : bool
        Start afresh: remove the previous tasks of ``out``. Refused (``InputError``) when
        ``out`` holds anything but a sweep's own names (``tasks``, ``sweep.json``,
        ``sweep.parquet``, ``failures.parquet``).
    progress : bool or callable
        True shows a Rich progress bar on stderr; a callable gets ``(done, failed, total)``.

    Returns
    -------
    SweepResult

    Raises
    ------
    InputError
        On a bad grid, or when ``out`` exists and is not a reten sweep directory.
    """
    t0 = time.perf_counter()
    from reten.checks import user_path, whole_number
    from reten.models.dynamics import MAX_WORKERS

    workers = whole_number("workers", workers, lo=1, hi=MAX_WORKERS)
    user_path("out", out, "an output folder path")
    g = read_grid(user_path("grid", grid, "a sweep grid file (GRID.toml)"))
    # the network, and every policy the grid asks checked against it, before any output
    net_hash = _network_hash(g)
    from reten.atomic import check_output_dir

    # never an input, the current or home folder, /, a file (reten.atomic's rules); a fresh
    # start deletes tasks/, so it needs a folder holding nothing but a sweep's own names
    check_output_dir(
        out, kind="sweep", overwrite=True, in_place=not overwrite, inputs=[g.path, g.scenario]
    )
    out = Path(out)
    if out.exists():
        if any(out.iterdir()) and not (out / MARKER).exists() and not overwrite:
            from reten.atomic import foreign_entries

            extra = foreign_entries(out, "sweep")
            hint = (
                f"it holds files a sweep does not write ({', '.join(extra[:5])}), which reten "
                "never deletes, even with --overwrite: choose a new folder"
                if extra
                else "give --overwrite to start afresh there, or choose a new folder"
            )
            raise InputError(f"-o '{out}' exists and is not a reten sweep folder; {hint}")
        if overwrite:
            shutil.rmtree(out / "tasks", ignore_errors=True)
    # workers may run in another folder (or machine, on a shared disk): every path they are
    # given is absolute
    tasks_dir = out.resolve() / "tasks"
    tasks_dir.mkdir(parents=True, exist_ok=True)
    specs = _specs(g, tasks_dir, net_hash)
    prov = {
        "grid": str(g.path.resolve()),
        "grid_sha256": g.text_hash,
        "scenario": str(g.scenario.resolve()),
        "scenario_sha256": _sha(g.scenario),
        "network_hash": net_hash,
        "keys": list(g.keys),
        "months": g.months,
        "runs": g.runs,
        "seeds": list(g.seeds),
        "policy": g.policy,
        "params": g.params,
        "tasks": len(specs),
        "reten_version": __version__,
    }
    from reten.atomic import atomic_write_bytes

    atomic_write_bytes(out / MARKER, json.dumps(prov, indent=2, default=str).encode() + b"\n")
    todo = [s for s in specs if not Path(s["stem"] + ".parquet").exists()]
    skipped = len(specs) - len(todo)
    failed = 0
    if todo:
        failed = _run_all(todo, workers, scheduler, progress, skipped, len(specs))
    table, failures = _combine(g, specs)
    if len(table):
        write_parquet(table, out / "sweep.parquet", prov)
    if len(failures):
        write_parquet(failures, out / "failures.parquet")
    else:
        with contextlib.suppress(FileNotFoundError):
            (out / "failures.parquet").unlink()
    prov["seconds"] = time.perf_counter() - t0
    return SweepResult(out, table, failures, len(todo) - failed, skipped, len(failures), prov)


def _network_hash(g: Grid) -> str:
    """Return the content hash of the network the grid's scenario names, after checking
    that it serves every policy the grid asks (a ``reactive`` or ``optimize`` policy on a
    network without regions is refused here, not once per task)."""
    from reten.models.dynamics import check_policy_network
    from reten.scenario import load_scenario

    sc = load_scenario(g.scenario)
    net = _network(str(g.scenario), json.dumps(sc.data.get("network", {}), sort_keys=True))
    asked = {g.policy}
    if "policy" in g.keys:
        asked |= {str(v) for v in g.values[g.keys.index("policy")]}
    for policy in sorted(asked):
        try:
            check_policy_network(policy, net)
        except InputError as exc:
            raise InputError(f"{g.path}: {exc}") from None
    return str(net.content_hash())


def _run_all(
    todo: list[dict[str, Any]],
    workers: int,
    scheduler: str | None,
    progress: bool | Callable[[int, int, int], None],
    done0: int,
    total: int,
) -> int:
    from dask.distributed import as_completed

    client, cluster = _client(workers, scheduler)
    failed = 0
    try:
        futs = [
            client.submit(run_task, s, key=f"reten-{Path(s['stem']).name}", pure=False)
            for s in todo
        ]
        bar = _bar(progress, total, done0)
        with bar as prog:
            for fut in as_completed(futs):
                try:
                    res = fut.result()
                except Exception as exc:  # the task was lost (e.g. its worker kept dying)
                    res = {"status": "failed", "error": str(exc)}
                failed += res.get("status") != "done"
                prog.advance(failed)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return failed


class _Bar:
    """A Rich progress bar (or a callback, or nothing) over the sweep's tasks."""

    def __init__(self, progress: bool | Callable[[int, int, int], None], total: int, done: int):
        self.total, self.done, self.cb = total, done, progress
        self.prog: Any = None

    def __enter__(self) -> _Bar:
        if self.cb is True:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.prog = Progress(
                TextColumn("sweep"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self.prog.__enter__()
            self.task = self.prog.add_task("sweep", total=self.total, completed=self.done, failed=0)
        return self

    def advance(self, failed: int) -> None:
        self.done += 1
        if self.prog is not None:
            self.prog.update(self.task, completed=self.done, failed=failed)
        elif callable(self.cb):
            self.cb(self.done, failed, self.total)

    def __exit__(self, *exc: Any) -> None:
        if self.prog is not None:
            self.prog.__exit__(*exc)


def _bar(progress: bool | Callable[[int, int, int], None], total: int, done: int) -> _Bar:
    return _Bar(progress, total, done)


def _combine(g: Grid, specs: list[dict[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    parts, fails = [], []
    for s in specs:
        pq = Path(s["stem"] + ".parquet")
        err = Path(s["stem"] + ".error.json")
        if pq.exists():
            parts.append(pd.read_parquet(pq))
        elif err.exists():
            fails.append(json.loads(err.read_text(encoding="utf-8")))
        else:
            fails.append(
                {
                    "task": s["name"],
                    "variant": s["variant"],
                    "seed": s["seed"],
                    "error_type": "Lost",
                    "error": "no result (the task was lost)",
                }
            )
    cols = ["variant", "seed", *[k for k in g.keys if k != "seed"], *SERIES_COLUMNS]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    table = table[[c for c in cols if c in table.columns]]
    return table, pd.DataFrame(fails)


def read_sweep(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Return the combined table ``sweep.parquet`` of a sweep directory."""
    p = Path(path) / "sweep.parquet"
    if not p.exists():
        from reten.errors import fresh_folder

        out = fresh_folder(path, "sweep") if os.path.lexists(path) else os.fspath(path)
        raise InputError(f"{path}: no sweep.parquet; run `reten sweep GRID.toml -o {out}`")
    return pd.read_parquet(p)


__all__ = ["SweepResult", "Task", "read_sweep", "run_task", "sweep"]
