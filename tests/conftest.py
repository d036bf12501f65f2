"""Shared fixtures: where the reference data lives, and skips when it is absent."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import settings

# the same examples on every run: CI results do not depend on the day's random draw
settings.register_profile("reten", derandomize=True, print_blob=True)
settings.load_profile("reten")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
MEXICO = SHARED / "mexico"
OSM = SHARED / "osm"


# A test module whose source has one of these runs on one xdist worker (see below).
_TOGETHER = re.compile(r"""scope\s*=\s*["'](module|package|session)["']|xdist_group""")


@functools.cache
def _together(path: Path) -> bool:
    try:
        return _TOGETHER.search(path.read_text(encoding="utf-8")) is not None
    except OSError:
        return False


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``make test`` (``pytest -n 2``, ``--dist loadgroup`` from pyproject.toml): which tests
    go to which of the two worker processes.

    Each test is sent on its own to whichever worker is free, except that all tests of a
    module that defines a module-scoped fixture (a demo run, a browser, a Dask cluster, a
    fuzz template: built once per worker that runs the module) or sets ``xdist_group``
    (test_cli_kill: its tests time reten and must not overlap) go to one worker, as one unit.
    Units of several tests are handed out first, then single tests fill both workers to the end.

    This is what ``--dist loadgroup`` means, done here because pytest-xdist 3.8 cannot do it
    under pytest 9.2 (it marks a group by rewriting the test's node id, which pytest 9.2 no
    longer reads: pytest-xdist issue 1386); any other ``--dist`` is left to pytest-xdist.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    root = config.rootpath

    class ModuleOrTest(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return path if _together(root / path) else nodeid

    return ModuleOrTest(config, log)


def need(path: Path) -> Path:
    """Return ``path``, skipping the test with a clear reason when it does not exist."""
    if not path.exists():
        pytest.skip(f"reference data {path} is absent (see ../shared/data/README.md)")
    return path


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m reten ARGS`` and return the completed process (text output)."""
    return subprocess.run(
        [sys.executable, "-m", "reten", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


@pytest.fixture(scope="session")
def demo_output(tmp_path_factory):
    """``reten demo`` run once (a real process) per test process: (folder, seconds taken).

    Read-only for the tests that use it; a test that writes over a demo copies it first.
    """
    out = tmp_path_factory.mktemp("demo-output") / "demo"
    t = time.perf_counter()
    proc = run_cli("demo", "-o", str(out))
    seconds = time.perf_counter() - t
    assert proc.returncode == 0, proc.stderr
    return out, seconds


@pytest.fixture(scope="session")
def dcw_network():
    """The DCW national roads, 50 m snapping, with INEGI municipalities attached."""
    from reten.network.lines import from_lines
    from reten.network.regions import attach_regions, read_regions

    net = from_lines(need(MEXICO / "MEX_roads.shp"), snap_m=50)
    regs, polys = read_regions(
        need(MEXICO / "mx_admin_2020.gpkg"), layer="municipios", code="CVEGEO"
    )
    return attach_regions(net, regs, polys)
