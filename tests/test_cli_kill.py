"""Kill `reten run` and `reten demo` at random moments: the output is whole, old or new.

The target already holds a complete reten output, and each new run writes a different one
(two scenarios alternate), over it with ``--overwrite``. After every kill the target must
hold exactly the previous complete output or the new complete one, and:

- SIGINT (Ctrl-C) and SIGTERM: reten turns them into an exception that unwinds every
  ``with`` block, so the temporary folder and the lock are gone as soon as the process has
  exited (asserted right after each kill);
- SIGKILL: nothing runs in the process, so the temporary folder ``.NAME.reten-tmp-*`` and the
  lock file ``.NAME.reten-lock`` may stay behind; the next reten command writing into the
  same parent folder sweeps them (asserted after that next run, never before it).

Kill moments are drawn from a seeded generator over the whole life of a run, weighted
towards its end, where the swap happens.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from clikit import SCENARIO, litter, snapshot, tiny_project

# under `pytest -n 2` these tests run one after another on one worker: each times reten
# runs and kills them at moments drawn from those times, and two of them side by side
# would load the machine for each other between the timing and the kills
pytestmark = pytest.mark.xdist_group("test_cli_kill")


def _exe() -> list[str]:
    exe = Path(sys.executable).with_name("reten")
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "reten"]


def _content(path: Path) -> dict:
    """Return the output's files and bytes (modes aside)."""
    return {k: v[:2] for k, v in snapshot(path).items()}


def _default_sigint() -> None:
    # a shell starts background jobs with SIGINT ignored, and children inherit that: a
    # suite run as `make test &` would see every Ctrl-C ignored and these tests fail for
    # the launcher's sake. Ctrl-C is what is tested, so the child gets the default back.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*_exe(), *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )


def _timed(args: list[str], cwd: Path) -> float:
    t = time.perf_counter()
    p = _start(args, cwd)
    _, err = p.communicate(timeout=600)
    assert p.returncode == 0, err
    return time.perf_counter() - t


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """A project with scenarios A and B and their reference outputs."""
    tmp_path = tmp_path_factory.mktemp("kill")
    tiny_project(tmp_path)
    (tmp_path / "b.toml").write_text(SCENARIO.replace("volume_kg = 10", "volume_kg = 25"))
    ref = {}
    seconds = []
    for name, scen in (("A", "s.toml"), ("B", "b.toml")):
        seconds.append(_timed(["run", scen, "-o", f"ref{name}"], tmp_path))
        ref[name] = _content(tmp_path / f"ref{name}")
    assert ref["A"] != ref["B"]
    return tmp_path, ref, max(seconds)


def _kill_at(p: subprocess.Popen, delay: float, sig: int) -> bool:
    """Send ``sig`` after ``delay`` seconds unless done; return True when it was killed."""
    try:
        p.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        p.send_signal(sig)
    p.communicate(timeout=600)
    return p.returncode != 0


def _kill_mid_transaction(p: subprocess.Popen, parent: Path, sig: int) -> bool:
    """Send ``sig`` once reten's temporary output exists in ``parent``; True when killed.

    The temporary folder exists only inside the output transaction, after reten has set its
    signal handlers and before the swap: a moment mid-run whatever the machine's load (half
    the measured run time, as used before, fell after the end or in interpreter start-up or
    shut-down when the load changed between the timed run and this one).
    """
    old = set(os.listdir(parent))
    t0 = time.perf_counter()
    while p.poll() is None and time.perf_counter() - t0 < 600:
        if any(".reten-tmp-" in n for n in set(os.listdir(parent)) - old):
            p.send_signal(sig)
            break
        time.sleep(0.01)
    p.communicate(timeout=600)
    return p.returncode != 0


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["INT", "TERM", "KILL"]
)
def test_killed_run_leaves_old_or_new_output(two_runs, sig):
    root, ref, full = two_runs
    rng = np.random.default_rng(20261129 + int(sig))
    scen = {"A": "s.toml", "B": "b.toml"}
    out = f"out{int(sig)}"
    assert subprocess.run([*_exe(), "run", "s.toml", "-o", out], cwd=root).returncode == 0
    current = "A"
    killed = 0
    scale = full
    for _ in range(30):  # until three kills landed mid-run (load makes run times vary)
        if killed >= 3:
            break
        new = "B" if current == "A" else "A"
        delay = scale * (1.0 - rng.beta(1.0, 2.5))  # more kills late, near the swap
        p = _start(["run", scen[new], "-o", out, "--overwrite"], root)
        hit = _kill_at(p, delay, sig)
        if sig == signal.SIGINT:
            # Ctrl-C is exit 130 (or, during start-up imports, death by SIGINT, which a
            # shell also reports as 130), never a success (typer once made it exit 0)
            assert p.returncode in (0, 130, -signal.SIGINT), p.returncode
        killed += hit
        if not hit:  # the run finished first: this machine is faster now, aim earlier
            scale *= 0.6
        got = _content(root / out)
        assert got in (ref[current], ref[new]), f"partial output after {sig!r} at {delay:.2f}s"
        if got == ref[new]:
            current = new
        left = litter(root)
        if sig != signal.SIGKILL:
            assert not left, (delay, p.returncode, left)
        else:
            # swept by the next run writing into this folder
            p2 = subprocess.run(
                [*_exe(), "run", scen[current], "-o", out], cwd=root, capture_output=True
            )
            assert p2.returncode == 0, p2.stderr
            assert not litter(root), litter(root)
            assert _content(root / out) == ref[current]
    assert not [n for n in os.listdir(root) if n.startswith(".")]
    assert killed >= 3, "the kills came after the runs had finished"


def test_killed_demo_leaves_old_or_new_output(tmp_path, demo_output):
    """`reten demo` is one transaction: after a kill the folder is the whole demo, old or new.

    The demo is deterministic, so old and new are the same bytes: the first complete demo.
    """
    # a complete demo to start from, written by an earlier `reten demo` of this test process
    # (which also warmed the caches: a cold start takes ~2x a warm one)
    shutil.copytree(demo_output[0], tmp_path / "demo", symlinks=True)
    full = _timed(["demo", "-o", "demo", "--overwrite"], tmp_path)
    ref = _content(tmp_path / "demo")
    rng = np.random.default_rng(7)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        delay = full * (1.0 - rng.beta(1.0, 2.0))
        p = _start(["demo", "-o", "demo", "--overwrite"], tmp_path)
        if _kill_at(p, delay, sig) and sig == signal.SIGINT:
            assert p.returncode in (130, -signal.SIGINT), p.returncode
        elif sig == signal.SIGINT:  # the demo finished first: a sure Ctrl-C mid-demo
            p = _start(["demo", "-o", "demo", "--overwrite"], tmp_path)
            assert _kill_mid_transaction(p, tmp_path, sig) and p.returncode == 130, p.returncode
        assert _content(tmp_path / "demo") == ref, f"partial demo after {sig!r} at {delay:.2f}s"
        if sig != signal.SIGKILL:
            assert not litter(tmp_path), litter(tmp_path)
    # the next demo into the same folder completes and sweeps the SIGKILL orphans
    assert subprocess.run([*_exe(), "demo", "-o", "demo"], cwd=tmp_path).returncode == 0
    assert _content(tmp_path / "demo") == ref
    assert not litter(tmp_path), litter(tmp_path)


RACER = """
import multiprocessing as mp, sys, time
from reten.lifetime import die_with_parent as _die_with_parent

def child(path):
    _die_with_parent()
    open(path, "w").write("up")
    time.sleep(60)

if __name__ == "__main__":
    p = mp.get_context("spawn").Process(target=child, args=(sys.argv[1],))
    p.start()
    print(p.pid, flush=True)
    time.sleep(60)
"""


def test_a_racer_stops_when_its_parent_is_killed(tmp_path):
    # kill -9 of reten runs no clean-up in it: auto's racers must stop on their own (Linux's
    # parent-death signal) rather than solve on, orphaned, to their deadline
    psutil = pytest.importorskip("psutil")
    if not sys.platform.startswith("linux"):
        pytest.skip("the parent-death signal is Linux's")
    (tmp_path / "race.py").write_text(RACER)
    up = tmp_path / "up"
    proc = subprocess.Popen(
        [sys.executable, str(tmp_path / "race.py"), str(up)], stdout=subprocess.PIPE
    )
    child = psutil.Process(int(proc.stdout.readline()))
    t0 = time.monotonic()
    while not up.exists() and time.monotonic() - t0 < 30:
        time.sleep(0.05)
    assert up.exists() and child.is_running()
    proc.kill()
    proc.wait()
    gone, alive = psutil.wait_procs([child], timeout=5)
    for p in alive:
        p.kill()
    assert not alive


CUT = """
import os, signal, struct, sys
from multiprocessing.reduction import ForkingPickler
from reten.models.interdiction import portfolio

# racers whose work is cut as a killed reten leaves it: nothing sent, or a length header and
# part of the pickle (a big network is written in many pieces)
procs = []
for cut in ("nothing", "part"):
    proc, answer, out = portfolio._start_racer()
    procs.append(proc)
    print(proc.pid, flush=True)
    if cut == "part":
        buf = bytes(ForkingPickler.dumps(("decomposition", b"x" * 1_000_000)))
        os.write(out.fileno(), struct.pack("!i", len(buf)) + buf[:4096])
    if sys.argv[1] == "close":
        out.close()
if sys.argv[1] == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
print(*[p.wait(timeout=120) for p in procs], flush=True)
"""


@pytest.mark.parametrize("how", ["close", "kill"])
def test_a_racer_cut_off_while_starting_stops_quietly(tmp_path, how):
    """Breaker finding: reten killed while auto's racers were starting left a
    _pickle.UnpicklingError traceback of multiprocessing's bootstrap on the terminal. A racer
    whose work never arrives whole (the parent closed the pipe, or was killed) stops, with
    nothing on stderr; killed, it stops with its parent (tests/test_cli_kill.py above)."""
    psutil = pytest.importorskip("psutil")
    (tmp_path / "cut.py").write_text(CUT)
    err = tmp_path / "err.txt"
    with err.open("w") as e:
        proc = subprocess.Popen(
            [sys.executable, str(tmp_path / "cut.py"), how],
            stdout=subprocess.PIPE,
            stderr=e,
            text=True,
        )
        out, _ = proc.communicate(timeout=300)
    lines = out.split("\n")
    racers = []
    for pid in lines[:2]:
        with contextlib.suppress(psutil.NoSuchProcess):
            racers.append(psutil.Process(int(pid)))
    gone, alive = psutil.wait_procs(racers, timeout=60)
    for p in alive:
        p.kill()
    assert not alive
    if how == "close":
        assert proc.returncode == 0 and lines[2].split() == ["0", "0"], out
    else:
        assert proc.returncode == -signal.SIGKILL
    assert err.read_text() == ""


EARLY = """
import os, signal
from reten.models.interdiction import portfolio

proc, answer, out = portfolio._start_racer()
print(proc.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # at once: the racer is still importing reten
"""


def test_a_racer_stops_with_its_parent_even_while_importing(tmp_path):
    """Breaker finding: a parent killed while its racers were still importing reten (up to
    seconds) left them orphaned until the imports ended; the racer now asks for the
    parent-death signal before any import, so it stops at once."""
    psutil = pytest.importorskip("psutil")
    if not sys.platform.startswith("linux"):
        pytest.skip("the parent-death signal is Linux's")
    (tmp_path / "early.py").write_text(EARLY)
    proc = subprocess.Popen(
        [sys.executable, str(tmp_path / "early.py")], stdout=subprocess.PIPE, text=True
    )
    # not communicate(): the racer shares the pipe, and its end would come only with it
    pid = int(proc.stdout.readline())
    assert proc.wait(timeout=120) == -signal.SIGKILL
    try:
        racer = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return  # already gone
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:
        with contextlib.suppress(psutil.NoSuchProcess):
            if racer.status() != psutil.STATUS_ZOMBIE:  # a dead, unreaped racer is gone
                time.sleep(0.02)
                continue
        return
    racer.kill()
    raise AssertionError("the racer outlived its parent while importing")


LOADING = """
import builtins

real_import = builtins.__import__


def interrupted_import(name, *args, **kwargs):
    if name == "reten.cli":  # Ctrl-C while the CLI's modules load
        raise KeyboardInterrupt
    return real_import(name, *args, **kwargs)


builtins.__import__ = interrupted_import
from reten.entry import main

main()
"""


def test_ctrl_c_while_the_cli_loads_is_one_line(tmp_path):
    """Breaker finding: Ctrl-C in the first tenths of a second (NumPy, Rich loading) printed
    a traceback; the entry point guards the CLI's import."""
    (tmp_path / "loading.py").write_text(LOADING)
    r = subprocess.run(
        [sys.executable, str(tmp_path / "loading.py")], capture_output=True, text=True
    )
    assert r.returncode == 130
    assert r.stderr.strip().splitlines() == [
        "reten: interrupted (each output is either complete or untouched)"
    ]


@pytest.mark.parametrize("delay", [0.1, 0.25, 0.4, 0.6])
def test_ctrl_c_early_in_a_real_command_prints_no_traceback(tmp_path, delay):
    if not sys.platform.startswith("linux"):
        pytest.skip("POSIX signals")
    exe = Path(sys.executable).with_name("reten")
    if not exe.exists():
        pytest.skip("the reten console script is not installed beside this Python")
    proc = subprocess.Popen(
        [str(exe), "demo", "-o", str(tmp_path / "out")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert "Traceback" not in err, err
    assert not (tmp_path / "out").exists() or proc.returncode == 0
