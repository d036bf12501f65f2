"""The ``reten`` command line: a thin Typer layer over the Python API."""

from __future__ import annotations

import errno
import functools
import math
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from reten import jsonio
from reten.atomic import output_dir, output_file
from reten.entry import INTERRUPTED
from reten.errors import InputError, OutputError

if TYPE_CHECKING:
    from reten.network.model import Network
    from reten.results import ComparisonResult, RunResult

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="reten: trafficking routes and enforcement on real road networks.",
)
network_app = typer.Typer(no_args_is_help=True, help="Build, inspect and export road networks.")
app.add_typer(network_app, name="network")
console = Console(stderr=True)
#: columns of an answer written to a file or a pipe (a terminal keeps its own width)
ANSWER_WIDTH = 200


def _answers() -> Console:
    """Return the console for answers (tables): standard output, with messages going to
    standard error. Redirected (``> table.txt``), Rich would wrap at 80 columns and split
    place names over lines; a file gets ``ANSWER_WIDTH`` columns instead."""
    width = None if sys.stdout.isatty() else ANSWER_WIDTH
    return Console(highlight=False, width=width)


OverwriteOption = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        help="Replace -o when it is another command's output or lacks reten's marker "
        "(never a folder holding a file reten did not write, never an input)",
    ),
]


def _number(
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
    integer: bool = False,
    cast: Callable[[Any], Any] | None = None,
) -> Callable[[Any], Any]:
    """Return a typer ``parser`` that accepts finite numbers in [lo, hi] (open ends optional).

    It parses the text itself, so a word (``--budget two``) gets the same message as a
    number out of range: "must be a whole number >= 1 (got two)", never click's "'two' is
    not a valid float". An integer option takes any whole number (``3``, ``3.0``, ``1e3``);
    the value is an ``int`` (``cast`` overrides: ``float`` for a whole-number float option).
    """

    def fmt(x: float) -> str:  # a whole-number bound in full: <= 1000000, never 1e+06
        return str(int(x)) if integer else f"{x:g}"

    left = "" if lo is None else (f"> {fmt(lo)}" if lo_open else f">= {fmt(lo)}")
    right = "" if hi is None else (f"< {fmt(hi)}" if hi_open else f"<= {fmt(hi)}")
    what = "a whole number" if integer else "a finite number"
    rng = " and ".join(x for x in (left, right) if x)

    def check(value: Any) -> Any:
        if value is None:
            return value
        text = str(value).strip()
        v: float | int
        try:
            v = int(text) if integer else float(text)
        except ValueError:
            try:
                v = float(text)
            except ValueError:  # a word: refused below with the valid range
                v = math.nan
        try:
            fv = float(v)
        except OverflowError:  # an integer of hundreds of digits
            fv = math.inf
        ok = math.isfinite(fv) and (not integer or fv == int(fv))
        if ok and lo is not None:
            ok = fv > lo if lo_open else fv >= lo
        if ok and hi is not None:
            ok = fv < hi if hi_open else fv <= hi
        if not ok:
            got = f"{value:g}" if isinstance(value, float) and math.isfinite(value) else text
            raise typer.BadParameter(f"must be {what} {rng} (got {got})")
        if cast is not None:
            return cast(v)
        return int(v) if integer else fv

    check.__name__ = "integer" if integer else "float"  # the metavar: INTEGER, FLOAT
    return check


def _choice(*valid: str) -> Callable[[Any], Any]:
    """Return a typer callback that accepts one of ``valid`` in any letter case and gives
    its canonical spelling (None passes)."""
    by_fold = {v.casefold(): v for v in valid}

    def check(value: Any) -> Any:
        if value is None:
            return value
        found = by_fold.get(str(value).casefold())
        if found is None:
            raise typer.BadParameter(f"'{value}' is not one of: {', '.join(valid)}")
        return found

    return check


def _out_path(value: str) -> Path:
    """Parse ``-o``: a non-empty path (an empty string would mean the current folder)."""
    if not value:
        raise typer.BadParameter(
            "is empty; give a new folder or file name (for example -o out/run)"
        )
    return Path(value)


_out_path.__name__ = "path"  # the metavar --help shows: <path>, not <_out_path>


def _basemap(url: str | None) -> str | None:
    from reten.checks import basemap_url  # the API's rule (RunResult.write(basemap=...))

    try:
        return basemap_url(url)
    except InputError:
        raise typer.BadParameter(
            f"'{url}': give an XYZ template with {{z}}, {{x}} and {{y}}"
        ) from None


def _scenario_inputs(*paths: Path) -> list[Path]:
    """Return the scenario files and the network folders they name (best effort).

    Only used to refuse an ``-o`` that would replace an input; the scenario reader reports
    any problem with the files themselves.
    """
    import tomllib

    found = list(paths)
    for path in paths:
        try:
            if not path.is_file() or path.stat().st_size > 10_000_000:
                continue
            net = tomllib.loads(path.read_text(encoding="utf-8")).get("network")
        except Exception:  # unreadable: the reader will say why
            continue
        if isinstance(net, dict) and isinstance(net.get("path"), str):
            p = Path(net["path"])
            found.append(p if p.is_absolute() else path.parent / p)
    return found


def _progress() -> Progress:
    """Return a transient progress display on stderr (silent when stderr is not a terminal)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def _network(path: Path | None, default: bool) -> Network:
    """Return the network a command names: a directory or ``--default``."""
    import reten

    if default == (path is not None):
        raise InputError("give a network directory or --default (one of them)")
    if default:
        return reten.load_network("default")
    assert path is not None
    return reten.load_network(path)


@network_app.command("build")
def network_build(
    out: Annotated[Path, typer.Option("-o", "--out", parser=_out_path, help="Output directory")],
    lines: Annotated[str | None, typer.Option("--lines", help="Line file (any OGR format)")] = None,
    layer: Annotated[str | None, typer.Option("--layer")] = None,
    snap_m: Annotated[
        float, typer.Option("--snap-m", help="Endpoint snapping, metres", parser=_number(0))
    ] = 1.0,
    split_interior: Annotated[bool, typer.Option("--split-interior")] = False,
    columns: Annotated[
        str | None,
        typer.Option("--columns", help="Preset: inegi|osm", callback=_choice("inegi", "osm")),
    ] = None,
    class_col: Annotated[str | None, typer.Option("--class-col")] = None,
    speed_col: Annotated[str | None, typer.Option("--speed-col")] = None,
    oneway_col: Annotated[str | None, typer.Option("--oneway-col")] = None,
    toll_col: Annotated[str | None, typer.Option("--toll-col")] = None,
    crs: Annotated[str | None, typer.Option("--crs", help="CRS when the file has none")] = None,
    osm: Annotated[str | None, typer.Option("--osm", help="OSM PBF/XML file")] = None,
    edges: Annotated[str | None, typer.Option("--edges", help="CSV edge list")] = None,
    nodes: Annotated[str | None, typer.Option("--nodes", help="CSV id,lon,lat")] = None,
    dimacs: Annotated[str | None, typer.Option("--dimacs", help="DIMACS .gr file")] = None,
    largest_component: Annotated[bool, typer.Option("--largest-component")] = False,
    regions: Annotated[str | None, typer.Option("--regions", help="Polygon file")] = None,
    regions_layer: Annotated[str | None, typer.Option("--regions-layer")] = None,
    regions_code: Annotated[str | None, typer.Option("--regions-code")] = None,
    regions_nearest_m: Annotated[
        float, typer.Option("--regions-nearest-m", parser=_number(0))
    ] = 20_000.0,
    ports: Annotated[str | None, typer.Option("--ports", help="CSV of land ports")] = None,
    seaports: Annotated[str | None, typer.Option("--seaports", help="CSV of seaports")] = None,
    places: Annotated[str | None, typer.Option("--places", help="CSV of named places")] = None,
    terminal_max_km: Annotated[
        float,
        typer.Option(
            "--terminal-max-km",
            help="Farthest a port or place may lie from the network, km",
            parser=_number(0, lo_open=True),
        ),
    ] = 10.0,
    overwrite: OverwriteOption = False,
) -> None:
    """Build a network from lines, OSM, an edge list or DIMACS; attach regions and terminals."""
    import reten
    from reten.network.build import summary

    inputs = [
        Path(x)
        for x in (lines, osm, edges, nodes, dimacs, regions, ports, seaports, places)
        if x is not None
    ]
    with (
        output_dir(out, kind="network", overwrite=overwrite, inputs=inputs),
        _progress() as prog,
    ):
        task = prog.add_task("building network", total=None)

        def tick(n: int) -> None:
            prog.update(task, description=f"reading OSM: {n:,} ways")

        net = reten.build_network(
            lines=lines,
            osm=osm,
            edges=edges,
            nodes=nodes,
            dimacs=dimacs,
            regions=regions,
            ports=ports or None,
            seaports=seaports or None,
            places=places or None,
            terminal_max_km=terminal_max_km,
            on_progress=tick,
            layer=layer,
            snap_m=snap_m,
            split_interior=split_interior,
            columns=columns,
            class_col=class_col,
            speed_col=speed_col,
            oneway_col=oneway_col,
            toll_col=toll_col,
            crs=crs,
            largest_component=largest_component,
            regions_layer=regions_layer,
            regions_code=regions_code,
            regions_nearest_m=regions_nearest_m,
        )
        prog.update(task, description="saving")
        reten.save_network(net, out)
    s = summary(net)
    console.print(
        f"[green]built[/] {out}: {s['nodes']:,} nodes, {s['arcs']:,} arcs, "
        f"largest component {s['largest_component_share']:.1%}, "
        f"region coverage {s['region_coverage']:.1%}"
    )
    _warn_no_coordinates(
        net,
        "reports of runs on it have no maps and their geodata no geometry for them "
        "(nothing is placed at made-up coordinates)",
    )
    for title, counts in (("dropped", s["dropped"]), ("changed", s["changed"])):
        for k, v in counts.items():
            console.print(f"  {title} {v:,} {k.replace('_', ' ')}: {s['why'].get(k, '')}")


@network_app.command("info")
def network_info(
    path: Annotated[Path | None, typer.Argument(help="Saved network directory")] = None,
    default: Annotated[bool, typer.Option("--default", help="The embedded default")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Print counts, components, region coverage and bounding box."""
    from reten.network.build import summary

    net = _network(path, default)
    s = summary(net)
    if as_json:
        print(jsonio.dumps(s, sort_keys=True))
        return
    t = Table(title=str(path) if path else "embedded default")
    t.add_column("field")
    t.add_column("value")
    for k, v in s.items():
        t.add_row(k, str(v))
    _answers().print(t)


@network_app.command("export")
def network_export(
    out: Annotated[Path, typer.Option("-o", "--out", parser=_out_path, help="Output file")],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="geojson|gpkg|graphml|parquet",
            callback=_choice("geojson", "gpkg", "graphml", "parquet"),
        ),
    ],
    path: Annotated[Path | None, typer.Argument(help="Saved network directory")] = None,
    default: Annotated[bool, typer.Option("--default")] = False,
    overwrite: OverwriteOption = False,
) -> None:
    """Export a network's arcs (and nodes) for GIS or graph tools."""
    from reten.network.export import export

    inputs = [path] if path is not None else []
    with output_file(out, overwrite=overwrite, inputs=inputs) as tmp:
        net = _network(path, default)
        export(net, tmp, fmt)
    if fmt != "graphml":
        _warn_no_coordinates(net, f"their features in {out.name} have no geometry (null)")
    console.print(f"[green]wrote[/] {out}")


FiguresOption = Annotated[
    str | None,
    typer.Option(
        "--figures",
        help="Also write the main maps and charts as static figures (png, svg or pdf, "
        "300 dpi) into OUT/figures",
    ),
]
BasemapOption = Annotated[
    str | None,
    typer.Option(
        "--basemap", help="XYZ tile URL template: online tiles under the maps", callback=_basemap
    ),
]


@app.command("run")
def run_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file")],
    out: Annotated[Path, typer.Option("-o", "--out", parser=_out_path, help="Output directory")],
    basemap: BasemapOption = None,
    overwrite: OverwriteOption = False,
    figures: FiguresOption = None,
    select_region: Annotated[
        str | None,
        typer.Option(
            "--select-region",
            help="Select-link: write select.csv, the origins whose routes enter this region "
            "(code, name or 'Municipality, State') and their kg/month",
        ),
    ] = None,
) -> None:
    """Run the route model on a scenario; write report.html, CSV, GeoParquet and GeoJSON."""
    import reten

    with (
        output_dir(out, kind="run", overwrite=overwrite, inputs=_scenario_inputs(scenario)),
        _progress() as prog,
    ):
        prog.add_task(f"running {scenario}", total=None)
        res = reten.run(reten.Scenario.from_toml(scenario))
        res.write(out, basemap=basemap, select_region=select_region)
        if figures:
            res.figures(out / "figures", figures)
    _print_run(res)
    _warn_no_coordinates(
        res.network,
        "the report has no map; routes.geojson, origins.geojson|parquet and arcs.parquet "
        "have no geometry for them" + ("; no figures were drawn" if figures else ""),
    )
    console.print(f"[green]wrote[/] {out}/report.html")


def _print_run(res: RunResult) -> None:
    """Print where the flow goes, and the origins without a route."""
    cr = res.crossings
    order = np.argsort(-cr.flow_kg.to_numpy(), kind="stable")
    t = Table(title=f"{res.name}: where the flow goes")
    t.add_column("crossing")
    t.add_column("kg/month", justify="right")
    t.add_column("share", justify="right")
    t.add_column("seized kg", justify="right")
    for c in cr.iloc[order].itertuples():
        if c.flow_kg > 0:
            t.add_row(c.crossing, f"{c.flow_kg:,.0f}", f"{c.share:.0%}", f"{c.seized_kg:,.1f}")
    _answers().print(t)
    cut = res.origins[res.origins.crossing == ""]
    if len(cut):
        console.print(f"[yellow]no route[/] for {len(cut)} origin(s): {', '.join(cut.origin)}")
    from reten.report.assumptions import uncongested_warning, unconverged_warning

    for check in (uncongested_warning, unconverged_warning):
        w = check(res.routes) if res.routes is not None else None
        if w:
            _warn(w)


@app.command("compare")
def compare_cmd(
    base: Annotated[Path, typer.Argument(help="Baseline scenario TOML")],
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML to compare")],
    out: Annotated[Path, typer.Option("-o", "--out", parser=_out_path, help="Output directory")],
    basemap: BasemapOption = None,
    overwrite: OverwriteOption = False,
    figures: FiguresOption = None,
) -> None:
    """Compare a scenario with a baseline: displacement by municipality, state and crossing."""
    import reten

    inputs = _scenario_inputs(base, scenario)
    with output_dir(out, kind="compare", overwrite=overwrite, inputs=inputs), _progress() as prog:
        prog.add_task(f"comparing {scenario} with {base}", total=None)
        cmp = reten.compare(reten.Scenario.from_toml(base), reten.Scenario.from_toml(scenario))
        cmp.write(out, basemap=basemap)
        if figures:
            cmp.figures(out / "figures", figures)
    _print_compare(cmp)
    _warn_no_coordinates(
        cmp.base.network,
        "the report has no map; its geodata files have no geometry for them"
        + ("; only the crossing chart was drawn as a figure" if figures else ""),
    )
    console.print(f"[green]wrote[/] {out}/report.html")


def _print_compare(cmp: ComparisonResult, rows: int = 8) -> None:
    """Print the totals and the largest regional changes."""
    from reten.report.html import share_text

    totals = cmp.totals
    reg = cmp.regions
    t = Table(
        title=f"Displacement: traffickers' cost {share_text(totals['cost_increase_share'])}, "
        f"seizures {totals['seized_base_kg']:,.1f} -> {totals['seized_scenario_kg']:,.1f} "
        "kg/month"
    )
    for c in ("region", "level", "name", "base kg", "scenario kg", "delta kg", "new"):
        t.add_column(c, justify="right" if "kg" in c else "left")
    for rec in reg.head(rows).itertuples():
        t.add_row(
            rec.region,
            rec.level,
            rec.name,
            f"{rec.flow_base_kg:,.0f}",
            f"{rec.flow_scenario_kg:,.0f}",
            f"{rec.delta_kg:+,.0f}",
            "yes" if rec.spillover else "",
        )
    shown = min(rows, len(reg))
    if shown:
        t.caption = (
            f"the {shown} largest changes of {len(reg):,} regions with flow; every region is in "
            "regions_delta.csv ('new': on no route before)"
        )
    _answers().print(t)


@app.command("validate")
def validate_cmd(
    result: Annotated[
        Path,
        typer.Argument(help="A run directory (regions.csv) or comparison (regions_delta.csv)"),
    ],
    observed: Annotated[str, typer.Option("--observed", help="CSV of observed values")],
    region_col: Annotated[str, typer.Option("--region-col", help="Region code column")],
    value_col: Annotated[str, typer.Option("--value-col", help="Observed value column")],
    level: Annotated[str, typer.Option("--level", help="Region level to compare")] = "state",
    agg: Annotated[
        str,
        typer.Option(
            "--agg", help="mean|sum|median over rows", callback=_choice("mean", "sum", "median")
        ),
    ] = "mean",
    where: Annotated[
        str | None, typer.Option("--where", help="Row filter, e.g. 'year >= 2015'")
    ] = None,
    bootstrap: Annotated[
        int,
        typer.Option(
            "--bootstrap",
            help="Bootstrap resamples (1 to 100,000)",
            parser=_number(1, 100_000, integer=True),
        ),
    ] = 2000,
    seed: Annotated[
        int,
        typer.Option(
            "--seed", help="Seed (0 to 2**53 - 1)", parser=_number(0, 2**53 - 1, integer=True)
        ),
    ] = 0,
    out: Annotated[
        Path | None,
        typer.Option(
            "-o", "--out", parser=_out_path, help="Output directory (default RESULT/validation)"
        ),
    ] = None,
    overwrite: OverwriteOption = False,
    change: Annotated[
        str | None,
        typer.Option("--change", help="Rows of the later period, e.g. 'year >= 2007'"),
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option("--baseline", help="Rows of the earlier period, e.g. 'year < 2007'"),
    ] = None,
) -> None:
    """Compare a run's predicted region flows (or a comparison's changes) with observed data.

    With --change and --baseline the observed value is the change between the periods.
    """
    import reten
    from reten.analysis.validate import check_result_dir
    from reten.report.validation import write_validation_files

    check_result_dir(result)  # before any folder is made for the output
    out = out or result / "validation"
    pred_file = "regions_delta.csv" if (result / "regions_delta.csv").is_file() else "regions.csv"
    inputs: list[str | Path] = [result / pred_file, observed]
    with output_dir(out, kind="validation", overwrite=overwrite, inputs=inputs) as tmp:
        v = reten.validate(
            result,
            observed,
            region_col=region_col,
            value_col=value_col,
            level=level,
            agg=agg,
            where=where,
            bootstrap=bootstrap,
            seed=seed,
            change=change,
            baseline=baseline,
        )
        write_validation_files(tmp, v)
    keys = ("n_regions", "spearman", "spearman_status", "ci95", "p_value")
    print(jsonio.dumps({k: v.summary[k] for k in keys}))
    if v.note:
        console.print(f"note: {v.note}", markup=False, highlight=False, soft_wrap=True)
    console.print(f"[green]wrote[/] {out}/validation.html")


@app.command("optimize")
def optimize_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML (its enforcement is the start)")],
    budget: Annotated[
        float,
        typer.Option(
            "--budget",
            help="Units available (B, a whole number from 1 to 1,000,000)",
            metavar="INTEGER",
            parser=_number(1, 1_000_000, integer=True, cast=float),
        ),
    ],
    out: Annotated[Path, typer.Option("-o", "--out", parser=_out_path, help="Output directory")],
    objective: Annotated[
        str,
        typer.Option(
            "--objective",
            help="cost|interception|capacity",
            callback=_choice("cost", "interception", "capacity"),
        ),
    ] = "cost",
    sites_kind: Annotated[
        str,
        typer.Option(
            "--sites",
            help="arcs|nodes|crossings|regions",
            callback=_choice("arcs", "nodes", "crossings", "regions"),
        ),
    ] = "arcs",
    time_limit: Annotated[
        float,
        typer.Option("--time-limit", help="Seconds per K (> 0)", parser=_number(0, lo_open=True)),
    ] = 300.0,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="auto|milp|decomposition|greedy",
            callback=_choice("auto", "milp", "decomposition", "greedy"),
        ),
    ] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    delay: Annotated[
        float,
        typer.Option("--delay", help="Added cost per unit (>= 0)", parser=_number(0)),
    ] = 50.0,
    p_detect: Annotated[
        float,
        typer.Option(
            "--p-detect",
            help="Detection per unit, in [0, 1)",
            parser=_number(0, 1, hi_open=True),
        ),
    ] = 0.1,
    max_units: Annotated[
        int,
        typer.Option(
            "--max-units",
            help="Units per site at most (1 to 1,000,000)",
            parser=_number(1, 1_000_000, integer=True),
        ),
    ] = 1,
    curve: Annotated[bool, typer.Option("--curve/--no-curve", help="K = 1..B curve")] = True,
    overwrite: OverwriteOption = False,
) -> None:
    """Choose where K units cost traffickers most or intercept most, with certified bounds."""
    import reten

    inputs = _scenario_inputs(scenario)
    with (
        output_dir(out, kind="optimize", overwrite=overwrite, inputs=inputs),
        _progress() as prog,
    ):
        prog.add_task(f"optimising {scenario}", total=None)
        opt = reten.optimize(
            reten.Scenario.from_toml(scenario),
            budget=budget,
            objective=objective,
            sites=sites_kind,
            method=method,
            time_limit_s=time_limit,
            delay=delay,
            p_detect=p_detect,
            max_units=max_units,
            curve=curve,
        )
        opt.write(out)
    _warn_unreached(opt.baseline)
    _warn_ignored(opt.provenance)
    _warn_no_coordinates(
        opt.baseline.network,
        "the report has no map, sites are named by node ids, and sites.geojson|gpkg and "
        "origin_routes.geojson|gpkg have no geometry for them",
    )
    summary = opt.summary
    if as_json:
        print(jsonio.dumps(summary))
    else:
        _print_optimize(opt, summary)
    if opt.effective_budget < opt.budget:
        more = (
            f"budget {opt.budget:g} is more than there are sites to remove: solved with "
            f"{opt.effective_budget:,} removals"
            if opt.objective == "capacity"
            else f"budget {opt.budget:g} is more than the sites can take: solved with "
            f"{opt.effective_budget:,} units"
        )
        console.print(
            f"[yellow]note:[/] {more} (the effective budget)", highlight=False, soft_wrap=True
        )
    if opt.curve_note:
        console.print(f"[yellow]note:[/] {opt.curve_note}", highlight=False, soft_wrap=True)
    console.print(f"[green]wrote[/] {out}/report.html")


def _print_optimize(opt: Any, summary: dict[str, Any]) -> None:
    """Print an optimisation's answer: the question, value with unit and bounds, baseline
    and % change, then the chosen sites by name (or why there are none)."""
    from reten.report.html import _num
    from reten.report.optimize import (
        baseline_label,
        gap_text,
        increase_text,
        no_site_reason,
        objective_label,
        report_title,
        unused_units_note,
    )

    out = _answers()
    unit = summary.get("unit", "")
    out.print(f"[bold]{report_title(opt.baseline.name, opt.budget, opt.objective)}[/]")
    out.print(
        f"{objective_label(opt.objective)}: {_num(opt.value, '{:,.1f}')} {unit} ({opt.status}; "
        f"bounds {_num(opt.lower_bound, '{:,.1f}')} .. {_num(opt.upper_bound, '{:,.1f}')}, "
        f"gap {gap_text(opt)})"
    )
    out.print(
        f"{baseline_label(opt.objective)}: {opt.raw.baseline:,.1f} {unit}; change over the "
        "baseline: "
        f"{increase_text(opt.raw)}"
    )
    why_none = no_site_reason(opt.raw)
    if why_none is not None:
        out.print(why_none)
        return
    t = Table()
    t.add_column("site")
    t.add_column("name")
    t.add_column("removed" if opt.objective == "capacity" else "units", justify="right")
    for srow in summary["sites"]:
        t.add_row(srow["site"], srow["name"], str(srow["units"]))
    out.print(t)
    unused = unused_units_note(opt.raw)
    if unused is not None:
        out.print(unused)


def _warn_no_coordinates(net: Network | None, what: str) -> None:
    """Print one line when ``net``'s nodes lack coordinates: ``what`` lost its geometry."""
    if net is None or net.has_coordinates:
        return
    missing = int(net.n_nodes - net.located.sum())
    _warn(
        f"{missing:,} of {net.n_nodes:,} nodes have no coordinates "
        f"({net.coordinates_hint()}): {what}"
    )


def _warn(text: str) -> None:
    """Print one warning line on standard error (``text`` is plain: never Rich markup)."""
    from rich.markup import escape

    console.print(f"[yellow]warning:[/] {escape(text)}", highlight=False, soft_wrap=True)


def _warn_ignored(provenance: Mapping[str, Any]) -> None:
    """Print one line per scenario table the command does not model (``ignored``)."""
    for w in provenance.get("ignored") or []:
        _warn(str(w))


def _warn_unreached(run: Any) -> None:
    """Print one line naming the origins that reach no open crossing (left out)."""
    from reten.report.assumptions import unreached_warning

    routes = getattr(run, "routes", None)
    w = unreached_warning(routes) if routes is not None else None
    if w:
        _warn(w)


@app.command("game")
def game_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML (its enforcement is the base)")],
    checkpoints: Annotated[
        int,
        typer.Option(
            "--checkpoints",
            help="Units placed each day (K, 1 to 1,000)",
            parser=_number(1, 1000, integer=True),
        ),
    ],
    out: Annotated[Path, typer.Option("-o", "--out", parser=_out_path, help="Output directory")],
    sites_kind: Annotated[
        str,
        typer.Option(
            "--sites", help="arcs|nodes|crossings", callback=_choice("arcs", "nodes", "crossings")
        ),
    ] = "arcs",
    gap: Annotated[
        float,
        typer.Option(
            "--gap",
            help="Relative gap at which to stop, in [0, 1)",
            parser=_number(0, 1, hi_open=True),
        ),
    ] = 1e-4,
    time_limit: Annotated[
        float,
        typer.Option(
            "--time-limit",
            help="Seconds for the game (> 0), every phase included; the pure-strategy "
            "optimum then runs with its own limit of the same length",
            parser=_number(0, lo_open=True),
        ),
    ] = 600.0,
    pure_time_limit: Annotated[
        float | None,
        typer.Option(
            "--pure-time-limit",
            help="Seconds for the pure-strategy optimum (> 0; default: --time-limit)",
            parser=_number(0, lo_open=True),
        ),
    ] = None,
    schedules: Annotated[
        int,
        typer.Option(
            "--schedules",
            help="Daily schedules to sample (0 to 1,000,000)",
            parser=_number(0, 1_000_000, integer=True),
        ),
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    p_detect: Annotated[
        float,
        typer.Option(
            "--p-detect",
            help="Detection per unit, in [0, 1); for --sites arcs a network p_detect "
            "attribute wins where it has one",
            parser=_number(0, 1, hi_open=True),
        ),
    ] = 0.1,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            help="Default: the scenario's",
            parser=_number(0, 2**53 - 1, integer=True),
        ),
    ] = None,
    compare_tsai: Annotated[
        bool,
        typer.Option("--compare-tsai", help="Also run the LP-marginals-and-sample method"),
    ] = False,
    overwrite: OverwriteOption = False,
) -> None:
    """Randomise K checkpoints against traffickers who watch (a certified security game)."""
    import reten

    inputs = _scenario_inputs(scenario)
    with output_dir(out, kind="game", overwrite=overwrite, inputs=inputs), _progress() as prog:
        prog.add_task(f"solving the game on {scenario}", total=None)
        g = reten.game(
            reten.Scenario.from_toml(scenario),
            checkpoints=checkpoints,
            sites=sites_kind,
            gap=gap,
            time_limit_s=time_limit,
            pure_time_limit_s=pure_time_limit,
            schedules=schedules,
            seed=seed,
            p_detect=p_detect,
            compare_tsai=compare_tsai,
        )
        g.write(out)
    _warn_unreached(g.baseline)
    _warn_ignored(g.provenance)
    _warn_no_coordinates(
        g.baseline.network, "the report has no map and sites are named by node ids"
    )
    for note in g.raw.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
    if as_json:
        print(g.to_json())
    else:
        from reten.report.game import headline

        t = Table(title=headline(g.raw))
        t.add_column("site")
        t.add_column("name")
        t.add_column("coverage", justify="right")
        for r in g.coverage.head(20).itertuples():
            t.add_row(str(r.site), str(r.name), f"{r.probability:.3f}")
        _answers().print(t)
    console.print(f"[green]wrote[/] {out}/report.html")


@app.command("demo")
def demo(
    out: Annotated[
        Path, typer.Option("-o", "--out", parser=_out_path, help="Output directory")
    ] = Path("out/demo"),
    overwrite: OverwriteOption = False,
) -> None:
    """Run the embedded demo story and write DIR/index.html linking every report."""
    from reten import api
    from reten.atomic import atomic_write_bytes
    from reten.report.html import demo_index

    summary = Table(title="reten demo: where the flow went (share of volume by crossing)")
    summary.add_column("scenario")
    summary.add_column("top crossings")
    summary.add_column("seized kg/month", justify="right")
    summary.add_column("trafficker cost", justify="right")
    with output_dir(out, kind="demo", overwrite=overwrite), _progress() as prog:
        task = prog.add_task("running the demo", total=None)
        steps = api.demo()
        for key, _, res, cmp in steps:
            prog.update(task, description=f"writing {key}")
            res.write(out / key)
            if cmp is not None:
                cmp.write(out / f"{key}_vs_baseline")
        html, rows = demo_index(steps)
        atomic_write_bytes(out / "index.html", html.encode("utf-8"))
    for name, tops, seized, change in rows:
        summary.add_row(name, tops, f"{seized:,.1f}", f"{change:+.1%}")
    _answers().print(summary)
    console.print(f"[green]wrote[/] {out}/index.html")


def _version_callback(value: bool) -> None:
    if value:
        from reten import __version__

        print(f"reten {__version__}")
        raise typer.Exit()


@app.callback()
def _global_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_version_callback, help="Print the version"
        ),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", help="Show the traceback of an unexpected error (or set RETEN_DEBUG=1)"
        ),
    ] = False,
) -> None:
    """reten: trafficking routes and enforcement on real road networks."""


class Terminated(BaseException):
    """Raised in the main thread when reten receives SIGINT, SIGTERM or SIGHUP.

    Like KeyboardInterrupt it unwinds every ``with`` block, so temporary outputs are removed.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated(signum)


def _one_line(text: str, limit: int = 400) -> str:
    """Return ``text`` folded to one line of at most ``limit`` characters."""
    line = " ".join(part.strip() for part in str(text).splitlines() if part.strip())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _click_classes() -> tuple[type[BaseException], type[BaseException]]:
    """Return (ClickException, UsageError) of whichever click typer runs on.

    Typer 0.16+ vendors click as ``typer._click``; older typer depends on ``click``. Both
    expose ``typer.BadParameter``, whose ancestors are the two classes we need.
    """
    mro = typer.BadParameter.__mro__
    by_name = {c.__name__: c for c in mro}
    return by_name["ClickException"], by_name["UsageError"]


def _message(exc: BaseException) -> str:
    """Return a click exception's message (``format_message``), else ``str(exc)``."""
    fmt = getattr(exc, "format_message", None)
    return str(fmt()) if callable(fmt) else str(exc)


#: an option of one command given to another: what that command calls it
_OPTION_ELSEWHERE = {
    ("game", "--budget"): "--checkpoints",
    ("optimize", "--checkpoints"): "--budget",
}


def _usage_line(exc: BaseException) -> str:
    """Return a click usage error as one line: the error, the usage, where help is."""
    msg = _one_line(_message(exc))
    ctx = getattr(exc, "ctx", None)
    name = getattr(exc, "option_name", None)
    command = str(getattr(getattr(ctx, "command", None), "name", ""))
    meant = _OPTION_ELSEWHERE.get((command, str(name)))
    if meant is not None:
        # click's own guess compares spellings only ('--budget': 'Possible options: --out')
        msg = f"No such option: {name} (this command's is {meant})"
    if ctx is None:
        return f"reten: error: {msg} (see 'reten --help')"
    usage = _one_line(ctx.get_usage())
    usage = usage[len("Usage: ") :] if usage.startswith("Usage: ") else usage
    return f"reten: error: {msg} (usage: {usage}; see '{ctx.command_path} --help')"


class _PlainArgument(typer.core.TyperArgument):
    """A positional argument shown as ``SCENARIO`` (``[PATH]`` when optional) in usage
    lines, as the README writes it; typer 0.2x would show ``{scenario}``."""

    @property
    def human_readable_name(self) -> str:  # "Missing argument 'SCENARIO'"
        return self.metavar or (self.name or "").upper()

    def make_metavar(self, ctx: Any, *, usage: bool = False) -> str:
        var = self.metavar or (self.name or "").upper()
        if self.nargs != 1:
            var += "..."
        return var if self.required or not usage else f"[{var}]"


def _plain_arguments(cmd: Any) -> Any:
    """Give every positional argument of ``cmd`` and its subcommands the README's spelling."""
    for p in getattr(cmd, "params", []):
        if isinstance(p, typer.core.TyperArgument):
            p.__class__ = _PlainArgument
    for sub in getattr(cmd, "commands", {}).values():
        _plain_arguments(sub)
    return cmd


@functools.cache
def _command() -> Any:
    """Return the click command typer builds from ``app`` (built once: ~15 ms per command)."""
    return _plain_arguments(typer.main.get_command(app))


def _wants_debug(args: list[str]) -> bool:
    """Return True when ``--debug`` is among the global options or RETEN_DEBUG is set."""
    import os

    if os.environ.get("RETEN_DEBUG", "").strip() not in ("", "0"):
        return True
    for a in args:
        if not a.startswith("-"):
            return False
        if a == "--debug":
            return True
    return False


# OS errors that mean "this path cannot be used as given": the user's input, exit 2
_PATH_ERRNOS = frozenset(
    {
        errno.ENOENT,
        errno.ENOTDIR,
        errno.EISDIR,
        errno.ENAMETOOLONG,
        errno.EACCES,
        errno.EPERM,
        errno.ELOOP,
    }
)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Print a warning that escaped the readers as one line, never a library's source line."""
    print(f"reten: warning: {_one_line(str(message))}", file=sys.stderr)


class _PipeSafe:
    """Standard output that a reader may stop reading (``reten ... --json | head``).

    Click turned the broken pipe into a silent exit 1 although every output was written;
    the rest of the answer is dropped instead, and the command ends as it would have.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return int(self._stream.write(text))
            except BrokenPipeError:
                self._drop()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._drop()

    def _drop(self) -> None:
        import contextlib
        import os

        self.broken = True
        # nothing is flushed to the closed pipe at exit either
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and exit with its status.

    Exit codes: 0 success; 2 a usage mistake or bad input (one line on stderr, no
    traceback); 1 an unexpected error (one line, and ``--debug`` shows the traceback);
    130/143 interrupted or terminated (temporary outputs removed).
    """
    import signal
    import traceback

    args = sys.argv[1:] if argv is None else list(argv)
    debug = _wants_debug(args)
    click_exception, usage_error = _click_classes()
    handlers = {}
    # SIGINT too: typer turns a KeyboardInterrupt into a plain return of 130, which would
    # read as success; Terminated is not a KeyboardInterrupt, so it reaches us
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        if sig == signal.SIGINT and signal.getsignal(sig) is signal.SIG_IGN:
            continue  # started with Ctrl-C ignored (nohup, a background job): keep it so
        try:
            handlers[sig] = signal.signal(sig, _raise_terminated)
        except ValueError:  # not the main thread: leave signals alone
            break
    code = 0
    import warnings

    shown = warnings.showwarning
    warnings.showwarning = _show_warning
    stdout = sys.stdout
    sys.stdout = _PipeSafe(stdout)  # type: ignore[assignment]
    try:
        rv = _command().main(args=args, prog_name="reten", standalone_mode=False)
        if isinstance(rv, int) and not isinstance(rv, bool) and rv:
            code = rv  # typer returns an exit code it caught instead of raising it
    except InputError as exc:
        if debug:
            traceback.print_exc()
        print(f"reten: error: {_one_line(str(exc))}", file=sys.stderr)
        code = 2
    except OutputError as exc:  # the disk holding an output is full: nothing was changed
        if debug:
            traceback.print_exc()
        print(f"reten: error: {_one_line(exc.strerror or str(exc))}", file=sys.stderr)
        code = 1
    except typer.Exit as exc:
        code = exc.exit_code
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except usage_error as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `reten`: typer showed the help
            text = _message(exc).strip()
            if text:
                print(text, file=sys.stderr)
        else:
            print(_usage_line(exc), file=sys.stderr)
        code = 2
    except click_exception as exc:
        print(f"reten: error: {_one_line(_message(exc))}", file=sys.stderr)
        code = int(getattr(exc, "exit_code", 1))
    except (KeyboardInterrupt, typer.Abort):
        print(INTERRUPTED, file=sys.stderr)
        code = 130
    except Terminated as exc:
        if exc.signum == signal.SIGINT:
            print(INTERRUPTED, file=sys.stderr)
            code = 130
        else:
            print(
                f"reten: terminated by signal {exc.signum} "
                "(each output is either complete or untouched)",
                file=sys.stderr,
            )
            code = 128 + exc.signum
    except Exception as exc:
        if debug:
            traceback.print_exc()
        kind = type(exc).__name__
        code = 1
        if isinstance(exc, OSError) and exc.errno in _PATH_ERRNOS:
            # a path the user gave cannot be used: bad input, like InputError
            where = f"{exc.filename}: " if exc.filename else ""
            print(f"reten: error: {_one_line(where + (exc.strerror or str(exc)))}", file=sys.stderr)
            code = 2
        elif isinstance(exc, OSError):  # the system: disk full, I/O error, ...
            print(f"reten: error: {_one_line(str(exc))}", file=sys.stderr)
        else:
            hint = "" if debug else " (for the traceback: reten --debug ..., or RETEN_DEBUG=1)"
            print(f"reten: unexpected error: {kind}: {_one_line(str(exc))}{hint}", file=sys.stderr)
    finally:
        warnings.showwarning = shown
        for sig, h in handlers.items():
            signal.signal(sig, h)
        sys.stdout = stdout
    sys.exit(code)


# ----------------------------------------------------------------------------- dynamics
# `reten simulate` and `reten sweep` (issue 13): parse, call reten.sweep, print.


def _dynamics_params(items: list[str] | None) -> dict[str, float]:
    """Parse repeated ``--param NAME=VALUE`` options into a dict of numbers."""
    out: dict[str, float] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            num = float(value)
            out[name.strip()] = int(num) if num.is_integer() and "." not in value else num
        except ValueError:
            raise InputError(
                f"--param {item!r}: write NAME=VALUE with a number, e.g. --param units=20"
            ) from None
    return out


@app.command("simulate")
def simulate_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file")],
    out: Annotated[Path, typer.Option("-o", "--out", parser=_out_path, help="Output directory")],
    months: Annotated[
        int,
        # reten.models.dynamics.MAX_MONTHS, MAX_RUNS, MAX_WORKERS (not imported: the
        # command line's usage errors do not load NumPy)
        typer.Option(
            "--months", help="Monthly steps (1 to 1200)", parser=_number(1, 1200, integer=True)
        ),
    ] = 12,
    runs: Annotated[
        int,
        typer.Option(
            "--runs",
            help="Independent runs (1 to 100000; runs x months <= 10000000)",
            parser=_number(1, 100_000, integer=True),
        ),
    ] = 1,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            help="Default: the scenario's",
            parser=_number(0, 2**53 - 1, integer=True),
        ),
    ] = None,
    policy: Annotated[
        str,
        typer.Option(
            "--policy",
            help="static|reactive|optimize|game",
            callback=_choice("static", "reactive", "optimize", "game"),
        ),
    ] = "static",
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="Dynamics parameter NAME=VALUE (repeatable)"),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            help="Processes for the runs (1 to 1024)",
            parser=_number(1, 1024, integer=True),
        ),
    ] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    overwrite: OverwriteOption = False,
) -> None:
    """Simulate adaptive trafficking month by month (NarcoLogic-style) and write the series."""
    from reten.sweep import simulate, write_simulation

    params = _dynamics_params(param)
    inputs = _scenario_inputs(scenario)
    with (
        output_dir(out, kind="simulation", overwrite=overwrite, inputs=inputs),
        _progress() as prog,
    ):
        prog.add_task(f"simulating {runs} runs x {months} months", total=None)
        sim = simulate(
            scenario,
            months=months,
            runs=runs,
            seed=seed,
            policy=policy,
            params=params,
            workers=workers,
        )
        write_simulation(sim, out, overwrite=overwrite)
    s = sim.series
    first, last = s[s.month == 0], s[s.month == s.month.max()]
    cols = ("volume_kg", "seized_kg", "active_regions", "displaced_kg", "routes_per_lab")
    if as_json:
        summary = {
            "out": str(out),
            "policy": policy,
            "runs": runs,
            "months": months,
            "seed": sim.provenance.get("seed"),
            "median_month_0": {c: float(first[c].median()) for c in cols},
            "median_last_month": {c: float(last[c].median()) for c in cols},
        }
        print(jsonio.dumps(summary, sort_keys=True))
    else:
        t = Table(title=f"{sim.provenance.get('scenario_name', '')}: {policy}, median of runs")
        for c in ("", "month 0", f"month {int(s.month.max())}"):
            t.add_column(c, justify="right" if c else "left")
        for c in cols:
            t.add_row(c, f"{first[c].median():,.1f}", f"{last[c].median():,.1f}")
        _answers().print(t)
    _warn_ignored(sim.provenance)
    console.print(f"[green]wrote[/] {out}/series.parquet, report.html, provenance.json")


@app.command("sweep")
def sweep_cmd(
    grid: Annotated[Path, typer.Argument(help="GRID.toml: \\[sweep], \\[params], \\[grid]")],
    out: Annotated[Path, typer.Option("-o", "--out", parser=_out_path, help="Output directory")],
    workers: Annotated[
        int,
        typer.Option(
            "--workers", help="LocalCluster processes (>= 1)", parser=_number(1, integer=True)
        ),
    ] = 2,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Address of a running dask scheduler")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite",
            help="Start afresh (discard finished tasks); never in a folder holding files a "
            "sweep does not write",
        ),
    ] = False,
) -> None:
    """Run a grid of scenario variants x seeds x runs on dask; rerun the same command to resume."""
    from reten.sweep import sweep

    res = sweep(
        grid,
        out,
        workers=workers,
        scheduler=scheduler,
        overwrite=overwrite,
        progress=console.is_terminal,
    )
    if as_json:
        summary = {
            "out": str(out),
            "rows": len(res.table),
            "computed": res.computed,
            "reused": res.skipped,
            "failed": res.failed,
        }
        print(jsonio.dumps(summary, sort_keys=True))
    console.print(
        f"[green]wrote[/] {out}/sweep.parquet: {len(res.table):,} rows; tasks computed "
        f"{res.computed}, reused {res.skipped}, failed {res.failed}"
    )
    if res.failed:
        console.print(
            f"reten: error: {res.failed} task(s) failed; see {out}/failures.parquet "
            "(rerun the same command to retry them)"
        )
        raise typer.Exit(1)
