"""The issue's headline grid at the issue's 10-minute limit: 20 x 40, B = 6 (seed 1).

reten's ``auto`` (decomposition probe, then a race with the MILP) against the single-level
dual MILP in HiGHS, each given 600 s (``RETEN_BENCH_LONG_LIMIT_S``).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from bench_interdiction import _grid  # noqa: E402
from common import in_fresh_process, table  # noqa: E402


def run() -> str:
    """Run 20x40, B = 6 with the long limit; return the Markdown section."""
    limit = float(os.environ.get("RETEN_BENCH_LONG_LIMIT_S", "600"))
    res = {m: in_fresh_process(_grid, 20, 40, 6, 1, m, limit)[2] for m in ("auto", "milp")}
    ds, dst, dv, dub = (res["auto"][k] for k in ("seconds", "status", "value", "upper"))
    ms, mst, mv, mub = (res["milp"][k] for k in ("seconds", "status", "value", "upper"))
    ratio = f"**{ms / ds:.0f}x**" if mst == "optimal" else f">= {ms / ds:.0f}x (MILP unproven)"
    return "\n".join(
        [
            f"## Israeli-Wood grid 20x40, B = 6, at a {limit:.0f} s limit (issue 5 goal: >= 10x)",
            "",
            table(
                ["method", "value", "upper bound", "seconds", "status"],
                [
                    ["reten auto", f"{dv:g}", f"{dub:g}", f"{ds:.1f}", dst],
                    ["single-level dual MILP (HiGHS)", f"{mv:g}", f"{mub:.2f}", f"{ms:.1f}", mst],
                ],
            ),
            "",
            f"MILP time / reten time: {ratio}.",
            "",
        ]
    )


if __name__ == "__main__":
    print(run())
