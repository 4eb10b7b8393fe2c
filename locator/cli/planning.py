"""The planners' subcommands: ``coverage``, ``gaps`` and ``suggest``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from locator import settings
from locator._errors import ValidationError
from locator.cli._common import EXIT_OK, emit, output_format, warn, warn_if_sample
from locator.output import mark_sample, mark_sample_json, render_table, to_json
from locator.tasks import get_task

if TYPE_CHECKING:
    from locator.planning.inputs import PlanningInputs

__all__ = ["add_coverage", "add_gaps", "add_suggest"]

# --- what coverage, gaps and suggest share ----------------------------------------------------


def _add_demand_arguments(p: Any) -> None:
    p.add_argument(
        "--radius-km",
        type=float,
        default=None,
        help=f"the 'near home' distance (default {settings.default_radius_km:g})",
    )
    p.add_argument("--task", help="count only outlets that can do this task (`locator tasks`)")
    p.add_argument("--bank", help="the card's bank, for the own-bank tasks (`locator banks`)")
    p.add_argument(
        "--detour-factor",
        type=float,
        default=None,
        help=f"road distance = straight line x factor, at least 1 (default {settings.detour_factor:g})",
    )
    p.add_argument(
        "--outlets", type=Path, help="outlet registry GeoJSON (default: the shipped sample)"
    )
    p.add_argument("--counties", type=Path, help="county GeoJSON (default: the shipped 117)")
    add_network_arguments(p)
    p.add_argument(
        "--population",
        type=Path,
        help="population raster (.tif) or weighted points (.csv/.geojson with lon, lat, "
        "population) instead of the census-based estimate",
    )
    p.add_argument(
        "--cell-area-km2",
        type=float,
        default=None,
        help=f"cell area of the estimated demand grid (default {settings.cell_area_km2:g})",
    )
    p.add_argument("-o", "--output", help="write to this file (its suffix says what) instead")


def _format(args: argparse.Namespace, allowed: tuple[str, ...]) -> str:
    """Check the cheap arguments before any file is read, so a typo fails at once.

    Returns what to write: ``--format``, else the ``-o`` suffix, else the first of ``allowed``.
    """
    from locator._validate import check_cell_area, check_detour_factor, check_radius
    from locator.banks import normalize_bank
    from locator.cli._common import check_output

    fmt = output_format(args.format, args.output, allowed)
    check_output(args.output)
    if args.task is not None:
        get_task(args.task)
    if args.bank is not None:
        normalize_bank(args.bank)
    if args.radius_km is not None:
        check_radius(args.radius_km)
    if args.cell_area_km2 is not None:
        check_cell_area(args.cell_area_km2)
    if args.detour_factor is not None:
        check_detour_factor(args.detour_factor)
    if args.population is not None and args.cell_area_km2 is not None:
        msg = "--cell-area-km2 sets the estimated grid only; drop it when giving --population"
        raise ValidationError(msg)
    return fmt


def _planning_inputs(args: argparse.Namespace, **keywords: Any) -> PlanningInputs:
    """The command's inputs, built once; the shipped data read through `locator.datasets`."""
    from locator import datasets
    from locator.counties import load_counties
    from locator.planning.demand import demand_from_points, demand_from_raster, estimate_demand
    from locator.planning.inputs import PlanningInputs
    from locator.registry import load_outlets

    outlets = datasets.registry() if args.outlets is None else load_outlets(args.outlets)
    counties = datasets.counties() if args.counties is None else load_counties(args.counties)
    if args.population is None:
        demand = estimate_demand(counties, cell_area_km2=args.cell_area_km2)
    elif args.population.suffix.lower() in (".tif", ".tiff", ".vrt", ".img"):
        demand = demand_from_raster(args.population, counties)
    else:
        demand = demand_from_points(args.population, counties)
    # Residents of --population outside every county are a LocatorWarning of the reader.
    if args.network is not None:
        keywords["network"] = road_network(args)
    inputs = PlanningInputs.build(
        outlets,
        counties,
        demand=demand,
        task=args.task,
        bank=args.bank,
        radius_km=args.radius_km,
        detour_factor=args.detour_factor,
        **keywords,
    )
    # After the inputs load, so a mistake in them is the only line on stderr.
    warn_if_sample(outlets)
    return inputs


def add_network_arguments(p: Any) -> None:
    """``--network FILE --mode drive|walk``: road distance on an OpenStreetMap extract."""
    p.add_argument(
        "--network",
        type=Path,
        help="measure along the roads of this OpenStreetMap extract (.osm.pbf; the built "
        "network is cached beside it) instead of the straight line",
    )
    p.add_argument(
        "--mode",
        choices=("drive", "walk"),
        default="drive",
        help="with --network: the roads a car may use (default) or those on foot",
    )


def road_network(args: argparse.Namespace) -> Any:
    """The `RoadNetwork` of ``--network`` for ``--mode``."""
    from locator.planning.network import RoadNetwork

    return RoadNetwork.from_osm(args.network, mode=args.mode)


def _distance_words(label: str, detour_factor: float) -> str:
    if label.startswith("road distance"):
        return label
    return f"straight line x {detour_factor:g}"


def _is_sample(inputs: PlanningInputs) -> bool:
    """Whether the answer comes from the generated sample: every CSV and JSON then says so."""
    from locator.datasets import is_sample

    return is_sample(inputs.index.outlets)


def _write_table(table: pd.DataFrame, output: str | None) -> None:
    """A table as CSV for Excel: to ``output``, or to the screen."""
    from locator.output import csv_bytes, write_csv

    if output:
        write_csv(table, output)
        print(f"wrote {output}", file=sys.stderr)
    else:  # the cells of the file, without the BOM a terminal has no use for
        sys.stdout.write(csv_bytes(table).decode("utf-8-sig"))


# --- coverage -----------------------------------------------------------------------------------


def add_coverage(sub: Any) -> None:
    """The ``coverage`` subcommand: the rule and residents within reach."""
    p = sub.add_parser(
        "coverage",
        help="outlets per county, the rule of two, residents within reach",
        description=(
            "Per county (or city) and for the province: suitable outlets (counted where they "
            "are), whether each county has at least "
            f"{settings.min_outlets_per_county}, the share of residents (and of those aged 65+) "
            "within each distance of the nearest suitable outlet, and population-weighted "
            "mean/median/p95/max distance. Outlets whose declared county is not where they lie "
            "are listed."
        ),
    )
    _add_demand_arguments(p)
    p.add_argument(
        "--radii-km",
        help="distances to report, comma-separated (default "
        f"{','.join(f'{r:g}' for r in settings.coverage_radii_km)})",
    )
    p.add_argument(
        "--by",
        choices=("county", "city", "bank"),
        default="county",
        help="table rows: county (default), city, or bank (residents within --radius-km of a "
        "branch of each partner bank, one-stop or ordinary, and the counties it leaves "
        "uncovered; the JSON gains a banks part)",
    )
    p.add_argument(
        "--format",
        choices=COVERAGE_FORMATS,
        default=None,
        help="default: from the -o suffix (.txt, .json, .csv), else table",
    )
    p.add_argument(
        "--access",
        action="store_true",
        help="the JSON gains an access part (as `locator access`: E2SFCA counters per 10,000 "
        "residents, equity)",
    )
    p.set_defaults(run=_run_coverage)


#: What ``coverage`` writes; the first is the screen's.
COVERAGE_FORMATS = ("table", "json", "csv")


def _run_coverage(args: argparse.Namespace) -> int:
    from locator._validate import check_radii
    from locator.planning.coverage import coverage_report

    radii = None
    if args.radii_km is not None:
        radii = [r for r in args.radii_km.replace("，", ",").split(",") if r.strip()]
        check_radii(radii)
    fmt = _format(args, COVERAGE_FORMATS)
    if args.access and (fmt != "json" or args.by == "bank"):
        msg = "--access adds a part to the JSON of counties and cities: add --format json"
        raise ValidationError(msg)
    if args.by == "bank":
        return _run_coverage_by_bank(args, fmt, radii)
    inputs = _planning_inputs(args, radii_km=radii)
    report = coverage_report(inputs)
    # Per county, 65+ figures that equal all residents' by construction are shown once.
    table = report.counties_once if args.by == "county" else report.cities
    if fmt == "json":
        document = json.loads(report.to_json())
        if args.access:
            from locator.planning.access import accessibility

            document["access"] = accessibility(inputs).to_dict()
        emit(to_json(mark_sample_json(document, _is_sample(inputs))), args.output)
    elif fmt == "csv":
        _write_table(mark_sample(table, _is_sample(inputs)), args.output)
    else:
        emit(_coverage_text(report, table, args.by), args.output)
    return EXIT_OK


def _run_coverage_by_bank(args: argparse.Namespace, fmt: str, radii: Any) -> int:
    from locator.planning.bank_coverage import check_bank_task, coverage_by_bank
    from locator.planning.coverage import coverage_report

    check_bank_task(args.task)  # before the demand grid is built
    if args.network is not None:
        msg = "--by bank measures straight lines; drop --network, or use --by county or city"
        raise ValidationError(msg)
    inputs = _planning_inputs(args, radii_km=radii)
    by_bank = coverage_by_bank(inputs)
    if fmt == "json":
        document = {**coverage_report(inputs).to_dict(), "banks": by_bank.to_dict()}
        emit(to_json(mark_sample_json(document, _is_sample(inputs))), args.output)
    elif fmt == "csv":
        from locator.planning.coverage import coinciding_65plus

        table = by_bank.counties.drop(columns=list(coinciding_65plus(by_bank.counties)))
        _write_table(mark_sample(table, _is_sample(inputs)), args.output)
    else:
        emit(_bank_text(by_bank), args.output)
    return EXIT_OK


def _bank_text(by_bank: Any) -> str:
    banks = by_bank.banks
    table = banks.assign(
        covered_pct=(100 * banks["covered_share"]).round(1),
        covered_65plus_pct=(100 * banks["covered_share_65plus"]).round(1),
    )
    columns = ["bank", "branches", "one_stop_outlets", "covered_pct", "covered_65plus_pct"]
    columns.append("uncovered_counties")
    what = f"branches that do {by_bank.task}" if by_bank.task else "branches"
    lines = [
        f"residents within {by_bank.radius_km:g} km of one of a bank's {what} (one-stop or "
        f"ordinary; straight line x {by_bank.detour_factor:g}); uncovered_counties: where most "
        "residents have none in reach",
        render_table(table, columns),
        "",
        "every county: --format csv or -o FILE.csv (a row per bank and county), or -o "
        "FILE.json (its banks part)",
    ]
    return "\n".join(lines)


_SAME_65PLUS = (
    "aged 65+ per county: their shares and distances equal all residents' in every county "
    "(as when the population source places them like all residents), so shown once"
)


def _coverage_text(report: Any, table: pd.DataFrame, by: str) -> str:
    p = report.province
    radius = f"{report.radius_km:g} km"
    what = f"task {p['task']}" if p["task"] else "any task"
    cell = f", {p['cell_area_km2']:g} km² cells" if p["cell_area_km2"] else ""
    # Ordinary branches serve an own-bank task (or a bank): in the distances, not the rule.
    branches = f" and {p['branches']:,} ordinary branches" if p.get("branches") else ""
    lines = [
        f"山西省 ({what}): {p['outlets']:,} one-stop outlets{branches}; "
        f"{p['counties_meeting_rule']} of {p['counties']} counties have at least "
        f"{p['min_outlets_per_county']} one-stop outlets",
        f"residents within {radius}: {p['covered_share']:.1%} of {p['population']:,.0f} "
        f"(aged 65+: {p['covered_share_65plus']:.1%} of {p['population_65plus']:,.0f})",
        f"distance to the nearest outlet: mean {p['mean_km']:.2f} km, median "
        f"{p['median_km']:.2f}, p95 {p['p95_km']:.2f}, max {p['max_km']:.2f} "
        f"({_distance_words(p['distance'], report.detour_factor)}; demand: {p['demand']}{cell})",
        "",
    ]
    columns = ["adcode", "name", "city", "outlets", "meets_rule", "shortfall"]
    if by == "city":
        columns = ["city_adcode", "city", "counties", "counties_meeting_rule", "outlets"]
    shown = table.assign(
        population=table["population"].round().astype("int64"),
        covered_pct=(100 * table["covered_share"]).round(1),
    )
    columns += ["population", "covered_pct"]
    if "covered_share_65plus" in table:
        shown["covered_65plus_pct"] = (100 * table["covered_share_65plus"]).round(1)
        columns.append("covered_65plus_pct")
    else:
        lines.insert(-1, _SAME_65PLUS)
    columns += ["mean_km", "p95_km", "max_km"]
    lines.append(render_table(shown, columns))
    below = report.counties.loc[~report.counties["meets_rule"]]
    if len(below):
        lines += ["", f"{len(below)} counties below the rule:"]
        lines.append(render_table(below, ["adcode", "name", "city", "outlets", "shortfall"]))
    if len(report.mismatches):
        lines += ["", f"{len(report.mismatches)} outlets are not in the county they declare:"]
        lines.append(render_table(report.mismatches, ["id", "name", "problem"]))
    return "\n".join(lines)


def add_gaps(sub: Any) -> None:
    """The ``gaps`` subcommand: residents farther than a distance from a suitable outlet."""
    p = sub.add_parser(
        "gaps",
        help="where residents live farther than a distance from a suitable outlet",
        description=(
            "The demand cells farther than --radius-km from an outlet that can do the task, "
            "largest population first, each with its county. -o FILE.geojson writes the cells "
            "as polygons, -o FILE.csv a table for Excel; without -o the largest are shown."
        ),
    )
    _add_demand_arguments(p)
    p.add_argument("--top", type=int, default=20, help="rows in the table (default 20)")
    p.add_argument(
        "--format",
        choices=GAPS_FORMATS,
        default=None,
        help="default: from the -o suffix (.txt, .geojson or .json, .csv), else table",
    )
    p.set_defaults(run=_run_gaps)


#: What ``gaps`` writes (``json`` is the GeoJSON too); the first is the screen's.
GAPS_FORMATS = ("table", "geojson", "json", "csv")


def _run_gaps(args: argparse.Namespace) -> int:
    from locator._validate import check_count
    from locator.planning.coverage import gaps, write_gaps

    top = check_count(args.top, "top")
    fmt = _format(args, GAPS_FORMATS)
    inputs = _planning_inputs(args)
    layer = gaps(inputs)
    summary = (
        f"{len(layer):,} cells with {layer['population'].sum():,.0f} residents "
        f"({layer['population_65plus'].sum():,.0f} aged 65+) are farther than "
        f"{layer.attrs['radius_km']:g} km from a suitable outlet"
    )
    if fmt == "table":
        emit(summary + "\n" + _gaps_text(layer, top), args.output)
        return EXIT_OK
    layer = mark_sample(layer, _is_sample(inputs))
    if args.output:
        write_gaps(layer, args.output)
        print(f"{summary}; wrote {args.output}", file=sys.stderr)
    elif fmt == "csv":
        _write_table(pd.DataFrame(layer.drop(columns=layer.geometry.name)), None)
    else:
        sys.stdout.write(layer.to_json(drop_id=True) + "\n")
    return EXIT_OK


def _gaps_text(layer: pd.DataFrame, top: int) -> str:
    columns = ["rank", "county_adcode", "county_name", "city", "population"]
    columns += ["population_65plus", "distance_km", "lon", "lat"]
    head = layer.head(top)
    shown = head.assign(
        population=head["population"].round().astype("int64"),
        population_65plus=head["population_65plus"].round().astype("int64"),
        lon=head["lon"].map("{:.4f}".format),
        lat=head["lat"].map("{:.4f}".format),
    )
    return render_table(pd.DataFrame(shown.drop(columns="geometry")), columns)


# --- suggest ---------------------------------------------------------------------------------


def add_suggest(sub: Any) -> None:
    """The ``suggest`` subcommand: new sites (``--new``) or closures (``--close``)."""
    p = sub.add_parser(
        "suggest",
        help="where to add outlets (rule repair, then most residents), or which to close",
        description=(
            "--new N: first a site in every county short of the rule "
            f"(at least {settings.min_outlets_per_county} suitable outlets), then N sites that "
            "each newly cover the most residents. --close N: the outlets whose closing loses "
            "the fewest covered residents, never taking a county below the rule."
        ),
    )
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--new", type=int, metavar="N", help="sites to add beyond the rule repair")
    what.add_argument("--close", type=int, metavar="N", help="outlets to close")
    _add_demand_arguments(p)
    p.add_argument(
        "--candidates",
        default="cells",
        help="where sites may go: cells (demand-cell centres, default), seats (county seats), "
        "or a CSV (lon, lat columns) / GeoJSON file of points",
    )
    p.add_argument(
        "--weight-65plus",
        type=float,
        default=1.0,
        metavar="W",
        help="a resident aged 65+ counts W times (default 1)",
    )
    search = p.add_mutually_exclusive_group()
    search.add_argument(
        "--improve",
        action="store_true",
        help="refine the --new sites by swaps: a better set of exactly N (no longer nested)",
    )
    search.add_argument(
        "--exact",
        action="store_true",
        help="the --new sites as the exact maximal covering problem (HiGHS): the best set "
        "of N, proven optimal or within the gap shown (no longer nested)",
    )
    p.add_argument(
        "--time-limit",
        type=float,
        default=None,
        metavar="SECONDS",
        help="seconds the --exact search may take, then the best found and its gap "
        f"(default {settings.exact_time_limit_s:g})",
    )
    p.add_argument(
        "--format",
        choices=SUGGEST_FORMATS,
        default=None,
        help="default: from the -o suffix (.txt, .json, .geojson, .csv), else table",
    )
    p.set_defaults(run=_run_suggest)


#: What ``suggest`` writes; the first is the screen's.
SUGGEST_FORMATS = ("table", "json", "geojson", "csv")


def _run_suggest(args: argparse.Namespace) -> int:
    from locator._validate import check_count

    # Bad values fail before any file is read or the demand grid is built.
    closing = args.close is not None
    check_count(args.close if closing else args.new, "close" if closing else "new")
    _check_exact(args, closing)
    fmt = _format(args, SUGGEST_FORMATS)
    inputs = _planning_inputs(args, weight_65plus=args.weight_65plus)
    found = _closures(args, inputs) if closing else _sites(args, inputs)
    found = mark_sample(found, _is_sample(inputs))
    _write_suggestions(found, fmt, args.output, "closures" if closing else "sites")
    return EXIT_OK


def _check_exact(args: argparse.Namespace, closing: bool) -> None:
    from locator._validate import check_positive

    if args.exact and closing:
        msg = "--exact chooses new sites: give it with --new, not --close"
        raise ValidationError(msg)
    if args.time_limit is not None:
        if not args.exact:
            msg = "--time-limit limits the --exact search: add --exact, or drop --time-limit"
            raise ValidationError(msg)
        check_positive(args.time_limit, "time_limit_s")


def _closures(args: argparse.Namespace, inputs: PlanningInputs) -> Any:
    from locator.planning.siting import suggest_closures

    found = suggest_closures(inputs, close=args.close)
    if len(found) < args.close:
        warn(
            f"only {len(found)} of {args.close} outlets can close without taking a county "
            f"below {settings.min_outlets_per_county} suitable outlets"
        )
    return found


def _sites(args: argparse.Namespace, inputs: PlanningInputs) -> Any:
    from locator.planning.siting import suggest_sites

    found = suggest_sites(
        inputs,
        new=args.new,
        candidates=args.candidates,
        improve=args.improve,
        exact=args.exact,
        time_limit_s=args.time_limit,
    )
    unrepaired = found.attrs["unrepaired"]
    if unrepaired:
        lacking = ", ".join(f"{code} ({n})" for code, n in unrepaired.items())
        warn(f"too few candidates to bring these counties to the rule: {lacking}")
    added = int((found["reason"] == "coverage").sum())
    if added < args.new:
        warn(f"only {added} of {args.new} new sites cover anyone not yet covered")
    return found


def _write_suggestions(found: Any, fmt: str, output: str | None, key: str) -> None:
    summary = dict(found.attrs)
    records = pd.DataFrame(found.drop(columns=found.geometry.name))
    if fmt == "geojson":
        document = json.loads(found.to_json(drop_id=True))
        document = {"type": "FeatureCollection", "metadata": summary, **document}
        emit(to_json(mark_sample_json(document, "sample_data" in records)), output)
    elif fmt == "json":
        document = {"summary": summary, key: records.to_dict(orient="records")}
        emit(to_json(mark_sample_json(document, "sample_data" in records)), output)
    elif fmt == "csv":
        _write_table(records, output)
    else:
        emit(_suggestions_text(found, summary), output)


def _suggestions_text(found: Any, summary: dict[str, Any]) -> str:
    from locator.planning.siting import coverage_gain_curve

    total = summary["total_population"] or 1.0
    last = float(coverage_gain_curve(found)["covered_population"].iloc[-1])
    head = (
        f"{summary['baseline_population'] / total:.1%} of residents within "
        f"{summary['radius_km']:g} km of a suitable outlet now; "
        f"{last / total:.1%} after these {len(found)}"
    )
    if summary.get("exact"):
        head += (
            "; exact: proven optimal"
            if summary["status"] == "optimal"
            else f"; exact: within {summary['gap']:.2%} of the optimum "
            f"(stopped at {summary['time_limit_s']:g} s)"
        )
    columns = [c for c in found.columns if c not in (found.geometry.name, "candidate")]
    table = pd.DataFrame(found[columns])
    for column in table.columns:
        if "population" in column:
            table[column] = table[column].round().astype("int64")
    for column in ("lon", "lat"):
        table[column] = table[column].round(5).astype(str)
    table["cumulative_share"] = table["cumulative_share"].map("{:.2%}".format)
    return head + "\n" + render_table(table)
