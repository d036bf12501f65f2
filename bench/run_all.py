"""Run every benchmark side by side and write bench/RESULTS.md (with the machine noted)."""

from __future__ import annotations

import datetime
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
import bench_equilibrium  # noqa: E402
import bench_interdiction  # noqa: E402
import bench_network  # noqa: E402
import bench_routes  # noqa: E402
from common import machine  # noqa: E402

SECTIONS = [bench_network, bench_routes, bench_equilibrium, bench_interdiction]


def main() -> int:
    only = sys.argv[1:]
    parts = [
        "# Benchmarks",
        "",
        f"Machine: {machine()}. Written by `make bench` on "
        f"{datetime.date.today().isoformat()}; each row ran in the same script as its peer.",
        "",
    ]
    for mod in SECTIONS:
        if only and mod.__name__ not in only:
            continue
        print(f"running {mod.__name__} ...", flush=True)
        parts.append(mod.run())
        parts.append("")
    out = Path(__file__).with_name("RESULTS.md")
    out.write_text("\n".join(parts))
    print(out.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
