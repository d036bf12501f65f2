"""Helpers shared by the benchmarks: timing, peak memory in a fresh process, machine facts."""

from __future__ import annotations

import multiprocessing as mp
import os
import platform
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
WORK = ROOT / "bench" / "_work"


def machine() -> str:
    """Return a one-line description of this machine."""
    try:
        cpu = next(
            ln.split(":", 1)[1].strip()
            for ln in open("/proc/cpuinfo")
            if ln.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor() or "unknown CPU"
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Python {platform.python_version()}"


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Return (best wall seconds over ``repeat`` runs, last result)."""
    best = float("inf")
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _hwm_kib() -> int:
    """Peak resident set size of this process so far (VmHWM), KiB."""
    with open("/proc/self/status") as fh:
        for ln in fh:
            if ln.startswith("VmHWM:"):
                return int(ln.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def rss_mib() -> float:
    """Current resident set size of this process (VmRSS), MiB, after returning freed heap."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass
    with open("/proc/self/status") as fh:
        for ln in fh:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1]) / 1024.0
    return float("nan")


def _child(fn: Callable[..., Any], args: tuple[Any, ...], q: Any) -> None:
    import numpy  # noqa: F401  (the baseline includes NumPy)

    base = _hwm_kib()
    t = time.perf_counter()
    res = fn(*args)
    secs = time.perf_counter() - t
    peak = _hwm_kib()
    q.put((secs, (peak - base) / 1024.0, res))


def in_fresh_process(fn: Callable[..., Any], *args: Any) -> tuple[float, float, Any]:
    """Run ``fn(*args)`` in a new process; return (seconds, peak RSS growth in MiB, result)."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(fn, args, q))
    p.start()
    out = q.get()
    p.join()
    return out


def table(header: list[str], rows: list[list[Any]]) -> str:
    """Return a Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)
