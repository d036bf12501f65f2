"""The ``reten`` command line: a thin Typer layer over the Python API."""

from __future__ import annotations

import errno
import functools
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from reten import jsonio
from reten.atomic import output_dir, output_file
from reten.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from reten.analysis.displacement import Comparison
    from reten.models.routes import RouteResult
    from reten.network.model import Network
    from reten.scenario import Scenario

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="reten: trafficking routes and enforcement on real road networks.",
)
network_app = typer.Typer(no_args_is_help=True, help="Build, inspect and export road networks.")
app.add_typer(network_app, name="network")
console = Console(stderr=True)

OverwriteOption = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        help="Replace -o even when it holds something reten did not write (never an input)",
    ),
]


def _number(
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
    integer: bool = False,
) -> Callable[[Any], Any]:
    """Return a typer callback that accepts finite numbers in [lo, hi] (open ends optional)."""
    left = "" if lo is None else (f"> {lo:g}" if lo_open else f">= {lo:g}")
    right = "" if hi is None else (f"< {hi:g}" if hi_open else f"<= {hi:g}")
    what = "a whole number" if integer else "a finite number"
    rng = " and ".join(x for x in (left, right) if x)

    def check(value: Any) -> Any:
        if value is None:
            return value
        v = float(value)
        ok = math.isfinite(v)
        if ok and lo is not None:
            ok = v > lo if lo_open else v >= lo
        if ok and hi is not None:
            ok = v < hi if hi_open else v <= hi
        if not ok:
            raise typer.BadParameter(f"must be {what} {rng} (got {value})")
        return value

    return check


def _choice(*valid: str) -> Callable[[Any], Any]:
    """Return a typer callback that accepts one of ``valid`` (None passes)."""

    def check(value: Any) -> Any:
        if value is not None and value not in valid:
            raise typer.BadParameter(f"'{value}' is not one of: {', '.join(valid)}")
        return value

    return check


def _basemap(url: str | None) -> str | None:
    if url is not None and not all(k in url for k in ("{z}", "{x}", "{y}")):
        raise typer.BadParameter(f"'{url}': give an XYZ template with {{z}}, {{x}} and {{y}}")
    return url


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


def load_network(path: Path | None, default: bool) -> Network:
    """Return the embedded default network or the one saved at ``path``."""
    from reten.network import storage

    if default == (path is not None):
        raise InputError("give a network directory or --default (one of them)")
    if default:
        from reten.data import default_network

        return default_network()
    assert path is not None
    return storage.load(path)


@network_app.command("build")
def network_build(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output directory")],
    lines: Annotated[str | None, typer.Option("--lines", help="Line file (any OGR format)")] = None,
    layer: Annotated[str | None, typer.Option("--layer")] = None,
    snap_m: Annotated[
        float, typer.Option("--snap-m", help="Endpoint snapping, metres", callback=_number(0))
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
        float, typer.Option("--regions-nearest-m", callback=_number(0))
    ] = 20_000.0,
    ports: Annotated[str | None, typer.Option("--ports", help="CSV of land ports")] = None,
    seaports: Annotated[str | None, typer.Option("--seaports", help="CSV of seaports")] = None,
    places: Annotated[str | None, typer.Option("--places", help="CSV of named places")] = None,
    terminal_max_km: Annotated[
        float,
        typer.Option(
            "--terminal-max-km",
            help="Farthest a port or place may lie from the network, km",
            callback=_number(0, lo_open=True),
        ),
    ] = 10.0,
    overwrite: OverwriteOption = False,
) -> None:
    """Build a network from lines, OSM, an edge list or DIMACS; attach regions and terminals."""
    from reten.network import storage
    from reten.network.build import BuildSpec, TerminalSpec, build, summary

    terms = [
        TerminalSpec(p, k, terminal_max_km * 1000)
        for p, k in ((ports, "border"), (seaports, "seaport"), (places, "place"))
        if p
    ]
    spec = BuildSpec(
        lines=lines,
        layer=layer,
        snap_m=snap_m,
        split_interior=split_interior,
        columns=columns,
        class_col=class_col,
        speed_col=speed_col,
        oneway_col=oneway_col,
        toll_col=toll_col,
        crs=crs,
        osm=osm,
        edges=edges,
        nodes=nodes,
        dimacs=dimacs,
        largest_component=largest_component,
        regions=regions,
        regions_layer=regions_layer,
        regions_code=regions_code,
        regions_nearest_m=regions_nearest_m,
        terminals=terms,
    )
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

        net = build(spec, on_progress=tick)
        prog.update(task, description="saving")
        storage.save(net, out)
    s = summary(net)
    console.print(
        f"[green]built[/] {out}: {s['nodes']:,} nodes, {s['arcs']:,} arcs, "
        f"largest component {s['largest_component_share']:.1%}, "
        f"region coverage {s['region_coverage']:.1%}; dropped {s['dropped']}"
    )


@network_app.command("info")
def network_info(
    path: Annotated[Path | None, typer.Argument(help="Saved network directory")] = None,
    default: Annotated[bool, typer.Option("--default", help="The embedded default")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Print counts, components, region coverage and bounding box."""
    from reten.network.build import summary

    net = load_network(path, default)
    s = summary(net)
    if as_json:
        print(jsonio.dumps(s, sort_keys=True))
        return
    t = Table(title=str(path) if path else "embedded default")
    t.add_column("field")
    t.add_column("value")
    for k, v in s.items():
        t.add_row(k, str(v))
    Console().print(t)


@network_app.command("export")
def network_export(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output file")],
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
        net = load_network(path, default)
        export(net, tmp, fmt)
    console.print(f"[green]wrote[/] {out}")


def _run_one(path: Path, net: Network | None = None) -> tuple[Scenario, Network, RouteResult]:
    from reten.api import run as api_run

    return api_run(path, net)


def _run_tables(net: Network, r: RouteResult) -> dict[str, pd.DataFrame]:
    from reten.report.exports import crossings_frame, origins_frame, regions_frame

    reg = regions_frame(net, r)
    reg = reg[reg.flow_kg > 0].sort_values(
        ["level", "flow_kg", "region"], ascending=[True, False, True]
    )
    cr = crossings_frame(net, r)
    return {
        "Origins": origins_frame(net, r),
        "Crossings": cr[cr.flow_kg > 0].sort_values(
            ["flow_kg", "crossing"], ascending=[False, True]
        ),
        "Regions on a route (kg/month entering)": reg,
    }


def run_to_dir(
    path: Path, out: Path, net: Network | None = None
) -> tuple[Scenario, Network, RouteResult]:
    """Run a scenario and write its directory; return (scenario, network, result)."""
    from reten.report.exports import write_run
    from reten.report.html import run_report

    sc, net, r = _run_one(path, net)
    title = sc.name
    write_run(out, net, r, run_report(net, r, title, _run_tables(net, r)))
    return sc, net, r


def compare_to_dir(
    base_path: Path, scen_path: Path, out: Path, net: Network | None = None
) -> tuple[Comparison, RouteResult]:
    """Run two scenarios, compare them and write the comparison directory."""
    from reten.analysis.displacement import compare as do_compare
    from reten.report.exports import write_compare
    from reten.report.html import compare_report

    sb, net, rb = _run_one(base_path, net)
    ss, net2, rs = _run_one(scen_path, net)
    if net2 is not net and net2.content_hash() != net.content_hash():
        raise InputError(f"{scen_path}: runs on a different network than {base_path}")
    cmp = do_compare(net, rb, rs)
    title = f"{ss.name} vs {sb.name}"
    write_compare(out, net, rb, rs, cmp, compare_report(net, rb, rs, cmp, title))
    return cmp, rs


BasemapOption = Annotated[
    str | None,
    typer.Option(
        "--basemap", help="XYZ tile URL template: online tiles under the maps", callback=_basemap
    ),
]


def _set_basemap(url: str | None) -> None:
    """Turn on online tiles under the report maps (off by default: reports stay offline)."""
    from reten.report import svg

    if url is not None and not all(k in url for k in ("{z}", "{x}", "{y}")):
        raise InputError(f"--basemap '{url}': give an XYZ template with {{z}}, {{x}} and {{y}}")
    svg.BASEMAP["url"] = url


@app.command("run")
def run_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output directory")],
    basemap: BasemapOption = None,
    overwrite: OverwriteOption = False,
) -> None:
    """Run the route model on a scenario; write report.html, CSV, GeoParquet and GeoJSON."""
    _set_basemap(basemap)
    with (
        output_dir(out, kind="run", overwrite=overwrite, inputs=_scenario_inputs(scenario)),
        _progress() as prog,
    ):
        prog.add_task(f"running {scenario}", total=None)
        sc, net, r = run_to_dir(scenario, out)
    _print_run(sc, r)
    console.print(f"[green]wrote[/] {out}/report.html")


def _print_run(sc: Scenario, r: RouteResult) -> None:
    from reten.analysis.seizures import seizure_summary

    s = seizure_summary(r)
    t = Table(title=f"{sc.name}: where the flow goes")
    t.add_column("crossing")
    t.add_column("kg/month", justify="right")
    t.add_column("share", justify="right")
    t.add_column("seized kg", justify="right")
    for c in s["crossings"]:
        if c["flow_kg"] > 0:
            t.add_row(
                c["crossing"], f"{c['flow_kg']:,.0f}", f"{c['share']:.0%}", f"{c['seized_kg']:,.1f}"
            )
    console.print(t)
    unreach = r.unreachable
    if unreach.size:
        labels = r.problem.origin_label[unreach]
        console.print(f"[yellow]no route[/] for {unreach.size} origin(s): {', '.join(labels)}")


@app.command("compare")
def compare_cmd(
    base: Annotated[Path, typer.Argument(help="Baseline scenario TOML")],
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML to compare")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output directory")],
    basemap: BasemapOption = None,
    overwrite: OverwriteOption = False,
) -> None:
    """Compare a scenario with a baseline: displacement by municipality, state and crossing."""
    _set_basemap(basemap)
    inputs = _scenario_inputs(base, scenario)
    with output_dir(out, kind="compare", overwrite=overwrite, inputs=inputs), _progress() as prog:
        prog.add_task(f"comparing {scenario} with {base}", total=None)
        cmp, _ = compare_to_dir(base, scenario, out)
    _print_compare(cmp)
    console.print(f"[green]wrote[/] {out}/report.html")


def _print_compare(cmp: Comparison, rows: int = 8) -> None:
    totals = cmp.totals
    reg = cmp.regions
    t = Table(
        title=f"Displacement: traffickers' cost {totals['cost_increase_share']:+.1%}, "
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
    console.print(t)


@app.command("validate")
def validate_cmd(
    result: Annotated[Path, typer.Argument(help="A run directory (with regions.csv)")],
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
            callback=_number(1, 100_000, integer=True),
        ),
    ] = 2000,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed (>= 0)", callback=_number(0, integer=True))
    ] = 0,
    out: Annotated[
        Path | None,
        typer.Option("-o", "--out", help="Output directory (default RESULT/validation)"),
    ] = None,
    overwrite: OverwriteOption = False,
) -> None:
    """Compare a run's predicted region flows with an observed region-level series."""
    import html as _h

    import pandas as pd

    from reten.analysis.validate import CAVEATS, read_observed, scatter_svg, validate
    from reten.report.html import page, table

    out = out or result / "validation"
    inputs: list[str | Path] = [result / "regions.csv", observed]
    with output_dir(out, kind="validation", overwrite=overwrite, inputs=inputs) as tmp:
        rpath = result / "regions.csv"
        if not rpath.is_file():
            raise InputError(f"{result}: not a run directory (no regions.csv)")
        pred = pd.read_csv(rpath, dtype={"region": str})
        levels = sorted(set(pred.level))
        if level not in levels:
            raise InputError(f"--level '{level}' not in {rpath}; levels: {', '.join(levels)}")
        pred = pred[pred.level == level].rename(columns={"flow_kg": "predicted"})
        obs = read_observed(observed, region_col, value_col, agg=agg, where=where)
        v = validate(
            pred[["region", "predicted"]], obs, bootstrap=bootstrap, seed=seed, where=observed
        )
        summary = v.summary() | {
            "result": str(result),
            "observed": observed,
            "value_col": value_col,
            "level": level,
            "agg": agg,
            "where": where,
        }
        names = dict(zip(pred.region, pred.get("name", pred.region), strict=True))
        tab = v.table.assign(name=[names.get(r, "") for r in v.table.region])
        body = [
            f"<p>Spearman rank correlation <b>{v.spearman:+.3f}</b> (95% bootstrap CI "
            f"{v.ci_low:+.3f} to {v.ci_high:+.3f}, {v.bootstrap} resamples; p = {v.p_value:.3g}) "
            f"over {v.n} regions.</p>",
            scatter_svg(v, f"predicted flow, kg/month ({level})", f"observed {value_col} ({agg})"),
            "<h2>What this can and cannot show</h2>",
            f"<p>{_h.escape(CAVEATS)}</p>",
            "<h2>Regions</h2>",
            table(tab, max_rows=60, floatfmt="{:,.3f}"),
        ]
        (tmp / "validation.html").write_text(
            page("Predictions against observations", f"{result} vs {observed}", body),
            encoding="utf-8",
        )
        (tmp / "validation.json").write_text(
            jsonio.dumps(summary, indent=2, sort_keys=True, default=str) + "\n"
        )
        tab.to_csv(tmp / "matched.csv", index=False, lineterminator="\n")
    print(jsonio.dumps({k: summary[k] for k in ("n_regions", "spearman", "ci95", "p_value")}))
    console.print(f"[green]wrote[/] {out}/validation.html")


@app.command("optimize")
def optimize_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML (its enforcement is the start)")],
    budget: Annotated[
        float,
        typer.Option(
            "--budget", help="Units available (B, > 0)", callback=_number(0, lo_open=True)
        ),
    ],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output directory")],
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
        typer.Option("--time-limit", help="Seconds (> 0)", callback=_number(0, lo_open=True)),
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
        typer.Option("--delay", help="Added cost per unit (>= 0)", callback=_number(0)),
    ] = 50.0,
    p_detect: Annotated[
        float,
        typer.Option(
            "--p-detect",
            help="Detection per unit, in [0, 1)",
            callback=_number(0, 1, hi_open=True),
        ),
    ] = 0.1,
    max_units: Annotated[
        int,
        typer.Option(
            "--max-units", help="Units per site at most (>= 1)", callback=_number(1, integer=True)
        ),
    ] = 1,
    curve: Annotated[bool, typer.Option("--curve/--no-curve", help="K = 1..B curve")] = True,
    overwrite: OverwriteOption = False,
) -> None:
    """Choose where K units cost traffickers most or intercept most, with certified bounds."""
    import time as _time

    from reten.analysis.displacement import compare as do_compare
    from reten.api import prepare
    from reten.models.interdiction import (
        OBJECTIVES,
        apply_units,
        build_sites,
        marginal_curve,
        optimize,
    )
    from reten.models.routes import solve_routes
    from reten.report.optimize import result_json, write_optimize

    if objective not in OBJECTIVES:
        raise InputError(f"--objective '{objective}' unknown; valid: {', '.join(OBJECTIVES)}")
    if not budget > 0:
        raise InputError(f"--budget must be a positive number of units (got {budget:g})")
    t0 = _time.perf_counter()
    inputs = _scenario_inputs(scenario)
    with (
        output_dir(out, kind="optimize", overwrite=overwrite, inputs=inputs),
        _progress() as prog,
    ):
        prog.add_task(f"optimising {scenario}", total=None)
        sc, net, problem = prepare(scenario)
        sites = build_sites(
            net, problem, sites_kind, delay=delay, p_detect=p_detect, max_units=max_units
        )
        kmax = int(budget) if curve and float(budget).is_integer() and budget <= 30 else 0
        if kmax > 1:
            results = marginal_curve(
                net, problem, sites, kmax, objective=objective, method=method, time_limit=time_limit
            )
            res = results[-1]
        else:
            res = optimize(
                net,
                problem,
                sites,
                budget,
                objective=objective,
                method=method,
                time_limit=time_limit,
            )
            results = [res]
        res.seconds = _time.perf_counter() - t0
        base = solve_routes(net, problem)
        response = solve_routes(
            net, apply_units(problem, sites, res.units, remove=objective == "capacity")
        )
        cmp = do_compare(net, base, response)
        write_optimize(
            out,
            net,
            problem,
            res,
            results,
            base,
            response,
            cmp,
            f"{sc.name}: {objective}, {sites_kind}, budget {budget:g}",
        )
    summary = result_json(res)
    if as_json:
        print(jsonio.dumps(summary))
    else:
        t = Table(
            title=f"{res.objective}: {res.objective_value:,.1f} "
            f"(bounds {res.lower_bound:,.1f} .. {res.upper_bound:,.1f}, {res.status})"
        )
        t.add_column("site")
        t.add_column("units", justify="right")
        for srow in summary["sites"]:
            t.add_row(srow["site"], str(srow["units"]))
        Console().print(t)
    console.print(f"[green]wrote[/] {out}/report.html")


DEMO_STEPS = (
    ("baseline", "Baseline: labs in Sinaloa and the Golden Triangle ship to the cheapest crossing"),
    ("sinaloa_surge", "Sinaloa surge: troops raise cost and detection in Sinaloa"),
    ("border_surge", "Border surge: 10,000 National Guard spread over the northern crossings"),
    ("both", "Both surges together"),
)


@app.command("demo")
def demo(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output directory")] = Path("out/demo"),
    overwrite: OverwriteOption = False,
) -> None:
    """Run the embedded demo story and write DIR/index.html linking every report."""
    import html as _h
    from importlib import resources

    from reten.atomic import atomic_write_bytes
    from reten.data import default_network
    from reten.report.html import index_page

    entries = []
    summary = Table(title="reten demo: where the flow went (share of volume by crossing)")
    summary.add_column("scenario")
    summary.add_column("top crossings")
    summary.add_column("seized kg/month", justify="right")
    summary.add_column("trafficker cost", justify="right")
    rows_html = []
    base_cost = None
    with (
        output_dir(out, kind="demo", overwrite=overwrite),
        _progress() as prog,
        resources.as_file(resources.files("reten.data") / "demo") as ddir,
    ):
        net = default_network()
        task = prog.add_task("demo", total=2 * len(DEMO_STEPS) - 1)
        for key, desc in DEMO_STEPS:
            prog.update(task, description=f"running {key}")
            sc, _, r = run_to_dir(ddir / f"{key}.toml", out / key, net)
            entries.append((f"{key}/report.html", sc.name, desc))
            prog.advance(task)
            if key != "baseline":
                prog.update(task, description=f"comparing {key}")
                compare_to_dir(
                    ddir / "baseline.toml", ddir / f"{key}.toml", out / f"{key}_vs_baseline", net
                )
                entries.append(
                    (
                        f"{key}_vs_baseline/report.html",
                        f"{sc.name} vs Baseline",
                        "displacement map and tables",
                    )
                )
                prog.advance(task)
            cf = r.crossing_flow_kg / r.crossing_flow_kg.sum()
            order = [i for i in cf.argsort(kind="stable")[::-1] if cf[i] > 0][:3]
            tops = ", ".join(f"{r.problem.sink_label[i]} {cf[i]:.0%}" for i in order)
            cost = r.total_cost
            base_cost = base_cost or cost
            summary.add_row(
                sc.name,
                tops,
                f"{r.total_seized_kg:,.1f}",
                f"{cost / base_cost - 1:+.1%}",
            )
            rows_html.append((sc.name, tops, r.total_seized_kg, cost / base_cost - 1))
        table_html = (
            "<h2>Where the flow went</h2><table><thead><tr><th>scenario</th>"
            "<th>top crossings</th><th>seized kg/month</th><th>trafficker cost</th></tr>"
            "</thead><tbody>"
            + "".join(
                f"<tr><td>{_h.escape(a)}</td><td>{_h.escape(b)}</td><td>{c:,.1f}</td>"
                f"<td>{d:+.1%}</td></tr>"
                for a, b, c, d in rows_html
            )
            + "</tbody></table>"
        )
        atomic_write_bytes(
            out / "index.html", index_page("reten demo", entries, table_html).encode("utf-8")
        )
    Console().print(summary)
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
    """Raised in the main thread when reten receives SIGTERM or SIGHUP.

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


def _usage_line(exc: BaseException) -> str:
    """Return a click usage error as one line: the error, the usage, where help is."""
    msg = _one_line(_message(exc))
    ctx = getattr(exc, "ctx", None)
    if ctx is None:
        return f"reten: error: {msg} (see 'reten --help')"
    usage = _one_line(ctx.get_usage())
    usage = usage[len("Usage: ") :] if usage.startswith("Usage: ") else usage
    return f"reten: error: {msg} (usage: {usage}; see '{ctx.command_path} --help')"


@functools.cache
def _command() -> Any:
    """Return the click command typer builds from ``app`` (built once: ~15 ms per command)."""
    return typer.main.get_command(app)


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
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            handlers[sig] = signal.signal(sig, _raise_terminated)
        except ValueError:  # not the main thread: leave signals alone
            break
    code = 0
    try:
        _command().main(args=args, prog_name="reten", standalone_mode=False)
    except InputError as exc:
        if debug:
            traceback.print_exc()
        print(f"reten: error: {_one_line(str(exc))}", file=sys.stderr)
        code = 2
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
        print("reten: interrupted (each output is either complete or untouched)", file=sys.stderr)
        code = 130
    except Terminated as exc:
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
        for sig, h in handlers.items():
            signal.signal(sig, h)
    sys.exit(code)
