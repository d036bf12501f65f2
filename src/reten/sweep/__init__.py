"""Scenario grids on dask.distributed, resumable, one file per task; and the simulate front door.

``reten.sweep`` is this package and also callable: ``reten.sweep(grid, out, workers=2)`` is
:func:`reten.sweep.runner.sweep`.

Examples
--------
>>> from reten.sweep import set_key_path
>>> set_key_path({"costs": {}}, "costs.per_km", 0.7)
{'costs': {'per_km': 0.7}}
"""

import sys
import types
from typing import Any

from reten.sweep.grid import Grid, read_grid, scenario_variant, set_key_path
from reten.sweep.runner import SweepResult, read_sweep, sweep
from reten.sweep.simulate import Simulation, read_simulation, simulate, write_simulation

__all__ = [
    "Grid",
    "Simulation",
    "SweepResult",
    "read_grid",
    "read_simulation",
    "read_sweep",
    "scenario_variant",
    "set_key_path",
    "simulate",
    "sweep",
    "write_simulation",
]


class _CallableModule(types.ModuleType):
    """The package, callable as :func:`sweep` (so ``reten.sweep(...)`` runs a sweep)."""

    def __call__(self, *args: Any, **kwargs: Any) -> SweepResult:
        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
