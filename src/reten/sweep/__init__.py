"""Scenario grids on dask.distributed, resumable, one file per task; and the simulate front door."""

from reten.sweep.grid import Grid, read_grid, scenario_variant, set_key_path
from reten.sweep.runner import SweepResult, read_sweep, sweep
from reten.sweep.simulate import Simulation, simulate, write_simulation

__all__ = [
    "Grid",
    "Simulation",
    "SweepResult",
    "read_grid",
    "read_sweep",
    "scenario_variant",
    "set_key_path",
    "simulate",
    "sweep",
    "write_simulation",
]
