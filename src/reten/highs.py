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
