"""The ``locator`` command.

Every subcommand is a thin shell over a ``locator`` function: it parses the
arguments, calls the library, prints. The residents' commands are in
:mod:`locator.cli.residents`, the planners' in :mod:`locator.cli.planning`, the registry ones
in :mod:`locator.cli.registry`; this module assembles the parser and runs it. A user's
mistake (a bad value, a missing file) ends in one line on stderr and exit status 2, never a
traceback. Nothing here imports streamlit: ``locator app`` imports it when it starts.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from locator._errors import DataFileError, LocatorError, LocatorWarning
from locator.cli._common import EXIT_OK, EXIT_USAGE, Parser, cli_message, warn
from locator.cli.access import add_access
from locator.cli.planning import add_coverage, add_gaps, add_suggest
from locator.cli.registry import add_export_map, add_import, add_validate
from locator.cli.report import add_report
from locator.cli.residents import add_banks, add_nearest, add_tasks

__all__ = ["main"]

# --- app ----------------------------------------------------------------------------------


def _add_app(sub: Any) -> None:
    p = sub.add_parser(
        "app",
        help='start the web app (needs the app extra: pip install "locator[app]")',
        description=(
            "Start the Streamlit app of the installed package on http://localhost:PORT "
            "(Leaflet served by the app itself, no CDN). Stop it with Ctrl+C."
        ),
    )
    p.add_argument("--port", type=int, default=8501, help="the port to serve on (default 8501)")
    p.set_defaults(run=_run_app)


def _run_app(args: argparse.Namespace) -> int:
    from locator.app.launch import run

    return run(args.port)


# Each entry adds one subcommand; the order is the order of `locator --help`.
COMMANDS: list[Callable[[Any], None]] = [
    add_nearest,
    add_tasks,
    add_banks,
    add_coverage,
    add_gaps,
    add_suggest,
    add_access,
    add_report,
    add_import,
    add_validate,
    add_export_map,
    _add_app,
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
