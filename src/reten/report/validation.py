"""Report and files of a validation: predicted region flows against observations."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from reten.analysis.validate import CAVEATS, scatter_svg
from reten.atomic import atomic_dir
from reten.report.exports import _csv, _prov_json
from reten.report.html import page, table

if TYPE_CHECKING:
    from reten.results import ValidationResult


def validation_report(v: ValidationResult) -> str:
    """Return the HTML page: the statistic, a scatter plot, the caveats and the regions."""
    s = v.summary
    r = v.raw
    body = [
        f"<p>Spearman rank correlation <b>{r.spearman:+.3f}</b> (95% bootstrap CI "
        f"{r.ci_low:+.3f} to {r.ci_high:+.3f}, {r.bootstrap} resamples; p = {r.p_value:.3g}) "
        f"over {r.n} regions.</p>",
        scatter_svg(
            r,
            f"predicted flow, kg/month ({s['level']})",
            f"observed {s['value_col']} ({s['agg']})",
        ),
        "<h2>What this can and cannot show</h2>",
        f"<p>{html.escape(CAVEATS)}</p>",
        "<h2>Regions</h2>",
        table(v.table, max_rows=60, floatfmt="{:,.3f}"),
    ]
    return page("Predictions against observations", f"{s['result']} vs {s['observed']}", body)


def write_validation_files(directory: Path, v: ValidationResult) -> None:
    """Write validation.html, validation.json and matched.csv into ``directory``."""
    (directory / "validation.html").write_text(validation_report(v), encoding="utf-8")
    (directory / "validation.json").write_text(_prov_json(dict(v.summary)), encoding="utf-8")
    _csv(v.table, directory / "matched.csv")


def write_validation(out: str | Path, v: ValidationResult) -> Path:
    """Write the validation files atomically into directory ``out``; return ``out``."""
    with atomic_dir(out) as tmp:
        write_validation_files(tmp, v)
    return Path(out)
