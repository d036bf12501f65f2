"""Interactive charts for the HTML reports (Bokeh, resources inlined by the page).

Each function returns an HTML fragment (script and div) that :func:`reten.report.html.page`
completes with BokehJS inlined once, so a report stays one file that opens offline.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reten.report.maps import embed

CHART_WIDTH = 760


def _style(fig: Any) -> None:
    fig.toolbar.logo = None
    fig.outline_line_color = None
    if fig.title is not None:
        fig.title.text_font_size = "11pt"
    fig.axis.major_label_text_font_size = "9pt"
    fig.axis.axis_label_text_font_size = "9pt"
    fig.axis.axis_label_text_font_style = "normal"


def bar_chart_layout(
    categories: list[str],
    series: dict[str, np.ndarray],
    *,
    title: str,
    fmt: str = "{:.0%}",
    axis_format: str = "0%",
    colors: tuple[str, ...] = ("#7f8c8d", "#c0392b"),
    x_label: str = "",
) -> Any:
    """Return a horizontal grouped bar chart (Bokeh figure): one row per category.

    ``series`` maps a name to one value per category; each bar carries its value as text,
    the axis has ticks (``axis_format``: a Bokeh NumeralTickFormatter format), hover names
    the category, the series and the value, and the legend names the series.
    """
    from bokeh.models import ColumnDataSource, HoverTool, NumeralTickFormatter
    from bokeh.plotting import figure
    from bokeh.transform import dodge

    cats = [str(c) for c in categories][::-1]  # first category on top
    k = max(len(series), 1)
    top = max([float(np.nanmax(v)) for v in series.values() if len(v)] + [0.0])
    fig = figure(
        y_range=cats,
        x_range=(0, (top if top > 0 else 1.0) * 1.18),
        width=CHART_WIDTH,
        height=90 + (30 if title else 0) + max(len(cats), 1) * (16 * k + 12),
        title=title or None,
        tools="save",
        toolbar_location=None,
        name="chart",
    )
    _style(fig)
    bar_h = 0.8 / k
    for j, (name, vals) in enumerate(series.items()):
        v = np.asarray(vals, dtype=float)[::-1]
        src = ColumnDataSource(
            {"cat": cats, "v": v, "text": [fmt.format(x) for x in v], "series": [name] * len(cats)}
        )
        off = (k - 1) / 2 * bar_h - j * bar_h
        color = colors[j % len(colors)]
        r = fig.hbar(
            y=dodge("cat", off, range=fig.y_range),
            right="v",
            height=bar_h * 0.9,
            source=src,
            color=color,
            legend_label=name,
            name="bar",
        )
        fig.text(
            x="v",
            y=dodge("cat", off, range=fig.y_range),
            text="text",
            source=src,
            x_offset=4,
            text_baseline="middle",
            text_font_size="8pt",
            text_color="#34495e",
        )
        fig.add_tools(
            HoverTool(renderers=[r], tooltips=[("", "@cat"), ("@series", "@text")], mode="hline")
        )
    fig.xaxis.formatter = NumeralTickFormatter(format=axis_format)
    fig.xaxis.axis_label = x_label
    fig.ygrid.visible = False
    leg = fig.legend[0]
    leg.orientation = "horizontal"
    leg.label_text_font_size = "8pt"
    leg.location = "top_left"
    leg.border_line_color = None
    if len(series) < 2:
        leg.visible = False
    else:
        fig.add_layout(leg, "above")
    return fig


def bar_chart(categories: list[str], series: dict[str, np.ndarray], **kw: Any) -> str:
    """Return :func:`bar_chart_layout` as an HTML fragment."""
    return embed(bar_chart_layout(categories, series, **kw))[0]


def gap_chart(history: list[tuple[int, float, float]], *, title: str) -> str:
    """Return the relative gap per iteration on a log axis (HTML fragment).

    ``history`` rows are (iteration, relative gap, seconds); gaps that are not finite and
    positive cannot be drawn on a log axis and are said so in place of the chart.
    """
    from bokeh.models import ColumnDataSource, HoverTool
    from bokeh.plotting import figure

    rows = [(i, g, t) for i, g, t in history if np.isfinite(g) and g > 0]
    if not rows:
        return (
            '<p class="note">No finite positive gap to draw (the gap is zero, or the cost '
            "curve overflowed: see the convergence table).</p>"
        )
    src = ColumnDataSource(
        {
            "it": [r[0] for r in rows],
            "gap": [r[1] for r in rows],
            "s": [r[2] for r in rows],
        }
    )
    fig = figure(
        width=CHART_WIDTH,
        height=300,
        y_axis_type="log",
        title=title or None,
        tools="pan,wheel_zoom,box_zoom,reset,save",
        x_axis_label="iteration",
        y_axis_label="relative gap (log scale)",
        name="chart",
    )
    _style(fig)
    fig.line("it", "gap", source=src, line_color="#c0392b", line_width=2)
    r = fig.scatter("it", "gap", source=src, size=5, color="#c0392b", name="bar")
    fig.add_tools(
        HoverTool(
            renderers=[r],
            tooltips=[("iteration", "@it"), ("relative gap", "@gap{0.00e0}"), ("s", "@s{0.00}")],
        )
    )
    return embed(fig)[0]


def axis_range(values: np.ndarray, *, include_zero: bool = False) -> tuple[float, float, str]:
    """Return a y range (low, high) that shows ``values`` honestly, and a Bokeh
    NumeralTickFormatter format whose decimals tell its ticks apart.

    A flat series (all values equal within 1e-9 relative, as a curve whose every point is
    the same optimum) gets a range of about ±5% around its value (at least ±0.05; ±1 around
    0) instead of
    Bokeh's zoom onto rounding noise, where every tick would read the same.

    Examples
    --------
    >>> axis_range(np.array([38.0, 38.0, 38.0 + 3e-13]))
    (36.1, 39.9, '0,0.0')
    >>> axis_range(np.array([0.0, 0.0]), include_zero=True)
    (0.0, 1.0, '0,0.0')
    >>> axis_range(np.array([890894.8, 982773.1]))[2]
    '0,0'
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if include_zero:
        v = np.r_[v, 0.0]
    if v.size == 0:
        v = np.array([0.0])
    lo, hi = float(v.min()), float(v.max())
    scale = max(abs(lo), abs(hi))
    if hi - lo <= 1e-9 * max(scale, 1.0):
        pad = max(0.05 * scale, 0.05) if scale > 0 else 1.0
        lo, hi = (lo, lo + 2 * pad) if include_zero and lo >= 0 else (lo - pad, hi + pad)
        if include_zero and scale == 0:
            lo, hi = 0.0, 1.0
    else:
        pad = 0.08 * (hi - lo)
        lo = lo if include_zero and lo == 0 else lo - pad
        hi = hi + pad
    span = hi - lo
    # about five ticks at multiples of 1, 2 or 5 times a power of ten: show the decimals
    # that a tick step of half of span / 5 needs
    step = span / 5
    decimals = 0 if step >= 2 else min(10, max(1, int(np.ceil(-np.log10(step / 2)))))
    fmt = "0,0" if decimals == 0 else "0,0." + "0" * decimals
    return round(lo, 12), round(hi, 12), fmt


def value_curve(
    budget: np.ndarray,
    value: np.ndarray,
    upper: np.ndarray,
    *,
    title: str,
    unit: str,
    proven: np.ndarray | None = None,
    noun: str = "unit",
) -> str:
    """Return the value of the best allocation against the number of units (HTML fragment).

    ``noun`` is what one unit is called on the axes (``"removal"`` for the ``capacity``
    objective).

    Line and points: the value found for each budget (hollow where not ``proven`` optimal);
    whiskers up to the certified upper bound, drawn only where the bound exceeds the value
    (by more than 1e-9 relative: a bound equal to the value is the proof, not a spread);
    bars: the marginal value of each extra unit (the step from the budget before; steps
    within the same tolerance of 0 are 0). Both y axes are scaled and labelled so that a
    flat curve reads as flat (see :func:`axis_range`).
    """
    from bokeh.layouts import column
    from bokeh.models import ColumnDataSource, HoverTool, NumeralTickFormatter, Range1d, Whisker
    from bokeh.plotting import figure

    b = np.asarray(budget, dtype=float)
    v = np.asarray(value, dtype=float)
    u = np.asarray(upper, dtype=float)
    tol = 1e-9 * np.maximum(np.abs(v), 1.0)
    marginal = np.r_[np.nan, np.diff(v)]  # the first budget's step is unknown
    marginal[np.abs(marginal) <= np.r_[np.inf, tol[1:]]] = 0.0
    spread = np.isfinite(u) & (u - v > tol)
    ok = np.ones(b.size, dtype=bool) if proven is None else np.asarray(proven, dtype=bool)
    src = ColumnDataSource(
        {
            "K": b,
            "v": v,
            "u": np.where(spread, u, v),
            "m": marginal,
            "fill": ["#1a5276" if p else "white" for p in ok],
            "proven": ["yes" if p else "no (time limit: at least this)" for p in ok],
        }
    )
    whisk = ColumnDataSource({"K": b[spread], "v": v[spread], "u": u[spread]})
    lo, hi, fmt = axis_range(np.r_[v, u[spread]])
    fig = figure(
        width=CHART_WIDTH,
        height=280,
        title=title,
        tools="pan,wheel_zoom,box_zoom,reset,save",
        x_axis_label=f"{noun}s available (K)",
        y_axis_label=unit,
        y_range=Range1d(lo, hi),
        name="chart",
    )
    _style(fig)
    fig.line("K", "v", source=src, line_color="#1a5276", line_width=2, legend_label="value found")
    r = fig.scatter(
        "K", "v", source=src, size=8, line_color="#1a5276", fill_color="fill", name="bar"
    )
    if spread.any():
        fig.add_layout(
            Whisker(
                base="K",
                lower="v",
                upper="u",
                source=whisk,
                line_color="#7f8c8d",
                dimension="height",
            )
        )
        fig.scatter(
            "K",
            "u",
            source=whisk,
            size=6,
            marker="dash",
            color="#7f8c8d",
            legend_label="upper bound (where above the value)",
        )
    fig.add_tools(
        HoverTool(
            renderers=[r],
            tooltips=[
                ("K", "@K"),
                ("value found", "@v{0,0.0[00]}"),
                ("upper bound", "@u{0,0.0[00]}"),
                ("marginal value", "@m{0,0.0[00]}"),
                ("proven optimal", "@proven"),
            ],
        )
    )
    fig.xaxis.ticker = [int(x) for x in b] if b.size <= 20 else fig.xaxis.ticker
    fig.yaxis.formatter = NumeralTickFormatter(format=fmt)
    fig.legend.location = "bottom_right"
    fig.legend.label_text_font_size = "8pt"
    mlo, mhi, mfmt = axis_range(marginal, include_zero=True)
    bars = figure(
        width=CHART_WIDTH,
        height=200,
        x_range=fig.x_range,
        y_range=Range1d(mlo, mhi),
        title=f"What each extra {noun} adds (marginal value)",
        tools="save",
        toolbar_location=None,
        x_axis_label=f"{noun}s available (K)",
        y_axis_label=unit.split(", ")[-1],  # the short chart has room for the unit only
        name="chart",
    )
    _style(bars)
    rb = bars.vbar(x="K", top="m", width=0.6, source=src, color="#5d6d7e", name="bar")
    bars.add_tools(HoverTool(renderers=[rb], tooltips=[("K", "@K"), ("adds", "@m{0,0.0[00]}")]))
    bars.xaxis.ticker = fig.xaxis.ticker
    bars.yaxis.formatter = NumeralTickFormatter(format=mfmt)
    return embed(column(fig, bars))[0]
