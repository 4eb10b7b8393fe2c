"""The ``access`` subcommand: service counters per 10,000 residents, and how evenly they fall."""

from __future__ import annotations

import argparse
import math
from typing import Any

from locator import settings
from locator._errors import ValidationError
from locator.cli._common import EXIT_OK, emit
from locator.cli.planning import (
    _add_demand_arguments,
    _format,
    _is_sample,
    _planning_inputs,
    _write_table,
)
from locator.output import mark_sample, mark_sample_json, render_table, to_json

__all__ = ["add_access", "parse_capacity_defaults"]

#: What ``access`` writes; the first is the screen's.
ACCESS_FORMATS = ("table", "json", "csv")


def add_access(sub: Any) -> None:
    """The ``access`` subcommand (E2SFCA accessibility and its equity)."""
    defaults = ", ".join(f"{k}={v:g}" for k, v in settings.capacity_by_kind.items())
    p = sub.add_parser(
        "access",
        help="service counters per 10,000 residents (E2SFCA) and how evenly they fall",
        description=(
            "Enhanced two-step floating catchment area: each outlet's counters shared among "
            "the residents within --radius-km (Gaussian distance decay), summed per demand "
            "cell and averaged over residents per county, city and the province. Equity: the "
            "Gini coefficient of access and of distance over residents, the worst-served 10 %% "
            "and the residents aged 65+ against all."
        ),
    )
    _add_demand_arguments(p)
    p.add_argument(
        "--capacity-default",
        action="append",
        metavar="KIND=N",
        default=[],
        help=f"counters of an outlet of KIND without a capacity column value (default {defaults}"
        "); repeat for several kinds",
    )
    p.add_argument(
        "--by",
        choices=("county", "city"),
        default="county",
        help="table rows: county (default) or city (with the Gini of access and of distance "
        "over each city's residents)",
    )
    p.add_argument(
        "--format",
        choices=ACCESS_FORMATS,
        default=None,
        help="default: from the -o suffix (.txt, .json, .csv), else table",
    )
    p.set_defaults(run=_run_access)


def parse_capacity_defaults(items: list[str]) -> dict[str, float]:
    """``["government=4"]`` as ``settings.capacity_by_kind`` updated with it.

    >>> parse_capacity_defaults(["bank=2"])["bank"]
    2.0
    """
    defaults = dict(settings.capacity_by_kind)
    for item in items:
        kind, _, number = item.partition("=")
        try:
            value = float(number)
        except ValueError:
            value = math.nan
        if not kind.strip() or not (math.isfinite(value) and value > 0):
            msg = (
                f"--capacity-default: kind {kind.strip()!r} given {number!r} counters; give "
                "KIND=N with N a number above 0 (e.g. government=3)"
            )
            raise ValidationError(msg)
        defaults[kind.strip()] = value
    return defaults


def _run_access(args: argparse.Namespace) -> int:
    from locator.planning.access import accessibility

    fmt = _format(args, ACCESS_FORMATS)
    capacity = parse_capacity_defaults(args.capacity_default)
    if args.network is not None:
        msg = "--network: access uses the straight line x --detour-factor; drop --network"
        raise ValidationError(msg)
    inputs = _planning_inputs(args)
    result = accessibility(inputs, capacity_by_kind=capacity)
    table = result.counties if args.by == "county" else result.cities
    sample = _is_sample(inputs)
    if fmt == "json":
        emit(to_json(mark_sample_json(result.to_dict(), sample)), args.output)
    elif fmt == "csv":
        _write_table(mark_sample(table, sample), args.output)
    else:
        emit(_access_text(result, table), args.output)
    return EXIT_OK


def _access_text(result: Any, table: Any) -> str:
    e = result.equity
    shown = table.sort_values("access_per_10k").round({"access_per_10k": 3})
    shown = shown.astype({"population": "int64"})
    lines = [
        f"Service counters per 10,000 residents (E2SFCA): province {result.province:.3f}",
        f"Gini of access over residents {e['gini_access']:.3f}; of distance to the nearest "
        f"outlet {e['gini_distance']:.3f}",
        f"Worst-served 10 % of residents: {e['worst10_access_per_10k']:.3f} on average "
        f"(at most {e['worst10_threshold_per_10k']:.3f})",
        f"Residents beyond every outlet's catchment: {e['share_without_access']:.1%}",
        f"Residents aged 65+: {e['access_65plus_per_10k']:.3f} against "
        f"{result.province:.3f} for all",
    ]
    if e["access_rural_per_10k"] is not None:
        lines.append(
            f"Rural residents: {e['access_rural_per_10k']:.3f}; urban residents: "
            f"{e['access_urban_per_10k']:.3f}"
        )
    lines += ["", render_table(shown)]
    return "\n".join(lines)
