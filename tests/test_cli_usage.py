"""Usage mistakes, --version and unexpected errors, through the installed `reten` executable."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reten import __version__


def reten_exe() -> str:
    """Return the `reten` console script installed beside this Python (the venv's)."""
    exe = Path(sys.executable).with_name("reten")
    if exe.is_file():
        return str(exe)
    found = shutil.which("reten")
    if found is None:
        pytest.skip("the reten console script is not installed (pip install -e .)")
    return found


def reten(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed `reten` executable and return the completed process."""
    return subprocess.run(
        [reten_exe(), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def assert_usage_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Assert exit 2, one stderr line, no traceback, and return that line."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


EDGES = "source,target,length_m\na,b,1000\n"


@pytest.mark.parametrize(
    "args,needles",
    [
        (["network", "build", "--edges", "e.csv"], ["-o", "usage: reten network build"]),
        (["network", "build", "--edges", "e.csv", "--snap-m", "abc", "-o", "n"], ["--snap-m"]),
        (["run"], ["Missing argument 'SCENARIO'", "usage: reten run [OPTIONS] SCENARIO"]),
        (["frobnicate"], ["frobnicate"]),
        (["run", "s.toml", "-o", "x", "--ouy"], ["--ouy"]),
        (["network", "buld"], ["buld"]),
        (["optimize", "s.toml", "-o", "x", "--budget"], ["--budget"]),
        (["optimize", "s.toml", "-o", "x", "--budget", "two"], ["--budget"]),
        (["network", "export", "--default", "-o", "x.json", "--format", "xml"], ["--format"]),
        (["run", "s.toml", "-o", "x", "--basemap"], ["--basemap"]),
        (["demo", "extra-argument"], ["extra-argument"]),
        (["--nope"], ["--nope"]),
    ],
)
def test_usage_mistakes_exit_2_with_one_line(tmp_path, args, needles):
    (tmp_path / "e.csv").write_text(EDGES)
    proc = reten(*args, cwd=tmp_path)
    line = assert_usage_error(proc, *needles)
    assert line.startswith("reten: error:")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.csv"], "a usage error wrote files"


def test_version():
    proc = reten("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"reten {__version__}"


def test_bare_reten_shows_help():
    proc = reten()
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    shown = proc.stdout + proc.stderr
    assert "network" in shown and "run" in shown


def test_unexpected_error_is_one_line_and_debug_shows_traceback(tmp_path):
    # a network directory whose meta.json is JSON but whose counts are not numbers reaches
    # code that does not expect it; any unexpected exception must end in one line, exit 1
    code = (
        "import sys\n"
        "import reten.cli as c\n"
        "@c.app.command('boom')\n"
        "def boom() -> None:\n"
        "    raise RuntimeError('kaboom\\nsecond line')\n"
        "c.main(sys.argv[1:])\n"
    )
    script = tmp_path / "boom.py"
    script.write_text(code)
    proc = subprocess.run(
        [sys.executable, str(script), "boom"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "RuntimeError: kaboom second line" in lines[0] and "--debug" in lines[0]
    dbg = subprocess.run(
        [sys.executable, str(script), "--debug", "boom"], capture_output=True, text=True
    )
    assert dbg.returncode == 1 and "Traceback" in dbg.stderr and "kaboom" in dbg.stderr
    env = subprocess.run(
        [sys.executable, str(script), "boom"],
        capture_output=True,
        text=True,
        env={**os.environ, "RETEN_DEBUG": "1"},
    )
    assert env.returncode == 1 and "Traceback" in env.stderr


@pytest.mark.parametrize("command", [[], ["run"], ["optimize"], ["network", "build"]])
def test_help_shows_flags_without_a_value_tag(command: list[str]) -> None:
    """A flag takes no value: its help line must not read like '--overwrite <bool>'."""
    out = reten(*command, "--help", env={"COLUMNS": "100"})
    assert out.returncode == 0, out.stderr
    assert "--help" in out.stdout
    assert "<bool>" not in out.stdout and "BOOLEAN" not in out.stdout


@pytest.mark.parametrize("closed", [1, 2])
def test_a_closed_standard_stream_is_not_an_error(tmp_path, closed):
    # breaker, stop 22: 'reten game ... >&-' ended "unexpected error: AttributeError:
    # 'NoneType' object has no attribute 'flush'" with exit 1
    import os
    import subprocess
    import sys

    demo = Path(__file__).resolve().parents[1] / "src" / "reten" / "data" / "demo"
    out = tmp_path / "o"
    proc = subprocess.run(
        [sys.executable, "-m", "reten", "run", str(demo / "baseline.toml"), "-o", str(out)],
        preexec_fn=lambda: os.close(closed),
        capture_output=False,
        stdout=subprocess.DEVNULL if closed == 2 else None,
        stderr=subprocess.DEVNULL if closed == 1 else None,
        timeout=300,
    )
    assert proc.returncode == 0 and (out / "report.html").exists()


def test_a_reader_that_stops_reading_the_answer_is_not_an_error(tmp_path):
    # re-check, stop 22: 'reten game ... --json | head -c 10' exited 1 with nothing said
    # (click's handling of a broken pipe), though every output was written
    import subprocess
    import sys

    demo = Path(__file__).resolve().parents[1] / "src" / "reten" / "data" / "demo"
    out = tmp_path / "g"
    cmd = [sys.executable, "-m", "reten", "game", str(demo / "baseline.toml")]
    cmd += ["--checkpoints", "1", "--sites", "crossings", "--json", "-o", str(out)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout is not None and p.stderr is not None
    p.stdout.close()  # the reader is gone before the answer is printed
    err = p.stderr.read().decode()
    assert p.wait(timeout=600) == 0, err
    assert "Traceback" not in err and (out / "result.json").exists()


def test_a_seed_json_cannot_hold_exactly_is_refused_everywhere(tmp_path):
    # breaker, stop 22: --seed 99999999999999999999999 was written to JSON as an integer
    # above 2**53, which many JSON readers round
    import reten
    from conftest import run_cli
    from reten.errors import InputError

    big = 2**53
    demo = Path(__file__).resolve().parents[1] / "src" / "reten" / "data" / "demo"
    for cmd in (["game", str(demo / "baseline.toml"), "--checkpoints", "1"],
                ["simulate", str(demo / "baseline.toml")]):  # fmt: skip
        proc = run_cli(*cmd, "--seed", str(big), "-o", str(tmp_path / "o"))
        assert proc.returncode == 2 and "9007199254740991" in proc.stderr, proc.stderr
    sc = tmp_path / "s.toml"
    sc.write_text(f'seed = {big}\n[[origins]]\nstate = "Sinaloa"\nvolume_kg = 1\n')
    proc = run_cli("run", str(sc), "-o", str(tmp_path / "r"))
    assert proc.returncode == 2 and "[0, 9007199254740991]" in proc.stderr, proc.stderr
    base = reten.Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": 1}]})
    with pytest.raises(InputError, match="seed"):
        reten.game(base, checkpoints=1, seed=big)
    g = tmp_path / "g.toml"
    g.write_text(
        f'[sweep]\nscenario = "{demo / "baseline.toml"}"\nmonths = 2\nruns = 1\nseed = {big}\n'
    )
    with pytest.raises(InputError, match="<= 9007199254740991"):
        reten.sweep(g, tmp_path / "sw")
    assert not (tmp_path / "o").exists() and not (tmp_path / "sw").exists()
