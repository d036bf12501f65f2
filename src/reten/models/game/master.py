"""The restricted master LP of the double oracle, in HiGHS, grown in place.

Over the k-sets ``J`` and routes ``R`` found so far::

    max  sum_o v_o z_o
    s.t. z_o - sum_j cap(j, r) sigma_j <= 0     for each route r of origin o   (dual y_r)
         sum_j sigma_j = 1,  sigma >= 0,  z free

``sigma`` is the defender's mixed strategy; the row duals ``y_r`` (``sum_{r of o} y_r =
v_o``) are the attacker's: origin ``o`` takes route ``r`` with probability ``y_r / v_o``.
Each iteration adds columns (k-sets) and rows (routes); HiGHS re-solves from the last basis.
"""

from __future__ import annotations

import numpy as np

from reten.highs import quiet_highs


class Master:
    """The restricted game as an LP whose rows and columns grow."""

    def __init__(self, volume: np.ndarray) -> None:
        import highspy

        self.hs = highspy
        self.h = quiet_highs()
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        # re-solves start from the last basis; presolve would discard it
        self.h.setOptionValue("presolve", "off")
        self.h.setOptionValue("primal_feasibility_tolerance", 1e-10)
        self.h.setOptionValue("dual_feasibility_tolerance", 1e-10)
        self.o = int(volume.size)
        self.volume = np.asarray(volume, dtype=float)
        # the objective is in units of the largest volume: with volumes of 1e7 kg and more,
        # duals at that scale missed the 1e-10 tolerance and HiGHS stopped ("Not Set")
        top = float(self.volume.max()) if self.o else 0.0
        self.scale = top if np.isfinite(top) and top > 0 else 1.0
        inf = highspy.kHighsInf
        for i in range(self.o):
            self.h.addVar(-inf, inf)
            self.h.changeColCost(i, float(self.volume[i] / self.scale))
        # row 0: sum sigma = 1 (no columns yet)
        self.h.addRow(1.0, 1.0, 0, np.zeros(0, np.int32), np.zeros(0))
        self.n_sets = 0
        self.row_origin: list[int] = []

    def add_sets(self, cap_cols: np.ndarray) -> None:
        """Add k-sets: ``cap_cols`` is (R, new) interception of every existing route."""
        cap_cols = np.asarray(cap_cols, dtype=float)
        assert cap_cols.ndim == 2 and cap_cols.shape[0] == len(self.row_origin)
        for c in range(cap_cols.shape[1]):
            col = cap_cols[:, c]
            nz = np.flatnonzero(col != 0)
            rows = np.concatenate([[0], nz + 1]).astype(np.int32)
            vals = np.concatenate([[1.0], -col[nz]])
            self.h.addCol(0.0, 0.0, self.hs.kHighsInf, rows.size, rows, vals)
            self.n_sets += 1

    def add_routes(self, origin: np.ndarray, cap_rows: np.ndarray) -> None:
        """Add routes of ``origin`` (O indices): ``cap_rows`` (new, J) against every k-set."""
        cap_rows = np.asarray(cap_rows, dtype=float).reshape(-1, self.n_sets)
        inf = self.hs.kHighsInf
        for i, o in enumerate(np.asarray(origin).tolist()):
            row = cap_rows[i]
            nz = np.flatnonzero(row != 0)
            cols = np.concatenate([[o], self.o + nz]).astype(np.int32)
            vals = np.concatenate([[1.0], -row[nz]])
            self.h.addRow(-inf, 0.0, cols.size, cols, vals)
            self.row_origin.append(int(o))

    def solve(self) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """Return (value, sigma (J,), z (O,), y (R,)) with ``sigma`` and each origin's ``y``
        cleaned to a probability distribution (times ``v_o``)."""
        self.h.run()
        status = self.h.getModelStatus()
        if status != self.hs.HighsModelStatus.kOptimal:
            raise RuntimeError(f"master LP: HiGHS status {self.h.modelStatusToString(status)}")
        sol = self.h.getSolution()
        x = np.asarray(sol.col_value)
        z = x[: self.o]
        sigma = np.clip(x[self.o :], 0.0, None)
        sigma[sigma < 1e-12] = 0.0
        sigma = sigma / sigma.sum()
        y = np.abs(np.asarray(sol.row_dual)[1:])
        ro = np.asarray(self.row_origin, dtype=np.int64)
        y[y < 1e-14] = 0.0  # duals are in units of the largest volume
        tot = np.bincount(ro, weights=y, minlength=self.o)
        for o in np.flatnonzero(tot <= 0):  # degenerate: any route of the origin
            first = np.flatnonzero(ro == o)
            if first.size:
                y[first[0]] = 1.0
        tot = np.bincount(ro, weights=y, minlength=self.o)
        y = y / tot[ro] * self.volume[ro]
        value = float(self.h.getInfo().objective_function_value) * self.scale
        return value, sigma, z, y
