"""Predictions against observations: rank correlation of region-level series.

Compares a run's predicted flow (or exposure) per region with any observed region-level
series (seizures, homicide rates, ...) by Spearman's rank correlation, with a percentile
bootstrap confidence interval over regions (Efron & Tibshirani 1993).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from reten.errors import InputError

CAVEATS = (
    "A rank correlation says whether regions that the model puts on trafficking routes also "
    "rank high on the observed series. It cannot show that trafficking causes the observed "
    "values (violence and seizures have many causes, and enforcement itself follows routes), "
    "it compares aggregates (an ecological comparison: nothing follows for places within a "
    "region), it depends on the scenario's assumed origins and volumes, and with few regions "
    "(32 states) its confidence interval is wide. Regions without predicted flow tie at the "
    "bottom of the ranking."
)

#: Why a rank correlation can be undefined: ``spearman_status`` and the one-line note.
NO_CORRELATION = {
    "constant_prediction": "the prediction is the same in every region (for a comparison: "
    "no region's flow changed): no rank correlation",
    "constant_observation": "the observed value is the same in every region: no rank correlation",
}


@dataclass(frozen=True)
class Validation:
    """The matched table and the statistics."""

    table: pd.DataFrame
    spearman: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    bootstrap: int
    seed: int
    unmatched_predicted: list[str]
    status: str = "ok"
    note: str | None = None

    def summary(self) -> dict[str, Any]:
        """Return a JSON-able summary."""
        return {
            "n_regions": self.n,
            "spearman": self.spearman,
            "spearman_status": self.status,
            "note": self.note,
            "ci95": [self.ci_low, self.ci_high],
            "p_value": self.p_value,
            "bootstrap_samples": self.bootstrap,
            "seed": self.seed,
            "predicted_regions_without_observation": self.unmatched_predicted,
            "caveats": CAVEATS,
        }


def _norm_codes(codes: pd.Series, width: int | None) -> pd.Series:
    c = codes.astype(str).str.strip()
    c = c.str.replace(r"\.0$", "", regex=True)
    if width:
        digits = c.str.fullmatch(r"\d+")
        c = c.where(~digits, c.str.zfill(width))
    return c


def check_result_dir(path: Path) -> None:
    """Raise InputError unless ``path`` is the folder of a run or a comparison.

    reten's marker names the kind of output (an optimisation or game folder holds a
    ``regions_delta.csv`` too, of another meaning); a folder without a marker is read when
    it holds ``regions.csv`` or ``regions_delta.csv`` and none of the files only another
    command writes.

    Raises
    ------
    InputError
        One line naming the folder and what it is instead.

    Examples
    --------
    >>> import tempfile
    >>> check_result_dir(Path(tempfile.mkdtemp()))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    reten.errors.InputError: ...: not a run or comparison directory (no regions.csv or ...
    """
    from reten.atomic import MARKER, OUTPUT_NAMES, read_marker

    want = "give the folder of `reten run -o` or `reten compare -o`"
    if not path.is_dir():
        raise InputError(f"{path}: not a run or comparison directory (no such folder); {want}")
    marker = read_marker(path)
    kind = marker["kind"] if marker else None
    if kind is None:
        names = set(os.listdir(path)) - {MARKER}
        others = names - OUTPUT_NAMES["run"] - OUTPUT_NAMES["compare"]
        kind = next(
            (
                k
                for k in ("optimize", "game", "validation", "network", "simulation", "sweep")
                if others & OUTPUT_NAMES[k]
            ),
            None,
        )
    if kind not in (None, "run", "compare"):
        raise InputError(
            f"{path}: not a run or comparison directory (a reten {kind} output); {want}"
        )
    if not (path / "regions.csv").is_file() and not (path / "regions_delta.csv").is_file():
        raise InputError(
            f"{path}: not a run or comparison directory (no regions.csv or "
            f"regions_delta.csv); {want}"
        )


def sniff_sep(path: str) -> str:
    """Return the delimiter of a text table: the most frequent of , | ; and tab in line one."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        head = fh.readline()
    return max([",", "|", ";", "\t"], key=head.count)


def refuse_data_file(path: str) -> None:
    """Raise InputError when ``path`` is a data file that is not a CSV table (a shapefile,
    GeoPackage, Parquet or Excel file...), naming what it is."""
    from reten.tabular import data_file_kind

    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    kind = data_file_kind(path, head)
    if kind is not None:
        raise InputError(
            f"{path}: {kind[0]}, not a CSV table; --observed takes a CSV table with a region "
            "code column and a value column: export or save it as CSV text"
        )


def read_observed(
    path: str, region_col: str, value_col: str, *, agg: str = "mean", where: str | None = None
) -> pd.DataFrame:
    """Return observed values aggregated to one row per region: columns region, observed."""
    if not os.path.isfile(path):
        raise InputError(f"{path}: file not found")
    refuse_data_file(path)
    try:
        with warnings.catch_warnings():  # pandas' DtypeWarning etc.: nothing for the user
            warnings.simplefilter("ignore")
            df = pd.read_csv(path, sep=sniff_sep(path), dtype={region_col: str}, low_memory=False)
    except Exception as exc:
        raise InputError(f"{path}: cannot read as CSV ({str(exc).splitlines()[0]})") from None
    for c in (region_col, value_col):
        if c not in df.columns:
            raise InputError(f"{path}: no column '{c}'; columns: {', '.join(map(str, df.columns))}")
    if where:
        try:
            df = df.query(where)
        except Exception as exc:
            cols = ", ".join(map(str, df.columns))
            raise InputError(
                f"{path}: where '{where}': not a valid row filter "
                f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}); "
                f"columns: {cols}; form: 'year >= 2007 and state == \"Sinaloa\"'"
            ) from None
        if df.empty:
            raise InputError(f"{path}: where '{where}' keeps no row")
    vals = pd.to_numeric(df[value_col], errors="coerce")
    if vals.isna().all():
        raise InputError(f"{path}: column '{value_col}' has no numbers")
    if agg not in ("mean", "sum", "median"):
        raise InputError(f"agg '{agg}' unknown; valid: mean, sum, median")
    out = (
        pd.DataFrame({"region": df[region_col].astype(str), "observed": vals})
        .dropna()
        .groupby("region", as_index=False)["observed"]
        .agg(agg)
    )
    return out


def validate(
    predicted: pd.DataFrame,
    observed: pd.DataFrame,
    *,
    bootstrap: int = 2000,
    seed: int = 0,
    where: str = "observed",
) -> Validation:
    """Return the Spearman correlation of predicted vs observed values by region.

    ``predicted`` has columns region, predicted; ``observed`` region, observed. Every
    observed region must match a predicted one (codes are compared as text, digits
    zero-padded to the predicted codes' width); otherwise InputError lists the unmatched.

    When the predicted (or observed) values are the same in every matched region, ranks
    carry no order and the correlation is undefined: ``spearman``, the interval and the
    p-value are NaN, ``status`` is ``"constant_prediction"`` (or
    ``"constant_observation"``) and ``note`` says why, in one line. A bootstrap resample
    that happens to draw one value only is left out of the interval. ``p_value`` is a
    two-sided permutation test of rho (``bootstrap`` seeded shuffles of the observed values
    against the predicted; every pairing, exactly, when there are no more).

    Examples
    --------
    >>> pred = pd.DataFrame({"region": ["01", "02", "03"], "predicted": [0.0, 0.0, 0.0]})
    >>> obs = pd.DataFrame({"region": ["01", "02", "03"], "observed": [1.0, 3.0, 2.0]})
    >>> v = validate(pred, obs, bootstrap=20)
    >>> v.status, v.spearman
    ('constant_prediction', nan)
    """
    width = int(predicted.region.astype(str).str.len().max()) if len(predicted) else None
    pred = predicted.assign(region=_norm_codes(predicted.region, None))
    obs = observed.assign(region=_norm_codes(observed.region, width))
    unmatched = sorted(set(obs.region) - set(pred.region))
    if unmatched:
        shown = ", ".join(unmatched[:30]) + (" ..." if len(unmatched) > 30 else "")
        raise InputError(
            f"{where}: {len(unmatched)} region code(s) match no predicted region: {shown}; "
            f"predicted codes look like {', '.join(sorted(pred.region)[:3])}"
        )
    table = pred.merge(obs, on="region", how="inner")
    if len(table) < 3:
        raise InputError(f"{where}: only {len(table)} matched region(s); need at least 3")
    x, y = table.predicted.to_numpy(float), table.observed.to_numpy(float)
    status = (
        "constant_prediction"
        if np.ptp(x) == 0
        else ("constant_observation" if np.ptp(y) == 0 else "ok")
    )
    rho = p = lo = hi = float("nan")
    if status == "ok":
        rho = stats.spearmanr(x, y)[0]
        rng = np.random.default_rng(seed)
        p = _permutation_p(x, y, bootstrap, rng)
        idx = rng.integers(0, len(x), size=(bootstrap, len(x)))
        rx = np.apply_along_axis(stats.rankdata, 1, x[idx])
        ry = np.apply_along_axis(stats.rankdata, 1, y[idx])
        rx -= rx.mean(axis=1, keepdims=True)
        ry -= ry.mean(axis=1, keepdims=True)
        den = np.sqrt((rx**2).sum(axis=1) * (ry**2).sum(axis=1))
        boot = np.divide((rx * ry).sum(axis=1), den, out=np.full(bootstrap, np.nan), where=den > 0)
        boot = boot[np.isfinite(boot)]  # a resample of one value has no ranks to correlate
        if boot.size:
            lo, hi = np.percentile(boot, [2.5, 97.5])
    return Validation(
        table=table.sort_values("predicted", ascending=False, kind="stable").reset_index(drop=True),
        spearman=float(rho),
        ci_low=float(lo),
        ci_high=float(hi),
        p_value=float(p),
        n=len(table),
        bootstrap=bootstrap,
        seed=seed,
        unmatched_predicted=sorted(set(pred.region) - set(obs.region)),
        status=status,
        note=NO_CORRELATION.get(status),
    )


def _spearman(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """Spearman's rho along ``axis`` (vectorised over resamples)."""
    rx = stats.rankdata(x, axis=axis)
    ry = stats.rankdata(y, axis=axis)
    rx = rx - rx.mean(axis=axis, keepdims=True)
    ry = ry - ry.mean(axis=axis, keepdims=True)
    den = np.sqrt((rx**2).sum(axis=axis) * (ry**2).sum(axis=axis))
    return (rx * ry).sum(axis=axis) / den


def _permutation_p(x: np.ndarray, y: np.ndarray, draws: int, rng: np.random.Generator) -> float:
    """Two-sided permutation p-value of Spearman's rho: the share of pairings of ``x`` with
    a shuffled ``y`` whose |rho| is at least the observed one (``draws`` seeded shuffles;
    every pairing, exactly, when there are no more than ``draws`` of them)."""
    res = stats.permutation_test(
        (x,),  # one sample: its n! orders are the pairings with ``y``
        lambda a, axis=-1: np.abs(_spearman(a, np.broadcast_to(y, a.shape), axis)),
        permutation_type="pairings",
        vectorized=True,
        n_resamples=max(int(draws), 1),
        alternative="greater",
        random_state=rng,
    )
    return float(res.pvalue)


def scatter_svg(v: Validation, xlabel: str, ylabel: str) -> str:
    """Return an SVG scatter plot of observed against predicted values (ranks on hover)."""
    import html

    x, y = v.table.predicted.to_numpy(float), v.table.observed.to_numpy(float)
    w, h, pad = 640.0, 420.0, 50.0

    def scale(a: np.ndarray, lo: float, hi: float) -> np.ndarray:
        span = a.max() - a.min()
        return lo + (a - a.min()) / span * (hi - lo) if span > 0 else np.full(a.size, (lo + hi) / 2)

    px, py = scale(x, pad, w - 10), scale(y, h - pad, 10)
    pts = "".join(
        f'<circle class="pt" cx="{a:.1f}" cy="{b:.1f}" r="4" fill="#1a5276" fill-opacity="0.7">'
        f"<title>{html.escape(str(r))}: predicted {xv:,.1f}, observed {yv:,.2f}</title></circle>"
        for a, b, r, xv, yv in zip(px, py, v.table.region, x, y, strict=True)
    )
    return (
        f'<svg class="chart scatter" viewBox="0 0 {w:.0f} {h:.0f}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg"><rect width="100%" height="100%" fill="#fff"/>'
        f'<line x1="{pad}" y1="{h - pad}" x2="{w - 10}" y2="{h - pad}" stroke="#555"/>'
        f'<line x1="{pad}" y1="10" x2="{pad}" y2="{h - pad}" stroke="#555"/>'
        f'<text x="{w / 2:.0f}" y="{h - 12:.0f}" font-size="12" text-anchor="middle">'
        f"{html.escape(xlabel)}</text>"
        f'<text x="14" y="{h / 2:.0f}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 14 {h / 2:.0f})">{html.escape(ylabel)}</text>{pts}</svg>'
    )
