"""The ``reten`` command line: a thin Typer layer over the Python API."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from reten.errors import InputError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="reten: trafficking routes and enforcement on real road networks.",
)
network_app = typer.Typer(no_args_is_help=True, help="Build, inspect and export road networks.")
app.add_typer(network_app, name="network")
console = Console(stderr=True)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def load_network(path: Path | None, default: bool) -> object:
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
    snap_m: Annotated[float, typer.Option("--snap-m", help="Endpoint snapping, metres")] = 1.0,
    split_interior: Annotated[bool, typer.Option("--split-interior")] = False,
    columns: Annotated[str | None, typer.Option("--columns", help="Preset: inegi|osm")] = None,
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
    regions_nearest_m: Annotated[float, typer.Option("--regions-nearest-m")] = 20_000.0,
    ports: Annotated[str | None, typer.Option("--ports", help="CSV of land ports")] = None,
    seaports: Annotated[str | None, typer.Option("--seaports", help="CSV of seaports")] = None,
    places: Annotated[str | None, typer.Option("--places", help="CSV of named places")] = None,
    terminal_max_km: Annotated[float, typer.Option("--terminal-max-km")] = 10.0,
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
    with _progress() as prog:
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
    s = summary(net)  # type: ignore[arg-type]
    if as_json:
        print(json.dumps(s, sort_keys=True))
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
    fmt: Annotated[str, typer.Option("--format", help="geojson|gpkg|graphml|parquet")],
    path: Annotated[Path | None, typer.Argument(help="Saved network directory")] = None,
    default: Annotated[bool, typer.Option("--default")] = False,
) -> None:
    """Export a network's arcs (and nodes) for GIS or graph tools."""
    from reten.network.export import export

    net = load_network(path, default)
    export(net, out, fmt)  # type: ignore[arg-type]
    console.print(f"[green]wrote[/] {out}")


@app.command("demo")
def demo(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output directory")] = Path("out/demo"),
) -> None:
    """Build the embedded Mexico skeleton and print its summary."""
    from reten.data import default_network
    from reten.network import storage
    from reten.network.build import summary

    net = default_network()
    storage.save(net, out / "network")
    t = Table(title="reten embedded default: Mexico federal highway skeleton")
    t.add_column("field")
    t.add_column("value")
    for k, v in summary(net).items():
        t.add_row(k, str(v))
    Console().print(t)


def main() -> None:
    """Run the CLI; bad input prints one line and exits 2, without a traceback."""
    try:
        app(standalone_mode=False)
    except InputError as exc:
        print(f"reten: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", getattr(exc, "code", 0))
        sys.exit(code if isinstance(code, int) else 1)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(2)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(1)
        raise
