"""NarcoLogic's finding on the embedded network: the slope of the footprint on interdiction.

Runs ``bench/narcologic_grid.toml`` with :func:`reten.sweep.sweep` (resumable: a rerun reuses
finished tasks), then regresses each run's footprint (mean active municipalities over months
60-179) on the number of defender units: the OLS slope with its t-interval, and a bootstrap
interval resampling runs within each level. Prints a Markdown summary.

    python bench/narcologic.py [--workers 2] [--out bench/out/narcologic]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

HERE = Path(__file__).resolve().parent


def fit(runs: pd.DataFrame, x: str, y: str, *, boot: int = 4000, seed: int = 0) -> dict:
    """OLS slope of ``y`` on ``x`` with a 95% t-interval and a 95% bootstrap interval."""
    res = stats.linregress(runs[x], runs[y])
    t = stats.t.ppf(0.975, len(runs) - 2)
    rng = np.random.default_rng(seed)
    groups = [g[y].to_numpy() for _, g in runs.groupby(x)]
    levels = np.array(sorted(runs[x].unique()), dtype=float)
    slopes = np.empty(boot)
    for b in range(boot):
        ys = [rng.choice(g, g.size) for g in groups]
        xs = np.concatenate([np.full(g.size, lv) for g, lv in zip(ys, levels, strict=True)])
        slopes[b] = np.polyfit(xs, np.concatenate(ys), 1)[0]
    return {
        "slope": res.slope,
        "ols_lo": res.slope - t * res.stderr,
        "ols_hi": res.slope + t * res.stderr,
        "boot_lo": float(np.quantile(slopes, 0.025)),
        "boot_hi": float(np.quantile(slopes, 0.975)),
        "r2": res.rvalue**2,
        "n": len(runs),
    }


def markdown(df: pd.DataFrame) -> str:
    """A Markdown table of ``df`` (index included), floats to three decimals."""
    cols = [df.index.name or "", *df.columns]
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for idx in df.index:
        cells = [
            f"{df.at[idx, c]:.3f}" if df[c].dtype.kind == "f" else str(df.at[idx, c])
            for c in df.columns
        ]
        lines.append("| " + " | ".join([str(idx), *cells]) + " |")
    return "\n".join(lines)


def main() -> None:
    from reten.sweep import sweep

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default=str(HERE / "out" / "narcologic"))
    ap.add_argument("--burn-in", type=int, default=60)
    ap.add_argument("--ablation", action="store_true", help="also run without fragmentation")
    a = ap.parse_args()
    res = sweep(HERE / "narcologic_grid.toml", a.out, workers=a.workers, progress=True)
    df = res.table
    late = df[df.month >= a.burn_in]
    runs = late.groupby(["units", "seed", "run"], as_index=False).agg(
        footprint=("active_regions", "mean"),
        new_regions=("new_regions", "mean"),
        seized_share=("seized_kg", "sum"),
        volume=("volume_kg", "sum"),
        routes=("routes_per_lab", "mean"),
    )
    runs["seized_share"] = runs.seized_share / runs.volume
    month0 = df[df.month == 0].groupby("units").active_regions.mean()
    table = runs.groupby("units").agg(
        runs=("footprint", "size"),
        footprint=("footprint", "mean"),
        footprint_sd=("footprint", "std"),
        new_regions=("new_regions", "mean"),
        seized_share=("seized_share", "mean"),
        routes_per_lab=("routes", "mean"),
    )
    table.insert(1, "footprint_month0", month0)
    print(f"sweep: {res}")
    print(markdown(table))
    for y in ("footprint", "new_regions"):
        f = fit(runs, "units", y)
        print(
            f"\n{y} on units: slope {f['slope']:.4f} per unit, 95% OLS CI "
            f"[{f['ols_lo']:.4f}, {f['ols_hi']:.4f}], 95% bootstrap CI "
            f"[{f['boot_lo']:.4f}, {f['boot_hi']:.4f}], R^2 {f['r2']:.3f}, n = {f['n']} runs"
        )
    lo = runs[runs.units <= 10]
    f = fit(lo, "units", "footprint")
    print(
        f"\nfootprint on units, 0-10 units only: slope {f['slope']:.4f} "
        f"[{f['boot_lo']:.4f}, {f['boot_hi']:.4f}] (bootstrap 95%)"
    )
    levels = sorted(runs.units.unique())
    rng = np.random.default_rng(1)
    print("\nfootprint change between consecutive levels (bootstrap 95% CI):")
    for a_, b_ in zip(levels[:-1], levels[1:], strict=True):
        ya = runs[runs.units == a_].footprint.to_numpy()
        yb = runs[runs.units == b_].footprint.to_numpy()
        d = [rng.choice(yb, yb.size).mean() - rng.choice(ya, ya.size).mean() for _ in range(4000)]
        print(
            f"  {a_} -> {b_} units: {yb.mean() - ya.mean():+.2f} "
            f"[{np.quantile(d, 0.025):+.2f}, {np.quantile(d, 0.975):+.2f}]"
        )
    if a.ablation:
        ablation(levels, a.burn_in)


def ablation(levels: list[int], burn_in: int, runs: int = 10, months: int = 120) -> None:
    """The same sweep without fragmentation (max_routes 1): how much is due to splitting?"""
    from reten.models.dynamics import DynamicsParams
    from reten.sweep.simulate import prepare, simulate_problem

    _, net, prob = prepare(HERE.parent / "src/reten/data/demo/baseline.toml")
    print(f"\nablation, no fragmentation (max_routes = 1), {runs} runs x {months} months:")
    for u in levels:
        for mr in (1, 4):
            df = simulate_problem(
                net,
                prob,
                months=months,
                runs=runs,
                seed=2019,
                policy="reactive",
                params=DynamicsParams(units=int(u), max_routes=mr),
                workers=2,
            )
            late = df[df.month >= burn_in].groupby("run").active_regions.mean()
            print(
                f"  units {u:>3}, max_routes {mr}: footprint {late.mean():.2f} "
                f"(sd {late.std():.2f})"
            )


if __name__ == "__main__":
    main()
