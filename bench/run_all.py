"""Run the side-by-side benchmarks and write bench/RESULTS.md (with the machine noted).

``python bench/run_all.py`` runs every section; ``python bench/run_all.py bench_routes``
re-runs the named sections and replaces only them in the existing RESULTS.md.
"""

from __future__ import annotations

import datetime
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
import bench_certificate  # noqa: E402
import bench_dynamics  # noqa: E402
import bench_equilibrium  # noqa: E402
import bench_game  # noqa: E402
import bench_grid_long  # noqa: E402
import bench_interdiction  # noqa: E402
import bench_network  # noqa: E402
import bench_routes  # noqa: E402
from common import machine  # noqa: E402

SECTIONS = [
    bench_network,
    bench_routes,
    bench_equilibrium,
    bench_interdiction,
    bench_grid_long,
    bench_certificate,
    bench_dynamics,
    bench_game,
]
# bench_osm_scale.py (country-scale OSM, ~25 min with its 50 M-reference PBF) runs on its own:
# python bench/bench_osm_scale.py


def _split(text: str) -> list[str]:
    """Split a results file into its '## ' sections (the preamble is dropped)."""
    parts = re.split(r"(?m)^(?=## )", text)
    return [p.rstrip() + "\n" for p in parts if p.startswith("## ")]


def main() -> int:
    only = sys.argv[1:]
    out = Path(__file__).with_name("RESULTS.md")
    old = {s.splitlines()[0]: s for s in _split(out.read_text())} if out.exists() else {}
    new: dict[str, str] = {}
    for mod in SECTIONS:
        if only and mod.__name__ not in only:
            continue
        print(f"running {mod.__name__} ...", flush=True)
        text = mod.run().rstrip() + "\n"
        new[text.splitlines()[0]] = text
    merged = {**old, **new}
    order = list(old) + [h for h in new if h not in old]
    preamble = [
        "# Benchmarks",
        "",
        f"Machine: {machine()}. Last written by `make bench` on "
        f"{datetime.date.today().isoformat()}; each row ran in the same script as its peer.",
        "",
    ]
    out.write_text("\n".join(preamble) + "\n".join(merged[h] for h in order))
    print(out.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
