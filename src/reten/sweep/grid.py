"""Sweep grids: ``GRID.toml`` read and checked, scenario variants derived by key path."""

from __future__ import annotations

import copy
import hashlib
import itertools
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reten.checks import MAX_SEED
from reten.errors import InputError
from reten.models.dynamics import PARAMETERS, SERIES_COLUMNS, DynamicsParams, check_policy

SWEEP_KEYS = {"scenario", "months", "runs", "seed", "policy", "runs_per_task"}
SWEEP_LEVEL_KEYS = {"policy", "seed"} | {p.name for p in PARAMETERS}
"""Grid keys that are not scenario key paths: the policy, the seed and dynamics parameters."""

_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)$")


def parse_key_path(key: str) -> list[str | int]:
    """Split a scenario key path such as ``enforcement[0].p_detect`` into its steps.

    Examples
    --------
    >>> parse_key_path("enforcement[0].p_detect")
    ['enforcement', 0, 'p_detect']
    >>> parse_key_path("costs.class_factor.local")
    ['costs', 'class_factor', 'local']
    """
    steps: list[str | int] = []
    for seg in key.split("."):
        m = _SEGMENT.match(seg)
        if not m:
            raise InputError(
                f"'{key}': not a key path; write names and [index] joined by dots, "
                'e.g. "enforcement[0].p_detect"'
            )
        steps.append(m.group(1))
        steps.extend(int(i) for i in re.findall(r"\[(\d+)\]", m.group(2)))
    return steps


def set_key_path(data: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """Return a deep copy of ``data`` with the value at key path ``key`` replaced by ``value``.

    Missing tables on the way are created; list indices must exist.

    Examples
    --------
    >>> d = {"enforcement": [{"type": "crackdown", "p_detect": 0.01}]}
    >>> set_key_path(d, "enforcement[0].p_detect", 0.05)["enforcement"][0]["p_detect"]
    0.05
    >>> d["enforcement"][0]["p_detect"]
    0.01
    """
    steps = parse_key_path(key)
    out = copy.deepcopy(data)
    cur: Any = out
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        where = _render(steps[: i + 1])
        if isinstance(step, int):
            if not isinstance(cur, list) or not -len(cur) <= step < len(cur):
                size = len(cur) if isinstance(cur, list) else 0
                raise InputError(f"'{key}': {where} does not exist (the scenario has {size})")
            if last:
                cur[step] = value
            else:
                cur = cur[step]
        else:
            if not isinstance(cur, dict):
                raise InputError(f"'{key}': {_render(steps[:i])} is not a table")
            if last:
                cur[step] = value
            else:
                nxt = steps[i + 1]
                if step not in cur:
                    if isinstance(nxt, int):
                        raise InputError(f"'{key}': the scenario has no {step}")
                    cur[step] = {}
                cur = cur[step]
    return out


def _render(steps: list[str | int]) -> str:
    s = ""
    for st in steps:
        s += f"[{st}]" if isinstance(st, int) else (f".{st}" if s else st)
    return s


def scenario_variant(base: Any, changes: dict[str, Any]) -> Any:
    """Return scenario ``base`` with each key path in ``changes`` set (``Scenario.replace``).

    Raises
    ------
    InputError
        When a key path does not exist or the changed scenario is not valid.
    """
    sc = base
    for k, v in changes.items():
        sc = sc.replace(k, v)
    return sc


@dataclass(frozen=True)
class Task:
    """One task: a variant (index and grid values), a seed and a block of runs."""

    variant: int
    values: dict[str, Any]
    seed: int
    runs: tuple[int, ...]

    @property
    def name(self) -> str:
        return f"v{self.variant:04d}-s{self.seed}-r{self.runs[0]:04d}-{self.runs[-1]:04d}"


@dataclass(frozen=True)
class Grid:
    """A parsed ``GRID.toml``: base scenario, steps, runs, seeds and the grid of variants."""

    path: Path
    scenario: Path
    months: int
    runs: int
    seeds: tuple[int, ...]
    policy: str
    runs_per_task: int
    params: dict[str, Any]
    keys: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]
    text_hash: str = ""
    tasks: tuple[Task, ...] = field(default=())

    def variants(self) -> list[dict[str, Any]]:
        """Every combination of grid values, the first key varying slowest."""
        return [
            dict(zip(self.keys, combo, strict=True)) for combo in itertools.product(*self.values)
        ]


def _int(path: Path, where: str, v: Any, lo: int = 1, hi: int | None = None) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < lo or (hi is not None and v > hi):
        top = "" if hi is None else f" and <= {hi}"
        raise InputError(f"{path}: {where}: expected a whole number >= {lo}{top}, got {v!r}")
    return int(v)


def read_grid(path: str | os.PathLike[str]) -> Grid:
    """Read and check a sweep grid file.

    The file has a ``[sweep]`` table (``scenario`` relative to the grid file, ``months``,
    ``runs``, ``seed`` (a number or a list), optional ``policy`` and ``runs_per_task``), an
    optional ``[params]`` table of dynamics parameters, and a ``[grid]`` table of lists. A
    grid key is ``policy``, ``seed``, a dynamics parameter, or a scenario key path such as
    ``"enforcement[0].p_detect"``.

    Raises
    ------
    InputError
        One line naming the file and the key, on any unknown key, bad value or a variant
        that is not a valid scenario.
    """
    from reten.scenario import load_scenario

    p = Path(path)
    try:
        raw = p.read_bytes()  # hashed as stored: grid_sha256 is what sha256sum prints
        text = raw.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n")
    except FileNotFoundError:
        raise InputError(f"{p}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{p}: invalid TOML ({exc})") from None
    if "sweep" not in data and ("origins" in data or "network" in data):
        raise InputError(
            f"{p}: this is a scenario, not a sweep grid (it has no [sweep] table); run it with "
            f"'reten run {p} -o DIR' or 'reten simulate {p} -o DIR', or write a grid whose "
            f'[sweep] names it: scenario = "{p.name}"'
        )
    for k in data:
        if k not in ("sweep", "grid", "params"):
            what = "table" if isinstance(data[k], dict) else "key"
            raise InputError(
                f"{p}: {k}: unknown {what}; a sweep grid holds the tables [sweep], [params] "
                "and [grid]"
            )
    for t in ("sweep", "params", "grid"):
        if isinstance(data.get(t), list):
            raise InputError(f"{p}: [{t}]: {t} is one table, written [{t}], not [[{t}]]")
    sw = data.get("sweep")
    if not isinstance(sw, dict):
        raise InputError(f"{p}: [sweep]: missing; give scenario, months, runs and seed")
    for k in sw:
        if k not in SWEEP_KEYS:
            raise InputError(f"{p}: sweep.{k}: unknown key; valid: {', '.join(sorted(SWEEP_KEYS))}")
    if "scenario" not in sw or not isinstance(sw["scenario"], str):
        raise InputError(f'{p}: sweep.scenario: give the scenario file, e.g. "baseline.toml"')
    scen = Path(sw["scenario"])
    if not scen.is_absolute():
        scen = p.parent / scen
    from reten.sweep.simulate import check_size

    months, runs = check_size(sw.get("months", 12), sw.get("runs", 1), where=f"{p}: sweep.")
    seed_v = sw.get("seed", 0)
    seeds = tuple(
        _int(p, "sweep.seed", s, lo=0, hi=MAX_SEED)
        for s in (seed_v if isinstance(seed_v, list) else [seed_v])
    )
    policy = str(sw.get("policy", "static"))
    try:
        check_policy(policy)
    except InputError as exc:
        raise InputError(f"{p}: sweep.policy: {exc}") from None
    rpt = _int(p, "sweep.runs_per_task", sw.get("runs_per_task", runs), lo=1)
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise InputError(f"{p}: [params]: expected a table of dynamics parameters")
    DynamicsParams.from_dict(params, where=f"{p}: params")
    grid = data.get("grid", {})
    if not isinstance(grid, dict):
        raise InputError(f"{p}: [grid]: expected a table of lists")
    base = load_scenario(scen)
    keys, values = [], []
    for k, vals in grid.items():
        if k in (*SERIES_COLUMNS, "variant"):
            raise InputError(f'{p}: grid."{k}": a column of the results; not a grid key')
        if not isinstance(vals, list) or not vals:
            raise InputError(f'{p}: grid."{k}": expected a non-empty list of values')
        if k == "policy":
            for v in vals:
                try:
                    check_policy(str(v))
                except InputError as exc:
                    raise InputError(f'{p}: grid."policy": {exc}') from None
        elif k == "seed":
            for v in vals:
                _int(p, 'grid."seed"', v, lo=0, hi=MAX_SEED)
        elif k in SWEEP_LEVEL_KEYS:
            for v in vals:
                DynamicsParams.from_dict({**params, k: v}, where=f'{p}: grid."{k}" value')
        else:
            parse_key_path(k)
            for v in vals:
                try:
                    scenario_variant(base, {k: v})
                except InputError as exc:
                    hint = (
                        f"; a grid key is policy, seed, a dynamics parameter "
                        f"({', '.join(sorted(SWEEP_LEVEL_KEYS - {'policy', 'seed'}))}) or a "
                        'scenario key path such as "enforcement[0].p_detect"'
                        if "unknown key" in str(exc)
                        else ""
                    )
                    raise InputError(f'{p}: grid."{k}" = {v!r}: {exc}{hint}') from None
        keys.append(k)
        values.append(tuple(vals))
    g = Grid(
        path=p,
        scenario=scen,
        months=months,
        runs=runs,
        seeds=seeds,
        policy=policy,
        runs_per_task=rpt,
        params=dict(params),
        keys=tuple(keys),
        values=tuple(values),
        text_hash=hashlib.sha256(raw).hexdigest(),
    )
    return _with_tasks(g)


def _with_tasks(g: Grid) -> Grid:
    tasks = []
    blocks = [
        tuple(range(a, min(a + g.runs_per_task, g.runs))) for a in range(0, g.runs, g.runs_per_task)
    ]
    for v, values in enumerate(g.variants()):
        seeds = (values["seed"],) if "seed" in values else g.seeds
        for s in seeds:
            for blk in blocks:
                tasks.append(Task(v, values, int(s), blk))
    from dataclasses import replace

    return replace(g, tasks=tuple(tasks))


def split_values(g: Grid, values: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Return (policy, dynamics parameters, scenario changes) of one variant's grid values."""
    policy = str(values.get("policy", g.policy))
    params = dict(g.params)
    changes = {}
    for k, v in values.items():
        if k in ("policy", "seed"):
            continue
        if k in SWEEP_LEVEL_KEYS:
            params[k] = v
        else:
            changes[k] = v
    return policy, params, changes
