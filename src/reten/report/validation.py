"""Report and files of a validation: predicted region flows against observations."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from reten.analysis.validate import CAVEATS
from reten.atomic import atomic_dir
from reten.report.exports import _prov_json, write_csv
from reten.report.html import page, table

if TYPE_CHECKING:
    from reten.results import ValidationResult


def scatter(v: ValidationResult, x_label: str, y_label: str) -> str:
    """Return an interactive scatter (Bokeh): axes with ticks, hover and the top names."""
    import pandas as pd
    from bokeh.models import ColumnDataSource, HoverTool
    from bokeh.plotting import figure

    from reten.report.maps import embed, label_layer

    t = v.table
    names = ["" if pd.isna(n) else str(n) for n in t.get("name", t.region)]
    src = ColumnDataSource(
        {
            "x": t.predicted.to_numpy(float),
            "y": t.observed.to_numpy(float),
            "name": [n or c for n, c in zip(names, t.region.astype(str), strict=True)],
            "region": t.region.astype(str).tolist(),
        }
    )
    fig = figure(
        width=760,
        height=480,
        tools="pan,wheel_zoom,box_zoom,reset,save",
        x_axis_label=x_label,
        y_axis_label=y_label,
        sizing_mode="scale_width",
        name="chart",
    )
    r = fig.scatter("x", "y", source=src, size=8, fill_color="#1a5276", fill_alpha=0.7)
    fig.add_tools(
        HoverTool(
            renderers=[r],
            tooltips=[
                ("region", "@name (@region)"),
                ("predicted", "@x{0,0.0}"),
                ("observed", "@y{0,0.00}"),
            ],
        )
    )
    # name the regions that matter most (the largest predicted and observed changes, then
    # the rest by |observed|), placed so that none overlaps another; a region without a
    # name is named by its code
    order = list(
        dict.fromkeys(
            [
                *t.predicted.abs().nlargest(8).index,
                *t.observed.abs().nlargest(8).index,
                *t.observed.abs().nlargest(40).index,
            ]
        )
    )
    pos = {ix: k for k, ix in enumerate(t.index)}
    px, py = t.predicted.to_numpy(float), t.observed.to_numpy(float)
    codes = t.region.astype(str).tolist()
    rows = [
        (
            float(px[pos[ix]]),
            float(py[pos[ix]]),
            names[pos[ix]] or codes[pos[ix]],
            float(k),
            "plain",
        )
        for k, ix in enumerate(order)
    ]
    label_layer(fig, rows, frame=(760, 480))
    return embed(fig)[0]


def _assumptions(v: ValidationResult) -> str:
    s = v.summary
    periods = (
        f"observed change = {s['agg']} of {s['value_col']} over rows where {s['change']} "
        f"minus its {s['agg']} over rows where {s['baseline']}; predicted = the comparison's "
        "change in kg/month entering each region (Dell 2015 compares changes)"
        if s.get("change")
        else f"observed = {s['agg']} of {s['value_col']} per region"
        + (f" over rows where {s['where']}" if s.get("where") else "")
        + "; predicted = the run's kg/month entering each region"
    )
    return (
        '<section id="assumptions" class="assumptions"><h2>What this report assumes</h2><ul>'
        f"<li><b>Compared</b>: {html.escape(periods)}.</li>"
        f"<li><b>Level</b>: {html.escape(str(s['level']))}; regions matched by code; "
        f"{v.n} matched.</li>"
        "<li><b>Statistic</b>: Spearman rank correlation; 95% interval from a bootstrap over "
        "regions; p-value from a permutation test.</li>"
        f"<li><b>Observed data</b>: {html.escape(str(s['observed']))}.</li></ul></section>"
    )


def statistic_html(v: ValidationResult) -> str:
    """Return the paragraph stating the correlation, or why there is none."""
    r = v.raw
    if v.note:
        return (
            f'<p class="note"><b>No Spearman rank correlation</b> over {r.n} regions: '
            f"{html.escape(v.note)}.</p>"
        )
    ci = (
        f"95% bootstrap CI {r.ci_low:+.3f} to {r.ci_high:+.3f}"
        if r.ci_low == r.ci_low
        else "no bootstrap interval: every resample drew one value only"
    )
    return (
        f"<p>Spearman rank correlation <b>{r.spearman:+.3f}</b> ({ci}, {r.bootstrap} "
        f"resamples; p = {r.p_value:.3g}) over {r.n} regions.</p>"
    )


def validation_report(v: ValidationResult) -> str:
    """Return the HTML page: the statistic, a scatter plot, the caveats and the regions."""
    s = v.summary
    what = "change in " if s.get("change") else ""
    body = [
        _assumptions(v),
        statistic_html(v),
        scatter(
            v,
            f"predicted {what}flow, kg/month ({s['level']})",
            f"observed {what}{s['value_col']} ({s['agg']})",
        ),
        '<p class="note">Each point is a region; the regions that matter most are named '
        "(labels that would overlap wait for a zoom). Regions the result does not name "
        "(with a comparison: those with no predicted change) are labelled by their code. "
        "Hover for every point.</p>",
        "<h2>What this can and cannot show</h2>",
        f"<p>{html.escape(CAVEATS)}</p>",
        "<h2>Regions</h2>",
        table(v.table, max_rows=60, floatfmt="{:,.3f}"),
    ]
    return page(
        "Predictions against observations",
        f"{s['result']} vs {Path(str(s['observed'])).name}",
        body,
    )


def write_validation_files(directory: Path, v: ValidationResult) -> None:
    """Write validation.html, validation.json and matched.csv into ``directory``."""
    (directory / "validation.html").write_text(validation_report(v), encoding="utf-8")
    (directory / "validation.json").write_text(_prov_json(dict(v.summary)), encoding="utf-8")
    write_csv(v.table, directory / "matched.csv")


def write_validation(out: str | Path, v: ValidationResult) -> Path:
    """Write the validation files atomically into directory ``out``; return ``out``."""
    with atomic_dir(out, kind="validation") as tmp:
        write_validation_files(tmp, v)
    return Path(out)
