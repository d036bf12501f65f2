"""Results as an analyst sees them: frozen, with provenance, tables as (Geo)DataFrames.

A model returns arrays (:class:`reten.models.routes.RouteResult`); the classes here attach
names and ids on the way out. Every table holds names as well as ids; node ids are the
input's public ids and region codes are strings, in memory and in the files a result
writes (:meth:`RunResult.write`), which :func:`reten.read_run` reads back unchanged.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from reten.checks import basemap_url, user_path
from reten.errors import InputError

if TYPE_CHECKING:
    from reten.analysis.displacement import Comparison as _Comparison
    from reten.analysis.validate import Validation
    from reten.models.interdiction import InterdictionResult
    from reten.models.routes import RouteResult
    from reten.network.model import Network
    from reten.scenario import Scenario

TABLES = ("origins", "regions", "crossings", "arcs")


def _inputs(*runs: RunResult) -> list[Path]:
    """The scenario files the runs read, the network folders they name and the folders
    their networks were loaded from."""
    from reten.network.storage import LOADED_FROM

    found: list[Path] = []
    for run in runs:
        loaded = run.network.meta.get(LOADED_FROM) if run.network is not None else None
        if loaded:  # reten.load_network(dir) given as net=: the scenario may not name it
            found.append(Path(str(loaded)))
        sc = run.scenario
        if sc is None:
            continue
        if os.path.isfile(str(sc.path)):
            found.append(Path(str(sc.path)))
        net = sc.spec.get("network", {})
        if "path" in net:
            p = Path(str(net["path"]))
            found.append(p if p.is_absolute() else sc.base_dir / p)
    return found


def _out(out: Any, *runs: RunResult) -> Path:
    """Return output folder ``out`` as a Path, refusing a non-path, an input, or a place
    inside the network the runs read (the CLI's ``-o`` rule)."""
    from reten.atomic import check_not_an_input

    p = user_path("out", out, "an output folder path")
    check_not_an_input(p, _inputs(*runs), flag="out")
    return p


@dataclass(frozen=True, eq=False, kw_only=True)
class RunResult:
    """The result of one scenario run, or of a run directory read back.

    Attributes
    ----------
    name : str
        The scenario's name.
    provenance : dict
        Input hashes (scenario, network), parameters, model, reten version, seed.
    network : Network or None
        The network it ran on (None when read back from a directory).
    routes : RouteResult or None
        The model's arrays (None when read back from a directory).

    Notes
    -----
    Tables (copies; changing one changes nothing here):

    ``origins``
        one row per origin: ``origin`` (name), ``node`` (input id), ``volume_kg``
        (kg/month), ``cost`` (cost units/kg, risk included), ``crossing`` (name),
        ``seized_kg``, ``money_cost``, ``length_km``, ``lon``, ``lat``, ``crossing_node``
        (input id); with a precursor leg also ``precursor_cost``, ``seaport``,
        ``precursor_seized_kg``, ``chain_cost``.
    ``regions``
        every region: ``region`` (code, a string), ``level``, ``flow_kg`` (volume entering
        it, kg/month, counted at each entry: a route that leaves a region and comes back,
        along a road on its border, counts twice, so a region's figure can exceed the volume
        shipped), ``name``.
    ``crossings``
        every destination: ``crossing`` (name), ``node`` (input id), ``flow_kg``,
        ``share``, ``seized_kg``.
    ``arcs``
        a GeoDataFrame in EPSG:4326: every arc with ``source``/``target`` (input ids),
        ``length_m``, ``road_class``, ``cost``, ``p_detect``, ``flow_kg``.
    ``production`` / ``convergence``
        with relocation / congestion only (else None).

    Examples
    --------
    >>> import reten
    >>> sc = reten.Scenario.from_dict({"name": "base",
    ...     "origins": [{"municipality": "Culiacán", "volume_kg": 100}]})
    >>> res = reten.run(sc, reten.load_network("default"))
    >>> res
    RunResult('base': 100 kg/month shipped, 0.0 seized, 0 origin(s) cut off)
    >>> res.crossings.nlargest(1, "flow_kg")[["crossing", "flow_kg"]].to_numpy().tolist()
    [['Nogales crossing', 100.0]]
    """

    name: str
    provenance: Mapping[str, Any]
    network: Network | None = field(default=None, repr=False)
    routes: RouteResult | None = field(default=None, repr=False)
    scenario: Scenario | None = field(default=None, repr=False)
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def _table(self, key: str) -> Any:
        cache = self.tables
        if key not in cache:
            if self.routes is None or self.network is None:
                return None
            from reten.report import exports as ex

            net, r = self.network, self.routes
            build = {
                "origins": lambda: ex.origins_frame(net, r),
                "regions": lambda: ex.regions_frame(net, r),
                "crossings": lambda: ex.crossings_frame(net, r),
                "arcs": lambda: ex.arcs_geoframe(net, r),
                "production": lambda: (
                    ex.production_frame(net, r) if r.relocation is not None else None
                ),
                "convergence": lambda: (
                    ex.convergence_frame(r) if r.convergence is not None else None
                ),
            }[key]
            cache[key] = build()  # type: ignore[index]
        t = cache[key]
        return None if t is None else t.copy()

    @property
    def origins(self) -> pd.DataFrame:
        """Per-origin table (see the class notes)."""
        return self._table("origins")

    @property
    def regions(self) -> pd.DataFrame:
        """Per-region table, every region in table order."""
        return self._table("regions")

    @property
    def crossings(self) -> pd.DataFrame:
        """Per-crossing table."""
        return self._table("crossings")

    @property
    def arcs(self) -> Any:
        """Every arc as a GeoDataFrame (EPSG:4326) with cost, detection and flow."""
        return self._table("arcs")

    @property
    def production(self) -> pd.DataFrame | None:
        """Production by region before and after relocation (None without relocation)."""
        return self._table("production")

    @property
    def convergence(self) -> pd.DataFrame | None:
        """Equilibrium convergence: iteration, relative_gap, seconds (None without)."""
        return self._table("convergence")

    @property
    def summary(self) -> dict[str, float]:
        """Key figures: volume, expected seizures, traffickers' total cost, origins cut off.

        Computed from the tables, so equal for a run and its directory read back.
        """
        o = self.origins
        reached = o.crossing != ""
        vol = float(o.volume_kg[reached].sum())
        seized = float(np.nansum(o.seized_kg))
        return {
            "volume_kg": vol,
            "seized_kg": seized,
            "seized_share": seized / vol if vol else 0.0,
            "total_cost": float((o.cost[reached] * o.volume_kg[reached]).sum()),
            "origins_without_route": int((~reached).sum()),
        }

    def write(
        self, out: str | Path, *, basemap: str | None = None, select_region: str | None = None
    ) -> Path:
        """Write the run directory: report.html, CSV, GeoParquet, GeoJSON, provenance.json.

        Parameters
        ----------
        out : path
            The directory, written under a temporary name and renamed when complete.
        basemap : str, optional
            XYZ tile URL template drawn under the report's maps (None: offline).
        select_region : str, optional
            Also write ``select.csv``: the origins whose routes enter this region (see
            :meth:`select_region`).

        Returns
        -------
        Path
            ``out``.

        Raises
        ------
        InputError
            When ``out`` or ``basemap`` is not valid (see :func:`reten.atomic.check_output_dir`;
            ``out`` inside a saved network is refused), or the result was read back from a
            directory (no network to draw).
        """
        out = _out(out, self)
        basemap = basemap_url(basemap)
        net, r = self._need("write")
        from reten.analysis.select_link import resolve_region, select_region_frame
        from reten.report.exports import write_run
        from reten.report.html import run_report

        extra = {}
        if select_region is not None:
            extra["select.csv"] = select_region_frame(r, net, resolve_region(net, select_region))
        return write_run(
            out,
            net,
            r,
            run_report(net, r, self.name, _report_tables(self), basemap=basemap),
            extra=extra,
        )

    def skim(self) -> pd.DataFrame:
        """Every origin's least cost to every reachable crossing (see :mod:`reten.analysis.skim`).

        Columns ``origin``, ``node``, ``crossing``, ``crossing_node``, ``cost``, ``rank``.
        """
        from reten.analysis.skim import skim_frame

        net, r = self._need("skim")
        return skim_frame(net, r.problem)

    def margins(self) -> pd.DataFrame:
        """Each origin's best and second-best crossing and the cost margin between them."""
        from reten.analysis.skim import margins_frame

        net, r = self._need("margins")
        return margins_frame(net, r.problem)

    def select_region(self, region: str) -> pd.DataFrame:
        """Select-link: the origins whose routes enter ``region`` and their kg/month.

        ``region`` is a code, a name or ``"Municipality, State"``, as a str: codes are text
        (``"08"``, ``"08037"``: an int would lose the leading zero), so an int is refused
        with a line saying so. Raises InputError when unknown, ambiguous or not a str.
        """
        from reten.analysis.select_link import select_region

        if not isinstance(region, str):
            raise InputError(
                f"select_region: give the region as text: a code such as '25' or '08037' "
                f"(codes keep their leading zeros), a name, or 'Municipality, State' "
                f"(got {type(region).__name__} {region!r})"
            )
        net, r = self._need("select_region")
        return select_region(r, net, region)

    def select_crossing(self, crossing: str) -> pd.DataFrame:
        """Select-link: the origins whose routes end at ``crossing`` (its name)."""
        from reten.analysis.select_link import select_crossings, select_frame

        net, r = self._need("select_crossing")
        labels = [str(x) for x in r.problem.sink_label]
        if crossing not in labels:
            raise InputError(f"select_crossing: unknown crossing {crossing!r}; one of {labels}")
        return select_frame(r, net, select_crossings(r, np.array([labels.index(crossing)])))

    def select_roads(self, arcs: Any) -> pd.DataFrame:
        """Select-link: the origins whose routes use any of ``arcs`` (arc indices)."""
        from reten.analysis.select_link import select_arcs, select_frame

        net, r = self._need("select_roads")
        return select_frame(r, net, select_arcs(r, np.asarray(arcs), net.n_nodes, net.n_arcs))

    def _need(self, what: str) -> tuple[Network, RouteResult]:
        if self.routes is None or self.network is None:
            raise InputError(
                f"{self.name}: {what} needs a result computed by reten.run (a run directory "
                "read back holds tables only)"
            )
        return self.network, self.routes

    def figures(self, out: str | Path, fmt: str = "png") -> Path:
        """Write the main maps and charts as static figures (png, svg or pdf, 300 dpi).

        See :func:`reten.report.figures.write_figures`; returns the directory ``out``.
        """
        out = _out(out, self)
        from reten.report.figures import write_figures

        return write_figures(self, out, fmt)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the routes (width by flow), origins and crossings with matplotlib.

        Needs ``pip install 'reten[plot]'``. Returns the matplotlib Axes.
        """
        from reten.report.plot import plot_run

        return plot_run(self, ax=ax, **kwargs)

    def explore(self, *, basemap: str | None = None) -> Any:
        """Return an interactive map (hover for figures) that works offline.

        The map is the report's self-contained SVG (no script, no network request);
        ``basemap`` adds online XYZ tiles under it. Display it in Jupyter, or ``.save()``
        it as an HTML file.
        """
        basemap = basemap_url(basemap)
        from reten.report.notebook import run_map

        return run_map(self, basemap=basemap)

    def _repr_html_(self) -> str:
        from reten.report.notebook import run_html

        return run_html(self)

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"RunResult({self.name!r}: {s['volume_kg']:,.0f} kg/month shipped, "
            f"{s['seized_kg']:,.1f} seized, {s['origins_without_route']} origin(s) cut off)"
        )


def _report_tables(res: RunResult) -> dict[str, pd.DataFrame]:
    reg = res.regions
    reg = reg[reg.flow_kg > 0].sort_values(
        ["level", "flow_kg", "region"], ascending=[True, False, True]
    )
    cr = res.crossings
    return {
        "Origins": res.origins,
        "Crossings": cr[cr.flow_kg > 0].sort_values(
            ["flow_kg", "crossing"], ascending=[False, True]
        ),
        "Regions on a route (kg/month entering)": reg,
    }


@dataclass(frozen=True, eq=False, kw_only=True)
class ComparisonResult:
    """What a scenario changes relative to a baseline (displacement, the balloon effect).

    Attributes
    ----------
    base, scenario : RunResult
    regions : DataFrame
        Regions on a route in either run: ``region`` (code), ``level``, ``flow_base_kg``,
        ``flow_scenario_kg``, ``delta_kg``, ``name``, ``spillover`` (on a route only in the
        scenario); ranked by the size of the change.
    crossings : DataFrame
        ``node`` (input id), ``crossing`` (name), flows and seizures in both runs,
        ``delta_kg``.
    origins : DataFrame
        Per origin: ``cost_increase`` (Dell's key quantity) and crossings before and after.
    totals : dict
        Total cost before and after, seizures, regions newly on a route, flow moved;
        ``cost_increase_share`` is None when the base cost is 0 (a share of nothing), and
        ``cost_increase_share_status`` says so (``"baseline_zero"``; else ``"ok"``).

    Examples
    --------
    >>> import reten
    >>> net = reten.load_network("default")
    >>> base = reten.Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": 90}]})
    >>> shut = base.add_enforcement({"type": "closure", "port": "Nogales"})
    >>> cmp = reten.compare(reten.run(base, net), reten.run(shut, net))
    >>> cmp.crossings.set_index("crossing").loc["Nogales crossing", "flow_kg_scenario"]
    np.float64(0.0)
    """

    base: RunResult
    scenario: RunResult
    regions: pd.DataFrame
    crossings: pd.DataFrame
    origins: pd.DataFrame
    totals: Mapping[str, Any]
    provenance: Mapping[str, Any]

    @property
    def name(self) -> str:
        """``"SCENARIO vs BASE"``."""
        return f"{self.scenario.name} vs {self.base.name}"

    def _analysis(self) -> _Comparison:
        from reten.analysis.displacement import Comparison

        return Comparison(self.regions, self.crossings, self.origins, dict(self.totals))

    def write(self, out: str | Path, *, basemap: str | None = None) -> Path:
        """Write the comparison directory: report.html, ranked CSV tables, totals.json."""
        out = _out(out, self.base, self.scenario)
        basemap = basemap_url(basemap)
        net, rb = self.base._need("write")
        _, rs = self.scenario._need("write")
        from reten.report.exports import write_compare
        from reten.report.html import compare_report

        cmp = self._analysis()
        html = compare_report(net, rb, rs, cmp, self.name, basemap=basemap)
        return write_compare(out, net, rb, rs, cmp, html)

    def figures(self, out: str | Path, fmt: str = "png") -> Path:
        """Write the main maps and charts as static figures (png, svg or pdf, 300 dpi).

        See :func:`reten.report.figures.write_figures`; returns the directory ``out``.
        """
        out = _out(out, self.base, self.scenario)
        from reten.report.figures import write_figures

        return write_figures(self, out, fmt)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the change in flow per arc (red: more, blue: less) with matplotlib."""
        from reten.report.plot import plot_comparison

        return plot_comparison(self, ax=ax, **kwargs)

    def explore(self, *, basemap: str | None = None) -> Any:
        """Return the displacement map (offline SVG, hover for figures)."""
        basemap = basemap_url(basemap)
        from reten.report.notebook import comparison_map

        return comparison_map(self, basemap=basemap)

    def _repr_html_(self) -> str:
        from reten.report.notebook import comparison_html

        return comparison_html(self)

    def __repr__(self) -> str:
        from reten.report.html import share_text

        t = self.totals
        return (
            f"ComparisonResult({self.name!r}: traffickers' cost "
            f"{share_text(t['cost_increase_share'])}, {int(t['regions_newly_on_route'])} region(s) "
            "newly on a route)"
        )


@dataclass(frozen=True, eq=False, kw_only=True)
class OptimizeResult:
    """Where K units go, with certified bounds on the optimum (network interdiction).

    Attributes
    ----------
    objective : str
        ``cost`` (maximise the traffickers' least cost), ``interception`` (maximise expected
        seizures) or ``capacity`` (minimise the flow that can still cross).
    value, lower_bound, upper_bound : float
        The chosen allocation's value and bounds on the optimum (the scenario's cost unit
        times kg per month, or kg per month; ``summary["unit"]`` names it).
    gap : float
        Relative gap between the bounds.
    sites : DataFrame
        Chosen sites: ``site`` (input ids or region code), ``name`` (the road between two
        named places, the junction's place, the crossing or the region with its state; the
        same distinct name as in every output, see
        :func:`reten.models.interdiction.site_table`), ``units``,
        ``p_detect``, ``delay`` (not for ``capacity``, whose unit removes the site), ``lon``,
        ``lat``. A crossing's ``site`` is its node's input id, as in ``crossings_delta.csv``.
    curve : DataFrame
        The marginal-value curve K = 1..budget (one row when not computed; its
        ``marginal`` is then NaN unless K = 1, and :attr:`curve_note` says why).
    log : DataFrame
        The solve of every K of the curve: ``K``, ``iteration``, ``lower_bound``,
        ``upper_bound``, ``seconds`` (since that K's solve began; each K's rows in that
        order), ``solver`` (``greedy``, ``probe``, ``decomposition`` or ``milp``: see
        :func:`reten.report.optimize.log_frame`); ``log.csv``.
    baseline, response : RunResult
        Routes before the units, and the traffickers' best response to them. For
        ``capacity`` both are a least-cost maximum flow under the capacities (before and
        after the removals): ``origins.volume_kg`` is what each origin gets through.
    comparison : ComparisonResult
        ``response`` against ``baseline``.
    budget, effective_budget : int
        The units asked for, and those the sites can use (``budget`` capped at
        ``max_units`` per site, one per site for ``capacity``): what was solved. Whole
        numbers, as in ``result.json`` and ``provenance.json``.
    curve_note : str
        Why the marginal-value curve was not computed ("" when it was).

    Notes
    -----
    ``.explore()`` and ``.plot()`` draw the displacement the chosen sites cause (those of
    :attr:`comparison`), ``.plot()`` with the sites as black diamonds; ``.write(dir)``
    gives the report with the named sites on the map.

    Examples
    --------
    >>> import reten
    >>> sc = reten.Scenario.from_dict({"origins": [{"state": "Sonora", "volume_kg": 10}],
    ...                                "costs": {"mode": "length_km"}})
    >>> opt = reten.optimize(sc, budget=1, sites="crossings", curve=False)
    >>> opt.status, list(opt.sites.columns[:3])
    ('optimal', ['site', 'name', 'units'])
    """

    objective: str
    method: str
    budget: int
    value: float
    lower_bound: float
    upper_bound: float
    gap: float
    status: str
    seconds: float
    sites: pd.DataFrame
    curve: pd.DataFrame
    log: pd.DataFrame
    baseline: RunResult
    response: RunResult
    comparison: ComparisonResult
    provenance: Mapping[str, Any]
    raw: InterdictionResult = field(repr=False)
    curve_raw: tuple[InterdictionResult, ...] = field(repr=False, default=())
    effective_budget: int = 0
    curve_note: str = ""

    def write(self, out: str | Path, *, basemap: str | None = None) -> Path:
        """Write report.html, sites.csv, sites.geojson|gpkg (each site's shape),
        origin_routes.geojson|gpkg (each origin's route before and after), curve.csv,
        log.csv, result.json (the :attr:`summary` plus ``provenance``), provenance.json
        and the displacement tables into folder ``out``."""
        out = _out(out, self.baseline)
        basemap = basemap_url(basemap)
        from reten.report.optimize import report_title, write_optimize

        net, base = self.baseline._need("write")
        _, resp = self.response._need("write")
        title = report_title(self.baseline.name, self.budget, self.objective)
        return write_optimize(
            out,
            net,
            base.problem,
            self.raw,
            list(self.curve_raw) or [self.raw],
            base,
            resp,
            self.comparison._analysis(),
            title,
            basemap=basemap,
            summary=self.summary,
            provenance=dict(self.provenance),
            curve_note=self.curve_note,
        )

    @property
    def summary(self) -> dict[str, Any]:
        """The fixed JSON summary as a dict (what ``reten optimize --json`` prints), like
        :attr:`RunResult.summary`: ``objective``, ``lower_bound``, ``upper_bound``,
        ``seconds``, ``sites``, ``baseline``, ``increase_pct``, ..., ``budget`` (as asked),
        ``effective_budget`` (the units the sites can use), ``curve`` (one record per row of
        :attr:`curve`) and ``curve_note`` (why the curve was not computed, else "")."""
        from reten.report.optimize import result_json, whole

        net, base = self.baseline._need("write")
        out = result_json(self.raw, net, base.problem)
        out["budget"] = whole(self.budget)
        out["effective_budget"] = whole(self.effective_budget)
        out["curve"] = self.curve.to_dict(orient="records")
        out["curve_note"] = self.curve_note
        return out

    def to_json(self) -> str:
        """Return :attr:`summary` as JSON text (exactly what ``reten optimize --json``
        prints)."""
        from reten import jsonio

        return jsonio.dumps(self.summary)

    def explore(self, *, basemap: str | None = None) -> Any:
        """Return the displacement map of the chosen sites (:meth:`ComparisonResult.explore`
        of :attr:`comparison`: offline SVG, hover for figures)."""
        basemap = basemap_url(basemap)
        return self.comparison.explore(basemap=basemap)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the change in flow the chosen sites cause (red: more, blue: less) and the
        sites (black diamonds) with matplotlib (``pip install 'reten[plot]'``); returns
        the Axes."""
        ax = self.comparison.plot(ax=ax, **kwargs)
        ax.scatter(
            self.sites.lon,
            self.sites.lat,
            marker="D",
            color="black",
            s=30,
            zorder=5,
            label="chosen sites",
        )
        return ax

    def _repr_html_(self) -> str:
        from reten.report.notebook import optimize_html

        return optimize_html(self)

    def __repr__(self) -> str:
        return (
            f"OptimizeResult({self.objective}, budget {self.budget:g}: value {self.value:,.1f}, "
            f"bounds [{self.lower_bound:,.1f}, {self.upper_bound:,.1f}], {len(self.sites)} "
            f"site(s), {self.status})"
        )


@dataclass(frozen=True, eq=False, kw_only=True)
class ValidationResult:
    """Predicted region flows against an observed series: Spearman rank correlation.

    Attributes
    ----------
    spearman, ci_low, ci_high, p_value : float
        Rank correlation, its 95% bootstrap interval and permutation p-value.
    n : int
        Regions matched.
    table : DataFrame
        The matched regions: ``region`` (code), predicted, observed, ``name``.
    spearman_status : str
        ``"ok"``, or why the correlation is undefined (NaN): ``"constant_prediction"`` (the
        prediction is the same in every region, as in a comparison of a scenario with
        itself) or ``"constant_observation"``.
    note : str or None
        One line saying why, when ``spearman_status`` is not ``"ok"``.

    Examples
    --------
    See :func:`reten.validate`.

    >>> from reten.results import ValidationResult
    >>> sorted(f for f in ValidationResult.__dataclass_fields__)[:3]
    ['ci_high', 'ci_low', 'n']
    """

    spearman: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    table: pd.DataFrame
    summary: Mapping[str, Any]
    raw: Validation = field(repr=False)
    spearman_status: str = "ok"
    note: str | None = None

    def write(self, out: str | Path) -> Path:
        """Write validation.html (scatter plot, caveats), validation.json and matched.csv."""
        out = user_path("out", out, "an output folder path")
        from reten.report.validation import write_validation

        return write_validation(out, self)

    def _repr_html_(self) -> str:
        from reten.report.notebook import validation_html

        return validation_html(self)


# ----------------------------------------------------------------------------- reading back


def read_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Return a CSV table reten wrote (any command's), with its ids and codes as strings.

    A CSV file holds text only, and ``pandas.read_csv`` guesses each column's type: a
    column of region codes such as ``"08037"`` comes back as the integers 8037 (the zero
    lost), a column of numeric node ids as integers, so they no longer equal the ids in
    ``result.json``, in memory or in the GeoJSON. Quoting the cells would not help (pandas
    ignores quotes when it guesses). This reader knows reten's id, code and name columns
    (``site``, ``sites``, ``region``, ``node``, ``origin``, ``crossing``, ``name``, ...;
    :data:`reten.report.exports.STRING_COLUMNS`) and reads them as strings; with pandas
    alone, give them as ``dtype``: ``pd.read_csv(path, dtype={"site": str})`` for
    ``sites.csv``, ``dtype={"region": str}`` for the region tables.

    Parameters
    ----------
    path : path
        A CSV file written by ``reten`` (``sites.csv``, ``regions.csv``,
        ``regions_delta.csv``, ``coverage.csv``, ...).

    Returns
    -------
    DataFrame
        Id, code and name columns as strings (an empty cell is ``""``); every other column
        as pandas reads it (an empty cell is NaN).

    Raises
    ------
    InputError
        When ``path`` is not a file or not a readable CSV table (one line naming it).

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd, reten
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "sites.csv"
    >>> _ = p.write_text("site,name,units\\n08037,Juárez,1\\n")
    >>> reten.read_csv(p).site.tolist(), pd.read_csv(p).site.tolist()
    (['08037'], [8037])
    """
    from reten.report.exports import read_table

    return read_table(user_path("path", path, "a CSV file path"))


def read_run(path: str | os.PathLike[str]) -> RunResult:
    """Return the run written in directory ``path`` (by ``reten run`` or ``RunResult.write``).

    Parameters
    ----------
    path : path
        A run directory: ``origins.csv``, ``regions.csv``, ``crossings.csv``,
        ``arcs.parquet`` and ``provenance.json`` (``production.csv`` and
        ``convergence.csv`` when written).

    Returns
    -------
    RunResult
        The same tables as the result that wrote it: same values, same dtypes, region codes
        and node ids as strings. ``network`` and ``routes`` are None.

    Raises
    ------
    InputError
        When ``path`` is not a run directory.

    Examples
    --------
    >>> import tempfile, reten
    >>> sc = reten.Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": 90}]})
    >>> res = reten.run(sc, reten.load_network("default"))
    >>> back = reten.read_run(res.write(tempfile.mkdtemp() + "/run"))
    >>> back.regions.equals(res.regions), back.origins.equals(res.origins)
    (True, True)
    """
    from reten.report.exports import read_table

    p = user_path("path", path, "a run folder path")
    need = ["origins.csv", "regions.csv", "crossings.csv", "arcs.parquet", "provenance.json"]
    missing = [f for f in need if not (p / f).is_file()]
    if missing:
        raise InputError(f"{p}: {_not_a_run(p, missing[0])}")
    import geopandas as gpd

    tables: dict[str, Any] = {
        k: read_table(p / f"{k}.csv") for k in ("origins", "regions", "crossings")
    }
    tables["arcs"] = gpd.read_parquet(p / "arcs.parquet")
    for k in ("production", "convergence"):
        tables[k] = read_table(p / f"{k}.csv") if (p / f"{k}.csv").is_file() else None
    try:
        prov = json.loads((p / "provenance.json").read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(f"{p / 'provenance.json'}: not JSON ({exc})") from None
    return RunResult(name=str(prov.get("scenario_name", p.name)), provenance=prov, tables=tables)


#: how to read what other commands write (their marker's ``kind``)
_READ_OTHER = {
    "optimize": "an optimize output (reten optimize / OptimizeResult.write): read result.json "
    "with json (summary, curve, provenance) and sites.csv, curve.csv, regions_delta.csv, "
    "crossings_delta.csv with reten.read_csv (ids and codes as strings); reten.optimize(...) "
    "gives the OptimizeResult",
    "game": "a game output (reten game / GameResult.write): read result.json with json and "
    "coverage.csv, support.csv, routes.csv with reten.read_csv",
    "compare": "a comparison output (reten compare): read regions_delta.csv, "
    "crossings_delta.csv, origins_delta.csv with reten.read_csv, or the two run directories "
    "with read_run",
    "validation": "a validation output: read validation.json with json and matched.csv with "
    "reten.read_csv",
    "demo": "the demo's folder: each scenario's run is a sub-folder, e.g. read_run(DIR / "
    "'baseline')",
    "network": "a saved network: load it with reten.load_network",
    "simulation": "a simulation output (reten simulate): read series.parquet with pandas "
    "and provenance.json with json",
}


def _not_a_run(p: Path, missing: str) -> str:
    """Why ``p`` is not a run directory, and how to read what it is."""
    from reten.atomic import read_marker

    if not p.exists():
        return "does not exist"
    marker = read_marker(p) if p.is_dir() else None
    kind = marker.get("kind") if marker else None
    if kind in _READ_OTHER:
        return f"is not a run directory but {_READ_OTHER[kind]}"
    return f"is not a run directory (no {missing})"


@dataclass(frozen=True, eq=False, kw_only=True)
class GameResult:
    """A randomised checkpoint schedule with certified bounds (a network security game).

    The defender commits to a probability distribution over sets of ``checkpoints``
    sites; the traffickers know the probabilities but not the day's draw and take the
    route that minimises their expected interception. Probabilities are aggregate
    planning figures over model sites, not positions of real forces.

    Attributes
    ----------
    checkpoints : int
        Units placed each day.
    value, lower_bound, upper_bound : float
        Expected interception (kg/month) the schedule guarantees (= ``lower_bound``), and
        an upper bound on the game's value; ``gap`` relative.
    status : str
        ``optimal`` (bounds within the gap asked, whatever stopped the run),
        ``converged`` (no side improves, yet the bounds are further apart: not a proof)
        or ``time_limit``.
    pure_value, pure_upper_bound : float
        The best fixed plan (``optimize(objective="interception")`` on the same sites and
        detection) and an upper bound on it.
    pure_status : str
        ``optimal`` when the pure optimum is proven, else why not (``time_limit``); then
        ``pure_value`` is the best fixed plan found and ``pure_upper_bound`` bounds it.
    value_of_randomisation : float
        What randomising certainly adds (kg/month, >= 0): ``lower_bound -
        pure_upper_bound`` clamped at 0, which is ``value - pure_value`` when both the game
        and the pure optimum are proven.
    value_of_randomisation_bounds : (float, float)
        Certified range of the true value of randomisation.
    coverage : DataFrame
        Sites covered with positive probability: ``site`` (input ids, ``"a->b"`` for
        roads), ``name``, ``probability``, ``p_detect``, ``lon``, ``lat``.
    support : DataFrame
        ``strategy``, ``probability``, ``sites`` (ids joined by ``;``).
    schedules : DataFrame
        Sampled days (``day``, ``strategy``, ``sites``); empty unless asked for.
    routes : DataFrame
        The traffickers' mixed routes (the upper bound's certificate).
    log : DataFrame
        One row per iteration: the best bounds so far, ``lower_bound <= upper_bound``.
    tsai : dict or None
        The LP-marginals-and-sample method's LP estimate and true value, when compared.
    baseline : RunResult
        Routes with no checkpoint.

    Examples
    --------
    >>> import reten
    >>> sc = reten.Scenario.from_dict({"origins": [{"state": "Sinaloa", "volume_kg": 90}]})
    >>> g = reten.game(sc, checkpoints=2, sites="crossings", p_detect=0.5)
    >>> g.lower_bound <= g.upper_bound + 1e-9, g.value_of_randomisation >= 0
    (True, True)
    >>> list(g.coverage.columns[:3])
    ['site', 'name', 'probability']
    """

    checkpoints: int
    site_kind: str
    value: float
    lower_bound: float
    upper_bound: float
    gap: float
    status: str
    seconds: float
    iterations: int
    pure_value: float
    pure_upper_bound: float
    value_of_randomisation: float
    coverage: pd.DataFrame
    support: pd.DataFrame
    schedules: pd.DataFrame
    routes: pd.DataFrame
    log: pd.DataFrame
    tsai: Mapping[str, float] | None
    baseline: RunResult
    provenance: Mapping[str, Any]
    raw: Any = field(repr=False)
    draws: Any = field(repr=False, default=None)
    site_names: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    pure_status: str = ""
    value_of_randomisation_bounds: tuple[float, float] = (float("nan"), float("nan"))

    def write(self, out: str | Path, *, basemap: str | None = None) -> Path:
        """Write report.html, coverage.csv/.geojson, support.csv, schedules.csv,
        routes.csv, log.csv, result.json and provenance.json (atomically)."""
        out = _out(out, self.baseline)
        basemap = basemap_url(basemap)
        from reten.report.game import write_game

        net, base = self.baseline._need("write")
        title = (
            f"{self.baseline.name}: {self.checkpoints} randomised checkpoints ({self.site_kind})"
        )
        return write_game(
            out,
            net,
            base,
            self.raw,
            self.site_names,
            self.draws,
            dict(self.tsai) if self.tsai else None,
            title,
            dict(self.provenance),
            basemap=basemap,
        )

    def explore(self, *, basemap: str | None = None) -> Any:
        """Return the report's map (offline SVG, hover for figures): each site's coverage
        probability, the traffickers' mixed routes, origins and crossings. Display it in
        Jupyter, or ``.save()`` it as an HTML file. (There is no ``.plot()``: the coverage
        table has ``lon``/``lat`` for any plotting library.)"""
        basemap = basemap_url(basemap)
        from reten.report.game import coverage_frame, game_map
        from reten.report.notebook import Map

        net, base = self.baseline._need("explore")
        cov = coverage_frame(self.raw, self.site_names)
        title = f"{self.baseline.name}: {self.checkpoints} randomised checkpoints"
        return Map(title, game_map(net, base, self.raw, cov, basemap=basemap))

    @property
    def summary(self) -> dict[str, Any]:
        """The fixed JSON summary as a dict (what ``reten game --json`` prints), like
        :attr:`RunResult.summary`; sampled schedules are counted, not listed (they are in
        :attr:`schedules` and ``schedules.csv``)."""
        from reten.report.game import result_json

        return result_json(self.raw, self.coverage, self.draws, dict(self.tsai or {}) or None)

    def to_json(self) -> str:
        """Return :attr:`summary` as JSON text (exactly what ``reten game --json`` prints)."""
        from reten import jsonio

        return jsonio.dumps(self.summary)

    def _repr_html_(self) -> str:
        from reten.report.notebook import game_html

        return game_html(self)

    def __repr__(self) -> str:
        return (
            f"GameResult({self.checkpoints} checkpoints on {self.site_kind}: value "
            f"{self.value:,.2f} kg/month, bounds [{self.lower_bound:,.2f}, "
            f"{self.upper_bound:,.2f}], pure {self.pure_value:,.2f}, {len(self.support)} "
            f"pure strategies, {self.status})"
        )
