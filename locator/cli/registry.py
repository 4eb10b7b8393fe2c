"""The registry subcommands: ``import``, ``validate`` and ``export-map``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from locator import settings
from locator._errors import ValidationError
from locator.cli._common import (
    EXIT_NOTHING,
    EXIT_OK,
    LANG_HELP,
    check_output,
    cli_message,
    output_format,
    warn,
    warn_if_sample,
)

__all__ = ["add_export_map", "add_import", "add_validate"]

# --- import, validate ------------------------------------------------------------------------

_REPORT_LINES = 20


def _add_registry_arguments(p: Any) -> None:
    p.add_argument(
        "source", type=Path, help="registry file: .csv (UTF-8 or GBK), .xlsx or .geojson"
    )
    p.add_argument(
        "--crs",
        choices=("wgs84", "gcj02", "bd09"),
        default="wgs84",
        help="coordinate system of the file: gcj02 for Amap/高德 or Tencent, bd09 for Baidu/百度 (default wgs84)",
    )
    p.add_argument("--sheet", help="worksheet of an .xlsx file (default: the first)")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="read COLUMN as FIELD (name, bank, kind, lon, lat, lonlat, county, address, phone, "
        "hours, services, instant_issue, transit_topup, id, city, extra); repeat as needed",
    )
    p.add_argument(
        "--kind",
        choices=("government", "bank", "branch"),
        help="the kind of every row (default: each row's kind column, bank and name tell): "
        "branch for a bank's list of its ordinary branches (not one-stop outlets)",
    )
    p.add_argument(
        "--bank",
        help="with --kind branch or bank: the list is this partner bank's (工行, 中国工商银行, "
        "ICBC ...); a row naming another bank is rejected",
    )
    p.add_argument("--report", type=Path, help="write every problem to this CSV (UTF-8 with BOM)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help=LANG_HELP)


def add_import(sub: Any) -> None:
    """Add ``locator import``."""
    p = sub.add_parser(
        "import",
        help="import a real outlet registry (CSV, Excel, GeoJSON) into the registry GeoJSON",
        description=(
            "Read a registry, map its columns, convert its coordinates to WGS-84 and check every "
            "row; write the accepted outlets to OUT and every problem to --report. Exit 0 when "
            "rows were accepted, 1 when none was usable, 2 on a usage error or an unreadable file."
        ),
    )
    _add_registry_arguments(p)
    p.add_argument("-o", "--output", type=Path, required=True, help="registry GeoJSON to write")
    p.add_argument(
        "--merge",
        type=Path,
        metavar="REGISTRY",
        help="merge the imported outlets into this registry GeoJSON and write the result to OUT: "
        "nothing lost, nothing twice (a branch that is a one-stop outlet stays one); "
        f"same bank within {settings.merge_distance_m:g} m, or same name in the county, "
        "is the same outlet",
    )
    p.set_defaults(run=_run_import)


def add_validate(sub: Any) -> None:
    """Add ``locator validate``."""
    p = sub.add_parser(
        "validate",
        help="check a registry file as `import` would, without writing it",
        description="Run every check of `locator import` and report the problems; no registry is written.",
    )
    _add_registry_arguments(p)
    p.set_defaults(run=_run_validate)


def _parse_map(items: Sequence[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in items:
        column, sep, field = item.rpartition("=")
        if not sep or not column.strip() or not field.strip():
            msg = f"--map {item!r}: give COLUMN=FIELD, e.g. --map 网点名称=name"
            raise ValidationError(msg)
        mapping[column.strip()] = field.strip()
    return mapping


def _check_options(args: argparse.Namespace) -> None:
    """Refuse what cannot be written, and ``--bank`` without a bank kind, before any work."""
    output = getattr(args, "output", None)
    if output is not None:
        output_format(None, output, ("geojson",))
    if args.report is not None:
        output_format(None, args.report, ("csv",))
    if args.bank is not None and args.kind not in ("bank", "branch"):
        msg = f"--bank {args.bank} says whose list the file is: give --kind branch (ordinary branches) or --kind bank (one-stop bank outlets) with it"  # fmt: skip
        raise ValidationError(msg)
    check_output(output)
    check_output(args.report)


def _check_registry(args: argparse.Namespace, *, merging: bool = False) -> Any:
    """Import ``args.source`` as the options say; print the warnings and the first problems."""
    from locator import datasets
    from locator.importer import import_registry

    _check_options(args)
    result = import_registry(
        args.source,
        crs=args.crs,
        sheet=args.sheet,
        columns=_parse_map(args.map),
        counties=datasets.counties(),
        kind=args.kind,
        bank=args.bank,
    )
    for reason, message in zip(_file_reasons(result), result.warnings, strict=True):
        if not (merging and reason == "no_one_stop"):  # the merge says whether it still holds
            warn(cli_message(message))
    problems = result.report[result.report["row"].notna()]
    for entry in problems.head(_REPORT_LINES).itertuples(index=False):
        print(
            f"row {entry.row}: {entry.level} {entry.reason}: {cli_message(str(entry.message))}",
            file=sys.stderr,
        )
    if len(problems) > _REPORT_LINES and args.report is None:
        print(
            f"... and {len(problems) - _REPORT_LINES} more: write them all with --report FILE.csv",
            file=sys.stderr,
        )
    return result


def _file_reasons(result: Any) -> list[str]:
    """The reason code of each file-level warning, in the order of ``result.warnings``."""
    return result.report.loc[result.report["row"].isna(), "reason"].tolist()


def _print_merge(merge: Any, report_path: Path | None) -> None:
    """The merge's lines: each merged outlet or new id (the first few), a warning, if any."""
    import pandas as pd

    for entry in merge.report[merge.report["reason"] == "no_one_stop"].itertuples(index=False):
        warn(str(entry.message))
    entries = merge.report[merge.report["reason"] != "no_one_stop"]
    for entry in entries.head(_REPORT_LINES).itertuples(index=False):
        where = f"{entry.side} {entry.id}" if pd.isna(entry.row) else f"row {entry.row}"
        print(f"{where}: {entry.level} {entry.reason}: {entry.id} {entry.name}: {entry.message}", file=sys.stderr)  # fmt: skip
    if len(entries) > _REPORT_LINES and report_path is None:
        print(
            f"... and {len(entries) - _REPORT_LINES} more merged: write them all with --report FILE.csv",
            file=sys.stderr,
        )


def _run_import(args: argparse.Namespace) -> int:
    from locator.output import write_csv
    from locator.registry import load_outlets, write_outlets

    merging = args.merge is not None
    _check_options(args)
    base = load_outlets(args.merge) if merging else None  # a bad registry fails before the import
    result = _check_registry(args, merging=merging)
    report, outlets, merge = result.report, result.outlets, None
    if base is not None and result.accepted:
        import pandas as pd

        from locator.importer import merge_registry

        merge = merge_registry(base, result.outlets)
        _print_merge(merge, args.report)
        report = pd.concat([report, merge.report], ignore_index=True)
        outlets = merge.outlets
    if args.report is not None:
        write_csv(report, args.report)
        print(f"wrote {args.report}", file=sys.stderr)
    if result.accepted:
        write_outlets(outlets, args.output)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(f"nothing usable: {args.output} not written", file=sys.stderr)
    print(result.summary(args.lang), file=sys.stderr)
    if merge is not None:
        print(merge.summary(args.lang), file=sys.stderr)
    return EXIT_OK if result.accepted else EXIT_NOTHING


def _run_validate(args: argparse.Namespace) -> int:
    from locator.importer import write_report

    result = _check_registry(args)
    if args.report is not None:
        write_report(result, args.report)
        print(f"wrote {args.report}", file=sys.stderr)
    print(result.summary(args.lang), file=sys.stderr)
    return EXIT_OK if result.accepted else EXIT_NOTHING


# --- export-map ------------------------------------------------------------------------------


def add_export_map(sub: Any) -> None:
    """Add ``locator export-map``."""
    p = sub.add_parser(
        "export-map",
        help="a standalone HTML map: counties, clustered outlets, gaps",
        description=(
            "Write the whole province as one HTML file that opens from disk with no network: "
            "Leaflet is inlined, only the tiles come from the tile server (--tiles none: no "
            "tiles). The gap layer is computed as `locator gaps` does, or read with --gaps."
        ),
    )
    p.add_argument("-o", "--output", required=True, type=Path, help="the HTML file to write")
    p.add_argument(
        "--layers",
        default="counties,outlets,gaps",
        help="comma-separated, any of counties, outlets, gaps (default: all three)",
    )
    p.add_argument(
        "--tiles",
        default=None,
        help="amap (GCJ-02, overlays shifted to match; default with --lang zh), "
        "osm (OpenStreetMap; default with --lang en) or none",
    )
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help=LANG_HELP)
    p.add_argument(
        "--outlets", type=Path, help="outlet registry GeoJSON (default: the shipped sample)"
    )
    p.add_argument("--counties", type=Path, help="county GeoJSON (default: the shipped 117)")
    p.add_argument(
        "--gaps", type=Path, help="a gap layer written by `locator gaps -o FILE.geojson`"
    )
    p.add_argument(
        "--radius-km",
        type=float,
        default=None,
        help=f"gaps: the 'near home' distance (default {settings.default_radius_km:g})",
    )
    p.add_argument("--task", help="gaps: count only outlets that can do this task")
    p.add_argument("--bank", help="gaps: the card's bank, for the own-bank tasks")
    p.set_defaults(run=_run_export_map)


def _run_export_map(args: argparse.Namespace) -> int:
    from locator import datasets
    from locator.counties import load_counties
    from locator.maps import MapOptions, default_tiles, export_map, parse_layers
    from locator.registry import load_outlets

    output_format(None, args.output, ("html",))
    check_output(args.output)
    layers = parse_layers(args.layers)
    options = MapOptions(tiles=args.tiles or default_tiles(args.lang), lang=args.lang)
    outlets = datasets.outlets() if args.outlets is None else load_outlets(args.outlets)
    counties = datasets.counties() if args.counties is None else load_counties(args.counties)
    gaps = None
    if args.gaps is not None:
        from locator.maps import read_gaps

        gaps = read_gaps(args.gaps)
    elif "gaps" in layers:
        from locator.planning.coverage import gaps as gap_layer

        gaps = gap_layer(
            outlets, counties, task=args.task, bank=args.bank, radius_km=args.radius_km
        )
    warn_if_sample(outlets)
    path = export_map(args.output, outlets, counties, layers=layers, gaps=gaps, options=options)
    size_mb = path.stat().st_size / 1e6
    print(f"wrote {path} ({size_mb:.1f} MB; layers {','.join(layers)})", file=sys.stderr)
    return EXIT_OK
