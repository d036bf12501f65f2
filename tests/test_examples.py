"""The analyst's notebook (examples/) and every code block of docs/python.md run."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import matplotlib
import pandas as pd

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]


def test_notebook_executes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RETEN_NETWORK", raising=False)
    ns = runpy.run_path(str(ROOT / "examples" / "analyst_walkthrough.py"))
    sweep = ns["sweep"]
    assert isinstance(sweep, pd.DataFrame) and len(sweep) == 5
    # a stronger crackdown never lowers the traffickers' total cost
    assert sweep.total_cost.is_monotonic_increasing
    assert ns["cmp"].totals["cost_increase"] > 0
    assert len(ns["opt"].sites) >= 1


def test_docs_python_code_blocks_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no out/mexico_national here: the default network
    text = (ROOT / "docs" / "python.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 8
    ns: dict = {}
    for code in blocks:
        exec(compile(code, "docs/python.md", "exec"), ns)
    assert ns["back"].regions.equals(ns["surge"].regions)
    assert ns["opt"].lower_bound <= ns["opt"].upper_bound + 1e-6


def test_readme_python_example_runs(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    ns: dict = {}
    exec(compile(code, "README.md", "exec"), ns)
    assert ns["opt"].lower_bound <= ns["opt"].upper_bound + 1e-6
    assert len(ns["cmp"].regions)
