"""Seizure accounting: expected kg, potentially lethal doses, shares by crossing."""

from __future__ import annotations

from typing import Any

import numpy as np

from reten.models.routes import RouteResult

DOSE_SOURCE = (
    "US DEA, 'Facts about Fentanyl' (dea.gov/resources/facts-about-fentanyl): two milligrams "
    "of fentanyl is considered a potentially lethal dose."
)


def seizure_summary(r: RouteResult) -> dict[str, Any]:
    """Return expected seizures (kg/month), lethal doses, and per-crossing flow/seizure shares."""
    vol = r.crossing_flow_kg
    total = float(vol.sum())
    seized = r.crossing_seized_kg
    return {
        "volume_kg": r.total_volume_kg,
        "seized_kg": r.total_seized_kg,
        "seized_share": r.total_seized_kg / r.total_volume_kg if r.total_volume_kg else 0.0,
        "lethal_doses": r.lethal_doses(),
        "dose_mg": r.problem.dose_mg,
        "purity": r.problem.purity,
        "dose_source": DOSE_SOURCE,
        "crossings": [
            {
                "crossing": str(r.problem.sink_label[i]),
                "flow_kg": float(vol[i]),
                "share": float(vol[i] / total) if total else 0.0,
                "seized_kg": float(seized[i]),
                "seized_share": float(seized[i] / seized.sum()) if seized.sum() else 0.0,
            }
            for i in np.argsort(-vol, kind="stable")
        ],
    }
