"""Time limits run on the solver clock, which leaves out one-time Numba compilation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numba
import numpy as np

from reten import clock

DEMO = Path(__file__).resolve().parents[1] / "src" / "reten" / "data" / "demo" / "baseline.toml"


def test_compilation_is_left_out_of_the_clock_once_even_when_nested() -> None:
    # two functions no cache has seen: the caller's compilation compiles the callee inside it
    @numba.njit
    def inner(x):  # type: ignore[no-untyped-def]
        return np.sort(x)[::-1].sum()

    @numba.njit
    def outer(x):  # type: ignore[no-untyped-def]
        return inner(x) + x.max()

    before_c, before_w, before_n = clock.compile_seconds(), time.perf_counter(), clock.now()
    outer(np.arange(5.0))
    wall = time.perf_counter() - before_w
    compiled = clock.compile_seconds() - before_c
    assert 0.0 < compiled <= wall  # nested events are not counted twice
    assert clock.now() - before_n <= wall - compiled + 1e-3
    # a second call compiles nothing and the clock runs with the wall again
    c = clock.compile_seconds()
    outer(np.arange(5.0))
    assert clock.compile_seconds() == c


def test_a_cold_kernel_cache_gives_the_same_answer_within_the_time_limit(tmp_path: Path) -> None:
    # on a fresh install every kernel compiles on first use (about 25 s here); counted
    # against --time-limit it stopped this proven-in-a-second instance unproven at 3.4%
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "reten", "optimize", str(DEMO), "--budget", "1"]
    cmd += ["--time-limit", "8", "--json", "-o", str(tmp_path / "out")]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    answer = json.loads(out.stdout)
    assert answer["status"] == "optimal", answer
    assert answer["seconds"] < 8.0
