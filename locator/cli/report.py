"""The ``report`` subcommand: the planner's Excel report (``locator.report``)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from locator.cli._common import EXIT_OK, LANG_HELP
from locator.cli.planning import _add_demand_arguments, _format, _planning_inputs

__all__ = ["add_report"]

#: What ``report`` writes: an Excel workbook only.
REPORT_FORMATS = ("xlsx",)


def add_report(sub: Any) -> None:
    """The ``report`` subcommand: coverage, the rule, gaps and mismatches as one ``.xlsx``."""
    p = sub.add_parser(
        "report",
        help="the planner's Excel report (.xlsx): coverage, the rule, gaps, mismatches",
        description=(
            "One Excel workbook: what the report is (date, sources, parameters, whether the "
            "registry is the generated sample), then the province, city and county tables "
            "(counties below the rule highlighted), the largest gaps, the outlets whose "
            "declared county is not where they lie and, with --suggest, suggested sites."
        ),
    )
    _add_demand_arguments(p)
    p.set_defaults(format=None, run=_run_report)
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help=LANG_HELP)
    p.add_argument("--top", type=int, default=20, help="gaps to list (default 20)")
    p.add_argument(
        "--suggest", type=int, metavar="N", default=None, help="add a sheet of N suggested sites"
    )
    p.add_argument(
        "--access",
        action="store_true",
        help="add the accessibility sheets (E2SFCA counters per 10,000 residents, equity)",
    )


def _run_report(args: argparse.Namespace) -> int:
    from locator._errors import ValidationError
    from locator._validate import check_count
    from locator.planning.coverage import coverage_report, gaps
    from locator.planning.siting import suggest_sites
    from locator.report import write_report

    if not args.output:
        msg = "-o is needed: the report is an Excel file, e.g. -o 覆盖报告.xlsx"
        raise ValidationError(msg)
    _format(args, REPORT_FORMATS)
    top = check_count(args.top, "top")
    new = None if args.suggest is None else check_count(args.suggest, "suggest")
    inputs = _planning_inputs(args)
    report = coverage_report(inputs)
    far = gaps(inputs, report=report).head(top)
    sites = None if new is None else suggest_sites(inputs, new=new)
    access = None
    if args.access:
        from locator.planning.access import accessibility

        access = accessibility(inputs)
    write_report(args.output, report, gaps=far, sites=sites, lang=args.lang, access=access)
    print(f"wrote {args.output}", file=sys.stderr)
    return EXIT_OK
