"""Validation of a comparison's changes against observed changes (Dell 2015), on planted data."""

from __future__ import annotations

import numpy as np
import pytest

import reten
from conftest import run_cli
from reten.errors import InputError


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    net = reten.load_network("default")
    origins = [
        {"municipality": m, "volume_kg": v}
        for m, v in [("Culiacán", 400), ("Badiraguato", 200), ("Tamazula, Durango", 100)]
    ]
    base = reten.run(reten.Scenario.from_dict({"name": "base", "origins": origins}), net)
    surge = reten.run(
        reten.Scenario.from_dict(
            {
                "name": "surge",
                "origins": origins,
                "enforcement": [
                    {"type": "crackdown", "regions": ["Sinaloa"], "cost_multiplier": 1.5}
                ],
            }
        ),
        net,
    )
    cmp = reten.compare(base, surge)
    out = tmp_path_factory.mktemp("cmp") / "cmp"
    cmp.write(out)
    return cmp, out


def _observed(path, cmp, *, planted: bool, seed: int = 0):
    """Monthly counts per municipality, 2000-2013; after 2007 they move with the change."""
    rng = np.random.default_rng(seed)
    reg = cmp.regions[cmp.regions.level == "municipality"]
    lines = ["cvegeo,year,month,homicides"]
    for code, d in zip(reg.region, reg.delta_kg, strict=True):
        level = rng.uniform(5, 50)
        for year in range(2000, 2014):
            for month in (1, 6):
                shift = 0.1 * d if (planted and year >= 2007) else 0.0
                v = max(level + shift + rng.normal(0, 1), 0)
                lines.append(f"{code},{year},{month},{v:.3f}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_planted_change_is_recovered(comparison, tmp_path):
    cmp, out = comparison
    obs = _observed(tmp_path / "planted.csv", cmp, planted=True)
    kw = dict(region_col="cvegeo", value_col="homicides", level="municipality", bootstrap=200)
    v = reten.validate(cmp, obs, change="year >= 2007", baseline="year < 2007", **kw)
    assert v.n >= 10 and v.spearman > 0.6 and v.p_value < 0.05
    # the same from the comparison directory
    w = reten.validate(out, obs, change="year >= 2007", baseline="year < 2007", **kw)
    assert np.isclose(w.spearman, v.spearman)
    # without the change/baseline split the levels (noise) dominate: no association
    lv = reten.validate(cmp, obs, **kw)
    assert abs(lv.spearman) < v.spearman
    # unrelated changes: no association found
    null = _observed(tmp_path / "null.csv", cmp, planted=False, seed=1)
    u = reten.validate(cmp, null, change="year >= 2007", baseline="year < 2007", **kw)
    assert u.p_value > 0.05
    with pytest.raises(InputError, match="both change and baseline"):
        reten.validate(cmp, obs, change="year >= 2007", **kw)


def test_cli_validates_a_comparison_directory(comparison, tmp_path):
    cmp, out = comparison
    obs = _observed(tmp_path / "planted.csv", cmp, planted=True)
    p = run_cli(
        "validate",
        str(out),
        "--observed",
        str(obs),
        "--region-col",
        "cvegeo",
        "--value-col",
        "homicides",
        "--level",
        "municipality",
        "--change",
        "year >= 2007",
        "--baseline",
        "year < 2007",
        "--bootstrap",
        "100",
        "-o",
        str(tmp_path / "v"),
    )
    assert p.returncode == 0, p.stderr
    text = (tmp_path / "v" / "validation.html").read_text()
    assert 'id="assumptions"' in text and "year &gt;= 2007" in text
