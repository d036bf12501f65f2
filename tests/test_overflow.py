"""Huge cost magnitudes: every run ends in finite figures or one InputError, never a warning.

The oracle is float64 itself: a scenario whose costs, risk or congestion curve can overflow
is refused up front (naming the setting), and one that is accepted gives finite totals.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reten
from reten.errors import InputError

NET = reten.load_network("default")


def scenario(per_km: float, risk: float, delta: float, cap: float | None) -> dict:
    d: dict = {
        "name": "overflow",
        "risk_weight": risk,
        "network": {"default": True},
        "origins": [
            {"municipality": "Culiacán", "volume_kg": 400},
            {"municipality": "Tamazula, Durango", "volume_kg": 100},
        ],
        "costs": {"mode": "generalized", "per_km": per_km},
        "enforcement": [
            {"type": "crackdown", "label": "surge", "regions": ["Sinaloa"], "p_detect": 0.2}
        ],
    }
    if cap is not None:
        d["congestion"] = {"crossing_capacity_kg": cap, "delta": delta}
    return d


@given(
    per_km=st.sampled_from([0.5, 1e100, 1e200, 1e300, 1e308]),
    risk=st.sampled_from([0.0, 2000.0, 1e150, 1e300, 1e308]),
    delta=st.sampled_from([1.0, 4.0, 50.0, 1000.0]),
    cap=st.sampled_from([None, 1e-3, 50.0, 1e6]),
)
@settings(max_examples=40, deadline=None)
def test_huge_magnitudes_finite_or_one_input_error(per_km, risk, delta, cap):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            res = reten.run(scenario(per_km, risk, delta, cap), NET)
        except InputError as e:
            msg = str(e)
            assert "\n" not in msg
            assert any(k in msg for k in ("per_km", "risk_weight", "delta")), msg
            return
    flows = res.crossings["flow_kg"].to_numpy(float)
    assert np.isfinite(flows).all() and 0 < flows.sum() <= 500.0 + 1e-6
    for k, v in res.summary.items():
        if isinstance(v, float):
            assert np.isfinite(v), (k, v)


def test_realistic_settings_still_run():
    res = reten.run(scenario(0.5, 2000.0, 4.0, 50.0), NET)
    assert 0 < res.crossings["flow_kg"].sum() <= 500.0 + 1e-6


def test_overflowing_congestion_curve_is_refused():
    with pytest.raises(InputError, match="delta = 1000"):
        reten.run(scenario(0.5, 2000.0, 1000.0, 1e-3), NET)


def test_uncongested_run_with_huge_delta_has_no_nan():
    # no capacity: delta is unused and must not turn 0 * inf into NaN costs
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        res = reten.run({**scenario(0.5, 2000.0, 1000.0, None), "congestion": {"delta": 1000}}, NET)
    assert 0 < res.crossings["flow_kg"].sum() <= 500.0 + 1e-6


def test_overflowing_curve_in_a_file_names_the_file_and_line(tmp_path):
    """The refusal named no file or line (it came from the model, after resolution): a user
    with several scenarios could not tell which one. Now FILE:LINE: congestion.alpha."""
    from clikit import assert_one_line_error, call

    f = tmp_path / "jam.toml"
    f.write_text(
        'name = "jam"\n[network]\ndefault = true\n[[origins]]\nmunicipality = "Culiacán"\n'
        "volume_kg = 400\n\n[congestion]\nalpha = 1e12\ndelta = 1000\n"
        "crossing_capacity_kg = 1e-6\n",
        encoding="utf-8",
    )
    r = call("run", str(f), "-o", str(tmp_path / "out"))
    line = assert_one_line_error(r, "jam.toml:9:", "congestion.alpha", "delta = 1000")
    assert "capacit" in line
    assert not (tmp_path / "out").exists()
