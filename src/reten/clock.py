"""The solver clock: wall time less this thread's one-time Numba compilation.

reten's kernels are compiled by Numba on their first call after install and cached on disk
(``cache=True``). On a fresh install that compilation takes tens of seconds, and counted
against a solver's time limit it changed the answer: ``optimize --budget 1 --time-limit 5``
on the embedded network stopped unproven at a 3.4% gap after 26 s of compiling, and was
proven in 0.8 s once the cache was warm. Time limits, and the seconds reten reports, run on
this clock instead, so the same inputs give the same answer on a first run and on later ones.

Compilation is measured through Numba's event API (``numba:compile`` events), per thread,
outermost compilation only (compiling a function compiles its callees inside it).

Examples
--------
>>> from reten import clock
>>> t0 = clock.now()
>>> clock.now() >= t0
True
>>> clock.compile_seconds() >= 0.0
True
"""

from __future__ import annotations

import threading
import time
from typing import Any

from numba.core import event

_local = threading.local()


class _CompileTimer(event.Listener):  # type: ignore[misc]
    """Adds each outermost ``numba:compile`` event's duration to this thread's total."""

    def on_start(self, ev: Any) -> None:
        depth = getattr(_local, "depth", 0)
        if depth == 0:
            _local.start = time.perf_counter()
        _local.depth = depth + 1

    def on_end(self, ev: Any) -> None:
        _local.depth = getattr(_local, "depth", 1) - 1
        if _local.depth == 0:
            _local.compiled = compile_seconds() + time.perf_counter() - _local.start


event.register("numba:compile", _CompileTimer())


def compile_seconds() -> float:
    """Seconds this thread has spent compiling Numba kernels since reten was imported.

    Returns
    -------
    float
        Seconds, ``>= 0``; 0 once every kernel this thread calls is in Numba's disk cache.
    """
    return float(getattr(_local, "compiled", 0.0))


def now() -> float:
    """``time.perf_counter()`` less :func:`compile_seconds`: the clock of time limits.

    Returns
    -------
    float
        Seconds on an arbitrary origin; only differences between two calls on the same
        thread mean anything.
    """
    return time.perf_counter() - compile_seconds()
