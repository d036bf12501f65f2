"""Run the adaptive dynamics on a scenario and keep the monthly series with its provenance."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reten import __version__
from reten.checks import MAX_SEED, whole_number
from reten.errors import InputError
from reten.models.dynamics import (
    MAX_MONTHS,
    MAX_RUN_MONTHS,
    MAX_RUNS,
    MAX_WORKERS,
    POLICIES,
    SERIES_COLUMNS,
    DynamicsParams,
    check_policy,
    run_dynamics,
    run_seeds,
)
from reten.network.model import Network
from reten.problem import Problem

BAND_COLUMNS = (
    "volume_kg",
    "seized_kg",
    "delivered_kg",
    "trafficker_cost",
    "active_regions",
    "new_regions",
    "displaced_kg",
    "routes_per_lab",
)
"""Series shown with bands over runs in the report."""


@dataclass(frozen=True, eq=False)
class Simulation:
    """The monthly series of every run of one simulation, with its provenance.

    ``series`` has one row per (run, month) and the columns of
    :data:`reten.models.dynamics.SERIES_COLUMNS` (volumes kg per month, ``trafficker_cost``
    in the scenario's cost unit times kg).

    Examples
    --------
    >>> df = pd.DataFrame({"run": [0, 0], "month": [0, 1], "seized_kg": [1.0, 3.0]})
    >>> Simulation(series=df).bands("seized_kg", (0.5,)).to_dict()
    {'q0.5': {0: 1.0, 1: 3.0}}
    """

    series: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)

    def bands(self, column: str, quantiles: tuple[float, ...] = (0.05, 0.5, 0.95)) -> pd.DataFrame:
        """Return the quantiles of ``column`` over runs, one row per month."""
        if column not in self.series.columns:
            raise InputError(f"no series column '{column}'; columns: {', '.join(self.series)}")
        q = self.series.groupby("month")[column].quantile(list(quantiles)).unstack()
        q.columns = [f"q{x:g}" for x in quantiles]
        return q

    def write(self, out: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write ``series.parquet``, ``provenance.json`` and ``report.html`` to folder
        ``out`` (:func:`write_simulation`, as ``reten simulate -o`` does); return ``out``."""
        return write_simulation(self, out, overwrite=overwrite)

    def _repr_html_(self) -> str:
        p = self.provenance
        last = self.series[self.series.month == self.series.month.max()]
        rows = "".join(
            f"<tr><td>{c}</td><td>{last[c].median():,.4g}</td>"
            f"<td>{last[c].quantile(0.05):,.4g} - {last[c].quantile(0.95):,.4g}</td></tr>"
            for c in BAND_COLUMNS
        )
        return (
            f"<b>Simulation</b> {p.get('scenario_name', '')}: policy {p.get('policy')}, "
            f"{p.get('runs')} runs x {p.get('months')} months, seed {p.get('seed')}"
            f"<table><tr><th>last month</th><th>median</th><th>5-95%</th></tr>{rows}</table>"
        )

    def __repr__(self) -> str:
        p = self.provenance
        return (
            f"Simulation(policy={p.get('policy')!r}, runs={p.get('runs')}, "
            f"months={p.get('months')}, seed={p.get('seed')})"
        )


def _chunk(
    net: Network,
    problem: Problem,
    months: int,
    seed: int,
    ids: list[int],
    policy: str,
    params: DynamicsParams,
    relocation: Any,
) -> dict[str, np.ndarray]:
    return run_dynamics(
        net,
        problem,
        months=months,
        seeds=run_seeds(seed, ids),
        run_ids=ids,
        policy=policy,
        params=params,
        relocation=relocation,
    )


def series_frame(cols: dict[str, np.ndarray]) -> pd.DataFrame:
    """Return the series columns as a DataFrame in (run, month) order."""
    df = pd.DataFrame({c: cols[c] for c in SERIES_COLUMNS})
    return df.sort_values(["run", "month"], kind="stable").reset_index(drop=True)


def simulate_problem(
    net: Network,
    problem: Problem,
    *,
    months: int,
    runs: int | list[int],
    seed: int,
    policy: str = "static",
    params: DynamicsParams | None = None,
    relocation: Any = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Return the series of runs ``runs`` (a count or run ids), split over ``workers`` processes.

    Each run draws from its own stream (:func:`reten.models.dynamics.run_seeds`), so the
    series do not depend on ``workers``.
    """
    params = params or DynamicsParams()
    ids = list(range(runs)) if isinstance(runs, int) else [int(r) for r in runs]
    if workers < 1:
        raise InputError(f"workers must be >= 1 (got {workers})")
    if workers == 1 or len(ids) < 2:
        return series_frame(_chunk(net, problem, months, seed, ids, policy, params, relocation))
    parts = [p.tolist() for p in np.array_split(np.asarray(ids), min(workers, len(ids)))]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(len(parts), mp_context=multiprocessing.get_context(method)) as ex:
        futs = [
            ex.submit(_chunk, net, problem, months, seed, part, policy, params, relocation)
            for part in parts
        ]
        outs = [f.result() for f in futs]
    cols = {c: np.concatenate([o[c] for o in outs]) for c in SERIES_COLUMNS}
    return series_frame(cols)


def prepare(scenario: Any, network: Network | None = None) -> tuple[Any, Network, Problem]:
    """Return (scenario, network, Problem) for a scenario path, dict or Scenario."""
    sc, net, problem, _ = _load(scenario, network)
    return sc, net, problem


def _load(scenario: Any, network: Any) -> tuple[Any, Network, Problem, Any]:
    """Return (scenario, network, problem, relocation spec) for a path or a Scenario.

    ``network`` is a Network, ``"default"`` or a saved network folder (as for
    :func:`reten.run`), or None for the one the scenario names.
    """
    from reten.api import _given_network, scenario_network
    from reten.scenario import Scenario, load_scenario, resolve, resolve_relocation

    if isinstance(scenario, Scenario):
        sc = scenario
    elif isinstance(scenario, dict) and hasattr(Scenario, "from_dict"):
        sc = Scenario.from_dict(scenario)
    elif isinstance(scenario, str | os.PathLike):
        sc = load_scenario(os.fspath(scenario))
    else:
        raise InputError(
            f"expected a Scenario, a dict or a TOML path, got {type(scenario).__name__}"
        )
    net = _given_network(network) if network is not None else scenario_network(sc)
    problem = resolve(sc, net)
    return sc, net, problem, resolve_relocation(sc, net, problem)


def check_size(months: Any, runs: Any, where: str = "") -> tuple[int, int]:
    """Return (months, runs) as ints within :data:`MAX_MONTHS`, :data:`MAX_RUNS` and
    :data:`MAX_RUN_MONTHS`; raise InputError naming the one out of range (``where``
    prefixes the names: ``"grid.toml: sweep."``).

    Examples
    --------
    >>> check_size(12, 3)
    (12, 3)
    >>> check_size(10**9, 1)
    Traceback (most recent call last):
    ...
    reten.errors.InputError: months must be a whole number from 1 to 1,200 (got 1000000000)
    """
    m = whole_number(f"{where}months", months, lo=1, hi=MAX_MONTHS)
    r = whole_number(f"{where}runs", runs, lo=1, hi=MAX_RUNS)
    if not where and m * r > MAX_RUN_MONTHS:
        raise InputError(
            f"runs x months must be at most {MAX_RUN_MONTHS:,} run-months (got {r:,} x {m:,} "
            f"= {r * m:,}); split the runs over several simulations or a sweep"
        )
    return m, r


def simulate(
    scenario: Any,
    network: Network | str | os.PathLike[str] | None = None,
    *,
    months: int = 12,
    runs: int = 1,
    seed: int | None = None,
    policy: str = "static",
    params: DynamicsParams | dict[str, Any] | None = None,
    workers: int = 1,
) -> Simulation:
    """Simulate the adaptive trafficking dynamics of a scenario for ``runs`` runs.

    Parameters
    ----------
    scenario : str, Path or Scenario
        A scenario TOML file or a parsed scenario; its enforcement is the true risk under the
        ``static`` policy and the traffickers' prior belief; a ``[relocation]`` lets labs move.
    network : Network, "default" or path, optional
        Defaults to the network the scenario names; a saved network folder is loaded.
    months : int
        Monthly steps, a whole number from 1 to 1,200 (:data:`MAX_MONTHS`).
    runs : int
        Independent runs, a whole number from 1 to 100,000 (:data:`MAX_RUNS`); runs x
        months at most 10,000,000 (:data:`MAX_RUN_MONTHS`).
    seed : int, optional
        A whole number >= 0; defaults to the scenario's ``seed`` (0 without one).
    policy : {'static', 'reactive', 'optimize'}
        The defender's monthly policy (``'game'`` raises InputError until ``reten game``
        exists).
    params : DynamicsParams or dict, optional
        See :data:`reten.models.dynamics.PARAMETERS`.
    workers : int
        Processes the runs are split over (1 to 1,024); the series do not depend on it.

    Returns
    -------
    Simulation

    Raises
    ------
    InputError
        On a bad scenario, network, policy or parameter, or a number out of its range
        (named).

    References
    ----------
    Magliocca et al. (2019), *PNAS* 116(16): 7784-7792 (NarcoLogic).

    Examples
    --------
    >>> from importlib import resources
    >>> path = resources.files("reten.data").joinpath("demo/sinaloa_surge.toml")
    >>> sim = simulate(str(path), months=3, runs=2, seed=1, policy="reactive")
    >>> sim.series.shape[0], list(sim.series.columns[:4])
    (6, ['run', 'month', 'volume_kg', 'seized_kg'])
    """
    t0 = time.perf_counter()
    check_policy(policy)
    months, runs = check_size(months, runs)
    if seed is not None:
        seed = whole_number("seed", seed, lo=0, hi=MAX_SEED)
    workers = whole_number("workers", workers, lo=1, hi=MAX_WORKERS)
    if params is not None and not isinstance(params, DynamicsParams | dict):
        raise InputError(
            f"params must be a dict of dynamics parameters (or DynamicsParams), got "
            f"{type(params).__name__}"
        )
    par = params if isinstance(params, DynamicsParams) else DynamicsParams.from_dict(params)
    sc, net, problem, reloc = _load(scenario, network)
    from reten.scenario.resolution import note_ignored

    problem = note_ignored(problem, sc, "simulate")
    seed = int(sc.data.get("seed", 0)) if seed is None else seed
    df = simulate_problem(
        net,
        problem,
        months=months,
        runs=runs,
        seed=seed,
        policy=policy,
        params=par,
        relocation=reloc,
        workers=workers,
    )
    prov = dict(problem.provenance)
    prov.update(
        {
            "model": "dynamics (NarcoLogic-style adaptive trafficking, Magliocca et al. 2019)",
            "policy": policy,
            "months": months,
            "runs": runs,
            "seed": seed,
            "seed_rule": "run r draws from numpy.random.SeedSequence(seed).spawn(runs)[r]",
            "params": par.as_dict(),
            "relocation": reloc is not None,
            "workers": workers,
            "reten_version": __version__,
            "seconds": time.perf_counter() - t0,
        }
    )
    return Simulation(series=df, provenance=prov)


def write_simulation(
    sim: Simulation, out: str | os.PathLike[str], *, overwrite: bool = False
) -> Path:
    """Write ``series.parquet``, ``provenance.json`` and ``report.html`` to folder ``out``.

    The folder is written as one transaction (:func:`reten.atomic.atomic_dir`, kind
    ``simulation``): a previous simulation there is replaced; a folder reten did not write
    only with ``overwrite``; the scenario file is never overwritten.

    Raises
    ------
    InputError
        When ``out`` may not be written (see :mod:`reten.atomic`).
    """
    from reten import jsonio
    from reten.atomic import atomic_dir, check_output_dir
    from reten.report.dynamics import simulation_html

    scen = sim.provenance.get("scenario")
    inputs = [scen] if isinstance(scen, str) and os.path.isfile(scen) else []
    check_output_dir(out, kind="simulation", overwrite=overwrite, inputs=inputs)
    # joins the command's output_dir when there is one, else is its own transaction
    with atomic_dir(out, kind="simulation", overwrite=overwrite) as tmp:
        write_parquet(sim.series, tmp / "series.parquet", sim.provenance)
        (tmp / "provenance.json").write_text(
            jsonio.dumps(sim.provenance, indent=2, sort_keys=True, default=str) + "\n",
            encoding="utf-8",
        )
        (tmp / "report.html").write_text(simulation_html(sim), encoding="utf-8")
    return Path(out)


def read_simulation(path: str | os.PathLike[str]) -> Simulation:
    """Return the simulation written to directory ``path`` by :func:`write_simulation`.

    Raises
    ------
    InputError
        When ``path`` holds no ``series.parquet``.
    """
    d = Path(path)
    if not (d / "series.parquet").is_file():
        raise InputError(f"{d}: not a simulation directory (no series.parquet)")
    prov_path = d / "provenance.json"
    prov = json.loads(prov_path.read_text(encoding="utf-8")) if prov_path.is_file() else {}
    return Simulation(series=pd.read_parquet(d / "series.parquet"), provenance=prov)


def write_parquet(df: pd.DataFrame, path: Path, provenance: dict[str, Any] | None = None) -> None:
    """Write ``df`` to ``path`` as Parquet atomically, with the provenance in its metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from reten.atomic import atomic_write_bytes

    table = pa.Table.from_pandas(df, preserve_index=False)
    if provenance is not None:
        meta = dict(table.schema.metadata or {})
        from reten import jsonio

        meta[b"reten"] = jsonio.dumps(provenance, sort_keys=True, default=str).encode()
        table = table.replace_schema_metadata(meta)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    atomic_write_bytes(path, sink.getvalue().to_pybytes())


def fingerprint(obj: Any) -> str:
    """Return a short SHA-256 of ``obj``'s canonical JSON."""
    text = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


__all__ = [
    "POLICIES",
    "Simulation",
    "fingerprint",
    "read_simulation",
    "simulate",
    "simulate_problem",
    "write_parquet",
    "write_simulation",
]
