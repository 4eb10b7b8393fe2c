"""The ``locator`` command.

Every subcommand is a thin shell over a ``locator`` function: it parses the
arguments, calls the library, prints. The residents' commands are here; the
planners' are in ``_cli_planning``, the registry ones in ``_cli_registry``. A user's mistake (a bad value, a missing
file) ends in one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from locator import settings
from locator._errors import DataFileError, LocatorError, LocatorWarning
from locator._validate import check_lonlat
from locator.banks import BANKS
from locator.cli._common import EXIT_OK, EXIT_USAGE, Parser, cli_message, warn
from locator.cli.planning import add_coverage, add_gaps, add_suggest
from locator.cli.registry import add_export_map, add_import, add_validate
from locator.output import render_table, to_json
from locator.tasks import KIND_LABELS, TASKS, get_task

__all__ = ["main"]

# --- nearest -------------------------------------------------------------------------------


def _add_nearest(sub: Any) -> None:
    p = sub.add_parser(
        "nearest",
        help="the nearest outlets that can do a task",
        description=(
            "The k nearest outlets to a point (WGS-84 decimal degrees) that can do a task; "
            "bank-side tasks need the bank printed on the card (--bank)."
        ),
    )
    p.add_argument("--lat", required=True, help="latitude, decimal degrees (WGS-84)")
    p.add_argument("--lon", required=True, help="longitude, decimal degrees (WGS-84)")
    p.add_argument(
        "-k", type=int, default=None, help=f"how many outlets (default {settings.default_k})"
    )
    p.add_argument("--task", help="task code (see `locator tasks`)")
    p.add_argument("--bank", help="the bank printed on the card (see `locator banks`)")
    p.add_argument(
        "--outlets", type=Path, help="outlet registry GeoJSON (default: the shipped sample)"
    )
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.set_defaults(run=_run_nearest)


def _run_nearest(args: argparse.Namespace) -> int:
    from locator.counties import in_shanxi
    from locator.index import OutletIndex

    lon, lat = check_lonlat(args.lon, args.lat)
    task = get_task(args.task) if args.task else None
    index = OutletIndex.from_file(args.outlets)
    found = index.nearest(lon=lon, lat=lat, k=args.k, task=args.task, bank=args.bank)
    if not bool(in_shanxi([lon], [lat])[0]):
        warn(f"({lon}, {lat}) is outside Shanxi; these are the nearest Shanxi outlets all the same")
    lang = args.lang
    if task is not None:
        found["task"] = task.code
        found["bring"] = task.bring(lang)
        found["note"] = task.note(lang)
        found["online"] = task.online(lang)
    if args.format == "json":
        print(to_json(found.to_dict(orient="records")))
    else:
        if task is not None:
            print(f"{task.label(lang)} | {'带上' if lang == 'zh' else 'bring'}: {task.bring(lang)}")
            print(task.note(lang))
            if task.online(lang):
                print(f"{'线上' if lang == 'zh' else 'online'}: {task.online(lang)}")
        if found.empty:
            print("没有可办理的网点" if lang == "zh" else "no outlet can do this task")
        else:
            table = found.assign(
                kind=found["kind"].map(lambda k: KIND_LABELS.get(k, {}).get(lang, k)),
                distance_km=found["distance_km"].round(2),
            )
            print(render_table(table, ["distance_km", "name", "kind", "bank", "address", "phone"]))
    return EXIT_OK


# --- tasks, banks ---------------------------------------------------------------------------


def _add_tasks(sub: Any) -> None:
    p = sub.add_parser("tasks", help="list the tasks and where each can be done")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.set_defaults(run=_run_tasks)


def _run_tasks(args: argparse.Namespace) -> int:
    lang = args.lang
    rows = [
        {
            "code": t.code,
            "label": t.label(lang),
            "kinds": sorted(t.kinds),
            "own_bank": t.own_bank,
            "bring": t.bring(lang),
            "online": t.online(lang),
        }
        for t in TASKS.values()
    ]
    if args.format == "json":
        print(to_json(rows))
    else:
        print(render_table(pd.DataFrame(rows), ["code", "label", "kinds", "own_bank", "online"]))
    return EXIT_OK


def _add_banks(sub: Any) -> None:
    p = sub.add_parser("banks", help="list the 16 partner banks and the short names accepted")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(run=_run_banks)


def _run_banks(args: argparse.Namespace) -> int:
    rows = [
        {"name": b.name, "name_en": b.name_en, "short": b.short, "aliases": list(b.aliases)}
        for b in BANKS
    ]
    print(to_json(rows) if args.format == "json" else render_table(pd.DataFrame(rows)))
    return EXIT_OK


# Each entry adds one subcommand; the order is the order of `locator --help`.
COMMANDS: list[Callable[[Any], None]] = [
    _add_nearest,
    _add_tasks,
    _add_banks,
    add_coverage,
    add_gaps,
    add_suggest,
    add_import,
    add_validate,
    add_export_map,
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``locator`` command."""
    from locator import __version__

    parser = Parser(
        prog="locator", description="Shanxi social security card outlets: find, check, plan."
    )
    parser.add_argument("--version", action="version", version=f"locator {__version__}")
    sub = parser.add_subparsers(
        title="commands", required=True, metavar="COMMAND", parser_class=Parser
    )
    for add in COMMANDS:
        add(sub)
    return parser


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Print a library warning as one ``locator: warning:`` line; others as Python would."""
    if issubclass(category, LocatorWarning):
        warn(cli_message(str(message)))
    else:
        _SHOW_WARNING(message, category, filename, lineno, file, line)


_SHOW_WARNING = warnings.showwarning


def _quiet_stdout() -> None:
    """After a closed pipe (`locator nearest ... | head -1`), send what is left to devnull.

    As the Python docs recommend (signal module, "Note on SIGPIPE"): otherwise the final
    flush at exit fails again and Python prints "Exception ignored ... BrokenPipeError".
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a file (tests, embedding)
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    A user's mistake (any :class:`locator.LocatorError`, an unreadable or unwritable
    file) is printed as one line on stderr, with exit status 2; library warnings
    (:class:`locator.LocatorWarning`) as one ``locator: warning:`` line each.
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help, --version, or a usage error already printed
        return done.code if isinstance(done.code, int) else EXIT_USAGE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", LocatorWarning)
            warnings.showwarning = _show_warning
            return int(args.run(args))
    except BrokenPipeError:  # the reader left (`| head`): nothing more to say
        _quiet_stdout()
        return EXIT_OK
    except LocatorError as error:
        # A data file's problem names its columns (lon, lat, population), not parameters.
        text = str(error) if isinstance(error, DataFileError) else cli_message(str(error))
        print(f"locator: error: {' '.join(text.splitlines())}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:  # unwritable output, missing input folder
        where = f"{error.filename}: " if error.filename else ""
        print(f"locator: error: {where}{error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
