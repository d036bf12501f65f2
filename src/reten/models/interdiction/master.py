"""A HiGHS master problem over the units that grows by cuts."""

from __future__ import annotations

import math

import numpy as np

from reten.highs import exact_highs
from reten.models.interdiction.sites import Sites


class Master:
    """A HiGHS model over units n (and value variables) that grows by cuts."""

    def __init__(
        self, sites: Sites, budget: float, n_value: int, *, value_upper: float, integer: bool = True
    ) -> None:
        import highspy

        self.h = exact_highs()
        self.hs = highspy
        self.S = sites.size
        self.n_value = n_value
        inf = highspy.kHighsInf
        h = self.h
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        for s in range(self.S):
            h.addVar(0.0, float(sites.upper[s]))
        for _ in range(n_value):
            h.addVar(-inf, value_upper)
        if integer:
            h.changeColsIntegrality(
                self.S,
                np.arange(self.S, dtype=np.int32),
                np.full(self.S, highspy.HighsVarType.kInteger),
            )
        h.addRow(
            -inf,
            float(budget),
            self.S,
            np.arange(self.S, dtype=np.int32),
            sites.resource.astype(np.float64),
        )
        self.set_objective(np.ones(n_value))

    def set_objective(self, weights: np.ndarray) -> None:
        c = np.concatenate([np.zeros(self.S), np.asarray(weights, dtype=np.float64)])
        self.h.changeColsCost(c.size, np.arange(c.size, dtype=np.int32), c)

    def set_budget(self, budget: float) -> None:
        self.h.changeRowBounds(0, -self.hs.kHighsInf, float(budget))

    def add_le(self, idx: np.ndarray, val: np.ndarray, rhs: float) -> None:
        self.h.addRow(
            -self.hs.kHighsInf,
            float(rhs),
            int(idx.size),
            idx.astype(np.int32),
            val.astype(np.float64),
        )

    def set_integer(self, integer: bool) -> None:
        kind = self.hs.HighsVarType.kInteger if integer else self.hs.HighsVarType.kContinuous
        self.h.changeColsIntegrality(
            self.S, np.arange(self.S, dtype=np.int32), np.full(self.S, kind)
        )

    def solve_relaxed(self, time_limit: float) -> tuple[np.ndarray, float, bool]:
        """Solve the LP relaxation; return (fractional units, LP bound, solved)."""
        h = self.h
        h.setOptionValue("time_limit", max(float(time_limit), 0.01))
        h.run()
        optimal = h.getModelStatus() == self.hs.HighsModelStatus.kOptimal
        x = np.asarray(h.getSolution().col_value)
        return x[: self.S].copy(), float(h.getInfo().objective_function_value), optimal

    def solve(
        self, time_limit: float, start: np.ndarray | None = None
    ) -> tuple[np.ndarray, float, bool]:
        """Return (units, upper bound, solved to optimality)."""
        h = self.h
        h.setOptionValue("time_limit", max(float(time_limit), 0.01))
        h.setOptionValue("mip_rel_gap", 1e-9)
        h.setOptionValue("mip_abs_gap", 1e-9)
        if start is not None:
            sol = self.hs.HighsSolution()
            x = np.zeros(self.S + self.n_value)
            x[: self.S] = start
            x[self.S :] = np.nan
            sol.col_value = list(np.nan_to_num(x, nan=0.0))
            h.setSolution(sol)
        h.run()
        status = h.getModelStatus()
        info = h.getInfo()
        optimal = status == self.hs.HighsModelStatus.kOptimal
        x = np.asarray(h.getSolution().col_value)
        if optimal:
            bound = float(info.objective_function_value)
        elif math.isfinite(info.mip_dual_bound):
            bound = float(info.mip_dual_bound)
        else:
            bound = math.inf
        units = np.round(x[: self.S]).astype(np.int64) if x.size else np.zeros(self.S, np.int64)
        return units, bound, optimal
