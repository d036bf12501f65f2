"""The ``auto`` method: greedy and decomposition first, then a race against the dual MILP.

No single method wins on the whole Israeli-Wood family: on some draws the covering
decomposition proves the optimum in seconds where the dual MILP does not finish, on others
the MILP proves in a minute what the decomposition leaves at a 10% gap. ``auto`` therefore
runs the greedy heuristic first (to completion within a quarter of the limit, at most a
minute: its value is every method's first incumbent), then the decomposition alone for a
short probe (most instances, and every small one, are
proven there), and otherwise races both on separate processes for the rest of the time:
the first proof ends the race, and the answer combines both (the best incumbent of either,
the least upper bound of either), so ``auto`` is never much slower than the better of the
two (at most the probe plus a process start, ~2 s).

The answer's log holds every step of every solver, in the order of their seconds since
``auto`` began: the greedy's value (``greedy``), the probe's steps (``probe``), then both
racers' (``decomposition``, ``milp``), each row named by its solver (:class:`.LogRow`).

The MILP racer runs at the lowest priority (nice 19). Each solver's HiGHS uses both cores
(on a 20x40 grid master, 4,358 nodes in 40 s with two threads against 1,836 with one), so
racing as equals halved the decomposition's proofs: its final proof on a 20x40 grid at
B = 8 (seed 4) ended at 104 s alone and not within 120 s in the race. At nice 19 the MILP
gets the cycles the decomposition leaves (its single-threaded steps between masters):
national, 34 origins, K = 10, proven in 52 s (`bench/RESULTS.md`), against 84 s at stop 17.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from multiprocessing.connection import Connection, wait
from typing import Any

import numpy as np

from reten import clock
from reten.models.interdiction.decomposition import decompose, warm_greedy
from reten.models.interdiction.follower import Follower
from reten.models.interdiction.milp import dual_milp
from reten.models.interdiction.result import (
    InterdictionResult,
    LogRow,
    bounds_met,
    log_row,
    shift_log,
)
from reten.models.interdiction.sites import Sites

#: the decomposition runs alone for max(PROBE_MIN_S, PROBE_FRACTION * time_limit) seconds
PROBE_MIN_S = 5.0
PROBE_FRACTION = 0.05
#: the greedy runs first for at most min(GREEDY_FRACTION * time_limit, GREEDY_MAX_S) seconds
GREEDY_FRACTION = 0.25
GREEDY_MAX_S = 60.0
#: seconds a racer may overrun the limit before it is stopped
GRACE_S = 20.0


def solve_auto(
    fol: Follower,
    sites: Sites,
    budget: float,
    time_limit: float,
    objective: str,
    tol: float,
    warm: dict[str, Any] | None,
    start: np.ndarray | None,
) -> InterdictionResult:
    """Return the ``auto`` answer: a decomposition probe, then a race if it is unproven."""
    t0 = clock.now()
    wall0 = time.time()  # the racers' clock (another process) for the same instant
    if warm is None:
        warm = {}  # the probe's stored routes go on to the racing decomposition
    # the greedy first, to completion within a quarter of the limit (at most GREEDY_MAX_S):
    # the probe's own quarter of a few seconds cuts it short on national networks, where
    # its value is the incumbent the methods start from (five states, interception, K = 10:
    # 190 kg completed; auto's answer was 80 kg with the truncated greedy)
    _, g_val, _ = warm_greedy(
        fol, sites, budget, t0 + min(GREEDY_FRACTION * time_limit, GREEDY_MAX_S), start, warm
    )
    log = [log_row(0, g_val, math.inf, clock.now() - t0, "greedy")]
    probe_s = min(time_limit, max(PROBE_MIN_S, PROBE_FRACTION * time_limit))
    probe_s = max(min(probe_s, time_limit - (clock.now() - t0)), 0.0)
    t_probe = clock.now() - t0
    first = decompose(fol, sites, budget, probe_s, objective, tol, warm, start)
    first = replace(first, log=[*log, *shift_log(first.log, t_probe, "probe")])
    remaining = time_limit - (clock.now() - t0)
    if first.status == "optimal" or remaining < 1.0:
        # proven (or out of time) before any race: still auto's answer, named as such
        return replace(first, method="auto/decomposition")
    # the racers' limit is a wall-clock deadline, so their start-up counts against it
    args = (fol.net, fol.problem, sites, budget, time.time() + remaining, wall0, objective, tol)
    racers: dict[str, tuple[Any, Connection]] = {}
    warm_in = dict(warm) if warm is not None else None
    done: dict[str, InterdictionResult] = {}
    outs: dict[str, Connection] = {}
    try:
        works = {"decomposition": (warm_in, first.units), "milp": (None, None)}
        for name in works:  # both start (import reten) at once; then each gets its work
            proc, answer, outs[name] = _start_racer()
            racers[name] = (proc, answer)
        for name, extra in works.items():
            _send_work(outs[name], (name, *args, *extra))
        _collect(racers, done, warm, t0 + time_limit + GRACE_S)
    finally:  # also on Ctrl-C or SIGTERM in the parent: no racer outlives the call
        for out in outs.values():
            out.close()
        for proc, conn in racers.values():
            if proc.poll() is None:
                proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
            conn.close()
    return _combine(first, done, objective, tol, clock.now() - t0)


# a racer is a fresh interpreter running _racer_main: not multiprocessing's spawn, whose
# bootstrap in the child unpickles the process object from a pipe before any code of ours
# runs, and printed a _pickle.UnpicklingError (or EOFError) traceback when reten was killed
# while writing it. Here the child reads its work itself and stops quietly when it is cut.
# The parent-death signal is asked for first, before reten's imports (up to seconds on a
# cold cache): a parent killed while they ran left the racer orphaned until they ended.
_RACER_CODE = (
    "import sys\n"
    "from reten.lifetime import die_with_parent\n"
    "die_with_parent(int(sys.argv[3]))\n"
    "from reten.models.interdiction.portfolio import _racer_main\n"
    "_racer_main()\n"
)


def _start_racer() -> tuple[subprocess.Popen[bytes], Connection, Connection]:
    """Start one racer process; return it, the connection its answer comes on and the one
    its work goes to (:func:`_send_work`)."""
    work_r, work_w = os.pipe()
    answer_r, answer_w = os.pipe()
    try:
        with _sigint_ignored():  # Ctrl-C is the parent's to handle; racers just stop
            proc = subprocess.Popen(
                [sys.executable, "-c", _RACER_CODE, str(work_r), str(answer_w), str(os.getpid())],
                stdin=subprocess.DEVNULL,
                pass_fds=(work_r, answer_w),
                close_fds=True,
            )
    except BaseException:
        os.close(work_w)
        os.close(answer_r)
        raise
    finally:
        os.close(work_r)
        os.close(answer_w)
    return proc, Connection(answer_r, writable=False), Connection(work_w, readable=False)


def _send_work(out: Connection, work: tuple[Any, ...]) -> None:
    """Send a racer the arguments of :func:`_racer` (blocks until it has read them)."""
    try:
        out.send(work)
    except OSError:  # the racer died before reading (BrokenPipeError): it proves nothing
        pass
    finally:
        out.close()


def _racer_main(argv: list[str] | None = None) -> None:
    """Entry point of a racer process: ``WORK_FD ANSWER_FD PARENT_PID`` (see
    :func:`_start_racer`). Exits quietly when the parent is gone before the work arrived."""
    # the parent-death signal was asked for by _RACER_CODE, before reten's imports
    work_fd, answer_fd, _parent = (int(a) for a in (sys.argv[1:] if argv is None else argv))
    answer = Connection(answer_fd, readable=False)
    try:
        with Connection(work_fd, writable=False) as work_in:
            work = work_in.recv()
    except (EOFError, OSError, pickle.UnpicklingError, ValueError):
        # the parent was killed while sending the work (a cut or empty message)
        answer.close()
        os._exit(0)
    _racer(answer, *work)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT while a child starts, so it inherits the ignore (main thread only)."""
    try:
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: signals are not ours to change
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def _collect(
    racers: dict[str, tuple[Any, Connection]],
    done: dict[str, InterdictionResult],
    warm: dict[str, Any] | None,
    deadline: float,
) -> None:
    """Receive racers' results until one is optimal, all have answered or ``deadline``."""
    pending = {conn: name for name, (_, conn) in racers.items()}
    while pending and clock.now() < deadline:
        ready = wait(list(pending), timeout=max(deadline - clock.now(), 0.0))
        for ready_conn in ready:
            name = pending.pop(ready_conn)  # type: ignore[call-overload]
            conn = racers[name][1]
            try:
                msg = conn.recv()
            except EOFError:
                continue  # the racer died (out of memory, killed): it proves nothing
            if isinstance(msg, tuple):
                res, warm_out = msg
                done[name] = res
                if name == "decomposition" and warm is not None and warm_out is not None:
                    warm.clear()
                    warm.update(warm_out)
        if any(r.status == "optimal" for r in done.values()):
            break


def _racer(
    conn: Connection,
    name: str,
    net: Any,
    problem: Any,
    sites: Sites,
    budget: float,
    deadline: float,
    wall0: float,
    objective: str,
    tol: float,
    warm: dict[str, Any] | None,
    start: np.ndarray | None,
) -> None:
    """Run one method in a child process until the wall-clock ``deadline`` (``time.time``)
    and send ``(result, warm)`` back, its log's seconds counted from ``wall0`` (the
    ``time.time`` at which ``auto`` began)."""
    try:
        if name == "milp":
            # the lowest priority: see the module docstring
            nice = getattr(os, "nice", None)  # not on Windows
            if nice is not None:
                with contextlib.suppress(OSError):
                    nice(19)
        fol = Follower(net, problem, sites, objective)
        time_limit = max(deadline - time.time(), 0.1)
        began = time.time() - wall0
        if name == "milp":
            res = dual_milp(fol, sites, budget, time_limit, objective, tol)
        else:
            res = decompose(fol, sites, budget, time_limit, objective, tol, warm, start)
        conn.send((replace(res, log=shift_log(res.log, began, name)), warm))
    except (BrokenPipeError, EOFError):
        pass  # the parent is gone (killed): nobody to answer, and nothing to say
    except Exception as exc:  # noqa: BLE001 - a failed racer proves nothing; say why
        with contextlib.suppress(OSError, EOFError):
            conn.send(repr(exc))
    finally:
        conn.close()


def _combine(
    first: InterdictionResult,
    done: dict[str, InterdictionResult],
    objective: str,
    tol: float,
    seconds: float,
) -> InterdictionResult:
    """Return the best incumbent of all runs with the least upper bound of all, and every
    run's log (``first``'s, then the racers'), ordered by seconds."""
    runs = [("decomposition", first), *done.items()]
    name, best = max(runs, key=lambda nr: nr[1].lower_bound)
    ub = min(r.upper_bound for _, r in runs)
    lb = best.lower_bound
    ub = max(ub, lb)
    proven = any(r.status == "optimal" for _, r in runs) or bounds_met(lb, ub, tol)
    winner = next((n for n, r in done.items() if r.status == "optimal"), name)
    rows: list[LogRow] = [*first.log, *(row for _, r in done.items() for row in r.log)]
    log = sorted(rows, key=lambda row: row.seconds)  # stable: ties keep the runs' order
    return replace(
        best,
        method=f"auto/{winner}",
        upper_bound=ub,
        status="optimal" if proven else "time_limit",
        log=log,
        seconds=seconds,
    )
