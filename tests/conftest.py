"""Shared fixtures: where the reference data lives, and skips when it is absent."""

from __future__ import annotations

import subprocess
import sys
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
def dcw_network():
    """The DCW national roads, 50 m snapping, with INEGI municipalities attached."""
    from reten.network.lines import from_lines
    from reten.network.regions import attach_regions, read_regions

    net = from_lines(need(MEXICO / "MEX_roads.shp"), snap_m=50)
    regs, polys = read_regions(
        need(MEXICO / "mx_admin_2020.gpkg"), layer="municipios", code="CVEGEO"
    )
    return attach_regions(net, regs, polys)
