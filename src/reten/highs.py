"""A HiGHS instance that prints nothing (HiGHS writes a banner to fd 1 when it starts)."""

from __future__ import annotations

import os
import sys
from typing import Any


def quiet_highs() -> Any:
    """Return a ``highspy.Highs`` with console output off and its start-up banner swallowed."""
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("log_to_console", False)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    return h


#: feasibility tolerance of reten's masters: far below any gap they must certify (the
#: default 1e-6 accepts a row ``1e-6 n >= 1e-6`` at ``n = 0``)
EXACT_TOL = 1e-9


def exact_highs() -> Any:
    """Return a quiet ``highspy.Highs`` whose primal and MIP feasibility tolerances are
    ``EXACT_TOL``, for models whose rows certify bounds (a row satisfied only within the
    default tolerance would let a master return an allocation that does not meet its target).
    """
    h = quiet_highs()
    h.setOptionValue("primal_feasibility_tolerance", EXACT_TOL)
    h.setOptionValue("mip_feasibility_tolerance", EXACT_TOL)
    return h
